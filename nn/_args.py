"""Argument checks of nn's layers and functional wrappers, in PyTorch's order and with
its exception classes, each message naming the layer or function the user called.

The same rules as ``autograd._checks`` (``int_arg``, ``real_arg``, ``dtype_arg``: nn may
only import autograd's public names, see test_nn_imports_only_public_autograd_names),
plus what only layers need: a size that becomes a parameter's dimension, a parameter
allocation that refuses sizes the machine cannot hold (before NumPy is asked), and
errors of an inner op re-labelled with the public name.
"""
from __future__ import annotations

import contextlib
import math
import os
from typing import Any, Iterator, Sequence, Tuple

import numpy as np

import autograd as ag
from autograd import InvalidArgumentError, OutOfMemoryError

__all__: list = []


def is_int(v: Any) -> bool:
    """A Python/NumPy integer (not a bool)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _desc(v: Any) -> str:
    """How an argument is described in a message (a tensor by shape and dtype only)."""
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return f"a tensor of shape {tuple(v.shape)} and dtype {v.dtype}"
    return f"{type(v).__name__} {v!r}"[:200]


def int_arg(v: Any, name: str, op: str) -> int:
    """An integer argument (a 0-d integer tensor counts), TypeError naming ``op`` otherwise."""
    if is_int(v):
        return int(v)
    if getattr(v, "shape", None) == () and np.dtype(getattr(v, "dtype", np.float64)).kind in "iu":
        return int(v.item())
    raise TypeError(f"{op}: {name} must be an int, got {_desc(v)}")


def real_arg(v: Any, name: str, op: str) -> float:
    """A real number (ints, floats, bools, 0-d tensors) as a float; TypeError otherwise."""
    if isinstance(v, (int, float, np.integer, np.floating, np.bool_)):
        return float(v)
    if getattr(v, "shape", None) == () and np.dtype(getattr(v, "dtype", object)).kind in "biuf":
        return float(v.item())
    raise TypeError(f"{op}: {name} must be a real number, got {_desc(v)}")


def dtype_arg(dtype: Any, op: str, default=None) -> np.dtype:
    """A ``dtype=`` argument as a NumPy dtype tapegrad supports; None gives ``default``."""
    if dtype is None:
        return np.dtype(default) if default is not None else None
    if isinstance(dtype, (bool, int, float, complex, str)) and not isinstance(dtype, type):
        if not isinstance(dtype, str):
            raise TypeError(f"{op}: dtype must be a dtype (e.g. float32), got "
                            f"{type(dtype).__name__} {dtype!r}")
    try:
        dt = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (e.g. float32, float64)") from None
    if dt.kind not in "biuf":
        raise TypeError(f"{op}: unsupported dtype {dt}; use a float dtype")
    return dt


def device(dev: Any, layer: str) -> None:
    """A ``device=`` argument: the CPU (None, 'cpu', 'cpu:0', a cpu device) passes; another
    device is an InvalidArgumentError (RuntimeError, PyTorch's class for an unavailable or
    unknown device), a non-device a TypeError, both naming ``layer``."""
    if dev is None:
        return
    try:
        ag.check_device(dev, layer)
    except TypeError as exc:
        raise TypeError(f"{layer}: {exc}") from None
    except (ValueError, RuntimeError) as exc:
        msg = str(exc)
        raise InvalidArgumentError(msg if msg.startswith(layer) else f"{layer}: {msg}") from None


def _memory_bytes() -> int:
    """The physical memory of the machine (a bound no allocation can exceed)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 2 ** 40


def is_real(v: Any) -> bool:
    """A Python/NumPy real number (bools count, as in PyTorch's comparisons)."""
    return isinstance(v, (int, float, np.integer, np.floating, np.bool_))


def size(v: Any, name: str, layer: str) -> int:
    """A layer size (``in_features``, ``num_embeddings``...) as an int: a negative one is
    PyTorch's RuntimeError "negative dimension" (:class:`InvalidArgumentError`), anything
    but an int (or a 0-d integer tensor) a TypeError."""
    n = int_arg(v, name, layer)
    if n < 0:
        raise InvalidArgumentError(f"{layer}: {name}={n}: trying to create a tensor with "
                                   f"negative dimension {n}")
    return n


