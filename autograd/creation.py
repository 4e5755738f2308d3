"""Creation functions: zeros, ones, full, arange, linspace, eye, the *_like forms and
``normal``, with PyTorch's keywords (``dtype=``, ``device=``, ``requires_grad=``; the
size as ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``)."""
from __future__ import annotations

import numpy as np

from .devices import check_device
from .random import _GEN, randint
from .tensor import Tensor, _check_grad_dtype, as_tensor, get_default_dtype

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
           "empty_like", "rand_like", "randn_like", "randint_like", "normal",
           "arange", "linspace", "eye"]


def _shape(size, kw_size=None, where: str = "zeros") -> tuple:
    if kw_size is not None:
        if size:
            raise TypeError(f"{where}(): got the size both positionally and as size=")
        size = (kw_size,)
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _leaf(arr: np.ndarray, requires_grad: bool, device=None, where: str = "tensor") -> Tensor:
    if device is not None:
        check_device(device, where)
    t = Tensor._wrap(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype, "requires_grad=True")
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad: bool = False,
          **kw) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    shape = _shape(size, kw.pop("size", None), "zeros")
    _no_extra("zeros", kw)
    return _leaf(np.zeros(shape, dtype=dtype or get_default_dtype()), requires_grad, device, "zeros")


def ones(*size, dtype=None, device=None, requires_grad: bool = False,
         **kw) -> Tensor:
    """A tensor of ones (float32 by default)."""
    shape = _shape(size, kw.pop("size", None), "ones")
    _no_extra("ones", kw)
    return _leaf(np.ones(shape, dtype=dtype or get_default_dtype()), requires_grad, device, "ones")


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """An "uninitialised" tensor: zeros here (PyTorch leaves the memory as it is; a
    script must not read it before writing, and with zeros it reads a defined value)."""
    shape = _shape(size, kw.pop("size", None), "empty")
    _no_extra("empty", kw)
    return _leaf(np.zeros(shape, dtype=dtype or get_default_dtype()), requires_grad, device, "empty")


def _no_extra(where: str, kw: dict) -> None:
    kw.pop("layout", None)
    kw.pop("pin_memory", None)
    kw.pop("memory_format", None)
    if "out" in kw and kw["out"] is None:
        del kw["out"]
    if kw:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {sorted(kw)}")


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (bool/int values keep their kind, floats are float32)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else get_default_dtype())
    shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(size)
    return _leaf(np.full(shape, fill_value, dtype=dtype), requires_grad, device, "full")


def _like(x, dtype, device, where):
    x = as_tensor(x)
    check_device(device, where)
    return x.shape, np.dtype(dtype) if dtype is not None else x.dtype


def zeros_like(input, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Zeros with ``input``'s shape and dtype (or ``dtype``)."""
    shape, dt = _like(input, dtype, device, "zeros_like")
    return _leaf(np.zeros(shape, dtype=dt), requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Ones with ``input``'s shape and dtype (or ``dtype``)."""
    shape, dt = _like(input, dtype, device, "ones_like")
    return _leaf(np.ones(shape, dtype=dt), requires_grad)


empty_like = zeros_like


def full_like(input, fill_value, dtype=None, device=None, requires_grad: bool = False,  # noqa: A002
              **kw) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype (or ``dtype``)."""
    shape, dt = _like(input, dtype, device, "full_like")
    return _leaf(np.full(shape, fill_value, dtype=dt), requires_grad)


def _float_like(input, dtype, device, where):  # noqa: A002
    shape, dt = _like(input, dtype, device, where)
    if dt.kind != "f":
        raise RuntimeError(f"{where}: expected a floating point dtype, got {dt} "
                           f"(pass dtype=float32, or call it on a float tensor)")
    return shape, dt


def rand_like(input, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Uniform samples in [0, 1) with ``input``'s shape (global generator)."""
    shape, dt = _float_like(input, dtype, device, "rand_like")
    return _leaf(_GEN[0].random(shape).astype(dt), requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
    """Standard normal samples with ``input``'s shape (global generator)."""
    shape, dt = _float_like(input, dtype, device, "randn_like")
    return _leaf(_GEN[0].standard_normal(shape).astype(dt), requires_grad)


def randint_like(input, low: int = 0, high=None, dtype=None, device=None) -> Tensor:  # noqa: A002
    """Integers in [low, high) (or [0, low)) with ``input``'s shape and dtype."""
    shape, dt = _like(input, dtype, device, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, dtype=dt)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2), in PyTorch's forms: ``normal(mean, std, size=(2, 3))``
    with float mean and std, or element-wise with tensor ``mean`` and/or ``std`` (the
    result has their broadcast shape; not differentiable in mean/std, like PyTorch)."""
    check_device(device, "normal")
    g = generator or _GEN[0]
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal(): with float mean and std, pass size=(...), e.g. "
                            "normal(0.0, 1.0, size=(2, 3))")
        shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(size)
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        arr = (float(mean) + float(std) * g.standard_normal(shape)).astype(dt)
        return _leaf(arr, requires_grad)
    m = np.asarray(mean._arr if tm else mean)
    s = np.asarray(std._arr if ts else std)
    if np.any(s < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    shape = np.broadcast_shapes(m.shape, s.shape)
    dt = (mean if tm else std).dtype if dtype is None else np.dtype(dtype)
    arr = (m + s * g.standard_normal(shape)).astype(dt)
    return _leaf(arr, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _leaf(np.arange(start, end, step).astype(dtype), requires_grad, device, "arange")


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    return _leaf(np.linspace(start, end, int(steps)).astype(dtype or get_default_dtype()),
                 requires_grad, device, "linspace")


def eye(n: int, m=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix."""
    return _leaf(np.eye(n, m, dtype=dtype or get_default_dtype()), requires_grad, device, "eye")


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
                                        f"Legacy constructor: a {np.dtype(dtype)} tensor."})


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
    and compares equal to a Size)."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= int(s)
        return n

    def __repr__(self) -> str:
        return f"Size({list(self)})"


__all__ += ["Size"]
