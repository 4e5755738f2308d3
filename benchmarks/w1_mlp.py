"""W1 and W1s: the micrograd demo model, an MLP 2-16-16-1 on 2-D moons with labels +-1.

Loss (micrograd's demo, regularising every parameter, biases included)::

    s_n  = MLP(x_n)                                   scores, (N,)
    L    = (1/N) sum_n relu(1 - y_n s_n) + alpha * sum_p ||p||^2,   alpha = 1e-4

One iteration is forward, backward and a plain SGD step ``p <- p - lr * dL/dp``.

W1 is the vectorised model (hand NumPy, tapegrad, PyTorch); W1s builds the same model
from scalars, one 0-d tensor (or micrograd ``Value``) per weight, with micrograd-style
neurons ``act = b + sum_i w_i x_i`` (tapegrad, PyTorch, micrograd's own ``MLP``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence

import numpy as np

from .common import (SEED, micrograd_engine, micrograd_nn, mlp_params, moons, tapegrad, tensor_dtypes,
                     torch_mod)
from .harness import Runner, Snapshot, Workload

ALPHA = 1e-4
LR = 0.05
SIZES = (2, 16, 16, 1)


def _f64(d: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64) for k, v in d.items()}


# --- W1: vectorised -------------------------------------------------------------------

class HandW1:
    """Hand-written NumPy forward and backward of the MLP with hinge loss and L2.

    Forward (X: (N,2), weights (in,out))::

        z1 = X W1 + b1,  h1 = relu(z1)
        z2 = h1 W2 + b2, h2 = relu(z2)
        s  = h2 W3 + b3                     (N,1)
        m  = 1 - y * s
        L  = mean(relu(m)) + alpha * sum_p sum(p**2)

    Backward (``[c]`` is 1 where c holds, else 0; relu'(0) = 0 as in PyTorch)::

        ds  = -y * [m > 0] / N              (N,1)
        dW3 = h2^T ds + 2 alpha W3,   db3 = sum_n ds + 2 alpha b3
        dz2 = (ds W3^T) * [z2 > 0]
        dW2 = h1^T dz2 + 2 alpha W2,  db2 = sum_n dz2 + 2 alpha b2
        dz1 = (dz2 W2^T) * [z1 > 0]
        dW1 = X^T dz1 + 2 alpha W1,   db1 = sum_n dz1 + 2 alpha b1
    """

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        self.p = {k: v.astype(dtype) for k, v in params.items()}
        self.X = X.astype(dtype)
        self.y = y.astype(dtype)[:, None]
        self.g: Dict[str, np.ndarray] = {}
        self.loss = 0.0

    def step(self) -> None:
        p, X, y = self.p, self.X, self.y
        n = X.shape[0]
        z1 = X @ p["W1"] + p["b1"]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ p["W2"] + p["b2"]
        h2 = np.maximum(z2, 0)
        s = h2 @ p["W3"] + p["b3"]                      # (N,1)
        m = 1 - y * s
        reg = sum(float(np.vdot(w, w)) for w in p.values())
        self.loss = float(np.maximum(m, 0).sum()) / n + ALPHA * reg

        ds = np.where(m > 0, -y, 0) / n                 # (N,1)
        g = {"W3": h2.T @ ds, "b3": ds.sum(0)}
        dz2 = (ds @ p["W3"].T) * (z2 > 0)
        g["W2"] = h1.T @ dz2
        g["b2"] = dz2.sum(0)
        dz1 = (dz2 @ p["W2"].T) * (z1 > 0)
        g["W1"] = X.T @ dz1
        g["b1"] = dz1.sum(0)
        for k, w in p.items():
            gk = g[k]
            gk += (2 * ALPHA) * w
            w -= LR * gk
        self.g = g

    def snapshot(self) -> Snapshot:
        return Snapshot(self.loss, _f64(self.g), _f64(self.p))


class TapegradW1:
    """The same model with tapegrad ops (``@``, ``+``, ``relu``, ``mean``, ``sum``)."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        ag = tapegrad()
        self.p = {k: ag.tensor(v.astype(dtype), requires_grad=True) for k, v in params.items()}
        self.X = ag.tensor(X.astype(dtype))
        self.y = ag.tensor(y.astype(dtype))
        self.loss: Any = None

    def step(self) -> None:
        p = self.p
        for t in p.values():
            t.grad = None
        h = (self.X @ p["W1"] + p["b1"]).relu()
        h = (h @ p["W2"] + p["b2"]).relu()
        s = (h @ p["W3"] + p["b3"]).reshape(-1)         # (N,)
        loss = (1 - self.y * s).relu().mean() + ALPHA * sum((w * w).sum() for w in p.values())
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


def torch_dtype(dtype: np.dtype) -> Any:
    """The torch dtype of a NumPy float dtype."""
    torch = torch_mod()
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def torch_mlp(params: Dict[str, np.ndarray], dtype: np.dtype) -> Any:
    """``nn.Sequential`` of Linear/ReLU with the canonical weights copied in (transposed)."""
    torch = torch_mod()
    n_layers = len(params) // 2
    mods: List[Any] = []
    for i in range(1, n_layers + 1):
        W = params[f"W{i}"]
        lin = torch.nn.Linear(W.shape[0], W.shape[1], dtype=torch_dtype(dtype))
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            lin.bias.copy_(torch.from_numpy(params[f"b{i}"]))
        mods.append(lin)
        if i < n_layers:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def torch_mlp_state(model: Any) -> Dict[str, Dict[str, np.ndarray]]:
    """Canonical grads and params (weights back to (in, out)) of a ``torch_mlp``."""
    grads: Dict[str, np.ndarray] = {}
    params: Dict[str, np.ndarray] = {}
    lins = [m for m in model if hasattr(m, "weight")]
    for i, lin in enumerate(lins, 1):
        grads[f"W{i}"] = lin.weight.grad.detach().numpy().T
        grads[f"b{i}"] = lin.bias.grad.detach().numpy()
        params[f"W{i}"] = lin.weight.detach().numpy().T
        params[f"b{i}"] = lin.bias.detach().numpy()
    return {"grads": _f64(grads), "params": _f64(params)}


class TorchW1:
    """PyTorch as one writes it: ``nn.Sequential`` of ``nn.Linear``, ``optim.SGD``."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        torch = self.torch = torch_mod()
        self.model = torch_mlp(params, dtype)
        self.params = list(self.model.parameters())
        self.opt = torch.optim.SGD(self.params, lr=LR)
        self.X = torch.from_numpy(X.astype(dtype))
        self.y = torch.from_numpy(y.astype(dtype))
        self.loss: Any = None

    def step(self) -> None:
        torch = self.torch
        self.opt.zero_grad(set_to_none=True)
        s = self.model(self.X).squeeze(1)
        loss = torch.relu(1 - self.y * s).mean() + ALPHA * sum((w * w).sum() for w in self.params)
        loss.backward()
        self.opt.step()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def snapshot(self) -> Snapshot:
        st = torch_mlp_state(self.model)
        return Snapshot(float(self.loss.item()), st["grads"], st["params"])


def make_w1(quick: bool) -> Workload:
    """W1: vectorised MLP 2-16-16-1 on 100 moons (20 in quick mode), float32 timing."""
    n = 20 if quick else 100
    X, y = moons(n)
    params = mlp_params(SIZES, seed=SEED)
    systems: Dict[str, Callable[[np.dtype], Runner]] = {"hand NumPy": lambda dt: HandW1(params, X, y, dt)}
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradW1(params, X, y, dt)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchW1(params, X, y, dt)
    return Workload("W1", f"MLP 2-16-16-1 on {n} points, hinge + L2, fwd+bwd+SGD", systems,
                    np.dtype(np.float32), unit="ms/step", scale=1e3, rounds=15)


# --- W1s: built from scalars ----------------------------------------------------------

class ScalarNeuron:
    """micrograd's neuron for any scalar type with ``+ * relu``: ``b + sum_i w_i x_i``."""

    def __init__(self, w: List[Any], b: Any, nonlin: bool) -> None:
        self.w, self.b, self.nonlin = w, b, nonlin

    def __call__(self, x: Sequence[Any]) -> Any:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act


class ScalarMLP:
    """Layers of ``ScalarNeuron``; one scalar parameter object per weight."""

    def __init__(self, params: Dict[str, np.ndarray], make_param: Callable[[float], Any]) -> None:
        n_layers = len(params) // 2
        self.layers: List[List[ScalarNeuron]] = []
        for i in range(1, n_layers + 1):
            W, b = params[f"W{i}"], params[f"b{i}"]
            self.layers.append([ScalarNeuron([make_param(float(W[r, j])) for r in range(W.shape[0])],
                                             make_param(float(b[j])), i < n_layers)
                                for j in range(W.shape[1])])

    def __call__(self, x: Sequence[Any]) -> Any:
        for layer in self.layers:
            out = [n(x) for n in layer]
            x = out
        return x[0]

    def parameters(self) -> List[Any]:
        return [p for layer in self.layers for n in layer for p in n.w + [n.b]]


def scalar_loss(model: Callable[[Sequence[Any]], Any], X: List[List[float]], y: List[float],
                params: List[Any]) -> Any:
    """micrograd's demo loss: mean hinge over the points + alpha * sum of squared params."""
    scores = [model(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


def scalar_state(layers: List[List[Any]], value: Callable[[Any], float],
                 grad: Callable[[Any], float]) -> Dict[str, Dict[str, np.ndarray]]:
    """Canonical arrays from neuron lists (``n.w``, ``n.b``), via accessors for value/grad."""
    grads: Dict[str, np.ndarray] = {}
    params: Dict[str, np.ndarray] = {}
    for i, layer in enumerate(layers, 1):
        grads[f"W{i}"] = np.array([[grad(n.w[r]) for n in layer] for r in range(len(layer[0].w))])
        params[f"W{i}"] = np.array([[value(n.w[r]) for n in layer] for r in range(len(layer[0].w))])
        grads[f"b{i}"] = np.array([grad(n.b) for n in layer])
        params[f"b{i}"] = np.array([value(n.b) for n in layer])
    return {"grads": grads, "params": params}


class TapegradW1s:
    """The scalar model with one tapegrad 0-d tensor per weight."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        ag = tapegrad()
        self.model = ScalarMLP(params, lambda v: ag.tensor(v, requires_grad=True, dtype=dtype))
        self.params = self.model.parameters()
        self.X = X.tolist()
        self.y = y.tolist()
        self.loss: Any = None

    def step(self) -> None:
        for p in self.params:
            p.grad = None
        loss = scalar_loss(self.model, self.X, self.y, self.params)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad.data.numpy()
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def dtypes(self) -> set:
        """dtype names of the loss, parameters and gradients as tapegrad computed them."""
        return tensor_dtypes(self.loss, self.params)

    def snapshot(self) -> Snapshot:
        st = scalar_state(self.model.layers, lambda t: float(t.item()), lambda t: float(t.grad.item()))
        return Snapshot(float(self.loss.item()), st["grads"], st["params"])


class TorchW1s:
    """The scalar model with one PyTorch 0-d tensor per weight."""

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        torch = self.torch = torch_mod()
        tdt = torch_dtype(dtype)
        self.model = ScalarMLP(params, lambda v: torch.tensor(v, dtype=tdt, requires_grad=True))
        self.params = self.model.parameters()
        self.X = X.tolist()
        self.y = y.tolist()
        self.loss: Any = None

    def step(self) -> None:
        for p in self.params:
            p.grad = None
        loss = scalar_loss(self.model, self.X, self.y, self.params)
        loss.backward()
        with self.torch.no_grad():
            for p in self.params:
                p.sub_(p.grad, alpha=LR)
        self.loss = loss.detach()  # not the graph: holding it would keep the nodes alive

    def snapshot(self) -> Snapshot:
        st = scalar_state(self.model.layers, lambda t: float(t.item()), lambda t: float(t.grad.item()))
        return Snapshot(float(self.loss.item()), st["grads"], st["params"])


class MicrogradW1s:
    """micrograd itself: ``micrograd.nn.MLP(2, [16, 16, 1])`` with our weights copied in.

    micrograd computes in Python floats (float64) whatever the requested dtype.
    """

    def __init__(self, params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                 dtype: np.dtype) -> None:
        mnn = micrograd_nn()
        self.model = mnn.MLP(SIZES[0], list(SIZES[1:]))
        for i, layer in enumerate(self.model.layers, 1):
            W, b = params[f"W{i}"], params[f"b{i}"]
            for j, neuron in enumerate(layer.neurons):
                for r, w in enumerate(neuron.w):
                    w.data = float(W[r, j])
                neuron.b.data = float(b[j])
        self.params = self.model.parameters()
        self.X = X.tolist()
        self.y = y.tolist()
        self.loss: Any = None

    def step(self) -> None:
        self.model.zero_grad()
        loss = scalar_loss(self.model, self.X, self.y, self.params)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        self.loss = loss.data

    def snapshot(self) -> Snapshot:
        layers = [layer.neurons for layer in self.model.layers]
        st = scalar_state(layers, lambda v: v.data, lambda v: v.grad)
        return Snapshot(float(self.loss), st["grads"], st["params"])


def make_w1s(quick: bool) -> Workload:
    """W1s: the W1 model from scalars, 100 points (8 in quick mode), float64 throughout."""
    n = 8 if quick else 100
    X, y = moons(n)
    params = mlp_params(SIZES, seed=SEED)
    systems: Dict[str, Callable[[np.dtype], Runner]] = {}
    if micrograd_nn() is not None and micrograd_engine() is not None:
        systems["micrograd"] = lambda dt: MicrogradW1s(params, X, y, dt)
    if tapegrad() is not None:
        systems["tapegrad"] = lambda dt: TapegradW1s(params, X, y, dt)
    if torch_mod() is not None:
        systems["PyTorch"] = lambda dt: TorchW1s(params, X, y, dt)
    return Workload("W1s", f"the W1 model from scalars (0-d tensors), {n} points, fwd+bwd+SGD",
                    systems, np.dtype(np.float64), unit="ms/step", scale=1e3,
                    rounds=2 if quick else 5, warmup=1, target_round_s=0.0,
                    reference="micrograd",
                    notes="float64 everywhere (micrograd computes in Python floats); ratio vs micrograd")
