"""ONNX exporters for indexing, linear algebra, convolution and pooling."""
from __future__ import annotations

from typing import List

import numpy as np

from ..ops.index import _split_ints, take_np
from ._graph import INT64_MAX, INT64_MIN, Ctx
from ._ops import EXPORTERS, _reg

__all__: List[str] = []


# --------------------------------------------------------------------------- indexing
def _expand_ellipsis(index: tuple, nd: int) -> list:
    used = sum(1 for i in index if i is not None and i is not Ellipsis)
    out = []
    for i in index:
        if i is Ellipsis:
            out.extend([slice(None)] * (nd - used))
        else:
            out.append(i)
    consumed = sum(1 for i in out if i is not None)
    return out + [slice(None)] * (nd - consumed)


def _slice_bounds(s: slice):
    step = 1 if s.step is None else int(s.step)
    if step > 0:
        start = 0 if s.start is None else int(s.start)
        stop = INT64_MAX if s.stop is None else int(s.stop)
    else:
        start = INT64_MAX if s.start is None else int(s.start)
        stop = INT64_MIN if s.stop is None else int(s.stop)
    return start, stop, step


def _dummy(shape) -> np.ndarray:
    """A zero-stride array of ``shape``: NumPy computes index result shapes on it."""
    return np.lib.stride_tricks.as_strided(np.zeros(1), tuple(shape), (0,) * len(shape))


def _index_names(c: Ctx, index: list, adv: list, shape: tuple, dyn: dict, stack: bool):
    """The int64 ONNX index tensors of the advanced entries ``adv`` of ``index``,
    broadcast together: constants (negatives wrapped) for arrays computed without the
    inputs, the input itself (``dyn``: id -> (name, dtype)) for one read from an input
    (Gather and GatherND take negative indices). Returns the list of names, or with
    ``stack`` the (..., len(adv)) tensor GatherND reads."""
    if not any(id(index[k]) in dyn for k in adv):
        idx = np.broadcast_arrays(*[np.asarray(index[k], dtype=np.int64) for k in adv])
        idx = [np.where(a < 0, a + shape[k], a) for a, k in zip(idx, adv)]
        if stack:
            return c.b.const(np.stack(idx, axis=-1), hint="index")
        return [c.b.const(a, hint="index") for a in idx]
    names = []
    for k in adv:
        hit = dyn.get(id(index[k]))
        if hit is None:
            a = np.asarray(index[k], dtype=np.int64)
            names.append(c.b.const(np.where(a < 0, a + shape[k], a), hint="index"))
            continue
        names.append(c.as_dtype(hit[0], hit[1], np.int64))
    if len(names) > 1:                     # broadcast them all to one shape
        zero = names[0]
        for nm in names[1:]:
            zero = c.op("Add", [zero, nm])
        zero = c.op("Mul", [zero, c.b.i64(0)])
        names = [c.op("Add", [nm, zero]) for nm in names]
    if stack:
        return c.op("Concat", [c.op("Unsqueeze", [i, c.b.i64([-1])]) for i in names], axis=-1)
    return names


def _gather_axis(index: list, dyn: dict):
    """``d`` when ``index`` is gather's (an input's array at ``d``, and at every other
    axis ``k`` the grid ``arange(n_k)`` along ``k``, as ``gather`` records it), else None:
    the grids' sizes follow the input's, so they cannot be constants."""
    nd = len(index)
    hits = [k for k, i in enumerate(index) if isinstance(i, np.ndarray) and id(i) in dyn]
    if len(hits) != 1 or np.ndim(index[hits[0]]) != nd:
        return None
    d = hits[0]
    for k, i in enumerate(index):
        if k == d:
            continue
        want = [1] * nd
        if not isinstance(i, np.ndarray) or i.ndim != nd:
            return None
        want[k] = i.shape[k]
        if list(i.shape) != want or not np.array_equal(i.reshape(-1), np.arange(i.shape[k])):
            return None
        if i.shape[k] != index[d].shape[k]:
            return None
    return d


