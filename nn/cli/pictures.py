"""The pictures: training curves, decision boundaries, confusion matrices (matplotlib)
and computation graphs (autograd.viz, rendered by Graphviz's dot)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from .common import CLIError, check_writable, write_atomic

def _plt():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure atomically and reproducibly: no 'Software' or date entry
    in the PNG/SVG/PDF metadata and fixed SVG ids (``svg.hashsalt``), so the same
    figure always gives the same bytes."""
    import io

    import matplotlib

    plt = _plt()
    fmt = path.suffix.lstrip(".").lower() or "png"
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Producer": None, "Creator": None}}.get(fmt)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "tapegrad"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    plt.close(fig)
    write_atomic(path, buf.getvalue())
    return path


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
    fig.tight_layout()
    return save_figure(fig, path)


def plot_boundary(model: Any, X: np.ndarray, y: np.ndarray, path: Path, title: str) -> Path:
    """The model's decision over the plane, with the points coloured by their class.

    Two classes: the probability of class 1 (colour bar "P(class 1)", 0 ... 1) with the
    0.5 contour. More classes: each region in its predicted class's colour, shaded by
    the model's confidence (the top probability; colour bar 1/K ... 1). Axes are the two
    input features x1, x2; the legend names the classes of the points."""
    import autograd as ag
    from matplotlib.colors import ListedColormap

    plt = _plt()
    lo, hi = X.min(0) - 0.3, X.max(0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    model.eval()
    with ag.no_grad():
        logits = model(ag.tensor(grid)).numpy().astype(np.float64)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    k = p.shape[1]
    colours = plt.get_cmap("tab10").colors
    fig, ax = plt.subplots(figsize=(5.6, 4.5))
    if k == 2:
        cs = ax.contourf(gx, gy, p[:, 1].reshape(gx.shape), levels=np.linspace(0, 1, 11),
                         cmap="RdBu_r", alpha=0.7)
        ax.contour(gx, gy, p[:, 1].reshape(gx.shape), levels=[0.5], colors="k",
                   linewidths=1)
        fig.colorbar(cs, ax=ax, label="P(class 1)", ticks=np.linspace(0, 1, 6))
        point_colours = ["#2166ac", "#b2182b"]
    else:
        pred = p.argmax(1).reshape(gx.shape)
        conf = p.max(1).reshape(gx.shape)
        rgba = np.array([colours[c % 10] for c in pred.ravel()]).reshape(gx.shape + (3,))
        alpha = 0.15 + 0.6 * (conf - 1 / k) / (1 - 1 / k)
        ax.imshow(np.dstack([rgba, alpha]), origin="lower", aspect="auto",
                  extent=(lo[0], hi[0], lo[1], hi[1]), interpolation="nearest")
        sm = plt.cm.ScalarMappable(cmap="Greys", norm=plt.Normalize(1 / k, 1))
        fig.colorbar(sm, ax=ax, label="confidence (top class probability)")
        point_colours = [colours[c % 10] for c in range(k)]
    for c in range(k):
        m = y == c
        ax.scatter(X[m, 0], X[m, 1], s=9, color=point_colours[c], edgecolors="k",
                   linewidths=0.3, label=f"class {c}")
    ax.set_xlim(lo[0], hi[0]); ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x1 (feature 0)"); ax.set_ylabel("x2 (feature 1)")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.8, title="points", title_fontsize=7)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


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
    fig.tight_layout()
    return save_figure(fig, path)


GRAPH_FORMATS = ("svg", "png", "pdf", "dot")


def check_graph_path(path: Path) -> str:
    """The format of a graph's --out (its extension), or a CLIError naming the accepted
    ones; and a CLIError when it cannot be written. Creates nothing."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in GRAPH_FORMATS:
        raise CLIError(f"--out {path}: unknown extension {path.suffix or '(none)'!s}; use "
                       f"{', '.join('.' + f for f in GRAPH_FORMATS)}")
    check_writable(path, "--out")
    return fmt


def render(roots: Any, path: Path, **options: Any) -> Path:
    """Draw ``roots`` with autograd.viz.draw (``options`` are its keywords; None means its
    default) to ``path``: .svg/.png/.pdf, or the .dot source when Graphviz's ``dot`` is
    not installed or ``path`` ends in .dot. Written atomically (a temporary file renamed
    over ``path``): never half a picture. Returns the written path."""
    from autograd import viz

    fmt = check_graph_path(path)
    options = {k: v for k, v in options.items() if v is not None}
    if fmt != "dot" and shutil.which("dot") is None:
        print("  (Graphviz's `dot` is not installed: writing the .dot source instead; "
              "`make dot` installs it)")
        path, fmt = path.with_suffix(".dot"), "dot"
    drawing = viz.draw(roots, **options)
    data = drawing.source.encode() if fmt == "dot" else drawing.pipe(format=fmt)
    if fmt == "svg":
        data = deterministic_svg(data)
    write_atomic(path, data)
    return path


def deterministic_svg(data: bytes) -> bytes:
    """Graphviz's SVG without the line naming the Graphviz version (the rest is a
    function of the graph), so a regenerated picture is byte-identical."""
    import re
    return re.sub(rb"<!-- Generated by graphviz version [^>]*-->\n", b"", data)


def draw_model_graph(model: Any, lossf: Any, X: np.ndarray, y: np.ndarray, path: Path,
                     what: str = "test images") -> Path:
    """The model's loss graph, collapsed by module, with the gradients of one backward."""
    import autograd as ag
    from autograd import viz

    model.eval()
    loss = lossf(model(ag.tensor(X)), ag.tensor(y))
    viz.record(loss)                # backward keeping every node's gradient for the colours
    written = render(loss, path, collapse=True, names=model, show_grads=True,
                     grad_health=True, rankdir="TB",
                     title=f"{type(model).__name__}: loss of {len(X)} {what}, collapsed "
                           f"by module, coloured by gradient scale")
    model.zero_grad()               # the trained model's .grad is not left dirty
    return written
