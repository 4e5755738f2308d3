"""Finite differences: numerical_grad, numerical_jacobian, gradcheck and gradgradcheck
for users' own code, and blame, the same check applied to every recorded node of a graph.

Central differences: along a direction u,
``J u ~ (f(x + eps u) - f(x - eps u)) / (2 eps)``, with truncation error O(eps**2)
(the even terms of the Taylor series cancel) and round-off error O(macheps / eps); in
float64 eps = 1e-6 balances the two (about 1e-10 absolute error for well-scaled
functions). With u = e_i this is one column of the Jacobian. Inputs are promoted to
float64 before checking. ``_differences`` is the one implementation: the Jacobian
columns, the fast mode's projection and blame's per-node check all call it.

The one-sided differences ``(f(x + eps u) - f(x)) / eps`` and
``(f(x) - f(x - eps u)) / eps`` both approach J u with error O(eps) where f is
differentiable; they differ by O(eps) there, but by the jump in slope at a kink (relu at
0, a tie in a max), which is how blame tells a kink from a wrong vjp.

gradcheck compares the analytical Jacobian (one backward pass per output element,
each a vector-Jacobian product with a one-hot vector) with the numerical one (two
forward passes per input element) and reports the worst element: which input, which
index, which output, analytical vs numerical value and the error. ``fast_mode=True``
compares one random projection instead, ``v^T (J u)`` by a single directional
difference against ``(v^T J) u`` from a single backward, and falls back to the full
comparison to name the worst element when it fails.

blame checks each recorded node's vjp (``engine.node_vjps``, the replay backward uses)
against central differences of the node's own forward, replayed in float64.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .engine import grad as _grad
from .engine import graph_nodes, node_vjps
from .tape import Node, no_grad
from .tensor import Tensor, as_tensor

__all__ = ["numerical_grad", "numerical_jacobian", "gradcheck", "gradgradcheck",
           "GradcheckError", "GradcheckReport", "blame", "BlameReport"]

Inputs = Union[Tensor, Sequence]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree.

        >>> import autograd as ag
        >>> class Wrong(ag.Function):
        ...     @staticmethod
        ...     def forward(ctx, x): return x * 2
        ...     @staticmethod
        ...     def backward(ctx, g): return g * 3
        >>> try:
        ...     ag.gradcheck(Wrong.apply, (ag.tensor([1.0], requires_grad=True),))
        ... except ag.GradcheckError as e:
        ...     print("caught", type(e).__name__)
        caught GradcheckError
    """

    def __init__(self, message: str, report: "GradcheckReport") -> None:
        super().__init__(message)
        self.report = report


@dataclass
class GradcheckReport:
    """The result of a check: ``ok`` and the worst element found.

        >>> import autograd as ag
        >>> rep = ag.gradcheck(lambda t: t.exp().sum(), (ag.tensor([0.0, 1.0], requires_grad=True),))
        >>> rep.ok, rep.max_abs_err < 1e-6
        (True, True)
    """

    ok: bool
    max_abs_err: float
    max_rel_err: float
    input_index: Optional[int] = None
    element: Optional[Tuple[int, ...]] = None
    output_index: Optional[int] = None
    output_element: Optional[Tuple[int, ...]] = None
    analytical: Optional[float] = None
    numerical: Optional[float] = None

    def __bool__(self) -> bool:
        return self.ok

    def describe(self) -> str:
        if self.input_index is None:
            return f"max abs error {self.max_abs_err:.3g}, max rel error {self.max_rel_err:.3g}"
        return (f"worst element: d output[{self.output_index}]{list(self.output_element)} / "
                f"d input[{self.input_index}]{list(self.element)}: analytical "
                f"{self.analytical:.10g} vs numerical {self.numerical:.10g} (abs error "
                f"{abs(self.analytical - self.numerical):.3g}); max abs error "
                f"{self.max_abs_err:.3g}, max rel error {self.max_rel_err:.3g}")


def _as_tuple(x) -> tuple:
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _outputs(f: Callable, xs: Sequence) -> Tuple[Tensor, ...]:
    outs = _as_tuple(f(*xs))
    return tuple(as_tensor(o) for o in outs)


