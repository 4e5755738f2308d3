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

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "RemovableHandle"]


class Parameter(Tensor):
    """A leaf tensor that a Module registers as a trainable parameter (requires grad).

    >>> import autograd as ag, nn
    >>> p = nn.Parameter(ag.zeros(2, 3))
    >>> p.shape, p.requires_grad
    ((2, 3), True)
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), dtype=ag.get_default_dtype())
        arr = np.asarray(data) if isinstance(data, Tensor) else data
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of all layers: override ``forward``; call the module to run it.

    >>> import autograd as ag, nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    ...
    >>> net = Net()
    >>> net(ag.ones(3, 4)).shape
    (3, 2)
    >>> [n for n, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_scope_name", None)
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hook_flags", {})   # hook id -> (with_kwargs, always_call)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called "
                                 f"(call super().__init__() first)")
        if name in self._buffers and (value is None or (isinstance(value, Tensor)
                                                         and not isinstance(value, Parameter))):
            self._buffers[name] = value   # like PyTorch: assigning to a buffer keeps it one
            return
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
                self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """A non-trainable tensor of the module (e.g. BatchNorm running stats): moved and
        cast with it, listed by ``named_buffers``, and saved in the state dict unless
        ``persistent=False`` (then it is rebuilt by the module, e.g. a causal mask)."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be a non-empty string without "
                           f"'.', got {name!r}")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: attribute {name!r} already exists on "
                           f"{type(self).__name__}; pick another name or delete it first")
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = ag.tensor(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        self._parameters[name] = param

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        if module is not None:
            module._scope_name = name
        self._modules[name] = module

    def register_module(self, name: str, module: Optional["Module"]) -> None:
        """Alias of ``add_module`` (PyTorch has both)."""
        self.add_module(name, module)

    # ------------------------------------------------------------------ call
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
            return _call_with_hooks(self, args, kwargs)
        with ag.name_scope(self._scope_name or type(self).__name__):
            return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> "RemovableHandle":
        """Run ``hook(module, args)`` before every forward (``hook(module, args, kwargs)``
        with ``with_kwargs``); a non-None result replaces the positional args (a non-tuple
        is wrapped in one), or (args, kwargs) with ``with_kwargs``. Returns a handle whose
        ``remove()`` unregisters it (also a context manager)."""
        return _add_hook(self, self._forward_pre_hooks, hook, prepend, with_kwargs, False)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> "RemovableHandle":
        """Run ``hook(module, args, output)`` after every forward
        (``hook(module, args, kwargs, output)`` with ``with_kwargs``); a non-None result
        replaces the output. ``always_call`` runs it even when forward raised."""
        return _add_hook(self, self._forward_hooks, hook, prepend, with_kwargs, always_call)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, "Module"]]:
        """(dotted path, module) for this module and every descendant, depth first in
        registration order; a module reachable twice is listed once unless
        ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

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

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """(dotted path, buffer) pairs, persistent or not."""
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, b in m._buffers.items():
                if b is None or (remove_duplicate and id(b) in seen):
                    continue
                seen.add(id(b))
                yield (f"{mprefix}.{name}" if mprefix else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """The submodule at dotted path ``target`` ('' is the module itself)."""
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules or m._modules[part] is None:
                raise AttributeError(f"{type(m).__name__} has no submodule {part!r} (looking "
                                     f"up {target!r})")
            m = m._modules[part]
        return m

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be boolean, got {mode!r}")
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
    def _state_items(self, prefix: str = "") -> Iterator[Tuple[str, Tensor]]:
        """(key, tensor) in PyTorch's state_dict order: each module's parameters, then its
        buffers, then its children, recursively. A module (or tensor) reached by two
        paths is listed under both, as in PyTorch (``Sequential(l, l)`` has 4 keys)."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        skip = self.__dict__.get("_non_persistent_buffers_set", ())
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                yield prefix + name, b
        for name, m in self._modules.items():
            if m is not None:
                yield from m._state_items(prefix + name + ".")

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers by dotted path, as NumPy arrays (copies), in PyTorch's
        order (per module: parameters, buffers, then its children)."""
        return OrderedDict((k, np.array(np.asarray(t), copy=True)) for k, t in self._state_items())

    def load_state_dict(self, state: Dict[str, Any], strict: bool = True):
        """Copy values into parameters and buffers. Like PyTorch, every problem is reported
        at once: size mismatches always, missing and unexpected keys when ``strict``;
        nothing is changed if anything is wrong. Returns (missing_keys, unexpected_keys)."""
        name = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict for {name}: expected a mapping of "
                            f"parameter names to arrays (module.state_dict()), got "
                            f"{type(state).__name__}")
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        bad = []
        arrays = {}
        for k, t in own.items():
            if k in state:
                v = state[k]
                try:
                    arr = np.asarray(v.detach() if isinstance(v, Tensor) else v)
                except Exception:  # e.g. a ragged list: not an array at all
                    arr = None
                if arr is None or arr.dtype.kind not in "biuf":
                    bad.append(f"{k}: the checkpoint holds a {type(v).__name__}, not an array "
                               f"of numbers")
                elif arr.shape != t.shape:
                    bad.append(f"size mismatch for {k}: checkpoint shape {arr.shape} vs model "
                               f"shape {tuple(t.shape)}")
                arrays[k] = arr
        parts = []
        if strict and missing:
            parts.append(f"missing keys {missing}")
        if strict and unexpected:
            parts.append(f"unexpected keys {unexpected}")
        if parts or bad:
            msg = f"load_state_dict for {name}: " + " and ".join(parts)
            if bad:
                msg += ("; " if parts else "") + "; ".join(bad) + \
                    ". The checkpoint was saved from a different architecture"
            msg += "."
            if parts:
                msg += " Pass strict=False to load the keys that match."
                nested = [k for k in unexpected if isinstance(state[k], Mapping)]
                if nested and len(missing) == len(own):
                    msg += (f" The state holds nested dicts {nested}: pass one of them, e.g. "
                            f"state[{nested[0]!r}].")
            raise RuntimeError(msg)
        with ag.no_grad():
            for k, t in own.items():
                if k in arrays:
                    t.data = np.array(arrays[k], dtype=t.dtype)
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


class RemovableHandle:
    """What ``register_forward_*hook`` returns: ``remove()`` unregisters the hook (safe to
    call twice); ``with handle:`` removes it on exit."""

    _next_id = 0

    def __init__(self, hooks: "OrderedDict", flags: dict) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._hooks, self._flags = hooks, flags

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        self._flags.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(module: Module, hooks: "OrderedDict", hook, prepend: bool, with_kwargs: bool,
              always_call: bool) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}: a hook must be callable, got "
                        f"{type(hook).__name__}")
    handle = RemovableHandle(hooks, module._hook_flags)
    hooks[handle.id] = hook
    module._hook_flags[handle.id] = (bool(with_kwargs), bool(always_call))
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _call_with_hooks(module: Module, args: tuple, kwargs: dict) -> Any:
    """Module.__call__ with forward pre/post hooks, in PyTorch's order and conventions."""
    flags = module._hook_flags
    for hid, hook in list(module._forward_pre_hooks.items()):
        if flags.get(hid, (False, False))[0]:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(f"forward pre-hook {hook!r} with with_kwargs=True must "
                                       f"return None or a tuple (args, kwargs), got {res!r}")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    called = set()
    try:
        with ag.name_scope(module._scope_name or type(module).__name__):
            result = module.forward(*args, **kwargs)
        for hid, hook in list(module._forward_hooks.items()):
            called.add(hid)
            res = (hook(module, args, kwargs, result) if flags.get(hid, (False, False))[0]
                   else hook(module, args, result))
            if res is not None:
                result = res
    except Exception:
        for hid, hook in list(module._forward_hooks.items()):
            with_kwargs, always = flags.get(hid, (False, False))
            if always and hid not in called:
                try:
                    hook(module, args, kwargs, None) if with_kwargs else hook(module, args, None)
                except Exception:
                    pass   # the forward's exception is the one to report
        raise
    return result
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
    """Modules applied in order: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``.

    >>> import autograd as ag, nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> net(ag.ones(3, 4)).shape
    (3, 2)
    """

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
    """A list of modules whose parameters are registered.

    >>> import autograd as ag, nn
    >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        self.extend(modules or [])
