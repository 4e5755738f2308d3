"""Weight initialisers (PyTorch's ``torch.nn.init``), drawing from autograd's global RNG.

Fans of a weight of shape (out, in, *kernel): fan_in = in * prod(kernel),
fan_out = out * prod(kernel). Bounds and standard deviations are PyTorch's:
xavier_uniform_: U(-a, a), a = gain sqrt(6 / (fan_in + fan_out));
xavier_normal_: N(0, gain^2 2 / (fan_in + fan_out));
kaiming_uniform_: U(-b, b), b = gain sqrt(3 / fan); kaiming_normal_: N(0, gain^2 / fan).
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["calculate_gain", "zeros_", "ones_", "constant_", "normal_", "uniform_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table): 1 for linear, conv
    and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu,
    3/4 for selu.

        >>> import nn
        >>> round(nn.init.calculate_gain("relu"), 4)
        1.4142
    """
    linear = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid"]
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(t: Tensor) -> Tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (shape {tuple(t.shape)})")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    with ag.no_grad():
        t.data = np.asarray(values, dtype=t.dtype).reshape(t.shape)
    return t


def zeros_(t: Tensor) -> Tensor:
    """Fill ``t`` with 0 in place (no gradient recorded); returns ``t``.

        >>> import autograd as ag, nn
        >>> nn.init.zeros_(ag.ones(2, 3)).tolist()
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return _fill(t, np.zeros(t.shape))


def ones_(t: Tensor) -> Tensor:
    """Fill ``t`` with 1 in place (no gradient recorded); returns ``t``.

        >>> import autograd as ag, nn
        >>> nn.init.ones_(ag.zeros(3)).tolist()
        [1.0, 1.0, 1.0]
    """
    return _fill(t, np.ones(t.shape))


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill ``t`` with ``val`` in place (no gradient recorded); returns ``t``.

        >>> import autograd as ag, nn
        >>> nn.init.constant_(ag.zeros(2), 0.5).tolist()
        [0.5, 0.5]
    """
    return _fill(t, np.full(t.shape, val))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``t`` in place with draws from N(mean, std^2) (autograd's global generator).

        >>> import autograd as ag, nn
        >>> _ = ag.manual_seed(0)
        >>> w = nn.init.normal_(ag.zeros(1000), mean=2.0, std=0.5)
        >>> round(float(w.mean()), 1), round(float(w.std()), 1)
        (2.0, 0.5)
    """
    return _fill(t, ag.default_generator().normal(mean, std, t.shape))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``t`` in place with draws from U(a, b) (autograd's global generator).

        >>> import autograd as ag, nn
        >>> w = nn.init.uniform_(ag.zeros(100), -1.0, 1.0)
        >>> bool((w >= -1).all() and (w < 1).all())
        True
    """
    return _fill(t, ag.default_generator().uniform(a, b, t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot/Xavier uniform: U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)), in place.

        >>> import autograd as ag, nn
        >>> w = nn.init.xavier_uniform_(ag.zeros(30, 20))        # a = sqrt(6 / 50)
        >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
        True
    """
    fan_in, fan_out = _fans(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot/Xavier normal: N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out)), in place.

        >>> import autograd as ag, nn
        >>> _ = ag.manual_seed(0)
        >>> w = nn.init.xavier_normal_(ag.zeros(200, 300))       # std = sqrt(2 / 500)
        >>> round(float(w.std()) / (2 / 500) ** 0.5, 1)
        1.0
    """
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(t, a, mode, nonlinearity):
    fan_in, fan_out = _fans(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He/Kaiming uniform: U(-b, b) with b = gain sqrt(3 / fan), gain =
    calculate_gain(nonlinearity, a), fan = fan_in or fan_out (``mode``), in place.

        >>> import autograd as ag, nn
        >>> w = nn.init.kaiming_uniform_(ag.zeros(16, 8), nonlinearity="relu")
        >>> bool(w.abs().max() <= (2 ** 0.5) * (3 / 8) ** 0.5)   # gain sqrt(2), fan_in 8
        True
    """
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He/Kaiming normal: N(0, std^2) with std = gain / sqrt(fan), gain =
    calculate_gain(nonlinearity, a), fan = fan_in or fan_out (``mode``), in place.

        >>> import autograd as ag, nn
        >>> _ = ag.manual_seed(0)
        >>> w = nn.init.kaiming_normal_(ag.zeros(400, 200), nonlinearity="relu")
        >>> round(float(w.std()) / (2 / 200) ** 0.5, 1)           # std = sqrt(2 / fan_in)
        1.0
    """
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity))
