"""W4 and W6: a two-block CNN, forward + backward + SGD, softmax cross-entropy.

Architecture (both workloads)::

    x (N, C0, H, W) -> conv C0->C1 3x3 pad 1 -> relu -> maxpool 2
                    -> conv C1->C2 3x3 pad 1 -> relu -> maxpool 2
                    -> flatten (C2 * H/4 * W/4, NCHW order) -> linear -> 10 -> CE

W4: N=64, 1x8x8, C1=16, C2=32 (the issue's small CNN).
W6: N=64, 3x32x32, C1=32, C2=64 (the larger CNN, where GEMM time dominates).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .common import SEED, conv_init, linear_init, one_hot, tapegrad, tensor_dtypes, torch_mod
from .harness import Runner, Snapshot, Workload
from .w1_mlp import _f64, torch_dtype

LR = 0.05
K = 3      # kernel size
PAD = 1


def cnn_problem(n: int, c0: int, hw: int, c1: int, c2: int, seed: int = SEED):
    """Initial weights (canonical layouts), inputs (n, c0, hw, hw) and labels (n,)."""
    rng = np.random.default_rng(seed)
    params: Dict[str, np.ndarray] = {}
    params["conv1.W"], params["conv1.b"] = conv_init(rng, c0, c1, K)
    params["conv2.W"], params["conv2.b"] = conv_init(rng, c1, c2, K)
    params["fc.W"], params["fc.b"] = linear_init(rng, c2 * (hw // 4) ** 2, 10)
    X = rng.standard_normal((n, c0, hw, hw))
    y = rng.integers(0, 10, size=n)
    return params, X, y


# --- hand NumPy -----------------------------------------------------------------------

def im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """NHWC input (N,H,W,C) -> patch matrix (N*Ho*Wo, k*k*C), stride 1, zero padding.

    Row ``(n, i, j)`` holds ``xp[n, i:i+k, j:j+k, :]`` flattened in (di, dj, c) order,
    where ``xp`` is x padded by ``pad``. Built as one strided view, then one copy.
    """
    N, H, W, C = x.shape
    xp = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=x.dtype)
    xp[:, pad:pad + H, pad:pad + W, :] = x
    Ho, Wo = H + 2 * pad - k + 1, W + 2 * pad - k + 1
    s0, s1, s2, s3 = xp.strides
    view = as_strided(xp, (N, Ho, Wo, k, k, C), (s0, s1, s2, s1, s2, s3), writeable=False)
    return view.reshape(N * Ho * Wo, k * k * C)


def col2im(dcols: np.ndarray, shape: Tuple[int, int, int, int], k: int, pad: int) -> np.ndarray:
    """Adjoint of ``im2col``: scatter-add patch gradients back to an (N,H,W,C) gradient.

    ``dx_p[n, i+di, j+dj, c] += dcols[(n,i,j), (di,dj,c)]`` for every patch offset
    ``(di, dj)`` (k*k vectorised adds), then the padding is cut off.
    """
    N, H, W, C = shape
    Ho, Wo = H + 2 * pad - k + 1, W + 2 * pad - k + 1
    d = dcols.reshape(N, Ho, Wo, k, k, C)
    dxp = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=dcols.dtype)
    for di in range(k):
        for dj in range(k):
            dxp[:, di:di + Ho, dj:dj + Wo, :] += d[:, :, :, di, dj, :]
    return dxp[:, pad:pad + H, pad:pad + W, :]


def pool2(h: np.ndarray) -> np.ndarray:
    """2x2/2 max pooling of NHWC ``h`` (H, W even) through a reshaped view."""
    N, H, W, C = h.shape
    return h.reshape(N, H // 2, 2, W // 2, 2, C).max(axis=(2, 4))


def pool2_backward(h: np.ndarray, out: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """Gradient of ``pool2``: ``dout`` routed to the positions equal to their window max.

    A window with tied maxima would send the gradient to each tie (PyTorch picks one).
    Here pooling always follows a ReLU, and the only ties that occur are among zeros
    (all of a window's inputs <= 0), whose gradient the ReLU backward then zeroes on every
    path: the result equals PyTorch's.
    """
    N, H, W, C = h.shape
    r = h.reshape(N, H // 2, 2, W // 2, 2, C)
    mask = r == out[:, :, None, :, None, :]
    return (mask * dout[:, :, None, :, None, :]).reshape(N, H, W, C)


class HandCNN:
    """The CNN by hand in NumPy: NHWC internally, im2col (strided) + one GEMM per conv.

    Conv as a GEMM (``cols`` from ``im2col``, ``Wm`` the kernel as (k*k*C_in, C_out) in the
    same (di, dj, c) order)::

        z = cols Wm + b                            (N*Ho*Wo, C_out), i.e. NHWC
        dWm = cols^T dz,  db = sum_rows dz,  dcols = dz Wm^T,  dx = col2im(dcols)

    ReLU ``h = max(z, 0)``: ``dz = dh * [h > 0]``. Pooling: see ``pool2_backward``.
    Head: ``logits = f W + b`` with ``f`` the pooled map flattened in NCHW order (as
    PyTorch's Flatten), then softmax cross-entropy, ``dlogits = (softmax - Y) / N``.
    The input layer's ``dx`` is not computed (the data needs no gradient).
    """

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        self.p = {k: v.astype(dtype) for k, v in params.items()}
        self.X = X.astype(dtype)
        self.y = y
        self.Y = one_hot(y, 10, dtype)
        self.g: Dict[str, np.ndarray] = {}
        self.loss = 0.0

    @staticmethod
    def _wmat(W: np.ndarray) -> np.ndarray:
        """(C_out, C_in, k, k) -> (k*k*C_in, C_out), rows in (di, dj, c) order."""
        O, C, k, _ = W.shape
        return W.transpose(2, 3, 1, 0).reshape(k * k * C, O)

    def step(self) -> None:
        p = self.p
        N = self.X.shape[0]
        x = self.X.transpose(0, 2, 3, 1)                       # (N, H, W, C0)
        _, H, W_, _ = x.shape
        Wm1, Wm2 = self._wmat(p["conv1.W"]), self._wmat(p["conv2.W"])
        C1, C2 = Wm1.shape[1], Wm2.shape[1]
        cols1 = im2col(x, K, PAD)                              # (N*H*W, 9*C0)
        h1 = np.maximum(cols1 @ Wm1 + p["conv1.b"], 0).reshape(N, H, W_, C1)
        q1 = pool2(h1)                                         # (N, H/2, W/2, C1)
        cols2 = im2col(q1, K, PAD)                             # (N*H/2*W/2, 9*C1)
        h2 = np.maximum(cols2 @ Wm2 + p["conv2.b"], 0).reshape(N, H // 2, W_ // 2, C2)
        q2 = pool2(h2)                                         # (N, H/4, W/4, C2)
        f = q2.transpose(0, 3, 1, 2).reshape(N, -1)            # NCHW flatten
        z = f @ p["fc.W"] + p["fc.b"]                          # (N, 10)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        se = e.sum(axis=1, keepdims=True)
        self.loss = float((np.log(se[:, 0]) - z[np.arange(N), self.y]).mean())

        g: Dict[str, np.ndarray] = {}
        dz = (e / se - self.Y) / N
        g["fc.W"] = f.T @ dz
        g["fc.b"] = dz.sum(axis=0)
        dq2 = (dz @ p["fc.W"].T).reshape(N, C2, H // 4, W_ // 4).transpose(0, 2, 3, 1)
        dz2 = (pool2_backward(h2, q2, dq2) * (h2 > 0)).reshape(-1, C2)
        g["conv2.W"] = (cols2.T @ dz2).reshape(K, K, C1, C2).transpose(3, 2, 0, 1)
        g["conv2.b"] = dz2.sum(axis=0)
        dq1 = col2im(dz2 @ Wm2.T, q1.shape, K, PAD)
        dz1 = (pool2_backward(h1, q1, dq1) * (h1 > 0)).reshape(-1, C1)
        g["conv1.W"] = (cols1.T @ dz1).reshape(K, K, -1, C1).transpose(3, 2, 0, 1)
        g["conv1.b"] = dz1.sum(axis=0)
        for k, w in p.items():
            w -= LR * g[k]
        self.g = g

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, _f64(self.g), _f64(self.p))


# --- tapegrad and PyTorch ---------------------------------------------------------------

class TapegradCNN:
    """tapegrad: ``ag.conv2d``, ``relu``, ``ag.max_pool2d``, ``reshape``, ``@``, ``softmax_cross_entropy``."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        ag = self.ag = tapegrad()
        self.p = {k: ag.tensor(v.astype(dtype), requires_grad=True) for k, v in params.items()}
        self.X = ag.tensor(X.astype(dtype))
        self.y = y
        self.loss: Any = None

    def step(self) -> None:
        ag, p = self.ag, self.p
        for t in p.values():
            t.grad = None
        h = ag.max_pool2d(ag.conv2d(self.X, p["conv1.W"], p["conv1.b"], padding=PAD).relu(), 2)
        h = ag.max_pool2d(ag.conv2d(h, p["conv2.W"], p["conv2.b"], padding=PAD).relu(), 2)
        z = h.reshape(h.shape[0], -1) @ p["fc.W"] + p["fc.b"]
        loss = ag.softmax_cross_entropy(z, self.y)     # fused, like F.cross_entropy
        loss.backward()
        for t in p.values():
            t.data -= LR * t.grad.data.numpy()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def dtypes(self) -> set:
        """dtype names of the loss, parameters and gradients as tapegrad computed them."""
        return tensor_dtypes(self.loss, list(self.p.values()))

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), _f64({k: t.grad.data.numpy() for k, t in self.p.items()}),
                        _f64({k: t.data.numpy() for k, t in self.p.items()}))


