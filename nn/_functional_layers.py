"""The functional forms of issue 13's layers, activations and losses (PyTorch's
``torch.nn.functional`` names and signatures); re-exported by ``nn.functional``.

Each is autograd's composite of the same name (gradchecked, gradgradchecked and
compared with PyTorch on the samples in ``autograd/testing/nnlayers.py``), plus the
argument handling PyTorch's functional API has (``inplace``, the padding modes,
``upsample``)."""
from __future__ import annotations

import functools
import math
import warnings
from typing import Callable, Optional, Sequence

import numpy as np

import autograd as ag
from autograd import Tensor

from . import _args as A

__all__ = ["conv1d", "conv_transpose2d", "group_norm", "rms_norm", "adaptive_avg_pool2d",
           "interpolate", "upsample", "pad", "mish", "hardtanh", "dropout", "softsign", "kl_div",
           "smooth_l1_loss", "cosine_embedding_loss", "margin_ranking_loss", "one_hot"]


def _public(fn: Callable, name: str, *inner: str) -> Callable:
    """autograd's ``fn`` under nn.functional's ``name``: the op's argument errors name
    ``name`` (or the op it reached, relabelled), a refused value is an
    :class:`~autograd.InvalidArgumentError` (PyTorch's RuntimeError, and ValueError)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with A.named(name, *inner, runtime=True):
            return fn(*args, **kwargs)
    return wrapper


def _doc(src: Callable, fn: Callable) -> Callable:
    """``fn`` under ``src``'s name and docstring, keeping its own (PyTorch's) signature:
    unlike functools.wraps, no ``__wrapped__`` leads inspect to autograd's parameters."""
    fn.__name__ = fn.__qualname__ = src.__name__
    fn.__doc__ = src.__doc__
    return fn


def _float_input(x, name: str, kinds: str = "f") -> Tensor:
    """``x`` as a tensor whose dtype kind is in ``kinds``; DtypeError naming ``name``
    otherwise (PyTorch: '"<op>_cpu" not implemented for ...')."""
    t = ag.as_tensor(x)
    if t.dtype.kind not in kinds:
        raise ag.DtypeError(f"{name}: not implemented for {t.dtype} tensors (as in PyTorch); "
                            f"convert first, e.g. {name}(x.float())")
    return t


def _conv_args(name: str, weight, bias, **ints) -> None:
    """A conv's Python arguments: weight and bias tensors, the rest ints or tuples of
    ints (padding may be 'same' or 'valid'), TypeError naming ``name`` otherwise; returns
    the int arguments (0-d integer tensors read as ints)."""
    for what, p in (("weight", weight), ("bias", bias)):
        if (p is not None or what == "weight") and not isinstance(p, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor{'' if what == 'weight' else ' or None'}"
                            f", got {A._desc(p)}")
    if weight.numel() == 0:                    # (PyTorch refuses an empty filter bank too)
        raise RuntimeError(f"{name}: non-empty weight expected, got shape "
                           f"{tuple(weight.shape)}; every conv needs at least one input and "
                           f"one output channel")
    out = {}
    for what, v in ints.items():
        if what == "padding" and isinstance(v, str):
            out[what] = v
            continue
        if isinstance(v, Tensor) and v.ndim == 0 and v.dtype.kind in "iu":
            v = int(v.item())                  # (PyTorch reads a 0-d integer tensor as an int)
        items = v if isinstance(v, (tuple, list)) else (v,)
        if not all(A.is_int(i) for i in items):
            raise TypeError(f"{name}: {what} must be an int or a tuple of ints, got "
                            f"{A._desc(v)}")
        out[what] = v
    return out


def _conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    a = _conv_args("conv1d", weight, bias, stride=stride, padding=padding, dilation=dilation,
                   groups=groups)
    return ag.conv1d(input, weight, bias, a["stride"], a["padding"], a["dilation"], a["groups"])


def _conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                      groups=1, dilation=1) -> Tensor:
    a = _conv_args("conv_transpose2d", weight, bias, stride=stride, padding=padding,
                   output_padding=output_padding, groups=groups, dilation=dilation)
    return ag.conv_transpose2d(input, weight, bias, a["stride"], a["padding"],
                               a["output_padding"], a["groups"], a["dilation"])


