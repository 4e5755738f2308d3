"""``ag.compile`` rows for W1-W5: the eager tapegrad runners with the loss compiled.

Each runner is its workload's tapegrad runner with the forward (and loss) wrapped in
``ag.compile``; the step still calls ``loss.backward()`` and the same SGD update, so it
times what a user writes. The runner records its trace when it is built (forward and
backward, no update: the weights stay those every system starts from), so the
agreement check and every timed step are replays.

``record_ratios`` measures the other goal of issue 11: the first (recording) call of a
fresh compiled function against one eager call (forward + backward), as a median of
interleaved repetitions.
"""
from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from .common import tapegrad
from .w1_mlp import ALPHA, LR as W1_LR
from .w3_chain import _chain
from .w4_cnn import LR as W4_LR, PAD

SYSTEM = "tapegrad compiled"
# The goals of issue 11: compiled tapegrad's ratio to hand NumPy at most this.
GOALS = [("W1", 1.3), ("W2", 1.05), ("W3", 1.3), ("W4", 1.05), ("W5", 1.5)]
RECORD_GOAL = 3.0


def _warm(runner, args: Tuple, params) -> None:
    """Record (and verify) the trace: forward and backward, no update."""
    for _ in range(3):
        for t in params:
            t.grad = None
        runner.fn(*args).backward()
    for t in params:
        t.grad = None


def w1_loss(p: Dict[str, Any], X, y):
    h = (X @ p["W1"] + p["b1"]).relu()
    h = (h @ p["W2"] + p["b2"]).relu()
    s = (h @ p["W3"] + p["b3"]).reshape(-1)
    return (1 - y * s).relu().mean() + ALPHA * sum((w * w).sum() for w in p.values())


class _Compiled:
    """Wraps the workload's eager tapegrad runner ``r`` (its tensors, snapshot, dtypes)."""

    def __init__(self, r) -> None:
        self.r = r

    def snapshot(self):
        return self.r.snapshot()

    def dtypes(self) -> set:
        return self.r.dtypes()

    def step(self) -> None:
        """The eager runner's step with the loss compiled: the same SGD update."""
        r = self.r
        p = r.p
        for t in p.values():
            t.grad = None
        loss = self.fn(*self.args)
        loss.backward()
        lr = self.lr
        for t in p.values():
            t.data -= lr * t.grad.data.numpy()
        r.loss = loss.detach()


class CompiledW1(_Compiled):
    """W1 with ``ag.compile`` over the loss (parameters read by reference)."""

    def __init__(self, r) -> None:
        super().__init__(r)
        p = r.p
        self.fn = tapegrad().compile(lambda X, y: w1_loss(p, X, y))
        self.args, self.lr = (r.X, r.y), W1_LR
        _warm(self, self.args, p.values())


def mlp_loss(ag, p, K: int, X, y):
    h = X
    for l in range(1, K):
        h = (h @ p[f"W{l}"] + p[f"b{l}"]).relu()
    return ag.softmax_cross_entropy(h @ p[f"W{K}"] + p[f"b{K}"], y)


class CompiledMLP(_Compiled):
    """W2 with ``ag.compile`` over forward + softmax cross-entropy."""

    def __init__(self, r) -> None:
        super().__init__(r)
        ag, p, K = r.ag, r.p, r.K
        self.yt = ag.tensor(np.asarray(r.y))
        self.fn = ag.compile(lambda X, y: mlp_loss(ag, p, K, X, y))
        self.args, self.lr = (r.X, self.yt), r.lr
        _warm(self, self.args, p.values())


class CompiledW3(_Compiled):
    """W3 with ``ag.compile`` over the 1,000-op chain and its sum."""

    def __init__(self, r) -> None:
        super().__init__(r)
        ag, n = r.ag, r.n_cycles
        self.fn = ag.compile(lambda x: _chain(x, n, ag.sin, ag.tanh, ag.exp).sum())
        _warm(self, (r.x0,), [r.x0])

    def step(self) -> None:
        r = self.r
        r.x0.grad = None
        loss = self.fn(r.x0)
        loss.backward()
        r.loss = loss.detach()


def cnn_loss(ag, p, X, y):
    h = ag.max_pool2d(ag.conv2d(X, p["conv1.W"], p["conv1.b"], padding=PAD).relu(), 2)
    h = ag.max_pool2d(ag.conv2d(h, p["conv2.W"], p["conv2.b"], padding=PAD).relu(), 2)
    return ag.softmax_cross_entropy(h.reshape(h.shape[0], -1) @ p["fc.W"] + p["fc.b"], y)


