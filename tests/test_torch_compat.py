"""PyTorch scripts run with `import autograd as torch` (issue 12): each gap, checked
against torch 2.13 itself.

Most tests run one snippet twice, ``f(torch)`` and ``f(ag)``, and compare what comes
back (values, dtypes, shapes, error classes and phrases). The lazy-module and
import-statement forms are in test_torch_compat_imports.py, the Function/ctx and
engine ones in test_torch_compat_autograd.py, the corpus in test_compat_corpus.py.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd as ag
import nn

LIBS = pytest.mark.parametrize("lib", [torch, ag], ids=["torch", "tapegrad"])


def arr(t) -> np.ndarray:
    """A Tensor of either library as a NumPy array."""
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def dname(dtype) -> str:
    """'float32' for torch.float32 and np.float32 alike."""
    return str(dtype).replace("torch.", "") if not isinstance(dtype, type) else np.dtype(dtype).name


def same(f, rtol=1e-6, atol=1e-7):
    """Run ``f(lib)`` for torch and tapegrad; compare values, shapes and dtypes."""
    a, b = f(torch), f(ag)
    _same(a, b, rtol, atol)
    return a, b


def _same(a, b, rtol, atol):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            _same(x, y, rtol, atol)
    elif isinstance(a, torch.Tensor):
        assert isinstance(b, ag.Tensor), type(b)
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        assert dname(a.dtype) == dname(b.dtype), (a.dtype, b.dtype)
        np.testing.assert_allclose(arr(b), arr(a), rtol=rtol, atol=atol)
    else:
        assert a == b, (a, b)


def meta(t):
    """Shape and dtype (for uninitialised tensors: torch.Tensor(5, 5), empty, ...)."""
    return tuple(t.shape), dname(t.dtype)


def raises(f, lib):
    try:
        f(lib)
    except Exception as e:  # noqa: BLE001
        return e
    raise AssertionError(f"{lib.__name__}: no exception")


# --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", ["float", "double", "half", "long", "int", "short", "bool",
                                  "float16", "float32", "float64", "int8", "int16", "int32",
                                  "int64", "uint8"])
def test_dtype_aliases(name):
    same(lambda L: L.zeros(2, dtype=getattr(L, name)))
    same(lambda L: L.tensor([1, 0], dtype=getattr(L, name)))


@pytest.mark.parametrize("meth", ["float", "double", "half", "long", "int", "short", "bool",
                                  "byte", "char"])
def test_conversion_methods(meth):
    same(lambda L: getattr(L.tensor([1.5, -2.0, 0.0]), meth)())


def test_type_with_a_dtype_a_class_or_a_name():
    same(lambda L: L.tensor([1.5, 2.0]).type(L.float64))
    same(lambda L: L.tensor([1.5, 2.0]).type(L.LongTensor))
    same(lambda L: L.tensor([1.5, 2.0]).type("torch.LongTensor"))
    same(lambda L: L.tensor([1.5, 2.0]).type(L.int32).type())
    same(lambda L: (L.tensor([1, 2]).type(), L.tensor([1.0]).double().type(),
                    L.tensor([True]).type()))


def test_type_conversion_keeps_the_gradient():
    def f(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x.double() * x.type(L.float64)).sum().backward()
        return x.grad
    same(f)


# --------------------------------------------------------------------------- creation
def test_normal_forms():
    for L in (torch, ag):
        L.manual_seed(0)
        a = L.normal(2.0, 3.0, size=(20000,))
        assert tuple(a.shape) == (20000,) and dname(a.dtype) == "float32"
        assert abs(float(a.mean()) - 2.0) < 0.1 and abs(float(a.std()) - 3.0) < 0.1
        assert tuple(L.normal(L.zeros(3, 1), 1.0).shape) == (3, 1)
        assert tuple(L.normal(2.0, L.ones(2, 2)).shape) == (2, 2)
        b = L.normal(L.zeros(4000), L.full((4000,), 0.5))
        assert abs(float(b.std()) - 0.5) < 0.05
    assert type(raises(lambda L: L.normal(0.0, 1.0), torch)) is type(raises(lambda L: L.normal(0.0, 1.0), ag))


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
def test_like_family(fn):
    for dt in (None, "float64"):
        a, b = same(lambda L: getattr(L, fn)(L.ones(2, 3, dtype=L.float32),
                                             **({} if dt is None else {"dtype": getattr(L, dt)}))
                    .shape)
        for L in (torch, ag):
            t = getattr(L, fn)(L.ones(2, 3), dtype=None if dt is None else getattr(L, dt),
                               requires_grad=True)
            assert dname(t.dtype) == (dt or "float32") and t.requires_grad
    same(lambda L: L.full_like(L.ones(2, 2), 7.0))
    same(lambda L: L.full_like(L.ones(2, dtype=L.long), 3))
    same(lambda L: L.zeros_like(L.tensor([1, 2])))
    same(lambda L: L.randint_like(L.zeros(3, dtype=L.long), 5, 6))


def test_tensor_constructors():
    same(lambda L: meta(L.Tensor(5, 5)))
    same(lambda L: meta(L.Tensor(3)))
    same(lambda L: L.Tensor([1, 2]))
    same(lambda L: L.Tensor([[1.5, 2], [3, 4]]))
    same(lambda L: L.Tensor())
    same(lambda L: meta(L.FloatTensor(2, 3)))
    same(lambda L: L.FloatTensor([1, 2]))
    same(lambda L: L.LongTensor([1, 2]))
    same(lambda L: L.DoubleTensor([1, 2]))
    same(lambda L: L.BoolTensor([1, 0]))
    same(lambda L: (isinstance(L.zeros(2), L.FloatTensor), isinstance(L.zeros(2), L.LongTensor),
                    isinstance(L.zeros(2, dtype=L.long), L.LongTensor),
                    isinstance(L.zeros(2), L.Tensor)))


def test_creation_keywords_and_size_forms():
    same(lambda L: L.zeros(2, 3))
    same(lambda L: L.zeros((2, 3)))
    same(lambda L: L.zeros([2, 3]))
    same(lambda L: L.ones(size=(2, 3)))
    same(lambda L: L.full((2,), 1.5))
    same(lambda L: L.arange(0, 1, 0.25))
    same(lambda L: L.arange(5, dtype=L.float32))
    same(lambda L: L.linspace(-1, 1, steps=5))
    same(lambda L: L.eye(3))
    same(lambda L: L.empty(2, 2).fill_(3.0))
    same(lambda L: L.randint(10, (3,)).shape)
    same(lambda L: dname(L.randint(0, 10, size=(2, 2)).dtype))
    same(lambda L: L.zeros(3).uniform_(-1, 1).shape)
    for L in (torch, ag):
        u = L.empty(1000).uniform_(-2, 2)
        assert float(u.min()) >= -2 and float(u.max()) < 2 and float(u.max()) > 1.5
        n = L.empty(4000).normal_(1.0, 0.5)
        assert abs(float(n.mean()) - 1) < 0.05


def test_variable_is_the_identity():
    for L in (torch, ag):
        x = L.ones(2)
        assert isinstance(L.autograd.Variable(x), L.Tensor)
        assert not L.autograd.Variable(x).requires_grad
        v = L.autograd.Variable(L.ones(2), requires_grad=True)
        assert v.requires_grad and isinstance(v, L.Tensor)


def test_size_and_small_helpers():
    same(lambda L: (L.zeros(2, 3).shape == L.Size([2, 3]), L.numel(L.zeros(2, 3)),
                    L.is_tensor(L.zeros(1)), L.is_tensor([1]),
                    L.allclose(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0 + 1e-9])),
                    L.equal(L.tensor([1, 2]), L.tensor([1, 2])),
                    L.zeros(2, 3).nelement(), L.zeros(2, 3).ndimension(),
                    L.zeros(2, dtype=L.float64).element_size()))
    same(lambda L: L.isclose(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.1])))


# --------------------------------------------------------------------------- devices
CREATORS = [lambda L, d: L.zeros(2, device=d), lambda L, d: L.ones(2, device=d),
            lambda L, d: L.empty(2, device=d), lambda L, d: L.full((2,), 1.0, device=d),
            lambda L, d: L.arange(3, device=d), lambda L, d: L.linspace(0, 1, 3, device=d),
            lambda L, d: L.eye(2, device=d), lambda L, d: L.tensor([1.0], device=d),
            lambda L, d: L.randn(2, device=d), lambda L, d: L.rand(2, device=d),
            lambda L, d: L.randint(0, 3, (2,), device=d), lambda L, d: L.randperm(3, device=d),
            lambda L, d: L.zeros_like(L.ones(2), device=d), lambda L, d: L.ones_like(L.ones(2), device=d),
            lambda L, d: L.full_like(L.ones(2), 2.0, device=d), lambda L, d: L.rand_like(L.ones(2), device=d),
            lambda L, d: L.randn_like(L.ones(2), device=d), lambda L, d: L.empty_like(L.ones(2), device=d),
            lambda L, d: L.normal(0.0, 1.0, size=(2,), device=d),
            lambda L, d: L.ones(2).new_zeros(3, device=d)]


@pytest.mark.parametrize("k", range(len(CREATORS)))
def test_device_keyword_on_every_creation_function(k):
    for L in (torch, ag):
        for d in ("cpu", L.device("cpu"), "cpu:0" if L is ag else "cpu", None):
            t = CREATORS[k](L, d)
            assert str(t.device) == "cpu" and t.device == L.device("cpu")
    e = raises(lambda L: CREATORS[k](L, "cuda"), ag)
    assert isinstance(e, RuntimeError) and isinstance(e, AssertionError)
    assert "CPU only" in str(e) and "not compiled with CUDA" in str(e)


def test_device_objects_and_tensor_device():
    same(lambda L: (repr(L.device("cpu")), str(L.device("cpu")), L.device("cpu") == "cpu",
                    repr(L.zeros(1).device), L.zeros(1).device.type, L.zeros(1).is_cuda,
                    repr(L.device("cuda", 0)), str(L.device("cuda:1")), L.device("cpu").index,
                    L.cuda.is_available(), L.cuda.device_count(),
                    L.backends.mps.is_available()))
    for L in (torch, ag):
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            L.device("gpu")
        L.set_default_device("cpu")
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            L.zeros(1).cuda()
    with pytest.raises(RuntimeError, match="CPU only"):
        ag.set_default_device("cuda")
    dev = "cuda" if ag.cuda.is_available() else "cpu"
    assert ag.zeros(1, device=dev).device == ag.device("cpu")


def test_to_dtype_device_and_tensor():
    same(lambda L: L.tensor([1.5, 2]).to("cpu"))
    same(lambda L: L.tensor([1.5, 2]).to(L.device("cpu")))
    same(lambda L: L.tensor([1.5, 2]).to(L.float64))
    same(lambda L: L.tensor([1.5, 2]).to("cpu", L.int64))
    same(lambda L: L.tensor([1.5, 2]).to(device="cpu", dtype=L.float64))
    same(lambda L: L.tensor([1.5, 2]).to(L.tensor([1], dtype=L.int32)))
    same(lambda L: L.tensor([1.5, 2]).cpu())
    for L in (torch, ag):
        x = L.ones(2)
        assert x.to("cpu") is x and x.to(L.float32) is x and x.to("cpu", copy=True) is not x
    assert isinstance(raises(lambda L: L.ones(2).to("cuda"), ag), AssertionError)


def test_module_to_and_cpu():
    for L in (torch, ag):
        m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU())
        assert m.to("cpu") is m and m.cpu() is m and m.to(L.device("cpu")) is m
        m.to(L.float64)
        assert dname(m[0].weight.dtype) == "float64" and dname(m[0].bias.dtype) == "float64"
        m.to("cpu", L.float32)
        assert dname(m[0].weight.dtype) == "float32"
        with pytest.raises(TypeError, match="floating point"):
            m.to(L.int64)
        assert isinstance(m[0].weight, L.nn.Parameter)
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        nn.Linear(2, 2).to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(2, 2).cuda()


# --------------------------------------------------------------------------- .data
def test_data_is_a_tensor_sharing_storage_outside_the_graph():
    def f(L):
        p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (p * p).sum().backward()
        d = p.data
        info = (type(d) is L.Tensor or isinstance(d, L.Tensor), d.requires_grad, d.grad_fn is None,
                p.data.is_leaf)
        p.data -= 0.1 * p.grad
        p.data[:] -= 0.1 * p.grad
        p.data.mul_(2)
        return info, p, p.requires_grad, p.grad_fn is None, p._version
    same(f)


def test_data_update_of_a_weight_in_a_training_loop():
    def f(L):
        w = L.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
        x = L.tensor(np.arange(6, dtype=np.float32).reshape(3, 2) / 6)
        out = []
        for _ in range(3):
            loss = ((x @ w) ** 2).mean()
            loss.backward()
            w.data = w.data - 0.5 * w.grad.data
            w.grad.data.zero_()
            out.append(loss.item())
        return w, out
    a, b = f(torch), f(ag)
    np.testing.assert_allclose(arr(b[0]), arr(a[0]), rtol=1e-6)
    np.testing.assert_allclose(b[1], a[1], rtol=1e-6)


def test_data_and_numpy():
    for L in (torch, ag):
        x = L.ones(3, requires_grad=True)
        a = x.data.numpy()
        a[0] = 5.0
        assert float(x[0]) == 5.0      # same storage
        with pytest.raises(RuntimeError, match="requires grad"):
            x.numpy()
        assert float(x.detach().numpy()[0]) == 5.0


# --------------------------------------------------------------------------- .grad
GRAD_CASES = [("int", lambda L: 0, TypeError, "assigned grad expected to be a Tensor or None"),
              ("list", lambda L: [1.0, 2.0, 3.0], TypeError, "Tensor or None"),
              ("shape", lambda L: L.zeros(2), RuntimeError, "same size"),
              ("dtype", lambda L: L.zeros(3, dtype=L.float64), RuntimeError, "gradient with dtype"),
              ("long", lambda L: L.zeros(3, dtype=L.long), RuntimeError, "gradient with dtype")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grad_assignment_checks_like_torch(case):
    _, value, cls, phrase = case
    for L in (torch, ag):
        x = L.zeros(3, requires_grad=True)
        with pytest.raises(cls, match=phrase):
            x.grad = value(L)
        x.grad = L.ones(3)
        x.grad = None
        assert x.grad is None


# --------------------------------------------------------------------------- indexing
INDEXES = [lambda L, x: x[range(2)], lambda L, x: x[range(0, 3, 2), 1], lambda L, x: x[:, range(2)],
           lambda L, x: x[[0, 2]], lambda L, x: x[[True, False, True]], lambda L, x: x[x > 5],
           lambda L, x: x[L.tensor([2, 0])], lambda L, x: x[L.tensor([True, False, True])],
           lambda L, x: x[:, [0, 1]], lambda L, x: x[[0, 1], [1, 2]], lambda L, x: x[None, ..., 0],
           lambda L, x: x[L.tensor(1)], lambda L, x: x[1:L.tensor(3)], lambda L, x: x[np.int64(1)],
           lambda L, x: x[..., ::2], lambda L, x: x[-1], lambda L, x: x[[[0, 1], [1, 2]]],
           lambda L, x: x[(0, 1)], lambda L, x: x[0][1], lambda L, x: x[1:, 2:],
           lambda L, x: x[:, None], lambda L, x: x[[0, 2], :][:, [1]], lambda L, x: x[..., -1],
           lambda L, x: x[L.arange(3), L.tensor([0, 1, 3])], lambda L, x: x[np.array([1, 2])]]


@pytest.mark.parametrize("k", range(len(INDEXES)))
def test_every_cpu_index_form(k):
    def f(L):
        x = L.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True)
        y = INDEXES[k](L, x)
        (y * y).sum().backward()
        return y, x.grad
    same(f)


@pytest.mark.parametrize("k", [0, 2, 3, 4, 6, 7, 9, 11, 16, 18, 23])
def test_every_cpu_index_form_in_assignment(k):
    def f(L):
        x = L.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
        ix = {0: range(2), 2: (slice(None), range(2)), 3: [0, 2], 4: [True, False, True],
              6: L.tensor([2, 0]), 7: L.tensor([True, False, True]), 9: ([0, 1], [1, 2]),
              11: L.tensor(1), 16: [[0, 1], [1, 2]], 18: (0, 1), 23: (L.arange(3), L.tensor([0, 1, 3]))}[k]
        x[ix] = -1.0
        return x
    same(f)


# --------------------------------------------------------------------------- save/load & co
def test_save_load_round_trip_of_a_ported_script(tmp_path):
    for L in (torch, ag):
        m = L.nn.Linear(3, 2)
        path = str(tmp_path / f"{L.__name__}.pth")
        L.save(m.state_dict(), path)
        m2 = L.nn.Linear(3, 2)
        m2.load_state_dict(L.load(path, map_location="cpu", weights_only=True))
        np.testing.assert_array_equal(arr(m2.weight), arr(m.weight))
    with pytest.raises(RuntimeError, match="CPU only"):
        ag.load(path, map_location="cuda")


def test_inference_mode_and_set_printoptions():
    for L in (torch, ag):
        x = L.ones(2, requires_grad=True)
        with L.inference_mode():
            assert not (x * 2).requires_grad
    ag.set_printoptions(precision=3)
    try:
        assert "0.333" in repr(ag.tensor([1 / 3])) and "0.3333" not in repr(ag.tensor([1 / 3]))
    finally:
        np.set_printoptions(precision=8)
