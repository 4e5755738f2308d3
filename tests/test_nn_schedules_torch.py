"""Issue 13's LR schedules against torch 2.13, step by step: CosineAnnealingLR,
LinearLR, OneCycleLR (lr and the cycled momentum / beta1), SequentialLR, over many steps
and with several param groups; plus parameter groups with per-group options and
clip_grad_norm_ over the new layers, compared with torch on the same model.

Run::  .venv/bin/python -m pytest tests/test_nn_schedules_torch.py -q
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn import optim
from nn.optim import lr_scheduler as S
from nn.utils import clip_grad_norm_

pytestmark = pytest.mark.torch
torch.set_num_threads(1)
TS = torch.optim.lr_scheduler


def _pair(opt_name="SGD", lrs=(0.1, 0.05), **kw):
    """Our optimizer and torch's over two param groups with different lrs."""
    ours = [nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))]
    theirs = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    o = getattr(optim, opt_name)([{"params": [ours[0]], "lr": lrs[0]},
                                  {"params": [ours[1]], "lr": lrs[1]}], **kw)
    t = getattr(torch.optim, opt_name)([{"params": [theirs[0]], "lr": lrs[0]},
                                        {"params": [theirs[1]], "lr": lrs[1]}], **kw)
    return o, t


def _same_run(o, t, so, st, steps, keys=("lr",)):
    for step in range(steps):
        for k in keys:
            for go, gt in zip(o.param_groups, t.param_groups):
                np.testing.assert_allclose(np.asarray(go[k], dtype=float),
                                           np.asarray(gt[k], dtype=float), rtol=1e-9,
                                           atol=1e-15, err_msg=f"step {step}: {k}")
        np.testing.assert_allclose(so.get_last_lr(), st.get_last_lr(), rtol=1e-9, atol=1e-15,
                                   err_msg=f"step {step}: get_last_lr")
        o.step()
        t.step()
        so.step()
        st.step()


@pytest.mark.parametrize("T_max,eta_min", [(10, 0.0), (7, 0.01), (1, 0.001)])
def test_cosine_annealing_matches_torch(T_max, eta_min):
    o, t = _pair()
    _same_run(o, t, S.CosineAnnealingLR(o, T_max, eta_min),
              TS.CosineAnnealingLR(t, T_max, eta_min), 4 * T_max + 3)


@pytest.mark.parametrize("kw", [{}, {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 7},
                                {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 4}])
def test_linear_lr_matches_torch(kw):
    o, t = _pair()
    _same_run(o, t, S.LinearLR(o, **kw), TS.LinearLR(t, **kw), 15)


@pytest.mark.parametrize("opt,kw", [
    ("SGD", {"max_lr": 0.5, "total_steps": 40}),
    ("SGD", {"max_lr": [0.5, 0.2], "epochs": 4, "steps_per_epoch": 9, "pct_start": 0.25,
             "anneal_strategy": "linear"}),
    ("SGD", {"max_lr": 0.3, "total_steps": 30, "three_phase": True, "div_factor": 10.0,
             "final_div_factor": 100.0}),
    ("Adam", {"max_lr": 0.01, "total_steps": 25, "base_momentum": 0.8, "max_momentum": 0.9}),
    ("Adam", {"max_lr": 0.01, "total_steps": 12, "cycle_momentum": False}),
])
def test_one_cycle_matches_torch(opt, kw):
    o, t = _pair(opt, momentum=0.9) if opt == "SGD" else _pair(opt)
    so, st = S.OneCycleLR(o, **kw), TS.OneCycleLR(t, **kw)
    steps = st.total_steps
    keys = ("lr", "momentum") if opt == "SGD" else ("lr", "betas")
    _same_run(o, t, so, st, steps, keys)
    with pytest.raises(ValueError, match="total steps"):
        so.step()
        so.step()


def test_one_cycle_needs_momentum_or_a_length():
    o, _ = _pair("Adagrad")
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(o, 0.1, total_steps=10)
    with pytest.raises(ValueError, match="total_steps OR"):
        S.OneCycleLR(o, 0.1, cycle_momentum=False)


def test_sequential_warmup_then_cosine_matches_torch():
    o, t = _pair()
    so = S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, 20)], [5])
    st = TS.SequentialLR(t, [TS.LinearLR(t, 0.1, total_iters=5), TS.CosineAnnealingLR(t, 20)], [5])
    _same_run(o, t, so, st, 40)


