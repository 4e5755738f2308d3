"""Recording one call of a function into a :class:`~autograd.compiler._trace.Trace`.

While a call is recorded, ``tape.STATE.recorder`` is a :class:`Recorder`:
``registry.apply`` hands it every op (it runs the op eagerly and notes the forward
kernel, where its inputs come from and the node's edges), ``random.random_array``
every random draw, and for the duration of the call a few Tensor methods are
replaced (:func:`patched`) so that the things a replay cannot repeat are seen:

* *hard guards* make the signature run eagerly: ``bool(t)``, ``t.item()``,
  ``float(t)``/``int(t)``/``t.__index__()``, ``t.numpy()``, ``t.tolist()`` on a tensor
  of the trace (comparisons are recorded, so ``if x.sum() > 0`` is caught at its
  ``bool``), in-place writes (``add_``, ``t[i] = v``, ``t.data = ...``), custom
  ``Function`` calls, ``register_hook``/``retain_grad`` inside the function, and
  NumPy's or Python's global random generator being used;
* *soft reads*: ``t.data`` / ``np.asarray(t)`` of a traced tensor (library code does
  this to validate targets, and nothing else can be known about what happens to the
  array). Such a trace is recorded a second time on the next call and the two are
  compared: every op, attribute and constant must be equal, else the signature runs
  eagerly ("depends on tensor values").

Slots: the replay keeps every value in one list ``V``; a slot is an index into it. The
kinds of slots: the function's tensor arguments (``arg``), tensors read from outside
(``ext``: parameters, buffers, captured tensors and constants created inside the
function, all read by reference at each replay, so in-place optimizer updates are
seen), and the results of recorded kernels (``op``, ``cmp``, ``rand``, ``conv``).
"""
from __future__ import annotations

import linecache
import os
import random as _pyrandom
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import function as _function
from ..ops import inplace as _inplace
from ..registry import apply as _apply
from ..tape import STATE, Node, _LIB_DIRS
from ..tensor import Tensor, as_tensor

_ndarray = np.ndarray
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_site() -> Tuple[str, int, str]:
    """(file, line, source) of the innermost frame outside autograd/ and nn/."""
    f = sys._getframe(1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_LIB_DIRS):
        f = f.f_back
    if f is None:
        return ("<unknown>", 0, "")
    return (f.f_code.co_filename, f.f_lineno,
            linecache.getline(f.f_code.co_filename, f.f_lineno).strip())


class Guard:
    """Why a trace cannot be replayed (or must be verified): what, and the user's line."""

    __slots__ = ("what", "site")

    def __init__(self, what: str, site: Tuple[str, int, str]) -> None:
        self.what = what
        self.site = site

    def __str__(self) -> str:
        f, line, src = self.site
        return f"{self.what} at {f}:{line}" + (f": {src}" if src else "")


