"""Module machinery of issue 13 against torch 2.13's behaviour: forward pre/post hooks
(order, prepend, with_kwargs, always_call, removable handles), non-persistent buffers,
buffer re-assignment, named_modules/named_children/modules/children/apply order (shared
submodules, remove_duplicate), requires_grad_, zero_grad(set_to_none) and
get_submodule. Each scenario runs on a torch module and on ours, and the logs match.

Run::  .venv/bin/python -m pytest tests/test_nn_module_machinery.py -q
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd as ag
import nn

pytestmark = pytest.mark.torch
torch.set_num_threads(1)


def _tensor(lib, a):
    return ag.tensor(np.asarray(a, dtype=np.float64)) if lib is nn else torch.tensor(np.asarray(a, dtype=np.float64))


def _np(t):
    return t.detach().numpy()


def _net(lib):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.body = lib.Sequential(lib.Linear(3, 4), lib.Tanh(), lib.Linear(4, 2))
            self.head = lib.Softsign()

        def forward(self, x, scale=1.0):
            return self.head(self.body(x)) * scale

    torch.manual_seed(0)
    ag.manual_seed(0)
    return Net().double()


def _pair():
    ours, theirs = _net(nn), _net(torch.nn)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _hook_scenario(lib):
    m = _net(lib)
    if lib is nn:
        m.load_state_dict({k: v.numpy() for k, v in _net(torch.nn).state_dict().items()})
    log = []
    x = _tensor(lib, [[0.5, -1.0, 2.0]])

    def pre(name):
        def h(mod, args):
            log.append(("pre", name, type(mod).__name__, len(args)))
        return h

    def post(name):
        def h(mod, args, out):
            log.append(("post", name, type(mod).__name__, tuple(out.shape)))
        return h

    handles = [m.body[0].register_forward_pre_hook(pre("lin0")),
               m.body.register_forward_hook(post("body")),
               m.register_forward_hook(post("net")),
               m.register_forward_pre_hook(pre("net"))]
    m(x)
    # a pre-hook returning a non-tuple replaces the (single) argument; a post-hook the output
    h1 = m.head.register_forward_pre_hook(lambda mod, args: args[0] * 2)
    h2 = m.head.register_forward_hook(lambda mod, args, out: out + 1)
    first = m(x)
    h1.remove()
    h1.remove()                       # twice is harmless
    second = m(x)
    h2.remove()
    third = m(x)
    for h in handles:
        h.remove()
    log.append("removed")
    m(x)
    # order: registration order, prepend=True first
    order = []
    m.head.register_forward_hook(lambda *a: order.append("a"))
    m.head.register_forward_hook(lambda *a: order.append("b"))
    hp = m.head.register_forward_hook(lambda *a: order.append("first"), prepend=True)
    m(x)
    hp.remove()
    with m.head.register_forward_hook(lambda *a: order.append("ctx")):
        m(x)
    m(x)
    return log, order, _np(first), _np(second), _np(third)


def test_hook_scenario_equals_torch():
    ours, theirs = _hook_scenario(nn), _hook_scenario(torch.nn)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1] == ["first", "a", "b", "a", "b", "ctx", "a", "b"]
    for a, b in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert not np.allclose(ours[2], ours[4])     # the hooks did change the result


@pytest.mark.parametrize("lib", [nn, torch.nn])
def test_kwargs_hooks_and_always_call(lib):
    m = _net(lib)
    if lib is nn:
        m.load_state_dict({k: v.numpy() for k, v in _net(torch.nn).state_dict().items()})
    x = _tensor(lib, [[1.0, 2.0, 3.0]])
    seen = []

    def pre(mod, args, kwargs):
        seen.append(("pre", sorted(kwargs)))
        return args, {**kwargs, "scale": 3.0}

    def post(mod, args, kwargs, out):
        seen.append(("post", kwargs.get("scale")))

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_hook(post, with_kwargs=True)
    out = m(x, scale=1.0)
    base = _net(lib)
    if lib is nn:
        base.load_state_dict(m.state_dict())
    else:
        base.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(out), _np(base(x)) * 3.0, rtol=1e-12)
    assert seen == [("pre", ["scale"]), ("post", 3.0)]

    class Boom(lib.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    b = Boom()
    calls = []
    b.register_forward_hook(lambda mod, a, out: calls.append("always"), always_call=True)
    b.register_forward_hook(lambda mod, a, out: calls.append("normal"))
    with pytest.raises(RuntimeError, match="boom"):
        b(x)
    assert calls == ["always"]


def test_hooks_see_the_same_arguments_as_torch():
    ours, theirs = _pair()
    got = {}
    for lib, m in (("ours", ours), ("torch", theirs)):
        def cap(mod, args, out, lib=lib):
            got[lib] = (_np(args[0]), _np(out))
        m.body[1].register_forward_hook(cap)
        m(_tensor(nn if lib == "ours" else torch.nn, [[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]]))
    np.testing.assert_allclose(got["ours"][0], got["torch"][0], rtol=1e-12)
    np.testing.assert_allclose(got["ours"][1], got["torch"][1], rtol=1e-12)


# --------------------------------------------------------------------------- buffers
def _buffered(lib):
    class B(lib.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.Linear(2, 2)
            self.register_buffer("count", _tensor(lib, [0.0]))
            self.register_buffer("mask", _tensor(lib, np.tril(np.ones((2, 2)))), persistent=False)
            self.register_buffer("empty", None)

        def forward(self, x):
            self.count = self.count + 1        # re-assignment keeps it a buffer
            return self.lin(x) * self.mask[0]

    return B().double()


def test_non_persistent_buffers_like_torch():
    ours, theirs = _buffered(nn), _buffered(torch.nn)
    # the same keys (the order of a module's own entries before its children's is
    # issue 17's state_dict change; compared as sets here)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict()) == ["count", "lin.bias",
                                                                        "lin.weight"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] \
        == ["count", "mask"]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})   # strict
    x = np.array([[1.0, 2.0]])
    ours(_tensor(nn, x))
    theirs(_tensor(torch.nn, x))
    assert "count" in ours._buffers and float(_np(ours.count)[0]) == 1.0
    np.testing.assert_array_equal(ours.state_dict()["count"], theirs.state_dict()["count"].numpy())
    ours.float()
    assert ours.mask.dtype == np.float32          # casts reach non-persistent buffers
    assert [n for n, _ in ours.named_buffers(recurse=False)] == ["count", "mask"]


def test_register_buffer_rejects_bad_names_like_torch():
    for lib, exc in ((nn, KeyError), (torch.nn, KeyError)):
        m = lib.Linear(2, 2)
        with pytest.raises(exc):
            m.register_buffer("a.b", None)
        with pytest.raises(exc):
            m.register_buffer("weight", None)


# --------------------------------------------------------------------------- traversal
def _tree(lib):
    shared = lib.Linear(2, 2)
    root = lib.Sequential(lib.Sequential(shared, lib.ReLU()), shared,
                          lib.ModuleDict({"norm": lib.GroupNorm(1, 2), "act": lib.Mish()}))
    return root


def test_traversal_order_matches_torch():
    ours, theirs = _tree(nn), _tree(torch.nn)
    names = lambda it: [n for n, _ in it]  # noqa: E731
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.named_modules(remove_duplicate=False)) == \
        names(theirs.named_modules(remove_duplicate=False))
    assert names(ours.named_modules(prefix="root")) == names(theirs.named_modules(prefix="root"))
    assert names(ours.named_children()) == names(theirs.named_children())
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == \
        [type(m).__name__ for m in theirs.children()]
    order = {"ours": [], "torch": []}
    ours.apply(lambda m: order["ours"].append(type(m).__name__))
    theirs.apply(lambda m: order["torch"].append(type(m).__name__))
    assert order["ours"] == order["torch"]
    assert type(ours.get_submodule("2.norm")).__name__ == "GroupNorm"
    assert ours.get_submodule("") is ours
    with pytest.raises(AttributeError, match="nope"):
        ours.get_submodule("0.nope")


def test_apply_initialises_like_torch():
    ours, theirs = _tree(nn), _tree(torch.nn)

    def init_ours(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.25)

    def init_theirs(m):
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.constant_(m.weight, 0.25)

    assert ours.apply(init_ours) is ours
    theirs.apply(init_theirs)
    np.testing.assert_array_equal(ours.state_dict()["0.0.weight"],
                                  theirs.state_dict()["0.0.weight"].numpy())


# --------------------------------------------------------------------------- grads
def test_requires_grad_and_zero_grad_like_torch():
    ours, theirs = _pair()
    x = [[0.3, -0.2, 0.9]]
    for m, lib in ((ours, nn), (theirs, torch.nn)):
        assert m.body[0].requires_grad_(False) is m.body[0]
        m(_tensor(lib, x)).sum().backward()
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.requires_grad == q.requires_grad, k
        assert (p.grad is None) == (q.grad is None), k
        if q.grad is not None:
            np.testing.assert_allclose(_np(p.grad), q.grad.numpy(), rtol=1e-9)
    ours.zero_grad(set_to_none=False)
    theirs.zero_grad(set_to_none=False)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert not np.any(_np(p.grad))
    ours.zero_grad()
    theirs.zero_grad()                           # default: set_to_none=True in both
    assert all(p.grad is None for p in ours.parameters())
    assert all(q.grad is None for q in theirs.parameters())
    ours.requires_grad_()
    assert all(p.requires_grad for p in ours.parameters())


def test_train_rejects_a_non_bool_like_torch():
    for lib in (nn, torch.nn):
        with pytest.raises(ValueError):
            lib.Linear(2, 2).train("no")


def test_deleting_and_reregistering_buffers_and_register_module():
    ours, theirs = _buffered(nn), _buffered(torch.nn)
    for m, lib in ((ours, nn), (theirs, torch.nn)):
        del m.mask
        m.register_buffer("mask", _tensor(lib, np.ones((2, 2))))      # persistent now
        m.register_module("extra", lib.Identity())
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert "mask" in ours.state_dict()
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
