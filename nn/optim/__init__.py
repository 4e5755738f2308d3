"""Optimizers with PyTorch's update rules, param groups and resumable state.

Each ``step()`` updates ``p.data`` in place under ``no_grad()``. With g the gradient
(plus weight decay wd * p where the algorithm adds it to the gradient):

* SGD: b = mu b + (1 - dampening) g (b = g at the first step); g = g + mu b (Nesterov)
  or g = b; p -= lr g.
* Adagrad: lr_t = lr / (1 + (t - 1) lr_decay); s += g^2; p -= lr_t g / (sqrt(s) + eps).
* RMSprop: v = alpha v + (1 - alpha) g^2; centered: m = alpha m + (1 - alpha) g and
  v~ = v - m^2; with momentum b = mu b + g / (sqrt(v~) + eps), p -= lr b; else
  p -= lr g / (sqrt(v~) + eps).
* Adadelta: v = rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g;
  u = rho u + (1 - rho) d^2; p -= lr d.
* Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; (amsgrad: vmax = max(vmax, v));
  p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
* AdamW: as Adam on the raw gradient, with p *= 1 - lr wd first (decoupled decay).
"""
from __future__ import annotations

import copy
import warnings
from typing import Any, Dict, Iterable, List

import numpy as np

import autograd as ag
from autograd import Tensor

from . import lr_scheduler  # noqa: F401  (nn.optim.lr_scheduler)

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "lr_scheduler"]


class Optimizer:
    """Base class: param groups, zero_grad, state_dict / load_state_dict.

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> opt = nn.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    >>> isinstance(opt, nn.optim.Optimizer), opt.param_groups[0]['lr']
    (True, 0.1)
    """

    defaults: Dict[str, Any]

    def __init__(self, params: Iterable, defaults: Dict[str, Any]) -> None:
        name = type(self).__name__
        _check_hyper(name, defaults)
        if "lr" in defaults and defaults["lr"] < 0:
            raise ValueError(f"{name}: invalid learning rate {defaults['lr']}; it must be >= 0")
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of tensors or of dicts, got a "
                            f"single tensor; wrap it in a list")
        if params is None or isinstance(params, (str, bytes, dict)) or \
                not hasattr(params, "__iter__"):
            raise TypeError(f"{name}: params must be an iterable of tensors or of dicts (e.g. "
                            f"model.parameters()), got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters() "
                             f"of a model that has parameters")
        self.defaults = defaults
        self._step_count = 0  # read by lr_scheduler (PyTorch's order warning)
        self.param_groups: List[Dict[str, Any]] = []
        self.state: Dict[int, Dict[str, Any]] = {}
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: Dict[str, Any]) -> None:
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' key, "
                            f"got {type(group).__name__}")
        group = dict(group)
        _check_hyper(name, group)
        ps = group["params"]
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        for i, p in enumerate(ps):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i}, "
                                 f"shape {tuple(p.shape)}); optimize the leaf it was computed "
                                 f"from, or use .detach().requires_grad_()")
            if not p.requires_grad:
                raise ValueError(f"{name}: parameter {i} (shape {tuple(p.shape)}) does not "
                                 f"require grad")
        if len({id(p) for p in ps}) != len(ps):
            # PyTorch's warning (its wording): such a parameter is updated twice per step
            warnings.warn(f"{name}: optimizer contains a parameter group with duplicate "
                          f"parameters; each duplicate is updated once per occurrence in "
                          f"every step(). Pass each parameter once (e.g. "
                          f"list(dict.fromkeys(params)))", UserWarning, stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in ps):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = ps
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        if group.get("lr", 0) < 0:
            raise ValueError(f"{name}: invalid learning rate {group['lr']}")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def _state(self, p: Tensor) -> Dict[str, Any]:
        return self.state.setdefault(id(p), {})

    @ag.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = np.array(np.asarray(p.grad), dtype=p.dtype)
                if group.get("maximize", False):
                    g = -g
                self._update(p, g, self._state(p), group)
                # the update is an in-place change of p, as in PyTorch: a graph built
                # before the step that saved p now refuses to backward (a silent
                # gradient at the new weights otherwise)
                ag.increment_version(p)
        self._step_count += 1
        return loss

    def _update(self, p: Tensor, g: np.ndarray, st: Dict[str, Any], group: Dict[str, Any]) -> None:
        raise NotImplementedError

    def state_dict(self) -> Dict[str, Any]:
        """{'state': {index: {...}}, 'param_groups': [...]} with parameters as indices."""
        index = {}
        groups = []
        for g in self.param_groups:
            gg = {k: v for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            gg["params"] = ids
            groups.append(gg)
        state = {index[k]: copy.deepcopy(v) for k, v in self.state.items() if k in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, sd: Dict[str, Any]) -> None:
        name = type(self).__name__
        if not isinstance(sd, dict) or "param_groups" not in sd or "state" not in sd:
            raise ValueError(f"{name}.load_state_dict: expected the dict returned by an "
                             f"optimizer's state_dict() (keys 'state' and 'param_groups'), got "
                             f"{type(sd).__name__}"
                             + (f" with keys {sorted(map(str, sd))}" if isinstance(sd, dict) else ""))
        groups = sd["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved state has "
                             f"different parameter groups than this optimizer")
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            for i, p in zip(saved["params"], own["params"]):
                by_index[int(i)] = p
        for i, st in sd["state"].items():  # validate everything before changing anything
            p = by_index.get(int(i))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: the saved state refers to parameter "
                                 f"{i}, but this optimizer has {len(by_index)} parameters")
            for k, v in st.items():
                if isinstance(v, np.ndarray) and v.ndim and v.shape != tuple(p.shape):
                    raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} has "
                                     f"shape {v.shape}, but the parameter has shape "
                                     f"{tuple(p.shape)}; the state was saved for a different "
                                     f"model")
        for saved, own in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    own[k] = v
        self.state = {}
        for i, st in sd["state"].items():
            p = by_index[int(i)]
            self.state[id(p)] = {k: (np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) else v)
                                 for k, v in st.items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.defaults.items())})"


