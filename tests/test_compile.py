"""ag.compile (issue 11): replay equals eager bitwise; guards; signatures; explain().

Every comparison here is bitwise (np.array_equal on the same dtype), never a tolerance:
a replay runs the very kernels eager mode runs, in the same order.

The digits CNN runs 12 steps here (CI budget); the 200-step run is
``TAPEGRAD_COMPILE_LONG=1 python -m pytest tests/test_compile.py -k digits_cnn``.
"""
from __future__ import annotations

import copy
import os
import random
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.compiler import CompileWarning, Compiled, _codegen, _trace
from autograd.testing import all_cases, make_inputs
from nn.data import load_digits
from nn.models import DigitsCNN, mlp

HERE = os.path.abspath(__file__)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _arr(t):
    return None if t is None else np.asarray(t.detach()._d)


def _state(c: Compiled) -> list:
    return [s["state"] for s in c.signatures()]


# --------------------------------------------------------------------------- op table


def _run_sample(entry, s, f):
    ts = make_inputs(s)
    out = f(*ts)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if isinstance(o, ag.Tensor)]
    roots = [o for o in outs if o.requires_grad]
    rng = np.random.default_rng(0)
    if roots:
        ag.backward(roots, [ag.tensor(rng.standard_normal(o.shape).astype(o.dtype)) for o in roots])
    return [_arr(o) for o in outs], [_arr(t.grad) for t in ts]


@pytest.fixture(params=["generated", "interpreted"])
def replay_kind(request, monkeypatch):
    """A replay runs generated Python (_codegen) or, for a trace too long to compile,
    the interpreted loops of Trace: both must equal eager bit for bit."""
    if request.param == "interpreted":
        monkeypatch.setattr(_codegen, "MAX_LINES", 0)
    return request.param


def _check_replay_kind(c: Compiled, kind: str) -> None:
    traces = [e.trace for e in c._cache.values() if e.state == "replay"]
    assert traces
    for tr in traces:
        if tr.calls > 1:
            assert callable(tr.run_fwd) == (kind == "generated"), tr.run_fwd
        if tr.fast is not None and tr.run_bwd is not _trace._UNSET:
            assert callable(tr.run_bwd) == (kind == "generated"), tr.run_bwd


def test_every_op_sample_replays_bitwise(replay_kind):
    """Every sample of every op (primitives, composites, public forms) through compile:
    values and every input's gradient equal eager's bit for bit; only the in-place
    forms run eagerly (in-place writes are a guard)."""
    states = {}
    eager_reasons = []
    for name, i, entry, s in all_cases():
        with np.errstate(all="ignore"):
            try:
                ref = _run_sample(entry, s, lambda *a: entry.run(s, a))
            except Exception:  # noqa: BLE001 - samples of error cases are not our business
                continue
            c = ag.compile(lambda *a, entry=entry, s=s: entry.run(s, a))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CompileWarning)
                for k in range(5):  # record (verify), replay (learn), replay (fast)
                    got = _run_sample(entry, s, c)
                    assert len(got[0]) == len(ref[0]), (name, i)
                    for a, b in zip(got[0] + got[1], ref[0] + ref[1]):
                        assert _same(a, b), f"{name} sample {i} ({s.desc}), call {k}"
        st = _state(c)[0]
        states[(name, i)] = st
        if st != "replay":
            eager_reasons.append(c.signatures()[0]["reason"])
        else:
            _check_replay_kind(c, replay_kind)
    n_replay = sum(1 for v in states.values() if v == "replay")
    assert n_replay > 0.97 * len(states), (n_replay, len(states))
    assert eager_reasons and all("in-place write" in r for r in eager_reasons), eager_reasons


# --------------------------------------------------------------------------- models


