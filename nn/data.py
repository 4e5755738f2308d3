"""Datasets and loading: TensorDataset, DataLoader, and built-in data that needs no
network (the real 8x8 handwritten digits, vendored; generated xor, moons, circles,
spirals)."""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "default_collate", "DataLoader",
           "DistributedSampler", "load_digits", "make_xor", "make_moons",
           "make_circles", "make_spirals", "train_test_split", "load_dataset"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class Dataset:
    """A map-style dataset, as ``torch.utils.data.Dataset``: ``len(ds)`` rows and
    ``ds[i]`` the i-th sample (a tuple of tensors for :class:`DataLoader`).

        >>> import autograd as ag
        >>> from nn.data import Dataset, DataLoader
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return ag.tensor(float(i)), ag.tensor(float(i * i))
        >>> [yb.tolist() for _, yb in DataLoader(Squares(), batch_size=2)]
        [[0.0, 1.0], [4.0, 9.0]]
    """

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, i):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Rows of equally long tensors/arrays: ``ds[i] == (x[i], y[i])``.

        >>> import numpy as np
        >>> from nn.data import TensorDataset
        >>> ds = TensorDataset(np.arange(6.0).reshape(3, 2), np.array([0, 1, 0]))
        >>> x, y = ds[1]
        >>> len(ds), x.tolist(), int(y.item())
        (3, [2.0, 3.0], 1)
    """

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


class Subset(Dataset):
    """The rows ``indices`` of ``dataset``: ``Subset(ds, [3, 1])[0] == ds[3]``.

        >>> import numpy as np
        >>> from nn.data import TensorDataset, Subset
        >>> len(Subset(TensorDataset(np.arange(10)), [3, 1, 4]))
        3
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[int(self.indices[i])]


def random_split(dataset: Dataset, lengths: Sequence[Union[int, float]],
                 seed: Optional[int] = None) -> List[Subset]:
    """Split ``dataset`` into non-overlapping :class:`Subset` s of the given lengths, in a
    random order drawn from ``seed`` (else autograd's global generator), as
    ``torch.utils.data.random_split``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: then
    each part gets ``floor(n * f)`` rows and the ``n - sum`` rows left over go one each
    to the first parts, in order (PyTorch's rule).

        >>> import numpy as np
        >>> from nn.data import TensorDataset, random_split
        >>> train, val, test = random_split(TensorDataset(np.arange(10)), [0.7, 0.1, 0.2], seed=0)
        >>> len(train), len(val), len(test)
        (7, 1, 2)
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(x, (int, np.integer)) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts) or sum(counts) != n:
            raise ValueError(f"random_split: lengths {counts} must be >= 0 and sum to the "
                             f"dataset's {n} rows (or be fractions summing to 1)")
    else:
        fr = [float(x) for x in lengths]
        if any(not 0 <= f <= 1 for f in fr) or not math.isclose(sum(fr), 1.0, abs_tol=1e-6):
            raise ValueError(f"random_split: fractions {fr} must be in [0, 1] and sum to 1")
        counts = [int(math.floor(n * f)) for f in fr]
        for k in range(n - sum(counts)):
            counts[k % len(counts)] += 1
    rng = np.random.default_rng(seed) if seed is not None else ag.default_generator()
    order = rng.permutation(n)
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, order[start:start + c]))
        start += c
    return out


def default_collate(items: Sequence[Any]) -> Any:
    """A batch from a list of samples, as PyTorch's ``default_collate``: tensors and
    arrays are stacked along a new first axis (``ag.stack``), numbers become a 1-d
    tensor, and tuples, lists and dicts are collated field by field.

        >>> import autograd as ag
        >>> from nn.data import default_collate
        >>> xb, yb = default_collate([(ag.tensor([1.0, 2.0]), 0), (ag.tensor([3.0, 4.0]), 1)])
        >>> xb.shape, yb.tolist()
        ((2, 2), [0, 1])
    """
    first = items[0]
    if isinstance(first, Tensor):
        return ag.stack(list(items))
    if isinstance(first, (np.ndarray, np.generic, int, float)) and not isinstance(first, bool):
        return ag.tensor(np.stack([np.asarray(x) for x in items]))
    if isinstance(first, dict):
        return {k: default_collate([it[k] for it in items]) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(col)) for col in zip(*items)) \
            if isinstance(first, tuple) else [default_collate(list(c)) for c in zip(*items)]
    raise TypeError(f"default_collate: cannot batch items of type {type(first).__name__}; "
                    f"pass DataLoader(..., collate_fn=your_function)")


class DataLoader:
    """Mini-batches of a dataset: ``for xb, yb in DataLoader(ds, 32, shuffle=True, seed=0)``.

    A TensorDataset is batched by slicing (fast); other datasets by ``collate_fn``
    (default :func:`default_collate`: stacks the items' fields) on the list of items.
    With ``shuffle`` each epoch draws a new permutation from ``seed`` (reproducible) or,
    without a seed, from autograd's global generator. ``sampler`` (an iterable of
    indices with a length, e.g. :class:`DistributedSampler`) gives the order instead;
    it excludes ``shuffle``, as in PyTorch.

        >>> import numpy as np
        >>> from nn.data import TensorDataset, DataLoader
        >>> ds = TensorDataset(np.arange(10.0), np.arange(10) % 2)
        >>> [xb.shape for xb, yb in DataLoader(ds, batch_size=4, shuffle=True, seed=0)]
        [(4,), (4,), (2,)]
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: Optional[int] = None,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None,
                 sampler: Optional[Any] = None) -> None:
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; "
                             "let the sampler shuffle (DistributedSampler(shuffle=True))")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.sampler = sampler
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Tuple[Tensor, ...]]:
        n = len(self.dataset)
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), dtype=np.int64)
            n = len(order)
        elif self.shuffle:
            rng = self._rng if self._rng is not None else ag.default_generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if len(idx) < self.batch_size and self.drop_last:
                break
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is None:
                yield tuple(ag.tensor(t[idx]) for t in self.dataset.tensors)
            else:
                items = [self.dataset[int(i)] for i in idx]
                yield (self.collate_fn or default_collate)(items)


