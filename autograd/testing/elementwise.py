"""Samples of the elementwise primitives: arithmetic, unary math, activations, clamp,
maximum/minimum, where, casts and copies."""
from __future__ import annotations


import numpy as np

import autograd as ag
from ._base import (dodge, distinct, U, pos, away, fortran, strided, DB, samples, S)

# --------------------------------------------------------------------------- arithmetic
# Broadcasting pairs every binary op gets: (a, b) shapes.
BINARY_SHAPES = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 1, 3), (4, 1)),
                 ((2, 3), ()), ((), ()), ((1,), (3,)), ((4,), (3, 1))]


def _binary_samples(name, r, make_a, make_b):
    out = [S(make_a(r, a), make_b(r, b), desc=f"{a}x{b}") for a, b in BINARY_SHAPES]
    # mixed dtypes: an integer tensor takes the float tensor's dtype (PyTorch's
    # promotion; the float32 test checks no float64 appears)
    public = lambda fn, x, y: getattr(ag, name)(x, y)  # noqa: E731 (dtype rules live there)
    out.append(S(make_a(r, (2, 3)), np.array([1, 2, 3]), call=public, desc="float x int64"))
    ints = np.array([[1, 2, 3]]) if name == "pow" else np.array([[1, -2, 3]])
    out.append(S(ints, make_b(r, (2, 1)), call=public, desc="int64 x float"))
    # non-contiguous: a column-major (3, 4) with a strided (4,)
    out.append(S(fortran(make_a(r, (3, 4))), strided(make_b(r, (4,))), desc="noncontig"))
    # a transposed view against a size-1 dim
    out.append(S(make_a(r, (4, 3)).T, make_b(r, (3, 1)), desc="transposed"))
    return out


for _n in ("add", "sub", "mul"):
    samples(_n, ref=lambda t, x, y, _n=_n: getattr(t, _n)(x, y))(
        lambda name, r: _binary_samples(name, r, U, U))
@samples("div", ref=lambda t, x, y: t.div(x, y))
def _div(name, r):
    out = _binary_samples(name, r, U, away)
    # integer / integer is true division in the default float dtype, like PyTorch
    out.append(S(np.array([1, -7, 4]), np.array([2, 2, 3]), call=lambda fn, x, y: ag.div(x, y),
                 grad=False, desc="int64 / int64"))
    return out


@samples("pow", ref=lambda t, x, y: t.pow(x, y))
def _pow(name, r):
    out = _binary_samples(name, r, pos, lambda r, s: U(r, s, -2.0, 2.0))
    # negative base with integer exponents (the exponent gets no gradient: log(x) < 0)
    out.append(S(away(r, (2, 3)), np.array([2.0, 3.0, -1.0]), nondiff=(1,),
                 desc="negative base, integer exponent"))
    # zero base with exponent 2 (d/dy x**y = 0 at x == 0, like PyTorch); second derivative
    # perturbs x below 0 where log is undefined
    out.append(S(np.array([0.0, 1.5, 0.0]), np.array([2.0, 2.0, 3.0]), gradgrad=False,
                 desc="zero base"))
    # 0**0 = 1 with zero gradients, 0**1: d/dx = 1, d/dy = 0 (PyTorch's conventions)
    out.append(S(np.array([0.0, 0.0, 2.0]), np.array([0.0, 1.0, 0.0]), grad=False,
                 desc="0**0 and 0**1"))
    return out


# --------------------------------------------------------------------------- unary math
UNARY_SHAPES = [(), (1,), (3, 4), (2, 1, 3)]


def _unary_samples(r, make, **kw):
    out = [S(make(r, s), desc=str(s), **kw) for s in UNARY_SHAPES]
    out.append(S(fortran(make(r, (4, 3))), desc="fortran", **kw))
    out.append(S(strided(make(r, (2, 3))), desc="strided", **kw))
    return out


@samples("neg", ref=lambda t, x: t.neg(x))
def _neg(name, r):
    return _unary_samples(r, U)


def _kinked(kinks=(0.0,)):
    return lambda r, s: dodge(U(r, s), kinks)


