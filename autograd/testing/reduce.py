"""Samples of the reductions, softmax, cumsum, cumprod and norm."""
from __future__ import annotations


import numpy as np

import autograd as ag
from autograd.ops._util import norm_axis
from ._base import (distinct, U, away, fortran, strided, red, _dims, samples, S, P)

# --------------------------------------------------------------------------- reductions
def _red_samples(r, make, name):
    cases = [((3, 4), None, False), ((3, 4), None, True), ((3, 4), 0, False),
             ((3, 4), -1, True), ((2, 3, 4), (0, 2), False), ((2, 3, 4), (-1, -3), True),
             ((2, 3, 4), 1, False), ((), None, False), ((), None, True), ((1,), 0, False),
             ((3, 1), -1, False)]
    out = [S(make(r, shape), attrs=red(shape, axis, kd), desc=f"{shape} axis={axis} kd={kd}")
           for shape, axis, kd in cases]
    out.append(S(fortran(make(r, (3, 4))), attrs=red((3, 4), 1, False), desc="fortran axis 1"))
    out.append(S(strided(make(r, (2, 3))), attrs=red((2, 3), None, False), desc="strided"))
    return out


def _sum_ref(t, x, axis, keepdims):
    return t.sum(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


def _mean_ref(t, x, axis, keepdims):
    return t.mean(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


samples("sum", ref=_sum_ref)(lambda name, r: _red_samples(r, U, name))
samples("mean", ref=_mean_ref)(lambda name, r: _red_samples(r, U, name))


def _extreme_ref(which):
    def ref(t, x, axis, keepdims, split=False):
        if split:  # amax/amin: ties split evenly within each group, like torch.amax
            return getattr(t, "a" + which)(x, dim=_dims(axis, x.ndim), keepdim=keepdims)
        if axis is None:
            # full reduction: torch.max() splits ties evenly, like tapegrad
            v = getattr(t, which)(x)
            return v.reshape((1,) * x.ndim) if keepdims else v
        if len(axis) == 1:
            # max(dim): the gradient goes to the first extreme index in both
            return getattr(t, which)(x, axis[0], keepdim=keepdims).values
        return getattr(t, "a" + which)(x, dim=axis, keepdim=keepdims)
    return ref


def _extreme_samples(name, r):
    out = _red_samples(r, distinct, name)
    # two exact ties in a full reduction split evenly (1/2 each), as central
    # differences do with exactly two ties
    out.append(S(np.array([[1.0, 3.0], [3.0, -1.0]]) * (1 if name == "max" else -1),
                 attrs=red((2, 2), None, False), gradgrad=False, desc="full reduction, 2-way tie"))
    # three ties: tapegrad splits 1/3 each like torch.max(); finite differences give 1/2
    out.append(S(np.array([2.0, 2.0, 2.0, 1.0]) * (1 if name == "max" else -1),
                 attrs=red((4,), None, False), grad=False, desc="3-way tie"))
    # ties along dim: the first index gets the gradient, like torch.max(dim)
    out.append(S(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]) * (1 if name == "max" else -1),
                 attrs=red((2, 3), 1, False), grad=False, desc="dim tie: first index"))
    # amax/amin (split=True): ties split evenly per group; 2-way ties agree with
    # central differences, 3-way ties are checked against torch.amax only
    sign = 1 if name == "max" else -1
    out.append(S(sign * np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),
                 attrs={**red((2, 3), 1, False), "split": True}, gradgrad=False,
                 desc="amax: 2-way ties split"))
    out.append(S(sign * np.array([[[1.0, 3.0], [3.0, 0.5]], [[2.0, 2.0], [-1.0, 0.0]]]),
                 attrs={**red((2, 2, 2), (1, 2), True), "split": True}, gradgrad=False,
                 desc="amax: axis tuple, keepdims, 2-way ties"))
    out.append(S(sign * np.array([[2.0, 2.0, 2.0], [0.0, 1.0, -1.0]]),
                 attrs={**red((2, 3), -1, False), "split": True}, grad=False,
                 desc="amax: 3-way tie, 1/3 each"))
    out.append(S(distinct(r, (3, 4)), attrs={**red((3, 4), 0, True), "split": True},
                 desc="amax: no ties"))
    return out


