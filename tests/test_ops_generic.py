"""Generic tests over every registered op (``autograd.OPS`` and ``autograd.COMPOSITES``).

* every differentiable op is gradchecked in float64 on each of its samples in
  ``autograd/testing/``; every smooth one is gradgradchecked too, piecewise-smooth ones
  off their kinks as well, and one sample per smooth op gets third derivatives;
* every multi-input op is gradchecked with one tensor in every slot (fan-out);
* backward through each op leaves its upstream gradient and saved values untouched,
  returns non-aliased gradients and repeats exactly; nothing is recorded under
  ``no_grad()``;
* a registered op without samples fails the suite, and so does a sample list for a
  name nobody registered, a public op function without samples, or a sample table
  that lost its 0-d / size-1 / non-contiguous / broadcasting / keepdims coverage;
* every op name API.md lists for ``autograd`` exists as a function and is registered.

Values and gradients against PyTorch are in ``test_ops_torch.py``.

Test ids are ``<op name>-<sample index>``: a failure names the op. Run::

    .venv/bin/python -m pytest tests/test_ops_generic.py -q -n 2
"""
from __future__ import annotations


import numpy as np
import pytest

import autograd as ag
from autograd import COMPOSITES, OPS, Tensor

from autograd.testing import OP_DB, UNREGISTERED, all_cases, make_inputs  # noqa: E402


def _params(pred):
    return [pytest.param(name, i, id=f"{name}-{i}")
            for name, i, entry, s in all_cases() if pred(entry, s)]


def _f(entry, sample):
    def f(*ts):
        return entry.run(sample, ts)

    f.__name__ = entry.name
    return f


def _errstate(sample):
    """Samples stay inside the domain, so any NumPy overflow / invalid / divide-by-zero
    is an error (edge samples produce inf on purpose)."""
    if sample.edge:
        return np.errstate(all="ignore")
    return np.errstate(divide="raise", over="raise", invalid="raise", under="ignore")


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and s.grad))
def test_gradcheck(name, i):
    entry = OP_DB[name]
    sample = entry.samples[i]
    assert sample.diff_positions(), f"{name}-{i}: no differentiable input"
    with _errstate(sample):
        assert ag.gradcheck(_f(entry, sample), make_inputs(sample), eps=sample.eps,
                            fast_mode=sample.fast)


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and e.smooth
                                           and s.grad and s.gradgrad))
def test_gradgradcheck(name, i):
    entry = OP_DB[name]
    sample = entry.samples[i]
    with _errstate(sample):
        assert ag.gradgradcheck(_f(entry, sample), make_inputs(sample), eps=sample.eps,
                                fast_mode=sample.fast)


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and not e.smooth
                                           and s.grad and s.gradgrad))
