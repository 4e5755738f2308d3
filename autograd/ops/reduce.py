"""Reductions (sum, mean, max, min, prod, logsumexp, var, std, argmax, argmin) and the
softmax family (softmax, log_softmax).

``axis`` (NumPy) and ``dim`` (PyTorch) are both accepted, as are ``keepdims`` and
``keepdim``. Tie conventions: a full ``max()``/``min()`` splits the gradient evenly
among tied elements; ``max(dim=...)`` gives it to the first maximal index (the one
``argmax`` returns), like PyTorch.
"""
from __future__ import annotations

import math
from collections import namedtuple
from typing import Optional

import numpy as np

from ..registry import apply, backend, composite, defop, public
from ..tensor import Tensor, as_tensor
from ._util import kept_shape, norm_axis, pick_axis, raw, sum_to_array


def _expand(F, g, x, axis, keepdims):
    """The upstream gradient of a reduction, broadcast back to ``x``'s shape."""
    if not keepdims:
        g = F.reshape(g, kept_shape(x.shape, axis))
    return F.broadcast_to(g, x.shape)


def _count(shape, axis) -> int:
    # math.prod, not np.prod: 0.04 us instead of 2 us (mean calls this in forward and vjp)
    if axis is None:
        return math.prod(shape)
    return math.prod([shape[a] for a in axis])


def _sum_fwd(x, axis=None, keepdims=False):
    r = x.sum(axis=axis, keepdims=keepdims)
    return r.astype(x.dtype, copy=False) if x.dtype.kind == "f" else r


_sum = defop("sum", _sum_fwd,
             (lambda F, g, out, x, axis=None, keepdims=False: _expand(F, g, x, axis, keepdims),),
             linear=True, doc="sum over axis")
def _mean_fwd(x, axis=None, keepdims=False):
    # sum / n rather than np.mean: the same pairwise sum without np.mean's Python layers
    return x.sum(axis=axis, keepdims=keepdims) / _count(x.shape, axis)


_mean = defop("mean", _mean_fwd,
              (lambda F, g, out, x, axis=None, keepdims=False:
               _expand(F, g, x, axis, keepdims) / _count(x.shape, axis),),
              linear=True, doc="mean over axis; gradient g / n")


def _reduce_args(x, axis, dim, keepdims, keepdim, op):
    x = as_tensor(x)
    ax = norm_axis(pick_axis({}, axis, dim), x.ndim, op)
    if ax == () and x.ndim:
        ax = None  # dim=() or [] reduces over every dimension in PyTorch (NumPy: none)
    kd = bool(keepdims or keepdim)
    return x, ax, kd


