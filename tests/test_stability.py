"""Anomaly mode and numerical stability at the extremes.

Anomaly mode: NaN/Inf injected through sqrt, log, div and pow makes backward raise at
the first vjp that produces it, naming the op and the file:line of the user's forward
call (marked ``# forward op`` below); with anomaly mode off nothing is recorded.

Stability: exp, log, sigmoid, tanh, softplus, softmax, log_softmax, logsumexp,
cross-entropy and BCE-with-logits on inputs up to |x| = 1e4, in float32 and float64,
with PyTorch 2.13 as the reference for values and gradients. "Finite" means: finite
wherever PyTorch is finite, and no NumPy overflow/invalid/divide-by-zero warning on
the way (computed under ``np.errstate(..., 'raise')``). The one function that cannot
be finite there is exp: exp(x) overflows for x > log(max float) (88.7 in float32,
709.8 in float64) by definition; tapegrad then gives inf for the value and the
gradient, exactly as PyTorch does, and is finite (and warning-free) everywhere below.
``log`` is checked on its domain (1e-30 to 1e4). Run::

    .venv/bin/python -m pytest tests/test_stability.py -q
"""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
import torch

import autograd as ag
import nn.functional as F

HERE = os.path.abspath(__file__)
torch.set_num_threads(1)


# --------------------------------------------------------------------------- anomaly mode
def _inject_sqrt():
    x = ag.tensor([-1.0, 4.0], requires_grad=True)
    y = ag.sqrt(x)  # forward op
    return (y * 0.0).sum()           # the value is NaN, but only sqrt's vjp makes a NaN grad


def _inject_log():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    y = ag.log(x)  # forward op
    return (y * 2.0).sum()


def _inject_div():
    a = ag.tensor([1.0, 4.0], requires_grad=True)
    b = ag.tensor([0.0, 2.0], requires_grad=True)
    y = a / b  # forward op
    return y.sum()


def _inject_pow():
    x = ag.tensor([-8.0, 4.0], requires_grad=True)
    y = x ** 0.5  # forward op
    return (y * 0.0).sum()


def _inject_mse_inside_nn():
    x = ag.tensor([np.inf, 1.0], requires_grad=True)
    return F.mse_loss(x, ag.tensor([np.inf, 0.0]))  # forward op


INJECT = [("sqrt", _inject_sqrt, "nan"), ("log", _inject_log, "inf"), ("div", _inject_div, "inf"),
          ("pow", _inject_pow, "nan"), ("mul", _inject_mse_inside_nn, "nan")]


def _marked_line(fn) -> int:
    lines, start = inspect.getsourcelines(fn)
    hits = [start + i for i, l in enumerate(lines) if l.rstrip().endswith("# forward op")]
    assert len(hits) == 1
    return hits[0]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("op,inject,what", INJECT, ids=[i[0] for i in INJECT])
def test_anomaly_names_op_and_user_line(op, inject, what, create_graph):
    with np.errstate(all="ignore"):
        with ag.detect_anomaly():
            loss = inject()
            with pytest.raises(RuntimeError) as info:
                loss.backward(create_graph=create_graph)
    msg = str(info.value)
    assert f"`{op}`" in msg and f"{what} values" in msg, msg
    assert f"{HERE}:{_marked_line(inject)}" in msg, msg   # the user's file and line


@pytest.mark.parametrize("op,inject,what", INJECT, ids=[i[0] for i in INJECT])
def test_anomaly_off_records_nothing_and_lets_nan_through(op, inject, what):
    with np.errstate(all="ignore"):
        loss = inject()
        assert all(n.trace is None for n in ag.graph_nodes([loss]))
        loss.backward()   # no error: the NaN/Inf lands in .grad, as in PyTorch
    with np.errstate(all="ignore"), ag.detect_anomaly():
        assert all(n.trace is not None for n in ag.graph_nodes([inject()]))


def test_anomaly_is_per_thread_and_restored():
    import threading

    seen = []
    with ag.detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(ag.is_anomaly_enabled()))
        t.start()
        t.join()
        assert ag.is_anomaly_enabled()
    assert seen == [False] and not ag.is_anomaly_enabled()


# --------------------------------------------------------------------------- stability
XS = np.array([-1e4, -1e3, -100.0, -20.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 20.0, 100.0, 1e3, 1e4])
W = np.linspace(-1.0, 2.0, XS.size)       # a non-uniform upstream gradient


