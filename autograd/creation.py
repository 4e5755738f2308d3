"""Creation functions: zeros, ones, full, arange, linspace, eye, the *_like forms and
``normal``, with PyTorch's keywords (``dtype=``, ``device=``, ``requires_grad=``; the
size as ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``)."""
from __future__ import annotations

import numpy as np

from ._checks import allocate, dtype_arg, int_arg, real_arg, size_arg
from .devices import check_device
from .errors import DtypeError, InvalidArgumentError, ShapeError
from .random import _draw_normal, _draw_uniform, _gen, _generator, int_bounds, randint, random_array
from .tensor import Tensor, _check_grad_dtype, as_tensor, get_default_dtype

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
           "empty_like", "rand_like", "randn_like", "randint_like", "normal",
           "arange", "linspace", "eye"]


def _shape(size, kw_size=None, op: str = "zeros") -> tuple:
    """The size as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``, checked."""
    if kw_size is not None:
        if size:
            raise TypeError(f"{op}(): got the size both positionally and as size=")
        size = (kw_size,)
    return size_arg(size, op)


def _new(fill, shape, dtype, op):
    dtype = dtype_arg(dtype, op, get_default_dtype())
    return allocate(lambda: fill(shape, dtype), shape, dtype, op)


def _leaf(arr: np.ndarray, requires_grad: bool, device=None, where: str = "tensor") -> Tensor:
    if device is not None:
        check_device(device, where)
    t = Tensor._wrap(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype, f"{where}(requires_grad=True)")
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad: bool = False,
          **kw) -> Tensor:
    """A tensor of zeros (float32 by default).

    >>> import autograd as ag
    >>> ag.zeros(2, 3).shape, ag.zeros(2).tolist()
    ((2, 3), [0.0, 0.0])
    """
    shape = _shape(size, kw.pop("size", None), "zeros")
    _no_extra("zeros", kw)
    return _leaf(_new(np.zeros, shape, dtype, "zeros"), requires_grad, device, "zeros")


def ones(*size, dtype=None, device=None, requires_grad: bool = False,
         **kw) -> Tensor:
    """A tensor of ones (float32 by default).

    >>> import autograd as ag
    >>> ag.ones(2, dtype=ag.int64).tolist()
    [1, 1]
    """
    shape = _shape(size, kw.pop("size", None), "ones")
    _no_extra("ones", kw)
    return _leaf(_new(np.ones, shape, dtype, "ones"), requires_grad, device, "ones")


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """An "uninitialised" tensor: zeros here (PyTorch leaves the memory as it is; a
    script must not read it before writing, and with zeros it reads a defined value).

    >>> import autograd as ag
    >>> ag.empty(2, 3).shape
    (2, 3)
    """
    shape = _shape(size, kw.pop("size", None), "empty")
    _no_extra("empty", kw)
    return _leaf(_new(np.zeros, shape, dtype, "empty"), requires_grad, device, "empty")


