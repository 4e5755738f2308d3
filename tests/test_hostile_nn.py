"""Issue 17 for nn: the layers, functional forms and losses under hostile arguments,
pinned against PyTorch 2.13 (its outcome is computed here, never typed in).

Each test is one kind of defect the bad-input fuzzer (tests/fuzz_api.py) found under
nn/: a raw Python error, an error not naming the layer called, the wrong exception
class, a hang, or a silent/wrong answer. An error must be an instance of the class
PyTorch raises (a ValueError where PyTorch's own Python code asserts or divides by
zero, see the fuzzer's EQUIVALENT table) and name the layer or function.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F

torch.set_num_threads(1)

# PyTorch validates a few values with `assert` or by dividing by them: tapegrad's class
# for a bad value is ValueError there (AssertionError is never raised on purpose)
# (and refuses a Python number where it wants a tensor with an AttributeError)
ACCIDENTS = {AssertionError: ValueError, ZeroDivisionError: ValueError,
             AttributeError: TypeError}


def torch_outcome(fn):
    """PyTorch's exception class for fn(), or None when it returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the class is the point
            return type(e)
    return None


def refuses_like_torch(ours, theirs, name: str):
    """Both refuse; tapegrad's error is of PyTorch's class and names ``name``."""
    cls = torch_outcome(theirs)
    assert cls is not None, "PyTorch accepts this call: the test is wrong"
    cls = {NotImplementedError: RuntimeError}.get(cls, ACCIDENTS.get(cls, cls))
    if cls.__module__.startswith("torch"):
        cls = next(k for k in cls.__mro__ if k.__module__ == "builtins")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(cls) as e:
            ours()
    assert name in str(e.value), f"{name!r} not named in: {e.value}"
    return e.value


def both(fn_name, *args, **kw):
    """(ours, theirs) thunks for nn.<fn_name>(*args) / torch.nn.<fn_name>(*args)."""
    return (lambda: getattr(nn, fn_name)(*args, **kw),
            lambda: getattr(torch.nn, fn_name)(*args, **kw))


# --------------------------------------------------------------------------- constructors
CONSTRUCTORS = [
    # (layer, args): wrong-typed or out-of-range sizes, in the fuzzer's shapes
    ("TransformerEncoderLayer", (-1.0, -1.0)),          # ValueError: not positive
    ("TransformerEncoderLayer", (1.0, 2.0)),            # PyTorch asserts divisibility
    ("TransformerEncoderLayer", (2.0, 1)),              # TypeError: float size
    ("TransformerEncoderLayer", ("a", 1)),
    ("TransformerEncoderLayer", (3, 2)),
    ("TransformerEncoderLayer", (4, 2, -1)),            # RuntimeError: negative dimension
    ("TransformerEncoderLayer", (4, 2, 8, 2.0)),        # dropout out of [0, 1]
    ("TransformerEncoderLayer", (4, 2, 8, 0.1, "tanh")),
    ("TransformerDecoderLayer", (0.5, 1.0)),
    ("TransformerDecoderLayer", ((), 0.5, 1.0)),
    ("TransformerDecoderLayer", (2, 1, 0.5)),           # float dim_feedforward
    ("TransformerEncoder", (3, 2.0)),
    ("TransformerEncoder", (0, 1)),                     # not a layer: TypeError
    ("TransformerDecoder", (3, "a")),
    ("MultiheadAttention", ([], 2)),
    ("MultiheadAttention", (1, 3)),
    ("MultiheadAttention", (4, 2, 0.0, True, False, False, -1)),
    ("LayerNorm", (2.0,)),
    ("LayerNorm", (-1,)),
    ("LayerNorm", ((2, None),)),
    ("RMSNorm", (-1.0,)),
    ("RMSNorm", (-1,)),
    ("GroupNorm", (0.0, 3)),                            # PyTorch: ZeroDivisionError
    ("GroupNorm", (1, 1.0)),
    ("GroupNorm", (2, 3)),
    ("GroupNorm", (1, -7)),
    ("GroupNorm", ([1, 2], 3)),
    ("Embedding", (-1, 1)),
    ("Embedding", (3, 2.0)),
    ("Embedding", ([0], 1.0)),
    ("Embedding", (3, 2, 3)),                           # padding_idx out of range (assert)
    ("Embedding", (3, 2, 1.5)),                         # PyTorch: IndexError
    ("Embedding", (0, 2, 0.0)),
    ("Hardtanh", ((),)),
    ("Hardtanh", (1.0,)),                               # max_val <= min_val (assert)
    ("Hardtanh", (1j,)),
    ("Conv1d", (3, 0, 0.0, 3)),
    ("Conv1d", ((2, 3), -5, -1, 3)),
    ("Conv1d", (-1, 3, 2)),
    ("ConvTranspose2d", (1, None, True, 0.0)),
    ("ConvTranspose2d", (3, 0, -1, (2, 3), 0.5)),
    ("Upsample", (None, "bogus")),
    ("RNN", (3, 3, 1, "sum")),
    ("RNN", (3, 3, 1, 3)),                              # not a string
    ("LSTM", (0, 1)),
    ("GRU", (2, 3, 1, 1)),                              # bias=1, not a bool
    ("RNNBase", ([], "3", -1, [])),
    ("GRUCell", (2, -1)),
]


def _convert(v, lib):
    return ag.tensor(v.numpy()) if lib == "ag" and isinstance(v, torch.Tensor) else v


@pytest.mark.parametrize("layer,args", CONSTRUCTORS, ids=lambda v: repr(v)[:40])
def test_constructor_refuses_like_torch_naming_the_layer(layer, args):
    ours = [_convert(a, "ag") for a in args]
    refuses_like_torch(lambda: getattr(nn, layer)(*ours),
                       lambda: getattr(torch.nn, layer)(*args), layer)