# hyperparameter -> (lowest value, highest value or None, highest excluded); each must be
# a real number in range (PyTorch: ValueError "Invalid ... value"; a NaN is refused too)
_HYPER = {"lr": (0.0, None, False), "momentum": (0.0, None, False),
          "dampening": (-float("inf"), None, False), "weight_decay": (0.0, None, False),
          "eps": (0.0, None, False), "alpha": (0.0, None, False), "rho": (0.0, 1.0, False),
          "lr_decay": (0.0, None, False), "initial_accumulator_value": (0.0, None, False)}


def _check_hyper(name: str, group: Dict[str, Any]) -> None:
    for k, v in group.items():
        if k == "betas":
            if not isinstance(v, (tuple, list)) or len(v) != 2 or not all(
                    isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, bool)
                    for b in v):
                raise TypeError(f"{name}: betas must be a pair of floats, got {v!r}")
            if not all(0.0 <= b < 1.0 for b in v):
                raise ValueError(f"{name}: invalid beta parameters {tuple(v)}; each must be in "
                                 f"[0, 1)")
            continue
        if k not in _HYPER:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or \
                (isinstance(v, Tensor) and v.numel() != 1):
            raise TypeError(f"{name}: {k} must be a real number, got {type(v).__name__} {v!r}")
        low, high, _ = _HYPER[k]
        if not (v >= low) or (high is not None and not v <= high):
            what = "learning rate" if k == "lr" else f"{k} value"
            raise ValueError(f"{name}: invalid {what}: {v} (it must be >= {low}"
                             + (f" and <= {high}" if high is not None else "") + ")")


