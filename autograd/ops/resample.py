"""Resampling: adaptive average pooling, interpolation (nearest, linear, bilinear) and the
non-constant padding modes (reflect, replicate, circular). All composites, no new
primitive:

* every one of them is linear in its input and separable by axis, so each axis is
  either a constant matrix product (``out = A x`` along that axis, A (out, in): adaptive
  pooling's window averages, linear interpolation's two weights per output) or a
  gather of input positions (``index_select``: nearest, and the padding modes). Their
  gradients are the transposed product and index_select's scatter-add, exact, and
  the second derivatives are zero as they should be.
* the index arithmetic follows PyTorch's kernels (``area_pixel_compute_source_index``,
  ``nearest_idx`` in float32), so the sampled positions and weights match it exactly.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from ..errors import ShapeError
from ..registry import composite
from ..tensor import Tensor, as_tensor
from .index import index_select
from .linalg import matmul
from .shape import transpose as swapaxes


def _along(x: Tensor, axis: int, A: np.ndarray) -> Tensor:
    """Apply the (out, in) matrix A along ``axis`` of x: out[..., i, ...] = sum_j A[i, j] x[..., j, ...]."""
    At = Tensor._wrap(np.ascontiguousarray(A.T, dtype=x.dtype))
    if axis == x.ndim - 1:
        return matmul(x, At)
    return swapaxes(matmul(swapaxes(x, axis, -1), At), axis, -1)


def _spatial(x: Tensor, output_size, nd: int, op: str) -> Tuple[int, ...]:
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size must be an int or a {nd}-tuple, got {output_size!r}")
    insz = x.shape[-nd:]
    out = tuple(int(n) if o is None else int(o) for o, n in zip(output_size, insz))
    if min(out) <= 0:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return out


# --------------------------------------------------------------------------- adaptive pooling
def _adaptive_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Window i averages [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))."""
    A = np.zeros((n_out, n_in))
    for i in range(n_out):
        a, b = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        A[i, a:b] = 1.0 / (b - a)
    return A


