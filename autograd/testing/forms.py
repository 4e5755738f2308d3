"""Samples added across ops after the per-op builders: extreme arguments, empty batches,
the public forms (functions and methods as users write them) and // and %."""
from __future__ import annotations


import numpy as np

import autograd as ag
from .nn import _fold_ref, _unfold_ref
from .shape import _idx
from ._base import (rng, dodge, distinct, U, pos, away, fortran, red, DB, S, P)

# --------------------------------------------------------------------------- extremes
# Saturation and tiny arguments, compared with PyTorch only (no overflow, no NaN,
# gradients that underflow to 0 the same way).
EXTREMES = np.array([-1e3, -50.0, -20.0, -1e-8, 1e-8, 20.0, 50.0, 1e3])
for _n in ("tanh", "sigmoid", "softplus", "gelu", "elu", "erf", "silu", "leaky_relu", "exp",
           "sin", "abs", "relu", "clamp"):
    _attrs = {"softplus": {"beta": 1.0, "threshold": 20.0}, "gelu": {"approximate": "none"},
              "elu": {"alpha": 1.0}, "leaky_relu": {"negative_slope": 0.01},
              "clamp": {"min": -30.0, "max": 30.0}}.get(_n, {})
    DB[_n].append(S(EXTREMES, attrs=_attrs, grad=False, edge=True, desc="extremes"))
DB["gelu"].append(S(EXTREMES, attrs={"approximate": "tanh"}, grad=False, edge=True,
                    desc="extremes, tanh"))
for _n in ("softmax", "log_softmax"):
    DB[_n].append(S(EXTREMES, attrs={"axis": 0}, grad=False, edge=True, desc="extremes"))
DB["logsumexp"].append(S(EXTREMES, attrs=red((8,), 0, False), grad=False, edge=True,
                         desc="extremes"))


# --------------------------------------------------------------------------- empty batches
# A batch of zero rows reduced or transformed along its non-empty dimensions gives an
# empty result and an empty gradient, as in PyTorch (only a reduction over an empty
# dimension is undefined).
_E = np.zeros((0, 3))
for _n in ("sum", "mean", "max", "min", "prod", "logsumexp"):
    DB[_n].append(S(_E, attrs=red((0, 3), 1, False), desc="empty batch, axis 1"))
DB["max"].append(S(_E, attrs={**red((0, 3), -1, True), "split": True}, desc="amax, empty batch"))
DB["prod"].append(S(_E, attrs=red((0, 3), None, False), desc="empty: 1"))
DB["sum"].append(S(_E, attrs=red((0, 3), 0, False), desc="empty: zeros"))
for _n in ("softmax", "log_softmax"):
    DB[_n].append(S(_E, attrs={"axis": 1}, desc="empty batch"))
for _n in ("var", "std"):
    DB[_n].append(S(_E, attrs={"axis": 1}, desc="empty batch"))
DB["matmul"].append(S(np.zeros((0, 3)), U(rng("matmul"), (3, 2)), desc="empty batch"))
DB["matmul"].append(S(np.zeros((2, 0)), np.zeros((0, 3)), desc="empty inner dim: zeros"))
DB["add"].append(S(_E, U(rng("add"), (3,)), desc="empty batch + (3,)"))
DB["exp"].append(S(_E, desc="empty"))
DB["cat"].append(S(_E, U(rng("cat"), (2, 3)), attrs={"axis": 0}, desc="empty + (2, 3)"))
DB["getitem"].append(S(U(rng("getitem"), (3, 2)), attrs=_idx(np.array([], dtype=np.int64), (3, 2)),
                       desc="empty index"))
DB["getitem"].append(S(U(rng("getitem"), (3, 2)), attrs=_idx(np.zeros(3, dtype=bool), (3, 2)),
                       desc="all-False mask"))
DB["reshape"].append(S(_E, attrs={"shape": (3, 0)}, desc="empty"))


