"""Hypothesis property tests: random shapes, axes and index arrays.

For each drawn case the gradient (a vector-Jacobian product with a random upstream
gradient, so every output element matters) is compared with PyTorch 2.13 and with
central finite differences (``ag.gradcheck``, float64):

* every binary elementwise op on mutually broadcastable shapes
  (``hypothesis.extra.numpy.mutually_broadcastable_shapes``), with operands kept in
  each op's domain and off its kinks/ties;
* every unary elementwise op and activation on random shapes;
* reductions (sum, mean, prod, amax, max(dim), logsumexp, var) and softmax/log_softmax
  over random axes, with and without keepdim;
* batched matmul with broadcast batch dimensions (gufunc signature ``(m,n),(n,p)``);
* indexing with random integer index arrays (repeats and negative indices), random
  boolean masks and random slices, and ``x[idx] = v`` style index_add;
* shape ops (permute, reshape, broadcast_to, cat/stack) with random arguments;
* conv2d (random channels, kernel, stride, padding, dilation, bias) and max/avg pooling.

Bounded and deterministic: ``max_examples`` per property, ``derandomize=True``,
``deadline=None``. Run::

    .venv/bin/python -m pytest tests/test_properties.py -q
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

pytestmark = pytest.mark.torch
torch.set_num_threads(1)

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PER_OP = settings(SETTINGS, max_examples=25)   # properties parametrized over every op


def _arr(data, shape, lo=-2.0, hi=2.0):
    """Float64 array of ``shape`` with elements in [lo, hi] (drawn by Hypothesis)."""
    return data.draw(hnp.arrays(np.float64, shape,
                                elements=st.floats(lo, hi, allow_nan=False, width=64)))


def _spread(a, lo=0.0, gap=0.05):
    """Distinct values (no ties, no kinks): a with its ranks added in steps of ``gap``."""
    flat = a.ravel()
    order = np.argsort(flat, kind="stable")
    out = np.empty_like(flat)
    out[order] = lo + np.arange(flat.size) * gap + np.sort(flat) * 1e-3
    return out.reshape(a.shape)


def _dodge(x, kinks=(0.0,), margin=0.02):
    """x moved at least ``margin`` away from each kink (finite differences straddling a
    kink are meaningless)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.where(x >= k, 1.0, -1.0) * (margin + np.abs(x - k)), x)
    return x


def _compare(f_ag, f_t, arrays, data, check_fd=True, nondiff=()):
    """Forward values and vjp gradients vs PyTorch, and vs finite differences."""
    xs = [ag.tensor(a, requires_grad=i not in nondiff) if a.dtype.kind == "f" else ag.tensor(a)
          for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=(i not in nondiff and a.dtype.kind == "f"))
          for i, a in enumerate(arrays)]
    y = f_ag(*xs)
    yt = f_t(*ts)
    assert tuple(y.shape) == tuple(yt.shape), (y.shape, yt.shape)
    np.testing.assert_allclose(y.data.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = _arr(data, tuple(y.shape), -1.0, 1.0)
    diff = [i for i, t in enumerate(ts) if t.requires_grad]
    if not diff:
        return
    got = ag.grad(y, [xs[i] for i in diff], ag.tensor(g), allow_unused=True)
    ref = torch.autograd.grad(yt, [ts[i] for i in diff], torch.tensor(g), allow_unused=True)
    for i, a, b in zip(diff, got, ref):
        a = np.zeros(arrays[i].shape) if a is None else a.data.numpy()
        b = np.zeros(arrays[i].shape) if b is None else b.numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"input {i}")
    if check_fd:
        gt = ag.tensor(g)
        assert ag.gradcheck(lambda *v: (f_ag(*v) * gt).sum(), xs, atol=1e-6, rtol=1e-4)


# --------------------------------------------------------------------------- binary ops
BINARY = {
    # name: (tapegrad, torch, make_a, make_b)  -- make_* keep operands in the domain
    "add": (lambda a, b: a + b, lambda a, b: a + b, None, None),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, None, None),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, None, None),
    "div": (lambda a, b: a / b, lambda a, b: a / b, None, lambda b: np.sign(b + 1e-9) * (np.abs(b) + 0.5)),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, lambda a: np.abs(a) + 0.5, None),
    "maximum": (ag.maximum, torch.maximum, None, lambda b: b + 0.01),  # ties are measure zero;
    "minimum": (ag.minimum, torch.minimum, None, lambda b: b - 0.01),  # shifted to be sure
    "where": (lambda a, b: ag.where(a > b, a * 2.0, b), lambda a, b: torch.where(a > b, a * 2.0, b),
              None, lambda b: b + 0.013),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@PER_OP
