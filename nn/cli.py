"""The ``tapegrad`` command line (also ``python -m nn``).

    tapegrad train                                   # digits, default CNN, ~1 min
    tapegrad train --dataset moons --model mlp --epochs 60 --out runs/moons
    tapegrad train --dataset spirals --optimizer adamw --lr 3e-3 --schedule plateau
    tapegrad train --resume runs/digits/checkpoint.tg --epochs 4
    tapegrad graph "tanh(x * w + b)" --values x=0.5 w=-2 b=1 --out graph.svg
    tapegrad graph --model cnn --out cnn.svg
    tapegrad gradcheck                               # every registered op
    tapegrad gradcheck --model mlp                   # a model's loss end to end
    tapegrad demo --out demo_out                     # what `make demo` runs

Bad arguments (unknown dataset, negative learning rate, unreadable checkpoint, ...)
end with exit code 2 and one line on stderr, ``tapegrad: error: ...``, no traceback.

Layout: 1. errors and argument parsing, 2. data, 3. models, 4. training, 5. pictures,
6. graph, 7. gradcheck, 8. demo, 9. main.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

DATASETS = ("digits", "xor", "moons", "circles", "spirals")
MODELS = ("mlp", "cnn", "resnet")
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


# --------------------------------------------------------------------------- 1. errors, args
class CLIError(Exception):
    """A user error: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print the usage too
        raise CLIError(message)


def _positive(kind: Callable, name: str, allow_zero: bool = False):
    def parse(s: str):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {s!r}") from None
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            need = "non-negative" if allow_zero else "positive"
            raise argparse.ArgumentTypeError(f"{name} must be {need}, got {s}")
        return v
    parse.__name__ = name
    return parse


def _add_train_args(p: argparse.ArgumentParser) -> None:
    pf = _positive(float, "value", allow_zero=True)
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--model", choices=MODELS, default=None,
                   help="default: cnn for digits, mlp for the 2-D datasets")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="default: adam")
    p.add_argument("--lr", type=_positive(float, "learning rate"), default=None)
    p.add_argument("--momentum", type=pf, default=0.9, help="momentum/nesterov (default 0.9)")
    p.add_argument("--betas", type=pf, nargs=2, default=(0.9, 0.999), help="adam/adamw")
    p.add_argument("--eps", type=_positive(float, "eps"), default=None)
    p.add_argument("--alpha", type=pf, default=0.99, help="rmsprop smoothing (default 0.99)")
    p.add_argument("--rho", type=pf, default=0.9, help="adadelta decay (default 0.9)")
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule, stepped per epoch (default: polynomial, "
                        "i.e. linear decay to 0, for digits; none for the 2-D datasets)")
    p.add_argument("--gamma", type=pf, default=None,
                   help="decay factor of step/exponential/plateau (0.5 / 0.9 / 0.5)")
    p.add_argument("--step-size", type=_positive(int, "step size"), default=None,
                   help="epochs between decays for --schedule step")
    p.add_argument("--milestones", type=_positive(int, "milestone"), nargs="+", default=None,
                   help="epochs where --schedule piecewise divides the lr by 10")
    p.add_argument("--power", type=pf, default=1.0, help="polynomial decay power")
    p.add_argument("--epochs", type=_positive(int, "epochs"), default=None)
    p.add_argument("--batch-size", type=_positive(int, "batch size"), default=None)
    p.add_argument("--weight-decay", type=pf, default=0.0)
    p.add_argument("--l1", type=pf, default=0.0, help="L1 penalty on weights, added to the loss")
    p.add_argument("--l2", type=pf, default=0.0, help="L2 penalty on weights, added to the loss")
    p.add_argument("--dropout", type=_dropout, default=None)
    p.add_argument("--label-smoothing", type=_unit("label smoothing"), default=None,
                   help="of the training loss (default: 0.1 for digits, 0 otherwise)")
    p.add_argument("--hidden", type=_positive(int, "hidden size"), default=64,
                   help="MLP hidden width")
    p.add_argument("--early-stopping", type=_positive(int, "patience"), default=None,
                   metavar="PATIENCE", help="stop after PATIENCE epochs without a better val loss")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("runs/latest"))
    p.add_argument("--resume", type=Path, default=None, metavar="CKPT")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--no-graph", action="store_true", help="do not draw the model graph")