def test_gradgradcheck_off_kinks(name, i):
    """Piecewise-smooth ops (relu, abs, clamp, max, max_pool2d, ...) have second
    derivatives too away from their kinks (0 in x, the mask in the upstream gradient),
    and their create_graph path must get them right: gradient penalties use it. The
    samples sit off the kinks, so finite differences apply."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    with _errstate(sample):
        assert ag.gradgradcheck(_f(entry, sample), make_inputs(sample), eps=sample.eps,
                                fast_mode=sample.fast)


@pytest.mark.parametrize("name,i", _params(lambda e, s: not e.differentiable))
def test_nondifferentiable_records_nothing(name, i):
    entry = OP_DB[name]
    sample = entry.samples[i]
    ts = make_inputs(sample)
    out = entry.run(sample, ts)
    for o in out if isinstance(out, tuple) else (out,):
        assert o.grad_fn is None and not o.requires_grad


def test_every_registered_op_has_samples():
    missing = sorted(n for n in list(OPS) + list(COMPOSITES)
                     if n not in OP_DB or not OP_DB[n].samples)
    assert not missing, (f"registered ops without samples in autograd/testing/: {missing}; "
                         f"add samples for them")


def test_every_differentiable_op_has_a_gradchecked_sample():
    bad = sorted(n for n, e in OP_DB.items()
                 if e.differentiable and not any(s.grad for s in e.samples))
    assert not bad, f"differentiable ops whose samples are all grad=False: {bad}"


def test_no_samples_for_unregistered_names():
    assert not UNREGISTERED, f"autograd.testing has samples for unregistered ops: {UNREGISTERED}"


# (shared/API.md's op list is checked against the registry in tests/test_registry.py)


@pytest.mark.parametrize("expr,op", [
    (lambda x, y: x + y, "add"), (lambda x, y: x - y, "sub"), (lambda x, y: x * y, "mul"),
    (lambda x, y: x / y, "div"), (lambda x, y: x ** y, "pow"), (lambda x, y: x @ y, "matmul"),
    (lambda x, y: 2.0 + x, "add"), (lambda x, y: 2.0 - x, "sub"), (lambda x, y: 2.0 * x, "mul"),
    (lambda x, y: 2.0 / x, "div"), (lambda x, y: 2.0 ** x, "pow"), (lambda x, y: -x, "neg"),
    (lambda x, y: abs(x), "abs"), (lambda x, y: x[0], "getitem"),
], ids=["add", "sub", "mul", "div", "pow", "matmul", "radd", "rsub", "rmul", "rdiv", "rpow",
        "neg", "abs", "getitem"])
def test_operators_record_their_op(expr, op):
    x = ag.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    y = ag.tensor(np.array([[0.5, 1.5], [2.5, 0.25]]), requires_grad=True)
    assert expr(x, y).grad_fn.op.name == op


def test_gradcheck_fails_on_nan():
    """The generic tests are only as good as gradcheck: a NaN gradient (analytical or
    numerical) must fail, not slip through as a NaN tolerance."""
    def nan_grad(x):  # forward fine, numerical Jacobian NaN
        return ag.sqrt(x) * 0.0 + ag.where(x > 0, x, x)

    x = ag.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with np.errstate(all="ignore"):
        report = ag.gradcheck(nan_grad, [x], raise_exception=False)
    assert not report


def _aliasable(entry, s):
    d = s.diff_positions()
    if entry.name == "pow" and (s.inputs[0] <= 0).any():
        return False  # x ** x leaves the domain below 0
    if entry.name == "kl_div" and not s.attrs.get("log_target") and (s.inputs[0] < 0).any():
        return False  # target log target is NaN below 0 (PyTorch's xlogy)
    return (entry.differentiable and s.grad and len(d) >= 2
            and len({(s.inputs[k].shape, s.inputs[k].dtype) for k in d}) == 1)


@pytest.mark.parametrize("name,i", _params(_aliasable))
def test_gradcheck_same_tensor_in_every_slot(name, i):
    """One tensor fed to every differentiable slot (x * x, cat([x, x]), maximum(x, x),
    matmul(x, x), ...): the engine must sum the gradients of all slots."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    diff = sample.diff_positions()
    ts = make_inputs(sample)
    x = ts[diff[0]]

    def f(x):
        return entry.run(sample, [x if k in diff else t for k, t in enumerate(ts)])

    f.__name__ = f"{name} (aliased)"
    with _errstate(sample):
        assert ag.gradcheck(f, [x], eps=sample.eps, fast_mode=sample.fast)


# Ops that cannot take a 0-d input, and why (every other op needs a 0-d sample).
NO_ZERO_D = {
    "cat": "0-d tensors cannot be concatenated (stack them)",
    "pad": "a 0-d tensor has no dimension to pad",
    "matmul": "both operands need at least one dimension",
    "bmm": "(b, n, m) and (b, m, p) only", "outer": "two vectors",
    "tril": "needs at least 2 dimensions", "triu": "needs at least 2 dimensions",
    "linear": "the input needs a feature dimension, the weight two",
    "unfold": "needs (N, C, H, W)", "fold": "produces (N, C, H, W)",
    "conv2d": "needs (N, C, H, W)", "max_pool2d": "needs (C, H, W) or (N, C, H, W)",
    "avg_pool2d": "needs (C, H, W) or (N, C, H, W)",
    "im2col": "needs (N, C, H, W)", "col2im": "produces (N, C, H, W)",
    "max_pool2d_backward": "max_pool2d's gradient: (N, C, oh, ow) and (N, C, H, W)",
    "split": "splits along a dimension", "chunk": "splits along a dimension",
    "unbind": "removes a dimension",
    "std": "one element has variance 0, where sqrt has no derivative",
    "transpose": "PyTorch rejects dims (-2, -1) on a 0-d tensor",
    "flip": "PyTorch rejects a flip dim on a 0-d tensor",
    # issue 13 (nnlayers): layers over (N, C, *spatial) or feature dimensions
    "conv1d": "needs (C, L) or (N, C, L)", "conv_transpose2d": "needs (C, H, W) or (N, C, H, W)",
    "adaptive_avg_pool2d": "needs (C, H, W) or (N, C, H, W)",
    "interpolate": "needs (N, C, *spatial)", "reflection_pad": "pads a dimension",
    "replication_pad": "pads a dimension", "circular_pad": "pads a dimension",
    "group_norm": "needs (N, C, *)", "rms_norm": "normalises trailing dimensions",
    "cosine_embedding_loss": "the cosine is over a feature dimension",
}
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]
REDUCTIONS = ["sum", "mean", "max", "min", "prod", "logsumexp"]


