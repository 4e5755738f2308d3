"""Draw the data-flow graph the way textbooks do: leaves, op nodes, edges with shapes,
values and gradients; clustered by module, optionally collapsed; coloured by gradient
health; failing ops marked by the per-node gradient check; a frame-by-frame walk
through backward.

    g = ag.viz.draw(loss)                 # a graphviz.Digraph; renders inline in Jupyter
    g.render("graph", format="svg")
    print(ag.viz.to_dot(loss))            # DOT text, no Graphviz binaries needed

The graph is walked with ``engine.graph_nodes`` (the traversal backward uses). Node
ids come from creation order within the drawn graph, so the same graph always gives
byte-identical DOT. Values of intermediate results exist while the graph holds them:
draw before backward, or after ``backward(retain_graph=True)``; gradients of op outputs
are those recorded by ``with ag.record_grads(): loss.backward(retain_graph=True)``,
and leaves show their ``.grad``.
"""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .backends import NP, sum_to_array
from .engine import graph_nodes
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
# a sequential palette (dark blue = vanishing ... yellow = large) for log10 |grad|
_PALETTE = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#e0f3f8", "#fee090", "#fdae61",
            "#f46d43", "#d73027"]
_HEALTH_LO, _HEALTH_HI = -8.0, 2.0


# --------------------------------------------------------------------------- helpers
def record(loss: Tensor, gradient=None) -> None:
    """Run backward keeping the graph and recording each node's gradient, so a drawing
    can show values and gradients everywhere: the one-liner before ``draw``."""
    with record_grads():
        loss.backward(gradient, retain_graph=True)


def _fmt_num(v: float) -> str:
    if not np.isfinite(v):
        return str(v)
    return f"{v:.4g}"


def _fmt_array(a: Optional[np.ndarray], small: int) -> str:
    if a is None:
        return "freed"
    a = np.asarray(a)
    if a.ndim == 0:
        return _fmt_num(float(a))
    if a.dtype.kind == "b":
        return f"{int(a.sum())}/{a.size} true"
    if a.size <= small:
        return np.array2string(a.astype(np.float64) if a.dtype.kind == "f" else a,
                               precision=3, separator=", ", suppress_small=True).replace("\n", "")
    af = a.astype(np.float64)
    if not np.isfinite(af).all():
        return f"{int((~np.isfinite(af)).sum())} non-finite of {a.size}"
    return f"mean {_fmt_num(af.mean())} std {_fmt_num(af.std())} [{_fmt_num(af.min())}, {_fmt_num(af.max())}]"


def _fmt_grad(g: Optional[np.ndarray], small: int) -> str:
    if g is None:
        return "-"
    g = np.asarray(g)
    if g.ndim == 0 or g.size <= small:
        return _fmt_array(g, small)
    gf = g.astype(np.float64)
    if not np.isfinite(gf).all():
        return f"{int((~np.isfinite(gf)).sum())} non-finite"
    return f"|g| {_fmt_num(float(np.sqrt((gf * gf).sum())))} max {_fmt_num(float(np.abs(gf).max()))}"


def _shape_str(shape: Tuple[int, ...], dtype) -> str:
    s = "×".join(str(d) for d in shape) if shape else "scalar"
    return f"{s} {np.dtype(dtype).name}"


def _fmt_attr(v: Any) -> str:
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, tuple) and any(isinstance(x, np.ndarray) for x in v):
        return "[…]"
    if isinstance(v, np.ndarray):
        return "[…]"
    s = repr(v)
    return s if len(s) <= 24 else s[:21] + "…"


def _health(g: Optional[np.ndarray]) -> Tuple[Optional[str], str]:
    """(fill colour, tooltip) for gradient health."""
    if g is None:
        return None, "no gradient"
    gf = np.asarray(g, dtype=np.float64)
    if not np.isfinite(gf).all():
        return _RED, "NaN/Inf gradient"
    m = float(np.abs(gf).mean()) if gf.size else 0.0
    if m == 0.0:
        return _GREY, "all-zero gradient (dead)"
    x = (math.log10(m) - _HEALTH_LO) / (_HEALTH_HI - _HEALTH_LO)
    k = min(len(_PALETTE) - 1, max(0, int(x * len(_PALETTE))))
    return _PALETTE[k], f"mean |grad| = {m:.3g}"


def _text_color(fill: Optional[str]) -> str:
    return "white" if fill in ("#313695", "#4575b4", "#d73027") else "black"