def test_a_tensor_as_rnn_nonlinearity_is_a_value_error_describing_it():
    with pytest.raises(ValueError, match="nonlinearity a tensor of shape") as e:
        nn.RNN(3, 3, 1, ag.ones(3))
    assert "RNN" in str(e.value)
    torch.set_printoptions(profile="default")   # (PyTorch's message prints the tensor)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        torch.nn.RNN(3, 3, 1, torch.ones(3))


@pytest.mark.parametrize("cls", ["TransformerEncoder", "TransformerDecoder"])
def test_a_huge_num_layers_is_refused_at_once_not_copied_for_hours(cls):
    layer = getattr(nn, cls + "Layer")(4, 2, dim_feedforward=8)
    t0 = time.perf_counter()
    with pytest.raises(MemoryError, match=cls) as e:
        getattr(nn, cls)(layer, 10 ** 20)
    assert isinstance(e.value, RuntimeError)       # (PyTorch's class for an allocation)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(TypeError, match=cls):     # not a layer: before any copy
        getattr(nn, cls)(2, 10 ** 20)


def test_num_layers_zero_is_an_empty_stack_as_in_torch():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    assert len(nn.TransformerEncoder(layer, 0).layers) == 0
    assert len(torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(4, 2), 0).layers) == 0


def test_a_layer_whose_parameters_cannot_fit_is_refused_naming_it():
    for make in (lambda: nn.TransformerEncoderLayer(10 ** 5, 1),
                 lambda: nn.MultiheadAttention(10 ** 5, 1), lambda: nn.LayerNorm(10 ** 20),
                 lambda: nn.Embedding(10 ** 6, 10 ** 6)):
        with pytest.raises(MemoryError) as e:
            make()
        assert isinstance(e.value, RuntimeError)
        assert str(e.value).split(":")[0] in {"TransformerEncoderLayer", "MultiheadAttention",
                                              "LayerNorm", "Embedding"}


# --------------------------------------------------------------------------- functional
def x_of(*shape, lib="ag", dtype=np.float32, grad=False):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    return ag.tensor(a, requires_grad=grad) if lib == "ag" else torch.tensor(a, requires_grad=grad)


FUNCTIONAL = [
    # (function, args builder lib -> args)
    ("layer_norm", lambda L: (x_of(3, 3, lib=L), (2, 3))),
    ("layer_norm", lambda L: (x_of(3, lib=L), 1.5)),
    ("layer_norm", lambda L: (x_of(2, 3, lib=L), (3,), 1.5)),
    ("group_norm", lambda L: (x_of(1, 2, 4, 4, lib=L), 0.0)),
    ("group_norm", lambda L: (x_of(2, 3, lib=L), 2)),
    ("group_norm", lambda L: (x_of(2, 3, lib=L, dtype=np.int32), 1)),
    ("rms_norm", lambda L: (x_of(2, 3, lib=L), 1.5)),
    ("rms_norm", lambda L: (x_of(2, 3, lib=L), (2, None))),
    ("embedding", lambda L: (x_of(3, lib=L), x_of(3, lib=L).long() if L == "torch"
                             else x_of(3).long())),
    ("embedding", lambda L: (x_of(3, lib=L).long(), x_of(2, 3, lib=L), 3)),
    ("hardtanh", lambda L: (x_of(2, 3, lib=L), None)),
    ("hardtanh", lambda L: (x_of(2, 3, lib=L), 2.0, 1.0)),
    ("hardtanh", lambda L: (x_of(3, lib=L).long(), float("nan"), 1.0)),
    ("mish", lambda L: (x_of(3, lib=L).long(),)),
    ("softsign", lambda L: (x_of(3, lib=L) > 0,)),
    ("kl_div", lambda L: (x_of(3, 3, lib=L), x_of(3, lib=L).long())),
    ("adaptive_avg_pool2d", lambda L: (x_of(1, 2, 4, 4, lib=L), (3,))),
    ("adaptive_avg_pool2d", lambda L: (x_of(1, 2, 4, 4, lib=L), -1)),
    ("adaptive_avg_pool2d", lambda L: (x_of(2, 3, 4, lib=L).long(), 2)),
    ("adaptive_avg_pool2d", lambda L: (x_of(1, 2, 4, 4, lib=L), 1.5)),
    ("interpolate", lambda L: (x_of(1, 2, 4, 4, lib=L), 0)),
    ("interpolate", lambda L: (x_of(1, 2, 4, 4, lib=L), 3, None, "zeros")),
    ("upsample", lambda L: (x_of(1, 2, 4, 4, lib=L), 3, 3)),
    ("upsample", lambda L: (x_of(3, 3, lib=L), 2)),
    ("conv1d", lambda L: (x_of(2, 0, 3, lib=L), x_of(2, 3, 4, lib=L))),
    ("scaled_dot_product_attention", lambda L: (x_of(3, lib=L), x_of(3, lib=L),
                                                x_of(3, lib=L))),
    ("multi_head_attention_forward", lambda L: (x_of(2, lib=L), x_of(2, lib=L), x_of(2, lib=L),
                                                2, 1, None, None, None, None, False, 0.0,
                                                x_of(2, 2, lib=L), None)),
    ("margin_ranking_loss", lambda L: (10 ** 20, float("nan"), x_of(2, lib=L).long())),
    ("cosine_embedding_loss", lambda L: (0, 10 ** 20, x_of(2, 3, lib=L).double())),
]


