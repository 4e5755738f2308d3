"""`tapegrad train`: train a model on a built-in dataset, write a checkpoint, curves,
metrics.json and (unless --no-graph) the model's graph."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .common import DATASETS, MODELS, CLIError, positive, table, unit
from .data import load_dataset, split
from .models import build_model
from .pictures import draw_model_graph, plot_boundary, plot_confusion, plot_curves

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


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `tapegrad train`."""
    pf = positive(float, "value", allow_zero=True)
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--model", choices=MODELS, default=None,
                   help="default: cnn for digits, mlp for the 2-D datasets")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="default: adam")
    p.add_argument("--lr", type=positive(float, "learning rate"), default=None)
    p.add_argument("--momentum", type=pf, default=0.9, help="momentum/nesterov (default 0.9)")
    p.add_argument("--betas", type=pf, nargs=2, default=(0.9, 0.999), help="adam/adamw")
    p.add_argument("--eps", type=positive(float, "eps"), default=None)
    p.add_argument("--alpha", type=pf, default=0.99, help="rmsprop smoothing (default 0.99)")
    p.add_argument("--rho", type=pf, default=0.9, help="adadelta decay (default 0.9)")
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule, stepped per epoch (default: polynomial, "
                        "i.e. linear decay to 0, for digits; none for the 2-D datasets)")
    p.add_argument("--gamma", type=pf, default=None,
                   help="decay factor of step/exponential/plateau (0.5 / 0.9 / 0.5)")
    p.add_argument("--step-size", type=positive(int, "step size"), default=None,
                   help="epochs between decays for --schedule step")
    p.add_argument("--milestones", type=positive(int, "milestone"), nargs="+", default=None,
                   help="epochs where --schedule piecewise divides the lr by 10")
    p.add_argument("--power", type=pf, default=1.0, help="polynomial decay power")
    p.add_argument("--epochs", type=positive(int, "epochs"), default=None)
    p.add_argument("--batch-size", type=positive(int, "batch size"), default=None)
    p.add_argument("--weight-decay", type=pf, default=0.0)
    p.add_argument("--l1", type=pf, default=0.0, help="L1 penalty on weights, added to the loss")
    p.add_argument("--l2", type=pf, default=0.0, help="L2 penalty on weights, added to the loss")
    p.add_argument("--dropout", type=unit("dropout"), default=None)
    p.add_argument("--label-smoothing", type=unit("label smoothing"), default=None,
                   help="of the training loss (default: 0.1 for digits, 0 otherwise)")
    p.add_argument("--hidden", type=positive(int, "hidden size"), default=64,
                   help="MLP hidden width")
    p.add_argument("--early-stopping", type=positive(int, "patience"), default=None,
                   metavar="PATIENCE", help="stop after PATIENCE epochs without a better val loss")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("runs/latest"))
    p.add_argument("--resume", type=Path, default=None, metavar="CKPT")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--no-graph", action="store_true", help="do not draw the model graph")


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


def evaluate(model: Any, X: np.ndarray, y: np.ndarray,
             bs: int = 512) -> Tuple[float, float, np.ndarray]:
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
            preds.append(np.asarray(out).argmax(1))
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


def train(args: argparse.Namespace) -> Dict[str, Any]:
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
    (Xtr, ytr), (Xva, yva), (Xte, yte) = split(X, y, args.seed)
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
            correct += int((np.asarray(logits).argmax(1) == ytr[b]).sum())
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
        files["graph"] = draw_model_graph(model, lossf, Xte[:2], yte[:2], out / "graph.svg")
    metrics["files"] = {k: str(v) for k, v in files.items()}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    files["metrics"] = out / "metrics.json"

    print()
    print(table([("", "loss", "accuracy"),
                  ("train", f"{tr_loss:.4f}", f"{tr_acc:.4f}"),
                  ("val", f"{va_loss:.4f}", f"{va_acc:.4f}"),
                  ("test", f"{te_loss:.4f}", f"{te_acc:.4f}")]))
    print(f"{len(history)} epochs in {seconds:.1f} s; wrote:")
    for k, v in files.items():
        print(f"  {k:18s} {v}")
    return metrics


def run(args: argparse.Namespace) -> int:
    """The `train` subcommand (exit code 0; errors are CLIError)."""
    train(args)
    return 0
