"""PyTorch's Tensor surface beyond the ops themselves, declared through the registry.

Nothing here is a new differentiable op: it is the methods, in-place variants,
keyword spellings and operators a PyTorch script expects, each mapped to an op
declared in its family module (so ``registry.METHODS`` lists them and the registry
tests see them):

* **in-place variants** of the elementwise ops (``exp_``, ``sigmoid_``, ``tanh_``,
  ``pow_``, ``reciprocal_``, ``masked_fill_``, ...): primitives go through
  ``ops/inplace.py`` like ``add_``; composites are computed on a clone and written
  back with ``copy_`` (so the graph, and the version counters, are right);
* **method aliases** (``multiply``, ``subtract``, ``true_divide``, ``clamp_min``, ...);
* **bitwise operators** ``& | ^ ~ << >>`` on integer and bool tensors (bitwise, as in
  PyTorch; on floats they raise like PyTorch does) and ``bitwise_*``/``logical_*``;
* **dtype and device methods**: ``to(dtype | device | tensor)``, ``type(dtype)``,
  ``cpu()``, ``cuda()`` (raises: CPU only), ``device``, ``is_cuda``, ``half()``,
  ``new_zeros``/``new_ones``/``new_full``/``new_tensor``/``new_empty``, and the
  in-place random fills ``uniform_``/``normal_``;
* **torch's keyword names** ``input=`` / ``other=`` on the public op functions
  (:func:`torch_keywords`).
"""
from __future__ import annotations

import types
from typing import Any

import numpy as np

from .._checks import allocate, broadcast_arg, device_arg, dtype_arg, is_int, real_arg, size_arg
from ..devices import CPU
from ..errors import DtypeError, InvalidArgumentError
from ..dtypes import dtype_name
from ..registry import METHODS, OPS, PUBLIC, method, public
from ..tape import STATE
from ..tensor import Tensor, as_tensor, tensor
from .elementwise import cast, clamp, where
from .inplace import _fill_value, clamp_, inplace

__all__ = ["torch_keywords", "TYPE_NAMES"]


# --------------------------------------------------------------------------- in-place variants
def _inplace_unary(name: str):
    if name in OPS:
        def fn(t):
            return inplace(t, name)
    else:
        op = PUBLIC[name]

        def fn(t):
            return _inplace_composite(t, name, op)
    fn.__name__ = name + "_"
    fn.__doc__ = f"``t.{name}_()``: ``t = {name}(t)`` in place."
    return fn


def _inplace_composite(t: Tensor, name: str, fn, *args: Any, **kw: Any) -> Tensor:
    """``t = fn(t, *args)`` in place for an op that is not a primitive: computed on a
    clone of ``t`` (so its nodes never read the overwritten buffer), written back by
    ``copy_`` (which records, bumps the version and checks dtype/shape)."""
    recording = STATE.grad_enabled and (t.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in args))
    if recording and t.grad_fn is None and t.requires_grad:
        raise RuntimeError(
            f"{name}_: a leaf Variable that requires grad is being used in an in-place "
            f"operation. Wrap the update in `with no_grad():` or use the out-of-place form.")
    res = fn(t.clone() if recording else t, *args, **kw)
    if not np.can_cast(res.dtype, t.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}_: result type {res.dtype} can't be cast to the desired "
                           f"output type {t.dtype} of the tensor changed in place; use the "
                           f"out-of-place {name}")
    return inplace(t, "copy_from", res, _label=name)


for _n in ("exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
           "abs", "sign", "erf", "neg", "reciprocal", "rsqrt", "square"):
    method(_n + "_", _inplace_unary(_n))

method("negative_", lambda t: inplace(t, "neg", _label="negative"))
method("absolute_", lambda t: inplace(t, "abs", _label="absolute"))
method("pow_", lambda t, exponent: inplace(t, "pow", exponent))
method("remainder_", lambda t, other: _inplace_composite(t, "remainder", PUBLIC["remainder"], other))
method("floor_divide_", lambda t, other: _inplace_composite(t, "floor_divide",
                                                           PUBLIC["floor_divide"], other))
method("multiply_", lambda t, other: inplace(t, "mul", other))
method("subtract_", lambda t, other, alpha=1: METHODS["sub_"](t, other, alpha))
method("divide_", lambda t, other: inplace(t, "div", other))
method("true_divide_", lambda t, other: inplace(t, "div", other))
method("clamp_min_", lambda t, min: clamp_(t, _bound(min, "min", "clamp_min_"), None,
                                           _name="clamp_min"))