def _train_pair(make_model, make_opt, batches, loss_fn, dtype=np.float32, check_every=1,
                whole=True):
    """Train two copies of a model, one eager and one compiled, on the same batches;
    every step's loss, gradients and parameters must agree bitwise. ``whole``: compile
    model and loss together, else ``ag.compile(model)`` with the loss computed eagerly."""
    ag.manual_seed(0)
    m1 = make_model()
    m2 = copy.deepcopy(m1)
    if dtype == np.float64:
        m1.double()
        m2.double()
    o1, o2 = make_opt(m1.parameters()), make_opt(m2.parameters())
    if whole:
        step = ag.compile(lambda x, y: loss_fn(m2(x), y))
        run = step
    else:
        step = ag.compile(m2)
        run = lambda x, y: loss_fn(step(x), y)  # noqa: E731
    for k, (xb, yb) in enumerate(batches):
        x1, y1 = ag.tensor(xb.astype(dtype)), ag.tensor(yb)
        x2, y2 = ag.tensor(xb.astype(dtype)), ag.tensor(yb)
        ag.manual_seed(k)
        l1 = loss_fn(m1(x1), y1)
        o1.zero_grad()
        l1.backward()
        o1.step()
        ag.manual_seed(k)
        l2 = run(x2, y2)
        o2.zero_grad()
        l2.backward()
        o2.step()
        assert _same(_arr(l1), _arr(l2)), f"loss differs at step {k}"
        if k % check_every == 0 or k == len(batches) - 1:
            for (n, p1), p2 in zip(m1.named_parameters(), m2.parameters()):
                assert _same(_arr(p1.grad), _arr(p2.grad)), f"grad of {n} at step {k}"
                assert _same(_arr(p1), _arr(p2)), f"{n} at step {k}"
    return step


def _batches(n_steps, n, d, classes=10, seed=0, image=False):
    X, y = load_digits()
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_steps):
        idx = rng.choice(len(X), n, replace=False)
        xb = X[idx] if image else X[idx].reshape(n, -1)[:, :d]
        out.append((np.asarray(xb, dtype=np.float64), np.asarray(y[idx], dtype=np.int64)))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_with_adam_bitwise_over_many_steps(dtype, replay_kind):
    batches = _batches(80, 32, 64)
    step = _train_pair(lambda: mlp([64, 32, 32, 10]),
                       lambda ps: nn.optim.Adam(ps, lr=1e-2), batches,
                       nn.functional.cross_entropy, dtype)
    sig = step.signatures()[0]
    assert sig["state"] == "replay" and sig["replays"] >= 77
    _check_replay_kind(step, replay_kind)


def test_generated_replay_source_is_the_schedule():
    """The generated forward is one line per kernel step, the backward calls each
    non-identity vjp once; a trace over MAX_LINES keeps the loops."""
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b))
    x = ag.tensor(rng.standard_normal((5, 3)))
    for _ in range(3):
        W.grad = b.grad = None
        c(x).backward()
    tr = next(iter(c._cache.values())).trace
    n_kernels = sum(1 for st in tr.fsteps if st[0] in (0, 1, 2, 3))
    src = tr.run_fwd.__code__
    assert src.co_filename == "<compiled forward>" and n_kernels >= 3
    n_vjps = sum(1 for *_, es, ps in tr.fast if ps is None for v, _, _ in es if v is not None)
    assert sum(1 for k in tr.run_bwd.__globals__ if k.startswith("v")) == n_vjps
    assert _codegen.forward(tr.fsteps * 3) is not None
    monkey = _codegen.MAX_LINES
    try:
        _codegen.MAX_LINES = 2 * len(tr.fsteps) - 1   # (under LOOP_MIN_STEPS: written out)
        assert _codegen.forward(tr.fsteps * 2) is None
    finally:
        _codegen.MAX_LINES = monkey