@given(data=st.data(),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
def test_binary_ops_broadcasting(data, name, shapes):
    f, ft, ma, mb = BINARY[name]
    sa, sb = shapes.input_shapes
    a, b = _arr(data, sa), _arr(data, sb)
    a = ma(a) if ma else a
    b = mb(b) if mb else b
    if name in ("maximum", "minimum", "where"):
        # keep |a - b| away from 0 where they meet (a tie is a kink)
        diff = np.broadcast_arrays(a, b)
        if np.min(np.abs(diff[0] - diff[1]), initial=1.0) < 1e-3:
            b = b + 0.37
    _compare(f, ft, [a, b], data)


# --------------------------------------------------------------------------- unary ops
UNARY = {
    "exp": (ag.exp, torch.exp, None), "log": (ag.log, torch.log, lambda x: np.abs(x) + 0.1),
    "log1p": (ag.log1p, torch.log1p, lambda x: np.abs(x)), "sqrt": (ag.sqrt, torch.sqrt, lambda x: np.abs(x) + 0.1),
    "sin": (ag.sin, torch.sin, None), "cos": (ag.cos, torch.cos, None),
    "tan": (ag.tan, torch.tan, lambda x: x * 0.6), "tanh": (ag.tanh, torch.tanh, None),
    "sigmoid": (ag.sigmoid, torch.sigmoid, None),
    "relu": (ag.relu, torch.relu, _dodge),
    "abs": (ag.abs, torch.abs, _dodge),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), lambda x: torch.nn.functional.leaky_relu(x, 0.1),
                   _dodge),
    "elu": (ag.elu, torch.nn.functional.elu, _dodge),
    "gelu": (ag.gelu, torch.nn.functional.gelu, None),
    "gelu_tanh": (lambda x: ag.gelu(x, approximate="tanh"),
                  lambda x: torch.nn.functional.gelu(x, approximate="tanh"), None),
    "silu": (ag.silu, torch.nn.functional.silu, None),
    "softplus": (ag.softplus, torch.nn.functional.softplus, None),
    "erf": (ag.erf, torch.erf, None), "neg": (ag.neg, torch.neg, None),
    "square": (ag.square, torch.square, None),
    "rsqrt": (ag.rsqrt, torch.rsqrt, lambda x: np.abs(x) + 0.2),
    "reciprocal": (ag.reciprocal, torch.reciprocal, lambda x: np.sign(x + 1e-9) * (np.abs(x) + 0.3)),
    "clamp": (lambda x: ag.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7),
              lambda x: _dodge(x, (-0.5, 0.7))),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@PER_OP
@given(data=st.data(),
       shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
def test_unary_ops(data, name, shape):
    f, ft, dom = UNARY[name]
    x = _arr(data, shape)
    x = dom(x) if dom else x
    _compare(f, ft, [x], data)


# --------------------------------------------------------------------------- reductions
@st.composite
def shape_and_axes(draw, min_dims=1, single=False):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, max_side=4))
    nd = len(shape)
    if single:
        return shape, draw(st.integers(-nd, nd - 1))
    axes = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                          st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                   unique=True).map(tuple)))
    return shape, axes


def _tdim(axes, nd):
    return tuple(range(nd)) if axes is None else axes


REDUCTIONS = ["sum", "mean", "prod", "amax", "logsumexp", "var"]


