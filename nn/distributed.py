"""Collective communication on MPI with ``torch.distributed``'s names and meaning.

    import nn.distributed as dist
    dist.init_process_group("mpi")            # world size 1 outside mpiexec
    dist.all_reduce(t, op=dist.ReduceOp.SUM)  # in place, on every rank

Run a script on N processes with ``mpiexec -n N python script.py``, or with the
launcher, which also names the rank that failed: ``python -m nn.launch -n N
script.py ARGS``. Without mpi4py, or when the process was not started by an MPI
launcher, ``init_process_group`` gives a world of one process (rank 0) and every
collective is the identity, so single-process code runs unchanged.

In place, no copies: a contiguous tensor's own NumPy buffer is handed to mpi4py's
buffer calls (``Allreduce(IN_PLACE, buf)``, ``Bcast(buf)``, ``Allgather``), so the
result lands in the tensor's storage. A non-contiguous tensor goes through one
contiguous copy and is written back. The write is a raw write of the storage (like
PyTorch's collectives, it does not go through autograd); do it outside a graph.

Failure handling (the reason collectives are not plain MPI calls):

* an uncaught exception on any rank prints ``tapegrad.distributed: rank R of N
  failed: ...`` with the traceback and calls ``MPI_Abort``: the launcher then stops
  every rank within a second instead of leaving the others blocked in a collective;
* a rank that is killed (SIGKILL, OOM) makes ``mpiexec`` stop the others; the
  ``python -m nn.launch`` launcher (and ``tapegrad train --workers``) turn the
  PID in mpiexec's report back into the rank number;
* a watchdog thread aborts the job when one collective has been waiting longer than
  ``timeout`` (default 30 minutes, as in PyTorch; ``TAPEGRAD_DIST_TIMEOUT`` seconds in
  the environment overrides it): a rank that hangs, or that left the training loop
  early, cannot hold the others forever;
* at exit every rank waits (same timeout) until all ranks have reached exit, so a rank
  that returns early does not leave the others in a collective with nobody.
"""
from __future__ import annotations

import atexit
import datetime
import os
import sys
import threading
import time
import traceback
from typing import Any, List, Optional, Sequence

import numpy as np

__all__ = ["ReduceOp", "is_available", "is_mpi_launched", "init_process_group",
           "is_initialized", "get_rank", "get_world_size", "get_backend", "barrier",
           "broadcast", "all_reduce", "all_gather", "all_gather_object", "broadcast_object_list",
           "destroy_process_group", "abort", "Work"]

