"""Run the tapegrad benchmarks and print (and optionally save) the results table.

Usage::

    python -m benchmarks.run                          # all workloads, print the table
    python -m benchmarks.run --out benchmarks/RESULTS.md   # ... and save it (make bench)
    python -m benchmarks.run --quick                  # tiny sizes, 1-2 rounds, asserts agreement
    python -m benchmarks.run --only W1,W3 --threads 2

Steps, per workload: (1) check numerical agreement: every system runs one float64 step
from identical weights and its loss, gradients and updated parameters are compared
with the reference system's (hand NumPy; micrograd for W1s); (2) time: every system is
warmed up, then the systems run interleaved, round after round, and the median time
per iteration is reported with its ratio to the reference. Then the memory rows.

Thread counts are set before NumPy is imported: this module imports nothing numeric at
the top, and ``main`` parses its arguments first.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from .threads import configure_threads, set_env_threads, thread_report

ALL_KEYS = ("W1", "W1s", "W2", "W2i", "W3", "W4", "W5", "W5m", "W6", "W7", "M1", "M2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Row:
    """One line of the results table."""

    key: str
    title: str
    system: str
    value: str
    ratio: str
    check: str
    runs: str = "-"


@dataclass
class Report:
    """Everything one run produced: table rows, failures, notes and run metadata."""

    rows: List[Row] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    meta: Dict[str, str] = field(default_factory=dict)
    timings: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    memory: list = field(default_factory=list)
    records: list = field(default_factory=list)  # (key, eager call s, recording call s)
    profiles: list = field(default_factory=list)  # (key, compiled.kernel_floor's dict)


def fmt_num(v: float) -> str:
    """Three significant digits, thousands separators for large values."""
    if v is None or math.isnan(v):
        return "-"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def collect_meta(argv: Sequence[str]) -> Dict[str, str]:
    """Date, command, versions, git commit, CPU and thread counts."""
    import importlib.metadata as md
    import numpy as np

    def version(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "not installed"

    commit = _git("rev-parse", "HEAD") or "no commit yet"
    dirty = _git("status", "--porcelain", "--", "autograd", "nn")
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = ""
    try:
        cfg = np.show_config(mode="dicts")  # type: ignore[call-arg]
        b = cfg.get("Build Dependencies", {}).get("blas", {})
        blas = f"{b.get('name', '?')} {b.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - informational only
        blas = "unknown"
    meta = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m benchmarks.run " + " ".join(argv),
        "python": sys.version.split()[0],
        "numpy": f"{np.__version__} ({blas})",
        "torch": version("torch"),
        "micrograd": version("micrograd"),
        "tapegrad commit": commit + (" (autograd/ or nn/ has uncommitted changes)" if dirty else ""),
        "last commit touching autograd/": _git("log", "-1", "--format=%h %s", "--", "autograd")[:120]
        or "none",
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python recursion limit": str(sys.getrecursionlimit()),
    }
    meta.update(thread_report())
    return meta


def workloads(quick: bool, only: Callable[[str], bool]) -> list:
    """The timed workloads selected by ``only``, in table order."""
    from .w1_mlp import make_w1, make_w1s
    from .w2_mlp import make_w2, make_w2i
    from .w3_chain import make_w3
    from .w4_cnn import make_w4, make_w6
    from .w5_adds import make_w5, make_w5m
    from .w7_dot import make_w7
    makers = [("W1", make_w1), ("W1s", make_w1s), ("W2", make_w2), ("W2i", make_w2i), ("W3", make_w3),
              ("W4", make_w4), ("W5", make_w5), ("W5m", make_w5m), ("W6", make_w6), ("W7", make_w7)]
    from .compiled import add_compiled
    wls = [make(quick) for key, make in makers if only(key)]
    for wl in wls:
        add_compiled(wl)  # the "tapegrad compiled" rows (ag.compile, issue 11) for W1-W5
    return wls


def _check_text(c) -> str:
    if c is None:
        return "-"
    if c.status == "ok":
        return f"ok ({c.max_rel_err:.1e})"
    if c.status == "reference":
        return "reference"
    if c.status == "DISAGREE":
        return f"**DISAGREE** ({c.max_rel_err:.1e} at {c.worst})"
    if c.status == "ERROR":
        return f"**ERROR** {c.error}"
    return c.status


def run_all(quick: bool = False, only: Optional[Sequence[str]] = None,
            log: Callable[[str], None] = print, argv: Sequence[str] = ()) -> Report:
    """Run the selected workloads (all when ``only`` is None) and build the report."""
    from .common import tapegrad_status
    from .harness import check_agreement, time_interleaved
    from .memory import measure_memory

    wanted = None if not only else {k.strip().lower() for k in only if k.strip()}
    if wanted is not None:
        unknown = wanted - {k.lower() for k in ALL_KEYS}
        if unknown:
            raise SystemExit(f"unknown workload(s) {sorted(unknown)}; choose from {', '.join(ALL_KEYS)}")

    def sel(key: str) -> bool:
        return wanted is None or key.lower() in wanted

    rep = Report()
    rep.meta = collect_meta(argv)
    t_start = time.perf_counter()
    status = tapegrad_status()
    if status:
        rep.notes.append(status)
        log(status)
    for wl in workloads(quick, sel):
        log(f"[{wl.key}] {wl.title}")
        if wl.notes:
            rep.notes.append(f"{wl.key}: {wl.notes}")
        if not wl.systems:
            rep.rows.append(Row(wl.key, wl.title, "-", "-", "-", wl.notes or "no system available"))
            continue
        checks = check_agreement(wl, log=log) if wl.check else []
        by_sys = {c.system: c for c in checks}
        for c in checks:
            rep.checks.append(c)
            if c.status in ("DISAGREE", "ERROR", "skipped"):
                rep.failures.append(f"{wl.key} {c.system}: check {c.status} {c.error or c.worst} "
                                    f"(max rel err {c.max_rel_err:.2e})")
            log(f"  check {c.system:11s} {_check_text(c)}")
        rounds, warmup, target = (2, 1, 0.01) if quick else (None, None, None)
        timings = time_interleaved(wl, rounds=rounds, warmup=warmup, target_round_s=target, log=log)
        rep.timings.extend(timings)
        ref = next((t for t in timings if t.system == wl.reference and t.status == "ok"), None)
        for i, t in enumerate(timings):
            if t.status == "ERROR":
                rep.failures.append(f"{wl.key} {t.system}: timing ERROR {t.error}")
            if t.note:
                rep.failures.append(f"{wl.key} {t.system}: {t.note}")
            if t.status == "ok":
                v = t.value(wl)
                value = f"{fmt_num(v)} {wl.unit}"
                if t.system == wl.reference:
                    ratio = "1.00 (ref)"
                elif ref is not None:
                    ratio = f"{t.median_s / ref.median_s:.2f}x"
                else:
                    ratio = "-"
            else:
                value, ratio = t.status if t.status != "ERROR" else f"ERROR {t.error}", "-"
            check = _check_text(by_sys.get(t.system)) if wl.check else "-"
            if t.note:
                check += f"; **{t.note}**"
            runs = f"{len(t.times_s)} x {t.inner}" if t.times_s else "-"
            rep.rows.append(Row(wl.key, wl.title if i == 0 else "", t.system, value, ratio, check, runs))
            log(f"  time  {t.system:11s} {value:>18s}  {ratio}")
    from .compiled import record_ratios, unmet_profiles
    rep.records = record_ratios(quick, sel, reps=2 if quick else 5, log=log)
    if not quick:
        rep.profiles = unmet_profiles(rep.rows, _ratio, log=log)
    mem = measure_memory(quick, sel, log=log)
    rep.memory = mem
    by_key: Dict[str, list] = {}
    for m in mem:
        by_key.setdefault(m.key, []).append(m)
    for key, ms in by_key.items():
        ref = next((m for m in ms if m.system == "hand NumPy" and m.status == "ok"), None)
        for i, m in enumerate(ms):
            if m.status != "ok":
                rep.failures.append(f"{key} {m.system}: {m.error}")
                value, ratio = f"ERROR {m.error}", "-"
            else:
                value = f"{m.value_mb:.2f} MB" if m.ratio_to_ref else f"{m.value_mb:.3f} MB"
                if key == "M2":
                    ratio = "flat (< 10 MB)" if m.value_mb < 10 else "**GROWS** (>= 10 MB)"
                elif m.system == "hand NumPy" and m.ratio_to_ref:
                    ratio = "1.00 (ref)"
                elif m.ratio_to_ref and ref is not None and ref.value_mb > 0:
                    ratio = f"{m.value_mb / ref.value_mb:.2f}x"
                else:
                    ratio = "-"
            rep.rows.append(Row(key, m.title if i == 0 else "", m.system, value, ratio, "-"))
            log(f"  mem   {m.system:11s} {value:>18s}  {ratio}")
    rep.meta["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rep.meta["wall time"] = f"{time.perf_counter() - t_start:.0f} s"
    return rep


def table(rows: List[Row]) -> str:
    """The results as a Markdown table."""
    lines = ["| workload | system | median | ratio | float64 check (max rel err) | rounds x iters |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        name = f"{r.key} {r.title}".strip() if r.title else r.key
        lines.append(f"| {name} | {r.system} | {r.value} | {r.ratio} | {r.check} | {r.runs} |")
    return "\n".join(lines)


METHOD = """\
How it was measured (see `benchmarks/README.md`): each workload's systems start from the
same weights (NumPy, fixed seed, copied into each system). Agreement: one float64 step
per system; loss, gradients and updated parameters compared with the reference system
(normwise relative error, tolerance 1e-6). Timing: float32 for W1-W4, W6, W7 (the dtype
tapegrad and PyTorch default to), float64 for the scalar workloads W1s, W5, W5m
(micrograd computes in Python floats); each system warmed up, then the systems run
interleaved (rotating order) for N rounds in one process; median of the per-round mean
time per iteration; ratio = median / reference median (hand NumPy; micrograd for W1s).
Garbage collector enabled, long-lived heap frozen (`gc.freeze()`), each timed block
preceded by an untimed `gc.collect()` and closed by a timed one (each system pays for
its own cyclic garbage, e.g. micrograd's graphs). The last column: rounds x iterations
per round.
PyTorch is used as one writes it (`nn.Sequential`, `nn.Linear`/`nn.Conv2d`,
`F.cross_entropy`, `optim.SGD`); tapegrad through its public ops (`@`, `relu`,
`conv2d`, `max_pool2d`, `softmax_cross_entropy`), SGD on `p.data`."""


# The goals of the core redesign (issue 10): (workload, tapegrad's ratio at most, also
# ahead of PyTorch). W1s's ratio is to micrograd, the others' to hand-written NumPy.
GOALS = [("W1", 2.0, False), ("W2", 1.10, False), ("W3", 2.5, False), ("W4", 1.2, True),
         ("W5", 3.0, False), ("W1s", 0.5, False)]
ANALYSIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "GOALS.md")


def _ratio(rows: List[Row], key: str, system: str) -> Optional[float]:
    for r in rows:
        if r.key == key and r.system == system and r.ratio.endswith("x"):
            return float(r.ratio[:-1])
    return None


def goals_table(rows: List[Row]) -> str:
    """Each goal against this run's ratios: met, or the measured ratio."""
    lines = ["| goal | tapegrad | PyTorch | met |", "|---|---|---|---|"]
    for key, limit, ahead in GOALS:
        t, p = _ratio(rows, key, "tapegrad"), _ratio(rows, key, "PyTorch")
        if t is None:
            continue
        met = t <= limit and (not ahead or p is None or t < p)
        goal = f"{key} <= {limit:.2f}x" + (", ahead of PyTorch" if ahead else "")
        lines.append(f"| {goal} | {t:.2f}x | {'-' if p is None else f'{p:.2f}x'} | "
                     f"{'yes' if met else '**no**'} |")
    return "\n".join(lines)


def compile_goals_table(rows: List[Row], records: list) -> str:
    """Issue 11's goals against this run: compiled ratios, and the recording call."""
    from .compiled import GOALS as CGOALS, RECORD_GOAL, SYSTEM
    lines = ["| goal | tapegrad compiled | eager tapegrad | met |", "|---|---|---|---|"]
    for key, limit in CGOALS:
        c, t = _ratio(rows, key, SYSTEM), _ratio(rows, key, "tapegrad")
        if c is None:
            continue
        lines.append(f"| {key} <= {limit:.2f}x | {c:.2f}x | {'-' if t is None else f'{t:.2f}x'} | "
                     f"{'yes' if c <= limit else '**no**'} |")
    for key, e, r in records:
        lines.append(f"| {key} first (recording) call <= {RECORD_GOAL:.0f}x an eager call | "
                     f"{r / e:.2f}x ({r * 1e3:.3g} ms) | {e * 1e3:.3g} ms | "
                     f"{'yes' if r / e <= RECORD_GOAL else '**no**'} |")
    return "\n".join(lines)


def render_markdown(rep: Report) -> str:
    """RESULTS.md: heading, metadata, the table, notes and failures."""
    out = ["# tapegrad benchmark results", "",
           "Generated by `benchmarks/run.py`; numbers are measured by the run described here, "
           "never edited by hand.", ""]
    for k, v in rep.meta.items():
        out.append(f"- **{k}**: `{v}`" if k == "command" else f"- **{k}**: {v}")
    out += ["", table(rep.rows), ""]
    goals = goals_table(rep.rows)
    if goals.count("\n") > 1:
        out += ["## Goals of the core redesign (from this run's ratios)", "", goals, ""]
        if os.path.isfile(ANALYSIS):
            with open(ANALYSIS) as fh:
                out += [fh.read().rstrip(), ""]
    cgoals = compile_goals_table(rep.rows, rep.records)
    if cgoals.count("\n") > 1:
        out += ["## Goals of ag.compile (issue 11, from this run's ratios)", "", cgoals, ""]
        if rep.profiles:
            from .compiled import profile_table
            out += ["Where the time goes in each unmet compiled goal (measured in this run by "
                    "`benchmarks.compiled.kernel_floor`, process CPU time, best of 5):", "",
                    profile_table(rep.profiles), ""]
    if rep.notes:
        out += ["Notes:", ""] + [f"- {n}" for n in rep.notes] + [""]
    if rep.failures:
        out += ["Failures:", ""] + [f"- {f}" for f in rep.failures] + [""]
    out += [METHOD, ""]
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes, 2 rounds; fails (exit 1) if any check fails; never asserts times")
    ap.add_argument("--out", help="write the table with metadata to this Markdown file")
    ap.add_argument("--only", help="comma-separated workload keys: " + ",".join(ALL_KEYS))
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for NumPy's BLAS and PyTorch (default 1: the machine has 2 "
                         "cores shared with other jobs); 0 leaves the defaults")
    args = ap.parse_args(argv)
    threads = args.threads if args.threads > 0 else None
    if threads is not None:
        set_env_threads(threads)          # before NumPy's first import
    configure_threads(threads)
    only = args.only.split(",") if args.only else None
    rep = run_all(quick=args.quick, only=only, argv=argv)
    print()
    print(table(rep.rows))
    print(compile_goals_table(rep.rows, rep.records))
    for n in rep.notes:
        print(f"note: {n}")
    for f in rep.failures:
        print(f"FAILURE: {f}")
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(render_markdown(rep))
        print(f"wrote {args.out}")
    if args.quick and rep.failures:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
