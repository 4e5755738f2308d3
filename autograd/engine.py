"""backward(): ordering, vjp calls, accumulation, un-broadcasting, freeing.

How the walk works
------------------
``graph_nodes(roots)`` collects every node reachable from the roots with an explicit
stack (never recursion: a 1,000,000-node chain is fine at the default recursion
limit) and returns them in reverse creation order. Every op is recorded after its
inputs exist, so reverse creation order is a topological order: when a node is
visited, every consumer of its output has already sent its gradient. This is the
only graph traversal in the code base; the drawing code and the per-node gradient
check call it too.

One backward (or grad) call is one :class:`_Pass`: one loop over the nodes, for both
backends. For each visited node it pops the summed gradient of its output, runs the
tensor hooks, calls the vjp of each input slot that has an edge (``parents[i]``),
reduces the result to that input's exact shape and dtype in one place (``_conform``:
``sum_to``, undoing NumPy broadcasting), and adds it to the gradient of the parent (a
node, or a leaf tensor). ``node_vjps`` is the same replay for one node, used by the
drawing code (edge gradients) and by ``blame``. Leaves get their ``.grad`` at the end. Unless ``retain_graph`` is set, each
visited node's saved values are released as soon as its vjps have run, so memory
falls during backward and intermediates die by reference counting alone.

How backward stays differentiable without slowing the plain path
-----------------------------------------------------------------
Every vjp is written once against a backend ``F`` (``registry.NP`` / ``registry.TG``,
whose functions are declared beside their ops). With ``create_graph=False`` (training) the engine passes raw NumPy
arrays and ``F = NP``: no Tensor is created and nothing is recorded, so the plain
path costs one Python call and the NumPy work per input. With ``create_graph=True``
the engine passes the saved input Tensors, the output Tensor and ``F = TG``, whose
functions are the registered ops themselves, with grad mode on: the backward pass is
recorded like any forward and can be differentiated again, to any order.

Why this and not the alternatives: writing every derivative twice (NumPy and Tensor)
doubles the code and lets the two drift apart; always running backward on Tensors
(as micrograd does) costs a Tensor, a node and a dispatch per vjp on every training
step. One formula, two backends keeps a single source of truth and leaves the hot
path on NumPy. The decision is taken in exactly one place: ``_Pass._walk`` chooses the
backend once per backward call. A backward that is hard to express in the formula's
vocabulary (the conv input gradient, the max-pool scatter, ...) is a primitive op of
its own (``defop(..., backend=True)``, called as ``F.<name>``), so no vjp ever asks
which backend it runs on.

Cost model and the cyclic GC
----------------------------
A recorded op costs about 2 us of Python on top of its NumPy work (one Tensor, one
Node, two small tuples): measured on W3 (1,000 elementwise ops on 16 floats), the
forward takes 1.5 us per op (1.0 us under ``no_grad``: recording is the other 0.5 us)
and the walk 1.5 us per node, the vjp's NumPy call included. 0-d values are kept
as NumPy scalars because scalar arithmetic is several times faster than 0-d array
arithmetic. The graph never contains reference cycles, so it is freed by reference
counting alone; CPython's cyclic GC still rescans the live graph as it grows (full
collections over the whole graph), which costs another 1-4 us per op while a graph of
10^5+ nodes is being built (W5's 100,000 adds: 3.1 us per add forward with the GC on,
1.0 us with it off). The engine pauses the cyclic GC while backward
runs (it creates no cycles there); during the forward, which is user code, it leaves
the GC alone. Users who build huge scalar graphs can do the same
(``gc.disable()``/``gc.freeze()`` around graph construction) for a 2x faster forward.

Gradients never alias: a gradient that reaches a leaf is copied unless the engine
created the array itself (the pass's ``owned`` set), and accumulation into an
existing ``.grad`` happens in place only on a buffer the engine owns.
"""
from __future__ import annotations