@pytest.mark.parametrize("name", REDUCTIONS)
@PER_OP
@given(data=st.data(), sa=shape_and_axes(), keep=st.booleans())
def test_reductions_over_random_axes(data, name, sa, keep):
    shape, axes = sa
    nd = len(shape)
    x = _arr(data, shape)
    if name == "amax":
        x = _spread(x, -1.0)           # distinct values: no ties
    if name == "prod":
        x = np.sign(x + 1e-9) * (np.abs(x) + 0.5)
    if name == "var":
        n = int(np.prod([shape[a] for a in np.atleast_1d(_tdim(axes, nd))]))
        if n < 2:
            axes = None
            if int(np.prod(shape)) < 2:
                return
    ta = _tdim(axes, nd)
    f = {"sum": lambda t: ag.sum(t, axis=axes, keepdims=keep),
         "mean": lambda t: ag.mean(t, axis=axes, keepdims=keep),
         "prod": lambda t: ag.prod(t, axis=axes, keepdims=keep),
         "amax": lambda t: ag.amax(t, axis=axes, keepdims=keep),
         "logsumexp": lambda t: ag.logsumexp(t, axis=axes, keepdims=keep),
         "var": lambda t: ag.var(t, axis=axes, keepdims=keep)}[name]

    def ft(t):
        if name == "prod":   # torch.prod takes one dim: reduce one axis at a time
            for a in sorted((a % nd for a in np.atleast_1d(ta)), reverse=True):
                t = torch.prod(t, dim=int(a), keepdim=keep)
            return t
        fn = {"sum": torch.sum, "mean": torch.mean, "amax": torch.amax, "logsumexp": torch.logsumexp,
              "var": torch.var}[name]
        return fn(t, dim=ta, keepdim=keep)
    _compare(f, ft, [x], data)


@pytest.mark.parametrize("which", ["max", "min", "softmax", "log_softmax"])
@PER_OP
@given(data=st.data(), sa=shape_and_axes(single=True), keep=st.booleans())
def test_dim_ops_over_random_axis(data, sa, keep, which):
    shape, dim = sa
    x = _arr(data, shape)
    if which in ("max", "min"):
        x = _spread(x, -1.0)
        f = lambda t: getattr(ag, which)(t, dim=dim, keepdim=keep).values
        ft = lambda t: getattr(torch, which)(t, dim=dim, keepdim=keep).values
    else:
        f = lambda t: getattr(ag, which)(t, dim=dim)
        ft = lambda t: getattr(torch, which)(t, dim=dim)
    _compare(f, ft, [x], data)


# --------------------------------------------------------------------------- matmul
@SETTINGS
@given(data=st.data(),
       shapes=hnp.mutually_broadcastable_shapes(signature="(m,n),(n,p)->(m,p)", max_dims=2,
                                                max_side=4),
       squeeze=st.sampled_from([None, "left", "right"]))
def test_matmul_broadcast_batches(data, shapes, squeeze):
    sa, sb = shapes.input_shapes
    if squeeze == "left" and len(sa) == 2:
        sa = sa[1:]                     # a vector on the left: (n,) @ (..., n, p)
    if squeeze == "right" and len(sb) == 2:
        sb = sb[:1]                     # (..., m, n) @ (n,)
    _compare(lambda a, b: a @ b, lambda a, b: a @ b, [_arr(data, sa), _arr(data, sb)], data)


# --------------------------------------------------------------------------- indexing
@st.composite
def index_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    kind = draw(st.sampled_from(["int_array", "two_arrays", "mask", "slice", "int_then_array"]))
    if kind == "int_array":   # repeats and negatives along a random axis
        ax = draw(st.integers(0, len(shape) - 1))
        n = shape[ax]
        idx = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=7)))
        return shape, ((slice(None),) * ax + (idx,)), f"axis {ax}"
    if kind == "two_arrays" and len(shape) >= 2:
        k = draw(st.integers(1, 6))
        i = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=k, max_size=k)))
        j = np.array(draw(st.lists(st.integers(0, shape[1] - 1), min_size=k, max_size=k)))
        return shape, (i, j), "pairs"
    if kind == "mask":
        m = draw(hnp.arrays(np.bool_, shape[:1 if len(shape) == 1 else draw(st.integers(1, 2))]))
        return shape, (m,), "mask"
    if kind == "int_then_array" and len(shape) >= 2:
        idx = np.array(draw(st.lists(st.integers(0, shape[-1] - 1), min_size=1, max_size=4)))
        return shape, ((draw(st.integers(-shape[0], shape[0] - 1)),)
                       + (slice(None),) * (len(shape) - 2) + (idx,)), "int+array"
    start = draw(st.integers(0, shape[0] - 1))
    step = draw(st.integers(1, 3))
    return shape, (slice(start, None, step),), "slice"


