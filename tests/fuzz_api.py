"""The bad-input fuzzer: every public function, Tensor method, layer, loss and optimizer
called with hostile arguments, each outcome classified against PyTorch 2.13.

    .venv/bin/python -m tests.fuzz_api --calls 50000 --seed 0        # the long run
    .venv/bin/python -m tests.fuzz_api --calls 2000 --only softplus  # one name
    .venv/bin/python -m tests.fuzz_api --calls 5000 --show 20        # list defects

The targets are generated, never listed: ``autograd.registry.PUBLIC`` and the
creation/random names of ``autograd.__all__`` (functions), ``autograd.registry.METHODS``
plus the public callables of ``Tensor`` (methods), ``nn.functional.__all__``, the
``Module`` subclasses of ``nn.__all__`` (layers and losses) and the ``Optimizer``
subclasses of ``nn.optim.__all__``. A name added by anyone is fuzzed on the next run.

Arguments are drawn per parameter from its role, guessed from its name in the Python
signature (tensor, dim, size, scalar): half the time from a sane pool (small float
tensors, dims in range), half from a hostile one (bool/int/float16/complex/object/str
arrays, NaN/inf/1e30, empty and 0-d tensors, out-of-range and float/tuple/None dims,
negative and 2**40 sizes, ragged lists, None, strings).

Every call gets one outcome (``classify``):

* ``match``: both returned, same structure, shape, dtype, values and gradients (of
  ``sum(out * w)`` for a fixed random ``w``);
* ``clear``: both raised, tapegrad's error names the function called and is an
  instance of PyTorch's class (``NotImplementedError`` counts as its base
  ``RuntimeError``; a PyTorch ``TypeError`` from its argument parser accepts any
  clear error, since tapegrad parses arguments in Python);
* ``refused``: tapegrad raised a clear error where PyTorch returned (a documented
  limitation, e.g. complex numbers; never a wrong answer);
* ``extension``: tapegrad returned where PyTorch's argument parser refused the
  argument's Python type (lists and NumPy arrays as tensors, NumPy-style axis tuples);
  or where PyTorch has no kernel for the dtype ("not implemented for 'Half'"/'Long')
  and the result equals PyTorch's on the same values in float64;
* ``sane``: a name PyTorch does not have: tapegrad raised a clear error or returned
  tensors of a supported dtype (no object arrays, no truncated garbage);
* defects: ``raw`` (an error that does not name the function called, or a Python or
  NumPy internal class: AttributeError, ZeroDivisionError, AxisError...), ``class``
  (an exception class PyTorch code would not catch), ``silent`` (tapegrad returned
  where PyTorch raised a RuntimeError/IndexError/ValueError), ``value``/``dtype``/
  ``shape``/``grad`` (both returned, different answers), ``hang`` (over the timeout).

The deliberate differences the classifier accepts are ``DELIBERATE`` below, each
listed in docs/errors.md and pinned by tests/test_hostile.py.
"""
from __future__ import annotations

import argparse
import copy
import inspect
import math
import operator
import os
import re
import resource
import signal
import sys
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

import autograd as ag
import nn
import nn.functional as NF
import nn.optim as optim
from autograd.registry import METHODS, PUBLIC

torch.set_num_threads(1)
TF = torch.nn.functional
_w = torch.zeros(1, requires_grad=True)
for _o in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop,
           torch.optim.Adagrad, torch.optim.Adadelta):  # their lazy imports, done once
    _w.grad = torch.zeros(1)
    _o([_w], lr=0.1).step()
del _w, _o
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------- targets
# functions of autograd.__all__ that are not tensor functions (they take callables,
# change global state or are context managers); everything else is fuzzed
META = {"backward", "grad", "graph_nodes", "increment_version", "blame", "gradcheck",
        "gradgradcheck", "numerical_grad", "numerical_jacobian", "default_generator",
        "manual_seed", "seed", "composite", "defop", "is_anomaly_enabled",
        "is_grad_enabled", "set_default_dtype", "get_default_dtype", "compile",
        # a helper for library code whose errors name the op passed to it (``where``)
        "check_device"}
META_METHODS = {"backward", "register_hook", "retain_grad", "detach_", "requires_grad_",
                "numpy", "tolist", "item", "__array__", "register_post_accumulate_grad_hook"}

# tapegrad names whose PyTorch function has another name or argument order (a lambda of
# the torch tensors and the same arguments); None: no PyTorch counterpart ("sane" only)
TORCH_NAME: Dict[str, Optional[Callable]] = {
    "norm": lambda x, p=2, dim=None, keepdim=False: torch.linalg.vector_norm(x, p, dim, keepdim),
    # the first argument is read as a tensor, as ag.getitem does (operator.getitem would
    # let NumPy index a non-tensor first argument with its own rules and errors)
    "getitem": lambda x, idx: operator.getitem(torch.as_tensor(x), idx),
    "cast": lambda x, dtype: x.to(dtype),
    "expand_dims": torch.unsqueeze,
    # tapegrad's unfold/fold are im2col with a (N, C, kh, kw, oh, ow) layout, not
    # PyTorch's (N, C*kh*kw, L): no counterpart
    "unfold": None, "fold": None,
    "sum_to": None, "softmax_cross_entropy": None, "index_add": None,
    "swish": TF.silu, "true_divide": torch.true_divide, "astype": None,
    # torch.X is an undocumented ATen binding with another signature (reduction as an
    # int, dropout's train required); tapegrad's X is nn.functional's
    **{n: getattr(TF, n) for n in ("cosine_embedding_loss", "dropout", "group_norm", "kl_div",
                                   "margin_ranking_loss", "max_pool2d", "rms_norm")},
}


def _torch_fn(name: str, in_nn: bool) -> Optional[Callable]:
    if name in TORCH_NAME:
        return TORCH_NAME[name]
    if in_nn and hasattr(TF, name):
        return getattr(TF, name)
    for mod in (torch, TF, torch.special):
        f = getattr(mod, name, None)
        if callable(f) and not inspect.isclass(f):
            return f
    return None


@dataclass
class Target:
    kind: str                      # function, method, layer, optimizer
    name: str                      # as the user writes it: exp, Tensor.sum, nn.Linear
    ours: Callable
    theirs: Optional[Callable]
    params: List[inspect.Parameter] = field(default_factory=list)
    aliases: Tuple[str, ...] = ()  # names an error message may use (the op's own name)


def _params(fn) -> List[inspect.Parameter]:
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return [inspect.Parameter("x", inspect.Parameter.POSITIONAL_ONLY)]
    return [p for p in ps if p.name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                            p.VAR_POSITIONAL)]


def _base(name: str) -> str:
    return {"__add__": "add", "__radd__": "add", "__sub__": "sub", "__rsub__": "sub",
            "__mul__": "mul", "__rmul__": "mul", "__truediv__": "div", "__rtruediv__": "div",
            "__pow__": "pow", "__rpow__": "pow", "__floordiv__": "floor_divide",
            "__rfloordiv__": "floor_divide", "__mod__": "remainder", "__rmod__": "remainder",
            "__matmul__": "matmul", "__rmatmul__": "matmul", "__neg__": "neg", "__abs__": "abs",
            "__getitem__": "getitem", "__setitem__": "setitem", "__iadd__": "add_",
            "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
            # the bitwise operators are the bitwise_* ops (their errors name those)
            "__and__": "bitwise_and", "__rand__": "bitwise_and", "__iand__": "bitwise_and_",
            "__or__": "bitwise_or", "__ror__": "bitwise_or", "__ior__": "bitwise_or_",
            "__xor__": "bitwise_xor", "__rxor__": "bitwise_xor", "__ixor__": "bitwise_xor_",
            "__lshift__": "bitwise_left_shift", "__rshift__": "bitwise_right_shift",
            "__invert__": "bitwise_not"}.get(name, name)


