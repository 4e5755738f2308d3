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

from typing import Any, Tuple


from .registry import OpDef
from .tape import STATE, new_node, no_grad
from .tensor import Tensor, as_tensor

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` object: ``save_for_backward``, ``saved_tensors``, and free attributes."""

    def __init__(self) -> None:
        self._saved: Tuple = ()
        self.needs_input_grad: Tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> Tuple:
        return self._saved


class Function:
    """Base class for custom ops with a static ``forward(ctx, ...)`` and ``backward(ctx, g)``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement backward(ctx, g)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        ctx = FunctionCtx()
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not isinstance(out, Tensor):
            out = as_tensor(out)
        out = Tensor._wrap(out._arr)
        if not STATE.grad_enabled or not any(ctx.needs_input_grad):
            return out
        inputs = tuple(args[i] for i in tensor_pos)
        parents = tuple(t.grad_fn if t.grad_fn is not None else (t if t.requires_grad else None)
                        for t in inputs)
        op = _function_op(cls, ctx, tensor_pos, args, kwargs)
        node = new_node(op, inputs, tuple([t._d for t in inputs]), parents, {}, out._arr)
        out.grad_fn = node
        out.requires_grad = True
        return out


def _function_op(cls, ctx, tensor_pos, args, kwargs) -> OpDef:
    """An unregistered OpDef whose vjps call the user's backward (once per node visit).

    Its ``forward`` replays the user's forward on arrays (a fresh ctx, grad mode off), so
    tools that re-run recorded nodes (the per-node gradient check) can treat a custom
    Function like any primitive."""
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
        return as_tensor(out)._arr

    def vjp_for(slot):
        def vjp(F, g, out, *inputs):
            if cache[0] is not g or slot in cache[2]:
                gt = g if isinstance(g, Tensor) else Tensor._wrap(g)
                grads = cls.backward(ctx, gt)
                if not isinstance(grads, tuple):
                    grads = (grads,)
                if len(grads) != nargs:
                    raise RuntimeError(f"{cls.__name__}.backward returned {len(grads)} "
                                       f"gradients but forward took {nargs} inputs")
                cache[:] = [g, grads, set()]
            grads = cache[1]
            cache[2].add(slot)
            if len(cache[2]) == nslots:
                cache[:] = [None, None, set()]  # all served: hold no gradient alive
            r = grads[tensor_pos[slot]]
            # a Tensor either way: the engine converts it for the backend it runs on
            return None if r is None else as_tensor(r)

        return vjp

    return OpDef(cls.__name__, forward, tuple(vjp_for(k) for k in range(len(tensor_pos))),
                 smooth=True, linear=False, uses_out=False, check=None,
                 doc=cls.__doc__ or "", differentiable=True)
