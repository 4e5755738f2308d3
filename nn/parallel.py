"""DistributedDataParallel: the same model on every rank, gradients averaged by MPI.

    import nn.distributed as dist
    from nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("mpi")
    model = DDP(net)                    # rank 0's parameters and buffers on every rank
    loss = lossf(model(x_local), y_local)
    loss.backward()                     # .grad = mean over ranks of the local gradients
    opt.step()

What ``backward()`` leaves in ``p.grad`` is ``(1/N) sum_r g_r`` where ``g_r`` is rank r's
gradient (its accumulated ``.grad`` after a ``no_sync()`` stretch, as in PyTorch). With a
mean loss over equal local batches of B/N samples, that is exactly the gradient of the
mean loss over the global batch of B samples, so N processes train the same model as one
process with batch B (to rounding; tests/test_distributed.py checks rtol 1e-10).

How the reduction runs. Parameters are assigned to buckets at construction, in reverse
registration order (roughly the order backward produces their gradients), at most
``bucket_cap_mb`` MB each and one dtype per bucket. A gradient hook on every parameter
(``Tensor.register_hook``, the engine's public mechanism) copies the parameter's
gradient into its bucket's single contiguous buffer; when a bucket is full the hook
starts a non-blocking ``MPI_Iallreduce`` on it. Buckets start in index order on every
rank (MPI needs the same collective order everywhere), so a bucket that fills early
waits for the ones before it. The hook of the last gradient waits for every bucket and
writes the averages back into ``.grad``: **the reduction is finished before
``backward()`` returns**, nothing is left for the optimizer to wait on.

How much of the communication overlaps backward: tapegrad's engine hands the leaves
their gradients after its node loop (hooks fire then, not while the walk is still
producing them), so bucket k's all-reduce overlaps only the packing of buckets k+1...
On one machine with one core per rank this costs nothing: MPICH progresses a
non-blocking collective only inside MPI calls and there is no idle core to progress it
on, so overlap would not pay here anyway. ``comm_stats`` measures the time spent waiting
for the reduction and packing/unpacking, per backward.

``find_unused_parameters=True``: after each forward the graph is walked from the outputs
and the parameters it does not reach are marked ready at once (they contribute zeros, or
their accumulated ``.grad``); a parameter no rank produced a gradient for keeps
``.grad`` None. Without it, a parameter that gets no gradient stops the reduction from
finishing, and the next forward raises an error naming the parameter (as PyTorch does).

Limits: after a DDP forward, use ``loss.backward()``; ``autograd.grad`` and
``backward(create_graph=True)`` through it are not supported (the hooks reduce into
``.grad``; create_graph raises). Run those on ``ddp.module`` or inside ``no_sync()``.
"""
from __future__ import annotations

import contextlib
import time
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

import autograd as ag
from autograd import Tensor

from . import distributed as dist
from .module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    __slots__ = ("index", "params", "offsets", "flat", "pending", "work")

    def __init__(self, index: int, params: List[int], offsets: List[int], flat: np.ndarray):
        self.index, self.params, self.offsets, self.flat = index, params, offsets, flat
        self.pending = len(params)
        self.work: Optional[dist.Work] = None