# --------------------------------------------------------------------------- public forms
# The samples above call primitives with their internal attributes. These call the
# public functions and methods users write (PyTorch's dim/keepdim, negative dims,
# lists and Tensors as indices, in-place methods), so the wrappers' normalisation is
# checked against PyTorch too. Filed under the primitive they reach.
def _public_samples():
    r = rng("public forms")
    x34, x234 = U(r, (3, 4)), U(r, (2, 3, 4))
    d34 = distinct(r, (3, 4))
    add = lambda name, *ss: DB[name].extend(ss)  # noqa: E731

    add("sum",
        P(x34, call=lambda x: x.sum(dim=-1, keepdim=True), ref=lambda t, x: x.sum(dim=-1, keepdim=True),
          desc="public: x.sum(dim=-1, keepdim=True)"),
        P(x234, call=lambda x: ag.sum(x, dim=(0, -1)), ref=lambda t, x: t.sum(x, dim=(0, -1)),
          desc="public: sum(dim=(0, -1))"),
        P(x34, call=lambda x: ag.sum(x, axis=0, keepdims=True),
          ref=lambda t, x: t.sum(x, 0, keepdim=True), desc="public: NumPy axis/keepdims"))
    add("mean",
        P(x234, call=lambda x: x.mean(dim=1), ref=lambda t, x: x.mean(dim=1),
          desc="public: x.mean(dim=1)"),
        P(x34, call=lambda x: ag.mean(x), ref=lambda t, x: t.mean(x), desc="public: mean()"))
    for which in ("max", "min"):
        add(which,
            P(d34, call=lambda x, w=which: getattr(ag, w)(x, dim=-1),
              ref=lambda t, x, w=which: getattr(t, w)(x, dim=-1),
              desc=f"public: {which}(dim=-1) -> (values, indices)"),
            P(d34, call=lambda x, w=which: getattr(x, w)(dim=0, keepdim=True),
              ref=lambda t, x, w=which: getattr(x, w)(dim=0, keepdim=True),
              desc=f"public: x.{which}(dim=0, keepdim=True)"),
            P(d34, call=lambda x, w=which: getattr(x, w)(), ref=lambda t, x, w=which: getattr(x, w)(),
              desc=f"public: x.{which}()"),
            P(d34, call=lambda x, w=which: getattr(x, w)(1), ref=lambda t, x, w=which: getattr(x, w)(1),
              desc=f"public: x.{which}(1) -> (values, indices), positional dim"),
            P(d34, distinct(r, (3, 4)) + 0.013, call=lambda a, b, w=which: getattr(ag, w)(a, b),
              ref=lambda t, a, b, w=which: getattr(t, w)(a, b),
              desc=f"public: {which}(a, b) is elementwise"),
            P(d34, call=lambda x, w=which: getattr(ag, "a" + w)(x, axis=(0, 1)),
              ref=lambda t, x, w=which: getattr(t, "a" + w)(x, dim=(0, 1)),
              desc=f"public: a{which}(axis=(0, 1))"),
            P(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]) * (1 if which == "max" else -1),
              call=lambda x, w=which: getattr(x, "a" + w)(dim=1),
              ref=lambda t, x, w=which: getattr(x, "a" + w)(dim=1),
              gradgrad=False, desc=f"public: x.a{which}(dim=1): a tensor, ties split"))
    for which in ("argmax", "argmin"):
        add(which,
            P(d34, call=lambda x, w=which: getattr(x, w)(dim=-1, keepdim=True),
              ref=lambda t, x, w=which: getattr(x, w)(dim=-1, keepdim=True),
              desc=f"public: x.{which}(dim=-1, keepdim=True)"),
            P(d34, call=lambda x, w=which: getattr(ag, w)(x), ref=lambda t, x, w=which: getattr(t, w)(x),
              desc=f"public: {which}(x) flattened"))
    add("prod",
        P(away(r, (2, 3), 0.5, 1.5), call=lambda x: x.prod(dim=-1, keepdim=True),
          ref=lambda t, x: x.prod(dim=-1, keepdim=True), desc="public: x.prod(dim=-1)"))
    add("logsumexp",
        P(x234, call=lambda x: x.logsumexp(dim=(-1, 0)), ref=lambda t, x: x.logsumexp(dim=(-1, 0)),
          desc="public: logsumexp(dim=(-1, 0))"))
    for which in ("softmax", "log_softmax"):
        add(which,
            P(x234, call=lambda x, w=which: getattr(ag, w)(x, dim=-2),
              ref=lambda t, x, w=which: getattr(t, w)(x, dim=-2), desc=f"public: {which}(dim=-2)"),
            P(x34, call=lambda x, w=which: getattr(x, w)(), ref=lambda t, x, w=which: getattr(t, w)(x, -1),
              desc=f"public: x.{which}() (last dim)"))
    add("reshape",
        P(x234, call=lambda x: x.reshape(4, -1), ref=lambda t, x: x.reshape(4, -1),
          desc="public: x.reshape(4, -1)"),
        P(x34, call=lambda x: x.view((2, 6)), ref=lambda t, x: x.view((2, 6)),
          desc="public: x.view((2, 6))"))
    add("permute",
        P(x234, call=lambda x: x.permute(-1, 0, 1), ref=lambda t, x: x.permute(-1, 0, 1),
          desc="public: x.permute(-1, 0, 1)"),
        P(x234, call=lambda x: x.T, ref=lambda t, x: x.permute(2, 1, 0), desc="public: x.T"),
        P(x234, call=lambda x: x.mT, ref=lambda t, x: x.mT, desc="public: x.mT"))
    add("broadcast_to",
        P(U(r, (3, 1)), call=lambda x: x.expand(2, 3, 4), ref=lambda t, x: x.expand(2, 3, 4),
          desc="public: x.expand(2, 3, 4)"),
        P(U(r, (4,)), call=lambda x: ag.broadcast_to(x, (3, 4)),
          ref=lambda t, x: t.broadcast_to(x, (3, 4)), desc="public: broadcast_to"))
    add("cat",
        P(U(r, (2, 3)), U(r, (2, 1)), call=lambda a, b: ag.cat([a, b], dim=-1),
          ref=lambda t, a, b: t.cat([a, b], dim=-1), desc="public: cat(dim=-1)"),
        P(U(r, (2, 3)), U(r, (1, 3)), call=lambda a, b: ag.concatenate((a, b)),
          ref=lambda t, a, b: t.cat((a, b)), desc="public: concatenate"))
    add("pad",
        P(U(r, (1, 2, 3)), call=lambda x: ag.pad(x, (1, 2, 0, 1), value=-0.5),
          ref=lambda t, x: t.nn.functional.pad(x, (1, 2, 0, 1), value=-0.5),
          desc="public: pad((1, 2, 0, 1), value)"),
        P(U(r, (2, 3)), call=lambda x: x.pad((2, 0)),
          ref=lambda t, x: t.nn.functional.pad(x, (2, 0)), desc="public: x.pad((2, 0))"))
    mask = x34 > 0
    add("getitem",
        P(x34, call=lambda x: x[[2, 0, 2]], ref=lambda t, x: x[[2, 0, 2]],
          desc="public: x[list] with repeats"),
        P(x34, call=lambda x: x[ag.tensor(mask)], ref=lambda t, x: x[t.as_tensor(mask)],
          desc="public: x[bool tensor]"),
        P(x34, call=lambda x: x[ag.tensor(np.array([1, 1])), 1:], ref=lambda t, x: x[t.tensor([1, 1]), 1:],
          desc="public: x[int tensor, slice]"),
        P(x234, call=lambda x: x[..., -1], ref=lambda t, x: x[..., -1], desc="public: x[..., -1]"),
        P(x234, call=lambda x: x[0, :, [1, 1, 2]], ref=lambda t, x: x[0, :, [1, 1, 2]],
          desc="public: x[0, :, list] (int selects first, like PyTorch)"),
        P(x234, call=lambda x: x[1, None, :, ::2], ref=lambda t, x: x[1, None, :, ::2],
          desc="public: x[1, None, :, ::2]"),
        P(x34, call=lambda x: ag.take(x, [0, 5, 5]), ref=lambda t, x: t.take(x, t.tensor([0, 5, 5])),
          desc="public: take"))
    add("index_add",
        P(U(r, (3, 4)), call=lambda g: ag.index_add(g, [2, 0, 2], (4, 4)),
          ref=lambda t, g: t.zeros(4, 4, dtype=g.dtype).index_put((t.tensor([2, 0, 2]),), g,
                                                                   accumulate=True),
          desc="public: index_add(g, list, shape)"))
    add("setitem",
        P(x34, U(r, (2, 1)), call=_set_public, ref=_set_public_ref,
          desc="public: y[mask] = 0, y[rows] = v"))
    add("fill",
        P(x34, call=lambda x: (x * 1.0).fill_(2.5), ref=lambda t, x: (x * 1.0).fill_(2.5),
          desc="public: fill_"),
        P(x34, call=lambda x: (x * 1.0).zero_(), ref=lambda t, x: (x * 1.0).zero_(),
          desc="public: zero_"))
    add("copy_from",
        P(x34, U(r, (4,)), call=lambda x, s_: (x * 1.0).copy_(s_), ref=lambda t, x, s_: (x * 1.0).copy_(s_),
          desc="public: copy_ (broadcast)"))
    add("clamp",
        P(dodge(x34, (-1.0,)), call=lambda x: x.clamp(min=-1.0), ref=lambda t, x: x.clamp(min=-1.0),
          desc="public: x.clamp(min=)"),
        P(dodge(x34, (-0.5, 0.5)), call=lambda x: ag.clip(x, -0.5, 0.5),
          ref=lambda t, x: t.clip(x, -0.5, 0.5), desc="public: clip"),
        P(dodge(x34, (0.25,)), call=lambda x: (x * 1.0).clamp_(max=0.25),
          ref=lambda t, x: (x * 1.0).clamp_(max=0.25), desc="public: clamp_ in place"),
        # tensor bounds (broadcasting): the bound gets the gradient where it is the result
        P(d34, distinct(r, (4,)) * 0.3 - 0.5, distinct(r, (3, 1)) * 0.3 + 0.6,
          call=lambda x, lo, hi: ag.clamp(x, lo, hi), ref=lambda t, x, lo, hi: t.clamp(x, lo, hi),
          desc="public: clamp(x, tensor, tensor)"),
        P(d34, distinct(r, (3, 4)), call=lambda x, hi: x.clamp(max=hi),
          ref=lambda t, x, hi: x.clamp(max=hi), desc="public: x.clamp(max=tensor)"),
        P(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), np.array(0.0), np.array([1.0, 1.0, 1.0, 1.0, 1.5]),
          call=lambda x, lo, hi: ag.clamp(x, lo, hi), ref=lambda t, x, lo, hi: t.clamp(x, lo, hi),
          grad=False, desc="public: clamp with tensor bounds at ties (x gets it, like torch)"))
    add("leaky_relu",
        P(dodge(x34), call=lambda x: x.leaky_relu(), ref=lambda t, x: t.nn.functional.leaky_relu(x),
          desc="public: default slope"))
    add("elu",
        P(dodge(x34), call=lambda x: ag.elu(x, alpha=2.0), ref=lambda t, x: t.nn.functional.elu(x, 2.0),
          desc="public: elu(alpha=2)"))
    add("gelu",
        P(x34, call=lambda x: x.gelu(), ref=lambda t, x: t.nn.functional.gelu(x), desc="public: x.gelu()"))
    add("softplus",
        P(x34, call=lambda x: ag.softplus(x, beta=3.0), ref=lambda t, x: t.nn.functional.softplus(x, 3.0),
          desc="public: softplus(beta=3)"))
    add("cast",
        P(x34, call=lambda x: x.to(np.float32), ref=lambda t, x: x.to(t.float32), eps=1e-3,
          desc="public: x.to(float32)"),
        P(x34, call=lambda x: x.float().double(), ref=lambda t, x: x.float().double(), eps=1e-3,
          desc="public: x.float().double()"))
    add("clone", P(x34, call=lambda x: x.clone(), ref=lambda t, x: x.clone(), desc="public: x.clone()"))
    add("unfold",
        P(U(r, (1, 2, 4, 4)), call=lambda x: ag.unfold(x, 2, stride=2),
          ref=lambda t, x: _unfold_ref(t, x, (2, 2), (2, 2), (1, 1)), desc="public: unfold(x, 2, stride=2)"))
    add("fold",
        P(U(r, (1, 2, 2, 2, 3, 3)), call=lambda c: ag.fold(c, (1, 2, 4, 4), 2),
          ref=lambda t, c: _fold_ref(t, c, (1, 2, 4, 4), (2, 2), (1, 1), (1, 1)), desc="public: fold"))
    add("matmul",
        P(U(r, (2, 3)), U(r, (3, 2)), call=lambda a, b: a @ b, ref=lambda t, a, b: a @ b, desc="public: @"),
        P(U(r, (3,)), U(r, (3,)), call=lambda a, b: ag.dot(a, b), ref=lambda t, a, b: t.dot(a, b),
          desc="public: dot"))
    add("pow",
        P(pos(r, (3,)), call=lambda x: x ** 2.5, ref=lambda t, x: x ** 2.5, desc="public: x ** 2.5"),
        P(U(r, (3,)), call=lambda x: 2.0 ** x, ref=lambda t, x: 2.0 ** x, desc="public: 2 ** x"))
    add("div",
        P(away(r, (3,)), call=lambda x: 1.0 / x, ref=lambda t, x: 1.0 / x, desc="public: 1 / x"))
    add("sub",
        P(U(r, (3,)), call=lambda x: 1.0 - x, ref=lambda t, x: 1.0 - x, desc="public: 1 - x"))
    add("neg", P(U(r, (3,)), call=lambda x: -x, ref=lambda t, x: -x, desc="public: -x"))
    # in-place arithmetic on a non-leaf (the node is recorded on the tensor itself)
    y4 = U(r, (4,))
    add("add", P(x34, y4, call=lambda x, y: (x * 1.0).add_(y, alpha=-0.5),
                 ref=lambda t, x, y: (x * 1.0).add_(y, alpha=-0.5), desc="public: add_(alpha)"))
    add("sub", P(x34, y4, call=lambda x, y: (x * 1.0).sub_(y, alpha=2),
                 ref=lambda t, x, y: (x * 1.0).sub_(y, alpha=2), desc="public: sub_(alpha)"))
    # z *= z: tapegrad records it on z's old value; torch refuses (it saved z), so its
    # reference is the out-of-place equivalent
    add("mul", P(x34, y4, call=lambda x, y: _imul(x * 1.0, y),
                 ref=lambda t, x, y: (x * y) * (x * y), desc="public: z *= y; z *= z"))
    add("div", P(x34, away(r, (4,)), call=lambda x, y: (x * 1.0).div_(y),
                 ref=lambda t, x, y: (x * 1.0).div_(y), desc="public: div_"))
    add("sqrt", P(pos(r, (2, 3)), call=lambda x: ag.rsqrt(x), ref=lambda t, x: t.rsqrt(x),
                  desc="public: rsqrt"))
    add("div", P(away(r, (2, 3)), call=lambda x: x.reciprocal(), ref=lambda t, x: t.reciprocal(x),
                 desc="public: reciprocal"))
    add("matmul", P(U(r, (2, 3)), U(r, (3, 2)), call=lambda a, b: ag.mm(a, b),
                    ref=lambda t, a, b: t.mm(a, b), desc="public: mm"))
    add("sum", P(U(r, (2, 3, 4)), call=lambda x: ag.sum_to(x, (3, 1)),
                 ref=lambda t, x: x.sum(dim=0).sum(dim=-1, keepdim=True), desc="public: sum_to"),
        P(U(r, (2, 3)), call=lambda x: x.square().sum(), ref=lambda t, x: x.square().sum(),
          desc="public: x.square().sum()"))
    add("where",
        P(x34, call=lambda x: ag.where(x > 0, x, 0.0), ref=lambda t, x: t.where(x > 0, x, 0.0),
          desc="public: where(x > 0, x, 0.0)"),
        P(x34, call=lambda x: x.masked_fill(x < 0, -1.0), ref=lambda t, x: x.masked_fill(x < 0, -1.0),
          desc="public: masked_fill"))


