"""Tensor: a NumPy array plus what autograd needs (grad, requires_grad, grad_fn).

This file holds no op and imports none. The op methods and operators (``t.exp()``,
``t.sum(dim=1)``, ``t * u``, ``t.add_(u)``, ``t[0] = v``, ``t.backward()``) live in the
table :class:`OpMethods`, a base class of Tensor that is empty here and filled by the
op declarations through the registry (``registry.method``): adding an op adds its
method, and no list of names is kept by hand. Python scalars on either side of an
operator take the tensor's dtype (like PyTorch), Python floats and lists default to
float32, NumPy arrays keep theirs.

Views, as in PyTorch: basic indexing (``x[0]``, ``x[:, 1:]``, ``x[..., None]``) and the
shape ops (reshape/view, permute/transpose, squeeze/unsqueeze, expand, detach) return
new tensors sharing the buffer; ``storage.py`` keeps their version counters and links,
``ops/inplace.py`` records in-place ops and regenerates the views' histories.
"""
from __future__ import annotations

import numbers
import warnings
import weakref
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np

from ._checks import ragged
from .devices import check_device
from .errors import DtypeError, InvalidArgumentError, ShapeError
from .storage import link_view

__all__ = ["Tensor", "OpMethods", "tensor", "as_tensor", "from_numpy", "get_default_dtype",
           "set_default_dtype"]

_DEFAULT_DTYPE = [np.dtype(np.float32)]


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and lists become (float32 unless changed).

    >>> import autograd as ag
    >>> ag.get_default_dtype()
    dtype('float32')
    """
    return _DEFAULT_DTYPE[0]


def set_default_dtype(dtype) -> None:
    """Set the dtype Python floats and lists become (float32 or float64).

    >>> import autograd as ag
    >>> ag.set_default_dtype(ag.float64); ag.tensor([1.]).dtype
    dtype('float64')
    >>> ag.set_default_dtype(ag.float32)
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dt}")
    _DEFAULT_DTYPE[0] = dt


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead.")


def _to_array(data: Any, dtype=None) -> np.ndarray:
    """Convert user data to an ndarray with tapegrad's dtype defaults."""
    if dtype is not None:
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"tensor: {dtype!r} is not a dtype (e.g. float32, int64, bool)") from None
        if dt.kind not in "biuf":
            raise TypeError(f"tensor: unsupported dtype {dt}; use bool, integer or float")
    if isinstance(data, Tensor):
        arr = data._arr
        return arr.astype(dtype) if dtype is not None and arr.dtype != np.dtype(dtype) else arr.copy()
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype)  # copies: a tensor never aliases the caller's array
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except OverflowError as exc:
            raise InvalidArgumentError(f"tensor: an int in the data does not fit in "
                                       f"{dtype or 'int64'} ({exc})") from None
        except (ValueError, TypeError) as exc:
            if "inhomogeneous" not in str(exc) and "sequence" not in str(exc):
                raise TypeError(f"tensor: cannot convert {type(data).__name__} {data!r:.40} "
                                f"to a tensor of dtype {dtype}: {exc}") from None
            raise ValueError(f"tensor: {ragged(data)}; every row must have the same "
                             f"length") from None
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(get_default_dtype())
            elif arr.dtype.kind == "O":  # (an int beyond int64: PyTorch's ValueError)
                big = any(type(v) is int for v in arr.reshape(-1))
                raise (InvalidArgumentError if big else DtypeError)(
                    f"tensor: cannot convert {type(data).__name__} to a tensor ("
                    f"{'an int does not fit in int64' if big else 'got an object array'}"
                    f"; give numbers, lists of numbers or arrays)")
            elif arr.dtype.kind == "i" and arr.dtype != np.int64:
                arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor: unsupported dtype {arr.dtype}; use bool, integer or float data")
    return arr


