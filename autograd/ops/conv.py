"""Convolution and pooling, built on two linear primitives that are each other's adjoint:

* ``unfold`` (im2col): (N, C, H, W) -> (N, C, kh, kw, oh, ow), every receptive field
  as a strided view, no Python loop over positions;
* ``fold`` (col2im): the transpose, summing overlapping windows back (a loop over the
  kh * kw kernel offsets only).

``conv2d`` = ``im2col`` (the padded channels-last windows, copied once) -> one GEMM
with the weights -> bias, two nodes: the GEMM's weight gradient reads the windows the
forward graph saved instead of rebuilding them (faster, at the cost of keeping them until
backward), and its window gradient goes back through ``col2im``. ``max_pool2d`` =
pad with -inf -> unfold -> max over the window (the gradient goes to the first maximal
element of each window, like PyTorch, in the primitive ``max_pool2d_backward``);
``avg_pool2d`` = pad -> unfold -> mean. Their gradients (and second derivatives) come
from the primitives."""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..errors import DtypeError, InvalidArgumentError, ShapeError
from ..registry import apply, backend, composite, defop, public
from ..tensor import Tensor, as_tensor
from ._util import pair, pair_low, raw
from .shape import cat, pad


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
    if sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1:
        # Windows don't overlap (e.g. 2x2 pooling with stride 2): every input pixel
        # receives at most one value, so one strided assignment does it.
        s0, s1, s2, s3 = out.strides
        view = as_strided(out, cols.shape, (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw))
        view[...] = cols
        return out
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out


def _unfold_check(x, kernel, stride, dilation):
    if x.ndim != 4:
        raise ShapeError(f"unfold: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    for n, k, d in zip(x.shape[2:], kernel, dilation):
        if d * (k - 1) + 1 > n:
            raise ShapeError(f"unfold: kernel {kernel} with dilation {dilation} is larger "
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
    """Sliding windows of a (N, C, H, W) tensor as (N, C, kh, kw, oh, ow).
    >>> import autograd as ag
    >>> ag.unfold(ag.zeros(1, 2, 4, 5), 3).shape  # (N, C, kh, kw, oh, ow)
    (1, 2, 3, 3, 2, 3)
    """
    x = as_tensor(x)
    return apply(_unfold, (x,), {"kernel": pair(kernel_size, "kernel_size", "unfold"),
                                 "stride": pair(stride, "stride", "unfold"),
                                 "dilation": pair(dilation, "dilation", "unfold")})


def fold(cols, output_size, kernel_size, stride=1, dilation=1):
    """The adjoint of ``unfold``: sum windows back into a (N, C, H, W) tensor.
    >>> import autograd as ag
    >>> ag.fold(ag.unfold(ag.ones(1, 1, 3, 3), 2), (1, 1, 3, 3), 2).tolist()  # window counts
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    cols = as_tensor(cols)
    from .._checks import size_arg

    shape = size_arg((output_size,), "fold")
    if cols.ndim != 6 or len(shape) != 4 or shape[:2] != cols.shape[:2]:
        raise ShapeError(f"fold: expected windows (N, C, kh, kw, oh, ow) and an output_size "
                         f"(N, C, H, W) with the same N and C, got shapes {cols.shape} and "
                         f"{shape}")
    return apply(_fold, (cols,), {"shape": shape,
                                  "kernel": pair(kernel_size, "kernel_size", "fold"),
                                  "stride": pair(stride, "stride", "fold"),
                                  "dilation": pair(dilation, "dilation", "fold")})


def _pad2d(x, padding, value, op):
    ph, pw = pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise InvalidArgumentError(f"{op}: padding must be non-negative, got {padding}")
    return pad(x, (pw, pw, ph, ph), value=value) if ph or pw else x


# --------------------------------------------------------------------------- conv2d
# The plain path computes in channels-last (NHWC) memory, like a hand-written im2col:
# the window copy and col2im's adds then run over C contiguous values instead of the
# few pixels of a row, which is what makes small feature maps fast. Logical shapes stay
# NCHW (outputs are NCHW views of NHWC memory, and the next conv or pool finds its
# input already channels-last). im2col and col2im are each other's adjoint, and the
# GEMM's vjps are plain F formulas, so with create_graph every step is a recorded op.

def _conv_geometry(shape, kernel, stride, dilation, padding):
    n, c, h, w = shape
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    return _out_size(h + 2 * ph, kh, sh, dh), _out_size(w + 2 * pw, kw, sw, dw)


def _windows_nhwc(x, kernel, stride, dilation, padding, fill=0.0):
    """(N, oh, ow, kh, kw, C) strided view of the padded channels-last copy of x."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    xh = x.transpose(0, 2, 3, 1)
    if ph or pw:
        xp = np.full((n, h + 2 * ph, w + 2 * pw, c), fill, dtype=x.dtype)
        xp[:, ph:ph + h, pw:pw + w, :] = xh
    else:
        xp = np.ascontiguousarray(xh)
    oh, ow = _conv_geometry(x.shape, kernel, stride, dilation, padding)
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (n, oh, ow, kh, kw, c),
                      (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)


def _col2im_nhwc(d, shape, kernel, stride, dilation, padding):
    """Adjoint of ``_windows_nhwc``: d (N, oh, ow, kh, kw, C) summed back -> NCHW view."""
    n, c, h, w = shape
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    oh, ow = d.shape[1], d.shape[2]
    dxp = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=d.dtype)
    if sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1:  # windows don't overlap
        s0, s1, s2, s3 = dxp.strides
        as_strided(dxp, d.shape, (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))[...] = d
    else:
        for i in range(kh):
            for j in range(kw):
                dxp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                    j * dw:j * dw + sw * (ow - 1) + 1:sw, :] += d[:, :, :, i, j, :]
    return dxp[:, ph:ph + h, pw:pw + w, :].transpose(0, 3, 1, 2)


