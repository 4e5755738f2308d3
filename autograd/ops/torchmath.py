"""Composites that PyTorch scripts call and tapegrad builds from its primitives:
log2, log10, exp2, sinh, cosh, bmm, outer, tril, triu; and the non-differentiable
predicates isnan, isinf, isfinite, logical_not, any, all, count_nonzero.

No new primitive: each composite is a line of existing ops (so gradients come from
theirs), accurate to float rounding on the sampled domains (sinh/cosh from exp are
fine away from |x| ~ 0 for sinh, where the cancellation costs a few ulps).
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import dim_arg, int_arg
from ..errors import InvalidArgumentError
from ..registry import composite, method, public
from ..tensor import Tensor, as_tensor, get_default_dtype
from .elementwise import exp, log, where
from .linalg import matmul

__all__ = ["log2", "log10", "exp2", "sinh", "cosh", "bmm", "outer", "tril", "triu", "isnan",
           "isinf", "isfinite", "logical_not", "any", "all", "count_nonzero"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


@composite(method=True)
def log2(input):  # noqa: A002
    """log(x) / log(2).

    >>> import autograd as ag
    >>> ag.log2(ag.tensor([1.0, 8.0])).tolist()
    [0.0, 3.0]
    """
    return log(input) / _LN2


@composite(method=True)
def log10(input):  # noqa: A002
    """log(x) / log(10).

    >>> import autograd as ag
    >>> [round(v, 4) for v in ag.log10(ag.tensor([1.0, 100.0])).tolist()]
    [0.0, 2.0]
    """
    return log(input) / _LN10


@composite(method=True)
def exp2(input):  # noqa: A002
    """2 ** x, as exp(x log 2).

    >>> import autograd as ag
    >>> [round(v, 4) for v in ag.exp2(ag.tensor([0.0, 3.0])).tolist()]
    [1.0, 8.0]
    """
    return exp(as_tensor(input) * _LN2)


@composite(method=True)
def sinh(input):  # noqa: A002
    """(e**x - e**-x) / 2.

    >>> import autograd as ag
    >>> ag.sinh(ag.tensor([0.0])).tolist()
    [0.0]
    """
    x = _float(as_tensor(input))
    return (exp(x) - exp(-x)) * 0.5


@composite(method=True)
def cosh(input):  # noqa: A002
    """(e**x + e**-x) / 2.

    >>> import autograd as ag
    >>> ag.cosh(ag.tensor([0.0])).tolist()
    [1.0]
    """
    x = _float(as_tensor(input))
    return (exp(x) + exp(-x)) * 0.5


def _float(x: Tensor) -> Tensor:
    """An integer or bool input as the default float dtype (PyTorch's int -> float rule)."""
    return x if x.dtype.kind in "fc" else x.to(get_default_dtype())


@composite(method=True)
def bmm(input, mat2):  # noqa: A002
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (matmul, with the
    shapes checked as torch.bmm checks them).

    >>> import autograd as ag
    >>> ag.bmm(ag.ones(2, 3, 4), ag.ones(2, 4, 5)).shape
    (2, 3, 5)
    """
    _no_numbers("bmm", ("input", input), ("mat2", mat2))
    a, b = as_tensor(input), as_tensor(mat2)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"bmm: expected (b, n, m) and (b, m, p) tensors, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


@composite(method=True, aliases=("ger",))
def outer(input, vec2):  # noqa: A002
    """The outer product x[:, None] * y[None, :] of two vectors.

    >>> import autograd as ag
    >>> ag.outer(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])).tolist()
    [[3.0, 4.0], [6.0, 8.0]]
    """
    _no_numbers("outer", ("input", input), ("vec2", vec2))
    a, b = as_tensor(input), as_tensor(vec2)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _no_numbers(op: str, *named) -> None:
    """PyTorch's matrix products take tensors only: a Python number is a TypeError."""
    for name, v in named:
        if isinstance(v, (bool, int, float, complex, np.number, np.bool_)) or v is None:
            raise TypeError(f"{op}: {name} must be a tensor, got {type(v).__name__} "
                            f"{v!r}"[:200])


def _tri(x, diagonal: int, lower: bool):
    op = "tril" if lower else "triu"
    x = as_tensor(x)
    diagonal = int_arg(diagonal, "diagonal", op)
    if not -2 ** 63 <= diagonal < 2 ** 63:
        raise InvalidArgumentError(f"{op}: diagonal {diagonal} does not fit in int64")
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 "
                           f"dimensions, got shape {tuple(x.shape)}")
    n, m = x.shape[-2:]
    diagonal = max(-n - 1, min(diagonal, m + 1))  # (beyond the matrix: all or nothing)
    keep = (np.tri(n, m, diagonal, dtype=bool) if lower else
            ~np.tri(n, m, diagonal - 1, dtype=bool))
    return where(Tensor._wrap(keep), x, Tensor._wrap(np.zeros((), dtype=x.dtype)))