def _no_extra(where: str, kw: dict) -> None:
    kw.pop("layout", None)
    kw.pop("pin_memory", None)
    kw.pop("memory_format", None)
    if "out" in kw and kw["out"] is None:
        del kw["out"]
    if kw:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {sorted(kw)}")


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (bool/int values keep their kind, floats are float32).

    >>> import autograd as ag
    >>> ag.full((2,), 7).tolist(), ag.full((1,), 0.5).dtype
    ([7, 7], dtype('float32'))
    """
    dtype = dtype_arg(dtype, "full")
    if not isinstance(fill_value, (bool, int, float, np.bool_, np.integer, np.floating)) and \
            not (isinstance(fill_value, Tensor) and fill_value.ndim == 0):
        raise TypeError(f"full: fill_value must be a real number or a bool, got "
                        f"{type(fill_value).__name__} {fill_value!r}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else get_default_dtype())
    shape = size_arg((size,), "full")
    try:
        np.asarray(fill_value, dtype=dtype)
    except OverflowError:
        raise InvalidArgumentError(f"full: fill_value {fill_value} cannot be converted to "
                                   f"{np.dtype(dtype)} without overflow") from None
    return _leaf(_new(lambda s, d: np.full(s, fill_value, dtype=d), shape, dtype, "full"),
                 requires_grad, device, "full")


def _like(x, dtype, device, where, kw=None, requires_grad=False):
    """(shape, dtype) of a ``*_like`` result, every keyword checked (PyTorch's are
    keyword-only: ``zeros_like(x, float64)`` is a TypeError there and here)."""
    if kw:
        _no_extra(where, dict(kw))
    if not isinstance(requires_grad, (bool, np.bool_)):
        raise TypeError(f"{where}(): argument 'requires_grad' must be bool, not "
                        f"{type(requires_grad).__name__}")
    x = as_tensor(x)
    check_device(device, where)
    return x.shape, dtype_arg(dtype, where, x.dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Zeros with ``input``'s shape and dtype (or ``dtype``).

    >>> import autograd as ag
    >>> ag.zeros_like(ag.tensor([[1, 2]])).tolist()
    [[0, 0]]
    """
    shape, dt = _like(input, dtype, device, "zeros_like", kw, requires_grad)
    return _leaf(np.zeros(shape, dtype=dt), requires_grad, where="zeros_like")


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Ones with ``input``'s shape and dtype (or ``dtype``).

    >>> import autograd as ag
    >>> ag.ones_like(ag.tensor([1., 2.])).tolist()
    [1.0, 1.0]
    """
    shape, dt = _like(input, dtype, device, "ones_like", kw, requires_grad)
    return _leaf(np.ones(shape, dtype=dt), requires_grad, where="ones_like")


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """An "uninitialised" tensor with ``input``'s shape and dtype: zeros here (see
    :func:`empty`).

    >>> import autograd as ag
    >>> ag.empty_like(ag.ones(2, 3)).shape
    (2, 3)
    """
    shape, dt = _like(input, dtype, device, "empty_like", kw, requires_grad)
    return _leaf(np.zeros(shape, dtype=dt), requires_grad, where="empty_like")


def _fill_value(v, dt: np.dtype, op: str):
    """``v`` converted to ``dt`` as PyTorch does (floats truncate towards zero into
    integers, anything nonzero is True), or PyTorch's error: a value that cannot be
    represented (NaN/inf into integers, beyond the range) is a RuntimeError, a complex
    number too (tapegrad has no complex dtype), a non-number a TypeError."""
    if isinstance(v, Tensor):
        if v.ndim != 0:
            raise TypeError(f"{op}(): argument 'fill_value' must be a number or a 0-d "
                            f"tensor, got a tensor of shape {v.shape}")
        v = v.item()
    if isinstance(v, (complex, np.complexfloating)):
        raise DtypeError(f"{op}: value {v!r} cannot be converted to type {dt} without "
                         f"overflow (tapegrad has no complex dtype)")
    if not isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)):
        raise TypeError(f"{op}(): argument 'fill_value' must be Number, not "
                        f"{type(v).__name__}")
    if dt.kind == "b":
        return bool(v)
    bad = False
    if dt.kind in "iu":
        info = np.iinfo(dt)
        bad = not np.isfinite(float(v)) or not info.min <= int(v) <= info.max
    elif np.isfinite(float(v)):  # (PyTorch's one-element fill rounds to inf in float16;
        bad = abs(float(v)) > float(np.finfo(dt).max)  # every larger one refuses)
    if bad:
        raise InvalidArgumentError(f"{op}: value {v!r} cannot be converted to type {dt} "
                                   f"without overflow")
    return int(v) if dt.kind in "iu" else v


def full_like(input, fill_value, *, dtype=None, device=None,  # noqa: A002
              requires_grad: bool = False, **kw) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype (or ``dtype``).

    >>> import autograd as ag
    >>> ag.full_like(ag.tensor([1, 2]), 9).tolist()
    [9, 9]
    """
    shape, dt = _like(input, dtype, device, "full_like", kw, requires_grad)
    value = _fill_value(fill_value, dt, "full_like")
    return _leaf(np.full(shape, value, dtype=dt), requires_grad, where="full_like")


def _float_like(input, dtype, device, where, kw, requires_grad):  # noqa: A002
    shape, dt = _like(input, dtype, device, where, kw, requires_grad)
    if dt.kind != "f":
        raise RuntimeError(f"{where}: expected a floating point dtype, got {dt} "
                           f"(pass dtype=float32, or call it on a float tensor)")
    return shape, dt


