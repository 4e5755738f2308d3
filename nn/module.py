"""Module, Parameter, Sequential, ModuleList: PyTorch's container semantics on tapegrad.

Parameters, buffers and submodules are registered by attribute assignment; every
module call runs inside ``autograd.name_scope(<attribute name>)`` so drawings of the
graph cluster by module.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

import numpy as np

import autograd as ag
from autograd import Tensor, check_device

__all__ = ["Parameter", "Module", "Sequential", "ModuleList"]


class Parameter(Tensor):
    """A leaf tensor that a Module registers as a trainable parameter (requires grad)."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), dtype=ag.get_default_dtype())
        arr = np.asarray(data) if isinstance(data, Tensor) else data
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of all layers: override ``forward``; call the module to run it."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_scope_name", None)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called "
                                 f"(call super().__init__() first)")
        for d in (self._parameters, self._buffers, self._modules):
            d.pop(name, None)
        if isinstance(value, Parameter):
            if value.name is None:
                value.name = name
            self._parameters[name] = value
        elif isinstance(value, Module):
            value._scope_name = name
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """A non-trainable tensor saved in the state dict (e.g. BatchNorm running stats)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = ag.tensor(tensor)
        self._buffers[name] = tensor

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        self._parameters[name] = param

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        if module is not None:
            module._scope_name = name
        self._modules[name] = module

    # ------------------------------------------------------------------ call
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with ag.name_scope(self._scope_name or type(self).__name__):
            return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(dotted path, parameter) pairs; also names each parameter by its path."""
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                full = f"{mprefix}.{name}" if mprefix else name
                p.name = full
                yield full, p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[Tuple[str, Tensor]]:
        for mprefix, m in self.named_modules(prefix=prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mprefix}.{name}" if mprefix else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> "Module":
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def double(self) -> "Module":
        return self._cast(np.float64)

    def float(self) -> "Module":
        return self._cast(np.float32)

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """``module.to(device)``, ``.to(dtype)``, ``.to(device, dtype)``, ``.to(tensor)``
        (its dtype), as in PyTorch: floating parameters and buffers are cast to a
        floating ``dtype``; the device must be the CPU (tapegrad's only device).
        Returns the module itself."""
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.to() got unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, ag.device)) and not _is_dtype_name(a):
                device = a
            elif a is not None:
                dtype = a
        check_device(device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"{type(self).__name__}.to only accepts floating point dtypes, "
                            f"but got desired dtype={dt}")
        return self._cast(dt)

    def cpu(self) -> "Module":
        """The module itself (everything is on the CPU)."""
        return self

    def cuda(self, device: Any = None) -> "Module":
        """Raises: tapegrad runs on the CPU only (``cuda.is_available()`` is False)."""
        check_device("cuda" if device is None else device, f"{type(self).__name__}.cuda")
        return self

    def half(self) -> "Module":
        return self._cast(np.float16)

    def _cast(self, dtype) -> "Module":
        for m in self.modules():
            for d in (m._parameters, m._buffers):
                for k, t in d.items():
                    if t is not None and t.dtype.kind == "f":
                        t.data = np.asarray(t).astype(dtype)
                        if t.grad is not None:
                            t.grad = None
        return self

    # ------------------------------------------------------------------ state
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers by dotted path, as NumPy arrays (copies)."""
        out: "OrderedDict[str, np.ndarray]" = OrderedDict()
        for name, p in self.named_parameters():
            out[name] = np.asarray(p).copy()
        for name, b in self.named_buffers():
            out[name] = np.asarray(b).copy()
        return out

    def load_state_dict(self, state: Dict[str, Any], strict: bool = True):
        """Copy values into parameters and buffers; with ``strict`` the keys must match."""
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict for {type(self).__name__}: expected a mapping of "
                            f"parameter names to arrays (module.state_dict()), got "
                            f"{type(state).__name__}")
        own = dict(self.named_parameters())
        own.update(dict(self.named_buffers()))
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        bad = []
        for k, t in own.items():
            if k in state:
                v = state[k]
                arr = np.asarray(v)
                if arr.shape != t.shape:
                    bad.append(f"{k}: checkpoint shape {arr.shape} vs model shape {tuple(t.shape)}")
        if bad:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: size mismatch for "
                               + "; ".join(bad) + ". The checkpoint was saved from a "
                               "different architecture.")
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            nested = [k for k in unexpected if isinstance(state[k], Mapping)]
            hint = (f" The state holds nested dicts {nested}: pass one of them, e.g. "
                    f"state[{nested[0]!r}]." if nested and len(missing) == len(own) else "")
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: "
                               + " and ".join(parts)
                               + ". Pass strict=False to load the keys that match." + hint)
        with ag.no_grad():
            for k, t in own.items():
                if k in state:
                    v = state[k]
                    arr = np.asarray(v)
                    t.data = np.array(arr, dtype=t.dtype)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _is_dtype_name(a: Any) -> bool:
    if not isinstance(a, str):
        return False
    try:
        np.dtype(a)
        return True
    except TypeError:
        return False


class _IncompatibleKeys(tuple):
    def __new__(cls, missing, unexpected):
        t = super().__new__(cls, (missing, unexpected))
        t.missing_keys = missing
        t.unexpected_keys = unexpected
        return t


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: integer (and negative) indexing, slicing
    into a container of the same kind, len, iteration and append/extend."""

    def __getitem__(self, i: Union[int, slice]) -> Module:
        mods = list(self._modules.values())
        if isinstance(i, slice):  # like PyTorch: a Sequential slice keeps the names
            if isinstance(self, Sequential):
                return type(self)(OrderedDict(list(self._modules.items())[i]))
            return type(self)(mods[i])
        if not -len(mods) <= i < len(mods):
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for "
                             f"{len(mods)} modules")
        return mods[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, m: Module) -> "_ModuleSequence":
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, mods: Iterable[Module]) -> "_ModuleSequence":
        for m in mods:
            self.append(m)
        return self


class Sequential(_ModuleSequence):
    """Modules applied in order: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``."""

    def __init__(self, *mods: Module) -> None:
        super().__init__()
        if len(mods) == 1 and isinstance(mods[0], (dict, OrderedDict)):
            for name, m in mods[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(mods):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered."""

    def __init__(self, mods: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        self.extend(mods or [])
