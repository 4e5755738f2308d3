"""`tapegrad gradcheck`: every registered op against central differences on its samples
from ``autograd.testing`` (the table the test suite uses), or a model's loss end to end."""
from __future__ import annotations

import argparse
import time
from typing import Any, Dict, List, Tuple

import numpy as np

from .common import DATASETS, MODELS, CLIError, first_line, positive, table
from .models import untrained_model


def add_arguments(c: argparse.ArgumentParser) -> None:
    """The options of `tapegrad gradcheck`."""
    c.add_argument("--ops", nargs="*", default=None, help="only these ops")
    c.add_argument("--first-sample", action="store_true",
                   help="only the first sample per op (default: every sample in "
                        "autograd.testing)")
    c.add_argument("--no-gradgrad", action="store_true", help="skip gradgradcheck")
    c.add_argument("--model", choices=MODELS, default=None)
    c.add_argument("--dataset", choices=DATASETS, default=None)
    c.add_argument("--max-elements", type=positive(int, "max elements"), default=48,
                   help="elements checked per parameter with --model")
    c.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    """The `gradcheck` subcommand: a model with --model, else the registered ops."""
    if args.model is not None:
        return gradcheck_model(args)
    return gradcheck_ops(args)


def registered_ops() -> List[str]:
    """Every registered op name: the primitives (``autograd.OPS``), then the composites
    (``autograd.COMPOSITES``)."""
    import autograd as ag

    return list(ag.OPS) + list(ag.COMPOSITES)


def _check_sample(name: str, entry: Any, sample: Any, gradgrad: bool,
                  agg: Dict[str, Any]) -> None:
    """gradcheck (and gradgradcheck when asked) of one sample, folded into ``agg``;
    failures and exceptions are printed, one line each."""
    import autograd as ag
    from autograd.testing import make_inputs

    def f(*ts):
        return entry.run(sample, ts)

    f.__name__ = name
    checks = [("", ag.gradcheck)] + ([(" (second derivatives)", ag.gradgradcheck)]
                                     if gradgrad else [])
    with np.errstate(all="ignore"):
        for what, check in checks:
            try:
                rep = check(f, make_inputs(sample), eps=sample.eps, raise_exception=False,
                            fast_mode=sample.fast)
                ok, problem = bool(rep.ok), rep.describe()
            except Exception as e:  # noqa: BLE001 - report and go on
                rep, ok, problem = None, False, f"{type(e).__name__}: {first_line(e)}"
            if not ok:
                print(f"  {name}{what}: {problem}")
            if check is ag.gradgradcheck:
                agg["gg"] = ok and agg["gg"] is not False
                continue
            agg["ok"] &= ok
            if rep is not None:
                agg["abs"] = max(agg["abs"], rep.max_abs_err)
                agg["rel"] = max(agg["rel"], rep.max_rel_err)


def gradcheck_ops(args: argparse.Namespace) -> int:
    """gradcheck (and gradgradcheck for smooth ops) of every sample (or the first, with
    --first-sample) of every registered op, or of the --ops named; one table row per op
    with the worst errors over its samples. A differentiable op without a gradcheck
    sample fails; non-differentiable ops are listed as such. Exit code 1 on a failure."""
    from autograd.testing import OP_DB

    names = registered_ops()
    if args.ops:
        unknown = sorted(set(args.ops) - set(names))
        if unknown:
            raise CLIError(f"unknown op(s) {', '.join(unknown)}: not in autograd.OPS or "
                           f"autograd.COMPOSITES")
        names = [n for n in names if n in set(args.ops)]
    plan: List[Tuple[str, Any, list]] = []
    for name in names:
        entry = OP_DB[name]
        picked = [s for s in entry.samples if s.grad and s.diff_positions() and not s.edge]
        plan.append((name, entry, picked if not args.first_sample else picked[:1]))
    differentiable = [(n, e, ss) for n, e, ss in plan if e.differentiable]
    not_diff = [n for n, e, _ in plan if not e.differentiable]
    print(f"gradcheck of {len(differentiable)} ops on "
          f"{sum(len(ss) for _, _, ss in differentiable)} samples from autograd.testing "
          f"(float64, central differences)", flush=True)
    rows = [("op", "samples", "max abs err", "max rel err", "gradcheck", "gradgradcheck")]
    failed = n_gg = 0
    t0 = time.time()
    for name, entry, samples in differentiable:
        agg = dict(abs=0.0, rel=0.0, ok=bool(samples), gg=None)
        if not samples:
            print(f"  {name}: no gradcheck sample in autograd.testing")
        for s in samples:
            _check_sample(name, entry, s, entry.smooth and s.gradgrad and not args.no_gradgrad,
                          agg)
        failed += not agg["ok"] or agg["gg"] is False
        n_gg += agg["gg"] is not None
        rows.append((name, str(len(samples)), f"{agg['abs']:.2e}", f"{agg['rel']:.2e}",
                     "pass" if agg["ok"] else "FAIL",
                     "-" if agg["gg"] is None else ("pass" if agg["gg"] else "FAIL")))
    rows += [(name, "0", "-", "-", "not differentiable", "-") for name in not_diff]
    print(table(rows))
    print(f"{len(differentiable) - failed}/{len(differentiable)} ops passed ({n_gg} also "
          f"gradgradchecked) in {time.time() - t0:.1f} s"
          + (f"; not differentiable: {', '.join(not_diff)}" if not_diff else ""))
    return 1 if failed else 0


