"""`tapegrad train`: train a model on a built-in dataset, write a checkpoint, curves,
metrics.json and (unless --no-graph) the model's graph."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .common import DATASETS, MODELS, CLIError, first_line, positive, table, unit
from .data import load_dataset
from .models import build_model
from .pictures import draw_model_graph, plot_boundary, plot_confusion, plot_curves

CHECKPOINT = "checkpoint.safetensors"      # the file name of a run's checkpoint, inside --out
FORMAT = "tapegrad-train-checkpoint"

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw")
SCHEDULES = ("none", "step", "exponential", "polynomial", "piecewise", "plateau")

# defaults per dataset. digits: 20 epochs of Adam with the learning rate decayed linearly
# to 0 (--schedule polynomial) and label smoothing 0.1; measured with seeds 0-5 in
# NOTES_cli.md (test accuracy 0.978-0.989; 8 epochs at a constant rate gave 0.964-0.986).
_TWO_D = dict(model="mlp", optimizer="adam", lr=1e-2, epochs=60, batch_size=32,
              schedule="none", label_smoothing=0.0)
DEFAULTS = {
    "digits": dict(model="cnn", optimizer="adam", lr=3e-3, epochs=20, batch_size=32,
                   schedule="polynomial", label_smoothing=0.1),
    "xor": dict(_TWO_D),
    "moons": dict(_TWO_D),
    "circles": dict(_TWO_D),
    "spirals": dict(_TWO_D, epochs=120),
}


# the defaults every dataset shares; None means "chosen by the optimizer/schedule"
COMMON = dict(momentum=0.9, betas=[0.9, 0.999], eps=None, alpha=0.99, rho=0.9, gamma=None,
              step_size=None, milestones=None, power=1.0, weight_decay=0.0, l1=0.0, l2=0.0,
              dropout=0.0, hidden=64, early_stopping=None, seed=0, dataset="digits")
# what a checkpoint's model, data split and optimizer state are tied to: on --resume these
# come from the checkpoint, and giving a different value is an error
TIED = ("dataset", "model", "hidden", "dropout", "seed", "optimizer")
# options that belong to one invocation, never saved in the checkpoint's configuration
_PER_RUN = ("out", "resume", "config", "no_progress", "no_graph", "func", "command")


def _default(key: str) -> str:
    """'default: ...' for --help: the common default or the per-dataset ones."""
    if key in COMMON:
        v = COMMON[key]
        return "default: " + (" ".join(map(str, v)) if isinstance(v, list) else str(v))
    per = {}
    for ds, d in DEFAULTS.items():
        per.setdefault(str(d[key]), []).append(ds)
    return "default: " + "; ".join(f"{v} ({', '.join(names)})" for v, names in per.items())


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `tapegrad train`. Every default is None here and resolved by
    :func:`resolve`: the command line, then --config, then (with --resume) the
    checkpoint's configuration, then the dataset's defaults (DEFAULTS), then COMMON;
    --help shows the resolved defaults."""
    pf = positive(float, "value", allow_zero=True)
    p.add_argument("--config", type=Path, default=None, metavar="RUN.toml",
                   help="read options from a TOML file (keys are the option names, e.g. "
                        "lr = 0.01, batch-size = 64); the command line wins over it")
    p.add_argument("--dataset", choices=DATASETS, default=None, help=_default("dataset"))
    p.add_argument("--model", choices=MODELS, default=None, help=_default("model"))
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help=_default("optimizer"))
    p.add_argument("--lr", type=positive(float, "learning rate"), default=None,
                   help="learning rate; " + _default("lr"))
    p.add_argument("--momentum", type=pf, default=None,
                   help="of momentum/nesterov; " + _default("momentum"))
    p.add_argument("--betas", type=pf, nargs=2, default=None,
                   help="of adam/adamw; " + _default("betas"))
    p.add_argument("--eps", type=positive(float, "eps"), default=None,
                   help="default: the optimizer's own")
    p.add_argument("--alpha", type=pf, default=None,
                   help="rmsprop smoothing; " + _default("alpha"))
    p.add_argument("--rho", type=pf, default=None, help="adadelta decay; " + _default("rho"))
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule over the total epochs, stepped per epoch "
                        "(polynomial: linear decay to 0); " + _default("schedule"))
    p.add_argument("--gamma", type=pf, default=None,
                   help="decay factor of step/exponential/plateau (default 0.5 / 0.9 / 0.5)")
    p.add_argument("--step-size", type=positive(int, "step size"), default=None,
                   help="epochs between decays for --schedule step (default: epochs // 3)")
    p.add_argument("--milestones", type=positive(int, "milestone"), nargs="+", default=None,
                   help="epochs where --schedule piecewise divides the lr by 10 "
                        "(default: at 1/2 and 3/4 of the epochs)")
    p.add_argument("--power", type=pf, default=None,
                   help="polynomial decay power; " + _default("power"))
    p.add_argument("--epochs", type=positive(int, "epochs"), default=None,
                   help="the total number of epochs, also with --resume (like Keras and "
                        "Lightning: --resume --epochs 80 after 60 trains 20 more); "
                        + _default("epochs"))
    p.add_argument("--batch-size", type=positive(int, "batch size"), default=None,
                   help=_default("batch_size"))
    p.add_argument("--weight-decay", type=pf, default=None, help=_default("weight_decay"))
    p.add_argument("--l1", type=pf, default=None,
                   help="L1 penalty on weights, added to the loss; " + _default("l1"))
    p.add_argument("--l2", type=pf, default=None,
                   help="L2 penalty on weights, added to the loss; " + _default("l2"))
    p.add_argument("--dropout", type=unit("dropout"), default=None, help=_default("dropout"))
    p.add_argument("--label-smoothing", type=unit("label smoothing"), default=None,
                   help="of the training loss; " + _default("label_smoothing"))
    p.add_argument("--hidden", type=positive(int, "hidden size"), default=None,
                   help="MLP hidden width; " + _default("hidden"))
    p.add_argument("--early-stopping", type=positive(int, "patience"), default=None,
                   metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better val loss (default: off)")
    p.add_argument("--seed", type=int, default=None,
                   help="of the initialisation, the data split and the batches; "
                        + _default("seed"))
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: runs/latest; with --resume the run's own "
                        "folder, the checkpoint's)")
    p.add_argument("--resume", type=Path, default=None, metavar="CKPT",
                   help=f"continue a run from its {CHECKPOINT}: its configuration and history "
                        f"are inside; --epochs is the new total")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--no-graph", action="store_true", help="do not draw the model graph")
    p.add_argument("--workers", type=positive(int, "workers"), default=None, metavar="N",
                   help="data-parallel training on N MPI processes (launches mpiexec; inside "
                        "an mpiexec job the default is its size); see docs/distributed.md")
    p.add_argument("--compile", action="store_true",
                   help="run the model's training forward through ag.compile (recorded once "
                        "per batch shape, then replayed; same numbers as eager)")


