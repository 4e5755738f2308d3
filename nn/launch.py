"""Start a program on N MPI processes and name the rank that failed.

    python -m nn.launch -n 4 train.py --epochs 3        # = mpiexec -n 4 python train.py ...
    python -m nn.launch -n 64 -f hosts.txt train.py     # a cluster: mpiexec's hostfile

It runs ``mpiexec -n N [mpiexec options] python PROGRAM ARGS`` (the mpiexec next to the
running Python, as the ``mpich`` wheel installs it, else the one on PATH), passes its
output through, and when the job fails says which rank failed and how: every rank
records its PID in a run folder when it joins the process group, a rank that raises
records its error there (see nn.distributed), and for a rank that was killed the PID
in mpiexec's report is turned back into the rank number.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from typing import Dict, List, Optional, Sequence

__all__ = ["find_mpiexec", "launch", "main"]


def find_mpiexec() -> str:
    """The mpiexec to use: ``$TAPEGRAD_MPIEXEC``, the one beside this Python (the mpich
    wheel's), or the first on PATH. RuntimeError naming the fix when there is none."""
    env = os.environ.get("TAPEGRAD_MPIEXEC")
    if env:
        return env
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found:
        return found
    raise RuntimeError("no mpiexec found: install MPI with pip install 'tapegrad[mpi]' "
                       "(mpi4py + the mpich wheel, which brings mpiexec), or set "
                       "TAPEGRAD_MPIEXEC to your MPI's launcher")


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def _is_hydra(exe: str) -> bool:
    """Whether ``exe`` is MPICH's hydra (it then takes -print-all-exitcodes)."""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return "HYDRA" in (out.stdout + out.stderr)


def _diagnose(rundir: str, nprocs: int, text: str, rc: int) -> Optional[str]:
    """One line naming the failed rank(s), from the run folder and mpiexec's report."""
    pids: Dict[int, int] = {}
    failed: List[str] = []
    for r in range(nprocs):
        p = os.path.join(rundir, f"rank{r}.pid")
        if os.path.isfile(p):
            try:
                pids[int(open(p).read().strip())] = r
            except ValueError:
                pass
        f = os.path.join(rundir, f"rank{r}.failed")
        if os.path.isfile(f):
            failed.append(f"rank {r} of {nprocs} failed: {open(f).read().strip()}")
    if failed:
        return "; ".join(failed)
    # mpich's hydra: "BAD TERMINATION ... PID 7351 RUNNING AT host / EXIT CODE: 9"
    # (searched apart: under load another process's line can land inside hydra's block)
    m, c = re.search(r"PID (\d+) RUNNING AT (\S+)", text), re.search(r"EXIT CODE: (\d+)", text)
    if m and c:
        pid, host, code = int(m.group(1)), m.group(2), int(c.group(1))
        # hydra's PID is sometimes a rank it stopped while cleaning up after the one that
        # failed (a race); its per-rank codes (-print-all-exitcodes, in rank order) are not
        codes = re.search(r"Exit codes: \[\S+\] ([\d,]+)", text)
        codes = [int(v) for v in codes.group(1).split(",")] if codes else []
        bad = [r for r, v in enumerate(codes) if v]
        if pid in pids and pids[pid] < len(codes) and not codes[pids[pid]] and len(bad) == 1:
            pid = next((p for p, r in pids.items() if r == bad[0]), pid)
            code = codes[bad[0]]
        who = f"rank {pids[pid]} of {nprocs}" if pid in pids else f"a rank (pid {pid})"
        sig = re.search(r"\(signal (\d+)\)", text)
        how = (f"was killed by {_signal_name(int(sig.group(1)))}" if sig
               else f"exited with code {code}")
        return f"{who} (pid {pid} on {host}) {how}; mpiexec stopped every rank"
    if rc < 0:
        return f"mpiexec was killed by {_signal_name(-rc)}"
    return None


def launch(nprocs: int, argv: Sequence[str], env: Optional[dict] = None,
           mpiexec_args: Sequence[str] = (), python: Optional[str] = None) -> int:
    """Run ``python argv...`` on ``nprocs`` processes under mpiexec; returns its exit code.

    ``argv`` starts with a script path or ``-m module``. Output passes through; on
    failure one more line on stderr names the failed rank."""
    if nprocs < 1:
        raise ValueError(f"launch: nprocs must be >= 1, got {nprocs}")
    exe = find_mpiexec()
    rundir = tempfile.mkdtemp(prefix="tapegrad-dist-")
    e = dict(os.environ if env is None else env)
    e["TAPEGRAD_DIST_RUNDIR"] = rundir
    extra = ["-print-all-exitcodes"] if _is_hydra(exe) else []
    cmd = [exe, *extra, *mpiexec_args, "-n", str(nprocs), python or sys.executable, *argv]
    proc = subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    seen: List[str] = []

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if extra and line.startswith("[mpiexec@") and "] Exit codes:" in line:
                continue  # (asked for by the diagnosis, not the user's output)
            sys.stdout.write(line)
            sys.stdout.flush()

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    interrupted = False
    try:
        rc = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C: let mpiexec stop the ranks, then re-raise
        interrupted = True
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    t.join(5)
    if rc != 0 and not interrupted:
        why = _diagnose(rundir, nprocs, "".join(seen[-200:]), rc)
        if why:
            sys.stderr.write(f"tapegrad.launch: {why}\n")
            sys.stderr.flush()
    shutil.rmtree(rundir, ignore_errors=True)
    if interrupted:
        raise KeyboardInterrupt
    return rc


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m nn.launch -n N [-f HOSTFILE] PROGRAM [ARGS]``."""
    p = argparse.ArgumentParser(prog="python -m nn.launch",
                                description="Run a Python program on N MPI processes.")
    p.add_argument("-n", "--nprocs", type=int, required=True, help="number of processes")
    p.add_argument("-f", "--hostfile", default=None, help="mpiexec hostfile (a cluster)")
    p.add_argument("-m", dest="module", default=None, help="run a module, as python -m")
    p.add_argument("program", nargs=argparse.REMAINDER, help="script and its arguments")
    a = p.parse_args(argv)
    prog = (["-m", a.module] if a.module else []) + list(a.program)
    if not prog:
        p.error("give the program to run (a script, or -m module)")
    extra = ["-f", a.hostfile] if a.hostfile else []
    return launch(a.nprocs, prog, mpiexec_args=extra)


if __name__ == "__main__":
    sys.exit(main())
