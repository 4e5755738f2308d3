"""Issue 13's layers against torch 2.13, float64: for each layer and several
configurations, torch's state dict (converted to NumPy) loads into ours with the same
keys and shapes, and then the outputs and the gradients of the input(s) and of every
parameter equal torch's (rtol 1e-6). Also: the initialisation distributions, train/eval,
the containers' registration, and the functional forms as ``nn.functional`` names them.

Run::  .venv/bin/python -m pytest tests/test_nn_layers_torch.py -q
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F

pytestmark = pytest.mark.torch
torch.set_num_threads(1)
TF = torch.nn.functional
RTOL, ATOL = 1e-6, 1e-12


def _converted(theirs: torch.nn.Module):
    return {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}


def check_layer(ours, theirs, *inputs, nondiff=(), call_kw=None, seed=0):
    """Load torch's weights into ours, then compare outputs and every gradient."""
    call_kw = call_kw or {}
    ours.double()
    theirs = theirs.double()
    sd = _converted(theirs)
    own = ours.state_dict()
    assert list(own) == list(sd), f"state_dict keys {list(own)} vs torch {list(sd)}"
    for k in sd:
        assert own[k].shape == sd[k].shape, f"{k}: shape {own[k].shape} vs torch {sd[k].shape}"
    ours.load_state_dict(sd)
    xs = [ag.tensor(a, requires_grad=i not in nondiff) for i, a in enumerate(inputs)]
    txs = [torch.tensor(a, requires_grad=i not in nondiff) for i, a in enumerate(inputs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ours(*xs, **call_kw)
        tout = theirs(*txs, **call_kw)
    assert out.shape == tuple(tout.shape), f"output shape {out.shape} vs torch {tuple(tout.shape)}"
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=RTOL, atol=ATOL,
                               err_msg="output")
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    for i, (x, tx) in enumerate(zip(xs, txs)):
        if i in nondiff:
            continue
        np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of input {i}")
    tparams = dict(theirs.named_parameters())
    ours_params = dict(ours.named_parameters())
    assert list(ours_params) == list(tparams)
    for k, p in ours_params.items():
        tp = tparams[k]
        if tp.grad is None:
            assert p.grad is None or not np.any(p.grad.detach().numpy()), k
            continue
        np.testing.assert_allclose(p.grad.detach().numpy(), tp.grad.numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=f"gradient of {k}")
    return out


def U(shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


# --------------------------------------------------------------------------- convolutions
CONV1D = [
    ((4, 6, 3), {}, (2, 4, 9)),
    ((4, 6, 3), {"stride": 2, "padding": 1, "dilation": 2}, (2, 4, 11)),
    ((4, 6, 2), {"groups": 2, "bias": False}, (3, 4, 5)),
    ((3, 2, 4), {"padding": "same"}, (2, 3, 7)),
    ((3, 2, 3), {"padding": "valid", "stride": (2,)}, (1, 3, 8)),
    ((3, 5, 3), {"padding": 2, "padding_mode": "reflect"}, (2, 3, 6)),
    ((3, 5, 3), {"padding": 1, "padding_mode": "replicate"}, (2, 3, 6)),
    ((3, 5, 4), {"padding": "same", "padding_mode": "circular"}, (2, 3, 6)),
    ((3, 2, 3), {}, (3, 7)),                                       # unbatched
]


@pytest.mark.parametrize("args,kw,shape", CONV1D)
def test_conv1d_matches_torch(args, kw, shape):
    check_layer(nn.Conv1d(*args, **kw), torch.nn.Conv1d(*args, **kw), U(shape))


CONVT = [
    ((3, 2, 3), {}, (2, 3, 4, 5), {}),
    ((3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 4, 4), {}),
    ((4, 6, (2, 3)), {"groups": 2, "dilation": 2, "stride": (2, 1)}, (1, 4, 3, 3), {}),
    ((2, 2, 2), {"bias": False, "stride": 2}, (2, 2, 3, 3), {}),
    ((2, 3, 3), {"stride": 2, "padding": 1}, (1, 2, 4, 4), {"output_size": (8, 8)}),
    ((2, 3, 3), {"stride": 3, "padding": 1}, (1, 2, 3, 3), {"output_size": [1, 3, 9, 8]}),
    ((2, 3, 2), {"stride": 1, "dilation": 3, "output_padding": 2, "padding": 1}, (2, 2, 3, 3), {}),
    ((2, 3, 2), {"stride": 2}, (2, 3, 3), {}),                    # unbatched
]


@pytest.mark.parametrize("args,kw,shape,call", CONVT)
def test_conv_transpose2d_matches_torch(args, kw, shape, call):
    check_layer(nn.ConvTranspose2d(*args, **kw), torch.nn.ConvTranspose2d(*args, **kw),
                U(shape), call_kw=call)


def test_conv_transpose2d_rejects_impossible_output_size():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        m(ag.zeros((1, 2, 4, 4)), output_size=(12, 12))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(ag.zeros((1, 2, 3, 3)), ag.zeros((2, 1, 2, 2)), stride=1,
                           output_padding=1)


# --------------------------------------------------------------------------- normalisation
GROUPNORM = [((2, 6), {}, (3, 6, 4, 4)), ((3, 6), {"affine": False}, (2, 6, 5)),
             ((1, 4), {"eps": 1e-3}, (5, 4)), ((6, 6), {}, (2, 6, 3)),
             ((2, 4), {"bias": False}, (2, 4, 2, 3))]


@pytest.mark.parametrize("args,kw,shape", GROUPNORM)
def test_group_norm_matches_torch(args, kw, shape):
    ours, theirs = nn.GroupNorm(*args, **kw), torch.nn.GroupNorm(*args, **kw)
    with torch.no_grad():        # non-trivial affine parameters, copied over by the state dict
        for p in theirs.parameters():
            p.copy_(torch.tensor(U(tuple(p.shape), seed=3)))
    check_layer(ours, theirs, U(shape) + 0.5)


RMSNORM = [((5,), {}, (3, 5)), ([3, 5], {"eps": 1e-6}, (2, 3, 5)),
           (4, {"elementwise_affine": False}, (2, 3, 4)), ((2, 2), {"eps": 0.1}, (2, 2))]


@pytest.mark.parametrize("ns,kw,shape", RMSNORM)
def test_rms_norm_matches_torch(ns, kw, shape):
    ours, theirs = nn.RMSNorm(ns, **kw), torch.nn.RMSNorm(ns, **kw)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(U(tuple(p.shape), seed=4)))
    check_layer(ours, theirs, U(shape))


# --------------------------------------------------------------------------- resampling
@pytest.mark.parametrize("size,shape", [(3, (2, 3, 6, 6)), ((2, 5), (1, 2, 5, 7)),
                                        ((None, 2), (2, 1, 4, 5)), (1, (2, 3, 4, 4)),
                                        ((7, 3), (3, 5, 4))])
def test_adaptive_avg_pool2d_matches_torch(size, shape):
    check_layer(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), U(shape))