class CompiledCNN(_Compiled):
    """W4 with ``ag.compile`` over the CNN forward and the loss."""

    def __init__(self, r) -> None:
        super().__init__(r)
        ag, p = r.ag, r.p
        self.yt = ag.tensor(np.asarray(r.y))
        self.fn = ag.compile(lambda X, y: cnn_loss(ag, p, X, y))
        self.args, self.lr = (r.X, self.yt), W4_LR
        _warm(self, self.args, p.values())


def w5_fn(n: int):
    def chain(x, c):
        for _ in range(n):
            x = x + c
        return x
    return chain


class CompiledW5(_Compiled):
    """W5 with ``ag.compile`` over the 100,000 adds."""

    def __init__(self, r) -> None:
        super().__init__(r)
        self.fn = tapegrad().compile(w5_fn(r.n))
        _warm(self, (r.x0, r.c), [r.x0, r.c])

    def step(self) -> None:
        r = self.r
        r.x0.grad = None
        r.c.grad = None
        x = self.fn(r.x0, r.c)
        x.backward()
        r.loss = x.detach()


_RUNNERS = {"W1": CompiledW1, "W2": CompiledMLP, "W3": CompiledW3, "W4": CompiledCNN,
            "W5": CompiledW5}


def add_compiled(wl) -> None:
    """Add the compiled system to workload ``wl`` (W1-W5), right after eager tapegrad."""
    cls = _RUNNERS.get(wl.key)
    eager = wl.systems.get("tapegrad")
    if cls is None or eager is None:
        return
    systems = {}
    for name, f in wl.systems.items():
        systems[name] = f
        if name == "tapegrad":
            systems[SYSTEM] = (lambda dt, e=eager: cls(e(dt)))
    wl.systems.clear()
    wl.systems.update(systems)


def record_ratios(quick: bool, only: Callable[[str], bool], reps: int = 5,
                  log: Callable[[str], None] = print) -> List[Tuple[str, float, float]]:
    """(key, eager call s, first compiled call s) per workload: forward + backward of one
    call, the compiled function fresh each time (so the call records), medians over
    ``reps`` interleaved repetitions."""
    from .run import workloads  # (late: run imports this module)

    out = []
    for wl in workloads(quick, only):
        if wl.key not in _RUNNERS or "tapegrad" not in wl.systems:
            continue
        ag = tapegrad()
        r = wl.systems["tapegrad"](wl.dtype)
        fn, args, params = _problem(wl.key, r, ag)
        te, tr = [], []
        for _ in range(reps):
            for timing, f in ((te, fn), (tr, None)):
                g = f if f is not None else ag.compile(fn)
                for t in params:
                    t.grad = None
                gc.collect()
                t0 = time.perf_counter()
                g(*args).backward()
                timing.append(time.perf_counter() - t0)
        e, c = statistics.median(te), statistics.median(tr)
        log(f"  record {wl.key}: eager call {e * 1e3:.3g} ms, first compiled call {c * 1e3:.3g} ms"
            f" ({c / e:.2f}x)")
        out.append((wl.key, e, c))
    return out


def _problem(key: str, r, ag):
    if key == "W1":
        p = r.p
        return (lambda X, y: w1_loss(p, X, y)), (r.X, r.y), list(p.values())
    if key == "W2":
        p, K = r.p, r.K
        return (lambda X, y: mlp_loss(ag, p, K, X, y)), (r.X, ag.tensor(np.asarray(r.y))), list(p.values())
    if key == "W3":
        n = r.n_cycles
        return (lambda x: _chain(x, n, ag.sin, ag.tanh, ag.exp).sum()), (r.x0,), [r.x0]
    if key == "W4":
        p = r.p
        return (lambda X, y: cnn_loss(ag, p, X, y)), (r.X, ag.tensor(np.asarray(r.y))), list(p.values())
    return w5_fn(r.n), (r.x0, r.c), [r.x0, r.c]


