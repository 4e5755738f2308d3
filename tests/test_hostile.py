"""Issue 17: every silent wrong answer and raw error found under hostile input, pinned
against PyTorch 2.13 (the reference is computed, never typed in).

Each test is one case of the issue's list (or one of its kind the fuzzer found); the
classes and messages are in docs/errors.md, the deliberate differences in
docs/conventions.md and docs/errors.md.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn import optim

torch.set_num_threads(1)


def grad_of(fn, x, lib):
    """The gradient of fn(x).sum() at x (a list) in tapegrad or torch, as float64 numbers."""
    if lib == "ag":
        t = ag.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
        fn(t).sum().backward()
        return np.asarray(t.grad, dtype=np.float64)
    t = torch.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    fn(t).sum().backward()
    return t.grad.double().numpy()


def raises_like_torch(ours, theirs):
    """Both raise; tapegrad's exception is an instance of PyTorch's class."""
    with pytest.raises(Exception) as t:
        theirs()
    cls = RuntimeError if t.type is NotImplementedError else t.type
    with pytest.raises(cls) as o:
        ours()
    return o.value


# --------------------------------------------------------------------------- optimizer.step
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_step_bumps_the_version_so_a_stale_graph_refuses_backward(name):
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    wt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss, loss_t = (w * w).sum(), (wt * wt).sum()
    for p, o, l in ((w, getattr(optim, name)([w], lr=0.5), None),
                    (wt, getattr(torch.optim, name)([wt], lr=0.5), None)):
        (p * 1).sum().backward()
        o.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss_t.backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()  # (the silent answer was [2, 4, 6] - the weights after the step)


def test_data_writes_are_silent_as_in_torch():
    """docs/errors.md: writing through .data bypasses the version counter in PyTorch;
    tapegrad's optimizers therefore call ag.increment_version (PyTorch's
    torch.autograd.graph.increment_version) after their writes."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    ag.increment_version(w)
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


# --------------------------------------------------------------------------- std / var
def test_std_of_a_constant_has_a_zero_gradient():
    x = [2.0, 2.0, 2.0]
    np.testing.assert_array_equal(grad_of(lambda t: t.std(), x, "ag"),
                                  grad_of(lambda t: t.std(), x, "torch"))
    assert np.all(grad_of(lambda t: t.std(), x, "ag") == 0)


@pytest.mark.parametrize("fn", ["std", "var"])
def test_std_var_do_not_overflow_in_float32(fn):
    x = [1e30, -1e30] * 5
    a = ag.tensor(np.float32(x), requires_grad=True)
    t = torch.tensor(np.float32(x), requires_grad=True)
    ya, yt = getattr(a, fn)(), getattr(t, fn)()
    ya.backward(), yt.backward()
    np.testing.assert_allclose(float(ya), float(yt), rtol=1e-5)  # std 1.054e30, var inf
    np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=1e-5)
    assert np.isfinite(np.asarray(a.grad)).all()


def test_var_with_no_degrees_of_freedom_warns_like_torch():
    for lib in (ag, torch):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            lib.ones(1).var()
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom"):
        ag.ones(1).std()


def test_std_error_names_std():
    with pytest.raises(IndexError, match=r"^std: dimension 5"):
        ag.ones(2, 3).std(dim=5)


# --------------------------------------------------------------------------- max / min
@pytest.mark.parametrize("fn", ["max", "amax"])
def test_float16_ties_beyond_65504_keep_their_gradient(fn):
    a = ag.ones(70000, dtype=np.float16, requires_grad=True)
    t = torch.ones(70000, dtype=torch.float16, requires_grad=True)
    getattr(a, fn)().backward(), getattr(t, fn)().backward()
    np.testing.assert_allclose(np.asarray(a.grad, dtype=np.float64),
                               t.grad.double().numpy(), rtol=1e-3)
    assert float(np.asarray(a.grad)[0]) > 0