# --------------------------------------------------------------------------- graph model
@dataclass
class _Item:
    id: str
    kind: str                       # "op", "leaf", "const", "group", "more"
    label: str
    scope: tuple = ()
    fill: Optional[str] = None
    shape: str = "box"
    style: str = "filled,rounded"
    tooltip: str = ""
    penwidth: str = "1"
    grad: Optional[np.ndarray] = None


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
        auto[id(t)] = f"x{len(auto)}"
    return auto[id(t)]


def _names_map(names) -> Dict[int, str]:
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        names = names.named_parameters()
    if isinstance(names, dict):
        items = names.items()
    else:
        items = list(names)
    out = {}
    for k, v in items:
        if isinstance(k, Tensor):       # {tensor: name}
            k, v = v, k
        out[id(v)] = str(k)
    return out


def _build(roots: Sequence[Tensor], names, show_values: bool, show_grads: bool,
           show_shapes: bool, small: int, grad_health: bool, failing: Dict[Node, float],
           known: Optional[set], highlight: Optional[Node]) -> _Graph:
    nodes = graph_nodes(roots)
    nodes.sort(key=lambda n: n.seq)                 # deterministic: creation order
    nid = {n: f"n{i}" for i, n in enumerate(nodes)}
    root_nodes = {r.grad_fn for r in roots if r.grad_fn is not None}
    nmap = _names_map(names)
    auto: Dict[int, str] = {}
    G = _Graph()
    leaf_ids: Dict[int, str] = {}
    const_count = 0

    def grad_of(n: Node):
        if known is not None and n not in known:
            return None
        return n.grad

    for n in nodes:
        attrs = ", ".join(f"{k}={_fmt_attr(v)}" for k, v in n.attrs.items()
                          if k != "index" and v is not None and v is not False) if n.attrs else ""
        if "index" in n.attrs:
            attrs = (attrs + ", " if attrs else "") + "index=[…]"
        lines = [n.op.name + (f"({attrs})" if attrs else "")]
        out = n.out
        if show_shapes and out is not None:
            lines.append(_shape_str(np.shape(out), np.asarray(out).dtype))
        if show_values and out is not None:
            lines.append("value " + _fmt_array(out, small))
        g = grad_of(n)
        if show_grads and g is not None:
            lines.append("grad " + _fmt_grad(g, small))
        fill, tip = _OP, n.op.doc or n.op.name
        if n in root_nodes:
            fill = _ROOT
        if grad_health:
            hf, tip = _health(g)
            fill = hf or "white"
        pen = "1"
        if n in failing:
            fill, pen = _RED, "3"
            lines.append(f"vjp check FAILED (err {failing[n]:.2g})")
            tip = f"finite-difference check of this op's vjp failed: worst error {failing[n]:.3g}"
        if highlight is not None and n is highlight:
            fill, pen = _HIGHLIGHT, "3"
        G.items[nid[n]] = _Item(nid[n], "op", _NL.join(lines), n.scope, fill, "box",
                                "filled,rounded", tip, pen, g)
        inputs = n.inputs
        for i, p in enumerate(n.parents):
            x = inputs[i] if inputs is not None else None
            eshape = _shape_str(x.shape, x.dtype) if (show_shapes and x is not None) else ""
            elabel = f"{i}: {eshape}" if len(n.parents) > 1 else eshape
            if isinstance(p, Node):
                G.edges.append((nid[p], nid[n], elabel))
            elif isinstance(p, Tensor):
                key = id(p)
                if key not in leaf_ids:
                    lid = f"l{len(leaf_ids)}"
                    leaf_ids[key] = lid
                    ll = [_leaf_name(p, nmap, auto)]
                    if show_shapes:
                        ll.append(_shape_str(p.shape, p.dtype))
                    if show_values:
                        ll.append("value " + _fmt_array(p.data, small))
                    lg = p.grad.data if (p.grad is not None and known is None) else None
                    if show_grads and lg is not None:
                        ll.append("grad " + _fmt_grad(lg, small))
                    fill = _LEAF
                    tip = "leaf (requires grad)"
                    if grad_health:
                        hf, tip = _health(lg)
                        fill = hf or "white"
                    G.items[lid] = _Item(lid, "leaf", _NL.join(ll), n.scope, fill, "box",
                                         "filled", tip, "1", lg)
                G.edges.append((leaf_ids[key], nid[n], elabel))
            elif x is not None:
                cid = f"c{const_count}"
                const_count += 1
                nm = nmap.get(id(x)) or x.name
                cl = [nm or "const"]
                if show_shapes and x.ndim:
                    cl.append(_shape_str(x.shape, x.dtype))
                if show_values:
                    cl.append(_fmt_array(x.data, small))
                G.items[cid] = _Item(cid, "const", _NL.join(cl), n.scope, _CONST, "box",
                                     "filled,dashed", "constant (no gradient)", "1")
                G.edges.append((cid, nid[n], elabel))
    return G


