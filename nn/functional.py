"""Functional forms of layers, activations and losses (PyTorch's ``torch.nn.functional``).

Built only on autograd's public API; every gradient comes from autograd's ops (the
one ``autograd.Function`` here, binary_cross_entropy's, writes PyTorch's clamped
gradient with those same ops, so it stays differentiable).
"""
from __future__ import annotations

import functools
import inspect
import math
import warnings
from typing import Optional, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

from ._class_targets import (_check_target_dtype, _check_targets, _class_weight,
                             _one_sample_target)

__all__ = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "dropout", "batch_norm", "flatten",
    "relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax",
    "softplus", "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "one_hot", "pad",
]

sigmoid = ag.sigmoid
tanh = ag.tanh
conv2d = ag.conv2d
max_pool2d = ag.max_pool2d  # (their sizes may be 0-d integer tensors, as in PyTorch: ag's
avg_pool2d = ag.avg_pool2d  # pair() reads them as ints)
flatten = ag.flatten
pad = ag.pad            # F.pad(x, (left, right, top, bottom, ...)): last dimension first


def linear(input, weight, bias=None) -> Tensor:
    """x @ weight.T + bias (one fused autograd op).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.linear(ag.ones(1, 2), ag.tensor([[1.0, 2.0]]), ag.tensor([0.5])).tolist()
    [[3.5]]
    """
    return ag.linear(input, weight, bias)


def gelu(input, approximate: str = "none") -> Tensor:
    """GELU: exact x*Phi(x), ``'tanh'`` approximation, or ``'sigmoid'``: x*sigmoid(1.702x).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> [round(v, 4) for v in F.gelu(ag.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.1587, 0.0, 0.8413]
    """
    if approximate == "sigmoid":
        x = ag.as_tensor(input)
        return x * ag.sigmoid(x * 1.702)
    return ag.gelu(input, approximate=approximate)


def _softmax_dim(name: str, x: Tensor, dim, dtype) -> Tuple[Tensor, int]:
    """PyTorch's ``dim=None`` (deprecated, with its warning): 0 for a 0-, 1- or 3-D input,
    1 otherwise; ``dtype`` casts the input first."""
    x = ag.as_tensor(x)
    if dtype is not None:
        if not isinstance(dtype, (str, type, np.dtype)):  # (.to would read an int as a device)
            raise TypeError(f"{name}: dtype must be a dtype, got {type(dtype).__name__} {dtype!r}")
        try:
            x = x.to(dtype=dtype)
        except (TypeError, ValueError) as e:   # (to's message, under the function called)
            raise type(e)(f"{name}: dtype: {e}") from None
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      f"call to include dim=X as an argument.", UserWarning, stacklevel=3)
    return x, dim