def _promote(inputs: Sequence) -> List:
    """float64 leaf copies of floating inputs (requires_grad kept); others as given."""
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            t = Tensor(x._arr.astype(np.float64), requires_grad=x.requires_grad)
            out.append(t)
        else:
            out.append(x)
    return out


def _differences(at: Callable[[float], Sequence], eps: float, base: Optional[Sequence] = None
                 ) -> Union[List[np.ndarray], Tuple[List[np.ndarray], ...]]:
    """Finite differences of f along a direction u, f evaluated by ``at(t) = f(x + t u)``
    (a sequence of arrays or numbers; compared element by element, in float64; copied,
    since an output may be a view of an input that the next evaluation moves).

    Returns the central differences ``(f(x + eps u) - f(x - eps u)) / (2 eps)``
    (= J u + O(eps**2)). With ``base = f(x)``, returns (central, forward, backward) with
    the one-sided ``(f(x + eps u) - f(x)) / eps`` and ``(f(x) - f(x - eps u)) / eps``
    (each = J u + O(eps) where f is differentiable at x). ``at(eps)`` runs before
    ``at(-eps)``; restoring x afterwards is the caller's business."""
    plus = [np.array(v, dtype=np.float64) for v in at(eps)]
    minus = [np.array(v, dtype=np.float64) for v in at(-eps)]
    central = [(p - m) / (2 * eps) for p, m in zip(plus, minus)]
    if base is None:
        return central
    base = [np.asarray(v, dtype=np.float64) for v in base]
    forward = [(p - b) / eps for p, b in zip(plus, base)]
    backward = [(b - m) / eps for b, m in zip(base, minus)]
    return central, forward, backward


def _element_differences(f: Callable, xs: Sequence, flat: np.ndarray, j: int,
                         eps: float) -> List[np.ndarray]:
    """Central differences of every output of ``f(*xs)`` along e_j, where ``flat`` is a
    flat view of one input's data (element j is moved in place, then restored)."""
    orig = flat[j]

    def at(t: float) -> List[np.ndarray]:       # f at x + t e_j
        flat[j] = orig + t
        return [o._arr for o in _outputs(f, xs)]

    try:
        return _differences(at, eps)
    finally:
        flat[j] = orig


def numerical_jacobian(f: Callable, inputs: Inputs, eps: float = 1e-6,
                       wrt: Optional[Sequence[int]] = None) -> List[List[np.ndarray]]:
    """Central-difference Jacobians: ``J[k][i]`` has shape ``out_k.shape + in_i.shape``.

    Only floating Tensor inputs are perturbed (others get None); ``wrt`` restricts the
    perturbed inputs to those positions.

        >>> import autograd as ag
        >>> x = ag.tensor([1.0, 2.0], dtype=ag.float64)
        >>> J = ag.numerical_jacobian(lambda t: t * t, (x,))    # [output][input] blocks
        >>> J[0][0].round(4).tolist()                           # diag(2 x)
        [[2.0, 0.0], [0.0, 4.0]]
    """
    xs = list(_as_tuple(inputs))
    # f runs in the caller's grad mode: gradgradcheck's f calls grad() inside.
    outs0 = _outputs(f, xs)
    jac = [[None] * len(xs) for _ in outs0]
    for i, x in enumerate(xs):
        if not (isinstance(x, Tensor) and x.dtype.kind == "f") or \
                (wrt is not None and i not in wrt):
            continue
        cols = [np.zeros(o.shape + x.shape) for o in outs0]
        if not x._arr.flags.c_contiguous:
            x.data = np.ascontiguousarray(x._arr)
        flat = x._arr.reshape(-1)               # a view: element j moves in place
        for j in range(flat.size):
            d = _element_differences(f, xs, flat, j, eps)
            idx = np.unravel_index(j, x.shape) if x.shape else ()
            for k in range(len(outs0)):
                cols[k][(Ellipsis,) + tuple(idx)] = d[k]
        for k in range(len(outs0)):
            jac[k][i] = cols[k]
    return jac