method("clamp_max_", lambda t, max: clamp_(t, None, _bound(max, "max", "clamp_max_"),
                                           _name="clamp_max"))


def _bound(v: Any, name: str, op: str) -> Any:
    """clamp_min/clamp_max's bound: a number or a tensor (None is PyTorch's TypeError; a
    complex bound of an in-place clamp is its RuntimeError, raised by clamp_)."""
    if not isinstance(v, Tensor) and not (op.endswith("_") and isinstance(v, complex)):
        real_arg(v, name, op)
    return v


def masked_fill_args(t: Tensor, mask: Any, value: Any, op: str):
    """masked_fill's mask (a bool tensor) and value (a number or a 0-d tensor, as t's
    dtype: an int tensor filled with 1.5 gets 1, as in PyTorch)."""
    m = as_tensor(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"{op}: only boolean masks are supported, but got a mask of dtype "
                           f"{m.dtype}; compare first (e.g. mask = x > 0)")
    if broadcast_arg(op, t.shape, m.shape) != t.shape and op.endswith("_"):
        raise RuntimeError(f"{op}: a mask of shape {m.shape} would grow the tensor of shape "
                           f"{t.shape}; an in-place fill keeps the tensor's shape")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{op}: only a 0-dimensional value tensor is supported, but "
                               f"got a tensor with {value.ndim} dimension(s)")
        return m, value if value.dtype == t.dtype else cast(value, t.dtype)
    return m, Tensor._wrap(np.array(_fill_value(t, value, op), dtype=t.dtype))


method("masked_fill_", lambda t, mask, value: _inplace_composite(
    t, "masked_fill", lambda x, m, v: where(m, v, x), *masked_fill_args(t, mask, value,
                                                                         "masked_fill_")))


def _renamed(op: str, fn, *args: Any, **kw: Any):
    """``fn(*args)`` with errors that start "clamp:" (the op it calls) naming ``op``."""
    try:
        return fn(*args, **kw)
    except (TypeError, ValueError, RuntimeError) as e:
        base = fn.__name__ + ":"
        if not str(e).startswith(base):
            raise
        raise type(e)(op + ":" + str(e)[len(base):]) from None


method("clamp_min", lambda t, min: _renamed("clamp_min", clamp, t,
                                            min=_bound(min, "min", "clamp_min")))
method("clamp_max", lambda t, max: _renamed("clamp_max", clamp, t,
                                            max=_bound(max, "max", "clamp_max")))

# --------------------------------------------------------------------------- method aliases
for _n in ("multiply", "subtract", "divide", "true_divide", "negative"):
    method(_n, PUBLIC[_n])
method("absolute", PUBLIC["abs"])


# --------------------------------------------------------------------------- bitwise / logical
def _bitwise(name: str, np_fn, bool_fn, ex):
    shift = "shift" in name

    def fn(input, other):  # noqa: A002
        if any(isinstance(v, (complex, np.complexfloating)) for v in (input, other)):
            raise DtypeError(f"{name}: not implemented for complex numbers")
        if isinstance(other, Tensor) and not isinstance(input, Tensor):  # 3 << t: t's dtype
            b = as_tensor(other)
            a = as_tensor(input, like=b)
        else:
            a = as_tensor(input)
            b = as_tensor(other, like=a)
        broadcast_arg(name, a.shape, b.shape)  # PyTorch checks the shapes first
        for t in (a, b):
            if t.dtype.kind not in "biu":
                raise DtypeError(f'{name}: "{name}_cpu" not implemented for {t.dtype}: {name} '
                                 f"is defined for integer and bool tensors; for floats compare "
                                 f"first (x > 0) or convert with .long()")
        both_bool = a.dtype == np.bool_ and b.dtype == np.bool_
        if both_bool and shift:
            raise DtypeError(f"{name}: not implemented for two bool tensors; convert one "
                             f"with .long()")
        return Tensor._wrap(np.asarray((bool_fn if both_bool else np_fn)(a._d, b._d)))

    fn.__name__ = name
    fn.__doc__ = (f"Element-wise {name.replace('bitwise_', 'bitwise ')} of integer or bool "
                  f"tensors (logical on bools), as ``torch.{name}``; not differentiable."
                  f"\n\n>>> import autograd as ag\n>>> ag.{name}(ag.tensor([12, 8]), 2).tolist()"
                  f"\n{ex}")
    return fn


bitwise_and = public(_bitwise("bitwise_and", np.bitwise_and, np.logical_and, "[0, 0]"),
                     method=True)