def sum(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False, dtype=None):
    """Sum of elements over ``axis`` (all when None, or an empty tuple as in PyTorch).

    ``dtype``: the input is converted to it before summing (PyTorch's meaning; a float
    ``dtype`` keeps the sum differentiable). Integer and bool inputs sum to int64."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "sum")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind in "biu":
        return Tensor._wrap(np.asarray(np.sum(x._arr, axis=ax, keepdims=kd,
                                              dtype=np.int64 if dtype is None else x.dtype)))
    return apply(_sum, (x,), {"axis": ax, "keepdims": kd})


def mean(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Arithmetic mean over ``axis``."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "mean")
    if x.dtype.kind != "f":
        from ..errors import DtypeError

        raise DtypeError(f"mean: needs a floating point tensor, got {x.dtype}; convert "
                         f"with .float() first (PyTorch cannot infer the output dtype either)")
    if x.numel() == 0 and _count(x.shape, ax) == 0:
        # the mean of nothing; an empty batch averaged over non-empty dims is fine
        raise ValueError("mean: cannot take the mean of an empty tensor")
    return apply(_mean, (x,), {"axis": ax, "keepdims": kd})


def sum_to(x, shape):
    """Differentiable sum of ``x`` down to ``shape`` (undoes broadcasting)."""
    x = as_tensor(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and x.shape[i + lead] != 1)
    from .shape import reshape

    if axes:
        x = apply(_sum, (x,), {"axis": axes, "keepdims": True})
    return reshape(x, shape)


# --------------------------------------------------------------------------- max / min
def _extreme_vjp(F, g, out, x, axis=None, keepdims=False, which="max", split=False):
    xr, outr = raw(x), raw(out)
    if axis is None or split:
        # full reduction, and amax/amin: ties share the gradient evenly (per group)
        mask = (xr == np.reshape(outr, kept_shape(xr.shape, axis))).astype(xr.dtype)
        mask /= mask.sum(axis=axis, keepdims=True)
        return _expand(F, g, x, axis, keepdims) * F.const(mask, g)
    # reduction over axes: the first extreme index (argmax order) gets it all
    mask = _first_extreme_mask(xr, axis, which)
    return _expand(F, g, x, axis, keepdims) * F.const(mask, g)


def _first_extreme_mask(xr, axis, which):
    nd = xr.ndim
    if len(axis) == 1:
        # one axis: compare each position with the first extreme's index (broadcast)
        a = axis[0]
        idx = xr.argmax(axis=a) if which == "max" else xr.argmin(axis=a)
        pos = np.arange(xr.shape[a]).reshape((-1,) + (1,) * (nd - a - 1))
        return (pos == np.expand_dims(idx, a)).astype(xr.dtype)
    rest = [a for a in range(nd) if a not in axis]
    moved = np.transpose(xr, rest + list(axis))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    idx = np.argmax(flat, axis=-1) if which == "max" else np.argmin(flat, axis=-1)
    onehot = np.zeros(flat.shape, dtype=xr.dtype)
    np.put_along_axis(onehot, idx[..., None], 1, axis=-1)
    onehot = onehot.reshape(moved.shape)
    inv = np.argsort(rest + list(axis))
    return np.transpose(onehot, inv)


def _max_fwd(x, axis=None, keepdims=False, split=False):
    if x.size == 0 and (axis is None or any(x.shape[a] == 0 for a in axis)):
        # only a reduction over an empty dimension is undefined; an empty batch
        # reduced along a non-empty dimension gives an empty result (like PyTorch)
        raise ValueError("max: cannot reduce an empty tensor (the maximum of nothing is undefined)")
    return x.max(axis=axis, keepdims=keepdims)


def _min_fwd(x, axis=None, keepdims=False, split=False):
    if x.size == 0 and (axis is None or any(x.shape[a] == 0 for a in axis)):
        raise ValueError("min: cannot reduce an empty tensor")
    return x.min(axis=axis, keepdims=keepdims)


_max = defop("max", _max_fwd,
             (lambda F, g, out, x, axis=None, keepdims=False, split=False:
              _extreme_vjp(F, g, out, x, axis, keepdims, "max", split),),
             smooth=False, uses_out=True,
             doc="max over axis; full reduction (and amax, split=True) splits ties, "
                 "max(dim) picks the first index")
_min = defop("min", _min_fwd,
             (lambda F, g, out, x, axis=None, keepdims=False, split=False:
              _extreme_vjp(F, g, out, x, axis, keepdims, "min", split),),
             smooth=False, uses_out=True,
             doc="min over axis; full reduction (and amin, split=True) splits ties, "
                 "min(dim) picks the first index")

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _extreme(op, argfn, x, axis, dim, keepdims, keepdim):
    if isinstance(axis, Tensor) or isinstance(dim, Tensor):
        raise TypeError(f"{op.name}: to compare two tensors elementwise use maximum/minimum")
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, op.name)
    values = apply(op, (x,), {"axis": ax, "keepdims": kd})
    if dim is not None and isinstance(dim, (int, np.integer)):
        idx = argfn(x, dim=dim, keepdim=kd)
        return ValuesIndices(values, idx)
    return values


# The second positional argument is PyTorch's ``dim``: ``values, idx = x.max(1)`` is
# the PyTorch idiom (a positional NumPy-style axis would return values only, and
# unpacking them would silently succeed for two rows). NumPy's ``axis=`` keyword
# returns values only; ``max(a, b)`` with a tensor is the elementwise maximum.
def max(x, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool = False):
    """Maximum over ``dim``/``axis``. With an int ``dim`` (``x.max(1)``, ``x.max(dim=1)``)
    returns ``(values, indices)`` like ``torch.max``."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(x, dim)
    return _extreme(_max, argmax, x, axis, dim, keepdims, keepdim)