@pytest.mark.parametrize("fn,make", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional_refuses_like_torch_naming_the_function(fn, make):
    refuses_like_torch(lambda: getattr(F, fn)(*make("ag")),
                       lambda: getattr(torch.nn.functional, fn)(*make("torch")), fn)


def test_a_huge_python_int_for_attention_is_a_clear_error():
    # (PyTorch: its argument parser's TypeError; tapegrad names the conversion or the op)
    with pytest.raises((TypeError, ValueError)) as e:
        F.scaled_dot_product_attention(10 ** 20, -1.0, 2)
    assert "scaled_dot_product_attention" in str(e.value) or str(e.value).startswith("tensor:")


@pytest.mark.parametrize("fn", ["hardtanh", "mish"])
def test_inplace_on_a_leaf_that_requires_grad_is_refused(fn):
    refuses_like_torch(lambda: getattr(F, fn)(x_of(2, 3, grad=True), inplace=True),
                       lambda: getattr(torch.nn.functional, fn)(x_of(2, 3, lib="torch",
                                                                     grad=True), inplace=True),
                       fn)
    layer = {"hardtanh": nn.Hardtanh(inplace=True), "mish": nn.Mish(inplace=True)}[fn]
    with pytest.raises(RuntimeError, match="leaf"):
        layer(x_of(2, 3, grad=True))


@pytest.mark.parametrize("fn", ["hardtanh", "mish"])
def test_inplace_writes_into_the_input_and_keeps_the_gradient(fn):
    xs = {}
    for lib in ("ag", "torch"):
        leaf = x_of(2, 3, lib=lib, grad=True)
        y = leaf * 2
        mod = F if lib == "ag" else torch.nn.functional
        out = getattr(mod, fn)(y, inplace=True)
        assert out is y
        out.sum().backward()
        xs[lib] = (np.asarray(y.detach().numpy()), np.asarray(leaf.grad.numpy()
                                                              if lib == "torch" else leaf.grad))
    np.testing.assert_allclose(xs["ag"][0], xs["torch"][0], rtol=1e-5)
    np.testing.assert_allclose(xs["ag"][1], xs["torch"][1], rtol=1e-5)


def test_hardtanh_of_an_int_tensor_keeps_its_dtype():
    x = np.array([1, 2, 3], dtype=np.int32)
    ours = F.hardtanh(ag.tensor(x), 0)
    theirs = torch.nn.functional.hardtanh(torch.tensor(x), 0)
    assert ours.dtype == np.int32 and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch_for_negative_and_zero_targets(reduction, log_target):
    r = np.random.default_rng(1)
    x = r.standard_normal((3, 4))
    t = r.standard_normal((3, 4))
    t[0, 0] = 0.0                    # xlogy(0, 0) = 0; a negative target: NaN
    ours = F.kl_div(ag.tensor(x), ag.tensor(t), reduction=reduction, log_target=log_target)
    theirs = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(t), reduction=reduction,
                                        log_target=log_target)
    np.testing.assert_allclose(np.asarray(ours.tolist(), dtype=np.float64), theirs.numpy(),
                               rtol=1e-6, equal_nan=True)


def test_kl_div_promotes_like_torch_and_ignores_reduction_with_legacy_flags():
    x = ag.tensor(np.full((2, 3), -1.0, np.float32))
    t = ag.tensor(np.full((2, 3), 0.5, np.float64))
    assert nn.KLDivLoss(reduction="none")(x, t).dtype == np.float64
    tx, tt = torch.full((2, 3), -1.0), torch.full((2, 3), 0.5, dtype=torch.float64)
    assert torch.nn.KLDivLoss(reduction="none")(tx, tt).dtype == torch.float64
    # size_average/reduce given: PyTorch never looks at reduction
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = F.kl_div(x, t, True, True, "tanh").item()
        theirs = torch.nn.functional.kl_div(tx, tt, True, True, "tanh").item()
    assert ours == pytest.approx(theirs)


def test_rms_norm_keeps_the_input_dtype():
    x = np.ones((2, 3), np.float16)
    assert F.rms_norm(ag.tensor(x), (3,), ag.ones(3)).dtype == np.float16
    assert torch.nn.functional.rms_norm(torch.tensor(x), (3,), torch.ones(3)).dtype == \
        torch.float16


def test_layer_forward_shape_errors_are_runtime_errors_naming_the_layer():
    cases = [(nn.Conv1d(0, 3, 2), torch.nn.Conv1d(0, 3, 2), (3,)),
             (nn.ConvTranspose2d(3, 1, 3), torch.nn.ConvTranspose2d(3, 1, 3), (3,)),
             (nn.LSTM(2, 3), torch.nn.LSTM(2, 3), (2, 3, 4)),
             (nn.LayerNorm(1), torch.nn.LayerNorm(1), (3, 3)),
             (nn.GroupNorm(1, 1), torch.nn.GroupNorm(1, 1), (2, 3))]
    for ours, theirs, shape in cases:
        name = type(ours).__name__
        refuses_like_torch(lambda: ours(x_of(*shape)), lambda: theirs(x_of(*shape, lib="torch")),
                           name if name not in ("LayerNorm",) else "layer_norm")


# --------------------------------------------------------------------------- deliberate
def test_deliberate_hardtanh_gradient_passes_at_nan():
    """docs/errors.md `_nan_hardtanh`: PyTorch's gradient at NaN depends on its loop (0 in
    the vectorised one, passed in the scalar tail); tapegrad passes it, like the tail."""
    x = np.array([np.nan, 0.5, 3.0], dtype=np.float32)
    ours = ag.tensor(x, requires_grad=True)
    F.hardtanh(ours, -1.0, 1.0).sum().backward()
    assert ours.grad.tolist() == [1.0, 1.0, 0.0]
    small = torch.tensor(x, requires_grad=True)       # 3 elements: PyTorch's scalar loop
    torch.nn.functional.hardtanh(small, -1.0, 1.0).sum().backward()
    assert small.grad.tolist() == [1.0, 1.0, 0.0]
    big = torch.tensor(np.resize(x, 24), requires_grad=True)   # the vectorised loop
    torch.nn.functional.hardtanh(big, -1.0, 1.0).sum().backward()
    assert big.grad[0].item() == 0.0                 # the same NaN, another gradient
    v = F.hardtanh(ag.tensor(x), float("nan"), 1.0)   # a NaN bound: NaN values, as there
    assert np.isnan(np.asarray(v.tolist())).all()