def _collapse(G: _Graph, depth: int) -> _Graph:
    """Merge every item whose scope is deeper than ``depth`` into one node per scope prefix."""
    group_of: Dict[str, str] = {}
    groups: Dict[tuple, _Item] = {}
    counts: Dict[tuple, int] = {}
    for it in G.items.values():
        if len(it.scope) > depth:
            key = it.scope[:depth + 1]
            counts[key] = counts.get(key, 0) + (it.kind == "op")
            if key not in groups:
                gid = "g" + str(len(groups))
                groups[key] = _Item(gid, "group", "", key[:-1], "#d9ead3", "box3d", "filled",
                                    "/".join(key), "1")
            group_of[it.id] = groups[key].id
    out = _Graph()
    for it in G.items.values():
        if it.id not in group_of:
            out.items[it.id] = it
    for key, gi in groups.items():
        gi.label = f"{key[-1]}{_NL}{counts[key]} ops"
        out.items[gi.id] = gi
    seen = set()
    for a, b, lab in G.edges:
        a2, b2 = group_of.get(a, a), group_of.get(b, b)
        if a2 == b2:
            continue
        if (a2, b2) in seen:
            continue
        seen.add((a2, b2))
        out.edges.append((a2, b2, lab if (a2 == a and b2 == b) else ""))
    return out


def _limit(G: _Graph, max_nodes: int, order: List[str]) -> _Graph:
    """Keep the ``max_nodes`` items nearest the outputs; summarise the rest in one node."""
    if len(G.items) <= max_nodes:
        return G
    keep = set(order[:max_nodes])
    dropped = [i for i in G.items if i not in keep]
    out = _Graph({k: v for k, v in G.items.items() if k in keep})
    n_ops = sum(1 for i in dropped if G.items[i].kind == "op")
    more = _Item("more", "more",
                 f"… {len(dropped)} more nodes ({n_ops} ops) not shown{_NL}"
                 f"use collapse=True or a larger max_nodes", (), "white", "note", "filled",
                 "graph cut by max_nodes", "1")
    out.items["more"] = more
    seen = set()
    for a, b, lab in G.edges:
        if a in keep and b in keep:
            out.edges.append((a, b, lab))
        elif b in keep and ("more", b) not in seen:
            seen.add(("more", b))
            out.edges.append(("more", b, ""))
    return out


# --------------------------------------------------------------------------- output
class Drawing(_gv.Digraph if _gv is not None else object):  # type: ignore[misc]
    """A graphviz.Digraph whose rendering errors say how to install Graphviz."""

    def _guard(self, fn, *a, **k):
        try:
            return fn(*a, **k)
        except _gv.ExecutableNotFound:
            raise RuntimeError(_INSTALL_HINT) from None

    def render(self, *a, **k):
        return self._guard(super().render, *a, **k)

    def pipe(self, *a, **k):
        return self._guard(super().pipe, *a, **k)