# environment variables MPI launchers set in the processes they start
_LAUNCH_VARS = ("PMI_SIZE", "PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                "MV2_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_DEFAULT_TIMEOUT = 1800.0


class ReduceOp:
    """The reductions of ``all_reduce`` (PyTorch's names). AVG is SUM divided by the
    world size (floating-point tensors only)."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


class _State:
    def __init__(self) -> None:
        self.initialized = False
        self.comm: Any = None      # mpi4py COMM_WORLD dup, or None for a world of one
        self.ctrl: Any = None      # a second dup for the exit barrier (never mixed with user traffic)
        self.MPI: Any = None
        self.rank = 0
        self.size = 1
        self.timeout = _DEFAULT_TIMEOUT
        self.busy: Optional[tuple] = None   # (what, start time) while in a collective
        self.watchdog: Optional[threading.Thread] = None
        self.prev_hook: Any = None
        self.exiting = False


_S = _State()


def is_available() -> bool:
    """True when mpi4py can be imported (MPI is installed)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_mpi_launched() -> bool:
    """True when this process was started by an MPI launcher (mpiexec, mpirun, srun)."""
    return any(v in os.environ for v in _LAUNCH_VARS)


def _launched_size() -> int:
    for v in _SIZE_VARS:
        if v in os.environ:
            try:
                return int(os.environ[v])
            except ValueError:
                pass
    return 1


def _seconds(timeout) -> float:
    if timeout is None:
        env = os.environ.get("TAPEGRAD_DIST_TIMEOUT")
        return float(env) if env else _DEFAULT_TIMEOUT
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(backend: str = "mpi", init_method: Optional[str] = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       **unused: Any) -> None:
    """Join the job's process group (PyTorch's ``init_process_group``).

    ``backend`` must be ``"mpi"``; rank and world size come from the MPI launcher, so
    ``world_size``/``rank`` are only checked against them (-1: not checked). Outside a
    launcher, or without mpi4py, the world is this one process. ``timeout`` (seconds or
    a ``datetime.timedelta``) bounds every collective: the watchdog aborts the job
    when one waits longer. Raises RuntimeError when called twice (as PyTorch does)."""
    if backend not in ("mpi", None):
        raise ValueError(f"init_process_group: backend {backend!r} is not supported; tapegrad "
                         f"runs on MPI only (backend='mpi')")
    if _S.initialized:
        raise RuntimeError("init_process_group: the default process group is already "
                           "initialized; call destroy_process_group() first")
    _S.timeout = _seconds(timeout)
    n_launch = _launched_size()
    if not is_mpi_launched() or n_launch == 1 and not is_available():
        _S.comm, _S.rank, _S.size = None, 0, 1
    else:
        if not is_available():
            raise RuntimeError(
                f"init_process_group: this process was started by an MPI launcher with "
                f"{n_launch} processes, but mpi4py is not installed, so the ranks cannot talk "
                f"to each other. Install it: pip install 'tapegrad[mpi]' (mpi4py + mpich)")
        from mpi4py import MPI
        _S.MPI = MPI
        _S.comm = MPI.COMM_WORLD.Dup()
        _S.ctrl = MPI.COMM_WORLD.Dup()
        _S.rank, _S.size = _S.comm.Get_rank(), _S.comm.Get_size()
    for name, want, have in (("world_size", world_size, _S.size), ("rank", rank, _S.rank)):
        if want not in (-1, None) and int(want) != have:
            raise RuntimeError(f"init_process_group: {name}={want} was passed, but the MPI "
                               f"launcher started this process with {name} {have}")
    _S.initialized = True
    if _S.size > 1:
        _install_failure_handling()


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _S.initialized


def _need_init(what: str) -> None:
    if not _S.initialized:
        raise RuntimeError(f"{what}: the default process group is not initialized; call "
                           f"nn.distributed.init_process_group() first")


def get_rank(group: Any = None) -> int:
    """This process's rank, 0 .. world_size - 1 (RuntimeError before
    ``init_process_group``, as in PyTorch)."""
    _need_init("get_rank")
    return _S.rank


def get_world_size(group: Any = None) -> int:
    """The number of processes in the job."""
    _need_init("get_world_size")
    return _S.size


def get_backend(group: Any = None) -> str:
    _need_init("get_backend")
    return "mpi"


# ---------------------------------------------------------------- failure handling
def _report_file(kind: str) -> Optional[str]:
    d = os.environ.get("TAPEGRAD_DIST_RUNDIR")
    return os.path.join(d, f"rank{_S.rank}.{kind}") if d else None


def abort(message: str, code: int = 1, summary: Optional[str] = None) -> None:
    """Print ``message`` (naming this rank) and stop every rank of the job now
    (``MPI_Abort``). In a world of one process: exit with ``code``. ``summary`` (default:
    the message's first line) is what the launcher reports for this rank."""
    text = f"tapegrad.distributed: rank {_S.rank} of {_S.size}: {message}"
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a closed stream must not stop the abort
        pass
    f = _report_file("failed")
    if f:
        try:
            with open(f, "w") as fh:
                fh.write(summary or (message.splitlines()[0] if message else "failed"))
        except OSError:
            pass
    if _S.comm is not None:
        # MPICH's hydra tears the job down at MPI_Abort without forwarding what this rank
        # wrote last (seen under load: the message above lost); give it a moment first
        time.sleep(0.5)
        _S.MPI.COMM_WORLD.Abort(code)
    os._exit(code)


def _excepthook(etype, value, tb) -> None:
    body = "".join(traceback.format_exception(etype, value, tb))
    summary = f"{etype.__name__}: {value}".splitlines()[0] if str(value) else etype.__name__
    abort(f"failed with {summary}; stopping every rank.\n{body}", summary=summary)


def _watch() -> None:
    while _S.initialized:
        busy = _S.busy
        if busy is not None:
            what, t0 = busy
            waited = time.monotonic() - t0
            if waited > _S.timeout and _S.busy is busy:
                abort(f"{what} did not complete within {_S.timeout:g} s (timeout): another "
                      f"rank is hung, died, or stopped calling collectives; aborting the job")
        time.sleep(min(1.0, max(0.05, _S.timeout / 10)))


def _at_exit() -> None:
    if not _S.initialized or _S.comm is None:
        return
    _S.exiting = True
    try:
        req = _S.ctrl.Ibarrier()
        _wait(req, "the exit barrier (waiting for every rank to finish)")
    except Exception:  # noqa: BLE001
        return


def _install_failure_handling() -> None:
    _S.prev_hook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_at_exit)
    _S.watchdog = threading.Thread(target=_watch, name="tapegrad-dist-watchdog", daemon=True)
    _S.watchdog.start()
    f = _report_file("pid")
    if f:
        with open(f, "w") as fh:
            fh.write(str(os.getpid()))