def make_optimizer(args: argparse.Namespace, params: Any) -> Any:
    """The nn.optim optimizer --optimizer names, with its options from ``args``."""
    from nn import optim

    name, lr = args.optimizer, args.lr
    wd = args.weight_decay
    eps = {} if args.eps is None else {"eps": args.eps}
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=wd)
    if name == "nesterov":
        return optim.SGD(params, lr=lr, momentum=args.momentum, nesterov=True, weight_decay=wd)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=wd, **eps)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, alpha=args.alpha, weight_decay=wd, **eps)
    if name == "adadelta":
        return optim.Adadelta(params, lr=lr, rho=args.rho, weight_decay=wd, **eps)
    if name == "adam":
        return optim.Adam(params, lr=lr, betas=tuple(args.betas), weight_decay=wd, **eps)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, betas=tuple(args.betas), weight_decay=wd or 1e-2,
                           **eps)
    raise CLIError(f"unknown optimizer {name!r}")  # pragma: no cover


def make_scheduler(args: argparse.Namespace, opt: Any) -> Any:
    """The per-epoch lr_scheduler --schedule names (None for none)."""
    from nn.optim import lr_scheduler as S

    s, E = args.schedule, args.epochs
    if s == "none":
        return None
    if s == "step":
        return S.StepLR(opt, step_size=args.step_size or max(1, E // 3), gamma=args.gamma or 0.5)
    if s == "exponential":
        return S.ExponentialLR(opt, gamma=args.gamma or 0.9)
    if s == "polynomial":
        return S.PolynomialLR(opt, total_iters=E, power=args.power)
    if s == "piecewise":
        ms = args.milestones or [max(1, E // 2), max(2, 3 * E // 4)]
        if list(ms) != sorted(ms):
            raise CLIError(f"--milestones must be increasing, got {' '.join(map(str, ms))}")
        return S.PiecewiseConstantLR(opt, boundaries=ms,
                                     values=[args.lr * 0.1 ** i for i in range(len(ms) + 1)])
    if s == "plateau":
        return S.ReduceLROnPlateau(opt, mode="min", factor=args.gamma or 0.5, patience=2)
    raise CLIError(f"unknown schedule {s!r}")  # pragma: no cover


def _current_lr(opt) -> float:
    return float(opt.param_groups[0]["lr"])


def evaluate(model: Any, X: np.ndarray, y: np.ndarray,
             bs: int = 512) -> Tuple[float, float, np.ndarray]:
    """(mean loss, accuracy, predictions) without recording a graph."""
    import autograd as ag
    import nn

    model.eval()
    lossf = nn.CrossEntropyLoss(reduction="sum")
    total, preds = 0.0, []
    with ag.no_grad():
        for xb, yb in nn.data.DataLoader(nn.data.TensorDataset(X, y), batch_size=bs):
            out = model(xb)
            total += float(lossf(out, yb).item())
            preds.append(out.numpy().argmax(1))
    pred = np.concatenate(preds) if preds else np.zeros(0, np.int64)
    return total / max(1, len(X)), float((pred == y).mean()) if len(y) else 0.0, pred


def _progress(total: int, desc: str, disable: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=disable, unit="batch",
                dynamic_ncols=True)


def _read_config(path: Path, parser_actions: Dict[str, argparse.Action]) -> Dict[str, Any]:
    """The options of a --config TOML file, checked with the same types and choices as
    the command line (keys: option names, with - or _)."""
    try:
        import tomllib
    except ImportError:                 # Python 3.10: the same parser, as a package
        try:
            import tomli as tomllib
        except ImportError:
            raise CLIError("--config needs Python 3.11 (tomllib) or, on 3.10, "
                           "pip install tomli") from None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CLIError(f"cannot read --config {path}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CLIError(f"--config {path} is not valid TOML: {first_line(e)}") from None
    out = {}
    for key, value in raw.items():
        dest = key.replace("-", "_")
        act = parser_actions.get(dest)
        if act is None or dest in _PER_RUN:
            known = sorted(k.replace("_", "-") for k in parser_actions if k not in _PER_RUN)
            raise CLIError(f"--config {path}: unknown option {key!r}; use one of "
                           f"{', '.join(known)}")
        items = value if isinstance(value, list) else [value]
        if act.nargs is None and isinstance(value, list):
            raise CLIError(f"--config {path}: {key} takes one value, got a list")
        parsed = []
        for v in items:
            try:
                v = act.type(str(v)) if act.type is not None else v
            except argparse.ArgumentTypeError as e:
                raise CLIError(f"--config {path}: {key}: {e}") from None
            if act.choices is not None and v not in act.choices:
                raise CLIError(f"--config {path}: {key} = {v!r} is not one of "
                               f"{', '.join(map(str, act.choices))}")
            parsed.append(v)
        if act.nargs not in (None, "?") and isinstance(act.nargs, int) \
                and len(parsed) != act.nargs:
            raise CLIError(f"--config {path}: {key} takes {act.nargs} values, got {len(parsed)}")
        out[dest] = parsed if act.nargs not in (None, "?") else parsed[0]
    return out


def resolve(args: argparse.Namespace, saved: Optional[Dict[str, Any]] = None,
            from_file: Optional[Dict[str, Any]] = None) -> None:
    """Fill every option left at None: --config's value, then the checkpoint's saved
    configuration (``saved``, on --resume), then the dataset's DEFAULTS, then COMMON.
    A TIED option given (on the command line or in --config) with a value different from
    the checkpoint's is an error."""
    given = {k: v for k, v in vars(args).items() if v is not None and k not in _PER_RUN
             and not isinstance(v, bool)}
    for k, v in (from_file or {}).items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
            given[k] = v
    if saved:
        for k in TIED:
            if k in given and k in saved and _plain(given[k]) != saved[k]:
                opt = "--" + k.replace("_", "-")
                raise CLIError(f"{opt} {_plain(given[k])} conflicts with the checkpoint "
                               f"{args.resume}, trained with {opt} {saved[k]}: drop {opt} to "
                               f"continue that run, or leave out --resume to start a new one")
        for k, v in saved.items():
            if getattr(args, k, None) is None and hasattr(args, k):
                setattr(args, k, list(v) if isinstance(v, list) else v)
    if args.dataset is None:
        args.dataset = COMMON["dataset"]
    for k, v in DEFAULTS[args.dataset].items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    for k, v in COMMON.items():
        if getattr(args, k, None) is None:
            setattr(args, k, list(v) if isinstance(v, list) else v)


def _plain(v: Any) -> Any:
    """An option's value as the checkpoint stores it (numbers, strings, lists)."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, Path):
        return str(v)
    return v


def run_config(args: argparse.Namespace) -> Dict[str, Any]:
    """The configuration a checkpoint keeps: every training option that is set, as plain
    numbers, strings and lists (no None, no per-invocation options)."""
    return {k: _plain(v) for k, v in sorted(vars(args).items())
            if k not in _PER_RUN and v is not None and not callable(v)}


def _load_checkpoint(path: Path) -> Dict[str, Any]:
    import nn

    if not path.is_file():
        raise CLIError(f"cannot read checkpoint {path}: no such file")
    try:
        ckpt = nn.load(str(path))
    except Exception as e:  # noqa: BLE001 - any failure is "unreadable"
        raise CLIError(f"cannot read checkpoint {path}: {first_line(e)}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CLIError(f"cannot read checkpoint {path}: not a tapegrad train checkpoint")
    if ckpt.get("format") != FORMAT or not isinstance(ckpt.get("config"), dict):
        raise CLIError(f"cannot resume from {path}: it has no run configuration (written by "
                       f"an older tapegrad train, or by nn.save); train a new run instead")
    return ckpt


def _check_writable(out: Path) -> None:
    """Fail before training when --out cannot be created or written (nothing created)."""
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise CLIError(f"cannot write to --out {out}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CLIError(f"cannot write to --out {out}: {probe} is not writable; choose "
                       f"another --out")


def train(args: argparse.Namespace) -> Dict[str, Any]:
    """`tapegrad train`: returns the metrics it also writes to OUT/metrics.json.

    The checkpoint (OUT/checkpoint.tg) holds the model, the optimizer state, the epoch,
    the run's configuration and its history (plain dicts, lists, numbers and strings), so
    ``--resume CKPT`` needs nothing else: it takes the configuration from it, trains up
    to --epochs in total and writes into the checkpoint's folder unless --out is given."""
    import autograd as ag
    import nn
    from nn.data import TensorDataset, random_split
    from nn.utils import l1_penalty, l2_penalty

    from_file = _read_config(args.config, _actions()) if args.config is not None else None
    resume = saved = None
    if args.resume is not None:
        resume = _load_checkpoint(args.resume)
        saved = resume["config"]
        if saved.get("dataset") == "addition":      # written by train_seq, which has no --resume
            raise CLIError(f"cannot resume from {args.resume}: --resume is not supported for "
                           f"--dataset addition (training takes about a minute; start again)")
    user_epochs = args.epochs if args.epochs is not None else (from_file or {}).get("epochs")
    resolve(args, saved, from_file)
    start_epoch = int(resume["epoch"]) if resume is not None else 0
    history = [dict(h) for h in resume["history"]] if resume is not None else []
    if resume is not None:
        if user_epochs is None:
            raise CLIError(f"the run in {args.resume} has its {start_epoch} epochs; --epochs "
                           f"is the total, so give --epochs N with N > {start_epoch} to train "
                           f"more")
        if args.epochs <= start_epoch:
            raise CLIError(f"--epochs {args.epochs} is not more than the {start_epoch} epochs "
                           f"{args.resume} has trained (--epochs is the total, like Keras "
                           f"and Lightning): give --epochs N with N > {start_epoch}")
    if args.out is None:
        args.out = args.resume.parent if args.resume is not None else Path("runs/latest")
    out: Path = args.out
    _check_writable(out)

    ag.manual_seed(args.seed)
    np.random.seed(args.seed)
    X, y, n_classes, in_shape = load_dataset(args.dataset, args.seed)
    parts = random_split(TensorDataset(X, y), [0.7, 0.1, 0.2], seed=args.seed + 1000)
    (Xtr, ytr), (Xva, yva), (Xte, yte) = ((X[p.indices], y[p.indices]) for p in parts)
    model = build_model(args.model, in_shape, n_classes, args.dropout, args.hidden)
    from .workers import current  # --workers: this process's rank (see nn/cli/workers.py)

    ctx = current()
    net = ctx.wrap(model)  # DistributedDataParallel on N workers, the model itself on one
    opt = make_optimizer(args, model.parameters())
    if resume is not None:
        try:
            model.load_state_dict(resume["model"])
            opt.load_state_dict(resume["optimizer"])
        except Exception as e:  # noqa: BLE001
            raise CLIError(f"checkpoint {args.resume} does not fit its own configuration "
                           f"(--model {args.model}, --optimizer {args.optimizer}): "
                           f"{first_line(e)}") from None
        # the optimizer's state (moments, step counts) continues; the schedule is laid over
        # the new total and replayed to this epoch, so extending a decayed run goes on
        # at the rate that total implies instead of staying at the end of the old one
        for g in opt.param_groups:
            g["lr"] = g["initial_lr"] = args.lr
    sched = make_scheduler(args, opt)
    if sched is not None and history:
        # replaying the finished epochs' schedule steps: the optimizer stepped in the run
        # that wrote the checkpoint, so the step-order warning does not apply
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
            for h in history:
                sched.step(h["val_loss"]) if args.schedule == "plateau" else sched.step()

    lossf = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    quiet = (args.no_progress or not sys.stderr.isatty() or "PYTEST_CURRENT_TEST" in os.environ
             or not ctx.is_main)
    loader = nn.data.DataLoader(TensorDataset(Xtr, ytr), batch_size=args.batch_size,
                                shuffle=True, seed=args.seed + start_epoch)
    weights = [p for p in model.parameters() if p.ndim >= 2]     # not biases or norms
    stopper = (nn.EarlyStopping(patience=args.early_stopping - 1, restore_best_weights=True)
               if args.early_stopping else None)
    t0 = time.time()
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    what = (f"epochs {start_epoch + 1}-{args.epochs} of {args.epochs} (resumed from "
            f"{args.resume} at epoch {start_epoch})" if resume is not None
            else f"{args.epochs} epochs")
    print(f"tapegrad train: {args.dataset} ({len(Xtr)} train / {len(Xva)} val / {len(Xte)} "
          f"test), {args.model} ({n_params:,} parameters), {args.optimizer} lr={args.lr:g}, "
          f"{what} of batch {args.batch_size}", flush=True)
    print(nn.summary(model, ag.tensor(Xtr[:2]), depth=1), flush=True)
    stopped_early = False
    forward = ag.compile(net) if getattr(args, "compile", False) else net
    for epoch in range(start_epoch + 1, args.epochs + 1):
        model.train()
        bar = _progress(len(loader), f"epoch {epoch}/{args.epochs}", quiet)
        seen = correct = 0
        loss_sum = 0.0
        for xb, yb in loader:
            if len(yb) < ctx.size:
                continue  # a last batch smaller than the number of workers
            if ctx.size > 1:  # this worker's slice of the global batch
                rows, scale = ctx.local(np.arange(len(yb)))
                xb, yb = xb[rows[0]:rows[-1] + 1], yb[rows[0]:rows[-1] + 1]
            else:
                scale = 1.0
            logits = forward(xb)
            loss = lossf(logits, yb)
            total = loss * scale if scale != 1.0 else loss
            if args.l1:
                total = total + l1_penalty(weights, args.l1)
            if args.l2:
                total = total + l2_penalty(weights, args.l2)
            opt.zero_grad()
            total.backward()
            opt.step()
            n = len(yb)
            seen += n
            loss_sum += float(loss.item()) * n
            correct += int((logits.detach().numpy().argmax(1) == yb.numpy()).sum())
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}",
                            refresh=False)
            bar.update(1)
        bar.close()
        loss_sum, correct, seen = ctx.allsum(loss_sum, correct, seen)
        va_loss, va_acc, _ = evaluate(model, Xva, yva)
        row = dict(epoch=epoch, lr=_current_lr(opt), train_loss=loss_sum / seen,
                   train_acc=correct / seen, val_loss=va_loss, val_acc=va_acc)
        history.append(row)
        if sched is not None:
            sched.step(va_loss) if args.schedule == "plateau" else sched.step()
        print(f"epoch {epoch:3d}  lr {row['lr']:.2e}  train loss {row['train_loss']:.4f} "
              f"acc {row['train_acc']:.4f}  val loss {va_loss:.4f} acc {va_acc:.4f}", flush=True)
        if stopper is not None and stopper.step(va_loss, model):
            best = start_epoch + 1 + stopper.best_epoch
            print(f"early stopping: no better val loss for {stopper.bad_epochs} epochs; "
                  f"restoring epoch {best}", flush=True)
            stopped_early = True
            break
    if stopper is not None:
        stopper.restore(model)
    seconds = time.time() - t0
    last_epoch = history[-1]["epoch"] if history else start_epoch
    trained = last_epoch - start_epoch

    te_loss, te_acc, te_pred = evaluate(model, Xte, yte)
    tr_loss, tr_acc, _ = evaluate(model, Xtr, ytr)
    va_loss, va_acc, _ = evaluate(model, Xva, yva)

    if not ctx.is_main:  # files from rank 0 only
        return dict(dataset=args.dataset, model=args.model, last_epoch=last_epoch,
                    test_loss=te_loss, test_acc=te_acc, workers=ctx.size)
    config = run_config(args)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"cannot create output folder {out}: {e.strerror}") from None
    try:
        files = _write_outputs(args, out, model, opt, lossf, config, history, last_epoch,
                               X, y, in_shape, n_classes, yte, te_pred, te_acc, Xte)
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    metrics = dict(dataset=args.dataset, model=args.model, parameters=n_params,
                   epochs=len(history), last_epoch=last_epoch, trained_epochs=trained,
                   resumed_from=str(args.resume) if resume is not None else None,
                   stopped_early=stopped_early, seconds=round(seconds, 2),
                   train_loss=tr_loss, train_acc=tr_acc, val_loss=va_loss, val_acc=va_acc,
                   test_loss=te_loss, test_acc=te_acc, history=history, config=config,
                   files={k: str(v) for k, v in files.items()}, workers=ctx.size)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    files["metrics"] = out / "metrics.json"

    print()
    print(table([("", "loss", "accuracy"),
                  ("train", f"{tr_loss:.4f}", f"{tr_acc:.4f}"),
                  ("val", f"{va_loss:.4f}", f"{va_acc:.4f}"),
                  ("test", f"{te_loss:.4f}", f"{te_acc:.4f}")]))
    if resume is not None:
        print(f"{trained} more epochs in {seconds:.1f} s (epochs {start_epoch + 1}-"
              f"{last_epoch}; the run now has {last_epoch}); wrote:")
    else:
        print(f"{trained} epochs in {seconds:.1f} s; wrote:")
    for k, v in files.items():
        print(f"  {k:18s} {v}")
    return metrics


def _write_outputs(args, out, model, opt, lossf, config, history, last_epoch, X, y,
                   in_shape, n_classes, yte, te_pred, te_acc, Xte) -> Dict[str, Path]:
    """The checkpoint (with configuration and history) and the pictures."""
    import nn

    ckpt = out / CHECKPOINT
    nn.save({"format": FORMAT, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "epoch": int(last_epoch), "config": config,
             "history": [dict(h) for h in history]}, str(ckpt))
    files = {"checkpoint": ckpt}
    files["curves"] = plot_curves(history, out / "curves.png", args.label_smoothing)
    if len(in_shape) == 1 and in_shape[0] == 2:
        files["decision_boundary"] = plot_boundary(model, X, y, out / "decision_boundary.png",
                                                   f"{args.dataset}: {args.model}, test acc "
                                                   f"{te_acc:.3f}")
    if args.dataset == "digits":
        files["confusion_matrix"] = plot_confusion(yte, te_pred, n_classes,
                                                   out / "confusion_matrix.png", te_acc)
    if not args.no_graph:
        what = "test images" if args.dataset == "digits" else "test points"
        files["graph"] = draw_model_graph(model, lossf, Xte[:2], yte[:2], out / "graph.svg",
                                          what)
    return files


def _actions() -> Dict[str, argparse.Action]:
    """dest -> action of the train subcommand's options (for --config)."""
    p = argparse.ArgumentParser(add_help=False)
    add_arguments(p)
    return {a.dest: a for a in p._actions}


def run(args: argparse.Namespace) -> int:
    """The `train` subcommand (exit code 0; errors are CLIError)."""
    from . import train_seq
    if args.dataset in train_seq.DATASETS or args.model in train_seq.MODELS:
        if getattr(args, "workers", None) not in (None, 1):
            raise CLIError("--workers is not supported with --dataset addition yet; "
                           "train the sequence models in one process")
        return train_seq.run(args)       # sequence models: nn/cli/train_seq.py
    from .workers import run as run_workers  # one process, --workers N, or inside mpiexec

    return run_workers(args, train)