def _check_grad_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.kind != "f":
        raise RuntimeError(
            f"{where}: only floating point tensors can require gradients, got dtype {dtype}. "
            f"Convert first, e.g. t.float() or tensor(data, dtype=np.float32).")


class OpMethods:
    """The op methods and operators of :class:`Tensor`: the table the registry fills.

    Empty here. Each op declaration that names a method (``public(fn, method=...)``,
    ``@composite(method=...)``, ``registry.method(name, fn)``) sets it on this class, so
    ``t.exp()`` and ``t * u`` find the op by ordinary attribute lookup (as fast as a
    method written in the class body)."""

    __slots__ = ()


_CMP_NAMES = {np.equal: "eq", np.not_equal: "ne", np.less: "lt", np.less_equal: "le",
              np.greater: "gt", np.greater_equal: "ge"}


class Tensor(OpMethods):
    """An n-dimensional array that records the ops applied to it.

    ``data`` is the NumPy array; ``grad`` the accumulated gradient (a Tensor, or None);
    ``grad_fn`` the Node that produced it (None for leaves).

    >>> import autograd as ag
    >>> (ag.tensor([[1., 2.]], requires_grad=True) * 3).sum()
    tensor(9., grad_fn=<SumBackward0>)
    """

    # ``_d`` holds the value: an ndarray, or a NumPy scalar for a 0-d op result (scalar
    # arithmetic is ~4x faster than 0-d array arithmetic, which is what lets 0-d tensors
    # run at micrograd speed). The public ``data`` property always returns an ndarray.
    # Rarely set fields live in the instance dict (created lazily) with class defaults,
    # so creating an op's output assigns three slots only.
    __slots__ = ("_d", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    _grad = None
    name = None
    _hooks = None
    _version = 0
    _mod_stamp = 0
    _base = None   # the tensor whose buffer this one is a NumPy view of (see _link_view)
    _views = None  # on such a base: a WeakSet of the tensors viewing its buffer
    __array_ufunc__ = None  # `ndarray op Tensor` defers to Tensor's reflected operator
    __array_priority__ = 1000

    def __init__(self, *args: Any, requires_grad: bool = False, dtype=None,
                 name: Optional[str] = None) -> None:
        """``Tensor(data)`` copies ``data`` (NumPy arrays keep their dtype; Python lists
        and numbers become the default float dtype, as ``torch.Tensor`` does);
        ``Tensor(2, 3)`` is a zero-filled tensor of that shape (PyTorch leaves it
        uninitialised) and ``Tensor()`` an empty one. ``tensor()`` is the usual way."""
        if not args:
            arr = np.zeros((0,), dtype=dtype or get_default_dtype())
        elif all(isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))
                 for a in args):
            arr = np.zeros(tuple(int(a) for a in args), dtype=dtype or get_default_dtype())
        elif len(args) == 1:
            data = args[0]
            if dtype is None and not isinstance(data, (Tensor, np.ndarray, np.generic)):
                dtype = get_default_dtype()
            arr = _to_array(data, dtype)
        else:
            raise TypeError(f"Tensor(): expected data or sizes (ints), got "
                            f"{', '.join(type(a).__name__ for a in args)}")
        self._init(arr, requires_grad, name)

    def _init(self, arr: np.ndarray, requires_grad: bool, name: Optional[str]) -> None:
        self._d = arr
        self._grad = None
        self.grad_fn = None
        self._version = 0
        self._mod_stamp = 0
        self.name = name
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            _check_grad_dtype(arr.dtype, "tensor(requires_grad=True)")
            self.requires_grad = True

    @classmethod
    def _wrap(cls, arr: np.ndarray) -> "Tensor":
        """Fast constructor for op outputs: no conversion, no copy."""
        t = object.__new__(Tensor)
        t._d = arr
        t.requires_grad = False
        t.grad_fn = None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def _arr(self) -> np.ndarray:
        """Internal: the value as a NumPy array (a 0-d scalar value becomes a 0-d array,
        stored, so the same array object comes back on every access)."""
        d = self._d
        if type(d) is not np.ndarray:
            d = self._d = np.asarray(d)
        return d

    @property
    def data(self) -> "Tensor":
        """The value as a new Tensor sharing this one's storage, outside the graph (as in
        PyTorch): ``requires_grad=False``, and changes made through it are not seen by
        autograd (``p.data -= lr * p.grad`` updates ``p`` without recording or bumping its
        version). Use ``.numpy()`` / ``np.asarray(t)`` for a NumPy array."""
        return Tensor._wrap(self._arr)

    @data.setter
    def data(self, value) -> None:
        if isinstance(value, Tensor):
            value = value._arr
        self._d = value if type(value) is np.ndarray else np.asarray(value)

    @property
    def grad(self) -> Optional["Tensor"]:
        """The accumulated gradient (a Tensor shaped like this one: leaves, and non-leaves
        after ``retain_grad()``), or None. Reading it on a non-leaf that does not retain
        it warns, as in PyTorch: it is never populated there, so the None is almost
        always a mistake."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self.grad_fn.retain:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        # PyTorch's checks and phrases: a Tensor (or None) of the same size and dtype
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a "
                    f"tensor of size '{list(self.shape)}'. Please ensure that the gradient "
                    f"and the tensor are the same size")
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor "
                    f"with dtype '{self.dtype}'. The gradient must match the tensor's dtype; "
                    f"convert it first, e.g. g.to(t.dtype)")
        self._grad = value

    @property
    def shape(self) -> Tuple[int, ...]:
        return self._d.shape

    @property
    def ndim(self) -> int:
        return self._d.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._d.dtype

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        """All dimensions reversed."""
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        """The last two dimensions swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    def dim(self) -> int:
        return self._arr.ndim

    def size(self, dim: Optional[int] = None):
        return self._arr.shape if dim is None else self._arr.shape[dim]

    def numel(self) -> int:
        return int(self._arr.size)

    def __len__(self) -> int:
        if self._arr.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._arr.shape[0]

    def item(self) -> Union[float, int, bool]:
        if self._arr.size != 1:
            raise InvalidArgumentError(f"item(): only one-element tensors can be converted to Python "
                             f"scalars, this one has shape {self.shape}")
        return self._arr.reshape(()).item()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy(): can't call numpy() on a tensor that requires grad; "
                               "use t.detach().numpy()")
        return self._arr

    def tolist(self):
        return self._arr.tolist()

    def __array__(self, dtype=None, copy=None):
        return self._arr if dtype is None else self._arr.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self._arr, separator=", ", prefix="tensor(")
        extra = ""
        if self._arr.dtype != get_default_dtype() and self._arr.dtype.kind == "f" or \
                self._arr.dtype.kind in "bu" or self._arr.dtype not in (np.int64, np.float32):
            extra += f", dtype={self._arr.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__  # identity hash, C-level (tensors are dict keys in backward)

    def __bool__(self) -> bool:
        if self._arr.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._arr.size} elements is "
                               f"ambiguous; use .any() or .all()")
        return bool(self._arr)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._arr.dtype.kind not in "iub" or self._arr.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    # ------------------------------------------------------------------ autograd
    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph. Like PyTorch, it
        shares the version counter too: an in-place change through it is seen by nodes
        that saved this tensor."""
        t = Tensor._wrap(self._d)
        if type(self._d) is np.ndarray:
            link_view(t, (self,), self._d)
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not self.is_leaf:
            if requires_grad:
                return self  # a non-leaf already requires grad: a no-op, as in PyTorch
            raise RuntimeError("requires_grad_(): only leaf tensors can change requires_grad; "
                               "use .detach() to make a leaf")
        if requires_grad:
            _check_grad_dtype(self._arr.dtype, "requires_grad_()")
        self.requires_grad = bool(requires_grad)
        return self

    def register_hook(self, fn: Callable[["Tensor"], Optional["Tensor"]]):
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``.remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self.grad_fn is not None:
            node = self.grad_fn
            if node.hooks is None:
                node.hooks = []
            lst = node.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            lst = self._hooks
        lst.append(fn)
        return _HookHandle(lst, fn)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that doesn't "
                               "require gradient")
        if self.grad_fn is not None:
            self.grad_fn.retain = True
            self.grad_fn.out_ref = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retain

    def __pos__(self) -> "Tensor":
        return self

    def _cmp(self, other, fn):
        o = as_tensor(other, like=self)
        try:
            return Tensor._wrap(fn(self._d, o._d))
        except ValueError as exc:  # only on failure: name the op and the shapes
            raise ShapeError(
                f"{_CMP_NAMES.get(fn, '')} ({fn.__name__}): cannot compare tensors of shapes "
                f"{tuple(self.shape)} and {tuple(np.shape(o._d))}: {exc}. Shapes must be "
                f"broadcastable (equal, or 1, in each trailing dimension); reshape or "
                f"unsqueeze one input.") from None

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self._arr))

    def any(self, dim=None, keepdim=False):
        _int_dim(dim, self.ndim, "any")
        return Tensor._wrap(np.asarray(self._arr.any(axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        _int_dim(dim, self.ndim, "all")
        return Tensor._wrap(np.asarray(self._arr.all(axis=dim, keepdims=keepdim)))

    def isnan(self):
        return Tensor._wrap(np.isnan(self._arr))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self._arr))

    # ------------------------------------------------------------------ dtype
    # (``to``/``astype`` are the cast op's methods, ``clone`` the clone op's)
    def float(self) -> "Tensor":
        return self.to(np.float32)

    def double(self) -> "Tensor":
        return self.to(np.float64)

    def long(self) -> "Tensor":
        return self.to(np.int64)

    def int(self) -> "Tensor":
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        return self.to(np.bool_)

    def is_floating_point(self) -> bool:
        return self._arr.dtype.kind == "f"

    def contiguous(self) -> "Tensor":
        return self


def _int_dim(dim, ndim: int, op: str) -> None:
    if dim is None:
        return
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor with {ndim} "
                         f"dimension(s)")


class _HookHandle:
    __slots__ = ("_lst", "_fn")

    def __init__(self, lst: List, fn: Callable) -> None:
        self._lst = lst
        self._fn = fn

    def remove(self) -> None:
        if self._fn in self._lst:
            self._lst.remove(self._fn)


# (version > 0, only reachable through node.inputs) is replaced.
_CONSTS: dict = {}
_F32 = np.dtype(np.float32)
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)


def _scalar_dtype(x, like: Optional[Tensor]) -> np.dtype:
    """Dtype of a Python scalar combined with tensor ``like`` (PyTorch's rules)."""
    try:
        ld = like._d.dtype if like is not None else None
    except AttributeError:
        raise TypeError(f"as_tensor: like must be a tensor, got {type(like).__name__}") from None
    if type(x) is float or (not isinstance(x, (bool, int)) and isinstance(x, numbers.Real)):
        return ld if ld is not None and ld.kind == "f" else get_default_dtype()
    if isinstance(x, bool):
        return ld if ld is not None else _BOOL
    if ld is not None and ld.kind in "iuf":
        return ld
    return _I64


def as_tensor(x: Any, like: Optional[Tensor] = None, *, dtype=None, device=None) -> Tensor:
    """``x`` as a Tensor without copying Tensors; Python scalars take ``like``'s dtype.
    ``dtype`` and ``device`` are torch.as_tensor's (keyword-only there too): data of
    another dtype is converted, a tensor through the differentiable ``.to(dtype)``.

    >>> import autograd as ag
    >>> t = ag.tensor([1, 2]); ag.as_tensor(t) is t, ag.as_tensor(2.5).dtype
    (True, dtype('float32'))
    >>> ag.as_tensor([0.1], dtype=ag.float64).tolist()
    [0.1]
    """
    if dtype is not None or device is not None:
        if device is not None:
            check_device(device, "as_tensor")
        if dtype is None:
            return as_tensor(x, like)
        if isinstance(x, Tensor):
            return x.to(dtype)
        arr = _to_array(x, dtype) if not isinstance(x, np.ndarray) else x
        return Tensor._wrap(arr if arr.dtype == np.dtype(dtype) else _to_array(arr, dtype))
    if like is not None and not isinstance(like, Tensor):
        raise TypeError(f"as_tensor: like must be a tensor, got {like!r:.40}; for a "
                        f"dtype pass dtype=... (a keyword, as in torch.as_tensor)")
    tx = type(x)
    if tx is Tensor:
        return x
    if tx is float or tx is int or tx is bool:
        dt = _scalar_dtype(x, like)
        if x == 0 and tx is float:  # 0.0 == -0.0 would share a cache entry: don't cache
            return Tensor._wrap(dt.type(x))
        key = (tx, x, dt)
        c = _CONSTS.get(key)
        if c is None or c._version:
            if len(_CONSTS) > 4096:
                _CONSTS.clear()
            try:
                c = _CONSTS[key] = Tensor._wrap(dt.type(x))
            except OverflowError:
                raise InvalidArgumentError(f"tensor: the int {x} does not fit in {dt}") from None
        return c
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise (DtypeError(f"tapegrad does not support complex numbers (a NumPy array of "
                              f"dtype {x.dtype})") if x.dtype.kind == "c" else
                   TypeError(f"cannot use a NumPy array of dtype {x.dtype} as a tensor"))
        return Tensor._wrap(x)
    if isinstance(x, np.generic):
        if like is not None and x.dtype.kind in "biuf":
            # NumPy scalars (np.sqrt(2.0), arr.sum()) combine with a tensor like Python
            # scalars, as in PyTorch: float32 * np.float64(2) stays float32.
            return as_tensor(x.item(), like)
        return Tensor._wrap(x)
    if isinstance(x, numbers.Number):
        if isinstance(x, complex):
            raise DtypeError("tapegrad does not support complex numbers")
        return Tensor._wrap(np.array(x, dtype=_scalar_dtype(x, like)))
    if x is None:
        raise DtypeError("expected a tensor, a number or an array, got None")  # torch: RuntimeError
    return tensor(x)


def tensor(data: Any, requires_grad: bool = False, dtype=None, name: Optional[str] = None,
           device=None) -> Tensor:
    """Create a leaf tensor (copies ``data``). Floats and lists of floats default to
    float32, integers to int64, bools to bool (``torch.tensor``'s rules).

    >>> import autograd as ag
    >>> ag.tensor([1., 2.]).dtype, ag.tensor([1, 2]).dtype, ag.tensor([True]).dtype
    (dtype('float32'), dtype('int64'), dtype('bool'))
    """
    if device is not None:
        try:
            check_device(device, "tensor")
        except (TypeError, RuntimeError) as e:  # device()'s own errors: name the op
            raise e if str(e).startswith("tensor") else type(e)(f"tensor: {e}") from None
    t = object.__new__(Tensor)
    t._init(_to_array(data, dtype), requires_grad, name)
    return t


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``a`` (keeps its dtype).

    >>> import autograd as ag
    >>> import numpy as np; a = np.zeros(2); t = ag.from_numpy(a); a[0] = 7; t.tolist()
    [7.0, 0.0]
    """
    if not isinstance(a, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(a).__name__}")
    if a.dtype.kind not in "biuf":
        raise (DtypeError if a.dtype.kind == "c" else TypeError)(
            f"from_numpy: tapegrad does not support arrays of dtype {a.dtype}; use bool, "
            f"integer or float data")
    return Tensor._wrap(a)


