"""Semantics that the random-graph fuzzer does not reach, compared with PyTorch directly.

Each test is a regression test for a silent difference from PyTorch 2.13 that was
found by a side-by-side probe (values, gradients, dtypes, shapes, aliasing, in-place
and version-counter semantics, hooks, ``grad()`` arguments), or pins a deliberate
difference documented in docs/conventions.md. Run::

    .venv/bin/python -m pytest tests/test_semantics_torch.py -q
"""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.errors import DtypeError

torch = pytest.importorskip("torch")

X23 = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
X234 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def assert_same(a: ag.Tensor, t, atol: float = 1e-6) -> None:
    """``a`` (tapegrad) equals ``t`` (torch) in shape, dtype and values."""
    tn = t.detach().numpy()
    assert a.shape == tuple(t.shape), (a.shape, tuple(t.shape))
    assert a.dtype == tn.dtype, (a.dtype, tn.dtype)
    np.testing.assert_allclose(a.data, tn, atol=atol, rtol=1e-6)


def weights(T, shape):
    """A non-uniform upstream weight, so a wrong gradient routing cannot hide."""
    n = int(np.prod(shape))
    return T.tensor(np.arange(1, n + 1, dtype=np.float32).reshape(shape))


# --------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("fn", ["sum", "mean"])
@pytest.mark.parametrize("dims", [(), []])
def test_reduce_over_empty_dims_reduces_everything(fn, dims):
    # torch: dim=() / [] means every dimension; NumPy's axis=() means none
    x = ag.tensor(X234, requires_grad=True)
    tx = torch.tensor(X234, requires_grad=True)
    y, ty = getattr(x, fn)(dim=dims), getattr(tx, fn)(dim=dims)
    assert_same(y, ty)
    y.backward()
    ty.backward()
    assert_same(x.grad, tx.grad)


def test_sum_dtype_argument_converts_before_summing():
    x = ag.tensor(X23, requires_grad=True)
    tx = torch.tensor(X23, requires_grad=True)
    y, ty = x.sum(dtype=np.float64), tx.sum(dtype=torch.float64)
    assert_same(y, ty)
    y.backward()
    ty.backward()
    assert_same(x.grad, tx.grad)  # the gradient comes back in the leaf's float32
    i, ti = ag.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    assert_same(i.sum(dtype=np.float32), ti.sum(dtype=torch.float32))
    b, tb = ag.tensor([True, False, True]), torch.tensor([True, False, True])
    assert_same(b.sum(), tb.sum())  # int64


@pytest.mark.parametrize("fn", ["mean", "var", "std"])
def test_mean_var_of_int_is_a_runtime_error_like_torch(fn):
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([1, 2, 3]), fn)()
    with pytest.raises(RuntimeError, match=r"int64.*\.float\(\)"):
        getattr(ag.tensor([1, 2, 3]), fn)()
    with pytest.raises(DtypeError):
        getattr(ag.tensor([1, 2, 3]), fn)()


# --------------------------------------------------------------------------- grad()
def test_grad_materialize_grads_and_only_inputs():
    x, w = ag.tensor(X23, requires_grad=True), ag.tensor(X23, requires_grad=True)
    tx, tw = torch.tensor(X23, requires_grad=True), torch.tensor(X23, requires_grad=True)
    gx, gw = ag.grad((x * 2).sum(), [x, w], materialize_grads=True)
    tgx, tgw = torch.autograd.grad((tx * 2).sum(), [tx, tw], materialize_grads=True)
    assert_same(gx, tgx)
    assert_same(gw, tgw)
    with pytest.raises(ValueError):
        torch.autograd.grad((tx * 2).sum(), [tx, tw], materialize_grads=True, allow_unused=False)
    with pytest.raises(ValueError, match="materialize_grads"):
        ag.grad((x * 2).sum(), [x, w], materialize_grads=True, allow_unused=False)
    # only_inputs is accepted (and, as in PyTorch, changes nothing: .grad stays untouched)
    (g,) = ag.grad((x * w).sum(), [x], only_inputs=True)
    (tg,) = torch.autograd.grad((tx * tw).sum(), [tx], only_inputs=True)
    assert_same(g, tg)
    assert w.grad is None and tw.grad is None


# --------------------------------------------------------------------------- retain_grad
def test_retain_grad_follows_the_tensor_through_an_inplace_op():
    def run(T):
        x = T.tensor(X23, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.mul_(3)
        (y * weights(T, (2, 3))).sum().backward()
        return y.grad, x.grad

    (yg, xg), (tyg, txg) = run(ag), run(torch)
    assert_same(yg, tyg)  # the gradient of y's current value: the weights, not 3x them
    assert_same(xg, txg)
