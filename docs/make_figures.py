"""Regenerate the exporter figures in docs/img/ (used by README.md).

    .venv/bin/python docs/make_figures.py            # writes docs/img/*.svg and *.png
    .venv/bin/python docs/make_figures.py OUT_DIR    # somewhere else (the tests do this)

Needs Graphviz's `dot`. Deterministic: fixed seeds, and the exporter's DOT depends
only on the graph, so reruns give the same .dot files (the SVG/PNG bytes depend on
the installed Graphviz version).

1. seed.svg / seed.png       the seed network softmax(W2 @ relu(W1 @ x + b1) + b2) with
                             a cross-entropy loss, drawn after backward: every node
                             shows its value and the gradient of the loss w.r.t. it.
2. sigmoid20.svg / .png      a 20-layer sigmoid MLP, one box per layer, coloured by the
                             mean |grad| of its parameters: the vanishing gradient is
                             the colour running from warm (output) to cold (input).
3. big10k.svg / .png         a 10,016-node graph (5 stages x 4 branches x 500 ops)
                             collapsed to one box per branch.
4. blame.svg / .png          the per-node gradient check: a custom op with a wrong
                             backward inside a small graph, marked red with its error.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Dict, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))      # run from a checkout without installing

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402


def seed_network() -> ag.Tensor:
    """softmax(W2 @ relu(W1 @ x + b1) + b2), cross-entropy against class 2."""
    ag.manual_seed(0)
    x = ag.tensor([0.5, -1.0, 2.0], name="x")                       # (3,) input, no grad
    W1 = ag.tensor(ag.randn(4, 3).data.numpy() * 0.7, requires_grad=True, name="W1")  # (4, 3)
    b1 = ag.tensor([0.1, -0.2, 0.0, 0.3], requires_grad=True, name="b1")     # (4,)
    W2 = ag.tensor(ag.randn(3, 4).data.numpy() * 0.7, requires_grad=True, name="W2")  # (3, 4)
    b2 = ag.tensor([0.0, 0.1, -0.1], requires_grad=True, name="b2")          # (3,)
    h = ag.relu(W1 @ x + b1)                                          # (4,)
    p = ag.softmax(W2 @ h + b2, dim=0)                                # (3,) probabilities
    loss = -ag.log(p[2])                                              # cross-entropy, class 2
    ag.viz.record(loss)                       # backward, keeping values and op gradients
    return loss


def sigmoid_mlp(depth: int = 20, width: int = 16):
    """A ``depth``-layer MLP of Linear + Sigmoid blocks on a batch of 32, MSE loss."""
    ag.manual_seed(0)
    model = nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.Sigmoid())
                            for _ in range(depth)])
    x, target = ag.randn(32, width), ag.rand(32, width)
    loss = nn.functional.mse_loss(model(x), target)
    ag.viz.record(loss)
    return model, loss


def big_graph(stages: int = 5, branches: int = 4, steps: int = 250) -> ag.Tensor:
    """``stages`` x ``branches`` parallel chains of ``steps`` (matmul, tanh) pairs, each
    with its own weight; the branches of a stage are concatenated and averaged:
    5 * 4 * 250 * 2 + 5 * 3 + 1 = 10,016 recorded nodes."""
    ag.manual_seed(0)
    h = ag.randn(4, 8, requires_grad=True)                            # (4, 8)
    for s in range(stages):
        with ag.name_scope(f"stage{s}"):
            outs = []
            for b in range(branches):
                with ag.name_scope(f"branch{b}"):
                    W = ag.tensor(ag.randn(8, 8).data.numpy() * 0.3, requires_grad=True,
                                  name=f"stage{s}.branch{b}.W")       # (8, 8)
                    z = h
                    for _ in range(steps):
                        z = ag.tanh(z @ W)                            # (4, 8)
                outs.append(z)
            h = ag.cat(outs, dim=1).reshape(4, branches, 8).mean(dim=1)  # (4, 32) -> (4, 8)
    return h.sum()


class WrongSquare(ag.Function):
    """x ** 2 with a wrong backward (3 x g instead of 2 x g): what blame should find."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


def blamed_graph():
    """(loss, blame reports) for sum(WrongSquare(tanh(x * w)) + exp(x))."""
    x = ag.tensor([0.5, -1.0, 2.0], requires_grad=True, name="x")
    w = ag.tensor([1.5, 0.2, -0.7], requires_grad=True, name="w")
    loss = (WrongSquare.apply(ag.tanh(x * w)) + x.exp()).sum()
    reports = ag.viz.blame(loss)
    ag.viz.record(loss)
    return loss, reports


def _write(d, out_dir: str, stem: str, formats=("svg", "png")) -> Dict[str, str]:
    paths = {}
    with open(os.path.join(out_dir, stem + ".dot"), "w", encoding="utf-8") as fh:
        fh.write(d.source)
    for fmt in formats:
        paths[fmt] = d.render(os.path.join(out_dir, stem), format=fmt, cleanup=False)
    os.remove(os.path.join(out_dir, stem))     # graphviz's copy of the source
    return paths


def main(out_dir: Optional[str] = None) -> Dict[str, Dict[str, str]]:
    out_dir = out_dir or os.path.join(HERE, "img")
    os.makedirs(out_dir, exist_ok=True)
    made = {}

    loss = seed_network()
    made["seed"] = _write(ag.viz.draw(loss, rankdir="TB", title="softmax(W2 @ relu(W1 @ x + b1) + b2), "
                                      "cross-entropy: values and gradients after backward"),
                          out_dir, "seed")

    model, loss = sigmoid_mlp()
    made["sigmoid20"] = _write(ag.viz.draw(
        loss, names=model, grad_health=True, health_range="auto", collapse=1, show_values=False,
        rankdir="TB",
        title="20-layer sigmoid MLP: mean |grad| of each layer's parameters (vanishing "
              "towards the input)"), out_dir, "sigmoid20")

    loss = big_graph()
    n = len(ag.graph_nodes([loss]))
    t = time.perf_counter()
    full = ag.viz.to_dot(loss)
    dt = time.perf_counter() - t
    made["big10k"] = _write(ag.viz.draw(
        loss, collapse=1, show_values=False,
        title=f"{n:,} recorded nodes, collapsed to one box per branch"), out_dir, "big10k")
    loss, reports = blamed_graph()
    made["blame"] = _write(ag.viz.draw(
        loss, blame=reports, title="blame: each op's vjp checked against finite differences "
                                   "of its own forward"), out_dir, "blame")
    print(f"{n:,}-node graph: full DOT ({len(full) / 1e6:.1f} MB) in {dt:.2f} s")
    for k, v in made.items():
        print(k, " ".join(v.values()))
    return made


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
