"""Data-parallel training on MPI: real ``mpiexec -n 2`` jobs (the mpich wheel's, set up by
``make test``), a few launches each doing several checks (tests/mpi/*.py).

CPU cost: about 30-40 s in all (one library launch ~12 s, two CLI launches, three
failure launches of ~2 s each)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler as TorchSampler

import autograd as ag
import nn
import nn.distributed as dist
from nn.cli import main
from nn.data import DataLoader, DistributedSampler, TensorDataset
from nn.launch import find_mpiexec
from nn.parallel import DistributedDataParallel as DDP

HERE = Path(__file__).parent
ROOT = HERE.parent
MPI_SCRIPTS = HERE / "mpi"


def _env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for k in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE"):
        env.pop(k, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _mpiexec(args, timeout=120, **env):
    t0 = time.monotonic()
    p = subprocess.run([find_mpiexec(), "-n", "2", sys.executable, *args], env=_env(**env),
                       capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return p, time.monotonic() - t0


# ------------------------------------------------------------------ the library, one launch
LIBRARY_CHECKS = ["collectives", "broadcast_parameters_and_buffers", "equal_to_one_process[mlp]", "equal_to_one_process[cnn]",
                  "equal_to_one_process[unused]", "ranks_identical", "no_sync",
                  "unused_parameters_error", "create_graph_refused", "mismatched_parameters",
                  "sampler_dataloader"]


def test_mpiexec_library_checks():
    """tests/mpi/check_ddp.py under mpiexec -n 2 (one launch, one test, so pytest-xdist
    cannot start it twice): collectives in place; DDP training (float64, 50 steps,
    global batch 16 as 2 x 8) equal to one process with batch 16 to rtol 1e-10 for the
    MLP, the digits CNN and a model with unused parameters; the ranks identical after;
    no_sync; the unused-parameter error; mismatched models refused; sampler +
    DataLoader. Each check prints `ok NAME` on rank 0."""
    p, _ = _mpiexec([str(MPI_SCRIPTS / "check_ddp.py")], timeout=300)
    out = (p.stdout + p.stderr)[-4000:]
    missing = [c for c in LIBRARY_CHECKS if f"ok {c}\n" not in p.stdout]
    assert not missing, f"checks that did not pass: {missing}\n{out}"
    assert p.returncode == 0 and f"ALL {len(LIBRARY_CHECKS)}" in p.stdout, out


# ------------------------------------------------------------------ sampler vs PyTorch
def test_sampler_partitions_match_torch():
    """Padding, drop_last and the rank split are PyTorch's exactly: unshuffled shares are
    equal to torch's; shuffled shares are torch's layout applied to our permutation."""
    for n in range(0, 26):
        ds = list(range(n))
        for R in range(1, 6):
            for drop_last in (False, True):
                for r in range(R):
                    ours = DistributedSampler(ds, R, r, shuffle=False, drop_last=drop_last)
                    theirs = TorchSampler(ds, R, r, shuffle=False, drop_last=drop_last)
                    assert list(ours) == list(theirs), (n, R, r, drop_last)
                    assert len(ours) == len(theirs)
                    sh = DistributedSampler(ds, R, r, shuffle=True, seed=5, drop_last=drop_last)
                    sh.set_epoch(3)
                    perm = np.random.default_rng(5 + 3).permutation(n)
                    assert list(sh) == [int(perm[i]) for i in theirs], (n, R, r, drop_last)
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(ds, 2, 2)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(TensorDataset(np.arange(4.0)), 2, shuffle=True,
                   sampler=DistributedSampler(range(4), 2, 0))


def test_world_of_one_process_needs_no_change():
    """Outside mpiexec: world size 1, collectives are the identity, DDP only forwards
    (its training equals the plain module's bit for bit)."""
    assert not dist.is_mpi_launched()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    dist.init_process_group("mpi")
    try:
        assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size()) == (True, 0, 1)
        with pytest.raises(RuntimeError, match="already initialized"):
            dist.init_process_group()
        t = ag.tensor([1.0, 2.0])
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        dist.broadcast(t, 0)
        dist.barrier()
        outs = [ag.zeros(2)]
        dist.all_gather(outs, t)
        np.testing.assert_array_equal(outs[0].numpy(), [1.0, 2.0])
        with pytest.raises(ValueError, match="backend 'nccl' is not supported"):
            dist.init_process_group("nccl")

        def run(wrap):
            ag.manual_seed(0)
            net = nn.models.mlp([4, 8, 2])
            model = DDP(net) if wrap else net
            opt = nn.optim.SGD(net.parameters(), lr=0.1)
            x = ag.tensor(np.random.default_rng(0).standard_normal((6, 4)))
            for _ in range(3):
                opt.zero_grad()
                model(x).sum().backward()
                opt.step()
            return [p.detach().numpy().copy() for p in net.parameters()]

        for a, b in zip(run(True), run(False)):
            np.testing.assert_array_equal(a, b)
        s = DistributedSampler(range(5), shuffle=False)
        assert list(s) == [0, 1, 2, 3, 4]
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="not initialized"):
        DDP(nn.Linear(2, 2))


