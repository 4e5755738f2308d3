"""The autograd surface shared/API.md promises (creation, attributes, dtypes, modes)."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, enable_grad, grad, gradcheck, no_grad, tensor


def test_imports_named_in_the_contract():
    for name in ["Tensor", "tensor", "no_grad", "enable_grad", "grad", "gradcheck", "zeros",
                 "ones", "full", "zeros_like", "ones_like", "arange", "linspace", "eye", "randn",
                 "rand", "randint", "manual_seed", "from_numpy", "set_grad_enabled",
                 "is_grad_enabled", "detect_anomaly", "numerical_grad", "gradgradcheck",
                 "functional", "Function"]:
        assert hasattr(ag, name), name
    for name in ["jacobian", "hessian", "vjp", "jvp"]:
        assert hasattr(ag.functional, name), name


def test_default_dtypes():
    assert tensor(1.0).dtype == np.float32
    assert tensor([1.0, 2]).dtype == np.float32
    assert tensor([1, 2]).dtype == np.int64
    assert tensor([True]).dtype == np.bool_
    assert tensor(np.array([1.0])).dtype == np.float64          # arrays keep theirs
    assert tensor(np.array([1], dtype=np.int32)).dtype == np.int32
    assert Tensor([1.0]).dtype == np.float32                     # Tensor(...) is tensor(...)
    assert ag.zeros(2, 3).dtype == np.float32 and ag.zeros(2, 3).shape == (2, 3)
    assert ag.ones((2,)).shape == (2,)
    assert ag.arange(5).dtype == np.int64 and ag.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert ag.full((2,), 3).dtype == np.int64 and ag.full((2,), 3.0).dtype == np.float32
    assert ag.linspace(0, 1, 5).shape == (5,)
    np.testing.assert_array_equal(ag.eye(3).data.numpy(), np.eye(3))
    assert ag.zeros_like(tensor([1, 2])).dtype == np.int64


def test_tensor_copies_its_input_but_from_numpy_shares():
    a = np.array([1.0, 2.0])
    t = tensor(a)
    a[0] = 9
    assert t.data.numpy()[0] == 1.0
    s = ag.from_numpy(a)
    a[1] = 7
    assert s.data.numpy()[1] == 7


def test_attributes():
    t = tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size() == (2, 3) and t.size(1) == 3
    assert t.numel() == 6 and t.is_leaf and t.grad is None and t.grad_fn is None
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    np.testing.assert_array_equal(np.asarray(t), t.data.numpy())
    y = t.sum()
    assert not y.is_leaf and y.grad_fn.name == "sum"
    assert y.item() == 21.0 and isinstance(y.item(), float)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy() is t.data.numpy()
    assert t.T.shape == (3, 2)


def test_random_functions_are_seeded():
    ag.manual_seed(3)
    a = ag.randn(2, 3).data.numpy()
    b = ag.rand(4).data.numpy()
    c = ag.randint(0, 10, (5,)).data.numpy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(a, ag.randn(2, 3).data.numpy())
    np.testing.assert_array_equal(b, ag.rand(4).data.numpy())
    np.testing.assert_array_equal(c, ag.randint(0, 10, (5,)).data.numpy())
    assert ag.randn(2, requires_grad=True).requires_grad
    assert c.dtype == np.int64 and (0 <= c).all() and (c < 10).all()


def test_comparisons_are_bool_and_not_recorded():
    x = tensor([1.0, -2.0], requires_grad=True)
    m = x > 0
    assert m.dtype == np.bool_ and m.grad_fn is None and not m.requires_grad
    assert (x == x).all().item()


def test_method_and_function_forms_agree():
    x = tensor(np.linspace(0.1, 0.9, 6).reshape(2, 3), dtype=np.float64)
    for name in ["exp", "log", "sqrt", "tanh", "sigmoid", "relu"]:
        np.testing.assert_array_equal(getattr(x, name)().data.numpy(), getattr(ag, name)(x).data.numpy())
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).data.numpy(), ag.sum(x, axis=1, keepdims=True).data.numpy())
    np.testing.assert_array_equal(x.max(dim=1).values.data.numpy(), x.data.numpy().max(axis=1))
    np.testing.assert_array_equal(x.max(dim=1).indices.data.numpy(), x.data.numpy().argmax(axis=1))
    np.testing.assert_array_equal(x.reshape(3, 2).data.numpy(), x.view(3, 2).data.numpy())
    np.testing.assert_array_equal(x.permute(1, 0).data.numpy(), x.data.numpy().T)


def test_numpy_on_the_left_gives_a_tensor():
    x = tensor([1.0, 2.0], requires_grad=True)
    for y in (np.array([1.0, 1.0]) + x, np.array([2.0]) * x, np.ones((2, 2)) @ x,
              np.float64(2.0) - x):
        assert isinstance(y, Tensor) and y.requires_grad


def test_grad_modes_as_decorators_and_contexts():
    x = tensor(1.0, requires_grad=True)

    @enable_grad()
    def inner():
        return x * 2

    with no_grad():
        assert inner().requires_grad
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_inplace_methods_exist_and_bump_versions():
    t = tensor([1.0, 2.0])
    for call in (lambda: t.add_(1), lambda: t.sub_(1), lambda: t.mul_(2), lambda: t.div_(2),
                 lambda: t.clamp_(0, 5), lambda: t.fill_(3), lambda: t.zero_()):
        v = t._version
        assert call() is t
        assert t._version == v + 1
    t[0] = 4.0
    assert t.tolist() == [4.0, 0.0]


def test_user_gradcheck_on_own_function():
    x = tensor(np.array([0.3, -0.7]), requires_grad=True)
    assert gradcheck(lambda t: (t.sin() * t.exp()).sum(), (x,))
    (g,) = grad((x ** 2).sum(), x)
    np.testing.assert_allclose(g.data.numpy(), 2 * x.data.numpy())
