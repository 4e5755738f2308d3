"""Profile one system on one workload: where does the time of a step go?

Usage::

    python -m benchmarks.profile_step W3                      # tapegrad, cProfile, by own time
    python -m benchmarks.profile_step W1s --steps 2 --sort cumulative
    python -m benchmarks.profile_step W4 --system PyTorch
    python -m benchmarks.profile_step W2 --pyinstrument       # if pyinstrument is installed

Same sizes, dtype and thread count (``--threads``, default 1) as the full benchmark.
cProfile does not list NumPy ufunc calls separately: their time is in the caller's own
time (``tottime``), e.g. the op's forward lambda or ``registry.apply``. As in the
harness, the long-lived heap is frozen (``gc.freeze``) and the collector left enabled,
so a collection shows up as time in whichever allocation triggered it (``__new__``,
``operator.add``); ``--no-gc`` disables it to tell the two apart.
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from .threads import configure_threads, set_env_threads


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.profile_step", description=__doc__.split("\n")[0])
    ap.add_argument("workload", help="W1, W1s, W2, W3, W4, W5, W6")
    ap.add_argument("--system", default="tapegrad")
    ap.add_argument("--steps", type=int, default=0, help="profiled steps (default: about 1 s worth)")
    ap.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative, ncalls)")
    ap.add_argument("--lines", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="the quick-mode sizes")
    ap.add_argument("--no-gc", action="store_true", help="disable the cyclic collector while profiling")
    ap.add_argument("--pyinstrument", action="store_true", help="use pyinstrument instead of cProfile")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    set_env_threads(args.threads)
    configure_threads(args.threads)

    import gc
    import time

    from .run import workloads

    key = args.workload.lower()
    found = [wl for wl in workloads(args.quick, lambda k: k.lower() == key)]
    if not found:
        ap.error(f"unknown workload {args.workload!r}")
    wl = found[0]
    if args.system not in wl.systems:
        ap.error(f"{wl.key} has no system {args.system!r}; it has {', '.join(wl.systems)}")
    runner = wl.systems[args.system](wl.dtype)
    for _ in range(2):
        runner.step()
    steps = args.steps
    if steps <= 0:
        t0 = time.perf_counter()
        runner.step()
        steps = max(1, int(1.0 / max(time.perf_counter() - t0, 1e-6)))
    gc.collect()
    gc.freeze()  # as the harness does while timing (see harness.py)
    if args.no_gc:
        gc.disable()
    print(f"{wl.key} {wl.title}: {args.system}, {steps} steps, dtype {wl.dtype.name}")
    if args.pyinstrument:
        from pyinstrument import Profiler
        prof = Profiler(interval=0.0005)
        prof.start()
        for _ in range(steps):
            runner.step()
        prof.stop()
        print(prof.output_text(unicode=False, color=False, show_all=False))
    else:
        import cProfile
        import pstats
        pr = cProfile.Profile()
        t0 = time.perf_counter()
        pr.enable()
        for _ in range(steps):
            runner.step()
        pr.disable()
        total = time.perf_counter() - t0
        print(f"{total / steps * 1e3:.3f} ms per step under the profiler")
        pstats.Stats(pr).strip_dirs().sort_stats(args.sort).print_stats(args.lines)
    gc.enable()
    gc.unfreeze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
