"""Hostile input to the Tensor surface and the elementwise/bitwise/logical/comparison ops
(issue 17): each kind of defect the bad-input fuzzer found, pinned against PyTorch 2.13.

Every test calls the same expression on tapegrad and on torch and checks that tapegrad
raises an instance of PyTorch's exception class (``NotImplementedError`` counts as its
base ``RuntimeError``) with a message naming the op called, or returns PyTorch's value
and dtype.
"""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the class is what is compared
        return e
    raise AssertionError("did not raise")


def _torch_class(exc: BaseException) -> type:
    tc = type(exc)
    if tc is NotImplementedError:
        return RuntimeError
    return next(k for k in tc.__mro__ if k.__module__ == "builtins")


def _env(lib, env: dict) -> dict:
    return {"L": lib, "np": np, **{k: make(lib) for k, make in env.items()}}


def same_error(expr: str, names, **env):
    """``expr`` raises in both libraries; tapegrad's error is of torch's class and names
    the op (one of ``names``). ``L`` is the library in ``expr``."""
    et = _raised(lambda: eval(expr, _env(torch, env)))
    ea = _raised(lambda: eval(expr, _env(ag, env)))
    assert isinstance(ea, _torch_class(et)), (expr, type(ea).__name__, ea, type(et).__name__, et)
    names = [names] if isinstance(names, str) else names
    assert any(n in str(ea) for n in names), (expr, str(ea))
    return ea


def same_value(expr: str, **env):
    rt = eval(expr, _env(torch, env))
    ra = eval(expr, _env(ag, env))
    if isinstance(rt, torch.Tensor):
        assert np.dtype(str(rt.dtype).replace("torch.", "")) == ra.dtype, (expr, ra.dtype, rt.dtype)
        np.testing.assert_allclose(np.asarray(ra.detach()), rt.detach().numpy(), rtol=1e-6)
    else:
        assert ra == rt, (expr, ra, rt)


F = lambda L: L.ones(2, 3)                                        # noqa: E731
FR = lambda L: L.ones(2, 3, requires_grad=True)                   # noqa: E731
I = lambda L: L.ones(2, 3, dtype=L.int64)                         # noqa: E731, E741
B = lambda L: L.ones(2, 3, dtype=L.bool)                          # noqa: E731
I3 = lambda L: L.ones(3, 3, dtype=L.int64)                        # noqa: E731

BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
           "bitwise_right_shift"]


# --------------------------------------------------------------------------- bitwise
@pytest.mark.parametrize("op", BITWISE)
def test_bitwise_of_floats_is_a_runtime_error_naming_the_op(op):
    e = same_error(f"L.{op}(f, i)", op, f=F, i=I)
    assert isinstance(e, ag.DtypeError)  # (also a TypeError, like `~x` of a float)


@pytest.mark.parametrize("op", BITWISE)
def test_bitwise_shapes_are_checked_first(op):
    # float operands of shapes that do not broadcast: PyTorch reports the shapes
    e = same_error(f"L.{op}(L.ones(2, 3), L.ones(3, 3))", op)
    assert isinstance(e, ag.ShapeError) and "(2, 3)" in str(e)


@pytest.mark.parametrize("expr", ["f & i", "f | i", "f ^ i", "f << i", "i >> f", "i & 1.5",
                                  "f.__rand__(i)", "i.__ror__(f)", "i.__rxor__(f)",
                                  "i.bitwise_and(f)", "~f"])
def test_bitwise_operators_of_floats(expr):
    same_error(expr, ["bitwise", "operator.invert"], f=F, i=I)


@pytest.mark.parametrize("expr", ["fr.__iand__(i)", "fr.bitwise_or_(i)", "fr.__ixor__(i)"])
def test_bitwise_in_place_on_a_leaf_names_the_method(expr):
    e = same_error(expr, ["bitwise_and_", "bitwise_or_", "bitwise_xor_"], fr=FR, i=I)
    assert "leaf" in str(e)