@pytest.mark.parametrize("n", [1, 7, 8, 301])
def test_a_repeated_block_replays_as_a_loop_bitwise(n):
    """x = f(x) a few hundred times is written once, as a loop over a table of slots;
    the results are eager's to the bit, and short runs are written out."""
    rng = np.random.default_rng(n)
    c = ag.tensor(rng.standard_normal(3), requires_grad=True)
    x0 = ag.tensor(rng.standard_normal(3), requires_grad=True)

    def chain(x, c):
        for _ in range(n):
            x = (x + c).tanh() * 0.5
        return x.sum()

    x1 = ag.tensor(x0.detach().numpy(), requires_grad=True)
    c1 = ag.tensor(c.detach().numpy(), requires_grad=True)
    ref = chain(x1, c1)
    ref.backward()
    comp = ag.compile(chain)
    for _ in range(3):
        x0.grad = c.grad = None
        out = comp(x0, c)
        out.backward()
        assert _same(_arr(out), _arr(ref)) and _same(_arr(x0.grad), _arr(x1.grad))
        assert _same(_arr(c.grad), _arr(c1.grad))
    tr = next(iter(comp._cache.values())).trace
    lines = tr.run_fwd.__code__.co_lines
    n_lines = len({ln for _, _, ln in lines() if ln is not None})
    looped = 3 * n >= _codegen.LOOP_MIN_STEPS   # (add, tanh, mul: 3 kernels a round)
    assert any(k.startswith("T") for k in tr.run_fwd.__globals__) == looped
    assert any(k.startswith("T") for k in tr.run_bwd.__globals__) == looped
    assert n_lines < 40 or not looped, n_lines  # (301 rounds: still a few lines)


def test_mlp_with_sgd_momentum_dropout_and_label_smoothing_bitwise(replay_kind):
    """Dropout draws fresh masks from the global generator at every replay, in eager's
    order: a seeded compiled run equals the seeded eager run. (The label-smoothed loss
    turns labels into index arrays outside the ops, so it stays eager: the model is
    compiled, the loss computed on its replayed output.)"""
    batches = _batches(40, 16, 64, seed=1)
    lossf = nn.CrossEntropyLoss(label_smoothing=0.1)
    step = _train_pair(lambda: mlp([64, 32, 10], dropout=0.3),
                       lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9), batches,
                       lambda z, y: lossf(z, y), np.float64, whole=False)
    assert step.signatures()[0]["state"] == "replay"
    _check_replay_kind(step, replay_kind)


def test_digits_cnn_with_dropout_bitwise(replay_kind):
    n_steps = 200 if os.environ.get("TAPEGRAD_COMPILE_LONG") else 12
    batches = _batches(n_steps, 32, 0, image=True, seed=2)
    batches = [(x.reshape(-1, 1, 8, 8), y) for x, y in batches]
    step = _train_pair(lambda: DigitsCNN(dropout=0.2),
                       lambda ps: nn.optim.Adam(ps, lr=3e-3), batches,
                       nn.functional.cross_entropy, np.float32, check_every=10)
    sig = step.signatures()[0]
    assert sig["state"] == "replay" and sig["replays"] >= n_steps - 3
    _check_replay_kind(step, replay_kind)


def test_compile_a_module_sees_in_place_updates_and_train_eval():
    ag.manual_seed(0)
    m = mlp([4, 8, 3], dropout=0.5)
    cm = ag.compile(m)
    opt = nn.optim.SGD(m.parameters(), lr=0.1)
    x = ag.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    for _ in range(4):
        out = cm(x)
        opt.zero_grad()
        out.sum().backward()
        opt.step()  # in place, between calls: the replay reads the parameters by reference
    m.eval()
    ye = m(x)
    yc = cm(x)
    assert _same(_arr(ye), _arr(yc))
    assert len(cm.signatures()) == 2  # training flags are part of the signature
    assert cm.signatures()[0]["state"] == "replay"


# --------------------------------------------------------------------------- engine semantics


def _w_problem(seed=0):
    rng = np.random.default_rng(seed)
    W = ag.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(4), requires_grad=True)
    return W, b, rng


def _f(W, b):
    return lambda x: ((x @ W + b).tanh() * (x @ W)).sum()


def test_accumulates_into_existing_grad_and_runs_leaf_hooks():
    W, b, rng = _w_problem()
    W2, b2 = ag.tensor(W.detach().numpy(), requires_grad=True), ag.tensor(b.detach().numpy(), requires_grad=True)
    seen1, seen2 = [], []
    W.register_hook(lambda g: seen1.append(g.numpy().copy()) or g * 2)
    W2.register_hook(lambda g: seen2.append(g.numpy().copy()) or g * 2)
    f1, c2 = _f(W, b), ag.compile(_f(W2, b2))
    for _ in range(4):  # no zeroing: gradients accumulate, as in eager
        x = rng.standard_normal((5, 3))
        f1(ag.tensor(x)).backward()
        c2(ag.tensor(x)).backward()
        assert _same(_arr(W.grad), _arr(W2.grad)) and _same(_arr(b.grad), _arr(b2.grad))
    assert len(seen1) == len(seen2) == 4 and all(_same(a, b) for a, b in zip(seen1, seen2))
    assert _state(c2) == ["replay"]


