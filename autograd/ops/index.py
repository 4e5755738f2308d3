"""Indexing: ``getitem`` and its adjoint ``index_add`` (scatter-add into zeros), which
are each other's vjp, so indexing is differentiable to any order; ``setitem`` for
``t[idx] = v``.

Indices are normalised once: Tensors become arrays, boolean masks become the integer
arrays of their True positions (so repeated and masked indices share one code path),
lists become integer arrays. Repeated integer indices accumulate (``np.add.at``).
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import operator

import numpy as np

from ..errors import DtypeError, ShapeError
from ..registry import apply, backend, composite, defop, method, public
from ..tensor import Tensor, as_tensor
from ._util import norm_axis
from .shape import reshape


def _is_basic(index: tuple) -> bool:
    return all(isinstance(i, (slice, int, type(None), type(Ellipsis))) for i in index)


def normalize_index(index: Any, shape: Tuple[int, ...], sources: Optional[dict] = None) -> tuple:
    """A canonical tuple index: ints, slices, None, Ellipsis and int64 arrays only.

    ``sources``: when given, filled with ``{position in the result: id of the array}``
    for each integer array that came from an ndarray or a Tensor (the id of its NumPy
    buffer), so that ONNX export can tell an index array read from a model input
    (normalising copies it)."""
    if type(index) is list and len(index) < 32 and any(
            isinstance(i, (list, tuple, Tensor, np.ndarray, slice, range)) or i is None
            or i is Ellipsis for i in index):
        index = tuple(index)  # PyTorch (and old NumPy): x[[[0, 1], [1, 2]]] is x[[0, 1], [1, 2]]
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    dim = 0  # the input dimension the next index entry addresses (before an Ellipsis)
    for k, i in enumerate(index):
        if isinstance(i, Tensor):
            i = i._arr
        elif isinstance(i, range):  # x[range(3)] is x[[0, 1, 2]], as in PyTorch
            i = np.arange(i.start, i.stop, i.step, dtype=np.int64)
        if isinstance(i, (list, np.ndarray)) or (isinstance(i, np.generic) and i.dtype == np.bool_):
            try:
                arr = np.asarray(i)
            except ValueError:
                raise IndexError(f"getitem: a list index must be rectangular (a ragged list "
                                 f"cannot index), got {i!r}"[:200]) from None
            if arr.dtype == np.bool_:
                if dim + arr.ndim > len(shape) or shape[dim:dim + arr.ndim] != arr.shape and arr.ndim:
                    raise IndexError(
                        f"getitem: boolean mask of shape {arr.shape} does not match the "
                        f"indexed dimensions {shape[dim:dim + arr.ndim]} of a tensor of shape "
                        f"{shape}")
                out.extend(np.nonzero(arr) if arr.ndim else [arr])
                dim += arr.ndim
                continue
            if (arr.size or not isinstance(i, list)) and arr.dtype.kind not in "iu":
                raise IndexError(f"getitem: index arrays must be integers or bools, got {arr.dtype}")
            if sources is not None and type(i) is np.ndarray:
                sources[len(out)] = id(i)
            arr = arr.astype(np.int64)
            if dim < len(shape) and arr.size:
                n = shape[dim]
                if arr.max() >= n or arr.min() < -n:
                    bad = arr[(arr >= n) | (arr < -n)][0]
                    raise IndexError(f"getitem: index {bad} is out of bounds for dimension "
                                     f"{dim} with size {n} (tensor shape {shape})")
            out.append(arr)
            dim += 1
        elif isinstance(i, bool):
            # PyTorch and NumPy: x[True] adds a dimension of size 1, x[False] one of size 0
            out.append(np.array(i))
        elif isinstance(i, (int, np.integer)):
            if dim >= len(shape):
                raise IndexError(f"getitem: too many indices for a tensor of shape {shape}")
            n = shape[dim]
            if not -n <= int(i) < n:
                raise IndexError(f"getitem: index {int(i)} is out of bounds for dimension "
                                 f"{dim} with size {n} (tensor shape {shape})")
            out.append(int(i))
            dim += 1
        elif isinstance(i, slice):
            if not all(v is None or type(v) is int for v in (i.start, i.stop, i.step)):
                # tensor / NumPy bounds (x[:n] with n a 0-d tensor): plain ints
                i = slice(*(None if v is None else operator.index(v)
                            for v in (i.start, i.stop, i.step)))
            out.append(i)
            dim += 1
        elif i is None:
            out.append(None)
        elif i is Ellipsis:
            out.append(Ellipsis)
            dim = len(shape) - sum(1 for j in index[k + 1:] if j is not None and j is not Ellipsis)
        else:
            raise IndexError(f"getitem: unsupported index of type {type(i).__name__}; use ints, "
                             f"slices, None, ..., integer or bool tensors")
    if dim > len(shape):
        raise IndexError(f"getitem: too many indices ({dim}) for a tensor of shape {shape}")
    return tuple(out)


def _split_ints(index: tuple):
    """PyTorch's order for an index that mixes ints and arrays: the ints select first
    (basic indexing), then the arrays index what is left. NumPy instead counts such
    ints as advanced indices, which moves the result's dimensions: for x of shape
    (2, 3, 4), ``x[0, 1:, [0, 0]]`` is (2, 2) transposed relative to PyTorch's
    (2, 2) (and (1, 2) vs (2, 1) when shapes differ). Returns ``(ints, rest)`` for
    such an index (apply as ``x[ints][rest]``; ``x[ints]`` is a view), else None."""
    has_int = has_arr = False
    for i in index:
        if type(i) is int:
            has_int = True
        elif type(i) is np.ndarray:
            has_arr = True
    if not (has_int and has_arr):
        return None
    ints = tuple(i if type(i) is int or i is Ellipsis else slice(None)
                 for i in index if i is not None and not (type(i) is np.ndarray and i.ndim == 0))
    return ints, tuple(i for i in index if type(i) is not int)


def take_np(x, index):
    """``x[index]`` with PyTorch's placement of the result dimensions."""
    sp = _split_ints(index)
    return x[index] if sp is None else x[sp[0]][sp[1]]


