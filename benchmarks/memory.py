"""Memory: peak allocation of one training step (M1) and RSS growth over many (M2).

M1: ``tracemalloc`` traces NumPy's data buffers (NumPy reports them to it) and every
Python object (tensors, graph nodes), so for hand NumPy and tapegrad it sees the whole
cost of a step. After a warm-up, tracing starts, the peak is reset, one W2 step runs, and
``peak - current_at_start`` is reported: the extra memory the step needs at its worst
moment (activations, saved values, gradients). PyTorch allocates in C++ where tracemalloc
cannot see, so it has no M1 row.

M2: the process' resident set size (``psutil``, else ``/proc/self/statm``) before and
after 1,000 steps of a smaller W2 (784-128-128-10, batch 32), after 100 warm-up steps,
with the garbage collector run before each reading; a flat line is ~0 MB. Systems run one
after another (not interleaved: RSS is per process).
"""
from __future__ import annotations

import gc
import os
import tracemalloc
from dataclasses import dataclass
from typing import Callable, Dict, List

import numpy as np

from .harness import Runner
from .w2_mlp import mlp_batch, mlp_systems

__all__ = ["MemResult", "measure_memory", "peak_step_bytes", "rss_growth_bytes", "rss_bytes"]


@dataclass
class MemResult:
    """One memory measurement (``value_mb``) of one system, or its failure."""

    key: str
    title: str
    system: str
    value_mb: float
    status: str = "ok"
    error: str = ""
    ratio_to_ref: bool = True


def rss_bytes() -> int:
    """Resident set size of this process in bytes."""
    try:
        import psutil
        return int(psutil.Process().memory_info().rss)
    except ImportError:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_step_bytes(runner: Runner, warmup: int = 3) -> int:
    """Peak traced bytes above the starting level during one ``runner.step()``."""
    for _ in range(warmup):
        runner.step()
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        runner.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - start


def rss_growth_bytes(runner: Runner, steps: int, warmup: int) -> int:
    """RSS after ``steps`` steps minus RSS after ``warmup`` steps."""
    for _ in range(warmup):
        runner.step()
    gc.collect()
    before = rss_bytes()
    for _ in range(steps):
        runner.step()
    gc.collect()
    return rss_bytes() - before


def measure_memory(quick: bool, only: Callable[[str], bool],
                   log: Callable[[str], None] = print) -> List[MemResult]:
    """M1 and M2 rows for the available systems (float32, like the timings)."""
    gc.collect()
    gc.freeze()  # as while timing: collections skip the long-lived heap (see harness.py)
    try:
        return _measure(quick, only, log)
    finally:
        gc.unfreeze()


def _measure(quick: bool, only: Callable[[str], bool], log: Callable[[str], None]) -> List[MemResult]:
    out: List[MemResult] = []
    dt = np.dtype(np.float32)
    if only("M1"):
        sizes, batch = ((784, 32, 32, 10), 16) if quick else ((784, 256, 256, 10), 128)
        params, X, y = mlp_batch(sizes, batch)
        systems = mlp_systems(params, X, y)
        title = f"peak traced memory of one W2 step (MLP {'-'.join(map(str, sizes))}, batch {batch})"
        for name, make in systems.items():
            if name == "PyTorch":
                continue
            try:
                out.append(MemResult("M1", title, name, peak_step_bytes(make(dt)) / 2**20))
            except Exception as exc:  # noqa: BLE001
                log(f"  [M1] {name} failed: {exc!r}")
                out.append(MemResult("M1", title, name, float("nan"), "ERROR", f"{type(exc).__name__}: {exc}"))
    if only("M2"):
        steps, warmup = (50, 10) if quick else (1000, 100)
        sizes, batch = (784, 128, 128, 10), 32
        params, X, y = mlp_batch(sizes, batch)
        systems: Dict[str, Callable[[np.dtype], Runner]] = mlp_systems(params, X, y)
        title = (f"RSS growth over {steps:,} steps after {warmup} warm-up (MLP "
                 f"{'-'.join(map(str, sizes))}, batch {batch})")
        for name, make in systems.items():
            try:
                out.append(MemResult("M2", title, name, rss_growth_bytes(make(dt), steps, warmup) / 2**20,
                                     ratio_to_ref=False))
            except Exception as exc:  # noqa: BLE001
                log(f"  [M2] {name} failed: {exc!r}")
                out.append(MemResult("M2", title, name, float("nan"), "ERROR", f"{type(exc).__name__}: {exc}",
                                     ratio_to_ref=False))
    return out

