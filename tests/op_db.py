"""Samples for every registered op: the one table the generic tests iterate over.

``OP_DB[name]`` is an :class:`OpEntry` for each primitive in ``autograd.OPS`` and each
composite in ``autograd.COMPOSITES``: the callable, whether it is differentiable and
smooth (from the registry), a default PyTorch reference and a list of
:class:`Sample`\\ s. A sample states only inputs and attributes:

* ``inputs``: NumPy arrays, in call order. Float arrays become tensors that require
  grad (float64), except positions listed in ``nondiff``; bool/int arrays (``where``'s
  condition) are passed as constant tensors.
* ``attrs``: the non-tensor arguments. Primitives are called as
  ``OPS[name](*tensors, **attrs)`` with their *internal* attributes, built here with
  the same normalisers the public wrappers use (``norm_axis``, ``normalize_index``,
  ``pair``); composites are called as ``fn(*tensors, **attrs)`` with public keywords.
  (conv2d and max_pool2d are primitives reached through their public function, so
  their samples use public keywords.)
* ``call``: optional ``call(fn, *tensors, **attrs)`` replacing the plain call; the
  "public forms" section uses it to reach each op through the functions and methods
  users write (``x.max(1)``, ``x[0, :, [1, 1]]``, ``y *= y``, ``clamp(x, t_lo, t_hi)``).
* ``ref``: optional PyTorch reference ``ref(torch, *torch_tensors)``; when None the
  entry's default ``ref(torch, *torch_tensors, **attrs)`` is used. ``torch`` is passed
  in, so this module imports without it.

Inputs stay inside each op's domain (log/sqrt positive, pow base positive, divisors
away from 0) and off its kinks (``dodge``; ``distinct`` for max/min so there are no
ties). Samples that deliberately sit on a kink or a tie to pin a subgradient
convention against PyTorch carry ``grad=False`` (finite differences are meaningless
there) and are compared with PyTorch only.

Besides the per-op builders, later sections add extreme arguments (saturation),
empty batches, mixed float/int dtypes and the public forms.

Shapes are small (a few to ~50 elements): gradcheck costs one backward per output
element and two forwards per input element.
"""
from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import autograd as ag
from autograd import COMPOSITES, OPS
from autograd.ops._util import norm_axis, pair
from autograd.ops.index import normalize_index, take_np

__all__ = ["Sample", "OpEntry", "OP_DB", "dodge", "distinct", "all_cases"]


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


# --------------------------------------------------------------------------- arithmetic
# Broadcasting pairs every binary op gets: (a, b) shapes.
BINARY_SHAPES = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 1, 3), (4, 1)),
                 ((2, 3), ()), ((), ()), ((1,), (3,)), ((4,), (3, 1))]


def _binary_samples(name, r, make_a, make_b):
    out = [S(make_a(r, a), make_b(r, b), desc=f"{a}x{b}") for a, b in BINARY_SHAPES]
    # mixed dtypes: an integer tensor takes the float tensor's dtype (PyTorch's
    # promotion; the float32 test checks no float64 appears)
    public = lambda fn, x, y: getattr(ag, name)(x, y)  # noqa: E731 (dtype rules live there)
    out.append(S(make_a(r, (2, 3)), np.array([1, 2, 3]), call=public, desc="float x int64"))
    ints = np.array([[1, 2, 3]]) if name == "pow" else np.array([[1, -2, 3]])
    out.append(S(ints, make_b(r, (2, 1)), call=public, desc="int64 x float"))
    # non-contiguous: a column-major (3, 4) with a strided (4,)
    out.append(S(fortran(make_a(r, (3, 4))), strided(make_b(r, (4,))), desc="noncontig"))
    # a transposed view against a size-1 dim
    out.append(S(make_a(r, (4, 3)).T, make_b(r, (3, 1)), desc="transposed"))
    return out


for _n in ("add", "sub", "mul"):
    samples(_n, ref=lambda t, x, y, _n=_n: getattr(t, _n)(x, y))(
        lambda name, r: _binary_samples(name, r, U, U))
@samples("div", ref=lambda t, x, y: t.div(x, y))
def _div(name, r):
    out = _binary_samples(name, r, U, away)
    # integer / integer is true division in the default float dtype, like PyTorch
    out.append(S(np.array([1, -7, 4]), np.array([2, 2, 3]), call=lambda fn, x, y: ag.div(x, y),
                 grad=False, desc="int64 / int64"))
    return out


@samples("pow", ref=lambda t, x, y: t.pow(x, y))
def _pow(name, r):
    out = _binary_samples(name, r, pos, lambda r, s: U(r, s, -2.0, 2.0))
    # negative base with integer exponents (the exponent gets no gradient: log(x) < 0)
    out.append(S(away(r, (2, 3)), np.array([2.0, 3.0, -1.0]), nondiff=(1,),
                 desc="negative base, integer exponent"))
    # zero base with exponent 2 (d/dy x**y = 0 at x == 0, like PyTorch); second derivative
    # perturbs x below 0 where log is undefined
    out.append(S(np.array([0.0, 1.5, 0.0]), np.array([2.0, 2.0, 3.0]), gradgrad=False,
                 desc="zero base"))
    # 0**0 = 1 with zero gradients, 0**1: d/dx = 1, d/dy = 0 (PyTorch's conventions)
    out.append(S(np.array([0.0, 0.0, 2.0]), np.array([0.0, 1.0, 0.0]), grad=False,
                 desc="0**0 and 0**1"))
    return out


# --------------------------------------------------------------------------- unary math
UNARY_SHAPES = [(), (1,), (3, 4), (2, 1, 3)]


def _unary_samples(r, make, **kw):
    out = [S(make(r, s), desc=str(s), **kw) for s in UNARY_SHAPES]
    out.append(S(fortran(make(r, (4, 3))), desc="fortran", **kw))
    out.append(S(strided(make(r, (2, 3))), desc="strided", **kw))
    return out


@samples("neg", ref=lambda t, x: t.neg(x))
def _neg(name, r):
    return _unary_samples(r, U)


def _kinked(kinks=(0.0,)):
    return lambda r, s: dodge(U(r, s), kinks)


_UNARY = {
    "exp": (U, lambda t, x: t.exp(x)),
    "log": (pos, lambda t, x: t.log(x)),
    "log1p": (lambda r, s: U(r, s, -0.5, 2.0), lambda t, x: t.log1p(x)),
    "sqrt": (pos, lambda t, x: t.sqrt(x)),
    "sin": (U, lambda t, x: t.sin(x)),
    "cos": (U, lambda t, x: t.cos(x)),
    "tan": (lambda r, s: U(r, s, -1.2, 1.2), lambda t, x: t.tan(x)),
    "tanh": (U, lambda t, x: t.tanh(x)),
    "sigmoid": (lambda r, s: U(r, s, -4, 4), lambda t, x: t.sigmoid(x)),
    "erf": (U, lambda t, x: t.erf(x)),
    "abs": (_kinked(), lambda t, x: t.abs(x)),
    "sign": (_kinked(), lambda t, x: t.sign(x)),
    "relu": (_kinked(), lambda t, x: t.relu(x)),
}
for _n, (_make, _ref) in _UNARY.items():
    samples(_n, ref=_ref)(lambda name, r, _make=_make: _unary_samples(r, _make))

# convention points, compared with PyTorch only (finite differences straddle the kink)
DB["abs"].append(S(np.array([-1.0, 0.0, 2.0]), grad=False, desc="abs'(0) = 0"))
DB["sign"].append(S(np.array([-1.0, 0.0, 2.0]), grad=False, desc="sign at 0"))
DB["relu"].append(S(np.array([-1.0, 0.0, 2.0]), grad=False, desc="relu'(0) = 0"))
DB["sqrt"].append(S(np.array([0.0, 4.0]), grad=False, edge=True, desc="sqrt'(0) = inf"))
DB["log"].append(S(np.array([0.0, 4.0]), grad=False, edge=True, desc="log'(0) = inf"))
# large arguments: sigmoid must not overflow
DB["sigmoid"].append(S(np.array([-800.0, -30.0, 30.0, 800.0]), grad=False,
                       desc="saturated, no overflow"))


@samples("leaky_relu",
         ref=lambda t, x, negative_slope: t.nn.functional.leaky_relu(x, negative_slope))
def _leaky(name, r):
    out = _unary_samples(r, _kinked(), attrs={"negative_slope": 0.01})
    out.append(S(dodge(U(r, (2, 3))), attrs={"negative_slope": 0.2}, desc="slope 0.2"))
    out.append(S(np.array([-1.0, 0.0, 2.0]), attrs={"negative_slope": 0.1}, grad=False,
                 desc="leaky_relu'(0) = slope"))
    return out


@samples("elu", ref=lambda t, x, alpha: t.nn.functional.elu(x, alpha))
def _elu(name, r):
    out = _unary_samples(r, _kinked(), attrs={"alpha": 1.0})
    out.append(S(dodge(U(r, (2, 3))), attrs={"alpha": 0.5}, desc="alpha 0.5"))
    out.append(S(np.array([-1.0, 0.0, 2.0]), attrs={"alpha": 1.0}, grad=False,
                 desc="elu at 0"))
    return out


@samples("gelu", ref=lambda t, x, approximate: t.nn.functional.gelu(x, approximate=approximate))
def _gelu(name, r):
    out = _unary_samples(r, lambda r, s: U(r, s, -3, 3), attrs={"approximate": "none"})
    out.append(S(U(r, (2, 3), -3, 3), attrs={"approximate": "tanh"}, desc="tanh"))
    out.append(S(np.array(0.7), attrs={"approximate": "tanh"}, desc="tanh 0-d"))
    return out


@samples("softplus",
         ref=lambda t, x, beta, threshold: t.nn.functional.softplus(x, beta, threshold))
def _softplus(name, r):
    out = _unary_samples(r, lambda r, s: U(r, s, -3, 3), attrs={"beta": 1.0, "threshold": 20.0})
    # beta != 1 and the linear branch above the threshold (kept off beta*x == threshold)
    x = dodge(U(r, (3, 4), -2, 2), kinks=(0.5,))
    out.append(S(x, attrs={"beta": 2.0, "threshold": 1.0}, desc="beta 2, threshold 1"))
    out.append(S(np.array([-50.0, 30.0]), attrs={"beta": 1.0, "threshold": 20.0},
                 desc="large |x|"))
    return out


# --------------------------------------------------------------------------- clamp, max/min
@samples("clamp", ref=lambda t, x, min, max: t.clamp(x, min, max))
def _clamp(name, r):
    k = (-0.5, 0.8)
    out = [S(dodge(U(r, s), k), attrs={"min": -0.5, "max": 0.8}, desc=str(s))
           for s in UNARY_SHAPES]
    out.append(S(fortran(dodge(U(r, (4, 3)), k)), attrs={"min": -0.5, "max": 0.8},
                 desc="fortran"))
    out.append(S(dodge(U(r, (2, 3)), (-0.5,)), attrs={"min": -0.5, "max": None}, desc="min only"))
    out.append(S(dodge(U(r, (2, 3)), (0.8,)), attrs={"min": None, "max": 0.8}, desc="max only"))
    out.append(S(np.array([-1.0, -0.5, 0.0, 0.8, 1.0]), attrs={"min": -0.5, "max": 0.8},
                 grad=False, desc="gradient passes at the bounds"))
    return out