bitwise_or = public(_bitwise("bitwise_or", np.bitwise_or, np.logical_or, "[14, 10]"), method=True)
bitwise_xor = public(_bitwise("bitwise_xor", np.bitwise_xor, np.logical_xor, "[14, 10]"),
                     method=True)
bitwise_left_shift = public(_bitwise("bitwise_left_shift", np.left_shift, np.left_shift,
                                     "[48, 32]"))
bitwise_right_shift = public(_bitwise("bitwise_right_shift", np.right_shift, np.right_shift,
                                      "[3, 2]"))


def bitwise_not(input):  # noqa: A002
    """Element-wise bitwise NOT of an integer or bool tensor (logical NOT on bools:
    ``~x``), as ``torch.bitwise_not``; not differentiable.

    >>> import autograd as ag
    >>> ag.bitwise_not(ag.tensor([0, 5])).tolist()
    [-1, -6]
    """
    t = as_tensor(input)
    if t.dtype.kind not in "biu":
        raise DtypeError(f'bitwise_not: "bitwise_not_cpu" not implemented for {t.dtype}: ~ '
                         f"(operator.invert) is only implemented on integer and Boolean-type "
                         f"tensors; for floats use -x, or (x == 0) for a mask")
    return Tensor._wrap(np.asarray(np.invert(t._d)))


public(bitwise_not, method=True)


def _logical(name: str, np_fn, ex):
    def fn(input, other):  # noqa: A002
        a = as_tensor(input)
        b = as_tensor(other, like=a)
        broadcast_arg(name, a.shape, b.shape)
        return Tensor._wrap(np.asarray(np_fn(a._d, b._d)))

    fn.__name__ = name
    fn.__doc__ = (f"Element-wise {name.replace('_', ' ')} (non-zero is True), a bool tensor."
                  f"\n\n>>> import autograd as ag\n>>> ag.{name}(ag.tensor([0, 1, 2]), "
                  f"ag.tensor([0, 0, 3])).tolist()\n{ex}")
    return fn


public(_logical("logical_and", np.logical_and, "[False, False, True]"), method=True)
public(_logical("logical_or", np.logical_or, "[False, True, True]"), method=True)
public(_logical("logical_xor", np.logical_xor, "[False, True, False]"), method=True)


def _operator(f, reflected: bool = False):
    """A Python operator method: NotImplemented for an operand that is not a tensor or a
    number (so ``t & "a"`` is Python's TypeError, as in PyTorch), else ``f(t, other)``."""
    def op(t, other):
        if not isinstance(other, (Tensor, int, float, bool, complex, np.number, np.bool_,
                                  np.ndarray)):
            return NotImplemented
        return f(other, t) if reflected else f(t, other)
    return op


for _n, _f in (("and", bitwise_and), ("or", bitwise_or), ("xor", bitwise_xor),
               ("lshift", bitwise_left_shift), ("rshift", bitwise_right_shift)):
    method(f"__{_n}__", _operator(_f))
    if _n in ("and", "or", "xor"):
        method(f"__r{_n}__", _operator(_f, reflected=True))
        method(f"bitwise_{_n}_", (lambda f: lambda t, other: _inplace_composite(
            t, f.__name__, f, other))(_f))
        method(f"__i{_n}__", _operator(METHODS[f"bitwise_{_n}_"]))
method("__invert__", bitwise_not)


# --------------------------------------------------------------------------- dtype and device
# PyTorch's legacy type names, for t.type() and t.type('torch.FloatTensor')
TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
              "float16": "torch.HalfTensor", "int64": "torch.LongTensor",
              "int32": "torch.IntTensor", "int16": "torch.ShortTensor", "int8": "torch.CharTensor",
              "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor"}
_BY_TYPE_NAME = {v: k for k, v in TYPE_NAMES.items()}


def _as_dtype(spec: Any, where: str) -> np.dtype:
    legacy = getattr(spec, "_legacy_dtype", None)  # FloatTensor & co (creation.py)
    if legacy is not None:
        return np.dtype(legacy)
    if isinstance(spec, str):
        name = spec[len("torch."):] if spec.startswith("torch.") and spec not in _BY_TYPE_NAME else spec
        if spec in _BY_TYPE_NAME:
            return np.dtype(_BY_TYPE_NAME[spec])
        spec = name
    try:
        dt = np.dtype(spec)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt.kind not in "biuf":
        # a string that is not a supported dtype: PyTorch's ValueError for type(), its
        # RuntimeError for to() (which reads it as a device)
        cls = TypeError if not isinstance(spec, str) else \
            DtypeError if where == "to" else InvalidArgumentError
        raise cls(f"{where}: invalid type {spec!r} (tapegrad does not support "
                  f"{dt if dt is not None else 'it'}); use bool, an integer or a float "
                  f"dtype (float32, int64, 'torch.FloatTensor', ...)")
    return dt