samples("max", ref=_extreme_ref("max"))(_extreme_samples)
samples("min", ref=_extreme_ref("min"))(_extreme_samples)


def _arg_ref(which):
    def ref(t, x, axis, keepdims):
        if axis is None and x.ndim == 0:
            return getattr(t, which)(x)
        return getattr(t, which)(x, dim=axis, keepdim=keepdims)
    return ref


def _arg_samples(name, r):
    out = []
    for shape, axis, kd in [((3, 4), None, False), ((3, 4), None, True), ((3, 4), 1, False),
                            ((3, 4), -2, True), ((2, 3, 4), 1, True), ((), None, False),
                            ((1,), 0, False)]:
        a = None if axis is None else norm_axis(axis, len(shape), name)[0]
        out.append(S(distinct(r, shape), attrs={"axis": a, "keepdims": kd},
                     desc=f"{shape} axis={axis} kd={kd}"))
    out.append(S(np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]]), attrs={"axis": 1, "keepdims": False},
                 desc="ties: first index"))
    out.append(S(fortran(distinct(r, (3, 4))), attrs={"axis": 0, "keepdims": False},
                 desc="fortran"))
    return out


samples("argmax", ref=_arg_ref("argmax"))(_arg_samples)
samples("argmin", ref=_arg_ref("argmin"))(_arg_samples)


def _prod_ref(t, x, axis, keepdims):
    if x.ndim == 0:
        return t.prod(x)
    y = x
    for d in sorted(_dims(axis, x.ndim), reverse=True):
        y = t.prod(y, d, keepdim=True)
    if not keepdims:
        y = y.reshape([s for i, s in enumerate(x.shape) if i not in _dims(axis, x.ndim)])
    return y


@samples("prod", ref=_prod_ref)
def _prod(name, r):
    out = _red_samples(r, lambda r, s: away(r, s, 0.5, 1.5), name)
    # zeros: the gradient is the product of the other elements (exact, no 0/0)
    z = np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 0.7]])
    out.append(S(z, attrs=red((2, 3), 1, False), desc="one zero, axis 1"))
    out.append(S(z, attrs=red((2, 3), None, False), desc="one zero, full"))
    z2 = np.array([[1.5, 0.0, 0.0], [0.0, 1.2, 0.7]])
    out.append(S(z2, attrs=red((2, 3), None, True), desc="three zeros, full"))
    out.append(S(z2, attrs=red((2, 3), -1, True), desc="two zeros in a row"))
    return out


def _prod_others_ref(t, x, axis):
    """prod_{i != k} x_i per group, from torch ops: row k of an (n, n) matrix is the group
    with x_k replaced by 1, and torch.prod of that row (exact with zeros)."""
    dims = _dims(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in dims]
    moved = x.permute(rest + list(dims))
    n = int(np.prod([x.shape[a] for a in dims], dtype=np.int64))
    flat = moved.reshape(tuple(moved.shape[:len(rest)]) + (n,))
    rep = t.where(t.eye(n, dtype=t.bool), t.ones((), dtype=x.dtype), flat.unsqueeze(-2))
    return rep.prod(-1).reshape(moved.shape).permute(tuple(np.argsort(rest + list(dims))))


