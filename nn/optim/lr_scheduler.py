"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``, closed forms).

With base learning rate lr0 and epoch counter t (incremented by ``step()``):
StepLR lr0 gamma^(t // step_size); MultiStepLR lr0 gamma^(#milestones <= t);
ExponentialLR lr0 gamma^t; PolynomialLR lr0 (1 - min(t, T)/T)^power, and with
``cycle=True`` (TensorFlow's PolynomialDecay) T grows to T ceil(t / T) so the decay
restarts; PiecewiseConstantLR values[#boundaries <= t]; ReduceLROnPlateau multiplies by
``factor`` after ``patience`` epochs without improvement.
"""
from __future__ import annotations

import bisect
import math
import warnings
from typing import Dict, List, Optional, Sequence

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR",
           "PiecewiseConstantLR", "ReduceLROnPlateau"]


class LRScheduler:
    """Sets each param group's lr to ``lr_at(base_lr, epoch)`` on every ``step()``."""

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def step(self, epoch: Optional[int] = None) -> None:
        self._step_count = getattr(self, "_step_count", 0) + 1
        if self._step_count == 2 and getattr(self.optimizer, "_step_count", 1) == 0:
            # PyTorch's warning (its wording): the first value of the schedule is skipped
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. You "
                "should call them in the opposite order: `optimizer.step()` before "
                "`lr_scheduler.step()`. Failure to do this will result in skipping the first "
                "value of the learning rate schedule.", UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = self.lr_at(base, self.last_epoch)
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> List[float]:
        return list(self._last_lr)

    def state_dict(self) -> Dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, sd: Dict) -> None:
        self.__dict__.update(sd)


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return base * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return base * self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return base * self.gamma ** t


class PolynomialLR(LRScheduler):
    """lr0 (1 - t/T)^power for t <= T, then 0 (or restarting every T with ``cycle``;
    ``end_lr`` is the floor, 0 by default as in PyTorch)."""

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0,
                 cycle: bool = False, end_lr: float = 0.0, last_epoch: int = -1) -> None:
        if total_iters <= 0:
            raise ValueError(f"PolynomialLR: total_iters must be positive, got {total_iters}")
        self.total_iters, self.power, self.cycle, self.end_lr = total_iters, power, cycle, end_lr
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        T = self.total_iters
        if self.cycle:
            T = T * max(1, math.ceil(t / T))
        else:
            t = min(t, T)
        return (base - self.end_lr) * (1 - t / T) ** self.power + self.end_lr


class PiecewiseConstantLR(LRScheduler):
    """values[i] on [boundaries[i-1], boundaries[i]): ``len(values) == len(boundaries) + 1``.
    The values are absolute learning rates (TensorFlow's PiecewiseConstantDecay)."""

    def __init__(self, optimizer, boundaries: Sequence[int], values: Sequence[float],
                 last_epoch: int = -1) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantLR: need len(values) == len(boundaries) + 1, "
                             f"got {len(values)} values and {len(boundaries)} boundaries")
        if list(boundaries) != sorted(boundaries):
            raise ValueError("PiecewiseConstantLR: boundaries must be increasing")
        self.boundaries, self.values = list(boundaries), list(values)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return self.values[bisect.bisect_right(self.boundaries, t)]


class ReduceLROnPlateau(LRScheduler):
    """Multiply lr by ``factor`` when the metric stops improving for ``patience`` epochs.

    A subclass of LRScheduler as in PyTorch (shared ``get_last_lr``/``state_dict``), but
    driven by the metric passed to ``step`` rather than a closed form in the epoch."""

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float = 0.0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau: factor should be < 1.0")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError("ReduceLROnPlateau: mode must be 'min'/'max', threshold_mode 'rel'/'abs'")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def _better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (1 + self.threshold)
        return a > best + self.threshold

    def step(self, metric: float) -> None:
        metric = float(metric)
        self.last_epoch += 1
        if self._better(metric, self.best):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for i, g in enumerate(self.optimizer.param_groups):
                new = max(g["lr"] * self.factor, self.min_lrs[i])
                if g["lr"] - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]
