"""Resampling: adaptive average pooling, interpolation (nearest, linear, bilinear) and the
non-constant padding modes (reflect, replicate, circular). All composites, no new
primitive:

* every one of them is linear in its input and separable by axis, so each axis is
  either a weighted sum of gathered taps (``out[i] = sum_k w[i, k] x[idx[i, k]]`` along
  that axis: adaptive pooling's window averages, linear interpolation's two weights
  per output; only the taps an output reads, so an inf stays where PyTorch keeps it)
  or a plain gather of input positions (``index_select``: nearest, and the padding
  modes). Their gradients are index_select's scatter-add, exact, and the second
  derivatives are zero as they should be.
* the index arithmetic follows PyTorch's kernels (``area_pixel_compute_source_index``,
  ``nearest_idx`` in float32), so the sampled positions and weights match it exactly.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from .._checks import is_int
from ..errors import DtypeError, InvalidArgumentError, OutOfMemoryError, ShapeError
from ..registry import composite
from ..tensor import Tensor, as_tensor
from .index import index_select
from .elementwise import where
from .shape import reshape


def _along(x: Tensor, axis: int, idx: np.ndarray, w: np.ndarray, mask: np.ndarray) -> Tensor:
    """out[..., i, ...] = sum over k with mask[i, k] of w[i, k] x[..., idx[i, k], ...]
    along ``axis`` (idx, w, mask (n_out, k)): one gather of the k taps of every output,
    so an inf or NaN reaches only the outputs that read it (a dense (out, in) matrix
    product would spread it through its zero weights, inf * 0 = NaN)."""
    n_out, k = idx.shape
    g = index_select(x, axis, idx.reshape(-1))
    g = reshape(g, x.shape[:axis] + (n_out, k) + x.shape[axis + 1:])
    tail = (1,) * (x.ndim - axis - 1)
    term = g * Tensor._wrap(w.reshape((n_out, k) + tail).astype(x.dtype))
    if not mask.all():
        term = where(Tensor._wrap(mask.reshape((n_out, k) + tail)), term, 0.0)
    return term.sum(axis=axis + 1)


def _int_entry(v, what: str, op: str):
    """An int (or a 0-d integer tensor) of a size argument; None stays None."""
    if v is None or is_int(v):
        return v
    if getattr(v, "shape", None) == () and np.dtype(getattr(v, "dtype", object)).kind in "iu":
        return int(v.item())
    raise TypeError(f"{op}: {what} must be an int or a tuple of ints, got "
                    f"{type(v).__name__} {v!r}"[:200])


def _size_entries(size, nd: int, what: str, op: str) -> tuple:
    """``size`` (an int, a 0-d or 1-d integer tensor, a tuple/list) as nd entries."""
    if getattr(size, "shape", None) is not None and getattr(size, "ndim", 0) == 1:
        size = list(size.tolist()) if np.dtype(size.dtype).kind in "iu" else [size]
    if not isinstance(size, (tuple, list)):
        return (_int_entry(size, what, op),) * nd
    return tuple(_int_entry(v, what, op) for v in size)


def _spatial(x: Tensor, output_size, nd: int, op: str) -> Tuple[int, ...]:
    sizes = _size_entries(output_size, nd, "output_size", op)
    if len(sizes) != nd:
        raise InvalidArgumentError(f"{op}: output_size must be {nd} (an int or a {nd}-tuple), "
                                   f"got {output_size!r}")
    insz = x.shape[-nd:]
    out = tuple(int(n) if o is None else int(o) for o, n in zip(sizes, insz))
    if min(out) < 0:
        raise InvalidArgumentError(f"{op}: elements of output_size must be greater than or "
                                   f"equal to 0, got {out}")
    return out


def _non_empty(x: Tensor, batch: int, op: str) -> None:
    """PyTorch's check: the non-batch dimensions (the first ``batch`` are batch ones)
    must be non-empty."""
    for d in range(batch, x.ndim):
        if x.shape[d] == 0:
            raise InvalidArgumentError(f"{op}: expected input to have non-zero size for "
                                       f"non-batch dimensions, but input has shape {x.shape} "
                                       f"with dimension {d} being empty")


def _float_input(x: Tensor, op: str) -> None:
    if x.dtype.kind != "f":
        raise DtypeError(f"{op}: not implemented for {x.dtype} tensors (as in PyTorch); "
                         f"convert first, e.g. x.float()")


def _out_of_memory(op: str, shape, dtype) -> OutOfMemoryError:
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    return OutOfMemoryError(f"{op}: cannot allocate the output of shape {tuple(shape)} and "
                            f"dtype {np.dtype(dtype)} ({nbytes:,} bytes, "
                            f"{nbytes / 2 ** 30:,.1f} GiB): more than the memory available; "
                            f"check the output size")


def _separable(x: Tensor, sizes, factor, op: str) -> Tensor:
    """Resize the last ``len(sizes)`` axes of x one at a time: ``factor(k, n_in, n_out)``
    is the (idx, w, mask) taps (see :func:`_along`) or the index array of one axis (or
    None: that axis is kept). An output that cannot be
    allocated is an OutOfMemoryError naming ``op`` (refused before trying when it is
    beyond :data:`_MAX_BYTES`)."""
    nd = len(sizes)
    shape = x.shape[:x.ndim - nd] + tuple(sizes)
    if math.prod(shape) * x.dtype.itemsize > _MAX_BYTES:
        raise _out_of_memory(op, shape, x.dtype)
    out = x
    try:
        for k, n_out in enumerate(sizes):
            axis = x.ndim - nd + k
            f = factor(k, x.shape[axis], n_out)
            if f is None:
                continue
            out = _along(out, axis, *f) if isinstance(f, tuple) else index_select(out, axis, f)
    except MemoryError:
        raise _out_of_memory(op, shape, x.dtype) from None
    return out


# an output beyond this many bytes is refused before trying (the intermediate products
# and gradients would need several times more)
_MAX_BYTES = 2 ** 40


# --------------------------------------------------------------------------- adaptive pooling
def _adaptive_taps(n_in: int, n_out: int):
    """Window i averages [floor(i n_in / n_out), ceil((i + 1) n_in / n_out)): its taps,
    weight 1 / (window length) each (idx, w, mask as :func:`_along` takes them)."""
    i = np.arange(n_out)
    a, b = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
    k = int((b - a).max()) if n_out else 1
    j = np.arange(k)
    mask = j[None, :] < (b - a)[:, None]
    idx = np.minimum(a[:, None] + j[None, :], n_in - 1)
    w = np.broadcast_to((1.0 / np.maximum(b - a, 1))[:, None], (n_out, k))
    return idx, w, mask


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
    return _adaptive(x, output_size, 2, "adaptive_avg_pool2d")


def _adaptive(x: Tensor, output_size, nd: int, op: str) -> Tensor:
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{op}: expected a {nd + 1}-D (C, *spatial) or {nd + 2}-D (N, C, "
                         f"*spatial) input, got shape {x.shape} ({x.ndim} dimensions)")
    sizes = _spatial(x, output_size, nd, op)
    _non_empty(x, 1, op)
    _float_input(x, op)
    if all(o == 1 for o in sizes):      # global average pooling: one reduction
        return x.mean(axis=tuple(range(-nd, 0)), keepdims=True)
    return _separable(x, sizes, lambda k, n, o: _adaptive_taps(n, o), op)


# --------------------------------------------------------------------------- interpolate
_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "area": None}


def _linear_taps(n_in: int, n_out: int, align_corners: bool, scale: Optional[float]):
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
    idx = np.stack([i0, i1], axis=1)
    w = np.stack([1.0 - lam, lam], axis=1)
    return idx, w, np.ones(idx.shape, dtype=bool)


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
    op = "interpolate"
    x = as_tensor(x)
    if not isinstance(mode, str) or mode not in _MODES:
        raise InvalidArgumentError(f"{op}: mode must be one of {sorted(_MODES)}, got "
                                   f"{mode!r}"[:200])
    nd = x.ndim - 2
    if nd < 1:
        raise ShapeError(f"{op}: expected (N, C, *spatial) input with at least one spatial "
                         f"dimension (3-D or more), got shape {x.shape}")
    if _MODES[mode] is not None and _MODES[mode] != nd:
        want = {1: "3-D (N, C, L)", 2: "4-D (N, C, H, W)"}[_MODES[mode]]
        raise ShapeError(f"{op}: mode {mode!r} needs {want} input, got shape {x.shape}; use "
                         f"'linear' for 3-D and 'bilinear' for 4-D")
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{op}: align_corners must be a bool or None, got "
                        f"{type(align_corners).__name__} {align_corners!r}"[:200])
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError(f"{op}: align_corners option can only be set with the interpolating "
                         f"modes: linear | bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor" if size is not None
                         else f"{op}: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit "
                         f"size")
    insz = x.shape[2:]
    if size is not None:
        sizes = _size_entries(size, nd, "size", op)
        if any(s is None for s in sizes):
            raise TypeError(f"{op}: size must be an int or a tuple of ints, got {size!r}")
        scales = (None,) * nd
    else:
        scales = _scales(scale_factor, nd, op)
        if not all(math.isfinite(s) for s in scales):
            raise InvalidArgumentError(f"{op}: scale_factor {scale_factor!r} gives an output "
                                       f"size that cannot be converted to an integer")
        sizes = tuple(int(math.floor(float(n) * s)) for n, s in zip(insz, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    if len(sizes) != nd:
        raise ValueError(f"{op}: size {size!r} must have {nd} entries for input {x.shape} "
                         f"(the same number of spatial dimensions)")
    if min(sizes) <= 0:
        raise InvalidArgumentError(f"{op}: input and output sizes should be greater than 0, "
                                   f"got input {insz} and output {tuple(sizes)}")
    _non_empty(x, 1, op)
    _float_input(x, op)
    if mode == "area":
        return _adaptive(x, sizes, nd, op)

    def factor(k, n_in, n_out):
        if mode in ("nearest", "nearest-exact"):
            if n_out == n_in and mode == "nearest":
                return None
            return _nearest_index(n_in, n_out, scales[k], mode == "nearest-exact")
        return _linear_taps(n_in, n_out, bool(align_corners), scales[k])

    out = _separable(x, sizes, factor, op)
    if out is x:
        out = out * 1  # a new tensor, as in PyTorch
    return out


def _scales(scale_factor, nd: int, op: str) -> Tuple[float, ...]:
    """``scale_factor`` (a real number or a tuple of nd of them) as nd floats."""
    one = lambda v: (float(v) if isinstance(v, (int, float, np.integer, np.floating, np.bool_))
                     and not isinstance(v, complex) else None)
    vals = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * nd
    if getattr(scale_factor, "shape", None) == ():
        vals = [scale_factor.item()] * nd
    out = tuple(one(v) for v in vals)
    if any(v is None for v in out):
        raise TypeError(f"{op}: scale_factor must be a float or a tuple of floats, got "
                        f"{scale_factor!r}"[:200])
    if len(out) != nd:
        raise ValueError(f"{op}: scale_factor {scale_factor!r} must have {nd} entries for "
                         f"input of {nd} spatial dimension(s)")
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


def _mode_pad(x, pad: Sequence[int], mode: str, name: str):
    x = as_tensor(x)
    op = f"{name} (pad mode={mode!r})"
    if not isinstance(pad, (tuple, list)) or not all(is_int(p) for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints (left_last, right_last, ...), got "
                        f"{pad!r}"[:200])
    pad = [int(p) for p in pad]
    if len(pad) % 2 or not pad:
        raise InvalidArgumentError(f"{op}: padding length must be divisible by 2 and "
                                   f"non-zero, got {len(pad)}")
    k = len(pad) // 2
    if x.ndim < k + 1:
        raise ShapeError(f"{op}: padding {k} dimension(s) needs an input with at least "
                         f"{k + 1} dimensions ((C, *spatial) or (N, C, *spatial)), got shape "
                         f"{x.shape}")
    if any(p < 0 for p in pad):
        raise InvalidArgumentError(f"{op}: negative padding is only supported in mode "
                                   f"'constant'; slice the tensor instead")
    shape = list(x.shape)
    for j in range(k):
        axis = x.ndim - 1 - j
        b, a = pad[2 * j], pad[2 * j + 1]
        n = x.shape[axis]
        if (a or b) and mode == "reflect" and (b >= n or a >= n):
            raise InvalidArgumentError(f"{op}: padding ({b}, {a}) should be smaller than the "
                                       f"input dimension {axis} of size {n}")
        if (a or b) and mode == "circular" and (b > n or a > n):
            raise InvalidArgumentError(f"{op}: padding ({b}, {a}) should be at most the input "
                                       f"dimension {axis} of size {n} (it would wrap around "
                                       f"more than once)")
        if (a or b) and mode == "replicate" and n == 0:
            raise InvalidArgumentError(f"{op}: cannot replicate-pad an empty dimension {axis}")
        shape[axis] = n + a + b
    if math.prod(shape) * x.dtype.itemsize > _MAX_BYTES:
        raise _out_of_memory(op, shape, x.dtype)
    out = x
    try:
        for j in range(k):
            axis = x.ndim - 1 - j
            b, a = pad[2 * j], pad[2 * j + 1]
            if a or b:
                out = index_select(out, axis, _pad_index(x.shape[axis], b, a, mode))
    except MemoryError:
        raise _out_of_memory(op, shape, x.dtype) from None
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
    return _mode_pad(x, pad, "reflect", "reflection_pad")


@composite("replication_pad")
def replication_pad(x, pad: Sequence[int]):
    """Pad by repeating the edge values (``F.pad(x, pad, mode='replicate')``):
    x[-i] = x[0], x[n - 1 + i] = x[n - 1].

    >>> import autograd as ag
    >>> ag.replication_pad(ag.tensor([[[1., 2., 3.]]]), (1, 1)).tolist()
    [[[1.0, 1.0, 2.0, 3.0, 3.0]]]
    """
    return _mode_pad(x, pad, "replicate", "replication_pad")


@composite("circular_pad")
def circular_pad(x, pad: Sequence[int]):
    """Pad by wrapping around (``F.pad(x, pad, mode='circular')``): x[-i] = x[n - i];
    each padding at most its dimension.

    >>> import autograd as ag
    >>> ag.circular_pad(ag.tensor([[[1., 2., 3.]]]), (1, 1)).tolist()
    [[[3.0, 1.0, 2.0, 3.0, 1.0]]]
    """
    return _mode_pad(x, pad, "circular", "circular_pad")