def _wait(req: Any, what: str) -> None:
    """Wait for a request (or list of them) under the watchdog. MPI_Test in a tight loop
    for the first 100 tests (a collective between balanced ranks is usually done by
    then), then each test followed by ``sched_yield`` for up to 2 ms, then a test every
    0.2 ms with sleeps in between: a rank waiting for a slow peer leaves its core to
    other processes (the peer, on a shared machine) instead of busy-polling like
    MPI_Wait."""
    MPI = _S.MPI
    test = (lambda: MPI.Request.Testall(req)) if isinstance(req, list) else req.Test
    if test():
        return
    t0 = time.monotonic()
    _S.busy = (what, t0)
    n = 0
    try:
        while not test():
            n += 1
            if n > 100:
                if time.monotonic() - t0 < 0.002:
                    _yield()
                else:
                    time.sleep(0.0002)
    finally:
        _S.busy = None


_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


class Work:
    """The handle ``async_op=True`` collectives return: ``wait()`` blocks until done
    (under the watchdog), ``is_completed()`` polls."""

    def __init__(self, req: Any, what: str, after=None) -> None:
        self._req, self._what, self._after, self._done = req, what, after, req is None

    def is_completed(self) -> bool:
        if not self._done and self._req.Test():
            self._finish()
        return self._done

    def wait(self, timeout: Any = None) -> bool:
        if not self._done:
            _wait(self._req, self._what)
            self._finish()
        return True

    def _finish(self) -> None:
        self._done = True
        if self._after is not None:
            self._after()
            self._after = None


# ---------------------------------------------------------------- buffers
def _array(t: Any) -> np.ndarray:
    """The ndarray holding ``t``'s values: the tensor's own storage (no copy)."""
    if isinstance(t, np.ndarray):
        return t
    if hasattr(t, "detach"):
        # Tensor.__array__ hands out the tensor's own storage (a 0-d op result, held as
        # a NumPy scalar, is turned into a 0-d array stored on the tensor first)
        return np.asarray(t)
    raise TypeError(f"expected a Tensor or ndarray, got {type(t).__name__}")


def _buffer(t: Any, what: str):
    """(contiguous array to hand MPI, write-back function or None)."""
    a = _array(t)
    if a.flags.c_contiguous and a.flags.writeable:
        return a, None
    if not a.flags.writeable:
        raise RuntimeError(f"{what}: the tensor's buffer is read-only (shape {a.shape}, "
                           f"{a.dtype}); clone() it first")
    c = np.ascontiguousarray(a)
    return c, (lambda: np.copyto(a, c))


def _mpi_op(op: str):
    MPI = _S.MPI
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN}
    if op not in table:
        raise ValueError(f"all_reduce: unknown op {op!r}; use nn.distributed.ReduceOp.SUM, AVG, "
                         f"PRODUCT, MAX or MIN")
    return table[op]


def _check_op(op: str, dtype: np.dtype) -> None:
    if op not in (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT, ReduceOp.MAX, ReduceOp.MIN):
        raise ValueError(f"all_reduce: unknown op {op!r}; use nn.distributed.ReduceOp.SUM, AVG, "
                         f"PRODUCT, MAX or MIN")
    if op == ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got {dtype}; "
                        f"use ReduceOp.SUM and divide, or convert the tensor first")


# ---------------------------------------------------------------- collectives
def barrier(group: Any = None, async_op: bool = False) -> Optional[Work]:
    """Block until every rank has called ``barrier``."""
    _need_init("barrier")
    if _S.comm is None:
        return Work(None, "barrier") if async_op else None
    w = Work(_S.comm.Ibarrier(), "barrier")
    return w if async_op else w.wait() and None


