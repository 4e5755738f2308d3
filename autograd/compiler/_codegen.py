"""A trace's forward steps and backward schedule as generated Python functions.

:class:`~._trace.Trace` replays by interpreting tuples: per step it unpacks the tuple,
branches on the step's kind and indexes its operands. From its first replay on, the
same steps run as the source of one function per direction (``V[7] = f3(V[2], V[5])``;
per backward edge the very vjp call, ``_conform`` test and accumulation of
``Trace.backward``), compiled once with :func:`compile`. The kernels, their arguments
and their order are unchanged, so results stay bit-identical; only the interpretation
goes.

A block of steps that repeats with other slots (``x = x + c`` a hundred thousand times,
a layer applied in a loop) is written once, as a ``for`` loop over a table of its slots:
CPython compiles about 13 us a line, so writing every step out would make a long trace's
first replay cost seconds. A function that would still be longer than :data:`MAX_LINES`
is not generated (the interpreted loops run).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..engine import _conform
from ..registry import NP

# a generated function longer than this is not compiled (the interpreted loop runs);
# 0 turns generation off
MAX_LINES = 20000
# a repeated block is written as a loop when it covers at least this many steps
LOOP_MIN_STEPS = 24
_MAX_PERIOD = 8

_BASE: Dict[str, object] = {"nd": np.ndarray, "gen": np.generic, "asarray": np.asarray,
                            "add": np.add, "conform": _conform, "NP": NP}


def _build(name: str, args: str, body: List[str], env: Dict[str, object]) -> Callable:
    src = f"def {name}({args}):\n" + "\n".join("    " + ln for ln in body) + "\n    return None\n"
    g = dict(_BASE)
    g.update(env)
    exec(compile(src, f"<compiled {name}>", "exec"), g)  # noqa: S102 -- our own source
    return g[name]  # type: ignore[return-value]


def _segments(sigs: Sequence[Any]) -> List[Tuple[int, int, int]]:
    """Cover ``range(len(sigs))`` with ``(start, period, repeats)``: a run of a block of
    ``period`` steps whose signatures repeat ``repeats`` times, or a single step."""
    n = len(sigs)
    out = []
    i = 0
    while i < n:
        best_k, best_r = 1, 1
        for k in range(1, _MAX_PERIOD + 1):
            block = sigs[i:i + k]
            if len(block) < k:
                break
            r = 1
            while sigs[i + r * k:i + (r + 1) * k] == block:
                r += 1
            if r >= 2 and k * r > best_k * best_r:
                best_k, best_r = k, r
                if k * r == n - i:  # (the rest is one run: no longer period covers more)
                    break
        if best_k * best_r >= LOOP_MIN_STEPS:
            out.append((i, best_k, best_r))
            i += best_k * best_r
        else:
            out.append((i, 1, 1))
            i += 1
    return out


class _Writer:
    """Source lines and their environment; ``emit`` writes a segment of steps, straight
    or as a loop over a table of the integers (and objects) that differ between repeats."""

    def __init__(self) -> None:
        self.body: List[str] = []
        self.env: Dict[str, object] = {}

    def name(self, prefix: str, obj: object) -> str:
        k = f"{prefix}{len(self.env)}"
        self.env[k] = obj
        return k

    def emit(self, items: Sequence[Any], seg: Tuple[int, int, int],
             fields: Callable[[Any], List[Any]],
             lines: Callable[["_Writer", Any, Callable[[int], str]], List[str]]) -> None:
        """``fields(item)``: the per-repeat values of an item; ``lines(w, item, ref)``: its
        source, with ``ref(j)`` the expression for its j-th field."""
        start, k, r = seg
        if r == 1:
            item = items[start]
            vals = fields(item)
            self.body += lines(self, item, lambda j: self._const(vals[j]))
            return
        rows = []
        block = items[start:start + k]
        width = [len(fields(it)) for it in block]
        for rep in range(r):
            row: List[Any] = []
            for it in items[start + rep * k:start + (rep + 1) * k]:
                row += fields(it)
            rows.append(tuple(row))
        off = 0
        body: List[str] = []
        for it, wd in zip(block, width):
            base = off
            body += lines(self, it, lambda j, base=base: f"r{base + j}")
            off += wd
        names = [f"r{j}" for j in range(off)]
        table = self.name("T", tuple(rows))
        self.body.append(f"for {', '.join(names) + (',' if len(names) == 1 else '')} in {table}:"
                         if names else f"for _ in {table}:")
        self.body += ["    " + ln for ln in body]

    def _const(self, v: Any) -> str:
        if type(v) is int:
            return str(v)
        return self.name("c", v)


# ------------------------------------------------------------------ forward
def _fsig(step: tuple) -> tuple:
    code, f, a, b, ins, kw, o = step
    return (code, id(f) if code in (0, 1, 2, 3, 7) else None, bool(kw), len(ins))


def _ffields(step: tuple) -> List[Any]:
    code, f, a, b, ins, kw, o = step
    if code == 7:  # a random draw: the generator's arguments are recorded constants
        return [o, ins]
    if code == 0:
        return [o, *ins] + ([kw] if kw else [])
    return [o, a, b] + ([kw] if kw else [])


def _flines(w: _Writer, step: tuple, ref: Callable[[int], str]) -> List[str]:
    code, f, a, b, ins, kw, o = step
    V = lambda j: f"V[{ref(j)}]"  # noqa: E731
    if code in (0, 1, 2, 3, 7):
        fn = w.name("f", f)
    if code == 2:
        return [f"{V(0)} = {fn}({V(1)}, {V(2)})"]
    if code == 1:
        return [f"{V(0)} = {fn}({V(1)})"]
    if code == 3:
        return [f"{V(0)} = {fn}({V(1)}, **{ref(3)})" if kw else f"{V(0)} = {fn}({V(1)})"]
    if code == 0:
        operands = ", ".join(V(1 + j) for j in range(len(ins)))
        return [f"{V(0)} = {fn}({operands}, **{ref(1 + len(ins))})" if kw
                else f"{V(0)} = {fn}({operands})"]
    if code == 5:
        return [f"{V(0)} = {V(1)}[()]"]
    if code == 6:
        return [f"d = {V(0)}",
                f"if type(d) is not nd and not isinstance(d, gen): {V(0)} = asarray(d)"]
    if code == 9:
        return [f"d = {V(0)}", f"if type(d) is not nd: {V(0)} = asarray(d)"]
    if code == 7:
        return [f"{V(0)} = {fn}(*{ref(1)})"]
    raise ValueError(f"compile: unknown step kind {code}")


def forward(fsteps: Sequence[tuple]) -> Optional[Callable]:
    """``run(V)``: every forward step of the trace, in order, on the value list ``V``."""
    if MAX_LINES <= 0:
        return None
    w = _Writer()
    for seg in _segments([_fsig(s) for s in fsteps]):
        w.emit(fsteps, seg, _ffields, _flines)
        if len(w.body) > MAX_LINES:
            return None
    return _build("forward", "V", w.body, w.env)


# ------------------------------------------------------------------ backward
def _bsig(node: tuple) -> tuple:
    gk, saved, o, kw, edges, ps = node
    if ps is not None:
        return ("pass", len(ps))
    return (None if saved is None else len(saved), bool(kw),
            tuple((None if v is None else id(v), xs >= 0) for v, _, xs in edges))


def _bfields(node: tuple) -> List[Any]:
    gk, saved, o, kw, edges, ps = node
    if ps is not None:
        return [gk, *ps]
    out = [gk, o, *(saved or ())] + ([kw] if kw else [])
    for _, p, xs in edges:
        out += [p, xs] if xs >= 0 else [p]
    return out


def _accumulate(p: str, gi: str, fresh_test: bool) -> List[str]:
    """Trace.backward's accumulation of ``gi`` into ``G[p]`` (same decisions, unrolled)."""
    first = [f"    G[{p}] = {gi}"]
    if fresh_test:  # a fresh buffer a vjp allocated: later gradients may add into it
        first.append(f"    if {gi} is not g and type({gi}) is nd and {gi}.base is None: "
                     f"own[{p}] = True")
    return ([f"prev = G[{p}]", "if prev is None:"] + first +
            [f"elif own[{p}]:", f"    add(prev, {gi}, out=prev)",
             "else:", f"    acc = prev + {gi}", f"    G[{p}] = acc",
             f"    if type(acc) is nd: own[{p}] = True"])


