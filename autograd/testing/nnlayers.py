"""Samples of issue 13's layer ops: conv1d, conv_transpose2d, adaptive_avg_pool2d,
interpolate, the padding modes, group_norm, rms_norm, mish, softsign, hardtanh and the
losses kl_div, smooth_l1_loss, margin_ranking_loss, cosine_embedding_loss."""
from __future__ import annotations

import warnings

import numpy as np

from ._base import U, dodge, fortran, pos, samples, strided, S


def _pos_call(*names):
    """Call fn(*tensors, <attrs named in ``names``, positionally, after the tensors>, **rest)."""
    def call(fn, *ts, **a):
        a = dict(a)
        return fn(ts[0], *[a.pop(n) for n in names], *ts[1:], **a)
    return call


# --------------------------------------------------------------------------- convolutions
def _conv1d_ref(t, x, w, b=None, **kw):
    return t.nn.functional.conv1d(x, w, b, **kw)


@samples("conv1d", ref=_conv1d_ref)
def _conv1d(name, r):
    return [
        S(U(r, (2, 3, 7)), U(r, (4, 3, 3)), U(r, (4,)), desc="bias"),
        S(U(r, (1, 2, 8)), U(r, (3, 2, 2)), attrs={"stride": 2, "padding": 1}, desc="stride 2, padding 1"),
        S(U(r, (2, 2, 7)), U(r, (2, 2, 3)), attrs={"dilation": 2, "padding": (2,)},
          desc="dilation 2, padding as a 1-tuple"),
        S(U(r, (2, 6)), U(r, (3, 2, 3)), U(r, (3,)), desc="unbatched (C, L)"),
        S(U(r, (1, 4, 6)), U(r, (4, 2, 3)), U(r, (4,)), attrs={"groups": 2, "padding": "same"},
          desc="groups 2, padding 'same'"),
        S(U(r, (1, 1, 6)), U(r, (2, 1, 4)), attrs={"padding": "same"},
          desc="padding 'same', even kernel"),
        S(fortran(U(r, (2, 3, 5))), strided(U(r, (2, 3, 2))), desc="non-contiguous"),
    ]


def _convt_ref(t, x, w, b=None, **kw):
    return t.nn.functional.conv_transpose2d(x, w, b, **kw)


@samples("conv_transpose2d", ref=_convt_ref)
def _conv_transpose2d(name, r):
    return [
        S(U(r, (2, 3, 3, 4)), U(r, (3, 2, 3, 3)), U(r, (2,)), desc="bias"),
        S(U(r, (1, 2, 3, 3)), U(r, (2, 3, 2, 2)), attrs={"stride": 2}, desc="stride 2 (upsampling)"),
        S(U(r, (1, 2, 3, 3)), U(r, (2, 1, 3, 3)), U(r, (1,)),
          attrs={"stride": 2, "padding": 1, "output_padding": 1},
          desc="stride 2, padding 1, output_padding 1"),
        S(U(r, (1, 2, 3, 2)), U(r, (2, 2, 2, 3)),
          attrs={"stride": (1, 2), "padding": (1, 0), "dilation": (2, 1)},
          desc="rectangular, dilation"),
        S(U(r, (1, 1, 3, 3)), U(r, (1, 1, 2, 2)),
          attrs={"stride": 1, "dilation": 3, "output_padding": 2, "padding": 1},
          desc="output_padding >= stride (< dilation): past the cropped padding"),
        S(U(r, (2, 4, 2, 3)), U(r, (4, 1, 2, 2)), U(r, (2,)), attrs={"groups": 2, "stride": 2},
          desc="groups 2"),
        S(U(r, (2, 3, 3)), U(r, (2, 2, 2, 2)), desc="unbatched (C, H, W)"),
        S(fortran(U(r, (1, 2, 3, 3))), U(r, (2, 2, 2, 2)).transpose(0, 1, 3, 2),
          attrs={"stride": 2, "padding": 1}, desc="non-contiguous"),
    ]


# --------------------------------------------------------------------------- resampling
@samples("adaptive_avg_pool2d",
         ref=lambda t, x, output_size: t.nn.functional.adaptive_avg_pool2d(x, output_size))
def _adaptive(name, r):
    return [
        S(U(r, (2, 3, 6, 6)), attrs={"output_size": 3}, desc="divisible windows"),
        S(U(r, (1, 2, 5, 7)), attrs={"output_size": (3, 4)}, desc="overlapping windows"),
        S(U(r, (1, 2, 3, 4)), attrs={"output_size": (5, None)}, desc="upsizing, None keeps W"),
        S(U(r, (2, 3, 4, 5)), attrs={"output_size": 1}, desc="global average"),
        S(U(r, (3, 4, 4)), attrs={"output_size": (2, 3)}, desc="unbatched"),
        S(fortran(U(r, (1, 1, 5, 4))), attrs={"output_size": 2}, desc="fortran"),
    ]