def rand_like(input, *, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Uniform samples in [0, 1) with ``input``'s shape (global generator).

    >>> import autograd as ag
    >>> r = ag.rand_like(ag.zeros(2, 3))
    >>> r.shape, r.dtype, bool(((r >= 0) & (r < 1)).all())
    ((2, 3), dtype('float32'), True)
    """
    g = kw.pop("generator", None)
    _generator(g, "rand_like")  # (checked; None stays None: the draw finds the global one)
    shape, dt = _float_like(input, dtype, device, "rand_like", kw, requires_grad)
    return _leaf(random_array(_draw_uniform, g, shape, dt), requires_grad, where="rand_like")


def randn_like(input, *, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Standard normal samples with ``input``'s shape (global generator).

    >>> import autograd as ag
    >>> ag.randn_like(ag.zeros(2, 3)).shape
    (2, 3)
    """
    g = kw.pop("generator", None)
    _generator(g, "randn_like")  # (checked; None stays None: the draw finds the global one)
    shape, dt = _float_like(input, dtype, device, "randn_like", kw, requires_grad)
    return _leaf(random_array(_draw_normal, g, shape, dt), requires_grad, where="randn_like")


def randint_like(input, low: int = None, high=None, *, dtype=None, device=None,  # noqa: A002
                 requires_grad: bool = False, **kw) -> Tensor:
    """Integers in [low, high) (or [0, low)) with ``input``'s shape and dtype, as
    PyTorch's ``randint_like(input, high)`` / ``randint_like(input, low, high)``.

    >>> import autograd as ag
    >>> r = ag.randint_like(ag.zeros(4, dtype=ag.int64), 3)
    >>> r.dtype, bool(((r >= 0) & (r < 3)).all())
    (dtype('int64'), True)
    """
    if low is None:
        raise TypeError("randint_like() missing the bound: randint_like(input, high) or "
                        "randint_like(input, low, high)")
    g = kw.pop("generator", None)
    _generator(g, "randint_like")  # (checked; None stays None: the draw finds the global one)
    shape, dt = _like(input, dtype, device, "randint_like", kw, requires_grad)
    if high is None:
        low, high = 0, low
    low, high = int_arg(low, "low", "randint_like"), int_arg(high, "high", "randint_like")
    int_bounds(low, high, dt, "randint_like")
    return randint(low, high, shape, dtype=dt, generator=g, requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2), in PyTorch's forms: ``normal(mean, std, size=(2, 3))``
    with float mean and std, or element-wise with tensor ``mean`` and/or ``std`` (the
    result has their broadcast shape; not differentiable in mean/std, like PyTorch).

    >>> import autograd as ag
    >>> ag.normal(0.0, 1.0, size=(2, 3)).shape
    (2, 3)
    >>> ag.normal(ag.zeros(4), 0.0).tolist()  # std 0: the means
    [0.0, 0.0, 0.0, 0.0]
    """
    check_device(device, "normal")
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal(): with float mean and std, pass size=(...), e.g. "
                            "normal(0.0, 1.0, size=(2, 3))")
        shape = size_arg((size,), "normal")
        dt = dtype_arg(dtype, "normal", get_default_dtype())
        mean_f, std_f = real_arg(mean, "mean", "normal"), real_arg(std, "std", "normal")
        if not std_f >= 0.0:  # (NaN too)
            raise InvalidArgumentError(f"normal expects std >= 0.0, but found std {std_f}")
        return _leaf(allocate(lambda: random_array(_draw_normal_affine, generator, shape,
                                                   mean_f, std_f, dt), shape, dt, "normal"),
                     requires_grad, where="normal")
    m = as_tensor(mean).detach()
    s = as_tensor(std).detach()
    if not np.all(s._arr >= 0):  # (NaN too)
        raise InvalidArgumentError("normal expects all elements of std >= 0.0, but found "
                                   "a negative or NaN std")
    try:
        shape = np.broadcast_shapes(m.shape, s.shape)
    except ValueError:
        raise ShapeError(f"normal: the shapes of mean {m.shape} and std {s.shape} do not "
                         f"broadcast") from None
    dt = (mean if tm else std).dtype if dtype is None else dtype_arg(dtype, "normal")
    # the draw goes through random_array and the arithmetic through recorded ops, so
    # autograd.compile replays fresh samples with the current mean and std
    z = Tensor._wrap(random_array(_draw_normal, generator, shape, np.float64))
    out = (m + s * z).to(dt)
    if requires_grad:
        out.requires_grad_()
    return out


def _draw_normal_affine(g, shape, mean: float, std: float, dtype) -> np.ndarray:
    return (mean + std * _gen(g).standard_normal(shape)).astype(dtype)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for integer arguments.

    >>> import autograd as ag
    >>> ag.arange(5).tolist(), ag.arange(0, 1, 0.25).tolist()
    ([0, 1, 2, 3, 4], [0.0, 0.25, 0.5, 0.75])
    """
    if end is None:
        start, end = 0, start
    _real(("start", start), ("end", end), ("step", step), op="arange")
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise InvalidArgumentError("arange: step must be nonzero")
    if step != step:
        raise InvalidArgumentError("arange: step must be a number, got nan")
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
                          "arange"), requires_grad, device, "arange")


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive.

    >>> import autograd as ag
    >>> ag.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    _real(("start", start), ("end", end), op="linspace")
    start, end = (float(v) if isinstance(v, int) and abs(v) > 2 ** 53 else v for v in (start, end))
    steps = int_arg(steps, "steps", "linspace")
    if steps < 0:
        raise InvalidArgumentError(f"linspace: number of steps must be non-negative, got {steps}")
    dt = dtype_arg(dtype, "linspace", get_default_dtype())
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    return _leaf(allocate(lambda: _linspace(start, end, steps, dt), (steps,), dt,
                          "linspace"), requires_grad, device, "linspace")