def _mm_samples(name, r):
    out = []
    for a, b in BINARY_SHAPES:
        v = distinct(r, (int(np.prod(a)) + int(np.prod(b)),))
        na = int(np.prod(a))
        out.append(S(v[:na].reshape(a), v[na:].reshape(b), desc=f"{a}x{b}"))
    v = distinct(r, (16,))
    out.append(S(fortran(v[:12].reshape(3, 4)), strided(v[12:]), desc="noncontig"))
    # exact ties split the gradient evenly; central differences agree (1/2 each)
    x = np.array([1.0, -2.0, 0.5])
    # (a tie is a kink of the first derivative: no finite-difference gradgradcheck)
    out.append(S(x, np.array([1.0, 3.0, 0.5]), gradgrad=False, desc="ties split"))
    out.append(S(distinct(r, (2, 3)), np.array([0, 1, -1]),
                 call=lambda fn, x, y: getattr(ag, name)(x, y), desc="float x int64"))
    return out


samples("maximum", ref=lambda t, x, y: t.maximum(x, y))(_mm_samples)
samples("minimum", ref=lambda t, x, y: t.minimum(x, y))(_mm_samples)


@samples("where", ref=lambda t, c, x, y: t.where(c, x, y))
def _where(name, r):
    def cond(shape):
        return r.random(shape) > 0.5

    return [
        S(cond((2, 3)), U(r, (2, 3)), U(r, (2, 3)), desc="same shape"),
        S(cond((2, 3)), U(r, (2, 1)), U(r, (3,)), desc="broadcast x, y"),
        S(cond((3, 1)), U(r, ()), U(r, (1, 4)), desc="0-d x"),
        S(np.array(True), U(r, ()), U(r, ()), desc="0-d all"),
        S(cond((1, 3)), fortran(U(r, (4, 3))), strided(U(r, (3,))), desc="noncontig"),
        S(np.array([True, False, True]), U(r, (2, 3)), np.array(0.5), nondiff=(2,),
          desc="constant y"),
        S(np.array([True, False, True]), U(r, (2, 3)), np.array([1, 2, 3]),
          call=lambda fn, c, x, y: ag.where(c, x, y), desc="int64 y"),
    ]


# --------------------------------------------------------------------------- dtype, copies
@samples("cast", ref=lambda t, x, dtype: x.to(getattr(t, np.dtype(dtype).name)))
def _cast(name, r):
    # float64 -> float32 output is quantised to ~6e-8: a larger eps keeps the central
    # difference accurate (cast is linear, so eps does not add truncation error)
    return [
        S(U(r, (2, 3)), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3, desc="to float32"),
        S(U(r, ()), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3, desc="0-d"),
        S(U(r, (3,)), attrs={"dtype": np.dtype(np.float64)}, desc="to float64"),
        S(U(r, (1, 3)), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3, desc="size-1 dim"),
        S(fortran(U(r, (3, 2))), attrs={"dtype": np.dtype(np.float32)}, eps=1e-3,
          desc="fortran"),
    ]


@samples("clone", ref=lambda t, x: t.clone(x))
def _clone(name, r):
    return _unary_samples(r, U)


@samples("fill", ref=lambda t, x, value: x.clone().fill_(value))
def _fill(name, r):
    return [S(U(r, s), attrs={"value": v}, desc=str(s))
            for s, v in [((2, 3), 1.5), ((), -2.0), ((1,), 0.0), ((2, 1, 2), 3.25)]] + \
           [S(fortran(U(r, (3, 2))), attrs={"value": 0.5}, desc="fortran")]


@samples("copy_from", ref=lambda t, x, src: x.clone().copy_(src))
def _copy_from(name, r):
    return [
        S(U(r, (2, 3)), U(r, (2, 3)), desc="same shape"),
        S(U(r, (2, 3)), U(r, (3,)), desc="broadcast src"),
        S(U(r, (2, 3)), U(r, ()), desc="0-d src"),
        S(U(r, (2, 3)), U(r, (2, 1)), desc="size-1 src"),
        S(U(r, ()), U(r, ()), desc="0-d"),
        S(U(r, (3, 4, 2)), fortran(U(r, (4, 2))), desc="fortran src, broadcast"),
    ]


# --------------------------------------------------------------------------- reductions
def _red_samples(r, make, name):
    cases = [((3, 4), None, False), ((3, 4), None, True), ((3, 4), 0, False),
             ((3, 4), -1, True), ((2, 3, 4), (0, 2), False), ((2, 3, 4), (-1, -3), True),
             ((2, 3, 4), 1, False), ((), None, False), ((), None, True), ((1,), 0, False),
             ((3, 1), -1, False)]
    out = [S(make(r, shape), attrs=red(shape, axis, kd), desc=f"{shape} axis={axis} kd={kd}")
           for shape, axis, kd in cases]
    out.append(S(fortran(make(r, (3, 4))), attrs=red((3, 4), 1, False), desc="fortran axis 1"))
    out.append(S(strided(make(r, (2, 3))), attrs=red((2, 3), None, False), desc="strided"))
    return out


def _sum_ref(t, x, axis, keepdims):
    return t.sum(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


def _mean_ref(t, x, axis, keepdims):
    return t.mean(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


samples("sum", ref=_sum_ref)(lambda name, r: _red_samples(r, U, name))
samples("mean", ref=_mean_ref)(lambda name, r: _red_samples(r, U, name))


def _extreme_ref(which):
    def ref(t, x, axis, keepdims, split=False):
        if split:  # amax/amin: ties split evenly within each group, like torch.amax
            return getattr(t, "a" + which)(x, dim=_dims(axis, x.ndim), keepdim=keepdims)
        if axis is None:
            # full reduction: torch.max() splits ties evenly, like tapegrad
            v = getattr(t, which)(x)
            return v.reshape((1,) * x.ndim) if keepdims else v
        if len(axis) == 1:
            # max(dim): the gradient goes to the first extreme index in both
            return getattr(t, which)(x, axis[0], keepdim=keepdims).values
        return getattr(t, "a" + which)(x, dim=axis, keepdim=keepdims)
    return ref


def _extreme_samples(name, r):
    out = _red_samples(r, distinct, name)
    # two exact ties in a full reduction split evenly (1/2 each), as central
    # differences do with exactly two ties
    out.append(S(np.array([[1.0, 3.0], [3.0, -1.0]]) * (1 if name == "max" else -1),
                 attrs=red((2, 2), None, False), gradgrad=False, desc="full reduction, 2-way tie"))
    # three ties: tapegrad splits 1/3 each like torch.max(); finite differences give 1/2
    out.append(S(np.array([2.0, 2.0, 2.0, 1.0]) * (1 if name == "max" else -1),
                 attrs=red((4,), None, False), grad=False, desc="3-way tie"))
    # ties along dim: the first index gets the gradient, like torch.max(dim)
    out.append(S(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]) * (1 if name == "max" else -1),
                 attrs=red((2, 3), 1, False), grad=False, desc="dim tie: first index"))
    # amax/amin (split=True): ties split evenly per group; 2-way ties agree with
    # central differences, 3-way ties are checked against torch.amax only
    sign = 1 if name == "max" else -1
    out.append(S(sign * np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),
                 attrs={**red((2, 3), 1, False), "split": True}, gradgrad=False,
                 desc="amax: 2-way ties split"))
    out.append(S(sign * np.array([[[1.0, 3.0], [3.0, 0.5]], [[2.0, 2.0], [-1.0, 0.0]]]),
                 attrs={**red((2, 2, 2), (1, 2), True), "split": True}, gradgrad=False,
                 desc="amax: axis tuple, keepdims, 2-way ties"))
    out.append(S(sign * np.array([[2.0, 2.0, 2.0], [0.0, 1.0, -1.0]]),
                 attrs={**red((2, 3), -1, False), "split": True}, grad=False,
                 desc="amax: 3-way tie, 1/3 each"))
    out.append(S(distinct(r, (3, 4)), attrs={**red((3, 4), 0, True), "split": True},
                 desc="amax: no ties"))
    return out


samples("max", ref=_extreme_ref("max"))(_extreme_samples)
samples("min", ref=_extreme_ref("min"))(_extreme_samples)


def _arg_ref(which):
    def ref(t, x, axis, keepdims):
        if axis is None and x.ndim == 0:
            return getattr(t, which)(x)
        return getattr(t, which)(x, dim=axis, keepdim=keepdims)
    return ref


def _arg_samples(name, r):
    out = []
    for shape, axis, kd in [((3, 4), None, False), ((3, 4), None, True), ((3, 4), 1, False),
                            ((3, 4), -2, True), ((2, 3, 4), 1, True), ((), None, False),
                            ((1,), 0, False)]:
        a = None if axis is None else norm_axis(axis, len(shape), name)[0]
        out.append(S(distinct(r, shape), attrs={"axis": a, "keepdims": kd},
                     desc=f"{shape} axis={axis} kd={kd}"))
    out.append(S(np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]]), attrs={"axis": 1, "keepdims": False},
                 desc="ties: first index"))
    out.append(S(fortran(distinct(r, (3, 4))), attrs={"axis": 0, "keepdims": False},
                 desc="fortran"))
    return out


samples("argmax", ref=_arg_ref("argmax"))(_arg_samples)
samples("argmin", ref=_arg_ref("argmin"))(_arg_samples)


def _prod_ref(t, x, axis, keepdims):
    if x.ndim == 0:
        return t.prod(x)
    y = x
    for d in sorted(_dims(axis, x.ndim), reverse=True):
        y = t.prod(y, d, keepdim=True)
    if not keepdims:
        y = y.reshape([s for i, s in enumerate(x.shape) if i not in _dims(axis, x.ndim)])
    return y


@samples("prod", ref=_prod_ref)
def _prod(name, r):
    out = _red_samples(r, lambda r, s: away(r, s, 0.5, 1.5), name)
    # zeros: the gradient is the product of the other elements (exact, no 0/0)
    z = np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 0.7]])
    out.append(S(z, attrs=red((2, 3), 1, False), desc="one zero, axis 1"))
    out.append(S(z, attrs=red((2, 3), None, False), desc="one zero, full"))
    z2 = np.array([[1.5, 0.0, 0.0], [0.0, 1.2, 0.7]])
    out.append(S(z2, attrs=red((2, 3), None, True), desc="three zeros, full"))
    out.append(S(z2, attrs=red((2, 3), -1, True), desc="two zeros in a row"))
    return out


def _lse_ref(t, x, axis, keepdims):
    return t.logsumexp(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


@samples("logsumexp", ref=_lse_ref)
def _lse(name, r):
    out = _red_samples(r, U, name)
    # stability: a large offset must not overflow
    out.append(S(np.array([[1000.0, 1001.0, 999.5], [-1000.0, -1002.0, -999.0]]),
                 attrs=red((2, 3), 1, False), desc="large offset"))
    return out


def _softmax_samples(name, r):
    out = []
    for shape, axis in [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -3), ((1,), 0),
                        ((4,), -1), ((2, 1), 1)]:
        out.append(S(U(r, shape), attrs={"axis": norm_axis(axis, len(shape), name)[0]},
                     desc=f"{shape} axis={axis}"))
    out.append(S(U(r, ()), attrs={"axis": None}, desc="0-d"))
    out.append(S(fortran(U(r, (3, 4))), attrs={"axis": 1}, desc="fortran"))
    out.append(S(np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1003.0, -999.5]]),
                 attrs={"axis": 1}, desc="large offset"))
    # attention-style masking: -inf entries get probability 0 and no NaN anywhere
    out.append(S(np.array([[0.5, -np.inf, 1.0], [-np.inf, 2.0, -1.0]]), attrs={"axis": 1},
                 grad=False, edge=True, desc="-inf mask"))
    return out


