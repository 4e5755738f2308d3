"""ModuleDict, ParameterList and ParameterDict: PyTorch's registering containers.

Their entries are registered under their keys ("0", "1", ... for the list), so
``named_parameters``, ``state_dict`` and optimizers see them with torch's names.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping, Optional, Tuple, Union

from autograd import Tensor

from .module import Module, Parameter

__all__ = ["ModuleDict", "ParameterList", "ParameterDict"]


def _pairs(values, what: str, sort_plain: bool = False):
    """(key, value) pairs in PyTorch's order: a mapping's own order, except that
    ParameterDict sorts the keys of a plain (non-Ordered) dict, as torch does."""
    if isinstance(values, (Mapping, ModuleDict, ParameterDict)):
        items = list(values.items())
        if sort_plain and not isinstance(values, (OrderedDict, ParameterDict)):
            items.sort(key=lambda kv: kv[0])
        return items
    out = []
    for i, kv in enumerate(values):
        if not (isinstance(kv, (tuple, list)) and len(kv) == 2):
            raise TypeError(f"{what}.update: element #{i} should be a (key, value) pair, got "
                            f"{type(kv).__name__}")
        out.append(tuple(kv))
    return out


class ModuleDict(Module):
    """An ordered dict of submodules, registered under their keys:
    ``ModuleDict({'conv': Conv2d(1, 8, 3), 'act': ReLU()})``.

    >>> import autograd as ag, nn
    >>> d = nn.ModuleDict({'fc': nn.Linear(4, 2), 'act': nn.ReLU()})
    >>> list(d.keys()), d['act'](d['fc'](ag.ones(1, 4))).shape
    (['fc', 'act'], (1, 2))
    """

    def __init__(self, modules: Optional[Mapping[str, Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {key!r} must be a Module, got {type(module).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        for k, m in _pairs(modules, "ModuleDict"):
            self[k] = m

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: call its entries, e.g. "
                                  "self.layers['conv'](x)")


def _as_param(value: Any) -> Any:
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value.detach(), requires_grad=value.requires_grad)
    return value


class ParameterList(Module):
    """A list of parameters registered as "0", "1", ... (plain tensors become Parameters
    keeping their requires_grad, as in PyTorch).

    >>> import autograd as ag, nn
    >>> pl = nn.ParameterList([nn.Parameter(ag.ones(2)), ag.zeros(3)])
    >>> len(pl), [p.shape for p in pl]
    (2, [(2,), (3,)])
    """

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def _index(self, i: int) -> int:
        if not -self._size <= i < self._size:
            raise IndexError(f"ParameterList: index {i} is out of range for {self._size} "
                             f"parameters")
        return i % self._size

    def __getitem__(self, i: Union[int, slice]):
        if isinstance(i, slice):
            return ParameterList([self[j] for j in range(self._size)[i]])
        return self._parameters[str(self._index(i))]

    def __setitem__(self, i: int, value: Any) -> None:
        self.register_parameter(str(self._index(i)), _as_param(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self._parameters[str(i)] for i in range(self._size))

    def append(self, value: Any) -> "ParameterList":
        value = _as_param(value)
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(f"ParameterList: entries must be tensors, got {type(value).__name__}")
        self.register_parameter(str(self._size), value)
        object.__setattr__(self, "_size", self._size + 1)
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for i, p in enumerate(self))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward")


class ParameterDict(Module):
    """An ordered dict of parameters registered under their keys (a plain dict passed in
    is taken in sorted key order, an OrderedDict in its own order: PyTorch's rule).

    >>> import autograd as ag, nn
    >>> pd = nn.ParameterDict({'scale': nn.Parameter(ag.ones(3))})
    >>> list(pd.keys()), pd['scale'].shape
    (['scale'], (3,))
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        value = _as_param(value)
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(f"ParameterDict: {key!r} must be a tensor, got "
                            f"{type(value).__name__}")
        self.register_parameter(key, value)

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self) -> Iterable[Tuple[str, Any]]:
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Any:
        v = self[key]
        del self[key]
        return v

    def clear(self) -> None:
        self._parameters.clear()

    def update(self, parameters) -> None:
        for k, v in _pairs(parameters, "ParameterDict", sort_plain=True):
            self[k] = v

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for k, p in self.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward")