def _interp_ref(t, x, **kw):
    return t.nn.functional.interpolate(x, **kw)


@samples("interpolate", ref=_interp_ref)
def _interpolate(name, r):
    out = []
    for mode, ac in (("nearest", None), ("nearest-exact", None), ("bilinear", False),
                     ("bilinear", True)):
        out.append(S(U(r, (1, 2, 3, 4)), attrs={"scale_factor": 2, "mode": mode,
                                               "align_corners": ac},
                     desc=f"{mode} x2 align_corners={ac}"))
        out.append(S(U(r, (1, 1, 5, 4)), attrs={"size": (3, 7), "mode": mode, "align_corners": ac},
                     desc=f"{mode} to (3, 7) align_corners={ac}"))
        out.append(S(U(r, (2, 1, 4, 3)), attrs={"scale_factor": (1.7, 0.6), "mode": mode,
                                               "align_corners": ac},
                     desc=f"{mode} scale (1.7, 0.6) align_corners={ac}"))
    out += [
        S(U(r, (1, 2, 4, 3)), attrs={"scale_factor": 1.7, "mode": "bilinear",
                                     "recompute_scale_factor": True},
          desc="bilinear, recompute_scale_factor"),
        S(U(r, (2, 2, 5)), attrs={"scale_factor": 2.5, "mode": "linear"}, desc="linear, 3-D"),
        S(U(r, (1, 2, 5)), attrs={"size": 8, "mode": "linear", "align_corners": True},
          desc="linear, align_corners"),
        S(U(r, (1, 2, 5)), attrs={"size": 3, "mode": "nearest"}, desc="nearest, 3-D downsizing"),
        S(U(r, (1, 2, 6, 5)), attrs={"size": (4, 2), "mode": "area"}, desc="area"),
        S(fortran(U(r, (1, 2, 3, 3))), attrs={"size": (5, 4), "mode": "bilinear"},
          desc="fortran"),
    ]
    return out


def _pad_ref(mode):
    return lambda t, x, pad: t.nn.functional.pad(x, pad, mode=mode)


def _pad_samples(name, r):
    circ = name == "circular_pad"
    return [
        S(U(r, (2, 5)), attrs={"pad": (2, 1)}, desc="(C, W), last dim"),
        S(U(r, (1, 2, 4)), attrs={"pad": (3, 0)}, desc="(N, C, W), one side"),
        S(U(r, (1, 2, 4, 5)), attrs={"pad": (1, 2, 3, 1)}, desc="(N, C, H, W)"),
        S(U(r, (2, 3, 4)), attrs={"pad": (1, 1, 2, 0)}, desc="(C, H, W)"),
        S(U(r, (1, 1, 2, 3, 4)), attrs={"pad": (1, 2, 1, 0, 1, 1)}, desc="(N, C, D, H, W)"),
        S(U(r, (1, 2, 3, 4)), attrs={"pad": (4, 4, 3, 3) if circ else (3, 3, 2, 2)},
          desc="widest padding allowed"),
        S(fortran(U(r, (1, 3, 4))), attrs={"pad": (2, 2)}, desc="fortran"),
    ]


samples("reflection_pad", ref=_pad_ref("reflect"))(_pad_samples)
samples("replication_pad", ref=_pad_ref("replicate"))(_pad_samples)
samples("circular_pad", ref=_pad_ref("circular"))(_pad_samples)


# --------------------------------------------------------------------------- normalisation
@samples("group_norm")
def _group_norm(name, r):
    def gn(x, g, w=None, b=None, eps=1e-5, **kw):
        ins = [x] + [a for a in (w, b) if a is not None]

        def call(fn, x, *wb, **a):
            ww = wb[0] if w is not None else None
            bb = wb[-1] if b is not None else None
            return fn(x, g, ww, bb, eps)

        def ref(t, x, *wb):
            ww = wb[0] if w is not None else None
            bb = wb[-1] if b is not None else None
            return t.nn.functional.group_norm(x, g, ww, bb, eps)
        return S(*ins, call=call, ref=ref, **kw)

    return [
        gn(U(r, (2, 6, 3, 2)), 3, U(r, (6,)), U(r, (6,)), desc="3 groups, affine"),
        gn(U(r, (2, 4, 5)), 2, desc="(N, C, L), no affine"),
        gn(U(r, (2, 4, 5)), 4, U(r, (4,)), U(r, (4,)), desc="one channel per group"),
        gn(U(r, (3, 6)), 2, U(r, (6,)), U(r, (6,)), desc="(N, C)"),
        gn(U(r, (1, 4, 2, 2)), 1, U(r, (4,)), U(r, (4,)), eps=1e-3,
           desc="one group (layer-norm like), eps 1e-3"),
        gn(U(r, (2, 2, 3)) + 100.0, 2, U(r, (2,)), U(r, (2,)), desc="large offset"),
        gn(fortran(U(r, (2, 4, 3))), 2, strided(U(r, (4,))), U(r, (4,)), desc="non-contiguous"),
    ]