conv1d = _public(_doc(ag.conv1d, _conv1d), "conv1d", "conv2d")
conv_transpose2d = _public(_doc(ag.conv_transpose2d, _conv_transpose2d),
                           "conv_transpose2d")


def _resize_args(input, size, scale_factor, name: str) -> None:
    """PyTorch's checks of interpolate's ``size`` (ints) and ``scale_factor`` (numbers)
    that autograd's op leaves to Python, and the output's memory (refused at once)."""
    x = ag.as_tensor(input)
    if (size is None) == (scale_factor is None):      # PyTorch's first checks (ValueError)
        raise ag.InvalidArgumentError(f"{name}: give exactly one of size and scale_factor "
                                      f"(only one of them should be defined)")
    if x.ndim < 3:
        raise ag.ShapeError(f"{name}: expected (N, C, *spatial) input with at least one "
                            f"spatial dimension (3-D, 4-D or 5-D), got shape {tuple(x.shape)}")
    if 0 in x.shape[1:]:
        raise ag.InvalidArgumentError(f"{name}: non-empty {x.ndim}-D data tensor expected but "
                                      f"got a tensor with sizes {tuple(x.shape)}")
    for what, v in (("size", size), ("scale_factor", scale_factor)):
        if isinstance(v, (tuple, list)) and len(v) != x.ndim - 2:
            raise ag.InvalidArgumentError(
                f"{name}: input and output must have the same number of spatial dimensions, "
                f"but got input of shape {tuple(x.shape)} and {what}={v!r}"[:300])
    for what, v, ok in (("size", size, A.is_int), ("scale_factor", scale_factor, A.is_real)):
        if v is None:
            continue
        items = v if isinstance(v, (tuple, list)) else (v,)
        if what == "size" and not isinstance(v, (tuple, list)) and getattr(v, "shape", None) == ():
            continue
        if not all(ok(i) for i in items):
            raise TypeError(f"{name}: {what} must be {'ints' if what == 'size' else 'numbers'}"
                            f" (or a tuple of them), got {A._desc(v)}")
    if size is not None and not hasattr(size, "shape"):
        items = size if isinstance(size, (tuple, list)) else (size,) * (x.ndim - 2)
        A.check_bytes(math.prod(x.shape[:2]) * math.prod(max(int(i), 0) for i in items),
                      x.dtype, name, "its output")
    elif scale_factor is not None:
        items = scale_factor if isinstance(scale_factor, (tuple, list)) else \
            (scale_factor,) * (x.ndim - 2)
        if all(math.isfinite(float(f)) for f in items):
            A.check_bytes(math.prod(x.shape[:2]) * math.prod(
                max(int(n * f), 0) for n, f in zip(x.shape[2:], items)), x.dtype, name,
                "its output")


def _interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None, antialias: bool = False) -> Tensor:
    _resize_args(input, size, scale_factor, "interpolate")
    if antialias:  # (refused, never ignored: it changes the result of a downsampling)
        raise NotImplementedError("interpolate: antialias=True is not supported")
    return ag.interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)


interpolate = _public(_doc(ag.interpolate, _interpolate), "interpolate")
softsign = _public(_doc(ag.softsign, lambda input: ag.softsign(input)), "softsign", "abs")


def _group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    x = ag.as_tensor(input)
    if x.ndim < 2:  # (PyTorch's first check, before its argument parsing)
        raise ag.ShapeError(f"group_norm: expected at least 2 dimensions for input tensor but "
                            f"received {x.ndim} (shape {tuple(x.shape)})")
    A.real(eps, "eps", "group_norm")
    if x.ndim >= 2:
        try:
            bad = x.shape[1] % num_groups
        except ZeroDivisionError:
            raise ValueError(f"group_norm: num_groups={num_groups!r} must be positive (input "
                             f"of shape {tuple(x.shape)})") from None
        except TypeError:
            bad = None
        A.int_arg(num_groups, "num_groups", "group_norm")
        if num_groups <= 0 or bad:
            raise ag.InvalidArgumentError(
                f"group_norm: expected the number of channels of the input ({x.shape[1]}, "
                f"shape {tuple(x.shape)}) to be divisible by num_groups={num_groups}")
        _float_input(x, "group_norm")
        for what, p in (("weight", weight), ("bias", bias)):
            if p is not None and not isinstance(p, Tensor):
                raise TypeError(f"group_norm: {what} must be a Tensor or None, got "
                                f"{A._desc(p)}")
    y = ag.group_norm(x, num_groups, weight, bias, eps)
    # PyTorch: the result has the input's dtype (a float32 weight on a float16 input)
    return y.to(x.dtype) if x.dtype.kind == "f" and y.dtype != x.dtype else y


