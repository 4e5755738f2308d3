"""The drawing model: one item per op, leaf and constant of the recorded graph and one
edge per argument slot (``_build``), then optionally folded by name scope (``_collapse``)
or cut to the nodes nearest the outputs (``_limit``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..engine import graph_nodes, node_vjps
from ..tape import Node, no_grad
from ..tensor import Tensor
from .labels import (_CONST, _GROUP, _LEAF, _NL, _OP, _RED, _ROOT, _HIGHLIGHT, _fmt_array,
                     _fmt_grad, _health, _op_label, _shape_str)


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
    value: Optional[np.ndarray] = None  # what the gradient scale compares the grad with
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
        if getattr(out, "freed", False):  # a freed node keeps only shapes (engine._free)
            out = None
        if show_shapes and out is not None:
            lines.append(_shape_str(np.shape(out), out.dtype))
        if show_values:
            lines.append("value " + _fmt_array(out, small))
        g = n.grad if (known is None or n in known) else None
        if show_grads and g is not None:
            lines.append("grad " + _fmt_grad(g, small))
        fill, tip = (_ROOT if n in root_nodes else _OP), (n.op.doc or n.op.name)
        if grad_health:
            hf, tip = _health(g, grad_health, out)
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
                          out, failed=n in failing)
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
                    cl.append(_fmt_array(x._arr, small))
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
        ll.append("value " + _fmt_array(p._arr, small))
    lg = p.grad._arr if (p.grad is not None and grads_known) else None
    if show_grads and lg is not None:
        ll.append("grad " + _fmt_grad(lg, small))
    fill, tip = _LEAF, ("leaf (requires grad)" if p.requires_grad else "leaf")
    if grad_health:
        hf, tip = _health(lg, grad_health, p._d)
        fill = hf or "white"
    return _Item(lid, "leaf", ll, scope, fill, "box", "filled", tip, "1", lg, p._d)


def _group_health(members: List[_Item], hr: Tuple[float, float]) -> Tuple[Optional[str], str]:
    """A collapsed group's health: its leaves' gradients (its parameters) when it has
    any, else its output op's (the last one recorded) gradient; the gradient scale
    compares them with the same tensors' values, all their elements pooled."""
    pool = [m for m in members if m.kind == "leaf" and m.grad is not None]
    if not pool:
        pool = [m for m in members if m.kind == "op" and m.grad is not None][-1:]
    if not pool:
        return None, "no gradient"

    def cat(arrays):
        return np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays])

    values = [m.value for m in pool]
    ref = cat(values) if all(v is not None for v in values) else None
    return _health(cat([m.grad for m in pool]), hr, ref)


def _collapse(G: _Graph, depth: int, grad_health: Optional[Tuple[float, float]]) -> _Graph:
    """Merge every item whose scope path is longer than ``depth`` into one group node
    per scope prefix of length ``depth + 1`` (the group sits in the cluster of its first
    ``depth`` scopes); a scope without sub-scopes at depth <= ``depth`` (a leaf module
    called on its own, such as a loss) becomes one group too. Edges inside a group vanish; parallel edges between the same two
    items are merged (the first one's label, a tensor shape, is kept)."""
    group_of: Dict[str, str] = {}
    groups: Dict[tuple, _Item] = {}
    members: Dict[tuple, List[_Item]] = {}
    # a scope with no sub-scopes (a leaf module such as a loss) at depth <= ``depth`` is
    # folded too: it is one box like the modules beside it, not a cluster of loose ops
    parents = {it.scope[:k] for it in G.items.values() for k in range(len(it.scope))}
    for it in G.items.values():
        if len(it.scope) > depth or (it.scope and it.scope not in parents):
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
