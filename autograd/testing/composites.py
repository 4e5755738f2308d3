"""Samples of the composite ops (silu, square, rsqrt, reciprocal, var/std, stack, split,
chunk, flip, expand, ...)."""
from __future__ import annotations

import warnings


from .elementwise import _unary_samples
from ._base import (U, away, fortran, pos, strided, _dims, samples, S)

# --------------------------------------------------------------------------- composites
@samples("silu", ref=lambda t, x: t.nn.functional.silu(x))
def _silu(name, r):
    return _unary_samples(r, lambda r, s: U(r, s, -3, 3))


@samples("square", ref=lambda t, x: t.square(x))
def _square(name, r):
    return _unary_samples(r, U)


@samples("rsqrt", ref=lambda t, x: t.rsqrt(x))
def _rsqrt(name, r):
    return _unary_samples(r, pos)


@samples("reciprocal", ref=lambda t, x: t.reciprocal(x))
def _reciprocal(name, r):
    return _unary_samples(r, away)


def _var_ref(which):
    def ref(t, x, axis=None, keepdims=False, correction=1):
        dims = _dims(axis if axis is None or isinstance(axis, tuple) else (axis,), x.ndim)
        with warnings.catch_warnings():  # torch warns about degrees of freedom on empty batches
            warnings.simplefilter("ignore", UserWarning)
            return getattr(t, which)(x, dim=dims, correction=correction, keepdim=keepdims)
    return ref


def _var_samples(name, r):
    return [
        S(U(r, (3, 4)), desc="full"),
        S(U(r, (3, 4)), attrs={"axis": 0}, desc="axis 0"),
        S(U(r, (3, 4)), attrs={"axis": -1, "keepdims": True}, desc="axis -1 keepdims"),
        S(U(r, (2, 3, 4)), attrs={"axis": (0, 2), "correction": 0}, desc="tuple, correction 0"),
        S(U(r, (2, 3, 4)), attrs={"axis": (-1, -2), "keepdims": True}, desc="neg tuple"),
        S(U(r, (5,)), attrs={"correction": 2}, desc="correction 2"),
        S(fortran(U(r, (4, 3))), attrs={"axis": 1}, desc="fortran"),
        S(U(r, (2, 3)) + 1e3, attrs={"axis": 1}, desc="large offset"),
        S(U(r, (3, 1)), attrs={"axis": 0, "keepdims": True}, desc="size-1 dim"),
    ] + ([S(U(r, ()), attrs={"correction": 0}, desc="0-d (variance 0)")] if name == "var" else [])


samples("var", ref=_var_ref("var"))(_var_samples)
samples("std", ref=_var_ref("std"))(_var_samples)


def _list_call(fn, *ts, **attrs):
    return fn(list(ts), **attrs)


@samples("stack", ref=lambda t, *xs, axis=0: t.stack(xs, dim=axis))
def _stack(name, r):
    return [
        S(U(r, (2, 3)), U(r, (2, 3)), call=_list_call, desc="axis 0"),
        S(U(r, (2, 3)), U(r, (2, 3)), U(r, (2, 3)), attrs={"axis": -1}, call=_list_call,
          desc="axis -1"),
        S(U(r, ()), U(r, ()), call=_list_call, desc="0-d"),
        S(U(r, (3,)), attrs={"axis": 1}, call=_list_call, desc="single"),
        S(U(r, (1, 3)), U(r, (1, 3)), attrs={"axis": 1}, call=_list_call, desc="size-1 dims"),
        S(fortran(U(r, (3, 2))), strided(U(r, (3, 2))), attrs={"axis": 1}, call=_list_call,
          desc="noncontig"),
    ]


def _split_ref(t, x, split_size_or_sections, dim=0):
    return t.split(x, split_size_or_sections, dim)


@samples("split", ref=_split_ref)
def _split(name, r):
    return [
        S(U(r, (5, 2)), attrs={"split_size_or_sections": 2}, desc="size 2 (uneven)"),
        S(U(r, (2, 5)), attrs={"split_size_or_sections": [1, 3, 1], "dim": -1}, desc="sections"),
        S(U(r, (3,)), attrs={"split_size_or_sections": 3}, desc="one piece"),
        S(U(r, (1, 4)), attrs={"split_size_or_sections": 2, "dim": -1}, desc="size-1 dim"),
        S(fortran(U(r, (4, 3))), attrs={"split_size_or_sections": 1, "dim": 1}, desc="fortran"),
    ]