@samples("rms_norm")
def _rms_norm(name, r):
    def rn(x, ns, w=None, eps=None, **kw):
        ins = [x] if w is None else [x, w]

        def call(fn, x, *w_, **a):
            return fn(x, ns, w_[0] if w_ else None, eps)

        def ref(t, x, *w_):
            tns = (ns,) if isinstance(ns, int) else ns   # torch wants a list/tuple
            return t.nn.functional.rms_norm(x, tns, w_[0] if w_ else None, eps)
        return S(*ins, call=call, ref=ref, **kw)

    return [
        rn(U(r, (3, 4)), (4,), U(r, (4,)), desc="last dim, weight"),
        rn(U(r, (2, 3, 4)), (3, 4), U(r, (3, 4)), eps=1e-5, desc="two dims, eps 1e-5"),
        rn(U(r, (2, 5)), 5, desc="int normalized_shape, no weight, eps None (machine eps)"),
        rn(U(r, (4, 1)), (1,), U(r, (1,)), desc="size-1 normalised dim"),
        rn(fortran(U(r, (3, 4))), (4,), strided(U(r, (4,))), desc="non-contiguous"),
    ]


# --------------------------------------------------------------------------- activations
def _act_samples(r, gen):
    return [
        S(gen(r, (3, 4)), desc="(3, 4)"),
        S(gen(r, ()), desc="0-d"),
        S(gen(r, (1, 5)), desc="size-1 dim"),
        S(fortran(gen(r, (3, 2))), desc="fortran"),
        S(strided(gen(r, (2, 4))), desc="strided"),
    ]


@samples("mish", ref=lambda t, x: t.nn.functional.mish(x))
def _mish(name, r):
    out = _act_samples(r, lambda r, s: U(r, s, -4, 4))
    out.append(S(np.array([-60.0, -20.0, 15.0, 25.0, 80.0]), desc="past softplus' threshold"))
    return out


@samples("softsign", ref=lambda t, x: t.nn.functional.softsign(x))
def _softsign(name, r):
    return _act_samples(r, lambda r, s: dodge(U(r, s, -4, 4)))


@samples("hardtanh", ref=lambda t, x, **kw: t.nn.functional.hardtanh(x, **kw))
def _hardtanh(name, r):
    gen = lambda r, s: dodge(U(r, s, -2, 2), kinks=(-1.0, 1.0))  # noqa: E731
    out = _act_samples(r, gen)
    out += [
        S(dodge(U(r, (3, 4), -3, 3), kinks=(-0.5, 2.0)), attrs={"min_val": -0.5, "max_val": 2.0},
          desc="min_val -0.5, max_val 2"),
        S(np.array([-1.5, -1.0, 0.0, 1.0, 1.5]), grad=False,
          desc="on the bounds: gradient 0 there, like PyTorch"),
    ]
    return out


# --------------------------------------------------------------------------- losses
def _loss_ref(fname):
    return lambda t, *xs, **kw: getattr(t.nn.functional, fname)(*xs, **kw)


def _probs(r, shape):
    p = pos(r, shape, 0.1, 1.0)
    return p / p.sum(axis=-1, keepdims=True) if p.ndim else p


