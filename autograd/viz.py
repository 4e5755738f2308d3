"""Draw the data-flow graph the way textbooks do: leaves, op nodes, edges with shapes,
values and gradients; clustered by module, optionally collapsed; coloured by gradient
health; failing ops marked by the per-node gradient check; a frame-by-frame walk
through backward.

    g = ag.viz.draw(loss)                 # a graphviz.Digraph; renders inline in Jupyter
    g.render("graph", format="svg")
    print(ag.viz.to_dot(loss))            # DOT text, no Graphviz binaries needed

    ag.viz.record(loss)                   # backward, keeping values and op gradients
    ag.viz.draw(loss, names=model)        # values, gradients, clusters by module
    ag.viz.draw(loss, names=model, collapse=True, grad_health=True)   # one box per module
    ag.viz.draw(loss, blame=ag.viz.blame(loss))   # ops whose vjp is wrong, in red
    ag.viz.walkthrough(loss, "frames/")   # backward step by step, SVGs + one HTML page

The graph is walked with ``engine.graph_nodes`` (the traversal backward uses). Node
ids come from creation order within the drawn graph (``n<k>`` ops, ``l<k>`` leaves,
``c<k>`` constants, ``g<k>`` collapsed groups), never ``id()``, so the same graph
always gives byte-identical DOT. Values of intermediate results exist while the graph
holds them: draw before backward, or after ``backward(retain_graph=True)``; gradients
of op outputs are those recorded by :func:`record` (``ag.record_grads()`` around a
backward with ``retain_graph=True``), and leaves show their ``.grad``.
"""
from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .engine import graph_nodes, node_vjps
from .gradcheck import BlameReport, blame
from .tape import Node, no_grad, record_grads
from .tensor import Tensor

__all__ = ["to_dot", "draw", "blame", "BlameReport", "walkthrough", "record"]

try:
    import graphviz as _gv
except ImportError:  # pragma: no cover - graphviz is a dependency
    _gv = None

_INSTALL_HINT = ("the Graphviz 'dot' program is needed to render drawings; install it "
                 "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
                 "conda: conda install graphviz). to_dot() works without it.")

_NL = "\\n"  # DOT's line break inside a label
# colours
_LEAF = "#cfe2f3"
_CONST = "#eeeeee"
_OP = "#fff2cc"
_ROOT = "#f4cccc"
_RED = "#e06666"
_GREY = "#b7b7b7"
_HIGHLIGHT = "#93c47d"
_GROUP = "#d9ead3"
# a diverging palette for log10 mean |grad|: dark blue = vanishing ... red = large
_PALETTE = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#e0f3f8", "#fee090", "#fdae61",
            "#f46d43", "#d73027"]
# default log10 range of the health colours: 9 bins of one decade, 1e-7 ... 1e2
_HEALTH_RANGE = (-7.0, 2.0)


# --------------------------------------------------------------------------- helpers
def record(loss: Tensor, gradient: Optional[Any] = None) -> None:
    """Run ``loss.backward(gradient, retain_graph=True)`` recording the gradient that
    reaches each node's output (``node.grad``), so a drawing shows values and gradients
    on every node and edge: the one-liner before ``draw``. Leaf ``.grad`` accumulates
    as in any backward."""
    with record_grads():
        loss.backward(gradient, retain_graph=True)


def _fmt_num(v: float) -> str:
    v = float(v)
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def _fmt_array(a: Optional[np.ndarray], small: int) -> str:
    """A value for a label: 0-d and arrays of at most ``small`` elements in full (3
    digits), larger ones as ``mean m std s [min, max]``; non-finite entries counted."""
    if a is None:
        return "freed"
    a = np.asarray(a)
    if a.ndim == 0:
        return _fmt_num(a)
    if a.dtype.kind == "b":
        return f"{int(a.sum())}/{a.size} true"
    if a.size <= small:
        return np.array2string(a.astype(np.float64) if a.dtype.kind == "f" else a,
                               precision=3, separator=", ", suppress_small=True).replace("\n", "")
    af = a if a.dtype == np.float64 else a.astype(np.float64)
    lo, hi = af.min(), af.max()                 # NaN or Inf anywhere shows up here
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{int((~np.isfinite(af)).sum())} non-finite of {a.size}"
    return f"mean {_fmt_num(af.mean())} std {_fmt_num(af.std())} [{_fmt_num(lo)}, {_fmt_num(hi)}]"


