"""Shape primitives (reshape, permute, broadcast_to, cat, pad) and the composites built
on them (view, flatten, squeeze, unsqueeze, transpose, expand, stack, split, chunk)."""
from __future__ import annotations

import math
from typing import Sequence, Tuple, Union

import numpy as np

from .._checks import dim_arg, int_arg, size_arg
from ..errors import InvalidArgumentError, OutOfMemoryError, ShapeError
from ..registry import apply, backend, composite, defop, method, public
from ..tensor import Tensor, as_tensor
from ._util import Variadic, norm_axis
from .elementwise import clone

Shape = Union[int, Sequence[int]]


def _shape_arg(shape, op: str = "reshape") -> Tuple[int, ...]:
    # ints, a tuple/list, or a 0-d integer tensor (an int, as in PyTorch); TypeError for
    # anything else (a float, None, a tensor of several elements)
    out = size_arg(shape, op, check_negative=False)
    if any(s < -1 for s in out) or out.count(-1) > 1:
        raise InvalidArgumentError(f"{op}: invalid shape {out}: sizes must be >= 0, with at "
                                   f"most one -1 (the inferred dimension)")
    return out


# --------------------------------------------------------------------------- reshape
def _reshape_fwd(x, shape):
    try:
        return x.reshape(shape)
    except ValueError:
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} "
                         f"elements) into shape {shape}; the number of elements must match "
                         f"(use -1 for one inferred dimension)") from None


_reshape = defop("reshape", _reshape_fwd,
                 (lambda F, g, out, x, shape: F.reshape(g, x.shape),), linear=True,
                 doc="same elements, new shape")


def reshape(x, *shape):
    """``x`` with a new shape (same number of elements; one dimension may be -1).

    >>> import autograd as ag
    >>> ag.reshape(ag.arange(6), (2, 3)).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    x = as_tensor(x)
    shape = _shape_arg(shape)
    # same shape: still a new tensor viewing x (PyTorch's view/reshape never return x
    # itself, so a hook, retain_grad() or in-place op on the result is not one on x)
    return apply(_reshape, (x,), {"shape": shape})



def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge dimensions start_dim..end_dim into one.

    >>> import autograd as ag
    >>> ag.flatten(ag.zeros(2, 3, 4), start_dim=1).shape
    (2, 12)
    """
    x = as_tensor(x)
    if x.ndim == 0:
        dim_arg(start_dim, 0, "flatten"), dim_arg(end_dim, 0, "flatten")
        return reshape(x, (1,))
    s, e = dim_arg(start_dim, x.ndim, "flatten"), dim_arg(end_dim, x.ndim, "flatten")
    if s > e:
        raise InvalidArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    if s == e:
        return x  # nothing to flatten: PyTorch returns the input itself
    shp = x.shape
    return reshape(x, shp[:s] + (int(np.prod(shp[s:e + 1], dtype=np.int64)),) + shp[e + 1:])


def squeeze(x, dim=None):
    """Remove dimensions of size 1 (all of them, or only ``dim``).

    >>> import autograd as ag
    >>> ag.squeeze(ag.zeros(1, 3, 1)).shape
    (3,)
    """
    x = as_tensor(x)
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    axes = norm_axis(dim, x.ndim, "squeeze")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1)))


def unsqueeze(x, dim: int):
    """Insert a dimension of size 1 at ``dim``.

    >>> import autograd as ag
    >>> ag.unsqueeze(ag.zeros(2, 3), 1).shape
    (2, 1, 3)
    """
    x = as_tensor(x)
    nd = x.ndim + 1
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"unsqueeze: dim must be an int, got {type(dim).__name__} {dim!r}")
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: dim {dim} out of range for a result with {nd} dims")
    d = dim % nd
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])



# --------------------------------------------------------------------------- permute
_permute = defop("permute", lambda x, axes: x.transpose(axes),
                 (lambda F, g, out, x, axes: F.permute(g, tuple(np.argsort(axes))),),
                 linear=True, doc="reorder dimensions")