def _blines(w: _Writer, node: tuple, ref: Callable[[int], str]) -> List[str]:
    gk, saved, o, kw, edges, ps = node
    out: List[str] = []
    if ps is not None:  # every edge passes g on unchanged
        for j in range(len(ps)):
            out += _accumulate(ref(1 + j), "g", False)
    else:
        ns = 0 if saved is None else len(saved)
        operands = "".join(f", V[{ref(2 + j)}]" for j in range(ns))
        f = 2 + ns
        kwx = ""
        if kw:
            kwx = f", **{ref(f)}"
            f += 1
        for vjp, _, xs in edges:
            p = ref(f)
            f += 1
            if vjp is None:
                gi, call = "g", []
            else:
                gi = "gi"
                call = [f"gi = {w.name('v', vjp)}(NP, g, V[{ref(1)}]{operands}{kwx})",
                        "if gi is not None:"]
            step: List[str] = []
            if xs >= 0:  # un-broadcast where the first run needed it (Trace._learn)
                x = ref(f)
                f += 1
                if gi == "g":  # (into its own name: the next edges pass g on unchanged)
                    step.append("gc = g")
                    gi = "gc"
                step += [f"xd = V[{x}]",
                         f"if type({gi}) is not type(xd) or {gi}.shape != xd.shape or "
                         f"{gi}.dtype is not xd.dtype: {gi} = conform({gi}, xd)"]
            step += _accumulate(p, gi, vjp is not None or xs >= 0)
            out += call + (["    " + ln for ln in step] if call else step)
    return [f"g = G[{ref(0)}]", "if g is not None:", f"    G[{ref(0)}] = None"] + \
        ["    " + ln for ln in out]


def backward(fast: Sequence[tuple]) -> Optional[Callable]:
    """``run(V, G, own)``: the learned backward schedule (``Trace.fast``) written out."""
    if MAX_LINES <= 0:
        return None
    w = _Writer()
    for seg in _segments([_bsig(n) for n in fast]):
        w.emit(fast, seg, _bfields, _blines)
        if len(w.body) > MAX_LINES:
            return None
    return _build("backward", "V, G, own", w.body, w.env)
