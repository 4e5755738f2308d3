"""Differential fuzzer: random expression graphs, tapegrad against PyTorch.

Each graph is a small program over float64 leaves: elementwise math, broadcasting
binary ops between tensors of different shapes, reductions over random axes (with
and without keepdim), integer-array indexing with repeated indices, boolean masks,
slices, matmul, shape ops (reshape, permute, transpose, unsqueeze, broadcast_to, cat,
stack, flip, pad) and softmax-family ops. Operands are drawn from everything computed so far, so
nodes are reused (fan-out, ``x * x``, ``stack([a, a])``, ``maximum(a, a)``, max over a
broadcast: the tie cases) and new leaves appear mid-graph with shapes broadcastable
against existing values. The loss is a weighted sum of the last value and a few random
others.

For every graph the fuzzer compares, tapegrad vs PyTorch 2.13 (float64):

1. the loss value and every intermediate value;
2. first derivatives of the loss w.r.t. every leaf (``grad(create_graph=True)``);
3. second derivatives: a Hessian-vector product ``d/dx <grad L, v>`` for random ``v``.
   When the two disagree, central differences of the first derivatives arbitrate; a
   case where tapegrad matches them and PyTorch does not is counted, not failed
   (PyTorch's ``prod`` double backward uses ``out / x`` and loses every digit when an
   element is tiny; tapegrad's is exact, see ``autograd/ops/reduce.py``);
4. tapegrad's own ``.backward()`` path against its ``grad()`` results, and that no two
   leaves' ``.grad`` share a buffer. PyTorch gets this wrong: after
   ``stack([a, b]).sum().backward()`` on two 0-d leaves, ``a.grad`` and ``b.grad`` are
   one buffer (``a.grad.add_(1)`` changes ``b.grad``); tapegrad is held to the
   mathematically right answer (independent buffers), not to PyTorch's.

A failing graph is shrunk (fewer loss terms, dead instructions dropped, operands
bypassed or replaced by fresh leaves, leaves made smaller) while it keeps failing, and
printed as a runnable tapegrad + PyTorch reproduction. Programs are generated from a
seed, so any failure is reproduced by its seed. Run long::

    .venv/bin/python -m tests.fuzz_graphs --graphs 10000 --seed 0
    .venv/bin/python -m tests.fuzz_graphs --graphs 2000 --seed 0 --max-ops 40  # bigger graphs
    .venv/bin/python -m tests.fuzz_graphs --graphs 1 --seed 1234 --show     # one graph's code
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import autograd as ag

MAX_NUMEL = 48
RTOL = 1e-6


# --------------------------------------------------------------------------- programs
@dataclasses.dataclass
class Instr:
    op: str
    args: Tuple[int, ...]        # indices into the value list (leaves and instructions)
    attrs: Dict[str, Any]


@dataclasses.dataclass
class Program:
    """Values are numbered in creation order; ``leaves[k]`` is None for an instruction
    slot. ``outputs`` are (value index, weight array) pairs summed into the loss."""
    values: List[Any]            # np.ndarray for a leaf, Instr for an op
    outputs: List[Tuple[int, np.ndarray]]
    seed: int = -1

    def leaf_ids(self) -> List[int]:
        return [i for i, v in enumerate(self.values) if isinstance(v, np.ndarray)]

    def size(self) -> int:
        return sum(isinstance(v, Instr) for v in self.values)


def _lit(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), separator=", ", threshold=10 ** 6,
                           floatmode="unique").replace("\n", "")


# Each op: (arity, emit(backend, args, attrs) -> expression source). Backend "ag" or
# "torch"; index arrays and masks are literals. Only ops defined the same way in both
# libraries (same subgradient conventions, docs/conventions.md) are used.
def _un(ag_f, th_f):
    return 1, lambda b, a, k: f"{ag_f if b == 'ag' else th_f}({a[0]})"


def _idx(b, arr):
    lit = _lit(arr)
    return f"np.array({lit})" if b == "ag" else f"torch.tensor({lit})"


def _emit_getitem(b, a, k):
    parts = []
    for kind, v in k["index"]:
        if kind == "arr" or kind == "mask":
            parts.append(_idx(b, v))
        elif kind == "int":
            parts.append(str(v))
        elif kind == "slice":
            parts.append(":".join("" if x is None else str(x) for x in v))
        else:
            parts.append(":")
    return f"{a[0]}[{', '.join(parts)}]"


def _emit_reduce(name, tname=None):
    def emit(b, a, k):
        ax, kd = k["axis"], k["keepdims"]
        if b == "ag":
            return f"ag.{name}({a[0]}, axis={ax!r}, keepdims={kd})"
        if tname == "max_dim":
            return f"torch.max({a[0]}, dim={ax!r}, keepdim={kd}).values"
        if ax is None:
            return f"torch.{tname or name}({a[0]})"
        return f"torch.{tname or name}({a[0]}, dim={ax!r}, keepdim={kd})"
    return 1, emit


OPS: Dict[str, Tuple[int, Callable]] = {
    "sin": _un("ag.sin", "torch.sin"),
    "tanh": _un("ag.tanh", "torch.tanh"),
    "sigmoid": _un("ag.sigmoid", "torch.sigmoid"),
    "softplus": _un("ag.softplus", "torch.nn.functional.softplus"),
    "exp": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.exp({'ag' if b == 'ag' else 'torch'}.tanh({a[0]}))"),
    "log": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.log({a[0]} * {a[0]} + 0.5)"),
    "sqrt": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.sqrt({a[0]} * {a[0]} + 0.5)"),
    "relu": _un("ag.relu", "torch.relu"),
    "abs": _un("ag.abs", "torch.abs"),
    "neg": (1, lambda b, a, k: f"-{a[0]}"),
    "square": (1, lambda b, a, k: f"{a[0]} * {a[0]}"),
    "scale": (1, lambda b, a, k: f"{a[0]} * {k['c']!r}"),
    "add": (2, lambda b, a, k: f"{a[0]} + {a[1]}"),
    "sub": (2, lambda b, a, k: f"{a[0]} - {a[1]}"),
    "mul": (2, lambda b, a, k: f"{a[0]} * {a[1]}"),
    "div": (2, lambda b, a, k: f"{a[0]} / ({a[1]} * {a[1]} + 1.0)"),
    "pow": (2, lambda b, a, k: f"({a[0]} * {a[0]} + 0.5) ** ({a[1]} * 0.5)"),
    "maximum": (2, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.maximum({a[0]}, {a[1]})"),
    "minimum": (2, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.minimum({a[0]}, {a[1]})"),
    "where": (2, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.where({a[0]} > {a[1]}, {a[0]}, {a[1]} * 2.0)"),
    "matmul": (2, lambda b, a, k: f"{a[0]} @ {a[1]}"),
    "sum": _emit_reduce("sum"),
    "mean": _emit_reduce("mean"),
    "amax": _emit_reduce("amax"),
    "max_all": (1, lambda b, a, k: f"{a[0]}.max()" if b == "torch" else f"ag.max({a[0]})"),
    "max_dim": _emit_reduce("max", "max_dim"),
    "logsumexp": _emit_reduce("logsumexp"),
    "prod": (1, lambda b, a, k: (f"ag.prod({a[0]}, axis={k['axis']}, keepdims={k['keepdims']})" if b == "ag"
                                 else f"torch.prod({a[0]}, dim={k['axis']}, keepdim={k['keepdims']})")),
    "softmax": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.softmax({a[0]}, dim={k['axis']})"),
    "log_softmax": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.log_softmax({a[0]}, dim={k['axis']})"),
    "reshape": (1, lambda b, a, k: f"{a[0]}.reshape({k['shape']!r})"),
    "permute": (1, lambda b, a, k: f"{a[0]}.permute({k['axes']!r})"),
    "transpose": (1, lambda b, a, k: f"{a[0]}.transpose({k['d0']}, {k['d1']})"),
    "unsqueeze": (1, lambda b, a, k: f"{a[0]}.unsqueeze({k['dim']})"),
    "broadcast_to": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.broadcast_to({a[0]}, {k['shape']!r})"),
    "cat": (2, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.cat([{a[0]}, {a[1]}], dim={k['axis']})"),
    "stack": (2, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.stack([{a[0]}, {a[1]}], dim={k['axis']})"),
    "getitem": (1, _emit_getitem),
    "gelu": _un("ag.gelu", "torch.nn.functional.gelu"),
    "leaky_relu": (1, lambda b, a, k: (f"ag.leaky_relu({a[0]}, 0.2)" if b == "ag"
                                       else f"torch.nn.functional.leaky_relu({a[0]}, 0.2)")),
    "clamp": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.clamp({a[0]}, -0.75, 1.25)"),
    "var": (1, lambda b, a, k: (f"ag.var({a[0]}, axis={k['axis']})" if b == "ag"
                                else f"torch.var({a[0]}, dim={k['axis']})")),
    "flip": (1, lambda b, a, k: f"{'ag' if b == 'ag' else 'torch'}.flip({a[0]}, {k['dims']!r})"),
    "pad": (1, lambda b, a, k: (f"ag.pad({a[0]}, {k['pad']!r}, value={k['value']!r})" if b == "ag"
                                else f"torch.nn.functional.pad({a[0]}, {k['pad']!r}, value={k['value']!r})")),
}


def source(prog: Program, backend: str, leaf_names: bool = True) -> List[str]:
    """The program as lines of Python for ``backend`` ('ag' or 'torch'); leaves are the
    names v<i> bound by the caller."""
    lines = []
    for i, v in enumerate(prog.values):
        if isinstance(v, Instr):
            args = [f"v{j}" for j in v.args]
            lines.append(f"v{i} = {OPS[v.op][1](backend, args, v.attrs)}")
    terms = []
    for j, (vi, w) in enumerate(prog.outputs):
        mk = "ag.tensor({}, dtype=np.float64)" if backend == "ag" else "torch.tensor({}, dtype=torch.float64)"
        lines.append(f"w{j} = " + mk.format(_lit(w)))
        terms.append(f"(v{vi} * w{j}).sum()")
    lines.append("loss = " + " + ".join(terms))
    return lines


# --------------------------------------------------------------------------- running
# how many graphs were compared, and why the others were not (reported by the CLI)
STATS: Dict[str, Any] = {"compared": 0, "torch_error": 0, "nonfinite": 0, "last_torch_error": "",
                         "torch_wrong": 0, "torch_wrong_seeds": []}


def _run_backend(prog: Program, backend: str, vs: Sequence[np.ndarray]):
    """Forward, first derivatives and a Hessian-vector product for one backend.
    Returns (values dict, loss, grads, hvp) as NumPy arrays (None -> zeros)."""
    import torch

    ns: Dict[str, Any] = {"np": np, "ag": ag, "torch": torch}
    leaves = []
    for i in prog.leaf_ids():
        arr = prog.values[i]
        t = (ag.tensor(arr, requires_grad=True) if backend == "ag"
             else torch.tensor(arr, requires_grad=True))
        ns[f"v{i}"] = t
        leaves.append(t)
    exec("\n".join(source(prog, backend)), ns)
    loss = ns["loss"]
    vals = {i: _np(ns[f"v{i}"]) for i, v in enumerate(prog.values) if isinstance(v, Instr)}
    if backend == "ag":
        gs = ag.grad(loss, leaves, create_graph=True, allow_unused=True)
        live = [(g, v) for g, v in zip(gs, vs) if g is not None and g.requires_grad]
        hv = (ag.grad(sum(((g * ag.tensor(v)).sum() for g, v in live), ag.tensor(0.0, dtype=np.float64)),
                      leaves, allow_unused=True, retain_graph=True) if live else [None] * len(leaves))
    else:
        gs = torch.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
        live = [(g, v) for g, v in zip(gs, vs) if g is not None and g.requires_grad]
        hv = (torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in live), leaves,
                                  allow_unused=True, retain_graph=True) if live else [None] * len(leaves))
    z = [np.zeros(np.shape(prog.values[i])) for i in prog.leaf_ids()]
    grads = [_np(g) if g is not None else zz for g, zz in zip(gs, z)]
    hvps = [_np(h) if h is not None else zz for h, zz in zip(hv, z)]
    extra = None
    if backend == "ag":
        extra = _backward_path(prog, ns, leaves, loss)
    return vals, _np(loss), grads, hvps, extra


def _backward_path(prog, ns, leaves, loss):
    """tapegrad's .backward() on the same graph: the gradients it accumulates, and the
    aliasing check (no two leaves' .grad may share memory; see the module docstring)."""
    loss.backward()
    gs = [l.grad.data.numpy().copy() if l.grad is not None else np.zeros(l.shape) for l in leaves]
    bufs = [l.grad.data.numpy() for l in leaves if l.grad is not None]
    for i in range(len(bufs)):
        for j in range(i + 1, len(bufs)):
            if np.shares_memory(bufs[i], bufs[j]):
                return gs, f"leaves' .grad buffers {i} and {j} share memory"
    return gs, None


def _np(t) -> np.ndarray:
    if isinstance(t, ag.Tensor):
        return np.array(t.data.numpy(), dtype=np.float64)
    t = t.detach()
    if t._is_zerotensor():
        # PyTorch returns "efficient zero tensors" from double backward; .numpy() refuses
        # them and .numpy(force=True) segfaults (torch 2.13), so build the zeros here
        return np.zeros(tuple(t.shape))
    return t.numpy().astype(np.float64)


def _close(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    return bool(np.allclose(a, b, rtol=RTOL, atol=1e-9 * scale, equal_nan=True))


def _first_grads_ag(prog: Program, leaf_vals: Sequence[np.ndarray]) -> List[np.ndarray]:
    ns: Dict[str, Any] = {"np": np, "ag": ag}
    leaves = []
    for i, arr in zip(prog.leaf_ids(), leaf_vals):
        ns[f"v{i}"] = t = ag.tensor(arr, requires_grad=True)
        leaves.append(t)
    exec("\n".join(source(prog, "ag")), ns)
    gs = ag.grad(ns["loss"], leaves, allow_unused=True)
    return [np.zeros(np.shape(a)) if g is None else np.array(g.data.numpy(), dtype=np.float64)
            for g, a in zip(gs, leaf_vals)]


def _fd_hvp(prog: Program, vs: Sequence[np.ndarray], h: float = 1e-4) -> List[np.ndarray]:
    """Central differences of the gradient along ``vs``: (g(x + h v) - g(x - h v)) / 2h."""
    xs = [prog.values[i] for i in prog.leaf_ids()]
    gp = _first_grads_ag(prog, [x + h * v for x, v in zip(xs, vs)])
    gm = _first_grads_ag(prog, [x - h * v for x, v in zip(xs, vs)])
    return [(a - b) / (2 * h) for a, b in zip(gp, gm)]


def _close_loose(a, b) -> bool:
    scale = max(1.0, float(np.max(np.abs(b)))) if np.size(b) else 1.0
    return bool(np.allclose(a, b, rtol=1e-4, atol=1e-5 * scale))


def check(prog: Program) -> Optional[str]:
    """None when tapegrad agrees with PyTorch on ``prog``; else what differs."""
    rng = np.random.default_rng(abs(prog.seed) + 7)
    vs = [rng.standard_normal(np.shape(prog.values[i])) for i in prog.leaf_ids()]
    with np.errstate(all="ignore"):
        try:
            ref = _run_backend(prog, "torch", vs)
        except Exception as e:  # the reference cannot run it: not a tapegrad failure
            STATS["torch_error"] += 1
            STATS["last_torch_error"] = f"{type(e).__name__}: {e}"
            return None
        if not all(np.isfinite(x).all() for x in [ref[1], *ref[2], *ref[3]]):
            STATS["nonfinite"] += 1
            return None  # overflowed in the reference: not a meaningful comparison
        STATS["compared"] += 1
        try:
            got = _run_backend(prog, "ag", vs)
        except Exception as e:
            return f"tapegrad raised {type(e).__name__}: {e}"
    for i, v in ref[0].items():
        if not _close(got[0][i], v):
            return f"value of v{i} ({prog.values[i].op}) differs"
    if not _close(got[1], ref[1]):
        return "loss differs"
    leaf_ids = prog.leaf_ids()
    for k, (a, b) in enumerate(zip(got[2], ref[2])):
        if not _close(a, b):
            return f"first derivative w.r.t. leaf v{leaf_ids[k]} differs"
    if not all(_close(a, b) for a, b in zip(got[3], ref[3])):
        # Who is right? Finite differences of the (agreeing) first derivatives decide:
        # PyTorch's prod double backward, for one, loses all precision near zero.
        fd = _fd_hvp(prog, vs)
        ag_ok = all(_close_loose(a, f) for a, f in zip(got[3], fd))
        th_ok = all(_close_loose(b, f) for b, f in zip(ref[3], fd))
        if ag_ok and not th_ok:
            STATS["torch_wrong"] += 1
            STATS["torch_wrong_seeds"].append(prog.seed)
        else:
            k = next(k for k, (a, b) in enumerate(zip(got[3], ref[3])) if not _close(a, b))
            return f"second derivative (Hessian-vector product) w.r.t. leaf v{leaf_ids[k]} differs"
    bgrads, alias = got[4]
    if alias:
        return alias
    for k, (a, b) in enumerate(zip(bgrads, got[2])):
        if not _close(a, b):
            return f".backward() gradient of leaf v{leaf_ids[k]} differs from grad()"
    return None


# --------------------------------------------------------------------------- generation
def _shape(prog: Program, vals: List[Any], i: int) -> Tuple[int, ...]:
    return tuple(np.shape(vals[i]))


def _rand_shape(rng, max_nd=3) -> Tuple[int, ...]:
    nd = int(rng.integers(0, max_nd + 1))
    return tuple(int(s) for s in rng.integers(1, 5, size=nd))


def _compatible_shape(rng, shape) -> Tuple[int, ...]:
    """A shape that broadcasts with ``shape``: trailing part of it, some dims set to 1,
    possibly with a new leading dim."""
    s = list(shape)
    if s and rng.random() < 0.4:
        s = s[int(rng.integers(0, len(s) + 1)):]
    s = [1 if rng.random() < 0.3 else d for d in s]
    if rng.random() < 0.2 and len(s) < 3:
        s = [int(rng.integers(2, 4))] + s
    return tuple(s)


def _leaf(rng, shape) -> np.ndarray:
    a = rng.standard_normal(shape)
    if rng.random() < 0.15:
        a = np.round(a)  # exact ties and zeros (kinks) now and then
    return np.asarray(a, dtype=np.float64)


def _axis_attrs(rng, nd, allow_none=True, allow_tuple=True):
    if nd == 0 or (allow_none and rng.random() < 0.25):
        return None
    if allow_tuple and nd > 1 and rng.random() < 0.3:
        k = int(rng.integers(1, nd + 1))
        return tuple(int(a) for a in sorted(rng.choice(nd, size=k, replace=False)))
    return int(rng.integers(-nd, nd))


def _propose(rng, op, shapes, pick, new_leaf):
    """(args, attrs) for ``op`` or None. ``pick(pred)`` returns a value index whose shape
    satisfies pred (or None); ``new_leaf(shape)`` makes a leaf and returns its index."""
    arity = OPS[op][0]
    a = pick(lambda s: True)
    sa = shapes[a]
    nd = len(sa)
    if arity == 2 and op not in ("matmul", "cat", "stack"):
        def bc(s):
            try:
                np.broadcast_shapes(sa, s)
                return True
            except ValueError:
                return False
        b = pick(bc) if rng.random() < 0.6 else None
        if b is None:
            b = new_leaf(_compatible_shape(rng, sa))
        return ((a, b) if rng.random() < 0.5 else (b, a)), {}
    if op == "matmul":
        if nd == 0:
            return None
        k = sa[-1]
        if rng.random() < 0.5 and nd >= 1:
            want = (k,) if rng.random() < 0.3 else (k, int(rng.integers(1, 4)))
            b = pick(lambda s: s == want) if rng.random() < 0.5 else None
            if b is None:
                b = new_leaf(want)
            return (a, b), {}
        want = (int(rng.integers(1, 4)), sa[0]) if nd == 1 else (int(rng.integers(1, 4)), sa[-2])
        b = new_leaf(want)
        return (b, a), {}
    if op in ("cat", "stack"):
        if op == "cat" and nd == 0:
            return None
        b = pick(lambda s: s == sa) if rng.random() < 0.7 else None
        if b is None:
            b = new_leaf(sa)
        axis = int(rng.integers(0, nd + (1 if op == "stack" else 0))) if nd or op == "stack" else 0
        return (a, b), {"axis": axis}
    if op in ("sum", "mean", "amax", "logsumexp", "max_dim", "prod"):
        if op in ("max_dim", "prod"):
            if nd == 0:
                return None
            axis = int(rng.integers(-nd, nd))
        else:
            axis = _axis_attrs(rng, nd)
        kd = bool(rng.random() < 0.4) if axis is not None else False
        if op == "amax" and axis is None:
            axis = tuple(range(nd)) if nd else None
            if axis is None:
                return None
        if op == "logsumexp" and axis is None:
            axis = tuple(range(nd)) if nd else None
            if axis is None:
                return None
        return (a,), {"axis": axis, "keepdims": kd}
    if op in ("softmax", "log_softmax"):
        if nd == 0:
            return None
        return (a,), {"axis": int(rng.integers(-nd, nd))}
    if op == "reshape":
        n = int(np.prod(sa)) if sa else 1
        opts = [(-1,), (n,), (1, n), (n, 1)] + ([(sa[0], -1)] if nd >= 2 else [])
        return (a,), {"shape": opts[int(rng.integers(0, len(opts)))]}
    if op == "permute":
        if nd < 2:
            return None
        return (a,), {"axes": tuple(int(x) for x in rng.permutation(nd))}
    if op == "transpose":
        if nd < 2:
            return None
        d0, d1 = (int(x) for x in rng.choice(nd, size=2, replace=False))
        return (a,), {"d0": d0, "d1": d1}
    if op == "unsqueeze":
        if nd >= 4:
            return None
        return (a,), {"dim": int(rng.integers(-nd - 1, nd + 1))}
    if op == "broadcast_to":
        target = list(sa)
        target = [int(rng.integers(2, 4)) if d == 1 and rng.random() < 0.7 else d for d in target]
        if rng.random() < 0.4 and len(target) < 3:
            target = [int(rng.integers(2, 4))] + target
        if tuple(target) == sa:
            return None
        return (a,), {"shape": tuple(target)}
    if op == "getitem":
        if nd == 0:
            return None
        return (a,), {"index": _rand_index(rng, sa)}
    if op == "var":
        ok = [d for d in range(nd) if sa[d] > 1]
        if not ok:
            return None
        return (a,), {"axis": int(ok[int(rng.integers(0, len(ok)))])}
    if op == "flip":
        if nd == 0:
            return None
        k = int(rng.integers(1, nd + 1))
        return (a,), {"dims": tuple(int(d) for d in rng.choice(nd, size=k, replace=False))}
    if op == "pad":
        if nd == 0:
            return None
        n = int(rng.integers(1, min(nd, 2) + 1))
        return (a,), {"pad": tuple(int(v) for v in rng.integers(0, 3, size=2 * n)),
                      "value": float(rng.choice([0.0, -1.5]))}
    return (a,), ({"c": float(np.round(rng.uniform(-2, 2), 2))} if op == "scale" else {})


def _rand_index(rng, shape):
    r = rng.random()
    n0 = shape[0]
    if r < 0.45:   # integer array with repeats along dim 0 (optionally then a slice)
        idx = rng.integers(-n0, n0, size=int(rng.integers(1, 6)))
        if rng.random() < 0.3:
            idx = idx.reshape(1, -1) if idx.size > 1 else idx
        out = [("arr", idx)]
        if len(shape) > 1 and rng.random() < 0.4:
            out.append(("slice", (int(rng.integers(0, shape[1])), None, None)))
        return out
    if r < 0.65:   # boolean mask over the leading dims
        k = 1 if len(shape) == 1 or rng.random() < 0.6 else 2
        m = rng.random(shape[:k]) < 0.6
        return [("mask", m)]
    if r < 0.8 and len(shape) >= 2:   # int then array (PyTorch's dimension placement)
        return [("int", int(rng.integers(-n0, n0))), ("full", None),
                ("arr", rng.integers(0, shape[-1], size=3))] if len(shape) == 3 else \
               [("int", int(rng.integers(-n0, n0))), ("arr", rng.integers(0, shape[1], size=3))]
    start = int(rng.integers(0, n0))
    step = int(rng.integers(1, 3))
    return [("slice", (start, None, step))]


OP_WEIGHTS = {
    "sin": 2, "tanh": 2, "sigmoid": 1, "softplus": 1, "exp": 1, "log": 1, "sqrt": 1,
    "relu": 1, "abs": 1, "neg": 1, "square": 1, "scale": 1,
    "add": 3, "sub": 2, "mul": 4, "div": 2, "pow": 1, "maximum": 2, "minimum": 1, "where": 1,
    "matmul": 3, "sum": 3, "mean": 2, "amax": 2, "max_all": 1, "max_dim": 2, "logsumexp": 1,
    "prod": 1, "softmax": 1, "log_softmax": 1, "reshape": 1, "permute": 1, "transpose": 1,
    "unsqueeze": 1, "broadcast_to": 2, "cat": 1, "stack": 2, "getitem": 4,
    "gelu": 1, "leaky_relu": 1, "clamp": 1, "var": 1, "flip": 1, "pad": 1,
}


MAX_OPS = 12   # programs have 2 .. MAX_OPS - 1 ops (the CLI's --max-ops changes it)


def generate(seed: int, n_ops: Optional[int] = None) -> Program:
    """A random program (deterministic in ``seed`` and ``MAX_OPS``)."""
    rng = np.random.default_rng(seed)
    n_ops = n_ops or int(rng.integers(2, MAX_OPS))
    values: List[Any] = []
    ag_vals: List[np.ndarray] = []   # forward values (NumPy, via tapegrad) for shapes

    def new_leaf(shape):
        values.append(_leaf(rng, shape))
        ag_vals.append(values[-1])
        return len(values) - 1

    for _ in range(int(rng.integers(1, 3))):
        new_leaf(_rand_shape(rng))
    names = list(OP_WEIGHTS)
    p = np.array([OP_WEIGHTS[n] for n in names], dtype=float)
    p /= p.sum()
    tries = 0
    while sum(isinstance(v, Instr) for v in values) < n_ops and tries < 200:
        tries += 1
        op = names[int(rng.choice(len(names), p=p))]
        shapes = [tuple(np.shape(v)) for v in ag_vals]
        n_before = len(values)

        def pick(pred):
            # recent values are likelier: deep graphs; any value: reuse / fan-out
            cands = [i for i, s in enumerate(shapes) if pred(s)]
            if not cands:
                return None
            w = np.arange(1, len(cands) + 1, dtype=float) ** 2
            return cands[int(rng.choice(len(cands), p=w / w.sum()))]

        prop = _propose(rng, op, shapes, pick, new_leaf)
        if prop is None:
            del values[n_before:], ag_vals[n_before:]
            continue
        args, attrs = prop
        ins = Instr(op, tuple(args), attrs)
        out = _eval_one(ins, ag_vals)
        if out is None or out.size == 0 or out.size > MAX_NUMEL or not np.isfinite(out).all() \
                or np.abs(out).max() > 1e4:
            del values[n_before:], ag_vals[n_before:]
            continue
        values.append(ins)
        ag_vals.append(out)
    last = len(values) - 1
    outs = {last} | {int(i) for i in rng.choice(len(values), size=min(2, len(values)), replace=False)}
    outputs = [(i, np.round(rng.uniform(-1, 1, size=np.shape(ag_vals[i])), 3)) for i in sorted(outs)]
    return Program(values, outputs, seed)


def _eval_one(ins: Instr, vals: List[np.ndarray]) -> Optional[np.ndarray]:
    ns = {"np": np, "ag": ag}
    for k, j in enumerate(ins.args):
        ns[f"a{k}"] = ag.tensor(vals[j])
    expr = OPS[ins.op][1]("ag", [f"a{k}" for k in range(len(ins.args))], ins.attrs)
    try:
        with np.errstate(all="ignore"), ag.no_grad():
            return np.asarray(eval(expr, ns).data.numpy(), dtype=np.float64)
    except Exception:
        return None


# --------------------------------------------------------------------------- shrinking
def _renumber(values, outputs, keep: List[int]):
    m = {old: new for new, old in enumerate(keep)}
    nv = []
    for old in keep:
        v = values[old]
        nv.append(Instr(v.op, tuple(m[a] for a in v.args), v.attrs) if isinstance(v, Instr) else v)
    return nv, [(m[i], w) for i, w in outputs]


def _live(values, outputs) -> List[int]:
    need = {i for i, _ in outputs}
    for i in range(len(values) - 1, -1, -1):
        if i in need and isinstance(values[i], Instr):
            need.update(values[i].args)
    return sorted(need)


def _dce(prog: Program) -> Program:
    v, o = _renumber(prog.values, prog.outputs, _live(prog.values, prog.outputs))
    return Program(v, o, prog.seed)


def _values_np(prog: Program) -> List[np.ndarray]:
    vals = []
    for v in prog.values:
        vals.append(v if isinstance(v, np.ndarray) else _eval_one(v, vals))
    return vals


def _candidates(prog: Program):
    """Smaller programs, most aggressive first."""
    vals = _values_np(prog)
    # 1. one loss term only
    if len(prog.outputs) > 1:
        for k in range(len(prog.outputs)):
            yield Program(prog.values, [prog.outputs[k]], prog.seed)
    # 2. make an intermediate value the output (drops everything after it)
    for i, v in enumerate(prog.values):
        if isinstance(v, Instr) and any(i != j for j, _ in prog.outputs):
            w = np.round(np.random.default_rng(i).uniform(-1, 1, np.shape(vals[i])), 3)
            yield Program(prog.values, [(i, w)], prog.seed)
    # 3. bypass an instruction: use one of its same-shaped operands instead
    for i, v in enumerate(prog.values):
        if not isinstance(v, Instr):
            continue
        for a in v.args:
            if np.shape(vals[a]) == np.shape(vals[i]):
                yield _replace(prog, i, a)
    # 4. replace an instruction by a fresh leaf with its value (cuts the subtree)
    for i, v in enumerate(prog.values):
        if isinstance(v, Instr) and any(isinstance(prog.values[a], Instr) for a in v.args):
            for a in v.args:
                if isinstance(prog.values[a], Instr) and vals[a] is not None:
                    nv = list(prog.values)
                    nv[a] = np.array(vals[a])
                    yield Program(nv, prog.outputs, prog.seed)
    # 5. round leaf values
    for i, v in enumerate(prog.values):
        if isinstance(v, np.ndarray) and not np.array_equal(v, np.round(v, 1)):
            nv = list(prog.values)
            nv[i] = np.round(v, 1)
            yield Program(nv, prog.outputs, prog.seed)


def _replace(prog: Program, i: int, a: int) -> Program:
    nv = list(prog.values)
    for j in range(i + 1, len(nv)):
        v = nv[j]
        if isinstance(v, Instr) and i in v.args:
            nv[j] = Instr(v.op, tuple(a if x == i else x for x in v.args), v.attrs)
    outs = [(a if x == i else x, w) for x, w in prog.outputs]
    return Program(nv, outs, prog.seed)


def _fails(prog: Program) -> Optional[str]:
    try:
        vals = _values_np(prog)
        if any(v is None for v in vals):
            return None
        for i, w in prog.outputs:
            if np.shape(w) != np.shape(vals[i]):
                return None
        return check(prog)
    except Exception:
        return None


def shrink(prog: Program, max_steps: int = 300) -> Tuple[Program, str]:
    """The smallest failing program reachable by the moves in ``_candidates``."""
    prog = _dce(prog)
    why = _fails(prog) or "?"
    steps = 0
    improved = True
    while improved and steps < max_steps:
        improved = False
        for cand in _candidates(prog):
            steps += 1
            cand = _dce(cand)
            if (cand.size(), _nbytes(cand)) >= (prog.size(), _nbytes(prog)) and \
                    _leafsum(cand) >= _leafsum(prog):
                continue
            w = _fails(cand)
            if w:
                prog, why, improved = cand, w, True
                break
            if steps >= max_steps:
                break
    return prog, why


def _nbytes(p: Program) -> int:
    return sum(v.size for v in p.values if isinstance(v, np.ndarray))


def _leafsum(p: Program) -> float:
    return float(sum(np.abs(v - np.round(v, 1)).sum() for v in p.values if isinstance(v, np.ndarray)))


def reproduction(prog: Program, why: str) -> str:
    """Runnable code: the graph in tapegrad and in PyTorch, and the comparison."""
    names = ", ".join(f"v{i}" for i in prog.leaf_ids())

    def leaves(b):
        mk = "ag.tensor({}, dtype=np.float64, requires_grad=True)" if b == "ag" else \
            "torch.tensor({}, dtype=torch.float64, requires_grad=True)"
        return [f"v{i} = " + mk.format(_lit(prog.values[i])) for i in prog.leaf_ids()]

    out = [f"# fuzz_graphs: {why} (seed {prog.seed}, {prog.size()} ops)",
           "import numpy as np, torch", "import autograd as ag", "# tapegrad"]
    out += leaves("ag") + source(prog, "ag")
    out += [f"tg = ag.grad(loss, [{names}], allow_unused=True)", "# PyTorch"]
    out += leaves("torch") + source(prog, "torch")
    out += [f"th = torch.autograd.grad(loss, [{names}], allow_unused=True)",
            "for a, b in zip(tg, th):",
            "    print(None if a is None else a.data.numpy(), None if b is None else b.numpy())"]
    return "\n".join(out)


# --------------------------------------------------------------------------- driver
def run(graphs: int, seed: int = 0, stop_at_first: bool = True, verbose: bool = False,
        time_budget: Optional[float] = None):
    """Check ``graphs`` programs with seeds seed, seed+1, ...; returns a list of
    (seed, shrunk program, reason) for the failures and the number checked."""
    failures = []
    t0 = time.perf_counter()
    n = 0
    for s in range(seed, seed + graphs):
        if time_budget is not None and time.perf_counter() - t0 > time_budget:
            break
        prog = generate(s)
        n += 1
        why = check(prog)
        if why:
            small, why2 = shrink(prog)
            failures.append((s, small, why2))
            if verbose:
                print(f"seed {s}: {why}; shrunk to {small.size()} ops:\n{reproduction(small, why2)}\n")
            if stop_at_first:
                break
    return failures, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="tapegrad vs PyTorch on random graphs")
    ap.add_argument("--graphs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-going", action="store_true", help="don't stop at the first failure")
    ap.add_argument("--show", action="store_true", help="print each graph's tapegrad code")
    ap.add_argument("--max-ops", type=int, default=MAX_OPS, help="ops per graph: 2 .. max-ops - 1")
    args = ap.parse_args(argv)
    globals()["MAX_OPS"] = args.max_ops
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    if args.show:
        for s in range(args.seed, args.seed + args.graphs):
            p = generate(s)
            print(f"# seed {s}: {p.size()} ops, check: {check(p) or 'ok'}")
            print(reproduction(p, "shown"))
        return 0
    failures, n = run(args.graphs, args.seed, stop_at_first=not args.keep_going, verbose=True)
    dt = time.perf_counter() - t0
    sizes = [generate(s).size() for s in range(args.seed, args.seed + min(n, 200))]
    print(f"{n} graphs (seeds {args.seed}..{args.seed + n - 1}, mean {np.mean(sizes):.1f} ops) in "
          f"{dt:.1f} s: {len(failures)} mismatch(es); compared {STATS['compared']}, skipped "
          f"{STATS['torch_error']} (PyTorch raised; last: {STATS['last_torch_error'][:80]!r}) and "
          f"{STATS['nonfinite']} (non-finite reference); PyTorch's second derivative wrong "
          f"(tapegrad matches finite differences) in {STATS['torch_wrong']}: seeds "
          f"{STATS['torch_wrong_seeds'][:20]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