@pytest.mark.parametrize("fn", ["max", "min"])
def test_full_max_with_nan_routes_the_gradient_to_the_nans(fn):
    x = [1.0, float("nan"), 3.0, float("nan")]
    np.testing.assert_array_equal(grad_of(lambda t: getattr(t, fn)(), x, "ag"),
                                  grad_of(lambda t: getattr(t, fn)(), x, "torch"))


@pytest.mark.parametrize("fn", ["minimum", "maximum"])
@pytest.mark.parametrize("a,b", [(np.nan, np.nan), (np.nan, 1.0), (1.0, np.nan), (1.0, 1.0)])
def test_minimum_maximum_nan_gradients_as_torch(fn, a, b):
    out = []
    for lib, mk in ((ag, lambda v: ag.tensor([v], requires_grad=True)),
                    (torch, lambda v: torch.tensor([v], requires_grad=True))):
        x, y = mk(a), mk(b)
        getattr(lib, fn)(x, y).sum().backward()
        out.append((float(x.grad[0]), float(y.grad[0])))
    assert out[0] == out[1]


def test_max_of_an_empty_tensor_is_a_runtime_error():
    e = raises_like_torch(lambda: ag.ones(0).max(), lambda: torch.ones(0).max())
    assert isinstance(e, ValueError) and str(e).startswith("max")  # (old except ValueError)
    raises_like_torch(lambda: ag.ones(0, 3).amax(0), lambda: torch.ones(0, 3).amax(0))


# --------------------------------------------------------------------------- activations
@pytest.mark.parametrize("fn", ["softplus", "gelu", "leaky_relu", "elu", "silu", "softmax",
                                "log_softmax"])
def test_activations_refuse_integer_tensors_like_torch(fn):
    args = (0,) if fn in ("softmax", "log_softmax") else ()
    e = raises_like_torch(lambda: getattr(ag, fn)(ag.tensor([1, 2, -4]), *args),
                          lambda: getattr(torch.nn.functional, fn)(torch.tensor([1, 2, -4]), *args))
    assert fn in str(e)


@pytest.mark.parametrize("fn", ["sigmoid", "tanh", "exp", "sin", "erf"])
def test_float_math_of_integers_is_float_like_torch(fn):
    a = getattr(ag, fn)(ag.tensor([1, 2, -4]))
    t = getattr(torch, fn)(torch.tensor([1, 2, -4]))
    assert a.dtype == np.float32 and t.dtype == torch.float32
    np.testing.assert_allclose(np.asarray(a), t.numpy(), rtol=1e-6)


def test_relu_keeps_integers_like_torch():
    assert ag.relu(ag.tensor([1, -2])).tolist() == torch.relu(torch.tensor([1, -2])).tolist()


def test_sign_of_nan_and_square_of_bool_as_torch():
    assert float(ag.sign(ag.tensor([float("nan")]))[0]) == float(torch.sign(torch.tensor([float("nan")]))[0]) == 0
    a, t = ag.square(ag.tensor([True, False])), torch.square(torch.tensor([True, False]))
    assert a.dtype == np.int64 and t.dtype == torch.int64 and a.tolist() == t.tolist()


# --------------------------------------------------------------------------- dims and sizes
@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(3).transpose(100, 0),
    lambda lib: lib.ones(3).permute(5),
    lambda lib: lib.ones(()).sum(1),
    lambda lib: lib.ones(3).sum(1),
    lambda lib: lib.ones(()).softmax(1),
    lambda lib: lib.ones(()).argmax(100),
])
def test_out_of_range_dims_on_0d_and_1d(call):
    raises_like_torch(lambda: call(ag), lambda: call(torch))


def test_0d_accepts_dims_minus_one_and_zero_like_torch():
    for lib in (ag, torch):
        assert tuple(lib.ones(()).transpose(0, -1).shape) == ()
        assert tuple(lib.ones(()).sum(-1).shape) == ()


