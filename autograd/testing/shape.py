"""Samples of the shape and indexing ops (reshape, permute, cat, pad, getitem,
index_add, setitem, gather, index_select)."""
from __future__ import annotations


import numpy as np

import autograd as ag
from autograd.ops.index import normalize_index, take_np
from ._base import (U, fortran, strided, _tidx, samples, S)

# --------------------------------------------------------------------------- shape
@samples("reshape", ref=lambda t, x, shape: t.reshape(x, shape))
def _reshape(name, r):
    return [
        S(U(r, (2, 3)), attrs={"shape": (3, 2)}, desc="(2,3)->(3,2)"),
        S(U(r, (2, 3)), attrs={"shape": (6,)}, desc="flatten"),
        S(U(r, (2, 3)), attrs={"shape": (-1, 2)}, desc="-1"),
        S(U(r, ()), attrs={"shape": (1, 1)}, desc="0-d -> (1,1)"),
        S(U(r, (1, 1)), attrs={"shape": ()}, desc="(1,1) -> 0-d"),
        S(U(r, (4,)), attrs={"shape": (2, 1, 2)}, desc="size-1 dim"),
        S(fortran(U(r, (3, 4))), attrs={"shape": (2, 6)}, desc="fortran (element order!)"),
        S(strided(U(r, (2, 4))), attrs={"shape": (8,)}, desc="strided"),
    ]


@samples("permute", ref=lambda t, x, axes: t.permute(x, axes))
def _permute(name, r):
    return [
        S(U(r, (2, 3)), attrs={"axes": (1, 0)}, desc="2-d"),
        S(U(r, (2, 3, 4)), attrs={"axes": (2, 0, 1)}, desc="3-d"),
        S(U(r, (2, 1, 3)), attrs={"axes": (1, 2, 0)}, desc="size-1 dim"),
        S(fortran(U(r, (3, 4))), attrs={"axes": (1, 0)}, desc="fortran"),
        S(U(r, ()), attrs={"axes": ()}, desc="0-d"),
    ]


@samples("broadcast_to", ref=lambda t, x, shape: t.broadcast_to(x, shape))
def _broadcast(name, r):
    return [
        S(U(r, ()), attrs={"shape": (2, 3)}, desc="0-d"),
        S(U(r, (3,)), attrs={"shape": (2, 3)}, desc="leading"),
        S(U(r, (3, 1)), attrs={"shape": (3, 4)}, desc="size-1"),
        S(U(r, (2, 1, 3)), attrs={"shape": (4, 2, 2, 3)}, desc="both"),
        S(U(r, (1,)), attrs={"shape": (1,)}, desc="no-op shape"),
        S(strided(U(r, (1, 3))), attrs={"shape": (2, 3)}, desc="strided"),
    ]


@samples("cat", ref=lambda t, *xs, axis: t.cat(xs, dim=axis))
def _cat(name, r):
    return [
        S(U(r, (2, 3)), U(r, (1, 3)), attrs={"axis": 0}, desc="axis 0"),
        S(U(r, (2, 3)), U(r, (2, 1)), U(r, (2, 2)), attrs={"axis": 1}, desc="3 inputs axis 1"),
        S(U(r, (1,)), U(r, (3,)), attrs={"axis": 0}, desc="1-d"),
        S(U(r, (2, 1, 2)), U(r, (2, 2, 2)), attrs={"axis": 1}, desc="3-d middle"),
        S(fortran(U(r, (3, 2))), strided(U(r, (3, 2))), attrs={"axis": 1}, desc="noncontig"),
        S(U(r, (2, 3)), np.array([[1, 2, 3]]), call=lambda fn, a, b: ag.cat([a, b]),
          ref=lambda t, a, b: t.cat([a, b]), desc="public: float and int64"),
    ]


def _pad_ref(t, x, pad_width, value):
    flat = []
    for b, a in reversed(pad_width):
        flat += [b, a]
    return t.nn.functional.pad(x, flat, value=value)


