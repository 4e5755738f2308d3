"""Data, initial weights and the optional systems (tapegrad, PyTorch, micrograd).

Everything random is drawn here, once per workload, from ``numpy.random.default_rng``
with a fixed seed, in float64; each system copies (and casts) these arrays, so all
systems start from identical weights and see identical data.

Canonical layouts (what ``Runner.snapshot`` returns): a linear layer's weight is
``(in, out)`` (``y = x @ W + b``), a convolution's is ``(out, in, kh, kw)``; PyTorch's
``nn.Linear`` stores ``(out, in)`` and its runners transpose on the way in and out.
"""
from __future__ import annotations

import importlib
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["tensor_dtypes", "SEED", "moons", "linear_init", "conv_init", "mlp_params", "one_hot",
           "tapegrad", "torch_mod", "micrograd_engine", "micrograd_nn", "tapegrad_status"]

SEED = 1234


def moons(n: int, noise: float = 0.1, seed: int = SEED) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like sklearn's make_moons), labels -1/+1.

    Returns ``X`` of shape (n, 2) and ``y`` of shape (n,), float64.
    """
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, math.pi, n_out)
    t_in = np.linspace(0.0, math.pi, n_in)
    X = np.concatenate([
        np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
        np.stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5], axis=1),
    ])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n_in)])
    perm = rng.permutation(n)
    return X[perm], y[perm]


def linear_init(rng: np.random.Generator, fan_in: int, fan_out: int) -> Tuple[np.ndarray, np.ndarray]:
    """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), weight (in, out)."""
    bound = 1.0 / math.sqrt(fan_in)
    W = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    b = rng.uniform(-bound, bound, size=(fan_out,))
    return W, b


def conv_init(rng: np.random.Generator, c_in: int, c_out: int, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """PyTorch's default Conv2d init (uniform, fan_in = c_in*k*k), weight (out, in, k, k)."""
    bound = 1.0 / math.sqrt(c_in * k * k)
    W = rng.uniform(-bound, bound, size=(c_out, c_in, k, k))
    b = rng.uniform(-bound, bound, size=(c_out,))
    return W, b


def mlp_params(sizes: Sequence[int], seed: int = SEED) -> Dict[str, np.ndarray]:
    """Weights ``W1, b1, W2, b2, ...`` of an MLP with layer sizes ``sizes`` (float64)."""
    rng = np.random.default_rng(seed)
    params: Dict[str, np.ndarray] = {}
    for i in range(len(sizes) - 1):
        W, b = linear_init(rng, sizes[i], sizes[i + 1])
        params[f"W{i + 1}"] = W
        params[f"b{i + 1}"] = b
    return params


def one_hot(y: np.ndarray, k: int, dtype: Any = np.float64) -> np.ndarray:
    """(N,) integer labels -> (N, k) one-hot matrix."""
    out = np.zeros((y.shape[0], k), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


def tensor_dtypes(loss: Any, tensors: Sequence[Any]) -> set:
    """dtype names of a tapegrad loss and of the data and ``.grad`` of ``tensors``."""
    out = {np.asarray(loss.data.numpy()).dtype.name}
    for t in tensors:
        out.add(np.asarray(t.data.numpy()).dtype.name)
        if t.grad is not None:
            out.add(np.asarray(t.grad.data.numpy()).dtype.name)
    return out


# --- optional systems -------------------------------------------------------------

def _try_import(name: str) -> Optional[Any]:
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a broken optional system is reported as missing
        return None


_TAPEGRAD: List[Any] = []


def tapegrad() -> Optional[Any]:
    """The ``autograd`` package if the engine is there (exports ``Tensor``), else None."""
    if not _TAPEGRAD:
        mod = _try_import("autograd")
        _TAPEGRAD.append(mod if mod is not None and hasattr(mod, "Tensor") else None)
    return _TAPEGRAD[0]


def tapegrad_status() -> str:
    """Human-readable reason when tapegrad is unavailable ('' when it is available)."""
    if tapegrad() is not None:
        return ""
    try:
        mod = importlib.import_module("autograd")
    except Exception as exc:  # noqa: BLE001
        return f"tapegrad skipped: importing autograd failed ({type(exc).__name__}: {exc})"
    return f"tapegrad skipped: autograd ({getattr(mod, '__file__', '?')}) does not export Tensor yet"


def torch_mod() -> Optional[Any]:
    """``torch`` or None."""
    return _try_import("torch")


def micrograd_engine() -> Optional[Any]:
    """``micrograd.engine`` or None."""
    return _try_import("micrograd.engine")


def micrograd_nn() -> Optional[Any]:
    """``micrograd.nn`` or None."""
    return _try_import("micrograd.nn")