class Recorder:
    """The state of one recorded call (see the module docstring)."""

    def __init__(self, want_sites: bool = False) -> None:
        self.V0: List[Any] = []          # the values at record time (one per slot)
        self.kind: List[str] = []
        self.tmap: Dict[Tensor, int] = {}   # tensor -> slot
        self.amap: Dict[int, int] = {}      # id(array) -> slot (detach()/.data aliases)
        self.keep: List[Any] = []           # keeps mapped objects alive (ids stay unique)
        self.args: List[int] = []           # slot of each flat tensor argument
        self.ext: List[Tuple[int, Tensor]] = []
        self.steps: List[tuple] = []        # (code, f, ins, kw, out, label)
        self.nodes: List[tuple] = []        # graph steps: (step index, out slot, saved, raw, edges)
        self.node_of: Dict[int, int] = {}   # id(Node) -> graph index
        self.node_slot: Dict[int, int] = {}  # out slot -> graph index
        self.bound: Dict[int, int] = {}     # slot -> boundary index
        self.bound_slots: List[int] = []
        self.hard: List[Guard] = []
        self.soft: List[Guard] = []
        self.sites: List[Optional[tuple]] = []
        self.want_sites = want_sites

    # ------------------------------------------------------------------ slots
    def _new(self, value, kind: str) -> int:
        s = len(self.V0)
        self.V0.append(value)
        self.kind.append(kind)
        return s

    def _map(self, t: Tensor, slot: int) -> None:
        self.tmap[t] = slot
        self.amap[id(t._d)] = slot
        self.keep.append(t)

    def add_arg(self, t: Tensor) -> None:
        s = self.tmap.get(t)
        if s is None:
            s = self._new(t._d, "arg")
            self._map(t, s)
        self.args.append(s)

    def src(self, t: Tensor) -> int:
        """The slot a tensor's value comes from (a new ``ext`` slot if it is unknown)."""
        s = self.tmap.get(t)
        if s is not None:
            return s
        d = t._d
        s = self.amap.get(id(d))
        if s is not None:  # t shares a traced value (detach(), .data): the same slot
            if t.requires_grad and t.grad_fn is None and self.kind[s] != "ext":
                self.guard(True, "a new leaf that requires grad made from a traced tensor")
            self.tmap[t] = s
            self.keep.append(t)
            return s
        if type(d) is _ndarray and d.base is not None and id(d.base) in self.amap:
            self.guard(True, "a tensor made from a NumPy view of a traced tensor's array")
        s = self._new(d, "ext")
        self._map(t, s)
        self.ext.append((s, t))
        return s

    def traced(self, t) -> bool:
        """A tensor of the trace, or one sharing a traced value (``detach()``)."""
        return type(t) is Tensor and (t in self.tmap or id(t._d) in self.amap)

    def guard(self, hard: bool, what: str) -> None:
        g = Guard(what, user_site())
        (self.hard if hard else self.soft).append(g)

    # ------------------------------------------------------------------ recording
    def apply(self, op, args: tuple, attrs: dict):
        ins = [self.src(a) for a in args]
        STATE.recorder = None
        try:
            res = _apply(op, args, attrs)
        finally:
            STATE.recorder = self
        raw = list(ins)
        if len(args) <= 2:  # registry.apply reads 0-d arrays as NumPy scalars
            for i, a in enumerate(args):
                d = a._d
                if type(d) is _ndarray and not d.shape:
                    c = self._new(d[()], "conv")
                    self._step(5, None, (ins[i],), None, c, "0-d")
                    ins[i] = c
        o = self._new(res._d, "op")
        code = 0 if attrs else (1 if len(ins) == 1 else 2 if len(ins) == 2 else 0)
        if attrs and len(ins) == 1:
            code = 3
        self._step(code, op.forward, tuple(ins), attrs, o, op.name)
        fi = len(self.steps) - 1
        d = res._d
        if type(d) is _ndarray and not d.shape:
            self._step(6, None, (o,), None, o, "asarray")  # apply's np.asarray of a scalar result
        self._map(res, o)
        node = res.grad_fn
        if node is not None:
            edges = []
            for i, p in enumerate(node.parents):
                if p is None:
                    continue
                if type(p) is Node and id(p) in self.node_of:
                    edges.append((i, ("n", self.node_of[id(p)])))
                else:
                    edges.append((i, ("b", self._bound(raw[i]))))
            gi = len(self.nodes)
            self.nodes.append((fi, o, tuple(ins), tuple(raw), edges, op))
            self.node_of[id(node)] = gi
            self.node_slot[o] = gi
            self.keep.append(node)
        return res

    def _bound(self, slot: int) -> int:
        b = self.bound.get(slot)
        if b is None:
            b = self.bound[slot] = len(self.bound_slots)
            self.bound_slots.append(slot)
        return b

    def _step(self, code, f, ins, kw, o, label) -> None:
        self.steps.append((code, f, ins, kw, o, label))
        if self.want_sites:
            self.sites.append(user_site())

    def kernel(self, f, tensors, res: Tensor, label: str) -> Tensor:
        """A non-differentiable Tensor method that is not an op (comparisons, isnan, ...)."""
        ins = tuple(self.src(t) for t in tensors)
        o = self._new(res._d, "cmp")
        self._step(1 if len(ins) == 1 else 2, f, ins, None, o, label)
        self._map(res, o)
        return res

    def rewrite(self, t: Tensor, f, inputs) -> None:
        """Library code replaced the value of op output ``t`` by ``f(t._d, *inputs' values)``
        (``remainder``'s exactly rounded value): replay that too."""
        o = self.tmap.get(t)
        if o is None:
            return
        ins = (o,) + tuple(self.src(x) for x in inputs)
        self._step(0, f, ins, None, o, "rewrite")
        self.V0[o] = t._d
        self.amap[id(t._d)] = o

    def audit(self) -> None:
        """After the call: an op output whose value object was swapped outside the ops."""
        for t, s in self.tmap.items():
            if self.kind[s] == "op" and t._d is not self.V0[s] and self.amap.get(id(t._d)) != s:
                self.hard.append(Guard("the value of an op's result was replaced outside "
                                       f"tapegrad's ops (after `{self._label_of(s)}`)",
                                       ("<fn>", 0, "")))
                return

    def _label_of(self, slot: int) -> str:
        for st in self.steps:
            if st[4] == slot:
                return st[5]
        return "?"

    def random(self, draw, args, out) -> None:
        o = self._new(out, "rand")
        self._step(7, draw, args, None, o, getattr(draw, "__name__", "random").lstrip("_"))
        self.amap[id(out)] = o
        self.keep.append(out)


