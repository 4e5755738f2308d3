"""nn layers, losses, optimizers and schedulers against PyTorch 2.13 (float64)."""
import copy

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn import optim
from nn.optim import lr_scheduler

RTOL = 1e-6


def T(a, rg=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def tt(a, rg=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def copy_params(ours: nn.Module, theirs: torch.nn.Module) -> None:
    """Give the torch module our (float64) weights, matched by name."""
    sd = {k: torch.tensor(v.astype(np.float64)) for k, v in ours.state_dict().items()}
    theirs.double().load_state_dict(sd, strict=False)


def check_layer(ours, theirs, x, train=True):
    ours.double()
    copy_params(ours, theirs)
    ours.train(train)
    theirs.train(train)
    xa = T(x, rg=True)
    xt = tt(x, rg=True)
    ya, yt = ours(xa), theirs(xt)
    np.testing.assert_allclose(ya.data.numpy(), yt.detach().numpy(), rtol=RTOL, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(ya.shape)
    ya.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.data.numpy(), xt.grad.numpy(), rtol=RTOL, atol=1e-10)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data.numpy(), tp[name].grad.numpy(), rtol=RTOL, atol=1e-10,
                                   err_msg=name)
    if hasattr(theirs, "running_mean") and theirs.running_mean is not None:
        np.testing.assert_allclose(ours.running_mean.data.numpy(), theirs.running_mean.numpy(), rtol=RTOL)
        np.testing.assert_allclose(ours.running_var.data.numpy(), theirs.running_var.numpy(), rtol=RTOL)


R = np.random.default_rng(0)


@pytest.mark.parametrize("ours,theirs,shape", [
    (lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (4, 5)),
    (lambda: nn.Linear(5, 3, bias=False), lambda: torch.nn.Linear(5, 3, bias=False), (2, 7, 5)),
    (lambda: nn.Conv2d(2, 3, 3, padding=1), lambda: torch.nn.Conv2d(2, 3, 3, padding=1), (2, 2, 6, 6)),
    (lambda: nn.Conv2d(2, 4, (3, 2), stride=2, dilation=(1, 2), bias=False),
     lambda: torch.nn.Conv2d(2, 4, (3, 2), stride=2, dilation=(1, 2), bias=False), (1, 2, 7, 8)),
    (lambda: nn.Conv2d(2, 3, (2, 3), padding="same"),
     lambda: torch.nn.Conv2d(2, 3, (2, 3), padding="same"), (2, 2, 5, 6)),
    (lambda: nn.Conv2d(2, 3, 3, padding="valid"), lambda: torch.nn.Conv2d(2, 3, 3, padding="valid"),
     (1, 2, 5, 5)),
    (lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2),
     lambda: torch.nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 5, 5)),
    (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1), lambda: torch.nn.MaxPool2d(3, 2, 1), (1, 2, 7, 7)),
    (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 3, 6, 6)),
    (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True),
     lambda: torch.nn.MaxPool2d(3, stride=2, ceil_mode=True), (1, 2, 8, 7)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 6, 7)),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 4)),
    (lambda: nn.Identity(), lambda: torch.nn.Identity(), (3, 2)),
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU(), (4, 5)),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (4, 5)),
    (lambda: nn.ELU(0.7), lambda: torch.nn.ELU(0.7), (4, 5)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU(), (4, 5)),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (4, 5)),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU(), (4, 5)),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (4, 5)),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh(), (4, 5)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (4, 5)),
    (lambda: nn.LogSoftmax(dim=0), lambda: torch.nn.LogSoftmax(dim=0), (4, 5)),
    (lambda: nn.Softplus(beta=2, threshold=5), lambda: torch.nn.Softplus(2, 5), (4, 5)),
])
def test_layer_matches_torch(ours, theirs, shape):
    check_layer(ours(), theirs(), R.standard_normal(shape) * 2)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kind,shape", [("1d", (6, 3)), ("1d", (4, 3, 5)), ("2d", (3, 3, 4, 4))])
def test_batchnorm_matches_torch(kind, shape, train):
    ours = nn.BatchNorm1d(3, momentum=0.2) if kind == "1d" else nn.BatchNorm2d(3, momentum=0.2)
    theirs = torch.nn.BatchNorm1d(3, momentum=0.2) if kind == "1d" else torch.nn.BatchNorm2d(3, momentum=0.2)
    with ag.no_grad():
        ours.weight.data = R.standard_normal(3)
        ours.bias.data = R.standard_normal(3)
        ours.running_mean.data = R.standard_normal(3)
        ours.running_var.data = R.random(3) + 0.5
    ours.double()
    theirs.double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    check_layer(ours, theirs, R.standard_normal(shape) * 3 + 1, train=train)


