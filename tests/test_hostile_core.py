"""Issue 17, creation/devices/printing/random/resample/torchmath/nnlayers: each kind of
defect the bad-input fuzzer found there, pinned against PyTorch 2.13 (the reference
is computed by running torch, never typed in).

A "raises like torch" case checks that both raise, that tapegrad's exception is an
instance of PyTorch's class (NotImplementedError counting as RuntimeError, as in
tests/fuzz_api.py) and that its message names the function called.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F

torch.set_num_threads(1)


class _Lib:
    """``lib.nn.functional`` for both libraries in one lambda."""

    def __init__(self, mod, nnmod):
        self._mod, self.nn = mod, nnmod

    def __getattr__(self, k):
        return getattr(self._mod, k)


AG, TORCH = _Lib(ag, nn), _Lib(torch, torch.nn)


def raises_like_torch(call, name, cls=None):
    """Both raise; ours is an instance of PyTorch's class (or ``cls`` where PyTorch's is
    an accident of its Python code) and names ``name``."""
    with pytest.raises(Exception) as t:
        call(TORCH)
    want = cls or (RuntimeError if t.type is NotImplementedError else t.type)
    with pytest.raises(want) as o:
        call(AG)
    assert name in str(o.value), str(o.value)
    assert type(o.value).__module__.split(".")[0] in ("builtins", "autograd"), type(o.value)
    return o.value


def same_as_torch(call, rtol=1e-6):
    """Both return; same shape, dtype and values (NaN equal to NaN)."""
    ours, theirs = call(AG), call(TORCH)
    a, b = np.asarray(ours.detach()), theirs.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, equal_nan=True)


def _x(lib, *shape, dtype=None):
    return lib.zeros(*shape, dtype=dtype) if dtype is not None else lib.zeros(*shape)


# --------------------------------------------------------------------------- *_like
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_keywords_are_keyword_only(name):
    """zeros_like(x, 1, 1) was read as dtype=1, device=cuda:1 (a raw AssertionError)."""
    e = raises_like_torch(lambda L: getattr(L, name)(_x(L, 2, 3), 1, 1), name)
    assert isinstance(e, TypeError)


def test_like_requires_grad_must_be_a_bool():
    raises_like_torch(lambda L: L.zeros_like(_x(L, 2), requires_grad="a"), "zeros_like")


def test_like_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="ones_like"):
        ag.ones_like(ag.zeros(2), bogus=1)


def test_empty_like_names_itself():
    with pytest.raises(RuntimeError, match="^empty_like"):
        ag.empty_like(ag.zeros(2), device="cuda")


@pytest.mark.parametrize("value, dtype", [(1 + 1j, "float32"), (1e300, "float32"),
                                          (1e30, "int64"), (float("nan"), "int64"),
                                          (7e4, "float16")])
def test_full_like_refuses_values_the_dtype_cannot_hold(value, dtype):
    raises_like_torch(lambda L: L.full_like(_x(L, 2, dtype=getattr(L, dtype)), value),
                      "full_like")


@pytest.mark.parametrize("value, dtype", [(2.5, "int64"), (2.5, "bool"), (6e4, "float16"),
                                          (True, "float32")])
def test_full_like_converts_as_torch(value, dtype):
    same_as_torch(lambda L: L.full_like(_x(L, 3, dtype=getattr(L, dtype)), value))


@pytest.mark.parametrize("call", [
    lambda L: L.randint_like(_x(L, 2)),
    lambda L: L.randint_like(_x(L, 2), 0),
    lambda L: L.randint_like(_x(L, 2), 5, 3),
    lambda L: L.randint_like(_x(L, 2), 1.5),
    lambda L: L.randint_like(_x(L, 2), 3, 4, 5),
])
def test_randint_like_bounds(call):
    raises_like_torch(call, "randint_like")


def test_randint_like_high_only_and_dtype():
    r = ag.randint_like(ag.zeros(50, dtype=ag.int32), 3)
    assert r.dtype == np.int32 and set(np.unique(np.asarray(r))) <= {0, 1, 2}


def test_randint_out_of_bounds_for_its_dtype():
    raises_like_torch(lambda L: L.randint(0, 3, (2,), dtype=L.bool), "randint")


def test_randperm_and_randint_keywords_are_keyword_only():
    raises_like_torch(lambda L: L.randperm(2, 1.0, 2, 1), "randperm")
    raises_like_torch(lambda L: L.randint(1, 5, (2,), 2.0, 2, 1), "randint")


@pytest.mark.parametrize("std", [-1.0, float("nan")])
def test_normal_refuses_a_negative_or_nan_std(std):
    raises_like_torch(lambda L: L.normal(0.0, std, (2, 3)), "normal")
    raises_like_torch(lambda L: L.normal(L.zeros(3), std), "normal")


def test_normal_huge_size_is_explained():
    with pytest.raises(MemoryError, match="normal: cannot allocate"):
        ag.normal(0.0, 1.0, (2 ** 20, 2 ** 20))


# --------------------------------------------------------------------------- devices
@pytest.mark.parametrize("dev", [-1e30, 2.0, "a"])
def test_set_default_device_names_itself(dev):
    raises_like_torch(lambda L: L.set_default_device(dev), "set_default_device")


def test_set_default_device_to_a_gpu_is_refused():
    raises_like_torch(lambda L: L.set_default_device(1), "set_default_device")


def test_get_default_device_is_the_cpu():
    assert str(ag.get_default_device()) == str(torch.get_default_device()) == "cpu"


def test_check_device_names_the_op_it_is_given():
    with pytest.raises(TypeError, match="^zeros: device"):
        ag.check_device(2.0, "zeros")
    with pytest.raises(RuntimeError, match="^zeros: Expected one of"):
        ag.check_device("a", "zeros")
    with pytest.raises(TypeError, match="check_device: where"):
        ag.check_device("cpu", 0.5)


# --------------------------------------------------------------------------- printing
@pytest.mark.parametrize("kw, cls", [({"precision": 1.0}, TypeError),
                                     ({"precision": -7}, ValueError),
                                     ({"precision": 10 ** 20}, ValueError),
                                     ({"threshold": float("nan")}, ValueError),
                                     ({"threshold": [1, 2]}, TypeError),
                                     ({"edgeitems": 1.5}, TypeError),
                                     ({"linewidth": 0}, ValueError),
                                     ({"profile": "abc"}, ValueError),
                                     ({"sci_mode": "a"}, TypeError)])
def test_set_printoptions_checks_every_argument_first(kw, cls):
    before = np.get_printoptions()
    with pytest.raises(cls, match="set_printoptions"):
        ag.set_printoptions(precision=3, **kw) if "precision" not in kw else \
            ag.set_printoptions(**kw)
    assert np.get_printoptions() == before  # nothing applied


def test_set_printoptions_profiles_and_inf_threshold():
    before = np.get_printoptions()
    try:
        ag.set_printoptions(profile="short")
        assert np.get_printoptions()["precision"] == 2
        ag.set_printoptions(threshold=float("inf"))
        assert repr(ag.zeros(2000)).count("0.") == 2000
    finally:
        np.set_printoptions(**before)


# --------------------------------------------------------------------------- resample
@pytest.mark.parametrize("call, name", [
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), -1), "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 1.5), "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), (1, 2, 3)),
     "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 2, 3), 2), "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 2, 0, 3), 2), "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 1, 2, 4, 4, dtype=L.bool), 1),
     "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 2 ** 40),
     "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 2, 3, 4), (2 ** 20, 2 ** 20)),
     "adaptive_avg_pool2d"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4), 3, mode="sum"), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3), 3), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 1, 2, 4, 4), -1), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 1, 2, 4, 4), (2, None)), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4), 1.5), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4), None, float("nan")), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4), 2 ** 40), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4), 3, None, "linear", "a"),
     "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 0, 3), 3), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4, dtype=L.int64), 3), "interpolate"),
    (lambda L: L.nn.functional.interpolate(_x(L, 2, 3, 4), 3, None, "nearest", None, True),
     "interpolate"),
    (lambda L: L.nn.functional.upsample(_x(L, 2, 3, 4), 3, 3), "upsample"),
    (lambda L: L.nn.functional.upsample(_x(L, 2, 3), 3), "upsample"),
])
def test_resample_errors(call, name):
    raises_like_torch(call, name)


def test_huge_resample_outputs_are_out_of_memory_errors():
    for call in (lambda: F.adaptive_avg_pool2d(ag.zeros(1, 2, 4, 4), 2 ** 40),
                 lambda: F.interpolate(ag.zeros(2, 3, 4), scale_factor=2.0 ** 40),
                 lambda: ag.replication_pad(ag.zeros(1, 2, 3), (2 ** 40, 1))):
        with pytest.raises(ag.OutOfMemoryError, match="cannot allocate|more than the memory"):
            call()


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 0),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_x(L, 0, 2, 3), 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(L.arange(24.).reshape(2, 3, 4),
                                                  L.tensor([2, 3])),
    lambda L: L.nn.functional.interpolate(L.arange(24.).reshape(2, 3, 4), None, True),
    lambda L: L.nn.functional.interpolate(L.arange(24.).reshape(2, 3, 4), 3, None, "area"),
    lambda L: L.nn.functional.interpolate(L.arange(24.).reshape(2, 3, 4), L.tensor(3)),
    lambda L: L.nn.functional.interpolate(_x(L, 0, 2, 3), 5),
])
def test_resample_edge_values_as_torch(call):
    same_as_torch(call)


@pytest.mark.parametrize("name", ["reflection_pad", "replication_pad", "circular_pad"])
@pytest.mark.parametrize("pad", [2, 0.5, None, "a", (), (1,), (1.5, 1), [True, 1], (-1, 1)])
def test_mode_pads_name_themselves(name, pad):
    with pytest.raises((TypeError, ValueError, RuntimeError), match=name):
        getattr(ag, name)(ag.zeros(1, 2, 3), pad)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_errors_are_runtime_errors_like_torch(mode):
    raises_like_torch(lambda L: L.nn.functional.pad(_x(L, 2, 3), (1,), mode=mode), "pad")
    raises_like_torch(lambda L: L.nn.functional.pad(_x(L, 3), (1, 1), mode=mode), "pad")


# --------------------------------------------------------------------------- torchmath
@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("diagonal", [1.0, True, None, (), [1, 2], 1 + 1j, float("nan"),
                                      10 ** 20, -10 ** 30])
def test_tri_diagonal_must_be_an_int(name, diagonal):
    raises_like_torch(lambda L: getattr(L, name)(L.ones(3, 3), diagonal), name)


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("diagonal", [2 ** 62, -2 ** 62, 3, -2, 0])
def test_tri_far_diagonals_as_torch(name, diagonal):
    same_as_torch(lambda L: getattr(L, name)(L.arange(6.).reshape(2, 3), diagonal))


@pytest.mark.parametrize("dim", [100, -100, (1, 5), (0, 0), True, 1.0, "0"])
def test_count_nonzero_dims_checked(dim):
    raises_like_torch(lambda L: L.count_nonzero(L.ones(3, 3), dim), "count_nonzero")


@pytest.mark.parametrize("dim", [(), [0], (0, -1), [0, 1]])
def test_count_nonzero_dim_forms_as_torch(dim):
    same_as_torch(lambda L: L.count_nonzero(L.tensor([[0., 1.], [2., 0.], [3., 4.]]), dim))


def test_count_nonzero_repeated_dim_of_a_0d_tensor():
    raises_like_torch(lambda L: L.count_nonzero(L.ones(()), (0, 0)), "count_nonzero")


@pytest.mark.parametrize("v", [10 ** 20, 3, 1.5])
def test_outer_refuses_numbers(v):
    raises_like_torch(lambda L: L.outer(L.ones(3), v), "outer")


def test_linspace_with_infinite_bounds_as_torch():
    for a, b, n in ((1e30, float("inf"), 3), (0, float("inf"), 5), (0, float("inf"), 1),
                    (-3e38, 3e38, 3)):
        same_as_torch(lambda L: L.linspace(a, b, n))
    raises_like_torch(lambda L: L.linspace(0, 1e39, 3), "linspace")


# --------------------------------------------------------------------------- nnlayers
@pytest.mark.parametrize("call, name", [
    (lambda L: L.nn.functional.mish(_x(L, 3, dtype=L.int32)), "mish"),
    (lambda L: L.nn.functional.softsign(_x(L, 3, dtype=L.bool)), "softsign"),
    (lambda L: L.nn.functional.hardtanh(_x(L, 3, dtype=L.bool)), "hardtanh"),
    (lambda L: L.nn.functional.rms_norm(_x(L, 2, 3), 1.5), "rms_norm"),
    (lambda L: L.nn.functional.rms_norm(_x(L, 2, 3), (2, None)), "rms_norm"),
    (lambda L: L.nn.functional.rms_norm(_x(L, 2, 3), ((2,), 3)), "rms_norm"),
    (lambda L: L.nn.functional.rms_norm(_x(L, 2, 3), ()), "rms_norm"),
    (lambda L: L.nn.functional.rms_norm(_x(L, 2, 3), (3,), None, "a"), "rms_norm"),
    (lambda L: L.nn.functional.rms_norm(_x(L, 2, 3, dtype=L.int64), (3,)), "rms_norm"),
    (lambda L: L.nn.functional.group_norm(_x(L, 2, 3), 2), "group_norm"),
    (lambda L: L.nn.functional.group_norm(_x(L, 2, 3), -7), "group_norm"),
    (lambda L: L.nn.functional.group_norm(_x(L, 2, 4), 2.0), "group_norm"),
    (lambda L: L.nn.functional.group_norm(_x(L, 2, 4), True), "group_norm"),
    (lambda L: L.nn.functional.group_norm(_x(L, 2, 4, dtype=L.int64), 2), "group_norm"),
    (lambda L: L.nn.functional.smooth_l1_loss(_x(L, 3), _x(L, 3), None, None, "sum", None),
     "smooth_l1_loss"),
    (lambda L: L.nn.functional.smooth_l1_loss(_x(L, 3), _x(L, 3), None, None, "sum", -1.0),
     "smooth_l1_loss"),
    (lambda L: L.nn.functional.margin_ranking_loss(_x(L, 3), _x(L, 3), _x(L, 3), "a"),
     "margin_ranking_loss"),
    (lambda L: L.nn.functional.cosine_embedding_loss(_x(L, 2, 3), _x(L, 2, 3), _x(L, 2), "a"),
     "cosine_embedding_loss"),
])
def test_nnlayer_errors(call, name):
    raises_like_torch(call, name)


@pytest.mark.parametrize("lo, hi", [(True, "a"), (None, None), ([1, 2], 0.5), (1 + 1j, 2.0)])
def test_hardtanh_bounds_must_be_numbers(lo, hi):
    raises_like_torch(lambda L: L.nn.functional.hardtanh(_x(L, 3), lo, hi), "hardtanh")


def test_hardtanh_nan_bound_is_refused():
    """PyTorch's gradient with a NaN bound depends on the tensor's size (its vectorised
    kernel and scalar tail disagree): tapegrad refuses the NaN instead."""
    x = torch.linspace(-2, 2, 32, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.hardtanh(x, float("nan"), 1.0).sum().backward()
    y = torch.linspace(-2, 2, 5, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.hardtanh(y, float("nan"), 1.0).sum().backward()
    assert x.grad.sum() == 0 and y.grad.sum() > 0  # (the inconsistency)
    with pytest.raises(ValueError, match="hardtanh: .*NaN"):
        ag.hardtanh(ag.zeros(3), float("nan"), 1.0)


def test_group_norm_zero_groups_is_clear():
    """PyTorch divides by it in Python (ZeroDivisionError); tapegrad's error names it."""
    with pytest.raises(ZeroDivisionError):
        torch.nn.functional.group_norm(torch.zeros(2, 3), 0.0)
    with pytest.raises((TypeError, ValueError), match="group_norm: num_groups"):
        F.group_norm(ag.zeros(2, 3), 0.0)


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.hardtanh(L.tensor([-5, 0, 3])),
    lambda L: L.nn.functional.rms_norm(L.ones(2, 3), (3,), L.ones(3, dtype=L.float64)),
    lambda L: L.nn.functional.kl_div(L.tensor([-1.0, -2.0]), L.tensor([-0.5, 0.5]),
                                     reduction="none"),
    lambda L: L.nn.functional.kl_div(L.tensor([-1.0, -2.0]),
                                     L.tensor([0.0, 0.5], dtype=L.float64), reduction="none"),
])
def test_nnlayer_values_and_dtypes_as_torch(call):
    same_as_torch(call)


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("dim, keepdim", [(-1, "0"), (5, False), ((0, 0), False), (1.0, False)])
def test_any_all_arguments_checked(name, dim, keepdim):
    raises_like_torch(lambda L: getattr(L, name)(L.ones(2, 3), dim, keepdim), name)


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("dim", [(0, 1), (0,), (), 1, None])
def test_any_all_dim_forms_as_torch(name, dim):
    x = [[0.0, 1.0, 2.0], [0.0, 0.0, float("nan")]]
    same_as_torch(lambda L: getattr(L, name)(L.tensor(x), dim) if dim is not None
                  else getattr(L, name)(L.tensor(x)))