def test_sequential_three_schedules_matches_torch():
    o, t = _pair()
    so = S.SequentialLR(o, [S.ExponentialLR(o, 0.9), S.LinearLR(o, 0.5, 1.0, 4),
                            S.StepLR(o, 3, 0.5)], [4, 10])
    st = TS.SequentialLR(t, [TS.ExponentialLR(t, 0.9), TS.LinearLR(t, 0.5, 1.0, 4),
                             TS.StepLR(t, 3, 0.5)], [4, 10])
    _same_run(o, t, so, st, 25)


def test_sequential_checks_its_arguments():
    o, _ = _pair()
    a, b = S.LinearLR(o), S.CosineAnnealingLR(o, 5)
    with pytest.raises(ValueError, match="one milestone fewer"):
        S.SequentialLR(o, [a, b], [2, 3])
    o2, _ = _pair()
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(o, [a, S.LinearLR(o2)], [2])


def test_scheduler_state_dict_resumes():
    o, _ = _pair()
    s = S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=3), S.CosineAnnealingLR(o, 10)], [3])
    for _ in range(5):
        s.step()
    sd = s.state_dict()
    want = [None] * 6
    for k in range(6):
        s.step()
        want[k] = s.get_last_lr()
    o2, _ = _pair()
    s2 = S.SequentialLR(o2, [S.LinearLR(o2, 0.1, total_iters=3), S.CosineAnnealingLR(o2, 10)], [3])
    s2.load_state_dict(sd)
    for k in range(6):
        s2.step()
        assert s2.get_last_lr() == pytest.approx(want[k], rel=1e-12)


# --------------------------------------------------------------------------- groups, clipping
def _models():
    """The same small model of new layers in tapegrad and torch, float64, same weights."""
    ag.manual_seed(0)
    ours = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.Mish(),
                         nn.Identity(),
                         nn.Flatten(), nn.Linear(4 * 6, 3), nn.Hardtanh(-2.0, 2.0))
    ours.double()
    theirs = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.GroupNorm(2, 4),
                                 torch.nn.Mish(), torch.nn.Identity(), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 6, 3), torch.nn.Hardtanh(-2.0, 2.0)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("opt,kw", [("SGD", {"momentum": 0.9}), ("Adam", {}),
                                    ("AdamW", {"weight_decay": 0.1})])
def test_param_groups_with_per_group_options_match_torch(opt, kw):
    ours, theirs = _models()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 2, 6)), rng.standard_normal((5, 3))

    def groups(m, extra):
        conv, norm = list(m[0].parameters()), list(m[1].parameters())
        head = list(m[5].parameters())
        return [{"params": conv, "lr": 0.05, **extra}, {"params": norm, "lr": 0.01},
                {"params": head}]

    extra = {"weight_decay": 0.01} if opt != "AdamW" else {"weight_decay": 0.5}
    o = getattr(optim, opt)(groups(ours, extra), lr=0.02, **kw)
    t = getattr(torch.optim, opt)(groups(theirs, extra), lr=0.02, **kw)
    for _ in range(4):
        norms = []
        for m, opt_, X, Y, mse in ((ours, o, ag.tensor(x), ag.tensor(y), nn.functional.mse_loss),
                                   (theirs, t, torch.tensor(x), torch.tensor(y),
                                    torch.nn.functional.mse_loss)):
            opt_.zero_grad()
            mse(m(X), Y).backward()
            norm = (clip_grad_norm_ if m is ours else torch.nn.utils.clip_grad_norm_)(
                m.parameters(), 0.5)
            norms.append(float(norm.detach().numpy()) if m is ours else float(norm))
            opt_.step()
        np.testing.assert_allclose(norms[0], norms[1], rtol=1e-6)
    sd_t = theirs.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, sd_t[k].numpy(), rtol=1e-6, atol=1e-12, err_msg=k)


def test_clip_grad_norm_over_new_layers_matches_torch():
    ours, theirs = _models()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 6))
    (ours(ag.tensor(x)) ** 2).sum().backward()
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    for norm_type in (2.0, 1.0, float("inf")):
        a = [p.grad.detach().numpy().copy() for p in ours.parameters()]
        b = [p.grad.clone() for p in theirs.parameters()]
        n1 = clip_grad_norm_(ours.parameters(), 0.3, norm_type)
        n2 = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.3, norm_type)
        np.testing.assert_allclose(float(n1.detach().numpy()), float(n2), rtol=1e-9)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.detach().numpy(), q.grad.numpy(), rtol=1e-9,
                                       atol=1e-15)
        with ag.no_grad():
            for p, g in zip(ours.parameters(), a):
                p.grad = ag.tensor(g)
        for q, g in zip(theirs.parameters(), b):
            q.grad = g
