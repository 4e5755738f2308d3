"""The two backends a vjp formula runs on: ``NP`` (NumPy arrays) and ``TG`` (Tensors).

A vjp is written once with operators and ``F.<name>`` calls. With ``F = NP`` every
name is a thin NumPy call and nothing is recorded; with ``F = TG`` every name is a
registered, differentiable op, so the backward pass itself becomes a graph that can
be differentiated again. Both classes therefore expose exactly the same names.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

__all__ = ["NP", "TG", "sum_to_array"]


def _size(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def sum_to_array(x: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """Sum ``x`` over the axes NumPy broadcasting added or stretched to reach ``shape``."""
    xs = x.shape
    if xs == shape:
        return x
    lead = len(xs) - len(shape)
    if lead > 0 and not any(s == 1 and xs[i + lead] != 1 for i, s in enumerate(shape)):
        return x.sum(axis=tuple(range(lead)))  # the common case: a bias gradient
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and xs[i + lead] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape)


class NP:
    """NumPy backend: the plain, fast path (``create_graph=False``)."""

    is_tensor = False
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)
    matmul = staticmethod(np.matmul)
    sum_to = staticmethod(sum_to_array)
    zeros_like = staticmethod(np.zeros_like)
    ones_like = staticmethod(np.ones_like)

    @staticmethod
    def sigmoid(x):
        from .ops.elementwise import _sigmoid_np

        return _sigmoid_np(x)

    @staticmethod
    def erf(x):
        from .ops.elementwise import _erf_np

        return _erf_np(x)

    # ndarray methods, not np.* functions: the functions add a Python-level wrapper
    # (1-3 us per call), which dominates on the small arrays of small models.
    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def permute(x, axes):
        return x.transpose(axes)

    @staticmethod
    def swapaxes(x, a, b):
        return x.swapaxes(a, b)

    @staticmethod
    def broadcast_to(x, shape):
        # np.broadcast_to is Python-level (~5 us); for small results a C-level fill of a
        # fresh array is cheaper, and the engine may then accumulate into it in place.
        if _size(shape) <= 65536:
            out = np.empty(shape, dtype=x.dtype)
            out[...] = x
            return out
        return np.broadcast_to(x, shape)

    @staticmethod
    def expand_dims(x, axis):
        return np.expand_dims(x, axis)

    @staticmethod
    def cast(x, dtype):
        return x.astype(dtype, copy=False)

    @staticmethod
    def getitem(x, index):
        from .ops.index import take_np  # PyTorch's placement when ints mix with arrays

        return take_np(x, index)

    @staticmethod
    def index_add(g, index, shape):
        from .ops.index import _index_add_np

        return _index_add_np(g, index, shape)

    @staticmethod
    def pad(x, pad_width, value=0.0):
        from .ops.shape import _pad_fwd

        return _pad_fwd(x, pad_width, value)

    @staticmethod
    def unfold(x, kernel, stride, dilation):
        from .ops.conv import _unfold_np

        return _unfold_np(x, kernel, stride, dilation)

    @staticmethod
    def fold(cols, shape, kernel, stride, dilation):
        from .ops.conv import _fold_np

        return _fold_np(cols, shape, kernel, stride, dilation)

    @staticmethod
    def concatenate(xs: Sequence, axis: int):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def const(value, like):
        """A constant array (no gradient) with ``like``'s dtype."""
        return np.asarray(value, dtype=like.dtype)


class TG:
    """Tensor backend: every name is a differentiable op (``create_graph=True``)."""

    is_tensor = True

    def __getattr__(self, name):  # pragma: no cover - only reached on a missing name
        raise AttributeError(f"the Tensor backend has no function {name!r}")


def _install_tg() -> None:
    from . import ops
    from .ops import conv, elementwise, index, shape
    from .tensor import Tensor

    # NP's helpers that live in ops/ (imported lazily above, because ops imports this
    # module) are bound directly once ops exist: an import statement per vjp call costs
    # ~1 us, as much as the NumPy work on small arrays.
    NP.sigmoid = staticmethod(elementwise._sigmoid_np)
    NP.erf = staticmethod(elementwise._erf_np)
    NP.getitem = staticmethod(index.take_np)
    NP.index_add = staticmethod(index._index_add_np)
    NP.pad = staticmethod(shape._pad_fwd)
    NP.unfold = staticmethod(conv._unfold_np)
    NP.fold = staticmethod(conv._fold_np)

    simple = ["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "sign", "where", "maximum",
              "matmul", "sigmoid", "erf", "zeros_like", "ones_like"]
    for name in simple:
        setattr(TG, name, staticmethod(getattr(ops, name)))
    TG.sum = staticmethod(lambda x, axis=None, keepdims=False: ops.sum(x, axis=axis, keepdims=keepdims))
    TG.reshape = staticmethod(lambda x, shape: ops.reshape(x, shape))
    TG.permute = staticmethod(lambda x, axes: ops.permute(x, axes))
    TG.swapaxes = staticmethod(lambda x, a, b: ops.transpose(x, a, b))
    TG.broadcast_to = staticmethod(lambda x, shape: ops.broadcast_to(x, shape))
    TG.expand_dims = staticmethod(lambda x, axis: ops.unsqueeze(x, axis))
    TG.cast = staticmethod(lambda x, dtype: ops.cast(x, dtype=np.dtype(dtype)))
    TG.getitem = staticmethod(lambda x, index: ops.OPS["getitem"](x, index=index))
    TG.index_add = staticmethod(lambda g, index, shape: ops.OPS["index_add"](g, index=index, shape=tuple(shape)))
    TG.pad = staticmethod(lambda x, pad_width, value=0.0: ops.OPS["pad"](x, pad_width=tuple(map(tuple, pad_width)), value=value))
    TG.unfold = staticmethod(lambda x, kernel, stride, dilation: ops.OPS["unfold"](x, kernel=kernel, stride=stride, dilation=dilation))
    TG.fold = staticmethod(lambda cols, shape, kernel, stride, dilation: ops.OPS["fold"](cols, shape=tuple(shape), kernel=kernel, stride=stride, dilation=dilation))
    TG.concatenate = staticmethod(lambda xs, axis: ops.cat(list(xs), axis))
    TG.const = staticmethod(lambda value, like: Tensor._wrap(np.asarray(value, dtype=like.dtype)))
    TG.sum_to = staticmethod(ops.sum_to)
