"""Reductions (sum, mean, max, min, prod, logsumexp, var, std, argmax, argmin); the
softmax family and the vector norm are in ``softmax_norm.py``.

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

from .._checks import dim_arg
from ..errors import DtypeError, InvalidArgumentError, ShapeError
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
    ``dtype`` keeps the sum differentiable). Integer and bool inputs sum to int64.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.sum(x).item(), ag.sum(x, dim=1).tolist()
    (21.0, [8.0, 13.0])
    """
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "sum")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind in "biu":
        return Tensor._wrap(np.asarray(np.sum(x._arr, axis=ax, keepdims=kd,
                                              dtype=np.int64 if dtype is None else x.dtype)))
    return apply(_sum, (x,), {"axis": ax, "keepdims": kd})


def mean(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Arithmetic mean over ``axis``.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.mean(x, dim=0).tolist()
    [2.5, 4.0, 4.0]
    """
    x = as_tensor(x)
    if x.dtype.kind != "f":  # (PyTorch checks the dtype before the dims)
        raise DtypeError(f"mean: needs a floating point tensor, got {x.dtype}; convert "
                         f"with .float() first (PyTorch cannot infer the output dtype either)")
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "mean")
    if x.numel() == 0 and _count(x.shape, ax) == 0:
        # the mean of nothing; an empty batch averaged over non-empty dims is fine
        raise InvalidArgumentError("mean: cannot take the mean of an empty tensor")
    return apply(_mean, (x,), {"axis": ax, "keepdims": kd})


def sum_to(x, shape):
    """Differentiable sum of ``x`` down to ``shape`` (undoes broadcasting).

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.sum_to(x, (1, 3)).tolist()
    [[5.0, 8.0, 8.0]]
    """
    from .._checks import size_arg

    x = as_tensor(x)
    shape = size_arg((shape,), "sum_to")
    if x.shape == shape:
        return x
    if len(shape) > x.ndim or any(s != 1 and s != t for s, t in
                                  zip(shape[::-1], x.shape[::-1])):
        raise ShapeError(f"sum_to: cannot sum a tensor of shape {x.shape} down to {shape}: "
                         f"{shape} must broadcast to {x.shape}")
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
        # full reduction, and amax/amin: ties share the gradient evenly (per group).
        # The count is an integer and the division float64: a float16 count of more
        # than 65,504 ties would overflow to inf and give every element 0. A full
        # max()/min() with NaNs gives the gradient to the NaNs (the result), as in
        # PyTorch; amax/amin give NaN everywhere there (PyTorch's too)
        o = np.reshape(outr, kept_shape(xr.shape, axis))
        hit = xr == o
        if not split and xr.dtype.kind == "f" and np.isnan(o).any():
            hit |= np.isnan(xr) & np.isnan(o)
        with np.errstate(invalid="ignore", divide="ignore"):
            mask = (hit / hit.sum(axis=axis, keepdims=True)).astype(xr.dtype)
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
        raise InvalidArgumentError("max: cannot reduce an empty tensor (the maximum of "
                                   "nothing is undefined)")
    return x.max(axis=axis, keepdims=keepdims)


def _min_fwd(x, axis=None, keepdims=False, split=False):
    if x.size == 0 and (axis is None or any(x.shape[a] == 0 for a in axis)):
        raise InvalidArgumentError("min: cannot reduce an empty tensor")
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


def _nonempty(x, ax, op: str) -> None:
    """PyTorch's errors for the max/min/argmax of nothing: RuntimeError without a dim
    (IndexError for argmax/argmin), IndexError for an empty reduced dim."""
    if x.numel() == 0:
        if ax is None:
            cls = IndexError if op.startswith("arg") else InvalidArgumentError
            raise cls(f"{op}(): cannot reduce an empty tensor (shape {tuple(x.shape)}) over "
                      f"all its dimensions: the {op[-3:]} of nothing is undefined; give a "
                      f"dim of non-zero size")
        for a in ax:
            if x.shape[a] == 0:
                raise IndexError(f"{op}(): expected reduction dim {a} to have non-zero size "
                                 f"(shape {tuple(x.shape)})")


def _extreme(op, argfn, x, axis, dim, keepdims, keepdim):
    if isinstance(axis, Tensor) or isinstance(dim, Tensor):
        raise TypeError(f"{op.name}: to compare two tensors elementwise use maximum/minimum")
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, op.name)
    _nonempty(x, ax, op.name)
    values = apply(op, (x,), {"axis": ax, "keepdims": kd})
    if dim is not None and isinstance(dim, (int, np.integer)):
        idx = argfn(x if x.dtype.kind != "b" else x.to(np.uint8), dim=dim, keepdim=kd)
        return ValuesIndices(values, idx)
    return values


# The second positional argument is PyTorch's ``dim``: ``values, idx = x.max(1)`` is
# the PyTorch idiom (a positional NumPy-style axis would return values only, and
# unpacking them would silently succeed for two rows). NumPy's ``axis=`` keyword
# returns values only; ``max(a, b)`` with a tensor is the elementwise maximum.
def max(x, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool = False):
    """Maximum over ``dim``/``axis``. With an int ``dim`` (``x.max(1)``, ``x.max(dim=1)``)
    returns ``(values, indices)`` like ``torch.max``.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> values, indices = ag.max(x, dim=1)
    >>> values.tolist(), indices.tolist()
    ([5.0, 6.0], [1, 2])
    """
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(x, dim)
    return _extreme(_max, argmax, x, axis, dim, keepdims, keepdim)


def min(x, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool = False):
    """Minimum over ``dim``/``axis``. With an int ``dim`` (``x.min(1)``, ``x.min(dim=1)``)
    returns ``(values, indices)`` like ``torch.min``.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> values, indices = ag.min(x, dim=1)
    >>> values.tolist(), indices.tolist()
    ([1.0, 3.0], [0, 1])
    """
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(x, dim)
    return _extreme(_min, argmin, x, axis, dim, keepdims, keepdim)


def amax(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Maximum over ``axis`` (int or tuple), values only, like ``torch.amax``: tied
    elements share the gradient evenly.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.amax(x, dim=1).tolist()
    [5.0, 6.0]
    """
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "amax")
    _nonempty(x, ax, "amax")
    return apply(_max, (x,), {"axis": ax, "keepdims": kd, "split": True})


