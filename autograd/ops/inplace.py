"""In-place ops (``add_``, ``mul_``, ``t[idx] = v``, ``copy_``, ...) and the view
histories they regenerate, as in PyTorch.

Under ``no_grad`` (or when nothing requires grad) an in-place op computes the op's
forward and writes it into the buffer, bumping the version counters (``storage.bump``):
any node that saved the old value then refuses to run backward.

While recording, the op is recorded on a copy of the old value and the tensor takes
over the new node, so it stays one object (like PyTorch). On a tensor that shares its
buffer with others (``_inplace_shared``): a basic-indexing view ``y[0].mul_(2)`` is
written back to its base with recorded ``base[idx] = new``, and every other live view
whose memory overlaps the change gets a fresh history (its view op re-applied to its
parent's new value, as PyTorch regenerates a view's grad_fn). What tapegrad cannot
keep right (writing *through* a reshape/permute/expand view) is refused, never left
with a stale history.
"""
from __future__ import annotations

import weakref
from typing import Any, Optional

import numpy as np

from ..errors import DtypeError, ShapeError
from ..registry import OPS, apply, method
from ..storage import assign, bump
from ..tape import STATE
from ..tensor import Tensor, as_tensor
from .elementwise import cast, int_bounds_fit
from .index import normalize_index


_LABELS = {"copy_from": "copy"}
_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide}


def inplace(x: Tensor, opname: str, *args: Any, **attrs: Any) -> Tensor:
    """Apply op ``opname(x, *args)`` in place; errors name the method called (copy_)."""
    label = attrs.get("_label") or _LABELS.get(opname, opname)
    try:
        return _inplace(x, opname, *args, **attrs)
    except (ValueError, TypeError, IndexError) as e:
        if label == opname or not str(e).startswith(opname + ":"):
            raise
        raise type(e)(f"{label}_:" + str(e)[len(opname) + 1:]) from None


def _inplace(x: Tensor, opname: str, *args: Any, **attrs: Any) -> Tensor:
    """Apply op ``opname(x, *args)`` and write the result into ``x._arr``.

    When recording, the op is recorded on a copy of the old value and ``x`` takes
    over the new node, so ``x`` stays one object (like PyTorch) while nodes that
    saved the old value see the version change and refuse to run backward.
    """
    op = OPS[opname]
    label = attrs.pop("_label", None) or _LABELS.get(opname, opname)  # the method called
    others = [as_tensor(a, like=x) for a in args]
    recording = STATE.grad_enabled and (x.requires_grad or any(o.requires_grad for o in others))
    if recording and x.grad_fn is None and x.requires_grad:
        raise RuntimeError(
            f"{label}_: a leaf Variable that requires grad is being used in an in-place "
            f"operation (a leaf tensor that requires grad). Wrap the update in `with no_grad():` (as optimizers do) or use "
            f"the out-of-place form.")
    if recording and (x._base is not None or x._views):
        done = _inplace_shared(x, op, label, others, attrs)
        if done is not None:
            return done
        raise RuntimeError(
            f"{label}_: in-place change of a tensor that shares its memory with another "
            f"one (a reshape/view/permute/transpose/squeeze/unsqueeze/flatten/expand "
            f"output, or the tensor such a view was taken of) while recording gradients "
            f"is not supported: the other tensor's recorded history would not see the "
            f"change. (In-place ops through indexing views such as y[0].mul_(2) or "
            f"y[:, 1] = v are supported.) Clone first (y = y.clone()) or use the "
            f"out-of-place form.")
    if not recording:
        uf = _UFUNCS.get(opname)
        buf = x._d
        if uf is not None and type(buf) is np.ndarray and buf.flags.writeable:
            # p.data -= lr * g, optimizers: NumPy's in-place ufunc, no temporary array
            # (dtype or shape trouble falls through to the path below, which explains it)
            try:
                uf(buf, others[0]._d, out=buf, casting="same_kind")
            except (TypeError, ValueError):
                pass
            else:
                bump(x)
                return x
        try:
            res = op.forward(x._arr, *[o._d for o in others], **attrs)
        except TypeError as exc:  # NumPy's, for a dtype the op is not defined for (-bool)
            raise DtypeError(f"{label}_: not implemented for a tensor of dtype {x.dtype}"
                             f"{' with operands of dtype(s) ' if others else ''}"
                             f"{', '.join(str(o.dtype) for o in others)}: {exc}") from None
        except ValueError as exc:
            raise ShapeError(
                f"{label}_: cannot apply in place to a tensor of shape {x.shape} with "
                f"operand(s) of shape(s) {', '.join(str(tuple(np.shape(o._d))) for o in others)}"
                f": {exc}. In-place ops keep the tensor's shape; the other operand must "
                f"broadcast to it.") from None
        assign(x, res, label)
        bump(x)
        return x
    return _record_inplace(x, op, others, attrs)


