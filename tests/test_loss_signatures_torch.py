"""The loss functions and modules take PyTorch's positional parameter order, including
its deprecated ``size_average`` / ``reduce`` flags: a positional call means what it
means in PyTorch (value and gradient compared with torch on the same data)."""
import inspect
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
# (the legacy calls below warn as PyTorch does; the warning itself is tested at the end)
pytestmark = pytest.mark.filterwarnings("ignore:size_average and reduce args")

FUNCS = ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
         "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy"]
MODULES = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss"]


def _names(fn, skip_self=False):
    ps = [p for p in inspect.signature(fn).parameters.values()
          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [p.name for p in ps][1 if skip_self else 0:]


@pytest.mark.parametrize("name", FUNCS)
def test_function_positional_names_are_torchs(name):
    ours, theirs = _names(getattr(F, name)), _names(getattr(TF, name))
    # torch 2.13's trailing ``weight`` of mse/l1/huber is not implemented: left out, so a
    # call passing it positionally is a TypeError rather than silently ignored
    if name in ("mse_loss", "l1_loss", "huber_loss"):
        assert theirs[-1] == "weight"
        theirs = theirs[:-1]
    assert ours == theirs


@pytest.mark.parametrize("name", MODULES)
def test_module_positional_names_are_torchs(name):
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)
    assert _names(ours.__init__, True) == _names(theirs.__init__, True)
    assert _names(ours.forward, True) == _names(theirs.forward, True)


def test_unimplemented_trailing_weight_is_loud():
    a, b = ag.tensor([1.0, 2.0]), ag.tensor([0.0, 4.0])
    with pytest.raises(TypeError):
        F.mse_loss(a, b, None, None, "mean", ag.tensor([1.0, 1.0]))
    with pytest.raises(TypeError):
        F.l1_loss(a, b, None, None, "mean", ag.tensor([1.0, 1.0]))
    with pytest.raises(TypeError):
        F.huber_loss(a, b, "mean", 1.0, ag.tensor([1.0, 1.0]))


def _data(kind, rng):
    if kind == "reg":
        return rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    if kind == "prob":
        return rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    if kind == "logit":
        return rng.standard_normal((4, 3)) * 2, rng.uniform(0, 1, (4, 3))
    x = rng.standard_normal((5, 3))
    if kind == "logp":
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
    return x, np.array([0, 1, 2, 1, 0])


def _torch_call(fn, args):
    with warnings.catch_warnings():   # torch warns about size_average/reduce
        warnings.simplefilter("ignore")
        return fn(*args)