def amin(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Minimum over ``axis`` (int or tuple), values only, like ``torch.amin``: tied
    elements share the gradient evenly.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.amin(x, dim=0).tolist()
    [1.0, 3.0, 2.0]
    """
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "amin")
    _nonempty(x, ax, "amin")
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


def _not_bool(x: Tensor, op: str) -> None:
    if x.dtype.kind == "b":
        raise DtypeError(f"{op}(): does not support bool input (as in PyTorch); convert "
                         f"first, e.g. {op}(x.int())")


def argmax(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Index of the (first) maximum along ``axis`` (flattened when None).

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.argmax(x, dim=1).tolist()
    [1, 2]
    """
    x = as_tensor(x)
    _not_bool(x, "argmax")
    a = pick_axis({}, axis, dim)
    if a is not None:
        a = dim_arg(a, x.ndim, "argmax") if x.ndim else (dim_arg(a, 0, "argmax") and None)
    _nonempty(x, None if a is None else (a,), "argmax")
    return apply(_argmax, (x,), {"axis": a, "keepdims": bool(keepdims or keepdim)})


def argmin(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    """Index of the (first) minimum along ``axis`` (flattened when None).

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.argmin(x).item()
    0
    """
    x = as_tensor(x)
    _not_bool(x, "argmin")
    a = pick_axis({}, axis, dim)
    if a is not None:
        a = dim_arg(a, x.ndim, "argmin") if x.ndim else (dim_arg(a, 0, "argmin") and None)
    _nonempty(x, None if a is None else (a,), "argmin")
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
    """Product of elements over ``axis`` (exact gradient even with zeros).

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 5., 2.], [4., 3., 6.]])
    >>> ag.prod(x, dim=1).tolist()
    [10.0, 72.0]
    """
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
    """log(sum(exp(x))) over ``axis``, stable for large inputs.

    >>> import autograd as ag
    >>> x = ag.tensor([0., 0.])
    >>> round(ag.logsumexp(x, dim=0).item(), 4)  # log 2
    0.6931
    """
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, "logsumexp")
    if x.dtype.kind in "biu":
        x = x.to(np.float32)  # PyTorch: the default float dtype for integer input
    return apply(_lse, (x,), {"axis": ax, "keepdims": kd})


# --------------------------------------------------------------------------- var, std
def _centred(x, axis, dim, keepdims, keepdim, unbiased, correction, ddof, op):
    """The parts var and std share: ``x`` centred and scaled, ``q = (x - mean) / s`` with
    ``s`` the largest ``|x - mean|`` of each group (a constant: ``var(x) = s**2 var(x / s)``
    exactly, for any constant s), and the degrees of freedom ``n - correction``.

    The scaling is what keeps float32 ``[1e30, -1e30, ...]`` finite (``d * d`` would
    overflow, giving ``inf`` and a zero gradient); PyTorch's Welford kernel has the same
    range."""
    x = as_tensor(x)
    if isinstance(axis, (bool, np.bool_)):     # PyTorch's overload var(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice (a bool as the first argument is "
                            f"unbiased, as in PyTorch)")
        axis, unbiased = None, bool(axis)
    if unbiased is not None and not isinstance(unbiased, (bool, np.bool_)):
        raise TypeError(f"{op}: unbiased must be a bool, got {type(unbiased).__name__} "
                        f"{unbiased!r} (the argument after dim is unbiased, as in "
                        f"PyTorch; pass keepdim=... by name)")
    if x.dtype.kind != "f":  # (PyTorch checks the dtype before the dim)
        raise DtypeError(f"{op}: needs a floating point tensor, got {x.dtype}; convert "
                         f"with .float() first")
    x, ax, kd = _reduce_args(x, axis, dim, keepdims, keepdim, op)
    given = [v for v in (unbiased, correction, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: give only one of unbiased, correction and ddof")
    c = 1
    if unbiased is not None:
        c = 1 if unbiased else 0
    elif given:
        c = given[0]
        if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)):
            raise TypeError(f"{op}: correction must be a number, got {type(c).__name__} {c!r}")
    n = _count(x.shape, ax)
    dof = n - c
    if dof <= 0:
        import warnings

        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly "
                      f"less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    from .elementwise import abs as _abs, where

    if n:
        d = x - mean(x, axis=ax, keepdims=True)
        # a finite constant group is centred exactly (its mean may round: 3e30 / 3): its
        # residue is subtracted as a constant, so every derivative of d is unchanged
        xd = x.detach()
        hi = amax(xd, axis=ax, keepdims=True)
        const = (hi == amin(xd, axis=ax, keepdims=True)) & (_abs(hi) < math.inf)
        d = d - where(const, d.detach(), 0.0)
        # the scale is a constant (detached) computed with recorded ops, not raw arrays, so
        # autograd.compile replays it; 1 where the group is constant or not finite
        with np.errstate(invalid="ignore", over="ignore"):
            sc = amax(_abs(d).detach(), axis=ax, keepdims=True)
            sc = where(sc > 0, where(sc < math.inf, sc, 1.0), 1.0)
    else:  # an empty group (amax has nothing to reduce)
        d, sc = x, Tensor._wrap(np.ones(kept_shape(x.shape, ax), x.dtype))
    q = d / sc
    if not kd:
        sc = sc.reshape(tuple(s for i, s in enumerate(sc.shape) if ax is not None and i not in ax))
    return q, d, sc, ax, kd, float(np.maximum(dof, 0))