def _target(z, index):
    """The view of ``z`` and the index to write through, in take_np's order."""
    sp = _split_ints(index)
    return (z, index) if sp is None else (z[sp[0]], sp[1])


def _index_add_np(g, index, shape):
    z = np.zeros(shape, dtype=g.dtype)
    t, idx = _target(z, index)
    if _is_basic(idx):
        t[idx] = g
    else:
        np.add.at(t, idx, g)
    return z


def _getitem_fwd(x, index):
    # Basic indexing (ints, slices, None, ...) returns a view of x's buffer, as in
    # PyTorch: ``x[0].mul_(2)`` under no_grad changes x, and ``apply`` links the view
    # so that in-place changes bump the version counters of both. A full integer index
    # gives a 0-d view (``x[1, 2].add_(1)`` changes x too), not a NumPy scalar.
    # Advanced indexing copies (NumPy's and PyTorch's semantics).
    if type(x) is not np.ndarray:
        return x[index]
    if _is_basic(index):
        if len(index) == x.ndim and all(type(i) is int for i in index):
            return x[index + (Ellipsis,)]
        return x[index]
    return take_np(x, index)  # a fresh array (its .base, if any, is NumPy's temporary)


_getitem = defop("getitem", _getitem_fwd,
                 (lambda F, g, out, x, index: F.index_add(g, index, x.shape),), linear=True,
                 doc="x[index]; gradient scattered back with repeated indices summed")
_index_add = defop("index_add", lambda g, index, shape: _index_add_np(g, index, shape),
                   (lambda F, gg, out, g, index, shape: F.getitem(gg, index),), linear=True,
                   doc="zeros(shape) with g added at index (np.add.at); the adjoint of getitem")


def getitem(x, index):
    """``x[index]``: ints, slices, None, ..., integer arrays (repeats allowed), bool masks.

    >>> import autograd as ag
    >>> ag.getitem(ag.tensor([[1, 2], [3, 4]]), (slice(None), 1)).tolist()
    [2, 4]
    """
    x = as_tensor(x)
    src: dict = {}
    idx = normalize_index(index, x.shape, src)
    res = apply(_getitem, (x,), {"index": idx})
    if src and res.grad_fn is not None:
        # which index arrays were the caller's arrays (by identity), for ONNX export:
        # a model input used as an index becomes a Gather input, not a constant
        res.grad_fn.index_src = src
    b = res._base
    if b is not None and (b is x or b is x._base):
        # a basic-indexing view of x: remembered so that an in-place op on it while
        # recording can be written back to x as `x[idx] = new` (ops/inplace.py)
        res._view_src = (x, idx)
    return res


