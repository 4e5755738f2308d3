"""PyTorch's Tensor surface (issue 12): methods, in-place variants, keyword names and
bitwise operators, each compared with torch 2.13 (see test_torch_compat.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd as ag
from autograd.registry import METHODS
from test_torch_compat import raises, same

X = np.array([[0.3, -1.2, 2.0], [0.7, 1.5, -0.4]], dtype=np.float32)
POS = np.abs(X) + 0.5

UNARY = ["exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
         "sign", "erf", "neg", "reciprocal", "rsqrt", "square", "negative", "absolute"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_method_and_inplace_variant(name):
    data = POS if name in ("log", "log1p", "sqrt", "rsqrt", "reciprocal") else X
    same(lambda L: getattr(L.tensor(data), name)(), rtol=1e-5)
    same(lambda L: getattr(L.tensor(data), name + "_")(), rtol=1e-5)
    assert name + "_" in METHODS  # declared through the registry's surface

    def grad_through_inplace(L):  # on a non-leaf, recorded like torch
        x = L.tensor(data, requires_grad=True)
        y = x * 1.5
        r = getattr(y, name + "_")()
        assert r is y
        (y * y).sum().backward()
        return y, x.grad
    same(grad_through_inplace, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,arg", [("mul", 2.5), ("div", 4.0), ("sub", 1.5), ("add", 0.5),
                                      ("pow", 2.0), ("remainder", 0.7), ("floor_divide", 0.7),
                                      ("multiply", 3.0), ("subtract", 2.0), ("divide", 2.0),
                                      ("true_divide", 2.0), ("clamp_min", 0.0), ("clamp_max", 0.5),
                                      ("maximum", None), ("minimum", None)])
def test_binary_method_and_inplace_variant(name, arg):
    def other(L):
        return L.tensor(POS[::-1].copy()) if arg is None else arg
    same(lambda L: getattr(L.tensor(POS), name)(other(L)), rtol=1e-5)
    same(lambda L: getattr(L.tensor(POS), name)(L.tensor(POS[::-1].copy())) if name not in
         ("clamp_min", "clamp_max") else L.zeros(1), rtol=1e-5)
    if name in ("maximum", "minimum"):
        return
    same(lambda L: getattr(L.tensor(POS), name + "_")(other(L)), rtol=1e-5)
    if name == "floor_divide":  # (torch: "derivative for aten::floor_divide_ is not implemented")
        return

    def grad(L):
        x = L.tensor(POS, requires_grad=True)
        y = x + 0.0
        getattr(y, name + "_")(other(L))
        y.sum().backward()
        return y, x.grad
    same(grad, rtol=1e-5)


def test_inplace_on_a_leaf_that_requires_grad_says_so_like_torch():
    for name in ("exp_", "sigmoid_", "reciprocal_", "pow_"):
        for L in (torch, ag):
            x = L.ones(2, requires_grad=True)
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                                   "used in an in-place operation"):
                getattr(x, name)(*([2] if name == "pow_" else []))


def test_inplace_under_no_grad_and_dtype_checks():
    def f(L):
        w = L.tensor(X, requires_grad=True)
        with L.no_grad():
            w.tanh_().mul_(2).sigmoid_().pow_(2)
        return w, w.requires_grad, w.grad_fn is None
    same(f, rtol=1e-6)
    for L in (torch, ag):
        with pytest.raises(RuntimeError, match="can't be cast"):
            L.tensor([1, 2]).exp_()


def test_masked_fill_and_clamp_inplace():
    same(lambda L: L.tensor(X).masked_fill_(L.tensor(X) > 0, -1.0))
    same(lambda L: L.tensor(X).clamp_(-0.5, 0.5))
    same(lambda L: L.tensor(X).clamp_(min=0))


# --------------------------------------------------------------------------- keywords
def test_torch_keyword_names():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    same(lambda L: L.matmul(input=L.tensor(a), other=L.tensor(b)))
    same(lambda L: L.mm(input=L.tensor(a), mat2=L.tensor(b)))
    same(lambda L: L.add(input=L.tensor(a), other=L.tensor(a)))
    same(lambda L: L.mul(L.tensor(a), other=2.0))
    same(lambda L: L.sub(input=L.tensor(a), other=1.0))
    same(lambda L: L.div(L.tensor(a), other=4.0))
    same(lambda L: L.pow(input=L.tensor(a), exponent=2))
    same(lambda L: L.where(condition=L.tensor(a) > 2, input=L.tensor(a), other=L.tensor(-a)))
    same(lambda L: L.exp(input=L.tensor(a)), rtol=1e-5)
    same(lambda L: L.sum(input=L.tensor(a), dim=1, keepdim=True))
    same(lambda L: L.mean(L.tensor(a), dim=0, keepdim=False))
    same(lambda L: L.max(L.tensor(a), dim=1, keepdim=True)[0])
    same(lambda L: L.argmax(L.tensor(a), dim=1))
    same(lambda L: L.softmax(L.tensor(a), dim=1), rtol=1e-5)
    same(lambda L: L.cat([L.tensor(a), L.tensor(a)], dim=1))
    same(lambda L: L.stack([L.tensor(a), L.tensor(a)], dim=0))
    same(lambda L: L.tensor(a).sum(dim=(0, 1), keepdim=True))
    same(lambda L: L.tensor(a).std(dim=1))
    same(lambda L: L.maximum(input=L.tensor(a), other=L.tensor(a[::-1].copy())))
    same(lambda L: L.tensor(a).transpose(0, 1).reshape(-1))


# --------------------------------------------------------------------------- bitwise
INTS = [np.array([6, 3, -4, 0]), np.array([3, 5, 7, -1])]


@pytest.mark.parametrize("op", ["&", "|", "^", "<<", ">>"])
def test_bitwise_operators_on_integers(op):
    shift = op in ("<<", ">>")
    a, b = INTS if not shift else (np.abs(INTS[0]), np.array([1, 2, 0, 3]))
    same(lambda L: eval(f"x {op} y", {"x": L.tensor(a), "y": L.tensor(b)}))
    same(lambda L: eval(f"x {op} 2", {"x": L.tensor(a)}))
    if not shift:
        same(lambda L: eval(f"x {op} y", {"x": L.tensor([True, False, True]),
                                          "y": L.tensor([True, True, False])}))
        same(lambda L: eval(f"x {op} y", {"x": L.tensor(a, dtype=L.int32),
                                          "y": L.tensor(b, dtype=L.int32)}))


def test_bitwise_functions_invert_and_inplace():
    a, b = INTS
    same(lambda L: (~L.tensor(a), ~L.tensor([True, False]), L.bitwise_not(L.tensor(a)),
                    L.bitwise_and(L.tensor(a), L.tensor(b)), L.bitwise_or(L.tensor(a), L.tensor(b)),
                    L.bitwise_xor(L.tensor(a), L.tensor(b)),
                    L.logical_and(L.tensor(a), L.tensor(b)), L.logical_or(L.tensor(a), L.tensor(b)),
                    L.logical_xor(L.tensor(a), L.tensor(b)), L.tensor(a).bitwise_and(L.tensor(b))))

    def inplace(L):
        x = L.tensor(a)
        x &= L.tensor(b)
        y = L.tensor(a)
        y |= 1
        z = L.tensor(a)
        z ^= L.tensor(b)
        m = L.tensor([True, False])
        m &= L.tensor([True, True])
        return x, y, z, m
    same(inplace)
    same(lambda L: (L.tensor([1.0, -2.0]) > 0) & (L.tensor([1.0, 2.0]) > 0))


@pytest.mark.parametrize("expr", ["x & x", "x | x", "x ^ x", "~x"])
def test_bitwise_on_floats_raises_like_torch(expr):
    et = raises(lambda L: eval(expr, {"x": L.tensor([1.5, 2.0])}), torch)
    ea = raises(lambda L: eval(expr, {"x": L.tensor([1.5, 2.0])}), ag)
    phrase = "only implemented on integer and Boolean" if expr == "~x" else "not implemented for"
    assert phrase in str(et) and phrase in str(ea)
    assert isinstance(ea, TypeError)  # (torch: NotImplementedError / TypeError by op)


def test_predicates_and_torchmath_functions():
    a = np.array([[1.0, np.inf, -2.0], [np.nan, 0.0, 3.0]], dtype=np.float32)
    same(lambda L: (L.isinf(L.tensor(a)), L.isnan(L.tensor(a)), L.isfinite(L.tensor(a)),
                    L.logical_not(L.tensor(a)), L.any(L.tensor(a) > 2), L.all(L.tensor(a) > -5),
                    L.count_nonzero(L.tensor(a)), L.tensor(a).isinf(),
                    L.tensor(a).count_nonzero()))
    m = np.arange(1, 13, dtype=np.float32).reshape(3, 4) / 4
    same(lambda L: (L.tril(L.tensor(m)), L.triu(L.tensor(m), 1), L.tensor(m).tril(-1),
                    L.log2(L.tensor(m)), L.log10(L.tensor(m)), L.exp2(L.tensor(m)),
                    L.sinh(L.tensor(m)), L.cosh(L.tensor(m)),
                    L.outer(L.tensor(m[0]), L.tensor(m[1])),
                    L.bmm(L.tensor(m.reshape(1, 3, 4)), L.tensor(m.reshape(1, 4, 3)))), rtol=1e-5)
    same(lambda L: (L.tensor(m).round(), L.tensor(m).floor(), L.ceil(L.tensor(m)),
                    L.trunc(-L.tensor(m)), L.frac(L.tensor(m)), L.round(L.tensor(m), decimals=1),
                    L.tensor(m).gt(1), L.ge(L.tensor(m), 1), L.tensor(m).lt(1),
                    L.le(L.tensor(m), 1), L.eq(L.tensor(m), 1), L.tensor(m).ne(1)), rtol=1e-6)