@pytest.mark.parametrize("name", ["sinh", "cosh"])
def test_sinh_cosh_of_integers_and_bools_are_float(name):
    same_as_torch(lambda L: getattr(L, name)(L.tensor([True, False])), rtol=1e-6)
    same_as_torch(lambda L: getattr(L, name)(L.tensor([1, 2])), rtol=1e-6)


# --------------------------------------------------------------------------- third pass
def test_stack_promotes_like_cat():
    same_as_torch(lambda L: L.stack([L.ones(2), L.ones(2, dtype=L.int64)]))


def test_split_refuses_negative_sizes():
    raises_like_torch(lambda L: L.split(L.ones(1, 2), (2, -1)), "split")


@pytest.mark.parametrize("call", [lambda L: L.bmm(L.ones(2, 2, 2), 10 ** 20),
                                  lambda L: L.nn.functional.cosine_embedding_loss(
                                      10 ** 20, 0.5, L.ones(1))])
def test_products_and_losses_refuse_numbers(call):
    with pytest.raises(Exception) as t:
        call(TORCH)
    assert isinstance(t.value, (TypeError, AttributeError))  # PyTorch's parser/attribute
    with pytest.raises(TypeError, match="bmm|cosine_embedding_loss"):
        call(AG)


def test_norm_of_one_element_is_its_absolute_value():
    """PyTorch does not square a lone element: norm(1e30) is 1e30 in float32, not inf."""
    same_as_torch(lambda L: L.norm(L.tensor([1e30])) if L is AG else
                  L.linalg.vector_norm(L.tensor([1e30])))
    same_as_torch(lambda L: L.norm(L.tensor([[1e30], [-3.0]]), dim=1) if L is AG else
                  L.linalg.vector_norm(L.tensor([[1e30], [-3.0]]), dim=1))


