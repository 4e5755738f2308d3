"""DOT output: the model written as DOT text into a :class:`Drawing` (``_emit``), and the
public ``draw`` / ``to_dot`` that build, fold, cut and emit it."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..gradcheck import BlameReport
from ..tensor import Tensor
from .labels import _GREY, _HEALTH_RANGE, _NL, _PALETTE, _RED, _auto_range, _text_color
from .model import _Graph, _Item, _build, _collapse, _limit

try:
    import graphviz as _gv
except ImportError:  # pragma: no cover - graphviz is a dependency
    _gv = None

_INSTALL_HINT = ("the Graphviz 'dot' program is needed to render drawings; install it "
                 "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
                 "conda: conda install graphviz). to_dot() works without it.")


class Drawing(_gv.Digraph if _gv is not None else object):  # type: ignore[misc]
    """A ``graphviz.Digraph`` whose rendering errors say how to install Graphviz.

        >>> import autograd as ag
        >>> d = ag.viz.draw(ag.tensor(1.0, requires_grad=True).exp())
        >>> type(d).__name__, d.source.count(" -> ")
        ('Drawing', 1)
    """

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


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _legend_table(legend: Tuple[float, float], title: Optional[str]) -> str:
    """The title and the colour scale as one HTML-like table, the drawing's label (above
    it, so the legend never widens the drawing): one cell per decade bin of the palette
    (ids ``legend0`` ... ``legend8``), then NaN/Inf and all-zero (``legend_nan``,
    ``legend_zero``)."""
    lo, hi = legend
    w = (hi - lo) / len(_PALETTE)
    cells = []
    for k, col in enumerate(_PALETTE):
        a, b = _decade(lo + k * w), _decade(lo + (k + 1) * w)
        label = f"< {b}" if k == 0 else (f"≥ {a}" if k == len(_PALETTE) - 1 else f"{a} – {b}")
        cells.append((f"legend{k}", col, label))
    cells += [("legend_nan", _RED, "NaN/Inf"), ("legend_zero", _GREY, "all zero")]
    row = "".join(f'<td id="{i}" bgcolor="{c}" border="1"><font color="{_text_color(c)}" '
                  f'point-size="8">{_html(t)}</font></td>' for i, c, t in cells)
    head = (f'<tr><td colspan="{len(cells)}"><font point-size="12">{_html(title)}</font></td></tr>'
            if title else "")
    scale = (f'<tr><td colspan="{len(cells)}"><font point-size="9">gradient scale: mean |grad| '
             f'/ mean |value| of each tensor (log10, one decade per colour; light = vanishing)'
             f'</font></td></tr>')
    return f'<table border="0" cellspacing="2" cellpadding="3">{head}{scale}<tr>{row}</tr></table>'


def _emit(G: _Graph, rankdir: str, legend: Optional[Tuple[float, float]],
          title: Optional[str], max_width: Optional[float] = None) -> "Drawing":
    """Write the model as DOT into a :class:`Drawing`: items nested in one cluster per
    scope path (``cluster_<scope>__<subscope>``), edges after all nodes, then the legend.
    The text is written directly (not through graphviz's per-call quoting, which costs
    about as much as building the model) so a 10,000-node graph exports fast."""
    if _gv is None:
        raise RuntimeError("the graphviz Python package is missing: pip install graphviz")
    gattr = {"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "10", "newrank": "true"}
    if max_width is not None:               # Graphviz scales a wider drawing down to fit
        gattr["size"] = f"{max_width / 72:.4g},1000"
    d = Drawing("tapegrad", graph_attr=gattr,
                node_attr={"fontname": "Helvetica", "fontsize": "10"},
                edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#666666"})
    body = d.body
    if title and not legend:
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
        body.append(f"\tlabelloc=t fontsize=12 label=<{_legend_table(legend, title)}>\n")
    return d


def draw(roots: Union[Tensor, Sequence[Tensor]], *, names=None, show_values: bool = True,
         show_grads: bool = True, show_shapes: bool = True, small: int = 6,
         collapse: Union[None, bool, int] = None, max_nodes: Optional[int] = None,
         grad_health: bool = False,
         health_range: Union[None, str, Tuple[float, float]] = None,
         blame: Optional[Sequence["BlameReport"]] = None,
         rankdir: str = "TB", title: Optional[str] = None,
         max_width: Optional[float] = 1000.0, _known=None,
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
    ``collapse=0`` folds each top-level scope; a module without submodules called on its
    own (a loss) is one node as well. ``max_nodes`` keeps the ops, leaves and
    groups nearest the outputs (constants go with their op) and summarises the rest in
    one node. ``grad_health`` colours nodes by the gradient scale
    r = mean |grad| / mean |value| of the tensor (a parameter's gradient relative to the
    parameter, an op's relative to its output: a small r is a vanishing gradient whatever
    the units), on log10 with a sequential palette (light: small, dark: large; legend
    included), NaN/Inf red, all-zero grey; ``health_range`` = (lo, hi) in log10 sets the
    scale (default (-8, 1): one decade per colour, the same in every drawing), "auto"
    spans the drawn ratios. A collapsed group is coloured by its parameters (pooled),
    or by its output op when it has none. ``blame`` (the
    reports of :func:`autograd.gradcheck.blame`) marks ops whose vjp failed in red with
    their worst error. ``rankdir`` is the layout direction (default "TB", top to
    bottom: long chains run down the page); ``max_width`` (points, default 1000, about a
    notebook cell's width; None for no limit) scales a wider drawing down to fit. The
    same graph always gives the same DOT.

        >>> import autograd as ag
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> loss = (x * x).sum()
        >>> ag.viz.record(loss)
        >>> d = ag.viz.draw(loss, grad_health=True)           # d.render("g", format="svg")
        >>> "mul" in d.source and "rankdir=TB" in d.source
        True
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
    return _emit(G, rankdir, hr, title, max_width)


def to_dot(roots: Union[Tensor, Sequence[Tensor]], **kw: Any) -> str:
    """The DOT source of :func:`draw` (same options; needs no Graphviz binaries).

        >>> import autograd as ag
        >>> x = ag.tensor(0.5, requires_grad=True, name="x")
        >>> ag.viz.to_dot(x.tanh()).startswith("digraph tapegrad")
        True
    """
    return draw(roots, **kw).source