import gc
import operator
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .ops._util import sum_to_array
from .ops.elementwise import clone
from .freeing import free_saved as _free
from .registry import NP, TG, method
from .tape import INPLACE, STATE, Node
from .tensor import Tensor, as_tensor

__all__ = ["backward", "grad", "graph_nodes"]

_ndarray = np.ndarray
_generic = np.generic


def graph_nodes(roots: Iterable[Union[Tensor, Node]]) -> List[Node]:
    """All nodes reachable from ``roots`` (tensors or nodes), in reverse creation order.

    Iterative depth-first collection; the result is sorted by creation sequence
    (descending), which is a valid topological order for backward.

    >>> import autograd as ag
    >>> x = ag.tensor([1., 2.], requires_grad=True)
    >>> y = (x * 2).exp().sum()
    >>> [n.op.name for n in ag.graph_nodes([y])]
    ['sum', 'exp', 'mul']
    """
    stack: List[Node] = []
    for r in roots:
        node = r.grad_fn if isinstance(r, Tensor) else r
        if node is not None:
            stack.append(node)
    seen = set(stack)
    add, push, pop = seen.add, stack.append, stack.pop  # bound once: 0.15 us a node, not 0.33
    while stack:
        for p in pop().parents:
            if type(p) is Node and p not in seen:
                add(p)
                push(p)
    return sorted(seen, key=_seq_key, reverse=True)  # attrgetter: no Python frame per node


_seq_key = operator.attrgetter("seq")


def _freed_error(node: Node) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time (or directly access saved "
        f"tensors after they have already been freed): the values saved by "
        f"`{node.op.name}` (node #{node.seq}, {node.name()}) were freed after the first "
        f"backward. Specify retain_graph=True if you need to backward through the graph a "
        f"second time or if you need to access saved tensors after calling backward.")


def _check_versions(node: Node) -> None:
    stamp = node.stamp
    op = node.op
    if not op.linear:
        reads = op.reads
        if reads is not None:  # the inputs read by the vjps of inputs that have an edge
            parents = node.parents
            reads = set().union(*[r for k, r in enumerate(reads)
                                  if k < len(parents) and parents[k] is not None])
        for i, t in enumerate(node.inputs):
            if t._mod_stamp > stamp and (reads is None or i in reads):
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation (modified by an in-place operation): input {i} "
                    f"of `{op.name}` (shape "
                    f"{tuple(t.shape)}, {t.dtype}) is at version {t._version} and was "
                    f"changed after `{op.name}` saved it. Clone it before the in-place "
                    f"change (x = x.clone()), or do the in-place change before using it.")
    if op.uses_out and node.dirty:
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation (modified by an in-place operation): the output of "
            f"`{op.name}` (shape "
            f"{tuple(np.shape(node.out))}) was changed after `{op.name}` saved it, but "
            f"`{op.name}` needs its original value for backward. Use an out-of-place op "
            f"(y = y * 2 instead of y.mul_(2)) or clone the output first.")


def _anomaly_error(node: Node, i: int, what: str) -> RuntimeError:
    where = ""
    if node.trace is not None:
        fn, line, src = node.trace
        where = f" The forward op `{node.op.name}` was created at {fn}:{line}: {src}"
    return RuntimeError(f"Function `{node.op.name}` returned {what} values in its gradient "
                        f"for input {i}.{where}")


def _value(d):
    """0-d arrays as NumPy scalars (see registry.apply: scalar arithmetic is fast)."""
    return d[()] if type(d) is _ndarray and not d.shape else d


def _conform(gi, x):
    """A vjp's result as the gradient of input ``x`` (a raw value): an array (or NumPy
    scalar) summed down to ``x``'s shape, the one place broadcasting is undone, and
    cast to its dtype."""
    if type(gi) is not _ndarray and not isinstance(gi, _generic):
        gi = np.asarray(gi)
    xs = x.shape
    if gi.shape != xs:
        gi = sum_to_array(gi, xs)
    xd = x.dtype
    if gi.dtype is not xd and gi.dtype != xd:
        gi = gi.astype(xd)
    return gi


