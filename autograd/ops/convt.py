"""conv1d and conv_transpose2d, composites of conv2d's primitives (no new primitive).

* ``conv1d`` is ``conv2d`` on a height-1 image: x (N, C, L) -> (N, C, 1, L), weight
  (O, C/g, k) -> (O, C/g, 1, k); every gradient is conv2d's.
* ``conv_transpose2d`` is the adjoint of conv2d with respect to its input: with
  x (N, Cin, H, W) and weight (Cin, Cout/g, kh, kw), each input pixel scatters
  ``x[n, :, i, j] @ W`` (a (kh, kw, Cout) patch) into the output at (i*s, j*s). That is
  one GEMM (N*H*W, Cin) @ (Cin, kh*kw*Cout) giving the windows in channels-last order,
  then ``col2im`` (conv2d's window adjoint) summing them into the padded output and
  cropping the padding. Its gradients are ``im2col`` and the GEMM's, so the
  transpose convolution is exactly as fast and as differentiable as conv2d itself.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from ..errors import InvalidArgumentError, ShapeError
from ..registry import apply, composite
from ..tensor import as_tensor
from ._util import pair
from .conv import _col2im, conv2d
from .linalg import matmul
from .shape import cat, pad, permute, reshape

IntOrSeq = Union[int, Sequence[int]]


def _single(v, name: str, op: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {v!r}")
        v = v[0]
    from .._checks import int_arg

    return int_arg(v, name, op)  # (a float, bool or tensor of several values is refused)


@composite("conv1d")
def conv1d(input, weight, bias=None, stride: IntOrSeq = 1, padding: Union[IntOrSeq, str] = 0,
           dilation: IntOrSeq = 1, groups: int = 1):
    """1-D cross-correlation like ``torch.nn.functional.conv1d``: x (N, C, L) or (C, L),
    weight (O, C / groups, k), bias (O,) -> (N, O, oL) with
    oL = (L + 2 padding - dilation (k - 1) - 1) // stride + 1 and
    out[n, o, t] = b[o] + sum_{c, j} w[o, c, j] x[n, c, t stride + j dilation - padding].
    ``padding`` may be 'valid' or 'same' (stride 1). Computed by conv2d on a height-1
    image.

    >>> import autograd as ag
    >>> x = ag.tensor([[[1., 2., 3., 4.]]])  # (N, C, L)
    >>> ag.conv1d(x, ag.ones(1, 1, 2)).tolist()
    [[[3.0, 5.0, 7.0]]]
    """
    x, weight = as_tensor(input), as_tensor(weight)
    if x.ndim == 2:
        return conv1d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups)[0]
    if x.ndim != 3 or weight.ndim != 3:
        raise ShapeError(f"conv1d: expected input (N, C, L) or (C, L) and weight (O, C, k), "
                         f"got shapes {x.shape} and {weight.shape}")
    if bias is not None:
        b = as_tensor(bias)
        if b.shape != (weight.shape[0],):
            raise ShapeError(f"conv1d: bias shape {tuple(b.shape)} must be "
                             f"({weight.shape[0]},), one per output channel of weight "
                             f"{tuple(weight.shape)}")
    s = _single(stride, "stride", "conv1d")
    d = _single(dilation, "dilation", "conv1d")
    p = padding if isinstance(padding, str) else (0, _single(padding, "padding", "conv1d"))
    if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool) and groups > 0 \
            and x.shape[1] != weight.shape[1] * groups:
        raise ShapeError(f"conv1d: input has {x.shape[1]} channels but the weight "
                         f"{tuple(weight.shape)} with groups={groups} expects "
                         f"{weight.shape[1] * groups}; check in_channels")
    try:
        out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), p, (1, d), groups)
    except (ShapeError, InvalidArgumentError, TypeError) as e:  # (conv2d's name is ours)
        if not str(e).startswith("conv2d"):
            raise
        raise type(e)("conv1d" + str(e)[len("conv2d"):]) from None
    return out.squeeze(2)


def _conv_t_size(n, k, s, p, d, op):
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


@composite("conv_transpose2d")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1):
    """Transposed 2-D convolution like ``torch.nn.functional.conv_transpose2d`` (the
    gradient of conv2d with respect to its input): x (N, Cin, H, W) or (Cin, H, W),
    weight (Cin, Cout / groups, kh, kw), bias (Cout,) -> (N, Cout, oH, oW) with
    oH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1, and
    out[n, o, i s + a d - p, j s + b d - p] += sum_c x[n, c, i, j] w[c, o, a, b].

    >>> import autograd as ag
    >>> x = ag.ones(1, 1, 2, 2)
    >>> ag.conv_transpose2d(x, ag.ones(1, 1, 2, 2)).tolist()
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    x, weight = as_tensor(input), as_tensor(weight)
    if x.ndim == 3:
        return conv_transpose2d(x.unsqueeze(0), weight, bias, stride, padding, output_padding,
                                groups, dilation)[0]
    if x.ndim != 4 or weight.ndim != 4:
        raise ShapeError(f"conv_transpose2d: expected input (N, Cin, H, W) or (Cin, H, W) and "
                         f"weight (Cin, Cout / groups, kh, kw), got shapes {x.shape} and "
                         f"{weight.shape}")
    op = "conv_transpose2d"
    s, p = pair(stride, "stride", op), pair(padding, "padding", op)
    o, d = pair(output_padding, "output_padding", op), pair(dilation, "dilation", op)
    if min(s) <= 0 or min(d) <= 0 or min(p) < 0 or min(o) < 0:
        raise InvalidArgumentError(f"{op}: stride and dilation must be positive, padding and "
                                   f"output_padding non-negative, got stride={s}, "
                                   f"dilation={d}, padding={p}, output_padding={o}")
    if not isinstance(groups, int) or groups < 1:
        raise InvalidArgumentError(f"{op}: groups must be a positive integer, got {groups!r}")
    n, c, h, w = x.shape
    if c != weight.shape[0] or c % groups:
        raise ShapeError(f"{op}: input has {c} channels but the weight {weight.shape} expects "
                         f"{weight.shape[0]} (weight is (in_channels, out_channels / groups, kh, "
                         f"kw)); groups={groups} must divide them")
    for oo, ss, dd in zip(o, s, d):  # (after the channels, as PyTorch)
        if oo >= ss and oo >= dd:
            raise InvalidArgumentError(f"{op}: output_padding {o} must be smaller than "
                                       f"either stride {s} or dilation {d}")
    cout = weight.shape[1] * groups
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (cout,):
            raise ShapeError(f"{op}: bias shape {bias.shape} must be ({cout},)")
    kh, kw = weight.shape[2:]
    oh = _conv_t_size(h, kh, s[0], p[0], d[0], o[0])
    ow = _conv_t_size(w, kw, s[1], p[1], d[1], o[1])
    if oh <= 0 or ow <= 0:
        raise ShapeError(f"{op}: the output size ({oh}, {ow}) is not positive for input "
                         f"{(h, w)}, kernel {(kh, kw)}, stride {s}, padding {p}, dilation {d}; "
                         f"use less padding")
    if groups == 1:
        out = _conv_t_plain(x, weight, (kh, kw), s, p, o, d, (oh, ow))
    else:
        ci, co = c // groups, weight.shape[1]
        out = cat([_conv_t_plain(x[:, i * ci:(i + 1) * ci], weight[i * ci:(i + 1) * ci],
                                 (kh, kw), s, p, o, d, (oh, ow)) for i in range(groups)], axis=1)
    if bias is not None:
        out = out + reshape(bias, (1, cout, 1, 1))
    return out