def _softmax_ref(which):
    def ref(t, x, axis):
        return getattr(t, which)(x, dim=0 if axis is None else axis)
    return ref


samples("softmax", ref=_softmax_ref("softmax"))(_softmax_samples)
samples("log_softmax", ref=_softmax_ref("log_softmax"))(_softmax_samples)


# --------------------------------------------------------------------------- shape
@samples("reshape", ref=lambda t, x, shape: t.reshape(x, shape))
def _reshape(name, r):
    return [
        S(U(r, (2, 3)), attrs={"shape": (3, 2)}, desc="(2,3)->(3,2)"),
        S(U(r, (2, 3)), attrs={"shape": (6,)}, desc="flatten"),
        S(U(r, (2, 3)), attrs={"shape": (-1, 2)}, desc="-1"),
        S(U(r, ()), attrs={"shape": (1, 1)}, desc="0-d -> (1,1)"),
        S(U(r, (1, 1)), attrs={"shape": ()}, desc="(1,1) -> 0-d"),
        S(U(r, (4,)), attrs={"shape": (2, 1, 2)}, desc="size-1 dim"),
        S(fortran(U(r, (3, 4))), attrs={"shape": (2, 6)}, desc="fortran (element order!)"),
        S(strided(U(r, (2, 4))), attrs={"shape": (8,)}, desc="strided"),
    ]


@samples("permute", ref=lambda t, x, axes: t.permute(x, axes))
def _permute(name, r):
    return [
        S(U(r, (2, 3)), attrs={"axes": (1, 0)}, desc="2-d"),
        S(U(r, (2, 3, 4)), attrs={"axes": (2, 0, 1)}, desc="3-d"),
        S(U(r, (2, 1, 3)), attrs={"axes": (1, 2, 0)}, desc="size-1 dim"),
        S(fortran(U(r, (3, 4))), attrs={"axes": (1, 0)}, desc="fortran"),
        S(U(r, ()), attrs={"axes": ()}, desc="0-d"),
    ]


@samples("broadcast_to", ref=lambda t, x, shape: t.broadcast_to(x, shape))
def _broadcast(name, r):
    return [
        S(U(r, ()), attrs={"shape": (2, 3)}, desc="0-d"),
        S(U(r, (3,)), attrs={"shape": (2, 3)}, desc="leading"),
        S(U(r, (3, 1)), attrs={"shape": (3, 4)}, desc="size-1"),
        S(U(r, (2, 1, 3)), attrs={"shape": (4, 2, 2, 3)}, desc="both"),
        S(U(r, (1,)), attrs={"shape": (1,)}, desc="no-op shape"),
        S(strided(U(r, (1, 3))), attrs={"shape": (2, 3)}, desc="strided"),
    ]


@samples("cat", ref=lambda t, *xs, axis: t.cat(xs, dim=axis))
def _cat(name, r):
    return [
        S(U(r, (2, 3)), U(r, (1, 3)), attrs={"axis": 0}, desc="axis 0"),
        S(U(r, (2, 3)), U(r, (2, 1)), U(r, (2, 2)), attrs={"axis": 1}, desc="3 inputs axis 1"),
        S(U(r, (1,)), U(r, (3,)), attrs={"axis": 0}, desc="1-d"),
        S(U(r, (2, 1, 2)), U(r, (2, 2, 2)), attrs={"axis": 1}, desc="3-d middle"),
        S(fortran(U(r, (3, 2))), strided(U(r, (3, 2))), attrs={"axis": 1}, desc="noncontig"),
        S(U(r, (2, 3)), np.array([[1, 2, 3]]), call=lambda fn, a, b: ag.cat([a, b]),
          ref=lambda t, a, b: t.cat([a, b]), desc="public: float and int64"),
    ]


def _pad_ref(t, x, pad_width, value):
    flat = []
    for b, a in reversed(pad_width):
        flat += [b, a]
    return t.nn.functional.pad(x, flat, value=value)


