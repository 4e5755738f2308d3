"""Argument checks shared by creation functions, ops and nn (sizes, dims, allocations).

Each raises the class PyTorch raises for the same mistake (see docs/errors.md) with a
message that starts with the name of the function the user called. They sit below
``tensor.py`` in the layers (NumPy and ``errors`` only), so anything may import them;
they are duck-typed on tensors (``.shape``, ``.dtype``, ``.item()``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Tuple

import numpy as np

from .errors import InvalidArgumentError, OutOfMemoryError

__all__ = ["size_arg", "dim_arg", "int_arg", "allocate", "is_int"]


def is_int(v: Any) -> bool:
    """A Python/NumPy integer (not a bool)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _as_int(v: Any, what: str, op: str) -> int:
    if is_int(v):
        return int(v)
    shape = getattr(v, "shape", None)
    dtype = getattr(v, "dtype", None)
    if shape == () and dtype is not None and np.dtype(dtype).kind in "iu":
        return int(v.item())  # a 0-d integer tensor counts as an int, as in PyTorch
    desc = (f"a tensor of shape {tuple(shape)} and dtype {dtype}" if shape is not None
            and dtype is not None else f"{type(v).__name__} {v!r}")
    raise TypeError(f"{op}: {what} must be a tuple of ints, got {desc}")


def size_arg(size: Tuple[Any, ...], op: str, *, check_negative: bool = True) -> Tuple[int, ...]:
    """A size given as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` as a tuple of ints.

    Refuses (TypeError, as PyTorch) floats, bools, None, strings, a tensor of more than
    one element and nested sequences; a negative entry is a RuntimeError
    (:class:`InvalidArgumentError`)."""
    if len(size) == 1 and not is_int(size[0]) and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) == 1 and getattr(size[0], "shape", None) not in (None, ()):
        v = size[0]
        raise TypeError(f"{op}: size must be a tuple of ints, not a tensor of shape "
                        f"{tuple(v.shape)}; pass tuple(t.tolist()) to use its values")
    if check_negative and any(is_int(s) and s < 0 for s in size):  # PyTorch checks this first
        bad = min(s for s in size if is_int(s))
        raise InvalidArgumentError(f"{op}: trying to create a tensor with negative dimension "
                                   f"{bad}: {list(size)}")
    out = tuple(_as_int(s, "size", op) for s in size)
    if check_negative and any(s < 0 for s in out):
        raise InvalidArgumentError(f"{op}: trying to create a tensor with negative dimension "
                                   f"{min(out)}: {list(out)}")
    return out


def int_arg(v: Any, name: str, op: str) -> int:
    """An integer argument (``steps``, ``n``, ``chunks``), TypeError otherwise."""
    if is_int(v):
        return int(v)
    shape = getattr(v, "shape", None)
    if shape == () and np.dtype(getattr(v, "dtype", np.float64)).kind in "iu":
        return int(v.item())
    raise TypeError(f"{op}: {name} must be an int, got {type(v).__name__} {v!r}")


def dim_arg(dim: Any, ndim: int, op: str, name: str = "dim") -> int:
    """One dimension index, normalised to [0, ndim) (0 for a 0-d tensor).

    PyTorch's rule: a 0-d tensor accepts dims -1 and 0; otherwise -ndim <= dim < ndim
    (IndexError outside, TypeError for a non-int)."""
    if not is_int(dim):
        raise TypeError(f"{op}: {name} must be an int, got {type(dim).__name__} {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor with {ndim} "
                         f"dimension(s) (valid: {-n} to {n - 1})")
    return int(dim) % n if ndim else 0


def allocate(fn: Callable, shape: Tuple[int, ...], dtype, op: str):
    """``fn()`` (a NumPy allocation of ``shape``), with an allocation that cannot succeed
    turned into :class:`OutOfMemoryError` naming the op, the shape and the bytes."""
    try:
        return fn()
    except (MemoryError, ValueError) as exc:
        if isinstance(exc, ValueError) and "too big" not in str(exc) and \
                "maximum" not in str(exc).lower():
            raise
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        raise OutOfMemoryError(
            f"{op}: cannot allocate a tensor of shape {tuple(shape)} and dtype "
            f"{np.dtype(dtype)}: it needs {nbytes:,} bytes ({nbytes / 2 ** 30:,.1f} GiB), more "
            f"than the memory available; check the size arguments") from None