def _inplace_shared(x: Tensor, op, opname: str, others: list, attrs: dict) -> Optional[Tensor]:
    """A recorded in-place op on a tensor that shares its buffer with others (a
    basic-indexing view ``y[0].mul_(2)``, or a base written while views of it are
    alive), handled as PyTorch does; None when tapegrad cannot keep every history
    right (the caller raises).

    The new value is computed from a copy of ``x``; when ``x`` is a view it is
    written back level by level with recorded ``parent[idx] = new`` (so gradients
    reach the base's history) and each tensor on the way takes over its new node.
    Every other live view whose memory overlaps the change gets a fresh history,
    its view op re-applied to its parent's new value (``_view_recipe``), as PyTorch
    regenerates a view's grad_fn. Writing *through* a reshape/permute/expand view,
    or an overlapping view whose recipe is unknown (one that did not require grad
    before), is refused: its history would be stale (a silently wrong gradient)."""
    root = x._base if x._base is not None else x
    chain = [x]
    t = x
    while t is not root:
        src = t.__dict__.get("_view_src")
        if src is None:
            return None
        t = src[0]
        chain.append(t)
    if x is not root and root.grad_fn is None and root.requires_grad:
        raise RuntimeError(
            f"{opname}_: a view of a leaf Variable (a view of a leaf tensor that requires grad) "
            f"is being used in an "
            f"in-place operation. Wrap the update in `with no_grad():` or compute the "
            f"new value out of place.")
    region = x._arr
    if x is root and opname == "setitem" and _is_basic_index(attrs["index"]):
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
    res = _new_value(x, op, opname, others, attrs)
    updates = []
    t = x
    while t is not root:
        parent, idx = t._view_src
        updates.append((t, res))
        res = _new_value(parent, OPS["setitem"], "setitem", [res], {"index": idx})
        t = parent
    bump(root)  # bumps every tensor on the buffer: nodes that saved one will refuse
    assign(root, res._arr, opname)
    _take_over(root, res)
    for t, r in updates:
        _take_over(t, r)
    for v in sorted(stale, key=lambda v: _view_depth(v, root)):
        parent, vop, vattrs = _view_recipe(v, root)
        if parent.requires_grad:
            _take_over(v, apply(vop, (parent,), vattrs))
    return x


def _old_value(x: Tensor) -> Tensor:
    """A copy of ``x``'s value that keeps its history (what the recorded op reads, while
    ``x``'s own buffer is overwritten)."""
    old = Tensor._wrap(x._arr.copy())
    old.grad_fn = x.grad_fn
    old.requires_grad = x.requires_grad
    return old


def _new_value(x: Tensor, op, opname: str, others: list, attrs: dict) -> Tensor:
    """``op(copy of x, *others)``, recorded, with in-place dtype/shape rules."""
    old = _old_value(x)
    res = op(old, *[old if o is x else o for o in others], **attrs)
    rd = res._d if type(res._d) is np.ndarray else np.asarray(res._d)
    if not np.can_cast(rd.dtype, x.dtype, casting="same_kind"):
        raise RuntimeError(f"{opname}_: result type {rd.dtype} can't be cast to the "
                           f"desired output type {x.dtype}")
    if rd.shape != x.shape:
        raise ShapeError(f"{opname}_: output with shape {x.shape} doesn't match the "
                         f"broadcast shape {rd.shape}; in-place ops can't change a "
                         f"tensor's shape")
    return res if rd.dtype == x.dtype else cast(res, x.dtype)


def _record_inplace(x: Tensor, op, others: list, attrs: dict) -> Tensor:
    """Record ``x = op(old x, *others)`` and write the result into the buffer."""
    old = _old_value(x)
    # `z *= z`: the other operand is x, whose buffer is overwritten below; the
    # node must see the old value (else mul's vjp reads the new one: a wrong gradient)
    others = [old if o is x else o for o in others]
    bump(x)
    res = op(old, *others, **attrs)
    assign(x, res._arr, op.name)
    _take_over(x, res)
    return x


def _take_over(x: Tensor, res: Tensor) -> None:
    """Make ``x`` (changed in place) the output of ``res``'s node."""
    prev = x.grad_fn
    x.grad_fn = res.grad_fn
    x.requires_grad = True
    if prev is not None and prev.retain and prev.out_ref is not None and prev.out_ref() is x:
        # retain_grad() follows the tensor, as in PyTorch: .grad is the gradient of
        # its current (post in-place) value, not of the value it had before
        prev.retain = False
        prev.out_ref = None
        res.grad_fn.retain = True
        res.grad_fn.out_ref = weakref.ref(x)


_VIEW_OPS = ("reshape", "permute", "broadcast_to")


