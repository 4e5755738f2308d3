"""How an op is declared and registered.

An op is declared once, forward and gradient side by side::

    mul = defop(
        "mul",
        lambda x, y: x * y,                       # forward on NumPy arrays
        vjps=(lambda F, g, out, x, y: g * y,      # d/dx, one line per input
              lambda F, g, out, x, y: g * x),     # d/dy
    )

The vocabulary of a vjp (defined once, here): ``F`` is the backend the formula runs
on, ``g`` the upstream gradient (shaped like ``out``), ``out`` the forward result,
then the forward's tensor arguments in order, then its non-tensor attributes as
keywords. A vjp returns the gradient for its input; it may have the broadcast shape
of ``out`` (the engine reduces it to the input's exact shape in one place) and may be
``None`` for "no gradient".

Every vjp is written only with operators and ``F.<name>`` calls, so the same formula
runs on raw NumPy arrays (``F = NP``, the fast plain path) and on Tensors
(``F = TG``, when ``create_graph=True`` asks for a differentiable backward). See
``engine.py`` for why.

The registry ``OPS`` maps each op name to its :class:`OpDef`. The name is the graph
label, the test id and the key of the op's samples in ``tests/op_db.py``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

from .backends import NP, TG
from .tape import STATE, Node, _seq, _user_frame
from .tensor import INPLACE, Tensor, _link_view, as_tensor

_wrap = Tensor._wrap
_new = object.__new__

__all__ = ["OpDef", "defop", "OPS", "apply"]

OPS: Dict[str, "OpDef"] = {}

_ndarray = np.ndarray
_generic = np.generic
_asarray = np.asarray


class OpDef:
    """A registered primitive: its forward, one vjp per tensor input, and metadata.

    ``smooth``: infinitely differentiable on its domain (gradgradcheck applies).
    ``linear``: the vjps do not read input values (in-place changes to inputs are safe).
    ``uses_out``: some vjp reads ``out`` (in-place changes to the output are unsafe).
    ``check``: optional validator ``check(*arrays, **attrs)`` that raises a readable
    error before the forward runs.
    """

    __slots__ = ("name", "forward", "vjps", "smooth", "linear", "uses_out", "check", "doc",
                 "differentiable", "api", "reads")

    def __init__(self, name: str, forward: Callable, vjps: Sequence[Optional[Callable]],
                 smooth: bool, linear: bool, uses_out: bool, check: Optional[Callable],
                 doc: str, differentiable: bool) -> None:
        self.name = name
        self.forward = forward
        self.vjps = tuple(vjps) if isinstance(vjps, list) else vjps
        self.smooth = smooth
        self.linear = linear
        self.uses_out = uses_out
        self.check = check
        self.doc = doc
        self.differentiable = differentiable
        self.api = None  # the public function, when it normalises arguments first
        # per vjp, which inputs' values it reads (None: assume all). An in-place change
        # of an input that no needed vjp reads is harmless, as in PyTorch, which saves
        # only what the backward of the inputs requiring grad uses (exp saves only its
        # result; y * 1 saves nothing of y)
        self.reads = _inputs_read(self.vjps)

    def __call__(self, *args: Any, **attrs: Any):
        if self.api is not None:
            return self.api(*args, **attrs)
        return apply(self, tuple(as_tensor(a) for a in args), attrs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def _inputs_read(vjps) -> Optional[tuple]:
    """Per vjp, the indices of the forward inputs it loads, found from its bytecode.

    A vjp's parameters are ``F, g, out`` then one per forward input (then keyword
    attributes); an input whose name is never loaded is not read. Anything that is
    not a plain function with named parameters (``*args``, partials, callables) gives
    None, which the engine treats as "every vjp reads every input" (the safe answer)."""
    import dis
    import inspect

    out = []
    for vjp in vjps:
        if vjp is None:
            out.append(frozenset())
            continue
        code = getattr(vjp, "__code__", None)
        if code is None or code.co_flags & inspect.CO_VARARGS:
            return None
        params = code.co_varnames[:code.co_argcount]
        if len(params) < 3:
            return None
        loaded = set()
        stack = [code]
        while stack:
            c = stack.pop()
            for ins in dis.get_instructions(c):
                if ins.opname.startswith("LOAD_") and isinstance(ins.argval, (str, tuple)):
                    arg = ins.argval
                    loaded.update(arg if isinstance(arg, tuple) else (arg,))
            stack.extend(k for k in c.co_consts if hasattr(k, "co_code"))
        out.append(frozenset(i for i, nm in enumerate(params[3:]) if nm in loaded))
    return tuple(out)


def defop(name: str, forward: Callable, vjps: Sequence[Optional[Callable]] = (), *,
          smooth: bool = True, linear: bool = False, uses_out: bool = False,
          check: Optional[Callable] = None, doc: str = "",
          differentiable: bool = True, backend: bool = False) -> OpDef:
    """Declare and register a primitive op (see the module docstring).

    ``backend=True`` also makes the op callable from vjp formulas as
    ``F.<name>(*inputs, **attrs)``: its forward on ``NP``, the recorded op on ``TG``.
    That is how a hard backward (a conv input gradient, say) becomes a primitive of
    its own with its own vjp, so no formula needs to know which backend it runs on."""
    if name in OPS:
        raise ValueError(f"op {name!r} is already registered")
    op = OpDef(name, forward, vjps, smooth, linear, uses_out, check, doc, differentiable)
    OPS[name] = op
    if backend:
        if hasattr(NP, name):
            raise ValueError(f"backend function {name!r} is already defined")
        setattr(NP, name, staticmethod(forward))

        def recorded(*inputs, **attrs):
            return apply(op, tuple([as_tensor(a) for a in inputs]), attrs)

        recorded.__name__ = name
        setattr(TG, name, staticmethod(recorded))
    return op


def _shape_list(arrays) -> str:
    return ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays)


def _forward_error(op: OpDef, arrays, attrs, exc: Exception) -> Exception:
    """Turn a NumPy failure inside a forward into a message that names the op.

    Only runs when the forward raised (the hot path never gets here). Broadcasting
    failures become :class:`~autograd.errors.ShapeError`, undefined dtype combinations
    :class:`~autograd.errors.DtypeError` (see docs/errors.md)."""
    from .errors import DtypeError, ShapeError

    text = str(exc)
    where = f"inputs with shapes/dtypes [{_shape_list(arrays)}]"
    if attrs:
        where += " and arguments " + ", ".join(f"{k}={v!r}" for k, v in attrs.items()
                                               if not isinstance(v, np.ndarray))
    if text.startswith(op.name + ":"):  # already a tapegrad message naming the op
        msg = f"{text} (got {where})"
    else:
        msg = f"{op.name}: cannot apply to {where}: {text}"
    if isinstance(exc, (ShapeError, DtypeError)):
        cls = type(exc)
    elif "broadcast" in text:
        cls = IndexError if isinstance(exc, IndexError) else ShapeError  # index arrays: PyTorch's IndexError
        msg += (". Shapes must be broadcastable (equal, or 1, in each trailing dimension); "
                "reshape or unsqueeze one input.")
    elif isinstance(exc, TypeError) and "not supported" in text:  # NumPy's UFuncTypeError
        cls = DtypeError
    else:
        cls = type(exc) if isinstance(exc, (ValueError, IndexError, TypeError)) else RuntimeError
    try:
        return cls(msg)
    except Exception:  # exception classes with unusual constructors
        return RuntimeError(msg)


def _edge(a):
    fn = a.grad_fn
    if fn is not None:
        return fn
    return a if a.requires_grad else None


def apply(op: OpDef, args: tuple, attrs: dict):
    """Run ``op`` forward on Tensors ``args`` and record a node when a gradient is wanted.

    This is the hot path of every op: no imports, no per-call allocations beyond the
    output Tensor, the Node and its parent tuple; one- and two-input ops (nearly all
    of them) skip the generic argument handling.
    """
    n = len(args)
    # A 0-d array meeting a NumPy scalar takes NumPy's slow ufunc path (~1 us); read
    # 0-d arrays as scalars so 0-d arithmetic stays on the scalar fast path.
    if n == 2:
        a, b = args
        ad = a._d
        if type(ad) is _ndarray and not ad.shape:
            ad = ad[()]
        bd = b._d
        if type(bd) is _ndarray and not bd.shape:
            bd = bd[()]
        arrays = (ad, bd)
    elif n == 1:
        ad = args[0]._d
        arrays = (ad[()] if type(ad) is _ndarray and not ad.shape else ad,)
    else:
        arrays = tuple([a._d for a in args])
    if op.check is not None:
        op.check(*arrays, **attrs)
    try:
        out = op.forward(*arrays, **attrs) if attrs else op.forward(*arrays)
    except (ValueError, IndexError, TypeError, np.exceptions.AxisError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    if type(out) is not _ndarray and not isinstance(out, _generic):
        out = _asarray(out)  # NumPy scalars (0-d results) are kept as they are
    res = _new(Tensor)  # Tensor._wrap, inlined
    res._d = out
    res.grad_fn = None
    if type(out) is _ndarray and out.base is not None:
        _link_view(res, args, out)  # a view of an input: share in-place version bumps
    if not STATE.grad_enabled or not op.differentiable:
        res.requires_grad = False
        return res
    if n == 2:
        pa = a.grad_fn  # _edge(a) and _edge(b), inlined
        if pa is None and a.requires_grad:
            pa = a
        pb = b.grad_fn
        if pb is None and b.requires_grad:
            pb = b
        if pa is None and pb is None:
            res.requires_grad = False
            return res
        parents = (pa, pb)
    elif n == 1:
        pa = _edge(args[0])
        if pa is None:
            res.requires_grad = False
            return res
        parents = (pa,)
    else:
        parents = tuple([_edge(a) for a in args])
        if not any(p is not None for p in parents):
            res.requires_grad = False
            return res
    # Node(op, args, parents, attrs, out, seq, stamp, arrays), inlined: half the cost
    node = _new(Node)
    node.op = op
    node.inputs = args
    node.vals = arrays
    node.parents = parents
    node.attrs = attrs
    node.out = out
    node.out_ref = None
    node.dirty = False
    node.seq = next(_seq)
    node.stamp = INPLACE.count
    node.scope = STATE.scope
    node.hooks = None
    node.retain = False
    node.trace = _user_frame() if STATE.anomaly else None
    node.grad = None
    res.grad_fn = node
    res.requires_grad = True
    return res