def _fmt_grad(g: Optional[np.ndarray], small: int) -> str:
    """A gradient for a label: small ones in full, else ``|g| <2-norm> max <max |g|>``."""
    if g is None:
        return "-"
    g = np.asarray(g)
    if g.ndim == 0 or g.size <= small:
        return _fmt_array(g, small)
    gf = np.abs(g if g.dtype == np.float64 else g.astype(np.float64))
    mx = gf.max()
    if not math.isfinite(mx):
        return f"{int((~np.isfinite(gf)).sum())} non-finite"
    return f"|g| {_fmt_num(math.sqrt(float(np.dot(gf.ravel(), gf.ravel()))))} max {_fmt_num(mx)}"


_SHAPES: Dict[Tuple[Tuple[int, ...], Any], str] = {}


def _shape_str(shape: Tuple[int, ...], dtype) -> str:
    """``"2×3 float32"``; ``"scalar float64"`` for 0-d (memoised: labels repeat a lot)."""
    key = (shape, dtype)
    s = _SHAPES.get(key)
    if s is None:
        dims = "×".join(str(d) for d in shape) if shape else "scalar"
        s = _SHAPES[key] = f"{dims} {np.dtype(dtype).name}"
    return s


def _fmt_attr(v: Any) -> str:
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, tuple) and any(isinstance(x, np.ndarray) for x in v):
        return "[…]"
    if isinstance(v, np.ndarray):
        return "[…]"
    s = repr(v)
    return s if len(s) <= 24 else s[:21] + "…"


def _mean_abs(g: Optional[np.ndarray]) -> Optional[float]:
    if g is None:
        return None
    gf = np.abs(np.asarray(g, dtype=np.float64))
    return float(gf.mean()) if gf.size else 0.0


def _health(g: Optional[np.ndarray], hr: Tuple[float, float]) -> Tuple[Optional[str], str]:
    """(fill colour, tooltip) for gradient health: m = mean |g| on a log10 scale over
    ``hr`` = (lo, hi) split into len(_PALETTE) equal bins (values outside clamp to the
    end bins); NaN/Inf anywhere red, m = 0 grey, no gradient None."""
    m = _mean_abs(g)
    if m is None:
        return None, "no gradient"
    if not math.isfinite(m):
        return _RED, "NaN/Inf gradient"
    if m == 0.0:
        return _GREY, "all-zero gradient (dead)"
    lo, hi = hr
    x = (math.log10(m) - lo) / (hi - lo)
    k = min(len(_PALETTE) - 1, max(0, int(math.floor(x * len(_PALETTE)))))
    return _PALETTE[k], f"mean |grad| = {m:.3g}"


def _auto_range(roots: Sequence[Tensor]) -> Tuple[float, float]:
    """Whole decades around the smallest and largest finite, non-zero mean |grad| of
    the drawn ops and leaves (the default range when none is non-zero)."""
    ms = []
    for n in graph_nodes(roots):
        ms.append(_mean_abs(n.grad))
        for p in n.parents:
            if isinstance(p, Tensor) and p.grad is not None:
                ms.append(_mean_abs(p.grad.data))
    ms = [m for m in ms if m is not None and m > 0 and math.isfinite(m)]
    if not ms:
        return _HEALTH_RANGE
    lo, hi = math.floor(math.log10(min(ms))), math.ceil(math.log10(max(ms)))
    return float(lo), float(max(hi, lo + 1))


def _text_color(fill: Optional[str]) -> str:
    return "white" if fill in ("#313695", "#4575b4", "#d73027") else "black"


# --------------------------------------------------------------------------- graph model
@dataclass
class _Item:
    id: str
    kind: str                       # "op", "leaf", "const", "group", "more"
    label: List[str]                # label lines (plain text, escaped when emitted)
    scope: tuple = ()
    fill: Optional[str] = None
    shape: str = "box"
    style: str = "filled,rounded"
    tooltip: str = ""
    penwidth: str = "1"
    grad: Optional[np.ndarray] = None
    owner: Optional[str] = None     # constants: the item that consumes them
    ops: Tuple[str, ...] = ()       # groups: the op names folded into them
    failed: bool = False            # ops: blame found their vjp wrong


@dataclass
class _Graph:
    items: Dict[str, _Item] = field(default_factory=dict)
    edges: List[Tuple[str, str, str]] = field(default_factory=list)


def _leaf_name(t: Tensor, names: Dict[int, str], auto: Dict[int, str]) -> str:
    if id(t) in names:
        return names[id(t)]
    if t.name:
        return t.name
    if id(t) not in auto:
        auto[id(t)] = f"x{len(auto)}"   # numbered in order of first use: deterministic
    return auto[id(t)]