def test_group_norm_of_one_element_groups_has_a_zero_gradient():
    """docs/errors.md `_constant_std` (a group_norm group of one element): y = 0
    exactly, so its gradient is 0."""
    x = ag.tensor(np.random.default_rng(3).standard_normal((2, 3)).astype(np.float32),
                  requires_grad=True)
    y = F.group_norm(x, 3)
    assert np.asarray(y.tolist()).tolist() == [[0.0] * 3] * 2
    (y * ag.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))).sum().backward()
    assert np.abs(np.asarray(x.grad)).max() == 0.0


# --------------------------------------------------------------------------- long-run finds
def test_kl_div_target_gradient_is_nan_where_torch_is():
    """xlogy(t, t)'s gradient log t + 1 is NaN at t <= 0 in PyTorch (0 / 0 at t = 0)."""
    grads = {}
    for lib in ("ag", "torch"):
        mod = ag if lib == "ag" else torch
        fn = F.kl_div if lib == "ag" else torch.nn.functional.kl_div
        t = mod.tensor([0.0, 0.5, -0.5], requires_grad=True)
        x = mod.tensor([0.1, 0.2, 0.3], requires_grad=True)
        fn(x, t, reduction="sum").backward()
        grads[lib] = (np.asarray(t.grad.tolist()), np.asarray(x.grad.tolist()))
    for a, b in zip(grads["ag"], grads["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-6, equal_nan=True)


def test_huber_loss_with_an_infinite_delta_is_the_squared_error():
    x, y = [1.0, 2.0, 3.0], [0.5, 0.1, 9.0]
    ours = F.huber_loss(ag.tensor(x), ag.tensor(y), "sum", float("inf")).item()
    theirs = torch.nn.functional.huber_loss(torch.tensor(x), torch.tensor(y), "sum",
                                            float("inf")).item()
    assert ours == pytest.approx(theirs)


def test_sgd_momentum_with_a_parameter_listed_twice_steps_like_torch():
    from nn import optim
    v, g = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, -1.0, 2.0], np.float32)
    a, t = ag.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oa, ot = optim.SGD([a, a], lr=2, momentum=3), torch.optim.SGD([t, t], lr=2, momentum=3)
        for _ in range(3):
            a.grad, t.grad = ag.tensor(g), torch.tensor(g)
            oa.step(), ot.step()
            assert a.tolist() == t.tolist()


@pytest.mark.parametrize("device", ["cuda", "a", 2, 2.0])
def test_a_device_other_than_the_cpu_is_refused_like_torch(device):
    for layer, args in (("LayerNorm", (3,)), ("LSTM", (3, 2)), ("Conv1d", (3, 2, 1)),
                        ("MultiheadAttention", (4, 2)), ("Embedding", (3, 2))):
        refuses_like_torch(lambda: getattr(nn, layer)(*args, device=device),
                           lambda: getattr(torch.nn, layer)(*args, device=device), layer)
    assert nn.LayerNorm(3, device="cpu:0").weight.shape == (3,)


def test_interpolate_checks_in_torchs_order():
    x, xt = x_of(1, 2, 4, 4), x_of(1, 2, 4, 4, lib="torch")
    for args in ((1.5, 1.0), (True, 1.0), ((2, None),), ((2, 3, 4),), (0,)):
        refuses_like_torch(lambda: F.interpolate(x, *args),
                           lambda: torch.nn.functional.interpolate(xt, *args), "interpolate")
    refuses_like_torch(lambda: F.upsample(x_of(2, 0, 3), 3),
                       lambda: torch.nn.functional.upsample(x_of(2, 0, 3, lib="torch"), 3),
                       "upsample")
    with pytest.raises(MemoryError, match="interpolate"):
        nn.Upsample(10 ** 20)(x)


def test_adaptive_avg_pool2d_keeps_an_inf_in_its_own_windows():
    a = np.random.default_rng(2).standard_normal((2, 3, 5, 7)).astype(np.float32)
    a[0, 1, 2, 3], a[1, 0, 0, 0] = np.inf, np.nan
    for out in ((2, 3), (4, 2), (2, None)):
        ours = F.adaptive_avg_pool2d(ag.tensor(a), out)
        theirs = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(a), out)
        np.testing.assert_allclose(np.asarray(ours.tolist()), theirs.numpy(), rtol=1e-5,
                                   equal_nan=True)


def test_pooling_reads_a_0d_integer_tensor_as_a_size():
    x = x_of(1, 2, 4, 4)
    xt = torch.tensor(np.asarray(x.tolist(), dtype=np.float32))
    for fn in ("avg_pool2d", "max_pool2d"):
        ours = getattr(F, fn)(x, ag.tensor(2))
        theirs = getattr(torch.nn.functional, fn)(xt, torch.tensor(2))
        np.testing.assert_allclose(np.asarray(ours.tolist()), theirs.numpy(), rtol=1e-6)


def test_norms_keep_the_input_dtype_and_bce_promotes_mixed_dtypes():
    x = ag.tensor(np.ones((2, 3, 4), np.float16))
    assert F.group_norm(x, 1, ag.ones(3), ag.zeros(3)).dtype == np.float16
    assert torch.nn.functional.group_norm(torch.ones(2, 3, 4, dtype=torch.half), 1,
                                          torch.ones(3), torch.zeros(3)).dtype == torch.half
    p = np.array([0.25, 0.5, 0.75], np.float16)
    y = np.array([0.1, 0.9, 0.5])
    ours = nn.BCELoss()(ag.tensor(p), ag.tensor(y))
    theirs = torch.nn.BCELoss()(torch.tensor(p).double(), torch.tensor(y))
    assert ours.dtype == np.float64 and ours.item() == pytest.approx(theirs.item())


