"""The functional forms of issue 13's layers, activations and losses (PyTorch's
``torch.nn.functional`` names and signatures); re-exported by ``nn.functional``.

Each is autograd's composite of the same name (gradchecked, gradgradchecked and
compared with PyTorch on the samples in ``autograd/testing/nnlayers.py``), plus the
argument handling PyTorch's functional API has (``inplace``, the padding modes,
``upsample``)."""
from __future__ import annotations

from typing import Optional, Sequence

import autograd as ag
from autograd import Tensor

__all__ = ["conv1d", "conv_transpose2d", "group_norm", "rms_norm", "adaptive_avg_pool2d",
           "interpolate", "upsample", "pad", "mish", "hardtanh", "softsign", "kl_div",
           "smooth_l1_loss", "cosine_embedding_loss", "margin_ranking_loss"]

conv1d = ag.conv1d
conv_transpose2d = ag.conv_transpose2d
group_norm = ag.group_norm
adaptive_avg_pool2d = ag.adaptive_avg_pool2d
interpolate = ag.interpolate
softsign = ag.softsign


def rms_norm(input, normalized_shape, weight=None, eps: Optional[float] = None) -> Tensor:
    """x / sqrt(mean(x^2 over the trailing ``normalized_shape``) + eps) * weight
    (eps None: the dtype's machine epsilon).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> [round(v, 4) for v in F.rms_norm(ag.tensor([[3.0, 4.0]]), (2,))[0].tolist()]
    [0.8485, 1.1314]
    """
    return ag.rms_norm(input, normalized_shape, weight, eps)


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: Optional[bool] = None) -> Tensor:
    """The deprecated alias of ``interpolate`` (PyTorch keeps it too).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.upsample(ag.ones(1, 1, 2, 2), scale_factor=2).shape
    (1, 1, 4, 4)
    """
    try:
        return ag.interpolate(input, size, scale_factor, mode, align_corners)
    except (TypeError, ValueError, RuntimeError) as e:  # (the error names the op called)
        msg = str(e)
        if not msg.startswith("interpolate:"):
            raise
        raise type(e)("upsample:" + msg[len("interpolate:"):]) from None


def pad(input, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """``torch.nn.functional.pad``: ``pad = (left_last, right_last, left_2nd_last, ...)``;
    mode 'constant' (fill ``value``, default 0), 'reflect' (mirror, edge not repeated),
    'replicate' (edge repeated) or 'circular' (wrap around).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.pad(ag.ones(1, 2), (1, 2)).tolist()
    [[0.0, 1.0, 1.0, 0.0, 0.0]]
    """
    if mode == "constant":
        return ag.pad(input, pad, value=0.0 if value is None else value)
    fn = {"reflect": ag.reflection_pad, "replicate": ag.replication_pad,
          "circular": ag.circular_pad}.get(mode)
    if fn is None:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument "
                         f"(got value={value!r})")
    return fn(input, pad)


def mish(input, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)). ``inplace`` is accepted for PyTorch compatibility and ignored
    (the result is a new tensor).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> [round(v, 4) for v in F.mish(ag.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.8651]
    """
    return ag.mish(input)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val] (gradient 0 on the bounds, like PyTorch).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.hardtanh(ag.tensor([-2.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    return ag.hardtanh(input, min_val, max_val)


def _legacy(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence from log-probabilities ``input`` to ``target`` (probabilities, or
    log-probabilities with ``log_target``); use reduction='batchmean' for the true KL.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> p = ag.tensor([[0.25, 0.75]])
    >>> round(F.kl_div(p.log(), ag.tensor([[0.5, 0.5]]), reduction='batchmean').item(), 4)
    0.1438
    """
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', "
                         f"got {reduction!r}")
    return ag.kl_div(input, target, _legacy(size_average, reduce, reduction), log_target)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.smooth_l1_loss(ag.tensor([0.0, 3.0]), ag.tensor([0.5, 0.0])).item()
    1.3125
    """
    return ag.smooth_l1_loss(input, target, _legacy(size_average, reduce, reduction), beta)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> x = ag.tensor([[1.0, 0.0]])
    >>> F.cosine_embedding_loss(x, x, ag.tensor([1.0])).item()
    0.0
    """
    return ag.cosine_embedding_loss(input1, input2, target, margin,
                                    _legacy(size_average, reduce, reduction))


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.margin_ranking_loss(ag.tensor([2.0]), ag.tensor([1.0]), ag.tensor([-1.0])).item()
    1.0
    """
    return ag.margin_ranking_loss(input1, input2, target, margin,
                                  _legacy(size_average, reduce, reduction))
