"""``autograd.compile`` (this package is ``autograd.compiler``): record a call once, replay it as a list of NumPy kernel calls.

    step = ag.compile(loss_fn)          # or ag.compile(model)
    loss = step(x, y)                   # first call per signature: eager, recorded
    loss.backward()                     # ... and every later call: replayed
    compiled.explain()                  # per signature: replays, or why not

A *signature* is what must match for a trace to be reused: the tensor arguments'
shapes, dtypes and ``requires_grad`` flags (and whether they carry a history), the
non-tensor arguments' values, grad mode, the default dtype and, for a module, the
``training`` flags of its submodules and the identity of its parameters. The cache
keeps the ``cache_size`` most recently used signatures. See docs/compile.md for what
can and cannot be replayed and how the guards work.
"""
from __future__ import annotations

import gc
import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..tape import STATE
from ..tensor import Tensor, get_default_dtype
from ._record import Guard, Recorder, patched
from ._trace import Stale, Trace

__all__ = ["compile", "Compiled", "CompileWarning"]


class CompileWarning(UserWarning):
    """A signature of a compiled function cannot be replayed and runs eagerly."""


_SCALARS = (int, float, bool, str, type(None), np.integer, np.floating, np.bool_)
_MODES = ("default", "eager")


def _flatten(x, flat: List[Tensor], parts: list) -> bool:
    """Append ``x``'s part of the signature; tensors go to ``flat``. False: unhashable."""
    if isinstance(x, Tensor):
        d = x._d
        parts.append((np.shape(d), d.dtype.str, type(d) is np.ndarray, x.requires_grad,
                      x.grad_fn is not None))
        flat.append(x)
        return True
    if isinstance(x, _SCALARS):
        parts.append((type(x), x))
        return True
    if isinstance(x, (tuple, list)):
        parts.append((type(x), len(x)))
        return all(_flatten(v, flat, parts) for v in x)
    return False


def _rebuild(x, flat_iter):
    if isinstance(x, Tensor):
        return next(flat_iter)
    if isinstance(x, (tuple, list)):
        return type(x)(_rebuild(v, flat_iter) for v in x)
    return x


class _Entry:
    """One signature: its trace (when replayable), its state and what explain() says."""

    __slots__ = ("desc", "trace", "state", "reason", "calls", "replays", "pending", "warned")

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.trace: Optional[Trace] = None
        self.state = "new"        # new -> (verify ->) replay | eager
        self.reason: Optional[str] = None
        self.calls = 0
        self.replays = 0
        self.pending = None       # the first recording, waiting for verification
        self.warned = False