def _linspace(start, end, steps: int, dt: np.dtype) -> np.ndarray:
    """PyTorch's kernel for floats, in the output dtype: step = (end - start) / (steps - 1),
    the first half start + i step, the second half end - (steps - 1 - i) step (so the
    ends are exact; with an infinite bound the values are PyTorch's NaN/inf too)."""
    if dt.kind != "f" or steps < 2:
        return np.full(1, start).astype(dt) if steps == 1 else \
            np.linspace(start, end, steps).astype(dt)
    for v in (start, end):
        if np.isfinite(float(v)) and abs(float(v)) > float(np.finfo(dt).max):
            raise InvalidArgumentError(f"linspace: value {v!r} cannot be converted to type "
                                       f"{dt} without overflow")
    with np.errstate(all="ignore"):
        s, e = dt.type(start), dt.type(end)
        step = (e - s) / dt.type(steps - 1)
        i = np.arange(steps, dtype=dt)
        return np.where(i < steps // 2, s + i * step, e - (dt.type(steps - 1) - i) * step)


def eye(n: int, m=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix.

    >>> import autograd as ag
    >>> ag.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    n = int_arg(n, "n", "eye")
    m = n if m is None else int_arg(m, "m", "eye")
    if n < 0 or m < 0:
        raise InvalidArgumentError(f"eye: n and m must be >= 0, got n={n}, m={m}")
    return _leaf(_new(lambda s, d: np.eye(n, m, dtype=d), (n, m), dtype, "eye"), requires_grad, device,
                 "eye")


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


# --------------------------------------------------------------------------- legacy types
class _LegacyTensorType(type):
    """``FloatTensor`` & co: called, they build a tensor of their dtype
    (``FloatTensor(2, 3)`` zeros of that shape, ``LongTensor([1, 2])`` from data);
    ``isinstance(t, FloatTensor)`` checks the dtype, as in PyTorch."""

    def __call__(cls, *args, requires_grad: bool = False, device=None):
        check_device(device, cls.__name__)
        dt = np.dtype(cls._legacy_dtype)
        if not args or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in args):
            return _leaf(np.zeros(tuple(int(a) for a in args) if args else (0,), dtype=dt),
                         requires_grad)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}(): expected data or sizes (ints)")
        data = args[0]
        arr = np.array(data._arr if isinstance(data, Tensor) else data, dtype=dt)
        return _leaf(arr, requires_grad)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == np.dtype(cls._legacy_dtype)

    def __repr__(cls) -> str:
        return f"<class 'autograd.{cls.__name__}'>"


def _legacy(name: str, dtype) -> type:
    return _LegacyTensorType(name, (), {"_legacy_dtype": dtype, "__doc__":
                                        f"Legacy constructor: a {np.dtype(dtype)} tensor, like ``torch.{name}``."
                                        f"\n\n>>> import autograd as ag\n>>> ag.{name}([1, 0]).dtype\n"
                                        f"{np.dtype(dtype)!r}\n"})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
ByteTensor = _legacy("ByteTensor", np.uint8)
CharTensor = _legacy("CharTensor", np.int8)
BoolTensor = _legacy("BoolTensor", np.bool_)
__all__ += ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
            "ShortTensor", "ByteTensor", "CharTensor", "BoolTensor"]


class Size(tuple):
    """``torch.Size``: a tuple of dimension sizes (``t.shape`` is a plain tuple here,
    and compares equal to a Size).

    >>> import autograd as ag
    >>> s = ag.Size([2, 3])
    >>> s, s.numel(), ag.zeros(2, 3).shape == s
    (Size([2, 3]), 6, True)
    """

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= int(s)
        return n

    def __repr__(self) -> str:
        return f"Size({list(self)})"


__all__ += ["Size"]