def _compare(ours_fn, theirs_fn, kind, extra_ours=(), extra_theirs=None):
    rng = np.random.default_rng(0)
    x, y = _data(kind, rng)
    xa = ag.tensor(x, requires_grad=True)
    ya = ag.tensor(y)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.tensor(y)
    extra_theirs = extra_ours if extra_theirs is None else extra_theirs
    la = ours_fn(xa, ya, *extra_ours)
    lt = _torch_call(theirs_fn, (xt, yt) + tuple(extra_theirs))
    assert tuple(la.shape) == tuple(lt.shape)
    np.testing.assert_allclose(np.asarray(la.detach()), lt.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    la.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(np.asarray(xa.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


W = np.array([0.5, 2.0, 1.5])

# (function, data kind, positional extra args after (input, target))
FUNC_CASES = [
    ("mse_loss", "reg", (False,)),                       # size_average=False: sum
    ("mse_loss", "reg", (None, False)),                  # reduce=False: none
    ("mse_loss", "reg", (True, True)),                   # mean
    ("mse_loss", "reg", (None, None, "sum")),
    ("l1_loss", "reg", (False,)),
    ("l1_loss", "reg", (None, False)),
    ("l1_loss", "reg", (None, None, "none")),
    ("huber_loss", "reg", ("sum", 0.5)),
    ("binary_cross_entropy", "prob", (None, False)),
    ("binary_cross_entropy", "prob", (None, None, False)),
    ("binary_cross_entropy", "prob", ("w", None, None, "sum")),
    ("binary_cross_entropy_with_logits", "logit", (None, False)),
    ("binary_cross_entropy_with_logits", "logit", (None, True, False)),
    ("binary_cross_entropy_with_logits", "logit", ("w", None, None, "sum", "w")),
    ("nll_loss", "logp", (None, True)),
    ("nll_loss", "logp", (None, False)),
    ("nll_loss", "logp", (None, None, 1)),               # ignore_index=1
    ("nll_loss", "logp", ("w", None, 2, False)),          # reduce=False
    ("nll_loss", "logp", ("w", None, -100, None, "sum")),
    ("cross_entropy", "cls", (None, True)),
    ("cross_entropy", "cls", (None, False)),
    ("cross_entropy", "cls", (None, None, 1)),           # ignore_index=1
    ("cross_entropy", "cls", ("w", None, 0, False)),
    ("cross_entropy", "cls", ("w", None, 2, None, "mean", 0.2)),
    ("cross_entropy", "cls", (None, False, -100, None, "mean", 0.1)),
]


def _weights(args, ours):
    return tuple((ag.tensor(W) if ours else torch.tensor(W)) if a == "w" else a for a in args)


@pytest.mark.parametrize("name,kind,args", FUNC_CASES)
def test_function_positional_legacy_call_matches_torch(name, kind, args):
    _compare(getattr(F, name), getattr(TF, name), kind, _weights(args, True),
             _weights(args, False))


MODULE_CASES = [
    ("MSELoss", "reg", (False,)),
    ("MSELoss", "reg", (None, False)),
    ("MSELoss", "reg", (None, None, "sum")),
    ("L1Loss", "reg", (False,)),
    ("L1Loss", "reg", (True, False)),
    ("HuberLoss", "reg", ("none", 0.3)),
    ("BCELoss", "prob", (None, False)),
    ("BCELoss", "prob", ("w", None, False)),
    ("BCEWithLogitsLoss", "logit", (None, False)),
    ("BCEWithLogitsLoss", "logit", ("w", None, None, "none", "w")),
    ("CrossEntropyLoss", "cls", (None, True)),
    ("CrossEntropyLoss", "cls", (None, None, 1)),
    ("CrossEntropyLoss", "cls", ("w", False, 2)),
    ("CrossEntropyLoss", "cls", (None, None, -100, False, "mean", 0.3)),
    ("NLLLoss", "logp", (None, False)),
    ("NLLLoss", "logp", (None, None, 1)),
    ("NLLLoss", "logp", ("w", None, 0, False)),
]


@pytest.mark.parametrize("name,kind,args", MODULE_CASES)
def test_module_positional_legacy_call_matches_torch(name, kind, args):
    ours = getattr(nn, name)(*_weights(args, True))
    theirs = _torch_call(getattr(torch.nn, name), _weights(args, False))
    assert ours.reduction == theirs.reduction
    _compare(ours, theirs, kind)


def test_old_misreading_is_gone():
    """F.cross_entropy(x, y, None, True) used to mean ignore_index=True (class 1 ignored)."""
    rng = np.random.default_rng(1)
    x, y = _data("cls", rng)
    ours = F.cross_entropy(ag.tensor(x), ag.tensor(y), None, True).item()
    plain = F.cross_entropy(ag.tensor(x), ag.tensor(y)).item()
    assert ours == pytest.approx(plain, rel=1e-12)
    assert nn.CrossEntropyLoss(None, True).ignore_index == -100


def test_errors_name_the_op():
    a = ag.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="mse_loss"):
        F.mse_loss(a, a, None, None, "avg")
    with pytest.raises(Exception, match="CrossEntropyLoss"):
        nn.CrossEntropyLoss(None, None, -100, None, "avg")


def _legacy_warnings(fn) -> list:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(x.message) for x in w if "size_average and reduce" in str(x.message)]


@pytest.mark.parametrize("kw", [dict(size_average=False), dict(reduce=False),
                                dict(size_average=True, reduce=True)])
def test_legacy_flags_warn_with_torchs_words(kw):
    """PyTorch warns that size_average/reduce are deprecated, naming the reduction to use
    instead; so does tapegrad, for the functions and the modules (and not without them)."""
    x, y = np.ones(3, np.float32), np.zeros(3, np.float32)
    ours = _legacy_warnings(lambda: F.mse_loss(ag.tensor(x), ag.tensor(y), **kw))
    theirs = _legacy_warnings(lambda: TF.mse_loss(torch.tensor(x), torch.tensor(y), **kw))
    assert ours == theirs and len(ours) == 1
    assert _legacy_warnings(lambda: nn.L1Loss(**kw)) == _legacy_warnings(lambda: torch.nn.L1Loss(**kw))
    assert not _legacy_warnings(lambda: F.mse_loss(ag.tensor(x), ag.tensor(y), reduction="sum"))