def _floormod_operands(r, shape_x, shape_y):
    """x and y with x / y at least 0.2 away from an integer (off floor's jumps)."""
    y = away(r, shape_y, 0.6, 1.8)
    k = r.integers(-3, 3, size=np.broadcast_shapes(shape_x, shape_y))
    x = y * (k + r.uniform(0.2, 0.8, size=k.shape))
    return np.ascontiguousarray(x.reshape(shape_x) if x.shape == shape_x else x), y


def _floormod_samples():
    r = rng("floor_divide/remainder")
    add = lambda name, *ss: DB[name].extend(ss)  # noqa: E731
    x34, y4 = _floormod_operands(r, (3, 4), (4,))
    x0, y0 = _floormod_operands(r, (), ())
    # floor_divide is piecewise constant with no derivative (torch raises in backward),
    # so it is reached through x * floor_divide(x, y) with a detached torch reference
    fd_ref = lambda t, x, y: x * t.floor_divide(x.detach(), y.detach())  # noqa: E731
    add("mul",
        P(x34, y4, call=lambda x, y: x * ag.floor_divide(x, y), ref=fd_ref,
          desc="public: floor_divide (x * floor_divide(x, y), broadcast)"),
        P(x0, y0, call=lambda x, y: x * x.floor_divide(y), ref=fd_ref,
          desc="public: x.floor_divide(y), 0-d"),
        P(fortran(x34), call=lambda x: x * ag.floor_divide(x, 0.75),
          ref=lambda t, x: x * t.floor_divide(x.detach(), 0.75), grad=False,
          desc="public: floor_divide(x, 0.75), non-contiguous"))
    xs = np.array([[1.3, -2.6, 3.7], [-0.9, 2.2, -3.1]])
    add("sub",
        P(x34, y4, call=lambda x, y: ag.remainder(x, y), ref=lambda t, x, y: t.remainder(x, y),
          desc="public: remainder(x, y), broadcast, both gradients"),
        P(x0, y0, call=lambda x, y: x.remainder(y), ref=lambda t, x, y: x.remainder(y),
          desc="public: x.remainder(y), 0-d"),
        P(fortran(x34), call=lambda x: ag.remainder(x, 0.75), ref=lambda t, x: t.remainder(x, 0.75),
          grad=False, desc="public: remainder(x, 0.75), non-contiguous"),
        P(xs, call=lambda x: ag.remainder(x, -0.7), ref=lambda t, x: t.remainder(x, -0.7),
          desc="public: remainder with a negative divisor (sign of the divisor)"))


_floormod_samples()



def _imul(z, y):
    z *= y
    z *= z
    return z


def _set_public(x, v):
    y = x * 1.0
    y[y._arr > 0.5] = 0.0
    y[ag.tensor(np.array([0, 2]))] = v
    return y


def _set_public_ref(t, x, v):
    y = x * 1.0
    y[y.detach() > 0.5] = 0.0
    y[t.tensor([0, 2])] = v
    return y


_public_samples()