def test_a_tensor_as_a_size():
    raises_like_torch(lambda: ag.ones(ag.zeros(0, 3)), lambda: torch.ones(torch.zeros(0, 3)))
    assert ag.ones(ag.tensor(2)).shape == tuple(torch.ones(torch.tensor(2)).shape) == (2,)
    assert ag.ones(1).reshape(ag.tensor(1)).shape == tuple(torch.ones(1).reshape(torch.tensor(1)).shape)


@pytest.mark.parametrize("call", [
    lambda lib: lib.linspace(0, 1 + 1j, 2) if lib is ag else (_ for _ in ()).throw(TypeError()),
    lambda lib: lib.ones(2).to("object"),
    lambda lib: lib.ones(2).to("complex64"),
])
def test_unsupported_dtypes_are_refused(call):
    """linspace(0, 1+1j): PyTorch makes a complex tensor; tapegrad has no complex dtype
    and refuses (it used to drop the imaginary part). .to('object'/'complex64'):
    PyTorch reads the string as a device and raises RuntimeError; DtypeError is both."""
    with pytest.raises((TypeError, RuntimeError)):
        call(ag)
    e = pytest.raises(TypeError, call, ag).value
    assert "complex" in str(e) or "dtype" in str(e)


def test_to_object_is_a_runtime_error_like_torch():
    raises_like_torch(lambda: ag.ones(2).to("object"), lambda: torch.ones(2).to("object"))


# --------------------------------------------------------------------------- raw errors
@pytest.mark.parametrize("call,name", [
    (lambda lib: lib.chunk(lib.ones(3), 0), "chunk"),
    (lambda lib: lib.arange(0, 3, 0), "arange"),
    (lambda lib: lib.ones(-1), "ones"),
    (lambda lib: lib.zeros(2, -3), "zeros"),
    (lambda lib: lib.nn.BatchNorm1d(-1), "BatchNorm1d"),
    (lambda lib: lib.nn.Conv2d(3, -5, 3), "Conv2d"),
    (lambda lib: lib.ones(2, 3).softmax((0, 1)), "softmax"),
    (lambda lib: lib.ones(2, 3).transpose(None, 1), "transpose"),
    (lambda lib: lib.tensor([[1, 2], [3]]), "tensor"),
    (lambda lib: lib.nn.functional.one_hot(lib.tensor([-1, 0]), 3), "one_hot"),
    (lambda lib: lib.nn.functional.nll_loss(lib.tensor(1.0), lib.tensor(0)), "nll_loss"),
    (lambda lib: lib.eye(2, 1.5), "eye"),
    (lambda lib: lib.linspace(0, "0.5", 2), "linspace"),
    (lambda lib: lib.randint(7, True), "randint"),
    (lambda lib: lib.ones(2, 3) // lib.ones(4, 3), "floor_divide"),
    (lambda lib: lib.ones(2, 3) % lib.ones(4, 3), "remainder"),
    (lambda lib: lib.nn.Linear(3, 2)(lib.ones(2, 4)), "Linear"),
    (lambda lib: lib.nn.functional.mse_loss(lib.ones(2, 4), lib.ones(3)), "mse_loss"),
    (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([2.0]), lib.tensor([1.0])),
     "binary_cross_entropy"),
    (lambda lib: lib.ones(2).item(), "item"),
    (lambda lib: lib.ones(3).split(1.5), "split"),
    (lambda lib: lib.ones(3).narrow(0, 2, 5), "narrow"),
])
def test_raw_errors_are_clear_and_of_torchs_class(call, name):
    lib_ag = _Lib(ag, nn)
    e = raises_like_torch(lambda: call(lib_ag), lambda: call(_Lib(torch, torch.nn)))
    assert name in str(e), str(e)
    assert type(e).__module__.split(".")[0] in ("builtins", "autograd"), type(e)


class _Lib:
    """``lib.nn`` for both libraries in one lambda."""

    def __init__(self, mod, nnmod):
        self._mod, self.nn = mod, nnmod

    def __getattr__(self, k):
        return getattr(self._mod, k)


