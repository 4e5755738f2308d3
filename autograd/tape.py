"""The tape: graph nodes, grad modes, name scopes and anomaly mode.

A :class:`Node` is recorded on the output of an op when grad mode is on and at
least one input requires grad. It holds everything backward needs:

* ``op``       the registered :class:`~autograd.registry.OpDef` (its name is the label),
* ``inputs``   the input Tensors (for ``create_graph`` and version checks; freed after
               backward),
* ``vals``     their values as the forward saw them (what the plain backward feeds the
               vjps; freed after backward),
* ``parents``  one edge per input slot: the input's producing Node, the input itself
               when it is a leaf that requires grad, or None (no gradient flows there),
* ``attrs``    non-tensor arguments (axis, stride, ...),
* ``out``      the forward result array (freed after backward),
* ``out_ref``  a weak reference to the output Tensor, only after ``retain_grad()``,
* ``dirty``    True once the output was modified in place (checked by ops that use
               ``out`` in their vjp),
* ``seq``      the creation sequence number: reverse creation order is a valid
               topological order for backward,
* ``stamp``    the in-place counter at creation (see ``Tensor._mod_stamp``),
* ``scope``    the name-scope path active at creation (for drawing),
* ``hooks`` / ``retain``  tensor hooks and retain_grad of a non-leaf output,
* ``trace``    where the op was created (file, line, code), only in anomaly mode,
* ``grad``     the gradient that arrived at the output, only while recording grads
               for drawing (``record_grads()``).

Grad mode, name scopes, anomaly mode and grad recording are per thread.
"""
from __future__ import annotations

import functools
import itertools
import linecache
import os
import sys
import threading
from typing import Any, Callable, TypeVar

__all__ = [
    "Node", "new_node", "INPLACE", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "name_scope", "detect_anomaly", "is_anomaly_enabled", "record_grads", "OpName", "torch_name",
]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    """Per-thread switches; class attributes are the defaults for every new thread."""

    grad_enabled: bool = True
    scope: tuple = ()
    anomaly: bool = False
    record_grads: bool = False
    recorder: Any = None  # autograd.compile's recorder while it records a call (else None)


STATE = _State()
_seq = itertools.count()


class _Clock:
    """Counts in-place modifications of tensors (a node's ``stamp`` is the count at its
    creation; backward re-checks versions only when the count moved since)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


INPLACE = _Clock()


class Node:
    """One recorded op application (see the module docstring for the fields).

    Built only by :func:`new_node`, which takes the creation sequence number, the
    in-place stamp, the name scope and (in anomaly mode) the user's line itself. The rarely set fields (``out_ref``, ``dirty``, ``hooks``,
    ``retain``, ``trace``, ``grad``) are class defaults that an instance overrides only
    when needed, so recording an op assigns nine slots.

    >>> import autograd as ag
    >>> x = ag.ones(2, requires_grad=True)
    >>> y = x * 2
    >>> type(y.grad_fn).__name__, y.grad_fn.op.name
    ('Node', 'mul')
    """

    __slots__ = ("op", "inputs", "vals", "parents", "attrs", "out", "seq", "stamp", "scope",
                 "__dict__", "__weakref__")
    out_ref = None   # set only by retain_grad (a weak reference, no cycle)
    dirty = False    # set when the output is modified in place
    hooks = None
    retain = False
    trace = None
    grad = None

    @property
    def name(self) -> "OpName":
        """The op's registered name (also its graph label): ``node.name == "mul"``.
        Called, it gives PyTorch's name, ``node.name() == "MulBackward0"``."""
        return OpName(self.op.name, self)

    @property
    def torch_name(self) -> str:
        """PyTorch's name for this node's backward (``MulBackward0``, ``MmBackward0``)."""
        return torch_name(self)

    @property
    def next_functions(self) -> tuple:
        """PyTorch-style view of the edges: one entry per input slot."""
        return self.parents

    def __repr__(self) -> str:
        return f"<{torch_name(self)} ({self.op.name} node #{self.seq})>"


class OpName(str):
    """A node's name: the registered op name as a string; calling it gives PyTorch's
    backward name (``grad_fn.name()`` in PyTorch code)."""

    def __new__(cls, name: str, node: "Node") -> "OpName":
        s = super().__new__(cls, name)
        s._node = node
        return s

    def __call__(self) -> str:
        return torch_name(self._node)