def _is_device(a: Any) -> bool:
    from ..devices import device
    return isinstance(a, device) or (isinstance(a, str) and not a.startswith("torch.")
                                     and a.split(":")[0].isalpha() and _not_dtype_name(a))


def _not_dtype_name(s: str) -> bool:
    try:
        np.dtype(s)
        return False
    except TypeError:
        return True


def to(self: Tensor, *args: Any, dtype=None, device=None, copy: bool = False,
       non_blocking: bool = False, memory_format=None) -> Tensor:
    """``t.to(dtype)``, ``t.to(device)``, ``t.to(device, dtype)``, ``t.to(other)`` (its
    dtype) and the keyword forms, as in PyTorch. The only device is the CPU (another
    raises); a dtype change is the differentiable ``cast``; ``copy=True`` always copies."""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, int) and not isinstance(a, bool):
            device = a
        elif _is_device(a):
            device = a
        elif a is not None:
            dtype = a
    device_arg(device, "to")
    out = self if dtype is None else cast(self, _as_dtype(dtype, "to"))
    return out.clone() if copy and out is self else out


method("to", to)


def type_(self: Tensor, dtype=None, non_blocking: bool = False):
    """``t.type()`` is PyTorch's type name (``'torch.FloatTensor'``); ``t.type(dtype)``
    converts (a dtype, ``torch.FloatTensor`` or the name as a string)."""
    if dtype is None:
        return TYPE_NAMES.get(dtype_name(self.dtype), f"torch.{dtype_name(self.dtype)}")
    return cast(self, _as_dtype(dtype, "type"))


type_.__name__ = "type"
method("type", type_)


def _cpu(self: Tensor, memory_format=None) -> Tensor:
    return self