UPSAMPLE = [
    ({"scale_factor": 2}, (1, 2, 3, 4)),
    ({"size": (5, 7)}, (2, 1, 3, 4)),
    ({"scale_factor": 1.5, "mode": "bilinear"}, (1, 2, 4, 5)),
    ({"scale_factor": 2, "mode": "bilinear", "align_corners": True}, (1, 2, 3, 3)),
    ({"size": (2, 3), "mode": "bilinear", "align_corners": False}, (1, 1, 5, 7)),
    ({"scale_factor": (0.5, 2.5), "mode": "nearest-exact"}, (1, 2, 6, 3)),
    ({"scale_factor": 3, "mode": "linear"}, (2, 2, 4)),
    ({"size": 9, "mode": "linear", "align_corners": True}, (1, 3, 4)),
    ({"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}, (1, 1, 4, 4)),
    ({"size": (3, 2), "mode": "area"}, (1, 2, 7, 5)),
]


@pytest.mark.parametrize("kw,shape", UPSAMPLE)
def test_upsample_matches_torch(kw, shape):
    check_layer(nn.Upsample(**kw), torch.nn.Upsample(**kw), U(shape))


@pytest.mark.parametrize("cls", ["UpsamplingNearest2d", "UpsamplingBilinear2d"])
def test_legacy_upsampling_modules_match_torch(cls):
    check_layer(getattr(nn, cls)(scale_factor=2), getattr(torch.nn, cls)(scale_factor=2),
                U((1, 2, 3, 4)))


# --------------------------------------------------------------------------- small layers
@pytest.mark.parametrize("ours,theirs,shape", [
    (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3)), (4, 6)),
    (nn.Unflatten(-1, (2, -1)), torch.nn.Unflatten(-1, (2, -1)), (2, 3, 8)),
    (nn.Unflatten(0, [1, 2]), torch.nn.Unflatten(0, [1, 2]), (2, 3)),
    (nn.Mish(), torch.nn.Mish(), (3, 4)),
    (nn.Hardtanh(), torch.nn.Hardtanh(), (3, 5)),
    (nn.Hardtanh(-0.5, 2.0), torch.nn.Hardtanh(-0.5, 2.0), (4, 4)),
    (nn.Softsign(), torch.nn.Softsign(), (2, 3, 2)),
])
def test_small_layers_match_torch(ours, theirs, shape):
    check_layer(ours, theirs, U(shape, lo=-3, hi=3))


