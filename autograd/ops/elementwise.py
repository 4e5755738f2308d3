"""Elementwise primitives: arithmetic, unary math, activations, clamp, maximum, where.

Vocabulary (see registry.py): ``F`` backend, ``g`` upstream gradient, ``out`` forward
result, then the inputs. Gradients may come back in the broadcast shape; the engine
sums them down to each input's shape.

Subgradient conventions (the table in docs/conventions.md; tested in
tests/test_conventions.py): relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope,
clamp passes the gradient at the bounds (min <= x <= max), maximum/minimum split a tie
evenly (1/2 each), sqrt'(0) = +inf and log'(0) = +inf (as the limit), pow:
d/dy x**y = 0 where x == 0 and y >= 0. At NaN inputs relu/elu pass g, abs' is 0.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .._checks import real_arg
from ..errors import DtypeError, InvalidArgumentError
from ..registry import OPS, _forward_error, apply, backend, composite, defop, method, public
from ..tape import STATE
from ..tensor import Tensor, as_tensor, get_default_dtype
from ._util import Named as _Named, broadcast_src, floating as _floating, raw

try:  # SciPy's erf is exact to the last bit; math.erf is the fallback
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover
    _scipy_erf = None

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)


def _erf_np(x):
    if _scipy_erf is not None:
        return _scipy_erf(x).astype(x.dtype, copy=False)
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


def _sigmoid_np(x):
    # Stable for large |x|: exp only ever sees -|x|.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------- arithmetic
# operator.* rather than np.add & co: the same on arrays, 3x faster on NumPy scalars
_add = defop("add", operator.add,
             (lambda F, g, out, x, y: g,
              lambda F, g, out, x, y: g), linear=True,
             doc="x + y")
_sub = defop("sub", operator.sub,
             (lambda F, g, out, x, y: g,
              lambda F, g, out, x, y: -g), linear=True,
             doc="x - y")
_mul = defop("mul", operator.mul,
             (lambda F, g, out, x, y: g * y,
              lambda F, g, out, x, y: g * x),
             doc="x * y")
_div = defop("div", operator.truediv,
             (lambda F, g, out, x, y: g / y,
              # -g x / y**2 as -g (out / y): y * y overflows for |y| > 1e19 in float32
              lambda F, g, out, x, y: -g * (out / y)),
             uses_out=True, doc="x / y")
_neg = defop("neg", operator.neg, (lambda F, g, out, x: -g,), linear=True, doc="-x")


def _pow_dx(F, g, out, x, y):
    # y * x**(y-1), defined as 0 where y == 0 (so 0**0 has a zero gradient, like PyTorch);
    # the double where keeps 0**-1 from being evaluated at all
    y0 = raw(y) == 0
    return F.where(y0, 0.0, g * y * x ** (F.where(y0, 1.0, y) - 1))


def _pow_dy(F, g, out, x, y):
    # out * log(x), defined as 0 where x == 0 and y >= 0 (the limit), as in PyTorch; for
    # x == 0 and y < 0 it is inf * -inf = -inf, PyTorch's value too
    with np.errstate(invalid="ignore"):
        zero = (raw(x) == 0) & (raw(y) >= 0)
    safe = F.where(zero, 1.0, x)
    return F.where(zero, 0.0, g * out * F.log(safe))


def _pow_fwd(x, y):
    if x.dtype.kind in "iu" and y.dtype.kind in "iu" and (y < 0).any():
        raise InvalidArgumentError("pow: integers to negative integer powers are not allowed; use a "
                         "float base")
    if x.dtype == np.bool_ and y.dtype == np.bool_:
        return np.logical_or(x, np.logical_not(y))  # bool ** bool is bool (PyTorch; NumPy: int8)
    return np.power(x, y)


_pow = defop("pow", _pow_fwd, (_pow_dx, _pow_dy), uses_out=True, doc="x ** y")


def _promote(x, y, true_div=False):
    """PyTorch's type promotion across categories, where NumPy's differs: a floating
    tensor decides the result dtype over integer/bool tensors (float32 * int64 is
    float32, NumPy says float64), and true division of two integer/bool tensors gives
    the default float dtype. Same-category pairs keep NumPy's rules (float32 + float64
    is float64 in both). Integer tensors never require grad, so casting them is free
    of graph effects."""
    fx, fy = x._d.dtype.kind == "f", y._d.dtype.kind == "f"
    if fx and not fy:
        return x, Tensor._wrap(np.asarray(y._d).astype(x._d.dtype))
    if fy and not fx:
        return Tensor._wrap(np.asarray(x._d).astype(y._d.dtype)), y
    if true_div and not fx:
        dt = get_default_dtype()
        return Tensor._wrap(np.asarray(x._d).astype(dt)), Tensor._wrap(np.asarray(y._d).astype(dt))
    return x, y


def _ex(call, result):  # a docstring's example: (the call, its printed result)
    return f"\n\n>>> import autograd as ag\n>>> {call}\n{result}"


def _binary(op, true_div=False, ex=("", "")):
    empty: dict = {}

    def fn(x, y):
        if type(x) is Tensor:
            if type(y) is not Tensor:
                y = as_tensor(y, like=x)
        elif isinstance(x, Tensor):
            y = as_tensor(y, like=x)
        else:
            y = as_tensor(y)
            x = as_tensor(x, like=y)
        if x._d.dtype is not y._d.dtype or (true_div and x._d.dtype.kind != "f"):
            x, y = _promote(x, y, true_div)
        return apply(op, (x, y), empty)

    fn.__name__ = op.name
    fn.__doc__ = f"{op.doc} (broadcasting; Python scalars take the tensor's dtype)" + _ex(*ex)
    return fn


add = _binary(_add, ex=("ag.add(ag.tensor([1.0, 2.0]), 3).tolist()", "[4.0, 5.0]"))
sub = _binary(_sub, ex=("ag.sub(ag.tensor([5.0, 2.0]), 1.5).tolist()", "[3.5, 0.5]"))
mul = _binary(_mul, ex=("ag.mul(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])).tolist()", "[3.0, 8.0]"))
div = _binary(_div, true_div=True, ex=("ag.div(ag.tensor([1, 3]), 2).tolist()", "[0.5, 1.5]"))
pow = _binary(_pow, ex=("ag.pow(ag.tensor([2.0, 3.0]), 2).tolist()", "[4.0, 9.0]"))


def neg(x):
    """-x

    >>> import autograd as ag
    >>> ag.neg(ag.tensor([1.0, -2.0])).tolist()
    [-1.0, 2.0]"""
    return apply(_neg, (as_tensor(x),), {})

# --------------------------------------------------------------------------- unary math
def _unary(name, fwd, vjp, doc, ex=("", ""), **kw):
    op = defop(name, fwd, (vjp,), doc=doc, **kw)

    def fn(x):
        return apply(op, (as_tensor(x),), {})

    fn.__name__ = name
    fn.__doc__ = doc + _ex(f"ag.{name}(ag.tensor({ex[0]})).tolist()", ex[1])
    return fn


def _sign_fwd(x):  # (of a bool tensor: itself, as in PyTorch)
    if x.dtype.kind == "b":
        return x.copy()
    return np.nan_to_num(np.sign(x), nan=0.0) if x.dtype.kind == "f" else np.sign(x)


def _abs_fwd(x):
    if x.dtype.kind == "b":
        raise DtypeError("abs: not implemented for bool tensors (as in PyTorch)")
    return np.abs(x)


def _float_only(name, f):
    def fwd(x):
        if x.dtype.kind not in "f":
            x = x.astype(np.float32)
        return f(x)

    return fwd


abs = _unary("abs", _abs_fwd, lambda F, g, out, x: g * F.sign(x),
             "|x|; gradient sign(x), 0 at 0", smooth=False, ex=("[-2.0, 3.0]", "[2.0, 3.0]"))
sign = _unary("sign", _sign_fwd, lambda F, g, out, x: F.zeros_like(g),
              "sign(x), 0 at NaN like PyTorch; zero gradient everywhere (its derivative is "
              "0 a.e.)", smooth=False, ex=("[-2.0, 0.0, 3.0]", "[-1.0, 0.0, 1.0]"))
exp = _unary("exp", _float_only("exp", np.exp), lambda F, g, out, x: g * out, "e**x",
             uses_out=True, ex=("[0.0]", "[1.0]"))
log = _unary("log", _float_only("log", np.log), lambda F, g, out, x: g / x,
             "natural log; gradient 1/x", ex=("[1.0]", "[0.0]"))
log1p = _unary("log1p", _float_only("log1p", np.log1p), lambda F, g, out, x: g / (1 + x),
               "log(1 + x), accurate for small x; gradient 1/(1+x)", ex=("[0.0]", "[0.0]"))
sqrt = _unary("sqrt", _float_only("sqrt", np.sqrt), lambda F, g, out, x: g / (2 * out),
              "sqrt(x); gradient 1/(2 sqrt(x))", uses_out=True, ex=("[4.0, 9.0]", "[2.0, 3.0]"))
sin = _unary("sin", _float_only("sin", np.sin), lambda F, g, out, x: g * F.cos(x), "sin(x)", ex=("[0.0]", "[0.0]"))
cos = _unary("cos", _float_only("cos", np.cos), lambda F, g, out, x: -g * F.sin(x), "cos(x)", ex=("[0.0]", "[1.0]"))
tan = _unary("tan", _float_only("tan", np.tan), lambda F, g, out, x: g * (1 + out * out),
             "tan(x); gradient 1 + tan(x)**2", uses_out=True, ex=("[0.0]", "[0.0]"))
tanh = _unary("tanh", _float_only("tanh", np.tanh), lambda F, g, out, x: g * (1 - out * out),
              "tanh(x); gradient 1 - tanh(x)**2", uses_out=True, ex=("[0.0]", "[0.0]"))
sigmoid = _unary("sigmoid", _float_only("sigmoid", _sigmoid_np),
                 lambda F, g, out, x: g * out * (1 - out),
                 "1/(1+e**-x), computed without overflow; gradient s(1-s)", uses_out=True, ex=("[0.0]", "[0.5]"))
erf = _unary("erf", _float_only("erf", _erf_np),
             lambda F, g, out, x: g * _TWO_OVER_SQRT_PI * F.exp(-(x * x)),
             "the error function; gradient 2/sqrt(pi) e**(-x**2)", ex=("[0.0]", "[0.0]"))
def _relu_fwd(x):
    if x.dtype.kind == "b":
        raise DtypeError("relu: not implemented for bool tensors (as in PyTorch)")
    return np.maximum(x, 0).astype(x.dtype, copy=False)

relu = _unary("relu", _relu_fwd,
              # reads out, not x (out > 0 exactly where x > 0), as PyTorch saves relu's
              # result: changing the input in place afterwards is harmless
              lambda F, g, out, x: g * ~(raw(out) <= 0),  # (NaN passes g, as in PyTorch)
              "max(x, 0); gradient 1 for x > 0, 0 for x <= 0", smooth=False, uses_out=True, ex=("[-1.0, 2.0]", "[0.0, 2.0]"))


def _leaky_fwd(x, negative_slope=0.01):
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)


_leaky = defop("leaky_relu", _leaky_fwd,
               (lambda F, g, out, x, negative_slope=0.01:
                g * F.const(np.where(raw(x) > 0, 1.0, negative_slope), g),),
               smooth=False, doc="x for x > 0 else slope*x; gradient slope at 0")


def leaky_relu(x, negative_slope: float = 0.01):
    """x if x > 0 else negative_slope * x.

    >>> import autograd as ag
    >>> ag.leaky_relu(ag.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]"""
    return apply(_leaky, (_floating(x, "leaky_relu"),), {"negative_slope": real_arg(negative_slope, "negative_slope", "leaky_relu")})


def _elu_fwd(x, alpha=1.0):
    with np.errstate(invalid="ignore", over="ignore"):  # (an infinite alpha: inf * 0 at 0)
        neg_part = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x >= 0, x, neg_part).astype(x.dtype, copy=False)  # (0 at 0 for any alpha)


_elu = defop("elu", _elu_fwd,
             # g alpha e**x, not g (out + alpha): finite for alpha = inf; NaN passes g
             (lambda F, g, out, x, alpha=1.0: F.where(
                 ~(raw(x) <= 0), g, g * alpha * F.exp(F.where(raw(x) <= 0, x, 0.0))),),
             smooth=False,
             doc="x if x > 0 else alpha (e**x - 1); gradient 1, or out + alpha")


def elu(x, alpha: float = 1.0):
    """x if x > 0 else alpha * (exp(x) - 1).

    >>> import autograd as ag
    >>> ag.elu(ag.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]"""
    return apply(_elu, (_floating(x, "elu"),), {"alpha": real_arg(alpha, "alpha", "elu")})


def _gelu_fwd(x, approximate="none"):
    if approximate == "tanh":
        return (0.5 * x * (1 + np.tanh(_GELU_K * (x + 0.044715 * x ** 3)))).astype(x.dtype, copy=False)
    if approximate != "none":
        raise InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return (0.5 * x * (1 + _erf_np(x / _SQRT2))).astype(x.dtype, copy=False)


def _gelu_vjp(F, g, out, x, approximate="none"):
    if approximate == "tanh":
        inner = _GELU_K * (x + 0.044715 * x * x * x)
        t = F.tanh(inner)
        dinner = _GELU_K * (1 + 3 * 0.044715 * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
    cdf = 0.5 * (1 + F.erf(x / _SQRT2))
    pdf = _INV_SQRT_2PI * F.exp(-0.5 * x * x)
    return g * (cdf + x * pdf)


_gelu = defop("gelu", _gelu_fwd, (_gelu_vjp,),
              doc="x * Phi(x) (exact, via erf) or the tanh approximation")


def gelu(x, approximate: str = "none"):
    """Gaussian error linear unit: x * Phi(x); ``approximate='tanh'`` for the tanh form.

    >>> import autograd as ag
    >>> ag.gelu(ag.tensor([0.0])).tolist()
    [0.0]"""
    return apply(_gelu, (_floating(x, "gelu"),), {"approximate": approximate})


def _softplus_fwd(x, beta=1.0, threshold=20.0):
    bx = beta * x
    # log(1 + e**bx) = logaddexp(0, bx), stable for large |bx|; linear above threshold
    return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)


_softplus = defop("softplus", _softplus_fwd,
                  (lambda F, g, out, x, beta=1.0, threshold=20.0:
                   F.where(raw(x) * beta > threshold, g, g * F.sigmoid(x * beta)),),
                  doc="log(1 + e**(beta x)) / beta, x above threshold; gradient sigmoid(beta x)")


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + exp(beta*x)) / beta (linear where beta*x > threshold, like PyTorch).

    >>> import autograd as ag
    >>> ag.softplus(ag.tensor([30.0])).tolist()
    [30.0]"""
    return apply(_softplus, (_floating(x, "softplus"),),
                 {"beta": real_arg(beta, "beta", "softplus"),
                  "threshold": real_arg(threshold, "threshold", "softplus")})