# --------------------------------------------------------------------------- long run, seed 100
CLASS_WEIGHT_CALLS = [
    # (function, logits shape, target, weight): a weight PyTorch refuses
    ("nll_loss", (2, 3), [0, 1], np.ones((2, 3, 4), np.float32)),    # not (C,): was a raw broadcast
    ("nll_loss", (2, 3), [0, 1], np.ones(1, np.float32)),            # one element for 3 classes
    ("nll_loss", (2, 3), [0, 1], np.array([1, 2, 3])),               # integer weight
    ("cross_entropy", (2, 3), [0, 1], np.ones((1, 3), np.float32)),
    ("cross_entropy", (2, 3), [0, 1], np.array([1, 2, 3])),          # was accepted
    ("cross_entropy", (2, 3, 4), [[0, 1, 2, 0]] * 2, np.ones(2, np.float32)),
    ("cross_entropy", (2, 3), np.full((2, 3), 1 / 3, np.float32), np.ones((2, 3), np.float32)),
]


@pytest.mark.parametrize("fn,shape,target,weight", CLASS_WEIGHT_CALLS)
def test_a_class_weight_is_checked_like_torch(fn, shape, target, weight):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    e = refuses_like_torch(
        lambda: getattr(F, fn)(ag.tensor(x), ag.tensor(target), weight=ag.tensor(weight)),
        lambda: getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(target),
                                                 weight=torch.tensor(weight)), fn)
    assert "weight" in str(e)


def test_class_weights_that_torch_accepts_still_work():
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    y, w = [0, 2, 1, 2], np.array([0.5, 2.0, 1.5], np.float32)
    for fn in ("nll_loss", "cross_entropy"):
        ours = getattr(F, fn)(ag.tensor(x), ag.tensor(y), weight=ag.tensor(w)).item()
        ref = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(y),
                                               weight=torch.tensor(w)).item()
        assert ours == pytest.approx(ref, rel=1e-6)
    # probability targets: PyTorch takes an integer weight there, and so does tapegrad
    q, wi = np.full((4, 3), 1 / 3, np.float32), np.array([1, 2, 3])
    ours = F.cross_entropy(ag.tensor(x), ag.tensor(q), weight=ag.tensor(wi)).item()
    ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(q),
                                            weight=torch.tensor(wi)).item()
    assert ours == pytest.approx(ref, rel=1e-6)


def test_bool_class_targets_are_a_runtime_error():
    x = np.zeros((2, 3), np.float32)
    refuses_like_torch(lambda: F.cross_entropy(ag.tensor(x), ag.tensor([True, False])),
                       lambda: torch.nn.functional.cross_entropy(
                           torch.tensor(x), torch.tensor([True, False])), "cross_entropy")


@pytest.mark.parametrize("shape", [(2, 0, 3), (0, 3, 3), (1, 0, 3, 3), (1, 2, 0, 3), (2, 3, 3, 0)])
@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_pooling_an_empty_non_batch_dimension_is_refused(pool, shape):
    """PyTorch: "3D or 4D tensor with optional 0 dim batch size"; was a (2, 1, 4) result."""
    refuses_like_torch(lambda: getattr(F, pool)(ag.ones(*shape), 2, 1),
                       lambda: getattr(torch.nn.functional, pool)(torch.ones(*shape), 2, 1), pool)
    assert getattr(F, pool)(ag.ones(0, 2, 3, 3), 2).shape == (0, 2, 1, 1)


def test_long_run_fixes_of_seed_102():
    # binary_cross_entropy: a weight that broadcasts the loss beyond the input's shape is
    # refused (a (3, 3) loss came back for a (1,) input)
    for shape, wshape in (((1,), (3, 3)), ((3,), (2, 1))):
        refuses_like_torch(
            lambda: F.binary_cross_entropy(ag.full(shape, 0.5), ag.ones(*shape), ag.ones(*wshape),
                                           reduction="none"),
            lambda: torch.nn.functional.binary_cross_entropy(
                torch.full(shape, 0.5), torch.ones(*shape), torch.ones(*wshape), reduction="none"),
            "binary_cross_entropy")
    ours = F.binary_cross_entropy(ag.full((2, 3), 0.5), ag.ones(2, 3), ag.ones(3) * 2, reduction="sum")
    ref = torch.nn.functional.binary_cross_entropy(torch.full((2, 3), 0.5), torch.ones(2, 3),
                                                   torch.ones(3) * 2, reduction="sum")
    assert ours.item() == pytest.approx(ref.item(), rel=1e-6)
    # cross_entropy checks label_smoothing before the batch size, as PyTorch
    x = np.zeros((3, 3))
    e = refuses_like_torch(
        lambda: F.cross_entropy(ag.tensor(x), ag.tensor([0, 1]), label_smoothing=2),
        lambda: torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([0, 1]),
                                                  label_smoothing=2), "cross_entropy")
    assert "label_smoothing" in str(e)


def test_long_run_fixes_of_seed_103():
    # a float16 input through BatchNorm's float32 statistics stays float16, as in PyTorch
    for train in (True, False):
        bn, tbn = nn.BatchNorm2d(2, 0.5), torch.nn.BatchNorm2d(2, 0.5)
        bn.train(train), tbn.train(train)
        x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float16)
        y, ty = bn(ag.tensor(x)), tbn(torch.tensor(x))
        assert y.dtype == np.float16 and ty.dtype == torch.float16
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=2e-3)
        assert bn.running_mean.dtype == np.float32
    # class-index targets are int64 or uint8 (int32 was taken, so its range error came
    # first: an IndexError where PyTorch names the dtype)
    x = np.zeros((3, 3), np.float32)
    for fn in ("nll_loss", "cross_entropy"):
        for dt, tdt in ((np.int32, torch.int32), (np.int16, torch.int16), (np.bool_, torch.bool)):
            refuses_like_torch(
                lambda: getattr(F, fn)(ag.tensor(x), ag.tensor(np.array([0, 1, 0], dt))),
                lambda: getattr(torch.nn.functional, fn)(torch.tensor(x),
                                                         torch.tensor([0, 1, 0], dtype=tdt)), fn)
        ours = getattr(F, fn)(ag.tensor(x), ag.tensor(np.array([0, 1, 2], np.uint8))).item()
        assert ours == pytest.approx(getattr(torch.nn.functional, fn)(
            torch.tensor(x), torch.tensor([0, 1, 2], dtype=torch.uint8)).item())


