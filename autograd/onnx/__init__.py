"""ONNX export: ``autograd.onnx.export(model_or_fn, args, f, ...)``, torch.onnx.export's
meaning for tapegrad models and functions.

How the graph is captured: tapegrad records a node only for ops whose inputs require
grad. ``export`` therefore runs the forward once under ``enable_grad`` on fresh copies
of the inputs, with every floating-point input set to require grad (parameters
already do), so every op on the path from the inputs and parameters to the outputs is
recorded; it then reads the recorded graph (``graph_nodes`` from the outputs, each
``Node``'s ``op``, ``attrs``, ``inputs``/``vals`` and ``parents``) and writes one ONNX
node (or a few) per primitive with the ``onnx`` package (``_ops.py`` / ``_ops_nd.py``).
Only primitives are recorded, so composites decompose by themselves. An input of a
node is named by identity: a node's output, one of the user's inputs, a parameter or
buffer (an initializer under its state-dict name) or else a constant (an initializer
holding the value the forward saw: anything computed without the inputs, as
torch.onnx's constant folding does). A Module is exported in eval mode (Dropout is the
identity, BatchNorm uses its running statistics), and its training flags are restored.

Index arrays: ``getitem`` (and gather / index_select) remember which of their index
arrays were the caller's arrays (``Node.index_src``, by identity); one that is an int
input's buffer becomes a Gather / GatherND / GatherElements input, so token ids
(int64) are graph inputs. Frozen parameters and buffers require grad during the trace.

Dynamic axes: with ``dynamic_axes``, the forward runs a second time on inputs one
element longer along each dynamic axis (the input with its first slice appended);
where a recorded shape differs between the two runs (reshape, broadcast_to), the ONNX
node copies the dimension (0), reads it from the input's shape (k times a dynamic
dimension) or infers it (-1) instead of fixing it; a constant whose shape differs (an
RNN's zero initial state) is its first slice expanded to the runtime size. The two runs
must record the same ops.

Limits, all refused with :class:`ExportError` naming the op or the input: an op without
an ONNX equivalent (``NOT_EXPORTABLE``, with the reason), an output that does not
depend on the inputs through recorded ops (argmax and argmin record nothing; neither
does code under ``no_grad`` or ``detach``), an input the recorded graph never reads
(e.g. an index computed from an int input with NumPy), a constant or constant index
whose shape changes with the batch size and cannot be expanded from a slice, and
Python control flow that changes with the batch size (an RNN over a dynamic sequence
length). Values read in Python (``.item()``, shapes) are fixed at their traced values,
as in torch.onnx's tracer.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..engine import graph_nodes
from ..registry import COMPOSITES, OPS
from ..tape import Node, enable_grad
from ..tensor import Tensor
from ._graph import Builder, Ctx, ExportError
from ._ops import EXPORTERS, NOT_EXPORTABLE
from . import _ops_nd  # noqa: F401  (registers the indexing/conv exporters)

__all__ = ["export", "ExportError", "EXPORTERS", "NOT_EXPORTABLE", "DEFAULT_OPSET"]

DEFAULT_OPSET = 18        # Col2Im and the Reduce* ops with axes as an input need 18


def _flat_outputs(out: Any) -> List[Any]:
    """Nested tuples/lists flattened; None entries (MultiheadAttention's weights with
    need_weights=False) are left out, as torch.onnx does."""
    if isinstance(out, (tuple, list)):
        res: List[Any] = []
        for o in out:
            res.extend(_flat_outputs(o))
        return res
    return [] if out is None else [out]


def _copy_args(args: Sequence[Any]) -> List[Tensor]:
    """The example inputs as fresh leaves; integers narrower than int64 (int32 token ids)
    traced as int64, the index dtype every op reads (the graph casts them on entry)."""
    out = []
    for a in args:
        arr = np.array(a.detach().numpy() if isinstance(a, Tensor) else a)
        if arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
        t = Tensor._wrap(arr)
        if arr.dtype.kind == "f":
            t.requires_grad_()
        out.append(t)
    return out


def _longer(t: Tensor, axes: Sequence[int]) -> Tensor:
    arr = t.detach().numpy()
    for ax in axes:
        if arr.shape[ax] == 0:
            raise ExportError(f"onnx export: dynamic axis {ax} of an input has size 0; trace "
                              f"with at least one element")
        arr = np.concatenate([arr, np.take(arr, [0], axis=ax)], axis=ax)
    out = Tensor._wrap(np.ascontiguousarray(arr))
    if arr.dtype.kind == "f":
        out.requires_grad_()
    return out


class _Modes:
    """Put a Module (and its submodules) in eval mode, and restore each one's flag; make
    its frozen floating-point parameters and buffers require grad meanwhile (so the ops
    that read them, e.g. a frozen Embedding indexed by the input, are recorded)."""

    def __init__(self, model: Any, tensors: Sequence[Tensor]) -> None:
        mods = getattr(model, "modules", None)
        self.saved = [(m, m.training) for m in mods()] if callable(mods) else []
        self.model = model
        self.frozen = [t for t in tensors if not t.requires_grad and t.dtype.kind == "f"]

    def __enter__(self) -> None:
        if self.saved:
            self.model.eval()
        for t in self.frozen:
            t.requires_grad = True

    def __exit__(self, *exc: Any) -> None:
        for m, t in self.saved:
            object.__setattr__(m, "training", t)
        for t in self.frozen:
            t.requires_grad = False


def _trace(fn: Callable, inputs: List[Tensor]) -> Tuple[List[Tensor], List[Node]]:
    with enable_grad():
        out = fn(*inputs)
    outs = _flat_outputs(out)
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise ExportError(f"onnx export: output {k} is a {type(o).__name__}, not a Tensor")
    return outs, graph_nodes(outs)[::-1]          # creation order (topological)


def _names(kind: str, given: Optional[Sequence[str]], n: int) -> List[str]:
    names = list(given or [])
    if len(names) > n:
        raise ExportError(f"onnx export: {len(names)} {kind}_names for {n} {kind}s")
    return names + [f"{kind}_{i}" if kind != "output" else f"output_{i}" for i in range(len(names), n)]


def export(model_or_fn: Callable, args: Any, f: Union[str, "os.PathLike[str]", Any, None] = None, *,
           input_names: Optional[Sequence[str]] = None, output_names: Optional[Sequence[str]] = None,
           dynamic_axes: Optional[Dict[str, Any]] = None, opset_version: Optional[int] = None,
           doc_string: str = "") -> Any:
    """Run ``model_or_fn(*args)`` once, read the recorded graph and write it to ``f`` (a
    path or a binary file object; None: only return it) as an ONNX model; returns the
    ``onnx.ModelProto``.

    ``args``: a Tensor/array or a tuple of them (the example inputs). ``input_names`` /
    ``output_names``: graph names (default ``input_0``, ``output_0``, ...).
    ``dynamic_axes``: ``{name: {axis: "dim_name"}}`` or ``{name: [axis, ...]}`` for
    inputs and outputs whose sizes vary (e.g. ``{"x": {0: "batch"}, "logits": {0:
    "batch"}}``). ``opset_version``: default 18 (the lowest this exporter writes).
    See the module docstring for how the graph is captured and what is refused."""
    try:
        import onnx
        from onnx import helper
    except ImportError:  # pragma: no cover - onnx is a declared dependency of the extra
        raise ImportError("autograd.onnx.export needs the onnx package: pip install "
                          "'tapegrad[onnx]'") from None
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not DEFAULT_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"onnx export: opset_version must be between {DEFAULT_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()}, got {opset_version}")
    if isinstance(args, (Tensor, np.ndarray)) or not isinstance(args, (tuple, list)):
        args = (args,)
    inputs = _copy_args(args)
    in_dtypes = [np.asarray(a.detach().numpy() if isinstance(a, Tensor) else a).dtype
                 for a in args]
    in_names = _names("input", input_names, len(inputs))
    dyn = {}
    for k, v in (dynamic_axes or {}).items():
        dyn[k] = dict(v) if isinstance(v, dict) else {int(a): f"{k}_dim{a}" for a in v}
    params: Dict[int, str] = {}
    leaves: List[Tensor] = []
    for getter in ("named_parameters", "named_buffers"):
        fn = getattr(model_or_fn, getter, None)
        if callable(fn):
            for name, t in fn():
                if t is not None and id(t) not in params:
                    params[id(t)] = name
                    leaves.append(t)
    with _Modes(model_or_fn, leaves):
        outs, nodes = _trace(model_or_fn, inputs)
        nodes2, inputs2 = None, None
        in_dyn = {i: sorted(int(a) % max(inputs[i].ndim, 1) for a in dyn.get(nm, {}))
                  for i, nm in enumerate(in_names)}
        if any(in_dyn.values()):
            inputs2 = [_longer(t, in_dyn[i]) if in_dyn[i] else t for i, t in enumerate(inputs)]
            _, nodes2 = _trace(model_or_fn, inputs2)
            if [n.op.name for n in nodes] != [n.op.name for n in nodes2]:
                raise ExportError("onnx export: the model records different ops at another batch "
                                  "size (Python control flow on shapes); export with a fixed "
                                  "batch size (no dynamic_axes)")
    out_names = _names("output", output_names, len(outs))
    b = Builder()
    for nm in in_names + out_names:
        b.reserve(nm)
    for nm in set(dyn) - set(in_names) - set(out_names):
        raise ExportError(f"onnx export: dynamic_axes names {nm!r}, which is neither an input "
                          f"({in_names}) nor an output ({out_names})")
    # the name the graph reads an input by: a Cast of it for a narrow integer input
    read_as = {nm: (b.fresh(f"{nm}_int64") if dt != t.dtype else nm)
               for t, nm, dt in zip(inputs, in_names, in_dtypes)}
    by_id = {id(t): read_as[nm] for t, nm in zip(inputs, in_names)}
    # p.detach() shares p's buffer: the same initializer (Embedding's padding_idx row)
    param_arr = {id(t._d): id(t) for t in leaves}
    # an int input's NumPy buffer, as getitem records it for an index array
    by_arr = {id(t._d): (read_as[nm], t._d.dtype, t._d.shape) for t, nm in zip(inputs, in_names)
              if t._d.dtype.kind in "iu"}
    arr_owner = {id(t._d): id(t) for t in inputs}
    used_inputs: set = set()
    value: Dict[Node, str] = {}
    leaf: Dict[int, str] = {}
    consumers: Dict[Node, List[Node]] = {}
    for n in nodes:
        for p in n.parents:
            if type(p) is Node:
                consumers.setdefault(p, []).append(n)
    pair = dict(zip(nodes, nodes2)) if nodes2 is not None else {}
    out_nodes = {o.grad_fn for o in outs}

    sizes: Dict[Tuple[int, int], Optional[str]] = {}

    def dim_of(s1: int, s2: int) -> Optional[str]:
        """A size that is s1 in the trace and s2 in the second one, as a 1-element int64
        tensor: k times a dynamic dimension of an input (Shape of that input)."""
        if (s1, s2) in sizes:
            return sizes[(s1, s2)]
        sizes[(s1, s2)] = None
        for t, t2, nm, axes in zip(inputs, inputs2 or (), in_names, in_dyn.values()):
            for a in axes:
                d1, d2 = t.shape[a], t2.shape[a]
                if d1 and s1 % d1 == 0 and s2 == s1 // d1 * d2:
                    used_inputs.add(id(t))
                    dim = b.op("Shape", [nm], hint="batch", start=a, end=a + 1)
                    if s1 != d1:
                        dim = b.op("Mul", [dim, b.i64([s1 // d1])], hint="size")
                    sizes[(s1, s2)] = dim
                    return dim
        return None

    def batch_const(n: Node, i: int, arr: np.ndarray, shape2: Tuple[int, ...]) -> str:
        """A constant whose shape changes with the batch size (an initial state of zeros,
        a mask of ones): its first slice along the changing dimensions, expanded to the
        runtime size. Refused when the constant is not constant along them."""
        what = (f"onnx export: `{n.op.name}` reads a constant of shape {arr.shape} (computed "
                f"without the inputs) whose shape changes with the batch size")
        if len(shape2) != arr.ndim:
            raise ExportError(f"{what} (to {shape2}); export with a fixed batch size")
        dyn_d = [d for d in range(arr.ndim) if arr.shape[d] != shape2[d]]
        base = arr[tuple(slice(0, 1) if d in dyn_d else slice(None) for d in range(arr.ndim))]
        same = base.size and np.array_equal(np.broadcast_to(base, arr.shape), arr,
                                            equal_nan=arr.dtype.kind in "fc")
        dims = [dim_of(arr.shape[d], shape2[d]) if d in dyn_d else 1 for d in range(arr.ndim)]
        if not same or any(d is None for d in dims):
            raise ExportError(f"{what} (to {shape2}), and it is not the same along that "
                              f"dimension or its size is not a multiple of an input's dynamic "
                              f"dimension; build it from the input (e.g. zeros_like) or export "
                              f"with a fixed batch size")
        return b.op("Expand", [b.const(base, hint="const"), b.shape_tensor(dims)], hint="const")

    def name_of(n: Node, i: int) -> str:
        p, t = n.parents[i], n.inputs[i]
        if type(p) is Node:
            return value[p]
        key = id(t)
        if key in by_id:
            used_inputs.add(key)
            return by_id[key]
        key = param_arr.get(id(getattr(t, "_d", None)), key)   # a detached parameter
        if key in leaf:
            return leaf[key]
        arr = np.asarray(n.vals[i])
        n2 = pair.get(n)
        if key in params:
            leaf[key] = b.initializer(arr, params[key])
        elif n2 is not None and np.shape(n2.vals[i]) != arr.shape:
            leaf[key] = batch_const(n, i, arr, np.shape(n2.vals[i]))
        else:
            leaf[key] = b.const(arr, hint="const")
        return leaf[key]

    for n in nodes:
        op = n.op.name
        if op == "im2col" and all(c.op.name == "conv2d" and c.parents[0] is n
                                  for c in consumers.get(n, ())) and n not in out_nodes:
            value[n] = None                          # fused into its Conv
            continue
        exporter = EXPORTERS.get(op)
        if exporter is None:
            why = NOT_EXPORTABLE.get(op, "no ONNX exporter is registered for it (add one in "
                                         "autograd/onnx/_ops.py)")
            raise ExportError(f"onnx export: op `{op}` cannot be exported to ONNX: {why}")
        fused = None
        if op == "conv2d" and type(n.parents[0]) is Node and value.get(n.parents[0], "") is None:
            fused = n.parents[0]
        ins = [None if (fused is not None and i == 0) else name_of(n, i)
               for i in range(len(n.inputs))]
        ctx = Ctx(b, n, ins, pair.get(n))
        ctx.array_inputs, ctx.mark_used = by_arr, lambda raw: used_inputs.add(arr_owner[raw])
        ctx.dim_of = dim_of
        if fused is not None:
            ctx.fused, ctx.fused_input = fused, name_of(fused, 0)
        value[n] = exporter(ctx)
    # the graph's outputs
    out_vals = []
    for k, (o, nm) in enumerate(zip(outs, out_names)):
        node = o.grad_fn
        if node is None:
            src = by_id.get(id(o))
            if src is None:
                raise ExportError(f"onnx export: output {k} ({nm}) does not depend on the inputs "
                                  f"through recorded ops (argmax/argmin, no_grad, detach or a "
                                  f"constant record nothing); export what it is computed from")
            used_inputs.add(id(o))
            b.nodes.append(helper.make_node("Identity", [src], [nm], name=b.fresh("n_out")))
        else:
            b.nodes.append(helper.make_node("Identity", [value[node]], [nm], name=b.fresh("n_out")))
        out_vals.append((nm, np.asarray(o.detach().numpy())))
    for t, nm in zip(inputs, in_names):
        if id(t) not in used_inputs:
            raise ExportError(f"onnx export: input {nm!r} is never read by the recorded graph "
                              f"(used only through values computed from it outside the graph, "
                              f"e.g. an index sliced or shifted with NumPy, under no_grad, or "
                              f"not at all), so the exported "
                              f"model would ignore it; index with the input's own int64 array")

    def vinfo(nm: str, arr: np.ndarray) -> Any:
        dims: List[Any] = list(arr.shape)
        for ax, dn in dyn.get(nm, {}).items():
            dims[int(ax) % max(arr.ndim, 1)] = str(dn)
        return helper.make_tensor_value_info(nm, helper.np_dtype_to_tensor_dtype(arr.dtype), dims)

    casts = [helper.make_node("Cast", [nm], [read_as[nm]], name=b.fresh("n_cast"),
                              to=helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)))
             for nm in in_names if read_as[nm] != nm]
    graph = helper.make_graph(
        casts + b.nodes, "tapegrad",
        [vinfo(nm, t.detach().numpy().astype(dt)) for t, nm, dt in zip(inputs, in_names, in_dtypes)],
        [vinfo(nm, arr) for nm, arr in out_vals], initializer=b.initializers)
    from .._version import __version__
    model = helper.make_model(graph, producer_name="tapegrad", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", opset)], doc_string=doc_string)
    model.ir_version = min(model.ir_version, 10)         # what onnxruntime 1.2x reads
    onnx.checker.check_model(model)
    if f is not None:
        data = model.SerializeToString()
        if isinstance(f, (str, bytes, os.PathLike)):
            with open(f, "wb") as fh:
                fh.write(data)
        else:
            f.write(data)
    return model


def exportable_ops() -> Dict[str, str]:
    """Every primitive and composite of the op table -> "exported", "composite" (exported as
    the primitives it records) or the reason it is not exportable."""
    out = {}
    for name in OPS:
        out[name] = "exported" if name in EXPORTERS else NOT_EXPORTABLE.get(name, "missing")
    for name in COMPOSITES:
        out[name] = "composite"
    return out
