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
    np.testing.assert_allclose(a.data.numpy(), tn, atol=atol, rtol=1e-6)


def weights(T, shape):
    """A non-uniform upstream weight, so a wrong gradient routing cannot hide (a
    tensor of library ``T``, or a NumPy array for ``T = np``)."""
    n = int(np.prod(shape))
    w = np.arange(1, n + 1, dtype=np.float32).reshape(shape)
    return w if T is np else T.tensor(w)


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


# --------------------------------------------------------------------------- views
# Basic indexing returns a view, as in PyTorch: an in-place op through it changes the
# base (tapegrad used to copy, so `x[0].mul_(2)` silently changed nothing).
X34 = np.arange(1, 13, dtype=np.float32).reshape(3, 4)


def _row_mul(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 1
    y[0].mul_(2)
    (y * y * weights(T, (3, 4))).sum().backward()
    return y, x.grad


def _col_add(T):
    x = T.tensor(X34, requires_grad=True)
    w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[:, 1].add_(w * w)
    (y * weights(T, (3, 4))).sum().backward()
    return y, x.grad, w.grad


def _setitem_with_overlapping_view_alive(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 2
    a = y[0]
    y[0, 1] = 7.0  # a sees the 7, and its history must too
    ((y * weights(T, (3, 4))).sum() + (a * weights(T, (4,))).sum()).backward()
    return y, a, x.grad


def _setitem_with_disjoint_view_alive(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 2
    a = y[0]
    y[1] = x[2] * 5
    ((y * weights(T, (3, 4))).sum() + (a * weights(T, (4,))).sum()).backward()
    return y, a, x.grad


def _copy_into_buffer_rows(T):
    h = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    buf = T.zeros(3, 4)
    buf[0].copy_(h * 2)
    buf[2].copy_(h * h)
    (buf * weights(T, (3, 4))).sum().backward()
    return buf, h.grad


def _view_of_view(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 1
    r = y[1:]
    r[0].mul_(3)
    (y * weights(T, (3, 4))).sum().backward()
    return y, r, x.grad


def _strided_view(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 1
    y[:, ::2].mul_(-1)
    (y * weights(T, (3, 4))).sum().backward()
    return y, x.grad


def _view_of_leaf_under_no_grad(T):
    x = T.tensor(X34, requires_grad=True)
    with T.no_grad():
        x[0].mul_(2)
        x[..., 3].fill_(0)
    (x * weights(T, (3, 4))).sum().backward()
    return x, x.grad


def _base_inplace_with_view_alive(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 1
    a = y[0]
    y.mul_(2)
    (a * weights(T, (4,))).sum().backward()
    return a, x.grad


def _scalar_view(T):
    x = T.tensor([1.0, 2.0, 3.0])
    v = x[1]
    v.add_(10)
    x[0].zero_()
    return x, v


VIEW_CASES = [_row_mul, _col_add, _setitem_with_overlapping_view_alive,
              _setitem_with_disjoint_view_alive, _copy_into_buffer_rows, _view_of_view,
              _strided_view, _view_of_leaf_under_no_grad, _base_inplace_with_view_alive,
              _scalar_view]


@pytest.mark.parametrize("case", VIEW_CASES, ids=lambda f: f.__name__.strip("_"))
def test_inplace_through_indexing_views_matches_torch(case):
    for a, t in zip(case(ag), case(torch)):
        assert_same(a, t)


def test_view_version_counter_is_shared_like_torch():
    for T in (ag, torch):
        x = T.tensor(X34)
        v = x[0]
        x.add_(1)
        assert (v._version, x._version) == (1, 1)
        v.mul_(2)
        assert (v._version, x._version) == (2, 2)


def test_advanced_indexing_copies_like_torch():
    for T in (ag, torch):
        x = T.tensor(X34)
        x[[0, 1]].mul_(0)
        x[x > 5].mul_(0)
        np.testing.assert_array_equal(np.asarray(x.detach().numpy()), X34)


def test_inplace_on_view_of_leaf_requiring_grad_raises_like_torch():
    with pytest.raises(RuntimeError, match="view of a leaf"):
        torch.tensor(X34, requires_grad=True)[0].mul_(2)
    with pytest.raises(RuntimeError, match="view of a leaf tensor that requires grad"):
        ag.tensor(X34, requires_grad=True)[0].mul_(2)


def test_saved_view_modified_through_sibling_view_raises_at_backward():
    # PyTorch shares one version counter among all views of a base, so a node that
    # saved y[1] refuses to backward after y[0] was changed in place; so does tapegrad
    for T in (ag, torch):
        x = T.tensor(X34, requires_grad=True)
        y = x * 1
        a = y[1] * y[1]
        y[0].mul_(2)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            a.sum().backward()


def test_writing_through_a_reshape_view_while_recording_is_refused():
    # a reshape/permute view has no index to write its new value back through:
    # refused loudly (PyTorch supports it through as_strided; see docs/conventions.md)
    x = ag.tensor(X34, requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError, match="shares its memory"):
        y.reshape(12).mul_(2)
    with pytest.raises(RuntimeError, match="shares its memory"):
        y.transpose(0, 1)[0].mul_(2)


def _base_inplace_with_reshape_permute_expand_views_alive(T):
    x = T.tensor(X34, requires_grad=True)
    y = x * 1
    z = y.reshape(12)
    p = y.transpose(0, 1)
    e = y[:1].expand(2, 4)
    y.mul_(2)
    y[1, 1] = 0.0
    y[2].add_(x[0])
    loss = (z * T.arange(12).float()).sum() + (p * p).sum() + (e * 3).sum()
    loss.backward()
    return z, p, e, x.grad


def test_live_reshape_permute_expand_views_get_fresh_histories():
    for a, t in zip(_base_inplace_with_reshape_permute_expand_views_alive(ag),
                    _base_inplace_with_reshape_permute_expand_views_alive(torch)):
        assert_same(a, t)


# --------------------------------------------------------------------------- saved values
# An in-place change of a tensor after an op used it must fail at backward only when
# the op's backward reads that tensor: PyTorch saves exp/tanh/sigmoid/sqrt/relu's
# *result*, and `y * c` saves nothing of y when c needs no gradient.
SAVES_RESULT = {
    "exp": lambda T, y: T.exp(y), "tanh": lambda T, y: T.tanh(y),
    "sigmoid": lambda T, y: T.sigmoid(y), "sqrt": lambda T, y: T.sqrt(y),
    "relu": lambda T, y: T.relu(y), "tan": lambda T, y: T.tan(y),
    "softmax": lambda T, y: T.softmax(y, dim=-1),
    "log_softmax": lambda T, y: T.log_softmax(y, dim=-1),
    "where": lambda T, y: T.where(y > 1, T.ones(2, 3), T.zeros(2, 3) + y * 0),
}
XPOS = np.linspace(0.1, 1.2, 6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("name", sorted(SAVES_RESULT))
def test_inplace_change_of_an_input_the_backward_does_not_read(name):
    f = SAVES_RESULT[name]

    def run(T):
        x = T.tensor(XPOS, requires_grad=True)
        y = x * 2
        z = (f(T, y) * weights(T, (2, 3))).sum()
        y.add_(1)
        z.backward()
        return x.grad

    assert_same(run(ag), run(torch), atol=1e-5)


@pytest.mark.parametrize("name", ["sin", "log", "mul"])
def test_inplace_change_of_an_input_the_backward_reads_still_raises(name):
    for T in (ag, torch):
        x = T.tensor(XPOS, requires_grad=True)
        y = x * 2
        z = (y * y if name == "mul" else getattr(T, name)(y)).sum()
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            z.backward()


def test_inplace_change_of_an_output_used_by_mul_with_a_constant():
    def run(T):
        x = T.tensor(XPOS, requires_grad=True)
        y = T.sin(x)
        z = (y * 3.0).sum()  # mul saves y only for the constant's gradient: not needed
        y.add_(1)
        z.backward()
        return x.grad

    assert_same(run(ag), run(torch))


# --------------------------------------------------------------------------- dtypes
FLOORMOD_OPERANDS = [
    (lambda T: T.tensor([-7, 7, 5]), lambda T: T.tensor([2, -3, 5])),
    (lambda T: T.tensor([-7, 7, 5]), lambda T: 3),
    (lambda T: T.tensor([-7, 7, 5]), lambda T: 2.5),
    (lambda T: T.tensor([-7.5, 7.0, 5.25]), lambda T: T.tensor([2, -3, 5])),
    (lambda T: T.tensor([True, False, True]), lambda T: 2),
    (lambda T: 7, lambda T: T.tensor([-3, 3, 2])),
    (lambda T: 7.5, lambda T: T.tensor([-3, 3, 2])),
    (lambda T: T.tensor(np.array([1.5, -2.5, 3.0], dtype=np.float64)), lambda T: T.tensor([0.7, 0.9, -1.1])),
]


@pytest.mark.parametrize("k", range(len(FLOORMOD_OPERANDS)))
@pytest.mark.parametrize("sym", ["//", "%"])
def test_floor_divide_and_remainder_match_torch(k, sym):
    fa, fb = FLOORMOD_OPERANDS[k]
    f = (lambda a, b: a // b) if sym == "//" else (lambda a, b: a % b)
    assert_same(f(fa(ag), fb(ag)), f(fa(torch), fb(torch)), atol=1e-6)


def test_remainder_gradients_match_torch():
    def run(T):
        x = T.tensor([1.5, -2.5, 3.0, 7.25], requires_grad=True)
        w = T.tensor([0.7, 0.9, -1.1, 2.0], requires_grad=True)
        ((x % w) * weights(T, (4,))).sum().backward()
        return x.grad, w.grad

    for a, t in zip(run(ag), run(torch)):
        assert_same(a, t)


def test_clamp_of_int_tensor_to_float_bounds_promotes_like_torch():
    i, ti = ag.tensor([1, 5, 9]), torch.tensor([1, 5, 9])
    assert_same(i.clamp(2.5, 6), ti.clamp(2.5, 6))  # float32 [2.5, 5, 6], not int64 [2, 5, 6]
    assert_same(i.clamp(2, 6), ti.clamp(2, 6))      # int bounds keep int64
    assert_same(i.clamp(max=6.5), ti.clamp(max=6.5))


def test_float32_stays_float32_through_a_training_step_like_torch():
    def run(T):
        x = T.tensor(X23, requires_grad=True)
        w = T.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
        h = T.tanh(x @ w) * 0.5 + x.sum(1, keepdim=True) / 3 - T.sigmoid(x).mean()
        loss = (T.log_softmax(h, dim=1) * weights(T, (2, 4))).sum() + h.var() + (h ** 2).mean()
        loss.backward()
        return loss, x.grad, w.grad

    for a, t in zip(run(ag), run(torch)):
        assert_same(a, t, atol=1e-4)


# --------------------------------------------------------------------------- indexing
BOOL_INDICES = [True, False, (0, True), (True, slice(None), 1), (Ellipsis, True),
                (1, [0, 2], True), (None, True, 0)]


@pytest.mark.parametrize("idx", BOOL_INDICES, ids=repr)
def test_bare_bool_index_adds_a_dimension_like_torch(idx):
    def run(T):
        x = T.tensor(X23, requires_grad=True)
        y = x[idx]
        (y * weights(T, tuple(y.shape))).sum().backward()
        return y, x.grad

    for a, t in zip(run(ag), run(torch)):
        assert_same(a, t)


def test_setitem_repeated_indices_last_write_wins_and_only_it_gets_the_gradient():
    # Values: the last write wins, as in PyTorch on CPU. Gradient: only the copy of v
    # that was written reaches the output, so only it gets a gradient. PyTorch gives
    # every copy g[index] (index_put_'s backward ignores the overwrite), which is not
    # the derivative of the function computed; tapegrad holds to the right answer.
    def run(T):
        x = T.tensor(X234, requires_grad=True)
        v = T.tensor(np.arange(1, 25, dtype=np.float32).reshape(2, 3, 4) * 100, requires_grad=True)
        y = x * 1
        y[[0, 0]] = v
        (y * weights(T, (2, 3, 4))).sum().backward()
        return y, x.grad, v.grad

    (y, xg, vg), (ty, txg, tvg) = run(ag), run(torch)
    assert_same(y, ty)
    assert_same(xg, txg)
    np.testing.assert_array_equal(vg.data.numpy()[0], 0)  # overwritten: no effect on y
    np.testing.assert_array_equal(vg.data.numpy()[1], weights(np, (2, 3, 4))[0])
    assert not np.array_equal(vg.data.numpy(), tvg.numpy())  # the documented difference


def test_negative_slice_step_is_an_extension():
    # PyTorch raises ValueError for x[::-1]; tapegrad follows NumPy (documented in
    # docs/conventions.md), with the gradient of the reversal
    with pytest.raises(ValueError):
        torch.tensor(X23)[:, ::-1]
    x = ag.tensor(X23, requires_grad=True)
    y = x[:, ::-1]
    np.testing.assert_array_equal(y.data.numpy(), X23[:, ::-1])
    (y * ag.tensor(weights(np, (2, 3)))).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), weights(np, (2, 3))[:, ::-1])


# --------------------------------------------------------------------------- shape methods
SHAPE_METHODS = {
    "t": lambda a: a[0].t(), "t_1d": lambda a: a[0, 0].t(),
    "narrow": lambda a: a.narrow(2, 1, 2), "narrow_neg": lambda a: a.narrow(-1, -3, 2),
    "movedim": lambda a: a.movedim(0, -1), "movedim_tuple": lambda a: a.movedim((0, 1), (2, 0)),
    "repeat": lambda a: a.repeat(2, 1, 1), "repeat_more": lambda a: a.repeat(2, 1, 3, 2),
    "repeat_tuple": lambda a: a.repeat((1, 2, 1)), "tile": lambda a: a.tile((2,)),
    "tile_more": lambda a: a.tile(2, 1, 1, 1),
}


@pytest.mark.parametrize("name", sorted(SHAPE_METHODS))
def test_shape_methods_match_torch(name):
    f = SHAPE_METHODS[name]

    def run(T):
        x = T.tensor(X234, requires_grad=True)
        y = f(x)
        (y * weights(T, tuple(y.shape))).sum().backward()
        return y, x.grad

    for a, t in zip(run(ag), run(torch)):
        assert_same(a, t)


def test_t_on_3d_raises_like_torch():
    with pytest.raises(RuntimeError):
        torch.tensor(X234).t()
    with pytest.raises(RuntimeError, match=r"t\(\).*\(2, 3, 4\)"):
        ag.tensor(X234).t()


# --------------------------------------------------------------------------- deliberate
# The rows of "Where tapegrad deliberately differs from PyTorch" in docs/conventions.md.
def test_deliberate_zero_d_promotion_follows_numpy():
    a, b = ag.tensor(X23), ag.tensor(np.float64(2.0))
    assert (a * b).dtype == np.float64
    assert (torch.tensor(X23) * torch.tensor(2.0, dtype=torch.float64)).dtype == torch.float32
    assert (a * np.float64(2.0)).dtype == np.float32  # NumPy scalars follow PyTorch
    x = ag.tensor(X23, requires_grad=True)
    w = ag.tensor(np.float64(0.5), requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64


def test_deliberate_view_of_noncontiguous_copies():
    with pytest.raises(RuntimeError):
        torch.tensor(X234).transpose(0, 1).view(6, 4)
    x = ag.tensor(X234)
    v = x.transpose(0, 1).view(6, 4)
    np.testing.assert_array_equal(v.data.numpy(), X234.transpose(1, 0, 2).reshape(6, 4))
    v.add_(1)  # a copy: x is unchanged
    np.testing.assert_array_equal(x.data.numpy(), X234)


def test_deliberate_self_multiply_in_place_gives_the_right_gradient():
    x = ag.tensor(X23, requires_grad=True)
    y = x * 2
    y.mul_(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), 8 * X23)  # d/dx (2x)^2
    tx = torch.tensor(X23, requires_grad=True)
    ty = tx * 2
    ty.mul_(ty)
    with pytest.raises(RuntimeError):
        ty.sum().backward()


def test_deliberate_data_assignment_after_forward_keeps_the_forward_value():
    x = ag.tensor(X23, requires_grad=True)
    y = (x * x).sum()
    x.data = ag.tensor(X23 * 10)
    y.backward()
    np.testing.assert_allclose(x.grad.data.numpy(), 2 * X23)  # PyTorch: 2 * (10 * X23)


def test_deliberate_supersets_and_mean_of_empty():
    f32, f64 = ag.tensor(X23), ag.tensor(X23.astype(np.float64))
    assert (f32 @ f64.T).dtype == np.float64
    with pytest.raises(RuntimeError):
        torch.tensor(X23) @ torch.tensor(X23.astype(np.float64)).T
    b = ag.tensor([True, False])
    assert (b ** b).dtype == np.bool_  # (PyTorch's dtype for b ** True; b ** b raises there)
    assert (b ** b).tolist() == [True, True]
    assert (torch.tensor([True, False]) ** True).dtype == torch.bool and (b ** True).dtype == np.bool_
    x = ag.tensor(X23, requires_grad=True)
    (x * 2).sum().backward(2.0)
    np.testing.assert_allclose(x.grad.data.numpy(), 4.0)
    with pytest.raises(ValueError, match="empty"):
        ag.zeros(2, 0).mean(1)


def test_deliberate_inplace_change_of_input_read_by_reciprocal_raises():
    x = ag.tensor(XPOS, requires_grad=True)
    y = x * 2
    z = (1 / y).sum()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()
    tx = torch.tensor(XPOS, requires_grad=True)
    ty = tx * 2
    tz = (1 / ty).sum()
    ty.add_(1)
    tz.backward()  # PyTorch saved the result of reciprocal


# --------------------------------------------------------------------------- aliasing
ALIAS_CASES = {
    "cat_of_one": lambda T, x: T.cat([x]),
    "pad_zero": lambda T, x: (T.nn.functional.pad(x, (0, 0)) if T is torch else ag.pad(x, (0, 0))),
    "clone": lambda T, x: x.clone(),
    "flatten": lambda T, x: x.flatten(),
    "permute": lambda T, x: x.permute(1, 0),
    "unsqueeze": lambda T, x: x.unsqueeze(0),
    "reshape": lambda T, x: x.reshape(3, 2),
    "detach": lambda T, x: x.detach(),
    "row": lambda T, x: x[1],
    "column": lambda T, x: x[:, 2],
    "fancy": lambda T, x: x[[1, 0]],
}


@pytest.mark.parametrize("name", sorted(ALIAS_CASES))
def test_which_results_alias_their_input_matches_torch(name):
    def run(T):
        x = T.tensor(X23)
        ALIAS_CASES[name](T, x).mul_(10)
        return x

    assert_same(run(ag), run(torch))


def test_requires_grad_true_on_a_non_leaf_is_a_no_op_like_torch():
    for T in (ag, torch):
        y = T.tensor(X23, requires_grad=True) * 2
        assert y.requires_grad_(True) is y and y.requires_grad
        with pytest.raises(RuntimeError):
            y.requires_grad_(False)


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_that_modifies_the_gradient_in_place(leaf):
    def run(T):
        x = T.tensor(X23, requires_grad=True)
        y = x if leaf else x * 2
        y.register_hook(lambda g: (g.mul_(10), None)[1])
        (y * y).sum().backward()
        return x.grad

    assert_same(run(ag), run(torch))


# --------------------------------------------------------------------------- grad modes
@pytest.mark.parametrize("mode", ["no_grad", "enable_grad"])
def test_grad_mode_classes_decorate_without_parentheses_like_torch(mode):
    def run(T):
        @getattr(T, mode)
        def f(x):
            return x * 2

        x = T.tensor(X23, requires_grad=True)
        with T.set_grad_enabled(mode == "no_grad"):
            y = f(x)
        return y.requires_grad, f.__name__

    assert run(ag) == run(torch) == (mode == "enable_grad", "f")


IDENTITY_VIEWS = {
    "reshape": lambda a: a.reshape(2, 3), "view": lambda a: a.view(2, 3),
    "permute": lambda a: a.permute(0, 1), "expand": lambda a: a.expand(2, 3),
    "squeeze": lambda a: a.squeeze(), "squeeze0": lambda a: a.squeeze(0),
    "transpose00": lambda a: a.transpose(0, 0), "view_as": lambda a: a.view_as(a),
    "expand_as": lambda a: a.expand_as(a),
}


@pytest.mark.parametrize("name", sorted(IDENTITY_VIEWS))
def test_shape_ops_that_change_nothing_still_return_a_new_view(name):
    # PyTorch never returns the input itself here: a hook or retain_grad() on the
    # result must not land on the (leaf) input, and the result is not a leaf
    f = IDENTITY_VIEWS[name]

    def run(T):
        x = T.tensor(X23, requires_grad=True)
        y = f(x)
        calls = []
        y.register_hook(lambda g: calls.append(1))
        (y * weights(T, (2, 3))).sum().backward()
        (x * 1).sum().backward()  # the hook must not fire for a graph without y
        with T.no_grad():
            y.mul_(2)  # still a view: changes x
        return y is x, y.is_leaf, len(calls), x.grad, x

    a, t = run(ag), run(torch)
    assert a[:3] == t[:3] == (False, False, 1)
    assert_same(a[3], t[3])
    assert_same(a[4], t[4])


def test_nested_live_views_get_fresh_histories_after_the_base_changes():
    def run(T):
        x = T.tensor(X34, requires_grad=True)
        y = x * 1
        r = y[1:]
        a = r[0]
        y.mul_(2)      # r and a see the change; their histories must too
        a.add_(x[0])   # and then a write through the deepest view
        loss = (a * weights(T, (4,))).sum() + (r * weights(T, (2, 4))).sum() + (y * y).sum()
        loss.backward()
        return y, r, a, x.grad

    for u, t in zip(run(ag), run(torch)):
        assert_same(u, t)


@pytest.mark.parametrize("how", ["grad", "grad_create_graph", "backward_inputs", "grad_stops_before"])
def test_retained_grads_are_filled_by_grad_and_backward_inputs_like_torch(how):
    def run(T):
        grad = torch.autograd.grad if T is torch else ag.grad
        x = T.tensor(X23, requires_grad=True)
        y = x * 2
        y.retain_grad()
        h = y * 3
        z = (h * h * weights(T, (2, 3))).sum()
        if how == "grad":
            grad(z, x)
        elif how == "grad_create_graph":
            grad(z, x, create_graph=True)
        elif how == "backward_inputs":
            z.backward(inputs=[x])
        else:
            grad(z, h)  # y's node never runs: nothing retained
        return y.grad

    a, t = run(ag), run(torch)
    assert (a is None) == (t is None)
    if t is not None:
        assert_same(a, t)


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_returning_another_dtype_raises_like_torch(leaf):
    for T in (ag, torch):
        x = T.tensor(X23, requires_grad=True)
        y = x if leaf else x * 2
        y.register_hook(lambda g: g.double())
        with pytest.raises(RuntimeError, match="type|dtype"):
            (y * y).sum().backward()