# ------------------------------------------------------------------ tapegrad train --workers
def _ckpt_file(out):
    """The checkpoint a `tapegrad train --out OUT` run wrote (its name from metrics.json)."""
    import json

    return Path(json.loads((Path(out) / "metrics.json").read_text())["files"]["checkpoint"])


def _ckpt(out):
    return {k: np.asarray(v) for k, v in nn.load(str(_ckpt_file(out)))["model"].items()}


def _close(a, b):
    assert a.keys() == b.keys()
    for k in a:  # float32 training: equal to rounding
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=2e-5, err_msg=k)


TRAIN = ["train", "--dataset", "digits", "--model", "mlp", "--hidden", "32", "--epochs", "2",
         "--batch-size", "64", "--no-graph", "--no-progress"]


def test_train_workers_rank0_only_and_resume_on_other_worker_counts(tmp_path, capsys):
    """`tapegrad train --workers 2` launches mpiexec itself and trains the model one
    process trains (same checkpoint to float32 rounding, plain module keys), logging and
    writing from rank 0 only. Its checkpoint resumes on 1 worker and inside an mpiexec
    the user started (`mpiexec -n 2 python -m nn train --resume`): both continue alike.
    (One test: pytest-xdist must not split the launches over two workers.)"""
    import json

    out = tmp_path / "w2"
    p = subprocess.run([sys.executable, "-m", "nn", *TRAIN, "--workers", "2", "--out", str(out)],
                       env=_env(), capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert p.stdout.count("tapegrad train: digits") == 1, p.stdout
    assert p.stdout.count("epoch   2") == 1 and p.stdout.count("wrote:") == 1, p.stdout
    assert json.loads((out / "metrics.json").read_text())["workers"] == 2
    assert main([*TRAIN, "--out", str(tmp_path / "w1")]) == 0
    a, b = _ckpt(out), _ckpt(tmp_path / "w1")
    assert not any(k.startswith("module.") for k in a)
    _close(a, b)

    ck = _ckpt_file(out)
    more = ["--epochs", "3", "--no-graph", "--no-progress"]  # the total: one more epoch
    assert main(["train", "--resume", str(ck), *more, "--out", str(tmp_path / "r1")]) == 0
    capsys.readouterr()
    p, _ = _mpiexec(["-m", "nn", "train", "--resume", str(ck), *more,
                     "--out", str(tmp_path / "r2")], timeout=300)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert p.stdout.count("epoch   3") == 1, p.stdout
    _close(_ckpt(tmp_path / "r1"), _ckpt(tmp_path / "r2"))


def test_train_workers_user_errors():
    """--workers disagreeing with the mpiexec job, or a batch smaller than the workers,
    is a one-line error (exit 2) on every rank, not a hang."""
    p, secs = _mpiexec(["-m", "nn", "train", "--workers", "3", "--epochs", "1"], timeout=120)
    assert p.returncode != 0 and "--workers 3 inside an MPI job of 2 processes" in p.stderr, \
        p.stderr[-2000:]


# ------------------------------------------------------------------ failures
def _saved_checkpoint_loads(path):
    ck = nn.load(str(path))
    assert int(np.asarray(ck["step"])) == 5
    net = nn.models.mlp([64, 32, 10])
    net.load_state_dict(ck["model"])


def test_exception_on_one_rank_ends_the_job(tmp_path):
    """Under a plain mpiexec: rank 1 raises at step 10; the excepthook aborts, every
    rank ends within seconds, stderr names rank 1 and the error; rank 0's checkpoint of
    step 5 loads."""
    ck = tmp_path / "ck.tg"
    p, secs = _mpiexec([str(MPI_SCRIPTS / "fail.py"), "exception", str(ck)], timeout=120)
    err = p.stdout + p.stderr
    assert p.returncode != 0
    assert "tapegrad.distributed: rank 1 of 2: failed with ValueError: injected failure at " \
           "step 10" in err, err[-3000:]
    assert "Traceback" in err
    assert secs < 60, secs  # the failure, not a timeout, ended it (the timeout is 30 min)
    _saved_checkpoint_loads(ck)


def test_sigkill_on_one_rank_ends_the_job_and_is_named(tmp_path):
    """Through the launcher (python -m nn.launch, what --workers uses): rank 1 is
    SIGKILLed at step 10; mpiexec stops rank 0 and the launcher names rank 1."""
    ck = tmp_path / "ck.tg"
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "nn.launch", "-n", "2",
                        str(MPI_SCRIPTS / "fail.py"), "kill", str(ck)], env=_env(),
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    secs = time.monotonic() - t0
    assert p.returncode != 0
    assert re.search(r"tapegrad\.launch: rank 1 of 2 \(pid \d+ on \S+\) was killed by SIGKILL",
                     p.stderr), (p.stdout + p.stderr)[-3000:]
    assert secs < 60, secs
    _saved_checkpoint_loads(ck)


