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

The package: ``labels`` (text and colours), ``model`` (the graph model: build, collapse,
limit), ``dot`` (DOT output, ``draw``, ``to_dot``), ``walk`` (``record``,
``walkthrough``); ``blame`` and ``BlameReport`` live in ``autograd.gradcheck`` beside
the other finite-difference checks and are re-exported here.
"""
from __future__ import annotations

from ..gradcheck import BlameReport, blame
from .dot import Drawing, draw, to_dot
from .walk import record, walkthrough

__all__ = ["to_dot", "draw", "blame", "BlameReport", "walkthrough", "record", "Drawing"]
