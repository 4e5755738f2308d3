"""What a node keeps after a backward without ``retain_graph`` (engine.py calls
:func:`free_saved` on each node it has run).

PyTorch frees a node's *saved tensors* after backward, but not the metadata it keeps
(input sizes, scalar constants): ``(x + 1).sum()`` can be backpropagated twice, only
``x * x`` refuses. The same here: a node whose vjps read no input value keeps shape
and dtype stand-ins (:class:`_Meta`), so a second backward through it works, and the
"Specify retain_graph=True" error is raised only where a value is really gone.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from .registry import OPS
from .tape import Node

__all__ = ["free_saved"]

_ndarray = np.ndarray


class _Meta:
    """What a freed node keeps of a value its vjps never read: shape and dtype (for
    undoing broadcasting and casting the gradient), as PyTorch keeps input metadata."""

    __slots__ = ("shape", "dtype", "ndim", "_d", "_mod_stamp", "_version")
    freed = True   # (the value itself is gone: tools that replay a node must skip it)
    _base = None
    requires_grad = False
    grad_fn = None

    def __init__(self, v) -> None:
        self.shape = v.shape
        self.dtype = v.dtype
        self.ndim = len(v.shape)
        self._d = self
        self._mod_stamp = 0
        self._version = 0


# ops whose vjps read their input only for its shape/dtype (x.shape in _expand, reshape,
# index_add, ...): PyTorch saves just the sizes for these, so they survive a backward
_SHAPE_ONLY = frozenset({"sum", "mean", "reshape", "getitem", "broadcast_to", "permute"})
_SHAPE_ONLY_OPS = frozenset(OPS[n] for n in _SHAPE_ONLY)
_UNION: Dict = {}   # op -> False (keep nothing) or the input slots any of its vjps reads
_METAS: Dict = {}   # (shape, dtype) -> a shared _Meta (immutable, so one per shape/dtype)


def _reads(op, parents) -> object:
    """False when the op's vjps may read anything (unknown) or its output, else the
    input slots they read (for the edges in ``parents``, or any edge when None)."""
    reads = op.reads
    if op in _SHAPE_ONLY_OPS:
        return frozenset()
    if reads is None or op.uses_out:
        return False
    if parents is None:
        return frozenset().union(*reads)
    return frozenset().union(*[r for k, r in enumerate(reads)
                               if k < len(parents) and parents[k] is not None])


def _meta(v) -> _Meta:
    key = (v.shape, v.dtype)
    m = _METAS.get(key)
    if m is None:
        m = _Meta(v)
        if len(_METAS) < 4096:
            _METAS[key] = m
    return m


def free_saved(node: Node) -> None:
    """Drop what ``node`` saved after a backward without retain_graph. As in PyTorch, only
    saved values are freed: when the vjps read no input value and not the output (add,
    sum, reshape, ...), the node keeps the shapes/dtypes, so a second backward through
    it works; a node that saved values (``x * y``, ``x * 2``) refuses, naming retain_graph."""
    op = node.op
    keep = _UNION.get(op)
    if keep is None:
        keep = _UNION[op] = _reads(op, None)
    if keep is False or keep:  # some vjp reads a value: freed (PyTorch frees it too, even
        # a wrapped Python scalar: (x * 2) can't be backpropagated twice there either)
        node.inputs = None
        node.vals = None
        node.out = None
        return
    vals = node.vals
    out = node.out
    if type(out) is not _ndarray or not out.ndim:
        for v in vals:
            if type(v) is _ndarray and v.ndim:
                break
        else:
            return  # all values 0-d: nothing worth freeing (and scalar graphs stay fast)
    node.vals = node.inputs = tuple([_meta(v) for v in vals])
    node.out = _meta(out)