def test_retain_graph_and_second_backward_like_eager():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b))
    x = ag.tensor(rng.standard_normal((2, 3)))
    c(x)
    y = c(x)  # a replay
    assert _state(c) == ["replay"]
    W.grad = None
    y.backward(retain_graph=True)
    g1 = W.grad.numpy().copy()
    y.backward()
    assert _same(W.grad.numpy(), g1 * 2)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_in_place_change_before_backward_raises_like_eager():
    W, b, rng = _w_problem()
    f = _f(W, b)
    c = ag.compile(f)
    x = ag.tensor(rng.standard_normal((2, 3)))
    c(x), c(x)
    for fn in (f, c):
        y = fn(x)
        with ag.no_grad():
            W.mul_(1.0)  # e.g. opt.step() before backward()
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            y.backward()
    y = c(x)
    with ag.no_grad():
        b.mul_(1.0)  # b is read by no vjp (add's gradient is g): harmless, as in eager
    y.backward()


def test_output_hooks_retain_grad_grad_and_further_eager_ops():
    W, b, rng = _w_problem()
    c = ag.compile(lambda x: (x @ W + b).relu())
    x = ag.tensor(rng.standard_normal((2, 3)))
    for _ in range(3):
        h = c(x)
    h.retain_grad()
    h.register_hook(lambda g: g * 3)
    loss = (h * h).sum()  # eager ops on a replayed output
    gW, = ag.grad(loss, [W], retain_graph=True)
    loss.backward()
    he = (x @ W + b).relu()
    he.retain_grad()
    he.register_hook(lambda g: g * 3)
    le = (he * he).sum()
    gWe, = ag.grad(le, [W], retain_graph=True)
    W.grad = None
    le.backward()
    assert _same(_arr(gW), _arr(gWe)) and _same(_arr(h.grad), _arr(he.grad))


def test_tuple_outputs_and_inputs_with_history():
    W, b, rng = _w_problem()
    c = ag.compile(lambda x: (x @ W, (x @ W + b).sin()))
    x0 = ag.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    for _ in range(3):
        x = x0 * 2  # an input with a history: the gradient flows on into it
        u, v = c(x)
        (u.sum() + (v * v).sum()).backward()
    g = [_arr(W.grad), _arr(b.grad), _arr(x0.grad)]
    W.grad = b.grad = x0.grad = None
    for _ in range(3):
        x = x0 * 2
        u, v = (x @ W, (x @ W + b).sin())
        (u.sum() + (v * v).sum()).backward()
    assert all(_same(a, e) for a, e in zip(g, [_arr(W.grad), _arr(b.grad), _arr(x0.grad)]))
    assert _state(c) == ["replay"]


def test_create_graph_through_a_replay_is_refused():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b))
    x = ag.tensor(rng.standard_normal((2, 3)))
    c(x)
    y = c(x)
    with pytest.raises(NotImplementedError, match="create_graph"):
        ag.grad(y, [W], create_graph=True)


def test_no_grad_calls_and_grad_mode_in_signature():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b))
    x = ag.tensor(rng.standard_normal((2, 3)))
    with ag.no_grad():
        for _ in range(3):
            y = c(x)
    assert not y.requires_grad and y.grad_fn is None
    y2 = c(x)
    assert y2.requires_grad and len(c.signatures()) == 2


# --------------------------------------------------------------------------- signatures


def test_signature_change_retraces_and_lru_eviction():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b), cache_size=2)
    for n in (2, 3, 2, 4):
        c(ag.tensor(rng.standard_normal((n, 3))))
    descs = [s["desc"] for s in c.signatures()]
    assert len(descs) == 2  # (3, 3) was the least recently used: dropped
    assert "Tensor(2, 3)" in descs[0] and "Tensor(4, 3)" in descs[1]
    assert c.signatures()[0]["calls"] == 2
    c(ag.tensor(rng.standard_normal((3, 3))))  # records anew
    assert c.signatures()[-1]["calls"] == 1


