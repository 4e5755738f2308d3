"""Layers and activation modules, initialised like PyTorch's (the loss modules are in nn/losses.py)."""
from __future__ import annotations

import math
from typing import Optional, Tuple, Union

import numpy as np

import autograd as ag

from . import _args as A
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = [
    "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Dropout", "BatchNorm1d",
    "BatchNorm2d", "Identity", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh",
    "Softmax", "LogSoftmax", "Softplus", "MSELoss", "L1Loss", "HuberLoss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
]

IntPair = Union[int, Tuple[int, int]]


def _pair(v: IntPair, layer: str = "Conv2d") -> Tuple[int, int]:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2:
        return tuple(v)
    raise TypeError(f"{layer}: expected an int or a pair of ints, got {type(v).__name__} {v!r}")


def _sizes(layer: str, **sizes) -> None:
    """Each size is an int (or a tuple of ints) >= 0: TypeError / RuntimeError as PyTorch."""
    for name, v in sizes.items():
        tup = isinstance(v, tuple) and name in ("kernel_size", "stride", "padding", "dilation")
        for s in (v if tup else (v,)):
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"{layer}: {name} must be an int, got {type(s).__name__} {s!r}")
            if s < 0:
                raise ag.InvalidArgumentError(f"{layer}: {name} must be non-negative, got {v} "
                                              f"(trying to create a tensor with a negative "
                                              f"dimension)")


