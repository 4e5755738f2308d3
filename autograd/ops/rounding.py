"""Rounding primitives: round, floor, ceil, trunc (and frac, a composite).

Each is piecewise constant, so its gradient is zero almost everywhere; PyTorch
returns zeros (``RoundBackward0`` & co) and so does tapegrad, which keeps the
output connected to the graph (``x.round().requires_grad`` is True, as in PyTorch).
They are primitives because NumPy's rounding is one call and exact; a composite
could not give a defined zero gradient. ``round`` rounds half to even, like both
NumPy and PyTorch; ``decimals`` rounds to that many decimal places.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..registry import apply, composite, defop, method, public
from ..tensor import as_tensor
from .inplace import inplace

__all__ = ["round", "floor", "ceil", "trunc", "frac"]


def _zero(F, g, out, x, **attrs):
    return F.zeros_like(g)


_round = defop("round", lambda x, decimals=0: np.round(x, decimals), (_zero,), smooth=False,
               linear=True, doc="x rounded half to even (to decimals places); gradient 0")
_floor = defop("floor", np.floor, (_zero,), smooth=False, linear=True,
               doc="the largest integer <= x; gradient 0")
_ceil = defop("ceil", np.ceil, (_zero,), smooth=False, linear=True,
              doc="the smallest integer >= x; gradient 0")
_trunc = defop("trunc", np.trunc, (_zero,), smooth=False, linear=True,
               doc="x rounded towards zero; gradient 0")


def _exact(x):
    """Rounding an integer or bool tensor returns it unchanged (as PyTorch does)."""
    return x.dtype.kind in "biu"


def round(input, decimals: int = 0):  # noqa: A001
    """``input`` rounded half to even (``decimals``: to that many decimal places);
    zero gradient.

    >>> import autograd as ag
    >>> ag.round(ag.tensor([0.5, 1.5, 2.5])).tolist(), ag.round(ag.tensor([15.0]), decimals=-1).tolist()
    ([0.0, 2.0, 2.0], [20.0])
    """
    x = as_tensor(input)
    decimals = _decimals(decimals, "round")
    if _exact(x) and decimals >= 0:
        return x.clone()
    return apply(_round, (x,), {"decimals": int(decimals)} if decimals else {})


def floor(input):  # noqa: A002
    """The largest integer not greater than each element; zero gradient.

    >>> import autograd as ag
    >>> ag.floor(ag.tensor([-1.5, 1.5])).tolist()
    [-2.0, 1.0]
    """
    x = as_tensor(input)
    return x.clone() if _exact(x) else apply(_floor, (x,), {})


def ceil(input):  # noqa: A002
    """The smallest integer not less than each element; zero gradient.

    >>> import autograd as ag
    >>> ag.ceil(ag.tensor([-1.5, 1.5])).tolist()
    [-1.0, 2.0]
    """
    x = as_tensor(input)
    return x.clone() if _exact(x) else apply(_ceil, (x,), {})


def trunc(input):  # noqa: A002
    """Each element rounded towards zero; zero gradient.

    >>> import autograd as ag
    >>> ag.trunc(ag.tensor([-1.5, 1.5])).tolist()
    [-1.0, 1.0]
    """
    x = as_tensor(input)
    return x.clone() if _exact(x) else apply(_trunc, (x,), {})


@composite(method=True)
def frac(input):  # noqa: A002
    """The fractional part, x - trunc(x) (gradient 1).

    >>> import autograd as ag
    >>> ag.frac(ag.tensor([-1.5, 2.25])).tolist()
    [-0.5, 0.25]
    """
    x = as_tensor(input)
    if x.dtype == np.bool_:
        from ..errors import DtypeError
        raise DtypeError("frac: not implemented for bool tensors (as in PyTorch)")
    return x - trunc(x)


for _f in (round, floor, ceil, trunc):
    public(_f, method=True)
def _decimals(d, op: str) -> int:
    from .._checks import int_arg
    from ..errors import InvalidArgumentError

    d = int_arg(d, "decimals", op)
    if not -2 ** 31 < d < 2 ** 31:
        raise InvalidArgumentError(f"{op}: decimals={d} is out of range (a 32-bit int)")
    return d


method("round_", lambda t, decimals=0: inplace(t, "round", **(
    {"decimals": _decimals(decimals, "round_")} if _decimals(decimals, "round_") else {})))
method("floor_", lambda t: inplace(t, "floor"))
method("ceil_", lambda t: inplace(t, "ceil"))
method("trunc_", lambda t: inplace(t, "trunc"))
method("fix", trunc)
_ = builtins  # (the builtin round stays reachable as builtins.round)