def _names_map(names) -> Dict[int, str]:
    """id(tensor) -> display name, from a module, a dict name -> tensor (or tensor ->
    name) or (name, tensor) pairs. Only used for lookups while building one drawing; the
    ids never reach the output."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        names = names.named_parameters()
    items = names.items() if isinstance(names, dict) else list(names)
    out = {}
    for k, v in items:
        if isinstance(k, Tensor):       # {tensor: name}
            k, v = v, k
        if not isinstance(v, Tensor):
            raise TypeError(f"viz: names must map names to tensors, got {type(v).__name__} "
                            f"for {k!r}; pass a module, a dict name -> tensor or pairs")
        out[id(v)] = str(k)
    return out


def _common_prefix(a: tuple, b: tuple) -> tuple:
    k = 0
    for x, y in zip(a, b):
        if x != y:
            break
        k += 1
    return a[:k]


def _fmt_index_part(v: Any) -> str:
    if v is Ellipsis:
        return "..."
    if v is None:
        return "None"
    if isinstance(v, slice):
        s = ("" if v.start is None else str(v.start)) + ":" + ("" if v.stop is None else str(v.stop))
        return s + (f":{v.step}" if v.step is not None else "")
    if isinstance(v, np.ndarray):
        if v.size <= 6 and v.ndim <= 1:
            return "[" + ", ".join(str(x) for x in v.tolist()) + "]"
        return f"<{v.dtype.name} {'×'.join(map(str, v.shape))}>"
    return _fmt_attr(v)


def _fmt_index(index: Any) -> str:
    """An indexing attribute as a subscript: ``[2]``, ``[0:2]``, ``[..., 1]``, ``[[0, 2]]``
    (index arrays of more than 6 entries by dtype and shape)."""
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(_fmt_index_part(v) for v in parts) + "]"


def _op_label(n: Node) -> str:
    """``op(attr=value, ...)``: the op's name and its non-tensor arguments."""
    attrs = n.attrs
    if not attrs:
        return n.op.name
    parts = [f"{k}={_fmt_index(v) if k == 'index' else _fmt_attr(v)}" for k, v in attrs.items()
             if v is not None and v is not False]
    return n.op.name + (f"({', '.join(parts)})" if parts else "")