def _conform_tensor(gi, x: Tensor) -> Tensor:
    """``_conform`` for the differentiable path: the same steps as recorded ops."""
    gi = as_tensor(gi, like=x)
    if gi.shape != x.shape:
        gi = TG.sum_to(gi, x.shape)
    if gi.dtype != x.dtype:
        gi = gi.to(x.dtype)
    return gi


def node_vjps(node: Node, g, vals: Optional[Sequence] = None, out=None,
              attrs: Optional[dict] = None) -> List[Optional[np.ndarray]]:
    """The gradient ``node`` sends along each input slot for upstream gradient ``g``.

    ``grad_i = vjp_i(g)`` on raw arrays (``F = NP``), reduced to input ``i``'s shape
    (undoing broadcasting) and cast to its dtype, exactly as backward computes it (the
    walk runs the same ``_conform``); None for a slot with no edge or no gradient.
    ``vals``, ``out`` and ``attrs`` default to what the node saved; pass others to
    replay the vjps at other values (the per-node finite-difference check replays in
    float64). Raises RuntimeError when the saved values were freed and none are given."""
    if vals is None:
        vals = node.vals
        if vals is None:
            raise _freed_error(node)
    if out is None:
        out = node.out
    if attrs is None:
        attrs = node.attrs
    vjps = node.op.vjps
    res: List[Optional[np.ndarray]] = []
    for i, p in enumerate(node.parents):
        gi = None if p is None else vjps[i](NP, g, out, *vals, **attrs)
        res.append(None if gi is None else _conform(gi, np.asarray(vals[i])))
    return res


