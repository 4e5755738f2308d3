"""The activations of ``nn.functional`` that take PyTorch's ``inplace`` flag: relu,
leaky_relu, elu and silu (mish and hardtanh keep theirs in ``_functional_layers``).

``inplace=True`` writes the result into ``input``, as PyTorch's ``F.relu(x, True)``
does: recorded as a ``copy_`` of the out-of-place result (so the gradient is the same),
refused on a leaf that requires grad."""
from __future__ import annotations

from typing import Callable

import autograd as ag
from autograd import Tensor

from ._functional_layers import _in_place

__all__ = ["relu", "leaky_relu", "elu", "silu"]


def _apply(input, inplace, name: str, fn: Callable) -> Tensor:
    if inplace and isinstance(input, Tensor):  # (its truth value, as PyTorch's ``if inplace``)
        return _in_place(input, name, fn)
    return fn(input)


def relu(input, inplace: bool = False) -> Tensor:
    """max(0, x); ``inplace`` writes it into ``input``.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> x = ag.tensor([-1.0, 2.0]); _ = F.relu(x, inplace=True); x.tolist()
    [0.0, 2.0]
    """
    return _apply(input, inplace, "relu", ag.relu)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x >= 0 else negative_slope * x; ``inplace`` writes it into ``input``.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.leaky_relu(ag.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
    """
    return _apply(input, inplace, "leaky_relu", lambda t: ag.leaky_relu(t, negative_slope))


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (exp(x) - 1); ``inplace`` writes it into ``input``.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.elu(ag.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _apply(input, inplace, "elu", lambda t: ag.elu(t, alpha))


def silu(input, inplace: bool = False) -> Tensor:
    """x sigmoid(x); ``inplace`` writes it into ``input``.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.silu(ag.tensor([0.0])).tolist()
    [0.0]
    """
    return _apply(input, inplace, "silu", ag.silu)