def test_hardtanh_gradient_is_zero_on_its_bounds_like_torch():
    x = np.array([-1.0, -0.999, 0.0, 1.0, 1.5])
    check_layer(nn.Hardtanh(), torch.nn.Hardtanh(), x)
    with pytest.warns(FutureWarning, match="is deprecated"):
        ours = nn.Hardtanh(min_value=-0.5, max_value=0.5)
    with pytest.warns(FutureWarning, match="is deprecated"):
        theirs = torch.nn.Hardtanh(min_value=-0.5, max_value=0.5)
    check_layer(ours, theirs, np.array([-0.5, 0.1, 0.5]))


def test_unflatten_rejects_a_size_that_does_not_fit():
    with pytest.raises(ValueError, match="does not match"):
        nn.Unflatten(1, (4, 2))(ag.zeros((2, 6)))


# --------------------------------------------------------------------------- losses
def _probs(shape, seed):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_loss_matches_torch(reduction, log_target):
    x = np.log(_probs((4, 5), 0))
    t = _probs((4, 5), 1)
    if log_target:
        t = np.log(t)
    else:
        t[0, 2] = 0.0          # a zero target contributes 0 (xlogy)
    check_layer(nn.KLDivLoss(reduction=reduction, log_target=log_target),
                torch.nn.KLDivLoss(reduction=reduction, log_target=log_target), x, t,
                nondiff=(1,) if not log_target else ())


def test_kl_div_loss_checks_reduction_and_maps_legacy_flags():
    with pytest.raises(ValueError, match="batchmean"):
        nn.KLDivLoss(reduction="avg")
    assert nn.KLDivLoss(size_average=False).reduction == "sum"
    assert nn.SmoothL1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="reduction"):
        nn.SmoothL1Loss(reduction="batchmean")


@pytest.mark.parametrize("kw", [{}, {"beta": 0.5}, {"beta": 0.0}, {"beta": 2.0, "reduction": "sum"},
                                {"reduction": "none", "beta": 0.3}])
def test_smooth_l1_loss_matches_torch(kw):
    check_layer(nn.SmoothL1Loss(**kw), torch.nn.SmoothL1Loss(**kw), U((4, 3), 0), U((4, 3), 1))


@pytest.mark.parametrize("kw", [{}, {"margin": 0.3}, {"margin": -0.5, "reduction": "sum"},
                                {"margin": 0.2, "reduction": "none"}])
def test_cosine_embedding_loss_matches_torch(kw):
    y = np.array([1.0, -1.0, -1.0, 1.0, -1.0])
    check_layer(nn.CosineEmbeddingLoss(**kw), torch.nn.CosineEmbeddingLoss(**kw),
                U((5, 4), 0), U((5, 4), 1), y, nondiff=(2,))
    check_layer(nn.CosineEmbeddingLoss(**kw), torch.nn.CosineEmbeddingLoss(**kw),
                U((4,), 2), U((4,), 3), np.array(-1.0), nondiff=(2,))


@pytest.mark.parametrize("kw", [{}, {"margin": 0.5}, {"margin": 1.0, "reduction": "sum"},
                                {"margin": 0.1, "reduction": "none"}])
def test_margin_ranking_loss_matches_torch(kw):
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, 1.0])
    check_layer(nn.MarginRankingLoss(**kw), torch.nn.MarginRankingLoss(**kw),
                U((6,), 0), U((6,), 1), y, nondiff=(2,))


# --------------------------------------------------------------------------- functional names
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 5), (2, 1)), ((1, 2, 4), (1, 3)),
                                       ((2, 3, 4, 5), (1, 2, 3, 0)),
                                       ((1, 2, 3, 4, 4), (1, 1, 2, 0, 1, 2))])