def broadcast(tensor: Any, src: int = 0, group: Any = None,
              async_op: bool = False) -> Optional[Work]:
    """Copy rank ``src``'s values into ``tensor`` on every rank, in place. Every rank
    must pass a tensor of the same shape and dtype."""
    _need_init("broadcast")
    if not 0 <= src < _S.size:
        raise ValueError(f"broadcast: src={src} is not a rank of this world of {_S.size}")
    if _S.comm is None:
        return Work(None, "broadcast") if async_op else None
    buf, back = _buffer(tensor, "broadcast")
    w = Work(_S.comm.Ibcast(buf, root=src), f"broadcast of {buf.shape} {buf.dtype}", back)
    return w if async_op else w.wait() and None


def all_reduce(tensor: Any, op: str = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """Reduce ``tensor`` over all ranks (sum, mean, product, max or min, elementwise) and
    leave the result in ``tensor`` on every rank, in place (MPI_Allreduce IN_PLACE on
    the tensor's own buffer). ``async_op=True`` returns a :class:`Work` to ``wait()``."""
    _need_init("all_reduce")
    a = _array(tensor)
    _check_op(op, a.dtype)
    if _S.comm is None:
        return Work(None, "all_reduce") if async_op else None
    buf, back = _buffer(tensor, "all_reduce")
    n = _S.size

    def after():
        if op == ReduceOp.AVG:
            np.divide(buf, n, out=buf)
        if back is not None:
            back()

    req = _S.comm.Iallreduce(_S.MPI.IN_PLACE, buf, op=_mpi_op(op))
    w = Work(req, f"all_reduce({op}) of {buf.shape} {buf.dtype}", after)
    return w if async_op else w.wait() and None


def all_gather(tensor_list: List[Any], tensor: Any, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """Fill ``tensor_list[r]`` (world-size many tensors shaped like ``tensor``) with
    rank r's ``tensor``, on every rank."""
    _need_init("all_gather")
    if len(tensor_list) != _S.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors; it needs "
                         f"one per rank ({_S.size})")
    src = np.ascontiguousarray(_array(tensor))
    outs = [_array(t) for t in tensor_list]
    for k, o in enumerate(outs):
        if o.shape != src.shape or o.dtype != src.dtype:
            raise ValueError(f"all_gather: tensor_list[{k}] has shape {o.shape} {o.dtype}; every "
                             f"entry must match the input's {src.shape} {src.dtype}")
    if _S.comm is None:
        np.copyto(outs[0], src)
        return Work(None, "all_gather") if async_op else None
    recv = np.empty((_S.size,) + src.shape, src.dtype)

    def after():
        for k, o in enumerate(outs):
            np.copyto(o, recv[k])

    w = Work(_S.comm.Iallgather(src, recv), f"all_gather of {src.shape} {src.dtype}", after)
    return w if async_op else w.wait() and None


def broadcast_object_list(object_list: List[Any], src: int = 0, group: Any = None) -> None:
    """Replace ``object_list``'s entries on every rank by rank ``src``'s (pickled)."""
    _need_init("broadcast_object_list")
    if _S.comm is None:
        return
    _S.busy = ("broadcast_object_list", time.monotonic())
    try:
        objs = _S.comm.bcast(list(object_list) if _S.rank == src else None, root=src)
    finally:
        _S.busy = None
    object_list[:] = objs


def all_gather_object(object_list: List[Any], obj: Any, group: Any = None) -> None:
    """Fill ``object_list`` (world-size long) with every rank's ``obj`` (pickled)."""
    _need_init("all_gather_object")
    if len(object_list) != _S.size:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries; it "
                         f"needs one per rank ({_S.size})")
    if _S.comm is None:
        object_list[0] = obj
        return
    _S.busy = ("all_gather_object", time.monotonic())
    try:
        objs = _S.comm.allgather(obj)
    finally:
        _S.busy = None
    object_list[:] = objs


def destroy_process_group(group: Any = None) -> None:
    """Leave the process group (waits until every rank leaves); collectives then need a
    new ``init_process_group``."""
    if not _S.initialized:
        return
    if _S.comm is not None:
        _wait(_S.ctrl.Ibarrier(), "destroy_process_group (waiting for every rank)")
        _S.comm.Free()
        _S.ctrl.Free()
        sys.excepthook = _S.prev_hook
        atexit.unregister(_at_exit)
    _S.initialized = False
    _S.comm = _S.ctrl = None
    _S.rank, _S.size = 0, 1
