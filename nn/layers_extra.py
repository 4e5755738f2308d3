"""GroupNorm, RMSNorm, Unflatten, the activations Mish, Hardtanh, Softsign and the losses
KLDivLoss, SmoothL1Loss, CosineEmbeddingLoss, MarginRankingLoss (PyTorch's arguments,
defaults, parameter names and initialisation)."""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

import numpy as np

import autograd as ag

from . import _args as A
from . import _functional_layers as FL
from .module import Module, Parameter

__all__ = ["GroupNorm", "RMSNorm", "Unflatten", "Mish", "Hardtanh", "Softsign", "KLDivLoss",
           "SmoothL1Loss", "CosineEmbeddingLoss", "MarginRankingLoss"]


class GroupNorm(Module):
    """Normalise each sample's ``num_groups`` channel groups (over channels and positions),
    then a per-channel affine: weight (C,) ones, bias (C,) zeros. Same in train and eval
    (no running statistics).

    >>> import autograd as ag, nn
    >>> _ = ag.manual_seed(0)
    >>> nn.GroupNorm(2, 4)(ag.randn(2, 4, 3)).shape
    (2, 4, 3)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        name = "GroupNorm"
        try:    # PyTorch's order: divisibility (Python's %), then the sizes
            bad = num_channels % num_groups
        except ZeroDivisionError:
            raise ValueError(f"{name}: num_groups must be positive, got {num_groups!r}") from None
        except TypeError:
            raise TypeError(f"{name}: num_groups and num_channels must be ints, got "
                            f"{num_groups!r} and {num_channels!r}"[:200]) from None
        if bad:
            raise ValueError(f"{name}: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        num_channels = A.size(num_channels, "num_channels", name)
        A.device(device, name)            # (PyTorch: at torch.empty(num_channels, device=))
        num_groups = A.int_arg(num_groups, "num_groups", name)
        if num_groups <= 0:
            raise ValueError(f"{name}: num_groups must be positive, got {num_groups}")
        self.eps = A.real(eps, "eps", name)
        self.num_groups, self.num_channels, self.affine = num_groups, num_channels, affine
        dt = A.dtype_arg(dtype, name, ag.get_default_dtype())
        self.weight = Parameter(A.empty((num_channels,), dt, name, 1)) if affine else None
        self.bias = Parameter(A.empty((num_channels,), dt, name, 0)) if affine and bias else None

    def forward(self, x):
        x = ag.as_tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ag.ShapeError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected "
                             f"input (N, {self.num_channels}, *), got shape {tuple(x.shape)}")
        return FL.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None or not self.affine}")


class RMSNorm(Module):
    """x / sqrt(mean(x^2 over normalized_shape) + eps) * weight, weight ones of
    ``normalized_shape`` (``elementwise_affine``); eps None is the dtype's machine eps.

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.RMSNorm(2)(ag.tensor([[3.0, 4.0]]))[0].tolist()]
    [0.8485, 1.1314]
    """

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: Optional[float] = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        ns = A.sizes(normalized_shape, "normalized_shape", "RMSNorm")
        eps = None if eps is None else A.real(eps, "eps", "RMSNorm")
        self.normalized_shape, self.eps, self.elementwise_affine = ns, eps, elementwise_affine
        A.device(device, "RMSNorm")
        dt = A.dtype_arg(dtype, "RMSNorm", ag.get_default_dtype())
        self.weight = Parameter(A.empty(ns, dt, "RMSNorm", 1)) if elementwise_affine else None

    def forward(self, x):
        return FL.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size`` (one entry may be -1).

    >>> import autograd as ag, nn
    >>> nn.Unflatten(1, (2, 3))(ag.ones(4, 6)).shape
    (4, 2, 3)
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple or list of "
                            f"ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, tuple(int(v) for v in unflattened_size)

    def forward(self, x):
        x = ag.as_tensor(x)
        nd = x.ndim
        if not -nd <= self.dim < nd:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input of shape "
                             f"{tuple(x.shape)}")
        d = self.dim % nd
        size = list(self.unflattened_size)
        known = int(np.prod([s for s in size if s != -1]))
        if size.count(-1) > 1 or (-1 not in size and known != x.shape[d]) \
                or (-1 in size and (known == 0 or x.shape[d] % known)):
            raise ValueError(f"Unflatten: unflattened_size {tuple(size)} does not match the size "
                             f"{x.shape[d]} of dimension {self.dim} of input {tuple(x.shape)}")
        return x.reshape(tuple(x.shape[:d]) + tuple(size) + tuple(x.shape[d + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Mish(Module):
    """x tanh(softplus(x)).

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.Mish()(ag.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.8651]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return FL.mish(x, inplace=bool(self.inplace))


