"""Elementwise ops, part 2: the composites square/rsqrt/reciprocal and the family's
surface (public functions, Tensor methods and operators, F.<name> backends) for the
primitives declared in :mod:`autograd.ops.elementwise` (split to stay under 600 lines)."""
from __future__ import annotations

import numpy as np

from ..registry import backend, composite, method, public
from ..tensor import as_tensor
from .elementwise import (_erf_np, _sigmoid_np, _sign_fwd, abs, add, cast, clamp,
                          clone, cos, div, elu, erf, exp, floor_divide, gelu,
                          leaky_relu, log, log1p, maximum, minimum, mul, neg,
                          ones_like, pow, relu, remainder, sigmoid, sign, sin,
                          softplus, sqrt, sub, tan, tanh, where, zeros_like)  # noqa: A004


@composite(method=True)
def square(x):
    """x * x (a composite of mul).

    >>> import autograd as ag
    >>> ag.square(ag.tensor([3.0, -2.0])).tolist()
    [9.0, 4.0]"""
    x = as_tensor(x)
    if x._d.dtype.kind == "b":
        x = cast(x, np.int64)  # PyTorch: square(bool) is int64 (bool * bool would stay bool)
    return x * x


@composite(method=True)
def rsqrt(x):
    """1 / sqrt(x) (a composite).

    >>> import autograd as ag
    >>> ag.rsqrt(ag.tensor([4.0, 0.25])).tolist()
    [0.5, 2.0]"""
    return 1 / sqrt(x)


@composite(method=True)
def reciprocal(x):
    """1 / x (a composite).

    >>> import autograd as ag
    >>> ag.reciprocal(ag.tensor([2.0, 0.5])).tolist()
    [0.5, 2.0]"""
    return 1 / as_tensor(x)


# --------------------------------------------------------------------------- the surface
# public functions, Tensor methods and operators, and the F.<name> backend functions
public(add, method=True)
public(sub, method=True, aliases=("subtract",))
public(mul, method=True, aliases=("multiply",))
public(div, method=True, aliases=("divide", "true_divide"))
public(pow, method=True)
public(neg, method=True, aliases=("negative",))
for _f in (exp, log, log1p, sqrt, sin, cos, tan, tanh, sigmoid, relu, abs, sign, erf, leaky_relu,
           elu, gelu, softplus, maximum, minimum, clone):
    public(_f, method=True)
public(clamp, method=("clamp", "clip"), aliases=("clip",))
public(where)
public(cast, method=("astype",))  # (`to` is in surface.py: dtype, device or tensor)
# floor division is piecewise constant (no gradient); its samples reach it through mul,
# and remainder's (a composite of sub and mul, exact value) through sub
public(floor_divide, method=True)
public(remainder, method=True)

method("__add__", add)
method("__radd__", lambda self, other: add(other, self))
method("__sub__", sub)
method("__rsub__", lambda self, other: sub(other, self))
method("__mul__", mul)
method("__rmul__", lambda self, other: mul(other, self))
method("__truediv__", div)
method("__rtruediv__", lambda self, other: div(other, self))
method("__pow__", pow)
method("__rpow__", lambda self, other: pow(other, self))
method("__floordiv__", floor_divide)
method("__rfloordiv__", lambda self, other: floor_divide(as_tensor(other, like=self), self))
method("__mod__", remainder)
method("__rmod__", lambda self, other: remainder(as_tensor(other, like=self), self))
method("__neg__", neg)
method("__abs__", abs)
method("where", lambda self, condition, other: where(condition, self, other))
def _masked_fill(self, mask, value):
    from .surface import masked_fill_args  # (surface.py imports this module)

    return where(*masked_fill_args(self, mask, value, "masked_fill"), self)


_masked_fill.__name__ = "masked_fill"
method("masked_fill", _masked_fill)
method("type_as", lambda self, other: cast(self, other.dtype))

backend("exp", np.exp, exp)
backend("log", np.log, log)
backend("sqrt", np.sqrt, sqrt)
backend("sin", np.sin, sin)
backend("cos", np.cos, cos)
backend("tanh", np.tanh, tanh)
backend("abs", np.abs, abs)
backend("sign", _sign_fwd, sign)  # sign(NaN) = 0: abs'(NaN) = 0, as in PyTorch
backend("sigmoid", _sigmoid_np, sigmoid)
backend("erf", _erf_np, erf)
backend("where", np.where, where)
backend("maximum", np.maximum, maximum)
backend("zeros_like", np.zeros_like, zeros_like)
backend("ones_like", np.ones_like, ones_like)
backend("cast", lambda x, dtype: x.astype(dtype, copy=False),
        lambda x, dtype: cast(x, dtype=np.dtype(dtype)))
