"""W3: 1,000 chained small elementwise ops on shape (16,), forward + backward.

This measures per-op overhead: the arrays are so small that NumPy's own call overhead
(about a microsecond) is the floor. The chain repeats a cycle of 10 primitive ops
(100 cycles = 1,000 ops)::

    a  = sin(x)          1
    a  = a * 0.1         2
    x1 = x + a           3   (x is used twice in the cycle: gradients accumulate)
    t  = tanh(x1)        4
    t  = t * 0.1         5
    x2 = x1 + t          6
    c  = a * a           7   (both operands the same tensor)
    c  = -c              8
    c  = exp(c)          9
    x  = x2 + c          10

The residual form keeps both values and gradients of order 1 over 1,000 ops (a plain
contracting chain such as ``x = sin(x) * 1.01 + 0.1`` drives the gradient to ~1e-47,
i.e. into float32 denormals, and would time denormal arithmetic). The loss is
``sum(x_final)``; the gradient is taken with respect to the input ``x0``. Reported as
time per op: (forward + backward time) / 1,000.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

import numpy as np

from .common import SEED, tapegrad, tensor_dtypes, torch_mod
from .harness import Runner, Snapshot, Workload

OPS_PER_CYCLE = 10


class HandW3:
    """Hand NumPy forward (saving what backward needs) and backward of the cycle chain.

    One cycle, forward ``x -> x'`` (the 10 ops above)::

        a = 0.1 sin(x),  x1 = x + a,  t = tanh(x1),  x2 = x1 + 0.1 t,
        c = exp(-a^2),   x' = x2 + c

    Backward ``g' = dL/dx' -> g = dL/dx``::

        g1 = g' + 0.1 g' (1 - t^2)            (through x2 = x1 + 0.1 tanh(x1))
        ga = g1 + g' c (-2 a)                 (a reaches x' via x1 and via c)
        g  = g1 + 0.1 cos(x) ga

    Saved per cycle: x, a, t, c. Forward issues the same 10 NumPy calls per cycle as the
    engines record; backward issues about 11.
    """

    def __init__(self, x0: np.ndarray, n_cycles: int, dtype: np.dtype) -> None:
        self.x0 = x0.astype(dtype)
        self.n_cycles = n_cycles
        self.loss = 0.0
        self.grad = np.zeros_like(self.x0)

    def step(self) -> None:
        x = self.x0
        saved: List[tuple] = []
        for _ in range(self.n_cycles):
            a = np.sin(x)
            a = a * 0.1
            x1 = x + a
            t = np.tanh(x1)
            t2 = t * 0.1
            x2 = x1 + t2
            c = a * a
            c = -c
            c = np.exp(c)
            saved.append((x, a, t, c))
            x = x2 + c
        self.loss = float(x.sum())
        g = np.ones_like(x)
        for x, a, t, c in reversed(saved):
            g1 = g + g * 0.1 * (1 - t * t)
            ga = g1 - 2 * g * c * a
            g = g1 + ga * 0.1 * np.cos(x)
        self.grad = g

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, {"x0": self.grad.astype(np.float64)},
                        {"x0": self.x0.astype(np.float64)})


def _chain(x: Any, n_cycles: int, sin: Callable, tanh: Callable, exp: Callable) -> Any:
    """The cycle chain for a tensor type (tapegrad, PyTorch): exactly the 10 ops above."""
    for _ in range(n_cycles):
        a = sin(x)
        a = a * 0.1
        x1 = x + a
        t = tanh(x1)
        t = t * 0.1
        x2 = x1 + t
        c = a * a
        c = -c
        c = exp(c)
        x = x2 + c
    return x


class TapegradW3:
    """The chain with tapegrad function-form ops ``ag.sin``, ``ag.tanh``, ``ag.exp``."""

    def __init__(self, x0: np.ndarray, n_cycles: int, dtype: np.dtype) -> None:
        self.ag = tapegrad()
        self.x0 = self.ag.tensor(x0.astype(dtype), requires_grad=True)
        self.n_cycles = n_cycles
        self.loss: Any = None

    def step(self) -> None:
        ag = self.ag
        self.x0.grad = None
        loss = _chain(self.x0, self.n_cycles, ag.sin, ag.tanh, ag.exp).sum()
        loss.backward()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def dtypes(self) -> set:
        """dtype names of the loss, parameters and gradients as tapegrad computed them."""
        return tensor_dtypes(self.loss, [self.x0])

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), {"x0": self.x0.grad.data.numpy().astype(np.float64)},
                        {"x0": self.x0.data.numpy().astype(np.float64)})


class TorchW3:
    """The chain with ``torch.sin``, ``torch.tanh``, ``torch.exp``."""

    def __init__(self, x0: np.ndarray, n_cycles: int, dtype: np.dtype) -> None:
        torch = self.torch = torch_mod()
        self.x0 = torch.tensor(x0.astype(dtype), requires_grad=True)
        self.n_cycles = n_cycles
        self.loss: Any = None

    def step(self) -> None:
        torch = self.torch
        self.x0.grad = None
        loss = _chain(self.x0, self.n_cycles, torch.sin, torch.tanh, torch.exp).sum()
        loss.backward()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), {"x0": self.x0.grad.double().numpy()},
                        {"x0": self.x0.detach().double().numpy()})


def make_w3(quick: bool) -> Workload:
    """W3: 1,000 ops (quick: 100) on shape (16,), float32 timing, reported per op."""
    n_ops = 100 if quick else 1000
    n_cycles = n_ops // OPS_PER_CYCLE
    x0 = np.random.default_rng(SEED).standard_normal(16)
    systems: Dict[str, Callable[[np.dtype], Runner]] = {
        "hand NumPy": lambda dt: HandW3(x0, n_cycles, dt)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradW3(x0, n_cycles, dt)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchW3(x0, n_cycles, dt)
    return Workload("W3", f"{n_ops} chained elementwise ops on shape (16,), fwd+bwd", systems,
                    np.dtype(np.float32), unit="us/op", scale=1e6, per=n_ops, rounds=15)
