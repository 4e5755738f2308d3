"""Creation functions: zeros, ones, full, arange, linspace, eye and the *_like forms."""
from __future__ import annotations

import numpy as np

from ._checks import allocate, dtype_arg, int_arg, size_arg
from .errors import InvalidArgumentError
from .tensor import Tensor, _check_grad_dtype, as_tensor, get_default_dtype

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
           "arange", "linspace", "eye"]


def _shape(size, op: str = "zeros") -> tuple:
    return size_arg(size, op)


def _new(fill, shape, dtype, op):
    dtype = dtype_arg(dtype, op, get_default_dtype())
    return allocate(lambda: fill(shape, dtype), shape, dtype, op)


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype, "requires_grad=True")
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    return _leaf(_new(np.zeros, _shape(size, "zeros"), dtype, "zeros"), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 by default)."""
    return _leaf(_new(np.ones, _shape(size, "ones"), dtype, "ones"), requires_grad)


empty = zeros


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (bool/int values keep their kind, floats are float32)."""
    dtype = dtype_arg(dtype, "full")
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else get_default_dtype())
    shape = size_arg((size,), "full")
    if not isinstance(fill_value, (bool, int, float, np.bool_, np.integer, np.floating)) and \
            not (isinstance(fill_value, Tensor) and fill_value.ndim == 0):
        raise TypeError(f"full: fill_value must be a real number or a bool, got "
                        f"{type(fill_value).__name__} {fill_value!r}")
    return _leaf(_new(lambda s, d: np.full(s, fill_value, dtype=d), shape, dtype, "full"),
                 requires_grad)


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    x = as_tensor(x)
    return _leaf(np.zeros(x.shape, dtype=dtype_arg(dtype, "zeros_like", x.dtype)), requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    x = as_tensor(x)
    return _leaf(np.ones(x.shape, dtype=dtype_arg(dtype, "ones_like", x.dtype)), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    x = as_tensor(x)
    _real(("fill_value", fill_value), op="full_like")
    dt = dtype_arg(dtype, "full_like", x.dtype)
    try:
        return _leaf(np.full(x.shape, fill_value, dtype=dt), requires_grad)
    except OverflowError:
        raise InvalidArgumentError(f"full_like: value {fill_value!r} cannot be converted to "
                                   f"type {dt} without overflow") from None


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    _real(("start", start), ("end", end), ("step", step), op="arange")
    if step == 0:
        raise InvalidArgumentError("arange: step must be nonzero")
    if not np.isfinite(float(start)) or not np.isfinite(float(end)):
        raise InvalidArgumentError(f"arange: unsupported range: {start} -> {end} (start and "
                                   f"end must be finite)")
    if np.isinf(float(step)):  # one element, or none; NumPy would give [start] either way
        if np.sign(float(end) - float(start)) * np.sign(float(step)) < 0:
            raise InvalidArgumentError("arange: upper bound and lower bound inconsistent "
                                       "with step sign")
        end = start
    if not np.isfinite(float(start)) or not np.isfinite(float(end)):
        raise InvalidArgumentError(f"arange: unsupported range: {start} -> {end} (start and "
                                   f"end must be finite)")
    if (end - start) / step < 0:
        raise InvalidArgumentError(f"arange: upper bound and larger bound inconsistent with "
                                   f"step sign (start {start}, end {end}, step {step})")
    dtype = dtype_arg(dtype, "arange")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    n = int(np.ceil((end - start) / step))
    return _leaf(allocate(lambda: np.arange(start, end, step).astype(dtype), (n,), dtype,
                          "arange"), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    _real(("start", start), ("end", end), op="linspace")
    start, end = (float(v) if isinstance(v, int) and abs(v) > 2 ** 53 else v for v in (start, end))
    steps = int_arg(steps, "steps", "linspace")
    if steps < 0:
        raise InvalidArgumentError(f"linspace: number of steps must be non-negative, got {steps}")
    dt = dtype_arg(dtype, "linspace", get_default_dtype())
    return _leaf(allocate(lambda: np.linspace(start, end, steps).astype(dt), (steps,), dt,
                          "linspace"), requires_grad)


def eye(n: int, m=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix."""
    n = int_arg(n, "n", "eye")
    m = n if m is None else int_arg(m, "m", "eye")
    if n < 0 or m < 0:
        raise InvalidArgumentError(f"eye: n and m must be >= 0, got n={n}, m={m}")
    return _leaf(_new(lambda s, d: np.eye(n, m, dtype=d), (n, m), dtype, "eye"), requires_grad)


def _real(*named, op: str) -> None:
    """Each (name, value) must be a real number (complex: tapegrad has no complex dtype)."""
    for name, v in named:
        if isinstance(v, Tensor):
            if v.ndim != 0:
                raise TypeError(f"{op}: {name} must be a number or a 0-d tensor, got a "
                                f"tensor of shape {v.shape}")
            continue
        if not isinstance(v, (int, float, np.integer, np.floating, np.bool_)):  # (bools: 0/1)
            extra = " (tapegrad does not support complex numbers)" if isinstance(v, complex) else ""
            raise TypeError(f"{op}: {name} must be a real number, got {type(v).__name__} "
                            f"{v!r}{extra}")