def _alias_groups() -> Dict[int, set]:
    """Names bound to the same function object (clip/clamp, subtract/sub, clip_/clamp_):
    an error may name any of them."""
    groups: Dict[int, set] = {}
    for table in (PUBLIC, METHODS):
        for n, f in table.items():
            groups.setdefault(id(f), set()).update({n, getattr(f, "__name__", n)})
    return groups


_GROUPS = _alias_groups()


def targets() -> List[Target]:
    out: List[Target] = []
    groups = _GROUPS
    nn_f = set(getattr(NF, "__all__", []))
    names = sorted(set(PUBLIC) | {n for n in ag.__all__ if n not in META and callable(getattr(ag, n))
                                  and not inspect.isclass(getattr(ag, n))
                                  and not inspect.ismodule(getattr(ag, n))})
    for n in names:
        fn = PUBLIC.get(n) or getattr(ag, n)
        out.append(Target("function", n, fn, _torch_fn(n, False), _params(fn),
                          (getattr(fn, "__name__", n), *groups.get(id(fn), ()))))
    for n in sorted(nn_f):
        fn = getattr(NF, n)
        out.append(Target("function", "F." + n, fn, _torch_fn(n, True), _params(fn),
                          (n, getattr(fn, "__name__", n))))
    meths = set(METHODS) | {n for n in dir(ag.Tensor) if not n.startswith("_")
                            and callable(getattr(ag.Tensor, n, None))}
    for n in sorted(meths - META_METHODS):
        fn = METHODS.get(n) or getattr(ag.Tensor, n)
        if isinstance(fn, property) or isinstance(inspect.getattr_static(ag.Tensor, n, None),
                                                  property):
            continue  # an attribute (t.is_cuda, t.device): calling it fails in both
        if n in TORCH_NAME:
            theirs = TORCH_NAME[n]
        else:
            theirs = (lambda self, *a, _n=n: getattr(self, _n)(*a)) if hasattr(torch.Tensor, n) \
                else None
        out.append(Target("method", "Tensor." + n, fn, theirs, _params(fn)[1:],
                          (_base(n), getattr(fn, "__name__", n), n.rstrip("_"),
                           *groups.get(id(fn), ()))))
    for n in sorted(getattr(nn, "__all__", [])):
        c = getattr(nn, n)
        if inspect.isclass(c) and issubclass(c, nn.Module) and c is not nn.Module:
            tc = getattr(torch.nn, n, None)
            out.append(Target("layer", "nn." + n, c, tc, _params(c.__init__)[1:], (n,)))
    for n in sorted(getattr(optim, "__all__", [])):
        c = getattr(optim, n)
        if inspect.isclass(c) and issubclass(c, optim.Optimizer) and c is not optim.Optimizer:
            out.append(Target("optimizer", "optim." + n, c, getattr(torch.optim, n, None),
                              _params(c.__init__)[1:], (n,)))
    return out


# --------------------------------------------------------------------------- values
class Arr:
    """A tensor argument: built fresh for each side (in-place ops cannot leak)."""

    def __init__(self, a: np.ndarray, grad: bool) -> None:
        self.a, self.grad = a, grad and a.dtype.kind == "f"

    def ours(self):
        t = ag.tensor(self.a.copy(), dtype=self.a.dtype)
        return t.requires_grad_() if self.grad else t

    def theirs(self):
        t = torch.from_numpy(self.a.copy())
        return t.requires_grad_() if self.grad else t

    def __repr__(self) -> str:
        a = self.a
        tag = ""
        if a.dtype.kind == "f" and a.size:
            if np.isnan(a).any():
                tag = " nan"
            elif np.isinf(a).any():
                tag = " inf"
            elif np.abs(a.astype(np.float64)).max() > 1e20:
                tag = " huge"
        return f"T{tuple(a.shape)}:{a.dtype}{tag}{' rg' if self.grad else ''}"


class Lst:
    """A list/tuple of values (tensors for cat/stack, ints for sizes)."""

    def __init__(self, items, kind=list) -> None:
        self.items, self.kind = items, kind

    def ours(self):
        return self.kind(side(v, 0) for v in self.items)

    def theirs(self):
        return self.kind(side(v, 1) for v in self.items)

    def __repr__(self) -> str:
        b = "[]" if self.kind is list else "()"
        return b[0] + ", ".join(map(repr, self.items)) + b[1]


def side(v, which: int):
    if isinstance(v, (Arr, Lst)):
        return v.ours() if which == 0 else v.theirs()
    return v


SHAPES = [(), (0,), (1,), (3,), (2, 3), (3, 3), (2, 0, 3), (2, 3, 4), (1, 2, 4, 4)]
DTYPES = [np.float32] * 4 + [np.float64] * 2 + [np.float16, np.int64, np.int32, np.bool_]


def rand_array(r: np.random.Generator, shape=None, dtype=None, special=None) -> np.ndarray:
    shape = SHAPES[r.integers(len(SHAPES))] if shape is None else shape
    dtype = DTYPES[r.integers(len(DTYPES))] if dtype is None else dtype
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return r.random(shape) > 0.5
    if dt.kind in "iu":
        return r.integers(-3, 4, size=shape).astype(dt)
    a = r.uniform(-2, 2, size=shape)
    special = special if special is not None else r.choice(["", "", "", "nan", "inf", "huge",
                                                            "zero", "tie", "pos"])
    if a.size and special:
        flat = a.reshape(-1)
        k = r.integers(flat.size)
        if special == "nan":
            flat[k] = np.nan
        elif special == "inf":
            flat[k] = r.choice([np.inf, -np.inf])
        elif special == "huge":
            flat[:] = r.choice([1e30, -1e30], size=flat.size)
        elif special == "zero":
            flat[:] = 0.0
        elif special == "tie":
            flat[:] = 1.0
        elif special == "pos":
            flat[:] = np.abs(flat) * 0.4 + 0.05
    with np.errstate(over="ignore"):
        return a.astype(dt)


def sane_tensor(r) -> Arr:
    shape = [(3,), (2, 3), (3, 3), (2, 3, 4), (1, 2, 4, 4)][r.integers(5)]
    return Arr(rand_array(r, shape, np.float64 if r.random() < 0.5 else np.float32,
                          special=""), grad=True)


HOSTILE_OTHER = [None, "abc", 1.5, 3, True, 1 + 1j, [1.0, 2.0], [[1, 2], [3]], [],
                 np.array(["a", "b"]), np.array([1, "a"], dtype=object),
                 np.array([1 + 2j], dtype=np.complex64)]


def tensor_value(r) -> Any:
    u = r.random()
    if u < 0.5:
        return sane_tensor(r)
    if u < 0.9:
        return Arr(rand_array(r), grad=r.random() < 0.7)
    return HOSTILE_OTHER[r.integers(len(HOSTILE_OTHER))]


DIMS_SANE = [0, 1, -1, 0, -1]
DIMS_HOSTILE = [2, -3, 5, 100, -100, None, 1.0, "0", (0, 1), (0, 0), [0], True, (), (1, 5)]
SIZES_SANE = [0, 1, 2, 3, 3, (2, 3), (3,), -1]
SIZES_HOSTILE = [-1, -5, 2 ** 40, 1.5, None, "3", (2, -1), (2 ** 20, 2 ** 20), [], True,
                 (2, None), ((2,), 3), 0.0]