def test_mean_checks_the_dtype_before_the_dim():
    refuses_like_torch(lambda: ag.tensor(3).mean(1), lambda: torch.tensor(3).mean(1), "mean")


def test_long_run_fixes_of_seed_104():
    x = np.random.default_rng(0).standard_normal(3).astype(np.float32)
    TF = torch.nn.functional
    # a (1,) target of one (C,) sample is its 0-d target, as in PyTorch (it was refused);
    # another size is named before the weight is looked at
    for fn in ("cross_entropy", "nll_loss"):
        for red in ("mean", "sum", "none"):
            ours = getattr(F, fn)(ag.tensor(x), ag.tensor([1]), reduction=red)
            ref = getattr(TF, fn)(torch.tensor(x), torch.tensor([1]), reduction=red)
            assert ours.shape == tuple(ref.shape) and ours.item() == pytest.approx(ref.item(), rel=1e-6)
        refuses_like_torch(lambda: getattr(F, fn)(ag.tensor(x), ag.tensor([1, 2]), ag.tensor([1, 2, 3])),
                           lambda: getattr(TF, fn)(torch.tensor(x), torch.tensor([1, 2]),
                                                   torch.tensor([1, 2, 3])), fn)
    # cat names a 0-d tensor at any position before the dim (was an IndexError for the dim)
    e = refuses_like_torch(lambda: ag.cat([ag.ones(3), ag.tensor(1.0)], 1),
                           lambda: torch.cat([torch.ones(3), torch.tensor(1.0)], 1), "cat")
    assert "position 1" in str(e)
    # rms_norm checks the shape before the dtype; smooth_l1_loss refuses a NaN beta
    refuses_like_torch(lambda: ag.rms_norm(ag.tensor(1, dtype=ag.int32), (3,)),
                       lambda: TF.rms_norm(torch.tensor(1, dtype=torch.int32), (3,)), "rms_norm")
    refuses_like_torch(lambda: F.smooth_l1_loss(ag.ones(2), ag.ones(2), beta=float("nan")),
                       lambda: TF.smooth_l1_loss(torch.ones(2), torch.ones(2), beta=float("nan")),
                       "smooth_l1_loss")
    # dropout checks p first, with PyTorch's own NumPy comparison for an array p
    p = np.array([1 + 2j], dtype=np.complex64)
    refuses_like_torch(lambda: F.dropout(ag.ones(3), p, -1.0),
                       lambda: TF.dropout(torch.ones(3), p, -1.0), "dropout")
    refuses_like_torch(lambda: F.dropout(ag.ones(3), np.array([0.5])),
                       lambda: TF.dropout(torch.ones(3), np.array([0.5])), "dropout")


def test_isclose_follows_torch_at_infinities():
    """An infinite difference is never within tolerance, even an infinite rtol (NumPy 2
    said True for isclose(inf, 1, rtol=inf)); equal infinities are close."""
    vals = [0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-9, 1e30]
    a = np.array(vals, np.float32)[:, None] * np.ones(len(vals), np.float32)
    for rtol in (0.0, 1e-5, np.inf):
        for atol in (0.0, 1e-8, np.inf):
            for equal_nan in (False, True):
                ours = ag.isclose(ag.tensor(a), ag.tensor(a.T.copy()), rtol, atol, equal_nan)
                ref = torch.isclose(torch.tensor(a), torch.tensor(a.T.copy()), rtol, atol, equal_nan)
                assert ours.tolist() == ref.tolist(), (rtol, atol, equal_nan)
    assert not ag.allclose(ag.tensor(float("inf")), ag.ones(2, 3), float("inf"))


def test_long_run_fixes_of_seeds_104_and_105():
    TF = torch.nn.functional
    # softmax's dtype is a dtype (an int was read by .to as a CUDA device)
    for d in (3, -1.0):
        refuses_like_torch(lambda: F.softmax(ag.ones(3), 0, 3, d),
                           lambda: TF.softmax(torch.ones(3), 0, 3, d), "softmax")
    assert F.log_softmax(ag.ones(3), 0, 3, ag.float64).dtype == np.float64
    # softmax_cross_entropy's ignore_index is an int (a tuple was a raw int() TypeError)
    with pytest.raises(TypeError, match="softmax_cross_entropy: ignore_index must be an int"):
        ag.softmax_cross_entropy(ag.ones(3, 3), ag.tensor([0, 1, 2]), None, ())
    # interpolate checks size/scale_factor before antialias, as PyTorch
    refuses_like_torch(lambda: F.interpolate(ag.ones(1, 1, 3), 1, 2.0, "nearest", None, None, True),
                       lambda: TF.interpolate(torch.ones(1, 1, 3), 1, 2.0, "nearest", None, None, True),
                       "interpolate")
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(ag.ones(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)
    # randint(low, high, tensor): named (was the truth value of an empty tensor)
    refuses_like_torch(lambda: ag.randint(1.0, [1, 2], ag.tensor(3)),
                       lambda: torch.randint(1.0, [1, 2], torch.tensor(3)), "randint")
    # MultiheadAttention checks the device before kdim/vdim, as PyTorch
    refuses_like_torch(lambda: nn.MultiheadAttention(3, 1, 0.0, True, False, False, 0, 0.5, False, "cuda"),
                       lambda: torch.nn.MultiheadAttention(3, 1, 0.0, True, False, False, 0, 0.5,
                                                           False, "cuda"), "MultiheadAttention")
    # layer_norm / rms_norm over an empty normalized shape: an empty result, as PyTorch
    for fn in ("layer_norm", "rms_norm"):
        assert getattr(F, fn)(ag.zeros(2, 0), (0,)).shape == \
            tuple(getattr(TF, fn)(torch.zeros(2, 0), (0,)).shape) == (2, 0)
    # a Python int shifted by an int32 tensor stays int32
    for fn in ("bitwise_left_shift", "bitwise_right_shift", "bitwise_and"):
        assert getattr(ag, fn)(3, ag.ones(2, dtype=ag.int32)).dtype == np.int32 and \
            getattr(torch, fn)(3, torch.ones(2, dtype=torch.int32)).dtype == torch.int32
    # complex NumPy arrays are refused by from_numpy (a complex64 tensor came back) and
    # named as complex wherever an array becomes a tensor
    c = np.array([1 + 2j], dtype=np.complex64)
    for f in (lambda: ag.from_numpy(c), lambda: ag.as_tensor(c)):
        with pytest.raises(ag.DtypeError, match="complex"):
            f()


def test_embedding_refuses_negative_indices_as_torch():
    """A negative id was read from the end (-1: the last row); PyTorch refuses it."""
    w = np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32)
    e = refuses_like_torch(lambda: F.embedding(ag.tensor([0, -1]), ag.tensor(w)),
                           lambda: torch.nn.functional.embedding(torch.tensor([0, -1]),
                                                                 torch.tensor(w)), "embedding")
    assert "-1" in str(e)
    assert F.embedding(ag.tensor(np.array([2, 0], np.int32)), ag.tensor(w)).tolist() == \
        torch.nn.functional.embedding(torch.tensor([2, 0]), torch.tensor(w)).tolist()