CASES = {
    # name: (tapegrad fn, torch fn, inputs)
    "exp": (ag.exp, torch.exp, XS[XS <= 88.0]),
    "log": (ag.log, torch.log, np.array([1e-30, 1e-10, 1e-3, 1.0, 100.0, 1e3, 1e4])),
    "sigmoid": (ag.sigmoid, torch.sigmoid, XS),
    "tanh": (ag.tanh, torch.tanh, XS),
    "softplus": (ag.softplus, torch.nn.functional.softplus, XS),
    "softmax": (lambda x: ag.softmax(ag.reshape(x, (1, -1)), dim=1),
                lambda x: torch.softmax(x.reshape(1, -1), dim=1), XS),
    "softmax-rows": (lambda x: ag.softmax(ag.reshape(x[:12], (4, 3)), dim=0),
                     lambda x: torch.softmax(x[:12].reshape(4, 3), dim=0), XS),
    "log_softmax": (lambda x: ag.log_softmax(x, dim=0), lambda x: torch.log_softmax(x, dim=0), XS),
    "logsumexp": (lambda x: ag.logsumexp(ag.reshape(x[:12], (3, 4)), dim=1),
                  lambda x: torch.logsumexp(x[:12].reshape(3, 4), dim=1), XS),
    "logsumexp-all": (lambda x: ag.logsumexp(x), lambda x: torch.logsumexp(x, dim=0), XS),
    "cross_entropy": (lambda x: F.cross_entropy(ag.reshape(x[:12], (4, 3)), ag.tensor([0, 2, 1, 0])),
                      lambda x: torch.nn.functional.cross_entropy(x[:12].reshape(4, 3),
                                                                  torch.tensor([0, 2, 1, 0])), XS),
    "cross_entropy-smooth": (lambda x: F.cross_entropy(ag.reshape(x[:12], (4, 3)),
                                                       ag.tensor([2, 0, 1, 1]), label_smoothing=0.1),
                             lambda x: torch.nn.functional.cross_entropy(
                                 x[:12].reshape(4, 3), torch.tensor([2, 0, 1, 1]), label_smoothing=0.1), XS),
    "bce_with_logits": (lambda x: F.binary_cross_entropy_with_logits(
                            x, ag.tensor((np.arange(x.shape[0]) % 2).astype(x.dtype)), reduction="none"),
                        lambda x: torch.nn.functional.binary_cross_entropy_with_logits(
                            x, torch.tensor((np.arange(x.shape[0]) % 2).astype(np.float64)).to(x.dtype),
                            reduction="none"), XS),
}


def _upstream(shape, dtype):
    n = int(np.prod(shape)) if shape else 1
    return np.resize(W, n).reshape(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_finite_at_extremes(name, dtype):
    f, ft, x = CASES[name]
    xa = ag.tensor(x.astype(dtype), requires_grad=True)
    # no overflow, invalid operation or division by zero anywhere in forward or backward
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ya = f(xa)
        g = _upstream(ya.shape, dtype)
        ya.backward(ag.tensor(g))
    xt = torch.tensor(x.astype(dtype), requires_grad=True)
    yt = ft(xt)
    yt.backward(torch.tensor(g))
    assert ya.dtype == np.dtype(dtype) and xa.grad.dtype == np.dtype(dtype)
    assert np.isfinite(ya.data.numpy()).all() and np.isfinite(xa.grad.data.numpy()).all()
    assert torch.isfinite(yt).all() and torch.isfinite(xt.grad).all()  # the reference agrees
    rtol, atol = (2e-6, 1e-6) if dtype == np.float32 else (1e-12, 1e-14)
    np.testing.assert_allclose(ya.data.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol * max(1.0, np.abs(ya.data.numpy()).max()))
    np.testing.assert_allclose(xa.grad.data.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_exp_overflows_like_pytorch(dtype):
    """exp(1e4) is not representable: the value and the gradient are +inf, as in PyTorch;
    exp(-1e4) underflows to exactly 0 with a zero gradient."""
    x = np.array([-1e4, 1e4]).astype(dtype)
    xa = ag.tensor(x, requires_grad=True)
    with np.errstate(over="ignore"):
        ya = ag.exp(xa)
        ya.sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    torch.exp(xt).sum().backward()
    np.testing.assert_array_equal(ya.data.numpy(), torch.exp(xt).detach().numpy())
    np.testing.assert_array_equal(xa.grad.data.numpy(), xt.grad.numpy())
    np.testing.assert_array_equal(ya.data.numpy(), [0.0, np.inf])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_second_derivatives_finite_at_extremes(dtype):
    """Hessian-vector products through sigmoid, tanh, softplus and log_softmax stay
    finite at |x| = 1e4 (double backward reuses the same stable forms)."""
    x = ag.tensor(np.array([-1e4, -30.0, 0.5, 30.0, 1e4]).astype(dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = (ag.sigmoid(x) + ag.tanh(x) + ag.softplus(x)).sum() + ag.log_softmax(x, dim=0)[2]
        (g,) = ag.grad(y, x, create_graph=True)
        (h,) = ag.grad((g * g).sum(), x)
    assert np.isfinite(g.data.numpy()).all() and np.isfinite(h.data.numpy()).all()