SCALARS_SANE = [0.5, 1.0, 2.0, -1.0, 0.0, 1, 2, 3]
SCALARS_HOSTILE = [None, "a", True, 1 + 1j, float("nan"), float("inf"), -float("inf"), 1e30,
                   -1e30, 10 ** 20, -7, 0, [1, 2], ()]

TENSOR_NAMES = {"x", "y", "a", "b", "input", "other", "t", "tensor", "p", "z", "logits",
                "logp", "target", "weight", "bias", "index", "indices", "cond", "condition",
                "mask", "src", "source", "g", "cols", "data", "x1", "x2", "mat", "vec",
                "tensor1", "tensor2", "end_tensor"}
DIM_NAMES = {"dim", "axis", "dim0", "dim1", "start_dim", "end_dim", "dims", "destination",
             "axes", "dimension"}
SIZE_NAMES = {"size", "shape", "sizes", "split_size_or_sections", "chunks", "n", "m", "steps",
              "num_classes", "kernel_size", "stride", "padding", "dilation", "output_size",
              "in_features", "out_features", "in_channels", "out_channels", "num_features",
              "groups", "repeats", "length", "split_size", "normalized_shape", "num_embeddings",
              "embedding_dim", "hidden_size", "num_layers", "num_heads", "embed_dim"}


def role(p: inspect.Parameter, kind: str) -> str:
    n = p.name
    if n in ("weight", "target", "pos_weight", "index", "indices", "mask", "cond",
             "condition") and kind == "function":
        return "const"   # a tensor that does not require grad (PyTorch refuses a loss
        #                  weight that requires grad; indices and masks are never floats)
    if n in TENSOR_NAMES:
        return "tensor"
    if n in DIM_NAMES or n.endswith("dim"):
        return "dim"
    if n in SIZE_NAMES or n.endswith("_size"):
        return "size"
    if n in ("tensors", "seq"):
        return "tensors"
    if n in ("reduction", "mode", "approximate", "padding_mode", "nonlinearity"):
        return "string"
    return "scalar"


def value(r, rl: str, hostile: bool):
    if rl == "const":
        v = value(r, "tensor", hostile)
        if isinstance(v, Arr):
            v.grad = False
            if not hostile and r.random() < 0.5:
                v = Arr(r.integers(0, 3, size=v.a.shape[:1]), False)
        return v
    if rl == "tensor":
        return tensor_value(r) if hostile else sane_tensor(r)
    if rl == "tensors":
        if hostile and r.random() < 0.3:
            return [[], None, "ab", Arr(rand_array(r), True), (1, 2)][r.integers(5)]
        k = 1 + r.integers(3)
        return Lst([tensor_value(r) if hostile else sane_tensor(r) for _ in range(k)])
    if rl == "dim":
        pool = DIMS_HOSTILE if hostile else DIMS_SANE
        return pool[r.integers(len(pool))]
    if rl == "size":
        pool = SIZES_HOSTILE if hostile else SIZES_SANE
        v = pool[r.integers(len(pool))]
        if hostile and r.random() < 0.15:
            return Arr(np.array(r.integers(0, 4)), False) if r.random() < 0.5 else \
                Arr(np.array([2, 3]), False)
        return v
    if rl == "string":
        return (["mean", "sum", "none", "zeros", "tanh"][r.integers(5)] if not hostile else
                ["bogus", None, 3, "", "MEAN"][r.integers(5)])
    pool = SCALARS_HOSTILE if hostile else SCALARS_SANE
    return pool[r.integers(len(pool))]


@dataclass
class Call:
    target: Target
    args: List[Any]
    n_hostile: int = 0                  # how many arguments came from a hostile pool
    this: Any = None                    # the tensor a method is called on
    ctor: List[Any] = field(default_factory=list)   # layer/optimizer constructor args
    extra: Any = None                   # the layer input / the optimizer's grads

    def __repr__(self) -> str:
        a = ", ".join(map(repr, self.args))
        t = self.target
        if t.kind == "method":
            return f"{self.this!r}.{t.name[7:]}({a})"
        if t.kind in ("layer", "optimizer"):
            return f"{t.name}({', '.join(map(repr, self.ctor))})({self.extra!r})"
        return f"{t.name}({a})"


def make_call(r, t: Target) -> Call:
    hostile = r.random() < 0.6
    pos = [p for p in t.params if p.kind != p.VAR_POSITIONAL]
    var = [p for p in t.params if p.kind == p.VAR_POSITIONAL]
    required = [p for p in pos if p.default is p.empty]
    n_opt = len(pos) - len(required)
    n = len(required) + (r.integers(n_opt + 1) if n_opt else 0)
    if r.random() < 0.05:
        n = max(0, n + (1 if r.random() < 0.5 else -1))  # one argument too many or few
    chosen = pos[:n]
    # each argument hostile with a small probability (one bad argument at a time is the
    # usual mistake; all-hostile calls mostly test the first check)
    flags = [hostile and r.random() < 0.5 for _ in chosen]
    args = [value(r, role(p, t.kind), h) for p, h in zip(chosen, flags)]
    if var and n >= len(pos):
        rl = "size" if any(k in var[0].name for k in ("size", "shape", "dims", "axes")) else "dim"
        for _ in range(r.integers(3)):
            flags.append(hostile and r.random() < 0.4)
            args.append(value(r, rl, flags[-1]))
    c = Call(t, args, n_hostile=sum(flags))
    if t.kind == "method":
        c.this = tensor_value(r) if hostile and r.random() < 0.7 else sane_tensor(r)
        if not isinstance(c.this, Arr):
            c.this = sane_tensor(r)
        c.n_hostile += hostile
    if t.kind == "optimizer" and args:
        codes = ["valid"] * 6 + ["dup", "empty", "single", "none", "str", "nonleaf",
                                 "generator", "int", "groups"]
        args[0] = codes[r.integers(len(codes))] if hostile else "valid"
    if t.kind in ("layer", "optimizer"):
        c.ctor, c.args = args, []
        c.extra = (Lst([tensor_value(r) if hostile else sane_tensor(r)
                        for _ in range(2 if "Loss" in t.name else 1)]) if t.kind == "layer"
                   else r.integers(4))
        c.n_hostile += hostile * (len(c.extra.items) if t.kind == "layer" else 1)
    return c


# --------------------------------------------------------------------------- running
class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


LAST_WARNINGS: List[str] = []


def _run(fn, timeout: float):
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            with np.errstate(all="ignore"):
                out = fn()
            LAST_WARNINGS[:] = [str(w.message) for w in ws]
            return ("ok", out)
    except Hang:
        return ("hang", None)
    except RecursionError as e:
        return ("err", e)
    except Exception as e:  # noqa: BLE001 -- classifying exceptions is the point
        return ("err", e)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _layer_pair(c: Call, which: int):
    t = c.target
    ctor = [side(v, which) for v in c.ctor]
    mod = (t.ours if which == 0 else t.theirs)(*ctor)
    return mod


def _torch_call(fn, params, args):
    """Call a PyTorch function with our arguments: by keyword where its signature (a
    Python function's) names a parameter like ours but at another position (PyTorch's
    losses keep deprecated positional parameters before ``reduction``)."""
    try:
        tnames = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return fn(*args)
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return fn(*args)
    pos, kw = [], {}
    for i, (p, a) in enumerate(zip(params, args)):
        if not kw and i < len(tnames) and tnames[i] == p.name:
            pos.append(a)
        elif p.name in tnames:
            kw[p.name] = a
        elif not kw:
            pos.append(a)
    return fn(*pos, **kw)


