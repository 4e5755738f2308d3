"""The global random generator (seeded by ``manual_seed``) and random tensors."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ._checks import allocate, dtype_arg, int_arg, size_arg
from .devices import check_device
from .errors import InvalidArgumentError
from .tape import STATE
from .tensor import Tensor, get_default_dtype, _check_grad_dtype

__all__ = ["manual_seed", "seed", "default_generator", "randn", "rand", "randint", "randperm",
           "random_array"]

_GEN = [np.random.default_rng()]


def manual_seed(n: int) -> np.random.Generator:
    """Seed the global generator (used by randn/rand/randint, dropout and nn.init).

    >>> import autograd as ag
    >>> _ = ag.manual_seed(0); a = ag.rand(3).tolist()
    >>> _ = ag.manual_seed(0); a == ag.rand(3).tolist()
    True
    """
    _GEN[0] = np.random.default_rng(int(n))
    return _GEN[0]


seed = manual_seed


def default_generator() -> np.random.Generator:
    """The global NumPy Generator behind tapegrad's random functions.

    >>> import autograd as ag
    >>> _ = ag.manual_seed(0)
    >>> type(ag.default_generator()).__name__
    'Generator'
    """
    return _GEN[0]


def _generator(generator, op: str) -> np.random.Generator:
    if generator is None:
        return _GEN[0]
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator (e.g. "
                        f"autograd.default_generator()), got {type(generator).__name__}")
    return generator


def _shape(size, op: str = "randn") -> tuple:
    return size_arg(size, op)


def _float_dtype(dtype, op: str) -> np.dtype:
    dt = dtype_arg(dtype, op, get_default_dtype())
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be a floating point dtype, got {dt}")
    return dt


def random_array(draw, *args):
    """``draw(*args)``: the one way tapegrad draws random numbers (random tensors, dropout
    masks). ``draw`` must find its generator itself at every call (``None`` meaning
    :func:`default_generator`), so that ``autograd.compile``, which is told of every draw
    while it records, can replay it with fresh numbers from the same generator, in the
    same order as eager mode."""
    out = draw(*args)
    rec = STATE.recorder
    if rec is not None:
        rec.random(draw, args, out)
    return out


def _gen(g):
    return g or _GEN[0]


def _draw_normal(g, shape, dtype):
    return _gen(g).standard_normal(shape).astype(dtype)


def _draw_uniform(g, shape, dtype):
    return _gen(g).random(shape).astype(dtype)


def _draw_int(g, low, high, shape, dtype):
    return np.asarray(_gen(g).integers(low, high, size=shape)).astype(dtype)


def _draw_perm(g, n):
    return _gen(g).permutation(n).astype(np.int64)


def _leaf(arr, requires_grad, op: str = "tensor"):
    if not isinstance(requires_grad, (bool, np.bool_)):
        raise TypeError(f"{op}(): argument 'requires_grad' must be bool, not "
                        f"{type(requires_grad).__name__}")
    t = Tensor._wrap(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype, f"{op}(requires_grad=True)")
        t.requires_grad = True
    return t


def _cpu(device, where: str) -> None:
    if device is not None:
        check_device(device, where)


def randn(*size, dtype=None, requires_grad: bool = False, generator=None, device=None) -> Tensor:
    """Standard normal samples of the given shape.

    >>> import autograd as ag
    >>> _ = ag.manual_seed(0)
    >>> ag.randn(2, 3).shape, ag.randn(4, dtype=ag.float64).dtype
    ((2, 3), dtype('float64'))
    """
    _cpu(device, "randn")
    _generator(generator, "randn")
    shape, dt = _shape(size, "randn"), _float_dtype(dtype, "randn")
    return _leaf(allocate(lambda: random_array(_draw_normal, generator, shape, dt), shape, dt,
                          "randn"), requires_grad, "randn")


def rand(*size, dtype=None, requires_grad: bool = False, generator=None, device=None) -> Tensor:
    """Uniform samples in [0, 1).

    >>> import autograd as ag
    >>> _ = ag.manual_seed(0)
    >>> r = ag.rand(2, 3)
    >>> r.shape, r.dtype, bool(((r >= 0) & (r < 1)).all())
    ((2, 3), dtype('float32'), True)
    """
    _cpu(device, "rand")
    _generator(generator, "rand")
    shape, dt = _shape(size, "rand"), _float_dtype(dtype, "rand")
    return _leaf(allocate(lambda: random_array(_draw_uniform, generator, shape, dt), shape, dt,
                          "rand"), requires_grad, "rand")


def randint(low: int, high: Optional[int] = None, size=(), *, dtype=np.int64, generator=None,
            device=None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high) (or [0, low) when high is None). As in PyTorch,
    ``randint(high, size)`` (two positional arguments, the second a tuple) also works.

    >>> import autograd as ag
    >>> _ = ag.manual_seed(0)
    >>> r = ag.randint(0, 10, (5,))
    >>> r.dtype, bool(((r >= 0) & (r < 10)).all())
    (dtype('int64'), True)
    """
    _cpu(device, "randint")
    _generator(generator, "randint")
    dtype = dtype_arg(dtype, "randint")
    if isinstance(high, (tuple, list)) and isinstance(size, tuple) and not size:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    low, high = int_arg(low, "low", "randint"), int_arg(high, "high", "randint")
    shape = size_arg((size,) if not isinstance(size, (tuple, list)) else tuple(size), "randint")
    int_bounds(low, high, dtype, "randint")
    return _leaf(allocate(lambda: random_array(_draw_int, generator, low, high, shape, dtype),
                          shape, np.int64, "randint"), requires_grad, "randint")


def int_bounds(low: int, high: int, dtype: np.dtype, op: str) -> None:
    """[low, high) must be a non-empty range of values ``dtype`` can hold (PyTorch's
    RuntimeError, e.g. "to - 1 is out of bounds for bool")."""
    if low >= high:
        raise InvalidArgumentError(f"{op}: expects 'low' to be less than 'high', got "
                                   f"low={low} >= high={high}")
    dt = np.dtype(dtype)
    lo, hi = ((0, 1) if dt.kind == "b" else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
              if dt.kind in "iu" else (-2 ** 63, 2 ** 63))
    if low < lo or high - 1 > hi:
        raise InvalidArgumentError(f"{op}: [{low}, {high}) is out of bounds for dtype {dt} "
                                   f"(values {lo} to {hi})")


def randperm(n: int, *, generator=None, dtype=np.int64, device=None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1.

    >>> import autograd as ag
    >>> _ = ag.manual_seed(0)
    >>> sorted(ag.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    _cpu(device, "randperm")
    _generator(generator, "randperm")
    n = int_arg(n, "n", "randperm")
    dtype = dtype_arg(dtype, "randperm")
    if n < 0:
        raise InvalidArgumentError(f"randperm: n must be non-negative, got {n}")
    if dtype.kind != "f" and n > 0:
        int_bounds(0, n, dtype, "randperm")
    return _leaf(allocate(lambda: random_array(_draw_perm, generator, n).astype(dtype),
                          (n,), dtype, "randperm"), requires_grad, "randperm")
