"""Comparisons, in PyTorch's forms: ``eq``/``ne``/``gt``/``ge``/``lt``/``le`` (and
NumPy's names), the comparison operators (``t == u`` & co), ``isclose``, ``allclose``
and ``equal``. None is differentiable: each returns a bool tensor or a Python bool."""
from __future__ import annotations

import numpy as np

from .._checks import broadcast_arg, real_arg
from ..errors import DtypeError
from ..registry import method, public
from ..tensor import Tensor, as_tensor


def _comparison(name: str, op: str, ex: str):
    def fn(input, other):  # noqa: A002
        out = getattr(as_tensor(input), op)(other)
        if out is NotImplemented:
            raise TypeError(f"{name}: other must be a tensor or a number, got "
                            f"{type(other).__name__} {other!r}")
        return out

    fn.__name__ = name
    fn.__doc__ = (f"Element-wise ``input {_SYMBOLS[op]} other``, a bool tensor (``torch.{name}``)."
                  f"\n\n>>> import autograd as ag\n>>> ag.{name}(ag.tensor([1, 2, 3]), 2).tolist()"
                  f"\n{ex}")
    return fn


_SYMBOLS = {"__eq__": "==", "__ne__": "!=", "__gt__": ">", "__ge__": ">=", "__lt__": "<",
            "__le__": "<="}
for _name, _op, _aliases, _ex in (
        ("eq", "__eq__", (), "[False, True, False]"),
        ("ne", "__ne__", ("not_equal",), "[True, False, True]"),
        ("gt", "__gt__", ("greater",), "[False, False, True]"),
        ("ge", "__ge__", ("greater_equal",), "[False, True, True]"),
        ("lt", "__lt__", ("less",), "[True, False, False]"),
        ("le", "__le__", ("less_equal",), "[True, True, False]")):
    public(_comparison(_name, _op, _ex), method=True, aliases=_aliases)


def _operator_cmp(fn):
    """A comparison operator (``t == u`` & co, Tensor._cmp); NotImplemented for None or a
    string, so ``t == None`` is False, as in PyTorch and Python."""
    def op(self, other):
        return NotImplemented if other is None or isinstance(other, str) else self._cmp(other, fn)
    return op


for _op, _fn in (("__eq__", np.equal), ("__ne__", np.not_equal), ("__lt__", np.less),
                 ("__le__", np.less_equal), ("__gt__", np.greater), ("__ge__", np.greater_equal)):
    method(_op, _operator_cmp(_fn))


def _isclose(op: str, input, other, rtol, atol, equal_nan) -> np.ndarray:  # noqa: A002
    a = as_tensor(input)
    b = as_tensor(other, like=a)
    r, t = real_arg(rtol, "rtol", op), real_arg(atol, "atol", op)
    if not isinstance(equal_nan, (bool, np.bool_)):
        raise TypeError(f"{op}: equal_nan must be a bool, got {type(equal_nan).__name__} "
                        f"{equal_nan!r}")
    if a.dtype != b.dtype:
        raise DtypeError(f"{op}: {a.dtype} did not match {b.dtype}; both inputs must have the "
                         f"same dtype (convert one with .to(other.dtype))")
    for what, v in (("rtol", r), ("atol", t)):
        if not v >= 0:
            raise RuntimeError(f"{op}: {what} must be greater than or equal to zero, but got {v}")
    broadcast_arg(op, a.shape, b.shape)
    if a.dtype == np.bool_:
        return np.asarray(a._d == b._d)
    x, y = a._d, b._d  # torch's rule: equal, or a finite |a - b| within atol + |rtol b|
    close = x == y     # (NumPy 2's isclose counts inf within an infinite rtol)
    x, y = (x.astype(np.float64), y.astype(np.float64)) if x.dtype.kind in "iu" else (x, y)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(x - y)
        close = close | (np.isfinite(err) & (err <= t + np.abs(r * y)))
    return np.asarray(close | (np.isnan(x) & np.isnan(y)) if equal_nan else close)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: A002
    """True when ``|input - other| <= atol + rtol * |other|`` everywhere (``torch.allclose``;
    both of one dtype, shapes broadcastable, rtol and atol >= 0).

    >>> import autograd as ag
    >>> ag.allclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0 + 1e-9]))
    True
    """
    return bool(_isclose("allclose", input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    """Element-wise ``|input - other| <= atol + rtol * |other|``, a bool tensor (both of
    one dtype, shapes broadcastable, rtol and atol >= 0; ``torch.isclose``).

    >>> import autograd as ag
    >>> ag.isclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.5])).tolist()
    [True, False]
    """
    return Tensor._wrap(_isclose("isclose", input, other, rtol, atol, equal_nan))


def equal(input, other) -> bool:  # noqa: A002
    """True when both have the same shape and elements (``torch.equal``).

    >>> import autograd as ag
    >>> ag.equal(ag.tensor([1, 2]), ag.tensor([1, 2])), ag.equal(ag.tensor([1, 2]), ag.tensor([1]))
    (True, False)
    """
    a, b = as_tensor(input), as_tensor(other)
    return a.shape == b.shape and bool(np.array_equal(a._d, b._d))


for _f in (allclose, isclose, equal):
    public(_f, method=True)
