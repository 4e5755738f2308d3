"""Conv1d, ConvTranspose2d, AdaptiveAvgPool2d and Upsample (PyTorch's parameters,
shapes, initialisation and defaults), built on autograd's composites."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

import autograd as ag

from . import _args as A
from . import _functional_layers as FL
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "ConvTranspose2d", "AdaptiveAvgPool2d", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v, n: int, name: str, layer: str) -> Tuple[int, ...]:
    if A.is_int(v) or getattr(v, "shape", None) == ():
        return (A.int_arg(v, name, layer),) * n
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, got "
                        f"{type(v).__name__} {v!r}"[:200])
    t = tuple(A.int_arg(x, name, layer) for x in v)
    if len(t) != n:   # (PyTorch: a weight of the wrong rank, or a conv error: RuntimeError)
        raise ag.InvalidArgumentError(f"{layer}: {name} must be an int or a {n}-tuple, got "
                                      f"{v!r}")
    return t


def _channels(layer: str, in_channels, out_channels, groups) -> Tuple[int, int, int]:
    """PyTorch's _ConvNd checks, in its order: groups positive, dividing both channel
    counts (ValueError), then the channel counts as sizes (TypeError / RuntimeError)."""
    try:
        if groups <= 0:
            raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{layer}: groups={groups} must divide in_channels "
                             f"({in_channels}) and out_channels ({out_channels})")
    except (TypeError, ValueError) as exc:   # (ValueError: NumPy's, for a ragged argument)
        if isinstance(exc, ValueError) and str(exc).startswith(layer):
            raise
        raise TypeError(f"{layer}: in_channels, out_channels and groups must be ints, got "
                        f"{in_channels!r}, {out_channels!r} and {groups!r}"[:200]) from None
    return in_channels, out_channels, groups


def _sized(layer: str, in_channels, out_channels, groups) -> Tuple[int, int, int]:
    """The channel counts and groups as ints (PyTorch: when the weight is allocated)."""
    return (A.size(in_channels, "in_channels", layer), A.size(out_channels, "out_channels", layer),
            A.int_arg(groups, "groups", layer))


def _check_device(device, layer: str) -> None:
    A.device(device, layer)


def _conv_init(weight: Parameter, bias: Optional[Parameter]) -> None:
    """PyTorch's _ConvNd.reset_parameters: kaiming_uniform(a=sqrt(5)) on the weight,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias, fan_in = weight.shape[1] * prod(kernel)."""
    if math.prod(weight.shape) == 0:
        return                  # (PyTorch: initialising a zero-element tensor is a no-op)
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = weight.shape[1] * int(np.prod(weight.shape[2:]))
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


