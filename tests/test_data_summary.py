"""nn.data.random_split / Subset / default_collate / DataLoader(collate_fn=) and
nn.summary, the library pieces the CLI is built on (PyTorch's semantics)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn.data import DataLoader, Subset, TensorDataset, default_collate, random_split


def test_random_split_counts_fractions_and_disjoint_cover():
    ds = TensorDataset(np.arange(10), np.arange(10) * 2)
    parts = random_split(ds, [0.7, 0.1, 0.2], seed=0)
    assert [len(p) for p in parts] == [7, 1, 2]
    idx = np.concatenate([p.indices for p in parts])
    assert sorted(idx.tolist()) == list(range(10))
    x, y = parts[0][0]
    assert float(y.item()) == 2 * float(x.item())
    # PyTorch's rule for fractions: floor, then the remainder one by one from the front
    g = torch.Generator().manual_seed(0)
    for fr, n in [([0.5, 0.3, 0.2], 11), ([1 / 3] * 3, 10), ([0.25, 0.75], 7)]:
        want = [len(p) for p in torch.utils.data.random_split(range(n), fr, generator=g)]
        got = [len(p) for p in random_split(TensorDataset(np.arange(n)), fr, seed=1)]
        assert got == want, (fr, n)
    assert [len(p) for p in random_split(ds, [3, 7], seed=0)] == [3, 7]
    a = random_split(ds, [5, 5], seed=3)[0].indices
    assert (a == random_split(ds, [5, 5], seed=3)[0].indices).all()
    for bad in ([3, 3], [0.5, 0.6], [-1, 11]):
        with pytest.raises(ValueError, match="random_split"):
            random_split(ds, bad, seed=0)


def test_default_collate_and_collate_fn():
    xb, yb = default_collate([(ag.tensor([1.0, 2.0]), 0), (ag.tensor([3.0, 4.0]), 1)])
    assert xb.shape == (2, 2) and yb.tolist() == [0, 1]
    d = default_collate([{"a": np.ones(3), "b": 1.5}, {"a": np.zeros(3), "b": 2.5}])
    assert d["a"].shape == (2, 3) and d["b"].tolist() == [1.5, 2.5]
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    ds = TensorDataset(np.arange(6.0).reshape(3, 2), np.array([0, 1, 2]))
    sub = Subset(ds, [2, 0])
    (xb, yb), = list(DataLoader(sub, batch_size=2))
    assert xb.tolist() == [[4.0, 5.0], [0.0, 1.0]] and yb.tolist() == [2, 0]
    sums = [b for b in DataLoader(ds, batch_size=2, collate_fn=lambda items: len(items))]
    assert sums == [2, 1]


def test_summary_shapes_counts_and_mode():
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    model.train()
    text = nn.summary(model, ag.zeros(4, 2))
    assert model.training                                     # mode restored
    lines = text.splitlines()
    assert "| 0       | Linear     |          4x8 |         24 |" in lines
    assert lines[-1] == "51 parameters (51 trainable)"
    cnn = nn.models.DigitsCNN()
    text = nn.summary(cnn, ag.zeros(2, 1, 8, 8), depth=1)
    n = sum(int(np.prod(p.shape)) for p in cnn.parameters())
    assert text.splitlines()[-1] == f"{n:,} parameters ({n:,} trainable)"
    rows = [l for l in text.splitlines() if l.startswith("| ") and "module" not in l]
    assert sum(int(l.split("|")[-2].replace(",", "")) for l in rows) == n
    assert all("." not in l.split("|")[1] for l in rows)      # depth 1 only
    assert "2x10" in text and "(model)" in nn.summary(cnn)    # without input: no shapes
