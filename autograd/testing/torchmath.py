"""Samples of the composites in ops/torchmath.py (log2, log10, exp2, sinh, cosh, bmm,
outer, tril, triu)."""
from __future__ import annotations

from ._base import U, S, fortran, pos, samples, strided
from .elementwise import _unary_samples

samples("log2", ref=lambda t, x: t.log2(x))(lambda name, r: _unary_samples(r, pos))
samples("log10", ref=lambda t, x: t.log10(x))(lambda name, r: _unary_samples(r, pos))
samples("exp2", ref=lambda t, x: t.exp2(x))(lambda name, r: _unary_samples(r, U))
samples("sinh", ref=lambda t, x: t.sinh(x))(lambda name, r: _unary_samples(r, U))
samples("cosh", ref=lambda t, x: t.cosh(x))(lambda name, r: _unary_samples(r, U))


@samples("bmm", ref=lambda t, a, b: t.bmm(a, b))
def _bmm(name, r):
    return [S(U(r, (2, 3, 4)), U(r, (2, 4, 1)), desc="(2,3,4)@(2,4,1)"),
            S(fortran(U(r, (1, 2, 3))), U(r, (1, 3, 2)), desc="fortran, batch 1")]


@samples("outer", ref=lambda t, a, b: t.outer(a, b))
def _outer(name, r):
    return [S(U(r, (3,)), U(r, (4,)), desc="3x4"), S(U(r, (1,)), U(r, (2,)), desc="1x2"),
            S(strided(U(r, (3,))), U(r, (2,)), desc="strided")]


def _tri_samples(r):
    return [S(U(r, (3, 4)), desc="3x4"), S(U(r, (2, 3, 3)), attrs={"diagonal": 1}, desc="batch, +1"),
            S(fortran(U(r, (4, 3))), attrs={"diagonal": -1}, desc="fortran 4x3, -1"),
            S(U(r, (1, 3)), attrs={"diagonal": 2}, desc="1x3, +2")]


samples("tril", ref=lambda t, x, diagonal=0: t.tril(x, diagonal))(lambda name, r: _tri_samples(r))
samples("triu", ref=lambda t, x, diagonal=0: t.triu(x, diagonal))(lambda name, r: _tri_samples(r))