def test_hung_rank_is_caught_by_the_watchdog(tmp_path):
    """Rank 1 stops calling collectives (sleeps) at step 10: rank 0's watchdog aborts the
    job once its all-reduce has waited the timeout (4 s here), naming the collective."""
    ck = tmp_path / "ck.tg"
    p, secs = _mpiexec([str(MPI_SCRIPTS / "fail.py"), "hang", str(ck)], timeout=120,
                       TAPEGRAD_DIST_TIMEOUT=4)
    err = p.stdout + p.stderr
    assert p.returncode != 0
    assert re.search(r"rank 0 of 2: all_reduce\(sum\) of \(\d+,\) float32 did not complete "
                     r"within 4 s", err), err[-3000:]
    assert secs < 60, secs
    _saved_checkpoint_loads(ck)


def test_launcher_names_the_failed_rank_when_hydra_names_another(tmp_path):
    """hydra's BAD TERMINATION block sometimes gives the PID of a rank it stopped while
    cleaning up (seen 2 in 15 SIGKILL runs); the per-rank exit codes it prints with
    -print-all-exitcodes (in rank order) name the one that failed. Without them, hydra's
    PID is all there is."""
    from nn.launch import _diagnose
    (tmp_path / "rank0.pid").write_text("2677")
    (tmp_path / "rank1.pid").write_text("2678")
    text = ("=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES\n=   PID 2677 RUNNING AT vm\n"
            "step 11\n=   EXIT CODE: 9\n[mpiexec@vm] Exit codes: [vm] 0,9\n"
            "YOUR APPLICATION TERMINATED WITH THE EXIT STRING: Killed (signal 9)\n")
    assert _diagnose(str(tmp_path), 2, text, 9) == \
        "rank 1 of 2 (pid 2678 on vm) was killed by SIGKILL; mpiexec stopped every rank"
    assert _diagnose(str(tmp_path), 2, text.replace("0,9", "9,0"), 9).startswith("rank 0 of 2")
    no_codes = text.replace("[mpiexec@vm] Exit codes: [vm] 0,9\n", "")
    assert _diagnose(str(tmp_path), 2, no_codes, 9).startswith("rank 0 of 2 (pid 2677")


def test_launcher_output_is_only_the_programs(tmp_path):
    """The per-rank exit codes the launcher asks hydra for are read, not shown."""
    script = tmp_path / "hi.py"
    script.write_text("print('hi')\n")
    p = subprocess.run([sys.executable, "-m", "nn.launch", "-n", "2", str(script)], env=_env(),
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.splitlines() == ["hi", "hi"] and "Exit codes" not in p.stdout + p.stderr