def real_arg(v: Any, name: str, op: str) -> float:
    """A real-number argument (``alpha``, ``p``, ``negative_slope``) as a float.

    Ints, floats, bools and 0-d tensors are numbers (as in PyTorch); None, strings,
    complex numbers and tensors of several elements are a TypeError naming the op."""
    if isinstance(v, (int, float, np.integer, np.floating, np.bool_)):
        return float(v)
    if getattr(v, "shape", None) == () and np.dtype(getattr(v, "dtype", object)).kind in "biuf":
        return float(v.item())
    raise TypeError(f"{op}: {name} must be a real number, got {type(v).__name__} "
                    f"{v!r}"[:200])


def dtype_arg(dtype: Any, op: str, default=None) -> np.dtype:
    """A ``dtype=`` argument (a NumPy dtype, its name, or ``autograd.float32`` & co) as a
    NumPy dtype tapegrad supports (bool, integers, floats); None gives ``default``.
    TypeError naming the op otherwise (complex, object, strings, a number)."""
    if dtype is None:
        return np.dtype(default) if default is not None else None
    if isinstance(dtype, (bool, int, float, complex)) and not isinstance(dtype, type):
        raise TypeError(f"{op}: dtype must be a dtype (e.g. float32, int64, bool), got "
                        f"{type(dtype).__name__} {dtype!r}")
    try:
        dt = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (e.g. float32, int64, bool)") from None
    if dt.kind not in "biuf":
        raise TypeError(f"{op}: unsupported dtype {dt}; tapegrad supports bool, integer and "
                        f"float dtypes")
    return dt


def broadcast_arg(op: str, *shapes: Tuple[int, ...]) -> Tuple[int, ...]:
    """The broadcast shape of ``shapes``, or a :class:`~autograd.errors.ShapeError` (a
    RuntimeError, as PyTorch) naming the op, the shapes and the dimension that differs.

    >>> broadcast_arg("logical_and", (2, 1), (3,))
    (2, 3)
    """
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        pass
    from .errors import ShapeError

    shapes = [tuple(s) for s in shapes]
    n = max(len(s) for s in shapes)
    for d in range(1, n + 1):
        sizes = {s[-d] for s in shapes if len(s) >= d} - {1}
        if len(sizes) > 1:
            a, b = sorted(sizes)[:2]
            raise ShapeError(f"{op}: the size of tensor a ({a}) must match the size of tensor b "
                             f"({b}) at non-singleton dimension {n - d}: shapes "
                             f"{', '.join(map(str, shapes))} do not broadcast (equal, or 1, in "
                             f"each trailing dimension); reshape or unsqueeze one input")
    raise ShapeError(f"{op}: shapes {', '.join(map(str, shapes))} do not broadcast")


def device_arg(device: Any, op: str):
    """``devices.check_device(device, op)`` with every error naming ``op``: a device that
    is not the CPU is a RuntimeError (DeviceUnavailableError), a malformed one (a float,
    ``'cuda:x'``) the TypeError/RuntimeError of ``device()``, prefixed with the op.

    >>> device_arg(None, "zeros")
    device(type='cpu')
    """
    from .devices import check_device

    try:
        return check_device(device, op)
    except (TypeError, RuntimeError) as e:
        if str(e).startswith(op):
            raise
        raise type(e)(f"{op}: {e}") from None


def ragged(data: Any) -> str:
    """Where nested lists stop being rectangular, in PyTorch's words."""
    def walk(x, depth):
        if isinstance(x, (list, tuple)):
            lens = {len(e) if isinstance(e, (list, tuple)) else None for e in x}
            if len(lens) > 1:
                first = len(x[0]) if isinstance(x[0], (list, tuple)) else None
                other = next(l for l in (len(e) if isinstance(e, (list, tuple)) else None
                                         for e in x) if l != first)
                return (f"expected sequence of length {first} at dim {depth + 1} (got "
                        f"{other if other is not None else 'a scalar'})")
            for e in x:
                r = walk(e, depth + 1)
                if r:
                    return r
        return ""
    return walk(data, 0) or "the nested sequences do not form a rectangular array"
