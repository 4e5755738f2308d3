"""The pictures: training curves, decision boundaries, confusion matrices (matplotlib)
and computation graphs (autograd.viz, rendered by Graphviz's dot)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

def _plt():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
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


def plot_boundary(model: Any, X: np.ndarray, y: np.ndarray, path: Path, title: str) -> Path:
    """The model's class-1 probability over the plane, with the 0.5 contour and the points."""
    import autograd as ag

    plt = _plt()
    lo, hi = X.min(0) - 0.3, X.max(0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    model.eval()
    with ag.no_grad():
        logits = np.asarray(model(ag.tensor(grid)))
    p = np.exp(logits - logits.max(1, keepdims=True))
    p = (p / p.sum(1, keepdims=True))[:, 1].reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.contourf(gx, gy, p, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=8, edgecolors="k", linewidths=0.2)
    ax.set_title(title); fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)
    return path


def plot_confusion(y: np.ndarray, pred: np.ndarray, n: int, path: Path, acc: float) -> Path:
    """The n x n confusion matrix (rows: true class, columns: predicted), counts written in."""
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


def render(roots: Any, path: Path, **options: Any) -> Path:
    """Draw ``roots`` with autograd.viz.draw (``options`` are its keywords; None means its
    default) to ``path``: .svg/.png/.pdf, or the .dot source when Graphviz's ``dot`` is
    not installed or ``path`` ends in .dot. Returns the written path."""
    from autograd import viz

    options = {k: v for k, v in options.items() if v is not None}
    fmt = path.suffix.lstrip(".").lower() or "svg"
    if fmt != "dot" and shutil.which("dot") is None:
        print("  (Graphviz's `dot` is not installed: writing the .dot source instead; "
              "`make dot` installs it)")
        path, fmt = path.with_suffix(".dot"), "dot"
    if fmt == "dot":
        path.write_text(viz.to_dot(roots, **options))
        return path
    written = viz.draw(roots, **options).render(str(path.with_suffix("")), format=fmt,
                                                cleanup=True)
    return Path(written)


def draw_model_graph(model: Any, lossf: Any, X: np.ndarray, y: np.ndarray, path: Path) -> Path:
    """The model's loss graph, collapsed by module, with the gradients of one backward."""
    import autograd as ag
    from autograd import viz

    model.eval()
    loss = lossf(model(ag.tensor(X)), ag.tensor(y))
    viz.record(loss)                # backward keeping every node's gradient for the colours
    written = render(loss, path, collapse=True, names=model, show_grads=True,
                     grad_health=True, rankdir="TB",
                     title=f"{type(model).__name__}: loss of {len(X)} test images, collapsed "
                           f"by module, coloured by mean |grad|")
    model.zero_grad()               # the trained model's .grad is not left dirty
    return written