def _emit(G: _Graph, rankdir: str, legend: bool, title: Optional[str]) -> "Drawing":
    if _gv is None:
        raise RuntimeError("the graphviz Python package is missing: pip install graphviz")
    d = Drawing("tapegrad", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                        "fontsize": "10", "newrank": "true"},
                node_attr={"fontname": "Helvetica", "fontsize": "10"},
                edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#666666"})
    if title:
        d.attr(label=title, labelloc="t", fontsize="12")
    # nest items into clusters by scope path
    tree: Dict[tuple, List[_Item]] = {}
    for it in G.items.values():
        tree.setdefault(it.scope, []).append(it)
    scopes = sorted(tree, key=lambda s: (len(s), s))
    all_paths = set()
    for s in scopes:
        for k in range(1, len(s) + 1):
            all_paths.add(s[:k])

    def node_args(it: _Item) -> Dict[str, str]:
        a = {"label": it.label, "shape": it.shape, "style": it.style, "penwidth": it.penwidth}
        if it.fill:
            a["fillcolor"] = it.fill
            a["fontcolor"] = _text_color(it.fill)
        if it.tooltip:
            a["tooltip"] = it.tooltip
        return a

    def emit_scope(graph, path: tuple) -> None:
        for it in tree.get(path, []):
            graph.node(it.id, **node_args(it))
        children = sorted(p for p in all_paths if len(p) == len(path) + 1 and p[:len(path)] == path)
        for ch in children:
            with graph.subgraph(name="cluster_" + "__".join(ch)) as sub:
                sub.attr(label=ch[-1], style="rounded,dashed", color="#999999", fontsize="10")
                emit_scope(sub, ch)

    emit_scope(d, ())
    for a, b, lab in G.edges:
        if lab:
            d.edge(a, b, label=lab)
        else:
            d.edge(a, b)
    if legend:
        with d.subgraph(name="cluster_legend") as lg:
            lg.attr(label="gradient health: mean |grad|", style="rounded", color="#999999")
            prev = None
            for k, col in enumerate(_PALETTE):
                lo = _HEALTH_LO + k * (_HEALTH_HI - _HEALTH_LO) / len(_PALETTE)
                lid = f"legend{k}"
                lg.node(lid, label=f"1e{lo:.0f}", shape="box", style="filled", fillcolor=col,
                        fontcolor=_text_color(col))
                if prev:
                    lg.edge(prev, lid, style="invis")
                prev = lid
            lg.node("legend_nan", label="NaN/Inf", shape="box", style="filled", fillcolor=_RED)
            lg.node("legend_zero", label="all zero", shape="box", style="filled", fillcolor=_GREY)
            lg.edge(prev, "legend_nan", style="invis")
            lg.edge("legend_nan", "legend_zero", style="invis")
    return d


def draw(roots: Union[Tensor, Sequence[Tensor]], *, names=None, show_values: bool = True,
         show_grads: bool = True, show_shapes: bool = True, small: int = 6,
         collapse: Union[None, bool, int] = None, max_nodes: Optional[int] = None,
         grad_health: bool = False, blame: Optional[Sequence["BlameReport"]] = None,
         rankdir: str = "LR", title: Optional[str] = None, _known=None,
         _highlight=None) -> "Drawing":
    """The forward graph of ``roots`` as a ``graphviz.Digraph``.

    ``names``: a module (its ``named_parameters()``), a dict name -> tensor, or pairs,
    naming leaves (else ``tensor.name``, else x0, x1, ...). ``collapse``: True folds every
    submodule of the top module into one node, an int k folds scopes deeper than k.
    ``max_nodes`` keeps the nodes nearest the outputs and summarises the rest.
    ``grad_health`` colours nodes by log10 mean |grad| (legend included), NaN/Inf red,
    all-zero grey. ``blame`` (from :func:`blame`) marks ops whose vjp failed in red.
    """
    rs = [roots] if isinstance(roots, Tensor) else list(roots)
    failing = {r.node: r.error for r in (blame or []) if not r.ok}
    G = _build(rs, names, show_values, show_grads, show_shapes, small, grad_health, failing,
               _known, _highlight)
    if collapse:
        depth = 1 if collapse is True else int(collapse)
        G = _collapse(G, depth)
    if max_nodes is not None:
        order = _distance_order(G)
        G = _limit(G, max_nodes, order)
    return _emit(G, rankdir, grad_health, title)


def _distance_order(G: _Graph) -> List[str]:
    """Item ids ordered by distance from the outputs (breadth-first on reversed edges)."""
    into: Dict[str, List[str]] = {}
    outdeg: Dict[str, int] = {k: 0 for k in G.items}
    for a, b, _ in G.edges:
        into.setdefault(b, []).append(a)
        outdeg[a] = outdeg.get(a, 0) + 1
    frontier = [k for k in G.items if outdeg.get(k, 0) == 0]
    seen = set(frontier)
    order = list(frontier)
    while frontier:
        nxt = []
        for k in frontier:
            for a in into.get(k, []):
                if a not in seen:
                    seen.add(a)
                    nxt.append(a)
                    order.append(a)
        frontier = nxt
    order += [k for k in G.items if k not in seen]
    return order