_UNARY = {
    "exp": (U, lambda t, x: t.exp(x)),
    "log": (pos, lambda t, x: t.log(x)),
    "log1p": (lambda r, s: U(r, s, -0.5, 2.0), lambda t, x: t.log1p(x)),
    "sqrt": (pos, lambda t, x: t.sqrt(x)),
    "sin": (U, lambda t, x: t.sin(x)),
    "cos": (U, lambda t, x: t.cos(x)),
    "tan": (lambda r, s: U(r, s, -1.2, 1.2), lambda t, x: t.tan(x)),
    "tanh": (U, lambda t, x: t.tanh(x)),
    "sigmoid": (lambda r, s: U(r, s, -4, 4), lambda t, x: t.sigmoid(x)),
    "erf": (U, lambda t, x: t.erf(x)),
    "abs": (_kinked(), lambda t, x: t.abs(x)),
    "sign": (_kinked(), lambda t, x: t.sign(x)),
    "relu": (_kinked(), lambda t, x: t.relu(x)),
}
for _n, (_make, _ref) in _UNARY.items():
    samples(_n, ref=_ref)(lambda name, r, _make=_make: _unary_samples(r, _make))

# convention points, compared with PyTorch only (finite differences straddle the kink)
DB["abs"].append(S(np.array([-1.0, 0.0, 2.0]), grad=False, desc="abs'(0) = 0"))
DB["sign"].append(S(np.array([-1.0, 0.0, 2.0]), grad=False, desc="sign at 0"))
DB["relu"].append(S(np.array([-1.0, 0.0, 2.0]), grad=False, desc="relu'(0) = 0"))
DB["sqrt"].append(S(np.array([0.0, 4.0]), grad=False, edge=True, desc="sqrt'(0) = inf"))
DB["log"].append(S(np.array([0.0, 4.0]), grad=False, edge=True, desc="log'(0) = inf"))
# large arguments: sigmoid must not overflow
DB["sigmoid"].append(S(np.array([-800.0, -30.0, 30.0, 800.0]), grad=False,
                       desc="saturated, no overflow"))


@samples("leaky_relu",
         ref=lambda t, x, negative_slope: t.nn.functional.leaky_relu(x, negative_slope))
def _leaky(name, r):
    out = _unary_samples(r, _kinked(), attrs={"negative_slope": 0.01})
    out.append(S(dodge(U(r, (2, 3))), attrs={"negative_slope": 0.2}, desc="slope 0.2"))
    out.append(S(np.array([-1.0, 0.0, 2.0]), attrs={"negative_slope": 0.1}, grad=False,
                 desc="leaky_relu'(0) = slope"))
    return out


@samples("elu", ref=lambda t, x, alpha: t.nn.functional.elu(x, alpha))
def _elu(name, r):
    out = _unary_samples(r, _kinked(), attrs={"alpha": 1.0})
    out.append(S(dodge(U(r, (2, 3))), attrs={"alpha": 0.5}, desc="alpha 0.5"))
    out.append(S(np.array([-1.0, 0.0, 2.0]), attrs={"alpha": 1.0}, grad=False,
                 desc="elu at 0"))
    return out


@samples("gelu", ref=lambda t, x, approximate: t.nn.functional.gelu(x, approximate=approximate))
def _gelu(name, r):
    out = _unary_samples(r, lambda r, s: U(r, s, -3, 3), attrs={"approximate": "none"})
    out.append(S(U(r, (2, 3), -3, 3), attrs={"approximate": "tanh"}, desc="tanh"))
    out.append(S(np.array(0.7), attrs={"approximate": "tanh"}, desc="tanh 0-d"))
    return out


@samples("softplus",
         ref=lambda t, x, beta, threshold: t.nn.functional.softplus(x, beta, threshold))
def _softplus(name, r):
    out = _unary_samples(r, lambda r, s: U(r, s, -3, 3), attrs={"beta": 1.0, "threshold": 20.0})
    # beta != 1 and the linear branch above the threshold (kept off beta*x == threshold)
    x = dodge(U(r, (3, 4), -2, 2), kinks=(0.5,))
    out.append(S(x, attrs={"beta": 2.0, "threshold": 1.0}, desc="beta 2, threshold 1"))
    out.append(S(np.array([-50.0, 30.0]), attrs={"beta": 1.0, "threshold": 20.0},
                 desc="large |x|"))
    return out


# --------------------------------------------------------------------------- clamp, max/min
@samples("clamp", ref=lambda t, x, min, max: t.clamp(x, min, max))
def _clamp(name, r):
    k = (-0.5, 0.8)
    out = [S(dodge(U(r, s), k), attrs={"min": -0.5, "max": 0.8}, desc=str(s))
           for s in UNARY_SHAPES]
    out.append(S(fortran(dodge(U(r, (4, 3)), k)), attrs={"min": -0.5, "max": 0.8},
                 desc="fortran"))
    out.append(S(dodge(U(r, (2, 3)), (-0.5,)), attrs={"min": -0.5, "max": None}, desc="min only"))
    out.append(S(dodge(U(r, (2, 3)), (0.8,)), attrs={"min": None, "max": 0.8}, desc="max only"))
    out.append(S(np.array([-1.0, -0.5, 0.0, 0.8, 1.0]), attrs={"min": -0.5, "max": 0.8},
                 grad=False, desc="gradient passes at the bounds"))
    return out


