"""A model summary table, like Keras' ``model.summary()`` or torchinfo: one row per
module with its type, output shape and parameter counts."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["summary"]


def _shape_of(out: Any) -> str:
    if isinstance(out, Tensor):
        return "x".join(map(str, out.shape)) or "scalar"
    if isinstance(out, (tuple, list)):
        return ", ".join(_shape_of(o) for o in out)
    return type(out).__name__


def summary(model: Any, input: Optional[Any] = None, depth: Optional[int] = None) -> str:
    """A text table of ``model``'s modules: name (the path of ``named_modules``), type,
    output shape (when ``input`` is given: one forward in eval mode under ``no_grad``,
    the model's train/eval mode restored) and the number of parameters each module owns
    directly (with everything below it on the last level ``depth`` shows), then the totals: parameters = sum of every parameter's element count
    (shared parameters counted once), trainable = those with ``requires_grad``.
    ``depth`` limits the rows to modules at most that many levels below the model.

        >>> import autograd as ag, nn
        >>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> print(summary(model, ag.zeros(4, 2)))
        +---------+------------+--------------+------------+
        | module  | type       | output shape | parameters |
        +---------+------------+--------------+------------+
        | (model) | Sequential |          4x3 |          0 |
        | 0       | Linear     |          4x8 |         24 |
        | 1       | ReLU       |          4x8 |          0 |
        | 2       | Linear     |          4x3 |         27 |
        +---------+------------+--------------+------------+
        51 parameters (51 trainable)
    """
    rows: List[Tuple[str, Any]] = [(n, m) for n, m in model.named_modules()
                                   if depth is None or (n.count(".") + 1 if n else 0) <= depth]
    shapes: Dict[int, str] = {}
    if input is not None:
        was_training = getattr(model, "training", False)
        patched = []
        for _, m in rows:
            def wrapped(*a, _m=m, _f=m.forward, **k):
                out = _f(*a, **k)
                shapes.setdefault(id(_m), _shape_of(out))
                return out
            m.forward = wrapped
            patched.append(m)
        try:
            model.eval()
            with ag.no_grad():
                model(*(input if isinstance(input, (tuple, list)) else (input,)))
        finally:
            for m in patched:
                del m.forward
            model.train(was_training)
    table = [("module", "type") + (("output shape",) if input is not None else ())
             + ("parameters",)]
    for name, m in rows:
        level = name.count(".") + 1 if name else 0
        if depth is not None and level == depth:     # its submodules are not shown
            own = sum(int(np.prod(p.shape)) for p in m.parameters())
        else:
            own = sum(int(np.prod(p.shape)) for p in m._parameters.values() if p is not None)
        table.append((name or "(model)", type(m).__name__)
                     + ((shapes.get(id(m), "-"),) if input is not None else ()) + (f"{own:,}",))
    seen, total, trainable = set(), 0, 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        k = int(np.prod(p.shape))
        total += k
        trainable += k if p.requires_grad else 0
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line]
    for j, r in enumerate(table):
        out.append("| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                     for i, (c, w) in enumerate(zip(r, widths))) + " |")
        if j == 0:
            out.append(line)
    out += [line, f"{total:,} parameters ({trainable:,} trainable)"]
    return "\n".join(out)