# PyTorch's backward-node names where they are not CamelCase(op) + "Backward0"
_TORCH_NAMES = {"matmul": "MmBackward0", "linear": "AddmmBackward0", "getitem": "IndexBackward0",
                "reshape": "ViewBackward0", "cast": "ToCopyBackward0", "clamp": "ClampBackward1",
                "conv2d": "ConvolutionBackward0", "max_pool2d": "MaxPool2DWithIndicesBackward0",
                "softmax_cross_entropy": "NllLossBackward0", "broadcast_to": "ExpandBackward0",
                "setitem": "CopySlices", "copy_from": "CopyBackwards", "log_softmax":
                "LogSoftmaxBackward0", "logsumexp": "LogsumexpBackward0", "leaky_relu":
                "LeakyReluBackward0", "max": "MaxBackward1", "min": "MinBackward1"}
_DIM_REDUCTIONS = {"sum": "SumBackward", "mean": "MeanBackward", "prod": "ProdBackward"}


def torch_name(node: "Node") -> str:
    """PyTorch's name for ``node``'s backward: ``MulBackward0`` for mul, ``SumBackward0``
    for a full sum and ``SumBackward1`` over dims, ``MvBackward0``/``MmBackward0``/
    ``BmmBackward0`` for matmul by rank, ``PowBackward0``/``1`` for a scalar/tensor
    exponent, ``<Class>Backward`` for a custom Function (``op.torch_name`` if set)."""
    op = node.op
    given = getattr(op, "torch_name", None)
    if given:
        return given
    n = op.name
    if n in _DIM_REDUCTIONS:
        full = node.attrs.get("axis", node.attrs.get("dim")) is None if node.attrs else True
        return _DIM_REDUCTIONS[n] + ("0" if full else "1")
    if n == "matmul" and node.vals is not None and len(node.vals) == 2:
        nd = tuple(getattr(v, "ndim", 0) for v in node.vals)
        return {(2, 1): "MvBackward0", (1, 1): "DotBackward0"}.get(
            nd, "MmBackward0" if nd == (2, 2) else "UnsafeViewBackward0" if max(nd) > 2 else "MmBackward0")
    if n == "pow" and node.parents is not None and len(node.parents) == 2:
        return "PowBackward1" if node.parents[1] is not None else "PowBackward0"
    if n in _TORCH_NAMES:
        return _TORCH_NAMES[n]
    return "".join(w[:1].upper() + w[1:] for w in n.split("_")) + "Backward0"


_new = object.__new__


def new_node(op, inputs: tuple, vals: tuple, parents: tuple, attrs: dict, out) -> Node:
    """Record one op application (the only place a Node is built: ops and custom
    Functions alike). A function rather than ``Node.__init__``: a third cheaper, and
    this runs once per recorded op."""
    n = _new(Node)
    n.op = op
    n.inputs = inputs
    n.vals = vals
    n.parents = parents
    n.attrs = attrs
    n.out = out
    n.seq = next(_seq)
    n.stamp = INPLACE.count
    n.scope = STATE.scope
    if STATE.anomaly:
        n.trace = _user_frame()
    return n


# --------------------------------------------------------------------------- grad mode


class _GradMode:
    """Context manager and decorator that sets grad mode for the current thread."""

    enabled: bool

    def __new__(cls, *args, **kwargs):
        # `@no_grad` without parentheses decorates directly, as in PyTorch 2.x
        if cls is not set_grad_enabled and len(args) == 1 and not kwargs and callable(args[0]):
            return object.__new__(cls)(args[0])
        return object.__new__(cls)

    def __enter__(self) -> None:
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self.enabled

    def __exit__(self, *exc) -> None:
        STATE.grad_enabled = self._prev

    def __call__(self, fn: F) -> F:
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.grad_enabled
            STATE.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.grad_enabled = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Disable recording: ops inside produce tensors with no ``grad_fn``.

    >>> import autograd as ag
    >>> x = ag.ones(2, requires_grad=True)
    >>> with ag.no_grad():
    ...     y = x * 2
    >>> y.requires_grad, y.grad_fn is None
    (False, True)
    """

    enabled = False


class enable_grad(_GradMode):
    """Enable recording (e.g. inside a ``no_grad`` block).

    >>> import autograd as ag
    >>> x = ag.ones(2, requires_grad=True)
    >>> with ag.no_grad():
    ...     with ag.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    enabled = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(mode)``: sets grad mode now; also usable as a context manager.

    >>> import autograd as ag
    >>> with ag.set_grad_enabled(False):
    ...     print(ag.is_grad_enabled())
    False
    >>> ag.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        self.enabled = bool(mode)
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self.enabled

    def __enter__(self) -> None:  # the mode is already set by __init__
        pass