@samples("prod_others", ref=_prod_others_ref)
def _prod_others(name, r):
    def po(x, axis, desc, **kw):
        return S(x, attrs={"axis": red(np.shape(x), axis, False)["axis"]}, desc=desc, **kw)

    mk = lambda s: away(r, s, 0.5, 1.5)  # noqa: E731
    z = np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 0.7]])
    z2 = np.array([[1.5, 0.0, 0.0], [0.0, 1.2, 0.7]])
    return [
        po(mk((3, 4)), None, "(3, 4) all"), po(mk((3, 4)), 1, "(3, 4) axis 1"),
        po(mk((2, 3, 4)), (0, 2), "axis tuple"), po(mk((2, 3, 4)), -2, "(2, 3, 4) axis -2"),
        po(mk(()), None, "0-d: the empty product 1"), po(mk((1,)), 0, "one element"),
        po(mk((3, 1)), -1, "size-1 groups"), po(fortran(mk((3, 4))), 0, "fortran axis 0"),
        po(strided(mk((2, 3))), None, "strided"),
        po(z, 1, "one zero per row, axis 1"), po(z, None, "one zero, full"),
        po(z2, None, "three zeros, full"), po(z2, 1, "two zeros in a row"),
        # long zero-free groups take the divided gradient (n * n would cost too much)
        po(r.uniform(0.97, 1.03, (1, 260)), 1, "a group of 260: divided gradient", fast=True),
    ]


def _lse_ref(t, x, axis, keepdims):
    return t.logsumexp(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


@samples("logsumexp", ref=_lse_ref)
def _lse(name, r):
    out = _red_samples(r, U, name)
    # stability: a large offset must not overflow
    out.append(S(np.array([[1000.0, 1001.0, 999.5], [-1000.0, -1002.0, -999.0]]),
                 attrs=red((2, 3), 1, False), desc="large offset"))
    return out


def _softmax_samples(name, r):
    out = []
    for shape, axis in [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -3), ((1,), 0),
                        ((4,), -1), ((2, 1), 1)]:
        out.append(S(U(r, shape), attrs={"axis": norm_axis(axis, len(shape), name)[0]},
                     desc=f"{shape} axis={axis}"))
    out.append(S(U(r, ()), attrs={"axis": None}, desc="0-d"))
    out.append(S(fortran(U(r, (3, 4))), attrs={"axis": 1}, desc="fortran"))
    out.append(S(np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1003.0, -999.5]]),
                 attrs={"axis": 1}, desc="large offset"))
    # attention-style masking: -inf entries get probability 0 and no NaN anywhere
    out.append(S(np.array([[0.5, -np.inf, 1.0], [-np.inf, 2.0, -1.0]]), attrs={"axis": 1},
                 grad=False, edge=True, desc="-inf mask"))
    return out


def _softmax_ref(which):
    def ref(t, x, axis):
        return getattr(t, which)(x, dim=0 if axis is None else axis)
    return ref


samples("softmax", ref=_softmax_ref("softmax"))(_softmax_samples)
samples("log_softmax", ref=_softmax_ref("log_softmax"))(_softmax_samples)



def _cumsum_ref(t, x, axis, reverse=False):
    return t.cumsum(x.flip(axis), axis).flip(axis) if reverse else t.cumsum(x, axis)


@samples("cumsum", ref=_cumsum_ref)
def _cumsum(name, r):
    out = [S(U(r, shape), attrs={"axis": a, "reverse": rev}, desc=f"{shape} axis={a} reverse={rev}")
           for shape, a, rev in [((3, 4), 0, False), ((3, 4), 1, False), ((2, 3, 4), 1, False),
                                 ((5,), 0, False), ((1,), 0, False), ((3, 4), 1, True),
                                 ((2, 3, 4), 2, True), ((0, 3), 1, False)]]
    out += [
        S(fortran(U(r, (3, 4))), attrs={"axis": 1, "reverse": False}, desc="fortran, axis 1"),
        S(strided(U(r, (2, 5))), attrs={"axis": 1, "reverse": True}, desc="strided, reverse"),
        P(U(r, (2, 3, 4)), call=lambda x: ag.cumsum(x, -2), ref=lambda t, x: t.cumsum(x, -2),
          desc="public: cumsum(x, -2)"),
        P(U(r, (3, 4)), call=lambda x: x.cumsum(dim=-1), ref=lambda t, x: x.cumsum(dim=-1),
          desc="public: x.cumsum(dim=-1)"),
        P(U(r, ()), call=lambda x: ag.cumsum(x, 0), ref=lambda t, x: t.cumsum(x, 0),
          desc="public: cumsum of a 0-d tensor"),
        P(U(r, (3,)), call=lambda x: ag.cumsum(x, 0, dtype=np.float32),
          ref=lambda t, x: t.cumsum(x, 0, dtype=t.float32), eps=1e-3,
          desc="public: cumsum(dtype=float32)"),
        P(U(r, (2, 3)), call=lambda x: x * ag.cumsum(ag.tensor([[1, 2, 3], [4, 5, 6]]), 1),
          ref=lambda t, x: x * t.cumsum(t.tensor([[1, 2, 3], [4, 5, 6]]), 1),
          desc="public: cumsum of an int64 tensor (int64 result)"),
    ]
    return out