def softmax(input, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along ``dim`` (computed from x - max x);
    ``dtype`` casts the input first. PyTorch's signature, including its deprecated
    implicit ``dim`` (see :func:`_softmax_dim`).

        >>> import autograd as ag, nn.functional as F
        >>> F.softmax(ag.tensor([0.0, 0.0]), dim=0).tolist()
        [0.5, 0.5]
    """
    x, dim = _softmax_dim("softmax", input, dim, dtype)
    return ag.softmax(x, dim=dim)


def log_softmax(input, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log_softmax(x)_i = x_i - log sum_j exp(x_j) along ``dim`` (stable for large x);
    ``dtype`` casts the input first; PyTorch's signature, as :func:`softmax`.

        >>> import autograd as ag, nn.functional as F
        >>> [round(v, 4) for v in F.log_softmax(ag.tensor([0.0, 0.0]), dim=0).tolist()]
        [-0.6931, -0.6931]
    """
    x, dim = _softmax_dim("log_softmax", input, dim, dtype)
    return ag.log_softmax(x, dim=dim)


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.

        >>> import autograd as ag, nn.functional as F
        >>> round(F.softplus(ag.tensor(0.0)).item(), 4)                  # log 2
        0.6931
    """
    return ag.softplus(input, beta=beta, threshold=threshold)



def _named(op: str, shape_first: bool = False):
    """Make errors raised by the ops a function is built from name the function called
    (a shape error in a weight's ``mul`` reads ``cross_entropy: mul: ...``)."""
    def deco(f):
        sig = inspect.signature(f)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            if shape_first and len(args) >= 2:  # PyTorch broadcasts the operands first
                _same_shape(ag.as_tensor(args[0]), ag.as_tensor(args[1]), op)
            if "reduction" in sig.parameters:  # PyTorch checks it before anything else
                try:
                    bound = sig.bind_partial(*args, **kwargs).arguments
                except TypeError:
                    bound = {}
                red = bound.get("reduction", "mean")
                legacy = any(bound.get(k) is not None for k in ("size_average", "reduce"))
                if red not in ("mean", "sum", "none") and not legacy:  # (legacy args win)
                    raise ValueError(f"{op}: {red!r} is not a valid value for reduction; use "
                                     f"'mean', 'sum' or 'none'")
            try:
                return f(*args, **kwargs)
            except OverflowError as e:   # a Python int too large for any tensor dtype
                raise TypeError(f"{op}: an argument is too large to convert ({e})") from None
            except (IndexError, TypeError, ValueError, RuntimeError) as e:
                if str(e).startswith(op + ":"):
                    raise
                try:
                    new = type(e)(f"{op}: {e}")
                except Exception:  # noqa: BLE001 -- an exception class with another signature
                    raise e from None
                raise new from None
        return wrapper
    return deco


@_named("batch_norm")
def batch_norm(input, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over the batch (and spatial) axes: (x - mean) / sqrt(var + eps) * w + b.

    In training the batch statistics are used (biased variance) and the running
    statistics are updated in place with ``momentum`` (unbiased variance, like PyTorch);
    in eval the running statistics are used.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> x = ag.tensor([[1.0], [3.0]])
    >>> F.batch_norm(x, None, None, training=True).round(decimals=4).tolist()
    [[-1.0], [1.0]]
    """
    x = ag.as_tensor(input)
    # (ag.tensor, a copy, for numbers and arrays: the running statistics are updated in
    # place, and as_tensor(1.0) is a cached constant shared by every caller)
    running_mean, running_var, weight, bias = (
        t if t is None or isinstance(t, Tensor) else ag.tensor(t)
        for t in (running_mean, running_var, weight, bias))
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"batch_norm: eps must be a real number, got {eps!r}")
    if not eps >= 0:
        raise ValueError(f"batch_norm: eps must be non-negative, but got {eps}")
    if training and not eps > 0:
        raise ValueError(f"batch_norm: eps must be positive during training, but got {eps}")
    if (running_mean is None) != (running_var is None):
        raise ag.InvalidArgumentError("batch_norm: give both running_mean and running_var, "
                                      "or neither")
    if x.ndim < 2:
        raise ag.InvalidArgumentError(f"batch_norm: expected at least 2-D input (N, C, ...), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        n = int(np.prod([x.shape[a] for a in axes]))
        if n <= 1:
            raise ag.InvalidArgumentError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(x.shape)}")
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        if running_mean is not None:
            with ag.no_grad():
                m = np.asarray(mean).reshape(-1)
                v = np.asarray(var).reshape(-1) * n / (n - 1)
                running_mean.data = ((1 - momentum) * np.asarray(running_mean) + momentum * m).astype(running_mean.dtype)
                running_var.data = ((1 - momentum) * np.asarray(running_var) + momentum * v).astype(running_var.dtype)
    else:
        if running_mean is None or running_var is None:
            raise ag.InvalidArgumentError("batch_norm: eval mode needs running statistics")
        mean = ag.reshape(running_mean, shape)
        var = ag.reshape(running_var, shape)
    out = (x - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * ag.reshape(weight, shape)
    if bias is not None:
        out = out + ag.reshape(bias, shape)
    # PyTorch: a float16 input through float32 statistics and parameters stays float16
    return out.to(x.dtype) if x.dtype.kind == "f" and out.dtype != x.dtype else out


# --------------------------------------------------------------------------- losses
def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ag.InvalidArgumentError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(x: Tensor, y: Tensor, name: str) -> None:
    if x.shape != y.shape:
        raise ag.ShapeError(f"{name}: input shape {tuple(x.shape)} and target shape "
                         f"{tuple(y.shape)} differ; they must match (reshape the target, "
                         f"e.g. y.reshape(-1, 1) or y.squeeze())")


@_named("mse_loss", shape_first=True)
def mse_loss(input, target, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    """mean((input - target)**2). ``size_average`` and ``reduce`` are PyTorch's
    deprecated flags: given, they override ``reduction`` as in PyTorch.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.mse_loss(ag.tensor([1.0, 2.0]), ag.tensor([0.0, 4.0])).item()
    2.5
    """
    from ._functional_layers import _legacy  # (lazily: _functional_layers imports this module)
    reduction = _legacy(size_average, reduce, reduction)
    x, y = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(x, y, "mse_loss")
    d = x - y
    return _reduce(d * d, reduction, "mse_loss")


@_named("l1_loss", shape_first=True)
def l1_loss(input, target, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """mean(|input - target|). ``size_average`` and ``reduce`` are PyTorch's deprecated
    flags: given, they override ``reduction`` as in PyTorch.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.l1_loss(ag.tensor([1.0, 2.0]), ag.tensor([0.0, 4.0])).item()
    1.5
    """
    from ._functional_layers import _legacy  # (lazily: _functional_layers imports this module)
    reduction = _legacy(size_average, reduce, reduction)
    x, y = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(x, y, "l1_loss")
    return _reduce(ag.abs(x - y), reduction, "l1_loss")


@_named("huber_loss", shape_first=True)
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta (|d| - delta/2), with d = input - target.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.huber_loss(ag.tensor([0.0, 3.0]), ag.tensor([0.5, 0.0])).item()
    1.3125
    """
    x, y = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(x, y, "huber_loss")
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
        raise TypeError(f"huber_loss: delta must be a real number, got {delta!r}")
    if not delta > 0:
        raise ag.InvalidArgumentError(f"huber_loss: delta must be positive, got {delta}")
    if y.dtype != x.dtype and x.dtype.kind == "f":
        y = y.to(x.dtype)  # the result has the input's dtype, as in PyTorch
    d = x - y
    if math.isinf(delta):            # no linear part (delta * 0 would be NaN)
        return _reduce(0.5 * d * d, reduction, "huber_loss")
    # PyTorch's two branches, selected (0.5 min(|d|, delta)**2 + delta (|d| - min) would
    # cancel: a gradient of 1e20 / n - 1e20 / n for delta = 1e20); the quadratic branch
    # reads 0 where it is not taken, so an infinite d gives no 0 * inf there; |d| is
    # d sign(d) with a constant sign that is NaN at a NaN d (PyTorch's NaN gradient there)
    dd = d.detach()
    small = ag.abs(dd) < delta
    dq = ag.where(small, d, 0.0)
    sgn = ag.where(dd != dd, float("nan"), ag.sign(dd))
    return _reduce(ag.where(small, 0.5 * dq * dq, delta * (d * sgn - 0.5 * delta)), reduction,
                   "huber_loss")


def _clamped_logs(p: Tensor) -> Tuple[Tensor, Tensor]:
    """(max(log p, -100), max(log(1 - p), -100)); log(0) = -inf is expected here."""
    with np.errstate(divide="ignore"):
        return ag.clamp(ag.log(p), min=-100.0), ag.clamp(ag.log(1 - p), min=-100.0)


class _BinaryCrossEntropy(ag.Function):
    """-(y log p + (1-y) log(1-p)) with PyTorch's gradient (p - y) / max(p (1-p), 1e-12).

    The composite's gradient -y/p + (1-y)/(1-p) is NaN where p is exactly 0 or 1 (a
    float32 sigmoid saturates to 1.0 at 17) and astronomically large next to them;
    PyTorch clamps the denominator, and so does this backward. It is written with
    tapegrad ops, so it is differentiable again."""

    @staticmethod
    def forward(ctx, p: Tensor, y: Tensor) -> Tensor:
        ctx.save_for_backward(p, y)
        logp, log1mp = _clamped_logs(p)
        return -(y * logp + (1 - y) * log1mp)

    @staticmethod
    def backward(ctx, g: Tensor):
        p, y = ctx.saved_tensors
        gp = g * (p - y) / ag.clamp(p * (1 - p), min=1e-12)
        gy = None
        if ctx.needs_input_grad[1]:
            logp, log1mp = _clamped_logs(p)
            gy = g * (log1mp - logp)
        return gp, gy


@_named("binary_cross_entropy")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """-(y log p + (1-y) log(1-p)), logs clamped at -100 and the gradient's denominator
    p (1-p) at 1e-12, like PyTorch (finite at p = 0 and p = 1); p is ``input``, y
    ``target``. ``size_average`` and ``reduce`` are PyTorch's deprecated flags.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> round(F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([1.0, 0.0])).item(), 4)
    0.6931
    """
    from ._functional_layers import _legacy  # (lazily: _functional_layers imports this module)
    reduction = _legacy(size_average, reduce, reduction)
    p, y = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(p, y, "binary_cross_entropy")
    slack = 1e-3 if y.requires_grad else 0.0
    if ((np.asarray(y) < -slack) | (np.asarray(y) > 1 + slack)).any():
        # (a target that requires grad is gradchecked: finite differences step 1e-6 out)
        raise ag.InvalidArgumentError("binary_cross_entropy: all elements of the target "
                                      "must be between 0 and 1")
    if ((np.asarray(p) < 0) | (np.asarray(p) > 1)).any():
        raise ag.InvalidArgumentError("binary_cross_entropy: input must be probabilities in "
                                      "[0, 1]; "
                         "for logits use binary_cross_entropy_with_logits")
    if y.dtype != p.dtype:
        # (PyTorch refuses mixed dtypes; tapegrad promotes, never rounds the target down)
        dt = np.result_type(p.dtype, y.dtype) if y.dtype.kind == "f" else p.dtype
        p, y = p.to(dt), y.to(dt)
    loss = _BinaryCrossEntropy.apply(p, y)
    if weight is not None:
        loss = loss * weight
        if loss.shape != p.shape:
            raise ag.ShapeError(f"binary_cross_entropy: weight of shape {tuple(ag.as_tensor(weight).shape)} "
                                f"must broadcast to the input's shape {p.shape}")
    return _reduce(loss, reduction, "binary_cross_entropy")


@_named("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """BCE on logits z = ``input``, y = ``target``, stable for large |z|:
    (1 - y) z + (1 + (pw - 1) y) softplus(-z). ``size_average`` and ``reduce`` are
    PyTorch's deprecated flags: given, they override ``reduction`` as in PyTorch.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> round(F.binary_cross_entropy_with_logits(ag.tensor([0.0]), ag.tensor([1.0])).item(), 4)
    0.6931
    """
    from ._functional_layers import _legacy  # (lazily: _functional_layers imports this module)
    reduction = _legacy(size_average, reduce, reduction)
    z, y = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(z, y, "binary_cross_entropy_with_logits")
    sp = ag.softplus(-z)          # log(1 + e^-z), linear for large -z
    if pos_weight is not None:
        loss = (1 - y) * z + (1 + (pos_weight - 1) * y) * sp
    else:
        loss = (1 - y) * z + sp
    if weight is not None:
        loss = loss * weight
    if loss.shape != z.shape:
        raise ag.ShapeError(f"binary_cross_entropy_with_logits: weight/pos_weight must "
                            f"broadcast to the input's shape {z.shape}, not to {loss.shape}")
    if y.dtype.kind == "f" and loss.dtype != y.dtype:
        loss = loss.to(y.dtype)  # PyTorch: the result has the target's dtype
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


@_named("nll_loss")
def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """-input[n, target_n] (weighted), averaged over the weights of non-ignored targets.
    ``size_average`` and ``reduce`` are PyTorch's deprecated flags: given, they
    override ``reduction`` as in PyTorch.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.nll_loss(ag.tensor([[-1.0, -2.0], [-3.0, -0.5]]), ag.tensor([0, 1])).item()
    0.75
    """
    from ._functional_layers import _legacy  # (lazily: _functional_layers imports this module)
    reduction = _legacy(size_average, reduce, reduction)
    logp = ag.as_tensor(input)
    yt = np.asarray(_one_sample_target("nll_loss", logp, ag.as_tensor(target)))
    if logp.ndim == 0:  # PyTorch's order of checks: rank, target rank, batch size, dtype
        raise ag.ShapeError("nll_loss: expected an input of 1 or more dimensions ((C,) or "
                            "(N, C, ...)), got a 0-d tensor")
    if logp.ndim <= 2 and yt.ndim > 1:
        raise ag.ShapeError(f"nll_loss: 0-d or 1-d target tensor expected for an input of "
                            f"shape {logp.shape}, got shape {yt.shape} (multi-target is not "
                            f"supported)")
    if logp.ndim > 1 and (yt.ndim == 0 or yt.shape[0] != logp.shape[0]):  # (0-d: size 0)
        raise ValueError(f"nll_loss: expected input batch_size ({logp.shape[0]}) to match "
                         f"target batch_size ({yt.shape[0] if yt.ndim else 0})")
    _check_target_dtype("nll_loss", yt.dtype)
    _check_targets("nll_loss", logp, yt, ignore_index)
    weight = _class_weight("nll_loss", weight, logp.shape[1] if logp.ndim > 1 else logp.shape[0])
    if logp.ndim > 2:   # (N, C, d1, ...) -> (N*d1*..., C)
        c = logp.shape[1]
        logp = ag.reshape(ag.permute(logp, (0,) + tuple(range(2, logp.ndim)) + (1,)), (-1, c))
        yt = yt.reshape(-1)
    keep = yt != ignore_index
    idx = np.where(keep, yt, 0)
    w = np.ones(logp.shape[-1], dtype=logp.dtype) if weight is None else np.asarray(ag.as_tensor(weight), dtype=logp.dtype)
    wn = w[idx] * keep
    if logp.ndim == 1:
        picked = logp[int(idx)]
    else:
        picked = logp[np.arange(logp.shape[0]), idx]
    loss = -picked * ag.tensor(wn.astype(logp.dtype))
    if reduction == "mean":
        return _weighted_mean(loss.sum(), float(wn.sum()))
    return _reduce(loss, reduction, "nll_loss")


def _weighted_mean(total: Tensor, weight_sum: float) -> Tensor:
    """total / weight_sum. With every target ignored (weight_sum 0) the loss is NaN, as
    in PyTorch, but the gradient stays 0 instead of 0/0 = NaN poisoning the weights."""
    if weight_sum == 0.0:
        return total + float("nan")
    return total / weight_sum


@_named("cross_entropy")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits with class-index targets, or class-probability targets
    (same shape as the logits). log_softmax is computed stably, so logits of 1e4 are fine.
    ``size_average`` and ``reduce`` are PyTorch's deprecated flags: given, they
    override ``reduction`` as in PyTorch.

    Class indices with (N, C) or (C,) logits and no label smoothing (the usual
    classifier loss) take autograd's fused ``softmax_cross_entropy``: one graph node
    instead of four to six; the other cases are composed from log_softmax below.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> round(F.cross_entropy(ag.zeros(2, 4), ag.tensor([0, 3])).item(), 4)
    1.3863
    """
    from ._functional_layers import _legacy  # (lazily: _functional_layers imports this module)
    reduction = _legacy(size_average, reduce, reduction)
    logits = ag.as_tensor(input)
    yt = _one_sample_target("cross_entropy", logits, ag.as_tensor(target))
    if logits.ndim == 0:
        _check_targets("cross_entropy", logits, np.asarray(yt), ignore_index)
    if not 0.0 <= label_smoothing <= 1.0:  # (PyTorch checks it before the batch size)
        raise ag.InvalidArgumentError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if logits.ndim > 1 and yt.shape != logits.shape and \
            (yt.ndim == 0 or yt.shape[0] != logits.shape[0]):  # PyTorch checks the batch next
        raise ValueError(f"cross_entropy: expected input batch_size ({logits.shape[0]}) to "
                         f"match target batch_size ({yt.shape[0] if yt.ndim else 0})")
    if yt.dtype.kind != "f":
        _check_target_dtype("cross_entropy", yt.dtype)
    if (yt.dtype.kind in "iu" and label_smoothing == 0.0 and logits.ndim in (1, 2)
            and logits.dtype.kind == "f"):
        _check_targets("cross_entropy", logits, np.asarray(yt), ignore_index)
        weight = _class_weight("cross_entropy", weight, logits.shape[-1])
        return ag.softmax_cross_entropy(logits, yt, weight=weight, ignore_index=ignore_index,
                                        reduction=reduction)
    dim = 1 if logits.ndim > 1 else 0
    logp = ag.log_softmax(logits, dim=dim)
    c = logits.shape[dim]
    if yt.dtype.kind == "f" and ignore_index != -100:
        raise ag.InvalidArgumentError("cross_entropy: ignore_index is not supported for "
                                      "floating point (probability) targets")
    if yt.dtype.kind == "f":   # probabilities
        if yt.shape != logits.shape:
            raise ag.InvalidArgumentError(f"cross_entropy: probability targets must have the logits' shape "
                             f"{tuple(logits.shape)}, got {tuple(yt.shape)}")
        wt = _class_weight("cross_entropy", weight, c, probabilities=True)
        q = yt * (1 - label_smoothing) + (label_smoothing / c if c else 0.0)  # (c = 0: empty)
        wshape = (1, c) + (1,) * (logits.ndim - 2) if logits.ndim > 1 else (c,)
        terms = -(logp * q) if wt is None else -(logp * q * ag.reshape(wt, wshape))
        loss = terms.sum(axis=dim)
        if reduction == "mean":
            return loss.sum() / float(np.prod(loss.shape) if loss.ndim else 1)
        return _reduce(loss, reduction, "cross_entropy")
    _check_targets("cross_entropy", logits, np.asarray(yt), ignore_index)
    wt = weight = _class_weight("cross_entropy", weight, c)
    nll = nll_loss(logp, yt, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # smoothing term: -(1/C) sum_c w_c logp_c per sample, reduced like PyTorch
    ytn = np.asarray(yt)
    wshape = (1, c) + (1,) * (logits.ndim - 2) if logits.ndim > 1 else (c,)
    lp = logp if wt is None else logp * ag.reshape(wt, wshape)
    smooth = -lp.sum(axis=dim) / c
    keep = ag.tensor((ytn != ignore_index).astype(logits.dtype))
    smooth = smooth * keep
    if reduction == "mean":
        if wt is None:
            denom = float(np.asarray(keep).sum())
        else:
            idx = np.where(ytn != ignore_index, ytn, 0)
            denom = float((np.asarray(wt)[idx] * np.asarray(keep)).sum())
        s = _weighted_mean(smooth.sum(), denom)
    elif reduction == "sum":
        s = smooth.sum()
    else:
        s = smooth
    return (1 - label_smoothing) * nll + label_smoothing * s


# --------------------------------------------------------------------------- issue 13 (nnlayers)
# conv1d, conv_transpose2d, group_norm, rms_norm, interpolate, pad modes, mish, hardtanh,
# softsign, kl_div, smooth_l1_loss, cosine_embedding_loss, margin_ranking_loss
from ._functional_layers import *  # noqa: E402,F401,F403
from ._functional_layers import __all__ as _layers_all  # noqa: E402

__all__ += [_n for _n in _layers_all if _n not in __all__]
# --------------------------------------------------------------------------- sequence models
from .functional_seq import (embedding, layer_norm, multi_head_attention_forward,  # noqa: E402
                             scaled_dot_product_attention)

__all__ += ["embedding", "layer_norm", "scaled_dot_product_attention",
            "multi_head_attention_forward"]
from ._activations import elu, leaky_relu, relu, silu  # noqa: E402  (inplace=, as torch)