group_norm = _public(_doc(ag.group_norm, _group_norm), "group_norm", "mean")


def _adaptive_avg_pool2d(input, output_size) -> Tensor:
    x = ag.as_tensor(input)
    name = "adaptive_avg_pool2d"
    if x.ndim not in (3, 4):
        raise ag.ShapeError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                            f"{x.ndim} dimensions (shape {tuple(x.shape)})")
    if isinstance(output_size, Tensor) and output_size.ndim <= 1 and output_size.dtype.kind in "iu":
        output_size = tuple(int(v) for v in np.atleast_1d(output_size.detach().numpy()))
    if 0 in x.shape[-2:] or (x.ndim == 4 and x.shape[1] == 0):
        raise ag.InvalidArgumentError(
            f"{name}: expected input to have non-zero size for non-batch dimensions, but "
            f"input has sizes {tuple(x.shape)}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
    if len(sizes) not in (1, 2):
        raise ag.InvalidArgumentError(f"{name}: output_size must be an int or 2 sizes, got "
                                      f"{output_size!r}"[:200])
    for v in sizes:
        if v is not None and not A.is_int(v):
            raise TypeError(f"{name}: output_size must be an int, None or a tuple of them, got "
                            f"{output_size!r}"[:200])
    if x.ndim in (3, 4):
        _float_input(x, name)
        out = [x.shape[-2 + i] if v is None else v for i, v in
               enumerate(sizes * 2 if len(sizes) == 1 else sizes)][:2]
        # (the pooling matrices are out x in: refuse what cannot be allocated)
        A.check_bytes(sum(max(o, 0) * n for o, n in zip(out, x.shape[-2:])) +
                      math.prod(x.shape[:-2]) * math.prod(max(o, 0) for o in out), x.dtype,
                      name, "its output and pooling matrices")
        if all(o > 0 for o in out) and not np.isfinite(np.asarray(x.detach().numpy())).all():
            return _windows_mean(x, out)
    return ag.adaptive_avg_pool2d(x, output_size)


def _windows_mean(x: Tensor, out) -> Tensor:
    """Adaptive average pooling by slicing each window (PyTorch's windows
    [floor(i n / o), ceil((i + 1) n / o))): an inf or NaN stays in its own windows, where
    the op's pooling matrices would spread inf * 0 = NaN over the whole row."""
    for axis, o in ((x.ndim - 1, out[1]), (x.ndim - 2, out[0])):
        n = x.shape[axis]
        parts = []
        for i in range(o):
            lo, hi = (i * n) // o, -((-(i + 1) * n) // o)
            idx = (slice(None),) * axis + (slice(lo, hi),)
            parts.append(x[idx].mean(axis=axis, keepdims=True))
        x = ag.cat(parts, dim=axis)
    return x


adaptive_avg_pool2d = _public(_doc(ag.adaptive_avg_pool2d, _adaptive_avg_pool2d),
                              "adaptive_avg_pool2d")


def rms_norm(input, normalized_shape, weight=None, eps: Optional[float] = None) -> Tensor:
    """x / sqrt(mean(x^2 over the trailing ``normalized_shape``) + eps) * weight
    (eps None: the dtype's machine epsilon).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> [round(v, 4) for v in F.rms_norm(ag.tensor([[3.0, 4.0]]), (2,))[0].tolist()]
    [0.8485, 1.1314]
    """
    ns = A.sizes(normalized_shape, "normalized_shape", "rms_norm")
    for what, v in (("weight", weight), ("eps", eps)):
        if what == "weight" and v is not None and not isinstance(v, Tensor):
            raise TypeError(f"rms_norm: weight must be a Tensor or None, got "
                            f"{type(v).__name__}")
        if what == "eps" and v is not None:
            A.real(v, "eps", "rms_norm")
    x = ag.as_tensor(input)
    if x.ndim < len(ns):          # (PyTorch checks the rank before the dtype)
        raise ag.ShapeError(f"rms_norm: input tensor must have at least {len(ns)} dimensions "
                            f"for normalized_shape {list(ns)}, got shape {tuple(x.shape)}")
    x = _float_input(x, "rms_norm")
    xc = x
    if x.dtype == np.float16:      # PyTorch computes half in float32 (eps: float32's)
        xc = x.to(np.float32)
        eps = float(np.finfo(np.float32).eps) if eps is None else eps
    with A.named("rms_norm", runtime=True):
        y = ag.rms_norm(xc, ns, weight, eps)
    # PyTorch: the result has the input's dtype (a float32 weight on a float16 input)
    return y.to(x.dtype) if x.dtype.kind == "f" and y.dtype != x.dtype else y


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: Optional[bool] = None) -> Tensor:
    """The deprecated alias of ``interpolate`` (PyTorch keeps it too).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.upsample(ag.ones(1, 1, 2, 2), scale_factor=2).shape
    (1, 1, 4, 4)
    """
    with A.named("upsample", "interpolate", runtime=True):
        _resize_args(input, size, scale_factor, "upsample")
        return ag.interpolate(input, size, scale_factor, mode, align_corners)


