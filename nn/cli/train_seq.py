"""`tapegrad train --dataset addition --model transformer|lstm`: train a small causal
language model to add two 3-digit numbers, and print its generations.

    tapegrad train --dataset addition --model transformer      # ~1 min, >= 99% exact match
    tapegrad train --dataset addition --model lstm
    OPENBLAS_NUM_THREADS=1 tapegrad train --dataset addition   # faster on a busy machine

The data (nn.addition) is generated: every step draws a fresh batch of problems, and
1,000 validation and 2,000 test problems never appear in training. An epoch is
``STEPS_PER_EPOCH`` steps; after each, the model generates the answers of the
validation problems greedily and training stops once ``TARGET`` of them are exactly
right (or after --epochs). The learning rate warms up linearly over the first
``WARMUP`` steps and then follows a cosine to a tenth of --lr over the planned steps
(``--schedule none`` keeps it constant). Writes OUT/checkpoint.safetensors (the model,
the optimizer state, the history and the run's configuration, as `tapegrad train` writes
it; `tapegrad export --onnx` reads it), metrics.json, curves.png, samples.txt and (unless
--no-graph) graph.svg, the loss graph collapsed by module and coloured by gradient
health, as for the CNN.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any, Dict

import numpy as np

from .common import CLIError, table

DATASETS = ("addition",)
MODELS = ("transformer", "lstm")
STEPS_PER_EPOCH = 250
WARMUP = 100
TARGET = 0.995
N_VAL, N_TEST = 1000, 2000        # held-out problems
# per model: learning rate, batch size, epochs (at most; training stops at TARGET)
DEFAULTS = {"transformer": dict(lr=2e-3, batch_size=64, epochs=20),
            "lstm": dict(lr=6e-3, batch_size=256, epochs=20)}


def build_seq_model(kind: str, hidden: int = 64, dropout: float = 0.0) -> Any:
    """transformer: nn.lm.DecoderLM (2 pre-norm blocks, 4 heads, d_model = ``hidden``);
    lstm: nn.lm.LSTMLM (embedding 32, one LSTM layer of 2 * ``hidden`` units)."""
    from nn.addition import SEQ_LEN, VOCAB
    from nn.lm import DecoderLM, LSTMLM

    if kind == "transformer":
        if hidden % 4:
            raise CLIError(f"--hidden must be divisible by the 4 attention heads, got {hidden}")
        return DecoderLM(len(VOCAB), SEQ_LEN - 1, d_model=hidden, n_head=4, n_layer=2,
                         dropout=dropout)
    return LSTMLM(len(VOCAB), d_embed=32, hidden=2 * hidden, dropout=dropout)


class AnswerLoss:
    """Cross-entropy of the logits (N, T, V) at the answer positions against targets
    (N, T) (the prompt positions hold IGNORE and are skipped)."""

    def __call__(self, logits, y):
        import autograd as ag
        import nn.functional as F
        from nn.addition import PROMPT_LEN

        y = np.asarray(y.detach().numpy() if isinstance(y, ag.Tensor) else y)
        z = logits[:, PROMPT_LEN - 1:]                                   # (N, 4, V)
        return F.cross_entropy(z.reshape(-1, z.shape[-1]),
                               ag.tensor(y[:, PROMPT_LEN - 1:].reshape(-1)))


def _draw_graph(model, lossf, x, y, path: Path) -> Path:
    """The loss graph of two training rows, collapsed by module and coloured by the
    gradient health of one backward (as `train` draws the CNN's)."""
    import autograd as ag
    from autograd import viz
    from .pictures import render

    model.eval()
    loss = lossf(model(x), y)
    viz.record(loss)
    written = render(loss, path, collapse=True, names=model, show_grads=True,
                     grad_health=True, rankdir="TB",
                     title=f"{type(model).__name__}: loss of {len(x)} addition problems, "
                           f"collapsed by module, coloured by mean |grad|")
    model.zero_grad()
    return written


def _lr_at(step: int, total: int, lr: float, schedule) -> float:
    if schedule == "none":
        return lr
    if step <= WARMUP:
        return lr * step / WARMUP
    frac = min(1.0, (step - WARMUP) / max(1, total - WARMUP))
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def _check_args(args: argparse.Namespace) -> None:
    if args.dataset not in DATASETS:
        raise CLIError(f"--model {args.model} trains on sequences: use --dataset addition "
                       f"(got --dataset {args.dataset})")
    if args.model is None:
        args.model = "transformer"
    if args.model not in MODELS:
        raise CLIError(f"--dataset addition needs a sequence model: --model transformer or "
                       f"lstm (got --model {args.model})")
    if args.resume is not None:
        raise CLIError("--resume is not supported for --dataset addition (training takes "
                       "about a minute; start again)")
    if args.schedule not in (None, "none"):
        raise CLIError(f"--dataset addition uses warmup + cosine per step; --schedule "
                       f"{args.schedule} is not available (only --schedule none)")
    unused = [f"--{flag}" for flag, v in (
        ("label-smoothing", getattr(args, "label_smoothing", None)),
        ("l1", getattr(args, "l1", 0.0)), ("l2", getattr(args, "l2", 0.0)),
        ("early-stopping", getattr(args, "early_stopping", None))) if v]
    if unused:
        raise CLIError(f"{' and '.join(unused)} {'is' if len(unused) == 1 else 'are'} not "
                       f"used by --dataset addition (it stops at {TARGET:.1%} val exact match)")
    d = DEFAULTS[args.model]
    for k in ("lr", "batch_size", "epochs"):
        if getattr(args, k, None) is None:
            setattr(args, k, d[k])
    if args.optimizer is None:
        args.optimizer = "adam"
    if args.dropout is None:
        args.dropout = 0.0
    from .train import COMMON  # train's shared defaults (every option is None until resolved)

    for k, v in COMMON.items():
        if getattr(args, k, None) is None:
            setattr(args, k, list(v) if isinstance(v, list) else v)
    if args.out is None:
        args.out = Path("runs/latest")


def train_seq(args: argparse.Namespace) -> Dict[str, Any]:
    """Train, evaluate, write the files; returns the metrics written to metrics.json."""
    import autograd as ag
    import nn
    from nn.addition import Addition, exact_match, show
    from .pictures import plot_curves
    from .train import CHECKPOINT, FORMAT, make_optimizer, run_config

    _check_args(args)
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"cannot create output folder {out}: {e.strerror}") from None
    ag.manual_seed(args.seed)
    task = Addition(seed=args.seed, n_val=N_VAL, n_test=N_TEST)
    model = build_seq_model(args.model, args.hidden, args.dropout)
    opt = make_optimizer(args, model.parameters())
    lossf = AnswerLoss()
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    total = args.epochs * STEPS_PER_EPOCH
    print(f"tapegrad train: addition of two 3-digit numbers (fresh batches; "
          f"{len(task.val)} val / {len(task.test)} test problems held out), {args.model} "
          f"({n_params:,} parameters), {args.optimizer} lr={args.lr:g}, up to {args.epochs} "
          f"epochs of {STEPS_PER_EPOCH} steps of batch {args.batch_size}, stopping at "
          f"{TARGET:.1%} val exact match", flush=True)
    history = []
    step = 0
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        loss_sum = correct = seen = 0.0
        for _ in range(STEPS_PER_EPOCH):
            step += 1
            for g in opt.param_groups:
                g["lr"] = _lr_at(step, total, args.lr, args.schedule)
            x, y = task.batch(args.batch_size)
            logits = model(x)
            loss = lossf(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss.item())
            pred = logits.detach().numpy()[:, -4:].argmax(-1)
            correct += float((pred == y[:, -4:]).all(axis=1).sum())
            seen += len(x)
        va_acc, gen = exact_match(model, task.val)
        with ag.no_grad():
            model.eval()
            from nn.addition import split_rows
            xv, yv = split_rows(task.val)
            va_loss = float(lossf(model(xv), yv).item())
        row = dict(epoch=epoch, step=step, lr=opt.param_groups[0]["lr"],
                   train_loss=loss_sum / STEPS_PER_EPOCH, train_acc=correct / seen,
                   val_loss=va_loss, val_acc=va_acc, seconds=round(time.time() - t0, 1))
        history.append(row)
        sample = show(task.val[0, :8], gen[0], task.val[0, 8:])
        print(f"epoch {epoch:2d}  step {step:5d}  {row['seconds']:6.1f} s  train loss "
              f"{row['train_loss']:.4f}  val loss {va_loss:.4f}  val exact match "
              f"{va_acc:.4f}   {sample}", flush=True)
        if va_acc >= TARGET:
            break
    seconds = time.time() - t0
    te_acc, te_gen = exact_match(model, task.test)
    samples = [show(task.test[i, :8], te_gen[i], task.test[i, 8:]) for i in range(10)]
    wrong = np.flatnonzero(~(te_gen == task.test[:, 8:]).all(axis=1))
    samples += [show(task.test[i, :8], te_gen[i], task.test[i, 8:]) for i in wrong[:5]]

    # as `tapegrad train` writes it: the run's configuration inside the checkpoint, so
    # `tapegrad export --checkpoint` rebuilds the model from the file alone
    ckpt = out / CHECKPOINT
    nn.save({"format": FORMAT, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "epoch": len(history), "config": run_config(args),
             "history": [dict(h) for h in history]}, str(ckpt))
    files = {"checkpoint": ckpt, "curves": plot_curves(history, out / "curves.png")}
    (out / "samples.txt").write_text("\n".join(samples) + "\n")
    files["samples"] = out / "samples.txt"
    if not args.no_graph:
        xg, yg = task.batch(2)
        files["graph"] = _draw_graph(model, lossf, xg, yg, out / "graph.svg")
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k not in ("func", "command")}
    config["betas"] = list(config.get("betas", ()))
    metrics = dict(dataset=args.dataset, model=args.model, parameters=n_params,
                   epochs=len(history), steps=step, seconds=round(seconds, 2),
                   val_exact_match=history[-1]["val_acc"], test_exact_match=te_acc,
                   history=history, config=config, files={k: str(v) for k, v in files.items()})
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    files["metrics"] = out / "metrics.json"

    print("\nsample generations on held-out test problems (the answer after '='):")
    for s in samples:
        print("  " + s)
    print()
    print(table([("", "exact match"), ("val", f"{history[-1]['val_acc']:.4f}"),
                 ("test", f"{te_acc:.4f}")]))
    print(f"{step} steps ({len(history)} epochs) in {seconds:.1f} s; wrote:")
    for k, v in files.items():
        print(f"  {k:18s} {v}")
    return metrics


def run(args: argparse.Namespace) -> int:
    """The `train` subcommand for sequence data (exit code 0; errors are CLIError)."""
    train_seq(args)
    return 0