@composite(method=True, aliases=("swish",))
def silu(x):
    """x * sigmoid(x) (swish). A composite: its gradient comes from mul and sigmoid.

    >>> import autograd as ag
    >>> ag.silu(ag.tensor([0.0])).tolist()
    [0.0]"""
    x = _floating(x, "silu")
    return x * sigmoid(x)


# --------------------------------------------------------------------------- clamp etc.
def _clamp_fwd(x, min=None, max=None):
    if x.dtype.kind == "b" or x.dtype.kind in "iu" and any(isinstance(b, float) for b in (min, max)):
        raise DtypeError(f"clamp: bounds {min}, {max} cannot clamp a {x.dtype} tensor in place "
                         f"(the result can't be cast back, as in PyTorch); convert first")
    if min is None and max is None:
        raise InvalidArgumentError("clamp: at least one of min and max must be given")
    return np.clip(x, min, max).astype(x.dtype, copy=False)


def _clamp_vjp(F, g, out, x, min=None, max=None):
    xr = raw(x)
    mask = np.ones(xr.shape, dtype=bool)
    if min is not None:
        mask &= xr >= min
    if max is not None:
        mask &= xr <= max
    return g * mask


_clamp = defop("clamp", _clamp_fwd, (_clamp_vjp,), smooth=False,
               doc="min(max(x, min), max); gradient passes where min <= x <= max")