@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, 3),
    lambda L, x: L.nn.functional.interpolate(x, (7, 3), mode="bilinear"),
    lambda L, x: L.nn.functional.interpolate(x, (7, 3), mode="bilinear", align_corners=True),
    lambda L, x: L.nn.functional.interpolate(x, 2, mode="area"),
])
def test_an_inf_reaches_only_the_outputs_that_read_it(call):
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    x[0, 0, 0, 0] = np.inf
    with np.errstate(invalid="ignore"):
        same_as_torch(lambda L: call(L, L.tensor(x)))


def test_group_norm_of_one_element_groups_has_a_zero_gradient():
    """Deliberate (docs/errors.md, ``_constant_std``): each group is one element, so the
    output is 0 whatever the input and the gradient is 0; PyTorch's is float32 noise."""
    r = np.random.default_rng(1)
    noisy = 0
    for _ in range(5):
        a = r.uniform(-2, 2, (2, 3)).astype(np.float32)
        w = r.uniform(0.5, 1.5, (2, 3)).astype(np.float32)
        xt = torch.tensor(a, requires_grad=True)
        (torch.nn.functional.group_norm(xt, 3) * torch.tensor(w)).sum().backward()
        noisy += int(xt.grad.abs().max() > 0)
        x = ag.tensor(a, requires_grad=True)
        y = F.group_norm(x, 3)
        (y * ag.tensor(w)).sum().backward()
        assert np.all(np.asarray(y.detach()) == 0) and np.all(np.asarray(x.grad) == 0)
        assert np.abs(xt.grad.numpy()).max() < 1e-4  # (PyTorch's: noise, not a gradient)
    assert noisy  # (the difference is real)


def test_chunks_of_an_empty_dimension_beyond_memory():
    with pytest.raises(RuntimeError):
        torch.chunk(torch.zeros(0), 2 ** 40)
    with pytest.raises(ag.OutOfMemoryError, match="chunk"):
        ag.chunk(ag.zeros(0), 2 ** 40)
    assert len(ag.chunk(ag.zeros(0), 3)) == len(torch.chunk(torch.zeros(0), 3)) == 3


@pytest.mark.parametrize("shape, groups", [((2, 0, 3), 3), ((2, 3, 0), 3), ((0, 3, 2), 3)])
def test_group_norm_of_an_empty_input_as_torch(shape, groups):
    same_as_torch(lambda L: L.nn.functional.group_norm(L.zeros(*shape), groups))