def pad(input, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """``torch.nn.functional.pad``: ``pad = (left_last, right_last, left_2nd_last, ...)``;
    mode 'constant' (fill ``value``, default 0), 'reflect' (mirror, edge not repeated),
    'replicate' (edge repeated) or 'circular' (wrap around).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.pad(ag.ones(1, 2), (1, 2)).tolist()
    [[0.0, 1.0, 1.0, 0.0, 0.0]]
    """
    if mode == "constant":
        return ag.pad(input, pad, value=0.0 if value is None else value)
    fn = {"reflect": ag.reflection_pad, "replicate": ag.replication_pad,
          "circular": ag.circular_pad}.get(mode)
    if fn is None:
        raise ag.InvalidArgumentError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                                      f"'circular', got {mode!r}")
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument "
                         f"(got value={value!r})")
    return fn(input, pad)


def _in_place(x, name: str, fn: Callable) -> Tensor:
    """``x = fn(x)`` in place (``inplace=True``), refused on a leaf that requires grad
    like PyTorch's in-place ops."""
    if ag.is_grad_enabled() and x.requires_grad and x.grad_fn is None:
        raise RuntimeError(f"{name}(inplace=True): a leaf Variable that requires grad is being "
                           f"used in an in-place operation. Use inplace=False, or wrap the "
                           f"call in `with no_grad():`")
    recording = ag.is_grad_enabled() and x.requires_grad
    res = fn(x.clone() if recording else x)  # (computed on a copy: x's nodes keep their input)
    with A.named(name, "copy_", "copy", runtime=True):
        return x.copy_(res)


def _hardtanh(x: Tensor, lo: float, hi: float) -> Tensor:
    """clamp(x, lo, hi) with PyTorch's gradient: 1 unless x is on or past a bound (so a
    NaN input, or a NaN bound, lets the gradient through), 0 there."""
    xd = x.detach()
    keep = ~((xd <= lo) | (xd >= hi))
    y = ag.where(keep, x, ag.clamp(xd, lo, hi))
    if np.isnan(lo) or np.isnan(hi):       # the value is NaN everywhere, as clamp gives
        y = y + ag.tensor(np.full(x.shape, np.nan, dtype=x.dtype))
    return y