def int_bounds_fit(dtype, bounds, op: str) -> None:
    """An int bound of an integer tensor must fit its dtype (PyTorch: RuntimeError)."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        for b in bounds:
            if type(b) is int and not info.min <= b <= info.max:
                raise InvalidArgumentError(f"{op}: value {b} cannot be converted to type "
                                           f"{dtype} without overflow")


def clamp(x, min=None, max=None):
    """Clip ``x`` to [min, max]; the gradient passes where min <= x <= max (inclusive).

    ``min``/``max`` may be numbers or tensors (broadcasting, like ``torch.clamp``); a
    tensor bound gets the gradient where it is the result (x < min, resp. > max).

    >>> import autograd as ag
    >>> ag.clamp(ag.tensor([-2.0, 0.5, 3.0]), min=0, max=1).tolist()
    [0.0, 0.5, 1.0]"""
    x = as_tensor(x)
    for name, b in (("min", min), ("max", max)):
        if b is not None and not isinstance(b, Tensor):
            real_arg(b, name, "clamp")
    if x.dtype.kind == "b" and any(type(b) is int for b in (min, max)):
        x = cast(x, np.int64)  # PyTorch: clamp(bool, int bounds) is int64
    int_bounds_fit(x.dtype, (min, max), "clamp")
    if x.dtype.kind in "biu" and any(isinstance(b, float) for b in (min, max)):
        # PyTorch's promotion: an integer tensor clamped to a float bound gives the
        # default float dtype (NumPy would keep int64 and truncate the bound)
        x = cast(x, get_default_dtype())
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        # composite with PyTorch's conventions: min first, then max
        if min is not None:
            lo = as_tensor(min, like=x)
            x = where(x < lo, lo, x)
        if max is not None:
            hi = as_tensor(max, like=x)
            x = where(x > hi, hi, x)
        return x
    return apply(_clamp, (x,), {"min": min, "max": max})


def _operands(x, y):
    """Two operands as Tensors: a scalar takes the other operand's dtype, then PyTorch's
    promotion across categories (``_promote``). The generic path of ``where``, ``//``
    and ``%``; the arithmetic operators inline the same steps (``_binary``)."""
    if isinstance(x, Tensor):
        y = as_tensor(y, like=x)
    elif isinstance(y, Tensor):
        x = as_tensor(x, like=y)
    else:
        x = as_tensor(x)
        y = as_tensor(y, like=x)
    if x._d.dtype is not y._d.dtype:
        x, y = _promote(x, y)
    return x, y


def _int_pair(x, y, op: str):
    """Both operands as Tensors with PyTorch's promotion (for // and %)."""
    x, y = _operands(x, y)
    kx, ky = x._d.dtype.kind, y._d.dtype.kind
    if kx == "b" and ky == "b":
        raise DtypeError(f"{op}: not defined for two bool tensors; convert one first "
                         f"(e.g. t.long())")
    if kx in "biu" and ky in "biu" and not np.all(y._d):
        raise RuntimeError(f"{op}: ZeroDivisionError: integer division by zero (a zero in "
                           f"the integer divisor of shape {tuple(np.shape(y._d))}); divide "
                           f"floats, or mask the zeros first")
    return x, y