class Compiled:
    """A compiled function or module (see :func:`compile`)."""

    def __init__(self, fn: Callable, mode: str = "default", cache_size: int = 8) -> None:
        if mode not in _MODES:
            raise ValueError(f"compile: mode must be one of {_MODES}, got {mode!r}")
        if not callable(fn):
            raise TypeError(f"compile: expected a function or an nn.Module, got {type(fn).__name__}")
        if not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"compile: cache_size must be a positive int, got {cache_size!r}")
        self.fn = fn
        self.mode = mode
        self.cache_size = cache_size
        self.__wrapped__ = fn
        self._cache: "OrderedDict[Any, _Entry]" = OrderedDict()
        self._module = fn if hasattr(fn, "parameters") and hasattr(fn, "modules") else None
        self.name = getattr(fn, "__qualname__", None) or type(fn).__name__

    def __repr__(self) -> str:
        return f"<compiled {self.name} (mode={self.mode!r}, {len(self._cache)} signatures)>"

    # ------------------------------------------------------------------ calling
    def _key(self, args, kwargs) -> Tuple[Any, List[Tensor]]:
        if not kwargs and self._module is None:  # the common case: tensors only
            try:
                key = (STATE.grad_enabled, get_default_dtype().str, STATE.anomaly) + tuple([
                    (a._d.shape, a._d.dtype.str, type(a._d) is np.ndarray, a.requires_grad,
                     a.grad_fn is not None) for a in args])
                if all(type(a) is Tensor for a in args):
                    return key + _aliasing(args), list(args)
            except AttributeError:
                pass
        flat: List[Tensor] = []
        parts: list = [STATE.grad_enabled, get_default_dtype().str, STATE.anomaly]
        ok = _flatten(args, flat, parts)
        if kwargs:
            for k in sorted(kwargs):
                parts.append(k)
                ok = ok and _flatten(kwargs[k], flat, parts)
        if self._module is not None:
            mods = list(self._module.modules())
            parts.append(tuple(m.training for m in mods))
            parts.append(tuple(id(p) for p in self._module.parameters()))
        if not ok:
            return None, flat
        parts.extend(_aliasing(flat))
        try:
            key = tuple(parts)
            hash(key)
        except TypeError:
            return None, flat
        return key, flat

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = self.fn
        if self.mode == "eager" or STATE.recorder is not None:  # (nested: the outer records)
            return fn(*args, **kwargs)
        key, flat = self._key(args, kwargs)
        if key is None:
            return fn(*args, **kwargs)
        cache = self._cache
        e = cache.get(key)
        if e is None:
            e = cache[key] = _Entry(_describe(flat, args, kwargs))
            while len(cache) > self.cache_size:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        e.calls += 1
        if e.state == "replay":
            try:
                out = e.trace.replay(flat)
            except Stale:
                e.state, e.trace = "new", None   # a parameter changed shape: record again
            else:
                e.replays += 1
                return out
        if e.state == "eager":
            return fn(*args, **kwargs)
        if STATE.anomaly:
            self._eager(e, "anomaly mode is on (detect_anomaly records a stack per op)", None,
                        stacklevel=3)
            return fn(*args, **kwargs)
        return self._record(e, flat, args, kwargs)

    def _record(self, e: _Entry, flat, args, kwargs):
        verifying = e.state == "verify"
        rec = Recorder(want_sites=verifying)
        for t in flat:
            rec.add_arg(t)
        it = iter(flat)
        args2 = _rebuild(args, it)
        kwargs2 = {k: _rebuild(kwargs[k], it) for k in sorted(kwargs)} if kwargs else {}
        prev = STATE.recorder
        STATE.recorder = rec
        # the recorder keeps every tensor and node of the call alive and makes no cycles;
        # the cyclic GC would rescan that growing heap (as in a large eager forward)
        gc_was = gc.isenabled()
        gc.disable()
        try:
            try:
                with patched(rec):
                    out = self.fn(*args2, **kwargs2)
            finally:
                STATE.recorder = prev
            return self._finish(e, rec, out, verifying)
        finally:
            if gc_was:
                gc.enable()

    def _finish(self, e: _Entry, rec: Recorder, out, verifying: bool):
        """Turn a finished recording into the entry's trace (or a reason to stay eager)."""
        rec.audit()
        if rec.hard:
            self._eager(e, str(rec.hard[0]), rec.hard[0])
            return out
        single = isinstance(out, Tensor)
        items = (out,) if single else out
        if not isinstance(items, (tuple, list)) or not all(isinstance(o, Tensor) for o in items):
            self._eager(e, f"the function returns {type(out).__name__}, not a Tensor or a "
                           f"tuple of Tensors", None)
            return out
        outs = [rec.src(o) for o in items]
        rg = [o.requires_grad for o in items]
        trace = Trace(rec, outs, rg, single, self.name)
        trace.out_type = type(out)
        if rec.soft and not verifying:
            e.state, e.pending = "verify", (rec, trace)
            e.reason = f"verifying on the next call: {rec.soft[0]}"
            return out
        if verifying:
            diff = _compare(e.pending[0], rec)
            e.pending = None
            if diff is not None:
                self._eager(e, diff, None)
                return out
        e.state, e.trace, e.reason = "replay", trace, None
        return out

    def _eager(self, e: _Entry, reason: str, guard: Optional[Guard], stacklevel: int = 4) -> None:
        e.state, e.trace, e.reason, e.pending = "eager", None, reason, None
        if not e.warned:
            e.warned = True
            warnings.warn(f"compile({self.name}): this signature runs eagerly, not replayed: "
                          f"{reason}", CompileWarning, stacklevel=stacklevel)

    # ------------------------------------------------------------------ reporting
    def explain(self, print_it: bool = True) -> str:
        """Per signature (most recently used last): whether it replays, and why not."""
        lines = [f"compile({self.name}), mode={self.mode!r}, {len(self._cache)} of at most "
                 f"{self.cache_size} signatures:"]
        if self.mode == "eager":
            lines.append("  mode='eager': every call runs eagerly (nothing is recorded)")
        for i, e in enumerate(self._cache.values()):
            lines.append(f"  [{i}] {e.desc}")
            if e.state == "replay":
                t = e.trace
                lines.append(f"      replays: {t.n_ops} kernels forward, {t.nnodes} nodes "
                             f"backward; {e.calls} calls, {e.replays} replayed")
            elif e.state == "eager":
                lines.append(f"      runs eagerly: {e.reason}; {e.calls} calls")
            else:
                lines.append(f"      recorded, not replayed yet: {e.reason or 'recording'}; "
                             f"{e.calls} calls")
        text = "\n".join(lines)
        if print_it:
            print(text)
        return text

    def reset(self) -> None:
        """Forget every signature (the next call of each records again)."""
        self._cache.clear()

    def signatures(self) -> List[Dict[str, Any]]:
        """The cached signatures as dicts (desc, state, reason, calls, replays)."""
        return [dict(desc=e.desc, state=e.state, reason=e.reason, calls=e.calls,
                     replays=e.replays) for e in self._cache.values()]


