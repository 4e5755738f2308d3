"""Samples for the rounding primitives (round, floor, ceil, trunc) and frac: values
kept away from the jumps (integers; half-integers for round), where the zero
gradient is what finite differences see too."""
from __future__ import annotations

import numpy as np

from ._base import DB, S, U, dodge, fortran, samples

_SHAPES = [(), (3,), (2, 1, 3)]
_INTS = tuple(float(k) for k in range(-3, 4))
_HALVES = tuple(k + 0.5 for k in range(-4, 4))


def _make(r, kinks):
    out = [S(dodge(U(r, s, -3, 3), kinks, 0.05), desc=str(s)) for s in _SHAPES]
    out.append(S(fortran(dodge(U(r, (3, 2), -3, 3), kinks, 0.05)), desc="fortran"))
    return out


@samples("round", ref=lambda t, x, decimals=0: t.round(x, decimals=decimals))
def _round(name, r):
    return _make(r, _HALVES)


for _n in ("floor", "ceil", "trunc"):
    samples(_n, ref=lambda t, x, _n=_n: getattr(t, _n)(x))(lambda name, r: _make(r, _INTS))


@samples("frac", ref=lambda t, x: t.frac(x))
def _frac(name, r):
    return _make(r, _INTS)


# round to decimals (PyTorch's keyword), compared with PyTorch only
DB["round"].append(S(np.array([0.125, -1.375, 2.675]), attrs={"decimals": 2}, grad=False,
                     desc="decimals=2"))