class _Pass:
    """One backward (or grad) call: the state the walk shares between its nodes.

    ``grads`` maps a node (or a leaf tensor) to the gradient summed so far at its
    output; ``owned`` holds the keys whose gradient buffer the engine allocated itself
    (the only ones it may add into in place: gradients never alias). ``needed`` (in
    grad()/backward(inputs=...) mode) is the set of nodes with a path to a target;
    nodes outside it do no vjp work. The backend is chosen once, here: ``F = NP`` on
    raw arrays, or ``F = TG`` on Tensors with grad mode on when ``create_graph``."""

    __slots__ = ("order", "grads", "owned", "needed", "targets", "captured", "graph",
                 "retain", "accumulate", "anomaly", "record", "watch")

    def __init__(self, roots: Sequence[Tensor], seeds: Sequence, retain_graph: bool,
                 create_graph: bool, targets: Optional[Sequence[Tensor]],
                 accumulate: bool) -> None:
        self.order = order = graph_nodes(roots)
        self.targets = target_keys = {}
        self.needed = None
        if targets is not None:
            for t in targets:
                target_keys[t.grad_fn if t.grad_fn is not None else t] = t
            needed = self.needed = set()
            for node in reversed(order):
                for p in node.parents:
                    if p is not None and (p in needed or p in target_keys):
                        needed.add(node)
                        break
        self.grads = grads = {}
        self.owned = set()
        for r, s in zip(roots, seeds):
            key = r.grad_fn if r.grad_fn is not None else r
            if key in grads:
                grads[key] = grads[key] + s
                self.owned.add(key)
            else:
                grads[key] = s
        self.captured: Dict = {}
        self.graph = create_graph
        self.retain = retain_graph
        self.accumulate = accumulate
        self.anomaly = STATE.anomaly
        self.record = STATE.record_grads
        self.watch = bool(target_keys) or self.record

    def run(self) -> Dict:
        """Walk the nodes, then hand the leaves their gradients; returns ``captured``."""
        prev_mode = STATE.grad_enabled
        STATE.grad_enabled = self.graph
        # The graph holds no reference cycles (tensors -> nodes -> inputs only), so the
        # cyclic GC has nothing to find here; left on, it would rescan the whole live
        # graph every few thousand allocations. Paused for the walk, restored after.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._walk()
            self._leaves()
        finally:
            STATE.grad_enabled = prev_mode
            if gc_was_enabled:
                gc.enable()
        return self.captured

    def _walk(self) -> None:
        """The one node loop, for both backends (the training path is ``graph=False``:
        no Tensor is created, vjps get raw arrays and ``F = NP``)."""
        graph = self.graph
        F = TG if graph else NP
        grads, owned, needed, target_keys = self.grads, self.owned, self.needed, self.targets
        pop, get = grads.pop, grads.get
        watch, anomaly, retain = self.watch, self.anomaly, self.retain
        inplace = INPLACE
        for node in self.order:
            g = pop(node, None)
            if g is None:
                continue
            if watch or node.hooks or node.retain:
                g = self._extras(node, g)
                if needed is not None and node not in needed:
                    continue
            args = node.vals
            if args is None:
                raise _freed_error(node)
            if node.stamp != inplace.count:
                _check_versions(node)
            inputs = node.inputs
            if graph:
                args = inputs
                out = Tensor._wrap(node.out)  # *is* the output as far as the graph goes
                out.grad_fn = node
                out.requires_grad = True
            else:
                out = node.out
            attrs = node.attrs
            vjps = node.op.vjps
            i = -1
            for p in node.parents:
                i += 1
                if p is None or (needed is not None and p not in needed and p not in target_keys):
                    continue
                gi = vjps[i](F, g, out, *args, **attrs) if attrs else vjps[i](F, g, out, *args)
                if gi is None:
                    continue
                if graph:
                    gi = _conform_tensor(gi, inputs[i])
                    if anomaly:
                        _check_finite(node, i, gi._arr)
                    prev = get(p)
                    grads[p] = gi if prev is None else prev + gi
                    continue
                xd = inputs[i]._d
                if type(gi) is not type(xd) or gi.shape != xd.shape or gi.dtype is not xd.dtype:
                    gi = _conform(gi, xd)  # (the common case needs no call: same shape, dtype)
                if anomaly:
                    _check_finite(node, i, gi)
                prev = get(p)
                if prev is None:
                    grads[p] = gi
                    if gi is not g and type(gi) is _ndarray and gi.base is None:
                        owned.add(p)  # a fresh buffer: later gradients may add into it
                elif p in owned:
                    np.add(prev, gi, out=prev)
                else:
                    acc = prev + gi
                    grads[p] = acc
                    if type(acc) is _ndarray:
                        owned.add(p)
            if not retain:
                _free(node)

    def _leaves(self) -> None:
        """Everything left in ``grads`` is keyed by a leaf tensor (or a pruned node)."""
        graph = self.graph
        for key, g in self.grads.items():
            if type(key) is Node:
                continue
            leaf = key
            if leaf._hooks:
                g = _apply_hooks(leaf._hooks, g, graph)
            if leaf in self.targets:
                self.captured[leaf] = g
            if self.accumulate and leaf.requires_grad:
                _accumulate_grad(leaf, g, graph, key in self.owned)

    def _extras(self, node: Node, g):
        """The rarely needed work at a node: hooks, grad() capture, recording, retain_grad."""
        if node.hooks:
            g = _apply_hooks(node.hooks, g, self.graph)
        if node in self.targets:
            self.captured[node] = g
        if self.record:
            node.grad = g._arr if self.graph else np.asarray(g)
        if node.retain:  # as in PyTorch, also during grad() and backward(inputs=...)
            t = node.out_ref()
            if t is not None:
                _accumulate_grad(t, g, self.graph, False)
        return g


def _check_finite(node: Node, i: int, gi) -> None:
    if np.isnan(gi).any():
        raise _anomaly_error(node, i, "nan")
    if np.isinf(gi).any():
        raise _anomaly_error(node, i, "inf")