def floor_divide(x, y, *, _op: str = "floor_divide") -> Tensor:
    """``x // y``, rounding toward -inf (Python's and PyTorch's floor division).

    Not differentiable (PyTorch has no derivative for it either): the result is a
    constant that does not require grad.

    >>> import autograd as ag
    >>> ag.floor_divide(ag.tensor([7, -7]), 2).tolist()
    [3, -4]"""
    x, y = _int_pair(x, y, _op)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor._wrap(np.asarray(np.floor_divide(x._d, y._d)))
    except (ValueError, TypeError) as exc:
        raise _forward_error(_Named(_op), (np.asarray(x._d), np.asarray(y._d)), {}, exc) from None


def remainder(x, y) -> Tensor:
    """``x % y`` with the sign of ``y`` (Python's and PyTorch's ``remainder``).

    Gradients as PyTorch: 1 for x, ``-floor(x / y)`` for y. Built as the composite
    ``x - floor_divide(x, y) * y`` for the gradient; its value is then replaced by
    NumPy's exactly rounded remainder (the vjps of sub and mul do not read it).

    >>> import autograd as ag
    >>> ag.remainder(ag.tensor([7, -7]), 3).tolist()
    [1, 2]"""
    x, y = _int_pair(x, y, "remainder")
    q = floor_divide(x, y, _op="remainder")
    res = sub(x, mul(y, q))
    res._d = _exact_remainder(res._d, x._d, y._d)
    if STATE.recorder is not None:  # autograd.compile replays the value fix-up too
        STATE.recorder.rewrite(res, _exact_remainder, (x, y))
    return res


