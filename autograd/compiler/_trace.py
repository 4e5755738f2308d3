"""A recorded call, and its replay: forward kernels on arrays, then the backward schedule.

Forward: one list ``V`` of values; each step is ``V[o] = kernel(V[a], V[b], **attrs)``
with the very kernel ``registry.apply`` ran (the op's ``forward``), the same 0-d
scalar reading and the same ``np.asarray`` of scalar results, so every value is
bit-identical to the eager call.

Backward: the replayed outputs are attached to the eager graph by two kinds of node
(built with ``tape.new_node``, walked by the ordinary engine): one ``compiled_output``
node per output that needs a gradient, whose vjp only hands the incoming gradient to
the call's context, and one hub node (named after the function) whose parents are the
tensors the gradient leaves the trace through (the function's tensor arguments and the
parameters it read). The hub's vjp runs :meth:`Trace.backward`: the engine's own loop
(``engine._Pass._walk``) over the recorded nodes in reverse creation order, with the
same vjps on the same saved arrays, the same ``_conform`` (un-broadcasting) and the
same accumulation decisions (in place only into buffers a vjp allocated). The engine
then writes the leaves' ``.grad`` (accumulation, leaf hooks, ``retain_graph``, freeing)
exactly as for any node.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from ..engine import _conform
from . import _codegen
from ..registry import NP, OpDef
from ..tape import INPLACE, new_node
from ..tensor import Tensor

_ndarray = np.ndarray
_generic = np.generic
_asarray = np.asarray
_add = np.add
_wrap = Tensor._wrap
_new = object.__new__


class Stale(Exception):
    """A tensor read by reference no longer has the recorded shape/dtype/requires_grad."""


class Ctx:
    """The per-call state a replayed backward needs: the values and the seeds."""

    __slots__ = ("trace", "V", "seeds", "res", "flat", "stamp")

    def __init__(self, trace: "Trace", V: list, flat) -> None:
        self.trace = trace
        self.V = V
        self.flat = flat
        self.stamp = INPLACE.count
        self.seeds: list = []
        self.res: Optional[list] = None


def _no_graph() -> NotImplementedError:
    return NotImplementedError(
        "compile: create_graph=True (a differentiable backward) through a replayed call "
        "is not supported; use ag.compile(fn, mode='eager') for higher-order gradients")


def _out_vjp(F, g, out, ctx, k=None):
    if F is not NP:  # (with create_graph the engine passes the input tensors instead)
        raise _no_graph()
    ctx.seeds.append((k, g))
    return _ZERO


_ZERO = np.float64(0.0)
_UNSET = object()
_NOKW: dict = {}  # (shared, never written)
OUT_OP = OpDef("compiled_output", None, (_out_vjp,), smooth=True, linear=True, uses_out=False,
               check=None, doc="an output of a replayed compiled call", differentiable=True)
_HUB_VJPS: List[Any] = []


def _hub_vjp(b: int):
    while len(_HUB_VJPS) <= b:
        k = len(_HUB_VJPS)

        def vjp(F, g, out, ctx, *rest, _k=k):
            if F is not NP:
                raise _no_graph()
            if ctx.seeds:
                if ctx.stamp != INPLACE.count:
                    ctx.trace.check_versions(ctx)
                ctx.trace.backward(ctx)
            return ctx.res[_k]
        _HUB_VJPS.append(vjp)
    return _HUB_VJPS[b]


_IDENTITY = (lambda F, g, out, x: g).__code__.co_code


def _is_identity(vjp) -> bool:
    """A vjp that returns its upstream gradient unchanged (``lambda F, g, out, ...: g``)."""
    code = getattr(vjp, "__code__", None)
    return (code is not None and code.co_code == _IDENTITY and code.co_argcount >= 3
            and code.co_varnames[1] == "g" and not code.co_flags & 0x0C)


def _accumulate(G: list, own: list, p: int, gi, g) -> None:
    """``G[p] += gi`` as the engine does it: in place only into a buffer a vjp allocated
    (the hot loops inline this)."""
    prev = G[p]
    if prev is None:
        G[p] = gi
        if gi is not g and type(gi) is _ndarray and gi.base is None:
            own[p] = True
    elif own[p]:
        _add(prev, gi, out=prev)
    else:
        acc = prev + gi
        G[p] = acc
        if type(acc) is _ndarray:
            own[p] = True


class Trace:
    """One replayable signature (built from a finished :class:`~._record.Recorder`)."""

    def __init__(self, rec, outs: Sequence[int], out_rg: Sequence[bool], single: bool,
                 name: str) -> None:
        self.name = name
        self.nslots = len(rec.V0)
        self.arg_slots = tuple(rec.args)
        self.ext = tuple((s, t, np.shape(t._d), t._d.dtype, t.requires_grad) for s, t in rec.ext)
        self.fsteps = tuple(
            (code, f, ins[0] if ins and code != 7 else -1,
             ins[1] if len(ins) > 1 and code != 7 else -1, ins, kw or _NOKW, o)
            for code, f, ins, kw, o, label in rec.steps)
        self.labels = [s[5] for s in rec.steps]
        self.sites = rec.sites
        m = len(rec.nodes)
        self.ngrad = m + len(rec.bound_slots)
        bnodes = []
        for gi in range(m - 1, -1, -1):
            fi, o, saved, raw, edges, op = rec.nodes[gi]
            kw = rec.steps[fi][3] or None
            vjps = op.vjps
            es = tuple((vjps[i], (p[1] if p[0] == "n" else m + p[1]), raw[i]) for i, p in edges)
            bnodes.append((gi, saved, o, kw, es))
        self.bnodes = tuple(bnodes)
        self.nnodes = m
        self.bound_slots = tuple(rec.bound_slots)
        arg_pos = {}
        for i, s in enumerate(self.arg_slots):
            arg_pos.setdefault(s, i)
        ext_t = {s: t for s, t in rec.ext}
        # where each boundary tensor comes from at replay: ("a", flat arg index) or ("e", tensor)
        self.bound_src = tuple(("a", arg_pos[s]) if s in arg_pos else ("e", ext_t[s])
                               for s in self.bound_slots)
        self.outs = []
        for s, rg in zip(outs, out_rg):
            kind = rec.kind[s]
            if kind == "arg":
                self.outs.append(("a", arg_pos[s], None, rg))
            elif kind == "ext":
                self.outs.append(("e", ext_t[s], None, rg))
            else:
                self.outs.append(("v", s, rec.node_slot.get(s), rg))
        self.single = single
        self.out_type = tuple
        self.graph = any(o[0] == "v" and o[2] is not None for o in self.outs)
        vjps = tuple(_hub_vjp(b) for b in range(len(self.bound_slots)))
        self.hub_op = OpDef(name, None, vjps, smooth=True, linear=True, uses_out=False,
                            check=None, doc=f"a replayed call of {name}", differentiable=True)
        self.fast = None  # the backward schedule, specialised by its first run
        # the steps and the schedule as generated Python (_codegen), made at their first
        # replay; None: too long to compile, the loops below run
        self.run_fwd: Any = _UNSET
        self.run_bwd: Any = _UNSET
        # the arguments and outside tensors whose values the vjps read: an in-place change
        # of one between the call and backward() must raise, as in eager mode
        reads = {}
        for gi in range(m):
            fi, o, saved, raw, edges, op = rec.nodes[gi]
            rd = op.reads
            idx = set(range(len(raw))) if rd is None else set().union(
                *[rd[i] for i, _ in edges if i < len(rd)]) if edges else set()
            for i in idx:
                if i >= len(raw):
                    continue
                sl = raw[i]
                if rec.kind[sl] in ("arg", "ext") and sl not in reads:
                    reads[sl] = (op.name, i, ("a", arg_pos[sl]) if sl in arg_pos else ("e", ext_t[sl]))
        self.reads = tuple(reads.values())
        self.n_ops = sum(1 for s in rec.steps if s[0] in (0, 1, 2, 3))
        self.calls = 0

    # ------------------------------------------------------------------ forward
    def replay(self, flat: Sequence[Tensor]):
        V = [None] * self.nslots
        i = 0
        for s in self.arg_slots:
            V[s] = flat[i]._d
            i += 1
        for s, t, shape, dtype, rg in self.ext:
            d = t._d
            if d.dtype is not dtype or t.requires_grad is not rg or d.shape != shape:
                raise Stale(s)
            V[s] = d
        run = self.run_fwd
        if run is _UNSET:
            run = self.run_fwd = _codegen.forward(self.fsteps)
        if run is not None:
            run(V)
        else:
            self._forward_loop(V)
        self.calls += 1
        outs = []
        ctx = None
        hub_t = None
        for k, (kind, where, gnode, rg) in enumerate(self.outs):
            if kind == "a":
                outs.append(flat[where])
                continue
            if kind == "e":
                outs.append(where)
                continue
            t = _new(Tensor)
            t._d = V[where]
            t.grad_fn = None
            t.requires_grad = False
            if gnode is not None:
                if ctx is None:
                    ctx = Ctx(self, V, flat)
                    hub_t = self._hub(ctx, flat)
                t.grad_fn = new_node(OUT_OP, (hub_t,), (ctx, k), (hub_t.grad_fn,), {}, t._d)
                t.requires_grad = True
            outs.append(t)
        if self.single:
            return outs[0]
        ot = self.out_type
        return ot(*outs) if hasattr(ot, "_fields") else ot(outs)

    def _forward_loop(self, V: list) -> None:
        """The forward steps, interpreted (a trace too long for _codegen)."""
        for code, f, a, b, ins, kw, o in self.fsteps:
            if code == 2:
                V[o] = f(V[a], V[b])
            elif code == 1:
                V[o] = f(V[a])
            elif code == 3:
                V[o] = f(V[a], **kw)
            elif code == 0:
                V[o] = f(*[V[j] for j in ins], **kw)
            elif code == 5:
                V[o] = V[a][()]
            elif code == 6:
                d = V[o]
                if type(d) is not _ndarray and not isinstance(d, _generic):
                    V[o] = _asarray(d)
            elif code == 9:  # Tensor.data made a scalar value an array
                d = V[o]
                if type(d) is not _ndarray:
                    V[o] = _asarray(d)
            else:  # 7: a random draw, from the generator it names (None: the default one)
                V[o] = f(*ins)

    def _hub(self, ctx: Ctx, flat) -> Tensor:
        bts = tuple([flat[w] if k == "a" else w for k, w in self.bound_src])
        parents = tuple([t.grad_fn if t.grad_fn is not None else (t if t.requires_grad else None)
                         for t in bts])
        node = new_node(self.hub_op, bts, (ctx,), parents, {}, _ZERO)
        t = _wrap(_ZERO)
        t.grad_fn = node
        t.requires_grad = True
        return t

    # ------------------------------------------------------------------ backward
    def backward(self, ctx: Ctx) -> None:
        """The engine's walk (``engine._Pass._walk``, plain path) over the recorded nodes.

        The first run checks every vjp result against its input's shape, dtype and type
        (as the engine does) and notes where ``_conform`` had work; later runs check only
        there (shapes and dtypes are fixed by the signature). Identity vjps (``g``, as in
        ``add``) are not called: the gradient is passed on."""
        V = ctx.V
        G: list = [None] * self.ngrad
        own = [False] * self.ngrad
        outs = self.outs
        for k, g in ctx.seeds:
            gk = outs[k][2]
            prev = G[gk]
            if prev is None:
                G[gk] = g
            else:
                G[gk] = prev + g
                own[gk] = True
        ctx.seeds = []
        fast = self.fast
        if fast is None:
            self._learn(V, G, own)
        else:
            run = self.run_bwd
            if run is _UNSET:
                run = self.run_bwd = _codegen.backward(fast)
            if run is not None:
                run(V, G, own)
            else:
                self._backward_loop(V, G, own, fast)
        self._results(ctx, G, own)

    def _backward_loop(self, V: list, G: list, own: list, fast: tuple) -> None:
        """The learned schedule, interpreted (a trace too long for _codegen)."""
        for gk, saved, o, kw, edges, ps in fast:
            g = G[gk]
            if g is None:
                continue
            G[gk] = None
            if ps is not None:  # every edge passes g on unchanged (add, sub's x, ...)
                for p in ps:
                    prev = G[p]
                    if prev is None:
                        G[p] = g
                    elif own[p]:
                        _add(prev, g, out=prev)
                    else:
                        acc = prev + g
                        G[p] = acc
                        if type(acc) is _ndarray:
                            own[p] = True
                continue
            if saved is not None:
                out = V[o]
                n = len(saved)
                args = ((V[saved[0]], V[saved[1]]) if n == 2 else (V[saved[0]],) if n == 1
                        else [V[j] for j in saved])
            for vjp, p, xs in edges:
                if vjp is None:
                    gi = g
                else:
                    gi = vjp(NP, g, out, *args, **kw) if kw else vjp(NP, g, out, *args)
                    if gi is None:
                        continue
                if xs >= 0:
                    xd = V[xs]
                    if type(gi) is not type(xd) or gi.shape != xd.shape or gi.dtype is not xd.dtype:
                        gi = _conform(gi, xd)
                prev = G[p]
                if prev is None:
                    G[p] = gi
                    if gi is not g and type(gi) is _ndarray and gi.base is None:
                        own[p] = True
                elif own[p]:
                    _add(prev, gi, out=prev)
                else:
                    acc = prev + gi
                    G[p] = acc
                    if type(acc) is _ndarray:
                        own[p] = True

    def check_versions(self, ctx: Ctx) -> None:
        """engine._check_versions for the tensors the recorded vjps read."""
        for name, i, (k, w) in self.reads:
            t = ctx.flat[w] if k == "a" else w
            if t._mod_stamp > ctx.stamp:
                raise RuntimeError(
                    f"one of the tensors needed for gradient computation has been modified "
                    f"by an in-place operation: input {i} of `{name}` (shape "
                    f"{tuple(t.shape)}, {t.dtype}) is at version {t._version} and was "
                    f"changed after `{name}` saved it (in a replayed call of {self.name}). "
                    f"Clone it before the in-place change (x = x.clone()), or do the "
                    f"in-place change before using it.")

    def _learn(self, V, G, own) -> None:
        """The plain loop, noting which edges needed ``_conform``; then builds ``fast``."""
        conformed = set()
        for gk, saved, o, kw, edges in self.bnodes:
            g = G[gk]
            if g is None:
                continue
            G[gk] = None
            out = V[o]
            args = [V[j] for j in saved]
            for e, (vjp, p, xs) in enumerate(edges):
                gi = vjp(NP, g, out, *args, **kw) if kw else vjp(NP, g, out, *args)
                if gi is None:
                    continue
                xd = V[xs]
                if type(gi) is not type(xd) or gi.shape != xd.shape or gi.dtype is not xd.dtype:
                    conformed.add((gk, e))
                    gi = _conform(gi, xd)
                _accumulate(G, own, p, gi, g)
        fast = []
        for gk, saved, o, kw, edges in self.bnodes:
            es = tuple((None if _is_identity(vjp) else vjp, p, xs if (gk, e) in conformed else -1)
                       for e, (vjp, p, xs) in enumerate(edges))
            calls = any(v is not None for v, _, _ in es)
            ps = None if calls or any(x >= 0 for _, _, x in es) else tuple(p for _, p, _ in es)
            fast.append((gk, saved if calls else None, o, kw, es, ps))
        self.fast = tuple(fast)

    def _results(self, ctx: Ctx, G: list, own: list) -> None:
        res = []
        m = self.nnodes
        for b in range(len(self.bound_slots)):
            gi = G[m + b]
            # the engine takes a fresh ndarray as its own buffer; one the walk did not own
            # (an upstream gradient passed through, a view) goes out as a view, so the
            # engine copies it as it would have
            if type(gi) is _ndarray and not own[m + b]:
                gi = gi.view()
            res.append(gi)
        ctx.res = res
