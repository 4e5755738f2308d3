"""Batched matrix multiplication (NumPy's matmul semantics, 1-D operands included)."""
from __future__ import annotations

import numpy as np

from ..errors import DtypeError, ShapeError
from ..registry import apply, backend, defop, method, public
from ..tensor import Tensor, as_tensor


def _matmul_check(x, y):
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dimension, got shapes "
                         f"{x.shape} and {y.shape}; use * for scaling")
    k1 = x.shape[-1]
    k2 = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k1 != k2:
        raise ShapeError(f"matmul: shapes {x.shape} and {y.shape} are not aligned: "
                         f"{k1} (last dim of the first) != {k2} (the second's "
                         f"{'only' if y.ndim == 1 else 'second-to-last'} dim). "
                         f"Transpose one operand (.T / .mT) or fix the layer sizes.")
    if x.dtype.kind == "b" or y.dtype.kind == "b":
        raise DtypeError(f"matmul: bool operands are not supported ({x.dtype}, {y.dtype})")


def _promote(F, g, x, y):
    """Views of g, x, y with 1-D operands promoted to matrices (as matmul does)."""
    x2 = F.reshape(x, (1,) + tuple(x.shape)) if x.ndim == 1 else x
    y2 = F.reshape(y, tuple(y.shape) + (1,)) if y.ndim == 1 else y
    gshape = tuple(g.shape)
    if x.ndim == 1:
        gshape = gshape[:-1] + (1,) + gshape[-1:] if y.ndim != 1 else gshape + (1,)
    if y.ndim == 1:
        gshape = gshape + (1,)
    return F.reshape(g, gshape), x2, y2


def _matmul_dx(F, g, out, x, y):
    if x.ndim >= 2 and y.ndim >= 2:  # the common case: no promotion needed
        return F.matmul(g, F.swapaxes(y, -1, -2))
    g2, x2, y2 = _promote(F, g, x, y)
    dx = F.matmul(g2, F.swapaxes(y2, -1, -2))  # (..., n, m) @ (..., m, k) -> (..., n, k)
    if x.ndim == 1:
        dx = F.reshape(dx, tuple(dx.shape[:-2]) + (dx.shape[-1],))
    return dx  # batch dims are summed by the engine's sum_to


def _matmul_dy(F, g, out, x, y):
    if x.ndim >= 2 and y.ndim >= 2:
        return F.matmul(F.swapaxes(x, -1, -2), g)
    g2, x2, y2 = _promote(F, g, x, y)
    dy = F.matmul(F.swapaxes(x2, -1, -2), g2)  # (..., k, n) @ (..., n, m) -> (..., k, m)
    if y.ndim == 1:
        dy = F.reshape(dy, tuple(dy.shape[:-1]))
    return dy


def _matmul_fwd(x, y):
    try:
        return np.matmul(x, y)
    except ValueError:  # the inner dims were checked: the batch dims do not broadcast
        raise ShapeError(f"matmul: the batch dimensions {tuple(x.shape[:-2])} and "
                         f"{tuple(y.shape[:-2])} of shapes {x.shape} and {y.shape} do not "
                         f"broadcast (each must be equal or 1, aligned from the right); "
                         f"reshape or unsqueeze one operand") from None


_matmul = defop("matmul", _matmul_fwd, (_matmul_dx, _matmul_dy), check=_matmul_check,
                doc="x @ y, batched; gradients g @ y^T and x^T @ g")


def matmul(x, y):
    """Matrix product with NumPy broadcasting of batch dimensions.

    >>> import autograd as ag
    >>> ag.matmul(ag.ones(5, 2, 3), ag.ones(3, 4)).shape
    (5, 2, 4)
    """
    if isinstance(x, Tensor):
        y = as_tensor(y, like=x)
    else:
        y = as_tensor(y)
        x = as_tensor(x, like=y)
    return apply(_matmul, (x, y), {})


def _operands(x, y):
    if isinstance(x, Tensor):
        return x, as_tensor(y, like=x)
    y = as_tensor(y)
    return as_tensor(x, like=y), y