# --------------------------------------------------------------------------- patches


def _shape_of(t: Tensor) -> tuple:
    return np.shape(t._d)


def patched(rec: Recorder):
    """Context manager: the Tensor methods that must report to ``rec`` while it records."""
    return _Patch(rec)


class _Patch:
    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.saved: List[Tuple[Any, str, Any]] = []

    def _set(self, owner, name: str, value) -> None:
        if name in vars(owner) or hasattr(owner, name):
            self.saved.append((owner, name, vars(owner).get(name, _MISSING)))
            setattr(owner, name, value)

    def __enter__(self) -> "_Patch":
        rec = self.rec
        T = Tensor
        orig = {n: getattr(T, n) for n in ("item", "numpy", "tolist", "__bool__", "__float__",
                                           "__int__", "__index__", "__array__", "_cmp",
                                           "register_hook", "retain_grad") if hasattr(T, n)}
        data_prop = vars(T).get("data")

        for n, label in (("item", "item()"), ("numpy", "numpy()"), ("tolist", "tolist()"),
                         ("__bool__", "bool()"), ("__float__", "float()"), ("__int__", "int()"),
                         ("__index__", "__index__")):
            if n in orig:
                fn = orig[n]

                def make(fn=fn, label=label):
                    def wrapper(self, *a, **k):
                        if rec.traced(self):
                            rec.guard(True, f"`{label}` on a traced tensor (the replay cannot "
                                            f"follow value-dependent Python code)")
                        return fn(self, *a, **k)
                    return wrapper
                self._set(T, n, make())

        def soft_array(self, *a, **k):
            if rec.traced(self):
                rec.guard(False, "`np.asarray` of a traced tensor")
            return orig["__array__"](self, *a, **k)
        if "__array__" in orig:
            self._set(T, "__array__", soft_array)

        def guarded_read(prop, what):
            """A getter for ``prop`` that marks a traced tensor's value read (a soft guard,
            verified by a second recording) and records a 0-d scalar becoming an array."""
            def get(self):
                if not rec.traced(self):
                    return prop.fget(self)
                rec.guard(False, what)
                old = self._d
                d = prop.fget(self)
                if self._d is not old:  # a 0-d scalar became an array: the replay does too
                    s = rec.tmap[self]
                    rec._step(9, None, (s,), None, s, "asarray")
                    rec.V0[s] = self._d
                    rec.amap[id(self._d)] = s
                return d
            return get

        # ``_arr`` is how tapegrad's own code reads a tensor's array (an index tensor's
        # values, a target check): the same soft guard as ``.data``
        arr_prop = vars(T).get("_arr")
        if isinstance(arr_prop, property):
            self._set(T, "_arr", property(guarded_read(
                arr_prop, "the array of a traced tensor read outside tapegrad's ops"),
                doc=arr_prop.__doc__))

        if isinstance(data_prop, property):
            get_data = guarded_read(data_prop, "`.data` of a traced tensor")

            def set_data(self, value):
                rec.guard(True, "assigning `.data` (an in-place write the replay would skip)")
                return data_prop.fset(self, value)
            self._set(T, "data", property(get_data, set_data, doc=data_prop.__doc__))

        cmp = orig.get("_cmp")
        if cmp is not None:
            def _cmp(self, other, fn):
                o = as_tensor(other, like=self)
                return rec.kernel(fn, (self, o), cmp(self, o, fn), fn.__name__)
            self._set(T, "_cmp", _cmp)

        def unary(name, f):
            def method(self):
                return rec.kernel(f, (self,), Tensor._wrap(f(self._d)), name)
            return method
        if hasattr(T, "__invert__"):
            inv = T.__invert__

            def invert(self):
                if self.dtype != np.bool_:
                    return inv(self)
                return rec.kernel(_invert, (self,), Tensor._wrap(_invert(self._d)), "invert")
            self._set(T, "__invert__", invert)
        for name, f in (("logical_not", _logical_not), ("isnan", _isnan), ("isfinite", _isfinite)):
            if hasattr(T, name):
                self._set(T, name, unary(name, f))
        for name in ("any", "all"):
            if hasattr(T, name):
                self._set(T, name, _reduce_bool(rec, name))
        # shape queries go through .data; they read no values
        self._set(T, "size", lambda self, dim=None: _shape_of(self) if dim is None else _shape_of(self)[dim])
        self._set(T, "dim", lambda self: len(_shape_of(self)))
        self._set(T, "numel", lambda self: int(np.prod(_shape_of(self), dtype=np.int64)))
        self._set(T, "__len__", _len)

        for n in ("register_hook", "retain_grad"):
            if n in orig:
                fn = orig[n]

                def make_hook(fn=fn, n=n):
                    def wrapper(self, *a, **k):
                        rec.guard(True, f"`{n}` inside the compiled function (a hook's Python "
                                        f"code could differ between calls)")
                        return fn(self, *a, **k)
                    return wrapper
                self._set(T, n, make_hook())

        fapply = vars(_function.Function).get("apply")

        def f_apply(cls, *a, **k):
            rec.guard(True, f"the custom Function `{cls.__name__}` (its Python code could "
                            f"differ between calls)")
            STATE.recorder = None
            try:
                out = fapply.__func__(cls, *a, **k)
            finally:
                STATE.recorder = rec
            return out
        if isinstance(fapply, classmethod):
            self._set(_function.Function, "apply", classmethod(f_apply))

        bump = _inplace.bump

        def guarded_bump(t):
            f = sys._getframe(1)
            opname = f.f_locals.get("opname") or getattr(f.f_locals.get("op"), "name", "?")
            s = rec.tmap.get(t, rec.amap.get(id(t._d)))
            where = "an input of the compiled function" if s is not None and \
                rec.kind[s] == "arg" else "a tensor"
            rec.guard(True, f"in-place write `{opname}_` to {where}")
            return bump(t)
        self.saved.append((_inplace, "bump", bump))
        _inplace.bump = guarded_bump
        self.np_state = np.random.get_state()
        self.py_state = _pyrandom.getstate()
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, value in reversed(self.saved):
            if owner is _inplace:
                setattr(owner, name, value)
            elif value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        st = np.random.get_state()
        if st[2] != self.np_state[2] or not np.array_equal(st[1], self.np_state[1]):
            self.rec.hard.append(Guard("NumPy's global random generator (np.random.*) was used; "
                                       "draw with autograd's functions (manual_seed, rand, "
                                       "randn, dropout) so the replay can draw again", ("<fn>", 0, "")))
        if _pyrandom.getstate() != self.py_state:
            self.rec.hard.append(Guard("Python's `random` module was used; its draws would be "
                                       "constants of the trace", ("<fn>", 0, "")))


_MISSING = object()


def _invert(d):
    return ~np.asarray(d)


def _logical_not(d):
    return np.logical_not(np.asarray(d))


def _isnan(d):
    return np.isnan(np.asarray(d))


def _isfinite(d):
    return np.isfinite(np.asarray(d))


def _len(self) -> int:
    s = _shape_of(self)
    if not s:
        raise TypeError("len() of a 0-d tensor")
    return s[0]


def _reduce_bool(rec: Recorder, name: str):
    def method(self, dim=None, keepdim=False):
        def f(d, dim=dim, keepdim=keepdim):
            return np.asarray(getattr(np.asarray(d), name)(axis=dim, keepdims=keepdim))
        return rec.kernel(f, (self,), Tensor._wrap(f(self._d)), name)
    return method
