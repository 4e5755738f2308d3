"""The built-in datasets as the CLI trains on them (nn.data's loaders; the split is
nn.data.random_split)."""
from __future__ import annotations

from typing import Tuple

import numpy as np



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
