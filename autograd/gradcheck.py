"""Finite differences for users' own code: numerical_grad, numerical_jacobian,
gradcheck and gradgradcheck.

Central differences: df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), with
truncation error O(eps**2) and round-off error O(macheps / eps); in float64 eps = 1e-6
balances the two (about 1e-10 absolute error for well-scaled functions). Inputs are
promoted to float64 before checking.

gradcheck compares the analytical Jacobian (one backward pass per output element,
each a vector-Jacobian product with a one-hot vector) with the numerical one (two
forward passes per input element) and reports the worst element: which input, which
index, which output, analytical vs numerical value and the error. ``fast_mode=True``
compares one random projection instead, ``v^T (J u)`` by a single directional
difference against ``(v^T J) u`` from a single backward, and falls back to the full
comparison to name the worst element when it fails.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .engine import grad as _grad
from .tape import no_grad
from .tensor import Tensor, as_tensor

__all__ = ["numerical_grad", "numerical_jacobian", "gradcheck", "gradgradcheck",
           "GradcheckError", "GradcheckReport"]

Inputs = Union[Tensor, Sequence]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree."""

    def __init__(self, message: str, report: "GradcheckReport") -> None:
        super().__init__(message)
        self.report = report


@dataclass
class GradcheckReport:
    """The result of a check: ``ok`` and the worst element found."""

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
            t = Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
            out.append(t)
        else:
            out.append(x)
    return out


def numerical_jacobian(f: Callable, inputs: Inputs, eps: float = 1e-6,
                       wrt: Optional[Sequence[int]] = None) -> List[List[np.ndarray]]:
    """Central-difference Jacobians: ``J[k][i]`` has shape ``out_k.shape + in_i.shape``.

    Only floating Tensor inputs are perturbed (others get None); ``wrt`` restricts the
    perturbed inputs to those positions."""
    xs = list(_as_tuple(inputs))
    # f runs in the caller's grad mode: gradgradcheck's f calls grad() inside.
    if True:  # noqa: SIM108 (kept as a block for readability)
        outs0 = _outputs(f, xs)
        jac = [[None] * len(xs) for _ in outs0]
        for i, x in enumerate(xs):
            if not (isinstance(x, Tensor) and x.dtype.kind == "f") or \
                    (wrt is not None and i not in wrt):
                continue
            cols = [np.zeros(o.shape + x.shape) for o in outs0]
            flat = x.data.reshape(-1) if x.data.flags.c_contiguous else None
            if flat is None:
                x.data = np.ascontiguousarray(x.data)
                flat = x.data.reshape(-1)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = [o.data.astype(np.float64) for o in _outputs(f, xs)]
                flat[j] = orig - eps
                minus = [o.data.astype(np.float64) for o in _outputs(f, xs)]
                flat[j] = orig
                idx = np.unravel_index(j, x.shape) if x.shape else ()
                for k in range(len(outs0)):
                    d = (plus[k] - minus[k]) / (2 * eps)
                    cols[k][(Ellipsis,) + tuple(idx)] = d
            for k in range(len(outs0)):
                jac[k][i] = cols[k]
    return jac


def numerical_grad(f: Callable, inputs: Inputs, eps: float = 1e-6) -> Union[np.ndarray, List[np.ndarray]]:
    """Central-difference gradient of a scalar-valued ``f`` at ``inputs``.

    Returns one array per input (a single array when ``inputs`` is a single tensor),
    each shaped like its input: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.
    """
    single = isinstance(inputs, Tensor)
    xs = [as_tensor(x) if not isinstance(x, Tensor) else x for x in _as_tuple(inputs)]
    with no_grad():
        outs = _outputs(f, xs)
    if len(outs) != 1 or outs[0].data.size != 1:
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
        for j in range(o.data.size):
            seed = np.zeros(o.shape, dtype=o.dtype)
            idx = np.unravel_index(j, o.shape) if o.shape else ()
            seed[tuple(idx)] = 1.0
            gs = _grad([o], [xs[i] for i in diff], [seed], retain_graph=True, allow_unused=True)
            for i, gi in zip(diff, gs):
                if gi is not None:
                    jac[k][i][tuple(idx)] = gi.data
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
                ana += float(np.sum(gi.data * us[i]))
    # numerical v^T (J u), one directional central difference
    if True:  # noqa: SIM108 (kept as a block for readability)
        saved = {i: xs[i].data.copy() for i in diff}
        for i in diff:
            xs[i].data = saved[i] + eps * us[i]
        plus = [o.data for o in _outputs(f, xs)]
        for i in diff:
            xs[i].data = saved[i] - eps * us[i]
        minus = [o.data for o in _outputs(f, xs)]
        for i in diff:
            xs[i].data = saved[i]
    num = float(sum(np.sum(v * (p - m) / (2 * eps)) for v, p, m in zip(vs, plus, minus)))
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
    """
    xs = _promote(_as_tuple(inputs))
    diff = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(f, xs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        vs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        vs = [Tensor(np.asarray(as_tensor(v).data, dtype=np.float64), requires_grad=True)
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
