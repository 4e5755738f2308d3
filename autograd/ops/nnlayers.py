"""Normalisations, activations and losses of the second nn wave (issue 13), all
composites: their gradients and second derivatives come from the primitives they are
built of, and none is slow or unstable enough to need a primitive of its own:

* ``group_norm`` normalises with the two-pass variance mean((x - mean)^2) (no
  E[x^2] - E[x]^2 cancellation); ``rms_norm`` divides by sqrt(mean(x^2) + eps);
* ``mish`` is x tanh(softplus(x)) with softplus linear past its threshold (no overflow
  of exp); ``softsign`` x / (1 + |x|); ``hardtanh`` a ``where`` so its gradient is 0 on
  the clip points, like PyTorch's (``clamp`` passes it there);
* the losses are a few elementwise ops and a reduction each; ``kl_div`` writes
  target log target as 0 where the target is 0 (PyTorch's xlogy) with the safe
  double-``where``, so neither value nor gradient is NaN there.
"""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

import numpy as np

from .._checks import int_arg, is_int, real_arg
from ..errors import DtypeError, InvalidArgumentError, ShapeError
from ..registry import composite
from ..tensor import Tensor, as_tensor
from .elementwise import clamp, softplus, where
from .shape import reshape


def _floating(x: Tensor, op: str) -> Tensor:
    if x.dtype.kind != "f":
        raise DtypeError(f"{op}: not implemented for {x.dtype} tensors (as in PyTorch); "
                         f"convert first, e.g. x.float()")
    return x


def _tensor(v, name: str, op: str) -> Tensor:
    """A tensor argument of a loss; a Python number is refused (PyTorch: no ``.dim()``)."""
    if isinstance(v, (bool, int, float, complex)) or v is None:
        raise TypeError(f"{op}: {name} must be a tensor, got {type(v).__name__} {v!r}"[:200])
    return as_tensor(v)