def min(x, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool = False):
    """Minimum over ``dim``/``axis``. With an int ``dim`` (``x.min(1)``, ``x.min(dim=1)``)
    returns ``(values, indices)`` like ``torch.min``."""
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(x, dim)
    return _extreme(_min, argmin, x, axis, dim, keepdims, keepdim)


def amax(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Maximum over ``axis`` (int or tuple), values only, like ``torch.amax``: tied
    elements share the gradient evenly."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "amax")
    return apply(_max, (x,), {"axis": ax, "keepdims": kd, "split": True})


def amin(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Minimum over ``axis`` (int or tuple), values only, like ``torch.amin``: tied
    elements share the gradient evenly."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "amin")
    return apply(_min, (x,), {"axis": ax, "keepdims": kd, "split": True})


def _arg_fwd(fn):
    def fwd(x, axis=None, keepdims=False):
        if axis is None:
            r = fn(x.reshape(-1))
            return np.asarray(r).reshape((1,) * x.ndim if keepdims else ())
        return np.asarray(fn(x, axis=axis, keepdims=keepdims))

    return fwd


_argmax = defop("argmax", _arg_fwd(np.argmax), (), differentiable=False,
                doc="index of the first maximum (int64, no gradient)")
_argmin = defop("argmin", _arg_fwd(np.argmin), (), differentiable=False,
                doc="index of the first minimum (int64, no gradient)")


def argmax(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Index of the (first) maximum along ``axis`` (flattened when None)."""
    x = as_tensor(x)
    a = pick_axis({}, axis, dim)
    if a is not None:
        a = norm_axis(a, x.ndim, "argmax")[0] if x.ndim else None
    return apply(_argmax, (x,), {"axis": a, "keepdims": bool(keepdims or keepdim)})


def argmin(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Index of the (first) minimum along ``axis`` (flattened when None)."""
    x = as_tensor(x)
    a = pick_axis({}, axis, dim)
    if a is not None:
        a = norm_axis(a, x.ndim, "argmin")[0] if x.ndim else None
    return apply(_argmin, (x,), {"axis": a, "keepdims": bool(keepdims or keepdim)})


# --------------------------------------------------------------------------- prod
def _group_layout(shape, axis):
    """How a reduction over ``axis`` sees ``shape``: the permutation putting the kept
    axes first, the kept sizes, the reduced group length n and the inverse permutation."""
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else tuple(axis)
    rest = [a for a in range(nd) if a not in axes]
    perm = tuple(rest + list(axes))
    inv = tuple(int(i) for i in np.argsort(perm)) if perm else ()
    return perm, tuple(shape[a] for a in rest), math.prod([shape[a] for a in axes]), inv


def _prod_others_np(x, axis=None):
    """prod_{i != k} x_i over each reduced group, exact with zeros (no division): the
    product of the prefix and suffix cumulative products along the flattened group."""
    if x.size == 0:
        return np.zeros(x.shape, dtype=x.dtype)
    perm, lead, n, inv = _group_layout(x.shape, axis)
    moved = np.transpose(x, perm)
    flat = moved.reshape(lead + (n,))
    ones = np.ones(lead + (1,), dtype=flat.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.transpose((left * right).reshape(moved.shape), inv)


def _prod_others_vjp(F, g, out, x, axis=None):
    # dx_j = sum_{k != j} g_k prod_{i != j, k} x_i. Row k of an (n, n) matrix is the
    # group with x_k replaced by 1; prod_others of that row at j != k is exactly
    # prod_{i != j, k} x_i, zeros included, and it is this op again, so every order
    # of derivative stays exact. n * n per group, only in a create_graph backward.
    #
    # Not out / x: that is the product of the others only to first order; differentiated
    # again it is others/x - out/x**2, two huge terms cancelling when some x is tiny
    # (found by tests/fuzz_graphs.py: an element of 5e-17 gave a Hessian entry of -4
    # instead of -1.567; PyTorch's formula gives 0). Only long zero-free groups, where
    # n * n would cost too much, divide: dx_j = others_j (sum_k g_k / x_k - g_j / x_j).
    perm, lead, n, inv = _group_layout(x.shape, axis)
    if n > 256 and not (raw(x) == 0).any():
        s = F.sum(g / x, axis=axis, keepdims=True)
        return out * (s - g / x)
    moved = tuple(x.shape[a] for a in perm)
    xf = F.reshape(F.permute(x, perm), lead + (n,))
    gf = F.reshape(F.permute(g, perm), lead + (n,))
    eye = np.eye(n, dtype=bool)
    rep = F.where(eye, 1.0, F.expand_dims(xf, -2))                      # (..., k, i)
    po = F.prod_others(rep, axis=(len(lead) + 1,))                     # (..., k, j)
    d = F.sum(F.where(eye, 0.0, po) * F.expand_dims(gf, -1), axis=len(lead))
    return F.permute(F.reshape(d, moved), inv)


_prod_others = defop("prod_others", _prod_others_np, (_prod_others_vjp,), uses_out=True,
                     backend=True,
                     doc="others_k = prod_{i != k} x_i within each group reduced over axis "
                         "(exact with zeros: prefix times suffix products); gradient "
                         "dx_j = sum_{k != j} g_k prod_{i != j, k} x_i")


def _prod_vjp(F, g, out, x, axis=None, keepdims=False):
    return _expand(F, g, x, axis, keepdims) * F.prod_others(x, axis=axis)


_prod = defop("prod", lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims),
              (_prod_vjp,),
              doc="product over axis; gradient g * prod_others(x), the product of the "
                  "other elements of the group")


def prod(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Product of elements over ``axis`` (exact gradient even with zeros)."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "prod")
    return apply(_prod, (x,), {"axis": ax, "keepdims": kd})


# --------------------------------------------------------------------------- logsumexp
def _lse_fwd(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf rows give -inf, not nan
    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


_lse = defop("logsumexp", _lse_fwd,
             (lambda F, g, out, x, axis=None, keepdims=False:
              _expand(F, g, x, axis, keepdims) * F.exp(x - _expand(F, out, x, axis, keepdims)),),
             uses_out=True, doc="log(sum(exp(x))) computed with the max subtracted; "
                                "gradient softmax(x)")


def logsumexp(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """log(sum(exp(x))) over ``axis``, stable for large inputs."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "logsumexp")
    return apply(_lse, (x,), {"axis": ax, "keepdims": kd})


# --------------------------------------------------------------------------- var, std
def var(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False,
        unbiased: Optional[bool] = None, correction: Optional[int] = None, ddof: Optional[int] = None):
    """Variance sum((x - mean)**2) / (n - correction); PyTorch's default correction=1.

    A composite (two-pass: the mean first, so it is stable for large offsets)."""
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "var")
    if x.dtype.kind != "f":
        from ..errors import DtypeError

        raise DtypeError(f"var/std: need a floating point tensor, got {x.dtype}; convert "
                         f"with .float() first")
    if sum_none := [v for v in (unbiased, correction, ddof) if v is not None]:
        if len(sum_none) > 1:
            raise TypeError("var: give only one of unbiased, correction and ddof")
    c = 1
    if unbiased is not None:
        c = 1 if unbiased else 0
    elif correction is not None:
        c = int(correction)
    elif ddof is not None:
        c = int(ddof)
    n = _count(x.shape, ax)
    mu = mean(x, axis=ax, keepdims=True)
    d = x - mu
    return sum(d * d, axis=ax, keepdims=kd) / float(np.maximum(n - c, 0) or np.nan)


def std(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False,
        unbiased: Optional[bool] = None, correction: Optional[int] = None, ddof: Optional[int] = None):
    """Standard deviation: sqrt(var(...)) with the same arguments."""
    from .elementwise import sqrt

    return sqrt(var(x, axis, keepdims, dim=dim, keepdim=keepdim, unbiased=unbiased,
                    correction=correction, ddof=ddof))


# --------------------------------------------------------------------------- softmax family
def _softmax_fwd(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_fwd(x, axis=-1):
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
    if x.ndim == 0:
        return 0
    return norm_axis(a, x.ndim, op)[0]


def softmax(x, axis=None, *, dim=None):
    """exp(x) / sum(exp(x)) along ``dim`` (default last), stable for large inputs."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"softmax: needs a floating tensor, got {x.dtype}")
    if x.ndim == 0:
        return apply(_softmax, (x,), {"axis": None})
    return apply(_softmax, (x,), {"axis": _softmax_axis(x, axis, dim, "softmax")})


def log_softmax(x, axis=None, *, dim=None):
    """x - logsumexp(x) along ``dim`` (default last), stable for large inputs."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"log_softmax: needs a floating tensor, got {x.dtype}")
    if x.ndim == 0:
        return apply(_log_softmax, (x,), {"axis": None})
    return apply(_log_softmax, (x,), {"axis": _softmax_axis(x, axis, dim, "log_softmax")})


# --------------------------------------------------------------------------- norm
def norm(x, p=2, dim=None, keepdim: bool = False):
    """The vector p-norm over ``dim`` (all elements when None), PyTorch's
    ``torch.linalg.vector_norm(x, ord=p, dim=dim, keepdim=keepdim)``:

    * ``p > 0``: ``(sum |x|**p) ** (1/p)``; ``p=2`` is ``sqrt(sum x**2)``, ``p=1`` is
      ``sum |x|``;
    * ``p=inf``: ``max |x|``, ``p=-inf``: ``min |x|`` (ties split the gradient evenly,
      like PyTorch).

    A composite. Where the norm is 0 (``p > 1``) the gradient is 0 like PyTorch's,
    not ``0 * inf = NaN``: the double-where rule (docs/errors.md) keeps the root off 0.
    ``p='fro'`` means 2. ``p <= 0`` is not supported."""
    from .elementwise import abs as _abs
    from .elementwise import pow as _pow
    from .elementwise import sqrt, where

    x = as_tensor(x)
    if x.dtype.kind != "f":
        from ..errors import DtypeError

        raise DtypeError(f"norm: needs a floating point tensor, got {x.dtype} (shape "
                         f"{x.shape}); convert with .float() first")
    if p == "fro":
        p = 2
    if isinstance(p, (str, bool)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm: p must be a positive number, inf or -inf, got {p!r}")
    p = float(p)
    if not (p > 0 or p == -math.inf):
        raise ValueError(f"norm: p must be positive, inf or -inf, got {p!r} (p <= 0 is not "
                         f"supported; for p=0 count the nonzeros: (x != 0).sum())")
    ax = norm_axis(dim, x.ndim, "norm")
    if ax == () and x.ndim:
        ax = None  # dim=() reduces over everything, as in PyTorch
    kd = bool(keepdim)
    if p == math.inf:
        return amax(_abs(x), axis=ax, keepdims=kd)
    if p == -math.inf:
        return amin(_abs(x), axis=ax, keepdims=kd)
    if p == 1:
        return sum(_abs(x), axis=ax, keepdims=kd)
    s = sum(x * x, axis=ax, keepdims=kd) if p == 2 else \
        sum(_pow(_abs(x), p), axis=ax, keepdims=kd)
    nz = Tensor._wrap(np.asarray(s._arr > 0))
    safe = where(nz, s, 1.0)                             # the root never sees a 0
    root = sqrt(safe) if p == 2 else _pow(safe, 1.0 / p)
    return where(nz, root, 0.0)


# --------------------------------------------------------------------------- the surface
for _f in (sum, mean, max, min, amax, amin, argmax, argmin, prod, logsumexp, softmax,
           log_softmax):
    public(_f, method=True)
public(sum_to)
for _f in (var, std, norm):
    composite(_f.__name__, method=True)(_f)

backend("sum", lambda x, axis=None, keepdims=False: x.sum(axis=axis, keepdims=keepdims),
        lambda x, axis=None, keepdims=False: sum(x, axis=axis, keepdims=keepdims))
backend("sum_to", sum_to_array, sum_to)