def test_cross_entropy_of_a_0d_input():
    with pytest.raises(RuntimeError, match="cross_entropy"):
        F.cross_entropy(ag.tensor(1.0), ag.tensor(0))
    with pytest.raises(RuntimeError):
        torch.nn.functional.cross_entropy(torch.tensor(1.0), torch.tensor(0))


def test_huge_allocations_are_explained():
    for call in (lambda: ag.zeros(10 ** 6, 10 ** 6), lambda: ag.ones(2 ** 40),
                 lambda: ag.randn(2 ** 20, 2 ** 20), lambda: nn.Linear(2 ** 30, 2 ** 30)):
        with pytest.raises(MemoryError, match="cannot allocate.*GiB") as e:
            call()
        assert isinstance(e.value, RuntimeError)  # PyTorch raises RuntimeError for these
    with pytest.raises(RuntimeError):
        torch.zeros(10 ** 6, 10 ** 6)


def test_errors_name_the_op_called_not_an_internal_one():
    with pytest.raises(ag.ShapeError, match=r"^floor_divide:"):
        ag.ones(2, 3) // ag.ones(4, 3)
    with pytest.raises(ag.ShapeError, match=r"^remainder:"):
        ag.ones(2, 3) % ag.ones(4, 3)
    with pytest.raises(IndexError, match=r"^std:"):
        ag.ones(2).std(dim=3)
    with pytest.raises(ag.ShapeError, match=r"^expand:"):
        ag.ones(2, 3).expand(4, 3)
    with pytest.raises(ag.ShapeError, match=r"^mm:"):
        ag.mm(ag.ones(2, 3), ag.ones(3))
    with pytest.raises(RuntimeError, match=r"^copy_:"):
        ag.ones(3, requires_grad=True).copy_(ag.ones(3))
    with pytest.raises(TypeError, match=r"add\(\) missing"):
        ag.add(ag.ones(2))


def test_batch_norm_does_not_write_into_cached_constants():
    """Found by the fuzzer: running statistics given as numbers were ag.as_tensor's
    cached scalar constants, and the in-place update changed every later 1.0."""
    F.batch_norm(ag.ones(2, 3), 1.0, 1.0, training=True)
    assert ag.as_tensor(1.0).shape == () and float(ag.as_tensor(1.0)) == 1.0
    assert float((ag.ones(2, 3) * 1.0).sum()) == 6.0


# --------------------------------------------------------------------------- classes
def test_own_error_classes_are_both_numpy_and_torch_classes():
    assert issubclass(ag.ShapeError, ValueError) and issubclass(ag.ShapeError, RuntimeError)
    assert issubclass(ag.DtypeError, TypeError) and issubclass(ag.DtypeError, RuntimeError)
    assert issubclass(ag.InvalidArgumentError, ValueError)
    assert issubclass(ag.InvalidArgumentError, RuntimeError)
    assert issubclass(ag.OutOfMemoryError, MemoryError)
    assert issubclass(ag.OutOfMemoryError, RuntimeError)


# --------------------------------------------------------------------------- state_dict
def test_load_state_dict_reports_missing_and_unexpected_keys_like_torch():
    m, mt = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    for mod, extra in ((m, np.zeros(1)), (mt, torch.zeros(1))):
        sd = mod.state_dict()
        del sd["bias"]
        sd["x"] = extra
        res = mod.load_state_dict(sd, strict=False)
        assert (list(res.missing_keys), list(res.unexpected_keys)) == (["bias"], ["x"])
    sd = nn.Linear(3, 3).state_dict()
    sd["x"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r"unexpected keys \['x'\].*size mismatch for weight"):
        m.load_state_dict(sd)
    with pytest.raises(RuntimeError, match="size mismatch"):  # even with strict=False
        m.load_state_dict(nn.Linear(3, 3).state_dict(), strict=False)


