"""The built-in datasets as the CLI trains on them: nn.data's loaders and a seeded
train/val/test split."""
from __future__ import annotations

from typing import Tuple

import numpy as np

Arrays = Tuple[np.ndarray, np.ndarray]


def load_dataset(name: str, seed: int) -> Tuple[np.ndarray, np.ndarray, int, Tuple[int, ...]]:
    """(X, y, n_classes, input shape) of a built-in dataset: digits as (N, 1, 8, 8) in
    [0, 1]; the 2-D sets with 800 points generated from ``seed`` (spirals: 3 arms)."""
    import nn.data as D

    if name == "digits":
        X, y = D.load_digits()
    else:
        X, y = getattr(D, f"make_{name}")(n=800, seed=seed)
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y).astype(np.int64)
    return X, y, int(y.max()) + 1, X.shape[1:]


def split(X: np.ndarray, y: np.ndarray, seed: int, test: float = 0.2,
          val: float = 0.1) -> Tuple[Arrays, Arrays, Arrays]:
    """Shuffled train/val/test split (stratification is not needed at these sizes)."""
    rng = np.random.default_rng(seed + 1000)
    idx = rng.permutation(len(X))
    n_test, n_val = int(round(test * len(X))), int(round(val * len(X)))
    te, va, tr = idx[:n_test], idx[n_test:n_test + n_val], idx[n_test + n_val:]
    return (X[tr], y[tr]), (X[va], y[va]), (X[te], y[te])
