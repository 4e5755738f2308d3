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

The tables (this module is the only list of ops; everything else reads it):

* ``OPS``: primitive name -> :class:`OpDef` (the name is the graph label, the test id
  and the key of the op's samples in ``autograd/testing``);
* ``COMPOSITES``: name -> ``(function, smooth)`` for public ops built from primitives
  (they inherit gradients; the generic tests check them like primitives);
* ``PUBLIC``: every public op function by its ``autograd.<name>`` (aliases included);
* ``METHODS``: every Tensor method and operator an op declares, also set on
  :class:`~autograd.tensor.OpMethods`, the table Tensor dispatches through;
* ``NP`` / ``TG``: the two backends a vjp formula calls as ``F.<name>``: NumPy
  functions, and the matching recorded ops. Each name is declared beside its op with
  :func:`backend` (or ``defop(..., backend=True)``), so both always list the same names.

Declaring: ``defop`` (primitives), ``@composite`` (composites), ``public`` (the public
wrapper of a primitive, when it normalises arguments), ``method`` (a method or
operator), ``backend`` (an ``F.<name>``).
"""
from __future__ import annotations

import dis
import inspect
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import DtypeError, OutOfMemoryError, ShapeError
from .storage import link_view
from .tape import STATE, new_node
from .tensor import OpMethods, Tensor, as_tensor

_new = object.__new__

__all__ = ["OpDef", "defop", "composite", "public", "method", "backend", "apply", "OPS",
           "COMPOSITES", "PUBLIC", "METHODS", "NP", "TG"]

OPS: Dict[str, "OpDef"] = {}
COMPOSITES: Dict[str, Tuple[Callable, bool]] = {}
PUBLIC: Dict[str, Callable] = {}
METHODS: Dict[str, Callable] = {}


class Backend:
    """The functions a vjp formula calls as ``F.<name>``: ``NP`` (NumPy arrays, the plain
    path) or ``TG`` (Tensors, each a recorded op, for ``create_graph=True``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"<backend {self._name}: {len(self.names())} functions>"

    def names(self) -> set:
        """The F.<name> functions defined on this backend."""
        return {k for k in vars(self) if not k.startswith("_")}

    def __getattr__(self, name: str):  # only reached for a missing name
        raise AttributeError(f"the {self._name} backend has no function {name!r}; declare it "
                             f"beside its op with registry.backend({name!r}, np_fn, tg_fn)")


NP = Backend("NP")
TG = Backend("TG")

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

    >>> import autograd as ag
    >>> from autograd.registry import OPS
    >>> op = OPS['exp']
    >>> op, op.smooth, op.uses_out, len(op.vjps)
    (<op exp>, True, True, 1)
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
        return apply(self, tuple([as_tensor(a) for a in args]), attrs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def _inputs_read(vjps) -> Optional[tuple]:
    """Per vjp, the indices of the forward inputs it loads, found from its bytecode.

    A vjp's parameters are ``F, g, out`` then one per forward input (then keyword
    attributes); an input whose name is never loaded is not read. Anything that is
    not a plain function with named parameters (``*args``, partials, callables) gives
    None, which the engine treats as "every vjp reads every input" (the safe answer)."""
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
    its own with its own vjp, so no formula needs to know which backend it runs on.

    >>> import autograd as ag
    >>> from autograd.registry import OPS
    >>> cube = ag.defop('cube_demo', lambda x: x ** 3,
    ...                vjps=(lambda F, g, out, x: g * 3 * x ** 2,))
    >>> x = ag.tensor([2.], requires_grad=True)
    >>> cube(x).sum().backward(); x.grad.tolist()
    [12.0]
    >>> del OPS['cube_demo']  # (a demo: a real op stays registered)
    """
    if name in OPS:
        raise ValueError(f"op {name!r} is already registered")
    op = OpDef(name, forward, vjps, smooth, linear, uses_out, check, doc, differentiable)
    OPS[name] = op
    if backend:
        def recorded(*inputs, **attrs):
            return apply(op, tuple([as_tensor(a) for a in inputs]), attrs)

        recorded.__name__ = name
        _backend(name, forward, recorded)
    return op


Names = Union[None, bool, str, Sequence[str]]


def _names(spec: Names, default: str) -> Tuple[str, ...]:
    if spec is None or spec is False:
        return ()
    if spec is True:
        return (default,)
    if isinstance(spec, str):
        return (spec,)
    return tuple(spec)


def _label(fn: Callable, name: str) -> None:
    """Name a generated function (a closure or lambda) after the op, so Python's own
    errors for it (a missing argument) say ``add()``, not ``_binary.<locals>.fn()``."""
    q = getattr(fn, "__qualname__", "")
    if "<locals>" in q or "<lambda>" in q:
        try:
            fn.__qualname__ = name
            if fn.__name__ == "<lambda>":
                fn.__name__ = name
        except (AttributeError, TypeError):  # builtins and partials
            pass


def method(name: str, fn: Callable) -> Callable:
    """Make ``fn(self, ...)`` the Tensor method or operator ``name`` (``"exp"``,
    ``"__mul__"``, ``"add_"``, ``"backward"``)."""
    _label(fn, name)
    if name in METHODS:
        raise ValueError(f"Tensor method {name!r} is already declared")
    METHODS[name] = fn
    setattr(OpMethods, name, fn)
    return fn


def _publish(fn: Callable, name: str, methods: Names, aliases: Sequence[str]) -> None:
    _label(fn, name)
    for n in (name, *aliases):
        if n in PUBLIC:
            raise ValueError(f"public op name {n!r} is already declared")
        PUBLIC[n] = fn
    for m in _names(methods, name):
        method(m, fn)


def public(fn: Callable, *, method: Names = None, aliases: Sequence[str] = ()) -> Callable:
    """Declare ``fn`` a public op function (``autograd.<fn.__name__>``), optionally also the
    Tensor method(s) ``method`` (True: the same name) and public ``aliases``."""
    _publish(fn, fn.__name__, method, aliases)
    return fn


def composite(name: Optional[str] = None, *, smooth: bool = True, method: Names = None,
              aliases: Sequence[str] = ()):
    """Declare a composite op: a function of other ops, whose gradients come from theirs.

    Registered in ``COMPOSITES`` (so the generic tests gradcheck it, and gradgradcheck it
    when ``smooth``, on its samples), published as ``autograd.<name>`` (and ``aliases``),
    and as Tensor method(s) ``method``.

    >>> import autograd as ag
    >>> from autograd.registry import COMPOSITES, PUBLIC
    >>> @ag.composite('softplus_demo')
    ... def softplus_demo(x):
    ...     return (x.exp() + 1).log()
    >>> round(softplus_demo(ag.tensor([0.])).item(), 4)  # log 2
    0.6931
    >>> del COMPOSITES['softplus_demo'], PUBLIC['softplus_demo']  # (a demo)
    """
    def deco(f: Callable) -> Callable:
        n = name or f.__name__
        if n in COMPOSITES or n in OPS:
            raise ValueError(f"op {n!r} is already registered")
        COMPOSITES[n] = (f, smooth)
        _publish(f, n, method, aliases)
        return f

    return deco


def backend(name: str, np_fn: Callable, tg_fn: Callable) -> None:
    """Declare ``F.<name>``: ``np_fn`` on NumPy arrays, ``tg_fn`` the same function as
    recorded ops (differentiable), with the same signature."""
    _backend(name, np_fn, tg_fn)


def _backend(name: str, np_fn: Callable, tg_fn: Callable) -> None:
    if name in vars(NP):
        raise ValueError(f"backend function {name!r} is already declared")
    setattr(NP, name, np_fn)
    setattr(TG, name, tg_fn)


# F.const(value, like): a constant (no gradient) with ``like``'s dtype, on either backend
_backend("const", lambda value, like: np.asarray(value, dtype=like.dtype),
         lambda value, like: Tensor._wrap(np.asarray(value, dtype=like.dtype)))


def _shape_list(arrays) -> str:
    return ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays)


def _forward_error(op: OpDef, arrays, attrs, exc: Exception) -> Exception:
    """Turn a NumPy failure inside a forward into a message that names the op.

    Only runs when the forward raised (the hot path never gets here). Broadcasting
    failures become :class:`~autograd.errors.ShapeError`, undefined dtype combinations
    :class:`~autograd.errors.DtypeError` (see docs/errors.md)."""
    text = str(exc)
    where = f"inputs with shapes/dtypes [{_shape_list(arrays)}]"
    if attrs:
        where += " and arguments " + ", ".join(f"{k}={v!r}" for k, v in attrs.items()
                                               if not isinstance(v, np.ndarray))
    if text.startswith(op.name + ":"):  # already a tapegrad message naming the op
        msg = f"{text} (got {where})"
    else:
        msg = f"{op.name}: cannot apply to {where}: {text}"
    if isinstance(exc, (ShapeError, DtypeError, OutOfMemoryError)):
        cls = type(exc)
    elif isinstance(exc, MemoryError):  # NumPy's "Unable to allocate ...", named
        cls = OutOfMemoryError
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
    if STATE.recorder is not None:  # autograd.compile is recording this call
        return STATE.recorder.apply(op, args, attrs)
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
    except (ValueError, IndexError, TypeError, np.exceptions.AxisError, MemoryError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    if type(out) is not _ndarray and not isinstance(out, _generic):
        out = _asarray(out)  # NumPy scalars (0-d results) are kept as they are
    res = _new(Tensor)  # Tensor._wrap, inlined
    res._d = out
    res.grad_fn = None
    if type(out) is _ndarray and out.base is not None:
        link_view(res, args, out)  # a view of an input: share in-place version bumps
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
    res.grad_fn = new_node(op, args, arrays, parents, attrs, out)
    res.requires_grad = True
    return res
