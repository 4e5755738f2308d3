"""Smoke test of the benchmark harness: ``python -m benchmarks.run --quick``, in-process.

Every workload runs at tiny sizes for every system (hand NumPy, tapegrad, PyTorch,
micrograd where it applies), and every system must agree numerically with the
reference (float64, rtol 1e-6 normwise) on loss, gradients and updated parameters.
Times are never asserted. Takes well under a minute.
"""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.run import main, run_all  # noqa: E402

pytestmark = pytest.mark.torch


def test_quick_benchmarks_run_and_agree() -> None:
    """All workloads run in quick mode; every check passes; micrograd W5 hits its recursion."""
    import autograd

    assert hasattr(autograd, "Tensor"), "the engine must be importable for the benchmarks"
    rep = run_all(quick=True, log=lambda s: None)
    assert not rep.failures, "benchmark failures:\n" + "\n".join(rep.failures)

    timed = {(t.workload, t.system): t for t in rep.timings}
    for wl in ("W1", "W2", "W2i", "W3", "W4", "W5", "W6"):
        for system in ("hand NumPy", "tapegrad", "PyTorch"):
            t = timed[(wl, system)]
            assert t.status == "ok" and t.median_s > 0, (wl, system, t.status, t.error)
    for system in ("micrograd", "tapegrad", "PyTorch"):
        assert timed[("W1s", system)].status == "ok", timed[("W1s", system)]
    assert timed[("W5", "micrograd")].status == "RecursionError"
    assert timed[("W5m", "tapegrad")].status == "ok"

    checked = {(c.workload, c.system): c for c in rep.checks}
    for (wl, system), c in checked.items():
        assert c.status in ("ok", "reference") or (wl, system, c.status) == ("W5", "micrograd", "RecursionError"), c
    # tapegrad was compared with the reference in every checked workload
    for wl in ("W1", "W1s", "W2", "W2i", "W3", "W4", "W5", "W5m", "W6"):
        assert checked[(wl, "tapegrad")].status == "ok", checked[(wl, "tapegrad")]

    mem = {(m.key, m.system): m for m in rep.memory}
    assert mem[("M1", "tapegrad")].status == "ok" and mem[("M1", "tapegrad")].value_mb > 0
    assert mem[("M2", "tapegrad")].status == "ok"


def test_cli_writes_results(tmp_path) -> None:
    """``main`` with --quick --only --out writes a Markdown table with the run's metadata."""
    out = tmp_path / "RESULTS.md"
    status = main(["--quick", "--only", "W1,W3", "--threads", "0", "--out", str(out)])
    assert status == 0
    text = out.read_text()
    assert "| workload | system | median | ratio |" in text and "rounds x iters" in text
    assert "python -m benchmarks.run --quick --only W1,W3" in text
    for needle in ("W1 MLP 2-16-16-1", "W3", "hand NumPy", "tapegrad", "PyTorch", "numpy", "torch",
                   "tapegrad commit"):
        assert needle in text, needle
    assert "W2" not in text.split("| workload |", 1)[1].split("\n\n", 1)[0]
