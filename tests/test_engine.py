"""Engine tests aimed at the real failure modes of a reverse-mode autograd."""
from __future__ import annotations

import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Function, grad, gradcheck, no_grad, tensor


def f64(x, rg=True):
    return tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


# --------------------------------------------------------------------------- fan-out, diamonds
def test_fanout_same_tensor_twice():
    x = f64(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0


def test_fanout_mixed_uses():
    x, y = f64(2.0), f64(5.0)
    z = y + y + y * x          # dz/dy = 2 + x, dz/dx = y
    z.backward()
    assert y.grad.item() == 4.0 and x.grad.item() == 5.0


def test_diamond():
    x = f64([1.0, 2.0])
    a = x * 2
    b = a.exp()
    c = a.sin()
    d = (b * c).sum()          # d/dx = 2 (b c + b cos a)
    d.backward()
    av = 2 * np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.data.numpy(), 2 * (np.exp(av) * np.sin(av) + np.exp(av) * np.cos(av)))


def test_repeated_indices_accumulate():
    x = f64([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [3.0, 0.0, 1.0])


def test_boolean_mask_gradient():
    x = f64([[1.0, -2.0], [3.0, -4.0]])
    (x[x > 0] * 10).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [[10.0, 0.0], [10.0, 0.0]])


def test_broadcast_to_0d_leaf():
    s = f64(2.0)
    m = f64(np.ones((3, 4)))
    (m * s).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 12.0
    assert m.grad.shape == (3, 4)


def test_broadcast_size1_dims_reduced_to_exact_shape():
    a = f64(np.ones((3, 1)))
    b = f64(np.ones((1, 4)))
    (a + b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    np.testing.assert_array_equal(a.grad.data.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad.data.numpy(), np.full((1, 4), 3.0))


def test_python_scalars_and_numpy_on_either_side():
    x = f64([1.0, 2.0])
    y = 2.0 * x + np.array([1.0, 1.0]) - 1 / x + x ** 2 + 3 ** x
    assert isinstance(y, ag.Tensor)
    y.sum().backward()
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.data.numpy(), 2 + 1 / xv ** 2 + 2 * xv + np.log(3) * 3 ** xv)


def test_float32_stays_float32():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.5 + 1).exp().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_numpy_scalars_do_not_promote_like_torch():
    """np.sqrt(2.0) or arr.sum() next to a float32 tensor is a scalar, not a float64
    tensor (PyTorch: float32 * np.float64(2) is float32); on their own they keep their dtype."""
    x = tensor([1.0, 2.0], requires_grad=True)
    for s in (np.float64(2.0), np.float32(2.0), np.int64(2), np.bool_(True)):
        for y in (x * s, s * x, x + s, s - x, x / s, s / x, x ** s, ag.maximum(x, s)):
            assert y.dtype == np.float32, (type(s), y.grad_fn)
    i = tensor([1, 2])
    assert (i * np.int32(3)).dtype == np.int64 and (i * np.float64(0.5)).dtype == np.float32
    assert (tensor([1.0], dtype=np.float64) * np.float32(2)).dtype == np.float64
    assert tensor(np.float64(1.5)).dtype == np.float64
    (x * np.float64(3.0)).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


# --------------------------------------------------------------------------- aliasing
def test_leaves_never_share_gradient_buffers():
    a, b = f64(1.0), f64(2.0)
    ag.stack([a, b]).sum().backward()
    ag.stack([a, b]).sum().backward()
    assert a.grad.item() == 2.0 and b.grad.item() == 2.0
    a.grad.data += 100       # PyTorch lets these two share one buffer; we never do
    assert b.grad.item() == 2.0


def test_add_passthrough_does_not_alias():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data.numpy(), b.grad.data.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.data.numpy(), [1.0, 1.0])


def test_user_gradient_is_not_aliased():
    x = f64([1.0, 2.0])
    g = np.array([1.0, 1.0])
    (x * 1).backward(g)
    x.grad.data.numpy()[0] = 7
    assert g[0] == 1.0


def test_grad_accumulates_across_backward_calls():
    x = f64(3.0)
    (x * x).backward()
    (x * x).backward()
    assert x.grad.item() == 12.0
    x.grad = None
    (x * 2).backward()
    assert x.grad.item() == 2.0


# --------------------------------------------------------------------------- depth, memory
def test_200k_chain_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 1000 or True
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        x = tensor(0.5, requires_grad=True)
        y = x
        for _ in range(200_000):
            y = y + 1.0
        y.backward()
        assert x.grad.item() == 1.0
        del y  # freeing a long chain must not recurse either
    finally:
        sys.setrecursionlimit(old)