def kernel_floor(key: str, reps: int = 20) -> Dict[str, float]:
    """Seconds per step of: hand NumPy, the compiled step, and the eager kernels alone
    (every forward kernel and non-identity vjp of the trace called back to back in a bare
    loop on the arrays of one replay: what any replay that stays bit-identical to eager
    must run; gradient accumulation and un-broadcasting are not included).
    The profile behind the unmet goals: ``python -m benchmarks.compiled W1 W3 W5``."""
    from .run import workloads
    from autograd.compiler._trace import _is_identity
    from autograd.engine import _conform
    from autograd.registry import NP

    wl = workloads(False, lambda k: k == key)[0]
    hand = wl.systems["hand NumPy"](wl.dtype)
    comp = wl.systems[SYSTEM](wl.dtype)
    r = comp.r
    args = {"W3": lambda: (r.x0,), "W5": lambda: (r.x0, r.c)}.get(
        key, lambda: (r.X, getattr(comp, "yt", None) if hasattr(comp, "yt") else r.y))()
    trace = next(iter(comp.fn._cache.values())).trace
    out = comp.fn(*args)
    ctx = out.grad_fn.vals[0]
    V = ctx.V
    fcalls = [(f, [V[j] for j in ins], kw) for code, f, a, b, ins, kw, o in trace.fsteps
              if code in (0, 1, 2, 3)]
    bcalls = []
    G: list = [None] * trace.ngrad
    G[trace.outs[0][2]] = np.ones_like(np.asarray(V[trace.outs[0][1]]))[()]
    for gk, saved, o, kw, edges in trace.bnodes:
        g = G[gk]
        if g is None:
            continue
        a = [V[j] for j in saved]
        for vjp, p, xs in edges:
            if not _is_identity(vjp):  # (the replay passes g on without calling these)
                bcalls.append((vjp, g, V[o], a, kw or {}))
            gi = vjp(NP, g, V[o], *a, **(kw or {}))
            if gi is not None:
                gi = _conform(gi, V[xs])
                G[p] = gi if G[p] is None else G[p] + gi

    def kernels():
        for f, a, kw in fcalls:
            f(*a, **kw)
        for vjp, g, o, a, kw in bcalls:
            vjp(NP, g, o, *a, **kw)

    def best(f):
        ts = []
        for _ in range(5):
            t0 = time.process_time()
            for _ in range(reps):
                f()
            ts.append((time.process_time() - t0) / reps)
        return min(ts)
    return {"hand NumPy": best(hand.step), SYSTEM: best(comp.step),
            "forward call": best(lambda: comp.fn(*args)),
            "eager kernels alone": best(kernels), "forward kernels": len(fcalls),
            "vjp calls": len(bcalls)}


def unmet_profiles(rows, ratio: Callable, log: Callable[[str], None] = print) -> List[Tuple[str, Dict[str, float]]]:
    """``kernel_floor`` for every compiled goal this run's rows do not meet."""
    out = []
    for key, limit in GOALS:
        c = ratio(rows, key, SYSTEM)
        if c is None or c <= limit:
            continue
        res = kernel_floor(key, reps=1 if key == "W5" else 20)
        log(f"  profile {key}: " + ", ".join(
            f"{k} {v * 1e3:.3f} ms" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()))
        out.append((key, res))
    return out


def profile_table(profiles) -> str:
    """The unmet goals' profiles as a Markdown table: the step, its forward call, and the
    floor every bit-identical replay has (the eager kernels alone)."""
    lines = ["| workload | hand NumPy | compiled step | its forward call | eager kernels alone "
             "(forward kernels + vjp calls) | compiled minus kernels |", "|---|---|---|---|---|---|"]
    for key, r in profiles:
        h, c, k = r["hand NumPy"], r[SYSTEM], r["eager kernels alone"]
        lines.append(f"| {key} | {h * 1e3:.3f} ms | {c * 1e3:.3f} ms ({c / h:.2f}x) | "
                     f"{r['forward call'] * 1e3:.3f} ms | {k * 1e3:.3f} ms ({k / h:.2f}x; "
                     f"{r['forward kernels']} + {r['vjp calls']}) | {(c - k) * 1e3:.3f} ms |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    from .threads import set_env_threads
    set_env_threads(1)
    for k in sys.argv[1:] or ["W1", "W2", "W3", "W4", "W5"]:
        res = kernel_floor(k, reps=1 if k == "W5" else 20)
        h = res["hand NumPy"]
        print(f"{k}: hand NumPy {h * 1e3:.3f} ms; {SYSTEM} {res[SYSTEM] * 1e3:.3f} ms "
              f"({res[SYSTEM] / h:.2f}x); eager kernels alone {res['eager kernels alone'] * 1e3:.3f}"
              f" ms ({res['eager kernels alone'] / h:.2f}x; {res['forward kernels']} forward "
              f"kernels, {res['vjp calls']} vjp calls); process CPU time, best of 5")