def _run(roots: Sequence[Tensor], seeds: Sequence, retain_graph: bool, create_graph: bool,
         targets: Optional[Sequence[Tensor]], accumulate: bool) -> Dict:
    """Run one pass; returns the gradients of ``targets`` (keyed by tensor) when given."""
    captured = _Pass(roots, seeds, retain_graph, create_graph, targets, accumulate).run()
    if targets is None:
        return {}
    return {t: captured.get(t.grad_fn if t.grad_fn is not None else t) for t in targets}


def _apply_hooks(hooks: List, g, create_graph: bool):
    for h in list(hooks):
        gt = g if create_graph else Tensor._wrap(g)
        r = h(gt)
        if r is not None:
            r = as_tensor(r)
            if r.shape != gt.shape:
                raise RuntimeError(f"hook {getattr(h, '__name__', h)!r} returned a gradient of "
                                   f"shape {r.shape}, expected {gt.shape}")
            if r.dtype != gt.dtype:  # PyTorch refuses this too
                raise RuntimeError(f"hook {getattr(h, '__name__', h)!r} returned a gradient of "
                                   f"dtype {r.dtype}, expected {gt.dtype}; cast it back "
                                   f"(e.g. g.to(original dtype)) before returning it")
            g = r if create_graph else r._d
    return g


def _accumulate_grad(t: Tensor, g, create_graph: bool, owned: bool) -> None:
    """Add ``g`` into ``t.grad`` without ever sharing a buffer between two tensors."""
    if create_graph:
        gt = clone(g)  # a new tensor object and buffer, still differentiable
        t._grad = gt if t.grad is None else t.grad + gt
        return
    cur = t.grad
    if cur is None:
        t._grad = Tensor._wrap(g if owned else np.array(g))
    elif (cur.grad_fn is not None or cur.requires_grad or type(cur._d) is not _ndarray
          or cur._d.shape != g.shape or not cur._d.flags.writeable):
        t._grad = Tensor._wrap(np.asarray(cur._d + g))
    else:
        np.add(cur._d, g, out=cur._d, casting="same_kind")


def _seed(root: Tensor, gradient, create_graph: bool, what: str, i: int = 0):
    if gradient is None:
        if root._d.size != 1:
            raise RuntimeError(
                f"{what}: grad can be implicitly created only for scalar outputs; this "
                f"output has shape {tuple(root.shape)}. Pass `gradient=` (a tensor of the "
                f"output's shape, e.g. ones_like(out)) or reduce it first (out.sum()).")
        d = root._d
        if not create_graph and (type(d) is not _ndarray or not d.shape):
            return d.dtype.type(1)  # a NumPy scalar, as _value would give (np.ones_like: ~2 us)
        arr = np.ones_like(d)
        return Tensor._wrap(arr) if create_graph else _value(arr)
    gt = as_tensor(gradient, like=root)
    if gt.shape != root.shape:
        raise RuntimeError(f"{what}: Mismatch in shape: grad_output[{i}] has a shape of "
                           f"{tuple(gt.shape)} and output[{i}] has a shape of "
                           f"{tuple(root.shape)}; the gradient must have the output's shape "
                           f"(they must match)")
    if create_graph:
        return gt
    return np.asarray(gt._d, dtype=root._d.dtype)