class TorchCNN:
    """PyTorch: ``nn.Sequential(Conv2d, ReLU, MaxPool2d, ..., Flatten, Linear)``, CE, SGD."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        torch = self.torch = torch_mod()
        nn = torch.nn
        tdt = torch_dtype(dtype)
        W1, W2, Wf = params["conv1.W"], params["conv2.W"], params["fc.W"]
        self.model = nn.Sequential(
            nn.Conv2d(W1.shape[1], W1.shape[0], K, padding=PAD, dtype=tdt), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(W2.shape[1], W2.shape[0], K, padding=PAD, dtype=tdt), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(Wf.shape[0], Wf.shape[1], dtype=tdt))
        self.layers = {"conv1": self.model[0], "conv2": self.model[3], "fc": self.model[7]}
        with torch.no_grad():
            for name, mod in self.layers.items():
                W = params[f"{name}.W"]
                mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T if name == "fc" else W)))
                mod.bias.copy_(torch.from_numpy(params[f"{name}.b"]))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X = torch.from_numpy(X.astype(dtype))
        self.y = torch.from_numpy(y.astype(np.int64))
        self.loss: Any = None

    def step(self) -> None:
        self.opt.zero_grad(set_to_none=True)
        loss = self.torch.nn.functional.cross_entropy(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def snapshot(self) -> Snapshot:
        grads: Dict[str, np.ndarray] = {}
        params: Dict[str, np.ndarray] = {}
        for name, mod in self.layers.items():
            t = (lambda a: a.T) if name == "fc" else (lambda a: a)
            grads[f"{name}.W"] = t(mod.weight.grad.numpy())
            grads[f"{name}.b"] = mod.bias.grad.numpy()
            params[f"{name}.W"] = t(mod.weight.detach().numpy())
            params[f"{name}.b"] = mod.bias.detach().numpy()
        return Snapshot(float(self.loss.item()), _f64(grads), _f64(params))


def cnn_systems(params: Dict[str, np.ndarray], X: np.ndarray,
                y: np.ndarray) -> Dict[str, Callable[[np.dtype], Runner]]:
    """Factories of the available systems for one CNN problem."""
    systems: Dict[str, Callable[[np.dtype], Runner]] = {"hand NumPy": lambda dt: HandCNN(params, X, y, dt)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradCNN(params, X, y, dt)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchCNN(params, X, y, dt)
    return systems


def make_w4(quick: bool) -> Workload:
    """W4: (64,1,8,8), conv 1->16, conv 16->32 (quick: batch 4), float32 timing."""
    n = 4 if quick else 64
    params, X, y = cnn_problem(n, 1, 8, 16, 32)
    return Workload("W4", f"CNN on ({n},1,8,8): conv 1->16, pool, conv 16->32, pool, linear, CE, fwd+bwd+SGD",
                    cnn_systems(params, X, y), np.dtype(np.float32), unit="ms/step", scale=1e3, rounds=15)


def make_w6(quick: bool) -> Workload:
    """W6: the larger CNN, (64,3,32,32), conv 3->32, conv 32->64 (quick: (2,3,16,16), 4/8)."""
    if quick:
        n, hw, c1, c2 = 2, 16, 4, 8
    else:
        n, hw, c1, c2 = 64, 32, 32, 64
    params, X, y = cnn_problem(n, 3, hw, c1, c2)
    return Workload("W6", f"CNN on ({n},3,{hw},{hw}): conv 3->{c1}, pool, conv {c1}->{c2}, pool, linear, CE, "
                    "fwd+bwd+SGD", cnn_systems(params, X, y), np.dtype(np.float32), unit="ms/step",
                    scale=1e3, rounds=9, warmup=2)
