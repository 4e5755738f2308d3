"""Convolution and pooling, built on two linear primitives that are each other's
adjoint:

* ``unfold`` (im2col): (N, C, H, W) -> (N, C, kh, kw, oh, ow), every receptive field
  as a strided view, no Python loop over positions;
* ``fold`` (col2im): the transpose, summing overlapping windows back (a loop over the
  kh * kw kernel offsets only).

``conv2d`` = pad -> unfold -> one GEMM with the weights -> bias; ``max_pool2d`` =
pad with -inf -> unfold -> max over the window (the gradient goes to the first maximal
element of each window, like PyTorch); ``avg_pool2d`` = pad -> unfold -> mean. Their
gradients (and second derivatives) come from the primitives.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..registry import apply, defop
from ..tensor import Tensor, as_tensor
from ._util import pair


def _out_size(n: int, k: int, s: int, d: int) -> int:
    return (n - d * (k - 1) - 1) // s + 1


def _unfold_np(x, kernel, stride, dilation):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = _out_size(h, kh, sh, dh), _out_size(w, kw, sw, dw)
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (n, c, kh, kw, oh, ow),
                      (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)


def _fold_np(cols, shape, kernel, stride, dilation):
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    out = np.zeros(shape, dtype=cols.dtype)
    oh, ow = cols.shape[4], cols.shape[5]
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out


def _unfold_check(x, kernel, stride, dilation):
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    for n, k, d in zip(x.shape[2:], kernel, dilation):
        if d * (k - 1) + 1 > n:
            raise ValueError(f"unfold: kernel {kernel} with dilation {dilation} is larger "
                             f"than the (padded) input {x.shape[2:]}; pad the input or use "
                             f"a smaller kernel")


_unfold = defop("unfold", _unfold_np,
                (lambda F, g, out, x, kernel, stride, dilation:
                 F.fold(g, x.shape, kernel, stride, dilation),),
                linear=True, check=_unfold_check,
                doc="im2col: (N,C,H,W) -> (N,C,kh,kw,oh,ow); gradient: fold")
_fold = defop("fold", _fold_np,
              (lambda F, g, out, cols, shape, kernel, stride, dilation:
               F.unfold(g, kernel, stride, dilation),),
              linear=True, doc="col2im, the adjoint of unfold (overlaps summed)")


def unfold(x, kernel_size, stride=1, dilation=1):
    """Sliding windows of a (N, C, H, W) tensor as (N, C, kh, kw, oh, ow)."""
    x = as_tensor(x)
    return apply(_unfold, (x,), {"kernel": pair(kernel_size, "kernel_size", "unfold"),
                                 "stride": pair(stride, "stride", "unfold"),
                                 "dilation": pair(dilation, "dilation", "unfold")})


def fold(cols, output_size, kernel_size, stride=1, dilation=1):
    """The adjoint of ``unfold``: sum windows back into a (N, C, H, W) tensor."""
    cols = as_tensor(cols)
    return apply(_fold, (cols,), {"shape": tuple(output_size),
                                  "kernel": pair(kernel_size, "kernel_size", "fold"),
                                  "stride": pair(stride, "stride", "fold"),
                                  "dilation": pair(dilation, "dilation", "fold")})


def _pad2d(x, padding, value, op):
    from .shape import pad

    ph, pw = pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding}")
    return pad(x, (pw, pw, ph, ph), value=value) if ph or pw else x


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D cross-correlation like PyTorch: x (N, C, H, W), weight (O, C, kh, kw),
    bias (O,) -> (N, O, oh, ow). Computed as im2col + one matrix product."""
    from .linalg import matmul
    from .shape import permute, reshape

    x, weight = as_tensor(x), as_tensor(weight)
    if groups != 1:
        raise NotImplementedError("conv2d: groups > 1 is not supported yet")
    if x.ndim == 3:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation)[0]
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d: expected input (N, C, H, W) and weight (O, C, kh, kw), got "
                         f"shapes {x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but the weight "
                         f"{weight.shape} expects {weight.shape[1]}; check in_channels")
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"conv2d: bias shape {bias.shape} must be ({weight.shape[0]},)")
    s = pair(stride, "stride", "conv2d")
    d = pair(dilation, "dilation", "conv2d")
    if min(s) <= 0 or min(d) <= 0:
        raise ValueError(f"conv2d: stride and dilation must be positive, got {stride}, {dilation}")
    o, c, kh, kw = weight.shape
    xp = _pad2d(x, padding, 0.0, "conv2d")
    cols = unfold(xp, (kh, kw), s, d)                       # (N, C, kh, kw, oh, ow)
    n, _, _, _, oh, ow = cols.shape
    cols = reshape(permute(cols, (1, 2, 3, 0, 4, 5)), (c * kh * kw, n * oh * ow))
    out = matmul(reshape(weight, (o, c * kh * kw)), cols)   # (O, N*oh*ow): one GEMM
    out = permute(reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))  # (N, O, oh, ow)
    if bias is not None:
        out = out + reshape(bias, (1, o, 1, 1))
    return out


def _pool_args(x, kernel_size, stride, padding, dilation, op):
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 3-D or 4-D input, got shape {x.shape}")
    k = pair(kernel_size, "kernel_size", op)
    s = pair(stride if stride is not None else k, "stride", op)
    p = pair(padding, "padding", op)
    d = pair(dilation, "dilation", op)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} should be at most half the kernel size {k}")
    return x, k, s, p, d


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
    """Max over each (kh, kw) window; the gradient goes to the first maximum of a window."""
    from .reduce import max as rmax
    from .shape import reshape

    if ceil_mode:
        raise NotImplementedError("max_pool2d: ceil_mode=True is not supported")
    x, k, s, p, d = _pool_args(x, kernel_size, stride, padding, dilation, "max_pool2d")
    if x.ndim == 3:
        return max_pool2d(x.unsqueeze(0), k, s, p, d)[0]
    cols = unfold(_pad2d(x, p, -np.inf, "max_pool2d"), k, s, d)   # (N, C, kh, kw, oh, ow)
    n, c, kh, kw, oh, ow = cols.shape
    return rmax(reshape(cols, (n, c, kh * kw, oh, ow)), axis=2)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True):
    """Mean over each (kh, kw) window (padding counted, like PyTorch's default)."""
    from .reduce import mean

    if ceil_mode or not count_include_pad:
        raise NotImplementedError("avg_pool2d: only ceil_mode=False, count_include_pad=True")
    x, k, s, p, d = _pool_args(x, kernel_size, stride, padding, 1, "avg_pool2d")
    if x.ndim == 3:
        return avg_pool2d(x.unsqueeze(0), k, s, p)[0]
    cols = unfold(_pad2d(x, p, 0.0, "avg_pool2d"), k, s, d)
    return mean(cols, axis=(2, 3))


def dropout(x, p: float = 0.5, training: bool = True, seed: Optional[int] = None):
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).

    ``seed`` draws the mask from a private generator (reproducible, e.g. for gradcheck);
    otherwise the global generator (``manual_seed``) is used."""
    from ..random import default_generator

    x = as_tensor(x)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    gen = np.random.default_rng(seed) if seed is not None else default_generator()
    mask = (gen.random(x.shape) >= p).astype(x.dtype) / (1.0 - p)
    return x * Tensor._wrap(mask.astype(x.dtype))