def invoke(c: Call, which: int):
    """Run the call on one side (0: tapegrad, 1: torch); returns (result, inputs)."""
    t = c.target
    if t.kind == "function":
        args = [side(v, which) for v in c.args]
        if which == 0:
            return t.ours(*args), args
        return _torch_call(t.theirs, t.params, args), args
    if t.kind == "method":
        this = side(c.this, which)
        args = [side(v, which) for v in c.args]
        if which == 0:
            return getattr(this, t.name[7:])(*args), [this] + args
        return t.theirs(this, *args), [this] + args
    if t.kind == "layer":
        mod = c.extra_mod[which]
        xs = side(c.extra, which)
        return mod(*xs), list(xs) + [p for p in mod.parameters()]
    # optimizer: two steps with the generated gradients; the result is the parameters
    params = c.extra_mod[which]
    opt = c.extra_opt[which]
    for _ in range(2):
        for p, g in zip(params, c.grads):
            p.grad = (ag.tensor(g) if which == 0 else torch.from_numpy(g.copy()))
        opt.step()
    return [p.detach() for p in params], []


def prepare(c: Call) -> Optional[Tuple]:
    """Build the layers/optimizers of both sides (their constructors are part of the
    call: a constructor outcome is classified like a call)."""
    t = c.target
    if t.kind == "layer":
        res = [_run(lambda w=w: _layer_pair(c, w), 2.0) for w in (0, 1)]
        if res[0][0] == "ok" and res[1][0] == "ok":
            ours, theirs = res[0][1], res[1][1]
            sd = ours.state_dict()
            try:
                theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()},
                                       strict=False)
            except Exception:  # noqa: BLE001 -- different parameter layouts: no comparison
                return res[0], ("err", TypeError("incomparable layer"))
            if "Dropout" in t.name or np.random.default_rng(len(sd)).random() < 0.5:
                ours.eval(), theirs.eval()
            c.extra_mod = (ours, theirs)
            return None
        return res[0], res[1]
    if t.kind == "optimizer":
        r = np.random.default_rng(len(repr(c)))
        shapes = [(3,), (2, 3)]
        vals = [r.uniform(-1, 1, s).astype(np.float32) for s in shapes]
        c.grads = [r.uniform(-1, 1, s).astype(np.float32) for s in shapes]
        if int(c.extra) == 1:
            c.grads[0][0] = np.nan
        code = c.ctor[0] if c.ctor else "valid"
        mods, res = [], []
        for w in (0, 1):
            mk = (lambda v: ag.tensor(v, requires_grad=True)) if w == 0 else \
                (lambda v: torch.tensor(v, requires_grad=True))
            ps = [mk(v) for v in vals]
            if code == "dup":
                ps = [ps[0], ps[0]]  # duplicate parameters: both warn and update twice
            mods.append(ps)
            arg = {"valid": ps, "dup": ps, "empty": [], "single": ps[0], "none": None,
                   "str": "params", "nonleaf": [ps[0] * 2], "generator": iter(ps),
                   "int": [ag.tensor([1, 2]) if w == 0 else torch.tensor([1, 2])],
                   "groups": [{"params": ps[:1]}, {"params": ps[1:], "lr": -1.0}]}[code]
            rest = [side(v, w) for v in c.ctor[1:]]
            res.append(_run(lambda arg=arg, rest=rest, w=w:
                            (t.ours if w == 0 else t.theirs)(arg, *rest), 2.0))
        if code == "dup":
            c.grads = c.grads[:1] * 2
        if res[0][0] == "ok" and res[1][0] == "ok":
            if code in ("valid", "dup", "generator"):
                c.extra_mod, c.extra_opt = tuple(mods), (res[0][1], res[1][1])
                if code == "generator":
                    return res[0], res[1]
                return None
        return res[0], res[1]
    return None


# --------------------------------------------------------------------------- classifying
RAW_CLASSES = (AttributeError, ZeroDivisionError, AssertionError, KeyError, OverflowError,
               RecursionError, UnboundLocalError, NameError, StopIteration)
# what tapegrad's argument conversion says for an argument that is not tensor-like
# (raised by as_tensor before any op runs; the argument, not the op, is what it names)
CONVERSION = re.compile(r"^(tensor: |cannot use a NumPy array|expected a tensor|tapegrad does "
                        r"not support complex|only integer tensors of a single element)"
                        # Python's own errors for a call that does not fit the signature
                        r"|\(\) (missing \d+ required|takes \d+|takes from|got an unexpected|"
                        r"got multiple values)")

# Deliberate differences from PyTorch (docs/errors.md "Deliberate differences", each
# pinned by tests/test_hostile.py). (name pattern, outcome it turns into, why).
def _zero_d_promotion(c: "Call") -> bool:
    """docs/conventions.md: a 0-d tensor takes part in type promotion like NumPy's, not
    like PyTorch's "dimensioned tensors decide" (test_deliberate_zero_d_promotion_...)."""
    arrs = [v for v in [c.this, *c.args] if isinstance(v, Arr)]
    arrs += [e for v in [*c.args, c.extra] if isinstance(v, Lst) for e in v.items
             if isinstance(e, Arr)]                   # (a layer's inputs are in c.extra)
    return any(a.a.ndim == 0 for a in arrs) and any(a.a.ndim > 0 for a in arrs) and \
        len({a.a.dtype for a in arrs}) > 1


# Deliberate differences from PyTorch, each a row of docs/conventions.md or
# docs/errors.md and pinned by a test: (outcome it excuses, predicate on the call, why).
def _empty_dims(c: "Call") -> bool:
    """``dim=()`` means every dimension (PyTorch's rule for sum/mean); PyTorch's var/std
    gradient there is inf (its backward reads () as "no reduction") and its logsumexp
    fails; tapegrad reduces over everything consistently."""
    return c.target.name.split(".")[-1] in ("var", "std", "logsumexp") and \
        any(isinstance(v, (tuple, list)) and len(v) == 0 for v in c.args)


def _index_out_of_range(c: "Call") -> bool:
    """docs/errors.md: an index out of range is IndexError everywhere in tapegrad;
    PyTorch raises RuntimeError for gather/index_select (its kernels check late)."""
    return c.target.name.split(".")[-1] in ("gather", "index_select")


def _constant_std(c: "Call") -> bool:
    """std of a constant group has gradient 0 here and in PyTorch; with values of 1e30
    PyTorch's mean rounds, its std is ~1e14 instead of 0 and its gradient is rounding
    noise amplified (tapegrad's mean is exact there). A group_norm group of one element
    is such a group (PyTorch's gradient there is float32 noise, ~3e-5)."""
    name = c.target.name.split(".")[-1]
    if name == "group_norm" and len(c.args) > 1 and isinstance(c.args[0], Arr):
        shape, g = c.args[0].a.shape, c.args[1]
        return len(shape) >= 2 and type(g) is int and g > 0 and shape[1] % g == 0 and \
            shape[1] // g * math.prod(shape[2:]) == 1
    return name in ("std", "var", "norm") and any(
        isinstance(v, Arr) and v.a.size > 1 and np.all(v.a == v.a.reshape(-1)[0])
        for v in [c.this, *c.args])


def _python_bool(c: "Call") -> bool:
    """docs/errors.md: a Python bool next to a tensor is the number 0 or 1 (Python's
    semantics, True - 1.5 == -0.5); PyTorch makes it a bool tensor and refuses True - x."""
    return any(type(v) is bool for v in c.args)


