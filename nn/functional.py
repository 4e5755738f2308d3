"""Functional forms of layers, activations and losses (PyTorch's ``torch.nn.functional``).

Built only on autograd's public API; every gradient comes from autograd's ops (the
one ``autograd.Function`` here, binary_cross_entropy's, writes PyTorch's clamped
gradient with those same ops, so it stays differentiable).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "dropout", "batch_norm", "flatten",
    "relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax",
    "softplus", "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "one_hot", "pad",
]

relu = ag.relu
leaky_relu = ag.leaky_relu
elu = ag.elu
silu = ag.silu
sigmoid = ag.sigmoid
tanh = ag.tanh
conv2d = ag.conv2d
max_pool2d = ag.max_pool2d
avg_pool2d = ag.avg_pool2d
dropout = ag.dropout
flatten = ag.flatten
pad = ag.pad            # F.pad(x, (left, right, top, bottom, ...)): last dimension first


def linear(x, weight, bias=None) -> Tensor:
    """x @ weight.T + bias (one fused autograd op)."""
    return ag.linear(x, weight, bias)


def gelu(x, approximate: str = "none") -> Tensor:
    """GELU: exact x*Phi(x), ``'tanh'`` approximation, or ``'sigmoid'``: x*sigmoid(1.702x)."""
    if approximate == "sigmoid":
        x = ag.as_tensor(x)
        return x * ag.sigmoid(x * 1.702)
    return ag.gelu(x, approximate=approximate)


def softmax(x, dim: int = -1) -> Tensor:
    return ag.softmax(x, dim=dim)


def log_softmax(x, dim: int = -1) -> Tensor:
    return ag.log_softmax(x, dim=dim)


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return ag.softplus(x, beta=beta, threshold=threshold)


def batch_norm(x, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over the batch (and spatial) axes: (x - mean) / sqrt(var + eps) * w + b.

    In training the batch statistics are used (biased variance) and the running
    statistics are updated in place with ``momentum`` (unbiased variance, like PyTorch);
    in eval the running statistics are used."""
    x = ag.as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        n = int(np.prod([x.shape[a] for a in axes]))
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
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
        if running_mean is None:
            raise ValueError("batch_norm: eval mode needs running statistics")
        mean = ag.reshape(running_mean, shape)
        var = ag.reshape(running_var, shape)
    out = (x - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * ag.reshape(weight, shape)
    if bias is not None:
        out = out + ag.reshape(bias, shape)
    return out


# --------------------------------------------------------------------------- losses
def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(x: Tensor, y: Tensor, name: str) -> None:
    if x.shape != y.shape:
        raise ValueError(f"{name}: input shape {tuple(x.shape)} and target shape "
                         f"{tuple(y.shape)} differ; they must match (reshape the target, "
                         f"e.g. y.reshape(-1, 1) or y.squeeze())")


def mse_loss(x, y, reduction: str = "mean") -> Tensor:
    """mean((x - y)**2)."""
    x, y = ag.as_tensor(x), ag.as_tensor(y)
    _same_shape(x, y, "mse_loss")
    d = x - y
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(x, y, reduction: str = "mean") -> Tensor:
    """mean(|x - y|)."""
    x, y = ag.as_tensor(x), ag.as_tensor(y)
    _same_shape(x, y, "l1_loss")
    return _reduce(ag.abs(x - y), reduction, "l1_loss")


def huber_loss(x, y, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta (|d| - delta/2), with d = x - y."""
    x, y = ag.as_tensor(x), ag.as_tensor(y)
    _same_shape(x, y, "huber_loss")
    d = x - y
    a = ag.abs(d)
    quad = ag.clamp(a, max=delta)   # min(|d|, delta)
    lin = a - quad
    return _reduce(0.5 * quad * quad + delta * lin, reduction, "huber_loss")


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


def binary_cross_entropy(p, y, weight=None, reduction: str = "mean") -> Tensor:
    """-(y log p + (1-y) log(1-p)), logs clamped at -100 and the gradient's denominator
    p (1-p) at 1e-12, like PyTorch (finite at p = 0 and p = 1)."""
    p, y = ag.as_tensor(p), ag.as_tensor(y)
    _same_shape(p, y, "binary_cross_entropy")
    if ((np.asarray(p) < 0) | (np.asarray(p) > 1)).any():
        raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1]; "
                         "for logits use binary_cross_entropy_with_logits")
    if y.dtype != p.dtype:
        y = y.to(p.dtype)
    loss = _BinaryCrossEntropy.apply(p, y)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(z, y, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """BCE on logits, stable for large |z|: (1 - y) z + (1 + (pw - 1) y) softplus(-z)."""
    z, y = ag.as_tensor(z), ag.as_tensor(y)
    _same_shape(z, y, "binary_cross_entropy_with_logits")
    sp = ag.softplus(-z)          # log(1 + e^-z), linear for large -z
    if pos_weight is not None:
        loss = (1 - y) * z + (1 + (pos_weight - 1) * y) * sp
    else:
        loss = (1 - y) * z + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def one_hot(y, num_classes: int) -> Tensor:
    """Integer class indices -> float one-hot rows."""
    y = np.asarray(ag.as_tensor(y))
    out = np.zeros(y.shape + (num_classes,), dtype=ag.get_default_dtype())
    np.put_along_axis(out, y[..., None].astype(np.int64), 1.0, axis=-1)
    return ag.tensor(out)


def _check_targets(name: str, logits: Tensor, y: np.ndarray, ignore_index: int) -> None:
    c = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
    exp = (logits.shape[0],) + tuple(logits.shape[2:]) if logits.ndim > 1 else ()
    if y.shape != exp:
        raise ValueError(f"{name}: input of shape {tuple(logits.shape)} needs class-index "
                         f"targets of shape {exp}, got {y.shape}")
    bad = (y < 0) | (y >= c)
    if np.count_nonzero(bad) and np.count_nonzero(bad & (y != ignore_index)):
        bad &= y != ignore_index
        raise IndexError(f"{name}: target {y[bad].flat[0]} is out of range for {c} classes "
                         f"(valid: 0 to {c - 1}, or ignore_index={ignore_index})")


def nll_loss(logp, y, weight=None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-logp[n, y_n] (weighted), averaged over the weights of non-ignored targets."""
    logp = ag.as_tensor(logp)
    yt = np.asarray(ag.as_tensor(y))
    if yt.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: targets must be integer class indices, got {yt.dtype}")
    _check_targets("nll_loss", logp, yt, ignore_index)
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


def cross_entropy(logits, y, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits with class-index targets, or class-probability targets
    (same shape as the logits). log_softmax is computed stably, so logits of 1e4 are fine.

    Class indices with (N, C) or (C,) logits and no label smoothing (the usual
    classifier loss) take autograd's fused ``softmax_cross_entropy``: one graph node
    instead of four to six; the other cases are composed from log_softmax below."""
    logits = ag.as_tensor(logits)
    yt = ag.as_tensor(y)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if (yt.dtype.kind in "iu" and label_smoothing == 0.0 and logits.ndim in (1, 2)
            and logits.dtype.kind == "f"):
        _check_targets("nll_loss", logits, np.asarray(yt), ignore_index)
        return ag.softmax_cross_entropy(logits, yt, weight=weight, ignore_index=ignore_index,
                                        reduction=reduction)
    dim = 1 if logits.ndim > 1 else 0
    logp = ag.log_softmax(logits, dim=dim)
    c = logits.shape[dim]
    wt = None if weight is None else ag.as_tensor(weight)
    if yt.dtype.kind == "f":   # probabilities
        if yt.shape != logits.shape:
            raise ValueError(f"cross_entropy: probability targets must have the logits' shape "
                             f"{tuple(logits.shape)}, got {tuple(yt.shape)}")
        q = yt * (1 - label_smoothing) + label_smoothing / c
        wshape = (1, c) + (1,) * (logits.ndim - 2) if logits.ndim > 1 else (c,)
        terms = -(logp * q) if wt is None else -(logp * q * ag.reshape(wt, wshape))
        loss = terms.sum(axis=dim)
        if reduction == "mean":
            return loss.sum() / float(np.prod(loss.shape) if loss.ndim else 1)
        return _reduce(loss, reduction, "cross_entropy")
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
