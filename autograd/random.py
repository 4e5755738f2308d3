"""The global random generator (seeded by ``manual_seed``) and random tensors."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .tape import STATE
from .tensor import Tensor, get_default_dtype, _check_grad_dtype

__all__ = ["manual_seed", "seed", "default_generator", "randn", "rand", "randint", "randperm",
           "random_array"]

_GEN = [np.random.default_rng()]


def manual_seed(n: int) -> np.random.Generator:
    """Seed the global generator (used by randn/rand/randint, dropout and nn.init)."""
    _GEN[0] = np.random.default_rng(int(n))
    return _GEN[0]


seed = manual_seed


def default_generator() -> np.random.Generator:
    """The global NumPy Generator behind tapegrad's random functions."""
    return _GEN[0]


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


def randn(*size, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal samples of the given shape."""
    return _leaf(random_array(_draw_normal, generator, _shape(size), dtype or get_default_dtype()),
                 requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _leaf(random_array(_draw_uniform, generator, _shape(size), dtype or get_default_dtype()),
                 requires_grad)


def randint(low: int, high: Optional[int] = None, size=(), dtype=np.int64, generator=None) -> Tensor:
    """Integers in [low, high) (or [0, low) when high is None)."""
    if high is None:
        low, high = 0, low
    return Tensor._wrap(random_array(_draw_int, generator, low, high, tuple(size), dtype))


def randperm(n: int, generator=None) -> Tensor:
    """A random permutation of 0..n-1."""
    return Tensor._wrap(random_array(_draw_perm, generator, n))
