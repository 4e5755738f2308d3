"""Creation functions: zeros, ones, full, arange, linspace, eye and the *_like forms."""
from __future__ import annotations

import numpy as np

from .tensor import Tensor, _check_grad_dtype, as_tensor, get_default_dtype

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
           "arange", "linspace", "eye"]


def _shape(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype, "requires_grad=True")
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    return _leaf(np.zeros(_shape(size), dtype=dtype or get_default_dtype()), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 by default)."""
    return _leaf(np.ones(_shape(size), dtype=dtype or get_default_dtype()), requires_grad)


empty = zeros


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (bool/int values keep their kind, floats are float32)."""
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else get_default_dtype())
    shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(size)
    return _leaf(np.full(shape, fill_value, dtype=dtype), requires_grad)


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    x = as_tensor(x)
    return _leaf(np.zeros(x.shape, dtype=dtype or x.dtype), requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    x = as_tensor(x)
    return _leaf(np.ones(x.shape, dtype=dtype or x.dtype), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    x = as_tensor(x)
    return _leaf(np.full(x.shape, fill_value, dtype=dtype or x.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _leaf(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    return _leaf(np.linspace(start, end, int(steps)).astype(dtype or get_default_dtype()), requires_grad)


def eye(n: int, m=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix."""
    return _leaf(np.eye(n, m, dtype=dtype or get_default_dtype()), requires_grad)