def _torch_index(index):
    return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)


@SETTINGS
@given(data=st.data(), case=index_case())
def test_indexing_random_index_arrays(data, case):
    shape, index, _ = case
    x = _arr(data, shape)
    _compare(lambda t: t[index], lambda t: t[_torch_index(index)], [x], data)


@SETTINGS
@given(data=st.data(), case=index_case())
def test_index_then_reuse_accumulates(data, case):
    """x[idx] used twice plus x itself: repeated-index and fan-out accumulation together."""
    shape, index, _ = case
    x = _arr(data, shape)
    _compare(lambda t: ag.sin(t[index]) * t[index] + t.sum(),
             lambda t: torch.sin(t[_torch_index(index)]) * t[_torch_index(index)] + t.sum(),
             [x], data)


# --------------------------------------------------------------------------- shape ops
@pytest.mark.parametrize("which", ["permute", "reshape", "broadcast_to", "cat", "stack"])
@PER_OP
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_shape_ops_random_arguments(data, shape, which):
    nd = len(shape)
    x = _arr(data, shape)
    if which == "permute":
        p = tuple(data.draw(st.permutations(range(nd))))
        _compare(lambda t: ag.permute(t, p) * 1.5, lambda t: t.permute(p) * 1.5, [x], data)
    elif which == "reshape":
        n = int(np.prod(shape))
        divs = [d for d in range(1, n + 1) if n % d == 0]
        d = data.draw(st.sampled_from(divs))
        _compare(lambda t: ag.reshape(t, (d, -1)), lambda t: t.reshape(d, -1), [x], data)
    elif which == "broadcast_to":
        target = tuple(data.draw(st.integers(1, 3)) if s == 1 else s for s in shape)
        target = (data.draw(st.integers(1, 3)),) + target
        _compare(lambda t: ag.broadcast_to(t, target), lambda t: t.broadcast_to(target), [x], data)
    else:
        ax = data.draw(st.integers(-nd, nd - 1)) if which == "cat" else data.draw(st.integers(-nd - 1, nd))
        y = _arr(data, shape)
        f = (lambda a, b: ag.cat([a, b, a], dim=ax)) if which == "cat" else (lambda a, b: ag.stack([a, b, a], dim=ax))
        ft = (lambda a, b: torch.cat([a, b, a], dim=ax)) if which == "cat" else (lambda a, b: torch.stack([a, b, a], dim=ax))
        _compare(f, ft, [x, y], data)


# --------------------------------------------------------------------------- conv, pooling
@st.composite
def conv_case(draw):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    h = draw(st.integers(max(1, dil[0] * (kh - 1) + 1 - 2 * pad[0]), 6))
    w = draw(st.integers(max(1, dil[1] * (kw - 1) + 1 - 2 * pad[1]), 6))
    return (n, c, h, w), (o, c, kh, kw), stride, pad, dil, draw(st.booleans())


@PER_OP
@given(data=st.data(), case=conv_case())
def test_conv2d_random_geometry(data, case):
    xs, ws, stride, pad, dil, bias = case
    arrays = [_arr(data, xs), _arr(data, ws)] + ([_arr(data, (ws[0],))] if bias else [])
    _compare(lambda *t: ag.conv2d(*t, stride=stride, padding=pad, dilation=dil),
             lambda *t: torch.nn.functional.conv2d(*t, stride=stride, padding=pad, dilation=dil),
             arrays, data)


@pytest.mark.parametrize("which", ["max", "avg"])
@PER_OP
@given(data=st.data(), shape=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(2, 6),
                                       st.integers(2, 6)),
       k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1))
def test_pooling_random_geometry(data, which, shape, k, s, p):
    assume(k <= min(shape[2:]) + 2 * p and p <= k // 2)
    x = _arr(data, shape)
    if which == "max":
        x = _spread(x, -1.0)   # distinct values: no tied maxima within a window
        f = lambda t: ag.max_pool2d(t, k, stride=s, padding=p)
        ft = lambda t: torch.nn.functional.max_pool2d(t, k, stride=s, padding=p)
    else:
        f = lambda t: ag.avg_pool2d(t, k, stride=s, padding=p)
        ft = lambda t: torch.nn.functional.avg_pool2d(t, k, stride=s, padding=p)
    _compare(f, ft, [x], data)
