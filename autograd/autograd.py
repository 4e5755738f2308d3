"""``torch.autograd`` for ported scripts: ``autograd.autograd.grad``, ``.backward``,
``.Function``, ``.Variable``, ``.functional`` and ``.gradcheck`` are tapegrad's own
(``from torch.autograd import Function`` becomes ``from autograd.autograd import
Function``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from .tape import detect_anomaly, enable_grad, no_grad, set_grad_enabled
from .tensor import Tensor, tensor

__all__ = ["grad", "backward", "Function", "FunctionCtx", "once_differentiable", "Variable",
           "functional", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "detect_anomaly", "set_detect_anomaly"]


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """``torch.autograd.Variable``: in PyTorch today the identity on a tensor (Variables
    and Tensors merged in 0.4); ``requires_grad=True`` makes it require grad.

    >>> import autograd as ag
    >>> v = ag.Variable(ag.tensor([1., 2.]), requires_grad=True)
    >>> type(v).__name__, v.requires_grad
    ('Tensor', True)
    """
    if not isinstance(requires_grad, (bool, int, np.bool_)) or \
            not isinstance(volatile, (bool, int, np.bool_)):
        raise TypeError(f"Variable: requires_grad and volatile must be bools, got "
                        f"{type(requires_grad).__name__} and {type(volatile).__name__}")
    t = data if isinstance(data, Tensor) else tensor(data)
    if requires_grad:
        if t.dtype.kind != "f":
            raise RuntimeError(f"Variable: only floating point tensors can require gradients, "
                               f"got dtype {t.dtype}; convert first, e.g. Variable(t.float(), "
                               f"requires_grad=True)")
        t.requires_grad_(True)
    return t


class set_detect_anomaly(detect_anomaly):
    """``torch.autograd.set_detect_anomaly(mode)``: anomaly mode as a context manager
    or a global switch."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = bool(mode)
