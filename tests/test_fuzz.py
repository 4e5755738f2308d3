"""The differential fuzzer (tests/fuzz_graphs.py) in CI, and proof that it finds bugs.

* A bounded run: the first ``N_GRAPHS`` seeded random graphs agree with PyTorch in
  values, first and second derivatives (and tapegrad's .backward() agrees with its
  grad(), with no aliased .grad buffers). The long run is the CLI:
  ``.venv/bin/python -m tests.fuzz_graphs --graphs 10000 --seed 0``.
* Three bugs injected with monkeypatch, each of which the fuzzer must catch within a
  bounded number of graphs (from 20 starting seeds 0, 1000, ..., 19000 the first
  detection took: broadcast mean median 1.5 / max 7 graphs, repeated-index ``+=``
  median 10 / max 50, max ties median 45 / max 257; from seed 0: 1, 10 and 10), shrinking the failure to a small reproduction, with the
  engine restored (the failing graph passes again) once the patch is undone:
  repeated indices accumulated with ``+=`` instead of ``np.add.at``; broadcast
  gradients averaged instead of summed; tied maxima each given the full gradient.
* Regression graphs for what the fuzzer found, and the PyTorch aliasing case.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

import autograd as ag
import autograd.engine as engine_mod
import autograd.ops.index as index_mod
import autograd.ops.reduce as reduce_mod
from autograd.registry import NP, TG

sys.path.insert(0, os.path.dirname(__file__))
import fuzz_graphs as fz  # noqa: E402

pytestmark = pytest.mark.torch
torch.set_num_threads(1)

N_GRAPHS = 1500          # ~10 s on one core
MAX_TO_FIND = 400        # each injected bug must be found within this many graphs


def test_random_graphs_agree_with_pytorch():
    before = dict(fz.STATS)
    failures, n = fz.run(N_GRAPHS, seed=0, stop_at_first=True)
    assert n == N_GRAPHS
    if failures:
        s, small, why = failures[0]
        pytest.fail(f"seed {s}: {why}\n{fz.reproduction(small, why)}")
    # the reference ran: the comparison is not vacuous
    assert fz.STATS["compared"] - before["compared"] >= 0.97 * N_GRAPHS


def test_generator_covers_the_graph_features():
    ops, same_args, idx_kinds, fanout = set(), 0, set(), 0
    for s in range(300):
        p = fz.generate(s)
        uses = {}
        for v in p.values:
            if isinstance(v, fz.Instr):
                ops.add(v.op)
                same_args += len(set(v.args)) < len(v.args)
                for a in v.args:
                    uses[a] = uses.get(a, 0) + 1
                if v.op == "getitem":
                    idx_kinds.update(k for k, _ in v.attrs["index"])
                    if any(k == "arr" and len(set(a.ravel().tolist())) < a.size
                           for k, a in v.attrs["index"]):
                        idx_kinds.add("repeated")
        fanout += any(c > 1 for c in uses.values())
    assert ops == set(fz.OPS), set(fz.OPS) - ops
    assert {"arr", "mask", "slice", "int", "repeated"} <= idx_kinds
    assert same_args > 50 and fanout > 100


# --------------------------------------------------------------------------- injected bugs
def _index_add_plus_equals(g, index, shape):
    # BUG: buffered += drops repeated indices (x[[0, 0]] sends 1x, not 2x, to x[0])
    z = np.zeros(shape, dtype=g.dtype)
    t, idx = index_mod._target(z, index)
    t[idx] += g
    return z


def _sum_to_mean(x, shape):
    # BUG: broadcast dimensions averaged instead of summed
    xs = tuple(np.shape(x))
    if xs == tuple(shape):
        return x
    lead = len(xs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and xs[i + lead] != 1)
    if axes:
        x = x.mean(axis=axes, keepdims=True)
    return x.reshape(shape)


def _sum_to_mean_tg(x, shape):
    x = ag.as_tensor(x)
    xs, shape = tuple(x.shape), tuple(shape)
    if xs == shape:
        return x
    lead = len(xs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and xs[i + lead] != 1)
    if axes:
        x = ag.mean(x, axis=axes, keepdims=True)
    return ag.reshape(x, shape)


_orig_extreme = reduce_mod._extreme_vjp


def _extreme_full_to_ties(F, g, out, x, axis=None, keepdims=False, which="max", split=False):
    # BUG: every tied maximum gets the whole gradient (no 1/k split)
    if axis is None or split:
        xr, outr = reduce_mod.raw(x), reduce_mod.raw(out)
        mask = (xr == np.reshape(outr, reduce_mod.kept_shape(xr.shape, axis))).astype(xr.dtype)
        return reduce_mod._expand(F, g, x, axis, keepdims) * F.const(mask, g)
    return _orig_extreme(F, g, out, x, axis, keepdims, which, split)


BUGS = {
    "repeated-index-plus-equals": [(index_mod, "_index_add_np", _index_add_plus_equals)],
    # the engine's central un-broadcasting: the plain path (engine.sum_to_array, or
    # NP.sum_to in older engines) and the create_graph path (TG.sum_to)
    "broadcast-grad-mean": [(engine_mod, "sum_to_array", _sum_to_mean),
                            (NP, "sum_to", staticmethod(_sum_to_mean)),
                            (TG, "sum_to", staticmethod(_sum_to_mean_tg))],
    "max-ties-full-gradient": [(reduce_mod, "_extreme_vjp", _extreme_full_to_ties)],
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_fuzzer_catches_injected_bug(bug, monkeypatch, capsys):
    with monkeypatch.context() as m:
        for obj, name, new in BUGS[bug]:
            m.setattr(obj, name, new, raising=False)
        failures, n = fz.run(MAX_TO_FIND, seed=0, stop_at_first=True)
        assert failures, f"{bug}: not found in {MAX_TO_FIND} graphs"
        seed, small, why = failures[0]
        assert fz._fails(small)            # the shrunk program still shows the bug
        repro = fz.reproduction(small, why)
    # the patch is gone: the same graphs pass again
    assert index_mod._index_add_np is not _index_add_plus_equals
    assert reduce_mod._extreme_vjp is _orig_extreme
    assert fz.check(small) is None and fz.check(fz.generate(seed)) is None
    assert small.size() <= 4, repro       # a minimal reproduction, not the whole graph
    with capsys.disabled():
        print(f"\n[fuzz] {bug}: found after {n} graph(s) (seed {seed}), shrunk to "
              f"{small.size()} op(s): {why}\n{repro}")


# --------------------------------------------------------------------------- regressions
def test_stack_of_0d_leaves_gets_independent_grad_buffers():
    """PyTorch is wrong here: after stack([a, b]).sum().backward() on two 0-d leaves,
    torch gives a.grad and b.grad one shared buffer, so a.grad.add_(1) also changes
    b.grad. tapegrad is held to the mathematically right answer: two independent
    gradients of 1."""
    ta, tb = torch.tensor(1.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    torch.stack([ta, tb]).sum().backward()
    a, b = ag.tensor(1.0, requires_grad=True), ag.tensor(2.0, requires_grad=True)
    ag.stack([a, b]).sum().backward()
    assert a.grad.item() == 1.0 and b.grad.item() == 1.0
    assert not np.shares_memory(a.grad.data.numpy(), b.grad.data.numpy())
    a.grad.data += 1.0
    assert b.grad.item() == 1.0
    # (what PyTorch 2.13 does, for the record; not asserted as a requirement)
    if ta.grad.untyped_storage().data_ptr() == tb.grad.untyped_storage().data_ptr():
        ta.grad.add_(1.0)
        assert tb.grad.item() == 2.0  # the shared buffer: b's gradient changed too


def test_prod_second_derivative_exact_near_zero():
    """Found by the fuzzer (seed 1507, shrunk): prod's create_graph vjp was out / x, whose
    derivative others/x - out/x**2 cancels catastrophically for a tiny element
    (5e-17): a Hessian entry came out -4.0 instead of -1.567. PyTorch's formula has the
    same flaw (it gives 0.0 here); tapegrad is held to the exact value, and the
    fuzzer's finite-difference arbitration counts such a case as PyTorch's error."""
    x = np.array([[1.5180217038840902, 1.5180217038840902, 3.0360434077681799],
                  [-5.0400545402080817e-17, -3.0360434077681804, -1.5180217038840902],
                  [1.5180217038840902, 1.5180217038840902, -2.5200272701040408e-17]])
    w = np.array([-0.778, 0.081, 0.233])
    v = np.random.default_rng(0).standard_normal(x.shape)
    exact = np.zeros_like(x)       # d/dx_ij <grad, v> for loss = sum_j w_j prod_i x_ij
    for i in range(3):
        for j in range(3):
            exact[i, j] = w[j] * sum(v[l, j] * np.prod([x[k, j] for k in range(3) if k not in (i, l)])
                                     for l in range(3) if l != i)
    t = ag.tensor(x, requires_grad=True)
    (g,) = ag.grad((ag.prod(t, axis=0) * ag.tensor(w)).sum(), t, create_graph=True)
    (h,) = ag.grad((g * ag.tensor(v)).sum(), t)
    np.testing.assert_allclose(h.data.numpy(), exact, rtol=1e-12, atol=1e-15)
    prog = fz.Program([x, fz.Instr("prod", (0,), {"axis": 0, "keepdims": False})], [(1, w)], 1507)
    before = fz.STATS["torch_wrong"]
    assert fz.check(prog) is None
    assert fz.STATS["torch_wrong"] == before + 1   # PyTorch disagrees, finite differences side with tapegrad
