"""The softmax family (softmax, log_softmax) and the vector norm, beside the
reductions of ``reduce.py`` they are built from.
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import dim_arg
from ..errors import DtypeError, InvalidArgumentError
from ..registry import apply, composite, defop, public
from ..tensor import Tensor, as_tensor
from ._util import norm_axis, pick_axis
from .reduce import amax, amin, sum


# --------------------------------------------------------------------------- softmax family
def _softmax_fwd(x, axis=-1):
    if x.size == 0:
        return np.empty_like(x)  # (np.max of nothing raises)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_fwd(x, axis=-1):
    if x.size == 0:
        return np.empty_like(x)
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


_softmax = defop("softmax", _softmax_fwd,
                 (lambda F, g, out, x, axis=-1: out * (g - F.sum(g * out, axis=axis, keepdims=True)),),
                 uses_out=True, doc="exp(x - max) / sum(exp(x - max)); gradient s * (g - <g, s>)")
_log_softmax = defop("log_softmax", _log_softmax_fwd,
                     (lambda F, g, out, x, axis=-1: g - F.exp(out) * F.sum(g, axis=axis, keepdims=True),),
                     uses_out=True, doc="x - logsumexp(x); gradient g - softmax * sum(g)")


def _softmax_axis(x, axis, dim, op):
    a = pick_axis({}, axis, dim, default=-1)
    return dim_arg(a, x.ndim, op)


def softmax(x, axis=None, *, dim=None):
    """exp(x) / sum(exp(x)) along ``dim`` (default last), stable for large inputs.

    >>> import autograd as ag
    >>> x = ag.tensor([0., 0., 0., 0.])
    >>> ag.softmax(x, dim=0).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    x = as_tensor(x)
    ax = _softmax_axis(x, axis, dim, "softmax")
    if x.dtype.kind != "f":
        raise DtypeError(f"softmax: needs a floating tensor, got {x.dtype} (as in PyTorch); "
                         f"convert first with .float()")
    return apply(_softmax, (x,), {"axis": None if x.ndim == 0 else ax})


def log_softmax(x, axis=None, *, dim=None):
    """x - logsumexp(x) along ``dim`` (default last), stable for large inputs.

    >>> import autograd as ag
    >>> x = ag.tensor([0., 0.])
    >>> [round(v, 4) for v in ag.log_softmax(x, dim=0).tolist()]  # log(1/2)
    [-0.6931, -0.6931]
    """
    x = as_tensor(x)
    ax = _softmax_axis(x, axis, dim, "log_softmax")
    if x.dtype.kind != "f":
        raise DtypeError(f"log_softmax: needs a floating tensor, got {x.dtype} (as in "
                         f"PyTorch); convert first with .float()")
    return apply(_log_softmax, (x,), {"axis": None if x.ndim == 0 else ax})


# --------------------------------------------------------------------------- norm
def norm(input, p=2, dim=None, keepdim: bool = False):
    """The vector p-norm over ``dim`` (all elements when None), PyTorch's
    ``torch.linalg.vector_norm(x, ord=p, dim=dim, keepdim=keepdim)``:

    * ``p > 0``: ``(sum |x|**p) ** (1/p)``; ``p=2`` is ``sqrt(sum x**2)``, ``p=1`` is
      ``sum |x|``;
    * ``p=inf``: ``max |x|``, ``p=-inf``: ``min |x|`` (ties split the gradient evenly,
      like PyTorch).

    A composite. Where the norm is 0 (``p > 1``) the gradient is 0 like PyTorch's,
    not ``0 * inf = NaN``: the double-where rule (docs/errors.md) keeps the root off 0.
    ``p='fro'`` means 2. ``p <= 0`` is not supported.

    >>> import autograd as ag
    >>> x = ag.tensor([3., 4.])
    >>> ag.norm(x).item(), ag.norm(x, p=1).item()
    (5.0, 7.0)
    """
    from .elementwise import abs as _abs
    from .elementwise import pow as _pow
    from .elementwise import sqrt, where

    x = as_tensor(input)
    if x.dtype.kind != "f":
        from ..errors import DtypeError

        raise DtypeError(f"norm: needs a floating point tensor, got {x.dtype} (shape "
                         f"{x.shape}); convert with .float() first")
    if isinstance(p, str) and p == "fro":
        p = 2
    if isinstance(p, (str, bool)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm: p must be a positive number, inf or -inf, got {p!r}")
    p = float(p)
    if not (p > 0 or p == -math.inf):
        raise InvalidArgumentError(f"norm: p must be positive, inf or -inf, got {p!r} (p <= 0 is not "
                         f"supported; for p=0 count the nonzeros: (x != 0).sum())")
    ax = norm_axis(dim, x.ndim, "norm")
    if ax == () and x.ndim:
        ax = None  # dim=() reduces over everything, as in PyTorch
    kd = bool(keepdim)
    if p == math.inf:
        return amax(_abs(x), axis=ax, keepdims=kd)
    if p == -math.inf:
        return amin(_abs(x), axis=ax, keepdims=kd)
    axes = range(x.ndim) if ax is None else (ax if isinstance(ax, tuple) else (ax,))
    if p == 1 or x.ndim and math.prod(x.shape[a] for a in axes) == 1 or x.numel() == 1:
        # (one element per norm: |x| exactly, as PyTorch, which does not square it, so
        # norm(1e30) is 1e30 in float32, not inf)
        return sum(_abs(x), axis=ax, keepdims=kd)
    s = sum(x * x, axis=ax, keepdims=kd) if p == 2 else \
        sum(_pow(_abs(x), p), axis=ax, keepdims=kd)
    nz = Tensor._wrap(np.asarray(s._arr != 0))  # (NaN stays NaN: NaN > 0 would be 0)
    safe = where(nz, s, 1.0)                             # the root never sees a 0
    root = sqrt(safe) if p == 2 else _pow(safe, 1.0 / p)
    return where(nz, root, 0.0)


# --------------------------------------------------------------------------- the surface
for _f in (softmax, log_softmax):
    public(_f, method=True)
composite("norm", method=True)(norm)