@composite("adaptive_avg_pool2d")
def adaptive_avg_pool2d(x, output_size):
    """Average over windows that tile (H, W) into ``output_size`` (an int, a pair, with
    None meaning "keep that size"), like ``torch.nn.functional.adaptive_avg_pool2d``:
    out[..., i, j] = mean of x[..., h0:h1, w0:w1] with h0 = floor(i H / oH),
    h1 = ceil((i + 1) H / oH) (same for w). x (N, C, H, W) or (C, H, W).

    >>> import autograd as ag
    >>> x = ag.arange(16.).reshape(1, 1, 4, 4)
    >>> ag.adaptive_avg_pool2d(x, 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ShapeError(f"adaptive_avg_pool2d: expected (N, C, H, W) or (C, H, W), got "
                         f"shape {x.shape}")
    oh, ow = _spatial(x, output_size, 2, "adaptive_avg_pool2d")
    h, w = x.shape[-2:]
    if (oh, ow) == (1, 1):      # global average pooling: one reduction
        return x.mean(axis=(-2, -1), keepdims=True)
    return _along(_along(x, x.ndim - 1, _adaptive_matrix(w, ow)), x.ndim - 2,
                  _adaptive_matrix(h, oh))


# --------------------------------------------------------------------------- interpolate
_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "area": None}


def _linear_matrix(n_in: int, n_out: int, align_corners: bool, scale: Optional[float]) -> np.ndarray:
    """PyTorch's linear sampling: source position src (area_pixel_compute_source_index),
    i0 = floor(src), i1 = min(i0 + 1, n_in - 1), weights (1 - l, l) with l = src - i0."""
    if align_corners:
        ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = ratio * np.arange(n_out)
    else:
        ratio = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
        src = np.maximum(ratio * (np.arange(n_out) + 0.5) - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    A = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(A, (rows, i0), 1.0 - lam)
    np.add.at(A, (rows, i1), lam)
    return A


def _nearest_index(n_in: int, n_out: int, scale: Optional[float], exact: bool) -> np.ndarray:
    """PyTorch's nearest_idx: floor(dst * s) (``nearest-exact``: floor((dst + 0.5) s)),
    s = 1 / scale_factor when given, else n_in / n_out, computed in float32 like its
    kernel, clamped to n_in - 1."""
    dst = np.arange(n_out)
    if not exact and n_out == n_in:
        return dst
    if not exact and n_out == 2 * n_in:
        return dst >> 1
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in / n_out)
    pos = (dst.astype(np.float32) + np.float32(0.5)) * s if exact else dst.astype(np.float32) * s
    return np.minimum(np.floor(pos).astype(np.int64), n_in - 1)


@composite("interpolate")
def interpolate(x, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None):
    """Resize the spatial dimensions of x (N, C, *spatial) like
    ``torch.nn.functional.interpolate``: ``size`` (ints) or ``scale_factor`` (floats),
    out size floor(in * scale_factor). Modes: 'nearest' (src = floor(dst * in / out),
    or dst / scale_factor), 'nearest-exact' (floor((dst + 0.5) * ...)), 'linear' (3-D
    input), 'bilinear' (4-D), with ``align_corners`` (corner pixels aligned:
    src = dst (in - 1) / (out - 1)) or not (src = (dst + 0.5) in / out - 0.5), and
    'area' (adaptive average pooling).

    >>> import autograd as ag
    >>> x = ag.tensor([[[1., 2.]]])
    >>> ag.interpolate(x, scale_factor=2, mode='nearest').tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """
    x = as_tensor(x)
    op = "interpolate"
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {sorted(_MODES)}, got {mode!r}")
    nd = x.ndim - 2
    if nd < 1:
        raise ShapeError(f"{op}: expected (N, C, *spatial) input with at least one spatial "
                         f"dimension, got shape {x.shape}")
    if _MODES[mode] is not None and _MODES[mode] != nd:
        want = {1: "3-D (N, C, L)", 2: "4-D (N, C, H, W)"}[_MODES[mode]]
        raise ShapeError(f"{op}: mode {mode!r} needs {want} input, got shape {x.shape}; use "
                         f"'linear' for 3-D and 'bilinear' for 4-D")
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError(f"{op}: align_corners option can only be set with the interpolating "
                         f"modes: linear | bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    insz = x.shape[2:]
    if size is not None:
        sizes = (size,) * nd if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != nd:
            raise ValueError(f"{op}: size {size!r} must have {nd} entries for input {x.shape}")
        sizes = tuple(int(s) for s in sizes)
        scales = (None,) * nd
    else:
        scales = ((float(scale_factor),) * nd if isinstance(scale_factor, (int, float))
                  else tuple(float(s) for s in scale_factor))
        if len(scales) != nd:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} must have {nd} entries for "
                             f"input {x.shape}")
        sizes = tuple(int(math.floor(float(n) * s)) for n, s in zip(insz, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    if min(sizes) <= 0:
        raise ValueError(f"{op}: the output size {sizes} must be positive (input {insz})")
    if mode == "area":
        if nd != 2:
            raise ShapeError(f"{op}: mode 'area' is implemented for 4-D input, got {x.shape}")
        return adaptive_avg_pool2d(x, sizes)
    out = x
    for k, (n_in, n_out, sc) in enumerate(zip(insz, sizes, scales)):
        axis = 2 + k
        if mode in ("nearest", "nearest-exact"):
            idx = _nearest_index(n_in, n_out, sc, mode == "nearest-exact")
            if n_out != n_in or mode == "nearest-exact":
                out = index_select(out, axis, idx)
        else:
            out = _along(out, axis, _linear_matrix(n_in, n_out, bool(align_corners), sc))
    if out is x:
        out = out * 1  # a new tensor, as in PyTorch
    return out


# --------------------------------------------------------------------------- padding modes
def _pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    i = np.arange(-before, n + after)
    if mode == "reflect":
        i = np.abs(i)
        return (n - 1) - np.abs((n - 1) - i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return np.mod(i, n)     # circular


def _mode_pad(x, pad: Sequence[int], mode: str):
    x = as_tensor(x)
    op = f"pad (mode={mode!r})"
    pad = [int(p) for p in pad]
    if len(pad) % 2 or not pad:
        raise ValueError(f"{op}: padding length must be even and positive, got {len(pad)}")
    k = len(pad) // 2
    if x.ndim < k + 1:
        raise ShapeError(f"{op}: padding {k} dimension(s) needs an input with at least "
                         f"{k + 1} dimensions ((C, *spatial) or (N, C, *spatial)), got shape "
                         f"{x.shape}")
    if any(p < 0 for p in pad):
        raise ValueError(f"{op}: negative padding is only supported in mode 'constant'; "
                         f"slice the tensor instead")
    out = x
    for j in range(k):
        axis = x.ndim - 1 - j
        b, a = pad[2 * j], pad[2 * j + 1]
        if not (a or b):
            continue
        n = x.shape[axis]
        if mode == "reflect" and (b >= n or a >= n):
            raise ValueError(f"{op}: padding ({b}, {a}) should be smaller than the input "
                             f"dimension {axis} of size {n}")
        if mode == "circular" and (b > n or a > n):
            raise ValueError(f"{op}: padding ({b}, {a}) should be at most the input dimension "
                             f"{axis} of size {n}")
        if mode == "replicate" and n == 0:
            raise ValueError(f"{op}: cannot replicate-pad an empty dimension {axis}")
        out = index_select(out, axis, _pad_index(n, b, a, mode))
    if out is x:
        out = out * 1
    return out


@composite("reflection_pad")
def reflection_pad(x, pad: Sequence[int]):
    """Pad by mirroring without repeating the edge (``F.pad(x, pad, mode='reflect')``):
    ``pad = (left_last, right_last, left_2nd_last, ...)``; x[-i] = x[i]. Each padding
    must be smaller than its dimension. A gather (index_select) per padded dimension.

    >>> import autograd as ag
    >>> ag.reflection_pad(ag.tensor([[[1., 2., 3.]]]), (1, 1)).tolist()
    [[[2.0, 1.0, 2.0, 3.0, 2.0]]]
    """
    return _mode_pad(x, pad, "reflect")


@composite("replication_pad")
def replication_pad(x, pad: Sequence[int]):
    """Pad by repeating the edge values (``F.pad(x, pad, mode='replicate')``):
    x[-i] = x[0], x[n - 1 + i] = x[n - 1].

    >>> import autograd as ag
    >>> ag.replication_pad(ag.tensor([[[1., 2., 3.]]]), (1, 1)).tolist()
    [[[1.0, 1.0, 2.0, 3.0, 3.0]]]
    """
    return _mode_pad(x, pad, "replicate")


@composite("circular_pad")
def circular_pad(x, pad: Sequence[int]):
    """Pad by wrapping around (``F.pad(x, pad, mode='circular')``): x[-i] = x[n - i];
    each padding at most its dimension.

    >>> import autograd as ag
    >>> ag.circular_pad(ag.tensor([[[1., 2., 3.]]]), (1, 1)).tolist()
    [[[3.0, 1.0, 2.0, 3.0, 1.0]]]
    """
    return _mode_pad(x, pad, "circular")