def _wmat(w):
    """Weights (O, C, kh, kw) as the (kh*kw*C, O) matrix matching the window order."""
    o, c, kh, kw = w.shape
    return w.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)


def _im2col_np(x, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    return np.ascontiguousarray(_windows_nhwc(x, kernel, stride, dilation, padding))


def _col2im_np(cols, shape, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    return _col2im_nhwc(cols, shape, kernel, stride, dilation, padding)


_im2col = defop("im2col", _im2col_np,
                (lambda F, g, out, x, kernel, stride, padding, dilation:
                 F.col2im(g, shape=tuple(x.shape), kernel=kernel, stride=stride, padding=padding,
                          dilation=dilation),),
                linear=True, backend=True,
                doc="the windows of the zero-padded input in channels-last order, copied: "
                    "(N, C, H, W) -> (N, oh, ow, kh, kw, C); gradient col2im(g)")
_col2im = defop("col2im", _col2im_np,
                (lambda F, g, out, cols, shape, kernel, stride, padding, dilation:
                 F.im2col(g, kernel=kernel, stride=stride, padding=padding, dilation=dilation),),
                linear=True, backend=True,
                doc="the adjoint of im2col: windows (N, oh, ow, kh, kw, C) summed back into "
                    "the padded input (overlaps added), padding cropped -> (N, C, H, W)")


def _conv_fwd(win, w, b=None):
    n, oh, ow, kh, kw, c = win.shape
    out = win.reshape(n * oh * ow, kh * kw * c) @ _wmat(w)   # one GEMM
    if b is not None:
        out += b
    return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)  # (N, O, oh, ow), NHWC memory


def _conv_dwin(F, g, out, win, w, b=None):
    n, oh, ow, kh, kw, c = win.shape
    o = w.shape[0]
    g2 = F.reshape(F.permute(g, (0, 2, 3, 1)), (n * oh * ow, o))
    wm = F.reshape(F.permute(w, (2, 3, 1, 0)), (kh * kw * c, o))
    return F.reshape(F.matmul(g2, F.swapaxes(wm, 0, 1)), tuple(win.shape))


def _conv_dw(F, g, out, win, w, b=None):
    # the windows saved by the forward graph (im2col's output), not rebuilt
    n, oh, ow, kh, kw, c = win.shape
    o = w.shape[0]
    g2 = F.reshape(F.permute(g, (0, 2, 3, 1)), (n * oh * ow, o))
    cols = F.reshape(win, (n * oh * ow, kh * kw * c))
    return F.permute(F.reshape(F.matmul(F.swapaxes(cols, 0, 1), g2), (kh, kw, c, o)),
                     (3, 2, 0, 1))


_conv2d = defop("conv2d", _conv_fwd,
                (_conv_dwin, _conv_dw, lambda F, g, out, win, w, b=None: F.sum(g, axis=(0, 2, 3))),
                doc="2-D cross-correlation as one GEMM over im2col's windows: out = "
                    "cols Wm + b with cols (N*oh*ow, kh*kw*C), Wm (kh*kw*C, O); gradients "
                    "g Wm^T (to the windows, then col2im), cols^T g and sum(g)")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D cross-correlation like PyTorch: x (N, C, H, W), weight (O, C / groups, kh, kw),
    bias (O,) -> (N, O, oh, ow). Computed as im2col + one matrix product; with ``groups``
    g > 1, group i's O/g filters see only its C/g input channels (one product per group,
    outputs concatenated on channels).
    >>> import autograd as ag
    >>> ag.conv2d(ag.ones(1, 1, 3, 3), ag.ones(2, 1, 2, 2)).tolist()  # (N, O, oh, ow)
    [[[[4.0, 4.0], [4.0, 4.0]], [[4.0, 4.0], [4.0, 4.0]]]]
    """
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim == 3:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups)[0]
    if x.ndim != 4 or weight.ndim != 4:
        raise ShapeError(f"conv2d: expected input (N, C, H, W) and weight (O, C, kh, kw), got "
                         f"shapes {x.shape} and {weight.shape}")
    if groups != 1:
        return _grouped_conv2d(x, weight, bias, stride, padding, dilation, groups)
    if x.shape[1] != weight.shape[1]:
        raise ShapeError(f"conv2d: input has {x.shape[1]} channels but the weight "
                         f"{weight.shape} expects {weight.shape[1]}; check in_channels")
    args = (x, weight)
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (weight.shape[0],):
            raise ShapeError(f"conv2d: bias shape {bias.shape} must be ({weight.shape[0]},)")
        args = (x, weight, bias)
    s = pair(stride, "stride", "conv2d")
    d = pair(dilation, "dilation", "conv2d")
    if isinstance(padding, str):
        padding, extra = _string_padding(padding, s, d, weight.shape[2:])
        if extra is not None:          # an even 'same' kernel: the extra row/column goes
            x = pad(x, extra)          # right/bottom, as in PyTorch
            args = (x,) + args[1:]
    p = pair(padding, "padding", "conv2d")
    if min(s) <= 0 or min(d) <= 0 or min(p) < 0:
        raise InvalidArgumentError(f"conv2d: stride and dilation must be positive and padding "
                         f"non-negative, got stride={stride}, dilation={dilation}, "
                         f"padding={padding}")
    kh, kw = weight.shape[2:]
    for size, k, dd, pp in zip(x.shape[2:], (kh, kw), d, p):
        if dd * (k - 1) + 1 > size + 2 * pp:
            raise ShapeError(f"conv2d: kernel {(kh, kw)} with dilation {d} is larger than the "
                             f"padded input {tuple(x.shape[2:])} + 2*{p}; pad the input or "
                             f"use a smaller kernel")
    win = apply(_im2col, (x,), {"kernel": (kh, kw), "stride": s, "padding": p, "dilation": d})
    return apply(_conv2d, (win,) + args[1:], {})


_conv2d.api = conv2d


def _grouped_conv2d(x, weight, bias, stride, padding, dilation, groups):
    if not isinstance(groups, int) or groups < 1:
        raise InvalidArgumentError(f"conv2d: groups must be a positive integer, got {groups!r}")
    c, o = x.shape[1], weight.shape[0]
    if c % groups or o % groups:
        raise ShapeError(f"conv2d: groups={groups} must divide both the input channels ({c}) "
                         f"and the output channels ({o})")
    if weight.shape[1] * groups != c:
        raise ShapeError(f"conv2d: with groups={groups} the weight {weight.shape} expects "
                         f"{weight.shape[1] * groups} input channels, the input has {c}")
    ci, co = c // groups, o // groups
    outs = [conv2d(x[:, i * ci:(i + 1) * ci], weight[i * co:(i + 1) * co],
                   None if bias is None else as_tensor(bias)[i * co:(i + 1) * co],
                   stride, padding, dilation)
            for i in range(groups)]
    return cat(outs, axis=1)


def _string_padding(padding: str, stride, dilation, kernel):
    """PyTorch's padding='valid' (none) and 'same' (output size = input size, stride 1):
    returns (symmetric padding, or 0 with the explicit F.pad widths for an odd total)."""
    if padding == "valid":
        return 0, None
    if padding != "same":
        raise InvalidArgumentError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', "
                         f"got {padding!r}")
    if tuple(stride) != (1, 1):
        raise InvalidArgumentError(f"conv2d: padding='same' needs stride 1 (got stride={tuple(stride)}); "
                         f"pad explicitly for strided convolutions")
    totals = [dd * (k - 1) for dd, k in zip(dilation, kernel)]
    if all(t % 2 == 0 for t in totals):
        return (totals[0] // 2, totals[1] // 2), None
    (th, tw) = totals
    return 0, (tw // 2, tw - tw // 2, th // 2, th - th // 2)   # (left, right, top, bottom)


def _pool_args(x, kernel_size, stride, padding, dilation, op):
    empty = stride is None or isinstance(stride, (tuple, list)) and not stride  # (omitted)
    raw_args = (kernel_size, kernel_size if empty else stride, padding, dilation)
    names = ("kernel_size", "stride", "padding", "dilation")  # torch's order: form, rank, dtype, values
    x, args = as_tensor(x), [pair(v, n, op, check_low=False) for v, n in zip(raw_args, names)]
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:  # (only N may be 0)
        raise (IndexError if op == "avg_pool2d" and x.ndim < 3 else ShapeError)(
            f"{op}: expected a 3-D or 4-D input, non-empty but for a 4-D input's batch "
            f"dimension, got shape {x.shape}")
    if x.dtype.kind == "b" or (op == "avg_pool2d" and x.dtype.kind != "f"):
        raise DtypeError(f'{op}: "{op}" is not implemented for {x.dtype} tensors; convert '
                         f"with .float()")
    k, s, p, d = (pair_low(t, v, n, op) for t, v, n in zip(args, raw_args, names))
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise InvalidArgumentError(f"{op}: padding {p} should be at most half the kernel size {k}")
    return x, k, s, p, d


# --------------------------------------------------------------------------- max_pool2d
def _pool_blocks(x, kernel, stride, padding, dilation):
    """x as (N, oh, kh, ow, kw, C) blocks of channels-last memory when the windows tile
    it exactly (stride == kernel, no padding or dilation, sizes divisible): a reshape,
    no window copy (the usual 2x2/2 pooling after a conv). None otherwise."""
    if stride != kernel or padding != (0, 0) or dilation != (1, 1):
        return None
    n, c, h, w = x.shape
    kh, kw = kernel
    if h % kh or w % kw:
        return None
    xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))         # free after a conv (NHWC)
    return xh.reshape(n, h // kh, kh, w // kw, kw, c)


def _maxpool_fwd(x, kernel, stride, padding, dilation):
    blocks = _pool_blocks(x, kernel, stride, padding, dilation)
    if blocks is not None:
        return _block_max(blocks).transpose(0, 3, 1, 2)        # (N, C, oh, ow)
    win = _windows_nhwc(x, kernel, stride, dilation, padding, fill=-np.inf)
    return win.max(axis=(3, 4)).transpose(0, 3, 1, 2)          # (N, C, oh, ow)


def _block_max(blocks):
    """Max over the (kh, kw) offsets of ``blocks`` as kh*kw-1 elementwise maximums, which
    NumPy runs 5x faster than ``max(axis=(2, 4))`` on these small strided axes (NaN
    propagates the same way). (N, oh, ow, C), contiguous."""
    kh, kw = blocks.shape[2], blocks.shape[4]
    views = [blocks[:, :, i, :, j, :] for i in range(kh) for j in range(kw)]
    if len(views) == 1:
        return views[0].copy()
    m = np.maximum(views[0], views[1])
    for v in views[2:]:
        np.maximum(m, v, out=m)
    return m


def _maxpool_dx_blocks(g, blocks):
    """dx for tiling windows: g goes to the first position (row-major) equal to its
    window's max, found in kh*kw passes over the block offsets (argmax over a window
    axis is 5x slower here). None when a window has no match (NaN): use argmax."""
    n, oh, kh, ow, kw, c = blocks.shape
    m = _block_max(blocks)                                      # recomputed: out may be changed in place
    gh = g.transpose(0, 2, 3, 1)                                # (N, oh, ow, C)
    # g * mask is exact where g is finite; otherwise 0 * inf would leak NaN off the max
    mul = bool(np.isfinite(gh).all())
    dx = np.zeros(blocks.shape, dtype=g.dtype)
    taken = None
    for i in range(kh):
        for j in range(kw):
            hit = blocks[:, :, i, :, j, :] == m
            if taken is None:
                taken = hit
            else:
                hit &= ~taken
                taken |= hit
            if mul:
                np.multiply(gh, hit, out=dx[:, :, i, :, j, :])
            else:
                np.copyto(dx[:, :, i, :, j, :], gh, where=hit)
    if not taken.all():
        return None
    return dx.reshape(n, oh * kh, ow * kw, c).transpose(0, 3, 1, 2)


def _maxpool_backward_np(gy, x, kernel, stride, padding, dilation):
    blocks = _pool_blocks(x, kernel, stride, padding, dilation)
    if blocks is not None:
        dx = _maxpool_dx_blocks(gy, blocks)
        if dx is not None:
            return dx
    return _maxpool_dx_scatter(gy, x, kernel, stride, padding, dilation)


def _maxpool_dx_scatter(gy, x, kernel, stride, padding, dilation):
    """dx for any window geometry in one scatter: each window's first maximum (found in
    kh*kw compares against the max, argmax only when a NaN is the max) becomes a flat
    position in the padded channels-last buffer, and gy goes there at once (summed
    with bincount where windows overlap). Measured 2-2.5x faster than masking the
    windows and folding them back (col2im's kh*kw strided adds). Tiling windows
    (2x2/2 after a conv) keep the per-offset passes of ``_maxpool_dx_blocks``, which
    measured 2x faster there than this scatter."""
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    n, c, h, w = x.shape
    win = _windows_nhwc(x, kernel, stride, dilation, padding, fill=-np.inf)
    oh, ow = win.shape[1], win.shape[2]
    views = [win[:, :, :, i, j, :] for i in range(kh) for j in range(kw)]
    m = views[0].copy()
    for v in views[1:]:
        np.maximum(m, v, out=m)
    if np.isnan(m).any():                                       # NaN is the max: argmax finds it
        idx = win.reshape(n, oh, ow, kh * kw, c).argmax(axis=3)
    else:
        idx = np.full(m.shape, kh * kw - 1, dtype=np.intp)
        for k in range(kh * kw - 2, -1, -1):                    # backwards: the first hit wins
            np.copyto(idx, k, where=views[k] == m)
    hp, wp = h + 2 * ph, w + 2 * pw
    offset = ((np.arange(kh) * dh)[:, None] * wp + np.arange(kw) * dw).reshape(-1) * c
    corner = (((np.arange(n)[:, None, None] * hp + np.arange(oh)[:, None] * sh) * wp
               + np.arange(ow) * sw) * c)[..., None] + np.arange(c)      # (N, oh, ow, C)
    pos = (corner + offset[idx]).reshape(-1)
    gh = gy.transpose(0, 2, 3, 1).reshape(-1)
    if sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1:     # windows don't overlap
        dxp = np.zeros(n * hp * wp * c, dtype=gy.dtype)
        dxp[pos] = gh
    else:
        dxp = np.bincount(pos, weights=gh, minlength=n * hp * wp * c).astype(gy.dtype, copy=False)
    return dxp.reshape(n, hp, wp, c)[:, ph:ph + h, pw:pw + w].transpose(0, 3, 1, 2)


def _first_max_mask(x, kernel, stride, padding, dilation):
    """(N, C, kh, kw, oh, ow) one-hot of each window's first maximum (row-major), as unfold
    lays the windows out; -inf padding is never chosen over an input element."""
    kh, kw = kernel
    (ph, pw) = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    view6 = _unfold_np(xp, kernel, stride, dilation)
    n, c, _, _, oh, ow = view6.shape
    idx = view6.reshape(n, c, kh * kw, oh, ow).argmax(axis=2)
    return (np.arange(kh * kw).reshape(1, 1, -1, 1, 1) == idx[:, :, None]).reshape(view6.shape)


def _maxpool_backward_dg(F, g, out, gy, x, kernel, stride, padding, dilation):
    # dx is linear in gy with a constant mask: its adjoint reads h at each window's
    # first maximum, unfold(pad(h)) summed against the mask
    ph, pw = padding
    hp = F.pad(g, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else g
    mask = _first_max_mask(raw(x), kernel, stride, padding, dilation)
    return F.sum(F.unfold(hp, kernel, stride, dilation) * F.const(mask, g), axis=(2, 3))


_max_pool2d_backward = defop(
    "max_pool2d_backward", _maxpool_backward_np,
    (_maxpool_backward_dg,
     # piecewise constant in x: zero gradient off the ties where the first max switches
     lambda F, g, out, gy, x, kernel, stride, padding, dilation: None),
    smooth=False, backend=True,
    doc="max_pool2d's vjp: dx = gy routed to each window's first maximum (row-major), "
        "overlaps summed; linear in gy (gradient: h read at those maxima), zero in x")

_max_pool2d = defop("max_pool2d", _maxpool_fwd,
                    (lambda F, g, out, x, kernel, stride, padding, dilation:
                     F.max_pool2d_backward(g, x, kernel=kernel, stride=stride, padding=padding,
                                           dilation=dilation),),
                    smooth=False,
                    doc="max over each window; gradient max_pool2d_backward(g, x): g goes to "
                        "the first maximum of a window (row-major), like PyTorch")


def _ceil_extra(size: int, k: int, s: int, p: int, d: int) -> int:
    """Rows (or columns) to add after the bottom (right) padding so that ceil_mode's last,
    partial window exists. PyTorch's rule: the output size is
    ceil((size + 2p - d(k-1) - 1) / s) + 1, less one if the last window would start past
    the input and its left padding (``(out - 1) s >= size + p``)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
    """Max over each (kh, kw) window; the gradient goes to the first maximum of a window.
    ``ceil_mode`` keeps the last partial window (the input is extended with -inf).
    >>> import autograd as ag
    >>> ag.max_pool2d(ag.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    x, k, s, p, d = _pool_args(x, kernel_size, stride, padding, dilation, "max_pool2d")
    if x.ndim == 3:
        return max_pool2d(x.unsqueeze(0), k, s, p, d, ceil_mode)[0]
    for size, kk, dd, pp in zip(x.shape[2:], k, d, p):
        if dd * (kk - 1) + 1 > size + 2 * pp:
            raise ShapeError(f"max_pool2d: kernel {k} with dilation {d} is larger than the "
                             f"input {tuple(x.shape[2:])} padded by {p}; use a smaller kernel")
    if ceil_mode:
        eh, ew = (_ceil_extra(n, kk, ss, pp, dd)
                  for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
        if eh or ew:
            x = pad(x, (0, ew, 0, eh), value=-np.inf)
    return apply(_max_pool2d, (x,), {"kernel": k, "stride": s, "padding": p, "dilation": d})


_max_pool2d.api = max_pool2d


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True):
    """Mean over each (kh, kw) window, like PyTorch: the zero padding counts towards the
    divisor by default; with ``count_include_pad=False`` only input elements do.
    ``ceil_mode`` keeps the last partial window, whose divisor stops at the padded input.
    In general out = window sums / window counts, the counts a constant.
    >>> import autograd as ag
    >>> ag.avg_pool2d(ag.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    from .reduce import mean, sum as sum_

    x, k, s, p, d = _pool_args(x, kernel_size, stride, padding, 1, "avg_pool2d")
    if x.ndim == 3:
        return avg_pool2d(x.unsqueeze(0), k, s, p, ceil_mode, count_include_pad)[0]
    for size, kk, pp in zip(x.shape[2:], k, p):
        if kk > size + 2 * pp:
            raise ShapeError(f"avg_pool2d: kernel {k} is larger than the input "
                             f"{tuple(x.shape[2:])} padded by {p}; use a smaller kernel")
    (h, w), (ph, pw) = x.shape[2:], p
    eh, ew = ((_ceil_extra(n, kk, ss, pp, 1) for n, kk, ss, pp in zip((h, w), k, s, p))
              if ceil_mode else (0, 0))
    if not eh and not ew and count_include_pad:          # every window is full: a mean
        return mean(unfold(_pad2d(x, p, 0.0, "avg_pool2d"), k, s, d), axis=(2, 3))
    sums = sum_(unfold(pad(x, (pw, pw + ew, ph, ph + eh)), k, s, d), axis=(2, 3))
    counted = np.zeros((1, 1, h + 2 * ph + eh, w + 2 * pw + ew), dtype=x.dtype)
    if count_include_pad:
        counted[..., :h + 2 * ph, :w + 2 * pw] = 1
    else:
        counted[..., ph:ph + h, pw:pw + w] = 1
    counts = _unfold_np(counted, k, s, d).sum(axis=(2, 3))  # (1, 1, oh, ow), all >= 1
    return sums / Tensor._wrap(counts)


def dropout(x, p: float = 0.5, training: bool = True, seed: Optional[int] = None):
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).

    ``seed`` draws the mask from a private generator (reproducible, e.g. for gradcheck);
    otherwise the global generator (``manual_seed``) is used.
    >>> import autograd as ag
    >>> ag.dropout(ag.ones(4), 0.5, training=False).tolist(), ag.dropout(ag.ones(3), 1.0).tolist()
    ([1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    from .._checks import int_arg, real_arg
    from ..random import random_array
    from ._util import floating

    x = floating(x, "dropout")
    p = real_arg(p, "p", "dropout")
    seed = None if seed is None else int_arg(seed, "seed", "dropout")
    if not 0.0 <= p <= 1.0:
        raise InvalidArgumentError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    mask = random_array(_dropout_mask, seed, x.shape, p, x.dtype)  # (replayable by compile)
    return x * Tensor._wrap(mask)


def _dropout_mask(seed: Optional[int], shape: tuple, p: float, dtype) -> np.ndarray:
    """The scaled keep-mask of dropout: [u >= p] / (1 - p), u uniform from the global
    generator (or a private one seeded with ``seed``)."""
    from ..random import default_generator

    gen = np.random.default_rng(seed) if seed is not None else default_generator()
    return ((gen.random(shape) >= p).astype(dtype) / (1.0 - p)).astype(dtype)


# --------------------------------------------------------------------------- the surface
for _f in (conv2d, max_pool2d, unfold, fold):
    public(_f)
composite("avg_pool2d")(avg_pool2d)
composite("dropout", method=True)(dropout)

backend("unfold", _unfold_np, lambda x, kernel, stride, dilation: apply(
    _unfold, (x,), {"kernel": kernel, "stride": stride, "dilation": dilation}))
backend("fold", _fold_np, lambda cols, shape, kernel, stride, dilation: apply(
    _fold, (cols,), {"shape": tuple(shape), "kernel": kernel, "stride": stride,
                     "dilation": dilation}))