@samples("cumprod", ref=lambda t, x, axis: t.cumprod(x, axis))
def _cumprod(name, r):
    mk = lambda r, s: away(r, s, 0.5, 1.5)  # noqa: E731
    out = [S(mk(r, shape), attrs={"axis": a}, desc=f"{shape} axis={a}")
           for shape, a in [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((5,), 0), ((1,), 0),
                            ((3, 1), 1), ((0, 3), 1)]]
    # zeros: the gradient is exact (no division by x), as in PyTorch
    z = np.array([[1.5, 0.0, -2.0, 0.7], [0.0, 1.2, 0.0, 0.5], [0.9, 1.1, -0.8, 0.0]])
    out += [
        S(z, attrs={"axis": 1}, desc="zeros: first, last, two in a row"),
        S(z, attrs={"axis": 0}, desc="zeros along dim 0"),
        S(np.array([0.0, 0.0, 1.3, -0.6]), attrs={"axis": 0}, desc="leading zeros"),
        S(fortran(mk(r, (3, 4))), attrs={"axis": 1}, desc="fortran, axis 1"),
        S(strided(mk(r, (2, 5))), attrs={"axis": 1}, desc="strided"),
        P(mk(r, (2, 3, 4)), call=lambda x: ag.cumprod(x, -2), ref=lambda t, x: t.cumprod(x, -2),
          desc="public: cumprod(x, -2)"),
        P(mk(r, (3, 4)), call=lambda x: x.cumprod(dim=-1), ref=lambda t, x: x.cumprod(dim=-1),
          desc="public: x.cumprod(dim=-1)"),
        P(mk(r, ()), call=lambda x: ag.cumprod(x, 0), ref=lambda t, x: t.cumprod(x, 0),
          desc="public: cumprod of a 0-d tensor"),
        P(U(r, (2, 3)), call=lambda x: x * ag.cumprod(ag.tensor([[1, 2, 3], [4, 0, 6]]), 1),
          ref=lambda t, x: x * t.cumprod(t.tensor([[1, 2, 3], [4, 0, 6]]), 1),
          desc="public: cumprod of an int64 tensor (int64 result)"),
    ]
    return out


def _cumprod_backward_ref(t, gy, x, axis):
    xg = x if x.requires_grad else x.detach().requires_grad_()
    return t.autograd.grad(t.cumprod(xg, axis), xg, gy, create_graph=True)[0]


@samples("cumprod_backward", ref=_cumprod_backward_ref)
def _cumprod_backward(name, r):
    mk = lambda s: away(r, s, 0.5, 1.5)  # noqa: E731

    def cb(x, axis, desc, g=None, **kw):
        return S(U(r, np.shape(x)) if g is None else g, x, attrs={"axis": axis}, desc=desc, **kw)

    z = np.array([[1.5, 0.0, -2.0, 0.7], [0.0, 1.2, 0.0, 0.5], [0.9, 1.1, -0.8, 0.0]])
    return [
        cb(mk((3, 4)), 0, "(3, 4) axis 0"), cb(mk((3, 4)), 1, "(3, 4) axis 1"),
        cb(mk((2, 3, 4)), 1, "(2, 3, 4) axis 1"), cb(mk((5,)), 0, "(5,)"),
        cb(mk((1,)), 0, "one element"), cb(mk((3, 1)), 1, "size-1 rows"),
        cb(z, 1, "zeros: first, last, two in a row"), cb(z, 0, "zeros along dim 0"),
        cb(np.array([0.0, 0.0, 1.3, -0.6]), 0, "leading zeros"),
        cb(fortran(mk((3, 4))), 1, "fortran x and g", g=fortran(U(r, (3, 4)))),
        cb(strided(mk((2, 5))), 1, "strided x and g", g=strided(U(r, (2, 5)))),
        # a 0-d cumprod reaches its backward as shape (1,), as cumprod's wrapper reshapes it
        S(U(r, ()), mk(()), call=lambda fn, gy, x: ag.reshape(
            fn(ag.reshape(gy, (1,)), ag.reshape(x, (1,)), axis=0), ()),
          ref=lambda t, gy, x: _cumprod_backward_ref(t, gy.reshape(1), x.reshape(1), 0).reshape(()),
          desc="0-d, reshaped to (1,) as cumprod does"),
    ]