def _aliasing(flat) -> tuple:
    """() when every tensor argument is a distinct object, else which ones repeat (the
    trace reads one slot for a tensor passed twice)."""
    ids = [id(t) for t in flat]
    if len(set(ids)) == len(ids):
        return ()
    return (("same", tuple(ids.index(i) for i in ids)),)


def _same_fn(f1, f2) -> bool:
    """The same kernel: one object, or closures of one code over equal cells."""
    if f1 is f2:
        return True
    c1, c2 = getattr(f1, "__code__", None), getattr(f2, "__code__", None)
    if c1 is None or c1 is not c2:
        return False
    cl1, cl2 = f1.__closure__ or (), f2.__closure__ or ()
    return len(cl1) == len(cl2) and all(_same(a.cell_contents, b.cell_contents)
                                        for a, b in zip(cl1, cl2))


def _describe(flat, args, kwargs) -> str:
    def one(x):
        if isinstance(x, Tensor):
            return (f"Tensor{tuple(x.shape)} {x.dtype}" + (" requires_grad" if x.requires_grad else ""))
        if isinstance(x, (tuple, list)):
            return "(" + ", ".join(one(v) for v in x) + ")"
        return repr(x)
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in sorted(kwargs.items())]
    return f"({', '.join(parts)}), grad {'on' if STATE.grad_enabled else 'off'}"


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return isinstance(a, Tensor) and isinstance(b, Tensor) and _same(a._d, b._d)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, slice) and isinstance(b, slice):
        return _same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - incomparable objects are different
        return False


def _compare(r1: Recorder, r2: Recorder) -> Optional[str]:
    """None when two recordings of one signature did the same thing, else the difference."""
    def where(i):
        site = r2.sites[i] if i < len(r2.sites) else None
        return f" at {site[0]}:{site[1]}: {site[2]}" if site else ""
    n = min(len(r1.steps), len(r2.steps))
    for i in range(n):
        s1, s2 = r1.steps[i], r2.steps[i]
        if s1[0] != s2[0] or not _same_fn(s1[1], s2[1]) or s1[2] != s2[2] or s1[4] != s2[4]:
            return (f"the function ran different ops on two calls with this signature "
                    f"(value-dependent control flow?): `{s1[5]}` then `{s2[5]}` as kernel {i}"
                    f"{where(i)}")
        if s1[0] == 7:
            continue
        if not _same(s1[3], s2[3]):
            return (f"the arguments of `{s1[5]}` depend on tensor values (they differ between "
                    f"two calls with this signature){where(i)}")
    if len(r1.steps) != len(r2.steps):
        return "the function ran a different number of ops on two calls with this signature"
    for (s1, t1), (s2, t2) in zip(r1.ext, r2.ext):
        if s1 != s2 or not (t1 is t2 or _same(t1._d, t2._d)):
            k = next((i for i, s in enumerate(r2.steps) if s2 in s[2]), None)
            label = r2.steps[k][5] if k is not None else "?"
            return (f"a constant read by `{label}` depends on tensor values (it differs between "
                    f"two calls with this signature){where(k) if k is not None else ''}")
    if len(r1.ext) != len(r2.ext):
        return "the function read different tensors on two calls with this signature"
    return None


def compile(fn: Callable, mode: str = "default", cache_size: int = 8) -> Compiled:
    """Compile ``fn`` (a function of tensors and Python scalars returning a tensor or a
    tuple of tensors, or an ``nn.Module``) into a recorded-once, replayed-after callable.

    The first call per signature runs eagerly while recording the primitive kernels it
    runs; later calls replay them on NumPy arrays (no Tensor or Node per op) with
    bit-identical results, and ``backward()`` on a replayed output runs the recorded
    backward. ``mode="eager"`` never replays (for debugging). ``cache_size``: how many
    signatures are kept (least recently used dropped). Tensors the function reads
    from outside (parameters) are read by reference at every call.

    >>> import autograd as ag
    >>> f = ag.compile(lambda x: (x * x).sum())
    >>> x = ag.tensor([1., 2.], requires_grad=True)
    >>> y = f(x); y.backward()
    >>> y.item(), x.grad.tolist()
    (5.0, [2.0, 4.0])
    """
    return Compiled(fn, mode=mode, cache_size=cache_size)