def is_grad_enabled() -> bool:
    """True when ops record nodes in this thread.

    >>> import autograd as ag
    >>> ag.is_grad_enabled()
    True
    >>> with ag.no_grad():
    ...     print(ag.is_grad_enabled())
    False
    """
    return STATE.grad_enabled


# --------------------------------------------------------------------------- name scopes


class name_scope:
    """``with name_scope("fc1"): ...`` tags every node created inside with the scope path.

    Scopes nest (``("model", "fc1")``); nn.Module opens one per module call so drawings
    cluster by module. Per thread.

    >>> import autograd as ag
    >>> x = ag.ones(2, requires_grad=True)
    >>> with ag.name_scope('fc1'):
    ...     y = x * 2
    >>> y.grad_fn.scope
    ('fc1',)
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name_scope: name must be a non-empty string, got {name!r}")
        self.name = name

    def __enter__(self) -> tuple:
        self._prev = STATE.scope
        STATE.scope = self._prev + (self.name,)
        return STATE.scope

    def __exit__(self, *exc) -> None:
        STATE.scope = self._prev


def current_scope() -> tuple:
    """The name-scope path active in this thread."""
    return STATE.scope


# --------------------------------------------------------------------------- anomaly mode

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
# nn's frames are skipped too: an op created inside F.mse_loss points at the user's call
_LIB_DIRS = (_PKG_DIR, os.path.join(os.path.dirname(_PKG_DIR), "nn"))


def _user_frame() -> tuple:
    """(filename, lineno, source line) of the innermost frame outside autograd and nn."""
    f = sys._getframe(1)
    while f is not None and os.path.dirname(os.path.abspath(f.f_code.co_filename)).startswith(_LIB_DIRS):
        f = f.f_back
    if f is None:
        return ("<unknown>", 0, "")
    line = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
    return (f.f_code.co_filename, f.f_lineno, line)


class detect_anomaly:
    """Anomaly mode: nodes remember where they were created, and backward raises
    ``RuntimeError`` at the first vjp that produces NaN or Inf, naming the forward op
    and the user's file and line. Costs a stack walk per op, so it is off by default.

    >>> import autograd as ag
    >>> import warnings
    >>> x = ag.tensor([-1.], requires_grad=True)
    >>> with ag.detect_anomaly(), warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # NumPy's sqrt(-1) warning
    ...     try:
    ...         x.sqrt().sum().backward()
    ...     except RuntimeError as e:
    ...         print(str(e)[:47])
    Function `sqrt` returned nan values in its grad
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = STATE.anomaly
        STATE.anomaly = self.check_nan

    def __exit__(self, *exc) -> None:
        STATE.anomaly = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` in this thread.

    >>> import autograd as ag
    >>> with ag.detect_anomaly():
    ...     print(ag.is_anomaly_enabled())
    True
    >>> ag.is_anomaly_enabled()
    False
    """
    return STATE.anomaly


class record_grads:
    """While active, backward stores each node's incoming gradient in ``node.grad``
    (used by the drawing code to put gradients on edges).

    >>> import autograd as ag
    >>> x = ag.ones(2, requires_grad=True)
    >>> y = (x * 3).sum()
    >>> with ag.record_grads():
    ...     y.backward()
    >>> y.grad_fn.grad
    array(1., dtype=float32)
    """

    def __enter__(self) -> None:
        self._prev = STATE.record_grads
        STATE.record_grads = True

    def __exit__(self, *exc) -> None:
        STATE.record_grads = self._prev



def next_seq_value() -> int:
    """Take the next creation sequence number (nodes take theirs in ``new_node``)."""
    return next(_seq)
