"""The backward pass frame by frame (``walkthrough``) and ``record``, the backward that
keeps every node's output gradient for a drawing."""
from __future__ import annotations

import os
import shutil
from typing import Any, List, Optional

from ..engine import graph_nodes
from ..tape import record_grads
from ..tensor import Tensor
from .dot import _INSTALL_HINT, draw


def record(loss: Tensor, gradient: Optional[Any] = None) -> None:
    """Run ``loss.backward(gradient, retain_graph=True)`` recording the gradient that
    reaches each node's output (``node.grad``), so a drawing shows values and gradients
    on every node and edge: the one-liner before ``draw``. Leaf ``.grad`` accumulates
    as in any backward.

        >>> import autograd as ag
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> y = (x.exp() * 2).sum()
        >>> ag.viz.record(y)
        >>> y.grad_fn.grad is not None, [round(g, 3) for g in x.grad.tolist()]   # 2 e^x
        (True, [5.437, 14.778])
    """
    with record_grads():
        loss.backward(gradient, retain_graph=True)


def walkthrough(loss: Tensor, out_dir: str, *, names=None, **draw_kw: Any) -> str:
    """Write the backward pass frame by frame: ``frame_000.svg`` (forward values only),
    then one frame per node in the order backward visits them (reverse creation order),
    the current node highlighted and the gradients known so far shown (an op's once it
    has been visited, a leaf's once all its users have); plus ``walkthrough.html``, one
    self-contained page with a slider. Returns the HTML path. Needs Graphviz's ``dot``.
    Runs ``loss.backward(retain_graph=True)`` once, so leaf ``.grad`` accumulates as in
    any backward and the graph is kept. ``draw_kw`` are :func:`draw`'s options.

        >>> import tempfile, autograd as ag
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> page = ag.viz.walkthrough((x * x).sum(), tempfile.mkdtemp())
        >>> page.endswith("walkthrough.html")
        True
    """
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