class Hardtanh(Module):
    """Clip to [min_val, max_val] (default [-1, 1]).

    >>> import autograd as ag, nn
    >>> nn.Hardtanh()(ag.tensor([-2.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: Optional[float] = None, max_value: Optional[float] = None) -> None:
        super().__init__()
        for old, new, v in (("min_value", "min_val", min_value), ("max_value", "max_val", max_value)):
            if v is not None:
                warnings.warn(f"Hardtanh: keyword argument `{old}` is deprecated and renamed to "
                              f"`{new}`", FutureWarning, stacklevel=2)
        if min_value is not None:
            min_val = min_value
        if max_value is not None:
            max_val = max_value
        min_val = A.real(min_val, "min_val", "Hardtanh")
        max_val = A.real(max_val, "max_val", "Hardtanh")
        if max_val <= min_val:       # (PyTorch asserts; NaN bounds pass, as there)
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return FL.hardtanh(x, self.min_val, self.max_val, inplace=bool(self.inplace))

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softsign(Module):
    """x / (1 + |x|).

    >>> import autograd as ag, nn
    >>> nn.Softsign()(ag.tensor([-3.0, 1.0])).tolist()
    [-0.75, 0.5]
    """

    def forward(self, x):
        return FL.softsign(x)


# --------------------------------------------------------------------------- losses
_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    _allowed = _REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        reduction = FL._legacy(size_average, reduce, reduction)
        if reduction not in self._allowed:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(map(repr, self._allowed))}, got {reduction!r}")
        self.reduction = reduction


class KLDivLoss(_Loss):
    """KL divergence of log-probability inputs from targets; 'batchmean' is the true KL.

    >>> import autograd as ag, nn
    >>> p = ag.tensor([[0.25, 0.75]])
    >>> round(nn.KLDivLoss(reduction='batchmean')(p.log(), ag.tensor([[0.5, 0.5]])).item(), 4)
    0.1438
    """
    _allowed = ("mean", "batchmean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return FL.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above it.

    >>> import autograd as ag, nn
    >>> nn.SmoothL1Loss()(ag.tensor([0.0, 3.0]), ag.tensor([0.5, 0.0])).item()
    1.3125
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return FL.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CosineEmbeddingLoss(_Loss):
    """1 - cos for similar pairs (target 1), max(0, cos - margin) for dissimilar (-1).

    >>> import autograd as ag, nn
    >>> x = ag.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> nn.CosineEmbeddingLoss()(x, x, ag.tensor([1.0, -1.0])).item()
    0.5
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return FL.cosine_embedding_loss(input1, input2, target, self.margin,
                                        reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """max(0, -target (x1 - x2) + margin).

    >>> import autograd as ag, nn
    >>> x1, x2, y = ag.tensor([2.0, 1.0]), ag.tensor([1.0, 2.0]), ag.tensor([1.0, 1.0])
    >>> nn.MarginRankingLoss(margin=1.0)(x1, x2, y).item()
    1.0
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return FL.margin_ranking_loss(input1, input2, target, self.margin,
                                      reduction=self.reduction)