def _nan_hardtanh(c: "Call") -> bool:
    """PyTorch's hardtanh gradient at a NaN (in the input or a bound) depends on which
    loop of its CPU kernel met the element: the vectorised one gives 0, the scalar tail
    passes the gradient through (F.hardtanh(x, nan) differs between a 3- and a
    24-element x); tapegrad passes it through, as for an element inside the bounds."""
    if c.target.name.split(".")[-1].lower() != "hardtanh":
        return False
    vals = [c.this, *c.args, *c.ctor] + (list(c.extra.items) if isinstance(c.extra, Lst) else [])
    return any((isinstance(v, float) and v != v) or
               (isinstance(v, Arr) and v.a.dtype.kind == "f" and np.isnan(v.a).any())
               for v in vals)


def _kernel_overflow(c: "Call") -> bool:
    """docs/errors.md: where PyTorch's float kernel overflows in an intermediate, tapegrad
    gives the limit. gelu(+inf) is +inf (x * Phi(x), PyTorch's float64 and tanh forms);
    its float32 erf kernel (float16 too) gives NaN. softplus(x, beta, threshold) is
    log1p(exp(beta x)) / beta below the threshold: PyTorch's exp overflows to inf once
    beta x passes log(max) of the dtype; tapegrad's stable form gives ~x there."""
    name = c.target.name.split(".")[-1].lower()
    extra = list(c.extra.items if isinstance(c.extra, Lst) else
                 c.extra if isinstance(c.extra, (list, tuple)) else [c.extra])
    arrs = [v for v in [c.this, *c.args, *extra]
            if isinstance(v, Arr) and v.a.dtype.kind == "f"]
    if name == "gelu":
        return any(np.isposinf(v.a).any() for v in arrs)
    if name != "softplus":
        return False
    nums = list(c.ctor if c.target.kind == "layer" else
                c.args if c.target.kind == "method" else c.args[1:])
    beta, threshold = (nums + [1.0, 20.0][len(nums):])[:2]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
               for v in (beta, threshold)):
        return False
    with np.errstate(all="ignore"):
        for v in arrs:
            bx = (v.a * v.a.dtype.type(beta)).astype(v.a.dtype)
            if np.any((bx > np.log(np.finfo(v.a.dtype).max)) & ~(bx > threshold)):
                return True
    return False


DELIBERATE = [
    ("value", _kernel_overflow, "the limit where PyTorch's kernel overflows (gelu, softplus)"),
    ("grad", _nan_hardtanh, "PyTorch's hardtanh gradient at NaN depends on its loop"),
    ("silent", _python_bool, "a Python bool is a number"),
    ("grad", _constant_std, "std of a constant: PyTorch's gradient is rounding noise"),
    ("dtype", _zero_d_promotion, "0-d tensors promote like NumPy"),
    ("grad", _empty_dims, "PyTorch's var/std gradient over dim=() is inf"),
    ("silent", _empty_dims, "PyTorch's logsumexp over dim=() fails"),
    ("class", _index_out_of_range, "IndexError for every index out of range"),
]


_FUNCTIONAL = set(PUBLIC) | set(getattr(NF, "__all__", ())) | set(ag.__all__)


def _names_op(exc: BaseException, t: Target) -> bool:
    msg = str(exc)
    names = {t.name.split(".")[-1], *t.aliases}
    if t.kind == "method":
        names.add(t.name[7:].strip("_"))
        if t.name.endswith("_") and t.name[7:-1] in PUBLIC:  # clip_ may say clamp_
            names |= {a + "_" for a in _GROUPS.get(id(PUBLIC[t.name[7:-1]]), ())}
        names |= {n + "_" for n in list(names)} | {n.rstrip("_") for n in list(names)}
    if t.kind == "layer":
        names |= _FUNCTIONAL
    for n in names:
        if n and re.search(r"(^|[^A-Za-z0-9_])" + re.escape(n) + r"([^A-Za-z0-9_]|$)", msg):
            return True
    return bool(CONVERSION.search(msg))


def _raised_by_numpy(exc: BaseException) -> bool:
    tb = traceback.extract_tb(exc.__traceback__)
    return bool(tb) and ("numpy" + os.sep) in tb[-1].filename


def is_clear(exc: BaseException, t: Target) -> Tuple[bool, str]:
    # (tapegrad's own classes may subclass one of RAW_CLASSES on purpose:
    # DeviceUnavailableError is an AssertionError, like PyTorch's "not compiled with CUDA")
    own = type(exc).__module__.split(".")[0] in ("autograd", "nn")
    if isinstance(exc, RAW_CLASSES) and not own or type(exc).__module__.startswith("numpy"):
        return False, f"raw {type(exc).__name__}"
    if isinstance(exc, MemoryError) and not _names_op(exc, t):
        return False, "unexplained MemoryError"
    if _raised_by_numpy(exc):
        return False, f"raw {type(exc).__name__} from NumPy"
    if not _names_op(exc, t):
        return False, f"{type(exc).__name__} not naming {t.name}"
    return True, ""


def _catchable(ours: BaseException, theirs: BaseException) -> bool:
    tc = type(theirs)
    if tc is NotImplementedError or issubclass(tc, torch.OutOfMemoryError if hasattr(torch, "OutOfMemoryError") else ()):
        tc = RuntimeError
    if tc.__module__.startswith("torch"):
        tc = next(k for k in tc.__mro__ if k.__module__ == "builtins")
    if tc is RuntimeError and "can't allocate memory" in str(theirs):
        return isinstance(ours, (RuntimeError, MemoryError))
    return isinstance(ours, tc)


def _argparse_error(exc: BaseException) -> bool:
    """PyTorch refused the argument's Python type, in its C++ argument parser or by an
    accident of Python code (an attribute missing on None, a tensor used as a bool, a
    Python division by a zero argument: group_norm(x, 0.0))."""
    return isinstance(exc, (TypeError, AttributeError, OverflowError, ZeroDivisionError)) or \
        "Boolean value of Tensor with" in str(exc) or \
        "without overflow" in str(exc) or "Overflow when unpacking" in str(exc)


def _torch_assert(exc: BaseException) -> bool:
    """PyTorch refused an argument value with a Python ``assert`` (``Hardtanh(2, 1)``,
    ``MultiheadAttention(1, 2)``) or by a ZeroDivisionError in its Python code
    (``group_norm(x, 0.0)``): tapegrad's clear error for the same refusal is accepted
    (an AssertionError is a raw class for tapegrad to raise, and asserts vanish under -O).
    Returning where PyTorch asserts is still ``silent``."""
    return type(exc) in (AssertionError, ZeroDivisionError)


# exceptions PyTorch raises by an accident of its implementation, and the tapegrad
# class accepted for the same mistake (docs/errors.md "Deliberate differences")
EQUIVALENT = [
    # a pooling/unfold of a tensor of the wrong rank: PyTorch indexes a dim first
    (IndexError, "Dimension out of range", ag.ShapeError,
     r"-D input|dimensions|D \(batch mode\)|expected \(N, C"),
    (IndexError, "but tensor has no dimensions", ag.ShapeError, r"-D input|dimensions|0-d"),
    # an argument value PyTorch's Python code refuses with `assert` (embed_dim divisible
    # by num_heads, padding_idx in range, Hardtanh's max_val > min_val) or by dividing by
    # it (group_norm's num_groups=0.0): ValueError, the class for a bad argument value
    (AssertionError, "", ValueError, ""),
    (ZeroDivisionError, "", ValueError, ""),
]


def _no_kernel(exc: BaseException) -> bool:
    return "not implemented for" in str(exc) or "not supported for" in str(exc).lower() and \
        "Half" in str(exc)


