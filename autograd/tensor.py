"""Tensor: a NumPy array plus what autograd needs (grad, requires_grad, grad_fn).

Operators and methods call the registered ops (``autograd/ops``); this file holds no
derivative. Python scalars on either side of an operator take the tensor's dtype
(like PyTorch), Python floats and lists default to float32, NumPy arrays keep theirs.

Views, as in PyTorch: basic indexing (``x[0]``, ``x[:, 1:]``, ``x[..., None]``) and the
shape ops (reshape/view, permute/transpose, squeeze/unsqueeze, expand, detach) return
new tensors sharing the buffer; an in-place change through any of them bumps the
version counter of every tensor on it (``_bump``). While recording, an in-place op on
an indexing view is written back to its base (``_inplace_shared``); other overlapping
live views are refused rather than left with a stale history.
"""
from __future__ import annotations

import numbers
import weakref
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .tape import STATE

__all__ = ["Tensor", "tensor", "as_tensor", "from_numpy", "get_default_dtype", "set_default_dtype"]

_DEFAULT_DTYPE = [np.dtype(np.float32)]


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and lists become (float32 unless changed)."""
    return _DEFAULT_DTYPE[0]


def set_default_dtype(dtype) -> None:
    """Set the dtype Python floats and lists become (float32 or float64)."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dt}")
    _DEFAULT_DTYPE[0] = dt