def _tensors_in(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` over the ranks of the process group.

    ``bucket_cap_mb`` bounds a bucket (25 MB as in PyTorch); ``find_unused_parameters``
    see the module docstring; ``broadcast_buffers`` (default True) copies rank 0's
    buffers (BatchNorm statistics) to every rank before each forward. ``device_ids``,
    ``output_device``, ``dim``, ``process_group``, ``gradient_as_bucket_view`` and
    ``static_graph`` are accepted for PyTorch compatibility (CPU, one group).
    Needs ``nn.distributed.init_process_group()`` first (a world of one process is
    fine: then the wrapper only forwards). RuntimeError at construction when the ranks
    do not hold the same parameters (names, shapes, dtypes)."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float = 25.0, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the default process group is not "
                               "initialized; call nn.distributed.init_process_group('mpi') "
                               "first (outside mpiexec it gives a world of one process)")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        if bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got "
                             f"{bucket_cap_mb}")
        self.module = module
        object.__setattr__(self, "broadcast_buffers", bool(broadcast_buffers))
        object.__setattr__(self, "find_unused_parameters", bool(find_unused_parameters))
        object.__setattr__(self, "bucket_cap_mb", float(bucket_cap_mb))
        object.__setattr__(self, "require_backward_grad_sync", True)
        object.__setattr__(self, "world_size", dist.get_world_size())
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        object.__setattr__(self, "_names", [n for n, _ in named])
        object.__setattr__(self, "_params", [p for _, p in named])
        self._check_same_parameters()
        self._broadcast_state()
        object.__setattr__(self, "comm_stats", {"backwards": 0, "wait_s": 0.0,
                                                "pack_s": 0.0, "bytes": 0})
        object.__setattr__(self, "_armed", False)
        object.__setattr__(self, "_hooked", 0)
        object.__setattr__(self, "_ready", [])
        object.__setattr__(self, "_used", None)
        object.__setattr__(self, "_next", 0)
        object.__setattr__(self, "_left", 0)
        object.__setattr__(self, "_buckets", self._make_buckets())
        where = {}
        for b in self._buckets:
            for i, off in zip(b.params, b.offsets):
                where[i] = (b, off)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_handles", [p.register_hook(self._hook_for(i))
                                              for i, p in enumerate(self._params)]
                           if self.world_size > 1 else [])

    # ------------------------------------------------------------------ construction
    def _check_same_parameters(self) -> None:
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in zip(self._names, self._params)]
        if self.world_size == 1:
            return
        everyone: List[Any] = [None] * self.world_size
        dist.all_gather_object(everyone, mine)
        for r, theirs in enumerate(everyone):
            if theirs == everyone[0]:
                continue
            a, b = everyone[0], theirs
            diff = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), None)
            what = (f"parameter {diff}: {a[diff][0]!r} {a[diff][1]} {a[diff][2]} on rank 0, "
                    f"{b[diff][0]!r} {b[diff][1]} {b[diff][2]} on rank {r}"
                    if diff is not None else
                    f"rank 0 has {len(a)} parameters, rank {r} has {len(b)} (first extra: "
                    f"{(a if len(a) > len(b) else b)[min(len(a), len(b))][0]!r})")
            raise RuntimeError(f"DistributedDataParallel: the ranks do not hold the same "
                               f"parameters ({what}). Build the same model on every rank "
                               f"(same code, same arguments) before wrapping it.")

    def _broadcast_state(self) -> None:
        if self.world_size == 1:
            return
        for t in list(self._params) + [b for _, b in self.module.named_buffers()]:
            if t is not None:
                dist.broadcast(t, src=0)

    def _make_buckets(self) -> List[_Bucket]:
        cap = self.bucket_cap_mb * 1024 * 1024
        buckets: List[_Bucket] = []
        cur: List[int] = []
        cur_bytes = 0
        cur_dtype = None

        def close():
            if cur:
                offs, n = [], 0
                for i in cur:
                    offs.append(n)
                    n += int(np.prod(self._params[i].shape))
                buckets.append(_Bucket(len(buckets), list(cur), offs,
                                       np.zeros(n, dtype=self._params[cur[0]].dtype)))

        for i in reversed(range(len(self._params))):
            p = self._params[i]
            nbytes = int(np.prod(p.shape)) * p.dtype.itemsize
            if cur and (p.dtype != cur_dtype or cur_bytes + nbytes > cap):
                close()
                cur, cur_bytes = [], 0
            cur.append(i)
            cur_bytes += nbytes
            cur_dtype = p.dtype
        close()
        return buckets

    @property
    def bucket_sizes(self) -> List[int]:
        """Number of elements in each bucket, in launch order."""
        return [int(b.flat.size) for b in self._buckets]

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.world_size > 1:
            self._check_previous_finished()
            if self.broadcast_buffers:
                for _, b in self.module.named_buffers():
                    if b is not None:
                        dist.broadcast(b, src=0)
        out = self.module(*args, **kwargs)
        if self.world_size > 1 and self.require_backward_grad_sync and ag.is_grad_enabled():
            self._arm(out)
        return out

    def _check_previous_finished(self) -> None:
        if self._armed and self._hooked:
            missing = [self._names[i] for i, r in enumerate(self._ready) if not r]
            object.__setattr__(self, "_armed", False)
            raise RuntimeError(
                f"DistributedDataParallel: expected the gradient reduction of the previous "
                f"backward to finish before a new forward, but {len(missing)} parameter(s) "
                f"received no gradient on rank {dist.get_rank()}: "
                f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}. If the model "
                f"has parameters that do not take part in the loss (on some steps or "
                f"ranks), pass find_unused_parameters=True; or make every output "
                f"of forward() take part in the loss.")

    def _arm(self, out: Any) -> None:
        n = len(self._params)
        object.__setattr__(self, "_armed", True)
        object.__setattr__(self, "_hooked", 0)
        object.__setattr__(self, "_ready", [False] * n)
        object.__setattr__(self, "_next", 0)
        object.__setattr__(self, "_left", n)
        for b in self._buckets:
            b.pending = len(b.params)
            b.work = None
        object.__setattr__(self, "_used", None)
        if self.find_unused_parameters:
            reached = set()
            for node in ag.graph_nodes(list(_tensors_in(out))):
                for p in node.parents:
                    if isinstance(p, Tensor):
                        reached.add(id(p))
            for t in _tensors_in(out):  # an output that is itself a parameter
                if t.grad_fn is None:
                    reached.add(id(t))
            used = np.array([1 if id(p) in reached else 0 for p in self._params], np.int64)
            object.__setattr__(self, "_used", used)
            for i in np.flatnonzero(used == 0):
                p = self._params[i]
                if p.grad is not None:
                    used[i] = 1  # an accumulated gradient (no_sync) takes part
                self._mark_ready(int(i), None if p.grad is None else p.grad.detach().numpy())
            if self._left == 0:  # nothing will reach a hook: finish now
                self._finish(None)

    # ------------------------------------------------------------------ backward
    def _hook_for(self, i: int):
        def hook(g):
            if not self._armed or self._ready[i]:
                return None
            object.__setattr__(self, "_hooked", self._hooked + 1)
            if isinstance(g, Tensor) and g.requires_grad:
                raise RuntimeError(
                    f"DistributedDataParallel: backward(create_graph=True) through a DDP "
                    f"forward is not supported (the all-reduced gradient of "
                    f"{self._names[i]!r} would not be differentiable); compute higher-order "
                    f"terms on the wrapped module (ddp.module) or inside no_sync()")
            p = self._params[i]
            ga = g.detach().numpy() if isinstance(g, Tensor) else np.asarray(g)
            ret = None             # None: the engine keeps its gradient
            if p.grad is not None:  # the result is the accumulated .grad, as in PyTorch
                ga = ret = p.grad.detach().numpy() + ga
                p.grad = None      # the engine stores what the hook returns
            self._mark_ready(i, ga)
            if self._left == 0:
                return self._finish(i)
            return ret
        hook.__name__ = f"ddp_allreduce[{self._names[i]}]"
        return hook

    def _mark_ready(self, i: int, g: Optional[np.ndarray]) -> None:
        t0 = time.perf_counter()
        b, off = self._where[i]
        n = int(np.prod(self._params[i].shape))
        seg = b.flat[off:off + n]
        if g is None:
            seg[...] = 0
        else:
            seg[...] = np.reshape(g, -1)
        self._ready[i] = True
        object.__setattr__(self, "_left", self._left - 1)
        b.pending -= 1
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            nb = self._buckets[self._next]
            np.multiply(nb.flat, 1.0 / self.world_size, out=nb.flat)
            nb.work = dist.all_reduce(nb.flat, dist.ReduceOp.SUM, async_op=True)
            object.__setattr__(self, "_next", self._next + 1)
        for ob in self._buckets[:self._next]:  # let MPI progress the ones in flight
            if ob.work is not None:
                ob.work.is_completed()
        self.comm_stats["pack_s"] += time.perf_counter() - t0

    def _finish(self, last: Optional[int]) -> Optional[np.ndarray]:
        """Wait for every bucket and write the averages into .grad; returns the value
        for parameter ``last`` (whose hook is running: the engine stores it)."""
        t0 = time.perf_counter()
        used_work = None
        used = self._used
        if used is not None:
            used_work = dist.all_reduce(used, dist.ReduceOp.SUM, async_op=True)
        for b in self._buckets:
            b.work.wait()
        if used_work is not None:
            used_work.wait()
        t1 = time.perf_counter()
        result = None
        for b in self._buckets:
            for i, off in zip(b.params, b.offsets):
                p = self._params[i]
                if used is not None and used[i] == 0:
                    continue  # no rank produced a gradient: .grad stays None
                val = b.flat[off:off + int(np.prod(p.shape))].reshape(p.shape)
                if i == last:
                    result = val.copy()
                elif p.grad is not None and p.grad.shape == p.shape:
                    np.copyto(p.grad.detach().numpy(), val)
                else:
                    p.grad = Tensor(val.copy())
        st = self.comm_stats
        st["backwards"] += 1
        st["wait_s"] += t1 - t0
        st["pack_s"] += time.perf_counter() - t1
        st["bytes"] += sum(b.flat.nbytes for b in self._buckets)
        object.__setattr__(self, "_armed", False)
        return result

    # ------------------------------------------------------------------ API
    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, forward/backward accumulate local gradients without communication;
        the first backward after it averages the accumulated ``.grad`` (PyTorch's
        gradient accumulation). Run the forward inside the context too."""
        old = self.require_backward_grad_sync
        object.__setattr__(self, "require_backward_grad_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "require_backward_grad_sync", old)

    def extra_repr(self) -> str:
        return (f"world_size={self.world_size}, buckets={len(self._buckets)}, "
                f"find_unused_parameters={self.find_unused_parameters}")
