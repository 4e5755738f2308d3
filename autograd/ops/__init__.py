"""The op families; importing them registers every op in the registry's tables.

One module per family: elementwise, reduce, scan (cumsum, cumprod), shape, index,
linalg, conv, loss, rounding (round, floor, ceil, trunc), torchmath (composites
PyTorch scripts call: log2, sinh, bmm, outer, tril, ... and predicates), and
inplace (the in-place methods), and surface (PyTorch's method names, in-place
variants, bitwise operators, dtype/device methods and keyword names), compare
(comparisons, isclose, allclose, equal). Each declares its primitives (``defop``), composites
(``@composite``), public functions, Tensor methods and backend functions beside each
other; this package lists none of them. Its public names are the registry's
``PUBLIC`` table, read on attribute access (``autograd.ops.exp``) and by
``from autograd.ops import *``.
"""
from ..registry import PUBLIC
from . import (elementwise, elementwise_surface, reduce, softmax_norm, scan, shape, index, linalg, conv,  # noqa: F401
               loss, inplace, rounding, torchmath, surface, compare)
from . import convt, resample, nnlayers  # noqa: F401  (issue 13: conv1d, conv_transpose2d, resampling, norms, activations, losses)

__all__ = sorted(PUBLIC)


def __getattr__(name: str):
    try:
        return PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'autograd.ops' has no attribute {name!r}") from None
