"""``inplace=True`` for F.relu/leaky_relu/elu/silu/dropout and the ReLU, LeakyReLU, ELU,
SiLU and Dropout modules, as in PyTorch 2.13 (``nn.ReLU(inplace=True)`` is in most
PyTorch model code): the result is written into the input, value and gradient equal
PyTorch's, a leaf that requires grad is refused. ``ag.compile`` does not replay an
in-place write yet: a step with one runs eagerly, with a CompileWarning that says so."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from autograd.compiler import CompileWarning

CASES = [("relu", ()), ("leaky_relu", (0.2,)), ("elu", (0.7,)), ("silu", ())]


@pytest.mark.parametrize("name,args", CASES)
def test_in_place_writes_the_input_with_torchs_value_and_gradient(name, args):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    a = ag.tensor(x, requires_grad=True)
    h = a * 2
    y = getattr(F, name)(h, *args, inplace=True)
    assert y is h and h._version > 0
    (y * ag.tensor(x)).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    ty = getattr(torch.nn.functional, name)(t * 2, *args, inplace=True)
    (ty * torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)
    # out of place (the default) leaves the input alone
    h2 = ag.tensor(x)
    getattr(F, name)(h2, *args)
    assert h2.tolist() == ag.tensor(x).tolist()


@pytest.mark.parametrize("name,args", CASES)
def test_in_place_on_a_leaf_that_requires_grad_is_refused(name, args):
    leaf = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}\\(inplace=True\\): a leaf Variable"):
        getattr(F, name)(leaf, *args, inplace=True)
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, name)(torch.ones(2, requires_grad=True), *args, inplace=True)
    # inplace is read by its truth value, as PyTorch's ``if inplace:`` does
    h = ag.ones(2) * -1
    assert getattr(F, name)(h, *args, inplace=1) is h


def test_modules_take_inplace_and_print_it_as_torch():
    pairs = [(nn.ReLU(True), torch.nn.ReLU(True)), (nn.ReLU(), torch.nn.ReLU()),
             (nn.LeakyReLU(0.2, True), torch.nn.LeakyReLU(0.2, True)),
             (nn.LeakyReLU(), torch.nn.LeakyReLU()), (nn.ELU(1.0, True), torch.nn.ELU(1.0, True)),
             (nn.SiLU(True), torch.nn.SiLU(True)), (nn.Dropout(0.1, True), torch.nn.Dropout(0.1, True)),
             (nn.Dropout(0.1), torch.nn.Dropout(0.1))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_a_model_with_in_place_layers_trains_like_torch_and_compile_says_it_runs_eagerly():
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 4),
                      nn.LeakyReLU(0.1, inplace=True), nn.Linear(4, 1))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(inplace=True),
                             torch.nn.Linear(4, 4), torch.nn.LeakyReLU(0.1, inplace=True),
                             torch.nn.Linear(4, 1))
    tm.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in m.state_dict().items()})
    mc = copy.deepcopy(m)
    step = ag.compile(lambda x: mc(x).sum())
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    for k in range(2):
        for p in list(m.parameters()) + list(mc.parameters()):
            p.grad = None
        tm.zero_grad()
        m(ag.tensor(x)).sum().backward()
        if k == 0:   # (said once, at the first call of the signature)
            with pytest.warns(CompileWarning, match="runs eagerly, not replayed: in-place write"):
                step(ag.tensor(x)).backward()
        else:
            step(ag.tensor(x)).backward()
        tm(torch.tensor(x)).sum().backward()
        for (name, p), pc, tp in zip(m.named_parameters(), mc.parameters(), tm.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)
            assert np.array_equal(p.grad.numpy(), pc.grad.numpy()), name