def test_dropout_train_and_eval():
    d = nn.Dropout(0.5)
    x = ag.ones(1000)
    ag.manual_seed(0)
    y = d(x).data.numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    d.eval()
    np.testing.assert_array_equal(d(x).data.numpy(), x.data.numpy())


def test_conv2d_string_padding_errors():
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same', got 'full'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        ag.conv2d(ag.ones(1, 1, 4, 4), ag.ones(1, 1, 3, 3), stride=2, padding="same")


def test_functional_pad_matches_torch():
    x = R.standard_normal((2, 3, 4))
    for widths in [(1, 2), (0, 1, 2, 0), (1, 1, 1, 1, 1, 1)]:
        np.testing.assert_array_equal(F.pad(T(x), widths).data.numpy(),
                                      torch.nn.functional.pad(tt(x), widths).numpy())


def test_gelu_sigmoid_approximation():
    x = R.standard_normal(10)
    np.testing.assert_allclose(nn.GELU("sigmoid")(T(x)).data.numpy(), x / (1 + np.exp(-1.702 * x)), rtol=1e-12)


# --------------------------------------------------------------------------- losses
def _loss_case(ours, theirs, x, y, y_is_index=False):
    xa, xt = T(x, rg=True), tt(x, rg=True)
    ya = ag.tensor(y) if y_is_index else T(y)
    yt = torch.tensor(y) if y_is_index else tt(y)
    la, lt = ours(xa, ya), theirs(xt, yt)
    np.testing.assert_allclose(la.data.numpy(), lt.detach().numpy(), rtol=RTOL, atol=1e-10)
    g = np.random.default_rng(2).standard_normal(la.shape) if la.ndim else 1.0
    la.backward(np.asarray(g, dtype=np.float64))
    lt.backward(torch.tensor(g, dtype=torch.float64))
    np.testing.assert_allclose(xa.grad.data.numpy(), xt.grad.numpy(), rtol=RTOL, atol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(reduction):
    x, y = R.standard_normal((4, 3)) * 2, R.standard_normal((4, 3))
    _loss_case(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction), x, y)
    _loss_case(nn.L1Loss(reduction=reduction), torch.nn.L1Loss(reduction=reduction), x, y)
    _loss_case(nn.HuberLoss(reduction=reduction, delta=0.7),
               torch.nn.HuberLoss(reduction=reduction, delta=0.7), x, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_binary_losses(reduction, scale):
    z = R.standard_normal((5, 2)) * scale
    y = (R.random((5, 2)) > 0.5).astype(np.float64)
    pw = np.array([2.0, 0.5])
    w = R.random((5, 2)) + 0.5
    _loss_case(nn.BCEWithLogitsLoss(reduction=reduction),
               torch.nn.BCEWithLogitsLoss(reduction=reduction), z, y)
    _loss_case(nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=T(pw), weight=T(w)),
               torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=tt(pw), weight=tt(w)), z, y)
    if scale == 1.0:
        p = 1 / (1 + np.exp(-z))
        _loss_case(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_cross_entropy_and_nll(reduction, scale):
    x = R.standard_normal((6, 4)) * scale
    y = np.array([0, 3, 1, 1, 2, 3])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    _loss_case(nn.CrossEntropyLoss(reduction=reduction),
               torch.nn.CrossEntropyLoss(reduction=reduction), x, y, True)
    _loss_case(nn.CrossEntropyLoss(reduction=reduction, weight=T(w), ignore_index=1),
               torch.nn.CrossEntropyLoss(reduction=reduction, weight=tt(w), ignore_index=1), x, y, True)
    _loss_case(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
               torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1), x, y, True)
    _loss_case(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.2, weight=T(w)),
               torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.2, weight=tt(w)), x, y, True)
    probs = np.random.default_rng(3).dirichlet(np.ones(4), size=6)
    _loss_case(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
               torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1), x, probs)
    logp = torch.log_softmax(tt(x), 1).numpy()
    _loss_case(nn.NLLLoss(reduction=reduction, weight=T(w)),
               torch.nn.NLLLoss(reduction=reduction, weight=tt(w)), logp, y, True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_at_saturated_probabilities_matches_torch(reduction):
    """p exactly 0 or 1 (a float32 sigmoid is 1.0 from 17 on): PyTorch's gradient
    (p - y) / max(p (1-p), 1e-12) is finite; the plain composite's would be NaN."""
    p = np.array([[0.0, 1.0, 0.5], [1e-12, 1 - 1e-12, 0.3], [0.0, 1.0, 1e-300]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.5]])
    _loss_case(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), p, y)
    pa, ya = T(p), T(y, rg=True)
    F.binary_cross_entropy(pa, ya, reduction="sum").backward()
    # d/dy of the clamped loss is max(log(1-p), -100) - max(log p, -100): +-100 where a
    # log is clamped. PyTorch returns +-inf there (the unclamped formula's derivative);
    # tapegrad holds to the derivative of the loss it actually computes.
    with np.errstate(divide="ignore"):
        expect = np.maximum(np.log1p(-p), -100) - np.maximum(np.log(p), -100)
    np.testing.assert_allclose(ya.grad.data.numpy(), expect, rtol=1e-6)
    assert np.isfinite(ya.grad.data.numpy()).all()