def _pw(nd, pads):
    """PyTorch-style pad list -> the NumPy pad_width the wrapper passes."""
    w = [(0, 0)] * nd
    for k in range(len(pads) // 2):
        w[nd - 1 - k] = (pads[2 * k], pads[2 * k + 1])
    return tuple(w)


@samples("pad", ref=_pad_ref)
def _pad(name, r):
    return [
        S(U(r, (2, 3)), attrs={"pad_width": _pw(2, (1, 2)), "value": 0.0}, desc="last dim"),
        S(U(r, (2, 3)), attrs={"pad_width": _pw(2, (1, 0, 0, 2)), "value": 1.5}, desc="2 dims"),
        S(U(r, (3,)), attrs={"pad_width": _pw(1, (0, 1)), "value": -1.0}, desc="1-d"),
        S(U(r, (1, 2, 2, 2)), attrs={"pad_width": _pw(4, (1, 1, 1, 1)), "value": 0.0},
          desc="NCHW"),
        S(fortran(U(r, (3, 2))), attrs={"pad_width": _pw(2, (1, 1, 1, 0)), "value": 0.0},
          desc="fortran"),
    ]


# --------------------------------------------------------------------------- indexing
def _getitem_ref(t, x, index):
    return x[_tidx(t, index, x.shape)]


def _idx(index, shape):
    return {"index": normalize_index(index, shape)}


GETITEM_CASES = [
    ((4,), 1, "int"),
    ((4,), -1, "negative int"),
    ((3, 4), (slice(None), slice(1, 3)), "slice"),
    ((3, 4), (slice(None, None, -1), 0), "reverse slice + int"),
    ((3, 4), (Ellipsis, None, slice(0, 4, 2)), "ellipsis, None, step"),
    ((4,), np.array([0, 2, 0, 0, 3]), "repeated int array"),
    ((3, 4), (np.array([2, 0, 2]), np.array([1, 1, 1])), "repeated pairs"),
    ((3, 4), (slice(None), np.array([3, 3, 0])), "slice + repeated array"),
    ((3, 4), np.array([[True, False, True, False], [False] * 4, [True, True, False, False]]),
     "2-d bool mask"),
    ((3, 4), (np.array([True, False, True]),), "row mask"),
    ((2, 3, 2), (slice(None), np.array([False, True, True])), "mask on dim 1"),
    ((2, 3), np.array([[0, 1], [1, 1]]), "2-d int array (repeats)"),
    ((), (), "0-d, empty index"),
    ((), None, "0-d, None"),
    ((1, 3), (0, slice(None)), "size-1 dim"),
    ((2, 3, 4), (np.array([0, 1, 1]), slice(None), np.array([1, 3, 1])),
     "arrays split by a slice (advanced dims first)"),
    ((2, 3), (Ellipsis, np.array([0, 0, 2])), "ellipsis + repeated array"),
    ((3, 4), (np.array([[0], [2]]), np.array([0, 2, 2])), "broadcast index arrays"),
    ((3, 4), (None, np.array([1, 1]), slice(1, None)), "None + repeated array"),
    # ints select first, then arrays index what is left (PyTorch; NumPy would move the
    # array dimension to the front here)
    ((2, 3, 4), (0, slice(1, None), np.array([0, 0, 3])), "int, slice, repeated array"),
    ((2, 3, 4), (np.array([1, 0]), slice(None), -1), "array, slice, int"),
    ((3,), np.array([-1, 2, -3, 0]), "negative indices repeat positive ones"),
]


@samples("getitem", ref=_getitem_ref)
def _getitem(name, r):
    out = [S(U(r, shape), attrs=_idx(index, shape), desc=d) for shape, index, d in GETITEM_CASES]
    out.append(S(fortran(U(r, (3, 4))), attrs=_idx((np.array([0, 2, 2]), slice(1, 3)), (3, 4)),
                 desc="fortran, repeats"))
    out.append(S(strided(U(r, (2, 4))), attrs=_idx((slice(None), np.array([1, 1])), (2, 4)),
                 desc="strided"))
    return out


def _index_add_ref(t, g, index, shape):
    """zeros(shape) with g scattered at index, repeated positions accumulated: NumPy
    computes the flat positions the index addresses, torch's index_put(accumulate=True)
    does the scatter."""
    n = int(np.prod(shape, dtype=np.int64))
    positions = t.arange(n).reshape(shape)[_tidx(t, index, shape)]  # torch's index semantics
    z = t.zeros(n, dtype=g.dtype)
    z = z.index_put((positions.reshape(-1),), g.reshape(-1), accumulate=True)
    return z.reshape(shape)


@samples("index_add", ref=_index_add_ref)
def _index_add(name, r):
    out = []
    for shape, index, d in GETITEM_CASES:
        ix = normalize_index(index, shape)
        gshape = take_np(np.zeros(shape), ix).shape  # getitem's output shape (checked there)
        out.append(S(U(r, gshape), attrs={"index": ix, "shape": shape}, desc=d))
    ix = normalize_index((np.array([0, 2, 2]), slice(1, 3)), (3, 4))
    out.append(S(fortran(U(r, (3, 2))), attrs={"index": ix, "shape": (3, 4)},
                 desc="fortran g, repeats"))
    return out


def _setitem_ref(t, x, v, index):
    y = x.clone()
    y[_tidx(t, index, x.shape)] = v
    return y


def _setitem_last_ref(index, shape):
    """torch reference for x[index] = v with repeated indices, "the last write wins":
    the value broadcast to the indexed slots, duplicates dropped except the last, then
    assigned at unique flat positions (well defined in torch)."""
    n = int(np.prod(shape, dtype=np.int64))
    positions = np.arange(n).reshape(shape)[index]
    flat = np.array(positions).reshape(-1)
    last = {int(p): k for k, p in enumerate(flat)}
    keep = np.array(sorted(last.values()))

    def ref(t, x, v):
        slots = t.broadcast_to(v, positions.shape).reshape(-1)
        y = x.clone().reshape(-1)
        y[t.as_tensor(flat[keep])] = slots[t.as_tensor(keep)]
        return y.reshape(shape)
    return ref


@samples("setitem", ref=_setitem_ref)
def _setitem(name, r):
    def case(shape, index, vshape, d, last=False, **kw):
        ix = normalize_index(index, shape)
        if last:
            kw["ref"] = _setitem_last_ref(ix, shape)
        return S(U(r, shape), U(r, vshape), attrs={"index": ix}, desc=d, **kw)

    return [
        case((4,), 1, (), "int, 0-d value"),
        case((3, 4), (slice(None), slice(1, 3)), (3, 2), "slice"),
        case((3, 4), (slice(None), slice(1, 3)), (2,), "slice, broadcast value"),
        case((3, 4), (np.array([2, 0]), np.array([1, 3])), (2,), "int arrays"),
        case((3, 4), np.array([[True, False, True, False], [False] * 4,
                               [True, True, False, False]]), (), "bool mask, scalar value"),
        case((2, 3), (slice(None), np.array([False, True, True])), (2, 2), "mask on dim 1"),
        case((), (), (), "0-d"),
        S(fortran(U(r, (3, 4))), U(r, (3,)), attrs=_idx((slice(None), 2), (3, 4)),
          desc="fortran"),
        # repeated indices: the last written value wins, and only it gets a gradient
        # (torch leaves duplicates undefined, so its reference assigns deduplicated)
        case((4,), np.array([0, 2, 0]), (3,), "repeated, last wins", last=True),
        case((2, 3, 4), (1, slice(None), np.array([3, 0])), (3, 2), "int, slice, array"),
        case((3,), np.array([-1, 2, 0]), (3,), "negative index repeats a positive one",
             last=True),
        case((3, 4), (np.array([2, 0, 2]), np.array([1, 1, 1])), (), "repeated, scalar value",
             last=True),
        case((3, 4), (slice(None), np.array([3, 3, 0])), (3, 3), "slice + repeated",
             last=True),
    ]


# --------------------------------------------------------------------------- linalg
@samples("matmul", ref=lambda t, x, y: t.matmul(x, y))
def _matmul(name, r):
    pairs = [((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
             ((2, 2, 3), (3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((1, 3), (3, 1)),
             ((4,), (2, 4, 3))]
    out = [S(U(r, a), U(r, b), desc=f"{a}@{b}") for a, b in pairs]
    out.append(S(fortran(U(r, (2, 3))), U(r, (2, 3)).T, desc="transposed operands"))
    out.append(S(strided(U(r, (2, 3))), strided(U(r, (3, 2))), desc="strided"))
    return out


# --------------------------------------------------------------------------- unfold/fold
def _conv_attrs(kernel, stride=1, dilation=1):
    return {"kernel": pair(kernel, "kernel_size", "unfold"),
            "stride": pair(stride, "stride", "unfold"),
            "dilation": pair(dilation, "dilation", "unfold")}


def _unfold_ref(t, x, kernel, stride, dilation):
    n, c, h, w = x.shape
    oh = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    cols = t.nn.functional.unfold(x, kernel, dilation=dilation, stride=stride)  # (N, C*kh*kw, L)
    return cols.reshape(n, c, kernel[0], kernel[1], oh, ow)


def _fold_ref(t, cols, shape, kernel, stride, dilation):
    n, c, kh, kw, oh, ow = cols.shape
    return t.nn.functional.fold(cols.reshape(n, c * kh * kw, oh * ow), shape[2:], kernel,
                                dilation=dilation, stride=stride)


UNFOLD_CASES = [((1, 1, 4, 4), 2, 1, 1), ((1, 2, 4, 5), (2, 3), (2, 1), 1),
                ((2, 1, 5, 5), 2, 2, 2), ((1, 1, 3, 3), 3, 1, 1), ((1, 1, 3, 4), 1, 2, 1)]


def _out_hw(shape, a):
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
    return ((shape[2] - dh * (kh - 1) - 1) // sh + 1, (shape[3] - dw * (kw - 1) - 1) // sw + 1)


@samples("unfold", ref=_unfold_ref)
def _unfold(name, r):
    out = [S(U(r, shape), attrs=_conv_attrs(k, s, d), desc=f"{shape} k={k} s={s} d={d}")
           for shape, k, s, d in UNFOLD_CASES]
    out.append(S(fortran(U(r, (1, 1, 4, 4))), attrs=_conv_attrs(3), desc="fortran"))
    return out


@samples("fold", ref=_fold_ref)
def _fold(name, r):
    out = []
    for shape, k, s, d in UNFOLD_CASES:
        a = _conv_attrs(k, s, d)
        oh, ow = _out_hw(shape, a)
        cshape = shape[:2] + a["kernel"] + (oh, ow)
        out.append(S(U(r, cshape), attrs={"shape": shape, **a}, desc=f"{shape} k={k} s={s} d={d}"))
    a = _conv_attrs(2)
    out.append(S(fortran(U(r, (1, 1, 2, 2, 2, 2))), attrs={"shape": (1, 1, 3, 3), **a},
                 desc="fortran cols"))
    return out


# --------------------------------------------------------------------------- composites
@samples("silu", ref=lambda t, x: t.nn.functional.silu(x))
def _silu(name, r):
    return _unary_samples(r, lambda r, s: U(r, s, -3, 3))


@samples("square", ref=lambda t, x: t.square(x))
def _square(name, r):
    return _unary_samples(r, U)


def _var_ref(which):
    def ref(t, x, axis=None, keepdims=False, correction=1):
        dims = _dims(axis if axis is None or isinstance(axis, tuple) else (axis,), x.ndim)
        with warnings.catch_warnings():  # torch warns about degrees of freedom on empty batches
            warnings.simplefilter("ignore", UserWarning)
            return getattr(t, which)(x, dim=dims, correction=correction, keepdim=keepdims)
    return ref


def _var_samples(name, r):
    return [
        S(U(r, (3, 4)), desc="full"),
        S(U(r, (3, 4)), attrs={"axis": 0}, desc="axis 0"),
        S(U(r, (3, 4)), attrs={"axis": -1, "keepdims": True}, desc="axis -1 keepdims"),
        S(U(r, (2, 3, 4)), attrs={"axis": (0, 2), "correction": 0}, desc="tuple, correction 0"),
        S(U(r, (2, 3, 4)), attrs={"axis": (-1, -2), "keepdims": True}, desc="neg tuple"),
        S(U(r, (5,)), attrs={"correction": 2}, desc="correction 2"),
        S(fortran(U(r, (4, 3))), attrs={"axis": 1}, desc="fortran"),
        S(U(r, (2, 3)) + 1e3, attrs={"axis": 1}, desc="large offset"),
        S(U(r, (3, 1)), attrs={"axis": 0, "keepdims": True}, desc="size-1 dim"),
    ] + ([S(U(r, ()), attrs={"correction": 0}, desc="0-d (variance 0)")] if name == "var" else [])


samples("var", ref=_var_ref("var"))(_var_samples)
samples("std", ref=_var_ref("std"))(_var_samples)


def _list_call(fn, *ts, **attrs):
    return fn(list(ts), **attrs)


@samples("stack", ref=lambda t, *xs, axis=0: t.stack(xs, dim=axis))
def _stack(name, r):
    return [
        S(U(r, (2, 3)), U(r, (2, 3)), call=_list_call, desc="axis 0"),
        S(U(r, (2, 3)), U(r, (2, 3)), U(r, (2, 3)), attrs={"axis": -1}, call=_list_call,
          desc="axis -1"),
        S(U(r, ()), U(r, ()), call=_list_call, desc="0-d"),
        S(U(r, (3,)), attrs={"axis": 1}, call=_list_call, desc="single"),
        S(U(r, (1, 3)), U(r, (1, 3)), attrs={"axis": 1}, call=_list_call, desc="size-1 dims"),
        S(fortran(U(r, (3, 2))), strided(U(r, (3, 2))), attrs={"axis": 1}, call=_list_call,
          desc="noncontig"),
    ]


def _split_ref(t, x, split_size_or_sections, dim=0):
    return t.split(x, split_size_or_sections, dim)


@samples("split", ref=_split_ref)
def _split(name, r):
    return [
        S(U(r, (5, 2)), attrs={"split_size_or_sections": 2}, desc="size 2 (uneven)"),
        S(U(r, (2, 5)), attrs={"split_size_or_sections": [1, 3, 1], "dim": -1}, desc="sections"),
        S(U(r, (3,)), attrs={"split_size_or_sections": 3}, desc="one piece"),
        S(U(r, (1, 4)), attrs={"split_size_or_sections": 2, "dim": -1}, desc="size-1 dim"),
        S(fortran(U(r, (4, 3))), attrs={"split_size_or_sections": 1, "dim": 1}, desc="fortran"),
    ]


@samples("chunk", ref=lambda t, x, chunks, dim=0: t.chunk(x, chunks, dim))
def _chunk(name, r):
    return [
        S(U(r, (5, 2)), attrs={"chunks": 2}, desc="uneven"),
        S(U(r, (2, 6)), attrs={"chunks": 3, "dim": -1}, desc="dim -1"),
        S(U(r, (1, 3)), attrs={"chunks": 2}, desc="fewer than asked"),
        S(fortran(U(r, (4, 3))), attrs={"chunks": 2}, desc="fortran"),
    ]


@samples("unbind", ref=lambda t, x, dim=0: t.unbind(x, dim))
def _unbind(name, r):
    return [
        S(U(r, (3, 2)), desc="dim 0"),
        S(U(r, (2, 3)), attrs={"dim": -1}, desc="dim -1"),
        S(U(r, (1,)), desc="size 1"),
        S(fortran(U(r, (2, 3))), attrs={"dim": 1}, desc="fortran"),
    ]


@samples("flip", ref=lambda t, x, dims: t.flip(x, dims if isinstance(dims, tuple) else (dims,)))
def _flip(name, r):
    return [
        S(U(r, (3, 4)), attrs={"dims": 0}, desc="dim 0"),
        S(U(r, (2, 3, 4)), attrs={"dims": (0, -1)}, desc="dims (0, -1)"),
        S(U(r, (4,)), attrs={"dims": -1}, desc="1-d"),
        S(fortran(U(r, (3, 4))), attrs={"dims": 1}, desc="fortran"),
        S(U(r, (1, 3)), attrs={"dims": (0, 1)}, desc="size-1 dim"),
    ]


@samples("expand", ref=lambda t, x, sizes: x.expand(*sizes))
def _expand(name, r):
    call = lambda fn, x, sizes: fn(x, *sizes)  # noqa: E731
    return [
        S(U(r, (3, 1)), attrs={"sizes": (3, 4)}, call=call, desc="size-1"),
        S(U(r, (3, 1)), attrs={"sizes": (2, -1, 4)}, call=call, desc="-1 and leading"),
        S(U(r, ()), attrs={"sizes": (2, 2)}, call=call, desc="0-d"),
        S(strided(U(r, (1, 3))), attrs={"sizes": (2, 3)}, call=call, desc="strided"),
    ]


@samples("squeeze", ref=lambda t, x, dim=None: t.squeeze(x) if dim is None else t.squeeze(x, dim))
def _squeeze(name, r):
    return [
        S(U(r, (1, 3, 1)), desc="all"),
        S(U(r, (1, 3, 1)), attrs={"dim": -1}, desc="dim -1"),
        S(U(r, (2, 3)), attrs={"dim": 0}, desc="not size 1: no-op"),
        S(U(r, (1,)), desc="to 0-d"),
        S(U(r, ()), desc="0-d"),
        S(strided(U(r, (1, 3))), attrs={"dim": 0}, desc="strided"),
    ]


@samples("unsqueeze", ref=lambda t, x, dim: t.unsqueeze(x, dim))
def _unsqueeze(name, r):
    return [
        S(U(r, (2, 3)), attrs={"dim": 0}, desc="dim 0"),
        S(U(r, (2, 3)), attrs={"dim": -1}, desc="dim -1"),
        S(U(r, (2, 3)), attrs={"dim": 1}, desc="middle"),
        S(U(r, ()), attrs={"dim": 0}, desc="0-d"),
        S(fortran(U(r, (2, 3))), attrs={"dim": -2}, desc="fortran"),
        S(U(r, (1,)), attrs={"dim": 0}, desc="size-1 dim"),
    ]


@samples("flatten", ref=lambda t, x, start_dim=0, end_dim=-1: t.flatten(x, start_dim, end_dim))
def _flatten(name, r):
    return [
        S(U(r, (2, 3, 2)), desc="all"),
        S(U(r, (2, 3, 2)), attrs={"start_dim": 1}, desc="start 1"),
        S(U(r, (2, 1, 3, 2)), attrs={"start_dim": 1, "end_dim": -2}, desc="middle"),
        S(U(r, ()), desc="0-d"),
        S(fortran(U(r, (3, 4))), desc="fortran"),
    ]


@samples("transpose", ref=lambda t, x, dim0=-2, dim1=-1: t.transpose(x, dim0, dim1))
def _transpose(name, r):
    return [
        S(U(r, (2, 3)), desc="default"),
        S(U(r, (2, 3, 4)), attrs={"dim0": 0, "dim1": 2}, desc="0, 2"),
        S(U(r, (2, 1, 3)), attrs={"dim0": -1, "dim1": 0}, desc="negative"),
        S(fortran(U(r, (3, 4))), desc="fortran"),
    ]


def _conv_ref(t, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return t.nn.functional.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                  groups=groups)


@samples("conv2d", ref=_conv_ref)
def _conv2d(name, r):
    return [
        S(U(r, (1, 2, 5, 5)), U(r, (3, 2, 3, 3)), U(r, (3,)), fast=True, desc="bias"),
        S(U(r, (2, 1, 4, 4)), U(r, (2, 1, 2, 2)), attrs={"stride": 2}, desc="stride 2"),
        S(U(r, (1, 1, 4, 5)), U(r, (1, 1, 3, 2)), U(r, (1,)),
          attrs={"padding": 1, "dilation": (1, 2)}, desc="padding 1, dilation (1, 2)"),
        S(U(r, (1, 2, 3, 3)), U(r, (2, 2, 1, 1)), attrs={"stride": (1, 2), "padding": (0, 1)},
          desc="1x1 kernel, asymmetric"),
        S(U(r, (2, 4, 4)), U(r, (1, 2, 2, 2)), desc="unbatched (C, H, W)"),
        S(U(r, (1, 1, 5, 4)), U(r, (1, 1, 2, 2)), attrs={"stride": 3},
          desc="stride 3: unused rows and columns"),
        S(fortran(U(r, (1, 1, 4, 4))), U(r, (2, 1, 2, 2)).transpose(0, 1, 3, 2), desc="noncontig"),
        S(U(r, (1, 2, 4, 5)), U(r, (2, 2, 3, 3)), U(r, (2,)), attrs={"padding": "same"},
          desc="padding 'same', odd kernel"),
        S(U(r, (1, 1, 4, 5)), U(r, (2, 1, 2, 3)), attrs={"padding": "same", "dilation": (1, 2)},
          desc="padding 'same', even kernel: the extra row goes to the bottom"),
        S(U(r, (1, 1, 4, 4)), U(r, (1, 1, 3, 2)), attrs={"padding": "valid"},
          desc="padding 'valid'"),
        S(U(r, (2, 4, 4, 4)), U(r, (6, 2, 2, 2)), U(r, (6,)), attrs={"groups": 2, "padding": 1},
          desc="groups 2"),
        S(U(r, (1, 3, 4, 4)), U(r, (3, 1, 3, 3)), attrs={"groups": 3, "padding": "same"},
          desc="depthwise (groups = channels)"),
    ]


def _pool_ref(which):
    def ref(t, x, kernel_size, stride=None, padding=0, dilation=1, **modes):
        f = getattr(t.nn.functional, which)
        if which == "max_pool2d":
            return f(x, kernel_size, stride, padding, dilation, **modes)
        return f(x, kernel_size, stride, padding, **modes)
    return ref


@samples("max_pool2d", ref=_pool_ref("max_pool2d"))
def _max_pool(name, r):
    return [
        S(distinct(r, (1, 2, 4, 4)), attrs={"kernel_size": 2}, desc="2x2"),
        S(distinct(r, (1, 1, 5, 5)), attrs={"kernel_size": 3, "stride": 1, "padding": 1},
          desc="overlap, padding"),
        S(distinct(r, (2, 1, 5, 4)), attrs={"kernel_size": (2, 3), "stride": (2, 1)},
          desc="rect"),
        S(distinct(r, (1, 1, 5, 5)), attrs={"kernel_size": 2, "dilation": 2}, desc="dilation"),
        S(distinct(r, (2, 4, 4)), attrs={"kernel_size": 2}, desc="unbatched"),
        S(fortran(distinct(r, (1, 1, 4, 4))), attrs={"kernel_size": 2, "stride": 1},
          desc="fortran"),
        # ties inside a window: the first maximum gets the gradient, like PyTorch
        S(np.array([[[[1.0, 1.0], [0.0, 1.0]]]]), attrs={"kernel_size": 2}, grad=False,
          desc="tie: first index"),
        S(distinct(r, (1, 2, 5, 5)), attrs={"kernel_size": 2, "ceil_mode": True},
          desc="ceil_mode: partial last window"),
        S(distinct(r, (1, 1, 6, 7)), attrs={"kernel_size": 3, "stride": 2, "padding": 1,
                                           "ceil_mode": True}, desc="ceil_mode, padding"),
    ]


@samples("avg_pool2d", ref=_pool_ref("avg_pool2d"))
def _avg_pool(name, r):
    return [
        S(U(r, (1, 2, 4, 4)), attrs={"kernel_size": 2}, desc="2x2"),
        S(U(r, (1, 1, 5, 5)), attrs={"kernel_size": 3, "stride": 1, "padding": 1},
          desc="overlap, padding"),
        S(U(r, (2, 1, 5, 4)), attrs={"kernel_size": (2, 3), "stride": (2, 1)}, desc="rect"),
        S(U(r, (2, 4, 4)), attrs={"kernel_size": 2}, desc="unbatched"),
        S(fortran(U(r, (1, 1, 4, 4))), attrs={"kernel_size": 3, "stride": 1}, desc="fortran"),
        S(U(r, (1, 2, 5, 5)), attrs={"kernel_size": 3, "stride": 2, "padding": 1,
                                     "count_include_pad": False},
          desc="count_include_pad=False: border windows divide by their input elements"),
        S(U(r, (1, 1, 5, 6)), attrs={"kernel_size": 2, "ceil_mode": True},
          desc="ceil_mode: partial last window"),
        S(U(r, (2, 1, 6, 5)), attrs={"kernel_size": 3, "stride": 2, "padding": 1,
                                     "ceil_mode": True, "count_include_pad": False},
          desc="ceil_mode and count_include_pad=False"),
    ]


def _dropout_ref(x_shape, p, seed):
    mask = (np.random.default_rng(seed).random(x_shape) >= p) / (1.0 - p)
    return lambda t, x: x * t.as_tensor(mask, dtype=x.dtype)


@samples("dropout")
def _dropout(name, r):
    out = []
    for shape, p, seed, lay in [((3, 4), 0.5, 0, None), ((2, 3, 2), 0.2, 1, None),
                                ((5,), 0.7, 2, None), ((), 0.3, 4, None), ((1, 3), 0.5, 5, None),
                                ((4, 3), 0.4, 6, fortran)]:
        x = U(r, shape) if lay is None else lay(U(r, shape))
        out.append(S(x, attrs={"p": p, "training": True, "seed": seed},
                     ref=_dropout_ref(shape, p, seed), desc=f"{shape} p={p}"))
    out.append(S(U(r, (2, 3)), attrs={"p": 0.5, "training": False},
                 ref=lambda t, x: t.nn.functional.dropout(x, 0.5, training=False),
                 desc="eval: identity"))
    out.append(S(U(r, (2, 3)), attrs={"p": 0.0, "training": True},
                 ref=lambda t, x: t.nn.functional.dropout(x, 0.0, training=True),
                 desc="p=0: identity"))
    out.append(S(U(r, (2, 3)), attrs={"p": 1.0, "training": True, "seed": 0},
                 ref=lambda t, x: t.nn.functional.dropout(x, 1.0, training=True),
                 desc="p=1: zeros"))
    return out


# --------------------------------------------------------------------------- extremes
# Saturation and tiny arguments, compared with PyTorch only (no overflow, no NaN,
# gradients that underflow to 0 the same way).
EXTREMES = np.array([-1e3, -50.0, -20.0, -1e-8, 1e-8, 20.0, 50.0, 1e3])
for _n in ("tanh", "sigmoid", "softplus", "gelu", "elu", "erf", "silu", "leaky_relu", "exp",
           "sin", "abs", "relu", "clamp"):
    _attrs = {"softplus": {"beta": 1.0, "threshold": 20.0}, "gelu": {"approximate": "none"},
              "elu": {"alpha": 1.0}, "leaky_relu": {"negative_slope": 0.01},
              "clamp": {"min": -30.0, "max": 30.0}}.get(_n, {})
    DB[_n].append(S(EXTREMES, attrs=_attrs, grad=False, edge=True, desc="extremes"))
DB["gelu"].append(S(EXTREMES, attrs={"approximate": "tanh"}, grad=False, edge=True,
                    desc="extremes, tanh"))
for _n in ("softmax", "log_softmax"):
    DB[_n].append(S(EXTREMES, attrs={"axis": 0}, grad=False, edge=True, desc="extremes"))
DB["logsumexp"].append(S(EXTREMES, attrs=red((8,), 0, False), grad=False, edge=True,
                         desc="extremes"))


# --------------------------------------------------------------------------- empty batches
# A batch of zero rows reduced or transformed along its non-empty dimensions gives an
# empty result and an empty gradient, as in PyTorch (only a reduction over an empty
# dimension is undefined).
_E = np.zeros((0, 3))
for _n in ("sum", "mean", "max", "min", "prod", "logsumexp"):
    DB[_n].append(S(_E, attrs=red((0, 3), 1, False), desc="empty batch, axis 1"))
DB["max"].append(S(_E, attrs={**red((0, 3), -1, True), "split": True}, desc="amax, empty batch"))
DB["prod"].append(S(_E, attrs=red((0, 3), None, False), desc="empty: 1"))
DB["sum"].append(S(_E, attrs=red((0, 3), 0, False), desc="empty: zeros"))
for _n in ("softmax", "log_softmax"):
    DB[_n].append(S(_E, attrs={"axis": 1}, desc="empty batch"))
for _n in ("var", "std"):
    DB[_n].append(S(_E, attrs={"axis": 1}, desc="empty batch"))
DB["matmul"].append(S(np.zeros((0, 3)), U(rng("matmul"), (3, 2)), desc="empty batch"))
DB["matmul"].append(S(np.zeros((2, 0)), np.zeros((0, 3)), desc="empty inner dim: zeros"))
DB["add"].append(S(_E, U(rng("add"), (3,)), desc="empty batch + (3,)"))
DB["exp"].append(S(_E, desc="empty"))
DB["cat"].append(S(_E, U(rng("cat"), (2, 3)), attrs={"axis": 0}, desc="empty + (2, 3)"))
DB["getitem"].append(S(U(rng("getitem"), (3, 2)), attrs=_idx(np.array([], dtype=np.int64), (3, 2)),
                       desc="empty index"))
DB["getitem"].append(S(U(rng("getitem"), (3, 2)), attrs=_idx(np.zeros(3, dtype=bool), (3, 2)),
                       desc="all-False mask"))
DB["reshape"].append(S(_E, attrs={"shape": (3, 0)}, desc="empty"))


# --------------------------------------------------------------------------- public forms
# The samples above call primitives with their internal attributes. These call the
# public functions and methods users write (PyTorch's dim/keepdim, negative dims,
# lists and Tensors as indices, in-place methods), so the wrappers' normalisation is
# checked against PyTorch too. Filed under the primitive they reach.
def P(*inputs, call, ref, **kw) -> Sample:
    return S(*inputs, call=lambda fn, *ts, **a: call(*ts), ref=ref, **kw)


def _public_samples():
    r = rng("public forms")
    x34, x234 = U(r, (3, 4)), U(r, (2, 3, 4))
    d34 = distinct(r, (3, 4))
    add = lambda name, *ss: DB[name].extend(ss)  # noqa: E731

    add("sum",
        P(x34, call=lambda x: x.sum(dim=-1, keepdim=True), ref=lambda t, x: x.sum(dim=-1, keepdim=True),
          desc="public: x.sum(dim=-1, keepdim=True)"),
        P(x234, call=lambda x: ag.sum(x, dim=(0, -1)), ref=lambda t, x: t.sum(x, dim=(0, -1)),
          desc="public: sum(dim=(0, -1))"),
        P(x34, call=lambda x: ag.sum(x, axis=0, keepdims=True),
          ref=lambda t, x: t.sum(x, 0, keepdim=True), desc="public: NumPy axis/keepdims"))
    add("mean",
        P(x234, call=lambda x: x.mean(dim=1), ref=lambda t, x: x.mean(dim=1),
          desc="public: x.mean(dim=1)"),
        P(x34, call=lambda x: ag.mean(x), ref=lambda t, x: t.mean(x), desc="public: mean()"))
    for which in ("max", "min"):
        add(which,
            P(d34, call=lambda x, w=which: getattr(ag, w)(x, dim=-1),
              ref=lambda t, x, w=which: getattr(t, w)(x, dim=-1),
              desc=f"public: {which}(dim=-1) -> (values, indices)"),
            P(d34, call=lambda x, w=which: getattr(x, w)(dim=0, keepdim=True),
              ref=lambda t, x, w=which: getattr(x, w)(dim=0, keepdim=True),
              desc=f"public: x.{which}(dim=0, keepdim=True)"),
            P(d34, call=lambda x, w=which: getattr(x, w)(), ref=lambda t, x, w=which: getattr(x, w)(),
              desc=f"public: x.{which}()"),
            P(d34, call=lambda x, w=which: getattr(x, w)(1), ref=lambda t, x, w=which: getattr(x, w)(1),
              desc=f"public: x.{which}(1) -> (values, indices), positional dim"),
            P(d34, distinct(r, (3, 4)) + 0.013, call=lambda a, b, w=which: getattr(ag, w)(a, b),
              ref=lambda t, a, b, w=which: getattr(t, w)(a, b),
              desc=f"public: {which}(a, b) is elementwise"),
            P(d34, call=lambda x, w=which: getattr(ag, "a" + w)(x, axis=(0, 1)),
              ref=lambda t, x, w=which: getattr(t, "a" + w)(x, dim=(0, 1)),
              desc=f"public: a{which}(axis=(0, 1))"),
            P(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]) * (1 if which == "max" else -1),
              call=lambda x, w=which: getattr(x, "a" + w)(dim=1),
              ref=lambda t, x, w=which: getattr(x, "a" + w)(dim=1),
              gradgrad=False, desc=f"public: x.a{which}(dim=1): a tensor, ties split"))
    for which in ("argmax", "argmin"):
        add(which,
            P(d34, call=lambda x, w=which: getattr(x, w)(dim=-1, keepdim=True),
              ref=lambda t, x, w=which: getattr(x, w)(dim=-1, keepdim=True),
              desc=f"public: x.{which}(dim=-1, keepdim=True)"),
            P(d34, call=lambda x, w=which: getattr(ag, w)(x), ref=lambda t, x, w=which: getattr(t, w)(x),
              desc=f"public: {which}(x) flattened"))
    add("prod",
        P(away(r, (2, 3), 0.5, 1.5), call=lambda x: x.prod(dim=-1, keepdim=True),
          ref=lambda t, x: x.prod(dim=-1, keepdim=True), desc="public: x.prod(dim=-1)"))
    add("logsumexp",
        P(x234, call=lambda x: x.logsumexp(dim=(-1, 0)), ref=lambda t, x: x.logsumexp(dim=(-1, 0)),
          desc="public: logsumexp(dim=(-1, 0))"))
    for which in ("softmax", "log_softmax"):
        add(which,
            P(x234, call=lambda x, w=which: getattr(ag, w)(x, dim=-2),
              ref=lambda t, x, w=which: getattr(t, w)(x, dim=-2), desc=f"public: {which}(dim=-2)"),
            P(x34, call=lambda x, w=which: getattr(x, w)(), ref=lambda t, x, w=which: getattr(t, w)(x, -1),
              desc=f"public: x.{which}() (last dim)"))
    add("reshape",
        P(x234, call=lambda x: x.reshape(4, -1), ref=lambda t, x: x.reshape(4, -1),
          desc="public: x.reshape(4, -1)"),
        P(x34, call=lambda x: x.view((2, 6)), ref=lambda t, x: x.view((2, 6)),
          desc="public: x.view((2, 6))"))
    add("permute",
        P(x234, call=lambda x: x.permute(-1, 0, 1), ref=lambda t, x: x.permute(-1, 0, 1),
          desc="public: x.permute(-1, 0, 1)"),
        P(x234, call=lambda x: x.T, ref=lambda t, x: x.permute(2, 1, 0), desc="public: x.T"),
        P(x234, call=lambda x: x.mT, ref=lambda t, x: x.mT, desc="public: x.mT"))
    add("broadcast_to",
        P(U(r, (3, 1)), call=lambda x: x.expand(2, 3, 4), ref=lambda t, x: x.expand(2, 3, 4),
          desc="public: x.expand(2, 3, 4)"),
        P(U(r, (4,)), call=lambda x: ag.broadcast_to(x, (3, 4)),
          ref=lambda t, x: t.broadcast_to(x, (3, 4)), desc="public: broadcast_to"))
    add("cat",
        P(U(r, (2, 3)), U(r, (2, 1)), call=lambda a, b: ag.cat([a, b], dim=-1),
          ref=lambda t, a, b: t.cat([a, b], dim=-1), desc="public: cat(dim=-1)"),
        P(U(r, (2, 3)), U(r, (1, 3)), call=lambda a, b: ag.concatenate((a, b)),
          ref=lambda t, a, b: t.cat((a, b)), desc="public: concatenate"))
    add("pad",
        P(U(r, (1, 2, 3)), call=lambda x: ag.pad(x, (1, 2, 0, 1), value=-0.5),
          ref=lambda t, x: t.nn.functional.pad(x, (1, 2, 0, 1), value=-0.5),
          desc="public: pad((1, 2, 0, 1), value)"),
        P(U(r, (2, 3)), call=lambda x: x.pad((2, 0)),
          ref=lambda t, x: t.nn.functional.pad(x, (2, 0)), desc="public: x.pad((2, 0))"))
    mask = x34 > 0
    add("getitem",
        P(x34, call=lambda x: x[[2, 0, 2]], ref=lambda t, x: x[[2, 0, 2]],
          desc="public: x[list] with repeats"),
        P(x34, call=lambda x: x[ag.tensor(mask)], ref=lambda t, x: x[t.as_tensor(mask)],
          desc="public: x[bool tensor]"),
        P(x34, call=lambda x: x[ag.tensor(np.array([1, 1])), 1:], ref=lambda t, x: x[t.tensor([1, 1]), 1:],
          desc="public: x[int tensor, slice]"),
        P(x234, call=lambda x: x[..., -1], ref=lambda t, x: x[..., -1], desc="public: x[..., -1]"),
        P(x234, call=lambda x: x[0, :, [1, 1, 2]], ref=lambda t, x: x[0, :, [1, 1, 2]],
          desc="public: x[0, :, list] (int selects first, like PyTorch)"),
        P(x234, call=lambda x: x[1, None, :, ::2], ref=lambda t, x: x[1, None, :, ::2],
          desc="public: x[1, None, :, ::2]"),
        P(x34, call=lambda x: ag.take(x, [0, 5, 5]), ref=lambda t, x: t.take(x, t.tensor([0, 5, 5])),
          desc="public: take"))
    add("index_add",
        P(U(r, (3, 4)), call=lambda g: ag.index_add(g, [2, 0, 2], (4, 4)),
          ref=lambda t, g: t.zeros(4, 4, dtype=g.dtype).index_put((t.tensor([2, 0, 2]),), g,
                                                                   accumulate=True),
          desc="public: index_add(g, list, shape)"))
    add("setitem",
        P(x34, U(r, (2, 1)), call=_set_public, ref=_set_public_ref,
          desc="public: y[mask] = 0, y[rows] = v"))
    add("fill",
        P(x34, call=lambda x: (x * 1.0).fill_(2.5), ref=lambda t, x: (x * 1.0).fill_(2.5),
          desc="public: fill_"),
        P(x34, call=lambda x: (x * 1.0).zero_(), ref=lambda t, x: (x * 1.0).zero_(),
          desc="public: zero_"))
    add("copy_from",
        P(x34, U(r, (4,)), call=lambda x, s_: (x * 1.0).copy_(s_), ref=lambda t, x, s_: (x * 1.0).copy_(s_),
          desc="public: copy_ (broadcast)"))
    add("clamp",
        P(dodge(x34, (-1.0,)), call=lambda x: x.clamp(min=-1.0), ref=lambda t, x: x.clamp(min=-1.0),
          desc="public: x.clamp(min=)"),
        P(dodge(x34, (-0.5, 0.5)), call=lambda x: ag.clip(x, -0.5, 0.5),
          ref=lambda t, x: t.clip(x, -0.5, 0.5), desc="public: clip"),
        P(dodge(x34, (0.25,)), call=lambda x: (x * 1.0).clamp_(max=0.25),
          ref=lambda t, x: (x * 1.0).clamp_(max=0.25), desc="public: clamp_ in place"),
        # tensor bounds (broadcasting): the bound gets the gradient where it is the result
        P(d34, distinct(r, (4,)) * 0.3 - 0.5, distinct(r, (3, 1)) * 0.3 + 0.6,
          call=lambda x, lo, hi: ag.clamp(x, lo, hi), ref=lambda t, x, lo, hi: t.clamp(x, lo, hi),
          desc="public: clamp(x, tensor, tensor)"),
        P(d34, distinct(r, (3, 4)), call=lambda x, hi: x.clamp(max=hi),
          ref=lambda t, x, hi: x.clamp(max=hi), desc="public: x.clamp(max=tensor)"),
        P(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), np.array(0.0), np.array([1.0, 1.0, 1.0, 1.0, 1.5]),
          call=lambda x, lo, hi: ag.clamp(x, lo, hi), ref=lambda t, x, lo, hi: t.clamp(x, lo, hi),
          grad=False, desc="public: clamp with tensor bounds at ties (x gets it, like torch)"))
    add("leaky_relu",
        P(dodge(x34), call=lambda x: x.leaky_relu(), ref=lambda t, x: t.nn.functional.leaky_relu(x),
          desc="public: default slope"))
    add("elu",
        P(dodge(x34), call=lambda x: ag.elu(x, alpha=2.0), ref=lambda t, x: t.nn.functional.elu(x, 2.0),
          desc="public: elu(alpha=2)"))
    add("gelu",
        P(x34, call=lambda x: x.gelu(), ref=lambda t, x: t.nn.functional.gelu(x), desc="public: x.gelu()"))
    add("softplus",
        P(x34, call=lambda x: ag.softplus(x, beta=3.0), ref=lambda t, x: t.nn.functional.softplus(x, 3.0),
          desc="public: softplus(beta=3)"))
    add("cast",
        P(x34, call=lambda x: x.to(np.float32), ref=lambda t, x: x.to(t.float32), eps=1e-3,
          desc="public: x.to(float32)"),
        P(x34, call=lambda x: x.float().double(), ref=lambda t, x: x.float().double(), eps=1e-3,
          desc="public: x.float().double()"))
    add("clone", P(x34, call=lambda x: x.clone(), ref=lambda t, x: x.clone(), desc="public: x.clone()"))
    add("unfold",
        P(U(r, (1, 2, 4, 4)), call=lambda x: ag.unfold(x, 2, stride=2),
          ref=lambda t, x: _unfold_ref(t, x, (2, 2), (2, 2), (1, 1)), desc="public: unfold(x, 2, stride=2)"))
    add("fold",
        P(U(r, (1, 2, 2, 2, 3, 3)), call=lambda c: ag.fold(c, (1, 2, 4, 4), 2),
          ref=lambda t, c: _fold_ref(t, c, (1, 2, 4, 4), (2, 2), (1, 1), (1, 1)), desc="public: fold"))
    add("matmul",
        P(U(r, (2, 3)), U(r, (3, 2)), call=lambda a, b: a @ b, ref=lambda t, a, b: a @ b, desc="public: @"),
        P(U(r, (3,)), U(r, (3,)), call=lambda a, b: ag.dot(a, b), ref=lambda t, a, b: t.dot(a, b),
          desc="public: dot"))
    add("pow",
        P(pos(r, (3,)), call=lambda x: x ** 2.5, ref=lambda t, x: x ** 2.5, desc="public: x ** 2.5"),
        P(U(r, (3,)), call=lambda x: 2.0 ** x, ref=lambda t, x: 2.0 ** x, desc="public: 2 ** x"))
    add("div",
        P(away(r, (3,)), call=lambda x: 1.0 / x, ref=lambda t, x: 1.0 / x, desc="public: 1 / x"))
    add("sub",
        P(U(r, (3,)), call=lambda x: 1.0 - x, ref=lambda t, x: 1.0 - x, desc="public: 1 - x"))
    add("neg", P(U(r, (3,)), call=lambda x: -x, ref=lambda t, x: -x, desc="public: -x"))
    # in-place arithmetic on a non-leaf (the node is recorded on the tensor itself)
    y4 = U(r, (4,))
    add("add", P(x34, y4, call=lambda x, y: (x * 1.0).add_(y, alpha=-0.5),
                 ref=lambda t, x, y: (x * 1.0).add_(y, alpha=-0.5), desc="public: add_(alpha)"))
    add("sub", P(x34, y4, call=lambda x, y: (x * 1.0).sub_(y, alpha=2),
                 ref=lambda t, x, y: (x * 1.0).sub_(y, alpha=2), desc="public: sub_(alpha)"))
    # z *= z: tapegrad records it on z's old value; torch refuses (it saved z), so its
    # reference is the out-of-place equivalent
    add("mul", P(x34, y4, call=lambda x, y: _imul(x * 1.0, y),
                 ref=lambda t, x, y: (x * y) * (x * y), desc="public: z *= y; z *= z"))
    add("div", P(x34, away(r, (4,)), call=lambda x, y: (x * 1.0).div_(y),
                 ref=lambda t, x, y: (x * 1.0).div_(y), desc="public: div_"))
    add("sqrt", P(pos(r, (2, 3)), call=lambda x: ag.rsqrt(x), ref=lambda t, x: t.rsqrt(x),
                  desc="public: rsqrt"))
    add("div", P(away(r, (2, 3)), call=lambda x: x.reciprocal(), ref=lambda t, x: t.reciprocal(x),
                 desc="public: reciprocal"))
    add("matmul", P(U(r, (2, 3)), U(r, (3, 2)), call=lambda a, b: ag.mm(a, b),
                    ref=lambda t, a, b: t.mm(a, b), desc="public: mm"))
    add("sum", P(U(r, (2, 3, 4)), call=lambda x: ag.sum_to(x, (3, 1)),
                 ref=lambda t, x: x.sum(dim=0).sum(dim=-1, keepdim=True), desc="public: sum_to"),
        P(U(r, (2, 3)), call=lambda x: x.square().sum(), ref=lambda t, x: x.square().sum(),
          desc="public: x.square().sum()"))
    add("where",
        P(x34, call=lambda x: ag.where(x > 0, x, 0.0), ref=lambda t, x: t.where(x > 0, x, 0.0),
          desc="public: where(x > 0, x, 0.0)"),
        P(x34, call=lambda x: x.masked_fill(x < 0, -1.0), ref=lambda t, x: x.masked_fill(x < 0, -1.0),
          desc="public: masked_fill"))


def _floormod_operands(r, shape_x, shape_y):
    """x and y with x / y at least 0.2 away from an integer (off floor's jumps)."""
    y = away(r, shape_y, 0.6, 1.8)
    k = r.integers(-3, 3, size=np.broadcast_shapes(shape_x, shape_y))
    x = y * (k + r.uniform(0.2, 0.8, size=k.shape))
    return np.ascontiguousarray(x.reshape(shape_x) if x.shape == shape_x else x), y


def _floormod_samples():
    r = rng("floor_divide/remainder")
    add = lambda name, *ss: DB[name].extend(ss)  # noqa: E731
    x34, y4 = _floormod_operands(r, (3, 4), (4,))
    x0, y0 = _floormod_operands(r, (), ())
    # floor_divide is piecewise constant with no derivative (torch raises in backward),
    # so it is reached through x * floor_divide(x, y) with a detached torch reference
    fd_ref = lambda t, x, y: x * t.floor_divide(x.detach(), y.detach())  # noqa: E731
    add("mul",
        P(x34, y4, call=lambda x, y: x * ag.floor_divide(x, y), ref=fd_ref,
          desc="public: floor_divide (x * floor_divide(x, y), broadcast)"),
        P(x0, y0, call=lambda x, y: x * x.floor_divide(y), ref=fd_ref,
          desc="public: x.floor_divide(y), 0-d"),
        P(fortran(x34), call=lambda x: x * ag.floor_divide(x, 0.75),
          ref=lambda t, x: x * t.floor_divide(x.detach(), 0.75), grad=False,
          desc="public: floor_divide(x, 0.75), non-contiguous"))
    xs = np.array([[1.3, -2.6, 3.7], [-0.9, 2.2, -3.1]])
    add("sub",
        P(x34, y4, call=lambda x, y: ag.remainder(x, y), ref=lambda t, x, y: t.remainder(x, y),
          desc="public: remainder(x, y), broadcast, both gradients"),
        P(x0, y0, call=lambda x, y: x.remainder(y), ref=lambda t, x, y: x.remainder(y),
          desc="public: x.remainder(y), 0-d"),
        P(fortran(x34), call=lambda x: ag.remainder(x, 0.75), ref=lambda t, x: t.remainder(x, 0.75),
          grad=False, desc="public: remainder(x, 0.75), non-contiguous"),
        P(xs, call=lambda x: ag.remainder(x, -0.7), ref=lambda t, x: t.remainder(x, -0.7),
          desc="public: remainder with a negative divisor (sign of the divisor)"))


_floormod_samples()


def _dim_call(fn, x, i, dim):
    return fn(x, dim, i)


@samples("gather", ref=lambda t, x, i, dim: t.gather(x, dim, i))
def _gather(name, r):
    def g(xshape, ishape, dim, desc, make=U, **kw):
        d = dim % max(len(xshape), 1)
        n = (xshape or (1,))[d]
        return S(make(r, xshape), r.integers(0, n, size=ishape), attrs={"dim": dim},
                 call=_dim_call, desc=desc, **kw)

    return [
        g((3, 4), (3, 4), 1, "same shape, dim 1"),
        g((3, 4), (2, 6), 1, "more columns than x (repeats), fewer rows"),
        g((3, 4), (5, 2), 0, "dim 0, repeats"),
        g((2, 3, 4), (2, 2, 4), -2, "negative dim"),
        g((2, 3, 4), (1, 3, 2), -1, "last dim, smaller index"),
        g((), (), 0, "0-d"),
        g((4,), (6,), -1, "1-d, repeats"),
        g((3, 4), (3, 0), 1, "empty index"),
        g((3, 4), (3, 4), 1, "non-contiguous input", make=lambda r, s: fortran(U(r, s))),
        S(U(r, (2, 3)), np.array([[0, 0, 0], [2, 2, 1]]), attrs={"dim": 1}, call=_dim_call,
          desc="explicit repeats accumulate"),
        S(U(r, (2, 3)), np.array([[1, 0], [2, 2]], dtype=np.int32), attrs={"dim": 1},
          call=_dim_call, desc="int32 index"),
        S(U(r, (3, 4)), np.array([[3, 0, 0]]),
          call=lambda fn, x, i: x.gather(-1, i), ref=lambda t, x, i: x.gather(-1, i),
          desc="public: x.gather(-1, index)"),
    ]


@samples("index_select", ref=lambda t, x, i, dim: t.index_select(x, dim, i))
def _index_select(name, r):
    def s(xshape, idx, dim, desc, make=U):
        return S(make(r, xshape), np.asarray(idx, dtype=np.int64), attrs={"dim": dim},
                 call=_dim_call, desc=desc)

    return [
        s((3, 4), [2, 0, 2], 0, "dim 0, repeats"),
        s((3, 4), [3, 3, 1, 0, 3], -1, "negative dim, repeats"),
        s((2, 3, 4), [1], 1, "middle dim, one index"),
        s((2, 3, 4), 2, -1, "0-d index keeps the dim (size 1)"),
        s((), [0], 0, "0-d input"),
        s((3, 4), [], 1, "empty index"),
        s((3, 4), [1, 1, 0], 1, "non-contiguous input", make=lambda r, sh: strided(U(r, sh))),
        S(U(r, (3, 4)), np.array([0, 2, 2]), call=lambda fn, x, i: x.index_select(0, i),
          ref=lambda t, x, i: x.index_select(0, i), desc="public: x.index_select(0, index)"),
        S(U(r, (3, 4)), np.array([1, 1], dtype=np.int32), call=lambda fn, x, i: fn(x, 1, i),
          ref=lambda t, x, i: t.index_select(x, 1, i), desc="int32 index"),
    ]


def _cumsum_ref(t, x, axis, reverse=False):
    return t.cumsum(x.flip(axis), axis).flip(axis) if reverse else t.cumsum(x, axis)


@samples("cumsum", ref=_cumsum_ref)
def _cumsum(name, r):
    out = [S(U(r, shape), attrs={"axis": a, "reverse": rev}, desc=f"{shape} axis={a} reverse={rev}")
           for shape, a, rev in [((3, 4), 0, False), ((3, 4), 1, False), ((2, 3, 4), 1, False),
                                 ((5,), 0, False), ((1,), 0, False), ((3, 4), 1, True),
                                 ((2, 3, 4), 2, True), ((0, 3), 1, False)]]
    out += [
        S(fortran(U(r, (3, 4))), attrs={"axis": 1, "reverse": False}, desc="fortran, axis 1"),
        S(strided(U(r, (2, 5))), attrs={"axis": 1, "reverse": True}, desc="strided, reverse"),
        P(U(r, (2, 3, 4)), call=lambda x: ag.cumsum(x, -2), ref=lambda t, x: t.cumsum(x, -2),
          desc="public: cumsum(x, -2)"),
        P(U(r, (3, 4)), call=lambda x: x.cumsum(dim=-1), ref=lambda t, x: x.cumsum(dim=-1),
          desc="public: x.cumsum(dim=-1)"),
        P(U(r, ()), call=lambda x: ag.cumsum(x, 0), ref=lambda t, x: t.cumsum(x, 0),
          desc="public: cumsum of a 0-d tensor"),
        P(U(r, (3,)), call=lambda x: ag.cumsum(x, 0, dtype=np.float32),
          ref=lambda t, x: t.cumsum(x, 0, dtype=t.float32), eps=1e-3,
          desc="public: cumsum(dtype=float32)"),
        P(U(r, (2, 3)), call=lambda x: x * ag.cumsum(ag.tensor([[1, 2, 3], [4, 5, 6]]), 1),
          ref=lambda t, x: x * t.cumsum(t.tensor([[1, 2, 3], [4, 5, 6]]), 1),
          desc="public: cumsum of an int64 tensor (int64 result)"),
    ]
    return out


@samples("cumprod", ref=lambda t, x, axis: t.cumprod(x, axis))
def _cumprod(name, r):
    mk = lambda r, s: away(r, s, 0.5, 1.5)  # noqa: E731
    out = [S(mk(r, shape), attrs={"axis": a}, desc=f"{shape} axis={a}")
           for shape, a in [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((5,), 0), ((1,), 0),
                            ((3, 1), 1), ((0, 3), 1)]]
    # zeros: the gradient is exact (no division by x), as in PyTorch
    z = np.array([[1.5, 0.0, -2.0, 0.7], [0.0, 1.2, 0.0, 0.5], [0.9, 1.1, -0.8, 0.0]])
    out += [
        S(z, attrs={"axis": 1}, desc="zeros: first, last, two in a row"),
        S(z, attrs={"axis": 0}, desc="zeros along dim 0"),
        S(np.array([0.0, 0.0, 1.3, -0.6]), attrs={"axis": 0}, desc="leading zeros"),
        S(fortran(mk(r, (3, 4))), attrs={"axis": 1}, desc="fortran, axis 1"),
        S(strided(mk(r, (2, 5))), attrs={"axis": 1}, desc="strided"),
        P(mk(r, (2, 3, 4)), call=lambda x: ag.cumprod(x, -2), ref=lambda t, x: t.cumprod(x, -2),
          desc="public: cumprod(x, -2)"),
        P(mk(r, (3, 4)), call=lambda x: x.cumprod(dim=-1), ref=lambda t, x: x.cumprod(dim=-1),
          desc="public: x.cumprod(dim=-1)"),
        P(mk(r, ()), call=lambda x: ag.cumprod(x, 0), ref=lambda t, x: t.cumprod(x, 0),
          desc="public: cumprod of a 0-d tensor"),
        P(U(r, (2, 3)), call=lambda x: x * ag.cumprod(ag.tensor([[1, 2, 3], [4, 0, 6]]), 1),
          ref=lambda t, x: x * t.cumprod(t.tensor([[1, 2, 3], [4, 0, 6]]), 1),
          desc="public: cumprod of an int64 tensor (int64 result)"),
    ]
    return out


def _norm_ref(t, x, p=2, dim=None, keepdim=False):
    return t.linalg.vector_norm(x, p, dim, keepdim)


@samples("norm", ref=_norm_ref)
def _norm(name, r):
    inf = float("inf")

    def signed(r, shape):  # |x| tie-free and away from 0 (the kinks of abs, max |x|)
        return distinct(r, shape, start=0.3) * r.choice([-1.0, 1.0], size=shape)

    def n(shape, desc, make=U, **attrs):
        return S(make(r, shape), attrs=attrs, desc=desc)

    zero_row = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.5]])
    return [
        n((3, 4), "p=2, all elements"),
        n((3, 4), "p=2, dim=-1", dim=-1),
        n((2, 3, 4), "p=2, dim=(0, -1), keepdim", dim=(0, -1), keepdim=True),
        n((), "p=2, 0-d"),
        n((3, 1), "p=2, over a size-1 dim", dim=-1),
        n((1, 4), "p=inf, size-1 dim kept", make=signed, p=inf, dim=1, keepdim=True),
        n((3, 4), "p=1, dim 0", make=away, p=1, dim=0),
        n((2, 3, 4), "p=1, keepdim", make=away, p=1, dim=-2, keepdim=True),
        n((3, 4), "p=inf, dim=1", make=signed, p=inf, dim=1),
        n((2, 3, 4), "p=inf, all", make=signed, p=inf),
        n((3, 4), "p=-inf, dim=-1, keepdim", make=signed, p=-inf, dim=-1, keepdim=True),
        n((3, 4), "p=3, dim=0", p=3, dim=0),
        n((2, 3, 4), "p=1.5, dim=(1, 2)", make=away, p=1.5, dim=(1, 2)),
        n((3, 4), "p=0.5, dim=1 (off 0)", make=away, p=0.5, dim=1),
        n((), "p=inf, 0-d", make=away, p=inf),
        S(fortran(U(r, (3, 4))), attrs={"dim": 1}, desc="p=2, fortran"),
        S(strided(away(r, (2, 5))), attrs={"p": 3, "dim": -1}, desc="p=3, strided"),
        # a zero group: PyTorch's gradient there is 0 (finite differences agree:
        # |eps| - |-eps| = 0); not twice differentiable there
        S(zero_row, attrs={"dim": 1}, gradgrad=False, desc="p=2, a zero row: gradient 0"),
        S(zero_row, attrs={"p": 3, "dim": 1}, gradgrad=False, desc="p=3, a zero row: gradient 0"),
        S(np.zeros((2, 3)), attrs={}, gradgrad=False, desc="p=2, all zeros: gradient 0"),
        P(U(r, (3, 4)), call=lambda x: x.norm(dim=-1, keepdim=True),
          ref=lambda t, x: x.norm(dim=-1, keepdim=True), desc="public: x.norm(dim=-1, keepdim=True)"),
        P(away(r, (3, 4)), call=lambda x: ag.norm(x, 1), ref=lambda t, x: t.norm(x, 1),
          desc="public: norm(x, 1)"),
        P(U(r, (3, 4)), call=lambda x: x.norm("fro"), ref=lambda t, x: x.norm("fro"),
          desc="public: x.norm('fro')"),
    ]


