"""The models of nn/models.py learn the digits (issue 4, Done means 5).

The seed's CNN shape, ``nn.models.DigitsCNN`` (conv, max-pool, an Inception block
concatenating 1x1, 5x5, 3x3-3x3 and pooled branches, a residual block
``relu(x + conv(relu(conv(x))))``, a linear head), reaches >= 97% test accuracy on the
8x8 digits, and an MLP (``nn.models.mlp``) >= 95%, each with a fixed seed, trained by
a plain loop over ``nn.data`` (no CLI involved): Adam, the learning rate decayed
linearly to 0 by ``PolynomialLR``, batches of 32, label smoothing 0.1 for the CNN.
The 1,797 images are split 80/20 by ``nn.data.train_test_split(seed=0)``.
"""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim
from nn.data import DataLoader, TensorDataset, load_digits, train_test_split
from nn.models import DigitsCNN, InceptionBlock, ResidualBlock, mlp
from nn.optim.lr_scheduler import PolynomialLR


def _fit(model, Xtr, ytr, epochs: int, lr: float, label_smoothing: float = 0.0):
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = PolynomialLR(opt, total_iters=epochs)
    lossf = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True, seed=0)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = lossf(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return model


def _accuracy(model, X, y) -> float:
    model.eval()
    with ag.no_grad():
        pred = np.asarray(model(ag.tensor(X)).data.numpy()).argmax(1)
    return float((pred == y).mean())


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=0)
    return Xtr, Xte, ytr, yte


def test_digits_cnn_has_the_seed_shape():
    m = DigitsCNN()
    kinds = [type(c).__name__ for c in m.children()]
    assert kinds[:4] == ["Conv2d", "MaxPool2d", "InceptionBlock", "ResidualBlock"], kinds
    assert isinstance(m.head, nn.Linear)
    inc = m.inception
    assert isinstance(inc, InceptionBlock) and isinstance(m.res, ResidualBlock)
    # the four branches: 1x1; 1x1 -> 5x5; 1x1 -> 3x3 -> 3x3; 3x3 pool -> 1x1
    assert inc.b1.weight.shape[2:] == (1, 1)
    assert inc.b5.weight.shape[2:] == (5, 5)
    assert inc.b3a.weight.shape[2:] == (3, 3) and inc.b3b.weight.shape[2:] == (3, 3)
    assert inc.bp.weight.shape[2:] == (1, 1)
    x = ag.randn(2, 16, 4, 4)
    out = inc(x)
    assert out.shape == (2, inc.out_channels, 4, 4)
    # the residual block is relu(x + conv2(relu(conv1(x))))
    r = m.res
    h = ag.randn(2, 32, 4, 4)
    want = ag.relu(h + r.conv2(ag.relu(r.conv1(h))))
    assert np.allclose(r(h).data.numpy(), want.data.numpy())
    assert m(ag.randn(3, 1, 8, 8)).shape == (3, 10)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_digits_cnn_reaches_97(digits):
    Xtr, Xte, ytr, yte = digits
    ag.manual_seed(0)
    model = _fit(DigitsCNN(), Xtr, ytr, epochs=20, lr=3e-3, label_smoothing=0.1)
    acc = _accuracy(model, Xte, yte)
    assert acc >= 0.97, acc


@pytest.mark.timeout(300)
def test_digits_mlp_reaches_95(digits):
    Xtr, Xte, ytr, yte = digits
    ag.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), mlp([64, 128, 64, 10]))
    model = _fit(model, Xtr, ytr, epochs=20, lr=3e-3)
    acc = _accuracy(model, Xte, yte)
    assert acc >= 0.95, acc