def _build(roots: Sequence[Tensor], names, show_values: bool, show_grads: bool,
           show_shapes: bool, small: int, grad_health: Optional[Tuple[float, float]],
           failing: Dict[Node, float],
           known: Optional[set], highlight: Optional[Node]) -> _Graph:
    """The drawing model: one item per recorded node (``n<k>``, k = rank in creation
    order), per distinct leaf that requires grad (``l<k>``, in order of first use) and per
    constant argument (``c<k>``); one edge per argument slot."""
    nodes = graph_nodes(roots)
    nodes.reverse()                                 # creation order (graph_nodes: reverse)
    nid = {n: f"n{i}" for i, n in enumerate(nodes)}
    root_nodes = {r.grad_fn for r in roots if r.grad_fn is not None}
    nmap = _names_map(names)
    auto: Dict[int, str] = {}
    G = _Graph()
    items = G.items
    edges = G.edges
    leaf_ids: Dict[int, str] = {}
    const_count = 0
    pending: Dict[int, int] = {}        # id(leaf) -> users not yet visited by backward
    if known is not None:               # (walkthrough: a leaf's .grad is final only then)
        for n in nodes:
            if n not in known:
                for p in n.parents:
                    if isinstance(p, Tensor):
                        pending[id(p)] = pending.get(id(p), 0) + 1

    for n in nodes:
        lines = [_op_label(n)]
        out = n.out
        if show_shapes and out is not None:
            lines.append(_shape_str(np.shape(out), out.dtype))
        if show_values:
            lines.append("value " + _fmt_array(out, small))
        g = n.grad if (known is None or n in known) else None
        if show_grads and g is not None:
            lines.append("grad " + _fmt_grad(g, small))
        fill, tip = (_ROOT if n in root_nodes else _OP), (n.op.doc or n.op.name)
        if grad_health:
            hf, tip = _health(g, grad_health)
            fill = hf or "white"
        pen = "1"
        if n in failing:
            fill, pen = _RED, "3"
            lines.append(f"vjp check FAILED (err {failing[n]:.2g})")
            tip = f"finite-difference check of this op's vjp failed: worst error {failing[n]:.3g}"
        if highlight is not None and n is highlight:
            fill, pen = _HIGHLIGHT, "3"
        me = nid[n]
        items[me] = _Item(me, "op", lines, n.scope, fill, "box", "filled,rounded", tip, pen, g,
                          failed=n in failing)
        inputs = n.inputs
        multi = len(n.parents) > 1
        egrads = _edge_grads(n, g) if (show_grads and g is not None) else None
        for i, p in enumerate(n.parents):
            x = inputs[i] if inputs is not None else None
            eshape = _shape_str(x.shape, x.dtype) if (show_shapes and x is not None) else ""
            elabel = (f"{i}: {eshape}" if eshape else str(i)) if multi else eshape
            if egrads is not None and egrads[i] is not None:
                eg = "grad " + _fmt_grad(egrads[i], small)
                elabel = f"{elabel}{_NL}{eg}" if elabel else eg
            if type(p) is Node:
                edges.append((nid[p], me, elabel))
            elif isinstance(p, Tensor):
                key = id(p)
                lid = leaf_ids.get(key)
                if lid is None:
                    lid = leaf_ids[key] = f"l{len(leaf_ids)}"
                    items[lid] = _leaf_item(lid, p, n.scope, nmap, auto, show_values,
                                            show_grads, show_shapes, small, grad_health,
                                            key not in pending)
                else:
                    it = items[lid]
                    it.scope = _common_prefix(it.scope, n.scope)
                edges.append((lid, me, elabel))
            elif x is not None:
                cid = f"c{const_count}"
                const_count += 1
                nm = nmap.get(id(x)) or x.name
                cl = [nm or "const"]
                if show_shapes and x.ndim:
                    cl.append(_shape_str(x.shape, x.dtype))
                if show_values:
                    cl.append(_fmt_array(x.data, small))
                items[cid] = _Item(cid, "const", cl, n.scope, _CONST, "box", "filled,dashed",
                                   "constant (no gradient)", "1", owner=me)
                edges.append((cid, me, elabel))
    for r in roots:                                 # a leaf drawn on its own
        if r.grad_fn is None and id(r) not in leaf_ids:
            lid = leaf_ids[id(r)] = f"l{len(leaf_ids)}"
            items[lid] = _leaf_item(lid, r, (), nmap, auto, show_values, show_grads,
                                    show_shapes, small, grad_health, known is None)
    return G


def _edge_grads(n: Node, g: np.ndarray) -> Optional[List[Optional[np.ndarray]]]:
    """The gradient that flowed along each argument slot of ``n`` in backward: the
    engine's own replay (``engine.node_vjps``: the vjp applied to the recorded output
    gradient ``g``, reduced to the argument's shape and dtype). None for slots without
    an edge; None overall when the saved values are gone or a vjp cannot be replayed
    (a custom backward that fails outside backward must not break the drawing)."""
    try:
        with no_grad(), np.errstate(all="ignore"):
            return node_vjps(n, g)
    except Exception:                               # freed values, or a vjp that fails
        return None


def _leaf_item(lid: str, p: Tensor, scope: tuple, nmap, auto, show_values: bool,
               show_grads: bool, show_shapes: bool, small: int,
               grad_health: Optional[Tuple[float, float]],
               grads_known: bool) -> _Item:
    ll = [_leaf_name(p, nmap, auto)]
    if show_shapes:
        ll.append(_shape_str(p.shape, p.dtype))
    if show_values:
        ll.append("value " + _fmt_array(p.data, small))
    lg = p.grad.data if (p.grad is not None and grads_known) else None
    if show_grads and lg is not None:
        ll.append("grad " + _fmt_grad(lg, small))
    fill, tip = _LEAF, ("leaf (requires grad)" if p.requires_grad else "leaf")
    if grad_health:
        hf, tip = _health(lg, grad_health)
        fill = hf or "white"
    return _Item(lid, "leaf", ll, scope, fill, "box", "filled", tip, "1", lg)


def _group_health(members: List[_Item], hr: Tuple[float, float]) -> Tuple[Optional[str], str]:
    """A collapsed group's health: its leaves' gradients (its parameters) when it has
    any, else its ops' output gradients; all their elements pooled."""
    pool = [m.grad for m in members if m.kind == "leaf" and m.grad is not None]
    if not pool:
        pool = [m.grad for m in members if m.kind == "op" and m.grad is not None]
    if not pool:
        return None, "no gradient"
    return _health(np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in pool]), hr)