def _pw(nd, pads):
    """PyTorch-style pad list -> the NumPy pad_width the wrapper passes."""
    w = [(0, 0)] * nd
    for k in range(len(pads) // 2):
        w[nd - 1 - k] = (pads[2 * k], pads[2 * k + 1])
    return tuple(w)


@samples("pad", ref=_pad_ref)
def _pad(name, r):
    return [
        S(U(r, (2, 3)), attrs={"pad_width": _pw(2, (1, 2)), "value": 0.0}, desc="last dim"),
        S(U(r, (2, 3)), attrs={"pad_width": _pw(2, (1, 0, 0, 2)), "value": 1.5}, desc="2 dims"),
        S(U(r, (3,)), attrs={"pad_width": _pw(1, (0, 1)), "value": -1.0}, desc="1-d"),
        S(U(r, (1, 2, 2, 2)), attrs={"pad_width": _pw(4, (1, 1, 1, 1)), "value": 0.0},
          desc="NCHW"),
        S(fortran(U(r, (3, 2))), attrs={"pad_width": _pw(2, (1, 1, 1, 0)), "value": 0.0},
          desc="fortran"),
    ]


# --------------------------------------------------------------------------- indexing
def _getitem_ref(t, x, index):
    return x[_tidx(t, index, x.shape)]


def _idx(index, shape):
    return {"index": normalize_index(index, shape)}


GETITEM_CASES = [
    ((4,), 1, "int"),
    ((4,), -1, "negative int"),
    ((3, 4), (slice(None), slice(1, 3)), "slice"),
    ((3, 4), (slice(None, None, -1), 0), "reverse slice + int"),
    ((3, 4), (Ellipsis, None, slice(0, 4, 2)), "ellipsis, None, step"),
    ((4,), np.array([0, 2, 0, 0, 3]), "repeated int array"),
    ((3, 4), (np.array([2, 0, 2]), np.array([1, 1, 1])), "repeated pairs"),
    ((3, 4), (slice(None), np.array([3, 3, 0])), "slice + repeated array"),
    ((3, 4), np.array([[True, False, True, False], [False] * 4, [True, True, False, False]]),
     "2-d bool mask"),
    ((3, 4), (np.array([True, False, True]),), "row mask"),
    ((2, 3, 2), (slice(None), np.array([False, True, True])), "mask on dim 1"),
    ((2, 3), np.array([[0, 1], [1, 1]]), "2-d int array (repeats)"),
    ((), (), "0-d, empty index"),
    ((), None, "0-d, None"),
    ((1, 3), (0, slice(None)), "size-1 dim"),
    ((2, 3, 4), (np.array([0, 1, 1]), slice(None), np.array([1, 3, 1])),
     "arrays split by a slice (advanced dims first)"),
    ((2, 3), (Ellipsis, np.array([0, 0, 2])), "ellipsis + repeated array"),
    ((3, 4), (np.array([[0], [2]]), np.array([0, 2, 2])), "broadcast index arrays"),
    ((3, 4), (None, np.array([1, 1]), slice(1, None)), "None + repeated array"),
    # ints select first, then arrays index what is left (PyTorch; NumPy would move the
    # array dimension to the front here)
    ((2, 3, 4), (0, slice(1, None), np.array([0, 0, 3])), "int, slice, repeated array"),
    ((2, 3, 4), (np.array([1, 0]), slice(None), -1), "array, slice, int"),
    ((3,), np.array([-1, 2, -3, 0]), "negative indices repeat positive ones"),
]


@samples("getitem", ref=_getitem_ref)
def _getitem(name, r):
    out = [S(U(r, shape), attrs=_idx(index, shape), desc=d) for shape, index, d in GETITEM_CASES]
    out.append(S(fortran(U(r, (3, 4))), attrs=_idx((np.array([0, 2, 2]), slice(1, 3)), (3, 4)),
                 desc="fortran, repeats"))
    out.append(S(strided(U(r, (2, 4))), attrs=_idx((slice(None), np.array([1, 1])), (2, 4)),
                 desc="strided"))
    return out


def _index_add_ref(t, g, index, shape):
    """zeros(shape) with g scattered at index, repeated positions accumulated: NumPy
    computes the flat positions the index addresses, torch's index_put(accumulate=True)
    does the scatter."""
    n = int(np.prod(shape, dtype=np.int64))
    positions = t.arange(n).reshape(shape)[_tidx(t, index, shape)]  # torch's index semantics
    z = t.zeros(n, dtype=g.dtype)
    z = z.index_put((positions.reshape(-1),), g.reshape(-1), accumulate=True)
    return z.reshape(shape)


@samples("index_add", ref=_index_add_ref)
def _index_add(name, r):
    out = []
    for shape, index, d in GETITEM_CASES:
        ix = normalize_index(index, shape)
        gshape = take_np(np.zeros(shape), ix).shape  # getitem's output shape (checked there)
        out.append(S(U(r, gshape), attrs={"index": ix, "shape": shape}, desc=d))
    ix = normalize_index((np.array([0, 2, 2]), slice(1, 3)), (3, 4))
    out.append(S(fortran(U(r, (3, 2))), attrs={"index": ix, "shape": (3, 4)},
                 desc="fortran g, repeats"))
    return out


def _setitem_ref(t, x, v, index):
    y = x.clone()
    y[_tidx(t, index, x.shape)] = v
    return y


def _setitem_last_ref(index, shape):
    """torch reference for x[index] = v with repeated indices, "the last write wins":
    the value broadcast to the indexed slots, duplicates dropped except the last, then
    assigned at unique flat positions (well defined in torch)."""
    n = int(np.prod(shape, dtype=np.int64))
    positions = np.arange(n).reshape(shape)[index]
    flat = np.array(positions).reshape(-1)
    last = {int(p): k for k, p in enumerate(flat)}
    keep = np.array(sorted(last.values()))

    def ref(t, x, v):
        slots = t.broadcast_to(v, positions.shape).reshape(-1)
        y = x.clone().reshape(-1)
        y[t.as_tensor(flat[keep])] = slots[t.as_tensor(keep)]
        return y.reshape(shape)
    return ref


@samples("setitem", ref=_setitem_ref)
def _setitem(name, r):
    def case(shape, index, vshape, d, last=False, **kw):
        ix = normalize_index(index, shape)
        if last:
            kw["ref"] = _setitem_last_ref(ix, shape)
        return S(U(r, shape), U(r, vshape), attrs={"index": ix}, desc=d, **kw)

    return [
        case((4,), 1, (), "int, 0-d value"),
        case((3, 4), (slice(None), slice(1, 3)), (3, 2), "slice"),
        case((3, 4), (slice(None), slice(1, 3)), (2,), "slice, broadcast value"),
        case((3, 4), (np.array([2, 0]), np.array([1, 3])), (2,), "int arrays"),
        case((3, 4), np.array([[True, False, True, False], [False] * 4,
                               [True, True, False, False]]), (), "bool mask, scalar value"),
        case((2, 3), (slice(None), np.array([False, True, True])), (2, 2), "mask on dim 1"),
        case((), (), (), "0-d"),
        S(fortran(U(r, (3, 4))), U(r, (3,)), attrs=_idx((slice(None), 2), (3, 4)),
          desc="fortran"),
        # repeated indices: the last written value wins, and only it gets a gradient
        # (torch leaves duplicates undefined, so its reference assigns deduplicated)
        case((4,), np.array([0, 2, 0]), (3,), "repeated, last wins", last=True),
        case((2, 3, 4), (1, slice(None), np.array([3, 0])), (3, 2), "int, slice, array"),
        case((3,), np.array([-1, 2, 0]), (3,), "negative index repeats a positive one",
             last=True),
        case((3, 4), (np.array([2, 0, 2]), np.array([1, 1, 1])), (), "repeated, scalar value",
             last=True),
        case((3, 4), (slice(None), np.array([3, 3, 0])), (3, 3), "slice + repeated",
             last=True),
    ]



def _dim_call(fn, x, i, dim):
    return fn(x, dim, i)


@samples("gather", ref=lambda t, x, i, dim: t.gather(x, dim, i))
def _gather(name, r):
    def g(xshape, ishape, dim, desc, make=U, **kw):
        d = dim % max(len(xshape), 1)
        n = (xshape or (1,))[d]
        return S(make(r, xshape), r.integers(0, n, size=ishape), attrs={"dim": dim},
                 call=_dim_call, desc=desc, **kw)

    return [
        g((3, 4), (3, 4), 1, "same shape, dim 1"),
        g((3, 4), (2, 6), 1, "more columns than x (repeats), fewer rows"),
        g((3, 4), (5, 2), 0, "dim 0, repeats"),
        g((2, 3, 4), (2, 2, 4), -2, "negative dim"),
        g((2, 3, 4), (1, 3, 2), -1, "last dim, smaller index"),
        g((), (), 0, "0-d"),
        g((4,), (6,), -1, "1-d, repeats"),
        g((3, 4), (3, 0), 1, "empty index"),
        g((3, 4), (3, 4), 1, "non-contiguous input", make=lambda r, s: fortran(U(r, s))),
        S(U(r, (2, 3)), np.array([[0, 0, 0], [2, 2, 1]]), attrs={"dim": 1}, call=_dim_call,
          desc="explicit repeats accumulate"),
        S(U(r, (2, 3)), np.array([[1, 0], [2, 2]], dtype=np.int32), attrs={"dim": 1},
          call=_dim_call, desc="int32 index"),
        S(U(r, (3, 4)), np.array([[3, 0, 0]]),
          call=lambda fn, x, i: x.gather(-1, i), ref=lambda t, x, i: x.gather(-1, i),
          desc="public: x.gather(-1, index)"),
    ]


@samples("index_select", ref=lambda t, x, i, dim: t.index_select(x, dim, i))
def _index_select(name, r):
    def s(xshape, idx, dim, desc, make=U):
        return S(make(r, xshape), np.asarray(idx, dtype=np.int64), attrs={"dim": dim},
                 call=_dim_call, desc=desc)

    return [
        s((3, 4), [2, 0, 2], 0, "dim 0, repeats"),
        s((3, 4), [3, 3, 1, 0, 3], -1, "negative dim, repeats"),
        s((2, 3, 4), [1], 1, "middle dim, one index"),
        s((2, 3, 4), 2, -1, "0-d index keeps the dim (size 1)"),
        s((), [0], 0, "0-d input"),
        s((3, 4), [], 1, "empty index"),
        s((3, 4), [1, 1, 0], 1, "non-contiguous input", make=lambda r, sh: strided(U(r, sh))),
        S(U(r, (3, 4)), np.array([0, 2, 2]), call=lambda fn, x, i: x.index_select(0, i),
          ref=lambda t, x, i: x.index_select(0, i), desc="public: x.index_select(0, index)"),
        S(U(r, (3, 4)), np.array([1, 1], dtype=np.int32), call=lambda fn, x, i: fn(x, 1, i),
          ref=lambda t, x, i: t.index_select(x, 1, i), desc="int32 index"),
    ]