def _shapes(s):
    return [a.shape for a in s.inputs]


def test_sample_coverage():
    """The samples cover what the issue asks for: 0-d inputs, size-1 dims, non-contiguous
    inputs, the broadcasting pairs of binary ops, keepdims both ways and axis tuples,
    repeated indices and boolean masks."""
    problems = []
    for name, e in OP_DB.items():
        ins = [a for s in e.samples for a in s.inputs]
        if name not in NO_ZERO_D and not any(a.ndim == 0 for a in ins):
            problems.append(f"{name}: no 0-d sample")
        if not any(1 in a.shape for a in ins):
            problems.append(f"{name}: no sample with a size-1 dimension")
        if not any(not a.flags.c_contiguous for a in ins):
            problems.append(f"{name}: no non-contiguous sample")
    for name in BINARY:
        have = {tuple(_shapes(s)) for s in OP_DB[name].samples}
        for pair in [((3, 1), (1, 4)), ((), (2, 3)), ((2, 1, 3), (4, 1))]:
            if pair not in have:
                problems.append(f"{name}: no {pair[0]} x {pair[1]} broadcasting sample")
    for name in REDUCTIONS:
        attrs = [s.attrs for s in OP_DB[name].samples if s.call is None]
        if {a["keepdims"] for a in attrs} != {True, False}:
            problems.append(f"{name}: keepdims not covered both ways")
        if not any(a["axis"] is not None and len(a["axis"]) > 1 for a in attrs):
            problems.append(f"{name}: no axis tuple")
    for name in ["getitem", "index_add"]:
        descs = " ".join(s.desc for s in OP_DB[name].samples)
        if "repeat" not in descs or "mask" not in descs:
            problems.append(f"{name}: needs repeated-index and boolean-mask samples")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and s.diff_positions()))
def test_backward_is_pure(name, i):
    """A vjp must not write into what it is given: the upstream gradient, the saved
    inputs and output. Its result must not alias them (gradients never alias), and a
    second backward through a retained graph gives the same gradients."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    diff = sample.diff_positions()
    ts = make_inputs(sample)
    xs = [ts[k] for k in diff]
    rng = np.random.default_rng(i)
    with _errstate(sample):
        outs = [o for o in (lambda r: r if isinstance(r, tuple) else (r,))(entry.run(sample, ts))
                if o.dtype.kind == "f" and o.requires_grad]
        if not outs:
            pytest.skip("no differentiable output")
        gs = [rng.standard_normal(o.shape) for o in outs]
        saved = [a.copy() for a in gs] + [o.data.numpy().copy() for o in outs] + [t.data.numpy().copy() for t in ts]
        g1 = ag.grad(outs, xs, gs, retain_graph=True, allow_unused=True)
        g1_copy = [None if g is None else g.data.numpy().copy() for g in g1]
        g2 = ag.grad(outs, xs, gs, allow_unused=True)
    now = list(gs) + [o.data.numpy() for o in outs] + [t.data.numpy() for t in ts]
    for k, (a, b) in enumerate(zip(saved, now)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: backward modified "
                                      f"{'an upstream gradient' if k < len(gs) else 'a saved value'}")
    for g, gc, h in zip(g1, g1_copy, g2):
        if g is None:
            assert h is None
            continue
        np.testing.assert_array_equal(g.data.numpy(), gc, err_msg=f"{name}: the second backward "
                                                          f"changed the first one's gradient")
        np.testing.assert_array_equal(g.data.numpy(), h.data.numpy(), err_msg=f"{name}: backward twice differs")
        for other in now + [h.data.numpy()]:
            assert not np.shares_memory(g.data.numpy(), other), \
                f"{name}: a returned gradient shares memory with an input, output or gradient"


def _third_order_params():
    """The smallest sample of each smooth op (third order is costly)."""
    out = []
    for name, entry in OP_DB.items():
        if not (entry.differentiable and entry.smooth):
            continue
        ok = [(sum(a.size for a in s.inputs), i) for i, s in enumerate(entry.samples)
              if s.grad and s.gradgrad and s.diff_positions()
              and sum(a.size for a in s.inputs) > 1]
        if ok:
            out.append(pytest.param(name, min(ok)[1], id=f"{name}-{min(ok)[1]}"))
    return out


@pytest.mark.parametrize("name,i", _third_order_params())
def test_third_derivatives(name, i):
    """gradgradcheck of the first derivative: third derivatives through create_graph,
    i.e. the vjps' own vjps are differentiable again (one sample per smooth op)."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    diff = sample.diff_positions()
    ts = make_inputs(sample)
    rng = np.random.default_rng(3)
    with _errstate(sample):
        outs = [o for o in (lambda r: r if isinstance(r, tuple) else (r,))(entry.run(sample, ts))]
        vs = [ag.tensor(rng.standard_normal(o.shape)) for o in outs]

        def first(*xs):
            full = list(ts)
            for k, x in zip(diff, xs):
                full[k] = x
            res = entry.run(sample, full)
            res = res if isinstance(res, tuple) else (res,)
            live = [(o, v) for o, v in zip(res, vs) if o.requires_grad]
            gs = ag.grad([o for o, _ in live], list(xs), [v for _, v in live],
                         create_graph=True, allow_unused=True)
            return tuple(g if g is not None else ag.zeros_like(x) for g, x in zip(gs, xs))

        first.__name__ = f"d {name}"
        big = sum(a.size for a in sample.inputs) > 24
        assert ag.gradgradcheck(first, [ts[k] for k in diff], eps=sample.eps, fast_mode=big)