def test_state_dict_order_and_tied_modules_like_torch():
    def build(lib):
        return lib.Sequential(lib.Linear(2, 2), lib.BatchNorm1d(2), lib.Linear(2, 2))

    assert list(build(nn).state_dict()) == list(build(torch.nn).state_dict())
    lin, lint = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    assert list(nn.Sequential(lin, lin).state_dict()) == \
        list(torch.nn.Sequential(lint, lint).state_dict()) == \
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    tied = nn.Sequential(lin, lin)
    tied.load_state_dict(tied.state_dict())  # the 4 keys load back


# --------------------------------------------------------------------------- warnings
def test_non_leaf_grad_read_warns_like_torch():
    for lib in (ag, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
            assert y.grad is None
    y = ag.ones(2, requires_grad=True) * 2
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None  # retain_grad: no warning


def test_scheduler_before_optimizer_warns_like_torch():
    for o_mod, s_mod, mk in ((optim, optim.lr_scheduler, lambda: ag.ones(2, requires_grad=True)),
                             (torch.optim, torch.optim.lr_scheduler,
                              lambda: torch.ones(2, requires_grad=True))):
        o = o_mod.SGD([mk()], lr=0.1)
        s = s_mod.StepLR(o, 1)
        with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
            s.step()
    o = optim.SGD([ag.ones(2, requires_grad=True)], lr=0.1)
    s = optim.lr_scheduler.StepLR(o, 1)
    o.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()  # the right order: silent


def test_duplicate_parameters_warn_like_torch_and_update_twice():
    w, wt = ag.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        o = optim.SGD([w, w], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ot = torch.optim.SGD([wt, wt], lr=0.1)
    w.grad, wt.grad = ag.ones(3), torch.ones(3)
    o.step(), ot.step()
    np.testing.assert_allclose(np.asarray(w.detach()), wt.detach().numpy())


@pytest.mark.parametrize("kw", [dict(lr=float("nan")), dict(lr=-1.0), dict(betas=(1.5, 0.9)),
                                dict(eps=-1.0), dict(weight_decay=-0.1)])
def test_optimizer_hyperparameters_refused_like_torch(kw):
    raises_like_torch(lambda: optim.Adam([ag.ones(2, requires_grad=True)], **kw),
                      lambda: torch.optim.Adam([torch.ones(2, requires_grad=True)], **kw))


# --------------------------------------------------------------------------- deliberate
def test_deliberate_python_bool_is_a_number():
    """docs/errors.md: True - x is 1 - x (Python's semantics); PyTorch refuses it."""
    with pytest.raises(RuntimeError):
        True - torch.ones(2)
    assert (True - ag.ones(2)).tolist() == [0.0, 0.0]


def test_deliberate_index_out_of_range_is_index_error():
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).index_select(1, torch.tensor([5]))
    with pytest.raises(IndexError, match="index_select"):
        ag.ones(2, 3).index_select(1, ag.tensor([5]))


def test_deliberate_var_over_empty_dims_reduces_everything():
    x = np.random.default_rng(0).random((3, 3))
    a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a.std(()).backward(), t.std(()).backward()
    np.testing.assert_allclose(float(a.std(())), float(t.std(())))
    assert np.isinf(t.grad.numpy()).all()          # PyTorch: inf
    ref = torch.tensor(x, requires_grad=True)
    ref.std().backward()
    np.testing.assert_allclose(np.asarray(a.grad), ref.grad.numpy())  # the true gradient


def test_variable_names_itself_like_torch():
    with pytest.raises(RuntimeError, match="Variable: only floating point"):
        ag.Variable(ag.zeros(2, dtype=np.int32), True)
    with pytest.raises(RuntimeError):
        torch.autograd.Variable(torch.zeros(2, dtype=torch.int32), True)
    with pytest.raises(TypeError, match="Variable: requires_grad"):
        ag.Variable(ag.zeros(2), "a")
    with pytest.raises(TypeError):
        torch.autograd.Variable(torch.zeros(2), "a")
    assert ag.Variable(ag.zeros(2), True).requires_grad


def test_fuzz_long_run_fixes_agree_with_torch():
    """Defects the 50,000-call fuzz run (seed 100) found, each against torch 2.13."""
    x = np.array([[1.0, np.nan], [2.0, 3.0]])
    assert np.isnan(ag.norm(ag.tensor(x)).item()) and torch.isnan(torch.linalg.vector_norm(torch.tensor(x)))
    for f, tf in ((ag.argmax, torch.argmax), (ag.argmin, torch.argmin)):
        with pytest.raises(RuntimeError, match="does not support bool"):
            f(ag.tensor([True, False]))
        with pytest.raises(RuntimeError, match="does not support bool"):
            tf(torch.tensor([True, False]))
    with pytest.raises(RuntimeError, match="take"):
        ag.take(ag.zeros(3), ag.tensor([1], dtype=np.int32))
    with pytest.raises(RuntimeError):
        torch.take(torch.zeros(3), torch.tensor([1], dtype=torch.int32))
    for v in ([np.inf], [[np.inf, 2.0]]):
        a = ag.tensor(v, dtype=np.float32, requires_grad=True)
        t = torch.tensor(v, dtype=torch.float32, requires_grad=True)
        dim = a.ndim - 1 if a.ndim == 1 else 0
        a.cumprod(dim).backward(ag.ones(*a.shape) * 1.5)
        t.cumprod(dim).backward(torch.ones(t.shape) * 1.5)
        assert np.array_equal(a.grad.numpy(), t.grad.numpy(), equal_nan=True)
    with pytest.raises(ValueError, match="arange: step"):
        ag.arange(3, 0.5, float("nan"))
    for f in (ag.margin_ranking_loss, ag.cosine_embedding_loss):  # reduction is checked first
        with pytest.raises(ValueError, match="reduction"):
            f(1, 2.0, ag.tensor([1]), 0.0, "zeros")
    with pytest.raises(ValueError):
        torch.nn.functional.margin_ranking_loss(torch.zeros(1), torch.zeros(1), torch.zeros(1),
                                                reduction="zeros")
    with pytest.raises(RuntimeError, match="conv1d: bias"):
        ag.conv1d(ag.zeros(1, 2, 5), ag.zeros(3, 2, 2), ag.zeros(2))
    with pytest.raises(RuntimeError, match="conv1d: input has 2 channels"):
        ag.conv1d(ag.zeros(1, 2, 5), ag.zeros(3, 4, 2))
    with pytest.raises(RuntimeError, match="margin_ranking_loss.*broadcast"):
        ag.margin_ranking_loss(ag.zeros(2), ag.zeros(3), ag.ones(1))


def test_dropout_has_torchs_signature_and_argument_checks():
    # the 4th positional argument is inplace (autograd.dropout's is a seed): no fixed mask
    x = ag.ones(4000)
    y = F.dropout(x, 0.5, True, True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}
    masks = {tuple(F.dropout(ag.ones(64), 0.5, True, True).numpy()) for _ in range(3)}
    assert len(masks) == 3
    for args, cls in [((ag.tensor([1e30]),), ValueError), ((ag.tensor([0.5]),), TypeError),
                      ((ag.tensor([0.5, 0.5]),), RuntimeError),
                      ((0.5, 1), TypeError), ((0.5, "yes"), TypeError)]:
        targs = tuple(torch.tensor(a.numpy()) if isinstance(a, ag.Tensor) else a for a in args)
        with pytest.raises(cls, match="dropout"):
            F.dropout(ag.zeros(2, 3), *args)
        with pytest.raises(cls):
            torch.nn.functional.dropout(torch.zeros(2, 3), *targs)
    assert F.dropout(ag.ones(3), ag.tensor(1.0)).tolist() == [0.0, 0.0, 0.0]   # 0-d p: a number
    w = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        F.dropout(w, 0.5, True, True)
    assert F.dropout(w, 0.5, False, True) is w
    with pytest.raises(TypeError, match="dropout: seed"):
        ag.dropout(ag.ones(3), 0.5, True, "x")


def test_empty_conv_weight_is_refused_like_torch():
    with pytest.raises(RuntimeError, match="conv_transpose2d: non-empty weight"):
        nn.ConvTranspose2d(2, 0, 2)(ag.zeros(2, 3, 4))
    with pytest.raises(RuntimeError):
        torch.nn.ConvTranspose2d(2, 0, 2)(torch.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="conv_transpose2d: non-empty weight"):
        F.conv_transpose2d(ag.zeros(1, 0, 3, 3), ag.zeros(0, 3, 2, 2))
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose2d(torch.zeros(1, 0, 3, 3), torch.zeros(0, 3, 2, 2))


@pytest.mark.parametrize("args", [(True,), (False,), (0, False), (0, True, True), (1, False, False),
                                  ((0, 1), False), (None, False)])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_take_torchs_positional_unbiased(op, args):
    # the argument after dim is unbiased (it was keepdims: x.var(0, False) silently unbiased)
    x = np.arange(12.0).reshape(3, 4) ** 1.5
    t = torch.tensor(x, requires_grad=True)
    a = ag.tensor(x, requires_grad=True)
    rt, ra = getattr(t, op)(*args), getattr(a, op)(*args)
    assert ra.shape == tuple(rt.shape)
    np.testing.assert_allclose(ra.detach().numpy(), rt.detach().numpy(), rtol=1e-12)
    rt.sum().backward(), ra.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(getattr(ag, op)(a, *args).detach().numpy(), rt.detach().numpy(),
                               rtol=1e-12)


def test_var_std_refuse_a_non_bool_unbiased():
    with pytest.raises(TypeError, match="std: unbiased must be a bool"):
        ag.ones(3, 4).std(0, 1)
    with pytest.raises(TypeError):
        torch.ones(3, 4).std(0, 1)
    with pytest.raises(TypeError, match="var: unbiased given twice"):
        ag.var(ag.ones(3), True, unbiased=False)


def test_deliberate_one_hot_is_float():
    # docs/conventions.md: tapegrad's one-hot rows are float32, PyTorch's int64 (same values)
    for y in ([0, 2], 1):
        r, t = F.one_hot(ag.tensor(y), 3), torch.nn.functional.one_hot(torch.tensor(y), 3)
        assert r.dtype == np.float32 and t.dtype == torch.int64
        np.testing.assert_array_equal(r.numpy(), t.numpy())


def test_deliberate_layers_promote_mixed_dtypes():
    # docs/conventions.md: a float64 input through float32 parameters promotes (torch refuses)
    for layer, tlayer, shape in [(nn.Linear(2, 3), torch.nn.Linear(2, 3), (4, 2)),
                                 (nn.Conv1d(2, 3, 2), torch.nn.Conv1d(2, 3, 2), (1, 2, 5)),
                                 (nn.Conv2d(2, 3, 2), torch.nn.Conv2d(2, 3, 2), (1, 2, 4, 4))]:
        x = np.random.default_rng(0).standard_normal(shape)
        with pytest.raises(RuntimeError):
            tlayer(torch.tensor(x))
        tlayer.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in layer.state_dict().items()})
        y = layer(ag.tensor(x))
        y.sum().backward()
        assert y.dtype == np.float64 and layer.weight.grad.dtype == np.float32
        ref = tlayer.double()(torch.tensor(x))
        np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_long_run_fixes_of_the_second_wave():
    # full: a fill value the dtype cannot hold is refused naming full (was a raw OverflowError)
    with pytest.raises(ag.InvalidArgumentError, match="full: fill_value .* int64 without overflow"):
        ag.full(3, 10 ** 20)
    with pytest.raises(RuntimeError):
        torch.full((3,), 1e300, dtype=torch.int64)
    # cat: PyTorch's legacy rule, a 1-D empty tensor fits any shape and keeps its gradient
    for dim in (0, 1):
        e, w = ag.zeros(0, dtype=ag.float64, requires_grad=True), ag.ones(2, 3, requires_grad=True)
        r = ag.cat([w, e], dim)
        t = torch.cat([torch.ones(2, 3), torch.zeros(0, dtype=torch.float64)], dim)
        assert r.shape == tuple(t.shape) and r.dtype == np.float64
        r.sum().backward()
        assert e.grad.shape == (0,) and w.grad.tolist() == [[1.0] * 3] * 2
    with pytest.raises(RuntimeError, match="cat: tensor 2 has shape"):
        ag.cat([ag.zeros(0), ag.ones(2, 3), ag.ones(3, 3)], 1)
    # smooth_l1_loss checks the reduction before beta, as PyTorch
    with pytest.raises(ValueError, match="smooth_l1_loss: reduction"):
        ag.smooth_l1_loss(ag.zeros(2), ag.zeros(2), "zeros", 1 + 1j)
    with pytest.raises(ValueError):
        torch.nn.functional.smooth_l1_loss(torch.zeros(2), torch.zeros(2), reduction="zeros",
                                           beta=1 + 1j)
    # embedding of a ragged list names embedding
    with pytest.raises(ValueError, match="embedding: expected sequence"):
        F.embedding([[1, 2], [3]], ag.zeros(4, 3))
    # gelu(+inf) is +inf in float16 too (docs/errors.md `_kernel_overflow`)
    assert nn.GELU()(ag.tensor([float("inf")], dtype=ag.float16)).tolist() == [float("inf")]


