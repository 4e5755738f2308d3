"""The models behind ``--model``: nn.models' MLP, DigitsCNN and DigitsResNet."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .common import CLIError


def build_model(kind: str, in_shape: Tuple[int, ...], n_classes: int, dropout: float = 0.0,
                hidden: int = 64) -> Any:
    """mlp: nn.models.mlp (two hidden layers of ``hidden``, flattening image input);
    cnn: nn.models.DigitsCNN (conv, Inception, residual); resnet: nn.models.DigitsResNet
    (deeper). The CNNs need digits-shaped (1, 8, 8) input."""
    import nn
    from nn import models

    if kind == "mlp":
        body = models.mlp([int(np.prod(in_shape)), hidden, hidden, n_classes], dropout=dropout)
        return nn.Sequential(nn.Flatten(), body) if len(in_shape) > 1 else body
    if tuple(in_shape) != (1, 8, 8):
        raise CLIError(f"--model {kind} needs image data (--dataset digits)")
    cls = models.DigitsCNN if kind == "cnn" else models.DigitsResNet
    return cls(num_classes=n_classes, dropout=dropout)


def untrained_model(kind: str, dataset: Optional[str],
                    seed: int) -> Tuple[Any, str, Tuple[int, ...], int]:
    """The freshly initialised (seeded, eval mode) model `graph --model` and
    `gradcheck --model` look at: (model, dataset, input shape, n_classes). The input is
    shaped like ``dataset``: digits by default for cnn/resnet, moons for mlp."""
    import autograd as ag

    if kind in ("transformer", "lstm") or dataset == "addition":
        raise CLIError("the sequence models train on --dataset addition: run `tapegrad train "
                       "--dataset addition --model transformer|lstm`, which draws OUT/graph.svg")
    dataset = dataset or ("digits" if kind != "mlp" else "moons")
    in_shape, n_classes = ((1, 8, 8), 10) if dataset == "digits" else ((2,), 2)
    if kind != "mlp" and len(in_shape) != 3:
        raise CLIError(f"--model {kind} needs --dataset digits")
    ag.manual_seed(seed)
    model = build_model(kind, in_shape, n_classes)
    model.eval()
    return model, dataset, in_shape, n_classes