def mm(x, y):
    """2-D matrix product (both operands 2-D, as ``torch.mm``; use matmul for batches).

    >>> import autograd as ag
    >>> ag.mm(ag.tensor([[1.0, 2.0]]), ag.tensor([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    x, y = _operands(x, y)
    if x.ndim != 2 or y.ndim != 2:
        raise ShapeError(f"mm: both operands must be matrices (2-D), got shapes {x.shape} and "
                         f"{y.shape}; use matmul (@) for vectors and batches")
    if x.shape[1] != y.shape[0]:
        raise ShapeError(f"mm: shapes {x.shape} and {y.shape} cannot be multiplied "
                         f"({x.shape[0]}x{x.shape[1]} and {y.shape[0]}x{y.shape[1]})")
    return matmul(x, y)


def dot(x, y):
    """Inner product of two 1-D tensors of the same length (as ``torch.dot``).

    >>> import autograd as ag
    >>> ag.dot(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])).item()
    11.0
    """
    x, y = _operands(x, y)
    if x.ndim != 1 or y.ndim != 1:
        raise ShapeError(f"dot: 1-D tensors expected, got shapes {x.shape} and {y.shape}; use "
                         f"matmul (@) for matrices")
    if x.shape != y.shape:
        raise ShapeError(f"dot: inconsistent tensor sizes {x.shape[0]} and {y.shape[0]}")
    if x.dtype.kind == "b" or y.dtype.kind == "b":
        raise DtypeError(f"dot: bool operands are not supported ({x.dtype}, {y.dtype})")
    return matmul(x, y)


# --------------------------------------------------------------------------- linear
# A fused primitive (x @ W^T + b): one node instead of three (matmul, transpose-free
# weight use, broadcast add), and the bias gradient is one sum over the batch rows.
def _linear_fwd(x, w, b=None):
    out = x @ w.T
    if b is not None:
        out += b
    return out


def _linear_check(x, w, b=None):
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ShapeError(f"linear: input of shape {x.shape} does not fit a weight of shape "
                         f"{w.shape} (out_features, in_features): the input's last dimension "
                         f"must be {w.shape[1] if w.ndim == 2 else 'in_features'}")
    if b is not None and b.shape != (w.shape[0],):
        raise ShapeError(f"linear: bias of shape {b.shape} must be ({w.shape[0]},)")


def _linear_dw(F, g, out, x, w, b=None):
    if x.ndim == 1:
        return F.reshape(g, (-1, 1)) * F.reshape(x, (1, -1))
    g2 = F.reshape(g, (-1, g.shape[-1]))
    x2 = F.reshape(x, (-1, x.shape[-1]))
    return F.matmul(F.swapaxes(g2, 0, 1), x2)          # (out, N) @ (N, in)


def _linear_db(F, g, out, x, w, b=None):
    return F.sum(g, axis=tuple(range(g.ndim - 1))) if g.ndim > 1 else g


_linear = defop("linear", _linear_fwd,
                (lambda F, g, out, x, w, b=None: F.matmul(g, w),   # dx = g W
                 _linear_dw,                                      # dW = g^T x
                 _linear_db),                                     # db = sum of g rows
                check=_linear_check, doc="x @ W^T + b (PyTorch's F.linear) as one node")


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` for weight (out_features, in_features), like F.linear.

    >>> import autograd as ag
    >>> ag.linear(ag.tensor([[1.0, 2.0]]), ag.tensor([[1.0, 1.0], [0.0, 2.0]]), ag.tensor([0.5, 0.0])).tolist()
    [[3.5, 4.0]]
    """
    x, weight = as_tensor(x), as_tensor(weight)
    args = (x, weight) if bias is None else (x, weight, as_tensor(bias))
    return apply(_linear, args, {})


_linear.api = linear


# --------------------------------------------------------------------------- the surface
public(matmul, method=True)
public(mm, method=True)       # reach matmul: its samples cover them (public forms)
public(dot, method=True)
public(linear)
method("__matmul__", matmul)
method("__rmatmul__", lambda self, other: matmul(other, self))

backend("matmul", np.matmul, matmul)
