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


# --- issue 6: "create_graph=False pays nothing for higher-order support; no_grad
# inference pays nothing for the tape". Structural checks (what runs), never times.

def _count_calls(code, fn) -> int:
    """How many times the function with ``code`` is entered while ``fn()`` runs."""
    calls = 0

    def prof(frame, event, arg):
        nonlocal calls
        if event == "call" and frame.f_code is code:
            calls += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def _mlp_loss(ag, rng):
    import numpy as np

    X = ag.tensor(rng.standard_normal((8, 5)).astype(np.float32))
    W1 = ag.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    b1 = ag.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    W2 = ag.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    h = (X @ W1 + b1).tanh()
    loss = ag.log_softmax(h @ W2, dim=1)[np.arange(8), np.arange(8) % 3].mean() * -1.0
    return loss, (W1, b1, W2)


def test_plain_backward_runs_no_tensor_op() -> None:
    """backward() with create_graph=False never enters an op (registry.apply): the vjps
    run on raw NumPy arrays. With create_graph=True the same backward does (sanity)."""
    import numpy as np

    import autograd as ag
    from autograd import registry

    rng = np.random.default_rng(0)
    loss, params = _mlp_loss(ag, rng)
    assert _count_calls(registry.apply.__code__, loss.backward) == 0
    assert all(p.grad is not None for p in params)
    loss2, params2 = _mlp_loss(ag, np.random.default_rng(0))
    assert _count_calls(registry.apply.__code__, lambda: loss2.backward(create_graph=True)) > 0
    for p, q in zip(params, params2):  # same gradients either way
        np.testing.assert_allclose(p.grad.data.numpy(), q.grad.data.numpy(), rtol=1e-6)


def test_no_grad_forward_records_nothing() -> None:
    """Under no_grad() a forward creates no graph node (the creation counter does not
    move) and every result is a plain tensor without grad_fn."""
    import numpy as np

    import autograd as ag
    from autograd.tape import next_seq_value

    rng = np.random.default_rng(0)
    with ag.no_grad():
        before = next_seq_value()
        loss, _ = _mlp_loss(ag, rng)
        after = next_seq_value()
    assert after == before + 1  # only the two probes took a number
    assert loss.grad_fn is None and not loss.requires_grad