@pytest.mark.parametrize("expr", ["i.__iand__(f)", "b.__ior__(i)", "i.__iand__(i3)"])
def test_bitwise_in_place_result_must_fit(expr):
    same_error(expr, ["bitwise_and", "bitwise_or"], f=F, i=I, b=B, i3=I3)


def test_bitwise_values_and_dtypes_match_torch():
    same_value("L.ones(3, dtype=L.int32) & 3")  # (a 0-d tensor: docs/conventions.md)
    same_value("L.tensor([True, False]) << 1")
    same_value("L.tensor([1, -8, 3, 7]) << L.tensor([70, -1, 64, 2])")
    same_value("L.tensor([1, -8, 3, 7]) >> L.tensor([70, -1, 64, 2])")
    same_value("L.tensor([True, False]) ^ L.tensor([True, True])")
    same_value("i.__iand__(L.ones(3, dtype=L.int32))", i=I)
    same_value("L.tensor([3, 6]) & np.array([1, 2])")  # (a NumPy array is a tensor operand)
    same_error("L.tensor([True]) << L.tensor([True])", "bitwise_left_shift")


@pytest.mark.parametrize("op", ["__and__", "__rand__", "__or__", "__ror__", "__xor__",
                                "__rxor__", "__lshift__", "__rshift__", "__iand__",
                                "__ior__", "__ixor__"])
@pytest.mark.parametrize("other", [None, "abc", (), [1, 2, 3]])
def test_operator_methods_return_not_implemented_for_other_types(op, other):
    assert getattr(torch.ones(3, dtype=torch.int64), op)(other) is NotImplemented
    assert getattr(ag.ones(3, dtype=ag.int64), op)(other) is NotImplemented
    with pytest.raises(TypeError, match="unsupported operand"):
        ag.ones(3, dtype=ag.int64) & "abc"


# --------------------------------------------------------------------------- logical / compare
@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
def test_logical_shapes(op):
    same_error(f"L.{op}(L.ones(2, 3), L.ones(2))", op)
    same_error(f"L.ones(2, 3).{op}(L.ones(1, 2, 4, 4))", op)
    same_value(f"L.{op}(L.tensor([0., 2.]), L.tensor([[0], [3]]))")


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_shape_errors_name_the_op(op):
    same_error(f"L.{op}(L.ones(2, 3), L.ones(3, 3))", op)
    same_error(f"L.ones(2, 3).{op}(L.ones(4))", op)


def test_comparison_with_none_or_a_string_is_pythons():
    x = ag.ones(3)
    assert (x == None) is False and (x != None) is True  # noqa: E711
    assert x.__eq__("a") is NotImplemented and torch.ones(3).__eq__("a") is NotImplemented
    with pytest.raises(TypeError):
        x < "a"


# --------------------------------------------------------------------------- isclose / allclose
@pytest.mark.parametrize("fn", ["isclose", "allclose"])
def test_isclose_checks_like_torch(fn):
    same_error(f"L.{fn}(f, f, -1.0)", fn, f=F)
    same_error(f"L.{fn}(f, f, 1e-5, -1)", fn, f=F)
    same_error(f"L.{fn}(f, f, float('nan'))", fn, f=F)
    same_error(f"L.{fn}(f, f.double())", fn, f=F)
    same_error(f"L.{fn}(f, i)", fn, f=F, i=I)
    same_error(f"L.{fn}(L.ones(2, 3), L.ones(3, 3))", fn)
    same_error(f"L.{fn}(f, f, 1e-5, 1e-8, 2)", fn, f=F)
    with pytest.raises(TypeError, match=fn):
        getattr(ag, fn)(ag.ones(3), ag.ones(3), "a")


def test_isclose_values_match_torch():
    same_value("L.isclose(L.tensor([3]), L.tensor([4]), 0.5, 0.5)")
    same_value("L.isclose(L.tensor([1., float('nan')]), L.tensor([1., float('nan')]), "
               "equal_nan=True)")
    same_value("L.isclose(L.tensor([True, False]), L.tensor([True, True]))")
    same_value("L.allclose(L.ones(2, 3), L.ones(3, 2, 3))")
    same_value("L.isclose(L.ones(2, 3), L.ones(3), float('inf'))")