def test_empty_mean_loss_and_negative_groups_name_the_op():
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="kl_div: reduction='mean' of an empty"):
        ag.kl_div(ag.zeros(2, 0, 3), ag.zeros(2, 0, 3))
    with pytest.raises(RuntimeError, match="conv_transpose2d: groups must be a positive"):
        ag.conv_transpose2d(ag.zeros(1, 2, 4, 4), ag.zeros(2, 3, 2, 2), None, 1, 0, 0, -1)
    with pytest.raises(RuntimeError):
        torch.conv_transpose2d(torch.zeros(1, 2, 4, 4), torch.zeros(2, 3, 2, 2), None, 1, 0, 0, -1)


def test_long_run_fixes_of_seed_101():
    # conv1d: a size that is not an int is refused (a 2-element tensor was an item() error,
    # a float padding was truncated: 1.5 -> 1)
    x, w = ag.ones(2, 3, 4), ag.ones(2, 3, 2)
    for kw in (dict(padding=ag.tensor([1, 2])), dict(padding=1.5), dict(stride=True),
               dict(dilation=(2.0,))):
        with pytest.raises(TypeError, match="conv1d: (padding|stride|dilation) must be an int"):
            ag.conv1d(x, w, None, **kw)
    with pytest.raises(TypeError):
        torch.conv1d(torch.ones(2, 3, 4), torch.ones(2, 3, 2), None, padding=1.5)
    assert ag.conv1d(x, w, None, 1, ag.tensor(1)).shape == (2, 2, 5)
    # elu(0) is 0 for any alpha (alpha * expm1(0) was inf * 0 = NaN for an infinite alpha)
    v = [1.0, -1.0, 0.0, -float("inf")]
    for alpha in (-float("inf"), float("inf"), 0.0, 2.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (no NumPy RuntimeWarning either)
            ours = ag.elu(ag.tensor(v), alpha).tolist()
        assert ours == torch.nn.functional.elu(torch.tensor(v), alpha).tolist(), alpha
    # hardtanh checks its bounds before its input, as PyTorch: ValueError, not TypeError
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        ag.hardtanh(None, 3, 0.0)
    with pytest.raises(ValueError):
        torch.nn.functional.hardtanh(None, 3, 0.0)
