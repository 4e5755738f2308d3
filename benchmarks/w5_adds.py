"""W5: a chain of scalar adds ``x = x + c``, forward + backward, reported per op.

Leaves ``x0`` and ``c`` (both requiring grad, float64, 0-d); after ``n`` adds the loss
is ``x_n = x0 + n c``, so ``dL/dx0 = 1`` and ``dL/dc = n``. The chain is as deep as it
is long: it tests that backward needs no recursion and that per-node cost is small.
micrograd's recursive topological sort raises ``RecursionError`` on such a chain at
Python's default recursion limit (1,000); that outcome is what the table reports.

W5m is the same chain with 1,000,000 adds (tapegrad and hand NumPy only), run once:
the issue's "a 1,000,000-node chain runs" goal.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Dict

import numpy as np

from .common import micrograd_engine, tapegrad, tensor_dtypes, torch_mod
from .harness import Runner, Snapshot, Workload

X0, C = 0.25, 0.5


class HandW5:
    """Hand-written "engine-free" version with NumPy scalars.

    Honest about what it is: forward does ``x = x + c`` on NumPy float64 scalars (0-d
    array arithmetic returns ``np.float64``), recording nothing, because the add's
    vjp needs no saved values. Backward is an explicit Python loop over the ``n`` adds,
    in reverse, applying the add vjp ``g -> (g, g)``::

        g_x <- g_x          (gradient flowing to the previous x)
        g_c <- g_c + g_x    (c is an input of every add: accumulate)

    so it performs the same number of per-node steps an engine would, without any graph
    bookkeeping; it is the floor for a Python-level engine.
    """

    def __init__(self, n: int, dtype: np.dtype) -> None:
        self.n = n
        self.x0 = np.array(X0, dtype=dtype)
        self.c = np.array(C, dtype=dtype)
        self.loss = 0.0
        self.gx = self.gc = np.float64(0)

    def step(self) -> None:
        x, c = self.x0, self.c
        for _ in range(self.n):
            x = x + c
        gx = np.ones((), dtype=self.x0.dtype)[()]
        gc = np.zeros((), dtype=self.x0.dtype)[()]
        for _ in range(self.n):
            gc = gc + gx
        self.loss, self.gx, self.gc = float(x), gx, gc

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, {"x0": np.float64(self.gx), "c": np.float64(self.gc)})


class TapegradW5:
    """0-d tapegrad tensors."""

    def __init__(self, n: int, dtype: np.dtype) -> None:
        ag = tapegrad()
        self.n = n
        self.x0 = ag.tensor(X0, requires_grad=True, dtype=dtype)
        self.c = ag.tensor(C, requires_grad=True, dtype=dtype)
        self.loss: Any = None

    def step(self) -> None:
        self.x0.grad = None
        self.c.grad = None
        x, c = self.x0, self.c
        for _ in range(self.n):
            x = x + c
        x.backward()
        self.loss = x.detach()

    def dtypes(self) -> set:
        """dtype names of the loss, parameters and gradients as tapegrad computed them."""
        return tensor_dtypes(self.loss, [self.x0, self.c])

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), {"x0": np.float64(self.x0.grad.item()),
                                                  "c": np.float64(self.c.grad.item())})


class TorchW5:
    """0-d PyTorch tensors."""

    def __init__(self, n: int, dtype: np.dtype) -> None:
        torch = torch_mod()
        tdt = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]
        self.n = n
        self.x0 = torch.tensor(X0, dtype=tdt, requires_grad=True)
        self.c = torch.tensor(C, dtype=tdt, requires_grad=True)
        self.loss: Any = None

    def step(self) -> None:
        self.x0.grad = None
        self.c.grad = None
        x, c = self.x0, self.c
        for _ in range(self.n):
            x = x + c
        x.backward()
        self.loss = x.detach()

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), {"x0": np.float64(self.x0.grad.item()),
                                                  "c": np.float64(self.c.grad.item())})


class MicrogradW5:
    """micrograd ``Value``s (Python floats); ``backward`` recurses once per node."""

    def __init__(self, n: int, dtype: np.dtype) -> None:
        Value = micrograd_engine().Value
        self.n = n
        self.x0 = Value(X0)
        self.c = Value(C)
        self.loss = 0.0

    def step(self) -> None:
        self.x0.grad = 0.0
        self.c.grad = 0.0
        x, c = self.x0, self.c
        for _ in range(self.n):
            x = x + c
        x.backward()
        self.loss = x.data

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, {"x0": np.float64(self.x0.grad), "c": np.float64(self.c.grad)})


def make_w5(quick: bool) -> Workload:
    """W5: 100,000 adds (quick: 5,000, still deeper than the recursion limit), float64."""
    n = 5_000 if quick else 100_000
    systems: Dict[str, Callable[[np.dtype], Runner]] = {"hand NumPy": lambda dt: HandW5(n, dt)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradW5(n, dt)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchW5(n, dt)
    if micrograd_engine() is not None:
        systems["micrograd"] = lambda dt: MicrogradW5(n, dt)
    return Workload("W5", f"chain of {n:,} scalar adds, fwd+bwd", systems, np.dtype(np.float64),
                    unit="us/op", scale=1e6, per=n, rounds=2 if quick else 7, warmup=1,
                    target_round_s=0.0, expected_errors={"micrograd": RecursionError},
                    notes="hand NumPy: np.float64 scalars forward, Python loop applying the add vjp backward")


def make_w5m(quick: bool) -> Workload:
    """W5m: 1,000,000 adds (quick: 20,000), tapegrad and hand NumPy, one round."""
    n = 20_000 if quick else 1_000_000
    systems: Dict[str, Callable[[np.dtype], Runner]] = {"hand NumPy": lambda dt: HandW5(n, dt)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradW5(n, dt)
    return Workload("W5m", f"chain of {n:,} scalar adds, fwd+bwd (does it run?)", systems,
                    np.dtype(np.float64), unit="us/op", scale=1e6, per=n, rounds=1, warmup=1,
                    target_round_s=0.0, check=quick,
                    notes=(f"backward at Python's recursion limit {sys.getrecursionlimit():,} (the default "
                           f"is 1,000)" + ("" if quick else "; agreement is checked at 100,000 adds (W5) "
                                           "and in --quick mode")))