# --------------------------------------------------------------------------- in-place methods
@pytest.mark.parametrize("expr,name", [("fr.absolute_()", "absolute_"),
                                       ("fr.clamp_max_(2.0)", "clamp_max_"),
                                       ("fr.clamp_min_(1)", "clamp_min_"),
                                       ("fr.uniform_()", "uniform_"),
                                       ("fr.normal_()", "normal_"),
                                       ("fr.negative_()", "negative_"),
                                       ("fr.masked_fill_(b, 1.0)", "masked_fill_")])
def test_in_place_on_a_leaf_names_the_method(expr, name):
    e = same_error(expr, name, fr=FR, b=B)
    assert "leaf" in str(e)


@pytest.mark.parametrize("expr,name", [("i.rsqrt_()", "rsqrt_"), ("i.sqrt_()", "sqrt_"),
                                       ("i.clamp_(1.5)", "clamp_"),
                                       ("i.clamp_(1 + 1j)", "clamp_"),
                                       ("L.tensor([True]).neg_()", "neg_"),
                                       ("L.tensor([True]).negative_()", "negative_")])
def test_in_place_result_must_fit_the_tensor(expr, name):
    same_error(expr, name, i=I)


def test_clamp_bounds():
    same_error("L.ones(3, dtype=L.int32).clamp(2 ** 40)", "clamp")
    same_error("L.ones(3, dtype=L.int32).clip_(2 ** 40)", "clip_")
    same_error("f.clamp_min(None)", "clamp_min", f=F)
    same_error("f.clamp_max_('a')", "clamp_max_", f=F)
    same_value("L.ones(3, dtype=L.int64).clamp_min(3)")
    same_value("L.ones(0, dtype=L.int64).clamp_max(3)")
    same_value("L.ones(2, 3).clamp_(L.zeros(3), L.ones(3) * 0.5)")


def test_masked_fill_checks_its_mask_and_value():
    for name in ("masked_fill", "masked_fill_"):
        same_error(f"f.{name}(f, 1)", name, f=F)
        same_error(f"f.{name}(b, L.ones(3))", name, f=F, b=B)
        same_value(f"i.{name}(b, 1.5)", i=I, b=B)
        same_value(f"i.{name}(b, L.tensor(2.5))", i=I, b=B)
        same_error(f"i.{name}(b, 1e30)", name, i=I, b=B)
    same_error("f.masked_fill_(L.ones(3, 2, 3, dtype=L.bool), 1)", "masked_fill_", f=F)
    same_value("f.masked_fill(L.ones(3, 2, 3, dtype=L.bool), 1)", f=F)


def test_uniform_and_normal_check_their_arguments():
    same_error("f.uniform_(1, 0)", "uniform_", f=F)
    same_error("f.uniform_(0, float('inf'))", "uniform_", f=F)
    same_error("f.uniform_(10 ** 20)", "uniform_", f=F)
    same_error("f.uniform_(L.ones(3), 1)", "uniform_", f=F)
    same_error("f.normal_(0, -1)", "normal_", f=F)
    same_error("f.normal_(0, float('nan'))", "normal_", f=F)
    same_error("f.normal_(None)", "normal_", f=F)
    same_error("i.uniform_()", "uniform_", i=I)
    with pytest.raises(TypeError, match="uniform_"):
        ag.ones(3).uniform_(0, 1, 1.0)  # a generator that is not one
    t = ag.ones(3)
    t.uniform_(1, 1)
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_round_decimals():
    for bad in ("'a'", "[1, 2]", "float('nan')", "-10 ** 30"):
        with pytest.raises((TypeError, ValueError), match="round_"):  # (torch: TypeError)
            eval(f"ag.ones(3).round_({bad})")
    with pytest.raises(TypeError, match="round"):
        ag.round(ag.ones(3), "a")


