"""Values and gradients of every registered op against PyTorch, on the autograd.testing samples.

For each sample: the forward outputs are compared (shape, dtype, values), then one
backward with a random upstream gradient per output is compared for every
differentiable input. float64, ``rtol=1e-6`` (``atol=1e-12`` for values near zero).
Also: first and second derivatives through ``create_graph=True`` against torch's
double backward, and float32 inputs keep torch's output and gradient dtypes.
torch is a dev dependency (pyproject's ``dev`` extra): this module must never skip.
Run::

    .venv/bin/python -m pytest tests/test_ops_torch.py -q -n 2
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch

import autograd as ag

from autograd.testing import OP_DB, all_cases  # noqa: E402

pytestmark = pytest.mark.torch
torch.set_num_threads(1)  # the suite runs under xdist; one thread per worker

RTOL = 1e-6
ATOL = 1e-12

# Ops with no PyTorch analogue, each with the reason. Every other op must have a
# reference (per sample or per op) in autograd.testing. Currently empty: the internal primitives
# map onto torch as follows: index_add -> index_put(accumulate=True) on flat positions,
# unfold/fold -> nn.functional.unfold/fold reshaped, cast -> .to, fill -> clone().fill_,
# copy_from -> clone().copy_, setitem -> clone() + __setitem__, dropout -> x * (the
# mask drawn from the same seeded NumPy generator).
NO_TORCH: set = set()


def _params(pred=lambda s: True):
    return [pytest.param(name, i, id=f"{name}-{i}")
            for name, i, entry, s in all_cases() if name not in NO_TORCH and pred(s)]


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _np_dtype(t: torch.Tensor) -> np.dtype:
    return np.dtype(str(t.dtype).replace("torch.", ""))


def test_every_op_has_a_torch_reference():
    missing = sorted(name for name, entry in OP_DB.items() if name not in NO_TORCH
                     and any(entry.torch_ref(s) is None for s in entry.samples))
    assert not missing, (f"ops with samples but no PyTorch reference: {missing}; add one in "
                         f"autograd/testing/ or list the op in NO_TORCH with the reason")
    assert NO_TORCH <= set(OP_DB), f"NO_TORCH names unregistered ops: {NO_TORCH - set(OP_DB)}"


def _inputs(sample, diff):
    """Our tensors (each keeps its input's memory layout: Fortran order, strided views)
    and torch's (contiguous copies); positions in ``diff`` require grad."""
    ts = []
    for k, a in enumerate(sample.inputs):
        t = ag.from_numpy(a)
        if k in diff:
            t.requires_grad_()
        ts.append(t)
    tt = [torch.tensor(np.array(a, order="C"), requires_grad=k in diff)
          for k, a in enumerate(sample.inputs)]
    return ts, tt


def _errstate(sample):
    if sample.edge:
        return np.errstate(all="ignore")
    return np.errstate(divide="raise", over="raise", invalid="raise", under="ignore")


@pytest.mark.parametrize("name,i", _params())
def test_matches_torch(name, i):
    entry = OP_DB[name]
    sample = entry.samples[i]
    ref = entry.torch_ref(sample)
    diff = sample.diff_positions() if entry.differentiable else []
    before = [a.copy() for a in sample.inputs]
    ts, tt = _inputs(sample, diff)

    with _errstate(sample):
        outs = _tuple(entry.run(sample, ts))
    touts = _tuple(ref(torch, *tt))

    # forward: shapes, dtypes and values
    assert len(outs) == len(touts), f"{name}: {len(outs)} outputs, torch gives {len(touts)}"
    for k, (o, to) in enumerate(zip(outs, touts)):
        assert o.shape == tuple(to.shape), f"{name}: output {k} shape {o.shape} vs torch {tuple(to.shape)}"
        assert o.dtype == _np_dtype(to), f"{name}: output {k} dtype {o.dtype} vs torch {to.dtype}"
        np.testing.assert_allclose(o.data.numpy(), to.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}-{i} ({sample.desc}): output {k} values")

    if not diff:
        for o in outs:
            assert not o.requires_grad, f"{name}: a non-differentiable op's output requires grad"
        _assert_unchanged(name, sample, before)
        return

    # backward: one random upstream gradient per floating output
    rng = np.random.default_rng(zlib.crc32(f"{name}-{i}".encode()))
    live = [k for k, o in enumerate(outs) if o.dtype.kind == "f"]
    assert live and all(outs[k].requires_grad for k in live), f"{name}: output has no grad_fn"
    gs = {k: rng.standard_normal(outs[k].shape).astype(outs[k].dtype) for k in live}
    with _errstate(sample):
        ours = ag.grad([outs[k] for k in live], [ts[k] for k in diff], [gs[k] for k in live],
                       allow_unused=True)
    tlive = [k for k in live if touts[k].requires_grad]
    if tlive:
        theirs = torch.autograd.grad([touts[k] for k in tlive], [tt[k] for k in diff],
                                     [torch.tensor(gs[k], dtype=touts[k].dtype) for k in tlive],
                                     allow_unused=True)
    else:  # torch output is a constant (e.g. p=1 dropout): zero gradients
        theirs = (None,) * len(diff)
    for k, g, tg in zip(diff, ours, theirs):
        a = sample.inputs[k]
        g = np.zeros(a.shape) if g is None else g.data.numpy()
        tg = np.zeros(a.shape) if tg is None else tg.numpy(force=True)
        assert g.shape == a.shape, f"{name}: gradient of input {k} has shape {g.shape}, input {a.shape}"
        np.testing.assert_allclose(g, tg, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}-{i} ({sample.desc}): gradient of input {k}")
    _assert_unchanged(name, sample, before)


def _assert_unchanged(name, sample, before):
    """Ops (forward and backward) never write into their inputs."""
    for k, (a, b) in enumerate(zip(sample.inputs, before)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: input {k} was modified in place")


def _smooth_params():
    return [pytest.param(name, i, id=f"{name}-{i}") for name, i, entry, s in all_cases()
            if name not in NO_TORCH and entry.differentiable and s.grad and s.gradgrad
            and s.diff_positions()]


def _double_backward(grad_fn, outs, inputs, gs, ws, requires_grad):
    """First grads with a graph, then the gradient of sum(first * w) w.r.t. the inputs."""
    live = [k for k, o in enumerate(outs) if requires_grad(o)]
    if not live:
        return [None] * len(inputs), [None] * len(inputs)
    first = grad_fn([outs[k] for k in live], inputs, [gs[k] for k in live], create_graph=True,
                    allow_unused=True)
    terms = [(f * w).sum() for f, w in zip(first, ws) if f is not None and requires_grad(f)]
    if not terms:
        return first, [None] * len(inputs)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return first, grad_fn([total], inputs, allow_unused=True)


@pytest.mark.parametrize("name,i", _smooth_params())
def test_double_backward_matches_torch(name, i):
    """The create_graph=True path (vjps run on Tensors): first and second derivatives
    of every op equal PyTorch's double backward (piecewise-smooth ops off their kinks)."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    ref = entry.torch_ref(sample)
    diff = sample.diff_positions()
    ts, tt = _inputs(sample, diff)
    xs, txs = [ts[k] for k in diff], [tt[k] for k in diff]
    rng = np.random.default_rng(zlib.crc32(f"gg-{name}-{i}".encode()))
    with _errstate(sample):
        outs = _tuple(entry.run(sample, ts))
        touts = _tuple(ref(torch, *tt))
        gs = [rng.standard_normal(o.shape).astype(o.dtype) if o.dtype.kind == "f" else None
              for o in outs]
        ws = [rng.standard_normal(x.shape) for x in xs]
        first, second = _double_backward(
            ag.grad, outs, xs, gs, ws, lambda o: o.dtype.kind == "f" and o.requires_grad)
    tfirst, tsecond = _double_backward(
        torch.autograd.grad, touts, txs,
        [None if g is None else torch.tensor(g, dtype=to.dtype) for g, to in zip(gs, touts)],
        [torch.tensor(w) for w in ws], lambda o: o.requires_grad)
    for what, ours, theirs in (("first", first, tfirst), ("second", second, tsecond)):
        for k, x, g, tg in zip(diff, xs, ours, theirs):
            g = np.zeros(x.shape) if g is None else g.data.numpy()
            tg = np.zeros(x.shape) if tg is None else tg.detach().numpy(force=True)
            np.testing.assert_allclose(g, tg, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name}-{i} ({sample.desc}): {what} "
                                               f"derivative, input {k}")


@pytest.mark.parametrize("name,i", _params(lambda s: not s.edge))  # inf/nan: float64 only
def test_float32_dtypes_match_torch(name, i):
    """The default dtype is float32: on float32 inputs every op's outputs and gradients
    have torch's dtypes (no silent promotion to float64), with float32-level values."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    ref = entry.torch_ref(sample)
    diff = sample.diff_positions() if entry.differentiable else []
    inputs = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in sample.inputs]
    ts = [ag.from_numpy(a) for a in inputs]
    for k in diff:
        ts[k].requires_grad_()
    tt = [torch.tensor(np.array(a, order="C"), requires_grad=k in diff)
          for k, a in enumerate(inputs)]
    with np.errstate(divide="raise", over="ignore", invalid="raise", under="ignore"):
        outs = _tuple(entry.run(sample, ts))
    touts = _tuple(ref(torch, *tt))
    for k, (o, to) in enumerate(zip(outs, touts)):
        assert o.dtype == _np_dtype(to), f"{name}: output {k} dtype {o.dtype} vs torch {to.dtype}"
        np.testing.assert_allclose(o.data.numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name}-{i} ({sample.desc}): float32 output {k}")
    live = [k for k, o in enumerate(outs) if o.dtype.kind == "f" and o.requires_grad]
    if not diff or not live:
        return
    rng = np.random.default_rng(zlib.crc32(f"f32-{name}-{i}".encode()))
    gs = {k: rng.standard_normal(outs[k].shape).astype(outs[k].dtype) for k in live}
    ours = ag.grad([outs[k] for k in live], [ts[k] for k in diff], [gs[k] for k in live],
                   allow_unused=True)
    tlive = [k for k in live if touts[k].requires_grad]
    theirs = torch.autograd.grad([touts[k] for k in tlive], [tt[k] for k in diff],
                                 [torch.tensor(gs[k]) for k in tlive],
                                 allow_unused=True) if tlive else (None,) * len(diff)
    for k, g, tg in zip(diff, ours, theirs):
        if g is None:
            continue
        assert g.dtype == inputs[k].dtype, f"{name}: gradient of input {k} has dtype {g.dtype}"
        if tg is not None:
            np.testing.assert_allclose(g.data.numpy(), tg.numpy(force=True), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name}-{i} ({sample.desc}): float32 gradient {k}")