def numerical_grad(f: Callable, inputs: Inputs, eps: float = 1e-6) -> Union[np.ndarray, List[np.ndarray]]:
    """Central-difference gradient of a scalar-valued ``f`` at ``inputs``.

    Returns one array per input (a single array when ``inputs`` is a single tensor),
    each shaped like its input: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.

        >>> import autograd as ag
        >>> x = ag.tensor([1.0, 2.0], dtype=ag.float64)
        >>> g, = ag.numerical_grad(lambda t: (t ** 3).sum(), (x,))   # one array per input
        >>> g.round(4).tolist()                                 # 3 x^2
        [3.0, 12.0]
    """
    single = isinstance(inputs, Tensor)
    xs = [as_tensor(x) if not isinstance(x, Tensor) else x for x in _as_tuple(inputs)]
    with no_grad():
        outs = _outputs(f, xs)
    if len(outs) != 1 or outs[0]._arr.size != 1:
        raise ValueError(f"numerical_grad: f must return one scalar, got outputs of shapes "
                         f"{[tuple(o.shape) for o in outs]}; use numerical_jacobian for "
                         f"vector outputs")
    jac = numerical_jacobian(f, xs, eps)[0]
    res = [None if j is None else j.reshape(x.shape) for j, x in zip(jac, xs)]
    return res[0] if single else res


