"""The layer constructors take PyTorch 2.13's positional parameter order, so a positional
call never means something else here (``MaxPool2d(2, 2, 0, 1, True)`` is return_indices,
not ceil_mode; ``Linear(2, 3, True, 'cpu')`` is the device, not the dtype)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import autograd as ag
import nn


def _positional(f) -> list:
    return [p.name for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


@pytest.mark.parametrize("name", ["Linear", "Conv2d", "Conv1d", "ConvTranspose2d", "MaxPool2d",
                                  "BatchNorm1d", "BatchNorm2d", "Dropout"])
def test_positional_parameters_are_a_prefix_of_torchs(name):
    ours, theirs = _positional(getattr(nn, name).__init__), _positional(getattr(torch.nn, name).__init__)
    assert ours == theirs[:len(ours)], (ours, theirs)


def test_positional_device_and_padding_mode():
    assert nn.Linear(2, 3, True, "cpu").weight.shape == (3, 2)
    assert nn.BatchNorm1d(3, 1e-5, 0.1, True, True, "cpu").weight.shape == (3,)
    assert nn.Conv2d(1, 2, 3, 1, 0, 1, 1, True, "zeros").weight.shape == (2, 1, 3, 3)
    with pytest.raises(RuntimeError, match="Linear: device 'cuda'"):
        nn.Linear(2, 3, True, "cuda")
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be one of"):
        nn.Conv2d(1, 2, 3, padding_mode="zero")
    with pytest.raises(ValueError):
        torch.nn.Conv2d(1, 2, 3, padding_mode="zero")
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not supported"):
        nn.Conv2d(1, 2, 3, padding_mode="reflect")


def test_max_pool_positional_return_indices_is_refused_not_read_as_ceil_mode():
    with pytest.raises(NotImplementedError, match="MaxPool2d: return_indices"):
        nn.MaxPool2d(2, 2, 0, 1, True)
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    ours = nn.MaxPool2d(2, 2, 0, 1, False, True)(ag.tensor(x))
    theirs = torch.nn.MaxPool2d(2, 2, 0, 1, False, True)(torch.tensor(x))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_huge_conv_and_ragged_channels_are_clear_errors():
    with pytest.raises(MemoryError, match="Conv2d: its parameters would take"):
        nn.Conv2d(2 ** 40, 1, 3)
    with pytest.raises(TypeError, match="Conv1d: in_channels, out_channels and groups must be ints"):
        nn.Conv1d(((2,), 3), 1, 2, 1, 0, 1, np.array([1 + 2j]))
