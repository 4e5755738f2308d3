"""A trace's forward steps and backward schedule as straight-line Python functions.

:class:`~._trace.Trace` replays by interpreting tuples: per step it unpacks the tuple,
branches on the step's kind and indexes its operands. For a trace that has replayed
once, the same steps are written out as the source of one function per direction
(``V[7] = f3(V[2], V[5])``; per backward edge the very vjp call, ``_conform`` test and
accumulation of ``Trace.backward``) and compiled with :func:`compile`: the kernels,
their arguments and their order are unchanged, so results stay bit-identical; only the
interpretation goes. Compiling costs about 13 us a line, so traces longer than
:data:`MAX_LINES` keep the interpreted loop.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from ..engine import _conform
from ..registry import NP

# a generated function longer than this is not compiled (the interpreted loop runs);
# 0 turns generation off
MAX_LINES = 20000

_BASE: Dict[str, object] = {"nd": np.ndarray, "gen": np.generic, "asarray": np.asarray,
                            "add": np.add, "conform": _conform, "NP": NP}


def _build(name: str, args: str, body: List[str], env: Dict[str, object]) -> Callable:
    src = f"def {name}({args}):\n" + "\n".join("    " + ln for ln in body) + "\n    return None\n"
    g = dict(_BASE)
    g.update(env)
    exec(compile(src, f"<compiled {name}>", "exec"), g)  # noqa: S102 -- our own source
    return g[name]  # type: ignore[return-value]


def forward(fsteps: Sequence[tuple]) -> Optional[Callable]:
    """``run(V)``: every forward step of the trace, in order, on the value list ``V``."""
    if MAX_LINES <= 0 or 2 * len(fsteps) > MAX_LINES:
        return None
    body: List[str] = []
    env: Dict[str, object] = {}
    for i, (code, f, a, b, ins, kw, o) in enumerate(fsteps):
        fn, k = f"f{i}", f"k{i}"
        env[fn] = f
        if kw:
            env[k] = kw
        if code == 2:
            body.append(f"V[{o}] = {fn}(V[{a}], V[{b}])")
        elif code == 1:
            body.append(f"V[{o}] = {fn}(V[{a}])")
        elif code == 3:
            body.append(f"V[{o}] = {fn}(V[{a}], **{k})" if kw else f"V[{o}] = {fn}(V[{a}])")
        elif code == 0:
            operands = ", ".join(f"V[{j}]" for j in ins)
            body.append(f"V[{o}] = {fn}({operands}, **{k})" if kw else f"V[{o}] = {fn}({operands})")
        elif code == 5:
            body.append(f"V[{o}] = V[{a}][()]")
        elif code == 6:
            body += [f"d = V[{o}]",
                     f"if type(d) is not nd and not isinstance(d, gen): V[{o}] = asarray(d)"]
        elif code == 9:
            body += [f"d = V[{o}]", f"if type(d) is not nd: V[{o}] = asarray(d)"]
        elif code == 7:  # a random draw: the generator's arguments are recorded constants
            env[f"a{i}"] = ins
            body.append(f"V[{o}] = {fn}(*a{i})")
        else:
            raise ValueError(f"compile: unknown step kind {code}")
    return _build("forward", "V", body, env)


def _accumulate(p: int, gi: str, fresh_test: bool) -> List[str]:
    """Trace.backward's accumulation of ``gi`` into ``G[p]`` (same decisions, unrolled)."""
    first = [f"    G[{p}] = {gi}"]
    if fresh_test:  # a fresh buffer a vjp allocated: later gradients may add into it
        first.append(f"    if {gi} is not g and type({gi}) is nd and {gi}.base is None: "
                     f"own[{p}] = True")
    return ([f"prev = G[{p}]", "if prev is None:"] + first +
            [f"elif own[{p}]:", f"    add(prev, {gi}, out=prev)",
             "else:", f"    acc = prev + {gi}", f"    G[{p}] = acc",
             f"    if type(acc) is nd: own[{p}] = True"])


def backward(fast: Sequence[tuple]) -> Optional[Callable]:
    """``run(V, G, own)``: the learned backward schedule (``Trace.fast``) written out."""
    if MAX_LINES <= 0:
        return None
    body: List[str] = []
    env: Dict[str, object] = {}
    n = 0
    for gk, saved, o, kw, edges, ps in fast:
        node: List[str] = []
        if ps is not None:  # every edge passes g on unchanged
            for p in ps:
                node += _accumulate(p, "g", False)
        else:
            operands = "".join(f", V[{j}]" for j in saved) if saved is not None else ""
            k = f"k{n}"
            if kw:
                env[k] = kw
            for vjp, p, xs in edges:
                if vjp is None:
                    gi, call = "g", []
                else:
                    v = f"v{n}_{len(env)}"
                    env[v] = vjp
                    gi = "gi"
                    call = [f"gi = {v}(NP, g, V[{o}]{operands}" + (f", **{k})" if kw else ")"),
                            "if gi is not None:"]
                step: List[str] = []
                if xs >= 0:  # un-broadcast where the first run needed it (Trace._learn)
                    if gi == "g":  # (into its own name: the next edges pass g on unchanged)
                        step.append("gc = g")
                        gi = "gc"
                    step += [f"xd = V[{xs}]",
                             f"if type({gi}) is not type(xd) or {gi}.shape != xd.shape or "
                             f"{gi}.dtype is not xd.dtype: {gi} = conform({gi}, xd)"]
                step += _accumulate(p, gi, vjp is not None or xs >= 0)
                node += call + (["    " + ln for ln in step] if call else step)
        n += 1
        body += [f"g = G[{gk}]", "if g is not None:", f"    G[{gk}] = None"]
        body += ["    " + ln for ln in node]
        if len(body) > MAX_LINES:
            return None
    return _build("backward", "V, G, own", body, env)