def mish(input, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)); with ``inplace`` the result is written into ``input`` (refused
    on a leaf that requires grad, as in PyTorch).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> [round(v, 4) for v in F.mish(ag.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.8651]
    """
    _float_input(input, "mish")
    if inplace and isinstance(input, Tensor):
        return _in_place(input, "mish", ag.mish)
    return ag.mish(input)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val] (gradient 0 on the bounds, like PyTorch); integer
    tensors keep their dtype; ``inplace`` writes into ``input``.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.hardtanh(ag.tensor([-2.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    lo, hi = A.real(min_val, "min_val", "hardtanh"), A.real(max_val, "max_val", "hardtanh")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    x = _float_input(input, "hardtanh", "fiu")
    if x.dtype.kind in "iu":
        info = np.iinfo(x.dtype)
        if not (info.min <= lo <= info.max and info.min <= hi <= info.max):  # (NaN, inf too)
            raise ag.InvalidArgumentError(f"hardtanh: min_val={min_val} and max_val={max_val} "
                                          f"cannot be converted to {x.dtype} without overflow")
        fn = lambda t: ag.clamp(t, int(lo), int(hi))   # noqa: E731 - PyTorch: bounds cast
    else:
        fn = lambda t: _hardtanh(t, lo, hi)            # noqa: E731
    if inplace and isinstance(input, Tensor):
        return _in_place(input, "hardtanh", fn)
    return fn(x)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """y = x * m / (1 - p), m_i ~ Bernoulli(1 - p), while ``training``; y = x otherwise.

    PyTorch's signature: the 4th argument is ``inplace`` (autograd.dropout's is a private
    ``seed``); ``p`` is checked first, as PyTorch does, so a one-element tensor out of
    [0, 1] is a ValueError and one inside it a TypeError (pass ``p.item()``).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.dropout(ag.ones(3), 0.5, training=False).tolist(), F.dropout(ag.ones(2), 1.0).tolist()
    ([1.0, 1.0, 1.0], [0.0, 0.0])
    """
    if isinstance(p, Tensor) and p.ndim > 0:
        if p.numel() != 1:                 # (PyTorch: a bool of several values is ambiguous)
            raise RuntimeError(f"dropout: p must be a number, got a tensor of shape "
                               f"{tuple(p.shape)}")
        if p.dtype.kind not in "biuf":
            raise TypeError(f"dropout: p must be a real number, got a {p.dtype} tensor")
        v = float(p.detach().numpy().reshape(()))
        if v < 0.0 or v > 1.0:
            raise ValueError(f"dropout: probability has to be between 0 and 1, but got {v}")
        raise TypeError(f"dropout: p must be a float, not a tensor of shape {tuple(p.shape)}; "
                        f"pass p.item()")
    if isinstance(p, (np.ndarray, np.generic)) and not isinstance(p, (np.floating, np.integer)):
        try:  # (PyTorch's own check, ``p < 0.0 or p > 1.0``, run by NumPy)
            out = bool(p < 0.0 or p > 1.0)
        except (TypeError, ValueError) as e:
            raise type(e)(f"dropout: p must be a float, got {A._desc(p)} ({e})") from None
        if out:
            raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
        raise TypeError(f"dropout: p must be a float, not {A._desc(p)}; pass float(p)")
    A.probability(p, "p", "dropout")   # (before training, as PyTorch)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"dropout: training must be a bool, got {type(training).__name__} "
                        f"{training!r}"[:200])
    if inplace and isinstance(input, Tensor):
        if not training:
            return input
        return _in_place(input, "dropout", lambda t: ag.dropout(_float_input(t, "dropout"), p))
    return ag.dropout(input, p, bool(training))


def _legacy(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{out}' instead.", UserWarning, stacklevel=3)  # (PyTorch's words)
    return out


class _XLogX(ag.Function):
    """PyTorch's xlogy(t, t): t log t, 0 at t = 0, NaN for t < 0; its gradient
    log t + 1, NaN at t <= 0 (xlogy's backward there is 0 / 0), written with tapegrad
    ops so it is differentiable again."""

    @staticmethod
    def forward(ctx, t: Tensor) -> Tensor:
        ctx.save_for_backward(t)
        pos = t.detach() > 0
        safe = ag.where(pos, t, 1.0)
        return ag.where(pos, t * safe.log(), ag.where(t.detach() == 0, 0.0, float("nan")))

    @staticmethod
    def backward(ctx, g: Tensor):
        (t,) = ctx.saved_tensors
        pos = t.detach() > 0
        return g * ag.where(pos, ag.where(pos, t, 1.0).log() + 1.0, float("nan"))


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence from log-probabilities ``input`` to ``target`` (probabilities, or
    log-probabilities with ``log_target``); use reduction='batchmean' for the true KL.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> p = ag.tensor([[0.25, 0.75]])
    >>> round(F.kl_div(p.log(), ag.tensor([[0.5, 0.5]]), reduction='batchmean').item(), 4)
    0.1438
    """
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', "
                         f"got {reduction!r}")
    x, t = ag.as_tensor(input), ag.as_tensor(target)
    if x.dtype.kind != "f" or t.dtype.kind != "f":
        raise ag.DtypeError(f"kl_div: Integral inputs not supported (got {x.dtype} input and "
                            f"{t.dtype} target); convert with .float()")
    # (the target-only terms in the target's dtype, as PyTorch computes them, then promoted)
    with A.named("kl_div", "sub", "mul", runtime=True):
        if log_target:
            loss = t.exp() * (t - x)
        else:
            # PyTorch's xlogy(t, t) - t x, on the broadcast target (so an element that
            # no output reads gets gradient 0, not 0 * NaN)
            try:
                shape = np.broadcast_shapes(tuple(x.shape), tuple(t.shape))
            except ValueError:
                shape = None                 # (the subtraction below explains it)
            tb = ag.broadcast_to(t, shape) if shape is not None and shape != t.shape else t
            loss = _XLogX.apply(tb) - tb * x
    if reduction == "none":
        return loss
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    if reduction == "sum":
        return loss.sum()
    warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and "
                  "the support size; 'batchmean' divides only by the batch size, which is the "
                  "KL divergence", UserWarning, stacklevel=2)
    return _mean(loss)