def _flatten(v) -> Optional[List]:
    if isinstance(v, (tuple, list)):
        out = []
        for e in v:
            f = _flatten(e)
            if f is None:
                return None
            out += f
        return out
    return [v]


_TORCH_DT = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
             torch.int64: np.int64, torch.int32: np.int32, torch.bool: np.bool_,
             torch.int16: np.int16, torch.int8: np.int8, torch.uint8: np.uint8}


def _np(v, which: int):
    if which == 0:
        if isinstance(v, ag.Tensor):
            return np.asarray(v.detach())
        return np.asarray(v)
    if isinstance(v, torch.Tensor):
        d = v.detach()
        if d.dtype in (torch.complex64, torch.complex128):
            return d.numpy()
        return d.numpy() if d.dtype in _TORCH_DT else d.to(torch.float64).numpy()
    return np.asarray(v)


def _close(a: np.ndarray, b: np.ndarray, dt) -> bool:
    if a.shape != b.shape:
        return False
    if a.size > 10 ** 6:
        return True  # (a huge broadcast view: shapes compared only)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return np.array_equal(a, b)
    a, b = a.astype(np.float64), b.astype(np.float64)
    kind = np.dtype(dt) if dt is not None else a.dtype
    rtol, atol = {2: (2e-2, 2e-2), 4: (2e-4, 1e-5)}.get(kind.itemsize, (1e-7, 1e-9))
    with np.errstate(invalid="ignore", over="ignore"):
        big = np.isfinite(a) & np.isfinite(b) & (np.abs(b) > 1e30)
        return bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True) | big
                           & np.isclose(a / 1e30, b / 1e30, rtol=rtol, atol=0)))


def _random(c: Call) -> bool:
    """A random op (its values depend on the generator): the same call under another
    seed gives other values, or other gradients (dropout of zeros: equal values, other
    masks). Only its shapes and dtypes are compared with PyTorch."""
    outs = []
    for s in (1, 2, 3, 4, 5, 6):  # (randperm(2) has two outcomes: one other seed may repeat it)
        ag.manual_seed(s)
        st, r = _run(lambda: invoke(c, 0), 5.0)
        if st != "ok":
            return False
        outs.append((r[0], _grads_of(r)))
        if len(outs) > 1 and not (_same(outs[0][0], outs[-1][0]) and
                                  _same(outs[0][1], outs[-1][1])):
            return True
    return False


def _grads_of(r) -> list:
    """The gradients of the sum of a tapegrad result's float outputs at its leaf inputs."""
    res, ins = r
    outs = [v for v in _flatten(res) or [] if isinstance(v, ag.Tensor) and v.requires_grad
            and v.dtype.kind == "f"]
    leaves = [t for t in ins if isinstance(t, ag.Tensor) and t.requires_grad and t.is_leaf]
    if not outs or not leaves or _run(lambda: sum(o.sum() for o in outs).backward(),
                                      5.0)[0] != "ok":
        return []
    return [ag.zeros(1) if t.grad is None else t.grad.detach() for t in leaves]


def _same(a, b) -> bool:
    """Two tapegrad results equal value for value (NaN equal to NaN)."""
    fa, fb = _flatten(a), _flatten(b)
    if fa is None or fb is None or len(fa) != len(fb):
        return False
    for x, y in zip(fa, fb):
        if isinstance(x, ag.Tensor) != isinstance(y, ag.Tensor):
            return False
        if not isinstance(x, (ag.Tensor, int, float, bool, np.generic)):
            if type(x) is not type(y):
                return False
            continue
        nx, ny = _np(x, 0), _np(y, 0)
        if nx.shape != ny.shape or nx.dtype != ny.dtype or \
                not np.array_equal(nx, ny, equal_nan=nx.dtype.kind in "fc"):
            return False
    return True


# uninitialised memory: only shapes and dtypes are specified
UNSPECIFIED_VALUES = {"empty", "empty_like", "empty_strided", "new_empty"}


def compare(ro, rt, ins_o, ins_t, loose=False, shapes_only=False,
            torch_overflow=False, precision=None) -> Tuple[str, str]:
    """(outcome, detail) for two results. ``torch_overflow``: elements where PyTorch's
    result is inf/NaN and tapegrad's finite are left out (``_kernel_overflow``)."""
    fo, ft = _flatten(ro), _flatten(rt)
    if fo is None or ft is None or len(fo) != len(ft):
        return "value", f"structure {type(ro).__name__} vs {type(rt).__name__}"
    for a, b in zip(fo, ft):
        if isinstance(b, torch.Tensor) != isinstance(a, ag.Tensor):
            if isinstance(b, torch.Tensor) and isinstance(a, (int, float, bool, np.generic)):
                pass
            elif isinstance(a, ag.Tensor) and isinstance(b, (int, float, bool)):
                pass
            else:
                return "value", f"types {type(a).__name__} vs {type(b).__name__}"
        if isinstance(a, ag.device) and isinstance(b, torch.device):
            if str(a) != str(b):
                return "value", f"device {a} vs {b}"
            continue
        if not isinstance(b, (torch.Tensor, int, float, bool, np.generic)) or \
                not isinstance(a, (ag.Tensor, int, float, bool, np.generic)):
            if type(a) is not type(b) and not (a is None and b is None) and not (
                    isinstance(b, torch.device) and isinstance(a, ag.device) and str(a) == str(b)):
                return "value", f"types {type(a).__name__} vs {type(b).__name__}"
            continue
        na, nb = _np(a, 0), _np(b, 1)
        if na.shape != nb.shape:
            return "shape", f"{na.shape} vs {nb.shape}"
        if isinstance(b, torch.Tensor) and isinstance(a, ag.Tensor) and not loose:
            tdt = _TORCH_DT.get(b.dtype)
            if tdt is None or np.dtype(tdt) != na.dtype:
                return "dtype", f"{na.dtype} vs {b.dtype}"
        if torch_overflow and na.dtype.kind == "f" and nb.dtype.kind == "f":
            keep = np.isfinite(nb) | ~np.isfinite(na)
            na, nb = na[keep], nb[keep]
        tol = na.dtype if not loose else np.dtype(np.float32)
        if precision is not None and na.dtype.kind == "f" and precision.itemsize < tol.itemsize:
            tol = precision
        if not shapes_only and not _close(na, nb, tol):
            return "value", f"{np.array2string(na.reshape(-1)[:6], precision=4)} vs " \
                            f"{np.array2string(nb.reshape(-1)[:6], precision=4)}"
    return "match", ""