def _imul(z, y):
    z *= y
    z *= z
    return z


def _set_public(x, v):
    y = x * 1.0
    y[y.data > 0.5] = 0.0
    y[ag.tensor(np.array([0, 2]))] = v
    return y


def _set_public_ref(t, x, v):
    y = x * 1.0
    y[y.detach() > 0.5] = 0.0
    y[t.tensor([0, 2])] = v
    return y


_public_samples()


# --------------------------------------------------------------------------- the table
# --------------------------------------------------------------------------- linear (fused)
@samples("linear", ref=lambda t, x, w, b=None: t.nn.functional.linear(x, w, b))
def _linear(name, r):
    return [
        S(U(r, (5, 3)), U(r, (4, 3)), U(r, (4,)), desc="batch, bias"),
        S(U(r, (2, 4, 3)), U(r, (2, 3)), desc="batched leading dims, no bias"),
        S(U(r, (3,)), U(r, (2, 3)), U(r, (2,)), desc="1-D input"),
        S(U(r, (3, 1)), U(r, (1, 1)), U(r, (1,)), desc="size-1 features"),
        S(fortran(U(r, (3, 4))), U(r, (4, 2)).T, desc="non-contiguous input and weight"),
    ]


# --------------------------------------------------------------------------- softmax_cross_entropy (fused)
def _sce_ref(t, z, y, weight=None, ignore_index=-100, reduction="mean"):
    w = None if weight is None else t.tensor(weight, dtype=z.dtype)
    return t.nn.functional.cross_entropy(z, y, weight=w, ignore_index=ignore_index,
                                         reduction=reduction)