def _index(c: Ctx, x: str, shape: tuple, index: tuple, dyn: dict) -> str:
    """``x[index]`` with tapegrad's semantics (ints before index arrays, like PyTorch)."""
    nd = len(shape)
    index = _expand_ellipsis(tuple(index), nd)
    if any(i is None for i in index):      # new axes first: then they index as full slices
        pos = [k for k, i in enumerate(index) if i is None]
        x = c.op("Unsqueeze", [x, c.b.i64(pos)])
        shape = _dummy(shape)[tuple(None if i is None else slice(None) for i in index)].shape
        index = [slice(None) if i is None else i for i in index]
        nd = len(shape)
    if any(isinstance(i, np.ndarray) and i.dtype == np.bool_ for i in index):
        raise c.fail("with a 0-d boolean index has no ONNX export")
    sp = _split_ints(tuple(index))
    if sp is not None:
        first = _index(c, x, shape, sp[0], dyn)
        return _index(c, first, _dummy(shape)[sp[0]].shape, sp[1], dyn)
    arrays = [i for i in index if isinstance(i, np.ndarray)]
    starts, ends, axes, steps = [], [], [], []
    for d, i in enumerate(index):
        if isinstance(i, slice) and i != slice(None):
            a, b, st = _slice_bounds(i)
        elif isinstance(i, (int, np.integer)) and not arrays:
            a, st = int(i), 1
            b = a + 1 if a != -1 else INT64_MAX
        else:
            continue
        starts.append(a), ends.append(b), axes.append(d), steps.append(st)
    if axes:
        x = c.op("Slice", [x, c.b.i64(starts), c.b.i64(ends), c.b.i64(axes), c.b.i64(steps)])
    if not arrays:
        squeeze = [d for d, i in enumerate(index) if isinstance(i, (int, np.integer))]
        return c.op("Squeeze", [x, c.b.i64(squeeze)]) if squeeze else x
    adv = [k for k, i in enumerate(index) if isinstance(i, np.ndarray)]
    axis = _gather_axis(index, dyn)
    if axis is not None:                   # gather(x, axis, an input)
        (name,) = _index_names(c, index, [axis], shape, dyn, False)
        return c.op("GatherElements", [x, name], axis=axis)
    if len(adv) == 1:
        return c.op("Gather", [x, _index_names(c, index, adv, shape, dyn, False)[0]], axis=adv[0])
    consecutive = adv == list(range(adv[0], adv[0] + len(adv)))
    rest = [k for k in range(nd) if k not in adv]
    perm = adv + rest
    if perm != list(range(nd)):
        x = c.op("Transpose", [x], perm=perm)
    y = c.op("GatherND", [x, _index_names(c, index, adv, shape, dyn, True)])
    if consecutive and adv[0] > 0:      # NumPy keeps the result where the indices were
        nb = len(np.broadcast_shapes(*[np.shape(index[k]) for k in adv]))
        order = (list(range(nb, nb + adv[0])) + list(range(nb))
                 + list(range(nb + adv[0], nb + len(rest))))
        y = c.op("Transpose", [y], perm=order)
    return y


@_reg("getitem")
def _getitem(c: Ctx) -> str:
    dyn = c.index_arrays()
    if c.n2 is not None and _gather_axis(list(c.attrs["index"]), dyn) is None:
        for i, i2 in zip(c.attrs["index"], c.n2.attrs["index"]):
            if isinstance(i, np.ndarray) and id(i) not in dyn and np.shape(i) != np.shape(i2):
                raise c.fail(f"reads a constant index array of shape {np.shape(i)} that changes "
                             f"with the batch size (to {np.shape(i2)}): it was computed from an "
                             f"input outside the graph (NumPy, .shape); index with the input "
                             f"itself or export with a fixed batch size")
    return _index(c, c.ins[0], c.shape(0), tuple(c.attrs["index"]), dyn)