# --------------------------------------------------------------------------- normalisation
@composite("group_norm")
def group_norm(x, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Group normalisation (``torch.nn.functional.group_norm``): x (N, C, *) with its C
    channels split into ``num_groups`` groups; each (sample, group) is normalised over
    its channels and positions, y = (x - mean) / sqrt(var + eps) (biased variance), then
    y * weight[c] + bias[c] per channel.

    >>> import autograd as ag
    >>> x = ag.tensor([[[1., 3.], [5., 7.]]])  # (N, C, L) = (1, 2, 2)
    >>> [round(v, 3) for v in ag.group_norm(x, 1).flatten().tolist()]
    [-1.342, -0.447, 0.447, 1.342]
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"group_norm: expected input (N, C, *) with at least 2 dimensions, "
                         f"got shape {x.shape}")
    n, c = x.shape[:2]
    num_groups = int_arg(num_groups, "num_groups", "group_norm")
    if num_groups <= 0 or c % num_groups:
        raise InvalidArgumentError(f"group_norm: num_groups={num_groups!r} must be a positive "
                                   f"divisor of the {c} channels of input {x.shape}")
    _floating(x, "group_norm")
    eps = real_arg(eps, "eps", "group_norm")
    if x.numel() == 0:  # (nothing to normalise: an empty result, as PyTorch's)
        y = x * 1.0
    else:
        xg = reshape(x, (n, num_groups, -1))
        mean = xg.mean(axis=-1, keepdims=True)
        d = xg - mean
        var = (d * d).mean(axis=-1, keepdims=True)
        y = reshape(d / (var + eps).sqrt(), x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(as_tensor(p).shape) != (c,):
            raise ShapeError(f"group_norm: {name} must have shape ({c},), got "
                             f"{tuple(as_tensor(p).shape)}")
    if weight is not None:
        y = y * reshape(as_tensor(weight), shape)
    if bias is not None:
        y = y + reshape(as_tensor(bias), shape)
    return y


@composite("rms_norm")
def rms_norm(x, normalized_shape: Union[int, Sequence[int]], weight=None,
             eps: Optional[float] = None):
    """Root-mean-square normalisation (``torch.nn.functional.rms_norm``) over the last
    len(normalized_shape) dimensions: y = x / sqrt(mean(x^2) + eps) * weight; ``eps``
    None means the dtype's machine epsilon, as in PyTorch.

    >>> import autograd as ag
    >>> [round(v, 4) for v in ag.rms_norm(ag.tensor([[3., 4.]]), (2,)).flatten().tolist()]
    [0.8485, 1.1314]
    """
    x = as_tensor(x)
    ns = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
    if not all(is_int(v) for v in ns):
        raise TypeError(f"rms_norm: normalized_shape must be an int or a tuple of ints, got "
                        f"{normalized_shape!r}"[:200])
    ns = tuple(int(v) for v in ns)
    if not ns:
        raise InvalidArgumentError("rms_norm: expected normalized_shape to be at least "
                                   "1-dimensional (one element or more), got ()")
    k = len(ns)
    if k == 0 or tuple(x.shape[x.ndim - k:]) != ns or x.ndim < k:  # (before the dtype, as torch)
        raise ShapeError(f"rms_norm: normalized_shape {ns} must be the trailing dimensions of "
                         f"the input, got input shape {x.shape}")
    _floating(x, "rms_norm")
    if eps is not None:
        eps = real_arg(eps, "eps", "rms_norm")
    if eps is None:
        eps = float(np.finfo(x.dtype).eps) if x.dtype.kind == "f" else float(np.finfo(np.float32).eps)
    if 0 in ns:  # nothing to normalise: an empty result, as in PyTorch
        return x * 1.0
    axes = tuple(range(x.ndim - k, x.ndim))
    y = x / ((x * x).mean(axis=axes, keepdims=True) + eps).sqrt()
    if weight is not None:
        w = as_tensor(weight)
        if tuple(w.shape) != ns:
            raise ShapeError(f"rms_norm: weight must have shape {ns}, got {tuple(w.shape)}")
        y = y * (w if w.dtype == x.dtype else w.to(x.dtype))  # (the input's dtype, as PyTorch)
    return y


# --------------------------------------------------------------------------- activations
@composite("mish")
def mish(x):
    """Mish: x tanh(softplus(x)) (softplus linear for x > 20, so no overflow).

    >>> import autograd as ag
    >>> [round(v, 4) for v in ag.mish(ag.tensor([0., 1.])).tolist()]
    [0.0, 0.8651]
    """
    x = _floating(as_tensor(x), "mish")
    return x * softplus(x).tanh()


@composite("softsign", smooth=False)
def softsign(x):
    """x / (1 + |x|) (|x| has a kink at 0: its second derivative jumps there).

    >>> import autograd as ag
    >>> ag.softsign(ag.tensor([-1., 0., 3.])).tolist()
    [-0.5, 0.0, 0.75]
    """
    x = as_tensor(x)
    if x.dtype.kind == "b":
        raise DtypeError("softsign: not implemented for bool tensors (as in PyTorch: abs of a "
                         "bool); convert first, e.g. x.float()")
    return x / (x.abs() + 1)


@composite("hardtanh", smooth=False)
def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0):
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside and 0 on and
    outside the bounds (PyTorch's hardtanh_backward).

    >>> import autograd as ag
    >>> ag.hardtanh(ag.tensor([-2., 0.5, 3.])).tolist()
    [-1.0, 0.5, 1.0]
    """
    lo, hi = real_arg(min_val, "min_val", "hardtanh"), real_arg(max_val, "max_val", "hardtanh")
    if lo > hi:  # (checked before the input, as PyTorch does)
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    x = as_tensor(x)
    if x.dtype.kind == "b":
        raise DtypeError("hardtanh: bool inputs are not supported (as in PyTorch)")
    if x.dtype.kind in "iu":  # (PyTorch casts the bounds to the dtype: they must fit)
        info = np.iinfo(x.dtype)
        for v in (min_val, max_val):
            if not info.min <= v <= info.max:
                raise InvalidArgumentError(f"hardtanh: bound {v} cannot be converted to "
                                           f"{x.dtype} without overflow")
    lo, hi = (min_val, max_val) if x.dtype.kind in "iu" and is_int(min_val) and \
        is_int(max_val) else (lo, hi)
    if np.isnan(lo) or np.isnan(hi):
        # the result would be NaN everywhere, and PyTorch's gradient then depends on the
        # tensor's size (its vectorised kernel and its scalar tail disagree)
        raise InvalidArgumentError(f"hardtanh: min_val ({min_val}) and max_val ({max_val}) "
                                   f"must not be NaN")
    inside = Tensor._wrap((x._d > lo) & (x._d < hi))
    clipped = clamp(x.detach(), lo, hi)
    if clipped.dtype != x.dtype:  # (an integer input stays integer, as in PyTorch)
        clipped = clipped.to(x.dtype)
    return where(inside, x, clipped)


# --------------------------------------------------------------------------- losses
def _check_reduction(reduction, name: str) -> None:
    """PyTorch reads ``reduction`` before its tensors: an unknown one is the first error."""
    if not (isinstance(reduction, str) and reduction in ("mean", "sum", "none")):
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        if loss.numel() == 0:  # (mean() refuses an empty tensor: docs/conventions.md)
            raise InvalidArgumentError(f"{name}: reduction='mean' of an empty input "
                                       f"{tuple(loss.shape)} (PyTorch returns nan); use 'sum'")
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same(x: Tensor, y: Tensor, name: str) -> None:
    if x.shape != y.shape:
        raise ShapeError(f"{name}: input shape {tuple(x.shape)} and target shape "
                         f"{tuple(y.shape)} differ; they must match")


@composite("kl_div")
def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    """Kullback-Leibler divergence with log-probabilities ``input`` (PyTorch's
    ``kl_div``): pointwise target (log target - input), 0 where target = 0, or with
    ``log_target`` exp(target) (target - input). ``reduction``: 'batchmean' (sum / N,
    the true KL divergence), 'sum', 'none', or 'mean' (over every element; PyTorch
    warns that this is not the KL divergence, and so does this).

    >>> import autograd as ag
    >>> p = ag.tensor([0.5, 0.5])
    >>> ag.kl_div(p.log(), p, reduction='sum').item()
    0.0
    """
    x, t = as_tensor(input), as_tensor(target)
    if x.dtype.kind == "f" and t.dtype.kind != "f":
        t = t.to(x.dtype)  # (a float target promotes with the input, as in PyTorch)
    if x.shape != t.shape:
        raise ShapeError(f"kl_div: input shape {tuple(x.shape)} and target shape "
                         f"{tuple(t.shape)} differ; they must match")
    if log_target:
        loss = t.exp() * (t - x)
    else:
        # PyTorch's xlogy(t, t): 0 where t == 0, NaN where t < 0 (log of a negative)
        zero = Tensor._wrap(t._d == 0)
        safe = where(zero, 1.0, t)
        with np.errstate(invalid="ignore"):
            loss = where(zero, 0.0, t * safe.log()) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, "
                      "which is the KL divergence", UserWarning, stacklevel=3)
    return _reduce(loss, reduction, "kl_div")


@composite("smooth_l1_loss", smooth=False)
def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target
    (``beta`` = 0 is the L1 loss), like ``torch.nn.functional.smooth_l1_loss``.

    >>> import autograd as ag
    >>> ag.smooth_l1_loss(ag.tensor([0.5, 3.]), ag.zeros(2), reduction='none').tolist()
    [0.125, 2.5]
    """
    x, y = as_tensor(input), as_tensor(target)
    _same(x, y, "smooth_l1_loss")
    if reduction not in ("mean", "sum", "none"):  # (checked before beta, as in PyTorch)
        _reduce(x, reduction, "smooth_l1_loss")
    beta = real_arg(beta, "beta", "smooth_l1_loss")
    if not beta >= 0:  # (NaN too)
        raise InvalidArgumentError(f"smooth_l1_loss: beta must be >= 0 (negative values are not "
                                   f"supported), got {beta}")
    a = (x - y).abs()
    if beta == 0:
        return _reduce(a, reduction, "smooth_l1_loss")
    quad = clamp(a, max=beta)            # min(|d|, beta)
    return _reduce(quad * quad * (0.5 / beta) + (a - quad), reduction, "smooth_l1_loss")


@composite("margin_ranking_loss", smooth=False)
def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: str = "mean"):
    """max(0, -target (input1 - input2) + margin), target 1 (input1 should rank higher)
    or -1, broadcast like PyTorch.

    >>> import autograd as ag
    >>> ag.margin_ranking_loss(ag.tensor([1.]), ag.tensor([3.]), ag.tensor([1.])).item()
    2.0
    """
    _check_reduction(reduction, "margin_ranking_loss")
    x1, x2, y = (_tensor(v, n, "margin_ranking_loss") for v, n in
                 ((input1, "input1"), (input2, "input2"), (target, "target")))
    margin = real_arg(margin, "margin", "margin_ranking_loss")
    if x1.dtype.kind == "f" and y.dtype != x1.dtype:
        y = y.to(x1.dtype)        # integer targets do not promote the loss (PyTorch)
    if not (x1.ndim == x2.ndim == y.ndim):
        raise ShapeError(f"margin_ranking_loss: input1 {tuple(x1.shape)}, input2 "
                         f"{tuple(x2.shape)} and target {tuple(y.shape)} must have the same "
                         f"number of dimensions")
    try:
        np.broadcast_shapes(x1.shape, x2.shape, y.shape)
    except ValueError:
        raise ShapeError(f"margin_ranking_loss: input1 {tuple(x1.shape)}, input2 "
                         f"{tuple(x2.shape)} and target {tuple(y.shape)} do not broadcast "
                         f"together") from None
    return _reduce(clamp(-y * (x1 - x2) + margin, min=0.0), reduction, "margin_ranking_loss")