def test_intermediates_released_after_backward_without_gc():
    gc.disable()
    try:
        x = f64(np.ones(5))
        a = x * 2
        b = a.exp()
        loss = b.sum()
        refs = [weakref.ref(a), weakref.ref(b)]
        del a, b
        assert all(r() is not None for r in refs)   # the graph keeps them for backward
        loss.backward()
        assert all(r() is None for r in refs)       # freed by reference counting alone
    finally:
        gc.enable()


def test_graph_released_when_output_dropped():
    gc.disable()
    try:
        x = f64(np.ones(3))
        y = (x * 3).sin()
        r = weakref.ref(y.grad_fn)
        del y
        assert r() is None
    finally:
        gc.enable()


# --------------------------------------------------------------------------- errors
def test_backward_twice_raises_with_hint():
    x = f64(2.0)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_twice_with_retain_graph():
    x = f64(2.0)
    y = (x * x).exp()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 2 * 4 * np.exp(4))


def test_nonscalar_backward_needs_gradient():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data.numpy(), [2.0, 6.0])


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor(1.0).backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tensor([True]).requires_grad_()


def test_inplace_after_save_raises_at_backward_naming_op():
    x = f64([1.0, 2.0])
    y = x.sigmoid()            # sigmoid saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"in-place.*sigmoid|sigmoid.*in-place"):
        y.sum().backward()


def test_inplace_on_saved_input_raises():
    x = f64([1.0, 2.0])
    a = x * 1
    b = a * a                  # mul saves a
    with no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match="input 0 of `mul`"):
        b.sum().backward()


def test_inplace_not_needed_by_backward_is_fine():
    x = f64([1.0, 2.0])
    a = x + 1                  # add needs no values
    a.mul_(3)                  # in-place on a non-leaf is recorded
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [3.0, 3.0])
    assert a._version == 1