def _view_recipe(v: Tensor, root: Tensor):
    """``(parent, op, attrs)`` that recompute view ``v`` of ``root``'s buffer from its
    parent tensor, or None when unknown: a getitem view remembers its parent and
    index; a reshape/permute/expand view that requires grad has them in its node."""
    src = v.__dict__.get("_view_src")
    if src is not None:
        return src[0], OPS["getitem"], {"index": src[1]}
    node = v.grad_fn
    if node is None or node.op.name not in _VIEW_OPS or node.inputs is None:
        return None
    p = node.inputs[0]
    if p is not root and p._base is not root:
        return None
    return p, node.op, node.attrs


def _view_depth(t: Tensor, root: Tensor) -> int:
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

def _scale(other, alpha, like):
    from .._checks import real_arg

    return as_tensor(other, like=like) * real_arg(alpha, "alpha", "add_/sub_")


# --------------------------------------------------------------------------- the methods
def _method(name: str, fn) -> None:
    fn.__name__ = name
    method(name, fn)


_method("add_", lambda t, other, alpha=1: inplace(t, "add", other if alpha == 1 else _scale(other, alpha, t)))
_method("sub_", lambda t, other, alpha=1: inplace(t, "sub", other if alpha == 1 else _scale(other, alpha, t)))
_method("mul_", lambda t, other: inplace(t, "mul", other))
_method("div_", lambda t, other: inplace(t, "div", other))


def clamp_(t: Tensor, min: Any = None, max: Any = None, *,  # noqa: A002
           _name: str = "clamp") -> Tensor:
    """``t.clamp_(min, max)`` (and clip_, clamp_min_, clamp_max_): bounds are numbers or
    tensors; a bound of another kind than ``t`` (a float for an int tensor) is
    PyTorch's RuntimeError, since the result cannot be written back."""
    from .._checks import real_arg

    for what, b in (("min", min), ("max", max)):
        if isinstance(b, (complex, np.complexfloating)):
            raise RuntimeError(f"{_name}_: result type complex can't be cast to the desired "
                               f"output type {t.dtype}")
        if b is not None and not isinstance(b, Tensor):
            real_arg(b, what, _name + "_")
    int_bounds_fit(t.dtype, (min, max), _name + "_")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from .elementwise import clamp
        from .surface import _inplace_composite

        return _inplace_composite(t, _name, lambda x, lo, hi: clamp(x, lo, hi), min, max)
    return inplace(t, "clamp", min=min, max=max, _label=_name)


_method("clamp_", clamp_)
_method("clip_", lambda t, min=None, max=None: clamp_(t, min, max, _name="clip"))


def _fill_value(t: Tensor, value: Any, op: str = "fill_"):
    """fill_'s (masked_fill's) value as a number of t's kind; PyTorch refuses one that
    overflows it."""
    from .._checks import real_arg

    if isinstance(value, (complex, np.complexfloating)):
        raise RuntimeError(f"{op}: value {value!r} cannot be converted to type {t.dtype} "
                           f"without overflow (complex numbers are not supported)")
    v = real_arg(value, "value", op)
    if t.dtype.kind == "f":
        return v
    if t.dtype.kind == "b":
        return bool(v)
    info = np.iinfo(t.dtype)
    if not (np.isfinite(v) and info.min <= v <= info.max):
        raise RuntimeError(f"{op}: value {value!r} cannot be converted to type {t.dtype} "
                           f"without overflow")
    return int(v)


_method("fill_", lambda t, value: inplace(t, "fill", value=_fill_value(t, value)))
_method("zero_", lambda t: inplace(t, "fill", value=0.0 if t.dtype.kind == "f" else 0,
                                  _label="zero"))
_method("copy_", lambda t, src: inplace(t, "copy_from", src))
_method("__iadd__", lambda t, other: inplace(t, "add", other))
_method("__isub__", lambda t, other: inplace(t, "sub", other))
_method("__imul__", lambda t, other: inplace(t, "mul", other))
_method("__itruediv__", lambda t, other: inplace(t, "div", other))


def _setitem(t: Tensor, index: Any, value: Any) -> None:
    """``t[index] = value``: a recorded in-place op (the ``setitem`` primitive)."""
    leaf = STATE.grad_enabled and t.requires_grad and t.grad_fn is None
    leaf_error = RuntimeError("setitem_: a leaf tensor that requires grad is being used in an "
                              "in-place operation. Wrap the update in `with no_grad():` (as "
                              "optimizers do) or use the out-of-place form.")
    try:
        index = normalize_index(index, t.shape)
    except IndexError as e:
        # PyTorch checks ints and the number of indices first, tensor indices after the leaf
        if leaf and t.ndim and "too many" not in str(e) and any(
                isinstance(i, (Tensor, np.ndarray, list)) for i in
                (index if isinstance(index, tuple) else (index,))):
            raise leaf_error from None
        raise IndexError(str(e).replace("getitem:", "setitem:", 1)) from None
    if leaf:
        raise leaf_error
    inplace(t, "setitem", value, index=index)


_method("__setitem__", _setitem)