def index_add(g, index, shape):
    """zeros(shape) with ``g`` added at ``index`` (repeated indices accumulate).

    >>> import autograd as ag
    >>> ag.index_add(ag.tensor([1.0, 2.0]), ([0, 0],), (3,)).tolist()
    [3.0, 0.0, 0.0]
    """
    from .._checks import size_arg

    g = as_tensor(g)
    shape = size_arg((shape,), "index_add")
    try:
        index = normalize_index(index, shape)
    except (IndexError, TypeError) as e:
        raise type(e)(f"index_add: {e}") from None
    return apply(_index_add, (g,), {"index": index, "shape": shape})


def _setitem_fwd(x, v, index):
    out = np.array(x, copy=True)
    t, idx = _target(out, index)
    t[idx] = v
    return out


def _setitem_dx(F, g, out, x, v, index):
    keep = np.ones(x.shape, dtype=bool)
    t, idx = _target(keep, index)
    t[idx] = False
    return g * keep


def _setitem_dv(F, g, out, x, v, index):
    gv = F.getitem(g, index)
    if _is_basic(index):
        return gv
    # Repeated integer indices: only the value NumPy actually wrote (the last one) lands
    # in the output, so only that copy of v gets the gradient. Replay the assignment
    # with the positions of v to find the winners.
    shape = tuple(x.shape)
    n = int(np.prod(shape, dtype=np.int64))
    slots = take_np(np.zeros(shape, dtype=np.int64), index).shape
    m = int(np.prod(slots, dtype=np.int64))
    if m == 0:
        return gv
    winner = np.full(n, -1, dtype=np.int64)
    t, idx = _target(winner.reshape(shape), index)
    t[idx] = np.arange(m).reshape(slots)
    won = np.zeros(m, dtype=bool)
    won[winner[winner >= 0]] = True
    if won.all():
        return gv
    return gv * F.const(won.reshape(slots), gv)


_setitem = defop("setitem", _setitem_fwd, (_setitem_dx, _setitem_dv), linear=True,
                 doc="x with x[index] = v; gradient: g outside index to x, g[index] to v "
                     "(with repeated indices only to the copy of v that was written)")


def take(x, indices):
    """Elements of the flattened ``x`` at ``indices``.

    >>> import autograd as ag
    >>> ag.take(ag.tensor([[1, 2], [3, 4]]), ag.tensor([0, 3])).tolist()
    [1, 4]
    """
    x = as_tensor(x)
    idx = _index_array(indices, "take")
    _check_range(np.where(idx < 0, idx + x.numel(), idx), x.numel(), 0, "take", x.shape,
                 "flattened")
    return getitem(reshape(as_tensor(x), (-1,)), indices)


# --------------------------------------------------------------------------- gather, index_select
# Both are composites of getitem with an integer-array index, so their gradients are
# getitem's: index_add (np.add.at), where repeated indices accumulate, and the
# gradient of that is getitem again (any order). No new primitive: NumPy's fancy
# indexing and np.add.at are the same work a dedicated kernel would do.
def _index_array(index, op: str) -> np.ndarray:
    """``index`` (Tensor, list, array) as an int64 array; PyTorch takes int32/int64 only."""
    try:
        arr = np.asarray(index._arr if isinstance(index, Tensor) else index)
    except ValueError:  # a ragged list
        raise TypeError(f"{op}: the index must be an integer tensor or a rectangular list of "
                        f"ints, got {index!r}"[:200]) from None
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and isinstance(index, list)):
        raise DtypeError(f"{op}: expected an int32 or int64 index, got {arr.dtype} "
                         f"(index shape {arr.shape}); convert it with .long()")
    return arr.astype(np.int64, copy=False)


def _check_range(idx: np.ndarray, n: int, dim: int, op: str, x_shape, what: str) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx[(idx < 0) | (idx >= n)][0])
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{n} (input shape {tuple(x_shape)}, {what}); indices must be in "
                         f"[0, {n - 1}] (no negative indices, as in PyTorch)")


def _record_source(out: Tensor, pos: int, index, used: np.ndarray) -> None:
    """getitem's ``index_src`` for gather / index_select: entry ``pos`` of the recorded
    index holds the values of the caller's array ``index`` (same shape), for ONNX export."""
    raw = index._arr if isinstance(index, Tensor) else index
    if out.grad_fn is not None and type(raw) is np.ndarray and raw.shape == used.shape:
        out.grad_fn.index_src = {pos: id(raw)}