def test_bce_is_twice_differentiable():
    p = T([0.2, 0.7, 0.9], rg=True)
    y = T([0.0, 1.0, 0.3], rg=True)
    assert ag.gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, y))
    assert ag.gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, y))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_every_target_ignored(label_smoothing):
    """A batch of only ignore_index targets: the mean is 0/0 = NaN (as in PyTorch), but
    the gradient is 0, not NaN that would poison the weights on the next step."""
    x = R.standard_normal((4, 3))
    y = np.array([2, 2, 2, 2])
    xa, xt = T(x, rg=True), tt(x, rg=True)
    la = F.cross_entropy(xa, ag.tensor(y), ignore_index=2, label_smoothing=label_smoothing)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(y), ignore_index=2,
                                           label_smoothing=label_smoothing)
    la.backward()
    lt.backward()
    assert np.isnan(la.item()) and np.isnan(lt.item())
    np.testing.assert_array_equal(xa.grad.data.numpy(), xt.grad.numpy())
    assert (xa.grad.data.numpy() == 0).all()


def test_cross_entropy_spatial_targets():
    x = R.standard_normal((2, 3, 4, 4))
    y = np.random.default_rng(4).integers(0, 3, (2, 4, 4))
    _loss_case(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), x, y, True)


def test_loss_errors_name_shapes():
    with pytest.raises(ValueError, match=r"mse_loss.*\(4, 3\).*\(4,\)"):
        F.mse_loss(T(np.zeros((4, 3))), T(np.zeros(4)))
    with pytest.raises(IndexError, match="target 7 is out of range for 4 classes"):
        F.cross_entropy(T(np.zeros((2, 4))), ag.tensor([1, 7]))
    with pytest.raises(ValueError, match="targets of shape"):
        F.cross_entropy(T(np.zeros((2, 4))), ag.tensor([[1], [2]]))


# --------------------------------------------------------------------------- optimizers
OPTS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def _problem(w, b, x, y, lib):
    """A small regression loss with a nonlinearity, the same in both libraries."""
    if lib == "ag":
        return ((ag.tanh(x @ w + b) - y) ** 2).mean()
    return ((torch.tanh(x @ w + b) - y) ** 2).mean()