# --------------------------------------------------------------------------- new_* / cuda / tensor
def test_new_methods():
    same_error("f.new_full(3, 0.5)", "new_full", f=F)
    same_error("f.new_full((2,), None)", "new_full", f=F)
    same_error("f.new_full((-1,), 1)", "new_full", f=F)
    same_error("i.new_full((2,), 1e30)", "new_full", i=I)
    same_value("i.new_full((2,), 1.5)", i=I)
    same_value("f.new_full((2,), 1e30)", f=F)
    same_error("f.new_zeros(2.0)", "new_zeros", f=F)
    same_error("f.new_zeros(-1)", "new_zeros", f=F)
    same_error("f.new_ones((2, None))", "new_ones", f=F)
    same_value("f.new_ones(2, 3)", f=F)
    same_value("f.new_tensor(3)", f=F)
    same_value("f.new_tensor(i)", f=F, i=I)
    same_error("f.new_tensor('a')", "tensor", f=F)
    with pytest.raises(TypeError, match="new_tensor"):
        ag.ones(2).new_tensor([1.0], None, 0.5)  # device=0.5


def test_cuda_checks_its_device():
    same_error("f.cuda(2.0)", "cuda()", f=F)
    same_error("f.cuda(True)", "cuda()", f=F)
    same_error("f.cuda('cpu')", "cuda()", f=F)
    same_error("f.cuda(-1)", "cuda()", f=F)
    e = _raised(lambda: ag.ones(2).cuda(0))
    assert isinstance(e, RuntimeError) and isinstance(e, AssertionError) and "cuda()" in str(e)
    assert ag.ones(2).is_cuda is False and torch.ones(2).is_cuda is False


def test_python_ints_beyond_int64():
    e = _raised(lambda: ag.tensor(10 ** 20))
    assert isinstance(e, ValueError) and not isinstance(e, OverflowError)  # torch: ValueError
    e = _raised(lambda: ag.ones(2, 3, 4).bmm(10 ** 20))
    assert not isinstance(e, OverflowError) and "int" in str(e)
    e = _raised(lambda: ag.tensor(10 ** 20, dtype=ag.int32))
    assert isinstance(e, ValueError) and str(e).startswith("tensor:")
    with pytest.raises(TypeError, match="tensor"):
        ag.tensor([1.0], device=0.5)


def test_tensor_type_refuses_non_dtypes():
    for bad in ([1, 2], "a", "complex64", "torch.cfloat"):
        same_error(f"f.type({bad!r})", "type", f=F)
    same_error("f.to('object')", "to", f=F)


# --------------------------------------------------------------------------- bool inputs
def test_unary_ops_of_bool_tensors():
    same_value("L.sinh(b)", b=B)
    same_value("L.cosh(b)", b=B)
    same_value("L.sinh(i)", i=I)
    same_error("L.nn.functional.softsign(b)", "softsign", b=B)
    same_error("L.frac(b)", "frac", b=B)


# --------------------------------------------------------------------------- deliberate
def test_deliberate_gelu_of_inf_is_inf():
    """docs/errors.md `_kernel_overflow`: +inf, PyTorch's float64 answer (its float32 kernel
    gives NaN)."""
    x = [float("inf"), 1.0]
    assert ag.gelu(ag.tensor(x)).tolist()[0] == float("inf")
    assert ag.gelu(ag.tensor(x, dtype=ag.float64)).tolist()[0] == float("inf")
    assert torch.nn.functional.gelu(torch.tensor(x, dtype=torch.float64))[0].item() == \
        float("inf")


def test_deliberate_softplus_does_not_overflow():
    """docs/errors.md `_kernel_overflow`: softplus(x, beta=1e30, threshold=inf) is ~x (the
    true value; PyTorch's exp(beta x) overflows to inf), and PyTorch agrees where its
    kernel does not overflow (the default threshold makes it linear there)."""
    x = [1.0, 2.0, -3.0]
    ours = ag.softplus(ag.tensor(x), 1e30, float("inf")).tolist()
    assert ours == pytest.approx([1.0, 2.0, 0.0])
    assert torch.nn.functional.softplus(torch.tensor(x), 1e30, float("inf"))[0].item() == \
        float("inf")
    assert ag.softplus(ag.tensor(x), 1e30).tolist() == \
        torch.nn.functional.softplus(torch.tensor(x), 1e30).tolist()