# Public op functions that are neither registered nor an alias of a registered name:
# thin wrappers over a registered op, whose samples (desc "public: <name>") are filed
# under that op. Constants (no gradient) need none.
WRAPPERS = {"amax": "max", "amin": "min", "dot": "matmul", "mm": "matmul", "take": "getitem",
            "rsqrt": "sqrt", "reciprocal": "div", "sum_to": "sum", "floor_divide": "mul",
            "remainder": "sub"}
CONSTANTS = {"zeros_like", "ones_like", "apply"}


def test_every_public_op_function_has_samples():
    import types

    import autograd.ops as ops

    registered = set(OPS) | set(COMPOSITES)
    problems = []
    for n in dir(ops):
        f = getattr(ops, n)
        if n.startswith("_") or not isinstance(f, types.FunctionType) or n in registered \
                or n in CONSTANTS:
            continue
        if any(getattr(ops, m, None) is f for m in registered):
            continue  # an alias (clip, view, concatenate, ...)
        if n not in WRAPPERS:
            problems.append(f"{n}: public op function that is neither registered nor listed "
                            f"in WRAPPERS; register it or file public-form samples for it")
        elif not any(f"public: {n}" in s.desc or f".{n}(" in s.desc
                     for s in OP_DB[WRAPPERS[n]].samples):
            problems.append(f"{n}: no public-form sample under {WRAPPERS[n]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and s.diff_positions()))
def test_no_graph_without_grad(name, i):
    """Nothing is recorded under no_grad(), nor when no input requires grad, and the
    values are the same as with recording."""
    entry = OP_DB[name]
    sample = entry.samples[i]

    def outputs(ts):
        with _errstate(sample):
            r = entry.run(sample, ts)
        # an op that returns an input unchanged (squeeze of no size-1 dim, eval-mode
        # dropout) records nothing either: skip those outputs
        return [o if not any(o is t for t in ts) else None
                for o in (r if isinstance(r, tuple) else (r,))]

    recorded = outputs(make_inputs(sample))
    with ag.no_grad():
        quiet = outputs(make_inputs(sample))
    plain = outputs([Tensor(np.array(a, order="K")) for a in sample.inputs])
    for o, q, p in zip(recorded, quiet, plain):
        for t in (q, p):
            if t is None:
                continue
            assert t.grad_fn is None and not t.requires_grad, f"{name}: recorded a node"
            np.testing.assert_array_equal(t.data.numpy(), o.data.numpy(), err_msg=f"{name}: values differ")


def _scramble(arr, rng):
    """Overwrite an array in place with different values of the same dtype (read-only
    views such as broadcast_to's and unfold's outputs cannot be overwritten at all)."""
    if not arr.flags.writeable:
        return
    if arr.dtype == np.bool_:
        np.logical_not(arr, out=arr)
    elif arr.size:
        arr[...] = rng.standard_normal(arr.shape) * 3 + 0.5


def _flags_promise(e, s):
    """Samples whose output node is the primitive itself: not the unbatched conv/pool
    (a getitem drops the batch axis) nor grouped conv2d (a cat of per-group convs)."""
    op = OPS.get(e.name)
    return (op is not None and e.differentiable and s.grad and s.diff_positions()
            and s.call is None and (op.linear or not op.uses_out)
            and not (e.name in ("conv2d", "max_pool2d") and s.inputs[0].ndim == 3)
            and s.attrs.get("groups", 1) == 1)


@pytest.mark.parametrize("name,i", _params(_flags_promise))
def test_registry_flags_are_honest(name, i):
    """The engine skips its in-place version checks on the strength of two flags:
    ``linear`` (the vjps never read input values) and ``uses_out`` (some vjp reads the
    output). Overwriting what a flag says is not read must not change the gradient."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    op = OPS[name]
    checks = (["inputs"] if op.linear else []) + (["output"] if not op.uses_out else [])
    diff = sample.diff_positions()
    rng = np.random.default_rng(0)

    def gradients(scramble):
        ts = make_inputs(sample)
        with np.errstate(all="ignore"):
            out = entry.run(sample, ts)
            assert out.grad_fn.op is OPS[name]
            if scramble == "inputs":
                for t in ts:
                    _scramble(t.data.numpy(), rng)
            elif scramble == "output":
                _scramble(out.data.numpy(), rng)
            g = np.linspace(-1.0, 1.0, out.data.numpy().size).reshape(out.shape)
            return ag.grad([out], [ts[k] for k in diff], [g], allow_unused=True)

    ref = gradients(None)
    for what in checks:
        for k, g, r in zip(diff, gradients(what), ref):
            np.testing.assert_array_equal(
                np.zeros(()) if g is None else g.data.numpy(), np.zeros(()) if r is None else r.data.numpy(),
                err_msg=f"{name}: overwriting its {what} after the forward changed the "
                        f"gradient of input {k}, but the registry says the vjps do not read "
                        f"them ({'linear=True' if what == 'inputs' else 'uses_out=False'})")


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and s.grad
                                           and s.diff_positions()))
def test_backward_accumulates_into_leaves(name, i):
    """Two backward passes accumulate 2x the gradient into every leaf's .grad (the
    engine owns the .grad buffer: no read-only broadcast view, no alias of g)."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    diff = sample.diff_positions()
    ts = make_inputs(sample)
    with _errstate(sample):
        res = entry.run(sample, ts)
        outs = [o for o in (res if isinstance(res, tuple) else (res,))
                if o.dtype.kind == "f" and o.requires_grad]
        gs = [np.full(o.shape, 0.5) for o in outs]
        once = ag.grad(outs, [ts[k] for k in diff], gs, retain_graph=True, allow_unused=True)
        ag.backward(outs, gs, retain_graph=True)
        ag.backward(outs, gs)
    for k, g in zip(diff, once):
        got = ts[k].grad
        if g is None:
            assert got is None or not np.any(got.data.numpy()), f"{name}: input {k} got a gradient"
            continue
        np.testing.assert_allclose(got.data.numpy(), 2 * g.data.numpy(), rtol=1e-12, atol=0,
                                   err_msg=f"{name}: .grad of input {k} after two backwards")
        assert got.data.numpy().flags.writeable and not any(np.shares_memory(got.data.numpy(), t.data.numpy()) for t in ts)