def _unit(name: str):
    """A float in [0, 1)."""
    def parse(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {s!r}") from None
        if not 0 <= v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be in [0, 1), got {s}")
        return v
    parse.__name__ = name
    return parse


_dropout = _unit("dropout")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tapegrad", description="Train, draw and gradient-check tapegrad models.")
    sub = p.add_subparsers(dest="command", metavar="{train,graph,gradcheck,demo}")
    sub.required = True

    t = sub.add_parser("train", help="train a model on a built-in dataset")
    _add_train_args(t)

    g = sub.add_parser("graph", help="draw a model's or an expression's graph")
    g.add_argument("expression", nargs="?", default=None,
                   help='e.g. "tanh(x * w + b)"; names, numbers, + - * / ** @ and '
                        f"the functions {', '.join(sorted(EXPR_FUNCS))}")
    g.add_argument("--values", nargs="*", default=[], metavar="NAME=VALUE",
                   help="x=0.5 w=-2 or v=[1,2,3] (unset names get seeded random values)")
    g.add_argument("--model", choices=MODELS, default=None)
    g.add_argument("--dataset", choices=DATASETS, default=None,
                   help="the input shape for --model (default: digits for cnn/resnet)")
    g.add_argument("--out", type=Path, default=Path("graph.svg"),
                   help=".svg, .png, .pdf (needs Graphviz's dot) or .dot")
    g.add_argument("--no-backward", action="store_true", help="no backward pass (no grads)")
    g.add_argument("--collapse", action="store_true", help="one box per module (models)")
    g.add_argument("--rankdir", choices=("LR", "TB", "BT", "RL"), default=None)
    g.add_argument("--seed", type=int, default=0)

    c = sub.add_parser("gradcheck", help="gradcheck every registered op, or a model")
    c.add_argument("--ops", nargs="*", default=None, help="only these ops")
    c.add_argument("--first-sample", action="store_true",
                   help="only the first sample per op (default: every sample in tests/op_db.py)")
    c.add_argument("--no-gradgrad", action="store_true", help="skip gradgradcheck")
    c.add_argument("--model", choices=MODELS, default=None)
    c.add_argument("--dataset", choices=DATASETS, default=None)
    c.add_argument("--max-elements", type=_positive(int, "max elements"), default=48,
                   help="elements checked per parameter with --model")
    c.add_argument("--seed", type=int, default=0)

    d = sub.add_parser("demo", help="what `make demo` runs: train digits, draw, gradcheck")
    d.add_argument("--out", type=Path, default=Path("demo_out"))
    d.add_argument("--epochs", type=_positive(int, "epochs"), default=None)
    d.add_argument("--no-progress", action="store_true")
    d.add_argument("--docs", type=Path, default=None, metavar="DIR",
                   help="also copy the pictures the README shows into DIR (docs/demo)")
    return p


# --------------------------------------------------------------------------- 2. data
def _split(X: np.ndarray, y: np.ndarray, seed: int, test: float = 0.2, val: float = 0.1):
    """Shuffled train/val/test split (stratification is not needed at these sizes)."""
    rng = np.random.default_rng(seed + 1000)
    idx = rng.permutation(len(X))
    n_test, n_val = int(round(test * len(X))), int(round(val * len(X)))
    te, va, tr = idx[:n_test], idx[n_test:n_test + n_val], idx[n_test + n_val:]
    return (X[tr], y[tr]), (X[va], y[va]), (X[te], y[te])


def _two_d(name: str, n: int, noise: float, rng: np.random.Generator):
    """The 2-D toy datasets, generated here when nn.data does not provide them."""
    if name == "xor":
        X = rng.uniform(-1, 1, (n, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
        X = X + noise * 0.5 * rng.standard_normal(X.shape)
    elif name == "moons":
        k = n // 2
        t1, t2 = rng.uniform(0, np.pi, k), rng.uniform(0, np.pi, n - k)
        X = np.concatenate([np.c_[np.cos(t1), np.sin(t1)],
                            np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]])
        y = np.r_[np.zeros(k), np.ones(n - k)].astype(np.int64)
        X = X + noise * rng.standard_normal(X.shape)
    elif name == "circles":
        k = n // 2
        t = rng.uniform(0, 2 * np.pi, n)
        r = np.r_[np.ones(k), 0.5 * np.ones(n - k)]
        X = np.c_[r * np.cos(t), r * np.sin(t)] + noise * 0.5 * rng.standard_normal((n, 2))
        y = np.r_[np.zeros(k), np.ones(n - k)].astype(np.int64)
    elif name == "spirals":
        k = n // 2
        t = np.sqrt(rng.uniform(0.05, 1, n)) * 3 * np.pi
        sign = np.r_[np.ones(k), -np.ones(n - k)]
        X = np.c_[sign * t * np.cos(t), sign * t * np.sin(t)] / (3 * np.pi)
        X = X + noise * 0.3 * rng.standard_normal(X.shape)
        y = np.r_[np.zeros(k), np.ones(n - k)].astype(np.int64)
    else:  # pragma: no cover - argparse choices guard this
        raise CLIError(f"unknown dataset {name!r}")
    return X.astype(np.float32), y


def _call_loader(fn: Callable, **kw):
    """Call an nn.data loader with whichever of the keywords it accepts."""
    try:
        params = inspect.signature(fn).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            kw = {k: v for k, v in kw.items() if k in params}
    except (TypeError, ValueError):
        kw = {}
    out = fn(**kw)
    if hasattr(out, "tensors"):         # a TensorDataset
        out = out.tensors
    X, y = out[0], out[1]
    return np.asarray(X, dtype=np.float32), np.asarray(y).astype(np.int64)


def load_dataset(name: str, seed: int):
    """(X, y, n_classes, input shape) for a built-in dataset; digits as (N, 1, 8, 8)."""
    try:
        import nn.data as D
    except Exception:  # noqa: BLE001 - nn.data not there yet: the 2-D sets are generated here
        D = None
    X = y = None
    for fname in (f"load_{name}", f"make_{name}", name):
        fn = getattr(D, fname, None) if D is not None else None
        if callable(fn):
            X, y = _call_loader(fn, n=800, n_samples=800, seed=seed, random_state=seed)
            break
    if X is None:
        if name == "digits":
            raise CLIError("the digits dataset needs nn.data (load_digits), which is not "
                           "available in this checkout")
        X, y = _two_d(name, 800, 0.1, np.random.default_rng(seed))
    if name == "digits":
        X = X.reshape(len(X), 1, 8, 8)
        if X.max() > 1.5:               # raw 0..16 pixel counts
            X = X / 16.0
    n_classes = int(y.max()) + 1
    return X.astype(np.float32), y, n_classes, X.shape[1:]


# --------------------------------------------------------------------------- 3. models
def build_model(kind: str, in_shape: Tuple[int, ...], n_classes: int, dropout: float = 0.0,
                hidden: int = 64):
    """mlp: nn.models.mlp (two hidden layers); cnn: nn.models.DigitsCNN (conv, Inception,
    residual); resnet: nn.models.DigitsResNet (deeper). Built here from nn layers when
    nn.models lacks one."""
    import nn

    try:
        import nn.models as M
    except Exception:  # noqa: BLE001
        M = None
    flat = int(np.prod(in_shape))
    if kind == "mlp":
        sizes = [flat, hidden, hidden, n_classes]
        if M is not None and hasattr(M, "mlp"):
            body = M.mlp(sizes, dropout=dropout)
        else:
            body = nn.Sequential(
                nn.Linear(flat, hidden), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(hidden, n_classes))
        return nn.Sequential(nn.Flatten(), body) if len(in_shape) > 1 else body
    if len(in_shape) != 3:
        raise CLIError(f"--model {kind} needs image data (--dataset digits)")
    c, h, w = in_shape
    cls = getattr(M, {"cnn": "DigitsCNN", "resnet": "DigitsResNet"}[kind], None) \
        if M is not None else None
    if cls is not None and (c, h, w) == (1, 8, 8):
        return cls(num_classes=n_classes, dropout=dropout)
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),        # (B, 16, 4, 4)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),       # (B, 32, 2, 2)
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(32 * (h // 4) * (w // 4), n_classes))
    return _ResNet(c, h, w, n_classes, dropout)


def _ResNet(c, h, w, n_classes, dropout):
    """A small Inception + residual CNN from nn layers (used when nn.models has none)."""
    import nn

    class Inception(nn.Module):
        """Parallel 1x1, 3x3 and pooled branches, concatenated on channels."""

        def __init__(self, cin, each):
            super().__init__()
            self.b1 = nn.Conv2d(cin, each, 1)
            self.b3 = nn.Conv2d(cin, each, 3, padding=1)
            self.bp = nn.Conv2d(cin, each, 1)
            self.pool = nn.AvgPool2d(3, stride=1, padding=1)

        def forward(self, x):
            import autograd as ag
            return ag.cat([self.b1(x).relu(), self.b3(x).relu(), self.bp(self.pool(x)).relu()],
                          1)

    class Residual(nn.Module):
        """x + conv(relu(conv(x)))."""

        def __init__(self, ch):
            super().__init__()
            self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
            self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

        def forward(self, x):
            return (x + self.c2(self.c1(x).relu())).relu()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(c, 12, 3, padding=1)
            self.inception = Inception(12, 8)                               # (B, 24, 8, 8)
            self.pool = nn.MaxPool2d(2)                                     # (B, 24, 4, 4)
            self.res = Residual(24)
            self.flatten = nn.Flatten()
            self.drop = nn.Dropout(dropout)
            self.fc = nn.Linear(24 * (h // 2) * (w // 2), n_classes)

        def forward(self, x):
            x = self.stem(x).relu()
            x = self.pool(self.inception(x))
            x = self.res(x)
            return self.fc(self.drop(self.flatten(x)))

    return Net()


# --------------------------------------------------------------------------- 4. training
def make_optimizer(args, params):
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


def make_scheduler(args, opt):
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
        for name in ("PiecewiseConstantLR", "PiecewiseLR", "PiecewiseConstant"):
            cls = getattr(S, name, None)
            if cls is not None:
                try:
                    return cls(opt, boundaries=ms,
                               values=[args.lr * 0.1 ** i for i in range(len(ms) + 1)])
                except TypeError:
                    break
        return S.MultiStepLR(opt, milestones=ms, gamma=args.gamma or 0.1)
    if s == "plateau":
        return S.ReduceLROnPlateau(opt, mode="min", factor=args.gamma or 0.5, patience=2)
    raise CLIError(f"unknown schedule {s!r}")  # pragma: no cover


def _current_lr(opt) -> float:
    return float(opt.param_groups[0]["lr"])


def _penalty(model, l1: float, l2: float):
    """L1/L2 on weights (not biases or norm parameters), as a term of the loss."""
    terms = None
    for name, p in model.named_parameters():
        if p.ndim < 2:
            continue
        t = 0.0
        if l1:
            t = t + l1 * p.abs().sum()
        if l2:
            t = t + l2 * (p * p).sum()
        terms = t if terms is None else terms + t
    return terms


def _batches(n: int, bs: int, rng: Optional[np.random.Generator]):
    idx = rng.permutation(n) if rng is not None else np.arange(n)
    for i in range(0, n, bs):
        yield idx[i:i + bs]


def evaluate(model, X, y, bs: int = 512) -> Tuple[float, float, np.ndarray]:
    """(mean loss, accuracy, predictions) without recording a graph."""
    import autograd as ag
    import nn

    model.eval()
    lossf = nn.CrossEntropyLoss(reduction="sum")
    total, preds = 0.0, []
    with ag.no_grad():
        for b in _batches(len(X), bs, None):
            out = model(ag.tensor(X[b]))
            total += float(lossf(out, ag.tensor(y[b])).item())
            preds.append(np.asarray(out.data).argmax(1))
    pred = np.concatenate(preds) if preds else np.zeros(0, np.int64)
    return total / max(1, len(X)), float((pred == y).mean()) if len(y) else 0.0, pred


def _progress(total: int, desc: str, disable: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=disable, unit="batch",
                dynamic_ncols=True)


def _resolve_defaults(args) -> None:
    d = DEFAULTS[args.dataset]
    for k in ("model", "optimizer", "lr", "epochs", "batch_size", "schedule",
              "label_smoothing"):
        if getattr(args, k, None) is None:
            setattr(args, k, d[k])
    if args.dropout is None:
        args.dropout = 0.0


def _load_checkpoint(path: Path) -> Dict[str, Any]:
    import nn

    if not path.is_file():
        raise CLIError(f"cannot read checkpoint {path}: no such file")
    try:
        ckpt = nn.load(str(path))
    except Exception as e:  # noqa: BLE001 - any failure is "unreadable"
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CLIError(f"cannot read checkpoint {path}: {msg}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CLIError(f"cannot read checkpoint {path}: not a tapegrad train checkpoint")
    return ckpt


def _meta_path(ckpt: Path) -> Path:
    return ckpt.with_suffix(ckpt.suffix + ".json")


def train(args) -> Dict[str, Any]:
    """`tapegrad train`: returns the metrics it also writes to OUT/metrics.json."""
    import autograd as ag
    import nn

    resume = None
    if args.resume is not None:
        resume = _load_checkpoint(args.resume)
        meta = {}
        if _meta_path(args.resume).is_file():
            try:
                meta = json.loads(_meta_path(args.resume).read_text())
            except (OSError, ValueError):
                meta = {}
        cfg = meta.get("config", {})
        for k in ("dataset", "model", "hidden", "dropout", "seed"):
            if k in cfg and (k in ("dataset", "model", "hidden") or getattr(args, k) is None):
                setattr(args, k, cfg[k])
    _resolve_defaults(args)

    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"cannot create output folder {out}: {e.strerror}") from None

    ag.manual_seed(args.seed)
    np.random.seed(args.seed)
    X, y, n_classes, in_shape = load_dataset(args.dataset, args.seed)
    (Xtr, ytr), (Xva, yva), (Xte, yte) = _split(X, y, args.seed)
    model = build_model(args.model, in_shape, n_classes, args.dropout, args.hidden)
    opt = make_optimizer(args, model.parameters())
    sched = make_scheduler(args, opt)
    start_epoch, history = 0, []
    if resume is not None:
        try:
            model.load_state_dict(resume["model"])
            if "optimizer" in resume:
                opt.load_state_dict(resume["optimizer"])
                # the optimizer's state (moments, step counts) continues; its learning
                # rate restarts from --lr and this run's schedule (a decayed schedule
                # ends at 0, which would freeze a resumed run)
                for g in opt.param_groups:
                    g["lr"] = args.lr
        except Exception as e:  # noqa: BLE001
            raise CLIError(f"checkpoint {args.resume} does not fit --model {args.model}: "
                           f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        start_epoch = int(np.asarray(resume.get("epoch", 0)))
        if _meta_path(args.resume).is_file():
            try:
                history = json.loads(_meta_path(args.resume).read_text()).get("history", [])
            except (OSError, ValueError):
                history = []

    lossf = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    quiet = args.no_progress or not sys.stderr.isatty() or "PYTEST_CURRENT_TEST" in os.environ
    rng = np.random.default_rng(args.seed)
    best = (math.inf, None, start_epoch)     # (val loss, state, epoch)
    stale = 0
    t0 = time.time()
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    print(f"tapegrad train: {args.dataset} ({len(Xtr)} train / {len(Xva)} val / {len(Xte)} "
          f"test), {args.model} ({n_params:,} parameters), {args.optimizer} lr={args.lr:g}, "
          f"{args.epochs} epochs of batch {args.batch_size}", flush=True)
    stopped_early = False
    for epoch in range(start_epoch + 1, start_epoch + args.epochs + 1):
        model.train()
        bar = _progress((len(Xtr) + args.batch_size - 1) // args.batch_size,
                        f"epoch {epoch}/{start_epoch + args.epochs}", quiet)
        seen = correct = 0
        loss_sum = 0.0
        for b in _batches(len(Xtr), args.batch_size, rng):
            xb, yb = ag.tensor(Xtr[b]), ag.tensor(ytr[b])
            logits = model(xb)
            loss = lossf(logits, yb)
            reg = _penalty(model, args.l1, args.l2) if (args.l1 or args.l2) else None
            total = loss + reg if reg is not None else loss
            opt.zero_grad()
            total.backward()
            opt.step()
            seen += len(b)
            loss_sum += float(loss.item()) * len(b)
            correct += int((np.asarray(logits.data).argmax(1) == ytr[b]).sum())
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}",
                            refresh=False)
            bar.update(1)
        bar.close()
        va_loss, va_acc, _ = evaluate(model, Xva, yva)
        row = dict(epoch=epoch, lr=_current_lr(opt), train_loss=loss_sum / seen,
                   train_acc=correct / seen, val_loss=va_loss, val_acc=va_acc)
        history.append(row)
        if sched is not None:
            if args.schedule == "plateau":
                sched.step(va_loss)
            else:
                sched.step()
        print(f"epoch {epoch:3d}  lr {row['lr']:.2e}  train loss {row['train_loss']:.4f} "
              f"acc {row['train_acc']:.4f}  val loss {va_loss:.4f} acc {va_acc:.4f}", flush=True)
        if va_loss < best[0] - 1e-6:
            state = {k: np.array(np.asarray(v), copy=True)
                     for k, v in model.state_dict().items()} if args.early_stopping else None
            best, stale = (va_loss, state, epoch), 0
        else:
            stale += 1
            if args.early_stopping and stale >= args.early_stopping:
                print(f"early stopping: no better val loss for {stale} epochs; restoring "
                      f"epoch {best[2]}", flush=True)
                stopped_early = True
                break
    if args.early_stopping and best[1] is not None:
        model.load_state_dict(best[1])
    seconds = time.time() - t0
    last_epoch = history[-1]["epoch"] if history else start_epoch

    te_loss, te_acc, te_pred = evaluate(model, Xte, yte)
    tr_loss, tr_acc, _ = evaluate(model, Xtr, ytr)
    va_loss, va_acc, _ = evaluate(model, Xva, yva)

    ckpt = out / "checkpoint.tg"
    nn.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "epoch": np.array(last_epoch)}, str(ckpt))
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k not in ("func", "command")}
    config["betas"] = list(config.get("betas", ()))
    metrics = dict(dataset=args.dataset, model=args.model, parameters=n_params,
                   epochs=len(history), last_epoch=last_epoch, stopped_early=stopped_early,
                   seconds=round(seconds, 2), train_loss=tr_loss, train_acc=tr_acc,
                   val_loss=va_loss, val_acc=va_acc, test_loss=te_loss, test_acc=te_acc,
                   history=history, config=config, files={})
    _meta_path(ckpt).write_text(json.dumps({"config": config, "history": history}, indent=1))

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
        g = draw_model_graph(model, lossf, Xte[:2], yte[:2], out / "graph.svg")
        if g is not None:
            files["graph"] = g
    metrics["files"] = {k: str(v) for k, v in files.items()}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    files["metrics"] = out / "metrics.json"

    print()
    print(_table([("", "loss", "accuracy"),
                  ("train", f"{tr_loss:.4f}", f"{tr_acc:.4f}"),
                  ("val", f"{va_loss:.4f}", f"{va_acc:.4f}"),
                  ("test", f"{te_loss:.4f}", f"{te_acc:.4f}")]))
    print(f"{len(history)} epochs in {seconds:.1f} s; wrote:")
    for k, v in files.items():
        print(f"  {k:18s} {v}")
    return metrics


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = ["+" + line + "+"]
    for j, r in enumerate(rows):
        out.append("| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                     for i, (c, w) in enumerate(zip(r, widths))) + " |")
        if j == 0:
            out.append("+" + line + "+")
    out.append("+" + line + "+")
    return "\n".join(out)


# --------------------------------------------------------------------------- 5. pictures
def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_curves(history: List[Dict[str, float]], path: Path,
                label_smoothing: float = 0.0) -> Path:
    """Loss and accuracy per epoch. The train loss is the training objective, averaged
    over the epoch's batches (label-smoothed when training used label smoothing, so it
    sits above the plain cross-entropy of the val curve)."""
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for a in (a1, a2):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    train_label = (f"train (label smoothing {label_smoothing:g})" if label_smoothing
                   else "train")
    a1.plot(ep, [h["train_loss"] for h in history], "o-", ms=3, label=train_label)
    a1.plot(ep, [h["val_loss"] for h in history], "o-", ms=3, label="val")
    a1.set_xlabel("epoch"); a1.set_ylabel("cross-entropy"); a1.set_title("loss"); a1.legend()
    a2.plot(ep, [h["train_acc"] for h in history], "o-", ms=3, label="train")
    a2.plot(ep, [h["val_acc"] for h in history], "o-", ms=3, label="val")
    a2.set_xlabel("epoch"); a2.set_title("accuracy"); a2.legend()
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return path


def plot_boundary(model, X, y, path: Path, title: str) -> Path:
    import autograd as ag

    plt = _plt()
    lo, hi = X.min(0) - 0.3, X.max(0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    model.eval()
    with ag.no_grad():
        logits = np.asarray(model(ag.tensor(grid)).data)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p = (p / p.sum(1, keepdims=True))[:, 1].reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.contourf(gx, gy, p, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=8, edgecolors="k", linewidths=0.2)
    ax.set_title(title); fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return path


def plot_confusion(y, pred, n: int, path: Path, acc: float) -> Path:
    plt = _plt()
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(cm, cmap="Blues")
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8,
                        color="w" if cm[i, j] > cm.max() / 2 else "k")
    ax.set_xlabel("predicted"); ax.set_ylabel("true"); ax.set_xticks(range(n))
    ax.set_yticks(range(n)); ax.set_title(f"test confusion matrix (accuracy {acc:.3f})")
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return path


def _viz():
    try:
        from autograd import viz
    except Exception:  # noqa: BLE001 - the exporter is optional at this point
        return None
    return viz


def _kw_for(fn: Callable, **kw) -> Dict[str, Any]:
    """The keywords ``fn`` accepts (the exporter's options are probed, not assumed)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return kw
    return {k: v for k, v in kw.items() if k in params and v is not None}


def render(roots, path: Path, **options) -> Optional[Path]:
    """Draw ``roots`` with autograd.viz to ``path`` (.svg/.png/.pdf, or .dot without
    Graphviz's binaries). Returns the written path, or None when the exporter is missing."""
    viz = _viz()
    if viz is None:
        print("  (graph skipped: autograd.viz is not available in this checkout)")
        return None
    fmt = path.suffix.lstrip(".").lower() or "svg"
    if fmt != "dot" and shutil.which("dot") is None:
        print("  (Graphviz's `dot` is not installed: writing the .dot source instead; "
              "`make dot` installs it)")
        path, fmt = path.with_suffix(".dot"), "dot"
    if fmt == "dot":
        path.write_text(viz.to_dot(roots, **_kw_for(viz.to_dot, **options)))
        return path
    g = viz.draw(roots, **_kw_for(viz.draw, **options))
    written = g.render(str(path.with_suffix("")), format=fmt, cleanup=True)
    return Path(written)


def draw_model_graph(model, lossf, X, y, path: Path) -> Optional[Path]:
    """The model's loss graph, collapsed by module, with the gradients of one backward."""
    import autograd as ag

    viz = _viz()
    model.eval()
    loss = lossf(model(ag.tensor(X)), ag.tensor(y))
    if viz is not None and hasattr(viz, "record"):
        viz.record(loss)            # backward keeping every node's gradient for the colours
    else:
        loss.backward(retain_graph=True)
    written = render(loss, path, collapse=True, names=model, show_grads=True,
                     grad_health=True, rankdir="TB",
                     title=f"{type(model).__name__}: loss of {len(X)} test images, collapsed "
                           f"by module, coloured by mean |grad|")
    model.zero_grad()               # the trained model's .grad is not left dirty
    return written


def _accepts_name(fn) -> bool:
    try:
        inspect.signature(fn).bind("x")
        return True
    except (TypeError, ValueError):
        return False


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


# --------------------------------------------------------------------------- 6. graph
EXPR_FUNCS = {"exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
              "leaky_relu", "elu", "gelu", "silu", "swish", "softplus", "abs", "sum", "mean",
              "max", "min", "softmax", "log_softmax", "logsumexp", "maximum", "minimum",
              "square", "matmul", "dot", "erf"}
_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b, ast.MatMult: lambda a, b: a @ b}
_UNOPS = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


def parse_expression(src: str) -> ast.Expression:
    """Parse with ``ast`` and allow only names, numbers, arithmetic and EXPR_FUNCS calls;
    nothing is ever passed to eval."""
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        raise CLIError(f"cannot parse expression {src!r}: {e.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            if isinstance(node, ast.operator) and type(node) not in _BINOPS:
                raise CLIError(f"operator {type(node).__name__} is not allowed in expressions")
            if isinstance(node, ast.unaryop) and type(node) not in _UNOPS:
                raise CLIError(f"operator {type(node).__name__} is not allowed in expressions")
            continue
        if isinstance(node, ast.BinOp) or isinstance(node, ast.UnaryOp):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            continue
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise CLIError(f"name {node.id!r} is not allowed in expressions")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in EXPR_FUNCS:
                what = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise CLIError(f"function {what!r} is not allowed; use one of "
                               f"{', '.join(sorted(EXPR_FUNCS))}")
            if node.keywords:
                raise CLIError("keyword arguments are not allowed in expressions")
            continue
        raise CLIError(f"{type(node).__name__} is not allowed in expressions "
                       f"(only names, numbers, + - * / ** @ and function calls)")
    return tree


def expression_names(tree: ast.Expression) -> List[str]:
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = []
    for n in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name)),
                    key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(n, ast.Name) and id(n) not in called and n.id not in names:
            names.append(n.id)
    return names


def evaluate_expression(tree: ast.Expression, env: Dict[str, Any]):
    import autograd as ag

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNOPS[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Call):
            fn = getattr(ag, node.func.id)
            return fn(*[ev(a) for a in node.args])
        raise CLIError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    try:
        return ev(tree)
    except CLIError:
        raise
    except Exception as e:  # noqa: BLE001 - shape errors etc. from the user's expression
        raise CLIError(f"cannot evaluate expression: {str(e).splitlines()[0]}") from None


def parse_values(items: Sequence[str]) -> Dict[str, np.ndarray]:
    vals = {}
    for item in items:
        for part in _split_values(item):
            if "=" not in part:
                raise CLIError(f"--values wants NAME=VALUE, got {part!r}")
            k, v = part.split("=", 1)
            k = k.strip()
            if not k.isidentifier():
                raise CLIError(f"--values: {k!r} is not a name")
            try:
                val = ast.literal_eval(v.strip())
                arr = np.asarray(val, dtype=np.float64)
            except (ValueError, SyntaxError, TypeError):
                raise CLIError(f"--values: {k}={v} is not a number or a list of numbers") \
                    from None
            vals[k] = arr
    return vals


def _split_values(item: str) -> List[str]:
    """'x=0.5,w=[1,2],b=1' -> ['x=0.5', 'w=[1,2]', 'b=1'] (commas inside [] kept)."""
    out, depth, cur = [], 0, ""
    for ch in item:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [s for s in (o.strip() for o in out) if s]


def graph_command(args) -> int:
    import autograd as ag

    if (args.expression is None) == (args.model is None):
        raise CLIError("give either an expression or --model")
    options = dict(rankdir=args.rankdir, show_grads=not args.no_backward)
    if args.expression is not None:
        tree = parse_expression(args.expression)
        vals = parse_values(args.values)
        rng = np.random.default_rng(args.seed)
        env = {}
        for n in expression_names(tree):
            v = vals[n] if n in vals else np.round(rng.standard_normal(), 3)
            with ag.name_scope(n) if _accepts_name(ag.name_scope) else _null():
                env[n] = ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
            _set_name(env[n], n)
        out = evaluate_expression(tree, env)
        if not isinstance(out, ag.Tensor):
            raise CLIError("the expression does not depend on any variable")
        print(f"{args.expression} = {np.asarray(out.data).round(6).tolist()}")
        for n, t in env.items():
            print(f"  {n} = {np.asarray(t.data).round(6).tolist()}")
        if not args.no_backward and out.requires_grad:
            (out.sum() if out.ndim else out).backward(retain_graph=True)
            for n, t in env.items():
                if t.grad is not None:
                    print(f"  d/d{n} = {np.asarray(t.grad.data).round(6).tolist()}")
        path = render(out, args.out, **options)
    else:
        import nn

        dataset = args.dataset or ("digits" if args.model != "mlp" else "moons")
        if dataset == "digits":
            in_shape, n_classes = (1, 8, 8), 10
        else:
            in_shape, n_classes = (2,), 2
        if args.model != "mlp" and len(in_shape) != 3:
            raise CLIError(f"--model {args.model} needs --dataset digits")
        ag.manual_seed(args.seed)
        model = build_model(args.model, in_shape, n_classes)
        model.eval()
        x = ag.tensor(np.random.default_rng(args.seed).standard_normal((2,) + in_shape)
                      .astype(np.float32))
        loss = nn.CrossEntropyLoss()(model(x), ag.tensor(np.array([0, 1])))
        if not args.no_backward:
            loss.backward(retain_graph=True)
        options.update(collapse=args.collapse or None, model=model, module=model,
                       modules=model)
        path = render(loss, args.out, **options)
    if path is not None:
        print(f"wrote {path}")
    return 0


def _set_name(t, name: str) -> None:
    for attr in ("name",):
        try:
            setattr(t, attr, name)
        except (AttributeError, TypeError):
            pass


# --------------------------------------------------------------------------- 7. gradcheck
def _op_db():
    """The op samples shipped in ``autograd.testing`` (every registered op)."""
    from autograd.testing import OP_DB

    return OP_DB


def _builtin_cases():
    """One sample per common op, for installs without tests/op_db.py: (name, fn, inputs,
    smooth)."""
    import autograd as ag

    r = np.random.default_rng(0)
    u = lambda *s: r.uniform(-2, 2, s)            # noqa: E731
    p = lambda *s: r.uniform(0.5, 2, s)           # noqa: E731
    off = lambda *s: np.where(np.abs(a := u(*s)) < 0.1, 0.5, a)  # noqa: E731
    cases = [
        ("add", lambda a, b: a + b, [u(2, 3), u(3)], True),
        ("sub", lambda a, b: a - b, [u(2, 3), u(2, 1)], True),
        ("mul", lambda a, b: a * b, [u(2, 3), u(2, 3)], True),
        ("div", lambda a, b: a / b, [u(2, 3), p(2, 3)], True),
        ("pow", lambda a, b: a ** b, [p(2, 3), u(2, 3)], True),
        ("neg", lambda a: -a, [u(3)], True),
        ("exp", ag.exp, [u(3)], True), ("log", ag.log, [p(3)], True),
        ("log1p", ag.log1p, [p(3)], True), ("sqrt", ag.sqrt, [p(3)], True),
        ("sin", ag.sin, [u(3)], True), ("cos", ag.cos, [u(3)], True),
        ("tanh", ag.tanh, [u(3)], True), ("sigmoid", ag.sigmoid, [u(3)], True),
        ("softplus", ag.softplus, [u(3)], True), ("gelu", ag.gelu, [u(3)], True),
        ("silu", ag.silu, [u(3)], True), ("elu", ag.elu, [off(3)], False),
        ("relu", ag.relu, [off(3)], False), ("leaky_relu", ag.leaky_relu, [off(3)], False),
        ("abs", ag.abs, [off(3)], False),
        ("sum", lambda a: a.sum(1), [u(2, 3)], True),
        ("mean", lambda a: a.mean(0), [u(2, 3)], True),
        ("max", lambda a: a.max(1)[0], [np.arange(6.0).reshape(2, 3) * 0.7], False),
        ("prod", lambda a: a.prod(1), [p(2, 3)], True),
        ("logsumexp", lambda a: a.logsumexp(1), [u(2, 3)], True),
        ("softmax", lambda a: a.softmax(1), [u(2, 3)], True),
        ("log_softmax", lambda a: a.log_softmax(1), [u(2, 3)], True),
        ("var", lambda a: a.var(1), [u(2, 3)], True),
        ("matmul", lambda a, b: a @ b, [u(2, 3), u(3, 4)], True),
        ("reshape", lambda a: a.reshape(3, 2), [u(2, 3)], True),
        ("transpose", lambda a: a.transpose(0, 1), [u(2, 3)], True),
        ("getitem", lambda a: a[:, [0, 0, 2]], [u(2, 3)], True),
        ("cat", lambda a, b: ag.cat([a, b], 0), [u(2, 3), u(1, 3)], True),
        ("where", lambda a, b: ag.where(ag.tensor(np.array([True, False, True])), a, b),
         [u(3), u(3)], True),
        ("conv2d", lambda x, w: ag.conv2d(x, w, padding=1), [u(1, 2, 4, 4), u(3, 2, 3, 3)],
         True),
        ("max_pool2d", lambda x: ag.max_pool2d(x, 2), [r.permutation(32).reshape(1, 2, 4, 4)
                                                        * 0.3], False),
    ]
    return cases


def _cases_from_op_db(db, only, all_samples: bool):
    out = []
    for name, entry in db.items():
        if only and name not in only:
            continue
        if not entry.differentiable:
            continue
        picked = [s for s in entry.samples if s.grad and s.diff_positions() and not s.edge]
        if not all_samples:
            picked = picked[:1]
        for i, s in enumerate(picked):
            def f(*ts, _e=entry, _s=s):
                return _e.run(_s, ts)
            f.__name__ = name
            ins = []
            diff = set(s.diff_positions())
            for j, a in enumerate(s.inputs):
                ins.append((np.array(a, dtype=np.float64 if a.dtype.kind == "f" else a.dtype),
                            j in diff))
            out.append((name, f, ins,
                        entry.smooth and s.gradgrad, s.eps, s.fast))
    return out


def gradcheck_ops(args) -> int:
    """gradcheck (and gradgradcheck for smooth ops) of every sample of every registered
    differentiable op; one table row per op with the worst errors over its samples."""
    import autograd as ag

    db = _op_db()
    only = set(args.ops) if args.ops else None
    if db is not None:
        cases = _cases_from_op_db(db, only, not args.first_sample)
        source = "tests/op_db.py"
    else:
        cases = [(n, f, [(np.asarray(a, np.float64), np.asarray(a).dtype.kind == "f")
                         for a in ins], smooth, 1e-6, False)
                 for n, f, ins, smooth in _builtin_cases() if not only or n in only]
        source = "built-in samples"
    if only:
        missing = sorted(only - {c[0] for c in cases})
        if missing:
            raise CLIError(f"no gradcheck sample for op(s) {', '.join(missing)}")
    n_ops = len({c[0] for c in cases})
    print(f"gradcheck of {n_ops} ops on {len(cases)} samples from {source} (float64, "
          f"central differences)", flush=True)
    agg: Dict[str, Dict[str, Any]] = {}
    t0 = time.time()
    for name, f, ins, smooth, eps, fast in cases:
        a = agg.setdefault(name, dict(n=0, abs=0.0, rel=0.0, ok=True, gg=None))
        a["n"] += 1

        def tensors():
            return [ag.tensor(x.copy(), requires_grad=True) if d else ag.tensor(x.copy())
                    for x, d in ins]
        with np.errstate(all="ignore"):
            try:
                rep = ag.gradcheck(f, tensors(), eps=eps, raise_exception=False, fast_mode=fast)
                a["ok"] &= bool(rep.ok)
                a["abs"] = max(a["abs"], rep.max_abs_err)
                a["rel"] = max(a["rel"], rep.max_rel_err)
                if not rep.ok:
                    print(f"  {name}: {rep.describe()}")
            except Exception as e:  # noqa: BLE001 - report and go on
                a["ok"] = False
                print(f"  {name}: {type(e).__name__}: {_first_line(e)}")
            if smooth and not args.no_gradgrad:
                try:
                    rep2 = ag.gradgradcheck(f, tensors(), eps=eps, raise_exception=False,
                                            fast_mode=fast)
                    a["gg"] = bool(rep2.ok) and a["gg"] is not False
                    if not rep2.ok:
                        print(f"  {name} (second derivatives): {rep2.describe()}")
                except Exception as e:  # noqa: BLE001
                    a["gg"] = False
                    print(f"  {name} (second derivatives): {type(e).__name__}: "
                          f"{_first_line(e)}")
    rows = [("op", "samples", "max abs err", "max rel err", "gradcheck", "gradgradcheck")]
    failed = 0
    for name, a in agg.items():
        bad = not a["ok"] or a["gg"] is False
        failed += bad
        rows.append((name, str(a["n"]), f"{a['abs']:.2e}", f"{a['rel']:.2e}",
                     "pass" if a["ok"] else "FAIL",
                     "-" if a["gg"] is None else ("pass" if a["gg"] else "FAIL")))
    print(_table(rows))
    n_gg = sum(a["gg"] is not None for a in agg.values())
    print(f"{len(agg) - failed}/{len(agg)} ops passed ({n_gg} also gradgradchecked) in "
          f"{time.time() - t0:.1f} s")
    return 1 if failed else 0


def _first_line(e: BaseException) -> str:
    s = str(e)
    return s.splitlines()[0] if s else type(e).__name__


def gradcheck_model(args) -> int:
    """A model's loss end to end: analytical gradients of every parameter (one backward)
    against central differences on up to --max-elements elements per parameter, in
    float64; then autograd.viz.blame names suspicious nodes when it exists."""
    import autograd as ag
    import nn

    dataset = args.dataset or ("digits" if args.model != "mlp" else "moons")
    in_shape, n_classes = ((1, 8, 8), 10) if dataset == "digits" else ((2,), 2)
    if args.model != "mlp" and len(in_shape) != 3:
        raise CLIError(f"--model {args.model} needs --dataset digits")
    ag.manual_seed(args.seed)
    model = build_model(args.model, in_shape, n_classes)
    model.eval()
    params = list(model.named_parameters())
    for _, p in params:
        p.data = p.data.astype(np.float64)
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
        ana = np.zeros(p.shape) if p.grad is None else np.asarray(p.grad.data, np.float64)
        flat = p.data.reshape(-1)
        if not p.data.flags.c_contiguous:
            p.data = np.ascontiguousarray(p.data)
            flat = p.data.reshape(-1)
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
    print(_table(rows))
    viz = _viz()
    blamed = False
    blame = getattr(viz, "blame", None) if viz is not None else None
    if blame is not None:
        try:
            res = blame(loss, **_kw_for(blame, inputs=[x], params=[p for _, p in params],
                                        model=model))
            print("blame (per-node check of the backward pass):")
            print(res if isinstance(res, str) else _fmt_blame(res))
            if isinstance(res, (list, tuple)) and any(getattr(r, "ok", True) is False
                                                       for r in res):
                blamed = True
        except Exception as e:  # noqa: BLE001 - blame is a diagnostic, never fatal
            print(f"(blame failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    print(f"{len(params) - failed}/{len(params)} parameters passed")
    return 1 if failed or blamed else 0


def _fmt_blame(res) -> str:
    """One line per failing node, else a one-line summary of the nodes checked."""
    if isinstance(res, (list, tuple)):
        bad = [r for r in res if getattr(r, "ok", True) is False]
        skipped = sum(1 for r in res if getattr(r, "skipped", "").startswith("skipped"))
        head = (f"  {len(res)} nodes checked, {len(bad)} failing"
                + (f", {skipped} skipped" if skipped else ""))
        return "\n".join([head] + [f"  {r}" for r in bad])
    return f"  {res}"


def gradcheck_command(args) -> int:
    if args.model is not None:
        return gradcheck_model(args)
    return gradcheck_ops(args)


# --------------------------------------------------------------------------- 8. demo
def demo(args) -> int:
    """Train the digits with the default CNN, draw graphs, gradcheck, say where things are."""
    out: Path = args.out
    t0 = time.time()
    print("=== 1/3  tapegrad train --dataset digits (default CNN) ===", flush=True)
    targs = build_parser().parse_args(["train", "--dataset", "digits", "--out",
                                       str(out / "train")]
                                      + (["--epochs", str(args.epochs)] if args.epochs else [])
                                      + (["--no-progress"] if args.no_progress else []))
    metrics = train(targs)
    print("\n=== 2/3  tapegrad graph ===", flush=True)
    gargs = build_parser().parse_args(["graph", "tanh(x * w + b)", "--values", "x=0.5",
                                       "w=-2", "b=1", "--out", str(out / "expression.svg")])
    graph_command(gargs)
    print("\n=== 3/3  tapegrad gradcheck ===", flush=True)
    cargs = build_parser().parse_args(["gradcheck"])
    rc = gradcheck_ops(cargs)
    print(f"\ndemo finished in {time.time() - t0:.0f} s: test accuracy "
          f"{metrics['test_acc']:.4f} on the digits. The pictures and metrics:")
    for p in sorted(out.rglob("*")):
        if p.suffix in (".png", ".svg", ".dot", ".json", ".pdf"):
            print(f"  {p}")
    if args.docs is not None:
        args.docs.mkdir(parents=True, exist_ok=True)
        for src in (out / "train" / "curves.png", out / "train" / "confusion_matrix.png",
                    out / "train" / "graph.svg", out / "expression.svg"):
            if src.is_file():
                shutil.copyfile(src, args.docs / src.name)
                print(f"  copied to {args.docs / src.name}")
    return rc


# --------------------------------------------------------------------------- 9. main
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "train":
            train(args)
            return 0
        if args.command == "graph":
            return graph_command(args)
        if args.command == "gradcheck":
            return gradcheck_command(args)
        if args.command == "demo":
            return demo(args)
        raise CLIError(f"unknown command {args.command!r}")  # pragma: no cover
    except CLIError as e:
        msg = " ".join(str(e).split())
        print(f"tapegrad: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tapegrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