@samples("softmax_cross_entropy", ref=_sce_ref)
def _sce(name, r):
    def ce(z, y, desc, weight=None, ignore_index=-100, reduction="mean", **kw):
        attrs = {"weight": weight, "ignore_index": ignore_index, "reduction": reduction}
        return S(z, np.asarray(y, dtype=np.int64), attrs=attrs, desc=desc, **kw)

    y5 = np.array([0, 3, 1, 1, 2])
    w4 = np.array([0.5, 1.0, 2.0, 1.5])
    out = [ce(U(r, (5, 4)), y5, f"(5, 4) {red}", reduction=red) for red in ("mean", "sum", "none")]
    out += [ce(U(r, (5, 4)), y5, f"weight, ignore_index 1, {red}", weight=w4, ignore_index=1,
               reduction=red) for red in ("mean", "sum", "none")]
    out += [
        ce(U(r, (5, 4)), y5, "weight", weight=w4),
        ce(U(r, (5, 4)), y5, "ignore_index 3, no weight", ignore_index=3),
        ce(U(r, (5, 4)), [0, -100, 2, 3, -100], "default ignore_index -100 in the targets",
           reduction="sum"),
        ce(U(r, (1, 3)), [2], "one row"),
        ce(U(r, (4, 1)), [0, 0, 0, 0], "one class: loss 0, gradient 0"),
        ce(U(r, (4,)), 2, "unbatched (C,), 0-d target"),
        ce(U(r, (4,)), 1, "unbatched, weight, none: 0-d loss", weight=w4, reduction="none"),
        ce(U(r, (4,)), 0, "unbatched, the target ignored, sum", ignore_index=0, reduction="sum"),
        ce(fortran(U(r, (3, 4))), [3, 0, 1], "fortran logits", weight=w4, reduction="none"),
        ce(U(r, (3, 4)) * 1e4, [1, 0, 3], "logits of 1e4"),
        ce(U(r, (3, 4)) * 1e4 + 1e4, [2, 2, 0], "logits of 1e4, offset, none", reduction="none"),
        ce(np.zeros((0, 3)), np.zeros(0), "empty batch, sum", reduction="sum"),
        ce(np.zeros((0, 3)), np.zeros(0), "empty batch, none", reduction="none"),
        # the mean over no targets is 0/0 = NaN, as in PyTorch, with a zero gradient
        ce(U(r, (3, 4)), [1, 1, 1], "every target ignored: NaN loss, zero gradient",
           ignore_index=1, grad=False, edge=True),
    ]
    return out


def _build() -> Dict[str, OpEntry]:
    db: Dict[str, OpEntry] = {}
    for name, op in OPS.items():
        db[name] = OpEntry(name, op, "primitive", op.differentiable, op.smooth,
                           REFS.get(name), DB.get(name, []))
    for name, (fn, smooth) in COMPOSITES.items():
        db[name] = OpEntry(name, fn, "composite", True, smooth, REFS.get(name),
                           DB.get(name, []))
    return db


OP_DB: Dict[str, OpEntry] = _build()

# sample lists for names nobody registered (a typo, or an op that was removed)
UNREGISTERED = sorted(set(DB) - set(OP_DB))


def all_cases():
    """(name, index, entry, sample) for every sample of every op."""
    for name, entry in OP_DB.items():
        for i, s in enumerate(entry.samples):
            yield name, i, entry, s