def permute(input, *axes):
    """Reorder dimensions: ``out.shape[i] = x.shape[axes[i]]``.

    >>> import autograd as ag
    >>> ag.permute(ag.zeros(2, 3, 4), (2, 0, 1)).shape
    (4, 2, 3)
    """
    x = as_tensor(input)
    axes = _shape_arg(axes, "permute") if axes else tuple(range(x.ndim - 1, -1, -1))
    if len(axes) == x.ndim:
        axes = tuple(dim_arg(a, x.ndim, "permute") for a in axes)  # IndexError out of range
    if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ShapeError(f"permute: {axes} is not a permutation of the {x.ndim} dimensions "
                         f"of a tensor of shape {x.shape}")
    axes = tuple(a % x.ndim for a in axes)
    if axes == tuple(range(x.ndim)):
        return apply(_reshape, (x,), {"shape": x.shape})  # a new view, as in PyTorch
    return apply(_permute, (x,), {"axes": axes})


def transpose(x, dim0: int = -2, dim1: int = -1):
    """Swap two dimensions (the last two by default).

    >>> import autograd as ag
    >>> ag.transpose(ag.zeros(2, 3, 4), 0, 2).shape
    (4, 3, 2)
    """
    x = as_tensor(x)
    a, b = dim_arg(dim0, x.ndim, "transpose"), dim_arg(dim1, x.ndim, "transpose")
    if x.ndim < 2:
        return apply(_reshape, (x,), {"shape": x.shape})  # a new view, as in PyTorch
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return permute(x, tuple(axes))



# --------------------------------------------------------------------------- broadcast
def _broadcast_fwd(x, shape):
    try:
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}; each "
                         f"dimension must be equal or 1 (aligned from the right)") from None


# The vjp returns g unreduced: the engine's central sum_to undoes the broadcast.
_broadcast = defop("broadcast_to", _broadcast_fwd,
                   (lambda F, g, out, x, shape: g,), linear=True,
                   doc="repeat size-1 dimensions (a read-only view); gradient summed back")


def broadcast_to(x, *shape):
    """``x`` broadcast to ``shape`` like NumPy.

    >>> import autograd as ag
    >>> ag.broadcast_to(ag.tensor([1., 2.]), (2, 2)).tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """
    x = as_tensor(x)
    shape = _shape_arg(shape, "broadcast_to")
    if shape == x.shape:
        # a new, writable view (np.broadcast_to's would be read-only), as in PyTorch
        return apply(_reshape, (x,), {"shape": shape})
    return apply(_broadcast, (x,), {"shape": shape})


