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

from ..devices import CPU, check_device
from ..dtypes import dtype_name
from ..registry import METHODS, OPS, PUBLIC, method, public
from ..tape import STATE
from ..tensor import Tensor, as_tensor
from .elementwise import cast, clamp, where
from .inplace import inplace

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
    return inplace(t, "copy_from", res)


for _n in ("exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
           "abs", "sign", "erf", "neg", "reciprocal", "rsqrt", "square"):
    method(_n + "_", _inplace_unary(_n))

method("negative_", lambda t: inplace(t, "neg"))
method("absolute_", lambda t: inplace(t, "abs"))
method("pow_", lambda t, exponent: inplace(t, "pow", exponent))
method("remainder_", lambda t, other: _inplace_composite(t, "remainder", PUBLIC["remainder"], other))
method("floor_divide_", lambda t, other: _inplace_composite(t, "floor_divide",
                                                           PUBLIC["floor_divide"], other))
method("multiply_", lambda t, other: inplace(t, "mul", other))
method("subtract_", lambda t, other, alpha=1: METHODS["sub_"](t, other, alpha))
method("divide_", lambda t, other: inplace(t, "div", other))
method("true_divide_", lambda t, other: inplace(t, "div", other))
method("clamp_min_", lambda t, min: inplace(t, "clamp", min=min, max=None))
method("clamp_max_", lambda t, max: inplace(t, "clamp", min=None, max=max))
method("masked_fill_", lambda t, mask, value: _inplace_composite(
    t, "masked_fill", lambda x, m, v: where(m, as_tensor(v, like=x), x), mask, value))

# --------------------------------------------------------------------------- method aliases
for _n in ("multiply", "subtract", "divide", "true_divide", "negative"):
    method(_n, PUBLIC[_n])
method("absolute", PUBLIC["abs"])
method("clamp_min", lambda t, min: clamp(t, min=min))
method("clamp_max", lambda t, max: clamp(t, max=max))


# --------------------------------------------------------------------------- bitwise / logical
def _bitwise(name: str, np_fn, bool_fn, ex):
    def fn(input, other):  # noqa: A002
        a = as_tensor(input)
        b = as_tensor(other, like=a)
        for t in (a, b):
            if t.dtype.kind not in "biu":
                raise TypeError(f'"{name}_cpu" not implemented for {t.dtype}: {name} is '
                                f"defined for integer and bool tensors; for floats compare "
                                f"first (x > 0) or convert with .long()")
        f = bool_fn if a.dtype == np.bool_ and b.dtype == np.bool_ else np_fn
        return Tensor._wrap(np.asarray(f(a._d, b._d)))

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
        raise TypeError(f"~ (operator.invert) is only implemented on integer and Boolean-type "
                        f"tensors (bitwise_not: not implemented for {t.dtype}); for floats use "
                        f"-x, or (x == 0) for a mask")
    return Tensor._wrap(np.asarray(np.invert(t._d)))


public(bitwise_not, method=True)


def _logical(name: str, np_fn, ex):
    def fn(input, other):  # noqa: A002
        a = as_tensor(input)
        return Tensor._wrap(np.asarray(np_fn(a._d, as_tensor(other, like=a)._d)))

    fn.__name__ = name
    fn.__doc__ = (f"Element-wise {name.replace('_', ' ')} (non-zero is True), a bool tensor."
                  f"\n\n>>> import autograd as ag\n>>> ag.{name}(ag.tensor([0, 1, 2]), "
                  f"ag.tensor([0, 0, 3])).tolist()\n{ex}")
    return fn


public(_logical("logical_and", np.logical_and, "[False, False, True]"), method=True)
public(_logical("logical_or", np.logical_or, "[False, True, True]"), method=True)
public(_logical("logical_xor", np.logical_xor, "[False, True, False]"), method=True)

method("__and__", bitwise_and)
method("__rand__", lambda t, other: bitwise_and(other, t))
method("__or__", bitwise_or)
method("__ror__", lambda t, other: bitwise_or(other, t))
method("__xor__", bitwise_xor)
method("__rxor__", lambda t, other: bitwise_xor(other, t))
method("__invert__", bitwise_not)
method("__lshift__", bitwise_left_shift)
method("__rshift__", bitwise_right_shift)
for _n, _f in (("and", bitwise_and), ("or", bitwise_or), ("xor", bitwise_xor)):
    method(f"__i{_n}__", (lambda f: lambda t, other: inplace(t, "copy_from", f(t, other)))(_f))
    method(f"bitwise_{_n}_", METHODS[f"__i{_n}__"])


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
        try:
            return np.dtype(name)
        except TypeError:
            raise TypeError(f"{where}: invalid type {spec!r}; use a dtype such as "
                            f"float32/int64 or a name like 'torch.FloatTensor'") from None
    return np.dtype(spec)


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
    check_device(device, "to")
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
    check_device("cuda" if device is None else device if not isinstance(device, int)
                 else f"cuda:{device}", "cuda()")
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