def _positions(c: Ctx, shape, index):
    """(K, ndim) int64 coordinates of the elements ``index`` addresses (in the order and
    layout tapegrad's forward writes them), and the shape of ``x[index]``."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = np.asarray(take_np(np.arange(n, dtype=np.int64).reshape(shape), tuple(index)))
    pos = np.stack(np.unravel_index(flat.reshape(-1), shape), axis=-1).astype(np.int64)
    return pos, flat.shape


def _fit(c: Ctx, v: str, vshape: tuple, sub: tuple) -> str:
    """``v`` broadcast to ``sub`` as NumPy assignment does (leading 1s may be dropped)."""
    if len(vshape) > len(sub):
        v = c.op("Reshape", [v, c.b.i64(list(vshape[len(vshape) - len(sub):]))])
    return c.op("Reshape", [c.op("Expand", [v, c.b.i64(list(sub))]), c.b.i64([-1])])


@_reg("setitem")
def _setitem(c: Ctx) -> str:
    c.static("(x[index] = v)")
    x = c.ins_as_out()[0]
    v = c.as_dtype(c.ins[1], c.dtype(1), c.out.dtype)
    if not c.shape(0):                     # a 0-d x: the value replaces it
        return c.op("Reshape", [v, c.b.i64([])])
    pos, sub = _positions(c, c.shape(0), c.attrs["index"])
    if not len(pos):
        return c.op("Identity", [x])
    upd = _fit(c, v, c.shape(1), sub)
    return c.op("ScatterND", [x, c.b.const(pos, hint="index"), upd])


@_reg("index_add")
def _index_add(c: Ctx) -> str:
    c.static("(index_add)")
    shape = tuple(int(s) for s in c.attrs["shape"])
    (g,) = c.ins_as_out()
    zeros = c.b.const(np.zeros(shape, dtype=c.out.dtype), hint="zeros")
    if not shape:                          # 0-d: g lands on the one element
        return c.op("Add", [zeros, c.op("Reshape", [g, c.b.i64([])])])
    pos, sub = _positions(c, shape, c.attrs["index"])
    if not len(pos):
        return c.op("Identity", [zeros])
    upd = _fit(c, g, c.shape(0), sub)
    return c.op("ScatterND", [zeros, c.b.const(pos, hint="index"), upd], reduction="add")


# --------------------------------------------------------------------------- linear
@_reg("linear")
def _linear(c: Ctx) -> str:
    ins = c.ins_as_out()
    w = ins[1]
    if len(c.shape(1)) == 2:
        wt = c.op("Transpose", [w], perm=[1, 0])
    else:
        wt = w                              # a 1-D weight: x @ w
    y = c.op("MatMul", [ins[0], wt])
    return c.op("Add", [y, ins[2]]) if len(ins) > 2 else y


# --------------------------------------------------------------------------- conv, pooling
def _onehot_windows(c: Ctx, x: str, C: int, kernel, stride, padding, dilation) -> str:
    """(N, C*kh*kw, oh, ow): every window element as a channel, by a grouped convolution
    with one-hot kernels (exact: each output is 1 * one input element)."""
    kh, kw = kernel
    w = np.zeros((C * kh * kw, 1, kh, kw), dtype=c.dtype(0))
    for k in range(kh * kw):
        w[k::kh * kw, 0, k // kw, k % kw] = 1
    ph, pw = padding
    return c.op("Conv", [x, c.b.const(w, hint="onehot")], kernel_shape=[kh, kw],
                strides=list(stride), dilations=list(dilation), pads=[ph, pw, ph, pw], group=C)


@_reg("unfold")
def _unfold(c: Ctx) -> str:
    n, C, H, W = c.shape(0)
    kh, kw = c.attrs["kernel"]
    oh, ow = c.out.shape[4:]
    y = _onehot_windows(c, c.ins_as_out()[0], C, c.attrs["kernel"], c.attrs["stride"], (0, 0),
                        c.attrs["dilation"])
    return c.op("Reshape", [y, c.b.i64([0, C, kh, kw, oh, ow])])


@_reg("im2col")
def _im2col(c: Ctx) -> str:
    n, C, H, W = c.shape(0)
    kh, kw = c.attrs["kernel"]
    n_, oh, ow = c.out.shape[:3]
    y = _onehot_windows(c, c.ins_as_out()[0], C, c.attrs["kernel"], c.attrs["stride"],
                        c.attrs["padding"], c.attrs["dilation"])
    y = c.op("Reshape", [y, c.b.i64([0, C, kh, kw, oh, ow])])
    return c.op("Transpose", [y], perm=[0, 4, 5, 2, 3, 1])


def _col2im(c: Ctx, cols: str, C: int, kernel, stride, padding, dilation, image) -> str:
    kh, kw = kernel
    ph, pw = padding
    return c.op("Col2Im", [cols, c.b.i64(list(image)), c.b.i64([kh, kw])],
                dilations=list(dilation), pads=[ph, pw, ph, pw], strides=list(stride))


@_reg("fold")
def _fold(c: Ctx) -> str:
    n, C, kh, kw, oh, ow = c.shape(0)
    cols = c.op("Reshape", [c.ins_as_out()[0], c.b.i64([0, C * kh * kw, oh * ow])])
    return _col2im(c, cols, C, c.attrs["kernel"], c.attrs["stride"], (0, 0), c.attrs["dilation"],
                   c.attrs["shape"][2:])


@_reg("col2im")
def _col2im_op(c: Ctx) -> str:
    n, oh, ow, kh, kw, C = c.shape(0)
    cols = c.op("Transpose", [c.ins_as_out()[0]], perm=[0, 5, 3, 4, 1, 2])
    cols = c.op("Reshape", [cols, c.b.i64([0, C * kh * kw, oh * ow])])
    return _col2im(c, cols, C, c.attrs["kernel"], c.attrs["stride"], c.attrs["padding"],
                   c.attrs["dilation"], c.attrs["shape"][2:])


@_reg("conv2d")
def _conv2d(c: Ctx) -> str:
    """conv2d is recorded as im2col -> GEMM; when its windows come from an im2col node,
    both become one Conv (``export`` passes that node as ``c.fused``)."""
    ins = c.ins_as_out()
    w_shape = c.shape(1)
    src = getattr(c, "fused", None)
    if src is not None:
        at = src.attrs
        kh, kw = at["kernel"]
        ph, pw = at["padding"]
        return c.op("Conv", [c.fused_input] + ins[1:], kernel_shape=[kh, kw],
                    strides=list(at["stride"]), dilations=list(at["dilation"]),
                    pads=[ph, pw, ph, pw])
    n, oh, ow, kh, kw, C = c.shape(0)
    O = w_shape[0]
    cols = c.op("Reshape", [ins[0], c.b.i64([-1, kh * kw * C])])
    wm = c.op("Reshape", [c.op("Transpose", [ins[1]], perm=[2, 3, 1, 0]), c.b.i64([kh * kw * C, O])])
    y = c.op("MatMul", [cols, wm])
    if len(ins) > 2:
        y = c.op("Add", [y, ins[2]])
    y = c.op("Reshape", [y, c.b.i64([-1, oh, ow, O])])
    return c.op("Transpose", [y], perm=[0, 3, 1, 2])


@_reg("max_pool2d")
def _max_pool2d(c: Ctx) -> str:
    at = c.attrs
    ph, pw = at["padding"]
    return c.op("MaxPool", [c.ins_as_out()[0]], kernel_shape=list(at["kernel"]),
                strides=list(at["stride"]), dilations=list(at["dilation"]), pads=[ph, pw, ph, pw])


assert set(EXPORTERS) >= {"getitem", "conv2d"}


@_reg("max_pool2d_backward")
def _max_pool2d_backward(c: Ctx) -> str:
    """dx: gy added at each window's first maximum, the flat position onnxruntime's MaxPool
    reports as its second output (row-major over the unpadded input, first max wins)."""
    at = c.attrs
    ph, pw = at["padding"]
    gy, x = c.ins_as_out()
    _, idx = c.op("MaxPool", [x], n_out=2, kernel_shape=list(at["kernel"]),
                  strides=list(at["stride"]), dilations=list(at["dilation"]), pads=[ph, pw, ph, pw])
    flat = c.op("Reshape", [x, c.b.i64([-1])])
    zeros = c.op("Expand", [c.b.const(0, c.out.dtype), c.op("Shape", [flat])])
    dx = c.op("ScatterElements", [zeros, c.op("Reshape", [idx, c.b.i64([-1])]),
                                  c.op("Reshape", [gy, c.b.i64([-1])])], axis=0, reduction="add")
    return c.op("Reshape", [dx, c.shape_of(x)])