def test_inplace_on_leaf_requiring_grad_raises():
    x = f64([1.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.add_(1)
    with no_grad():
        x.add_(1)
    assert x.item() == 2.0


def test_setitem_is_differentiable():
    x = f64([1.0, 2.0, 3.0])
    v = f64(5.0)
    y = x * 1
    y[1] = v * 2
    (y * tensor([1.0, 10.0, 100.0], dtype=np.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [1.0, 0.0, 100.0])
    assert v.grad.item() == 20.0


def test_grad_unused_input():
    x, z = f64(1.0), f64(2.0)
    y = x * 3
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        grad(y, [x, z], retain_graph=True)
    gx, gz = grad(y, [x, z], allow_unused=True)
    assert gx.item() == 3.0 and gz is None


# --------------------------------------------------------------------------- grad(), hooks, modes
def test_grad_with_grad_outputs_does_not_touch_dot_grad():
    x = f64([1.0, 2.0])
    y = x * x
    (g,) = grad(y, x, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(g.data.numpy(), [2.0, 40.0])
    assert x.grad is None


def test_grad_of_non_leaf():
    x = f64(2.0)
    h = x * 3
    y = h * h
    (gh,) = grad(y, h)
    assert gh.item() == 12.0


def test_hooks_and_retain_grad():
    x = f64([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.data.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.data.numpy(), [4.0, 8.0])
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])
    np.testing.assert_array_equal(x.grad.data.numpy(), [80.0, 160.0])


def test_hook_handle_remove():
    x = f64(1.0)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 5).backward()
    assert x.grad.item() == 5.0


def test_no_grad_enable_grad_and_decorators():
    x = f64(1.0)
    with no_grad():
        assert (x * 2).grad_fn is None
        with ag.enable_grad():
            assert (x * 2).grad_fn is not None

    @no_grad()
    def f(t):
        return t * 2

    assert f(x).grad_fn is None and ag.is_grad_enabled()
    ag.set_grad_enabled(False)
    try:
        assert (x * 2).grad_fn is None
    finally:
        ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_grad_mode_is_thread_local():
    results = {}

    def worker():
        results["thread"] = ag.is_grad_enabled()

    with no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not ag.is_grad_enabled()
    assert results["thread"] is True


def test_detach_and_requires_grad_propagation():
    x = f64(2.0)
    d = (x * 3).detach()
    assert d.grad_fn is None and not d.requires_grad
    c = tensor(1.0, dtype=np.float64)
    assert not (c * 2).requires_grad
    assert (c * x).requires_grad


# --------------------------------------------------------------------------- higher order
def test_third_derivative_matches_closed_form():
    x = f64(0.7)
    y = x.sin() * x ** 3
    (g1,) = grad(y, x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    v = 0.7
    d1 = np.cos(v) * v ** 3 + 3 * v ** 2 * np.sin(v)
    d2 = -np.sin(v) * v ** 3 + 6 * v ** 2 * np.cos(v) + 6 * v * np.sin(v)
    d3 = -np.cos(v) * v ** 3 - 9 * v ** 2 * np.sin(v) + 18 * v * np.cos(v) + 6 * np.sin(v)
    np.testing.assert_allclose([g1.item(), g2.item(), g3.item()], [d1, d2, d3], rtol=1e-12)


def test_hessian_closed_form():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    A = tensor(a, dtype=np.float64)

    def f(x):                  # x^T A x + sum(exp(x))  ->  H = 2A + diag(exp(x))
        return (x @ A @ x) + x.exp().sum()

    xv = np.array([0.3, -0.2])
    H = ag.functional.hessian(f, tensor(xv, dtype=np.float64))
    np.testing.assert_allclose(H.data.numpy(), 2 * a + np.diag(np.exp(xv)), rtol=1e-12)


def test_jacobian_vjp_jvp():
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def f(x):
        return tensor(W, dtype=np.float64) @ x.tanh()

    xv = np.array([0.1, -0.4, 0.9])
    J = W * (1 - np.tanh(xv) ** 2)
    x = tensor(xv, dtype=np.float64)
    np.testing.assert_allclose(ag.functional.jacobian(f, x).data.numpy(), J, rtol=1e-12)
    v = np.array([1.0, -2.0])
    _, vj = ag.functional.vjp(f, x, tensor(v, dtype=np.float64))
    np.testing.assert_allclose(vj.data.numpy(), v @ J, rtol=1e-12)
    u = np.array([0.5, 0.25, -1.0])
    _, jv = ag.functional.jvp(f, x, tensor(u, dtype=np.float64))
    np.testing.assert_allclose(jv.data.numpy(), J @ u, rtol=1e-12)


def test_create_graph_gradient_is_differentiable_and_accumulates():
    x = f64(3.0)
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.grad_fn is not None          # 3x^2, still in the graph
    gx = x.grad
    x.grad = None
    gx.backward()
    assert x.grad.item() == 18.0               # d(3x^2)/dx = 6x


# --------------------------------------------------------------------------- Function, gradcheck
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


class WrongCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        wrong = 3 * x * x
        wrong.data.numpy()[..., -1] += 0.5          # a bug only in the last element
        return wrong * g


def test_custom_function_forward_backward_and_double_backward():
    x = f64([1.0, 2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube"
    assert gradcheck(Cube.apply, (x,))
    assert ag.gradgradcheck(Cube.apply, (x,))


def test_gradcheck_catches_wrong_backward_and_names_worst_element():
    x = f64([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]])
    with pytest.raises(ag.GradcheckError) as info:
        gradcheck(lambda t: WrongCube.apply(t).sin(), (x,))
    rep = info.value.report
    assert rep.input_index == 0
    assert rep.element[-1] == 2                # the last column is the broken one
    msg = str(info.value)
    assert "worst element" in msg and "analytical" in msg and "numerical" in msg
    report = gradcheck(WrongCube.apply, (x,), raise_exception=False)
    assert not report and report.element[-1] == 2
    assert not gradcheck(WrongCube.apply, (x,), raise_exception=False, fast_mode=True)


def test_numerical_grad():
    x = f64([1.0, 2.0])
    g = ag.numerical_grad(lambda t: (t ** 3).sum(), x)
    np.testing.assert_allclose(g, [3.0, 12.0], rtol=1e-8)


def test_scalar_constant_cache_keeps_signed_zero_and_dtype():
    x = tensor([1.0], dtype=np.float64)
    with np.errstate(divide="ignore"):
        assert (1 / (x * -0.0)).item() == -np.inf
        assert (1 / (x * 0.0)).item() == np.inf
    assert (tensor([1.0]) + 1.0).dtype == np.float32
    assert (x + 1.0).dtype == np.float64
    assert (tensor([1, 2]) + 1).dtype == np.int64


def test_zero_d_results_expose_arrays():
    x = tensor(2.0, requires_grad=True)
    y = x * 3.0 + 1.0
    assert isinstance(y.data.numpy(), np.ndarray) and y.data.numpy().shape == ()
    assert y.data.numpy() is y.data.numpy()
    y.backward()
    assert isinstance(x.grad.data.numpy(), np.ndarray) and x.grad.item() == 3.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_0d_leaf_used_many_times_accumulates(dtype):
    # regression (NOTES_bench.md #1): 0-d accumulation produced NumPy scalars that were
    # later used as `out=` buffers
    c = tensor(0.5, requires_grad=True, dtype=dtype)
    x = tensor(0.25, requires_grad=True, dtype=dtype)
    y = x
    for _ in range(5):
        y = y + c
    y.backward()
    assert c.grad.item() == 5.0 and x.grad.item() == 1.0