@pytest.mark.parametrize("name,i", _params(lambda e, s: e.differentiable and s.grad
                                           and s.diff_positions()))
def test_inplace_on_output_never_corrupts_inputs(name, i):
    """Some ops return views (reshape, permute): an in-place change of the output then
    writes into the input's buffer. That must raise (as PyTorch's version counter does)
    or leave gradients right; never silently change a value another node saved."""
    entry = OP_DB[name]
    sample = entry.samples[i]
    diff = sample.diff_positions()
    leaves = make_inputs(sample)
    with _errstate(sample):
        mids = [t * 1.0 if k in diff else t for k, t in enumerate(leaves)]   # non-leaves
        res = entry.run(sample, mids)
        out = res[0] if isinstance(res, tuple) else res
        saved = sum((mids[k] * mids[k]).sum() for k in diff)                 # saves mids
        if out.dtype.kind == "f" and out.requires_grad and out.data.numpy().flags.writeable:
            try:
                out.mul_(3.0)
            except (RuntimeError, ValueError):
                pass  # refused: fine
        try:
            gs = ag.grad([saved], [leaves[k] for k in diff])
        except RuntimeError:
            return  # the version check caught it: fine
    for k, g in zip(diff, gs):
        np.testing.assert_allclose(g.data.numpy(), 2 * leaves[k].data.numpy(), rtol=1e-12, atol=0,
                                   err_msg=f"{name}: an in-place change of the output "
                                           f"silently changed input {k}'s saved value")


def test_inplace_through_detach_is_seen():
    """detach() shares the buffer (and, as in PyTorch, the version counter): changing
    it in place must fail the backward of a node that saved the original."""
    x = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 1.0
    w = y * y
    y.detach().mul_(10.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        w.sum().backward()
