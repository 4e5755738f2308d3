"""Small helpers shared by the op families."""
from __future__ import annotations

import functools
from typing import Callable, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import DtypeError, InvalidArgumentError
from ..tensor import Tensor, as_tensor

Axis = Union[None, int, Sequence[int]]


def sum_to_array(x: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """Sum ``x`` over the axes NumPy broadcasting added or stretched to reach ``shape``:
    the inverse of broadcasting, applied to every gradient in one place (the engine)."""
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


def raw(a):
    """The NumPy array behind ``a`` (a Tensor or already an array): for constant masks."""
    return a._arr if isinstance(a, Tensor) else a


def norm_axis(axis: Axis, ndim: int, op: str) -> Optional[Tuple[int, ...]]:
    """Normalise ``axis`` (int, tuple, negative, None) to a sorted tuple, with a readable error."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axes = (axis,)
    elif not isinstance(axis, (str, bytes)) and hasattr(axis, "__iter__"):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis/dim must be an int or a tuple of ints, got "
                        f"{type(axis).__name__} {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, (bool, np.bool_)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"{op}: dimension {a} is out of range for a tensor with {ndim} "
                             f"dimension(s) (valid: {-max(ndim, 1)} to {max(ndim, 1) - 1})")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"{op}: axis {axis!r} repeats a dimension")
    if ndim == 0:
        return ()
    return tuple(sorted(out))


def kept_shape(shape: Tuple[int, ...], axes: Optional[Tuple[int, ...]]) -> Tuple[int, ...]:
    """``shape`` with the reduced ``axes`` set to 1 (the keepdims shape)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def pick_axis(kwargs: dict, axis, dim, default=None):
    """Accept both NumPy's ``axis`` and PyTorch's ``dim``."""
    if axis is not None and dim is not None:
        raise TypeError("give either axis= or dim=, not both")
    return axis if axis is not None else (dim if dim is not None else default)


class Variadic:
    """vjps for an op with a variable number of tensor inputs: ``vjps[i]`` is
    ``partial(fn, i)`` where ``fn(i, F, g, out, *inputs, **attrs)``."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __getitem__(self, i: int) -> Callable:
        return functools.partial(self.fn, i)


_PAIR_LOW = {"kernel_size": 1, "stride": 1, "dilation": 1, "padding": 0, "output_size": 0}


def pair(v, name: str, op: str, check_low: bool = True) -> Tuple[int, int]:
    """An int or a pair of ints as a pair, e.g. ``stride=2`` -> (2, 2); TypeError for
    anything else, InvalidArgumentError for a size below its minimum (kernel_size,
    stride and dilation >= 1, padding >= 0), as PyTorch; a 0-d integer tensor is an int."""
    if getattr(v, "shape", None) == () and getattr(v, "dtype", np.dtype(bool)).kind in "iu" \
            and not isinstance(v, np.generic):
        v = int(v.item())
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        t = (int(v), int(v))
    elif isinstance(v, (tuple, list)) and all(isinstance(e, (int, np.integer)) and
                                              not isinstance(e, bool) for e in v):
        t = tuple(int(e) for e in v)
        t = t * 2 if len(t) == 1 else t  # (PyTorch expands a 1-tuple too)
        if len(t) != 2:
            raise InvalidArgumentError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    else:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got "
                        f"{type(v).__name__} {v!r}"[:200])
    return pair_low(t, v, name, op) if check_low else t


def pair_low(t: Tuple[int, int], v, name: str, op: str) -> Tuple[int, int]:
    """``t`` (``pair``'s result for the argument ``v``), refused below its minimum."""
    low = _PAIR_LOW.get(name, 0)
    if min(t) < low:
        raise InvalidArgumentError(f"{op}: {name} must be {'positive' if low else 'non-negative'}"
                                   f", got {v!r}")
    return t


def floating(x, op: str, *, ints: bool = False):
    """``x`` as a Tensor, refusing the dtypes PyTorch has no kernel for (it raises
    NotImplementedError, a RuntimeError): bool always, integers unless ``ints``
    (relu keeps integers; softplus, gelu, elu, leaky_relu and silu refuse them rather
    than truncate the result back to integers)."""
    x = as_tensor(x)
    k = x._d.dtype.kind
    if k == "b" or (k in "iu" and not ints):
        raise DtypeError(f"{op}: not implemented for {x._d.dtype} tensors (as in PyTorch); "
                         f"convert first, e.g. {op}(x.float())")
    return x


class Named:
    """Stands in for an OpDef in ``_forward_error`` so the message names the public
    function called (``floor_divide``, ``remainder``), not an internal op."""

    def __init__(self, name: str) -> None:
        self.name = name


def broadcast_src(src, shape):
    """copy_'s source broadcast to the tensor's shape, or a ShapeError (PyTorch's class)."""
    try:
        return np.broadcast_to(src, shape)
    except ValueError:
        from ..errors import ShapeError

        raise ShapeError(f"copy_from: cannot broadcast the source of shape {np.shape(src)} "
                         f"to the tensor's shape {shape}") from None
