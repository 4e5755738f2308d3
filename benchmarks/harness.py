"""The measuring machinery shared by all workloads.

A *workload* is one computation (say "W2: MLP 784-256-256-10, fwd+bwd+SGD") written
for several *systems* (hand NumPy, tapegrad, PyTorch, micrograd). Each system is given
as a factory ``make(dtype) -> Runner``; all factories of a workload start from the
same float64 NumPy arrays (weights and data generated once with a fixed seed), cast to
``dtype``. A Runner does one iteration per ``step()`` and reports, through
``snapshot()``, the loss of its last step, the gradients that step computed and the
parameters after its update, all as float64 NumPy arrays in one canonical layout.

``check_agreement`` builds every runner in float64, runs one step, and compares each
system's snapshot with the reference system's (hand NumPy; micrograd for the scalar
workload W1s, which has no hand version), normwise per array:
``max|a - ref| <= rtol * max|ref|`` (rtol 1e-6). ``time_interleaved`` builds every runner
in the timing dtype, warms each up, then runs rounds in which every system runs once,
in rotating order (A B C, B C A, C A B, ...), so that a slow phase of a shared machine
hits every system alike.

Garbage collection matters a lot for graph-building workloads (on the scalar workload
W1s the cyclic collector takes most of a step, for every Python engine), so it is handled explicitly
and alike for every system: the collector stays enabled (as for any user); before the
runners are built, the long-lived heap (imported modules, data) is frozen with
``gc.freeze()`` so that collections triggered during a step traverse only what the
step created, not the ~10^5 objects PyTorch's import leaves, which would otherwise
make every system's cost depend on what else is imported; each timed block starts
after an untimed ``gc.collect()`` (other systems' garbage) and ends with a timed one
(the system's own cyclic garbage: micrograd's graphs are reference cycles that only the
collector frees).
The reported number is the median over rounds of the mean time per iteration of a
round, divided by the workload's ``per`` (operations per iteration) when it reports
time per op.
"""
from __future__ import annotations

import gc
import math
import statistics
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Protocol, Tuple

import numpy as np

__all__ = ["Runner", "Snapshot", "Workload", "TimingResult", "CheckResult",
           "time_interleaved", "check_agreement", "rel_err", "REFERENCE"]

REFERENCE = "hand NumPy"


@dataclass
class Snapshot:
    """State after one ``step()``: loss, the gradients it computed, updated parameters."""

    loss: float
    grads: Dict[str, np.ndarray]
    params: Dict[str, np.ndarray] = field(default_factory=dict)


class Runner(Protocol):
    """One system's implementation of one workload.

    Optionally ``dtypes() -> set of dtype names`` of the loss, gradients and parameters
    as computed (tapegrad's runners have it): the harness flags a float32 run whose
    values come out in another dtype, since that would time a different computation.
    """

    def step(self) -> None:
        """One timed iteration (forward, backward and, where the workload has one, SGD)."""

    def snapshot(self) -> Snapshot:
        """Loss, gradients and parameters of the last ``step()``, float64, canonical layout."""


Factory = Callable[[np.dtype], Runner]


@dataclass
class Workload:
    """A computation, its systems and how to time it.

    ``per``/``unit``/``scale``: the reported number is ``seconds_per_iteration / per *
    scale`` in ``unit`` (e.g. per=1000 ops, scale=1e6, unit="us/op").
    ``expected_errors``: systems for which a given exception is the expected outcome
    (micrograd's recursive topological sort on a deep chain) and is reported, not failed.
    """

    key: str
    title: str
    systems: Dict[str, Factory]
    dtype: np.dtype
    unit: str = "ms"
    scale: float = 1e3
    per: int = 1
    rounds: int = 15
    warmup: int = 3
    target_round_s: float = 0.15
    expected_errors: Dict[str, type] = field(default_factory=dict)
    notes: str = ""
    check: bool = True
    rtol: float = 1e-6
    reference: str = REFERENCE


@dataclass
class TimingResult:
    """The timing of one system on one workload (``status`` is "ok" or an error name)."""

    workload: str
    system: str
    status: str
    median_s: float = math.nan       # per iteration
    times_s: List[float] = field(default_factory=list)
    inner: int = 0
    error: str = ""
    note: str = ""                   # e.g. a dtype promotion seen after warm-up

    def value(self, wl: Workload) -> float:
        """The reported number in the workload's unit."""
        return self.median_s / wl.per * wl.scale


@dataclass
class CheckResult:
    """Agreement of one system with the reference on one workload."""

    workload: str
    system: str
    status: str                      # "ok", "DISAGREE", "reference", "skipped" or an error
    max_rel_err: float = math.nan
    worst: str = ""
    error: str = ""


def rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    """Normwise relative error ``max|a - ref| / max|ref|`` (shape mismatch -> inf)."""
    a = np.asarray(a, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if a.shape != ref.shape:
        return math.inf
    if not np.all(np.isfinite(a)):
        return math.inf
    denom = float(np.max(np.abs(ref))) if ref.size else 0.0
    diff = float(np.max(np.abs(a - ref))) if ref.size else 0.0
    return diff / denom if denom > 0 else diff


def compare(snap: Snapshot, ref: Snapshot) -> Tuple[float, str]:
    """Worst normwise relative error over loss, gradients and parameters, and where."""
    worst, where = rel_err(np.array(snap.loss), np.array(ref.loss)), "loss"
    for kind, got, want in (("grad", snap.grads, ref.grads), ("param", snap.params, ref.params)):
        for name, r in want.items():
            e = rel_err(got[name], r) if name in got else math.inf
            if e > worst or (math.isinf(e) and not math.isinf(worst)):
                worst, where = e, f"{kind} {name}"
    return worst, where


def _err_text(exc: BaseException) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {msg}"[:200]


def check_agreement(wl: Workload, log: Callable[[str], None] = print) -> List[CheckResult]:
    """Run one float64 step of every system and compare it with the reference system."""
    snaps: Dict[str, Snapshot] = {}
    results: List[CheckResult] = []
    for name, make in wl.systems.items():
        try:
            r = make(np.dtype(np.float64))
            r.step()
            snaps[name] = r.snapshot()
            del r
        except BaseException as exc:  # noqa: BLE001 - every failure is reported in the table
            if isinstance(exc, KeyboardInterrupt):
                raise
            expected = wl.expected_errors.get(name)
            status = type(exc).__name__ if expected and isinstance(exc, expected) else "ERROR"
            if status == "ERROR":
                log(f"  [{wl.key}] {name} failed in the check run:\n" + traceback.format_exc(limit=6))
            results.append(CheckResult(wl.key, name, status, error=_err_text(exc)))
    ref = snaps.get(wl.reference)
    for name, snap in snaps.items():
        if name == wl.reference:
            results.append(CheckResult(wl.key, name, "reference", 0.0))
            continue
        if ref is None:
            results.append(CheckResult(wl.key, name, "skipped", error="no reference"))
            continue
        err, where = compare(snap, ref)
        status = "ok" if err <= wl.rtol else "DISAGREE"
        results.append(CheckResult(wl.key, name, status, err, where))
    order = list(wl.systems)
    results.sort(key=lambda c: order.index(c.system))
    return results


def _timed_block(runner: Runner, inner: int) -> float:
    """Mean seconds per ``step()`` over ``inner`` steps, the system's own garbage included.

    The collection before the clock starts frees what other systems left behind; the
    one inside the timing frees what this system's steps left that reference counting
    could not (micrograd's graphs are reference cycles), so each system pays for its own
    memory management and for nobody else's.
    """
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(inner):
        runner.step()
    gc.collect()
    return (time.perf_counter() - t0) / inner


def time_interleaved(wl: Workload, rounds: Optional[int] = None, warmup: Optional[int] = None,
                     target_round_s: Optional[float] = None,
                     log: Callable[[str], None] = print) -> List[TimingResult]:
    """Median time per iteration of every system, systems interleaved round by round."""
    rounds = wl.rounds if rounds is None else rounds
    warmup = wl.warmup if warmup is None else warmup
    target = wl.target_round_s if target_round_s is None else target_round_s
    runners: Dict[str, Runner] = {}
    inners: Dict[str, int] = {}
    results: Dict[str, TimingResult] = {}
    gc.collect()
    gc.freeze()  # the long-lived heap (modules, data): not traversed by collections
    try:
        _warm_up(wl, warmup, target, runners, inners, results, log)
        _rounds(wl, rounds, list(runners), runners, inners, results, log)
    finally:
        runners.clear()
        gc.unfreeze()
    for res in results.values():
        if res.status == "ok" and res.times_s:
            res.median_s = statistics.median(res.times_s)
    gc.collect()
    return [results[n] for n in wl.systems]


def _warm_up(wl: Workload, warmup: int, target: float, runners: Dict[str, Runner],
             inners: Dict[str, int], results: Dict[str, "TimingResult"],
             log: Callable[[str], None]) -> None:
    """Build and warm up every system; pick iterations per timed block from the last warm-up."""
    for name, make in wl.systems.items():
        try:
            r = make(wl.dtype)
            t = math.inf
            for _ in range(max(1, warmup)):
                t = _timed_block(r, 1)
            runners[name] = r
            inners[name] = max(1, min(10_000, int(target / max(t, 1e-9))))
            results[name] = TimingResult(wl.key, name, "ok", inner=inners[name])
            seen = r.dtypes() if hasattr(r, "dtypes") else set()
            if seen - {wl.dtype.name}:
                results[name].note = (f"computed in {', '.join(sorted(seen))} in a "
                                      f"{wl.dtype.name} run (dtype promotion)")
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            expected = wl.expected_errors.get(name)
            status = type(exc).__name__ if expected and isinstance(exc, expected) else "ERROR"
            if status == "ERROR":
                log(f"  [{wl.key}] {name} failed in warm-up:\n" + traceback.format_exc(limit=6))
            results[name] = TimingResult(wl.key, name, status, error=_err_text(exc))


def _rounds(wl: Workload, rounds: int, names: List[str], runners: Dict[str, Runner],
            inners: Dict[str, int], results: Dict[str, "TimingResult"],
            log: Callable[[str], None]) -> None:
    """The timed rounds: every system once per round, the starting system rotating."""
    for k in range(rounds):
        order = names[k % len(names):] + names[:k % len(names)] if names else []
        for name in order:
            if results[name].status != "ok":
                continue
            try:
                results[name].times_s.append(_timed_block(runners[name], inners[name]))
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                log(f"  [{wl.key}] {name} failed while timed:\n" + traceback.format_exc(limit=6))
                results[name].status = "ERROR"
                results[name].error = _err_text(exc)