@pytest.mark.parametrize("name,kw", OPTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTS)])
def test_optimizer_trajectory_50_steps(name, kw):
    r = np.random.default_rng(5)
    w0, b0 = r.standard_normal((3, 2)), r.standard_normal(2)
    x, y = r.standard_normal((8, 3)), r.standard_normal((8, 2))
    w, b = T(w0, True), T(b0, True)
    wt, bt = tt(w0, True), tt(b0, True)
    xa, ya, xt, yt = T(x), T(y), tt(x), tt(y)
    oa = getattr(optim, name)([w, b], **kw)
    ot = getattr(torch.optim, name)([wt, bt], **kw)
    for _ in range(50):
        oa.zero_grad()
        _problem(w, b, xa, ya, "ag").backward()
        oa.step()
        ot.zero_grad()
        _problem(wt, bt, xt, yt, "t").backward()
        ot.step()
    np.testing.assert_allclose(w.data.numpy(), wt.detach().numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(b.data.numpy(), bt.detach().numpy(), rtol=1e-8, atol=1e-12)


def test_param_groups_and_errors():
    a, b = T([1.0], True), T([2.0], True)
    o = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a * 1 + b * 1).sum().backward()
    o.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(1.5)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Adam([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([a], lr=-1)


# --------------------------------------------------------------------------- schedulers
def _lrs(sched_a, sched_t, oa, ot, n=25, metric=None):
    seq_a, seq_t = [], []
    for i in range(n):
        oa.step()
        ot.step()
        if metric is None:
            sched_a.step()
            sched_t.step()
        else:
            sched_a.step(metric[i])
            sched_t.step(metric[i])
        seq_a.append(sched_a.get_last_lr()[0])
        seq_t.append(sched_t.get_last_lr()[0])
    return seq_a, seq_t


@pytest.mark.parametrize("make", [
    lambda o, L: L.StepLR(o, step_size=4, gamma=0.5),
    lambda o, L: L.MultiStepLR(o, milestones=[3, 7, 12], gamma=0.3),
    lambda o, L: L.ExponentialLR(o, gamma=0.9),
    lambda o, L: L.PolynomialLR(o, total_iters=10, power=2.0),
])
def test_scheduler_matches_torch(make):
    oa = optim.SGD([T([1.0], True)], lr=0.1)
    ot = torch.optim.SGD([tt([1.0], True)], lr=0.1)
    a, t = _lrs(make(oa, lr_scheduler), make(ot, torch.optim.lr_scheduler), oa, ot)
    np.testing.assert_allclose(a, t, rtol=1e-12)


def test_plateau_matches_torch():
    oa = optim.SGD([T([1.0], True)], lr=0.1)
    ot = torch.optim.SGD([tt([1.0], True)], lr=0.1)
    metric = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85] * 3
    a, t = _lrs(lr_scheduler.ReduceLROnPlateau(oa, patience=2, factor=0.5, cooldown=1),
                torch.optim.lr_scheduler.ReduceLROnPlateau(ot, patience=2, factor=0.5, cooldown=1),
                oa, ot, n=30, metric=metric)
    np.testing.assert_allclose(a, t, rtol=1e-12)


def test_polynomial_cycle_and_piecewise_closed_forms():
    o = optim.SGD([T([1.0], True)], lr=1.0)
    s = lr_scheduler.PolynomialLR(o, total_iters=4, power=1.0, cycle=True)
    seq = [s.get_last_lr()[0]]
    for _ in range(10):
        s.step()
        seq.append(s.get_last_lr()[0])
    # t=0..4: 1 - t/4; t=5..8: 1 - t/8; t=9,10: 1 - t/12
    expect = [1, .75, .5, .25, 0, 1 - 5 / 8, 1 - 6 / 8, 1 - 7 / 8, 0, 1 - 9 / 12, 1 - 10 / 12]
    np.testing.assert_allclose(seq, expect, atol=1e-12)
    o = optim.SGD([T([1.0], True)], lr=1.0)
    p = lr_scheduler.PiecewiseConstantLR(o, boundaries=[2, 5], values=[0.1, 0.01, 0.001])
    seq = [p.get_last_lr()[0]]
    for _ in range(6):
        p.step()
        seq.append(p.get_last_lr()[0])
    assert seq == [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]


# --------------------------------------------------------------------------- init
def test_layer_init_bounds_like_torch():
    ag.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    assert np.abs(lin.weight.data.numpy()).max() <= bound and np.abs(lin.bias.data.numpy()).max() <= bound
    assert np.abs(lin.weight.data.numpy()).max() > 0.95 * bound
    conv = nn.Conv2d(4, 8, 3)
    b = 1 / np.sqrt(4 * 9)
    assert np.abs(conv.weight.data.numpy()).max() <= b and np.abs(conv.weight.data.numpy()).max() > 0.9 * b
    grouped = nn.Conv2d(8, 16, 3, groups=4)          # fan_in is per group: 2 * 9, as in torch
    assert grouped.weight.shape == tuple(torch.nn.Conv2d(8, 16, 3, groups=4).weight.shape)
    b = 1 / np.sqrt(2 * 9)
    for t in (grouped.weight, grouped.bias):
        assert np.abs(t.data.numpy()).max() <= b and np.abs(t.data.numpy()).max() > 0.8 * b
    with pytest.raises(ValueError, match="groups=3 must divide"):
        nn.Conv2d(4, 6, 3, groups=3)


@pytest.mark.parametrize("fn,kw,check", [
    ("xavier_uniform_", {"gain": 2.0}, ("uniform", 2.0 * np.sqrt(6 / (300 + 200)))),
    ("xavier_normal_", {}, ("normal", np.sqrt(2 / (300 + 200)))),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, ("uniform", np.sqrt(2) * np.sqrt(3 / 300))),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, ("normal", np.sqrt(2 / 200))),
    ("uniform_", {"a": -0.3, "b": 0.3}, ("uniform", 0.3)),
    ("normal_", {"mean": 0.0, "std": 0.05}, ("normal", 0.05)),
])
def test_initialiser_statistics(fn, kw, check):
    ag.manual_seed(1)
    w = nn.Parameter(np.zeros((200, 300)))
    getattr(nn.init, fn)(w, **kw)
    v = w.data.numpy()
    kind, s = check
    if kind == "uniform":
        assert np.abs(v).max() <= s and np.abs(v).max() > 0.99 * s
        assert abs(v.std() - s / np.sqrt(3)) < 0.02 * s
    else:
        assert abs(v.std() - s) < 0.02 * s
    assert abs(v.mean()) < 0.02 * (v.std() + 1e-12) * 5
    tw = torch.empty(200, 300)
    getattr(torch.nn.init, fn)(tw, **kw)
    assert abs(tw.std().item() - v.std()) < 0.03 * v.std()