def _new(self: Tensor, arr: np.ndarray, requires_grad: bool, device) -> Tensor:
    check_device(device, "new_*")
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


method("new_zeros", lambda self, *size, dtype=None, device=None, requires_grad=False:
       _new(self, np.zeros(_size(size), dtype or self.dtype), requires_grad, device))
method("new_ones", lambda self, *size, dtype=None, device=None, requires_grad=False:
       _new(self, np.ones(_size(size), dtype or self.dtype), requires_grad, device))
method("new_empty", lambda self, *size, dtype=None, device=None, requires_grad=False:
       _new(self, np.zeros(_size(size), dtype or self.dtype), requires_grad, device))
method("new_full", lambda self, size, fill_value, dtype=None, device=None, requires_grad=False:
       _new(self, np.full(tuple(size), fill_value, dtype or self.dtype), requires_grad, device))
method("new_tensor", lambda self, data, dtype=None, device=None, requires_grad=False:
       _new(self, np.array(np.asarray(data), dtype=dtype or self.dtype), requires_grad, device))


def _random_fill(t: Tensor, name: str, arr: np.ndarray) -> Tensor:
    if t.dtype.kind != "f":
        raise RuntimeError(f"{name}_ expects a floating point tensor, got {t.dtype}")
    return inplace(t, "copy_from", Tensor._wrap(arr.astype(t.dtype)))


def _gen(generator):
    from ..random import default_generator
    return generator or default_generator()


method("uniform_", lambda t, a=0.0, b=1.0, generator=None: _random_fill(
    t, "uniform", _gen(generator).uniform(a, b, t.shape)))
method("normal_", lambda t, mean=0.0, std=1.0, generator=None: _random_fill(
    t, "normal", mean + std * _gen(generator).standard_normal(t.shape)))


# --------------------------------------------------------------------------- keyword names
_RENAME = {"x": "input", "y": "other"}
# where PyTorch's names are not input/other (torch.pow(input, exponent), ...)
_TORCH_PARAMS = {"pow": ("input", "exponent"), "mm": ("input", "mat2"),
                 "where": ("condition", "input", "other")}


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


# --------------------------------------------------------------------------- comparisons
def _comparison(name: str, op: str, ex: str):
    def fn(input, other):  # noqa: A002
        return getattr(as_tensor(input), op)(other)

    fn.__name__ = name
    fn.__doc__ = (f"Element-wise ``input {_SYMBOLS[op]} other``, a bool tensor (``torch.{name}``)."
                  f"\n\n>>> import autograd as ag\n>>> ag.{name}(ag.tensor([1, 2, 3]), 2).tolist()"
                  f"\n{ex}")
    return fn


_SYMBOLS = {"__eq__": "==", "__ne__": "!=", "__gt__": ">", "__ge__": ">=", "__lt__": "<",
            "__le__": "<="}
for _name, _op, _aliases, _ex in (
        ("eq", "__eq__", (), "[False, True, False]"),
        ("ne", "__ne__", ("not_equal",), "[True, False, True]"),
        ("gt", "__gt__", ("greater",), "[False, False, True]"),
        ("ge", "__ge__", ("greater_equal",), "[False, True, True]"),
        ("lt", "__lt__", ("less",), "[True, False, False]"),
        ("le", "__le__", ("less_equal",), "[True, True, False]")):
    public(_comparison(_name, _op, _ex), method=True, aliases=_aliases)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: A002
    """True when ``|input - other| <= atol + rtol * |other|`` everywhere (``torch.allclose``).

    >>> import autograd as ag
    >>> ag.allclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0 + 1e-9]))
    True
    """
    return bool(np.allclose(as_tensor(input)._d, as_tensor(other)._d, rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    """Element-wise ``|input - other| <= atol + rtol * |other|``, a bool tensor.

    >>> import autograd as ag
    >>> ag.isclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.5])).tolist()
    [True, False]
    """
    return Tensor._wrap(np.asarray(np.isclose(as_tensor(input)._d, as_tensor(other)._d,
                                              rtol=rtol, atol=atol, equal_nan=equal_nan)))


def equal(input, other) -> bool:  # noqa: A002
    """True when both have the same shape and elements (``torch.equal``).

    >>> import autograd as ag
    >>> ag.equal(ag.tensor([1, 2]), ag.tensor([1, 2])), ag.equal(ag.tensor([1, 2]), ag.tensor([1]))
    (True, False)
    """
    a, b = as_tensor(input), as_tensor(other)
    return a.shape == b.shape and bool(np.array_equal(a._d, b._d))


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


for _f in (allclose, isclose, equal):
    public(_f, method=True)
public(is_tensor)
public(numel)