def gradcheck_model(args: argparse.Namespace) -> int:
    """A model's loss end to end: analytical gradients of every parameter (one backward)
    against central differences on up to --max-elements elements per parameter, in
    float64; then autograd.viz.blame checks every node's vjp. Exit code 1 on a failure."""
    import autograd as ag
    import nn
    from autograd import viz

    model, dataset, in_shape, n_classes = untrained_model(args.model, args.dataset, args.seed)
    params = list(model.named_parameters())
    for _, p in params:
        p.data = np.asarray(p).astype(np.float64)
    rng = np.random.default_rng(args.seed)
    x = ag.tensor(rng.standard_normal((3,) + in_shape))
    y = ag.tensor(rng.integers(0, n_classes, 3))
    lossf = nn.CrossEntropyLoss()

    def loss_value() -> float:
        with ag.no_grad():
            return float(lossf(model(x), y).item())

    loss = lossf(model(x), y)
    model.zero_grad()
    loss.backward(retain_graph=True)
    rows = [("parameter", "shape", "checked", "max abs err", "max rel err", "pass")]
    failed = 0
    eps = 1e-6
    for name, p in params:
        ana = np.zeros(p.shape) if p.grad is None else np.asarray(p.grad, np.float64)
        flat = np.asarray(p).reshape(-1)
        if not np.asarray(p).flags.c_contiguous:
            p.data = np.ascontiguousarray(np.asarray(p))
            flat = np.asarray(p).reshape(-1)
        k = min(args.max_elements, flat.size)
        idx = rng.choice(flat.size, k, replace=False)
        num = np.zeros(k)
        for j, i in enumerate(idx):
            orig = flat[i]
            flat[i] = orig + eps
            up = loss_value()
            flat[i] = orig - eps
            down = loss_value()
            flat[i] = orig
            num[j] = (up - down) / (2 * eps)
        a = ana.reshape(-1)[idx]
        err = np.abs(a - num)
        rel = err / np.maximum(np.abs(num), 1e-12)
        ok = bool(np.all(err <= 1e-5 + 1e-3 * np.abs(num)))
        failed += not ok
        rows.append((name, "x".join(map(str, p.shape)), str(k), f"{err.max():.2e}",
                     f"{rel.max():.2e}", "pass" if ok else "FAIL"))
    print(f"gradcheck of the {args.model} loss on {dataset}-shaped input (float64, "
          f"{args.max_elements} elements per parameter)")
    print(table(rows))
    blamed = False
    try:
        res = viz.blame(loss)
        print("blame (per-node check of the backward pass):")
        print(_fmt_blame(res))
        blamed = any(not r.ok for r in res)
    except Exception as e:  # noqa: BLE001 - blame is a diagnostic, never fatal
        print(f"(blame failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    print(f"{len(params) - failed}/{len(params)} parameters passed")
    return 1 if failed or blamed else 0


def _fmt_blame(res: List[Any]) -> str:
    """One line per failing node after a one-line summary of the nodes checked."""
    bad = [r for r in res if not r.ok]
    skipped = sum(1 for r in res if r.skipped.startswith("skipped"))
    head = (f"  {len(res)} nodes checked, {len(bad)} failing"
            + (f", {skipped} skipped" if skipped else ""))
    return "\n".join([head] + [f"  {r}" for r in bad])