def _analytical_jacobian(f: Callable, xs: Sequence) -> Tuple[List[List[np.ndarray]], tuple]:
    outs = _outputs(f, xs)
    diff = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    jac = [[None if i not in diff else np.zeros(o.shape + xs[i].shape) for i in range(len(xs))]
           for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(o._arr.size):
            seed = np.zeros(o.shape, dtype=o.dtype)
            idx = np.unravel_index(j, o.shape) if o.shape else ()
            seed[tuple(idx)] = 1.0
            gs = _grad([o], [xs[i] for i in diff], [seed], retain_graph=True, allow_unused=True)
            for i, gi in zip(diff, gs):
                if gi is not None:
                    jac[k][i][tuple(idx)] = gi._arr
    return jac, outs


def _compare(ana, num, xs, atol, rtol) -> GradcheckReport:
    worst = GradcheckReport(True, 0.0, 0.0)
    worst_excess = -np.inf
    for k in range(len(ana)):
        for i in range(len(xs)):
            a, n = ana[k][i], num[k][i]
            if a is None or n is None:
                continue
            err = np.abs(a - n)
            both_inf = np.isinf(a) & np.isinf(n) & (np.sign(a) == np.sign(n))
            err = np.where(both_inf, 0.0, err)
            err = np.where(np.isnan(err), np.inf, err)
            if err.size == 0:
                continue
            worst.max_abs_err = max(worst.max_abs_err, float(err.max()))
            rel = err / np.maximum(np.abs(n), 1e-300)
            worst.max_rel_err = max(worst.max_rel_err, float(np.nanmax(np.where(np.abs(n) > 0, rel, 0))))
            excess = err - (atol + rtol * np.abs(n))
            # a NaN numerical value makes the tolerance NaN: that is a failure, not a pass
            excess = np.where(np.isnan(excess), np.inf, excess)
            j = int(np.argmax(excess))
            if excess.flat[j] > worst_excess:
                worst_excess = float(excess.flat[j])
                oshape = a.shape[:a.ndim - xs[i].ndim]
                full = np.unravel_index(j, a.shape) if a.shape else ()
                worst.input_index = i
                worst.output_index = k
                worst.output_element = tuple(int(v) for v in full[:len(oshape)])
                worst.element = tuple(int(v) for v in full[len(oshape):])
                worst.analytical = float(a.flat[j])
                worst.numerical = float(n.flat[j])
    worst.ok = worst_excess <= 0
    return worst


def gradcheck(f: Callable, inputs: Inputs, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
              seed: int = 0) -> Union[bool, GradcheckReport]:
    """Check ``f``'s gradients against central differences in float64.

    ``inputs`` are Tensors (those with ``requires_grad=True`` are checked); an element
    passes when ``|analytical - numerical| <= atol + rtol * |numerical|``. Returns True
    (a truthy report) on success; on failure raises :class:`GradcheckError` naming the
    worst element, or returns the (falsy) report when ``raise_exception=False``.

        >>> import autograd as ag
        >>> x = ag.tensor([0.3, -1.2], requires_grad=True)
        >>> ag.gradcheck(lambda t: (t.tanh() * t).sum(), (x,)).ok
        True
    """
    xs = _promote(_as_tuple(inputs))
    if not any(isinstance(x, Tensor) and x.requires_grad for x in xs):
        raise ValueError("gradcheck: no input requires grad; create the inputs with "
                         "requires_grad=True")
    if fast_mode:
        report = _fast_check(f, xs, eps, atol, rtol, seed)
        if report.ok:
            return report
    ana, _ = _analytical_jacobian(f, xs)
    # only inputs that require grad are checked: perturbing the others costs forwards and
    # can leave their domain (e.g. a constant integer exponent of a negative base)
    num = numerical_jacobian(f, xs, eps, wrt=[i for i, x in enumerate(xs)
                                              if isinstance(x, Tensor) and x.requires_grad])
    report = _compare(ana, num, xs, atol, rtol)
    if not report.ok and raise_exception:
        name = getattr(f, "__name__", "f")
        raise GradcheckError(f"gradcheck failed for {name}: the analytical and numerical "
                             f"Jacobians differ. {report.describe()} "
                             f"(atol={atol}, rtol={rtol}, eps={eps})", report)
    return report


def _fast_check(f, xs, eps, atol, rtol, seed) -> GradcheckReport:
    rng = np.random.default_rng(seed)
    diff = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    us = {i: rng.standard_normal(xs[i].shape) for i in diff}
    outs = _outputs(f, xs)
    vs = [rng.standard_normal(o.shape) for o in outs]
    # analytical (v^T J) u
    ana = 0.0
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if live:
        gs = _grad([o for o, _ in live], [xs[i] for i in diff], [v for _, v in live],
                   allow_unused=True)
        for i, gi in zip(diff, gs):
            if gi is not None:
                ana += float(np.sum(gi._arr * us[i]))
    # numerical v^T (J u), one directional central difference along u (all inputs at once)
    saved = {i: xs[i]._arr.copy() for i in diff}

    def at(t: float) -> List[np.ndarray]:       # f at x + t u
        for i in diff:
            xs[i].data = saved[i] + t * us[i]
        return [o._arr for o in _outputs(f, xs)]

    try:
        ju = _differences(at, eps)
    finally:
        for i in diff:
            xs[i].data = saved[i]
    num = float(sum(np.sum(v * d) for v, d in zip(vs, ju)))
    err = abs(ana - num)
    ok = err <= atol + rtol * abs(num)
    return GradcheckReport(ok, err, err / max(abs(num), 1e-300))


def gradgradcheck(f: Callable, inputs: Inputs, grad_outputs: Optional[Sequence] = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, fast_mode: bool = False,
                  seed: int = 0) -> Union[bool, GradcheckReport]:
    """Check second derivatives: gradcheck of ``(x, v) -> grad(f(x), x, v, create_graph=True)``.

    ``grad_outputs`` (random when omitted) are the ``v`` of the vector-Jacobian product
    and are checked as inputs too, like PyTorch.

        >>> import autograd as ag
        >>> x = ag.tensor([0.3, -1.2], requires_grad=True)
        >>> ag.gradgradcheck(lambda t: (t.sin() * t).sum(), (x,)).ok
        True
    """
    xs = _promote(_as_tuple(inputs))
    diff = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(f, xs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        vs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        vs = [Tensor(np.asarray(as_tensor(v)._arr, dtype=np.float64), requires_grad=True)
              for v in _as_tuple(grad_outputs)]
    n = len(xs)

    def first_derivative(*args):
        xs_ = args[:n]
        vs_ = args[n:]
        outs_ = _outputs(f, xs_)
        live = [(o, v) for o, v in zip(outs_, vs_) if o.requires_grad]
        if not live:
            return tuple(Tensor(np.zeros(xs_[i].shape)) for i in diff)
        gs = _grad([o for o, _ in live], [xs_[i] for i in diff], [v for _, v in live],
                   create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(xs_[i].shape))
                     for g, i in zip(gs, diff))

    first_derivative.__name__ = f"grad of {getattr(f, '__name__', 'f')}"
    return gradcheck(first_derivative, tuple(xs) + tuple(vs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, fast_mode=fast_mode, seed=seed)


# --------------------------------------------------------------------------- blame
@dataclass
class BlameReport:
    """The finite-difference check of one recorded node's vjp.

        >>> import autograd as ag
        >>> x = ag.tensor([0.5], requires_grad=True)
        >>> r = ag.blame(x.tanh().sum())[0]
        >>> type(r).__name__, r.ok
        ('BlameReport', True)
    """

    node: Node
    name: str
    seq: int
    ok: bool
    error: float
    slots: Dict[int, float]
    skipped: str = ""       # why the node was not checked, or how (at a kink)
    kinks: int = 0          # 1 when the recorded point was a kink (checked nearby)

    def __repr__(self) -> str:
        st = "ok" if self.ok else "FAIL"
        extra = f" {self.skipped}" if self.skipped else ""
        return f"<blame {self.name}#{self.seq} {st} err={self.error:.3g}{extra}>"


def _replay_attrs(attrs: Dict[str, Any]) -> Dict[str, Any]:
    """The attributes for a float64 replay: a floating dtype argument (``cast``'s
    ``dtype=float32``, say) becomes float64, so the replayed forward never rounds to a
    narrower type than the finite differences need. Other attributes pass unchanged."""
    if not attrs:
        return attrs
    out = {}
    for k, v in attrs.items():
        if isinstance(v, np.dtype) and v.kind == "f":
            v = np.dtype(np.float64)
        elif isinstance(v, type) and issubclass(v, np.floating):
            v = np.float64
        out[k] = v
    return out


def _check_node(n: Node, xs: List[np.ndarray], attrs: Dict[str, Any], rng, eps: float,
                atol: float, rtol: float, directions: int):
    """One finite-difference check of ``n``'s vjps at inputs ``xs`` (float64).

    For a random upstream gradient g and random directions u of each floating slot i,
    compares the analytical <vjp_i(g), u> (``engine.node_vjps`` replayed at ``xs``) with
    the central difference of the scalar <g, f(x + t u)> at t = 0 (``_differences``).
    Returns (ok, worst error, {slot: worst error}, kink): ``kink`` is True when a failing
    direction has one-sided differences that disagree or a central difference that is
    not stable in eps (it changes when eps shrinks tenfold: a jump), i.e. the point is
    not differentiable along it and central differences say nothing about the vjp there.
    Run under ``np.errstate(all="ignore")``: replays may overflow or hit their domain's
    edge, and that is judged by the comparison, not reported as a warning."""

    def f(*arrs):
        with no_grad():
            return np.asarray(n.op.forward(*arrs, **attrs), dtype=np.float64)

    out = f(*xs)
    g = rng.standard_normal(out.shape)
    # Infinite outputs (max_pool2d's ceil_mode pads with -inf) are constant: no direction
    # moves them, so they get no upstream gradient and stay out of the sums.
    finite = np.isfinite(out)
    if not finite.all():
        g = np.where(finite, g, 0.0)

    def dot(y) -> float:
        """<g, y> over the finite outputs."""
        return float(np.sum(g * np.where(finite, y, 0.0)))

    base = [dot(out)]
    with no_grad():                                 # as in backward: nothing recorded
        grads = node_vjps(n, g, vals=[x if x.ndim else x[()] for x in xs], out=out,
                          attrs=attrs)
    slots: Dict[int, float] = {}
    worst, ok, kink = 0.0, True, False
    for i, p in enumerate(n.parents):
        if p is None or xs[i].dtype.kind != "f":
            continue
        gi = grads[i] if grads[i] is not None else np.zeros(xs[i].shape)
        err_slot = 0.0
        for _ in range(directions):
            u = rng.standard_normal(xs[i].shape)

            def at(t: float, i: int = i, u: np.ndarray = u) -> List[float]:
                moved = list(xs)
                moved[i] = xs[i] + t * u
                return [dot(f(*moved))]             # <g, f(x + t u)>

            (num,), (fwd,), (bwd,) = _differences(at, eps, base)
            ana = float(np.sum(gi * u))
            err = abs(ana - num)
            if np.isnan(ana) and np.isnan(num):
                err = 0.0                           # undefined on both sides: nothing to compare
            elif not np.isfinite(err):
                err = np.inf
            if err > atol + rtol * abs(num):
                ok = False
                if abs(fwd - bwd) > atol + rtol * max(abs(fwd), abs(bwd)):
                    kink = True                     # one-sided slopes differ: a kink
                else:                               # a jump: the slope grows as eps shrinks
                    (num10,) = _differences(at, 0.1 * eps)
                    if abs(num10 - num) > atol + rtol * max(abs(num), abs(num10)):
                        kink = True
            err_slot = max(err_slot, float(err))
        slots[i] = err_slot
        worst = max(worst, err_slot)
    return ok, worst, slots, kink


def blame(roots: Union[Tensor, Sequence[Tensor]], eps: float = 1e-6, atol: float = 1e-5,
          rtol: float = 1e-3, directions: int = 3, seed: int = 0) -> List[BlameReport]:
    """Check every recorded node's vjp against central differences of its own forward.

    For each node and each input slot with an edge: with a random upstream gradient g and
    random directions u, compare <vjp(g), u> with (<g, f(x + eps u)> - <g, f(x - eps u)>) /
    (2 eps), where f is the node's forward replayed in float64 on the values it saw
    (floating inputs and floating dtype arguments are promoted to float64, so an op that
    casts to float32 is checked at float64 precision too) and the vjp is the one backward
    runs (``engine.node_vjps``) replayed at those values. Custom ``Function`` nodes are
    replayed the same way. A slot fails where the error exceeds ``atol + rtol * |num|``.

    Kinks: where a failing direction's one-sided differences disagree (or its central
    difference changes when eps shrinks tenfold: a jump), the recorded point is not
    differentiable (relu at 0, tied maxima in max_pool2d after a relu, sign at 0, ...)
    and any subgradient is a legitimate answer, so the node is checked again at two
    nearby points (floating inputs moved by 1e-2 (1 + |x|) at random, differences with
    eps = 1e-8 so that no kink lies within reach), where a correct op is differentiable;
    it fails only if it fails there too. A wrong formula is wrong at the nearby points
    as well. ``kinks`` is 1 for such nodes.

    The graph must still hold its saved values (before backward, or after
    backward(retain_graph=True)); nodes whose values were freed are reported as skipped.
    Returns one report per node in creation order: ``ok``, ``error`` (the worst error)
    and ``slots`` (the worst error per input slot).

        >>> import autograd as ag
        >>> x = ag.tensor([0.5, -1.0], requires_grad=True)
        >>> reports = ag.blame((x.exp() * x).sum())
        >>> all(r.ok for r in reports), len(reports) >= 2
        (True, True)
    """
    rs = [roots] if isinstance(roots, Tensor) else list(roots)
    rng = np.random.default_rng(seed)
    reports = []
    nodes = graph_nodes(rs)
    nodes.reverse()                                 # creation order
    for n in nodes:
        vals = n.vals if n.vals is not None else (
            tuple(t._arr for t in n.inputs) if n.inputs is not None else None)
        if vals is not None and any(getattr(v, "freed", False) for v in vals):
            vals = None  # only shapes kept (engine._free): nothing to replay
        if vals is None or n.op.forward is None:
            reports.append(BlameReport(n, n.op.name, n.seq, True, 0.0, {}, "skipped: values freed"))
            continue
        xs = [np.array(v, dtype=np.float64) if np.asarray(v).dtype.kind == "f" else np.array(v)
              for v in vals]
        attrs = _replay_attrs(n.attrs)
        try:
            with np.errstate(all="ignore"):
                ok, worst, slots, kink = _check_node(n, xs, attrs, rng, eps, atol, rtol,
                                                     directions)
                note = ""
                if not ok and kink:
                    for _ in range(2):
                        moved = [x + 1e-2 * (1 + np.abs(x)) * rng.standard_normal(x.shape)
                                 if x.dtype.kind == "f" else x for x in xs]
                        ok, worst, slots, _k = _check_node(n, moved, attrs, rng,
                                                           min(eps, 1e-8), atol, rtol,
                                                           directions)
                        if not ok:
                            break
                    note = "at a kink: checked at nearby points"
        except Exception as exc:  # reported, not raised: one odd op must not hide the rest
            reports.append(BlameReport(n, n.op.name, n.seq, True, 0.0, {}, f"skipped: {exc}"))
            continue
        reports.append(BlameReport(n, n.op.name, n.seq, ok, worst, slots, note, int(kink)))
    return reports