def grads(ro, rt, ins_o, ins_t, seed: int) -> Tuple[str, str]:
    fo, ft = _flatten(ro), _flatten(rt)
    pairs = [(a, b) for a, b in zip(fo, ft) if isinstance(a, ag.Tensor) and isinstance(b, torch.Tensor)
             and a.requires_grad and b.requires_grad and a.dtype.kind == "f"]
    leaves = [(a, b) for a, b in zip(ins_o, ins_t) if isinstance(a, ag.Tensor)
              and isinstance(b, torch.Tensor) and a.requires_grad and b.requires_grad
              and a.is_leaf and b.is_leaf]
    if not pairs or not leaves or any(a.numel() > 10 ** 5 for a, _ in pairs):
        return "match", ""
    r = np.random.default_rng(seed)
    lo, lt = 0, 0
    for a, b in pairs:
        w = r.uniform(0.5, 1.5, a.shape).astype(np.asarray(a.detach()).dtype)
        lo = lo + (a * ag.tensor(w)).sum()
        lt = lt + (b * torch.from_numpy(w)).sum()
    st = _run(lambda: lt.backward(), 5.0)
    if st[0] != "ok":
        return "match", ""  # torch cannot differentiate it: nothing to compare
    so = _run(lambda: lo.backward(), 5.0)
    if so[0] == "hang":
        return "hang", "backward"
    if so[0] == "err":
        return "grad", f"backward raised {type(so[1]).__name__}: {so[1]}"
    # the tolerance of the least precise float input (PyTorch computes part of a
    # mixed float16/float64 gradient in float16: pow's log(base))
    floats = [np.asarray(x.detach()).dtype for x in ins_o if isinstance(x, ag.Tensor)
              and x.dtype.kind == "f"]
    low = min(floats, key=lambda d: d.itemsize) if floats else None
    nan_in = any(isinstance(x, ag.Tensor) and x.dtype.kind == "f" and
                 not np.isfinite(np.asarray(x.detach())).all() for x in list(ins_o) + fo)
    for i, (a, b) in enumerate(leaves):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ga = a.grad
        gb = b.grad
        na = np.zeros(a.shape) if ga is None else _np(ga, 0)
        nb = np.zeros(tuple(b.shape)) if gb is None else _np(gb, 1)
        if nan_in and na.shape == nb.shape:
            # where an input is NaN or inf, how it spreads through a gradient is not
            # specified (PyTorch's prod divides inf by inf); where PyTorch's gradient is
            # finite, tapegrad's must match
            ok = np.isfinite(nb.astype(np.float64))
            na, nb = np.where(ok, na, 0), np.where(ok, nb, 0)
        if _np(a, 0).dtype == np.float16 and na.shape == nb.shape:
            # float16: PyTorch's half kernels compute in float32 and round once, tapegrad
            # rounds each step; where either overflows or is undefined, no comparison
            ok = np.isfinite(na.astype(np.float64)) & np.isfinite(nb.astype(np.float64))
            na, nb = np.where(ok, na, 0), np.where(ok, nb, 0)
        if not _close(na, nb, low or _np(a, 0).dtype):
            return "grad", f"input {i}: {np.array2string(na.reshape(-1)[:6], precision=4)} vs " \
                           f"{np.array2string(nb.reshape(-1)[:6], precision=4)}"
    return "match", ""


def _lowest_float(c: "Call") -> Optional[np.dtype]:
    """The least precise float dtype among the call's tensor inputs: a float64 result
    computed from a float32 input (cross_entropy with float64 probabilities) is only
    float32-accurate, on either side."""
    vals = [c.this, *c.args, *(c.extra.items if isinstance(c.extra, Lst) else ())]
    vals += [e for v in vals if isinstance(v, Lst) for e in v.items]
    fl = [v.a.dtype for v in vals if isinstance(v, Arr) and v.a.dtype.kind == "f"]
    return min(fl, key=lambda d: d.itemsize) if fl else None


def _has_float16(c: "Call") -> bool:
    """Whether a float16 tensor is among the call's inputs (its result carries float16
    rounding even when promoted, so it is compared to PyTorch with both in float64)."""
    vals = [c.this, *c.args, *(c.extra.items if isinstance(c.extra, Lst) else ())]
    vals += [e for v in vals if isinstance(v, Lst) for e in v.items]
    return any(isinstance(v, Arr) and v.a.dtype == np.float16 for v in vals)


def _as_float64(v, keep_ints=False):
    if isinstance(v, Arr):
        if keep_ints == "int64" and v.a.dtype.kind in "iu":
            return Arr(v.a.astype(np.int64), False)  # (PyTorch wants int64 indices)
        if keep_ints and v.a.dtype.kind in "iu":
            return v  # (an index stays an index)
        return Arr(v.a.astype(np.float64), v.grad)
    if isinstance(v, Lst):
        return Lst([_as_float64(e, keep_ints) for e in v.items], v.kind)
    return v


def _not_implemented(status: str, res, t: Target):
    """An operator method that returns NotImplemented (``t.__and__("a")``, as PyTorch's do
    for an operand of another type) is, in ``t & "a"``, Python's TypeError."""
    if status == "ok" and t.kind == "method" and res[0] is NotImplemented:
        return "err", TypeError(f"{t.name[7:]}: returned NotImplemented; Python raises "
                                f"TypeError: unsupported operand type(s)")
    return status, res


