"""W7: exporting a 10,000-op graph to DOT text with ``autograd.viz.to_dot`` (tapegrad only).

The graph is the W3 cycle (10 elementwise ops per cycle) repeated 1,000 times on a
(4,) tensor, built once, untimed; one iteration is one ``to_dot`` call. There is no
peer and no reference: the row reports the absolute time. The runner checks that the
text is a digraph with at least one edge per op.
"""
from __future__ import annotations

import importlib
from typing import Any, Optional

import numpy as np

from .common import SEED, tapegrad
from .harness import Snapshot, Workload
from .w3_chain import OPS_PER_CYCLE, _chain


def viz_module() -> Optional[Any]:
    """``autograd.viz`` if it exists and has ``to_dot``, else None."""
    if tapegrad() is None:
        return None
    try:
        mod = importlib.import_module("autograd.viz")
    except Exception:  # noqa: BLE001 - missing or broken: skipped with a note
        return None
    return mod if hasattr(mod, "to_dot") else None


class TapegradDot:
    """Holds a built graph; ``step`` exports it."""

    def __init__(self, n_ops: int, dtype: np.dtype) -> None:
        ag = tapegrad()
        self.viz = viz_module()
        x0 = ag.tensor(np.random.default_rng(SEED).standard_normal(4).astype(dtype), requires_grad=True)
        self.out = _chain(x0, n_ops // OPS_PER_CYCLE, ag.sin, ag.tanh, ag.exp).sum()
        self.n_ops = n_ops
        self.text = ""
        self.step()
        if not self.text.lstrip().startswith(("digraph", "strict digraph")) or self.text.count("->") < n_ops:
            raise AssertionError(f"to_dot output is not a digraph with >= {n_ops} edges "
                                 f"({self.text.count('->')} edges, {len(self.text)} chars)")

    def step(self) -> None:
        self.text = self.viz.to_dot(self.out)

    def snapshot(self) -> Snapshot:
        return Snapshot(float(len(self.text)), {})


def make_w7(quick: bool) -> Workload:
    """W7: a 10,000-op graph (quick: 200) to DOT; skipped when ``autograd.viz`` is missing."""
    n_ops = 200 if quick else 10_000
    systems = {}
    notes = ""
    if viz_module() is not None:
        systems["tapegrad"] = lambda dt: TapegradDot(n_ops, dt)
    else:
        notes = "skipped: autograd.viz.to_dot is not available yet"
    return Workload("W7", f"export a {n_ops:,}-op graph to DOT (autograd.viz.to_dot)", systems,
                    np.dtype(np.float32), unit="ms/export", scale=1e3, rounds=2 if quick else 7,
                    warmup=1, check=False, reference="", notes=notes)