def _conv_t_plain(x, weight, k, s, p, o, d, osize):
    n, c, h, w = x.shape
    cout = weight.shape[1]
    wm = reshape(permute(weight, (0, 2, 3, 1)), (c, k[0] * k[1] * cout))
    cols = matmul(reshape(permute(x, (0, 2, 3, 1)), (n * h * w, c)), wm)
    cols = reshape(cols, (n, h, w, k[0], k[1], cout))
    if o[0] < s[0] and o[1] < s[1]:
        # col2im crops the padding; its adjoint im2col finds (H, W) windows again
        return apply(_col2im, (cols,), {"shape": (n, cout) + osize, "kernel": k, "stride": s,
                                        "padding": p, "dilation": d})
    # output_padding >= stride (allowed when < dilation): sum into the whole canvas,
    # then crop the padding and extend by zeros where output_padding reaches past it
    full = tuple((nn - 1) * ss + dd * (kk - 1) + 1 for nn, kk, ss, dd in zip((h, w), k, s, d))
    canvas = apply(_col2im, (cols,), {"shape": (n, cout) + full, "kernel": k, "stride": s,
                                      "padding": (0, 0), "dilation": d})
    extra = [max(0, p_ + os_ - f) for p_, os_, f in zip(p, osize, full)]
    if any(extra):
        canvas = pad(canvas, (0, extra[1], 0, extra[0]))
    return canvas[:, :, p[0]:p[0] + osize[0], p[1]:p[1] + osize[1]]