def _mm_samples(name, r):
    out = []
    for a, b in BINARY_SHAPES:
        v = distinct(r, (int(np.prod(a)) + int(np.prod(b)),))
        na = int(np.prod(a))
        out.append(S(v[:na].reshape(a), v[na:].reshape(b), desc=f"{a}x{b}"))
    v = distinct(r, (16,))
    out.append(S(fortran(v[:12].reshape(3, 4)), strided(v[12:]), desc="noncontig"))
    # exact ties split the gradient evenly; central differences agree (1/2 each)
    x = np.array([1.0, -2.0, 0.5])
    # (a tie is a kink of the first derivative: no finite-difference gradgradcheck)
    out.append(S(x, np.array([1.0, 3.0, 0.5]), gradgrad=False, desc="ties split"))
    out.append(S(distinct(r, (2, 3)), np.array([0, 1, -1]),
                 call=lambda fn, x, y: getattr(ag, name)(x, y), desc="float x int64"))
    return out


samples("maximum", ref=lambda t, x, y: t.maximum(x, y))(_mm_samples)
samples("minimum", ref=lambda t, x, y: t.minimum(x, y))(_mm_samples)


@samples("where", ref=lambda t, c, x, y: t.where(c, x, y))
def _where(name, r):
    def cond(shape):
        return r.random(shape) > 0.5

    return [
        S(cond((2, 3)), U(r, (2, 3)), U(r, (2, 3)), desc="same shape"),
        S(cond((2, 3)), U(r, (2, 1)), U(r, (3,)), desc="broadcast x, y"),
        S(cond((3, 1)), U(r, ()), U(r, (1, 4)), desc="0-d x"),
        S(np.array(True), U(r, ()), U(r, ()), desc="0-d all"),
        S(cond((1, 3)), fortran(U(r, (4, 3))), strided(U(r, (3,))), desc="noncontig"),
        S(np.array([True, False, True]), U(r, (2, 3)), np.array(0.5), nondiff=(2,),
          desc="constant y"),
        S(np.array([True, False, True]), U(r, (2, 3)), np.array([1, 2, 3]),
          call=lambda fn, c, x, y: ag.where(c, x, y), desc="int64 y"),
    ]


# --------------------------------------------------------------------------- dtype, copies
@samples("cast", ref=lambda t, x, dtype: x.to(getattr(t, np.dtype(dtype).name)))
def _cast(name, r):
    # float64 -> float32 output is quantised to ~6e-8: a larger eps keeps the central
    # difference accurate (cast is linear, so eps does not add truncation error)
    return [
        S(U(r, (2, 3)), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3, desc="to float32"),
        S(U(r, ()), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3, desc="0-d"),
        S(U(r, (3,)), attrs={"dtype": np.dtype(np.float64)}, desc="to float64"),
        S(U(r, (1, 3)), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3, desc="size-1 dim"),
        S(fortran(U(r, (3, 2))), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3,
          desc="fortran"),
    ]


@samples("clone", ref=lambda t, x: t.clone(x))
def _clone(name, r):
    return _unary_samples(r, U)


@samples("fill", ref=lambda t, x, value: x.clone().fill_(value))
def _fill(name, r):
    return [S(U(r, s), attrs={"value": v}, desc=str(s))
            for s, v in [((2, 3), 1.5), ((), -2.0), ((1,), 0.0), ((2, 1, 2), 3.25)]] + \
           [S(fortran(U(r, (3, 2))), attrs={"value": 0.5}, desc="fortran")]


@samples("copy_from", ref=lambda t, x, src: x.clone().copy_(src))
def _copy_from(name, r):
    return [
        S(U(r, (2, 3)), U(r, (2, 3)), desc="same shape"),
        S(U(r, (2, 3)), U(r, (3,)), desc="broadcast src"),
        S(U(r, (2, 3)), U(r, ()), desc="0-d src"),
        S(U(r, (2, 3)), U(r, (2, 1)), desc="size-1 src"),
        S(U(r, ()), U(r, ()), desc="0-d"),
        S(U(r, (3, 4, 2)), fortran(U(r, (4, 2))), desc="fortran src, broadcast"),
    ]