def test_the_same_tensor_twice_is_another_signature():
    c = ag.compile(lambda a, b: (a * 2 + b).sum())
    x, y = ag.tensor([1.0, 2.0]), ag.tensor([5.0, 7.0])
    for _ in range(3):
        c(x, x)
    assert _same(_arr(c(x, y)), _arr((x * 2 + y).sum())) and len(c.signatures()) == 2


def test_verification_accepts_kernels_that_are_closures():
    """`.any(dim)` is recorded as a closure; with a soft read (.data) the second
    recording must still be judged equal to the first."""
    c = ag.compile(lambda x: x * (x > 0).any(1, keepdim=True) + ag.tensor(x.data.shape[0] * 1.0))
    x = ag.tensor(np.array([[1.0, -2.0], [-1.0, -3.0]]))
    for _ in range(3):
        y = c(x)
    assert _state(c) == ["replay"]
    assert _same(_arr(y), _arr(x * (x > 0).any(1, keepdim=True) + 2.0))


def test_scalar_arguments_are_part_of_the_signature():
    W, b, rng = _w_problem()
    c = ag.compile(lambda x, s: (x @ W * s).sum())
    x = ag.tensor(rng.standard_normal((2, 3)))
    for s in (2.0, 2.0, 3.0, 3.0):
        y = c(x, s)
    assert _same(_arr(y), _arr((x @ W * 3.0).sum()))
    assert _state(c) == ["replay", "replay"]


def test_a_parameter_replaced_by_another_shape_records_again():
    W, b, rng = _w_problem()
    c = ag.compile(lambda x: (x @ W).sum())
    x = ag.tensor(rng.standard_normal((2, 3)))
    c(x), c(x)
    W.data = np.ones((3, 5))
    assert _same(_arr(c(x)), _arr((x @ W).sum()))


def test_mode_eager_never_replays():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b), mode="eager")
    x = ag.tensor(rng.standard_normal((2, 3)))
    for _ in range(3):
        y = c(x)
    assert y.grad_fn.name != "compiled_output" and c.signatures() == []
    assert "mode='eager'" in c.explain(print_it=False)
    with pytest.raises(ValueError, match="mode"):
        ag.compile(_f(W, b), mode="fast")


# --------------------------------------------------------------------------- guards


def _line_of(text: str) -> int:
    with open(HERE) as fh:
        for i, line in enumerate(fh, 1):
            if text in line and "_line_of" not in line:
                return i
    raise AssertionError(text)


def _guarded(fn, *args, match: str, line_text: str):
    c = ag.compile(fn)
    with pytest.warns(CompileWarning) as rec:
        out1 = c(*args)
    msg = str(rec[0].message)
    assert match in msg, msg
    assert f"{HERE}:{_line_of(line_text)}" in msg, msg
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # warned once only
        out2 = c(*args)
    assert _state(c) == ["eager"]
    assert "runs eagerly" in c.explain(print_it=False) and match in c.explain(print_it=False)
    return out1, out2


def test_guard_bool_of_a_comparison_in_if():
    def f(x):
        if (x.sum() > 0):  # GUARD-IF
            return x * 2
        return x * 3
    x = ag.tensor([1.0, 2.0])
    _guarded(f, x, match="bool()", line_text="# GUARD-IF")
    # the eager run follows the values: a negative input takes the other branch
    c = ag.compile(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileWarning)
        c(x)
        assert _same(_arr(c(ag.tensor([-1.0, -2.0]))), np.array([-3.0, -6.0], dtype=np.float32))


def test_guard_value_reads():
    def f_item(x):
        return x * (2.0 if (x * 2).item() > 0 else 3.0)  # GUARD-ITEM

    def f_float(x):
        return x * float(x.sum())  # GUARD-FLOAT

    def f_numpy(x):
        return x * ag.tensor(x.detach().numpy() * 2)  # GUARD-NUMPY

    def f_tolist(x):
        return x * len([v for v in (x * 2).tolist() if v > 0])  # GUARD-TOLIST
    for f, match, tag in ((f_item, "item()", "ITEM"), (f_float, "float()", "FLOAT"),
                          (f_numpy, "numpy()", "NUMPY"), (f_tolist, "tolist()", "TOLIST")):
        out1, out2 = _guarded(f, ag.tensor([1.5]), match=match, line_text=f"# GUARD-{tag}")
        assert _same(_arr(out1), _arr(out2))