class _InplaceCounter:
    """Counts in-place modifications of tensors (see ``Tensor._mod_stamp``)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


INPLACE = _InplaceCounter()


def _to_array(data: Any, dtype=None) -> np.ndarray:
    """Convert user data to an ndarray with tapegrad's dtype defaults."""
    if isinstance(data, Tensor):
        arr = data.data
        return arr.astype(dtype) if dtype is not None and arr.dtype != np.dtype(dtype) else arr.copy()
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype)  # copies: a tensor never aliases the caller's array
    else:
        arr = np.array(data, dtype=dtype)
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(get_default_dtype())
            elif arr.dtype.kind == "O":
                raise TypeError(f"tensor: cannot convert {type(data).__name__} to a tensor "
                                f"(got an object array; give numbers, lists of numbers or arrays)")
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


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    ``data`` is the NumPy array; ``grad`` the accumulated gradient (a Tensor, or None);
    ``grad_fn`` the Node that produced it (None for leaves).
    """

    # ``_d`` holds the value: an ndarray, or a NumPy scalar for a 0-d op result (scalar
    # arithmetic is ~4x faster than 0-d array arithmetic, which is what lets 0-d tensors
    # run at micrograd speed). The public ``data`` property always returns an ndarray.
    # Rarely set fields live in the instance dict (created lazily) with class defaults,
    # so creating an op's output assigns three slots only.
    __slots__ = ("_d", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    grad = None
    name = None
    _hooks = None
    _version = 0
    _mod_stamp = 0
    _base = None   # the tensor whose buffer this one is a NumPy view of (see _link_view)
    _views = None  # on such a base: a WeakSet of the tensors viewing its buffer
    __array_ufunc__ = None  # `ndarray op Tensor` defers to Tensor's reflected operator
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None,
                 name: Optional[str] = None) -> None:
        arr = _to_array(data, dtype)
        self._d = arr
        self.grad = None
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
    def data(self) -> np.ndarray:
        """The value as a NumPy array (the same array object on every access)."""
        d = self._d
        if type(d) is not np.ndarray:
            d = self._d = np.asarray(d)
        return d

    @data.setter
    def data(self, value) -> None:
        if isinstance(value, Tensor):
            value = value.data
        self._d = value if type(value) is np.ndarray else np.asarray(value)

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
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        return _ops.transpose(self, -2, -1)

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: Optional[int] = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def item(self) -> Union[float, int, bool]:
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to Python "
                             f"scalars, this one has shape {self.shape}")
        return self.data.reshape(()).item()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy(): can't call numpy() on a tensor that requires grad; "
                               "use t.detach().numpy()")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != get_default_dtype() and self.data.dtype.kind == "f" or \
                self.data.dtype.kind in "bu" or self.data.dtype not in (np.int64, np.float32):
            extra += f", dtype={self.data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.op.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__  # identity hash, C-level (tensors are dict keys in backward)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               f"ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient: Any = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, inputs: Optional[Sequence["Tensor"]] = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is the vector in the vector-Jacobian product; it may be omitted only
        when ``self`` has a single element.
        """
        from .engine import backward

        backward([self], None if gradient is None else [gradient], retain_graph,
                 create_graph, inputs)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph. Like PyTorch, it
        shares the version counter too: an in-place change through it is seen by nodes
        that saved this tensor."""
        t = Tensor._wrap(self._d)
        if type(self._d) is np.ndarray:
            _link_view(t, (self,), self._d)
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
            _check_grad_dtype(self.data.dtype, "requires_grad_()")
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
            import weakref

            self.grad_fn.retain = True
            self.grad_fn.out_ref = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retain

    # ------------------------------------------------------------------ in-place
    def _bump(self) -> None:
        INPLACE.count += 1
        self._version += 1
        self._mod_stamp = INPLACE.count
        if self.grad_fn is not None:
            self.grad_fn.dirty = True  # its output changed: vjps that read `out` must refuse
        root = self._base if self._base is not None else self
        if root._views:  # tensors sharing this buffer (reshape/permute views) changed too
            for t in (root, *root._views):
                if t is not self:
                    t._version += 1
                    t._mod_stamp = INPLACE.count
                    if t.grad_fn is not None:
                        t.grad_fn.dirty = True

    def _inplace(self, opname: str, *args: Any, **attrs: Any) -> "Tensor":
        """Apply op ``opname(self, *args)`` and write the result into ``self.data``.

        When recording, the op is recorded on a copy of the old value and ``self`` takes
        over the new node, so ``self`` stays one object (like PyTorch) while nodes that
        saved the old value see the version change and refuse to run backward.
        """
        op = _ops.OPS[opname]
        others = [as_tensor(a, like=self) for a in args]
        recording = STATE.grad_enabled and (self.requires_grad or any(o.requires_grad for o in others))
        if recording and self.grad_fn is None and self.requires_grad:
            raise RuntimeError(
                f"{opname}_: a leaf tensor that requires grad is being used in an in-place "
                f"operation. Wrap the update in `with no_grad():` (as optimizers do) or use "
                f"the out-of-place form.")
        if recording and (self._base is not None or self._views):
            done = self._inplace_shared(op, opname, others, attrs)
            if done is not None:
                return done
            raise RuntimeError(
                f"{opname}_: in-place change of a tensor that shares its memory with another "
                f"one (a reshape/view/permute/transpose/squeeze/unsqueeze/flatten/expand "
                f"output, or the tensor such a view was taken of) while recording gradients "
                f"is not supported: the other tensor's recorded history would not see the "
                f"change. (In-place ops through indexing views such as y[0].mul_(2) or "
                f"y[:, 1] = v are supported.) Clone first (y = y.clone()) or use the "
                f"out-of-place form.")
        if not recording:
            try:
                res = op.forward(self.data, *[o._d for o in others], **attrs)
            except ValueError as exc:
                from .errors import ShapeError

                raise ShapeError(
                    f"{opname}_: cannot apply in place to a tensor of shape {self.shape} with "
                    f"operand(s) of shape(s) {', '.join(str(tuple(np.shape(o._d))) for o in others)}"
                    f": {exc}. In-place ops keep the tensor's shape; the other operand must "
                    f"broadcast to it.") from None
            self._assign(res, opname)
            self._bump()
            return self
        return self._record_inplace(op, others, attrs)

    def _inplace_shared(self, op, opname: str, others: list, attrs: dict) -> Optional["Tensor"]:
        """A recorded in-place op on a tensor that shares its buffer with others (a
        basic-indexing view ``y[0].mul_(2)``, or a base written while views of it are
        alive), handled as PyTorch does; None when tapegrad cannot keep every history
        right (the caller raises).

        The new value is computed from a copy of ``self``; when ``self`` is a view it is
        written back level by level with recorded ``parent[idx] = new`` (so gradients
        reach the base's history) and each tensor on the way takes over its new node.
        Every other live view whose memory overlaps the change gets a fresh history,
        its view op re-applied to its parent's new value (``_view_recipe``), as PyTorch
        regenerates a view's grad_fn. Writing *through* a reshape/permute/expand view,
        or an overlapping view whose recipe is unknown (one that did not require grad
        before), is refused: its history would be stale (a silently wrong gradient)."""
        root = self._base if self._base is not None else self
        chain = [self]
        t = self
        while t is not root:
            src = t.__dict__.get("_view_src")
            if src is None:
                return None
            t = src[0]
            chain.append(t)
        if self is not root and root.grad_fn is None and root.requires_grad:
            raise RuntimeError(
                f"{opname}_: a view of a leaf tensor that requires grad is being used in an "
                f"in-place operation. Wrap the update in `with no_grad():` or compute the "
                f"new value out of place.")
        region = self.data
        if self is root and opname == "setitem" and _is_basic_index(attrs["index"]):
            idx = attrs["index"]
            region = region[idx + (Ellipsis,)] if Ellipsis not in idx else region[idx]
        stale = []
        for v in tuple(root._views or ()):
            if any(v is c for c in chain) or type(v._d) is not np.ndarray:
                continue
            try:
                hit = np.shares_memory(v._d, region, max_work=10_000)
            except np.exceptions.TooHardError:
                hit = True
            if hit:
                if _view_recipe(v, root) is None:
                    return None
                stale.append(v)
        res = self._new_value(op, opname, others, attrs)
        updates = []
        t = self
        while t is not root:
            parent, idx = t._view_src
            updates.append((t, res))
            res = parent._new_value(_ops.OPS["setitem"], "setitem", [res], {"index": idx})
            t = parent
        root._bump()  # bumps every tensor on the buffer: nodes that saved one will refuse
        root._assign(res.data, opname)
        root._take_over(res)
        for t, r in updates:
            t._take_over(r)
        for v in sorted(stale, key=lambda v: _view_depth(v, root)):
            parent, vop, vattrs = _view_recipe(v, root)
            if parent.requires_grad:
                v._take_over(_ops.apply(vop, (parent,), vattrs))
        return self

    def _new_value(self, op, opname: str, others: list, attrs: dict) -> "Tensor":
        """``op(copy of self, *others)``, recorded, with in-place dtype/shape rules."""
        old = Tensor._wrap(self.data.copy())
        old.grad_fn = self.grad_fn
        old.requires_grad = self.requires_grad
        res = op(old, *[old if o is self else o for o in others], **attrs)
        rd = res._d if type(res._d) is np.ndarray else np.asarray(res._d)
        if not np.can_cast(rd.dtype, self.dtype, casting="same_kind"):
            raise RuntimeError(f"{opname}_: result type {rd.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        if rd.shape != self.shape:
            from .errors import ShapeError

            raise ShapeError(f"{opname}_: output with shape {self.shape} doesn't match the "
                             f"broadcast shape {rd.shape}; in-place ops can't change a "
                             f"tensor's shape")
        return res if rd.dtype == self.dtype else _ops.cast(res, self.dtype)

    def _record_inplace(self, op, others: list, attrs: dict) -> "Tensor":
        """Record ``self = op(old self, *others)`` and write the result into the buffer."""
        old = Tensor._wrap(self.data.copy())
        old.grad_fn = self.grad_fn
        old.requires_grad = self.requires_grad
        # `z *= z`: the other operand is self, whose buffer is overwritten below; the
        # node must see the old value (else mul's vjp reads the new one: a wrong gradient)
        others = [old if o is self else o for o in others]
        self._bump()
        res = op(old, *others, **attrs)
        self._assign(res.data, op.name)
        self._take_over(res)
        return self

    def _take_over(self, res: "Tensor") -> None:
        """Make ``self`` (changed in place) the output of ``res``'s node."""
        prev = self.grad_fn
        self.grad_fn = res.grad_fn
        self.requires_grad = True
        if prev is not None and prev.retain and prev.out_ref is not None and prev.out_ref() is self:
            # retain_grad() follows the tensor, as in PyTorch: .grad is the gradient of
            # its current (post in-place) value, not of the value it had before
            prev.retain = False
            prev.out_ref = None
            res.grad_fn.retain = True
            res.grad_fn.out_ref = weakref.ref(self)

    def _assign(self, value: np.ndarray, opname: str) -> None:
        value = np.asarray(value)
        if not np.can_cast(value.dtype, self.data.dtype, casting="same_kind"):
            raise RuntimeError(f"{opname}_: result type {value.dtype} can't be cast to the "
                               f"desired output type {self.data.dtype}")
        if value.shape != self.data.shape:
            try:
                np.broadcast_to(value, self.data.shape)
            except ValueError:
                from .errors import ShapeError

                raise ShapeError(
                    f"{opname}_: output with shape {self.data.shape} doesn't match the "
                    f"broadcast shape {value.shape}; in-place ops can't change a tensor's "
                    f"shape") from None
        try:
            np.copyto(self.data, value, casting="same_kind")
        except ValueError:
            if not self.data.flags.writeable:
                raise RuntimeError(
                    f"{opname}_: unsupported operation: more than one element of this tensor "
                    f"(shape {self.shape}) refers to the same memory (an expand/broadcast_to "
                    f"output, or a view of one); clone() it before the in-place "
                    f"operation") from None
            raise

    def add_(self, other: Any, alpha: float = 1) -> "Tensor":
        return self._inplace("add", other if alpha == 1 else _scale(other, alpha, self))

    def sub_(self, other: Any, alpha: float = 1) -> "Tensor":
        return self._inplace("sub", other if alpha == 1 else _scale(other, alpha, self))

    def mul_(self, other: Any) -> "Tensor":
        return self._inplace("mul", other)

    def div_(self, other: Any) -> "Tensor":
        return self._inplace("div", other)

    def clamp_(self, min: Optional[float] = None, max: Optional[float] = None) -> "Tensor":
        return self._inplace("clamp", min=min, max=max)

    clip_ = clamp_

    def fill_(self, value: float) -> "Tensor":
        return self._inplace("fill", value=float(value) if self.dtype.kind == "f" else value)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def copy_(self, src: Any) -> "Tensor":
        return self._inplace("copy_from", src)

    def __setitem__(self, index: Any, value: Any) -> None:
        from .ops.index import normalize_index

        self._inplace("setitem", value, index=normalize_index(index, self.shape))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    # `//` and `%`: ag.floor_divide and ag.remainder, PyTorch's rounding and gradients
    def __floordiv__(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.elementwise.floor_divide(as_tensor(other, like=self), self)

    def __mod__(self, other):
        return _ops.elementwise.remainder(self, other)

    def __rmod__(self, other):
        return _ops.elementwise.remainder(as_tensor(other, like=self), self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def _cmp(self, other, fn):
        o = as_tensor(other, like=self)
        try:
            return Tensor._wrap(fn(self._d, o._d))
        except ValueError as exc:  # only on failure: name the op and the shapes
            from .errors import ShapeError

            raise ShapeError(
                f"{fn.__name__}: cannot compare tensors of shapes {tuple(self.shape)} and "
                f"{tuple(np.shape(o._d))}: {exc}. Shapes must be broadcastable (equal, or 1, "
                f"in each trailing dimension); reshape or unsqueeze one input.") from None

    def __eq__(self, other):  # type: ignore[override]
        return self._cmp(other, np.equal)

    def __ne__(self, other):  # type: ignore[override]
        return self._cmp(other, np.not_equal)

    def __lt__(self, other):
        return self._cmp(other, np.less)

    def __le__(self, other):
        return self._cmp(other, np.less_equal)

    def __gt__(self, other):
        return self._cmp(other, np.greater)

    def __ge__(self, other):
        return self._cmp(other, np.greater_equal)

    def __invert__(self):
        if self.dtype != np.bool_:
            raise TypeError(f"~ is only defined for bool tensors, got {self.dtype}")
        return Tensor._wrap(~self.data)

    def __and__(self, other):
        return self._cmp(other, np.logical_and)

    def __or__(self, other):
        return self._cmp(other, np.logical_or)

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self.data))

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(self.data.any(axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(self.data.all(axis=dim, keepdims=keepdim)))

    def isnan(self):
        return Tensor._wrap(np.isnan(self.data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self.data))

    # ------------------------------------------------------------------ dtype
    def to(self, dtype) -> "Tensor":
        return _ops.cast(self, dtype=np.dtype(dtype))

    astype = to

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

    def clone(self) -> "Tensor":
        return _ops.clone(self)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    # ---------------------------------------------------------------- shape composites
    # Built from recorded primitives (transpose, getitem, reshape, broadcast_to), so
    # they inherit gradients and double gradients; PyTorch's names and argument forms.
    def t(self) -> "Tensor":
        """Transpose of a tensor with <= 2 dimensions (PyTorch's ``t()``)."""
        if self.ndim > 2:
            raise RuntimeError(f"t(): expects a tensor with <= 2 dimensions, but this one has "
                               f"shape {self.shape}; use transpose(dim0, dim1) or .mT")
        return self if self.ndim < 2 else _ops.transpose(self, 0, 1)

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """``length`` elements of dimension ``dim`` from ``start`` (a view, like PyTorch)."""
        from .ops._util import norm_axis

        (d,) = norm_axis(dim, self.ndim, "narrow")
        n = self.shape[d]
        st = start + n if start < 0 else start
        if not 0 <= st <= n or length < 0 or st + length > n:
            raise IndexError(f"narrow: start {start} and length {length} are out of range for "
                             f"dimension {dim} of size {n} (tensor shape {self.shape})")
        return self[(slice(None),) * d + (slice(st, st + length),)]

    def movedim(self, source, destination) -> "Tensor":
        """Move dimension(s) ``source`` to position(s) ``destination``."""
        src = (source,) if isinstance(source, int) else tuple(source)
        dst = (destination,) if isinstance(destination, int) else tuple(destination)
        if len(src) != len(dst):
            raise ValueError(f"movedim: source {source} and destination {destination} must "
                             f"have the same number of dimensions")
        from .ops._util import norm_axis

        n = self.ndim
        src = tuple(norm_axis(a, n, "movedim")[0] for a in src)
        dst = tuple(norm_axis(a, n, "movedim")[0] for a in dst)
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise ValueError(f"movedim: repeated dimension in source {source} or "
                             f"destination {destination}")
        order = [None] * n
        for s_, d_ in zip(src, dst):
            order[d_] = s_
        rest = iter(a for a in range(n) if a not in src)
        order = [next(rest) if o is None else o for o in order]
        return _ops.permute(self, tuple(order))

    def repeat(self, *sizes) -> "Tensor":
        """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's ``repeat``; new
        leading dimensions when ``len(sizes) > ndim``)."""
        if len(sizes) == 1 and not isinstance(sizes[0], int):
            sizes = tuple(sizes[0])
        sizes = tuple(int(r) for r in sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: number of repeat dimensions ({len(sizes)}) can not "
                               f"be smaller than the number of dimensions of the tensor "
                               f"({self.ndim}, shape {self.shape})")
        if any(r < 0 for r in sizes):
            raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
        shape = (1,) * (len(sizes) - self.ndim) + tuple(self.shape)
        inter = tuple(v for s_ in shape for v in (1, s_))  # (1, s0, 1, s1, ...)
        big = tuple(v for r, s_ in zip(sizes, shape) for v in (r, s_))
        out = _ops.broadcast_to(_ops.reshape(self, inter), big)
        return _ops.reshape(out, tuple(r * s_ for r, s_ in zip(sizes, shape)))

    def tile(self, *dims) -> "Tensor":
        """``repeat`` with missing leading repeats taken as 1 (PyTorch's ``tile``)."""
        if len(dims) == 1 and not isinstance(dims[0], int):
            dims = tuple(dims[0])
        dims = (1,) * (self.ndim - len(dims)) + tuple(dims)
        return self.repeat(*dims)

    def contiguous(self) -> "Tensor":
        return self


class _HookHandle:
    __slots__ = ("_lst", "_fn")

    def __init__(self, lst: List, fn: Callable) -> None:
        self._lst = lst
        self._fn = fn

    def remove(self) -> None:
        if self._fn in self._lst:
            self._lst.remove(self._fn)


_VIEW_OPS = ("reshape", "permute", "broadcast_to")


def _view_recipe(v: "Tensor", root: "Tensor"):
    """``(parent, op, attrs)`` that recompute view ``v`` of ``root``'s buffer from its
    parent tensor, or None when unknown: a getitem view remembers its parent and
    index; a reshape/permute/expand view that requires grad has them in its node."""
    src = v.__dict__.get("_view_src")
    if src is not None:
        return src[0], _ops.OPS["getitem"], {"index": src[1]}
    node = v.grad_fn
    if node is None or node.op.name not in _VIEW_OPS or node.inputs is None:
        return None
    p = node.inputs[0]
    if p is not root and p._base is not root:
        return None
    return p, node.op, node.attrs


def _view_depth(t: "Tensor", root: "Tensor") -> int:
    """How many view steps ``t`` is from ``root``, the base of its buffer."""
    n = 0
    while t is not root:
        r = _view_recipe(t, root)
        if r is None:
            return n
        t = r[0]
        n += 1
    return n


def _is_basic_index(index: tuple) -> bool:
    return all(i is None or i is Ellipsis or type(i) is int or type(i) is slice for i in index)


def _link_view(res: "Tensor", args, out: np.ndarray) -> None:
    """Record that op output ``res`` is a NumPy view of an input's buffer (reshape,
    permute, ... return views), so an in-place change of one bumps the version
    counters of all tensors on that buffer (called by ``apply`` for view outputs)."""
    owner = out.base
    for a in args:
        d = a._d
        if type(d) is np.ndarray and (d is owner or d is out or
                                      (d.base is not None and d.base is owner)):
            root = a._base if a._base is not None else a
            res._base = root
            if root._views is None:
                import weakref

                root._views = weakref.WeakSet()
            root._views.add(res)
            return


def _scale(other, alpha, like):
    return as_tensor(other, like=like) * alpha


# Python scalars lifted to constant tensors, cached: `h + 1.0` in a loop reuses one
# constant. Constants never require grad; a cached one that was modified in place
# (version > 0, only reachable through node.inputs) is replaced.
_CONSTS: dict = {}
_F32 = np.dtype(np.float32)
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)


def _scalar_dtype(x, like: Optional[Tensor]) -> np.dtype:
    """Dtype of a Python scalar combined with tensor ``like`` (PyTorch's rules)."""
    ld = like._d.dtype if like is not None else None
    if type(x) is float or (not isinstance(x, (bool, int)) and isinstance(x, numbers.Real)):
        return ld if ld is not None and ld.kind == "f" else get_default_dtype()
    if isinstance(x, bool):
        return ld if ld is not None else _BOOL
    if ld is not None and ld.kind in "iuf":
        return ld
    return _I64


def as_tensor(x: Any, like: Optional[Tensor] = None) -> Tensor:
    """``x`` as a Tensor without copying Tensors; Python scalars take ``like``'s dtype."""
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
            c = _CONSTS[key] = Tensor._wrap(dt.type(x))
        return c
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"cannot use a NumPy array of dtype {x.dtype} as a tensor")
        return Tensor._wrap(x)
    if isinstance(x, np.generic):
        if like is not None and x.dtype.kind in "biuf":
            # NumPy scalars (np.sqrt(2.0), arr.sum()) combine with a tensor like Python
            # scalars, as in PyTorch: float32 * np.float64(2) stays float32.
            return as_tensor(x.item(), like)
        return Tensor._wrap(x)
    if isinstance(x, numbers.Number):
        if isinstance(x, complex):
            raise TypeError("tapegrad does not support complex numbers")
        return Tensor._wrap(np.array(x, dtype=_scalar_dtype(x, like)))
    if x is None:
        raise TypeError("expected a tensor, a number or an array, got None")
    return Tensor(x)


def tensor(data: Any, requires_grad: bool = False, dtype=None, name: Optional[str] = None) -> Tensor:
    """Create a leaf tensor (copies ``data``). Floats and lists default to float32."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``a`` (keeps its dtype)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(a).__name__}")
    return Tensor._wrap(a)


from . import ops as _ops  # noqa: E402  (ops import Tensor from this module)
