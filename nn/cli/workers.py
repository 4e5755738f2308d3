"""`tapegrad train --workers N`: the same training on N MPI processes.

Two ways in, one code path:

* ``tapegrad train --workers 4 ...`` launches ``mpiexec -n 4`` itself (nn.launch), each
  process running ``python -m nn.cli.workers ARGS.pkl`` with the parsed arguments;
* ``mpiexec -n 4 tapegrad train ...`` (a hostfile, a cluster scheduler) runs inside the
  user's job: every process sees the MPI launcher and joins the group.

Every rank builds the same model (same seed; DistributedDataParallel broadcasts rank 0's
parameters anyway) and draws the same global batch order. Rank r trains on its slice
``b[r*|b|//N : (r+1)*|b|//N]`` of each global batch b with its mean loss scaled by
``N*|slice|/|b|``, so the averaged gradient is exactly the gradient of the mean loss over
the global batch: N workers train the model one process would, to rounding, and a
checkpoint (always the plain module's state, no ``module.`` prefix) resumes on any
number of workers. A final batch smaller than N is dropped in distributed runs.
Validation runs on every rank (identical numbers, so schedules and early stopping agree);
only rank 0 prints and writes files. A rank that fails stops the others (see
nn.distributed) and the launcher names it.
"""
from __future__ import annotations

import os
import pickle
import sys
import tempfile
from typing import Any, Tuple

import numpy as np

from .common import CLIError

__all__ = ["Context", "SINGLE", "current", "run", "worker_main"]


class Context:
    """What train() needs to know about the workers: rank, size and the few collective
    steps (wrap the model, slice a batch, sum epoch statistics)."""

    def __init__(self, rank: int = 0, size: int = 1) -> None:
        self.rank, self.size = rank, size

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, model: Any) -> Any:
        if self.size == 1:
            return model
        from nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def local(self, b: np.ndarray) -> Tuple[np.ndarray, float]:
        """(this rank's indices of global batch ``b``, the loss scale)."""
        if self.size == 1:
            return b, 1.0
        n, N, r = len(b), self.size, self.rank
        mine = b[r * n // N:(r + 1) * n // N]
        return mine, len(mine) * N / n

    def allsum(self, *values: float) -> Tuple[float, ...]:
        if self.size == 1:
            return values
        import nn.distributed as dist

        a = np.array(values, dtype=np.float64)
        dist.all_reduce(a)
        return tuple(a.tolist())


SINGLE = Context()
_CURRENT = [SINGLE]


def current() -> Context:
    """The context train() runs in (one process unless a worker set it)."""
    return _CURRENT[0]


def _within_group(args: Any, train) -> int:
    import nn.distributed as dist

    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    if args.workers not in (None, size):
        raise CLIError(f"--workers {args.workers} inside an MPI job of {size} processes; "
                       f"drop --workers or make them agree")
    if args.batch_size is not None and args.batch_size < size:
        raise CLIError(f"--batch-size {args.batch_size} is smaller than the {size} workers; "
                       f"every worker needs at least one sample of each batch")
    _CURRENT[0] = Context(rank, size)
    stdout = sys.stdout
    if rank != 0:  # logs from rank 0 only
        sys.stdout = open(os.devnull, "w")
    try:
        train(args)
    except CLIError as e:  # the same on every rank, usually; stop them all regardless
        if size > 1:
            dist.abort(f"tapegrad train: {' '.join(str(e).split())}", 2)
        raise
    finally:
        if rank != 0:
            sys.stdout.close()
        sys.stdout = stdout
        _CURRENT[0] = SINGLE
    dist.destroy_process_group()
    return 0


def run(args: Any, train) -> int:
    """`tapegrad train` with ``--workers`` or inside mpiexec (train: the training function)."""
    import nn.distributed as dist

    if dist.is_mpi_launched() and dist._launched_size() > 1:
        return _within_group(args, train)
    n = args.workers or 1
    if n == 1:
        train(args)
        return 0
    from nn.launch import launch

    if args.resume is not None and not os.path.isfile(args.resume):  # before starting N
        raise CLIError(f"cannot read checkpoint {args.resume}: no such file")
    fd, path = tempfile.mkstemp(prefix="tapegrad-train-", suffix=".pkl")
    state = {k: v for k, v in vars(args).items() if k not in ("func",)}
    with os.fdopen(fd, "wb") as f:
        pickle.dump(state, f)
    try:
        rc = launch(n, ["-m", "nn.cli.workers", path])
    except RuntimeError as e:
        raise CLIError(str(e)) from None
    finally:
        os.unlink(path)
    if rc != 0:
        raise CLIError(f"training on {n} workers failed (mpiexec exit code {rc}); the lines "
                       f"above name the rank and the error")
    return 0


def worker_main(path: str) -> int:
    """The entry point of each process `--workers` starts."""
    import argparse

    from .train import train

    with open(path, "rb") as f:
        args = argparse.Namespace(**pickle.load(f))
    try:
        return _within_group(args, train)
    except CLIError as e:
        print(f"tapegrad: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # run the importable module's copy: train() reads its context
    from nn.cli import workers as _workers

    sys.exit(_workers.worker_main(sys.argv[1]))