@composite("cosine_embedding_loss", smooth=False)
def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,
                          reduction: str = "mean"):
    """1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1,
    cos over the last dimension with PyTorch's eps: x1.x2 / sqrt((|x1|^2 + 1e-12)
    (|x2|^2 + 1e-12)). x (N, D) with target (N,), or (D,) with a 0-d target.

    >>> import autograd as ag
    >>> x = ag.tensor([[1., 0.]])
    >>> ag.cosine_embedding_loss(x, x, ag.tensor([1.])).item()
    0.0
    """
    _check_reduction(reduction, "cosine_embedding_loss")
    x1, x2, y = (_tensor(v, n, "cosine_embedding_loss") for v, n in
                 ((input1, "input1"), (input2, "input2"), (target, "target")))
    margin = real_arg(margin, "margin", "cosine_embedding_loss")
    if x1.shape != x2.shape or x1.ndim not in (1, 2) or y.ndim != x1.ndim - 1 \
            or (x1.ndim == 2 and y.shape[0] != x1.shape[0]):
        raise ShapeError(f"cosine_embedding_loss: expected inputs (N, D) and target (N,), or "
                         f"(D,) and a 0-d target, got {tuple(x1.shape)}, {tuple(x2.shape)} and "
                         f"{tuple(y.shape)}")
    eps = 1e-12
    prod = (x1 * x2).sum(axis=-1)
    m1 = (x1 * x1).sum(axis=-1) + eps
    m2 = (x2 * x2).sum(axis=-1) + eps
    cos = prod / (m1 * m2).sqrt()
    yd = np.asarray(y._d)
    out = (where(Tensor._wrap(yd == 1), 1 - cos, 0.0)
           + where(Tensor._wrap(yd == -1), clamp(cos - margin, min=0.0), 0.0))
    return _reduce(out, reduction, "cosine_embedding_loss")