class Identity(Module):
    """y = x (a placeholder layer).

    >>> import autograd as ag, nn
    >>> nn.Identity()(ag.tensor([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b with W (out_features, in_features); PyTorch's init:
    W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5)), same bound for b.

    >>> import autograd as ag, nn
    >>> nn.Linear(4, 2)(ag.ones(3, 4)).shape
    (3, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        _sizes("Linear", in_features=in_features, out_features=out_features)
        A.device(device, "Linear")
        if in_features <= 0 or out_features <= 0:
            raise ag.InvalidArgumentError(f"Linear: in_features and out_features must be positive, got "
                             f"{in_features}, {out_features}")
        self.in_features, self.out_features = in_features, out_features
        dt = dtype or ag.get_default_dtype()
        self.weight = Parameter(ag.empty(out_features, in_features, dtype=dt))
        self.bias = Parameter(ag.empty(out_features, dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        x = ag.as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ag.ShapeError(f"Linear({self.in_features}, {self.out_features}): input has "
                             f"{x.shape[-1] if x.ndim else 0} features (shape "
                             f"{tuple(x.shape)}), expected "
                             f"{self.in_features}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution (cross-correlation) with PyTorch's parameters and init.

    >>> import autograd as ag, nn
    >>> nn.Conv2d(3, 8, 3, padding=1)(ag.ones(2, 3, 5, 5)).shape
    (2, 8, 5, 5)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: Union[IntPair, str] = 0, dilation: IntPair = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__()
        _sizes("Conv2d", in_channels=in_channels, out_channels=out_channels, groups=groups)
        if padding_mode in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r} is not supported; "
                                      f"pad with F.pad(x, p, mode={padding_mode!r}) and use "
                                      f"padding=0")
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode must be one of 'zeros', 'reflect', "
                             f"'replicate' or 'circular', but got padding_mode={padding_mode!r}")
        A.device(device, "Conv2d")
        if groups <= 0 or in_channels <= 0 or out_channels <= 0:
            raise ag.InvalidArgumentError(f"Conv2d: in_channels, out_channels and groups must be "
                                          f"positive, got {in_channels}, {out_channels}, {groups}")
        if in_channels % groups or out_channels % groups:
            raise ag.InvalidArgumentError(f"Conv2d: groups={groups} must divide in_channels ({in_channels}) "
                             f"and out_channels ({out_channels})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size)
        _sizes("Conv2d", kernel_size=self.kernel_size)  # PyTorch checks the kernel first
        self.stride = _pair(stride)
        if isinstance(padding, str):   # 'same' / 'valid', checked now rather than at forward
            if padding not in ("same", "valid"):
                raise ag.InvalidArgumentError(f"Conv2d: padding must be an int, a pair, 'valid' or 'same', "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ag.InvalidArgumentError(f"Conv2d: padding='same' needs stride 1, got stride={self.stride}")
            self.padding = padding
        else:
            self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        for what, v, low in (("kernel_size", self.kernel_size, 1), ("stride", self.stride, 1),
                             ("dilation", self.dilation, 1)):
            _sizes("Conv2d", **{what: v})
            if min(v) < low:
                raise ag.InvalidArgumentError(f"Conv2d: {what} must be positive, got {v}")
        if not isinstance(self.padding, str):
            _sizes("Conv2d", padding=self.padding)
        dt = A.dtype_arg(dtype, "Conv2d", ag.get_default_dtype())
        self.weight = Parameter(A.empty((out_channels, in_channels // groups) + self.kernel_size,
                                        dt, "Conv2d"))
        self.bias = Parameter(A.empty((out_channels,), dt, "Conv2d")) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        x = ag.as_tensor(x)
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ag.ShapeError(f"Conv2d({self.in_channels}, {self.out_channels}): expected input "
                             f"(N, {self.in_channels}, H, W), got shape {tuple(x.shape)}")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        # PyTorch's form: padding, dilation, groups and bias only when not the default
        pad = (f", padding={self.padding!r}" if isinstance(self.padding, str) else
               f", padding={self.padding}" if self.padding != (0, 0) else "")
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}{pad}"
                + (f", dilation={self.dilation}" if self.dilation != (1, 1) else "")
                + (f", groups={self.groups}" if self.groups != 1 else "")
                + (", bias=False" if self.bias is None else ""))


class MaxPool2d(Module):
    """Max over each window (PyTorch's arguments; ``ceil_mode`` keeps partial windows).

    >>> import autograd as ag, nn
    >>> nn.MaxPool2d(2)(ag.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, dilation: IntPair = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices:  # (PyTorch's 5th positional argument: refused, never ignored)
            raise NotImplementedError("MaxPool2d: return_indices=True is not supported")
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation, self.ceil_mode = padding, dilation, ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over each window (PyTorch's arguments, including ``count_include_pad``).

    >>> import autograd as ag, nn
    >>> nn.AvgPool2d(2)(ag.ones(1, 1, 4, 4)).shape
    (1, 1, 2, 2)
    """

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default.

    >>> import autograd as ag, nn
    >>> nn.Flatten()(ag.ones(2, 3, 4, 5)).shape
    (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ag.flatten(x, self.start_dim, self.end_dim)


class Dropout(Module):
    """Zero elements with probability p in training (scaling the rest by 1/(1-p));
    the identity in eval mode.

    >>> import autograd as ag, nn
    >>> d = nn.Dropout(0.5).eval()
    >>> d(ag.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        p = A.real(p, "p", "Dropout")
        if not 0.0 <= p <= 1.0:
            raise ag.InvalidArgumentError(f"Dropout: p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _BatchNorm(Module):
    _ndims: Tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        _sizes(type(self).__name__, num_features=num_features)
        A.device(device, type(self).__name__)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = dtype or ag.get_default_dtype()
        if affine:
            self.weight = Parameter(ag.ones(num_features, dtype=dt))
            self.bias = Parameter(ag.zeros(num_features, dtype=dt))
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features, dtype=dt))
            self.register_buffer("running_var", ag.ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", ag.tensor(0))
        else:
            self.running_mean = self.running_var = None

    def forward(self, x):
        x = ag.as_tensor(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ag.InvalidArgumentError(f"{type(self).__name__}({self.num_features}): expected input with "
                             f"{' or '.join(map(str, self._ndims))} dims and "
                             f"{self.num_features} channels in dim 1, got {tuple(x.shape)}")
        use_batch = self.training or not self.track_running_stats
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data = np.asarray(self.num_batches_tracked) + 1
        return F.batch_norm(x, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None,
                            self.weight, self.bias, use_batch, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs.

    >>> import autograd as ag, nn
    >>> _ = ag.manual_seed(0)
    >>> nn.BatchNorm1d(3)(ag.randn(4, 3)).shape
    (4, 3)
    """
    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs.

    >>> import autograd as ag, nn
    >>> _ = ag.manual_seed(0)
    >>> nn.BatchNorm2d(3)(ag.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """
    _ndims = (4,)


# --------------------------------------------------------------------------- activations
class ReLU(Module):
    """ReLU(x) = max(0, x).

    >>> import autograd as ag, nn
    >>> nn.ReLU()(ag.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x >= 0 else negative_slope * x.

    >>> import autograd as ag, nn
    >>> nn.LeakyReLU(0.5)(ag.tensor([-2.0, 3.0])).tolist()
    [-1.0, 3.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, self.inplace)


class ELU(Module):
    """ELU(x) = x if x > 0 else alpha (exp(x) - 1).

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.ELU()(ag.tensor([-1.0, 0.0, 2.0])).tolist()]
    [-0.6321, 0.0, 2.0]
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha, self.inplace)


class GELU(Module):
    """approximate: 'none' (exact, erf), 'tanh', or 'sigmoid' (x * sigmoid(1.702 x)).

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.GELU()(ag.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.1587, 0.0, 0.8413]
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh", "sigmoid"):
            raise ag.InvalidArgumentError(f"GELU: approximate must be 'none', 'tanh' or 'sigmoid', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)


class SiLU(Module):
    """SiLU(x) = x * sigmoid(x).

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.SiLU()(ag.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.7311]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.silu(x, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """Sigmoid(x) = 1 / (1 + exp(-x)).

    >>> import autograd as ag, nn
    >>> nn.Sigmoid()(ag.tensor([0.0])).tolist()
    [0.5]
    """

    def forward(self, x):
        return ag.sigmoid(x)


class Tanh(Module):
    """Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)).

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.Tanh()(ag.tensor([0.0, 1.0])).tolist()]
    [0.0, 0.7616]
    """

    def forward(self, x):
        return ag.tanh(x)


class Softmax(Module):
    """Softmax(x)_i = exp(x_i) / sum_j exp(x_j) along ``dim``.

    >>> import autograd as ag, nn
    >>> nn.Softmax(dim=1)(ag.zeros(1, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)  # (dim=None: PyTorch's implicit dim, warned)


class LogSoftmax(Module):
    """LogSoftmax(x)_i = x_i - log sum_j exp(x_j) along ``dim``.

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.LogSoftmax(dim=1)(ag.zeros(1, 2))[0].tolist()]
    [-0.6931, -0.6931]
    """

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, self.dim)  # (dim=None: PyTorch's implicit dim, warned)


class Softplus(Module):
    """Softplus(x) = log(1 + exp(beta x)) / beta (linear above ``threshold``).

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.Softplus()(ag.tensor([0.0])).tolist()]
    [0.6931]
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return ag.softplus(x, self.beta, self.threshold)


# PyTorch's reprs for the layers whose arguments are attributes (Flatten(start_dim=1, ...))
def _repr_of(*names: str):
    def extra_repr(self) -> str:
        return ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + \
            (", inplace=True" if getattr(self, "inplace", False) else "")
    return extra_repr


Flatten.extra_repr = _repr_of("start_dim", "end_dim")
LeakyReLU.extra_repr = _repr_of("negative_slope")
ELU.extra_repr = _repr_of("alpha")
GELU.extra_repr = _repr_of("approximate")
Softmax.extra_repr = _repr_of("dim")
LogSoftmax.extra_repr = _repr_of("dim")
Softplus.extra_repr = _repr_of("beta", "threshold")


# the loss modules live in nn/losses.py (re-exported here for old imports)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss,  # noqa: E402
                     L1Loss, MSELoss, NLLLoss)
