"""One ONNX exporter per primitive of the op table (``EXPORTERS``), and the primitives
that have none, with the reason (``NOT_EXPORTABLE``).

An exporter gets a :class:`~autograd.onnx._graph.Ctx` (the tape node, its inputs' ONNX
names and the second trace's node for dynamic shapes) and returns the ONNX name of
the op's output. Composites never appear here: they are recorded as the primitives
they are built from.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np

from ._graph import Ctx

__all__ = ["EXPORTERS", "NOT_EXPORTABLE"]

EXPORTERS: Dict[str, Callable[[Ctx], str]] = {}

# primitive -> why it has no ONNX export (checked by tests/test_onnx.py against the table)
NOT_EXPORTABLE: Dict[str, str] = {
    "argmax": "not differentiable, so it records no node on the tape that export reads; "
              "an argmax output is refused as not depending on the inputs",
    "argmin": "not differentiable, so it records no node on the tape that export reads; "
              "an argmin output is refused as not depending on the inputs",
    "round": "not mapped yet: ONNX Round has no decimals argument (round(x, decimals) "
             "would need a scaled Round, not bit-identical); planned",
}


def _reg(*names: str):
    def deco(fn):
        for n in names:
            EXPORTERS[n] = fn
        return fn
    return deco


# --------------------------------------------------------------------------- elementwise
_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
           "maximum": "Max", "minimum": "Min", "matmul": "MatMul"}
_UNARY = {"neg": "Neg", "abs": "Abs", "sign": "Sign", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "sin": "Sin", "cos": "Cos", "tan": "Tan", "tanh": "Tanh",
          "sigmoid": "Sigmoid", "erf": "Erf", "relu": "Relu", "clone": "Identity",
          "floor": "Floor", "ceil": "Ceil"}


def _binary(c: Ctx) -> str:
    a, b = c.ins_as_out()
    if c.out.dtype == np.bool_ and c.name in ("add", "mul", "maximum", "minimum"):
        return c.op({"add": "Or", "mul": "And", "maximum": "Or", "minimum": "And"}[c.name], [a, b])
    return c.op(_BINARY[c.name], [a, b])


def _unary(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    return c.op(_UNARY[c.name], [x])


for _n in _BINARY:
    EXPORTERS[_n] = _binary


@_reg("trunc")
def _trunc(c: Ctx) -> str:
    # ONNX has no Trunc: sign(x) * floor(|x|) (the same value, -0.0 included)
    (x,) = c.ins_as_out()
    return c.op("Mul", [c.op("Sign", [x]), c.op("Floor", [c.op("Abs", [x])])])
for _n in _UNARY:
    EXPORTERS[_n] = _unary


@_reg("log1p")
def _log1p(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    return c.op("Log", [c.op("Add", [x, c.b.const(1, c.out.dtype)])])


@_reg("leaky_relu")
def _leaky(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    return c.op("LeakyRelu", [x], alpha=float(c.attrs.get("negative_slope", 0.01)))


@_reg("elu")
def _elu(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    return c.op("Elu", [x], alpha=float(c.attrs.get("alpha", 1.0)))


@_reg("gelu")
def _gelu(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    dt = c.out.dtype
    k = lambda v: c.b.const(v, dt)          # noqa: E731
    if c.attrs.get("approximate", "none") == "tanh":
        inner = c.op("Mul", [k(math.sqrt(2 / math.pi)),
                             c.op("Add", [x, c.op("Mul", [k(0.044715), c.op("Mul", [x, c.op("Mul", [x, x])])])])])
        return c.op("Mul", [c.op("Mul", [k(0.5), x]), c.op("Add", [k(1.0), c.op("Tanh", [inner])])])
    phi = c.op("Add", [k(1.0), c.op("Erf", [c.op("Div", [x, k(math.sqrt(2.0))])])])
    return c.op("Mul", [c.op("Mul", [k(0.5), x]), phi])


@_reg("softplus")
def _softplus(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    dt = c.out.dtype
    beta, thr = float(c.attrs.get("beta", 1.0)), float(c.attrs.get("threshold", 20.0))
    bx = c.op("Mul", [x, c.b.const(beta, dt)])
    soft = c.op("Div", [c.op("Softplus", [bx]), c.b.const(beta, dt)])
    return c.op("Where", [c.op("Greater", [bx, c.b.const(thr, dt)]), x, soft])


@_reg("clamp")
def _clamp(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    dt = c.out.dtype
    lo, hi = c.attrs.get("min"), c.attrs.get("max")
    return c.op("Clip", [x, "" if lo is None else c.b.const(lo, dt), "" if hi is None else c.b.const(hi, dt)])


@_reg("where")
def _where(c: Ctx) -> str:
    cond = c.as_dtype(c.ins[0], c.dtype(0), np.bool_)
    x = c.as_dtype(c.ins[1], c.dtype(1), c.out.dtype)
    y = c.as_dtype(c.ins[2], c.dtype(2), c.out.dtype)
    return c.op("Where", [cond, x, y])


@_reg("cast")
def _cast(c: Ctx) -> str:
    return c.as_dtype(c.ins[0], c.dtype(0), c.out.dtype) if c.dtype(0) != c.out.dtype \
        else c.op("Identity", [c.ins[0]])


@_reg("fill")
def _fill(c: Ctx) -> str:
    return c.op("Expand", [c.b.const(c.attrs["value"], c.out.dtype), c.shape_of(c.ins[0])])


@_reg("copy_from")
def _copy_from(c: Ctx) -> str:
    src = c.as_dtype(c.ins[1], c.dtype(1), c.out.dtype)
    return c.op("Expand", [src, c.shape_of(c.ins[0])])


# --------------------------------------------------------------------------- reductions
_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin",
           "prod": "ReduceProd", "logsumexp": "ReduceLogSumExp"}


def _axes(axis, ndim: int) -> List[int]:
    if axis is None:
        return list(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return sorted(int(a) % ndim for a in axis) if ndim else []


def _reduce(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    nd = len(c.shape(0))
    axes = _axes(c.attrs.get("axis"), nd)
    keep = int(bool(c.attrs.get("keepdims", False)))
    if not axes:
        return c.op("Identity", [x])
    if c.name == "logsumexp":   # ReduceLogSumExp overflows for large inputs: subtract the max
        m = c.op("ReduceMax", [x, c.b.i64(axes)], keepdims=1)
        m = c.op("Where", [c.op("IsInf", [m]), c.b.const(0, c.out.dtype), m])
        s = c.op("ReduceSum", [c.op("Exp", [c.op("Sub", [x, m])]), c.b.i64(axes)], keepdims=keep)
        mk = m if keep else c.op("Squeeze", [m, c.b.i64(axes)])
        return c.op("Add", [c.op("Log", [s]), mk])
    return c.op(_REDUCE[c.name], [x, c.b.i64(axes)], keepdims=keep)


for _n in _REDUCE:
    EXPORTERS[_n] = _reduce


def _softmax_like(c: Ctx, kind: str) -> str:
    (x,) = c.ins_as_out()
    axis = c.attrs.get("axis")
    if axis is None:                       # over all elements
        flat = c.op("Reshape", [x, c.b.i64([1, -1])])
        return c.op("Reshape", [c.op(kind, [flat], axis=1), c.shape_of(x)])
    if not c.shape(0):                     # a 0-d input: softmax over its one element
        one = c.op(kind, [c.op("Reshape", [x, c.b.i64([1])])], axis=0)
        return c.op("Reshape", [one, c.b.i64([])])
    return c.op(kind, [x], axis=int(axis))


EXPORTERS["softmax"] = lambda c: _softmax_like(c, "Softmax")
EXPORTERS["log_softmax"] = lambda c: _softmax_like(c, "LogSoftmax")


def _to_last(c: Ctx, x: str, axes: List[int], nd: int, shape) -> tuple:
    """Move ``axes`` to the end and merge them: (..., L); returns (name, perm, L)."""
    keep = [a for a in range(nd) if a not in axes]
    perm = keep + axes
    L = int(np.prod([shape[a] for a in axes])) if axes else 1
    t = c.op("Transpose", [x], perm=perm) if perm != list(range(nd)) else x
    return c.op("Reshape", [t, c.b.i64([0] * len(keep) + [L])]), perm, keep


def _from_last(c: Ctx, y: str, perm, keep, axes, shape) -> str:
    nd = len(perm)
    y = c.op("Reshape", [y, c.b.i64([0] * len(keep) + [shape[a] for a in axes])])
    inv = list(np.argsort(perm))
    return c.op("Transpose", [y], perm=[int(i) for i in inv]) if perm != list(range(nd)) else y


def _masked_prod(c: Ctx, x: str, mask: np.ndarray) -> str:
    """out[..., j] = prod_i x[..., i] where mask[j, i] (1 elsewhere)."""
    xb = c.op("Unsqueeze", [x, c.b.i64([-2])])
    w = c.op("Where", [c.b.const(mask), xb, c.b.const(1, c.out.dtype)])
    return c.op("ReduceProd", [w, c.b.i64([-1])], keepdims=0)


@_reg("cumprod")
def _cumprod(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    shape = c.shape(0)
    nd = len(shape)
    if not nd:
        return c.op("Identity", [x])
    axis = int(c.attrs["axis"]) % nd
    last, perm, keep = _to_last(c, x, [axis], nd, shape)
    L = shape[axis]
    y = _masked_prod(c, last, np.tril(np.ones((L, L), bool)))
    return _from_last(c, y, perm, keep, [axis], shape)


@_reg("prod_others")
def _prod_others(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    shape = c.shape(0)
    nd = len(shape)
    if not nd:
        return c.op("Expand", [c.b.const(1, c.out.dtype), c.shape_of(x)])
    axes = _axes(c.attrs.get("axis"), nd)
    last, perm, keep = _to_last(c, x, axes, nd, shape)
    L = int(np.prod([shape[a] for a in axes]))
    y = _masked_prod(c, last, ~np.eye(L, dtype=bool))
    return _from_last(c, y, perm, keep, axes, shape)


@_reg("cumsum")
def _cumsum(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    if not c.shape(0):
        return c.op("Identity", [x])
    return c.op("CumSum", [x, c.b.i64(int(c.attrs["axis"]))], reverse=int(bool(c.attrs.get("reverse"))))


@_reg("softmax_cross_entropy")
def _sce(c: Ctx) -> str:
    """l_n = c_n (logsumexp(z_n) - z_n[y_n]) over the last axis, c_n = w[y_n] (1 without
    weights) and 0 where y_n == ignore_index; then none / sum / sum(l) / sum(c). Written
    out rather than as SoftmaxCrossEntropyLoss, which onnxruntime refuses on an empty
    batch and which wants classes on axis 1."""
    dt = c.out.dtype
    z = c.as_dtype(c.ins[0], c.dtype(0), dt)
    y = c.as_dtype(c.ins[1], c.dtype(1), np.int64)
    ign = c.b.const(int(c.attrs.get("ignore_index", -100)), np.int64)
    skip = c.op("Equal", [y, ign])
    ysafe = c.op("Where", [skip, c.b.const(0, np.int64), y])
    m = c.op("ReduceMax", [z, c.b.i64([-1])], keepdims=1)
    m = c.op("Where", [c.op("IsInf", [m]), c.b.const(0, dt), m])
    lse = c.op("Add", [c.op("Log", [c.op("ReduceSum", [c.op("Exp", [c.op("Sub", [z, m])]),
                                                       c.b.i64([-1])], keepdims=1)]), m])
    picked = c.op("GatherElements", [z, c.op("Unsqueeze", [ysafe, c.b.i64([-1])])], axis=-1)
    loss = c.op("Squeeze", [c.op("Sub", [lse, picked]), c.b.i64([-1])])
    w = c.attrs.get("weight")
    coef = (c.op("Gather", [c.b.const(np.asarray(w, dtype=dt), hint="class_weight"), ysafe], axis=0)
            if w is not None else c.op("Expand", [c.b.const(1, dt), c.shape_of(y)]))
    coef = c.op("Where", [skip, c.b.const(0, dt), coef])
    loss = c.op("Mul", [coef, loss])
    red = c.attrs.get("reduction", "mean")
    if red == "none":
        return loss
    total = c.op("ReduceSum", [loss], keepdims=0)
    if red == "sum":
        return total
    return c.op("Div", [total, c.op("ReduceSum", [coef], keepdims=0)])


# --------------------------------------------------------------------------- shapes
def _target_shape(c: Ctx, i: int = 0, key: str = "shape") -> list:
    """The op's target shape for ONNX: dims that change with the batch size become 0
    (copy the input's dimension at the same index), a size computed from an input's
    shape (``Ctx.size``: k times a dynamic input dimension) or -1 (inferred, at most one)."""
    shape = [int(s) for s in c.attrs[key]]
    if c.n2 is None:
        return shape
    other = [int(s) for s in c.n2.attrs[key]]
    ins, ins2 = c.shape(i), np.shape(c.n2.vals[i])
    out: list = list(shape)
    free = []
    for d, (a, b) in enumerate(zip(shape, other)):
        if a == b:
            continue
        if d < len(ins) and ins[d] == a and ins2[d] == b:
            out[d] = 0
        else:
            free.append(d)
    if len(free) > 1:
        for d in list(free):
            size = c.size(shape[d], other[d])
            if size is not None:
                out[d] = size
                free.remove(d)
    if len(free) > 1:
        raise c.fail(f"to shape {tuple(shape)}: more than one dimension changes with the batch "
                     f"size in a way export cannot express; export with a fixed batch size")
    for d in free:
        out[d] = -1
    return out


@_reg("reshape")
def _reshape(c: Ctx) -> str:
    shape = _target_shape(c)
    if 0 in shape and c.n2 is None:        # a real size-0 dimension, not "copy"
        return c.op("Reshape", [c.ins[0], c.b.i64(shape)], allowzero=1)
    if 0 in shape and 0 in c.attrs["shape"]:
        raise c.fail("to a shape with a size-0 dimension and a batch-dependent one; export "
                     "with a fixed batch size")
    return c.op("Reshape", [c.ins[0], c.shape_tensor(shape)])


@_reg("broadcast_to")
def _broadcast(c: Ctx) -> str:
    shape = [int(s) for s in c.attrs["shape"]]
    other = shape if c.n2 is None else [int(s) for s in c.n2.attrs["shape"]]
    ins = (1,) * (len(shape) - len(c.shape(0))) + c.shape(0)
    out: list = []
    for d, (s, s2) in enumerate(zip(shape, other)):
        if s == s2:
            out.append(s)
        elif ins[d] != 1:
            out.append(1)        # Expand keeps the input's own (dynamic) dimension
        else:
            size = c.size(s, s2)     # a size-1 dimension broadcast to the batch size
            if size is None:
                raise c.fail(f"broadcasts a size-1 dimension to a size ({s}) that changes with "
                             f"the batch size but is not a multiple of an input's dynamic "
                             f"dimension; export with a fixed batch size")
            out.append(size)
    return c.op("Expand", [c.ins[0], c.shape_tensor(out)])


@_reg("permute")
def _permute(c: Ctx) -> str:
    perm = [int(a) for a in c.attrs["axes"]]
    return c.op("Transpose", [c.ins[0]], perm=perm) if perm else c.op("Identity", [c.ins[0]])


@_reg("cat")
def _cat(c: Ctx) -> str:
    return c.op("Concat", c.ins_as_out(), axis=int(c.attrs["axis"]))


@_reg("pad")
def _pad(c: Ctx) -> str:
    (x,) = c.ins_as_out()
    pw = [tuple(int(v) for v in p) for p in c.attrs["pad_width"]]
    nd = len(c.shape(0))
    pw = [(0, 0)] * (nd - len(pw)) + pw
    pads = [p[0] for p in pw] + [p[1] for p in pw]
    if any(v < 0 for v in pads):
        raise c.fail("with negative widths (cropping) has no ONNX Pad equivalent here")
    return c.op("Pad", [x, c.b.i64(pads), c.b.const(c.attrs.get("value", 0.0), c.out.dtype)],
                mode="constant")


@_reg("cumprod_backward")
def _cumprod_backward(c: Ctx) -> str:
    """dx_k = sum_j [j >= k] g_j prod_i x_i [i <= j, i != k]: an (L, L, L) mask over the
    scanned axis L, so exact with zeros (like the primitive), L^3 work per row."""
    g, x = c.ins_as_out()
    shape = c.shape(1)
    nd = len(shape)
    if not nd or not shape[int(c.attrs.get("axis", 0)) % nd]:
        return c.op("Mul", [g, c.b.const(1, c.out.dtype)])
    axis = int(c.attrs.get("axis", 0)) % nd
    L = shape[axis]
    xl, perm, keep = _to_last(c, x, [axis], nd, shape)
    gl, _, _ = _to_last(c, g, [axis], nd, tuple(c.shape(0)))
    k, j, i = np.meshgrid(np.arange(L), np.arange(L), np.arange(L), indexing="ij")
    xb = c.op("Unsqueeze", [xl, c.b.i64([-3, -2])])                     # (..., 1, 1, L)
    w = c.op("Where", [c.b.const((i <= j) & (i != k)), xb, c.b.const(1, c.out.dtype)])
    p = c.op("ReduceProd", [w, c.b.i64([-1])], keepdims=0)               # (..., k, j)
    upper = c.b.const(np.triu(np.ones((L, L), dtype=c.out.dtype)))       # [j >= k]
    gb = c.op("Unsqueeze", [gl, c.b.i64([-2])])                          # (..., 1, j)
    dx = c.op("ReduceSum", [c.op("Mul", [c.op("Mul", [p, upper]), gb]), c.b.i64([-1])], keepdims=0)
    return _from_last(c, dx, perm, keep, [axis], shape)