def to_dot(roots: Union[Tensor, Sequence[Tensor]], **kw) -> str:
    """The DOT source of :func:`draw` (needs no Graphviz binaries)."""
    return draw(roots, **kw).source


# --------------------------------------------------------------------------- blame
@dataclass
class BlameReport:
    """The finite-difference check of one recorded node's vjp."""

    node: Node
    name: str
    seq: int
    ok: bool
    error: float
    slots: Dict[int, float]
    skipped: str = ""

    def __repr__(self) -> str:
        st = "ok" if self.ok else "FAIL"
        return f"<blame {self.name}#{self.seq} {st} err={self.error:.3g}{' ' + self.skipped if self.skipped else ''}>"


def blame(roots: Union[Tensor, Sequence[Tensor]], eps: float = 1e-6, atol: float = 1e-5,
          rtol: float = 1e-3, directions: int = 3, seed: int = 0) -> List[BlameReport]:
    """Check every recorded node's vjp against central differences of its own forward.

    For each node and each input slot with an edge: with a random upstream gradient g and
    random directions u, compare <vjp(g), u> with (<g, f(x + eps u)> - <g, f(x - eps u)>) /
    (2 eps), in float64 on the node's saved inputs. The graph must still hold its saved
    values (before backward, or after backward(retain_graph=True)). Returns one report per
    node in creation order; ``ok`` is False where some slot's error exceeds
    ``atol + rtol * |numerical|``.
    """
    rs = [roots] if isinstance(roots, Tensor) else list(roots)
    rng = np.random.default_rng(seed)
    reports = []
    nodes = sorted(graph_nodes(rs), key=lambda n: n.seq)
    for n in nodes:
        if n.inputs is None or n.op.forward is None:
            reports.append(BlameReport(n, n.op.name, n.seq, True, 0.0, {}, "skipped: values freed"))
            continue
        xs = [np.array(t.data, dtype=np.float64) if t.dtype.kind == "f" else np.array(t.data)
              for t in n.inputs]
        attrs = n.attrs

        def f(*arrs):
            with no_grad(), np.errstate(all="ignore"):
                return np.asarray(n.op.forward(*arrs, **attrs), dtype=np.float64)

        try:
            out = f(*xs)
        except Exception as exc:  # pragma: no cover - reported, not raised
            reports.append(BlameReport(n, n.op.name, n.seq, True, 0.0, {}, f"skipped: {exc}"))
            continue
        g = rng.standard_normal(out.shape)
        slots = {}
        worst = 0.0
        ok = True
        for i, p in enumerate(n.parents):
            if p is None or xs[i].dtype.kind != "f":
                continue
            with np.errstate(all="ignore"):
                gi = n.op.vjps[i](NP, g, out, *[x if x.ndim else x[()] for x in xs], **attrs)
            if gi is None:
                gi = np.zeros(xs[i].shape)
            gi = np.asarray(gi, dtype=np.float64)
            if gi.shape != xs[i].shape:
                gi = sum_to_array(gi, xs[i].shape)
            err_slot = 0.0
            for _ in range(directions):
                u = rng.standard_normal(xs[i].shape)
                plus = list(xs)
                minus = list(xs)
                plus[i] = xs[i] + eps * u
                minus[i] = xs[i] - eps * u
                num = float(np.sum(g * (f(*plus) - f(*minus)))) / (2 * eps)
                ana = float(np.sum(gi * u))
                err = abs(ana - num)
                if not np.isfinite(err) and not (np.isnan(ana) and np.isnan(num)):
                    err = np.inf
                if err > atol + rtol * abs(num):
                    ok = False
                err_slot = max(err_slot, err if np.isfinite(err) else np.inf)
            slots[i] = err_slot
            worst = max(worst, err_slot)
        reports.append(BlameReport(n, n.op.name, n.seq, ok, worst, slots))
    return reports


# --------------------------------------------------------------------------- walkthrough
def walkthrough(loss: Tensor, out_dir: str, *, names=None, fmt: str = "svg", **draw_kw) -> str:
    """Write the backward pass frame by frame: ``frame_000.svg`` (forward values only),
    then one frame per node in the order backward visits them, the current node
    highlighted and the gradients known so far shown; plus ``walkthrough.html``, one
    self-contained page with a slider. Returns the HTML path. Needs Graphviz's ``dot``.
    The loss's graph is kept (backward runs with retain_graph=True)."""
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
