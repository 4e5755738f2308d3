"""Devices, for scripts written against PyTorch: this build runs on the CPU only.

``autograd.device("cpu")``, ``Tensor.device``, ``device=`` on every creation function,
``Tensor.to(device)``, ``Module.to(device)`` and ``set_default_device("cpu")`` all
accept the CPU (``"cpu"``, ``"cpu:0"``, ``device("cpu")``, or None). Any other device
(``"cuda"``, ``"mps"``, ...) is a RuntimeError at the point of use that says so, as
PyTorch does on a build without CUDA; ``cuda.is_available()`` is False so the usual
``"cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.
"""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["device", "check_device", "set_default_device", "get_default_device", "CPU",
           "DeviceUnavailableError"]


class DeviceUnavailableError(RuntimeError, AssertionError):
    """A device other than the CPU was asked for. A RuntimeError, and an AssertionError
    too, which is what PyTorch raises on a build without CUDA ("Torch not compiled with
    CUDA enabled"), so either ``except`` a ported script has catches it."""

# the device types PyTorch knows (a name outside this list is a typo)
_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "mtia", "privateuseone",
          "vulkan", "hpu", "lazy", "ve", "fpga", "maia", "opengl", "opencl", "ideep", "mkldnn")


class device:
    """A device description like ``torch.device``: ``device('cpu')``, ``device('cuda', 0)``.

    Constructing one for another type is allowed (as in PyTorch); using it to place a
    tensor raises, since tapegrad computes with NumPy on the CPU.

    >>> import autograd as ag
    >>> d = ag.device('cuda', 0)
    >>> d.type, d.index, str(d), str(ag.device('cpu'))
    ('cuda', 0, 'cuda:0', 'cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: Optional[int] = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch.device(0) is cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string like 'cpu', got {type!r}")
        name = type.strip()
        if ":" in name:
            name, _, idx = name.partition(":")
            if index is not None:
                raise RuntimeError(f"device(): type ({type!r}) must not include an index "
                                   f"because index was passed explicitly: {index}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(idx)
        if name not in _KNOWN:
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN[:4])}, ... device type at "
                               f"start of device string: {type!r}. tapegrad runs on the "
                               f"CPU only: use 'cpu'.")
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", None if index is None else int(index))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("device is immutable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: Any) -> bool:  # (a string is never equal, as in PyTorch)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(dev: Any, where: str) -> device:
    """``dev`` as a device, or a RuntimeError naming ``where`` unless it is the CPU.

    >>> import autograd as ag
    >>> ag.check_device('cpu', 'zeros')
    device(type='cpu')
    >>> try:
    ...     ag.check_device('cuda', 'zeros')
    ... except RuntimeError as e:
    ...     print(str(e)[:37])
    zeros: device 'cuda' is not available
    """
    if not isinstance(where, str):
        raise TypeError(f"check_device: where must be the name of the calling function (a "
                        f"string), got {type(where).__name__} {where!r}"[:200])
    if dev is None:
        return CPU
    if isinstance(dev, device):
        d = dev
    else:
        try:
            d = device(dev)
        except (TypeError, RuntimeError) as exc:
            raise type(exc)(f"{where}: {exc}"[:400]) from None
    if d.type != "cpu":
        raise DeviceUnavailableError(
            f"{where}: device {str(d)!r} is not available: tapegrad runs on the CPU only "
            f"(NumPy), and {d.type} is not compiled in, like 'Torch not compiled with CUDA "
            f"enabled'. Use device='cpu' (torch.cuda.is_available() is False here, so "
            f"`'cuda' if torch.cuda.is_available() else 'cpu'` picks the CPU).")
    return CPU


def set_default_device(dev: Any) -> None:
    """Accepts the CPU (the only device); any other device raises.

    >>> import autograd as ag
    >>> ag.set_default_device('cpu')
    >>> ag.get_default_device()
    device(type='cpu')
    """
    check_device(dev, "set_default_device")


def get_default_device() -> device:
    """The device new tensors are created on: always the CPU.

    >>> import autograd as ag
    >>> ag.get_default_device(), ag.zeros(1).device
    (device(type='cpu'), device(type='cpu'))
    """
    return CPU