def _mean(loss: Tensor) -> Tensor:
    """PyTorch's mean reduction of a loss: NaN for an empty one (0 / 0)."""
    n = math.prod(loss.shape)
    return loss.mean() if n else loss.sum() * float("nan")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.smooth_l1_loss(ag.tensor([0.0, 3.0]), ag.tensor([0.5, 0.0])).item()
    1.3125
    """
    reduction = _legacy(size_average, reduce, reduction)
    beta = A.real(beta, "beta", "smooth_l1_loss")
    with A.named("smooth_l1_loss", runtime=True):
        if reduction == "mean":
            return _mean(ag.smooth_l1_loss(input, target, "none", beta))
        return ag.smooth_l1_loss(input, target, reduction, beta)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> x = ag.tensor([[1.0, 0.0]])
    >>> F.cosine_embedding_loss(x, x, ag.tensor([1.0])).item()
    0.0
    """
    with A.named("cosine_embedding_loss", "neg", "sub", "mul", "add", runtime=True):
        return ag.cosine_embedding_loss(input1, input2, target, margin,
                                            _legacy(size_average, reduce, reduction))


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.margin_ranking_loss(ag.tensor([2.0]), ag.tensor([1.0]), ag.tensor([-1.0])).item()
    1.0
    """
    with A.named("margin_ranking_loss", "neg", "sub", "mul", "add", runtime=True):
        return ag.margin_ranking_loss(input1, input2, target, margin,
                                      _legacy(size_average, reduce, reduction))


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices -> float one-hot rows (``num_classes=-1``: max + 1, as in
    PyTorch; PyTorch's result is int64, tapegrad's float, ready for a loss).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> F.one_hot(ag.tensor([0, 2]), num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    y = np.asarray(ag.as_tensor(tensor))
    if y.dtype.kind not in "iu":
        raise ag.DtypeError(f"one_hot: is only applicable to integer class indices, got "
                            f"{y.dtype}; convert with .long()")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if y.size and y.min() < 0:
        raise ag.InvalidArgumentError(f"one_hot: class values must be non-negative, got "
                                      f"{y.min()}")
    if num_classes == -1:
        num_classes = int(y.max()) + 1 if y.size else 0
        if not y.size:
            raise ag.InvalidArgumentError("one_hot: can not infer the total number of "
                                          "classes from an empty tensor; pass num_classes")
    elif num_classes < 0 or (y.size and y.max() >= num_classes):
        raise ag.InvalidArgumentError(f"one_hot: class values must be smaller than "
                                      f"num_classes={num_classes}, got {y.max() if y.size else ''}")
    out = np.zeros(y.shape + (num_classes,), dtype=ag.get_default_dtype())
    np.put_along_axis(out, y[..., None].astype(np.int64), 1.0, axis=-1)
    return ag.tensor(out)