@samples("chunk", ref=lambda t, x, chunks, dim=0: t.chunk(x, chunks, dim))
def _chunk(name, r):
    return [
        S(U(r, (5, 2)), attrs={"chunks": 2}, desc="uneven"),
        S(U(r, (2, 6)), attrs={"chunks": 3, "dim": -1}, desc="dim -1"),
        S(U(r, (1, 3)), attrs={"chunks": 2}, desc="fewer than asked"),
        S(fortran(U(r, (4, 3))), attrs={"chunks": 2}, desc="fortran"),
    ]


@samples("unbind", ref=lambda t, x, dim=0: t.unbind(x, dim))
def _unbind(name, r):
    return [
        S(U(r, (3, 2)), desc="dim 0"),
        S(U(r, (2, 3)), attrs={"dim": -1}, desc="dim -1"),
        S(U(r, (1,)), desc="size 1"),
        S(fortran(U(r, (2, 3))), attrs={"dim": 1}, desc="fortran"),
    ]


@samples("flip", ref=lambda t, x, dims: t.flip(x, dims if isinstance(dims, tuple) else (dims,)))
def _flip(name, r):
    return [
        S(U(r, (3, 4)), attrs={"dims": 0}, desc="dim 0"),
        S(U(r, (2, 3, 4)), attrs={"dims": (0, -1)}, desc="dims (0, -1)"),
        S(U(r, (4,)), attrs={"dims": -1}, desc="1-d"),
        S(fortran(U(r, (3, 4))), attrs={"dims": 1}, desc="fortran"),
        S(U(r, (1, 3)), attrs={"dims": (0, 1)}, desc="size-1 dim"),
    ]


@samples("expand", ref=lambda t, x, sizes: x.expand(*sizes))
def _expand(name, r):
    call = lambda fn, x, sizes: fn(x, *sizes)  # noqa: E731
    return [
        S(U(r, (3, 1)), attrs={"sizes": (3, 4)}, call=call, desc="size-1"),
        S(U(r, (3, 1)), attrs={"sizes": (2, -1, 4)}, call=call, desc="-1 and leading"),
        S(U(r, ()), attrs={"sizes": (2, 2)}, call=call, desc="0-d"),
        S(strided(U(r, (1, 3))), attrs={"sizes": (2, 3)}, call=call, desc="strided"),
    ]


@samples("squeeze", ref=lambda t, x, dim=None: t.squeeze(x) if dim is None else t.squeeze(x, dim))
def _squeeze(name, r):
    return [
        S(U(r, (1, 3, 1)), desc="all"),
        S(U(r, (1, 3, 1)), attrs={"dim": -1}, desc="dim -1"),
        S(U(r, (2, 3)), attrs={"dim": 0}, desc="not size 1: no-op"),
        S(U(r, (1,)), desc="to 0-d"),
        S(U(r, ()), desc="0-d"),
        S(strided(U(r, (1, 3))), attrs={"dim": 0}, desc="strided"),
    ]


@samples("unsqueeze", ref=lambda t, x, dim: t.unsqueeze(x, dim))
def _unsqueeze(name, r):
    return [
        S(U(r, (2, 3)), attrs={"dim": 0}, desc="dim 0"),
        S(U(r, (2, 3)), attrs={"dim": -1}, desc="dim -1"),
        S(U(r, (2, 3)), attrs={"dim": 1}, desc="middle"),
        S(U(r, ()), attrs={"dim": 0}, desc="0-d"),
        S(fortran(U(r, (2, 3))), attrs={"dim": -2}, desc="fortran"),
        S(U(r, (1,)), attrs={"dim": 0}, desc="size-1 dim"),
    ]


@samples("flatten", ref=lambda t, x, start_dim=0, end_dim=-1: t.flatten(x, start_dim, end_dim))
def _flatten(name, r):
    return [
        S(U(r, (2, 3, 2)), desc="all"),
        S(U(r, (2, 3, 2)), attrs={"start_dim": 1}, desc="start 1"),
        S(U(r, (2, 1, 3, 2)), attrs={"start_dim": 1, "end_dim": -2}, desc="middle"),
        S(U(r, ()), desc="0-d"),
        S(fortran(U(r, (3, 4))), desc="fortran"),
    ]


@samples("transpose", ref=lambda t, x, dim0=-2, dim1=-1: t.transpose(x, dim0, dim1))
def _transpose(name, r):
    return [
        S(U(r, (2, 3)), desc="default"),
        S(U(r, (2, 3, 4)), attrs={"dim0": 0, "dim1": 2}, desc="0, 2"),
        S(U(r, (2, 1, 3)), attrs={"dim0": -1, "dim1": 0}, desc="negative"),
        S(fortran(U(r, (3, 4))), desc="fortran"),
    ]