def _collapse(G: _Graph, depth: int, grad_health: Optional[Tuple[float, float]]) -> _Graph:
    """Merge every item whose scope path is longer than ``depth`` into one group node
    per scope prefix of length ``depth + 1`` (the group sits in the cluster of its first
    ``depth`` scopes). Edges inside a group vanish; parallel edges between the same two
    items are merged (the first one's label, a tensor shape, is kept)."""
    group_of: Dict[str, str] = {}
    groups: Dict[tuple, _Item] = {}
    members: Dict[tuple, List[_Item]] = {}
    for it in G.items.values():
        if len(it.scope) > depth:
            key = it.scope[:depth + 1]
            gi = groups.get(key)
            if gi is None:
                gi = groups[key] = _Item("g" + str(len(groups)), "group", [], key[:-1],
                                         _GROUP, "box3d", "filled", "/".join(key), "1")
                members[key] = []
            members[key].append(it)
            group_of[it.id] = gi.id
    out = _Graph()
    for it in G.items.values():
        if it.id not in group_of:                   # constants go with their op's group
            out.items[it.id] = it
    for key, gi in groups.items():
        ms = members[key]
        ops = [m.label[0].split("(")[0] for m in ms if m.kind == "op"]
        counts: Dict[str, int] = {}
        for o in ops:
            counts[o] = counts.get(o, 0) + 1
        kinds = sorted(counts.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{o} ×{c}" if c > 1 else o for o, c in kinds[:3])
        if len(kinds) > 3:
            shown += ", …"
        lab = [key[-1], f"{len(ops)} op{'s' if len(ops) != 1 else ''}: {shown}" if ops else "0 ops"]
        n_leaves = sum(1 for m in ms if m.kind == "leaf")
        if n_leaves:
            lab.append(f"{n_leaves} lea{'ves' if n_leaves != 1 else 'f'}")
        gi.ops = tuple(ops)
        if grad_health:
            gi.fill, gi.tooltip = _group_health(ms, grad_health)
            gi.fill = gi.fill or "white"
            lab.append(gi.tooltip)
        if any(m.failed for m in ms):
            gi.fill, gi.penwidth = _RED, "3"
            lab.append("contains a failing vjp")
        gi.label = lab
        out.items[gi.id] = gi
    seen = set()
    for a, b, lab in G.edges:
        a2, b2 = group_of.get(a, a), group_of.get(b, b)
        if a2 == b2 or (a2, b2) in seen:
            continue
        if a2 not in out.items:                     # a constant folded into a group
            continue
        seen.add((a2, b2))
        if b2 != b:                                 # slot numbers mean nothing on a group
            lab = re.sub(r"^\d+(: |\\n|$)", "", lab)
        out.edges.append((a2, b2, lab))
    return out


def _limit(G: _Graph, max_nodes: int) -> _Graph:
    """Keep the ``max_nodes`` ops, leaves and groups nearest the outputs (breadth-first
    from the outputs along reversed edges; constants go with the op that uses them and
    are not counted) and summarise the rest in one node with an edge into each kept
    node that lost an input."""
    if max_nodes < 1:
        raise ValueError(f"draw: max_nodes must be at least 1, got {max_nodes}")
    countable = [k for k, it in G.items.items() if it.kind != "const"]
    if len(countable) <= max_nodes:
        return G
    order = _distance_order(G)
    keep = set(order[:max_nodes])
    for k, it in G.items.items():
        if it.kind == "const" and it.owner in keep:
            keep.add(k)
    dropped = [G.items[k] for k in countable if k not in keep]
    out = _Graph({k: v for k, v in G.items.items() if k in keep})
    by_kind: Dict[str, int] = {}
    for it in dropped:
        by_kind[it.kind] = by_kind.get(it.kind, 0) + 1
    words = {"op": ("op", "ops"), "leaf": ("leaf", "leaves"), "group": ("group", "groups")}
    detail = ", ".join(f"{c} {words[k][c != 1]}" for k, c in sorted(by_kind.items(),
                                                                      key=lambda kv: kv[0] != "op"))
    more = _Item("more", "more",
                 [f"… {len(dropped)} more node{'s' if len(dropped) != 1 else ''} not shown ({detail})",
                  f"cut by max_nodes={max_nodes}: use collapse= or a larger max_nodes"],
                 (), "white", "note", "filled", "graph cut by max_nodes", "1")
    out.items["more"] = more
    seen = set()
    for a, b, lab in G.edges:
        if a in keep and b in keep:
            out.edges.append((a, b, lab))
        elif b in keep and ("more", b) not in seen:     # keeps the slot, shape and grad
            seen.add(("more", b))
            out.edges.append(("more", b, lab))
    return out


def _distance_order(G: _Graph) -> List[str]:
    """Ids of the ops, leaves and groups by distance from the outputs (breadth-first
    on reversed edges, ties in item order); constants are left out."""
    into: Dict[str, List[str]] = {}
    has_out = set()
    items = G.items
    for a, b, _ in G.edges:
        if items[a].kind == "const":
            continue
        into.setdefault(b, []).append(a)
        has_out.add(a)
    frontier = [k for k, it in items.items() if it.kind != "const" and k not in has_out]
    seen = set(frontier)
    order = list(frontier)
    while frontier:
        nxt = []
        for k in frontier:
            for a in into.get(k, ()):
                if a not in seen:
                    seen.add(a)
                    nxt.append(a)
        order += nxt
        frontier = nxt
    return order


# --------------------------------------------------------------------------- output
class Drawing(_gv.Digraph if _gv is not None else object):  # type: ignore[misc]
    """A ``graphviz.Digraph`` whose rendering errors say how to install Graphviz."""

    def _guard(self, fn, *a, **k):
        try:
            return fn(*a, **k)
        except _gv.ExecutableNotFound as exc:
            raise RuntimeError(f"{exc}: {_INSTALL_HINT}") from None

    def render(self, *a, **k):
        return self._guard(super().render, *a, **k)

    def pipe(self, *a, **k):
        return self._guard(super().pipe, *a, **k)


def _q(s: str) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _qlabel(lines: List[str]) -> str:
    """A quoted DOT label, one line per entry (joined with DOT's ``\\n``)."""
    return '"' + _NL.join(l.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
                          for l in lines) + '"'


_BARE = {}


def _attr(v: str) -> str:
    """An attribute value: bare when it is a plain word or number, else quoted."""
    r = _BARE.get(v)
    if r is None:
        r = _BARE[v] = v if (v.replace("_", "a").isalnum() and v.isascii()
                             and not v[0].isdigit() or v.isdigit()) else _q(v)
    return r


def _node_line(it: _Item, indent: str) -> str:
    parts = [f"{indent}{it.id} [label={_qlabel(it.label)}"]
    if it.fill:
        parts.append(f"fillcolor={_attr(it.fill)} fontcolor={_text_color(it.fill)}")
    parts.append(f"penwidth={it.penwidth} shape={it.shape} style={_attr(it.style)}")
    if it.tooltip:
        parts.append(f"tooltip={_q(it.tooltip)}")
    return " ".join(parts) + "]\n"


def _decade(e: float) -> str:
    return f"1e{int(e)}" if float(e).is_integer() else f"{10 ** e:.1e}"


def _emit(G: _Graph, rankdir: str, legend: Optional[Tuple[float, float]],
          title: Optional[str]) -> "Drawing":
    """Write the model as DOT into a :class:`Drawing`: items nested in one cluster per
    scope path (``cluster_<scope>__<subscope>``), edges after all nodes, then the legend.
    The text is written directly (not through graphviz's per-call quoting, which costs
    about as much as building the model) so a 10,000-node graph exports fast."""
    if _gv is None:
        raise RuntimeError("the graphviz Python package is missing: pip install graphviz")
    d = Drawing("tapegrad", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                        "fontsize": "10", "newrank": "true"},
                node_attr={"fontname": "Helvetica", "fontsize": "10"},
                edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#666666"})
    body = d.body
    if title:
        body.append(f"\tfontsize=12 label={_q(title)} labelloc=t\n")
    tree: Dict[tuple, List[_Item]] = {}
    for it in G.items.values():
        tree.setdefault(it.scope, []).append(it)
    children: Dict[tuple, List[tuple]] = {}
    all_paths = set()
    for s in tree:
        for k in range(1, len(s) + 1):
            all_paths.add(s[:k])
    for p in all_paths:
        children.setdefault(p[:-1], []).append(p)
    used: Dict[str, int] = {}

    def cluster_id(path: tuple) -> str:
        base = "cluster_" + "__".join("".join(c if (c.isalnum() and c.isascii()) else "_"
                                              for c in s) for s in path)
        k = used.get(base, 0)
        used[base] = k + 1
        return base if k == 0 else f"{base}_{k}"

    def emit_scope(path: tuple, indent: str) -> None:
        for it in tree.get(path, ()):
            body.append(_node_line(it, indent))
        for ch in sorted(children.get(path, ())):
            body.append(f"{indent}subgraph {cluster_id(ch)} {{\n")
            body.append(f'{indent}\tcolor="#999999" fontsize=10 label={_q(ch[-1])} '
                        f'style="rounded,dashed"\n')
            emit_scope(ch, indent + "\t")
            body.append(f"{indent}}}\n")

    emit_scope((), "\t")
    for a, b, lab in G.edges:
        body.append(f"\t{a} -> {b} [label={_qlabel(lab.split(_NL))}]\n" if lab else f"\t{a} -> {b}\n")
    if legend:
        body.append("\tsubgraph cluster_legend {\n")
        body.append('\t\tcolor="#999999" label="gradient health: mean |grad| (log scale)" '
                    'style=rounded\n')
        prev = None
        lo, hi = legend
        w = (hi - lo) / len(_PALETTE)
        for k, col in enumerate(_PALETTE):
            lid = f"legend{k}"
            a, b = _decade(lo + k * w), _decade(lo + (k + 1) * w)
            label = f"< {b}" if k == 0 else (f"≥ {a}" if k == len(_PALETTE) - 1 else f"{a} – {b}")
            body.append(f"\t\t{lid} [label={_q(label)} fillcolor={_attr(col)} "
                        f"fontcolor={_text_color(col)} shape=box style=filled]\n")
            if prev:
                body.append(f"\t\t{prev} -> {lid} [style=invis]\n")
            prev = lid
        body.append(f'\t\tlegend_nan [label="NaN/Inf" fillcolor={_attr(_RED)} fontcolor=black '
                    f'shape=box style=filled]\n')
        body.append(f'\t\tlegend_zero [label="all zero (dead)" fillcolor={_attr(_GREY)} '
                    f'fontcolor=black shape=box style=filled]\n')
        body.append(f"\t\t{prev} -> legend_nan [style=invis]\n")
        body.append("\t\tlegend_nan -> legend_zero [style=invis]\n")
        body.append("\t}\n")
    return d


def draw(roots: Union[Tensor, Sequence[Tensor]], *, names=None, show_values: bool = True,
         show_grads: bool = True, show_shapes: bool = True, small: int = 6,
         collapse: Union[None, bool, int] = None, max_nodes: Optional[int] = None,
         grad_health: bool = False,
         health_range: Union[None, str, Tuple[float, float]] = None,
         blame: Optional[Sequence["BlameReport"]] = None,
         rankdir: str = "LR", title: Optional[str] = None, _known=None,
         _highlight=None) -> "Drawing":
    """The forward graph of ``roots`` as a ``graphviz.Digraph`` (a :class:`Drawing`).

    Nodes: one box per recorded op (label: op name and non-tensor arguments), one per
    leaf that requires grad, one dashed box per constant argument; one edge per argument
    slot (``x * x`` has two), labelled ``slot: shape dtype``. Labels show shape and dtype
    (``show_shapes``), the value (``show_values``) and the gradient (``show_grads``):
    arrays of at most ``small`` elements in full, larger ones as ``mean std [min, max]``
    (values) or ``|g| norm max |g|`` (gradients). Op gradients are there after
    :func:`record`; leaves show ``.grad``. With op gradients recorded, each edge also
    shows the gradient that flowed along it (the consumer's vjp for that slot), so the
    gradients on the edges out of a node sum to the gradient on the node.

    ``names``: a module (its ``named_parameters()``), a dict name -> tensor, or pairs,
    naming leaves (else ``tensor.name``, else x0, x1, ... in order of first use). Ops
    cluster by the ``name_scope`` they were recorded in (``nn.Module`` opens one per
    call); a leaf sits in the deepest scope shared by all its users.
    ``collapse``: ``True`` folds every submodule of the top module into one node (same
    as ``collapse=1``); an int k folds each scope path at depth k + 1 into one node, so
    ``collapse=0`` folds each top-level scope. ``max_nodes`` keeps the ops, leaves and
    groups nearest the outputs (constants go with their op) and summarises the rest in
    one node. ``grad_health`` colours nodes by log10 of the mean |grad| (legend
    included), NaN/Inf red, all-zero grey; ``health_range`` = (lo, hi) in log10 sets the
    scale (default (-7, 2): one decade per colour, the same in every drawing), "auto"
    spans the drawn gradients (so a 1e-19 ... 1 spread stays visible). A collapsed group
    is coloured by its parameters' gradients (its ops' when it has none). ``blame`` (from :func:`blame`) marks ops whose
    vjp failed in red with their worst error. The same graph always gives the same DOT.
    """
    rs = [roots] if isinstance(roots, Tensor) else list(roots)
    for r in rs:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw: expected a Tensor or a list of Tensors, got {type(r).__name__}")
    failing = {r.node: r.error for r in (blame or []) if not r.ok}
    hr: Optional[Tuple[float, float]] = None
    if grad_health:
        if health_range is None:
            hr = _HEALTH_RANGE
        elif isinstance(health_range, str):
            if health_range != "auto":
                raise ValueError(f"draw: health_range must be (lo, hi) in log10 or 'auto', "
                                 f"got {health_range!r}")
            hr = _auto_range(rs)
        else:
            lo, hi = (float(v) for v in health_range)
            if not lo < hi:
                raise ValueError(f"draw: health_range needs lo < hi, got {health_range!r}")
            hr = (lo, hi)
    G = _build(rs, names, show_values, show_grads, show_shapes, small, hr, failing,
               _known, _highlight)
    if collapse is not None and collapse is not False:
        depth = 1 if collapse is True else int(collapse)
        if depth < 0:
            raise ValueError(f"draw: collapse must be True or a depth >= 0, got {collapse!r}")
        G = _collapse(G, depth, hr)
    if max_nodes is not None:
        G = _limit(G, int(max_nodes))
    return _emit(G, rankdir, hr, title)


def to_dot(roots: Union[Tensor, Sequence[Tensor]], **kw: Any) -> str:
    """The DOT source of :func:`draw` (same options; needs no Graphviz binaries)."""
    return draw(roots, **kw).source


# --------------------------------------------------------------------------- walkthrough
def walkthrough(loss: Tensor, out_dir: str, *, names=None, **draw_kw: Any) -> str:
    """Write the backward pass frame by frame: ``frame_000.svg`` (forward values only),
    then one frame per node in the order backward visits them (reverse creation order),
    the current node highlighted and the gradients known so far shown (an op's once it
    has been visited, a leaf's once all its users have); plus ``walkthrough.html``, one
    self-contained page with a slider. Returns the HTML path. Needs Graphviz's ``dot``.
    Runs ``loss.backward(retain_graph=True)`` once, so leaf ``.grad`` accumulates as in
    any backward and the graph is kept. ``draw_kw`` are :func:`draw`'s options."""
    if shutil.which("dot") is None:
        raise RuntimeError(_INSTALL_HINT)
    os.makedirs(out_dir, exist_ok=True)
    order = graph_nodes([loss])                 # backward's visiting order
    record(loss)
    frames = []
    known: set = set()
    for k in range(len(order) + 1):
        if k:
            known.add(order[k - 1])
        hl = order[k - 1] if k else None
        title = ("forward pass: values" if k == 0 else
                 f"backward step {k}/{len(order)}: {order[k - 1].op.name} sends its gradient to its inputs")
        d = draw(loss, names=names, _known=set(known), _highlight=hl, title=title, **draw_kw)
        svg = d.pipe(format="svg").decode("utf-8")
        path = os.path.join(out_dir, f"frame_{k:03d}.svg")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(svg)
        frames.append(svg)
    page = os.path.join(out_dir, "walkthrough.html")
    with open(page, "w", encoding="utf-8") as fh:
        fh.write(_html(frames))
    return page


def _html(frames: List[str]) -> str:
    divs = "\n".join(f'<div class="frame" id="f{i}" style="display:{"block" if i == 0 else "none"}">'
                     f"{svg[svg.find('<svg'):]}</div>" for i, svg in enumerate(frames))
    n = len(frames) - 1
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tapegrad: backward, step by step</title>
<style>body{{font-family:sans-serif;margin:1em}} .frame svg{{max-width:100%;height:auto}}</style>
</head><body>
<h2>Backpropagation, one node at a time</h2>
<p>Frame 0 shows the forward values. Each later frame runs one more node of backward (reverse
creation order): the highlighted node receives the gradient of its output and passes
gradients to its inputs by the chain rule.</p>
<input type="range" id="s" min="0" max="{n}" value="0" style="width:60%">
<button onclick="go(-1)">&larr;</button><button onclick="go(1)">&rarr;</button>
<span id="lbl">0 / {n}</span>
{divs}
<script>
var s=document.getElementById('s'), cur=0;
function show(i){{document.getElementById('f'+cur).style.display='none';
 document.getElementById('f'+i).style.display='block'; cur=i; s.value=i;
 document.getElementById('lbl').textContent=i+' / {n}';}}
function go(d){{show(Math.min({n},Math.max(0,cur+d)));}}
s.oninput=function(){{show(parseInt(s.value));}};
</script>
</body></html>
"""
