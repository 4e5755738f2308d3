"""Gradient clipping, regularisation penalties and early stopping."""
from __future__ import annotations

import copy
import math
from typing import Optional

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty", "EarlyStopping"]


def _params(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)); returns total_norm,
    the norm of all gradients concatenated (``norm_type=inf`` for the max-abs norm).

        >>> import autograd as ag
        >>> from nn.utils import clip_grad_norm_
        >>> w = ag.tensor([3.0, 4.0], requires_grad=True)
        >>> (w * ag.tensor([3.0, 4.0])).sum().backward()       # grad (3, 4), norm 5
        >>> round(clip_grad_norm_([w], max_norm=1.0).item(), 4), [round(g, 4) for g in w.grad.tolist()]
        (5.0, [0.6, 0.8])
    """
    params = _params(parameters)           # once: `parameters` may be a generator
    grads = [np.asarray(p.grad) for p in params if p.grad is not None]
    if not grads:
        return ag.tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float((np.abs(g) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} is non-finite "
                           f"({total}); set error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            if p.grad is not None:
                p.grad.data = np.asarray(p.grad) * coef
    return ag.tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value].

        >>> import autograd as ag
        >>> from nn.utils import clip_grad_value_
        >>> w = ag.tensor([1.0, 1.0], requires_grad=True)
        >>> (w * ag.tensor([-5.0, 0.5])).sum().backward()
        >>> clip_grad_value_([w], 1.0); w.grad.tolist()
        [-1.0, 0.5]
    """
    for p in _params(parameters):
        if p.grad is not None:
            p.grad.data = np.clip(np.asarray(p.grad), -clip_value, clip_value)


def l1_penalty(parameters, weight: float = 1.0) -> Tensor:
    """weight * sum |p| over parameters: add to a loss for L1 regularisation.

        >>> import autograd as ag
        >>> from nn.utils import l1_penalty
        >>> l1_penalty([ag.tensor([1.0, -2.0]), ag.tensor([3.0])], weight=0.5).item()
        3.0
    """
    ps = _params(parameters)
    total = ps[0].abs().sum()
    for p in ps[1:]:
        total = total + p.abs().sum()
    return total * weight


def l2_penalty(parameters, weight: float = 1.0) -> Tensor:
    """weight * sum p^2 over parameters: add to a loss for L2 regularisation (note: the
    optimizers' weight_decay=wd equals l2_penalty with weight wd / 2).

        >>> import autograd as ag
        >>> from nn.utils import l2_penalty
        >>> l2_penalty([ag.tensor([1.0, -2.0]), ag.tensor([3.0])], weight=0.5).item()
        7.0
    """
    ps = _params(parameters)
    total = (ps[0] * ps[0]).sum()
    for p in ps[1:]:
        total = total + (p * p).sum()
    return total * weight


class EarlyStopping:
    """Stop when the monitored metric has not improved by ``min_delta`` for ``patience``
    checks; optionally restore the best weights.

        stopper = EarlyStopping(patience=5, restore_best_weights=True)
        for epoch in ...:
            if stopper.step(val_loss, model):
                break
        stopper.restore(model)
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, mode: str = "min",
                 restore_best_weights: bool = False) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.patience, self.min_delta, self.mode = patience, abs(min_delta), mode
        self.restore_best_weights = restore_best_weights
        self.best: Optional[float] = None
        self.best_epoch = -1
        self.bad_epochs = 0
        self.epoch = -1
        self.best_state = None
        self.stopped = False

    def _improved(self, v: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return v < self.best - self.min_delta
        return v > self.best + self.min_delta

    def step(self, value: float, model=None) -> bool:
        """Record one check; returns True when training should stop."""
        value = float(value)
        self.epoch += 1
        if self._improved(value):
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
            if self.restore_best_weights and model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        self.stopped = self.bad_epochs > self.patience
        return self.stopped

    def restore(self, model) -> None:
        """Load the best weights seen (when restore_best_weights was set)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