@composite(method=True)
def tril(input, diagonal: int = 0):  # noqa: A002
    """The lower triangle (j <= i + diagonal) of the last two dims; zeros above.

    >>> import autograd as ag
    >>> ag.tril(ag.ones(2, 2)).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    return _tri(input, diagonal, True)


@composite(method=True)
def triu(input, diagonal: int = 0):  # noqa: A002
    """The upper triangle (j >= i + diagonal) of the last two dims; zeros below.

    >>> import autograd as ag
    >>> ag.triu(ag.ones(2, 2)).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    return _tri(input, diagonal, False)


# --------------------------------------------------------------------------- predicates
def _pred(name: str, np_fn, doc: str, ex: str):
    def fn(input):  # noqa: A002
        return Tensor._wrap(np.asarray(np_fn(as_tensor(input)._d)))

    fn.__name__ = name
    fn.__doc__ = (f"{doc}\n\n>>> import autograd as ag\n>>> ag.{name}(ag.tensor([1.0, "
                  f"float('inf'), float('nan'), 0.0])).tolist()\n{ex}")
    return fn


isinf = public(_pred("isinf", np.isinf, "True where the element is +-inf (a bool tensor).",
                     "[False, True, False, False]"), method=True)
for _n, _f, _d, _e in (
        ("isnan", np.isnan, "True where the element is NaN (a bool tensor).",
         "[False, False, True, False]"),
        ("isfinite", np.isfinite, "True where the element is finite (a bool tensor).",
         "[True, False, False, True]"),
        ("logical_not", np.logical_not, "True where the element is zero/False.",
         "[False, False, False, True]")):
    public(_pred(_n, _f, _d, _e))


def any(input, dim=None, keepdim: bool = False):  # noqa: A001,A002
    """True if any element (along ``dim``) is non-zero.

    >>> import autograd as ag
    >>> ag.any(ag.tensor([0, 2])).item(), ag.any(ag.tensor([[0, 0], [0, 1]]), dim=1).tolist()
    (True, [False, True])
    """
    return _logical(input, dim, keepdim, np.any, "any")


def all(input, dim=None, keepdim: bool = False):  # noqa: A001,A002
    """True if every element (along ``dim``) is non-zero.

    >>> import autograd as ag
    >>> ag.all(ag.tensor([1, 2])).item(), ag.all(ag.tensor([[1, 0], [1, 1]]), dim=1).tolist()
    (True, [False, True])
    """
    return _logical(input, dim, keepdim, np.all, "all")


def _dims(dim, ndim: int, op: str):
    """``dim`` (None, an int or a tuple/list of ints) as NumPy's axis: checked like
    PyTorch's (IndexError out of range, RuntimeError for a repeated dim); () and None
    mean every dimension."""
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = [dim_arg(d, ndim, op) for d in dims]
    if len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"{op}: dim {sorted(axes)[0]} appears multiple times in "
                                   f"the list of dims {list(dims)}")
    return tuple(axes) if ndim and axes else None


def _logical(input, dim, keepdim, np_fn, op: str) -> Tensor:  # noqa: A002
    x = as_tensor(input)
    if not isinstance(keepdim, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdim must be a bool, got {type(keepdim).__name__} "
                        f"{keepdim!r}"[:200])
    axis = _dims(dim, x.ndim, op)
    if isinstance(dim, (tuple, list)) and not dim:  # PyTorch: dim=() reduces nothing here
        return Tensor._wrap(np.asarray(x._d != 0))
    return Tensor._wrap(np.asarray(np_fn(x._d, axis=axis, keepdims=bool(keepdim) and x.ndim > 0)))


def count_nonzero(input, dim=None):  # noqa: A002
    """The number of non-zero elements (along ``dim``), an int64 tensor.

    >>> import autograd as ag
    >>> ag.count_nonzero(ag.tensor([[0, 1], [2, 3]]), dim=0).tolist()
    [1, 2]
    """
    x = as_tensor(input)
    return Tensor._wrap(np.asarray(np.count_nonzero(x._d, axis=_dims(dim, x.ndim,
                                                                       "count_nonzero")),
                                   dtype=np.int64))


for _f in (any, all, count_nonzero):
    public(_f)
method("count_nonzero", count_nonzero)
