"""Data-parallel scaling on MPI: samples/s of 1 vs N workers, the communication share of
a step, and the all-reduce cost (bytes vs latency).

Usage::

    python -m benchmarks.scaling                          # print the table
    python -m benchmarks.scaling --append benchmarks/RESULTS.md   # ... and append a section
    python -m benchmarks.scaling --allreduce              # all-reduce latency vs message size

Workloads (float32, SGD, fwd + bwd + all-reduce + step, tapegrad's nn modules):

* ``digits CNN``: nn.models.DigitsCNN (the `tapegrad train` model) on (B, 1, 8, 8);
* ``W2``: MLP 784-256-256-10 (benchmarks/w2_mlp.py's model) with softmax CE.

Each configuration runs in fresh processes with 1 BLAS thread each
(``OMP/OPENBLAS/MKL_NUM_THREADS=1``): 1 worker as a plain process, N workers under
``mpiexec -n N`` with DistributedDataParallel. Two scalings: *same global batch* (N
workers split a batch of B: the run equal to one process, strong scaling) and *same
batch per worker* (each worker B: weak scaling, what data parallelism is for).
Samples/s = samples of the timed steps / wall time of those steps (after warm-up, between
barriers). The communication share is DDP's own measure (``comm_stats``): the time
inside backward spent waiting for the bucket all-reduces plus packing and unpacking the
buckets, over the step time. The 1-worker and N-worker runs alternate, ``--rounds``
times; medians are reported (and the ratio of the best runs, less sensitive to other
load on the machine), with the machine's load (``uptime``) before and after. Columns:
samples/s and step times are medians over the rounds; "comm share" is DDP's
``comm_stats`` (waiting for the all-reduces + packing) over the step time, and "wait"
the waiting part alone, which includes waiting for a slower peer. "CPU ms per step" is
``time.process_time`` per step (1 worker; the busiest of the N ranks), and "speedup
from CPU time" = (samples per step ratio) x CPU(1) / CPU(busiest rank): what the
speedup would be if every rank had its core to itself, so it separates the code's
cost from the machine's load (waiting spins up to 2 ms before sleeping, so it is
counted in part: the estimate errs low).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {"cnn": "digits CNN (DigitsCNN, 8x8 digits-shaped input)",
             "w2": "W2: MLP 784-256-256-10, softmax CE"}
BATCH = {"cnn": 64, "w2": 128}


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = "1"
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _load() -> str:
    try:
        return open("/proc/loadavg").read().split()[:3].__str__()
    except OSError:
        return "?"


def worker(kind: str, batch: int, steps: int) -> None:
    """One process of a measurement (run under mpiexec for N > 1); rank 0 prints a
    RESULT line with samples/s and the communication share."""
    import numpy as np

    import autograd as ag
    import nn
    import nn.distributed as dist
    from nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    R, N = dist.get_rank(), dist.get_world_size()
    ag.manual_seed(0)
    rng = np.random.default_rng(R)
    if kind == "cnn":
        net = nn.models.DigitsCNN()
        X = rng.random((batch, 1, 8, 8), dtype=np.float32)
    else:
        net = nn.models.mlp([784, 256, 256, 10])
        X = rng.standard_normal((batch, 784), dtype=np.float32)
    Y = rng.integers(0, 10, batch)
    model = DDP(net) if N > 1 else net
    opt = nn.optim.SGD(net.parameters(), lr=0.01)
    lossf = nn.CrossEntropyLoss()
    x, y = ag.tensor(X), ag.tensor(Y)

    def step():
        opt.zero_grad()
        lossf(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    if N > 1:
        for k in model.comm_stats:
            model.comm_stats[k] = 0 if k in ("backwards", "bytes") else 0.0
    dist.barrier()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    cpu = time.process_time() - c0
    dist.barrier()
    secs = time.perf_counter() - t0
    comm = (model.comm_stats["wait_s"] + model.comm_stats["pack_s"]) if N > 1 else 0.0
    wait = model.comm_stats["wait_s"] if N > 1 else 0.0
    local = [secs, comm, wait, cpu]
    if N > 1:
        everyone: List = [None] * N
        dist.all_gather_object(everyone, local)
    else:
        everyone = [local]
    if R == 0:
        secs = max(e[0] for e in everyone)
        print("RESULT " + json.dumps(dict(
            kind=kind, workers=N, batch_per_worker=batch, steps=steps,
            samples_per_s=batch * N * steps / secs, step_ms=1e3 * secs / steps,
            cpu_ms=1e3 * max(e[3] for e in everyone) / steps,
            comm_share=statistics.mean(e[1] / e[0] for e in everyone),
            wait_share=statistics.mean(e[2] / e[0] for e in everyone),
            bucket_bytes=int(sum(p.detach().numpy().nbytes for p in net.parameters())))),
            flush=True)
    dist.destroy_process_group()


def allreduce_worker(reps: int) -> None:
    """Rank 0 prints RESULT lines: median latency of dist.all_reduce per message size."""
    import numpy as np

    import nn.distributed as dist

    dist.init_process_group("mpi")
    for nbytes in [8, 64, 512, 4096, 32768, 262144, 1 << 20, 4 << 20, 16 << 20, 64 << 20]:
        a = np.ones(nbytes // 4, np.float32)
        k = max(3, min(reps, int(2e8 // max(nbytes, 1)) + 3))
        ts = []
        for _ in range(k):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(a)
            ts.append(time.perf_counter() - t0)
        if dist.get_rank() == 0:
            print("RESULT " + json.dumps(dict(bytes=nbytes, reps=k,
                                              median_us=1e6 * statistics.median(ts),
                                              min_us=1e6 * min(ts))), flush=True)
    dist.destroy_process_group()


def _run(cmd: List[str]) -> List[dict]:
    p = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=1800, cwd=REPO)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return [json.loads(l[7:]) for l in p.stdout.splitlines() if l.startswith("RESULT ")]


def measure(kind: str, n: int, batch: int, steps: int) -> dict:
    from nn.launch import find_mpiexec

    me = [sys.executable, "-m", "benchmarks.scaling", "--worker", kind, "--batch", str(batch),
          "--steps", str(steps)]
    cmd = me if n == 1 else [find_mpiexec(), "-n", str(n), *me]
    return _run(cmd)[0]


def scaling(rounds: int, steps: int, n: int) -> List[dict]:
    rows = []
    for kind in WORKLOADS:
        B = BATCH[kind]
        for mode, per_worker in (("same global batch", B // n), ("same batch per worker", B)):
            one, many = [], []
            for _ in range(rounds):
                one.append(measure(kind, 1, B, steps))
                many.append(measure(kind, n, per_worker, steps))
            s1 = statistics.median(r["samples_per_s"] for r in one)
            sn = statistics.median(r["samples_per_s"] for r in many)
            b1 = max(r["samples_per_s"] for r in one)
            bn = max(r["samples_per_s"] for r in many)
            rows.append(dict(kind=kind, mode=mode, global_batch=per_worker * n, workers=n,
                             one=s1, many=sn, speedup=sn / s1, best_one=b1, best_many=bn,
                             best_speedup=bn / b1,
                             step_ms_one=statistics.median(r["step_ms"] for r in one),
                             step_ms_many=statistics.median(r["step_ms"] for r in many),
                             cpu_one=statistics.median(r["cpu_ms"] for r in one),
                             cpu_many=statistics.median(r["cpu_ms"] for r in many),
                             cpu_speedup=(per_worker * n / B)
                             * statistics.median(r["cpu_ms"] for r in one)
                             / statistics.median(r["cpu_ms"] for r in many),
                             comm_share=statistics.median(r["comm_share"] for r in many),
                             wait_share=statistics.median(r["wait_share"] for r in many),
                             grad_bytes=many[0]["bucket_bytes"], rounds=rounds, steps=steps))
            print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: List[dict]) -> str:
    out = ["| workload | scaling | global batch | 1 worker samples/s | 2 workers samples/s | "
           "speedup (median) | speedup (best of rounds) | step ms (1 / 2) | comm share of a "
           "2-worker step (wait) | CPU ms per step (1 / busiest of 2) | speedup from CPU time |"
           " grad bytes |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {WORKLOADS[r['kind']].split(' (')[0].split(':')[0]} | {r['mode']} | "
                   f"{r['global_batch']} | {r['one']:,.0f} | {r['many']:,.0f} | "
                   f"{r['speedup']:.2f}x | {r['best_speedup']:.2f}x | "
                   f"{r['step_ms_one']:.2f} / {r['step_ms_many']:.2f} | "
                   f"{100 * r['comm_share']:.1f}% ({100 * r['wait_share']:.1f}%) | "
                   f"{r['cpu_one']:.2f} / {r['cpu_many']:.2f} | "
                   f"{r['cpu_speedup']:.2f}x | "
                   f"{r['grad_bytes']:,} |")
    return "\n".join(out)


def allreduce_table(rows: List[dict]) -> str:
    out = ["| bytes | median us | min us | reps |", "|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['bytes']:,} | {r['median_us']:.1f} | {r['min_us']:.1f} | {r['reps']} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scaling")
    p.add_argument("--worker", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    p.add_argument("--allreduce-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=64, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=40, help="timed steps per run")
    p.add_argument("--rounds", type=int, default=3, help="alternating 1/N-worker runs")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--allreduce", action="store_true", help="all-reduce latency vs bytes")
    p.add_argument("--append", default=None, help="append a section to this markdown file")
    a = p.parse_args(argv)
    if a.worker:
        worker(a.worker, a.batch, a.steps)
        return 0
    if a.allreduce_worker:
        allreduce_worker(a.steps)
        return 0
    from nn.launch import find_mpiexec

    load0 = _load()
    up0 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    t0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if a.allreduce:
        rows = _run([find_mpiexec(), "-n", str(a.workers), sys.executable, "-m",
                     "benchmarks.scaling", "--allreduce-worker", "--steps", "50"])
        body = allreduce_table(rows)
        title = f"### All-reduce latency, {a.workers} ranks on this machine (MPICH shared memory)"
    else:
        rows = scaling(a.rounds, a.steps, a.workers)
        body = table(rows)
        title = f"### Scaling: 1 vs {a.workers} workers, 1 BLAS thread each"
    up1 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    cmd = "python -m benchmarks.scaling " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (f"{title}\n\nRun {t0}, `{cmd.strip()}`; load (uptime) before: `{up0}`; after: "
            f"`{up1}`.\n\n{body}\n")
    print(text)
    if a.append:
        with open(a.append, "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