class DistributedSampler:
    """The indices of one rank's share of a dataset (PyTorch's DistributedSampler).

    Every rank builds the same order (a permutation drawn from ``seed + epoch`` when
    ``shuffle``, else 0..n-1), pads it by repeating its start up to a multiple of
    ``num_replicas`` (or, with ``drop_last``, cuts the tail off instead), and takes every
    ``num_replicas``-th index starting at ``rank``. So the ranks' shares are disjoint
    (but for the padding), equally long (``ceil(n / R)``, or ``floor(n / R)`` with
    ``drop_last``) and together cover the dataset. Call ``set_epoch(e)`` at the start
    of each epoch to get a new shuffle (the same on every rank). ``num_replicas`` and
    ``rank`` default to nn.distributed's world size and rank. The permutation comes from
    NumPy (``default_rng(seed + epoch)``), so the shuffled order differs from PyTorch's;
    the padding and the split are PyTorch's exactly.

    >>> import nn.data
    >>> s = nn.data.DistributedSampler(list(range(10)), num_replicas=2, rank=0, shuffle=False)
    >>> list(s)
    [0, 2, 4, 6, 8]
    """

    def __init__(self, dataset, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from . import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "nn.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            idx = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            idx = np.arange(n)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:
                idx = np.concatenate([idx, np.resize(idx, pad)])  # repeats idx as needed
        else:
            idx = idx[:self.total_size]
        return iter(idx[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s shuffle (the same on every rank for the same epoch)."""
        self.epoch = int(epoch)


def load_digits(dtype=np.float32) -> Tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits (UCI, as distributed with scikit-learn):
    images (1797, 1, 8, 8) scaled to [0, 1], labels (1797,) int64.

        >>> from nn.data import load_digits
        >>> x, y = load_digits()
        >>> x.shape, y.shape, float(x.max()), sorted(set(y.tolist())) == list(range(10))
        ((1797, 1, 8, 8), (1797,), 1.0, True)
    """
    path = os.path.join(_HERE, "datasets", "digits.csv.gz")
    raw = np.loadtxt(path, delimiter=",")
    x = (raw[:, :64] / 16.0).astype(dtype).reshape(-1, 1, 8, 8)
    y = raw[:, 64].astype(np.int64)
    return x, y


def make_xor(n: int = 200, noise: float = 0.1, seed: int = 0, dtype=np.float32):
    """Points around the four corners (+-1, +-1); label 1 where x1 * x2 < 0.

        >>> from nn.data import make_xor
        >>> x, y = make_xor(n=100, seed=0)
        >>> x.shape, set(y.tolist())
        ((100, 2), {0, 1})
    """
    r = np.random.default_rng(seed)
    c = r.choice([-1.0, 1.0], size=(n, 2))
    x = c + noise * r.standard_normal((n, 2))
    y = (c[:, 0] * c[:, 1] < 0).astype(np.int64)
    return x.astype(dtype), y


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0, dtype=np.float32):
    """Two interleaving half circles (scikit-learn's construction).

        >>> from nn.data import make_moons
        >>> x, y = make_moons(n=200, seed=0)
        >>> x.shape, int(y.sum())                      # 100 points per moon
        ((200, 2), 100)
    """
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
    """A small circle (label 1) inside a large one (label 0).

        >>> import numpy as np
        >>> from nn.data import make_circles
        >>> x, y = make_circles(n=200, noise=0.0, seed=0)
        >>> r = np.hypot(x[:, 0], x[:, 1])
        >>> float(r[y == 0].mean().round(3)), float(r[y == 1].mean().round(3))
        (1.0, 0.5)
    """
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
    """``classes`` interleaved spiral arms (the CS231n toy data).

        >>> from nn.data import make_spirals
        >>> x, y = make_spirals(n=300, classes=3, seed=0)
        >>> x.shape, sorted(set(y.tolist()))
        ((300, 2), [0, 1, 2])
    """
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
    """Shuffle rows with ``seed`` and split: returns a_train, a_test, b_train, b_test, ...

        >>> import numpy as np
        >>> from nn.data import train_test_split
        >>> xtr, xte, ytr, yte = train_test_split(np.arange(8), np.arange(8) * 10, test_size=0.25)
        >>> len(xtr), len(xte), bool((ytr == xtr * 10).all())
        (6, 2, True)
    """
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
    """(x, y, num_classes) of a built-in dataset by name.

        >>> from nn.data import load_dataset
        >>> x, y, k = load_dataset("spirals")
        >>> x.shape, k
        ((300, 2), 3)
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "digits":
        x, y = load_digits()
        return x, y, 10
    x, y = DATASETS[name](seed=seed)
    return x, y, int(y.max()) + 1