def test_functional_pad_modes_match_torch(mode, shape, pad):
    x = U(shape)
    a, b = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kw = {"value": 0.5} if mode == "constant" else {}
    out, tout = F.pad(a, pad, mode=mode, **kw), TF.pad(b, pad, mode=mode, **kw)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=RTOL)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_functional_pad_errors_name_the_mode():
    with pytest.raises(ValueError, match="smaller than the input"):
        F.pad(ag.zeros((1, 2, 3)), (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(ag.zeros((1, 2, 3)), (1, 0), mode="mirror")
    with pytest.raises(ValueError, match="value"):
        F.pad(ag.zeros((1, 2, 3)), (1, 0), mode="replicate", value=1.0)


def test_functional_forms_are_exported_and_match_torch():
    for name in ["conv1d", "conv_transpose2d", "group_norm", "rms_norm", "interpolate", "pad",
                 "mish", "hardtanh", "softsign", "kl_div", "smooth_l1_loss",
                 "cosine_embedding_loss", "margin_ranking_loss", "adaptive_avg_pool2d"]:
        assert name in F.__all__ and callable(getattr(F, name)), name
    x = U((2, 4, 6))
    np.testing.assert_allclose(F.group_norm(ag.tensor(x), 2).detach().numpy(),
                               TF.group_norm(torch.tensor(x), 2).numpy(), rtol=RTOL)
    np.testing.assert_allclose(F.rms_norm(ag.tensor(x), [6]).detach().numpy(),
                               TF.rms_norm(torch.tensor(x), [6]).numpy(), rtol=RTOL)
    np.testing.assert_allclose(F.hardtanh(ag.tensor(x), -0.5, 0.5).detach().numpy(),
                               TF.hardtanh(torch.tensor(x), -0.5, 0.5).numpy(), rtol=RTOL)
    np.testing.assert_allclose(F.mish(ag.tensor(x)).detach().numpy(),
                               TF.mish(torch.tensor(x)).numpy(), rtol=RTOL)
    np.testing.assert_allclose(
        F.interpolate(ag.tensor(x), scale_factor=2, mode="linear").detach().numpy(),
        TF.interpolate(torch.tensor(x), scale_factor=2, mode="linear").numpy(), rtol=RTOL)
    y = U((2, 4, 6), 1)
    np.testing.assert_allclose(F.smooth_l1_loss(ag.tensor(x), ag.tensor(y), beta=0.5).item(),
                               TF.smooth_l1_loss(torch.tensor(x), torch.tensor(y), beta=0.5).item(),
                               rtol=RTOL)
    np.testing.assert_allclose(
        F.kl_div(ag.tensor(np.log(_probs((3, 4), 0))), ag.tensor(_probs((3, 4), 1)),
                 reduction="batchmean").item(),
        TF.kl_div(torch.tensor(np.log(_probs((3, 4), 0))), torch.tensor(_probs((3, 4), 1)),
                  reduction="batchmean").item(), rtol=RTOL)


# --------------------------------------------------------------------------- initialisation
@pytest.mark.parametrize("make", [
    lambda m: m.Conv1d(8, 16, 5), lambda m: m.Conv1d(6, 4, 3, groups=2),
    lambda m: m.ConvTranspose2d(8, 6, 3), lambda m: m.ConvTranspose2d(4, 6, 2, groups=2),
])
def test_conv_init_distribution_matches_torch(make):
    """Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with torch's fan_in
    (weight.shape[1] * kernel, so out_channels / groups for the transposed conv)."""
    ag.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = make(nn), make(torch.nn)
    for (k, p), (tk, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert k == tk and tuple(p.shape) == tuple(tp.shape)
        fan_in = theirs.weight.shape[1] * int(np.prod(theirs.weight.shape[2:]))
        bound = 1 / np.sqrt(fan_in)
        w = p.detach().numpy()
        assert np.abs(w).max() <= bound + 1e-7, k
        assert np.abs(tp.detach().numpy()).max() <= bound + 1e-7, k
        if w.size >= 200:      # uniform on [-b, b]: std b / sqrt(3)
            assert abs(w.std() - bound / np.sqrt(3)) < 0.12 * bound / np.sqrt(3), k
            assert abs(w.mean()) < 0.15 * bound, k


def test_norm_layers_initialise_like_torch():
    for ours, theirs in [(nn.GroupNorm(2, 6), torch.nn.GroupNorm(2, 6)),
                         (nn.RMSNorm([3, 4]), torch.nn.RMSNorm([3, 4])),
                         (nn.GroupNorm(3, 6, affine=False), torch.nn.GroupNorm(3, 6, affine=False)),
                         (nn.RMSNorm(5, elementwise_affine=False),
                          torch.nn.RMSNorm(5, elementwise_affine=False))]:
        sd, tsd = ours.state_dict(), _converted(theirs)
        assert list(sd) == list(tsd)
        for k in sd:
            np.testing.assert_array_equal(sd[k], tsd[k])


# --------------------------------------------------------------------------- train / eval
def test_train_eval_reaches_every_new_layer_and_changes_nothing_else():
    layers = [nn.Conv1d(2, 2, 3), nn.ConvTranspose2d(2, 2, 2), nn.GroupNorm(1, 2), nn.RMSNorm(2),
              nn.AdaptiveAvgPool2d(2), nn.Upsample(scale_factor=2), nn.Unflatten(1, (2, 1)),
              nn.Mish(), nn.Hardtanh(), nn.Softsign(), nn.KLDivLoss(), nn.SmoothL1Loss(),
              nn.CosineEmbeddingLoss(), nn.MarginRankingLoss()]
    holder = nn.ModuleDict({str(i): m for i, m in enumerate(layers)})
    holder.add_module("plist", nn.ParameterList([ag.zeros(2)]))
    holder.eval()
    assert not any(m.training for m in holder.modules())
    holder.train()
    assert all(m.training for m in holder.modules())
    x = U((2, 2, 5))
    conv = holder["0"]
    a = conv(ag.tensor(x)).detach().numpy()
    holder.eval()
    np.testing.assert_array_equal(conv(ag.tensor(x)).detach().numpy(), a)


# --------------------------------------------------------------------------- containers
class _OursBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.branches = nn.ModuleDict({"conv": nn.Conv1d(2, 3, 3, padding=1),
                                       "norm": nn.GroupNorm(1, 2)})
        self.scales = nn.ParameterList([nn.Parameter(np.full((3, 1), 0.5)),
                                        ag.tensor(np.ones((3, 1)), requires_grad=True)])
        self.extra = nn.ParameterDict({"shift": nn.Parameter(np.zeros(3)),
                                       "gain": nn.Parameter(np.ones(1))})

    def forward(self, x):
        h = self.branches["conv"](self.branches["norm"](x))
        for s in self.scales:
            h = h * s
        return h * self.extra["gain"] + self.extra["shift"].reshape(3, 1)


class _TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.branches = torch.nn.ModuleDict({"conv": torch.nn.Conv1d(2, 3, 3, padding=1),
                                             "norm": torch.nn.GroupNorm(1, 2)})
        self.scales = torch.nn.ParameterList([torch.nn.Parameter(torch.full((3, 1), 0.5)),
                                              torch.ones((3, 1), requires_grad=True)])
        self.extra = torch.nn.ParameterDict({"shift": torch.nn.Parameter(torch.zeros(3)),
                                             "gain": torch.nn.Parameter(torch.ones(1))})

    def forward(self, x):
        h = self.branches["conv"](self.branches["norm"](x))
        for s in self.scales:
            h = h * s
        return h * self.extra["gain"] + self.extra["shift"].reshape(3, 1)


def test_containers_register_like_torch_and_load_its_state_dict():
    ours, theirs = _OursBlock(), _TorchBlock()
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(U(tuple(p.shape), seed=p.numel())))
    out = check_layer(ours, theirs, U((2, 2, 5)))
    assert out.shape == (2, 3, 5)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert isinstance(ours.scales[1], nn.Parameter) and len(ours.scales) == 2
    assert list(ours.extra.keys()) == ["gain", "shift"] and "gain" in ours.extra  # sorted


def test_container_mutation_matches_torch():
    for lib in (nn, torch.nn):
        d = lib.ModuleDict({"a": lib.ReLU()})
        d["b"] = lib.Tanh()
        d.update([("c", lib.Sigmoid())])
        popped = d.pop("a")
        assert type(popped).__name__ == "ReLU" and list(d.keys()) == ["b", "c"] and len(d) == 2
        pl = lib.ParameterList()
        pl.append(lib.Parameter(ag.zeros(2) if lib is nn else torch.zeros(2)))
        pl.extend([lib.Parameter(ag.ones(3) if lib is nn else torch.ones(3))])
        assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
        assert tuple(pl[-1].shape) == (3,)
        pd = lib.ParameterDict()
        pd["w"] = lib.Parameter(ag.zeros(1) if lib is nn else torch.zeros(1))
        assert list(pd) == ["w"] and [n for n, _ in pd.named_parameters()] == ["w"]
    with pytest.raises(IndexError):
        nn.ParameterList([ag.zeros(1)])[1]
    with pytest.raises(TypeError, match="Module"):
        nn.ModuleDict({"x": 3})


# --------------------------------------------------------------------------- a whole model
def _unet(lib):
    """A small encoder-decoder of the new layers (1-D encoder, 2-D decoder)."""
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.enc = lib.Sequential(lib.Conv1d(2, 8, 3, padding=1, padding_mode="reflect"),
                                      lib.GroupNorm(4, 8), lib.Mish(),
                                      lib.Conv1d(8, 8, 4, stride=2, padding=1))
            self.up = lib.ModuleDict({"deconv": lib.ConvTranspose2d(2, 3, 3, stride=2, padding=1,
                                                                     output_padding=1),
                                      "resize": lib.Upsample(size=(4, 4), mode="bilinear")})
            self.unflat = lib.Unflatten(1, (2, 4, 2))
            self.pool = lib.AdaptiveAvgPool2d((3, 2))
            self.norm = lib.RMSNorm([3, 2])
            self.gains = lib.ParameterList([lib.Parameter(ag.ones(3) if lib is nn
                                                          else torch.ones(3))])
            self.act = lib.Hardtanh(-1.5, 1.5)

        def forward(self, x):
            h = self.enc(x)                              # (N, 8, L/2)
            h = self.unflat(h[:, :, :2].reshape(h.shape[0], 8 * 2))   # (N, 2, 4, 2)
            h = self.up["resize"](h)                     # (N, 2, 4, 4)
            h = self.up["deconv"](h)                     # (N, 3, 8, 8)
            h = self.norm(self.pool(h))                  # (N, 3, 3, 2)
            return self.act(h * self.gains[0].reshape(1, 3, 1, 1))

    return Net()


def test_a_model_of_new_layers_loads_torch_weights_and_matches():
    torch.manual_seed(1)
    theirs = _unet(torch.nn)
    with torch.no_grad():                 # non-trivial norm and gain parameters
        for name, p in theirs.named_parameters():
            if "weight" not in name or "enc.1" in name or "norm" in name:
                p.add_(torch.tensor(U(tuple(p.shape), seed=7, lo=-0.3, hi=0.3)))
    out = check_layer(_unet(nn), theirs, U((3, 2, 8)))
    assert out.shape == (3, 3, 3, 2)


def test_integer_targets_keep_the_float32_loss_dtype_like_torch():
    x1, x2 = np.float32([[1.0, 2.0], [0.5, -1.0]]), np.float32([[0.0, 3.0], [1.0, 1.0]])
    y = np.array([1, -1])
    for ours, theirs in [(nn.MarginRankingLoss(0.5), torch.nn.MarginRankingLoss(0.5)),
                         (nn.CosineEmbeddingLoss(0.1), torch.nn.CosineEmbeddingLoss(0.1))]:
        a, b = (x1[:, 0], x2[:, 0]) if isinstance(ours, nn.MarginRankingLoss) else (x1, x2)
        out = ours(ag.tensor(a), ag.tensor(b), ag.tensor(y))
        tout = theirs(torch.tensor(a), torch.tensor(b), torch.tensor(y))
        assert out.dtype == np.float32 and tout.dtype == torch.float32
        np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-6)


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Conv1d(3, 4, 3, padding=1), (2, 3, 6)),
    (lambda m: m.ConvTranspose2d(3, 2, 3, stride=2), (1, 3, 3, 3)),
    (lambda m: m.GroupNorm(1, 3), (2, 3, 4)),
    (lambda m: m.RMSNorm(4), (2, 4)),
    (lambda m: m.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 3)),
    (lambda m: m.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 5)),
])
def test_float32_layers_keep_float32_like_torch(make, shape):
    """With the default dtype (float32) parameters, inputs, outputs and gradients stay
    float32, at float32 accuracy of torch's values."""
    ag.manual_seed(0)
    ours, theirs = make(nn), make(torch.nn)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert all(p.dtype == np.float32 for p in ours.parameters())
    x = U(shape).astype(np.float32)
    a, b = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(a), theirs(b)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    out.sum().backward()
    tout.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    for p in ours.parameters():
        assert p.grad.dtype == np.float32