def test_calculate_gain_matches_torch():
    for nl, p in [("relu", None), ("tanh", None), ("sigmoid", None), ("leaky_relu", 0.2),
                  ("linear", None), ("conv2d", None)]:
        assert nn.init.calculate_gain(nl, p) == pytest.approx(torch.nn.init.calculate_gain(nl, p))


def test_constant_inits():
    w = nn.Parameter(np.empty((3, 2)))
    nn.init.zeros_(w)
    assert (w.data.numpy() == 0).all()
    nn.init.ones_(w)
    assert (w.data.numpy() == 1).all()
    nn.init.constant_(w, 0.25)
    assert (w.data.numpy() == 0.25).all()


# --------------------------------------------------------------------------- clipping
def test_clip_grad_norm_and_value_match_torch():
    r = np.random.default_rng(6)
    g1, g2 = r.standard_normal((3, 4)), r.standard_normal(5)
    for norm_type in (2.0, 1.0, float("inf")):
        a = [T(np.zeros((3, 4)), True), T(np.zeros(5), True)]
        t = [tt(np.zeros((3, 4)), True), tt(np.zeros(5), True)]
        for p, g in zip(a, (g1, g2)):
            p.grad = T(g)
        for p, g in zip(t, (g1, g2)):
            p.grad = torch.tensor(g)
        na = nn.utils.clip_grad_norm_(a, 0.5, norm_type)
        nt = torch.nn.utils.clip_grad_norm_(t, 0.5, norm_type)
        assert na.item() == pytest.approx(nt.item(), rel=1e-10)
        for p, q in zip(a, t):
            np.testing.assert_allclose(p.grad.data.numpy(), q.grad.numpy(), rtol=1e-10)
    p = T(np.zeros(5), True)
    p.grad = T(g2)
    nn.utils.clip_grad_value_([p], 0.3)
    np.testing.assert_array_equal(p.grad.data.numpy(), np.clip(g2, -0.3, 0.3))


def test_clip_grad_accepts_a_generator_like_torch():
    """model.parameters() is a generator: both the norm and the scaling must see it."""
    r = np.random.default_rng(7)
    g = r.standard_normal((3, 4)) * 1e6
    m = nn.Linear(4, 3)
    tm = torch.nn.Linear(4, 3)
    m.weight.grad = ag.tensor(g.astype(m.weight.dtype))  # (T() would make it float64: refused, as in torch)
    tm.weight.grad = torch.tensor(g, dtype=torch.float32)
    m.bias.grad, tm.bias.grad = None, None
    na = nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    nt = torch.nn.utils.clip_grad_norm_(tm.parameters(), 1.0)
    assert na.item() == pytest.approx(nt.item(), rel=1e-6)
    assert np.linalg.norm(m.weight.grad.data.numpy()) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(m.weight.grad.data.numpy(), tm.weight.grad.numpy(), rtol=1e-5)
    nn.utils.clip_grad_value_((p for p in [m.weight]), 0.1)
    assert np.abs(m.weight.grad.data.numpy()).max() <= 0.1