def expand(x, *sizes):
    """PyTorch's expand: broadcast_to where -1 keeps a dimension.

    >>> import autograd as ag
    >>> ag.expand(ag.tensor([[1.], [2.]]), -1, 3).tolist()
    [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    x = as_tensor(x)
    sizes = _shape_arg(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                         f"number of dimensions ({x.ndim})")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    if any(s < 0 for s in shape) or any(a != b and a != 1 for a, b in zip(x.shape, shape[lead:])):
        raise ShapeError(f"expand: the expanded size {shape} must match the existing size "
                         f"{x.shape} at each non-singleton dimension (and -1 is only allowed "
                         f"for an existing dimension)")
    return broadcast_to(x, shape)


def _broadcast_np(x, shape):
    """F.broadcast_to on arrays. np.broadcast_to is Python-level (~5 us); for small
    results a C-level fill of a fresh array is cheaper, and the engine may then
    accumulate into it in place."""
    if math.prod(shape) <= 65536:  # (math.prod: np.prod costs ~2 us here)
        out = np.empty(shape, dtype=x.dtype)
        out[...] = x
        return out
    return np.broadcast_to(x, shape)


# --------------------------------------------------------------------------- cat, stack, split
def _cat_fwd(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _cat_vjp(i, F, g, out, *xs, axis=0):
    start = int(np.sum([x.shape[axis] for x in xs[:i]], dtype=np.int64))
    idx = (slice(None),) * axis + (slice(start, start + xs[i].shape[axis]),)
    return F.getitem(g, idx)


_cat = defop("cat", _cat_fwd, Variadic(_cat_vjp), linear=True,
             doc="join along an existing axis; gradient is the matching slice")


def cat(tensors: Sequence, axis: int = 0, *, dim=None):
    """Concatenate along an existing dimension.

    >>> import autograd as ag
    >>> a, b = ag.ones(1, 2), ag.zeros(1, 2)
    >>> ag.cat([a, b], dim=0).tolist()
    [[1.0, 1.0], [0.0, 0.0]]
    """
    ts = _tensor_list(tensors, "cat")
    if not ts:
        raise InvalidArgumentError("cat: expected a non-empty list of tensors")
    a = dim if dim is not None else axis
    # PyTorch's legacy rule: a 1-D empty tensor fits any shape (it only takes part in the
    # dtype); it is reshaped to an empty slab of the others' shape, so it keeps its gradient
    empty = [t.ndim == 1 and t.shape[0] == 0 for t in ts]
    r = empty.index(False) if False in empty else 0
    nd = ts[r].ndim
    zero_d = [i for i, t in enumerate(ts) if t.ndim == 0]  # (PyTorch: before the dim)
    if zero_d:
        raise InvalidArgumentError(f"cat: zero-dimensional tensor (at position {zero_d[0]}) "
                                   f"cannot be concatenated; use stack, or reshape it to (1,)")
    ax = dim_arg(a, nd, "cat")
    slab = ts[r].shape[:ax] + (0,) + ts[r].shape[ax + 1:]
    ts = [t.reshape(slab) if e else t for t, e in zip(ts, empty)]
    for k, t in enumerate(ts):
        if t.ndim != nd or t.shape[:ax] + t.shape[ax + 1:] != slab[:ax] + slab[ax + 1:]:
            raise ShapeError(f"cat: tensor {k} has shape {t.shape} but tensor {r} has shape "
                             f"{ts[r].shape}; all dimensions except {ax} must match")
    ts = _common_dtype(ts)
    if len(ts) == 1:
        return clone(ts[0])  # cat always returns a new tensor, as in PyTorch
    return apply(_cat, tuple(ts), {"axis": ax})



def _common_dtype(ts: list) -> list:
    """PyTorch's promotion for cat/stack: floating tensors decide over integer/bool ones
    (cat([float32, int64]) is float32; NumPy's result_type says float64)."""
    floats = [t.dtype for t in ts if t.dtype.kind == "f"]
    dt = np.result_type(*floats) if floats else np.result_type(*[t.dtype for t in ts])
    return [t if t.dtype == dt else t.to(dt) for t in ts]


def _tensor_list(tensors, op: str) -> list:
    """cat/stack's sequence of tensors, refusing a tensor or a non-sequence (TypeError)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    return [as_tensor(t) for t in tensors]


def stack(tensors: Sequence, axis: int = 0, *, dim=None):
    """Join along a new dimension (unsqueeze each, then cat).

    >>> import autograd as ag
    >>> ag.stack([ag.tensor([1, 2]), ag.tensor([3, 4])], dim=1).tolist()
    [[1, 3], [2, 4]]
    """
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise InvalidArgumentError("stack: expected a non-empty list of tensors")
    dim_arg(dim if dim is not None else axis, ts[0].ndim + 1, "stack")  # PyTorch: dim first
    for k, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(f"stack: tensor {k} has shape {t.shape} but tensor 0 has shape "
                             f"{ts[0].shape}; stack needs equal shapes")
    a = dim if dim is not None else axis
    nd = ts[0].ndim + 1
    a = dim_arg(a, nd, "stack")
    us = [unsqueeze(t, a) for t in _common_dtype(ts)]
    if len(us) == 1:
        return us[0]
    return apply(_cat, tuple(us), {"axis": a})


def split(x, split_size_or_sections, dim: int = 0) -> Tuple[Tensor, ...]:
    """Split into chunks of ``split_size`` (int) or of the given sizes (list), like PyTorch.

    >>> import autograd as ag
    >>> [s.tolist() for s in ag.split(ag.arange(5), [2, 3])]
    [[0, 1], [2, 3, 4]]
    """
    x = as_tensor(x)
    if x.ndim == 0:
        raise InvalidArgumentError("split: expects at least a 1-dimensional tensor")
    if isinstance(split_size_or_sections, (int, np.integer)) and split_size_or_sections < 0:
        raise InvalidArgumentError(f"split: split_size must be non-negative, got "
                                   f"{split_size_or_sections}")  # (PyTorch checks it first)
    ax = dim_arg(dim, x.ndim, "split")
    n = x.shape[ax]
    if isinstance(split_size_or_sections, Tensor) and split_size_or_sections.ndim == 0:
        split_size_or_sections = int_arg(split_size_or_sections, "split_size", "split")
    if isinstance(split_size_or_sections, (bool, float, str)) or split_size_or_sections is None \
            or not (isinstance(split_size_or_sections, (int, np.integer, list, tuple))):
        raise TypeError(f"split: split_size_or_sections must be an int or a list of ints, got "
                        f"{type(split_size_or_sections).__name__} {split_size_or_sections!r}")
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s <= 0:
            raise InvalidArgumentError(f"split: split_size must be positive, got {s}")
        sizes = [min(s, n - i) for i in range(0, n, s)] or [0]  # an empty dim: one piece
    else:
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   for v in split_size_or_sections):
            raise TypeError(f"split: split sizes must be ints, got {split_size_or_sections!r}")
        sizes = [int(v) for v in split_size_or_sections]
        if any(v < 0 for v in sizes):
            raise InvalidArgumentError(f"split: split_sizes must be non-negative, got {sizes}")
        if np.sum(sizes) != n:
            raise InvalidArgumentError(f"split: sizes {sizes} sum to {np.sum(sizes)}, but dimension "
                             f"{ax} has size {n}")
    out = []
    start = 0
    for s in sizes:
        out.append(x[(slice(None),) * ax + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0) -> Tuple[Tensor, ...]:
    """Split into ``chunks`` nearly equal pieces.

    >>> import autograd as ag
    >>> [c.tolist() for c in ag.chunk(ag.arange(5), 2)]
    [[0, 1, 2], [3, 4]]
    """
    x = as_tensor(input)
    if x.ndim == 0:
        raise InvalidArgumentError("chunk: expects at least a 1-dimensional tensor")
    chunks = int_arg(chunks, "chunks", "chunk")
    if chunks <= 0:
        raise InvalidArgumentError(f"chunk: expects chunks to be greater than 0, got {chunks}")
    n = x.shape[dim_arg(dim, x.ndim, "chunk")]
    if n == 0:
        if chunks > 2 ** 24:  # (PyTorch: std::bad_alloc; here it would build them for hours)
            raise OutOfMemoryError(f"chunk: cannot return {chunks:,} empty tensors (chunks of "
                                   f"an empty dimension); use fewer chunks")
        return tuple(split(x, 1, dim)[0] for _ in range(chunks))  # PyTorch: chunks empties
    return split(x, max(1, -(-n // chunks)), dim)


def unbind(input, dim: int = 0) -> Tuple[Tensor, ...]:
    """Remove a dimension, returning the slices along it.

    >>> import autograd as ag
    >>> [t.tolist() for t in ag.unbind(ag.tensor([[1, 2], [3, 4]]), dim=1)]
    [[1, 3], [2, 4]]
    """
    x = as_tensor(input)
    if x.ndim == 0:
        raise IndexError(f"unbind: dimension specified as {dim} but the tensor has no dimensions")
    ax = dim_arg(dim, x.ndim, "unbind")
    return tuple(x[(slice(None),) * ax + (i,)] for i in range(x.shape[ax]))


# --------------------------------------------------------------------------- pad
def _pad_fwd(x, pad_width, value=0.0):
    # a filled array with the input copied into its interior (np.pad is Python-level)
    out = np.full(tuple(n + b + a for n, (b, a) in zip(x.shape, pad_width)), value, dtype=x.dtype)
    out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, pad_width))] = x
    return out


def _pad_vjp(F, g, out, x, pad_width, value=0.0):
    idx = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape))
    return F.getitem(g, idx)


_pad = defop("pad", _pad_fwd, (_pad_vjp,), linear=True,
             doc="constant padding (NumPy pad_width form); gradient is the interior slice")


def pad(x, pad: Sequence[int], mode: str = "constant", value: float = 0.0):
    """PyTorch's ``F.pad``: ``pad = (left_last, right_last, left_2nd_last, ...)``.

    >>> import autograd as ag
    >>> ag.pad(ag.tensor([[1., 2.]]), (1, 2)).tolist()
    [[0.0, 1.0, 2.0, 0.0, 0.0]]
    """
    x = as_tensor(x)
    if not isinstance(pad, (tuple, list)) or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {type(pad).__name__} {pad!r}")
    if mode != "constant":
        raise InvalidArgumentError(f"pad: only mode='constant' is supported, got {mode!r}")
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise InvalidArgumentError(f"pad: padding length {len(pad)} must be even and at most 2 * ndim "
                         f"({2 * x.ndim}) for a tensor of shape {x.shape}")
    if any(p < 0 for p in pad):
        raise InvalidArgumentError("pad: negative padding is not supported; slice the tensor instead")
    width = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        width[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if all(w == (0, 0) for w in width):
        return clone(x)  # a new tensor, as in PyTorch (an in-place change must not reach x)
    return apply(_pad, (x,), {"pad_width": tuple(width), "value": value})


def flip(x, dims):
    """Reverse the order of elements along ``dims`` (a composite of indexing).

    >>> import autograd as ag
    >>> ag.flip(ag.tensor([1, 2, 3]), dims=(0,)).tolist()
    [3, 2, 1]
    """
    x = as_tensor(x)
    if dims is None:
        raise TypeError("flip: dims must be an int or a tuple of ints, got None")
    axes = norm_axis(dims, x.ndim, "flip")
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


# --------------------------------------------------------------------------- PyTorch's shape methods
# Composites of the primitives above (transpose, getitem, reshape, broadcast_to), so they
# inherit gradients and double gradients; PyTorch's names and argument forms.
def t(x) -> Tensor:
    """Transpose of a tensor with <= 2 dimensions (PyTorch's ``t()``)."""
    if x.ndim > 2:
        raise RuntimeError(f"t(): expects a tensor with <= 2 dimensions, but this one has "
                           f"shape {x.shape}; use transpose(dim0, dim1) or .mT")
    return x if x.ndim < 2 else transpose(x, 0, 1)


def narrow(x, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of dimension ``dim`` from ``start`` (a view, like PyTorch)."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise InvalidArgumentError("narrow: cannot be applied to a 0-dim tensor")
    d = dim_arg(dim, x.ndim, "narrow")
    start, length = int_arg(start, "start", "narrow"), int_arg(length, "length", "narrow")
    n = x.shape[d]
    if length < 0:
        raise InvalidArgumentError(f"narrow: length must be non-negative, got {length}")
    st = start + n if start < 0 else start
    if 0 <= st <= n and st + length > n:  # PyTorch: a RuntimeError, start out of range an IndexError
        raise InvalidArgumentError(f"narrow: start ({start}) + length ({length}) exceeds "
                                   f"dimension size ({n}) (tensor shape {x.shape})")
    if not 0 <= st <= n:
        raise IndexError(f"narrow: start {start} and length {length} are out of range for "
                         f"dimension {dim} of size {n} (tensor shape {x.shape})")
    return x[(slice(None),) * d + (slice(st, st + length),)]


def movedim(x, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``."""
    def dims(v, name):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return (v,)
        if isinstance(v, (tuple, list)):
            return tuple(v)
        raise TypeError(f"movedim: {name} must be an int or a tuple of ints, got "
                        f"{type(v).__name__} {v!r}"[:200])

    src, dst = dims(source, "source"), dims(destination, "destination")
    if len(src) != len(dst):
        raise InvalidArgumentError(f"movedim: source {source} and destination {destination} must "
                         f"have the same number of dimensions")
    n = x.ndim
    src = tuple(dim_arg(a, n, "movedim") for a in src)
    dst = tuple(dim_arg(a, n, "movedim") for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise InvalidArgumentError(f"movedim: repeated dimension in source {source} or "
                         f"destination {destination}")
    order = [None] * n
    for s_, d_ in zip(src, dst):
        order[d_] = s_
    rest = iter(a for a in range(n) if a not in src)
    order = [next(rest) if o is None else o for o in order]
    return permute(x, tuple(order))


def repeat(x, *sizes) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's ``repeat``; new
    leading dimensions when ``len(sizes) > ndim``)."""
    x = as_tensor(x)
    sizes = size_arg(sizes, "repeat", check_negative=False)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: number of repeat dimensions ({len(sizes)}) can not "
                           f"be smaller than the number of dimensions of the tensor "
                           f"({x.ndim}, shape {x.shape})")
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    inter = tuple(v for s_ in shape for v in (1, s_))  # (1, s0, 1, s1, ...)
    big = tuple(v for r, s_ in zip(sizes, shape) for v in (r, s_))
    out = broadcast_to(reshape(x, inter), big)
    try:
        return reshape(out, tuple(r * s_ for r, s_ in zip(sizes, shape)))
    except MemoryError as e:  # (the reshape copies the broadcast view)
        raise OutOfMemoryError(f"repeat: {e}") from None


def tile(x, *dims) -> Tensor:
    """``repeat`` with missing leading repeats taken as 1 (PyTorch's ``tile``)."""
    x = as_tensor(x)
    dims = size_arg(dims, "tile", check_negative=False)
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(f"tile: repeats must be non-negative, got {dims}")
    try:
        return repeat(x, *((1,) * (x.ndim - len(dims)) + tuple(dims)))
    except OutOfMemoryError as e:
        raise OutOfMemoryError("tile: " + str(e)[len("repeat: "):]) from None


# --------------------------------------------------------------------------- the surface
public(reshape, method=("reshape", "view"), aliases=("view",))
public(permute, method=True)
public(broadcast_to, method=True)
public(cat, aliases=("concatenate",))
public(pad, method=True)
for _f in (flatten, squeeze, expand, split, chunk, unbind, flip):
    composite(_f.__name__, method=True)(_f)
composite("unsqueeze", method=True, aliases=("expand_dims",))(unsqueeze)
composite("transpose", method=("transpose", "swapaxes"), aliases=("swapaxes",))(transpose)
composite("stack")(stack)
for _f in (t, narrow, movedim, repeat, tile):  # methods only, as in PyTorch
    method(_f.__name__, _f)
method("expand_as", lambda self, other: broadcast_to(self, other.shape))
method("view_as", lambda self, other: reshape(self, other.shape))
method("reshape_as", lambda self, other: reshape(self, other.shape))

backend("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: reshape(x, shape))
backend("permute", lambda x, axes: x.transpose(axes), lambda x, axes: permute(x, axes))
backend("swapaxes", lambda x, a, b: x.swapaxes(a, b), lambda x, a, b: transpose(x, a, b))
backend("broadcast_to", _broadcast_np, lambda x, shape: broadcast_to(x, shape))
backend("expand_dims", np.expand_dims, lambda x, axis: unsqueeze(x, axis))
backend("pad", _pad_fwd, lambda x, pad_width, value=0.0: apply(
    _pad, (x,), {"pad_width": tuple(map(tuple, pad_width)), "value": value}))
backend("concatenate", lambda xs, axis: np.concatenate(xs, axis=axis),
        lambda xs, axis: cat(list(xs), axis))
