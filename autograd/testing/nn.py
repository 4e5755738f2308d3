"""Samples of the network ops: matmul, unfold/fold, conv2d, pooling, dropout, linear and
the fused softmax cross-entropy."""
from __future__ import annotations


import numpy as np

from autograd.ops._util import pair
from ._base import (distinct, U, fortran, strided, samples, S)

# --------------------------------------------------------------------------- linalg
@samples("matmul", ref=lambda t, x, y: t.matmul(x, y))
def _matmul(name, r):
    pairs = [((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
             ((2, 2, 3), (3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((1, 3), (3, 1)),
             ((4,), (2, 4, 3))]
    out = [S(U(r, a), U(r, b), desc=f"{a}@{b}") for a, b in pairs]
    out.append(S(fortran(U(r, (2, 3))), U(r, (2, 3)).T, desc="transposed operands"))
    out.append(S(strided(U(r, (2, 3))), strided(U(r, (3, 2))), desc="strided"))
    return out


# --------------------------------------------------------------------------- unfold/fold
def _conv_attrs(kernel, stride=1, dilation=1):
    return {"kernel": pair(kernel, "kernel_size", "unfold"),
            "stride": pair(stride, "stride", "unfold"),
            "dilation": pair(dilation, "dilation", "unfold")}


def _unfold_ref(t, x, kernel, stride, dilation):
    n, c, h, w = x.shape
    oh = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    cols = t.nn.functional.unfold(x, kernel, dilation=dilation, stride=stride)  # (N, C*kh*kw, L)
    return cols.reshape(n, c, kernel[0], kernel[1], oh, ow)


def _fold_ref(t, cols, shape, kernel, stride, dilation):
    n, c, kh, kw, oh, ow = cols.shape
    return t.nn.functional.fold(cols.reshape(n, c * kh * kw, oh * ow), shape[2:], kernel,
                                dilation=dilation, stride=stride)


UNFOLD_CASES = [((1, 1, 4, 4), 2, 1, 1), ((1, 2, 4, 5), (2, 3), (2, 1), 1),
                ((2, 1, 5, 5), 2, 2, 2), ((1, 1, 3, 3), 3, 1, 1), ((1, 1, 3, 4), 1, 2, 1)]


def _out_hw(shape, a):
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
    return ((shape[2] - dh * (kh - 1) - 1) // sh + 1, (shape[3] - dw * (kw - 1) - 1) // sw + 1)


@samples("unfold", ref=_unfold_ref)
def _unfold(name, r):
    out = [S(U(r, shape), attrs=_conv_attrs(k, s, d), desc=f"{shape} k={k} s={s} d={d}")
           for shape, k, s, d in UNFOLD_CASES]
    out.append(S(fortran(U(r, (1, 1, 4, 4))), attrs=_conv_attrs(3), desc="fortran"))
    return out


@samples("fold", ref=_fold_ref)
def _fold(name, r):
    out = []
    for shape, k, s, d in UNFOLD_CASES:
        a = _conv_attrs(k, s, d)
        oh, ow = _out_hw(shape, a)
        cshape = shape[:2] + a["kernel"] + (oh, ow)
        out.append(S(U(r, cshape), attrs={"shape": shape, **a}, desc=f"{shape} k={k} s={s} d={d}"))
    a = _conv_attrs(2)
    out.append(S(fortran(U(r, (1, 1, 2, 2, 2, 2))), attrs={"shape": (1, 1, 3, 3), **a},
                 desc="fortran cols"))
    return out



def _conv_ref(t, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return t.nn.functional.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                  groups=groups)


@samples("conv2d", ref=_conv_ref)
def _conv2d(name, r):
    return [
        S(U(r, (1, 2, 5, 5)), U(r, (3, 2, 3, 3)), U(r, (3,)), fast=True, desc="bias"),
        S(U(r, (2, 1, 4, 4)), U(r, (2, 1, 2, 2)), attrs={"stride": 2}, desc="stride 2"),
        S(U(r, (1, 1, 4, 5)), U(r, (1, 1, 3, 2)), U(r, (1,)),
          attrs={"padding": 1, "dilation": (1, 2)}, desc="padding 1, dilation (1, 2)"),
        S(U(r, (1, 2, 3, 3)), U(r, (2, 2, 1, 1)), attrs={"stride": (1, 2), "padding": (0, 1)},
          desc="1x1 kernel, asymmetric"),
        S(U(r, (2, 4, 4)), U(r, (1, 2, 2, 2)), desc="unbatched (C, H, W)"),
        S(U(r, (1, 1, 5, 4)), U(r, (1, 1, 2, 2)), attrs={"stride": 3},
          desc="stride 3: unused rows and columns"),
        S(fortran(U(r, (1, 1, 4, 4))), U(r, (2, 1, 2, 2)).transpose(0, 1, 3, 2), desc="noncontig"),
        S(U(r, (1, 2, 4, 5)), U(r, (2, 2, 3, 3)), U(r, (2,)), attrs={"padding": "same"},
          desc="padding 'same', odd kernel"),
        S(U(r, (1, 1, 4, 5)), U(r, (2, 1, 2, 3)), attrs={"padding": "same", "dilation": (1, 2)},
          desc="padding 'same', even kernel: the extra row goes to the bottom"),
        S(U(r, (1, 1, 4, 4)), U(r, (1, 1, 3, 2)), attrs={"padding": "valid"},
          desc="padding 'valid'"),
        S(U(r, (2, 4, 4, 4)), U(r, (6, 2, 2, 2)), U(r, (6,)), attrs={"groups": 2, "padding": 1},
          desc="groups 2"),
        S(U(r, (1, 3, 4, 4)), U(r, (3, 1, 3, 3)), attrs={"groups": 3, "padding": "same"},
          desc="depthwise (groups = channels)"),
    ]


# im2col / col2im (conv2d's window copy and its adjoint): (x shape, kernel, stride,
# padding, dilation)
IM2COL_CASES = [((1, 2, 5, 5), 3, 1, 0, 1), ((2, 1, 4, 4), 2, 2, 0, 1),
                ((1, 1, 4, 5), (3, 2), 1, 1, (1, 2)), ((1, 2, 3, 3), 1, (1, 2), (0, 1), 1),
                ((1, 1, 5, 4), 2, 3, 0, 1), ((2, 3, 4, 4), 3, 1, 1, 1)]


def _im2col_attrs(x_shape, kernel, stride, padding, dilation):
    k, s, p, d = (pair(v, "", "conv2d") for v in (kernel, stride, padding, dilation))
    oh, ow = ((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
              for n, kk, ss, pp, dd in zip(x_shape[2:], k, s, p, d))
    return (x_shape[0], oh, ow) + k + (x_shape[1],), {"kernel": k, "stride": s, "padding": p,
                                                      "dilation": d}


def _im2col_ref(t, x, kernel, stride, padding, dilation):
    n, c = x.shape[:2]
    cols = t.nn.functional.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    oh, ow = ((h + 2 * p - d * (k - 1) - 1) // s + 1
              for h, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation))
    return cols.reshape(n, c, kernel[0], kernel[1], oh, ow).permute(0, 4, 5, 2, 3, 1)


def _col2im_ref(t, cols, shape, kernel, stride, padding, dilation):
    n, oh, ow, kh, kw, c = cols.shape
    flat = cols.permute(0, 5, 3, 4, 1, 2).reshape(n, c * kh * kw, oh * ow)
    return t.nn.functional.fold(flat, shape[2:], kernel, dilation=dilation, padding=padding,
                                stride=stride)


@samples("im2col", ref=_im2col_ref)
def _im2col(name, r):
    out = []
    for xs, k, st, pd, dl in IM2COL_CASES:
        _, a = _im2col_attrs(xs, k, st, pd, dl)
        out.append(S(U(r, xs), attrs=a, desc=f"{xs} k={k} s={st} p={pd} d={dl}"))
    out.append(S(fortran(U(r, (1, 2, 4, 4))), attrs=_im2col_attrs((1, 2, 4, 4), 2, 1, 1, 1)[1],
                 desc="fortran"))
    out.append(S(U(r, (2, 4, 4, 3)).transpose(0, 3, 1, 2),
                 attrs=_im2col_attrs((2, 3, 4, 4), 3, 1, 1, 1)[1],
                 desc="NHWC memory, as a conv's output"))
    return out


@samples("col2im", ref=_col2im_ref)
def _col2im(name, r):
    out = []
    for xs, k, st, pd, dl in IM2COL_CASES:
        cs, a = _im2col_attrs(xs, k, st, pd, dl)
        out.append(S(U(r, cs), attrs={"shape": xs, **a}, desc=f"{xs} k={k} s={st} p={pd} d={dl}"))
    cs, a = _im2col_attrs((1, 2, 4, 4), 2, 2, 1, 1)
    out.append(S(fortran(U(r, cs)), attrs={"shape": (1, 2, 4, 4), **a},
                 desc="fortran windows, non-overlapping"))
    cs, a = _im2col_attrs((1, 1, 4, 4), 2, 1, 0, 1)
    out.append(S(strided(U(r, cs)), attrs={"shape": (1, 1, 4, 4), **a}, desc="strided windows"))
    return out


def _pool_ref(which):
    def ref(t, x, kernel_size, stride=None, padding=0, dilation=1, **modes):
        f = getattr(t.nn.functional, which)
        if which == "max_pool2d":
            return f(x, kernel_size, stride, padding, dilation, **modes)
        return f(x, kernel_size, stride, padding, **modes)
    return ref


@samples("max_pool2d", ref=_pool_ref("max_pool2d"))
def _max_pool(name, r):
    return [
        S(distinct(r, (1, 2, 4, 4)), attrs={"kernel_size": 2}, desc="2x2"),
        S(distinct(r, (1, 1, 5, 5)), attrs={"kernel_size": 3, "stride": 1, "padding": 1},
          desc="overlap, padding"),
        S(distinct(r, (2, 1, 5, 4)), attrs={"kernel_size": (2, 3), "stride": (2, 1)},
          desc="rect"),
        S(distinct(r, (1, 1, 5, 5)), attrs={"kernel_size": 2, "dilation": 2}, desc="dilation"),
        S(distinct(r, (2, 4, 4)), attrs={"kernel_size": 2}, desc="unbatched"),
        S(fortran(distinct(r, (1, 1, 4, 4))), attrs={"kernel_size": 2, "stride": 1},
          desc="fortran"),
        # ties inside a window: the first maximum gets the gradient, like PyTorch
        S(np.array([[[[1.0, 1.0], [0.0, 1.0]]]]), attrs={"kernel_size": 2}, grad=False,
          desc="tie: first index"),
        S(distinct(r, (1, 2, 5, 5)), attrs={"kernel_size": 2, "ceil_mode": True},
          desc="ceil_mode: partial last window"),
        S(distinct(r, (1, 1, 6, 7)), attrs={"kernel_size": 3, "stride": 2, "padding": 1,
                                           "ceil_mode": True}, desc="ceil_mode, padding"),
    ]


def _max_pool2d_backward_ref(t, gy, x, kernel, stride, padding, dilation):
    xg = x if x.requires_grad else x.detach().requires_grad_()
    out = t.nn.functional.max_pool2d(xg, kernel, stride, padding, dilation)
    return t.autograd.grad(out, xg, gy, create_graph=True)[0]


@samples("max_pool2d_backward", ref=_max_pool2d_backward_ref)
def _max_pool2d_backward(name, r):
    def mp(x, kernel, stride=None, padding=0, dilation=1, g=None, **kw):
        k = pair(kernel, "", "")
        a = {"kernel": k, "stride": pair(stride if stride is not None else k, "", ""),
             "padding": pair(padding, "", ""), "dilation": pair(dilation, "", "")}
        oh, ow = ((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, ss, pp, dd in
                  zip(x.shape[2:], a["kernel"], a["stride"], a["padding"], a["dilation"]))
        gy = U(r, x.shape[:2] + (oh, ow)) if g is None else g(U(r, x.shape[:2] + (oh, ow)))
        return S(gy, x, attrs=a, **kw)

    return [
        mp(distinct(r, (1, 2, 4, 4)), 2, desc="2x2 tiling windows"),
        mp(distinct(r, (2, 3, 4, 6)), (2, 3), desc="2x3 tiling windows"),
        mp(distinct(r, (1, 1, 5, 5)), 3, 1, 1, desc="overlap, padding"),
        mp(distinct(r, (2, 1, 5, 4)), (2, 3), (2, 1), desc="rect"),
        mp(distinct(r, (1, 1, 5, 5)), 2, 2, 0, 2, desc="dilation"),
        mp(distinct(r, (1, 1, 5, 5)), 2, desc="tiling stride, a leftover row and column"),
        mp(fortran(distinct(r, (1, 1, 4, 4))), 2, 1, g=fortran, desc="fortran x and g"),
        mp(distinct(r, (1, 4, 4, 3)).transpose(0, 3, 1, 2), 2,
           desc="NHWC-memory x, as a conv hands it over"),
        mp(distinct(r, (1, 2, 4, 4)), 2, g=strided, desc="strided g"),
        # ties inside a window: the first maximum gets the gradient, like PyTorch
        mp(np.array([[[[1.0, 1.0], [0.0, 1.0]]]]), 2, grad=False, desc="tie: first index"),
        mp(np.array([[[[1.0, 2.0, 2.0], [0.5, 2.0, 0.0], [2.0, -1.0, 0.0]]]]), 2, 1, grad=False,
           desc="overlapping windows sharing a tied maximum"),
    ]


@samples("avg_pool2d", ref=_pool_ref("avg_pool2d"))
def _avg_pool(name, r):
    return [
        S(U(r, (1, 2, 4, 4)), attrs={"kernel_size": 2}, desc="2x2"),
        S(U(r, (1, 1, 5, 5)), attrs={"kernel_size": 3, "stride": 1, "padding": 1},
          desc="overlap, padding"),
        S(U(r, (2, 1, 5, 4)), attrs={"kernel_size": (2, 3), "stride": (2, 1)}, desc="rect"),
        S(U(r, (2, 4, 4)), attrs={"kernel_size": 2}, desc="unbatched"),
        S(fortran(U(r, (1, 1, 4, 4))), attrs={"kernel_size": 3, "stride": 1}, desc="fortran"),
        S(U(r, (1, 2, 5, 5)), attrs={"kernel_size": 3, "stride": 2, "padding": 1,
                                     "count_include_pad": False},
          desc="count_include_pad=False: border windows divide by their input elements"),
        S(U(r, (1, 1, 5, 6)), attrs={"kernel_size": 2, "ceil_mode": True},
          desc="ceil_mode: partial last window"),
        S(U(r, (2, 1, 6, 5)), attrs={"kernel_size": 3, "stride": 2, "padding": 1,
                                     "ceil_mode": True, "count_include_pad": False},
          desc="ceil_mode and count_include_pad=False"),
    ]


def _dropout_ref(x_shape, p, seed):
    mask = (np.random.default_rng(seed).random(x_shape) >= p) / (1.0 - p)
    return lambda t, x: x * t.as_tensor(mask, dtype=x.dtype)


@samples("dropout")
def _dropout(name, r):
    out = []
    for shape, p, seed, lay in [((3, 4), 0.5, 0, None), ((2, 3, 2), 0.2, 1, None),
                                ((5,), 0.7, 2, None), ((), 0.3, 4, None), ((1, 3), 0.5, 5, None),
                                ((4, 3), 0.4, 6, fortran)]:
        x = U(r, shape) if lay is None else lay(U(r, shape))
        out.append(S(x, attrs={"p": p, "training": True, "seed": seed},
                     ref=_dropout_ref(shape, p, seed), desc=f"{shape} p={p}"))
    out.append(S(U(r, (2, 3)), attrs={"p": 0.5, "training": False},
                 ref=lambda t, x: t.nn.functional.dropout(x, 0.5, training=False),
                 desc="eval: identity"))
    out.append(S(U(r, (2, 3)), attrs={"p": 0.0, "training": True},
                 ref=lambda t, x: t.nn.functional.dropout(x, 0.0, training=True),
                 desc="p=0: identity"))
    out.append(S(U(r, (2, 3)), attrs={"p": 1.0, "training": True, "seed": 0},
                 ref=lambda t, x: t.nn.functional.dropout(x, 1.0, training=True),
                 desc="p=1: zeros"))
    return out



# --------------------------------------------------------------------------- linear (fused)
@samples("linear", ref=lambda t, x, w, b=None: t.nn.functional.linear(x, w, b))
def _linear(name, r):
    return [
        S(U(r, (5, 3)), U(r, (4, 3)), U(r, (4,)), desc="batch, bias"),
        S(U(r, (2, 4, 3)), U(r, (2, 3)), desc="batched leading dims, no bias"),
        S(U(r, (3,)), U(r, (2, 3)), U(r, (2,)), desc="1-D input"),
        S(U(r, (3, 1)), U(r, (1, 1)), U(r, (1,)), desc="size-1 features"),
        S(fortran(U(r, (3, 4))), U(r, (4, 2)).T, desc="non-contiguous input and weight"),
    ]


# --------------------------------------------------------------------------- softmax_cross_entropy (fused)
def _sce_ref(t, z, y, weight=None, ignore_index=-100, reduction="mean"):
    w = None if weight is None else t.tensor(weight, dtype=z.dtype)
    return t.nn.functional.cross_entropy(z, y, weight=w, ignore_index=ignore_index,
                                         reduction=reduction)


@samples("softmax_cross_entropy", ref=_sce_ref)
def _sce(name, r):
    def ce(z, y, desc, weight=None, ignore_index=-100, reduction="mean", **kw):
        attrs = {"weight": weight, "ignore_index": ignore_index, "reduction": reduction}
        return S(z, np.asarray(y, dtype=np.int64), attrs=attrs, desc=desc, **kw)

    y5 = np.array([0, 3, 1, 1, 2])
    w4 = np.array([0.5, 1.0, 2.0, 1.5])
    out = [ce(U(r, (5, 4)), y5, f"(5, 4) {red}", reduction=red) for red in ("mean", "sum", "none")]
    out += [ce(U(r, (5, 4)), y5, f"weight, ignore_index 1, {red}", weight=w4, ignore_index=1,
               reduction=red) for red in ("mean", "sum", "none")]
    out += [
        ce(U(r, (5, 4)), y5, "weight", weight=w4),
        ce(U(r, (5, 4)), y5, "ignore_index 3, no weight", ignore_index=3),
        ce(U(r, (5, 4)), [0, -100, 2, 3, -100], "default ignore_index -100 in the targets",
           reduction="sum"),
        ce(U(r, (1, 3)), [2], "one row"),
        ce(U(r, (4, 1)), [0, 0, 0, 0], "one class: loss 0, gradient 0"),
        ce(U(r, (4,)), 2, "unbatched (C,), 0-d target"),
        ce(U(r, (4,)), 1, "unbatched, weight, none: 0-d loss", weight=w4, reduction="none"),
        ce(U(r, (4,)), 0, "unbatched, the target ignored, sum", ignore_index=0, reduction="sum"),
        ce(fortran(U(r, (3, 4))), [3, 0, 1], "fortran logits", weight=w4, reduction="none"),
        ce(U(r, (3, 4)) * 1e4, [1, 0, 3], "logits of 1e4"),
        ce(U(r, (3, 4)) * 1e4 + 1e4, [2, 2, 0], "logits of 1e4, offset, none", reduction="none"),
        ce(np.zeros((0, 3)), np.zeros(0), "empty batch, sum", reduction="sum"),
        ce(np.zeros((0, 3)), np.zeros(0), "empty batch, none", reduction="none"),
        # the mean over no targets is 0/0 = NaN, as in PyTorch, with a zero gradient
        ce(U(r, (3, 4)), [1, 1, 1], "every target ignored: NaN loss, zero gradient",
           ignore_index=1, grad=False, edge=True),
    ]
    return out
