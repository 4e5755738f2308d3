"""Loss modules (PyTorch's ``nn.MSELoss`` ...): each holds its reduction and calls the
functional form in nn.functional. Their constructors take PyTorch's positional order,
with its deprecated ``size_average`` and ``reduce`` flags (given, they override
``reduction`` as in PyTorch)."""
from __future__ import annotations

import autograd as ag

from . import functional as F
from ._functional_layers import _legacy
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
           "NLLLoss"]


# --------------------------------------------------------------------------- losses
class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        reduction = _legacy(size_average, reduce, reduction)
        if reduction not in ("mean", "sum", "none"):
            raise ag.InvalidArgumentError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error: l = (input - target)^2, then reduced.

    >>> import autograd as ag, nn
    >>> nn.MSELoss()(ag.tensor([1.0, 2.0]), ag.tensor([0.0, 4.0])).item()
    2.5
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: l = |input - target|, then reduced.

    >>> import autograd as ag, nn
    >>> nn.L1Loss()(ag.tensor([1.0, 2.0]), ag.tensor([0.0, 4.0])).item()
    1.5
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = input - target.

    >>> import autograd as ag, nn
    >>> nn.HuberLoss()(ag.tensor([0.0, 3.0]), ag.tensor([0.5, 0.0])).item()
    1.3125
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities: l = -(y log p + (1 - y) log(1 - p)), then reduced.

    >>> import autograd as ag, nn
    >>> round(nn.BCELoss()(ag.tensor([0.5, 0.5]), ag.tensor([1.0, 0.0])).item(), 4)
    0.6931
    """

    def __init__(self, weight=None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: l = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))).

    >>> import autograd as ag, nn
    >>> round(nn.BCEWithLogitsLoss()(ag.tensor([0.0, 2.0]), ag.tensor([1.0, 1.0])).item(), 4)
    0.41
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Cross-entropy on logits: l = -log softmax(x)[target] (or -sum_c p_c log softmax(x)_c).

    >>> import autograd as ag, nn
    >>> round(nn.CrossEntropyLoss()(ag.zeros(2, 4), ag.tensor([0, 3])).item(), 4)
    1.3863
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood on log-probabilities: l = -input[target], then reduced.

    >>> import autograd as ag, nn
    >>> nn.NLLLoss()(ag.tensor([[-1.0, -2.0], [-3.0, -0.5]]), ag.tensor([0, 1])).item()
    0.75
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)