def test_guard_numpy_global_random():
    def f(x):
        return x * float(np.random.rand())
    c = ag.compile(f)
    with pytest.warns(CompileWarning, match="NumPy's global random generator"):
        c(ag.tensor([1.0]))
    assert _state(c) == ["eager"]


def test_guard_python_random():
    c = ag.compile(lambda x: x * random.random())
    with pytest.warns(CompileWarning, match="Python's `random`"):
        c(ag.tensor([1.0]))


def test_guard_in_place_write_to_an_input():
    def f(x):
        with ag.no_grad():
            x.add_(1.0)  # GUARD-INPLACE
        return x * 2
    x = ag.tensor([1.0, 2.0])
    _guarded(f, x, match="in-place write `add_` to an input", line_text="# GUARD-INPLACE")
    assert _same(x.numpy(), np.array([3.0, 4.0], dtype=np.float32))  # both calls ran


def test_guard_custom_function():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    def f(x):
        return Cube.apply(x).sum()  # GUARD-FUNCTION
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    out1, out2 = _guarded(f, x, match="custom Function `Cube`", line_text="# GUARD-FUNCTION")
    out2.backward()
    assert _same(x.grad.numpy(), np.array([3.0, 12.0], dtype=np.float32))


def test_guard_hook_inside_the_function():
    def f(x):
        y = x * 2
        y.register_hook(lambda g: g * 10)  # GUARD-HOOK
        return y.sum()
    x = ag.tensor([1.0], requires_grad=True)
    _guarded(f, x, match="register_hook", line_text="# GUARD-HOOK")


def test_value_dependent_arguments_are_caught_by_verification():
    """An index tensor's values become getitem's attribute: the second recording
    differs from the first, so the signature runs eagerly (values stay right)."""
    W, b, rng = _w_problem()
    c = ag.compile(lambda x, i: (x @ W)[i].sum())
    x = ag.tensor(rng.standard_normal((4, 3)))
    c(x, ag.tensor([0, 1]))
    with pytest.warns(CompileWarning, match="depend on tensor values"):
        c(x, ag.tensor([2, 3]))
    y = c(x, ag.tensor([1, 3]))
    assert _same(_arr(y), _arr((x @ W)[ag.tensor([1, 3])].sum()))
    assert _state(c) == ["eager"]


def test_explain_output():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b))
    x = ag.tensor(rng.standard_normal((2, 3)))
    for _ in range(3):
        c(x)
    text = c.explain(print_it=False)
    assert text.splitlines()[0].startswith("compile(") and "1 of at most 8 signatures" in text
    assert "(Tensor(2, 3) float64), grad on" in text
    assert "replays: 6 kernels forward, 6 nodes backward; 3 calls, 2 replayed" in text


def test_cli_train_compile_gives_the_eager_numbers(tmp_path):
    import json

    from nn import cli

    runs = {}
    for flag in ((), ("--compile",)):
        out = tmp_path / ("c" if flag else "e")
        assert cli.main(["train", "--dataset", "moons", "--model", "mlp", "--epochs", "3",
                         "--seed", "0", "--no-graph", "--no-progress", "--out", str(out),
                         *flag]) == 0
        m = json.loads((out / "metrics.json").read_text())
        runs[bool(flag)] = m
    hist = {k: [{c: r[c] for c in ("train_loss", "train_acc", "val_loss", "val_acc")}
                for r in m["history"]] for k, m in runs.items()}
    assert hist[True] == hist[False] and len(hist[True]) == 3


def test_anomaly_mode_runs_eagerly_with_a_warning():
    W, b, rng = _w_problem()
    c = ag.compile(_f(W, b))
    x = ag.tensor(rng.standard_normal((2, 3)))
    with ag.detect_anomaly():
        with pytest.warns(CompileWarning, match="anomaly mode"):
            y = c(x)
        y.backward()
    assert y.grad_fn.trace is not None  # an eager node, with its creation site