class SGD(Optimizer):
    """SGD: b = mu b + g (g with weight decay added); p -= lr b (p -= lr g without momentum).

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> p = nn.Parameter(ag.tensor([1.0])); opt = nn.optim.SGD([p], lr=0.1)
    >>> (p * p).sum().backward(); opt.step()
    >>> round(p.item(), 4)
    0.8
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False) -> None:
        _check_hyper("SGD", dict(momentum=momentum, weight_decay=weight_decay))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, p, g, st, group):
        wd, mu = group["weight_decay"], group["momentum"]
        if wd:
            g = g + wd * np.asarray(p)
        if mu:
            fresh = self.__dict__.setdefault("_fresh_buffers", {})
            if "momentum_buffer" not in st or fresh.get(id(st)) == self._step_count:
                # (a parameter listed twice: PyTorch starts both buffers from their
                # gradient in the step that creates them, and keeps the last)
                st["momentum_buffer"] = g.copy()
                fresh[id(st)] = self._step_count
            else:
                st["momentum_buffer"] = mu * st["momentum_buffer"] + (1 - group["dampening"]) * g
            b = st["momentum_buffer"]
            g = g + mu * b if group["nesterov"] else b
        p.data -= group["lr"] * g


class Adagrad(Optimizer):
    """Adagrad: s += g^2; p -= lr g / (sqrt(s) + eps).

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> p = nn.Parameter(ag.tensor([1.0])); opt = nn.optim.Adagrad([p], lr=0.1)
    >>> (p * p).sum().backward(); opt.step()
    >>> round(p.item(), 4)
    0.9
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _update(self, p, g, st, group):
        if "sum" not in st:
            st["step"] = 0
            st["sum"] = np.full(p.shape, group["initial_accumulator_value"], dtype=p.dtype)
        st["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * np.asarray(p)
        clr = group["lr"] / (1 + (st["step"] - 1) * group["lr_decay"])
        st["sum"] = st["sum"] + g * g
        p.data -= clr * g / (np.sqrt(st["sum"]) + group["eps"])


class RMSprop(Optimizer):
    """RMSprop: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps).

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> p = nn.Parameter(ag.tensor([1.0])); opt = nn.optim.RMSprop([p], lr=0.01)
    >>> (p * p).sum().backward(); opt.step()
    >>> round(p.item(), 4)
    0.9
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _update(self, p, g, st, group):
        if "square_avg" not in st:
            st["step"] = 0
            st["square_avg"] = np.zeros(p.shape, dtype=p.dtype)
            if group["momentum"] > 0:
                st["momentum_buffer"] = np.zeros(p.shape, dtype=p.dtype)
            if group["centered"]:
                st["grad_avg"] = np.zeros(p.shape, dtype=p.dtype)
        st["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * np.asarray(p)
        a = group["alpha"]
        st["square_avg"] = a * st["square_avg"] + (1 - a) * g * g
        if group["centered"]:
            st["grad_avg"] = a * st["grad_avg"] + (1 - a) * g
            avg = np.sqrt(st["square_avg"] - st["grad_avg"] ** 2) + group["eps"]
        else:
            avg = np.sqrt(st["square_avg"]) + group["eps"]
        if group["momentum"] > 0:
            st["momentum_buffer"] = group["momentum"] * st["momentum_buffer"] + g / avg
            p.data -= group["lr"] * st["momentum_buffer"]
        else:
            p.data -= group["lr"] * g / avg


class Adadelta(Optimizer):
    """Adadelta: v = rho v + (1 - rho) g^2; dx = sqrt(u + eps) / sqrt(v + eps) g;
    u = rho u + (1 - rho) dx^2; p -= lr dx.

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> p = nn.Parameter(ag.tensor([1.0])); opt = nn.optim.Adadelta([p], lr=1.0)
    >>> (p * p).sum().backward(); opt.step()
    >>> round(p.item(), 4)
    0.9968
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _update(self, p, g, st, group):
        if "square_avg" not in st:
            st["step"] = 0
            st["square_avg"] = np.zeros(p.shape, dtype=p.dtype)
            st["acc_delta"] = np.zeros(p.shape, dtype=p.dtype)
        st["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * np.asarray(p)
        rho, eps = group["rho"], group["eps"]
        st["square_avg"] = rho * st["square_avg"] + (1 - rho) * g * g
        delta = np.sqrt(st["acc_delta"] + eps) / np.sqrt(st["square_avg"] + eps) * g
        st["acc_delta"] = rho * st["acc_delta"] + (1 - rho) * delta * delta
        p.data -= group["lr"] * delta


class Adam(Optimizer):
    """Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr m_hat / (sqrt(v_hat) + eps).

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> p = nn.Parameter(ag.tensor([1.0])); opt = nn.optim.Adam([p], lr=0.1)
    >>> (p * p).sum().backward(); opt.step()
    >>> round(p.item(), 4)
    0.9
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        # PyTorch's order: lr, eps, betas, weight_decay
        _check_hyper(type(self).__name__, dict(lr=lr, eps=eps, betas=betas,
                                               weight_decay=weight_decay))
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, p, g, st, group):
        if "exp_avg" not in st:
            st["step"] = 0
            st["exp_avg"] = np.zeros(p.shape, dtype=p.dtype)
            st["exp_avg_sq"] = np.zeros(p.shape, dtype=p.dtype)
            if group["amsgrad"]:
                st["max_exp_avg_sq"] = np.zeros(p.shape, dtype=p.dtype)
        st["step"] += 1
        t = st["step"]
        lr, wd, (b1, b2), eps = group["lr"], group["weight_decay"], group["betas"], group["eps"]
        if wd:
            if self._decoupled:
                p.data *= 1 - lr * wd
            else:
                g = g + wd * np.asarray(p)
        st["exp_avg"] = b1 * st["exp_avg"] + (1 - b1) * g
        st["exp_avg_sq"] = b2 * st["exp_avg_sq"] + (1 - b2) * g * g
        bc1 = 1 - b1 ** t
        bc2 = 1 - b2 ** t
        v = st["exp_avg_sq"]
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = np.maximum(st["max_exp_avg_sq"], v)
            v = st["max_exp_avg_sq"]
        denom = np.sqrt(v) / np.sqrt(bc2) + eps
        p.data -= (lr / bc1) * st["exp_avg"] / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2, like PyTorch).

    >>> import autograd as ag, nn
    >>> import nn.optim
    >>> p = nn.Parameter(ag.tensor([1.0])); opt = nn.optim.AdamW([p], lr=0.1, weight_decay=0.1)
    >>> (p * p).sum().backward(); opt.step()
    >>> round(p.item(), 4)
    0.89
    """
    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