def sizes(v: Any, name: str, layer: str) -> Tuple[int, ...]:
    """An int or a sequence of ints (``normalized_shape``) as a tuple of sizes."""
    if is_int(v) or getattr(v, "shape", None) == ():
        return (size(v, name, layer),)
    if not isinstance(v, (tuple, list)) and not (hasattr(v, "shape") and hasattr(v, "tolist")):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of ints, got {_desc(v)}")
    if hasattr(v, "tolist") and not isinstance(v, (tuple, list)):
        if np.dtype(v.dtype).kind not in "iu":
            raise TypeError(f"{layer}: {name} must be a tuple of ints, got a tensor of dtype "
                            f"{v.dtype}")
        v = v.tolist()
    return tuple(size(s, name, layer) for s in v)


def real(v: Any, name: str, layer: str) -> float:
    """A real-number argument (``eps``, ``dropout``, ``min_val``), TypeError otherwise."""
    return real_arg(v, name, layer)


def allocate(fn, shape: Tuple[int, ...], dtype, op: str):
    """``fn()`` (a NumPy allocation), MemoryError turned into OutOfMemoryError naming op."""
    try:
        return fn()
    except MemoryError:
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        raise OutOfMemoryError(f"{op}: cannot allocate a parameter of shape {tuple(shape)} "
                               f"({nbytes:,} bytes); check the size arguments") from None


def probability(v: Any, name: str, layer: str) -> float:
    """A probability (``dropout``): TypeError for a non-number, ValueError outside [0, 1]
    (PyTorch's Dropout check)."""
    p = real_arg(v, name, layer)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: {name} probability has to be between 0 and 1, but got {p}")
    return p


def check_bytes(n_elements: int, dtype: Any, layer: str, what: str = "its parameters") -> None:
    """OutOfMemoryError naming ``layer`` when ``n_elements`` of ``dtype`` cannot fit in the
    machine's memory (raised before anything is allocated or copied)."""
    nbytes = int(n_elements) * np.dtype(dtype).itemsize
    if nbytes > _memory_bytes():
        raise OutOfMemoryError(
            f"{layer}: {what} would take {nbytes:,} bytes ({nbytes / 2 ** 30:,.1f} GiB), more than "
            f"the memory of this machine; check the size arguments")


def empty(shape: Sequence[int], dtype: Any, layer: str, fill: Any = None) -> np.ndarray:
    """A parameter's array of ``shape`` (uninitialised, or filled with ``fill``), refusing
    sizes that cannot be allocated with an OutOfMemoryError naming ``layer``."""
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise InvalidArgumentError(f"{layer}: trying to create a parameter with negative "
                                   f"dimension {min(shape)}: {list(shape)}")
    dt = np.dtype(dtype)
    check_bytes(math.prod(shape), dt, layer)
    try:
        arr = allocate(lambda: np.empty(shape, dtype=dt), shape, dt, layer)
    except ValueError as exc:      # NumPy's "maximum allowed dimension exceeded"
        raise InvalidArgumentError(f"{layer}: cannot create a parameter of shape "
                                   f"{list(shape)}: {exc}") from None
    if fill is not None:
        arr.fill(fill)
    return arr


@contextlib.contextmanager
def named(public: str, *inner: str, runtime: bool = False) -> Iterator[None]:
    """Errors raised inside (by an op the wrapper delegates to, whose message starts with
    one of the ``inner`` names) re-raised, same class, under the ``public`` name. With
    ``runtime``, a plain ValueError becomes :class:`InvalidArgumentError` (ValueError and
    RuntimeError: PyTorch raises RuntimeError for most refused values, ValueError for a
    few, and code catching either keeps working)."""
    try:
        yield
    except OverflowError as exc:   # a Python int too large for any tensor dtype
        raise TypeError(f"{public}: an argument is too large to convert to a tensor ({exc})") \
            from None
    except (ValueError, TypeError, RuntimeError, IndexError, NotImplementedError) as exc:
        msg = str(exc)
        for n in (public, *inner, "item()"):
            if msg.startswith(n + ":") or msg.startswith(n + " "):
                cls = InvalidArgumentError if runtime and type(exc) is ValueError else type(exc)
                if cls is type(exc) and n == public:
                    raise
                try:
                    new = cls(public + msg[len(n):])
                except Exception:  # noqa: BLE001 - an exception class with another signature
                    raise exc from None
                raise new from None
        raise
