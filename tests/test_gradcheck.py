"""autograd/gradcheck.py: the one central-difference implementation behind
numerical_jacobian, gradcheck's fast mode and blame; blame lives here (viz re-exports it)."""
import importlib

import numpy as np
import pytest

import autograd as ag

GC = importlib.import_module("autograd.gradcheck")   # ag.gradcheck is the function


def f64(v, rg=True):
    return ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=rg)


def test_differences_central_and_one_sided():
    # f(x + t u) for f = x**3 at x = 2, u = 1: central 3 x^2 + eps^2, one-sided 3 x^2 +- 3 x eps
    eps = 1e-3
    central, fwd, bwd = GC._differences(lambda t: [np.array([(2.0 + t) ** 3])], eps, [[8.0]])
    assert central[0][0] == pytest.approx(12.0 + eps ** 2, rel=1e-9)
    assert fwd[0][0] == pytest.approx(12.0 + 6 * eps + eps ** 2, rel=1e-9)
    assert bwd[0][0] == pytest.approx(12.0 - 6 * eps + eps ** 2, rel=1e-9)
    # at a kink (|x| at 0) the one-sided slopes are +1 and -1, the central one 0
    c, fw, bw = GC._differences(lambda t: [abs(t)], eps, [0.0])
    assert (float(c[0]), float(fw[0]), float(bw[0])) == (0.0, 1.0, -1.0)
    # evaluated at +eps first, then -eps, and the results are copies
    seen, buf = [], np.zeros(1)

    def at(t):
        seen.append(t)
        buf[0] = t
        return [buf]                 # the same buffer both times: a view of a moved input
    (d,) = GC._differences(at, 0.5)
    assert seen == [0.5, -0.5] and d[0] == 1.0


def test_numerical_jacobian_of_views_and_inputs_restored_on_error():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    (j,) = GC.numerical_jacobian(lambda t: t.reshape(4), (x,))[0]
    np.testing.assert_allclose(j.reshape(4, 4), np.eye(4), atol=1e-9)
    before = x.data.numpy().copy()
    calls = []

    def boom(t):
        calls.append(1)
        if len(calls) == 4:          # the reference output, then in the middle of element 1
            raise ValueError("boom")
        return t * 2.0
    with pytest.raises(ValueError, match="boom"):
        GC.numerical_jacobian(boom, (x,))
    np.testing.assert_array_equal(x.data.numpy(), before)


def test_fast_mode_uses_the_same_differences_and_restores_inputs():
    x = f64([0.3, -1.2, 2.0])
    w = f64([1.5, 0.5, -1.0])
    before = (x.data.numpy().copy(), w.data.numpy().copy())
    rep = ag.gradcheck(lambda a, b: (a * b).sin(), (x, w), fast_mode=True)
    assert rep and rep.max_abs_err < 1e-8
    np.testing.assert_array_equal(x.data.numpy(), before[0])
    np.testing.assert_array_equal(w.data.numpy(), before[1])


def test_blame_lives_in_gradcheck_and_viz_reexports_it():
    assert {"blame", "BlameReport"} <= set(GC.__all__)
    assert ag.viz.blame is GC.blame and ag.viz.BlameReport is GC.BlameReport
    x = f64([0.5, -1.0, 2.0])
    reports = GC.blame((x.tanh() * x).sum())
    assert [r.name for r in reports] == ["tanh", "mul", "sum"]
    assert all(isinstance(r, GC.BlameReport) and r.ok for r in reports)
    assert max(r.error for r in reports) < 1e-8


def test_blame_analytical_side_is_node_vjps(monkeypatch):
    """blame's analytical gradient is the engine's replay, called with the float64
    values, output and attributes (so a wrong replay would be caught here, not hidden
    by a second implementation)."""
    x = f64([0.5, -1.0])
    y = ag.cast(x, np.float32).sum()                 # the graph: float32 after the cast
    calls = []
    real = GC.node_vjps

    def spy(node, g, vals=None, out=None, attrs=None):
        calls.append((node.op.name, [np.asarray(v).dtype for v in vals], out.dtype, attrs))
        return real(node, g, vals=vals, out=out, attrs=attrs)
    monkeypatch.setattr(GC, "node_vjps", spy)
    reports = GC.blame(y)
    assert all(r.ok for r in reports)
    assert [c[0] for c in calls] == ["cast", "sum"]
    assert all(c[1] == [np.float64] and c[2] == np.float64 for c in calls)
    assert calls[0][3]["dtype"] == np.float64 and y.grad_fn.parents[0].attrs["dtype"] == np.float32