def _exact_remainder(r, x, y):
    """``r`` (x - floor(x/y) y) with NumPy's exactly rounded ``x % y`` as its value."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.remainder(x, y)
    if type(r) is np.ndarray:
        np.copyto(r, exact, casting="unsafe")
        return r
    return np.asarray(exact).astype(np.asarray(r).dtype)[()]


def _tie_split(F, g, x, y, lose):
    # PyTorch's rule: 1/2 on a tie, 0 where x loses, else 1 (so a NaN passes g)
    xr, yr = raw(x), raw(y)
    w = np.where(xr == yr, 0.5, np.where(lose(xr, yr), 0.0, 1.0))
    return g * F.const(w, g)


_maximum = defop("maximum", np.maximum,
                 (lambda F, g, out, x, y: _tie_split(F, g, x, y, np.less),
                  lambda F, g, out, x, y: _tie_split(F, g, y, x, np.less)),
                 smooth=False, doc="elementwise max; a tie splits the gradient evenly, a "
                                   "NaN gives both inputs the gradient")
_minimum = defop("minimum", np.minimum,
                 (lambda F, g, out, x, y: _tie_split(F, g, x, y, np.greater),
                  lambda F, g, out, x, y: _tie_split(F, g, y, x, np.greater)),
                 smooth=False, doc="elementwise min; a tie splits the gradient evenly, a "
                                   "NaN gives both inputs the gradient")
maximum = _binary(_maximum, ex=("ag.maximum(ag.tensor([1.0, 5.0]), 3.0).tolist()", "[3.0, 5.0]"))
minimum = _binary(_minimum, ex=("ag.minimum(ag.tensor([1.0, 5.0]), 3.0).tolist()", "[1.0, 3.0]"))


def _where_fwd(cond, x, y):
    if cond.dtype != np.bool_:
        raise DtypeError(f"where: condition must be a bool tensor, got {cond.dtype}; "
                        f"compare first (e.g. x > 0)")
    return np.where(cond, x, y)


_where = defop("where", _where_fwd,
               (None,
                lambda F, g, out, c, x, y: F.where(raw(c), g, 0.0),
                lambda F, g, out, c, x, y: F.where(raw(c), 0.0, g)),
               # not linear: the vjps read the condition, so changing it in place after
               # the forward must fail the version check (as in PyTorch), not silently
               # route the gradient by the new mask
               linear=False,
               doc="x where cond else y; the unselected branch gets a zero gradient")


def where(cond, x, y):
    """``x`` where ``cond`` else ``y`` (broadcasting).

    The unselected branch gets an exact zero gradient, but a NaN/Inf *value* computed
    in that branch still poisons ``0 * inf``-style products upstream. Use the
    double-where form: ``where(ok, f(where(ok, x, safe)), other)``.

    >>> import autograd as ag
    >>> ag.where(ag.tensor([True, False]), ag.tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]"""
    x, y = _operands(x, y)
    return apply(_where, (as_tensor(cond), x, y), {})


# --------------------------------------------------------------------------- dtype, copies
def _cast_fwd(x, dtype):
    return x.astype(dtype)


_cast = defop("cast", _cast_fwd, (lambda F, g, out, x, dtype: g,), linear=True,
              doc="x converted to dtype; the gradient is converted back")


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float dtypes).

    >>> import autograd as ag
    >>> ag.cast(ag.tensor([1.5, 2.0]), ag.int64).tolist()
    [1, 2]"""
    x = as_tensor(x)
    if dtype is None:
        return x  # PyTorch: x.to(None) is x
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise DtypeError(f"cast (x.to / x.astype): {dtype!r} is not a dtype (give a dtype "
                         f"such as float32, float64, int64 or bool)") from None
    if dtype.kind not in "biuf":
        raise DtypeError(f"cast (x.to / x.astype): tapegrad does not support dtype {dtype}; "
                         f"use bool, an integer or a float dtype")
    if dtype == x.dtype:
        return x
    if dtype.kind != "f":
        return Tensor._wrap(x._arr.astype(dtype))
    return apply(_cast, (x,), {"dtype": dtype})


