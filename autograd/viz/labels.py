"""Labels and colours of a drawing: numbers, arrays and gradients as short text, shapes,
op attributes and indexing subscripts, and the gradient-health colour scale."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from ..engine import graph_nodes
from ..tape import Node
from ..tensor import Tensor

_NL = "\\n"  # DOT's line break inside a label
# colours
_LEAF = "#cfe2f3"
_CONST = "#eeeeee"
_OP = "#fff2cc"
_ROOT = "#f4cccc"
_RED = "#e06666"
_GREY = "#b7b7b7"
_HIGHLIGHT = "#93c47d"
_GROUP = "#d9ead3"
# a diverging palette for log10 mean |grad|: dark blue = vanishing ... red = large
_PALETTE = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#e0f3f8", "#fee090", "#fdae61",
            "#f46d43", "#d73027"]
# default log10 range of the health colours: 9 bins of one decade, 1e-7 ... 1e2
_HEALTH_RANGE = (-7.0, 2.0)


def _fmt_num(v: float) -> str:
    v = float(v)
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def _fmt_array(a: Optional[np.ndarray], small: int) -> str:
    """A value for a label: 0-d and arrays of at most ``small`` elements in full (3
    digits), larger ones as ``mean m std s [min, max]``; non-finite entries counted."""
    if a is None:
        return "freed"
    a = np.asarray(a)
    if a.ndim == 0:
        return _fmt_num(a)
    if a.dtype.kind == "b":
        return f"{int(a.sum())}/{a.size} true"
    if a.size <= small:
        return np.array2string(a.astype(np.float64) if a.dtype.kind == "f" else a,
                               precision=3, separator=", ", suppress_small=True).replace("\n", "")
    af = a if a.dtype == np.float64 else a.astype(np.float64)
    lo, hi = af.min(), af.max()                 # NaN or Inf anywhere shows up here
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{int((~np.isfinite(af)).sum())} non-finite of {a.size}"
    return f"mean {_fmt_num(af.mean())} std {_fmt_num(af.std())} [{_fmt_num(lo)}, {_fmt_num(hi)}]"


def _fmt_grad(g: Optional[np.ndarray], small: int) -> str:
    """A gradient for a label: small ones in full, else ``|g| <2-norm> max <max |g|>``."""
    if g is None:
        return "-"
    g = np.asarray(g)
    if g.ndim == 0 or g.size <= small:
        return _fmt_array(g, small)
    gf = np.abs(g if g.dtype == np.float64 else g.astype(np.float64))
    mx = gf.max()
    if not math.isfinite(mx):
        return f"{int((~np.isfinite(gf)).sum())} non-finite"
    return f"|g| {_fmt_num(math.sqrt(float(np.dot(gf.ravel(), gf.ravel()))))} max {_fmt_num(mx)}"


_SHAPES: Dict[Tuple[Tuple[int, ...], Any], str] = {}


def _shape_str(shape: Tuple[int, ...], dtype) -> str:
    """``"2×3 float32"``; ``"scalar float64"`` for 0-d (memoised: labels repeat a lot)."""
    key = (shape, dtype)
    s = _SHAPES.get(key)
    if s is None:
        dims = "×".join(str(d) for d in shape) if shape else "scalar"
        s = _SHAPES[key] = f"{dims} {np.dtype(dtype).name}"
    return s


def _fmt_attr(v: Any) -> str:
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, tuple) and any(isinstance(x, np.ndarray) for x in v):
        return "[…]"
    if isinstance(v, np.ndarray):
        return "[…]"
    s = repr(v)
    return s if len(s) <= 24 else s[:21] + "…"


def _mean_abs(g: Optional[np.ndarray]) -> Optional[float]:
    if g is None:
        return None
    gf = np.abs(np.asarray(g, dtype=np.float64))
    return float(gf.mean()) if gf.size else 0.0


def _health(g: Optional[np.ndarray], hr: Tuple[float, float]) -> Tuple[Optional[str], str]:
    """(fill colour, tooltip) for gradient health: m = mean |g| on a log10 scale over
    ``hr`` = (lo, hi) split into len(_PALETTE) equal bins (values outside clamp to the
    end bins); NaN/Inf anywhere red, m = 0 grey, no gradient None."""
    m = _mean_abs(g)
    if m is None:
        return None, "no gradient"
    if not math.isfinite(m):
        return _RED, "NaN/Inf gradient"
    if m == 0.0:
        return _GREY, "all-zero gradient (dead)"
    lo, hi = hr
    x = (math.log10(m) - lo) / (hi - lo)
    k = min(len(_PALETTE) - 1, max(0, int(math.floor(x * len(_PALETTE)))))
    return _PALETTE[k], f"mean |grad| = {m:.3g}"


def _auto_range(roots: Sequence[Tensor]) -> Tuple[float, float]:
    """Whole decades around the smallest and largest finite, non-zero mean |grad| of
    the drawn ops and leaves (the default range when none is non-zero)."""
    ms = []
    for n in graph_nodes(roots):
        ms.append(_mean_abs(n.grad))
        for p in n.parents:
            if isinstance(p, Tensor) and p.grad is not None:
                ms.append(_mean_abs(p.grad._arr))
    ms = [m for m in ms if m is not None and m > 0 and math.isfinite(m)]
    if not ms:
        return _HEALTH_RANGE
    lo, hi = math.floor(math.log10(min(ms))), math.ceil(math.log10(max(ms)))
    return float(lo), float(max(hi, lo + 1))


def _text_color(fill: Optional[str]) -> str:
    return "white" if fill in ("#313695", "#4575b4", "#d73027") else "black"


def _fmt_index_part(v: Any) -> str:
    if v is Ellipsis:
        return "..."
    if v is None:
        return "None"
    if isinstance(v, slice):
        s = ("" if v.start is None else str(v.start)) + ":" + ("" if v.stop is None else str(v.stop))
        return s + (f":{v.step}" if v.step is not None else "")
    if isinstance(v, np.ndarray):
        if v.size <= 6 and v.ndim <= 1:
            return "[" + ", ".join(str(x) for x in v.tolist()) + "]"
        return f"<{v.dtype.name} {'×'.join(map(str, v.shape))}>"
    return _fmt_attr(v)


def _fmt_index(index: Any) -> str:
    """An indexing attribute as a subscript: ``[2]``, ``[0:2]``, ``[..., 1]``, ``[[0, 2]]``
    (index arrays of more than 6 entries by dtype and shape)."""
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(_fmt_index_part(v) for v in parts) + "]"


def _op_label(n: Node) -> str:
    """``op(attr=value, ...)``: the op's name and its non-tensor arguments."""
    attrs = n.attrs
    if not attrs:
        return n.op.name
    parts = [f"{k}={_fmt_index(v) if k == 'index' else _fmt_attr(v)}" for k, v in attrs.items()
             if v is not None and v is not False]
    return n.op.name + (f"({', '.join(parts)})" if parts else "")
