"""Reusable models: an MLP builder and the digits CNN with Inception and residual blocks."""
from __future__ import annotations

from typing import Sequence

import autograd as ag

from .layers import (BatchNorm2d, Conv2d, Dropout, Flatten, Identity, Linear, MaxPool2d, ReLU,
                     Tanh, Sigmoid)
from .module import Module, Sequential

__all__ = ["mlp", "InceptionBlock", "ResidualBlock", "DigitsCNN", "DigitsResNet"]

_ACTS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def mlp(sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0) -> Sequential:
    """Linear layers of the given sizes with an activation (and dropout) between them."""
    if len(sizes) < 2:
        raise ValueError(f"mlp: need at least input and output sizes, got {list(sizes)}")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_ACTS[activation]())
            if dropout:
                layers.append(Dropout(dropout))
    return Sequential(*layers)


class InceptionBlock(Module):
    """Four parallel branches concatenated on channels: 1x1; 1x1 -> 5x5; 1x1 -> 3x3 -> 3x3;
    3x3 max-pool -> 1x1 (GoogLeNet's block, same spatial size out)."""

    def __init__(self, cin: int, c1: int, c5: int, c3: int, cp: int) -> None:
        super().__init__()
        self.b1 = Conv2d(cin, c1, 1)
        self.b5_reduce = Conv2d(cin, c5, 1)
        self.b5 = Conv2d(c5, c5, 5, padding=2)
        self.b3_reduce = Conv2d(cin, c3, 1)
        self.b3a = Conv2d(c3, c3, 3, padding=1)
        self.b3b = Conv2d(c3, c3, 3, padding=1)
        self.pool = MaxPool2d(3, stride=1, padding=1)
        self.bp = Conv2d(cin, cp, 1)
        self.out_channels = c1 + c5 + c3 + cp

    def forward(self, x):
        r = ag.relu
        y1 = r(self.b1(x))
        y5 = r(self.b5(r(self.b5_reduce(x))))
        y3 = r(self.b3b(r(self.b3a(r(self.b3_reduce(x))))))
        yp = r(self.bp(self.pool(x)))
        return ag.cat([y1, y5, y3, yp], dim=1)


class ResidualBlock(Module):
    """relu(x + conv(relu(conv(x)))), channels and size preserved."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = Conv2d(channels, channels, 3, padding=1)
        self.conv2 = Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return ag.relu(x + self.conv2(ag.relu(self.conv1(x))))


class DigitsCNN(Module):
    """(N, 1, 8, 8) -> conv 3x3 (16) -> relu -> max-pool 2 -> Inception (32 channels, 4x4)
    -> residual block -> max-pool 2 -> flatten (32*2*2) -> dropout -> linear 10."""

    def __init__(self, num_classes: int = 10, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = Conv2d(1, 16, 3, padding=1)
        self.pool1 = MaxPool2d(2)
        self.inception = InceptionBlock(16, 8, 8, 8, 8)
        self.res = ResidualBlock(32)
        self.pool2 = MaxPool2d(2)
        self.flatten = Flatten()
        self.drop = Dropout(dropout) if dropout else Identity()
        self.head = Linear(32 * 2 * 2, num_classes)

    def forward(self, x):
        x = self.pool1(ag.relu(self.conv(x)))       # (N, 16, 4, 4)
        x = self.res(self.inception(x))             # (N, 32, 4, 4)
        x = self.flatten(self.pool2(x))             # (N, 128)
        return self.head(self.drop(x))              # (N, 10)


class DigitsResNet(Module):
    """A deeper variant: conv stem, two residual blocks, Inception, pool, linear head."""

    def __init__(self, num_classes: int = 10, dropout: float = 0.0) -> None:
        super().__init__()
        self.stem = Conv2d(1, 32, 3, padding=1)
        self.res1 = ResidualBlock(32)
        self.pool1 = MaxPool2d(2)
        self.inception = InceptionBlock(32, 8, 8, 8, 8)
        self.res2 = ResidualBlock(32)
        self.pool2 = MaxPool2d(2)
        self.flatten = Flatten()
        self.drop = Dropout(dropout) if dropout else Identity()
        self.head = Linear(32 * 2 * 2, num_classes)

    def forward(self, x):
        x = self.pool1(self.res1(ag.relu(self.stem(x))))
        x = self.pool2(self.res2(self.inception(x)))
        return self.head(self.drop(self.flatten(x)))