_clone = defop("clone", np.copy, (lambda F, g, out, x: g,), linear=True,
               doc="a copy of x with its own buffer; gradient passes through")


def clone(x):
    """A copy of ``x`` that is still connected to the graph.

    >>> import autograd as ag
    >>> ag.clone(ag.tensor([1.0, 2.0])).tolist()
    [1.0, 2.0]"""
    return apply(_clone, (as_tensor(x),), {})


_fill = defop("fill", lambda x, value: np.full_like(x, value),
              (lambda F, g, out, x, value: F.zeros_like(g),), linear=True,
              doc="x with every element set to value (used by fill_ and zero_)")
_copy_from = defop("copy_from", lambda x, src: broadcast_src(src, x.shape).astype(x.dtype),
                   (lambda F, g, out, x, src: F.zeros_like(g),
                    lambda F, g, out, x, src: g), linear=True,
                   doc="src broadcast to x's shape (used by copy_)")


def zeros_like(x, dtype=None):
    """A constant tensor of zeros shaped like ``x``."""
    xr = raw(x)
    return Tensor._wrap(np.zeros(xr.shape, dtype=dtype or xr.dtype))


def ones_like(x, dtype=None):
    """A constant tensor of ones shaped like ``x``."""
    xr = raw(x)
    return Tensor._wrap(np.ones(xr.shape, dtype=dtype or xr.dtype))