def _check_root(t, i: int, what: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: expected Tensors as outputs, got {type(t).__name__} at {i}")
    if not t.requires_grad:
        raise RuntimeError(
            f"{what}: element {i} of tensors does not require grad and does not have a "
            f"grad_fn (element {i} of the outputs does not require grad and has no grad_fn). "
            f"Make sure an input was created with requires_grad=True and that the output "
            f"was not computed under no_grad().")
    return t


def backward(tensors: Sequence[Tensor], grad_tensors: Optional[Sequence] = None,
             retain_graph: Optional[bool] = None, create_graph: bool = False,
             inputs: Optional[Sequence[Tensor]] = None) -> None:
    """Accumulate the gradients of ``tensors`` into ``.grad`` of the leaves (or ``inputs``).

    >>> import autograd as ag
    >>> x = ag.tensor([1., 2.], requires_grad=True)
    >>> ag.backward((x * x).sum())
    >>> x.grad.tolist()  # d/dx sum(x^2) = 2x
    [2.0, 4.0]
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    roots = [_check_root(t, i, "backward") for i, t in enumerate(tensors)]
    if grad_tensors is None:
        grad_tensors = [None] * len(roots)
    elif isinstance(grad_tensors, (Tensor, np.ndarray)):
        grad_tensors = [grad_tensors]
    seeds = [_seed(r, gt, create_graph, "backward", i)
             for i, (r, gt) in enumerate(zip(roots, grad_tensors))]
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        res = _run(roots, seeds, retain_graph, create_graph, list(inputs), accumulate=False)
        for t, g in res.items():
            if g is not None:
                _accumulate_grad(t, g, create_graph, False)
        return
    _run(roots, seeds, retain_graph, create_graph, None, accumulate=True)


def grad(outputs: Union[Tensor, Sequence[Tensor]], inputs: Union[Tensor, Sequence[Tensor]],
         grad_outputs: Optional[Union[Tensor, Sequence]] = None,
         retain_graph: Optional[bool] = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: Optional[bool] = None,
         is_grads_batched: bool = False,
         materialize_grads: bool = False) -> Tuple[Optional[Tensor], ...]:
    """Gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per input).

    Computes ``sum_k grad_outputs[k]^T d outputs[k] / d inputs[i]`` without touching
    ``.grad``. With ``create_graph=True`` the results are differentiable.
    ``allow_unused`` (default: ``materialize_grads``) gives None for an input the
    outputs do not depend on, ``materialize_grads=True`` zeros instead, as in PyTorch.
    ``only_inputs`` is accepted and ignored (deprecated in PyTorch, where it has no
    effect either); ``is_grads_batched=True`` is not supported.

    >>> import autograd as ag
    >>> x = ag.tensor([1., 2.], requires_grad=True)
    >>> (g,) = ag.grad((x ** 3).sum(), (x,))
    >>> g.tolist()  # 3x^2
    [3.0, 12.0]
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported; call grad() "
                                  "once per row of grad_outputs (with retain_graph=True)")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: expected allow_unused to be True or not passed when "
                         "materialize_grads=True")
    single_out = isinstance(outputs, Tensor)
    outs = [outputs] if single_out else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    roots = [_check_root(t, i, "grad") for i, t in enumerate(outs)]
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; create it with "
                               f"requires_grad=True")
    if grad_outputs is None:
        grad_outputs = [None] * len(roots)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    seeds = [_seed(r, go, create_graph, "grad", i)
             for i, (r, go) in enumerate(zip(roots, grad_outputs))]
    if retain_graph is None:
        retain_graph = create_graph
    res = _run(roots, seeds, retain_graph, create_graph, ins, accumulate=False)
    out = []
    for i, t in enumerate(ins):
        g = res[t]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: The differentiated Tensor at index {i} appears to not have been "
                    f"used in the graph. Set allow_unused=True if this is the desired behavior "
                    f"(it then gets None): input {i} (shape {tuple(t.shape)}) was not used to "
                    f"compute the outputs, so it has no gradient.")
            if materialize_grads:
                z = Tensor._wrap(np.zeros(t.shape, dtype=t.dtype))
                out.append(z)
            else:
                out.append(None)
        elif create_graph:
            out.append(g)
        else:
            out.append(Tensor._wrap(g.copy()))
    return tuple(out)


def _tensor_backward(self: Tensor, gradient: Any = None, retain_graph: Optional[bool] = None,
                     create_graph: bool = False, inputs: Optional[Sequence[Tensor]] = None) -> None:
    """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    ``gradient`` is the vector in the vector-Jacobian product; it may be omitted only
    when ``self`` has a single element."""
    backward([self], None if gradient is None else [gradient], retain_graph, create_graph,
             inputs)


_tensor_backward.__name__ = "backward"
method("backward", _tensor_backward)