def _norm_ref(t, x, p=2, dim=None, keepdim=False):
    return t.linalg.vector_norm(x, p, dim, keepdim)


@samples("norm", ref=_norm_ref)
def _norm(name, r):
    inf = float("inf")

    def signed(r, shape):  # |x| tie-free and away from 0 (the kinks of abs, max |x|)
        return distinct(r, shape, start=0.3) * r.choice([-1.0, 1.0], size=shape)

    def n(shape, desc, make=U, **attrs):
        return S(make(r, shape), attrs=attrs, desc=desc)

    zero_row = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.5]])
    return [
        n((3, 4), "p=2, all elements"),
        n((3, 4), "p=2, dim=-1", dim=-1),
        n((2, 3, 4), "p=2, dim=(0, -1), keepdim", dim=(0, -1), keepdim=True),
        n((), "p=2, 0-d"),
        n((3, 1), "p=2, over a size-1 dim", dim=-1),
        n((1, 4), "p=inf, size-1 dim kept", make=signed, p=inf, dim=1, keepdim=True),
        n((3, 4), "p=1, dim 0", make=away, p=1, dim=0),
        n((2, 3, 4), "p=1, keepdim", make=away, p=1, dim=-2, keepdim=True),
        n((3, 4), "p=inf, dim=1", make=signed, p=inf, dim=1),
        n((2, 3, 4), "p=inf, all", make=signed, p=inf),
        n((3, 4), "p=-inf, dim=-1, keepdim", make=signed, p=-inf, dim=-1, keepdim=True),
        n((3, 4), "p=3, dim=0", p=3, dim=0),
        n((2, 3, 4), "p=1.5, dim=(1, 2)", make=away, p=1.5, dim=(1, 2)),
        n((3, 4), "p=0.5, dim=1 (off 0)", make=away, p=0.5, dim=1),
        n((), "p=inf, 0-d", make=away, p=inf),
        S(fortran(U(r, (3, 4))), attrs={"dim": 1}, desc="p=2, fortran"),
        S(strided(away(r, (2, 5))), attrs={"p": 3, "dim": -1}, desc="p=3, strided"),
        # a zero group: PyTorch's gradient there is 0 (finite differences agree:
        # |eps| - |-eps| = 0); not twice differentiable there
        S(zero_row, attrs={"dim": 1}, gradgrad=False, desc="p=2, a zero row: gradient 0"),
        S(zero_row, attrs={"p": 3, "dim": 1}, gradgrad=False, desc="p=3, a zero row: gradient 0"),
        S(np.zeros((2, 3)), attrs={}, gradgrad=False, desc="p=2, all zeros: gradient 0"),
        P(U(r, (3, 4)), call=lambda x: x.norm(dim=-1, keepdim=True),
          ref=lambda t, x: x.norm(dim=-1, keepdim=True), desc="public: x.norm(dim=-1, keepdim=True)"),
        P(away(r, (3, 4)), call=lambda x: ag.norm(x, 1), ref=lambda t, x: t.norm(x, 1),
          desc="public: norm(x, 1)"),
        P(U(r, (3, 4)), call=lambda x: x.norm("fro"), ref=lambda t, x: x.norm("fro"),
          desc="public: x.norm('fro')"),
    ]
