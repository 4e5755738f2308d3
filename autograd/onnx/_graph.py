"""The ONNX graph builder the op exporters write into (names, initializers, nodes)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["ExportError", "Builder", "Ctx", "INT64_MAX", "INT64_MIN"]

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63


class ExportError(RuntimeError):
    """The model or function cannot be written as ONNX (an op without an ONNX
    equivalent, a graph that changes with the batch size, an unused input, ...)."""


class Builder:
    """Collects ONNX nodes and initializers under unique names."""

    def __init__(self) -> None:
        import onnx
        from onnx import helper, numpy_helper

        self.onnx, self.helper, self.numpy_helper = onnx, helper, numpy_helper
        self.nodes: List[Any] = []
        self.initializers: List[Any] = []
        self._used: set = set()
        self._consts: Dict[Tuple, str] = {}

    def fresh(self, base: str) -> str:
        base = "".join(c if c.isalnum() or c in "._/-:" else "_" for c in base) or "v"
        name, i = base, 1
        while name in self._used:
            name, i = f"{base}_{i}", i + 1
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._used.add(name)

    def op(self, op_type: str, inputs: Sequence[str], n_out: int = 1, hint: Optional[str] = None,
           **attrs: Any) -> Union[str, List[str]]:
        outs = [self.fresh(hint or op_type.lower()) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=self.fresh("n_" + op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def initializer(self, value: np.ndarray, name: str) -> str:
        name = self.fresh(name)
        # (not ascontiguousarray, which makes a 0-d array 1-d)
        self.initializers.append(self.numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def const(self, value: Any, dtype: Any = None, hint: str = "const") -> str:
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float16 or arr.dtype.kind in "fiub":
            key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 64 else None
        else:
            raise ExportError(f"onnx export: constants of dtype {arr.dtype} are not supported")
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.initializer(arr, hint)
        if key is not None:
            self._consts[key] = name
        return name

    def i64(self, values: Any, hint: str = "shape") -> str:
        return self.const(np.asarray(values, dtype=np.int64), hint=hint)

    def shape_tensor(self, dims: Sequence[Union[int, str]]) -> str:
        """An int64 shape from fixed sizes and 1-element tensors (``Ctx.size``)."""
        if all(isinstance(d, (int, np.integer)) for d in dims):
            return self.i64([int(d) for d in dims])
        parts = [self.i64([int(d)]) if isinstance(d, (int, np.integer)) else d for d in dims]
        return self.op("Concat", parts, axis=0, hint="shape")


class Ctx:
    """What an op exporter sees: the builder ``b``, the tape node ``n`` (its ``attrs``,
    ``vals`` and ``out`` arrays), the ONNX names of its inputs ``ins``, and ``n2``, the
    same node in the second trace at another batch size (None without dynamic axes)."""

    def __init__(self, b: Builder, n: Any, ins: List[str], n2: Any) -> None:
        self.b, self.n, self.ins, self.n2 = b, n, ins, n2
        self.attrs = n.attrs
        self.name = n.op.name
        self.array_inputs: Dict[int, Tuple[str, np.dtype, Tuple[int, ...]]] = {}
        self.mark_used = lambda key: None
        self.dim_of = lambda s1, s2: None

    def size(self, s1: int, s2: int) -> Optional[str]:
        """A 1-element int64 tensor holding a size that is ``s1`` in the trace and ``s2``
        at the other batch size (a multiple of a dynamic input dimension), or None."""
        return self.dim_of(int(s1), int(s2))

    def shape_tensor(self, dims: Sequence[Union[int, str]]) -> str:
        return self.b.shape_tensor(dims)

    def index_arrays(self) -> Dict[int, Tuple[str, np.dtype]]:
        """For getitem: ``{id(index array in attrs["index"]): (ONNX name, dtype)}`` of the
        index arrays that were a model input's values (``Node.index_src``, recorded by
        ``getitem``); these are read from the input instead of baked in as constants."""
        out = {}
        index = self.attrs.get("index", ())
        for pos, raw in (getattr(self.n, "index_src", None) or {}).items():
            hit = self.array_inputs.get(raw)
            if hit is not None and pos < len(index) and np.shape(index[pos]) == hit[2]:
                out[id(index[pos])] = hit[:2]
                self.mark_used(raw)
        return out

    # shapes and dtypes of the traced values
    def shape(self, i: int) -> Tuple[int, ...]:
        return tuple(np.shape(self.n.vals[i]))

    def dtype(self, i: int) -> np.dtype:
        return np.asarray(self.n.vals[i]).dtype

    @property
    def out(self) -> np.ndarray:
        return np.asarray(self.n.out)

    def dynamic(self, i: int) -> Tuple[bool, ...]:
        """Per dimension of input ``i``: does it change with the batch size?"""
        if self.n2 is None:
            return (False,) * len(self.shape(i))
        return tuple(a != b for a, b in zip(self.shape(i), np.shape(self.n2.vals[i])))

    def out_dynamic(self) -> Tuple[bool, ...]:
        if self.n2 is None:
            return (False,) * self.out.ndim
        return tuple(a != b for a, b in zip(self.out.shape, np.shape(self.n2.out)))

    def static(self, what: str) -> None:
        """Refuse when any input or the output changes with the batch size."""
        if self.n2 is not None and (any(any(self.dynamic(i)) for i in range(len(self.ins)))
                                    or any(self.out_dynamic())):
            raise ExportError(f"onnx export: `{self.name}` {what} needs static shapes; it sees "
                              f"a dimension that changes with the batch size. Export without "
                              f"dynamic_axes (a fixed batch size).")

    def fail(self, why: str) -> ExportError:
        return ExportError(f"onnx export: `{self.name}` {why}")

    # common building blocks
    def op(self, op_type: str, inputs: Sequence[str], n_out: int = 1, **attrs: Any):
        return self.b.op(op_type, inputs, n_out, hint=self.name, **attrs)

    def as_dtype(self, name: str, have: np.dtype, want: np.dtype) -> str:
        if np.dtype(have) == np.dtype(want):
            return name
        from onnx import helper
        return self.b.op("Cast", [name], to=helper.np_dtype_to_tensor_dtype(np.dtype(want)))

    def ins_as_out(self) -> List[str]:
        """The inputs cast to the output's dtype (ONNX ops want equal input types)."""
        want = self.out.dtype
        return [self.as_dtype(nm, self.dtype(i), want) for i, nm in enumerate(self.ins)]

    def shape_of(self, name: str) -> str:
        return self.b.op("Shape", [name])
