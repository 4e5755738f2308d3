"""User-defined differentiable ops: subclass ``Function`` like PyTorch's.

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3          # Tensors in, Tensor out (computed without recording)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g   # one gradient per forward input (None for non-tensors)

    y = Cube.apply(x)

The forward runs with grad mode off; the result is recorded as one node named after
the class. Backward runs on Tensors, so a Function's backward is itself
differentiable when it is written with tapegrad ops.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Tuple

import numpy as np

from .registry import OpDef
from .tape import STATE, new_node, no_grad
from .tensor import Tensor, as_tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` object, as in PyTorch: ``save_for_backward`` / ``saved_tensors``,
    ``needs_input_grad`` (one bool per forward argument), ``mark_non_differentiable``
    (outputs that get no gradient, e.g. an argmax), ``set_materialize_grads`` (False:
    backward receives None, not zeros, for an output that got no gradient), and free
    attributes (``ctx.k = 3``).

    >>> import autograd as ag
    >>> class Scale(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x, k):
    ...         ctx.k = k  # a free attribute
    ...         print(ctx.needs_input_grad)
    ...         return x * k
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         return g * ctx.k, None
    >>> x = ag.ones(2, requires_grad=True)
    >>> Scale.apply(x, 3.0).sum().backward()
    (True, False)
    >>> x.grad.tolist()
    [3.0, 3.0]
    """

    def __init__(self) -> None:
        self._saved: Tuple = ()
        self.needs_input_grad: Tuple[bool, ...] = ()
        self._non_diff: list = []
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> Tuple:
        return self._saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """These forward outputs are not differentiable: they do not require grad, and
        backward receives a zero (or None) gradient for them."""
        self._non_diff.extend(outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None instead of zeros for outputs that received no
        gradient (PyTorch's default is True: zeros of the output's shape)."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        raise NotImplementedError(
            "ctx.mark_dirty: custom Functions that modify their inputs in place are not "
            "supported by tapegrad; return a new tensor from forward instead")


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a ``backward`` that is not itself differentiable (written with NumPy, or
    with ops whose graph should not be kept): it runs with grad mode off, as in PyTorch.

    >>> import autograd as ag
    >>> class Double(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     @ag.once_differentiable
    ...     def backward(ctx, g):
    ...         print(ag.is_grad_enabled())
    ...         return g * 2
    >>> x = ag.ones(2, requires_grad=True)
    >>> Double.apply(x).sum().backward(create_graph=True)
    False
    >>> x.grad.tolist()
    [2.0, 2.0]
    """
    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            return fn(ctx, *grads)

    return wrapper


class Function:
    """Base class for custom ops with a static ``forward(ctx, ...)`` and
    ``backward(ctx, *grads)`` (one gradient per forward output; forward may return a
    Tensor or a tuple of them).

    >>> import autograd as ag
    >>> class Cube(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return g * 3 * x ** 2
    >>> x = ag.tensor([1., 2.], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad.tolist()
    [3.0, 12.0]
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement backward(ctx, g)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any):
        ctx = FunctionCtx()
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            raw_out = cls.forward(ctx, *args, **kwargs)
        multi = isinstance(raw_out, tuple)
        outs = list(raw_out) if multi else [raw_out]
        non_diff = {id(t) for t in ctx._non_diff}
        # fresh output tensors (an output may be an input returned as it is)
        fresh = []
        for o in outs:
            if isinstance(o, Tensor) or not multi:
                t = Tensor._wrap((o if isinstance(o, Tensor) else as_tensor(o))._arr)
                if id(o) in non_diff:
                    non_diff.add(id(t))
                fresh.append(t)
            else:
                fresh.append(o)
        recording = STATE.grad_enabled and any(ctx.needs_input_grad)
        diff = [k for k, t in enumerate(fresh) if isinstance(t, Tensor)
                and id(t) not in non_diff and t.dtype.kind == "f"]
        if not recording or not diff:
            return tuple(fresh) if multi else fresh[0]
        inputs = tuple(args[i] for i in tensor_pos)
        parents = tuple(t.grad_fn if t.grad_fn is not None else (t if t.requires_grad else None)
                        for t in inputs)
        if not multi:
            op = _function_op(cls, ctx, tensor_pos, args, kwargs, None)
            out = fresh[0]
            out.grad_fn = new_node(op, inputs, tuple([t._d for t in inputs]), parents, {}, out._arr)
            out.requires_grad = True
            return out
        # several outputs: one node whose output packs the differentiable ones (raveled,
        # in a common float dtype); each output is a recorded slice of it, so the node's
        # gradient arrives whole, with zeros where an output got none
        shapes = [(k, fresh[k].shape, fresh[k].dtype) for k in diff]
        common = np.result_type(*[d for _, _, d in shapes])
        packed = np.concatenate([fresh[k]._arr.astype(common).ravel() for k in diff])
        layout = (len(fresh), shapes)
        op = _function_op(cls, ctx, tensor_pos, args, kwargs, layout)
        pt = Tensor._wrap(packed)
        pt.grad_fn = new_node(op, inputs, tuple([t._d for t in inputs]), parents, {}, packed)
        pt.requires_grad = True
        start = 0
        for k, shape, dt in shapes:
            n = int(np.prod(shape, dtype=np.int64))
            piece = pt[start:start + n].reshape(shape)
            fresh[k] = piece if dt == common else piece.to(dt)
            start += n
        return tuple(fresh)


def _split_packed(g, layout, materialize: bool):
    """The per-output gradients from the packed node's gradient ``g``: a zero (or None,
    without materialising) for a non-differentiable output."""
    nout, shapes = layout
    grads: list = [None] * nout
    start = 0
    for k, shape, dt in shapes:
        n = int(np.prod(shape, dtype=np.int64))
        piece = g[start:start + n].reshape(shape)
        grads[k] = piece if piece.dtype == dt else piece.to(dt) if isinstance(piece, Tensor) \
            else piece.astype(dt)
        start += n
    return grads, materialize


class _FunctionOp(OpDef):
    """An OpDef for a custom Function (PyTorch names its node ``<Class>Backward``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.torch_name = f"{self.name}Backward"


def _function_op(cls, ctx, tensor_pos, args, kwargs, layout) -> OpDef:
    """An unregistered OpDef whose vjps call the user's backward (once per node visit).

    Its ``forward`` replays the user's forward on arrays (a fresh ctx, grad mode off), so
    tools that re-run recorded nodes (the per-node gradient check) can treat a custom
    Function like any primitive. ``layout`` describes a packed multi-output node."""
    nargs = len(args)
    nslots = len(tensor_pos)
    # The user's backward returns every input's gradient at once, but the engine asks
    # each slot's vjp in turn (with the same g). The first slot asked computes them all;
    # the others take theirs from here. Each slot is served once per computation, so a
    # later backward (retain_graph, or grad() again) calls the user's backward afresh,
    # even for the very same g object.
    cache: list = [None, None, set()]  # [g, gradients, slots served]

    def forward(*arrays):
        full = list(args)
        for pos, a in zip(tensor_pos, arrays):
            full[pos] = Tensor._wrap(a)
        with no_grad():
            out = cls.forward(FunctionCtx(), *full, **kwargs)
        if layout is not None:
            outs = [out[k] for k, _, _ in layout[1]]
            common = np.result_type(*[d for _, _, d in layout[1]])
            return np.concatenate([as_tensor(o)._arr.astype(common).ravel() for o in outs])
        return as_tensor(out)._arr

    def user_grads(g):
        gt = g if isinstance(g, Tensor) else Tensor._wrap(g)
        if layout is None:
            return cls.backward(ctx, gt)
        parts, _ = _split_packed(gt, layout, ctx.materialize_grads)
        full = []
        for k, p in enumerate(parts):
            if p is None:
                p = None
            elif not ctx.materialize_grads and not np.any(np.asarray(p._d)):
                p = None  # (an output that got no gradient arrives as zeros in the pack)
            full.append(p)
        return cls.backward(ctx, *full)

    def vjp_for(slot):
        def vjp(F, g, out, *inputs):
            if cache[0] is not g or slot in cache[2]:
                grads = user_grads(g)
                if not isinstance(grads, tuple):
                    grads = (grads,)
                if len(grads) > nargs and all(x is None for x in grads[nargs:]):
                    grads = grads[:nargs]
                if len(grads) != nargs:
                    raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect "
                                       f"number of gradients (expected {nargs}, got "
                                       f"{len(grads)}): {cls.__name__}.backward must return "
                                       f"one gradient per forward input (None for inputs "
                                       f"that need none)")
                cache[:] = [g, grads, set()]
            grads = cache[1]
            cache[2].add(slot)
            if len(cache[2]) == nslots:
                cache[:] = [None, None, set()]  # all served: hold no gradient alive
            r = grads[tensor_pos[slot]]
            # a Tensor either way: the engine converts it for the backend it runs on
            return None if r is None else as_tensor(r)

        return vjp

    return _FunctionOp(cls.__name__, forward, tuple(vjp_for(k) for k in range(len(tensor_pos))),
                       smooth=True, linear=False, uses_out=False, check=None,
                       doc=cls.__doc__ or "", differentiable=True)
