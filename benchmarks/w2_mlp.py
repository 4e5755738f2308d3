"""W2: MLP 784-256-256-10 on a batch of 128, softmax cross-entropy, fwd+bwd+SGD.

W2i is its inference: the forward and the loss only, tapegrad under ``no_grad()`` and
PyTorch under ``torch.no_grad()`` (the issue's "no_grad inference pays nothing for the
tape").

Data: a fixed random batch (standard normal inputs, uniform labels; MNIST-shaped, no
download). Loss::

    z = relu(relu(X W1 + b1) W2 + b2) W3 + b3          logits, (N, 10)
    L = -(1/N) sum_n log softmax(z_n)[y_n]

The runner classes are reused, with other sizes, by the memory measurements.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Sequence

import numpy as np

from .common import SEED, mlp_params, one_hot, tapegrad, tensor_dtypes, torch_mod
from .harness import Runner, Snapshot, Workload
from .w1_mlp import _f64, torch_mlp, torch_mlp_state

LR = 0.01


def mlp_batch(sizes: Sequence[int], batch: int, seed: int = SEED):
    """Initial weights, inputs (batch, sizes[0]) and integer labels (batch,)."""
    params = mlp_params(sizes, seed=seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)
    return params, X, y


class HandMLP:
    """Hand-written NumPy MLP (ReLU hidden layers) with softmax cross-entropy.

    Forward, layers ``l = 1..K`` with ``h0 = X``::

        z_l = h_{l-1} W_l + b_l,  h_l = relu(z_l) (l < K),  z_K = logits
        p   = softmax(z_K) = exp(z_K - max) / sum exp(z_K - max)
        L   = -(1/N) sum_n log p[n, y_n]
            = (1/N) sum_n (logsumexp(z_K[n]) - z_K[n, y_n])

    Backward, with ``Y`` the one-hot labels::

        dz_K = (p - Y) / N
        dW_l = h_{l-1}^T dz_l,   db_l = sum_n dz_l
        dz_{l-1} = (dz_l W_l^T) * [z_{l-1} > 0]

    then SGD: ``W_l -= lr dW_l``, ``b_l -= lr db_l``.
    """

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype, lr: float = LR) -> None:
        self.p = {k: v.astype(dtype) for k, v in params.items()}
        self.K = len(params) // 2
        self.X = X.astype(dtype)
        self.y = y
        self.Y = one_hot(y, params[f"W{self.K}"].shape[1], dtype)
        self.lr = lr
        self.g: Dict[str, np.ndarray] = {}
        self.loss = 0.0

    def step(self) -> None:
        p, K = self.p, self.K
        n = self.X.shape[0]
        hs = [self.X]
        for l in range(1, K):
            hs.append(np.maximum(hs[-1] @ p[f"W{l}"] + p[f"b{l}"], 0))
        z = hs[-1] @ p[f"W{K}"] + p[f"b{K}"]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        se = e.sum(axis=1, keepdims=True)
        self.loss = float((np.log(se[:, 0]) - z[np.arange(n), self.y]).mean())
        dz = (e / se - self.Y) / n
        g: Dict[str, np.ndarray] = {}
        for l in range(K, 0, -1):
            g[f"W{l}"] = hs[l - 1].T @ dz
            g[f"b{l}"] = dz.sum(axis=0)
            if l > 1:
                dz = (dz @ p[f"W{l}"].T) * (hs[l - 1] > 0)   # relu' from the output: h > 0 iff z > 0
        for k, w in p.items():
            w -= self.lr * g[k]
        self.g = g

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, _f64(self.g), _f64(self.p))


class TapegradMLP:
    """tapegrad: ``@``, ``+``, ``relu``, ``softmax_cross_entropy`` (the fused op F.cross_entropy uses)."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype, lr: float = LR) -> None:
        ag = self.ag = tapegrad()
        self.p = {k: ag.tensor(v.astype(dtype), requires_grad=True) for k, v in params.items()}
        self.K = len(params) // 2
        self.X = ag.tensor(X.astype(dtype))
        self.y = y
        self.lr = lr
        self.loss: Any = None

    def step(self) -> None:
        p, K = self.p, self.K
        for t in p.values():
            t.grad = None
        h = self.X
        for l in range(1, K):
            h = (h @ p[f"W{l}"] + p[f"b{l}"]).relu()
        z = h @ p[f"W{K}"] + p[f"b{K}"]                       # (N, C)
        loss = self.ag.softmax_cross_entropy(z, self.y)     # fused, like F.cross_entropy
        loss.backward()
        for t in p.values():
            t.data -= self.lr * t.grad.data.numpy()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def dtypes(self) -> set:
        """dtype names of the loss, parameters and gradients as tapegrad computed them."""
        return tensor_dtypes(self.loss, list(self.p.values()))

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), _f64({k: t.grad.data.numpy() for k, t in self.p.items()}),
                        _f64({k: t.data.numpy() for k, t in self.p.items()}))


