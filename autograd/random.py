"""The global random generator (seeded by ``manual_seed``) and random tensors."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .devices import check_device
from .tensor import Tensor, get_default_dtype, _check_grad_dtype

__all__ = ["manual_seed", "seed", "default_generator", "randn", "rand", "randint", "randperm"]

_GEN = [np.random.default_rng()]


def manual_seed(n: int) -> np.random.Generator:
    """Seed the global generator (used by randn/rand/randint, dropout and nn.init)."""
    _GEN[0] = np.random.default_rng(int(n))
    return _GEN[0]


seed = manual_seed


def default_generator() -> np.random.Generator:
    """The global NumPy Generator behind tapegrad's random functions."""
    return _GEN[0]


def _shape(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _leaf(arr, requires_grad):
    t = Tensor._wrap(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype, "requires_grad=True")
        t.requires_grad = True
    return t


def _cpu(device, where: str) -> None:
    if device is not None:
        check_device(device, where)


def randn(*size, dtype=None, requires_grad: bool = False, generator=None, device=None) -> Tensor:
    """Standard normal samples of the given shape."""
    _cpu(device, "randn")
    g = generator or _GEN[0]
    return _leaf(g.standard_normal(_shape(size)).astype(dtype or get_default_dtype()), requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False, generator=None, device=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    _cpu(device, "rand")
    g = generator or _GEN[0]
    return _leaf(g.random(_shape(size)).astype(dtype or get_default_dtype()), requires_grad)


def randint(low: int, high: Optional[int] = None, size=(), dtype=np.int64, generator=None,
            device=None) -> Tensor:
    """Integers in [low, high) (or [0, low) when high is None; ``randint(10, (3,))``
    is PyTorch's ``randint(high, size)`` form)."""
    _cpu(device, "randint")
    g = generator or _GEN[0]
    if isinstance(high, (tuple, list)) and size == ():
        high, size = None, high
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    if high is None:
        low, high = 0, low
    return Tensor._wrap(np.asarray(g.integers(low, high, size=tuple(size))).astype(dtype))


def randperm(n: int, generator=None, dtype=np.int64, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    _cpu(device, "randperm")
    g = generator or _GEN[0]
    return Tensor._wrap(g.permutation(n).astype(dtype))