def _cuda(self: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    from ..devices import device as device_cls

    if device is not None and not isinstance(device, (str, device_cls)) and not is_int(device):
        raise TypeError(f"cuda(): device must be a cuda device, its name or an index, got "
                        f"{type(device).__name__} {device!r}")
    if is_int(device) and device < 0:
        raise RuntimeError(f"cuda(): device index must not be negative, got {device}")
    if isinstance(device, (str, device_cls)) and str(device).split(":")[0].strip() == "cpu":
        raise RuntimeError(f"cuda(): invalid device {str(device)!r}, must be a cuda device")
    device_arg("cuda" if device is None else f"cuda:{device}" if is_int(device) else device,
               "cuda()")
    return self


method("cpu", _cpu)
method("cuda", _cuda)
method("device", property(lambda self: CPU, doc="Always the CPU (``device(type='cpu')``)."))
method("is_cuda", property(lambda self: False, doc="False: tapegrad runs on the CPU only."))
method("half", lambda self: cast(self, np.float16))
method("short", lambda self: cast(self, np.int16))
method("byte", lambda self: cast(self, np.uint8))
method("char", lambda self: cast(self, np.int8))
method("element_size", lambda self: int(self.dtype.itemsize))
method("nelement", lambda self: self.numel())
method("ndimension", lambda self: self.ndim)
method("get_device", lambda self: -1)


def _new(self: Tensor, op: str, size, fill, dtype, requires_grad: bool, device) -> Tensor:
    """``t.new_zeros/new_ones/new_empty/new_full(size)``: a new tensor of ``t``'s dtype
    (or ``dtype``), with PyTorch's argument checks."""
    device_arg(device, op)
    dt = dtype_arg(dtype, op, default=self.dtype)
    shape = size_arg(size, op)
    arr = allocate(lambda: np.full(shape, fill, dtype=dt), shape, dt, op)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


for _n, _v in (("new_zeros", 0), ("new_ones", 1), ("new_empty", 0)):
    method(_n, (lambda n, v: lambda self, *size, dtype=None, device=None, requires_grad=False:
                _new(self, n, size, v, dtype, requires_grad, device))(_n, _v))


def _new_full(self: Tensor, size, fill_value, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full: size must be a tuple of ints, got {type(size).__name__} "
                        f"{size!r}")
    like = self if dtype is None else Tensor._wrap(np.zeros((), dtype_arg(dtype, "new_full")))
    return _new(self, "new_full", tuple(size), _fill_value(like, fill_value, "new_full"),
                dtype, requires_grad, device)


def _new_tensor(self: Tensor, data, dtype=None, device=None, requires_grad=False) -> Tensor:
    device_arg(device, "new_tensor")
    src = data.detach() if isinstance(data, Tensor) else data
    return tensor(src, dtype=dtype_arg(dtype, "new_tensor", default=self.dtype),
                  requires_grad=requires_grad)


_new_full.__name__, _new_tensor.__name__ = "new_full", "new_tensor"
method("new_full", _new_full)
method("new_tensor", _new_tensor)


def _random_fill(t: Tensor, name: str, draw) -> Tensor:
    if t.dtype.kind != "f":
        raise RuntimeError(f"{name}_ expects a floating point tensor, got {t.dtype}")
    return inplace(t, "copy_from", Tensor._wrap(np.asarray(draw()).astype(t.dtype)), _label=name)


def _gen(generator, op: str):
    from ..random import _generator
    return _generator(generator, op)


def _uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """``t.uniform_(a, b)``: fill with draws from U[a, b) (a <= b, both finite)."""
    lo, hi = real_arg(a, "from", "uniform_"), real_arg(b, "to", "uniform_")
    if t.dtype.kind == "f":
        big = float(np.finfo(t.dtype).max)
        for what, v in (("from", lo), ("to", hi)):
            if not -big <= v <= big:
                raise RuntimeError(f"uniform_: {what}={v} is out of bounds for {t.dtype}")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={lo} > to={hi}")
    g = _gen(generator, "uniform_")
    return _random_fill(t, "uniform", lambda: g.uniform(lo, hi, t.shape))


def _normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """``t.normal_(mean, std)``: fill with draws from N(mean, std**2) (std >= 0)."""
    m, sd = real_arg(mean, "mean", "normal_"), real_arg(std, "std", "normal_")
    if not sd >= 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {sd}")
    g = _gen(generator, "normal_")
    return _random_fill(t, "normal", lambda: m + sd * g.standard_normal(t.shape))


_uniform_.__name__, _normal_.__name__ = "uniform_", "normal_"
method("uniform_", _uniform_)
method("normal_", _normal_)


# --------------------------------------------------------------------------- keyword names
_RENAME = {"x": "input", "y": "other"}
# where PyTorch's names are not input/other (torch.pow(input, exponent), ...)
_TORCH_PARAMS = {"pow": ("input", "exponent"), "mm": ("input", "mat2"), "dot": ("input", "tensor"),
                 "where": ("condition", "input", "other"), "take": ("input", "index"), "split": ("tensor",)}


def torch_keywords(fn: types.FunctionType, names=None) -> types.FunctionType:
    """Give ``fn`` PyTorch's parameter names: ``input`` (first) and ``other`` (second)
    where tapegrad's are ``x``/``y``, or the given ``names`` in order, so
    ``matmul(input=a, other=b)`` and ``pow(input=a, exponent=2)`` work.

    Done by renaming the parameters in the function's code object (positional calls
    are unchanged and no wrapper is added: the method and function forms stay one
    function and cost nothing extra). Parameters that a nested function captures are
    left alone (renaming those would need the closures rewritten too)."""
    code = fn.__code__
    old = list(code.co_varnames)
    new = list(old)
    nargs = code.co_argcount
    if names is None:
        names = [_RENAME.get(v) for v in old[:min(nargs, 2)]]
        if len(names) == 2 and old[0] != "x":
            names[1] = None
    for i, nm in enumerate(names[:nargs]):
        if nm is None or nm in old or old[i] in code.co_cellvars:
            continue
        new[i] = nm
    if new != old:
        fn.__code__ = code.replace(co_varnames=tuple(new))
    return fn


for _n, _f in list(PUBLIC.items()):
    if isinstance(_f, types.FunctionType):
        torch_keywords(_f, _TORCH_PARAMS.get(_n))
del _n, _f


def is_tensor(obj: Any) -> bool:
    """True for a Tensor (``torch.is_tensor``).

    >>> import autograd as ag
    >>> ag.is_tensor(ag.tensor([1.0])), ag.is_tensor([1.0])
    (True, False)
    """
    return isinstance(obj, Tensor)


def numel(input) -> int:  # noqa: A002
    """The number of elements (``torch.numel``).

    >>> import autograd as ag
    >>> ag.numel(ag.zeros(2, 3))
    6
    """
    return as_tensor(input).numel()


public(is_tensor)
public(numel)