class TorchMLP:
    """PyTorch: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``F.cross_entropy``, ``optim.SGD``."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype, lr: float = LR) -> None:
        torch = self.torch = torch_mod()
        self.model = torch_mlp(params, dtype)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
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
        st = torch_mlp_state(self.model)
        return Snapshot(float(self.loss.item()), st["grads"], st["params"])


def mlp_systems(params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                lr: float = LR) -> Dict[str, Callable[[np.dtype], Runner]]:
    """Factories of the available systems for one MLP classification problem."""
    systems: Dict[str, Callable[[np.dtype], Runner]] = {
        "hand NumPy": lambda dt: HandMLP(params, X, y, dt, lr)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradMLP(params, X, y, dt, lr)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchMLP(params, X, y, dt, lr)
    return systems


class HandMLPInfer(HandMLP):
    """Forward and loss only (the first half of ``HandMLP.step``)."""

    def step(self) -> None:
        p, K = self.p, self.K
        h = self.X
        for l in range(1, K):
            h = np.maximum(h @ p[f"W{l}"] + p[f"b{l}"], 0)
        z = h @ p[f"W{K}"] + p[f"b{K}"]
        z = z - z.max(axis=1, keepdims=True)
        self.loss = float((np.log(np.exp(z).sum(axis=1)) - z[np.arange(z.shape[0]), self.y]).mean())

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, {})


class TapegradMLPInfer(TapegradMLP):
    """Forward and loss under ``ag.no_grad()``."""

    def step(self) -> None:
        p, K, ag = self.p, self.K, self.ag
        with ag.no_grad():
            h = self.X
            for l in range(1, K):
                h = (h @ p[f"W{l}"] + p[f"b{l}"]).relu()
            z = h @ p[f"W{K}"] + p[f"b{K}"]
            self.loss = ag.softmax_cross_entropy(z, self.y)

    def dtypes(self) -> set:
        """dtype names of the loss and parameters (no gradients in inference)."""
        return tensor_dtypes(self.loss, list(self.p.values()))

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), {})


class TorchMLPInfer(TorchMLP):
    """Forward and loss under ``torch.no_grad()``."""

    def step(self) -> None:
        with self.torch.no_grad():
            self.loss = self.torch.nn.functional.cross_entropy(self.model(self.X), self.y)

    def snapshot(self) -> Snapshot:
        return Snapshot(float(self.loss.item()), {})


def make_w2i(quick: bool) -> Workload:
    """W2i: inference of the W2 model (forward + loss, no graph), float32."""
    sizes, batch = ((784, 32, 32, 10), 16) if quick else ((784, 256, 256, 10), 128)
    params, X, y = mlp_batch(sizes, batch)
    systems: Dict[str, Callable[[np.dtype], Runner]] = {
        "hand NumPy": lambda dt: HandMLPInfer(params, X, y, dt)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradMLPInfer(params, X, y, dt)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchMLPInfer(params, X, y, dt)
    return Workload("W2i", f"W2 inference: MLP {'-'.join(map(str, sizes))}, batch {batch}, forward + CE "
                    "under no_grad", systems, np.dtype(np.float32), unit="ms/step", scale=1e3, rounds=15)


def make_w2(quick: bool) -> Workload:
    """W2: MLP 784-256-256-10, batch 128 (quick: 784-32-32-10, batch 16), float32 timing."""
    sizes, batch = ((784, 32, 32, 10), 16) if quick else ((784, 256, 256, 10), 128)
    params, X, y = mlp_batch(sizes, batch)
    return Workload("W2", f"MLP {'-'.join(map(str, sizes))}, batch {batch}, softmax CE, fwd+bwd+SGD",
                    mlp_systems(params, X, y), np.dtype(np.float32), unit="ms/step", scale=1e3,
                    rounds=15)
