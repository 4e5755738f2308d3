"""``autograd.functional``: jacobian, hessian, vjp, jvp of Python functions of Tensors.

All are built on ``grad``: a Jacobian row is one vector-Jacobian product, a Hessian
is the Jacobian of the gradient (``create_graph=True``), and ``jvp`` uses the
double-vjp trick: J v = d/du [ (u^T J) v ] for a dummy cotangent u.
"""
from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

from .engine import grad
from .ops.shape import reshape, stack
from .tensor import Tensor, as_tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp"]


def _prep(inputs) -> Tuple[Tuple[Tensor, ...], bool]:
    single = isinstance(inputs, Tensor)
    xs = (inputs,) if single else tuple(inputs)
    return tuple(Tensor._wrap(x._arr).requires_grad_() if x.dtype.kind == "f" else x
                 for x in map(as_tensor, xs)), single


def _call(f, xs):
    out = f(*xs)
    single = isinstance(out, Tensor)
    return ((out,) if single else tuple(out)), single


def _zeros_if_none(g, x, create_graph):
    return g if g is not None else Tensor._wrap(np.zeros(x.shape, dtype=x.dtype))


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the outputs and the vector-Jacobian product.

        >>> import autograd as ag
        >>> from autograd.functional import vjp
        >>> out, g = vjp(lambda t: t * t, ag.tensor([1.0, 2.0]), ag.tensor([1.0, 1.0]))
        >>> g.tolist()                                           # v^T J = 2 x
        [2.0, 4.0]
    """
    xs, single_in = _prep(inputs)
    outs, single_out = _call(func, xs)
    vs = (v,) if (single_out and v is not None and not isinstance(v, (list, tuple))) else v
    if vs is None:
        vs = [None] * len(outs)
    live = [(o, vv) for o, vv in zip(outs, vs) if o.requires_grad]
    if live:
        gs = grad([o for o, _ in live], list(xs), [vv for _, vv in live],
                  create_graph=create_graph, allow_unused=True)
    else:
        gs = (None,) * len(xs)
    gs = tuple(_zeros_if_none(g, x, create_graph) for g, x in zip(gs, xs))
    outs_d = tuple(o if create_graph else o.detach() for o in outs)
    return (outs_d[0] if single_out else outs_d), (gs[0] if single_in else gs)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product via the double-vjp trick.

        >>> import autograd as ag
        >>> from autograd.functional import jvp
        >>> out, t = jvp(lambda x: x * x, ag.tensor([1.0, 2.0]), ag.tensor([1.0, 0.0]))
        >>> t.tolist()                                           # J v = 2 x * v
        [2.0, 0.0]
    """
    xs, single_in = _prep(inputs)
    if v is None:
        if any(x.numel() != 1 for x in xs):
            raise RuntimeError("jvp: v can be omitted only when every input has one element")
        v = tuple(Tensor._wrap(np.ones(x.shape, dtype=x.dtype)) for x in xs)
    vs = (v,) if single_in and not isinstance(v, (list, tuple)) else tuple(v)
    vs = tuple(as_tensor(vv) for vv in vs)
    outs, single_out = _call(func, xs)
    us = [Tensor._wrap(np.zeros(o.shape, dtype=o.dtype)).requires_grad_() for o in outs]
    live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
    res = []
    if live:
        gx = grad([o for o, _ in live], list(xs), [u for _, u in live], create_graph=True,
                  allow_unused=True)
        pairs = [(g, vv) for g, vv in zip(gx, vs) if g is not None and g.requires_grad]
        if pairs:
            jv = grad([g for g, _ in pairs], [u for _, u in live], [vv for _, vv in pairs],
                      create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(live)
        it = iter(jv)
        for o in outs:
            r = next(it) if o.requires_grad else None
            res.append(_zeros_if_none(r, o, create_graph))
    else:
        res = [Tensor._wrap(np.zeros(o.shape, dtype=o.dtype)) for o in outs]
    outs_d = tuple(o if create_graph else o.detach() for o in outs)
    res = tuple(r if create_graph else r.detach() for r in res)
    return (outs_d[0] if single_out else outs_d), (res[0] if single_out else res)


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False):
    """The Jacobian d func / d inputs, one row (a vjp with a one-hot vector) at a time.

    Shapes follow PyTorch: ``out.shape + in.shape``; tuples of tuples for several
    outputs/inputs.

        >>> import autograd as ag
        >>> from autograd.functional import jacobian
        >>> jacobian(lambda x: x * x, ag.tensor([1.0, 2.0])).tolist()     # diag(2 x)
        [[2.0, 0.0], [0.0, 4.0]]
    """
    xs, single_in = _prep(inputs)
    outs, single_out = _call(func, xs)
    result = []
    for o in outs:
        rows = [np.zeros(o.shape + x.shape, dtype=x.dtype) for x in xs]
        rows_t: list = [[] for _ in xs]
        for j in range(o.numel()):
            idx = np.unravel_index(j, o.shape) if o.shape else ()
            if o.requires_grad:
                seed = np.zeros(o.shape, dtype=o.dtype)
                seed[tuple(idx)] = 1.0
                gs = grad([o], list(xs), [seed], retain_graph=True, create_graph=create_graph,
                          allow_unused=True)
            else:
                gs = (None,) * len(xs)
            for i, (g, x) in enumerate(zip(gs, xs)):
                if create_graph:
                    rows_t[i].append(_zeros_if_none(g, x, True))
                elif g is not None:
                    rows[i][tuple(idx)] = g._arr
        if create_graph:

            per_in = tuple(reshape(stack(r), o.shape + x.shape) if r else
                           Tensor._wrap(np.zeros(o.shape + x.shape, dtype=x.dtype))
                           for r, x in zip(rows_t, xs))
        else:
            per_in = tuple(Tensor._wrap(r) for r in rows)
        result.append(per_in[0] if single_in else per_in)
    return result[0] if single_out else tuple(result)


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False):
    """The Hessian of a scalar function: the Jacobian of its gradient.

        >>> import autograd as ag
        >>> from autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), ag.tensor([1.0, 2.0])).tolist()   # diag(6 x)
        [[6.0, 0.0], [0.0, 12.0]]
    """
    xs, single_in = _prep(inputs)

    def gradient(*args):
        out = func(*args)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("hessian: the function must return a single-element tensor")
        gs = grad([out], list(args), create_graph=True, allow_unused=True)
        return tuple(_zeros_if_none(g, x, True) for g, x in zip(gs, args))

    h = jacobian(gradient, xs, create_graph=create_graph)
    if single_in:
        return h[0][0]
    return h