def var(x, axis=None, unbiased: Optional[bool] = None, keepdims: bool = False, *, dim=None,
        keepdim: bool = False, correction: Optional[int] = None, ddof: Optional[int] = None):
    """Variance sum((x - mean)**2) / (n - correction); PyTorch's default correction=1.

    PyTorch's positional order: ``var(x, dim, unbiased, keepdim)``, and ``var(x, unbiased)``
    for a bool first argument (``unbiased=False`` is correction 0).

    A composite (two-pass: the mean first, so it is stable for large offsets), computed
    as ``sum(r * r)`` with ``r = (x - mean) / sqrt(dof)``: no term overflows unless the
    variance itself does, and the gradient ``2 r / sqrt(dof)`` stays finite even then,
    as in PyTorch. Warns, like PyTorch, when ``n - correction <= 0`` (the result is then
    inf or NaN).

    >>> import autograd as ag
    >>> x = ag.tensor([1., 2., 3., 4.])
    >>> ag.var(x).item(), ag.var(x, correction=0).item()
    (1.6666667461395264, 1.25)
    """
    q, d, sc, ax, kd, dof = _centred(x, axis, dim, keepdims, keepdim, unbiased, correction,
                                     ddof, "var")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if not dof:  # 0 / 0 = NaN for a constant (or empty) group, inf otherwise
            return sum(d * d, axis=ax, keepdims=kd) / 0.0
        r = d / math.sqrt(dof)
        return sum(r * r, axis=ax, keepdims=kd)


def std(x, axis=None, unbiased: Optional[bool] = None, keepdims: bool = False, *, dim=None,
        keepdim: bool = False, correction: Optional[int] = None, ddof: Optional[int] = None):
    """Standard deviation sqrt(var(...)) (arguments as :func:`var`), computed as ``s * sqrt(sum(q**2) / dof)`` (no
    overflow for any finite input). Where the deviation is 0 (a constant group) the
    gradient is 0, as in PyTorch, not ``0 * inf = NaN``: the double-where rule
    (docs/errors.md) keeps the square root off 0.

    >>> import autograd as ag
    >>> x = ag.tensor([1., 3.])
    >>> round(ag.std(x).item(), 4)  # sqrt(2)
    1.4142
    """
    from .elementwise import sqrt, where

    q, d, sc, ax, kd, dof = _centred(x, axis, dim, keepdims, keepdim, unbiased, correction,
                                     ddof, "std")
    ss = sum(q * q, axis=ax, keepdims=kd)
    with np.errstate(divide="ignore", invalid="ignore"):
        if not dof:  # 0 / 0: a NaN value and a NaN gradient, as in PyTorch
            return sqrt(ss / 0.0) * sc
        nz = ss > 0   # recorded ops (not raw arrays), so autograd.compile can replay them
        r = sqrt(where(nz, ss, 1.0) / dof) * sc
        return where(nz, r, (ss / dof * sc).detach())


# --------------------------------------------------------------------------- the surface
for _f in (sum, mean, max, min, amax, amin, argmax, argmin, prod, logsumexp):
    public(_f, method=True)
public(sum_to)
for _f in (var, std):
    composite(_f.__name__, method=True)(_f)

backend("sum", lambda x, axis=None, keepdims=False: x.sum(axis=axis, keepdims=keepdims),
        lambda x, axis=None, keepdims=False: sum(x, axis=axis, keepdims=keepdims))
backend("sum_to", sum_to_array, sum_to)
