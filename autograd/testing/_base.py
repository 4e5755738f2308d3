"""The sample types, value generators and the sample table itself (``DB``, ``REFS``)."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import autograd as ag

from autograd.ops._util import norm_axis



@dataclass(eq=False)
class Sample:
    inputs: Tuple[np.ndarray, ...]
    attrs: Dict[str, Any] = field(default_factory=dict)
    ref: Optional[Callable] = None          # ref(torch, *tensors) -> tensor or tuple
    call: Optional[Callable] = None         # call(fn, *tensors, **attrs) -> output(s)
    nondiff: Tuple[int, ...] = ()           # float inputs that must not require grad
    grad: bool = True                       # gradcheck (False: sits on a convention point)
    gradgrad: bool = True                   # gradgradcheck when the op is smooth
    fast: bool = False                      # fast_mode for the larger samples
    eps: float = 1e-6
    edge: bool = False                      # produces inf/nan on purpose (errstate off)
    desc: str = ""

    def diff_positions(self) -> List[int]:
        return [i for i, a in enumerate(self.inputs)
                if a.dtype.kind == "f" and i not in self.nondiff]


def make_inputs(sample: Sample) -> List[ag.Tensor]:
    """Fresh tensors for a sample: float64 for float inputs, which require grad unless
    listed in ``nondiff``; the memory layout (Fortran order, strides) is kept."""
    diff = set(sample.diff_positions())
    out = []
    for i, a in enumerate(sample.inputs):
        t = ag.tensor(np.array(a, dtype=np.float64 if a.dtype.kind == "f" else a.dtype,
                               order="K"))
        if i in diff:
            t.requires_grad_()
        out.append(t)
    return out


@dataclass(eq=False)
class OpEntry:
    name: str
    fn: Callable
    kind: str                  # "primitive" or "composite"
    differentiable: bool
    smooth: bool
    ref: Optional[Callable]    # default reference ref(torch, *tensors, **attrs)
    samples: List[Sample] = field(default_factory=list)

    def run(self, sample: Sample, tensors: Sequence):
        if sample.call is not None:
            return sample.call(self.fn, *tensors, **sample.attrs)
        return self.fn(*tensors, **sample.attrs)

    def torch_ref(self, sample: Sample) -> Optional[Callable]:
        if sample.ref is not None:
            return sample.ref
        if self.ref is None:
            return None
        return lambda t, *xs: self.ref(t, *xs, **sample.attrs)


# --------------------------------------------------------------------------- helpers
_RNG: Dict[str, np.random.Generator] = {}


def rng(name: str) -> np.random.Generator:
    """A generator per op name, so an op's samples do not depend on table order."""
    if name not in _RNG:
        _RNG[name] = np.random.default_rng(zlib.crc32(name.encode()))
    return _RNG[name]


def dodge(x, kinks: Sequence[float] = (0.0,), margin: float = 0.1) -> np.ndarray:
    """Push values within ``margin`` of a kink to distance ``margin`` (like Chainer's
    ``dodge_nondifferentiable``), keeping their side (ties go up)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        d = x - k
        near = np.abs(d) < margin
        x = np.where(near, k + np.where(d < 0, -margin, margin), x)
    return x


def distinct(r: np.random.Generator, shape, scale: float = 0.5, start: float = None) -> np.ndarray:
    """Tie-free values: a shuffled ladder with gaps >= 0.8 * scale (no max/min ties,
    no reordering under a 1e-6 perturbation)."""
    n = int(np.prod(shape, dtype=np.int64))
    ladder = np.arange(n, dtype=np.float64) * scale
    ladder += (start if start is not None else -ladder.mean())
    ladder += r.uniform(-0.1, 0.1, n) * scale
    return r.permutation(ladder).reshape(shape)


def U(r, shape, lo=-2.0, hi=2.0) -> np.ndarray:
    return r.uniform(lo, hi, size=shape)


def pos(r, shape, lo=0.5, hi=2.0) -> np.ndarray:
    return r.uniform(lo, hi, size=shape)


def away(r, shape, lo=0.5, hi=2.0) -> np.ndarray:
    """Values with |x| in [lo, hi] and random sign (divisors)."""
    return r.uniform(lo, hi, size=shape) * r.choice([-1.0, 1.0], size=shape)


def fortran(a) -> np.ndarray:
    """Same values, column-major (a transposed, non-C-contiguous layout)."""
    return np.asfortranarray(a)


def strided(a) -> np.ndarray:
    """Same values as a non-contiguous view (every other element of a bigger buffer)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a
    buf = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    buf[..., ::2] = a
    view = buf[..., ::2]
    assert not view.flags.c_contiguous or view.size <= 1
    return view


def red(shape, axis, keepdims) -> Dict[str, Any]:
    """The internal attrs of sum/mean/max/min/prod/logsumexp, as their wrappers pass them."""
    return {"axis": norm_axis(axis, len(shape), "op"), "keepdims": bool(keepdims)}


def _dims(axis, nd) -> Tuple[int, ...]:
    return tuple(range(nd)) if axis is None else tuple(axis)


def _tidx(t, index, shape):
    """A normalised tapegrad index as a torch index. torch has no negative slice steps:
    such a slice becomes the equivalent index array (only valid when it is the sole
    advanced index, which the samples respect)."""
    out = []
    dim = 0
    for k, i in enumerate(index):
        if isinstance(i, slice) and i.step is not None and i.step < 0:
            assert not any(isinstance(j, np.ndarray) for j in index)
            i = np.arange(shape[dim])[i].copy()
        if isinstance(i, np.ndarray):
            out.append(t.as_tensor(i))
            dim += 1
        elif i is Ellipsis:
            out.append(i)
            dim = len(shape) - sum(1 for j in index[k + 1:] if j is not None and j is not Ellipsis)
        else:
            out.append(i)
            dim += i is not None
    return tuple(out)


DB: Dict[str, List[Sample]] = {}
REFS: Dict[str, Callable] = {}


def samples(*names: str, ref: Optional[Callable] = None):
    """Register a sample builder ``fn(name, r) -> list[Sample]`` for each op in ``names``."""
    def deco(fn):
        for n in names:
            if n in DB:
                raise ValueError(f"samples for {n!r} defined twice")
            DB[n] = fn(n, rng(n))
            if ref is not None:
                REFS[n] = ref
        return fn
    return deco


def S(*inputs, **kw) -> Sample:
    return Sample(tuple(np.asarray(a) for a in inputs), **kw)


# The samples above call primitives with their internal attributes. These call the
# public functions and methods users write (PyTorch's dim/keepdim, negative dims,
# lists and Tensors as indices, in-place methods), so the wrappers' normalisation is
# checked against PyTorch too. Filed under the primitive they reach.
def P(*inputs, call, ref, **kw) -> Sample:
    return S(*inputs, call=lambda fn, *ts, **a: call(*ts), ref=ref, **kw)

