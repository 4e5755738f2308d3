"""Fused losses: ``softmax_cross_entropy`` (cross-entropy from logits and class indices).

Why a primitive: as a composite, cross-entropy is log_softmax, an integer-array
getitem, a multiply by the per-sample weights and a sum/div (or mean, neg): four to six
nodes, each paying the per-op forward, recording and vjp overhead. One node computes
the loss and, in backward, the textbook gradient (softmax(z) - onehot(y)) * scale in a
handful of array operations. Numerically it is log_softmax's computation (the row
maximum is subtracted before ``exp``), so logits of 1e4 are fine, and it stays
differentiable to any order: the vjp is written with ``F`` ops, so with
``create_graph=True`` it is a graph of registered ops (exp, sum, div, sub, mul).
"""
from __future__ import annotations

import numpy as np

from .._checks import int_arg
from ..errors import DtypeError, InvalidArgumentError, ShapeError
from ..registry import apply, defop, public
from ..tensor import as_tensor
from ._util import raw

_REDUCTIONS = ("mean", "sum", "none")


def _rows(shape):
    """The row part of an index into logits of ``shape``: () for (C,), (arange(N),) for (N, C)."""
    return () if len(shape) == 1 else (np.arange(shape[0]),)


def _coefs(y, weight, ignore_index, dtype):
    """(idx, c): the class each row reads (0 for ignored rows) and the row coefficients
    c_n = w[y_n] [y_n != ignore_index], or c = None when every c_n is 1."""
    if not np.count_nonzero(y == ignore_index):
        return y, (None if weight is None else weight.astype(dtype, copy=False)[y])
    keep = y != ignore_index
    idx = np.where(keep, y, 0)
    if weight is None:
        return idx, keep.astype(dtype)
    return idx, weight.astype(dtype, copy=False)[idx] * keep


def _shifted(z, rows):
    """z minus its row maximum, and the maximum. It is read at the argmax: argmax and a
    gather take half the time of max(axis=-1) on a (64, 10) batch."""
    m = z[rows + (z.argmax(axis=-1),)]
    return z - m[..., None], m


def _sce_fwd(z, y, weight=None, ignore_index=-100, reduction="mean"):
    y = np.asarray(y)
    idx, c = _coefs(y, weight, ignore_index, z.dtype)
    rows = _rows(z.shape)
    s, _ = _shifted(z, rows)
    loss = np.log(np.exp(s).sum(axis=-1)) - s[rows + (idx,)]  # logsumexp(z) - z_y
    if c is not None:
        loss = loss * c
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    n = y.size if c is None else c.sum()
    if n == 0:  # every target ignored: 0/0, as in PyTorch (the gradient is 0, see below)
        return z.dtype.type(np.nan)
    return total / n


def _sce_dz(F, g, out, z, y, weight=None, ignore_index=-100, reduction="mean"):
    zr, yr = raw(z), np.asarray(raw(y))
    lead = zr.shape[:-1]
    idx, c = _coefs(yr, weight, ignore_index, zr.dtype)
    # k: what multiplies row n's (softmax - onehot) besides g: c_n, over sum(c) for the mean
    k = c
    if reduction == "mean":
        n = yr.size if c is None else c.sum()
        if c is None:
            k = 1.0 / n if n else 0.0
        else:
            k = c / n if n else c * 0  # all ignored: a NaN loss, but a zero gradient
    gs = F.reshape(g, lead + (1,)) if reduction == "none" and lead else g
    if isinstance(k, np.ndarray):
        gs = gs * F.const(k.reshape(lead + (1,)), z)
    elif k is not None:
        gs = gs * k
    rows = _rows(zr.shape)
    # softmax(z) with the row max as a constant shift (softmax does not depend on it)
    _, m = _shifted(zr, rows)
    e = F.exp(z - F.const(m[..., None], z))
    p = e / F.sum(e, axis=-1, keepdims=True)
    onehot = np.zeros(zr.shape, dtype=zr.dtype)
    onehot[rows + (idx,)] = 1
    return (p - F.const(onehot, z)) * gs


_sce = defop("softmax_cross_entropy", _sce_fwd, (_sce_dz, None),
             doc="c_n (logsumexp(z_n) - z_n[y_n]) with c_n = w[y_n] [y_n != ignore_index], "
                 "summed, averaged over sum(c) or per row; gradient (softmax(z) - onehot(y)) c g")


def softmax_cross_entropy(logits, target, weight=None, ignore_index: int = -100,
                          reduction: str = "mean"):
    """Cross-entropy of ``logits`` (N, C) (or (C,): one sample) against class indices
    ``target`` (N,) (or 0-d), as PyTorch's ``F.cross_entropy`` with class-index targets.

    With c_n = weight[y_n] (1 without weights) and c_n = 0 where y_n == ignore_index,
    the loss of row n is l_n = c_n (logsumexp(z_n) - z_n[y_n]); ``reduction`` "none"
    returns l, "sum" sum(l), "mean" sum(l) / sum(c) (NaN when every target is ignored,
    with a zero gradient). The gradient is dl_n/dz_n = c_n (softmax(z_n) - onehot(y_n)).
    ``weight`` is a constant (C,) array: no gradient flows to it, as in PyTorch.

    >>> import autograd as ag
    >>> round(ag.softmax_cross_entropy(ag.zeros(2, 4), ag.tensor([0, 3])).item(), 4)  # log(4)
    1.3863
    """
    z, y = as_tensor(logits), as_tensor(target)
    if z.dtype.kind != "f":
        raise DtypeError(f"softmax_cross_entropy: logits must be floating, got {z.dtype}")
    if y.dtype.kind not in "iu":
        raise DtypeError(f"softmax_cross_entropy: targets must be integer class indices, "
                         f"got {y.dtype}")
    if z.ndim not in (1, 2) or y.shape != z.shape[:-1]:
        raise ShapeError(f"softmax_cross_entropy: needs logits (N, C) with targets (N,), or "
                         f"(C,) with a 0-d target; got {tuple(z.shape)} and {tuple(y.shape)}")
    if reduction not in _REDUCTIONS:
        raise InvalidArgumentError(f"softmax_cross_entropy: reduction must be 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")
    ignore_index = int_arg(ignore_index, "ignore_index", "softmax_cross_entropy")
    nc = z.shape[-1]
    yd = y._d
    bad = (yd < 0) | (yd >= nc)
    if np.count_nonzero(bad) and np.count_nonzero(bad & (yd != ignore_index)):
        bad &= yd != ignore_index
        raise IndexError(f"softmax_cross_entropy: target {np.asarray(yd)[bad].flat[0]} is out of "
                         f"range for {nc} classes (valid: 0 to {nc - 1}, or "
                         f"ignore_index={ignore_index})")
    w = None
    if weight is not None:
        try:
            w = np.asarray(raw(weight), dtype=z.dtype)
        except (ValueError, TypeError):
            raise TypeError(f"softmax_cross_entropy: weight must be a tensor of {nc} class "
                            f"weights, got {weight!r}"[:200]) from None
        if w.shape != (nc,):
            raise ShapeError(f"softmax_cross_entropy: weight of shape {w.shape} must be ({nc},)")
    return apply(_sce, (z, y), {"weight": w, "ignore_index": ignore_index,
                                "reduction": reduction})


_sce.api = softmax_cross_entropy


public(softmax_cross_entropy)
