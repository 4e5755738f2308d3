"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``, closed forms).

With base learning rate lr0 and epoch counter t (incremented by ``step()``):
StepLR lr0 gamma^(t // step_size); MultiStepLR lr0 gamma^(#milestones <= t);
ExponentialLR lr0 gamma^t; PolynomialLR lr0 (1 - min(t, T)/T)^power, and with
``cycle=True`` (TensorFlow's PolynomialDecay) T grows to T ceil(t / T) so the decay
restarts; PiecewiseConstantLR values[#boundaries <= t]; ReduceLROnPlateau multiplies by
``factor`` after ``patience`` epochs without improvement.

Issue 13 adds, each equal to PyTorch's step by step:
CosineAnnealingLR eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2 (PyTorch's
recursive form has this closed form); LinearLR lr0 (s + (e - s) min(t, T) / T) for
factors s, e; OneCycleLR (warm-up from max_lr / div_factor to max_lr over pct_start of
the steps, then annealing to initial_lr / final_div_factor, cos or linear, with the
momentum (or Adam's beta1) cycled inversely); SequentialLR runs one schedule after
another, each restarting from epoch 0 at its milestone.
"""
from __future__ import annotations

import bisect
import math
import warnings
from typing import Dict, List, Optional, Sequence

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR",
           "PiecewiseConstantLR", "ReduceLROnPlateau", "CosineAnnealingLR", "LinearLR",
           "OneCycleLR", "SequentialLR"]


class LRScheduler:
    """Sets each param group's lr to ``lr_at(base_lr, epoch)`` on every ``step()``.

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.StepLR(opt, step_size=1, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(3):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> isinstance(sched, S.LRScheduler), lrs
    (True, [0.1, 0.05, 0.025])
    """

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
    """lr = base_lr * gamma ** (epoch // step_size).

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.1, 0.05, 0.05]
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return base * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= epoch).

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.01, 0.01, 0.001]
    """

    def __init__(self, optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return base * self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch.

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.ExponentialLR(opt, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.05, 0.025, 0.0125]
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return base * self.gamma ** t


class PolynomialLR(LRScheduler):
    """lr0 (1 - t/T)^power for t <= T, then 0 (or restarting every T with ``cycle``;
    ``end_lr`` is the floor, 0 by default as in PyTorch).

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.PolynomialLR(opt, total_iters=4, power=1.0)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.075, 0.05, 0.025, 0.0]
    """

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
    The values are absolute learning rates (TensorFlow's PiecewiseConstantDecay).

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.PiecewiseConstantLR(opt, boundaries=[2], values=[0.1, 0.01])
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.1, 0.01, 0.01]
    """

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
    driven by the metric passed to ``step`` rather than a closed form in the epoch.

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [1.0, 1.0, 1.0, 1.0]:
    ...     sched.step(loss)
    ...
    >>> opt.param_groups[0]['lr']
    0.05
    """

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


# --------------------------------------------------------------------------- issue 13
class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2: half a cosine from lr0 down
    to eta_min over T_max steps (continuing periodically after, as PyTorch's does).

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.0854, 0.05, 0.0146, 0.0]
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class LinearLR(LRScheduler):
    """lr0 times a factor going linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then constant.

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.05, 0.075, 0.1, 0.1]
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, t):
        frac = min(self.total_iters, t) / self.total_iters if self.total_iters > 0 else 1.0
        return base * (self.start_factor + (self.end_factor - self.start_factor) * frac)


def _per_group(name: str, optimizer, value) -> List[float]:
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"OneCycleLR: expected {len(optimizer.param_groups)} values for "
                             f"{name}, got {len(value)}")
        return [float(v) for v in value]
    return [float(value)] * len(optimizer.param_groups)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), PyTorch's arguments and per-step values: the lr
    rises from max_lr / div_factor to max_lr over the first pct_start of ``total_steps``
    (or epochs * steps_per_epoch), then falls to initial_lr / final_div_factor
    (``three_phase``: back to the initial lr first, then to the minimum); with
    ``cycle_momentum`` the momentum (Adam's beta1) moves from max_momentum to
    base_momentum and back. ``anneal_strategy`` 'cos' or 'linear'. Step once per batch;
    stepping past total_steps raises, as in PyTorch.

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=4)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.04, 0.8117, 0.2831, 0.0]
    """

    def __init__(self, optimizer, max_lr, total_steps: Optional[int] = None,
                 epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: expected a positive integer total_steps, got "
                                 f"{total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if epochs <= 0 or steps_per_epoch <= 0:
                raise ValueError(f"OneCycleLR: epochs ({epochs}) and steps_per_epoch "
                                 f"({steps_per_epoch}) must be positive")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: you must define either total_steps OR (epochs AND "
                             "steps_per_epoch)")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected pct_start in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        T = self.total_steps
        if three_phase:
            self._phases = [
                (float(pct_start * T) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * T) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (T - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [
                (float(pct_start * T) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (T - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        self.anneal_strategy, self.cycle_momentum = anneal_strategy, cycle_momentum
        if last_epoch == -1:
            for g, m in zip(optimizer.param_groups, _per_group("max_lr", optimizer, max_lr)):
                g["initial_lr"] = m / div_factor
                g["max_lr"] = m
                g["min_lr"] = g["initial_lr"] / final_div_factor
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("OneCycleLR: optimizer must support momentum or beta1 with the "
                                 "cycle_momentum option enabled (or pass cycle_momentum=False)")
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for g, mx, b in zip(optimizer.param_groups,
                                    _per_group("max_momentum", optimizer, max_momentum),
                                    _per_group("base_momentum", optimizer, base_momentum)):
                    if self.use_beta1:
                        g["betas"] = (mx, *g["betas"][1:])
                    else:
                        g["momentum"] = mx
                    g["max_momentum"], g["base_momentum"] = mx, b
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def step(self, epoch: Optional[int] = None) -> None:
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {t} times; the specified number of "
                             f"total steps is {self.total_steps}")
        for g in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if t <= end or i == len(self._phases) - 1:
                    pct = (t - start) / (end - start)
                    g["lr"] = self._anneal(g[lr0], g[lr1], pct)
                    if self.cycle_momentum:
                        m = self._anneal(g[m0], g[m1], pct)
                        if self.use_beta1:
                            g["betas"] = (m, *g["betas"][1:])
                        else:
                            g["momentum"] = m
                    break
                start = end
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another: scheduler i + 1 takes over at
    ``milestones[i]``, restarting from its epoch 0 (PyTorch's SequentialLR).

    >>> import autograd as ag, nn
    >>> import nn.optim; from nn.optim import lr_scheduler as S
    >>> opt = nn.optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1)
    >>> first, then = S.StepLR(opt, step_size=5), S.ExponentialLR(opt, gamma=0.9)
    >>> sched = S.SequentialLR(opt, [first, then], milestones=[2])
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(opt.param_groups[0]['lr'], 4)); opt.step(); sched.step()
    ...
    >>> lrs
    [0.1, 0.1, 0.1, 0.09]
    """

    def __init__(self, optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler")
        for i, sch in enumerate(schedulers):
            if isinstance(sch, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR does not support ReduceLROnPlateau (index {i}): "
                                 f"its step needs the metric")
            if getattr(sch, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR expects all schedulers to belong to the same "
                                 f"optimizer; scheduler {i} ({type(sch).__name__}) has another")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        self.optimizer, self.last_epoch = optimizer, last_epoch + 1
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"]
        for sch in self._schedulers:        # undo the step each made when constructed
            sch.last_epoch -= 1
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first.step()
        self._last_lr = first.get_last_lr()

    def step(self, epoch: Optional[int] = None) -> None:
        if epoch is not None:
            raise ValueError("SequentialLR.step takes no epoch")
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        sch = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            sch.step(0)
        else:
            sch.step()
        self._last_lr = sch.get_last_lr()

    def state_dict(self) -> Dict:
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, sd: Dict) -> None:
        sd = dict(sd)
        subs = sd.pop("_schedulers")
        self.__dict__.update(sd)
        for s, d in zip(self._schedulers, subs):
            s.load_state_dict(d)
