"""Cumulative ops along one dimension: cumsum and cumprod, with cumprod's exact
backward (a primitive of its own, so it is differentiable again at zeros too).

The adjoint of a running sum is the running sum from the other end, so cumsum's vjp
is cumsum (with ``reverse``) to any order.
"""
from __future__ import annotations

import numpy as np

from ..registry import apply, defop, public
from ..tensor import as_tensor
from ._util import norm_axis
from .elementwise import cast
from .shape import reshape


def _scan(op, x, dim, dtype, **attrs):
    """The public form of a cumulative op: ``dtype=`` casts the input first, ``dim`` is
    one int, and a 0-d input is scanned as a one-element vector (PyTorch's rules)."""
    x = as_tensor(x)
    if dtype is not None:
        x = cast(x, np.dtype(dtype))
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op.name}: dim must be an int, got {type(dim).__name__} {dim!r}")
    (d,) = norm_axis(dim, x.ndim, op.name) or (0,)
    if x.ndim == 0:
        return reshape(apply(op, (reshape(x, (1,)),), {"axis": 0, **attrs}), ())
    return apply(op, (x,), {"axis": d, **attrs})


# --------------------------------------------------------------------------- cumsum
def _cumsum_np(x, axis=0, reverse=False):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


# the adjoint of a running sum is the running sum from the other end; cumsum is a
# primitive (with ``reverse``) so that this is cumsum again, to any order
_cumsum = defop("cumsum", _cumsum_np,
                (lambda F, g, out, x, axis=0, reverse=False:
                 F.cumsum(g, axis=axis, reverse=not reverse),),
                linear=True, backend=True,
                doc="running sum along axis (reverse: from the end); gradient: the running "
                    "sum of g from the other end")


def cumsum(x, dim: int, *, dtype=None):
    """``out[..., i, ...] = sum_{j <= i} x[..., j, ...]`` along ``dim`` (PyTorch's
    ``torch.cumsum``). Integer and bool inputs give int64, floats keep their dtype;
    ``dtype=`` casts the input first. Gradient: ``g`` summed from the end,
    ``flip(cumsum(flip(g)))``.

    >>> import autograd as ag
    >>> ag.cumsum(ag.tensor([1.0, 2.0, 3.0]), dim=0).tolist()
    [1.0, 3.0, 6.0]
    """
    return _scan(_cumsum, x, dim, dtype, reverse=False)


# --------------------------------------------------------------------------- cumprod
def _cumprod_np(x, axis=0):
    return np.cumprod(x, axis=axis)


def _cumprod_backward_np(g, x, axis=0):
    """sum_{j >= k} g_j * prod_{i <= j, i != k} x_i, exact with zeros (O(n) per row).

    Before a row's first zero z this is revcumsum(g * cumprod(x)) / x (x != 0 there); at
    z it is sum_{j >= z} g_j * cumprod(x with x_z set to 1)_j; after z it is 0 (the
    product contains x_z = 0)."""
    n = x.shape[axis]
    if x.size == 0:
        return np.zeros(x.shape, dtype=np.result_type(g, x))
    if n == 1:  # out = x: the product over i != k is empty (no 0 * inf or inf / inf)
        return np.array(np.broadcast_to(g, x.shape), dtype=np.result_type(g, x))
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(g, axis, -1)
    om = np.cumprod(xm, -1)
    zero = xm == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.flip(np.cumsum(np.flip(gm * om, -1), -1), -1) / np.where(zero, 1, xm)
    if zero.any():
        has = zero.any(-1, keepdims=True)                    # (..., 1)
        z = np.argmax(zero, -1)[..., None]                    # first zero per row
        j = np.arange(n)
        at_z = has & (j == z)
        xr = np.where(at_z, 1, xm)
        val = np.sum(np.where(has & (j >= z), gm * np.cumprod(xr, -1), 0), -1, keepdims=True)
        res = np.where(has & (j > z), 0, np.where(at_z, val, res))
    return np.moveaxis(res, -1, axis)


def _cumprod_rows(F, x, axis):
    """x moved to (..., n) and the (..., n, n) matrix whose row k is that row with x_k
    replaced by 1, so cumprod along it gives prod_{i <= j, i != k} x_i exactly."""
    n = x.shape[axis]
    eye = np.eye(n, dtype=bool)
    xt = F.swapaxes(x, axis, -1)
    rep = F.where(eye, 1.0, F.expand_dims(xt, -2))
    return xt, rep, eye, np.triu(np.ones((n, n), dtype=bool))          # upper: j >= k


# dx_k = sum_j M[k, j] g_j with M[k, j] = [j >= k] cumprod(rep_k)_j (rep_k: x with x_k = 1).
# Its vjps, for the upstream h (shaped like x): d/dg_j = sum_k h_k M[k, j]; d/dx_m =
# sum_{k != m} cumprod_backward(W_k, rep_k)_m with W[k, j] = [j >= k] h_k g_j, i.e.
# cumprod's vjp applied to the rows. n * n per row, only in a create_graph backward.
def _cumprod_backward_dg(F, g, out, gy, x, axis=0):
    xt, rep, _, upper = _cumprod_rows(F, x, axis)
    ht = F.expand_dims(F.swapaxes(g, axis, -1), -1)                      # (..., k, 1)
    m = F.where(upper, F.cumprod(rep, axis=len(xt.shape)), 0.0)          # (..., k, j)
    return F.swapaxes(F.sum(ht * m, axis=-2), axis, -1)


def _cumprod_backward_dx(F, g, out, gy, x, axis=0):
    xt, rep, eye, upper = _cumprod_rows(F, x, axis)
    ht = F.expand_dims(F.swapaxes(g, axis, -1), -1)                      # (..., k, 1)
    gt = F.expand_dims(F.swapaxes(gy, axis, -1), -2)                     # (..., 1, j)
    w = F.where(upper, ht * gt, 0.0)
    d = F.cumprod_backward(w, rep, axis=len(xt.shape))                   # (..., k, m)
    return F.swapaxes(F.sum(F.where(eye, 0.0, d), axis=-2), axis, -1)


_cumprod_backward = defop(
    "cumprod_backward", _cumprod_backward_np, (_cumprod_backward_dg, _cumprod_backward_dx),
    backend=True,
    doc="cumprod's vjp: dx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i along axis, exact "
        "with zeros; linear in g, a polynomial in x")

_cumprod = defop("cumprod", _cumprod_np,
                 (lambda F, g, out, x, axis=0: F.cumprod_backward(g, x, axis=axis),),
                 backend=True,
                 doc="running product along axis; gradient cumprod_backward(g, x): "
                     "sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, exact with zeros")


def cumprod(x, dim: int, *, dtype=None):
    """``out[..., i, ...] = prod_{j <= i} x[..., j, ...]`` along ``dim`` (PyTorch's
    ``torch.cumprod``; integer and bool inputs give int64, ``dtype=`` casts first).
    Gradient ``dx_k = sum_{j >= k} g_j * prod_{i <= j, i != k} x_i``, exact when ``x``
    has zeros (no division by x there), as in PyTorch.

    >>> import autograd as ag
    >>> ag.cumprod(ag.tensor([1.0, 2.0, 3.0]), dim=0).tolist()
    [1.0, 2.0, 6.0]
    """
    return _scan(_cumprod, x, dim, dtype)


# --------------------------------------------------------------------------- the surface
public(cumsum, method=True)
public(cumprod, method=True)