def _quiet(f):
    """f with the reduction='mean' UserWarning (ours and PyTorch's) silenced."""
    def g(*a, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return f(*a, **kw)
    return g


def _kl_mean_call(fn, *ts, **a):
    return _quiet(fn)(*ts, **a)


@samples("kl_div", ref=_loss_ref("kl_div"))
def _kl_div(name, r):
    out = []
    for red in ("batchmean", "sum", "none", "mean"):
        kw = {} if red != "mean" else {"call": _kl_mean_call,
                                       "ref": _quiet(lambda t, x, y, **k: t.nn.functional.kl_div(
                                           x, y, reduction="mean", log_target=k.get("lt", False)))}
        out.append(S(np.log(_probs(r, (3, 4))), _probs(r, (3, 4)), attrs={"reduction": red},
                     desc=f"reduction {red}", **kw))
        if red == "mean":
            kw["ref"] = _quiet(lambda t, x, y: t.nn.functional.kl_div(x, y, reduction="mean",
                                                                      log_target=True))
        out.append(S(np.log(_probs(r, (3, 4))), np.log(_probs(r, (3, 4))),
                     attrs={"reduction": red, "log_target": True},
                     desc=f"log_target, reduction {red}", **kw))
    t0 = _probs(r, (2, 3))
    t0[0, 1] = 0.0
    out += [
        S(np.log(_probs(r, (2, 3))), t0, attrs={"reduction": "sum"}, nondiff=(1,),
          desc="a zero target: term 0 (xlogy), finite gradient"),
        S(U(r, ()), pos(r, ()), attrs={"reduction": "batchmean"}, desc="0-d"),
        S(np.log(_probs(r, (1, 3))), _probs(r, (1, 3)), attrs={"reduction": "batchmean"},
          desc="batch of 1"),
        S(fortran(np.log(_probs(r, (3, 2)))), strided(_probs(r, (3, 2))),
          attrs={"reduction": "sum"}, desc="non-contiguous"),
    ]
    return out


@samples("smooth_l1_loss", ref=_loss_ref("smooth_l1_loss"))
def _smooth_l1(name, r):
    def pair_(shape, beta):
        x = U(r, shape)
        d = dodge(U(r, shape), kinks=(0.0, -beta, beta))
        return x, x - d

    out = []
    for red in ("mean", "sum", "none"):
        out.append(S(*pair_((3, 4), 1.0), attrs={"reduction": red}, desc=f"{red}"))
    out += [
        S(*pair_((5,), 0.5), attrs={"beta": 0.5}, desc="beta 0.5"),
        S(*pair_((5,), 0.0), attrs={"beta": 0.0}, desc="beta 0: L1"),
        S(*pair_((), 1.0), desc="0-d"),
        S(*pair_((1, 4), 2.0), attrs={"beta": 2.0, "reduction": "none"}, desc="size-1, beta 2"),
        S(*[fortran(a) for a in pair_((3, 2), 1.0)], desc="fortran"),
    ]
    return out


@samples("margin_ranking_loss", ref=_loss_ref("margin_ranking_loss"))
def _margin_ranking(name, r):
    def mr(n, margin, red="mean", **kw):
        x1 = U(r, n)
        y = np.where(r.random(n) < 0.5, -1.0, 1.0) if n else np.array(1.0)
        # keep -y (x1 - x2) + margin away from the kink at 0
        gap = dodge(U(r, n), kinks=(0.0,), margin=0.2)
        x2 = x1 - (margin - gap) * y
        return S(x1, x2, y, attrs={"margin": margin, "reduction": red}, nondiff=(2,), **kw)

    return [
        mr((5,), 0.0, desc="margin 0"),
        mr((6,), 0.5, "sum", desc="margin 0.5, sum"),
        mr((4,), 0.2, "none", desc="none"),
        mr((), 0.1, desc="0-d"),
        mr((1,), 0.3, "none", desc="size-1"),
        S(strided(U(r, (4,))), U(r, (4,)), np.array([1.0, -1.0, -1.0, 1.0]),
          attrs={"margin": 5.0, "reduction": "mean"}, nondiff=(2,),
          desc="strided, margin 5: every pair active"),
    ]


@samples("cosine_embedding_loss", ref=_loss_ref("cosine_embedding_loss"))
def _cosine_embedding(name, r):
    y4 = np.array([1.0, -1.0, 1.0, -1.0])

    def ce(x1, x2, y, margin=0.0, red="mean", **kw):
        return S(x1, x2, y, attrs={"margin": margin, "reduction": red}, nondiff=(2,), **kw)

    return [
        ce(U(r, (4, 3)), U(r, (4, 3)), y4, margin=-0.99, desc="margin -0.99: negatives active"),
        ce(U(r, (4, 3)), U(r, (4, 3)), y4, margin=-0.99, red="sum", desc="sum"),
        ce(U(r, (4, 3)), U(r, (4, 3)), y4, margin=-0.99, red="none", desc="none"),
        ce(U(r, (3,)), U(r, (3,)), np.array(1.0), desc="unbatched, 0-d target 1"),
        ce(U(r, (3,)), U(r, (3,)), np.array(-1.0), margin=-0.99, desc="unbatched, target -1"),
        ce(U(r, (1, 4)), U(r, (1, 4)), np.array([1.0]), red="none", desc="batch of 1"),
        ce(fortran(U(r, (2, 3))), strided(U(r, (2, 3))), np.array([1.0, 1.0]),
           desc="non-contiguous"),
        ce(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [0.0, 2.0]]),
           np.array([-1.0, -1.0]), margin=0.0, red="none", grad=False,
           desc="orthogonal pair at the margin: clamp's kink"),
    ]
