"""Datasets and loading: TensorDataset, DataLoader, and built-in data that needs no
network (the real 8x8 handwritten digits, vendored; generated xor, moons, circles,
spirals)."""
from __future__ import annotations

import math
import os
from typing import Iterator, Optional, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["Dataset", "TensorDataset", "DataLoader", "load_digits", "make_xor", "make_moons",
           "make_circles", "make_spirals", "train_test_split", "load_dataset"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class Dataset:
    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, i):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Rows of equally long tensors/arrays: ``ds[i] == (x[i], y[i])``."""

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        self.tensors = [np.asarray(t) for t in tensors]
        n = len(self.tensors[0])
        for k, t in enumerate(self.tensors):
            if len(t) != n:
                raise ValueError(f"TensorDataset: tensor {k} has {len(t)} rows, tensor 0 has {n}; "
                                 f"all must have the same first dimension")

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, i):
        return tuple(ag.tensor(t[i]) if np.ndim(t[i]) else ag.tensor(t[i]) for t in self.tensors)


class DataLoader:
    """Mini-batches of a dataset: ``for xb, yb in DataLoader(ds, 32, shuffle=True, seed=0)``.

    A TensorDataset is batched by slicing (fast); other datasets by stacking items.
    With ``shuffle`` each epoch draws a new permutation from ``seed`` (reproducible) or,
    without a seed, from autograd's global generator."""

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: Optional[int] = None) -> None:
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Tuple[Tensor, ...]]:
        n = len(self.dataset)
        if self.shuffle:
            rng = self._rng if self._rng is not None else ag.default_generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if len(idx) < self.batch_size and self.drop_last:
                break
            if isinstance(self.dataset, TensorDataset):
                yield tuple(ag.tensor(t[idx]) for t in self.dataset.tensors)
            else:
                items = [self.dataset[int(i)] for i in idx]
                yield tuple(ag.stack([it[k] for it in items]) for k in range(len(items[0])))


def load_digits(dtype=np.float32) -> Tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits (UCI, as distributed with scikit-learn):
    images (1797, 1, 8, 8) scaled to [0, 1], labels (1797,) int64."""
    path = os.path.join(_HERE, "datasets", "digits.csv.gz")
    raw = np.loadtxt(path, delimiter=",")
    x = (raw[:, :64] / 16.0).astype(dtype).reshape(-1, 1, 8, 8)
    y = raw[:, 64].astype(np.int64)
    return x, y


def make_xor(n: int = 200, noise: float = 0.1, seed: int = 0, dtype=np.float32):
    """Points around the four corners (+-1, +-1); label 1 where x1 * x2 < 0."""
    r = np.random.default_rng(seed)
    c = r.choice([-1.0, 1.0], size=(n, 2))
    x = c + noise * r.standard_normal((n, 2))
    y = (c[:, 0] * c[:, 1] < 0).astype(np.int64)
    return x.astype(dtype), y


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0, dtype=np.float32):
    """Two interleaving half circles (scikit-learn's construction)."""
    r = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.vstack([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                   np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    y = np.hstack([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    x = x + noise * r.standard_normal(x.shape)
    p = r.permutation(n)
    return x[p].astype(dtype), y[p]


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0,
                 dtype=np.float32):
    """A small circle (label 1) inside a large one (label 0)."""
    r = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    x = np.vstack([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                   factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.hstack([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    x = x + noise * r.standard_normal(x.shape)
    p = r.permutation(n)
    return x[p].astype(dtype), y[p]


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0,
                 dtype=np.float32):
    """``classes`` interleaved spiral arms (the CS231n toy data)."""
    r = np.random.default_rng(seed)
    per = n // classes
    xs, ys = [], []
    for k in range(classes):
        rad = np.linspace(0.0, 1, per)
        t = np.linspace(k * 4, (k + 1) * 4, per) + r.standard_normal(per) * noise
        xs.append(np.stack([rad * np.sin(t), rad * np.cos(t)], 1))
        ys.append(np.full(per, k, np.int64))
    x, y = np.vstack(xs), np.hstack(ys)
    p = r.permutation(len(y))
    return x[p].astype(dtype), y[p]


def train_test_split(*arrays, test_size: float = 0.25, seed: int = 0):
    """Shuffle rows with ``seed`` and split: returns a_train, a_test, b_train, b_test, ..."""
    n = len(arrays[0])
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size}")
    p = np.random.default_rng(seed).permutation(n)
    k = int(round(n * (1 - test_size)))
    out = []
    for a in arrays:
        a = np.asarray(a)
        out += [a[p[:k]], a[p[k:]]]
    return out


DATASETS = {"digits": None, "xor": make_xor, "moons": make_moons, "circles": make_circles,
            "spirals": make_spirals}


def load_dataset(name: str, seed: int = 0):
    """(x, y, num_classes) of a built-in dataset by name."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "digits":
        x, y = load_digits()
        return x, y, 10
    x, y = DATASETS[name](seed=seed)
    return x, y, int(y.max()) + 1