def gather(x, dim: int, index):
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` for ``dim=1`` (PyTorch's ``torch.gather``).

    ``index`` is an integer tensor with as many dimensions as ``x`` (a 0-d ``x`` counts
    as 1-d), no larger than ``x`` except along ``dim``; the result has ``index``'s
    shape. Gradient: ``g`` scatter-added into zeros shaped like ``x`` at the gathered
    positions (repeated indices accumulate), i.e. ``torch.scatter_add``.

    >>> import autograd as ag
    >>> ag.gather(ag.tensor([[1, 2], [3, 4]]), 1, ag.tensor([[1], [0]])).tolist()
    [[2], [3]]
    """
    x = as_tensor(x)
    from .._checks import dim_arg

    d = dim_arg(dim, x.ndim, "gather")  # PyTorch checks the dim first
    idx = _index_array(index, "gather")
    xs = x.shape or (1,)
    ii = idx.reshape(idx.shape or (1,))
    if ii.ndim != len(xs):
        raise ShapeError(f"gather: index of shape {idx.shape} must have as many dimensions "
                         f"as the input of shape {x.shape} ({len(xs)} dimensions; a 0-d "
                         f"input counts as 1)")
    if ii.size:
        for k, (a, b) in enumerate(zip(ii.shape, xs)):
            if k != d and a > b:
                        raise ShapeError(f"gather: index of shape {idx.shape} is larger than the input "
                                 f"of shape {x.shape} at dimension {k} (only dimension {d}, "
                                 f"the gathered one, may be larger)")
        _check_range(ii, xs[d], d, "gather", x.shape, f"index shape {idx.shape}")
    grids = [g.astype(np.int64, copy=False) for g in np.ogrid[tuple(slice(0, n) for n in ii.shape)]]
    grids[d] = ii
    src = x if x.ndim else reshape(x, (1,))
    out = apply(_getitem, (src,), {"index": tuple(grids)})
    _record_source(out, d, index, ii)
    return out if idx.ndim == ii.ndim else reshape(out, idx.shape)


def index_select(x, dim: int, index):
    """The slices of ``x`` at positions ``index`` along ``dim`` (PyTorch's
    ``torch.index_select``): ``out`` is ``x`` with dimension ``dim`` replaced by
    ``len(index)``, ``out.select(dim, i) = x.select(dim, index[i])``. ``index`` is a 1-d
    (or 0-d) integer tensor; repeats allowed. Gradient: ``g``'s slices added back at
    ``index`` along ``dim`` into zeros (``index_add``), repeats accumulating.

    >>> import autograd as ag
    >>> ag.index_select(ag.tensor([[1, 2], [3, 4]]), 0, ag.tensor([1, 1])).tolist()
    [[3, 4], [3, 4]]
    """
    from .._checks import dim_arg

    x = as_tensor(x)
    d = dim_arg(dim, x.ndim, "index_select")  # PyTorch's order: dim, index rank, dtype
    if isinstance(index, Tensor) and index.ndim > 1:
        raise IndexError(f"index_select: index must be a vector (0-d or 1-d), got shape "
                         f"{index.shape}")
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be a vector (0-d or 1-d), got shape "
                         f"{idx.shape}")
    idx = idx.reshape(-1)
    if x.ndim == 0:
        if idx.size != 1:
                raise ShapeError(f"index_select: a 0-d input takes exactly one index, got "
                             f"{idx.size} (index shape {idx.shape})")
        _check_range(idx, 1, 0, "index_select", x.shape, "a 0-d input has one element")
        return reshape(apply(_getitem, (reshape(x, (1,)),), {"index": (idx,)}), ())
    _check_range(idx, x.shape[d], d, "index_select", x.shape, f"index shape {idx.shape}")
    out = apply(_getitem, (x,), {"index": (slice(None),) * d + (idx,)})
    _record_source(out, d, index, idx)
    return out


# --------------------------------------------------------------------------- the surface
public(getitem)
public(index_add)
public(take, method=True)
composite("gather", method=True)(gather)
composite("index_select", method=True)(index_select)
method("__getitem__", getitem)

backend("getitem", take_np, lambda x, index: apply(_getitem, (x,), {"index": index}))
# (looked up at call time, so a test can swap the kernel in: tests/test_fuzz.py)
backend("index_add", lambda g, index, shape: _index_add_np(g, index, shape),
        lambda g, index, shape: apply(_index_add, (g,), {"index": index, "shape": tuple(shape)}))
