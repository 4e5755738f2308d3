"""What anomaly support costs the normal path (anomaly mode off).

A = tapegrad as it is, anomaly mode off. B = the same engine with anomaly support cut
out: the recording code (``registry.apply`` and ``Node.__init__``) and the backward
loop (``engine._run``) are recompiled from their own source with the anomaly checks
removed (``_user_frame() if STATE.anomaly else None`` -> ``None``; ``if anomaly:`` ->
``if False:``, which the compiler drops) and swapped in by replacing ``__code__``, so
every module that imported them runs the variant. A and B alternate (ABBA order) over
the same training step; each side of a pair is the best of 3 blocks of ``--steps``
steps (interference from other processes only adds time), and the reported number
is the median of the per-pair ratios A/B (1.00 = anomaly support is free; above 1 =
the normal path pays for it).

Workloads: ``mlp`` (nn.Linear 64-128-128-10, batch 32, cross-entropy, SGD step) and
``scalar`` (a 2-16-16-1 MLP built from 0-d tensors, ~900 nodes per step: the
per-node overhead case). For information the anomaly-on cost is reported too. Run::

    .venv/bin/python -m benchmarks.anomaly_overhead            # ~1 minute
    .venv/bin/python -m benchmarks.anomaly_overhead --pairs 41 --steps 20
"""
from __future__ import annotations

from .threads import set_env_threads

set_env_threads(1)  # one BLAS thread, set before NumPy loads: a shared machine is noisy enough

import argparse
import gc
import inspect
import statistics
import sys
import textwrap
import time

import numpy as np  # noqa: E402

import autograd as ag
import nn
import nn.functional as F
from autograd import engine, registry, tape
from nn import optim

_ANOMALY_RECORD = "_user_frame() if STATE.anomaly else None"


def _strip(fn, replacements):
    """``fn`` recompiled from its source with ``replacements`` applied (each must hit)."""
    src = textwrap.dedent(inspect.getsource(fn))
    for old, new in replacements:
        if old not in src:
            raise SystemExit(f"anomaly_overhead: {fn.__qualname__} no longer contains {old!r}; "
                             f"update the benchmark")
        src = src.replace(old, new)
    ns: dict = {}
    exec(compile(src, inspect.getsourcefile(fn), "exec"), fn.__globals__, ns)
    return ns[fn.__name__].__code__


class Variant:
    """Swap the anomaly-free code objects in and out."""

    def __init__(self) -> None:
        self.targets = []
        for fn, reps in ((registry.apply, [(_ANOMALY_RECORD, "None")]),
                         (engine._run, [("if anomaly:", "if False:")])):
            self.targets.append((fn, fn.__code__, _strip(fn, reps)))
        init = tape.Node.__init__
        if _ANOMALY_RECORD in inspect.getsource(init):
            self.targets.append((init, init.__code__, _strip(init, [(_ANOMALY_RECORD, "None")])))

    def use(self, stripped: bool) -> None:
        for fn, orig, new in self.targets:
            fn.__code__ = new if stripped else orig


def mlp_step():
    rng = np.random.default_rng(0)
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    opt = optim.SGD(model.parameters(), lr=0.01)
    x = ag.tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, 32))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def scalar_step():
    rng = np.random.default_rng(0)
    sizes = (2, 16, 16, 1)
    layers = [[([ag.tensor(rng.uniform(-1, 1), requires_grad=True) for _ in range(n_in)],
                ag.tensor(0.0, requires_grad=True)) for _ in range(n_out)]
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    params = [p for layer in layers for ws, b in layer for p in ws + [b]]
    xs = [[ag.tensor(v) for v in row] for row in rng.standard_normal((4, 2))]

    def step():
        loss = 0.0
        for row in xs:
            h = row
            for k, layer in enumerate(layers):
                out = []
                for ws, b in layer:
                    act = b
                    for w, v in zip(ws, h):
                        act = act + w * v
                    out.append(act.relu() if k < len(layers) - 1 else act)
                h = out
            loss = loss + (1.0 - h[0]).relu()
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= 0.01 * p.grad.data.numpy()
    return step


def _time(step, steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return time.perf_counter() - t0


def measure(name: str, make, pairs: int, steps: int, variant: Variant) -> dict:
    step = make()
    for _ in range(3):  # warm up both variants
        variant.use(True)
        step()
        variant.use(False)
        step()
    ratios, ta, tb = [], [], []
    gc.collect()
    for i in range(pairs):
        order = (False, True) if i % 2 == 0 else (True, False)   # ABBA
        t = {}
        for stripped in order:
            variant.use(stripped)
            # the best of 3 blocks: other processes' bursts only ever add time
            t[stripped] = min(_time(step, steps) for _ in range(3))
        variant.use(False)
        ratios.append(t[False] / t[True])
        ta.append(t[False] / steps)
        tb.append(t[True] / steps)
    # anomaly on (A with the mode switched on), for information
    with ag.detect_anomaly():
        ton = statistics.median(_time(step, steps) / steps for _ in range(max(3, pairs // 4)))
    return {"name": name, "ratio": statistics.median(ratios),
            "q1": np.percentile(ratios, 25), "q3": np.percentile(ratios, 75),
            "a_us": statistics.median(ta) * 1e6, "b_us": statistics.median(tb) * 1e6,
            "on_us": ton * 1e6}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=21, help="A/B pairs per workload")
    ap.add_argument("--steps", type=int, default=10, help="training steps per timing")
    ap.add_argument("--workloads", default="mlp,scalar")
    args = ap.parse_args(argv)
    variant = Variant()
    makers = {"mlp": mlp_step, "scalar": scalar_step}
    print(f"A = anomaly mode off (as shipped), B = anomaly support compiled out; "
          f"{args.pairs} ABBA pairs x {args.steps} steps; Python {sys.version.split()[0]}")
    print(f"{'workload':8s} {'A us/step':>10s} {'B us/step':>10s} {'median A/B':>10s} "
          f"{'IQR':>13s} {'anomaly on':>11s}")
    try:
        for w in args.workloads.split(","):
            r = measure(w, makers[w], args.pairs, args.steps, variant)
            print(f"{r['name']:8s} {r['a_us']:10.1f} {r['b_us']:10.1f} {r['ratio']:10.3f} "
                  f"{r['q1']:6.3f}-{r['q3']:.3f} {r['on_us'] / r['a_us']:10.2f}x")
    finally:
        variant.use(False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