def test_long_run_fixes_of_seeds_100_and_106():
    TF = torch.nn.functional
    # hardtanh on an integer tensor: bounds that do not fit the dtype are refused by name
    # (a raw isnan TypeError for 10**20; clamp's message for -1e30)
    for ours, theirs in (
            (lambda: ag.hardtanh(ag.tensor([1, 2, 3]), 0, 10 ** 20),
             lambda: TF.hardtanh(torch.tensor([1, 2, 3]), 0, 10 ** 20)),
            (lambda: F.hardtanh(ag.zeros(2, 0, 3, dtype=ag.int32), -1e30),
             lambda: TF.hardtanh(torch.zeros(2, 0, 3, dtype=torch.int32), -1e30)),
            (lambda: F.hardtanh(ag.tensor([1, 2, 3], dtype=ag.int32), -3e9, 5),
             lambda: TF.hardtanh(torch.tensor([1, 2, 3], dtype=torch.int32), -3e9, 5))):
        with pytest.raises((RuntimeError, OverflowError)):
            theirs()
        with pytest.raises(RuntimeError, match="hardtanh: .* cannot be converted to int"):
            ours()
    # std/var of a constant group of huge values is exactly 0 (its mean rounds: 3e30 / 3)
    x = np.full((2, 3, 4), 1e30)
    x[0, :, 0] = [1e30, -1e30, 3e29]
    a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a.std(1).sum().backward()
    t.std(1).sum().backward()
    assert a.std(1).tolist() == t.std(1).tolist()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-15)
    for v in ([np.inf, np.inf], [np.nan, np.nan]):   # an infinite "constant" is still NaN
        assert np.isnan(ag.tensor(v).std().item()) and np.isnan(torch.tensor(v).std().item())
    # a float num_heads is refused at construction (PyTorch builds the layer, then its first
    # forward fails in view(); 1.0 was taken as 1 here)
    for mk in (lambda m: m.TransformerEncoderLayer(3, 1.0), lambda m: m.MultiheadAttention(3, 1.0)):
        with pytest.raises(TypeError, match="must be an int, got float 1.0"):
            mk(nn)
        with pytest.raises(TypeError):
            layer = mk(torch.nn)
            x = torch.randn(2, 3)
            layer(x) if isinstance(layer, torch.nn.TransformerEncoderLayer) else layer(x, x, x)
    # a 0-d integer tensor is an int as a pool size, so stride 0 is named, as in PyTorch
    refuses_like_torch(lambda: ag.max_pool2d(ag.ones(2, 3, 4), ag.tensor(1), 0),
                       lambda: TF.max_pool2d(torch.ones(2, 3, 4), torch.tensor(1), 0), "max_pool2d")
    assert ag.max_pool2d(ag.ones(2, 3, 4), ag.tensor(2), ag.tensor(1)).shape == \
        tuple(TF.max_pool2d(torch.ones(2, 3, 4), torch.tensor(2), torch.tensor(1)).shape)