class Conv1d(Module):
    """1-D convolution over (N, C, L) or (C, L) inputs; weight (out, in / groups, k),
    bias (out,). ``padding_mode`` 'zeros', 'reflect', 'replicate' or 'circular'.

    >>> import autograd as ag, nn
    >>> nn.Conv1d(2, 4, 3, padding=1)(ag.ones(1, 2, 10)).shape
    (1, 4, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding: Union[int, Sequence[int], str] = 0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        _channels("Conv1d", in_channels, out_channels, groups)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv1d: padding must be an int, a 1-tuple, 'valid' or "
                                 f"'same', got {padding!r}")
            if padding == "same" and stride not in (1, (1,), [1]):
                raise ValueError("Conv1d: padding='same' is not supported for strided "
                                 "convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"Conv1d: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.kernel_size = _tuple(kernel_size, 1, "kernel_size", "Conv1d")
        _check_device(device, "Conv1d")   # (PyTorch: at the weight's torch.empty(device=))
        in_channels, out_channels, groups = _sized("Conv1d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        dt = A.dtype_arg(dtype, "Conv1d", ag.get_default_dtype())
        self.weight = Parameter(A.empty((out_channels, in_channels // groups) + self.kernel_size,
                                        dt, "Conv1d"))
        self.stride = _tuple(stride, 1, "stride", "Conv1d")
        self.dilation = _tuple(dilation, 1, "dilation", "Conv1d")
        if isinstance(padding, str):
            self.padding = padding
        else:
            self.padding = _tuple(padding, 1, "padding", "Conv1d")
        self.padding_mode = padding_mode
        self.bias = Parameter(A.empty((out_channels,), dt, "Conv1d")) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _conv_init(self.weight, self.bias)

    def _explicit_padding(self) -> Tuple[int, int]:
        if self.padding == "valid":
            return (0, 0)
        if self.padding == "same":
            total = self.dilation[0] * (self.kernel_size[0] - 1)
            return (total // 2, total - total // 2)
        return (self.padding[0], self.padding[0])

    def forward(self, x):
        x = ag.as_tensor(x)
        if x.ndim not in (2, 3) or x.shape[-2] != self.in_channels:
            raise ag.ShapeError(f"Conv1d({self.in_channels}, {self.out_channels}): expected input "
                             f"(N, {self.in_channels}, L) or ({self.in_channels}, L), got shape "
                             f"{tuple(x.shape)}")
        if self.out_channels == 0:     # (PyTorch's conv refuses an empty weight)
            raise ag.ShapeError(f"Conv1d({self.in_channels}, 0): expected the weight to have "
                                f"at least 1 output channel, got weight of shape "
                                f"{tuple(self.weight.shape)}")
        if self.padding_mode != "zeros":
            x = FL.pad(x, self._explicit_padding(), mode=self.padding_mode)
            return FL.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation,
                             self.groups)
        return FL.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                         self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else \
                f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class ConvTranspose2d(Module):
    """Transposed 2-D convolution (the gradient of Conv2d with respect to its input):
    weight (in, out / groups, kh, kw), bias (out,); output size
    (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1, or the
    ``output_size`` passed to forward.

    >>> import autograd as ag, nn
    >>> nn.ConvTranspose2d(4, 2, 2, stride=2)(ag.ones(1, 4, 3, 3)).shape
    (1, 2, 6, 6)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only padding_mode='zeros' is supported (as in "
                             f"PyTorch), got {padding_mode!r}")
        name = "ConvTranspose2d"
        _channels(name, in_channels, out_channels, groups)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size", name)
        _check_device(device, name)
        in_channels, out_channels, groups = _sized(name, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        dt = A.dtype_arg(dtype, name, ag.get_default_dtype())
        self.weight = Parameter(A.empty((in_channels, out_channels // groups) + self.kernel_size,
                                        dt, name))
        self.stride = _tuple(stride, 2, "stride", name)
        self.padding = _tuple(padding, 2, "padding", name)
        self.output_padding = _tuple(output_padding, 2, "output_padding", name)
        self.dilation = _tuple(dilation, 2, "dilation", name)
        self.padding_mode = padding_mode
        self.bias = Parameter(A.empty((out_channels,), dt, name)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _conv_init(self.weight, self.bias)

    def _output_padding(self, x, output_size) -> Tuple[int, int]:
        if output_size is None:
            return self.output_padding
        size = list(output_size)[-2:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or 4 entries, got "
                             f"{output_size!r}")
        out = []
        for k in range(2):
            n = x.shape[x.ndim - 2 + k]
            lo = ((n - 1) * self.stride[k] - 2 * self.padding[k]
                  + self.dilation[k] * (self.kernel_size[k] - 1) + 1)
            hi = lo + self.stride[k] - 1
            if not lo <= size[k] <= hi:
                raise ValueError(f"ConvTranspose2d: requested an output size of {size}, but "
                                 f"valid sizes range from {lo} to {hi} in dimension {k} (for an "
                                 f"input of {tuple(x.shape[-2:])})")
            out.append(size[k] - lo)
        return tuple(out)

    def forward(self, x, output_size: Optional[Sequence[int]] = None):
        x = ag.as_tensor(x)
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ag.ShapeError(f"ConvTranspose2d({self.in_channels}, {self.out_channels}): "
                             f"expected input (N, {self.in_channels}, H, W), got shape "
                             f"{tuple(x.shape)}")
        return FL.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                   self._output_padding(x, output_size), self.groups,
                                   self.dilation)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` (int, pair, None entries keep a size).

    >>> import autograd as ag, nn
    >>> nn.AdaptiveAvgPool2d((2, 2))(ag.ones(1, 3, 5, 7)).shape
    (1, 3, 2, 2)
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return FL.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


def _factor(f, layer: str) -> float:
    """A scale factor as ``float(f)`` does it (PyTorch's Upsample: a numeric string is
    accepted, another string is a ValueError), with the layer named."""
    if isinstance(f, str):
        try:
            return float(f)
        except ValueError:
            raise ValueError(f"{layer}: scale_factor must be a number, got {f!r}") from None
    return A.real(f, "scale_factor", layer)


class Upsample(Module):
    """``interpolate`` as a module: ``size`` or ``scale_factor``; mode 'nearest',
    'nearest-exact', 'linear', 'bilinear' or 'area'; ``align_corners`` for the linear
    modes.

    >>> import autograd as ag, nn
    >>> nn.Upsample(scale_factor=2)(ag.ones(1, 1, 2, 3)).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(_factor(f, name) for f in scale_factor)
        else:
            self.scale_factor = _factor(scale_factor, name) if scale_factor is not None else None
        if size is not None:
            _tuple(size, len(size) if isinstance(size, (tuple, list)) else 1, "size", name)
        self.size = size
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        return FL.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                              recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        s = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
             else f"size={self.size!r}")
        return s + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest' (PyTorch's legacy module).

    >>> import autograd as ag, nn
    >>> nn.UpsamplingNearest2d(size=(4, 4))(ag.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True (PyTorch's legacy module).

    >>> import autograd as ag, nn
    >>> nn.UpsamplingBilinear2d(scale_factor=2)(ag.ones(1, 1, 2, 3)).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