def classify(c: Call, timeout: float = 5.0) -> Tuple[str, str]:
    t = c.target
    pre = prepare(c)
    if pre is not None:
        (so, ro), (st, rt) = pre
        if so == "ok" and st == "ok":
            return "match", ""
    else:
        so, ro_ins = _run(lambda: invoke(c, 0), timeout)
        if so == "hang":
            return "hang", ""
        st, rt_ins = ("err", None) if t.theirs is None else _run(lambda: invoke(c, 1), timeout)
        so, ro_ins = _not_implemented(so, ro_ins, t)
        st, rt_ins = _not_implemented(st, rt_ins, t)
        ro, rt = ro_ins, rt_ins
    if so == "hang":
        return "hang", ""
    if so == "err":
        ok, why = is_clear(ro, t)
        if not ok and t.name == "check_device" and len(c.args) > 1 and \
                isinstance(c.args[1], str) and str(ro).startswith(c.args[1] + ":"):
            ok = True  # check_device(dev, where) names the op it is told: where
        if not ok:
            return "raw", f"{why}: {type(ro).__name__}: {str(ro)[:200]}"
        if t.theirs is None:
            return "sane", ""
        if st == "ok":
            return "refused", ""
        if st == "hang" or _argparse_error(rt) or _catchable(ro, rt) or _torch_assert(rt):
            return "clear", ""
        for tc, tmsg, oc, omsg in EQUIVALENT:
            if isinstance(rt, tc) and tmsg in str(rt) and isinstance(ro, oc) and \
                    re.search(omsg, str(ro)):
                return "clear", ""
        if any(k == "class" and f(c) for k, f, _ in DELIBERATE) and isinstance(ro, IndexError):
            return "deliberate", ""
        if c.n_hostile > 1 or str(ro).startswith("tapegrad does not support complex"):
            # two mistakes at once (a complex value is one for tapegrad, not for PyTorch,
            # which then names the other): which one an implementation checks first is not
            # part of the contract (PyTorch's own order differs between its ops)
            return "order", ""
        return "class", f"{type(ro).__name__} where PyTorch raises {type(rt).__name__} " \
                        f"({str(rt)[:120]}); tapegrad: {str(ro)[:120]}"
    # tapegrad returned
    if pre is not None:
        return ("silent", f"constructed where PyTorch raises {type(rt).__name__}: {str(rt)[:150]}") \
            if st == "err" and not _argparse_error(rt) else ("extension", "")
    res_o, ins_o = ro
    if t.theirs is None:
        for v in _flatten(res_o) or [res_o]:
            if isinstance(v, ag.Tensor) and v.dtype.kind not in "biuf":
                return "value", f"returned a tensor of unsupported dtype {v.dtype}"
        return "sane", ""
    if st == "hang":
        return "extension", ""
    if st == "err":
        if not _argparse_error(rt):
            # PyTorch has no kernel for the dtype (Half, Long) or refuses mixed dtypes
            # (matmul): tapegrad's answer must then equal PyTorch's in float64
            for keep_ints in (False, True, "int64"):
                c64 = copy.copy(c)
                c64.args = [_as_float64(v, keep_ints) for v in c.args]
                c64.this = _as_float64(c.this, keep_ints)
                if t.kind == "layer":
                    c64.extra_mod = (c.extra_mod[0], copy.deepcopy(c.extra_mod[1]).double())
                    c64.extra = _as_float64(c.extra, keep_ints)
                s2, r2 = _run(lambda: invoke(c64, 1), timeout)
                if s2 == "ok":
                    out, detail = compare(res_o, r2[0], ins_o, r2[1], loose=True)
                    if out != "match" and _has_float16(c):  # (its rounding: both in float64)
                        s3, r3 = _run(lambda: invoke(c64, 0), timeout)
                        if s3 == "ok":
                            out, detail = compare(r3[0], r2[0], r3[1], r2[1], loose=True)
                    return ("extension", "") if out == "match" else \
                        (out, detail + " (vs PyTorch in float64)")
        if _argparse_error(rt) or "can't allocate memory" in str(rt):
            return "extension", ""  # (a lazy view where PyTorch allocates, e.g. repeat)
        if any(k == "silent" and f(c) for k, f, _ in DELIBERATE):
            return "deliberate", ""
        return "silent", f"returned where PyTorch raises {type(rt).__name__}: {str(rt)[:150]}"
    res_t, ins_t = rt
    if any("Implicit dimension choice" in w for w in LAST_WARNINGS):
        return "extension", ""  # PyTorch's deprecated implicit softmax dim (tapegrad: -1)
    out, detail = compare(res_o, res_t, ins_o, ins_t,
                          shapes_only=t.name.split(".")[-1] in UNSPECIFIED_VALUES,
                          precision=_lowest_float(c))
    for kind, applies, _why in DELIBERATE:
        if out == kind and applies(c):
            out2, _ = compare(res_o, res_t, ins_o, ins_t, loose=True)
            if out2 != "match":  # (PyTorch's result in its own dtype may overflow: float64)
                c64 = copy.copy(c)
                c64.args = [_as_float64(v, True) for v in c.args]
                c64.this = _as_float64(c.this, True)
                if t.kind == "layer":
                    c64.extra_mod = (c.extra_mod[0], copy.deepcopy(c.extra_mod[1]).double())
                    c64.extra = _as_float64(c.extra, True)
                s2, r2 = _run(lambda: invoke(c64, 1), timeout)
                out2 = compare(res_o, r2[0], ins_o, r2[1], loose=True)[0] if s2 == "ok" else out2
                if out2 != "match" and s2 == "ok":  # (float16: both sides in float64)
                    s3, r3 = _run(lambda: invoke(c64, 0), timeout)
                    if s3 == "ok":
                        out2 = compare(r3[0], r2[0], r3[1], r2[1], loose=True)[0]
                if out2 != "match" and applies is _kernel_overflow:
                    out2 = compare(res_o, res_t, ins_o, ins_t, loose=True,
                                   torch_overflow=True)[0]
            if out2 == "match":
                return "deliberate", ""
    if out == "match":
        out, detail = grads(res_o, res_t, ins_o, ins_t, seed=len(repr(c)))
        if out == "grad" and any(k == "grad" and f(c) for k, f, _ in DELIBERATE):
            return "deliberate", ""
        if out == "grad" and _random(c):
            return "match", ""  # (a random op whose values happened to agree)
        return out, detail
    if out == "value" and _random(c):
        out, detail = compare(res_o, res_t, ins_o, ins_t, shapes_only=True)
        return (out, detail) if out != "match" else ("match", "")
    if out != "match":
        return out, detail
    return grads(res_o, res_t, ins_o, ins_t, seed=len(repr(c)))


# --------------------------------------------------------------------------- the run
DEFECTS = ("raw", "class", "silent", "value", "dtype", "shape", "grad", "hang", "state")


def _constants_changed() -> bool:
    """A call that writes into a tensor it did not create (running statistics, an
    in-place op on an argument) must never reach the shared scalar constants."""
    import importlib

    consts = importlib.import_module("autograd.tensor")._CONSTS
    with np.errstate(all="ignore"):  # (a constant 1e30 cast to float16 is inf: no warning)
        bad = [k for k, v in consts.items() if np.shape(v._d) != () or v.requires_grad or
               (v._version == 0 and k[1] == k[1] and  # (NaN keys compare unequal)
                np.asarray(v._d) != np.asarray(k[1]).astype(k[2]))]
    for k in bad:
        del consts[k]
    return bool(bad)


def _save_globals():
    """What a fuzzed call may change for the calls after it (set_printoptions,
    set_default_dtype, no_grad left on by an error): restored after each call."""
    import torch._tensor_str as ts

    return (np.get_printoptions(), copy.copy(vars(ts.PRINT_OPTS)), ag.get_default_dtype(),
            torch.get_default_dtype(), torch.is_grad_enabled(), ag.is_grad_enabled())


def _restore_globals(saved) -> None:
    import torch._tensor_str as ts

    np_opts, t_opts, ag_dt, t_dt, t_grad, ag_grad = saved
    np.set_printoptions(**np_opts)
    vars(ts.PRINT_OPTS).update(t_opts)
    ag.set_default_dtype(ag_dt)
    torch.set_default_dtype(t_dt)
    torch.set_grad_enabled(t_grad)
    ag.set_grad_enabled(ag_grad)


def limit_memory(extra_bytes: int = 3 * 2 ** 30) -> None:
    """Cap the address space a little above what the process uses, so an allocation the
    fuzzer provokes fails fast instead of swapping the shared machine."""
    try:
        with open("/proc/self/statm") as f:
            vm = int(f.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vm + extra_bytes, resource.RLIM_INFINITY))
    except (OSError, ValueError):  # pragma: no cover
        pass


def run(calls: int, seed: int = 0, only: Optional[str] = None, timeout: float = 5.0,
        log=None) -> Tuple[Counter, List[Tuple[str, str, str]]]:
    ts = targets()
    if only:
        ts = [t for t in ts if t.name.split(".")[-1] == only or t.name == only]
    r = np.random.default_rng(seed)
    counts: Counter = Counter()
    defects: List[Tuple[str, str, str]] = []
    for i in range(calls):
        t = ts[i % len(ts)]
        c = make_call(r, t)
        state = np.random.get_state()
        saved = _save_globals()
        ag.manual_seed(i), torch.manual_seed(i)
        try:
            out, detail = classify(c, timeout)
        except Exception as e:  # noqa: BLE001 -- a fuzzer bug must not hide as a defect count
            out, detail = "raw", f"fuzzer could not classify: {type(e).__name__}: {e}"
        np.random.set_state(state)
        _restore_globals(saved)
        if out not in DEFECTS and _constants_changed():
            out, detail = "state", "changed a cached scalar constant (as_tensor(1.0) & co)"
        counts[out] += 1
        if out in DEFECTS:
            defects.append((out, repr(c), detail))
            if log:
                print(f"[{out}] {c!r}\n    {detail}", file=log)
    return counts, defects


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=None, help="fuzz one name (exp, Tensor.sum, nn.Linear)")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--show", type=int, default=30, help="defects to print")
    a = ap.parse_args(argv)
    limit_memory()
    counts, defects = run(a.calls, a.seed, a.only, a.timeout)
    total = sum(counts.values())
    print(f"{total} calls over {len(targets())} targets (seed {a.seed}): " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    by = Counter(d[0] for d in defects)
    print(f"defects: {len(defects)}" + (f" ({dict(by)})" if by else ""))
    seen = set()
    shown = 0
    for kind, call, detail in defects:
        key = (kind, call.split("(")[0])
        if key in seen:
            continue
        seen.add(key)
        if shown < a.show:
            print(f"[{kind}] {call}\n    {detail}")
            shown += 1
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
