"""Buffers shared between tensors: version counters and the links between views.

A tensor's value is a NumPy array. Views (basic indexing, reshape, permute, expand,
detach) are new tensors on the same buffer, as in PyTorch. What this module keeps:

* ``t._version``: how many times ``t``'s buffer was modified in place (PyTorch's
  version counter); ``t._mod_stamp``: the in-place clock (``tape.INPLACE``) at the
  last change. A node saved its inputs at clock ``node.stamp``: an input whose
  ``_mod_stamp`` is later was changed after it was saved.
* ``t._base``: the tensor owning the buffer ``t`` views; ``base._views``: a WeakSet of
  the tensors viewing it. An in-place change of any of them bumps all of them
  (:func:`bump`), so no node can silently read a changed buffer.

The fields are class defaults on Tensor (0 / None), so a tensor that is never viewed
or changed in place pays nothing. Recording an in-place op and regenerating the
histories of views after one is in ``ops/inplace.py``: it records ops, so it sits
above the registry, while this module sits below it (the registry links the views of
every op output here).
"""
from __future__ import annotations

import weakref

import numpy as np

from .errors import ShapeError
from .tape import INPLACE

__all__ = ["link_view", "bump", "assign", "increment_version"]

_ndarray = np.ndarray


def link_view(res, args, out: np.ndarray) -> None:
    """Record that op output ``res`` is a NumPy view of an input's buffer (reshape,
    permute, basic getitem, ... return views), so an in-place change of one bumps the
    version counters of all tensors on that buffer."""
    owner = out.base
    for a in args:
        d = a._d
        if type(d) is _ndarray and (d is owner or d is out or
                                    (d.base is not None and d.base is owner)):
            root = a._base if a._base is not None else a
            res._base = root
            if root._views is None:
                root._views = weakref.WeakSet()
            root._views.add(res)
            return


def bump(t) -> None:
    """``t``'s buffer was modified in place: bump the version of every tensor on it and
    mark their nodes dirty (a vjp that reads its output must then refuse to run)."""
    INPLACE.count += 1
    t._version += 1
    t._mod_stamp = INPLACE.count
    if t.grad_fn is not None:
        t.grad_fn.dirty = True
    root = t._base if t._base is not None else t
    if root._views:
        for v in (root, *root._views):
            if v is not t:
                v._version += 1
                v._mod_stamp = INPLACE.count
                if v.grad_fn is not None:
                    v.grad_fn.dirty = True


def increment_version(tensors) -> None:
    """Mark ``tensors`` (a tensor or a list of them) as modified in place, like PyTorch's
    ``torch.autograd.graph.increment_version``: every node that saved one of them (or a
    view of its buffer) then refuses to run its backward. For code that writes a
    tensor's buffer behind autograd's back on purpose (optimizers call it after each
    update; writes through ``.data`` do not, as in PyTorch).

    >>> import autograd as ag
    >>> x = ag.tensor([1., 2.], requires_grad=True)
    >>> w = ag.tensor([3., 4.])
    >>> y = (x * w).sum()
    >>> ag.increment_version(w)
    >>> try:
    ...     y.backward()
    ... except RuntimeError as e:
    ...     print('modified by an inplace operation' in str(e))
    True
    """
    for t in (tensors if isinstance(tensors, (list, tuple)) else (tensors,)):
        bump(t)


def assign(t, value, opname: str) -> None:
    """Write ``value`` into ``t``'s buffer (same-kind casting, broadcasting to its shape),
    with errors that name the in-place op."""
    value = np.asarray(value)
    buf = t._arr
    if not np.can_cast(value.dtype, buf.dtype, casting="same_kind"):
        raise RuntimeError(f"{opname}_: result type {value.dtype} can't be cast to the "
                           f"desired output type {buf.dtype}")
    if value.shape != buf.shape:
        try:
            np.broadcast_to(value, buf.shape)
        except ValueError:
            raise ShapeError(
                f"{opname}_: output with shape {buf.shape} doesn't match the broadcast shape "
                f"{value.shape}; in-place ops can't change a tensor's shape") from None
    try:
        np.copyto(buf, value, casting="same_kind")
    except ValueError:
        if not buf.flags.writeable:
            raise RuntimeError(
                f"{opname}_: unsupported operation: more than one element of this tensor "
                f"(shape {t.shape}) refers to the same memory (an expand/broadcast_to "
                f"output, or a view of one); clone() it before the in-place "
                f"operation") from None
        raise