def test_long_run_fixes_of_seeds_100_and_106_second_round():
    TF = torch.nn.functional
    # huber_loss with a huge delta: PyTorch's selected branches (the old min/clamp form
    # cancelled to a zero gradient); NaN and inf differences as PyTorch, value and gradient
    rng = np.random.default_rng(0)
    for delta in (1e20, 1.0, 0.3, 1e-30):
        for dt in (np.float32, np.float64):
            x = (rng.standard_normal(6) * 3).astype(dt)
            y = rng.standard_normal(6).astype(dt)
            y[0], x[1], x[2] = np.nan, np.inf, -np.inf
            for red in ("mean", "sum", "none"):
                a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
                lo, lt = F.huber_loss(a, ag.tensor(y), red, delta), TF.huber_loss(t, torch.tensor(y), red, delta)
                lo.sum().backward()
                lt.sum().backward()
                np.testing.assert_allclose(lo.detach().numpy(), lt.detach().numpy(), rtol=1e-5)
                np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5)
    # masked_fill_ names itself for a mask that does not broadcast to the tensor
    refuses_like_torch(lambda: ag.ones(1, 2, 4, 4).masked_fill_(ag.zeros(0, dtype=ag.bool), 2.0),
                       lambda: torch.ones(1, 2, 4, 4).masked_fill_(torch.zeros(0, dtype=torch.bool), 2.0),
                       "masked_fill_")
    refuses_like_torch(lambda: ag.ones(3).masked_fill_(ag.ones(2, 3, dtype=ag.bool), 2.0),
                       lambda: torch.ones(3).masked_fill_(torch.ones(2, 3, dtype=torch.bool), 2.0),
                       "masked_fill_")
    # conv_transpose2d checks the channels before output_padding, with torch's class
    e = refuses_like_torch(
        lambda: ag.conv_transpose2d(ag.ones(1, 2, 4, 4), ag.ones(1, 2, 4, 4), None, 3, 0, 3),
        lambda: torch.conv_transpose2d(torch.ones(1, 2, 4, 4), torch.ones(1, 2, 4, 4), None, 3, 0, 3),
        "conv_transpose2d")
    assert "channels" in str(e)
    refuses_like_torch(
        lambda: ag.conv_transpose2d(ag.ones(1, 1, 4, 4), ag.ones(1, 2, 4, 4), None, 3, 0, 3),
        lambda: torch.conv_transpose2d(torch.ones(1, 1, 4, 4), torch.ones(1, 2, 4, 4), None, 3, 0, 3),
        "conv_transpose2d")
    # a 0-d target of a batched input is a batch-size mismatch (size 0), as in PyTorch
    for fn, t in (("nll_loss", np.float32(np.nan)), ("nll_loss", np.int64(1)),
                  ("cross_entropy", np.int64(1)), ("cross_entropy", np.float32(0.5))):
        e = refuses_like_torch(lambda: getattr(F, fn)(ag.zeros(2, 3), ag.tensor(t)),
                               lambda: getattr(TF, fn)(torch.zeros(2, 3), torch.tensor(t)), fn)
        assert "batch_size (0)" in str(e)


def test_long_run_fixes_of_seeds_107_and_108():
    TF = torch.nn.functional
    # pooling a bool tensor is refused as in PyTorch (max_pool2d returned; avg_pool2d named
    # mean); avg_pool2d of integers is refused by name (PyTorch truncates the average)
    for pool in ("max_pool2d", "avg_pool2d"):
        refuses_like_torch(lambda: getattr(F, pool)(ag.ones(1, 2, 4, 4, dtype=ag.bool), 1),
                           lambda: getattr(TF, pool)(torch.ones(1, 2, 4, 4, dtype=torch.bool), 1),
                           pool)
    with pytest.raises(RuntimeError, match="avg_pool2d: .* not implemented for int64"):
        F.avg_pool2d(ag.ones(1, 2, 4, 4, dtype=ag.int64), 1)
    assert F.max_pool2d(ag.ones(1, 2, 4, 4, dtype=ag.int64), 2).dtype == np.int64
    # group_norm checks the rank first
    refuses_like_torch(lambda: F.group_norm(ag.ones(3), 1, None, None, ()),
                       lambda: TF.group_norm(torch.ones(3), 1, None, None, ()), "group_norm")


def test_long_run_fixes_of_seed_109():
    TF = torch.nn.functional
    # avg_pool2d below 3-D: PyTorch's IndexError (it reads dimension -3), before the dtype
    for dt, tdt in ((ag.int64, torch.int64), (ag.float32, torch.float32)):
        refuses_like_torch(lambda: nn.AvgPool2d(1)(ag.ones(3, dtype=dt)),
                           lambda: torch.nn.AvgPool2d(1)(torch.ones(3, dtype=tdt)), "avg_pool2d")
    refuses_like_torch(lambda: F.max_pool2d(ag.ones(2, 3), 1),
                       lambda: TF.max_pool2d(torch.ones(2, 3), 1), "max_pool2d")


def test_pooling_checks_its_size_arguments_before_the_input():
    """PyTorch's order (seed 100 after the IndexError change): a bad kernel_size is named
    before a 2-D input's missing dimension."""
    TF = torch.nn.functional
    for pool in ("avg_pool2d", "max_pool2d"):
        e = refuses_like_torch(lambda: getattr(ag, pool)(ag.ones(3, 3), [], (3,), (3,)),
                               lambda: getattr(TF, pool)(torch.ones(3, 3), [], (3,), (3,)), pool)
        assert "kernel_size" in str(e)


def test_avg_pool2d_reads_its_rank_before_its_size_values():
    """PyTorch: a kernel/stride of the right form but a bad value is checked after
    avg_pool2d reads dimension -3 (an IndexError for a 2-D input); 1-tuples are expanded."""
    TF = torch.nn.functional
    for args in ((-5, -1), (3, (2, -1), -1)):
        refuses_like_torch(lambda: F.avg_pool2d(ag.ones(2, 3), *args),
                           lambda: TF.avg_pool2d(torch.ones(2, 3), *args), "avg_pool2d")
    assert ag.max_pool2d(ag.ones(1, 1, 6, 6), (3,), (3,)).shape == \
        tuple(TF.max_pool2d(torch.ones(1, 1, 6, 6), (3,), (3,)).shape)


def test_an_empty_pool_stride_is_omitted_as_in_torch():
    """Seeds 111/112: ``stride=[]`` means the kernel size in PyTorch (it was refused, and so
    named before a 1-D input's missing dimension)."""
    TF = torch.nn.functional
    for pool in ("avg_pool2d", "max_pool2d"):
        for st in ([], ()):
            assert getattr(ag, pool)(ag.ones(1, 1, 4, 4), 2, st).shape == \
                tuple(getattr(TF, pool)(torch.ones(1, 1, 4, 4), 2, st).shape)
    refuses_like_torch(lambda: ag.avg_pool2d(ag.ones(3), 2, [], 3),
                       lambda: TF.avg_pool2d(torch.ones(3), 2, [], 3), "avg_pool2d")
    assert ag.max_pool2d(ag.ones(1, 1, 4, 4), 2, ag.tensor(1)).shape == (1, 1, 3, 3)
