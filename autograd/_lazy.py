"""PyTorch's module layout on top of tapegrad's, for the one-line port.

A script written for PyTorch reaches its layers, optimizers and data loaders through
``torch``: ``torch.nn.Linear``, ``torch.optim.SGD``, ``torch.utils.data.DataLoader``,
``from torch import nn``, ``import torch.nn.functional as F``, ``from torch.utils.data
import DataLoader``. After ``import torch`` becomes ``import autograd as torch`` (and
``torch.X`` in import statements becomes ``autograd.X``) these resolve to tapegrad's
``nn`` package:

* ``autograd.nn`` -> ``nn`` (and ``autograd.nn.<sub>`` -> ``nn.<sub>``),
* ``autograd.optim`` -> ``nn.optim`` (``autograd.optim.lr_scheduler`` -> ``nn.optim.lr_scheduler``),
* ``autograd.utils.data`` -> ``nn.data``.

Attribute access goes through the package's ``__getattr__`` below, import statements
through :class:`AliasFinder` (a ``sys.meta_path`` finder that hands out the very module
objects ``nn`` already has, so there is one ``nn.Linear`` class, not two). Both import
``nn`` only when first used: ``import autograd`` never imports ``nn`` (which itself
imports ``autograd``), so there is no import cycle.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Optional

__all__ = ["ALIASES", "AliasFinder", "real_name", "__getattr__", "save", "load", "set_printoptions"]

# alias prefix -> real module prefix (the longest matching alias wins)
ALIASES = {"autograd.nn": "nn", "autograd.optim": "nn.optim", "autograd.utils.data": "nn.data"}


def real_name(fullname: str) -> Optional[str]:
    """The real module behind an aliased name, or None."""
    for alias in sorted(ALIASES, key=len, reverse=True):
        if fullname == alias or fullname.startswith(alias + "."):
            return ALIASES[alias] + fullname[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real: str) -> None:
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module) -> None:  # the real module is already executed
        pass


class AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``import autograd.nn...`` & co to the real ``nn`` modules."""

    def find_spec(self, fullname, path=None, target=None):
        real = real_name(fullname)
        if real is None:
            return None
        try:
            real_spec = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            return None
        if real_spec is None:
            return None
        spec = importlib.util.spec_from_loader(fullname, _AliasLoader(real),
                                               is_package=real_spec.submodule_search_locations is not None)
        return spec


if not any(isinstance(f, AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, AliasFinder())

_LAZY = {"nn": "nn", "optim": "nn.optim"}


def save(obj, f, **kwargs) -> None:
    """``torch.save(obj, path)``: tapegrad's safe checkpoint format (``nn.save``; a
    ported script's save/load round trip works, PyTorch's pickled ``.pt`` files do not)."""
    kwargs.pop("pickle_protocol", None)
    kwargs.pop("_use_new_zipfile_serialization", None)
    if kwargs:
        raise TypeError(f"save() got unexpected keyword argument(s) {sorted(kwargs)}")
    importlib.import_module("nn").save(obj, f)


def load(f, map_location=None, weights_only=None, **kwargs):
    """``torch.load(path, map_location=..., weights_only=...)``: ``nn.load`` (the
    location must be the CPU; checkpoints never run code, as ``weights_only=True``)."""
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        from .devices import check_device
        check_device(map_location, "load(map_location=...)")
    kwargs.pop("mmap", None)
    if kwargs:
        raise TypeError(f"load() got unexpected keyword argument(s) {sorted(kwargs)}")
    return importlib.import_module("nn").load(f)


_FUNCS = {"save": save, "load": load}


def __getattr__(name: str):
    """``autograd.nn``, ``autograd.optim``, ``autograd.save``/``load``, on first use."""
    if name in _LAZY:
        return importlib.import_module("autograd." + name)
    if name in _FUNCS:
        return _FUNCS[name]
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, float("inf"), 3, 80)}  # PyTorch's (precision, threshold, edgeitems, linewidth)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """``torch.set_printoptions``: sets NumPy's print options, which tensor reprs use.
    ``profile`` is one of PyTorch's presets ('default', 'short', 'full'); the other
    arguments override it. Every argument is checked before any is applied (a TypeError
    or ValueError naming set_printoptions), so a bad call cannot break printing.

    >>> import autograd as ag
    >>> ag.set_printoptions(precision=2)
    >>> print(ag.tensor([1 / 3]))
    tensor([0.33])
    >>> ag.set_printoptions(precision=8)  # NumPy's default again
    """
    import math
    import sys

    import numpy as np

    from ._checks import is_int

    def count(name, v, least, most=sys.maxsize):
        if v is None:
            return None
        if not is_int(v):
            raise TypeError(f"set_printoptions: {name} must be an int, got "
                            f"{type(v).__name__} {v!r}"[:200])
        if not least <= v <= most:
            raise ValueError(f"set_printoptions: {name} must be in [{least}, {most}], got {v}")
        return int(v)

    if profile is not None and (not isinstance(profile, str) or profile not in _PROFILES):
        raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got "
                         f"{profile!r}"[:200])
    if threshold is not None:
        if not (is_int(threshold) or isinstance(threshold, (float, np.floating))) or \
                math.isnan(threshold) or threshold < 0:
            raise (ValueError if isinstance(threshold, (float, np.floating)) else TypeError)(
                f"set_printoptions: threshold must be a non-negative number (inf: never "
                f"summarise), got {threshold!r}"[:200])
        threshold = sys.maxsize if threshold >= sys.maxsize else int(threshold)
    if sci_mode is not None and not isinstance(sci_mode, (bool, np.bool_)):
        raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got "
                        f"{type(sci_mode).__name__} {sci_mode!r}"[:200])
    opts = {}
    if profile is not None:
        p, t, e, w = _PROFILES[profile]
        opts = {"precision": p, "threshold": sys.maxsize if math.isinf(t) else t,
                "edgeitems": e, "linewidth": w}
    for k, v in (("precision", count("precision", precision, 0, 2 ** 31 - 1)),
                 ("threshold", threshold), ("edgeitems", count("edgeitems", edgeitems, 0)),
                 ("linewidth", count("linewidth", linewidth, 1))):
        if v is not None:
            opts[k] = v
    if sci_mode is not None:
        opts["suppress"] = not sci_mode
    np.set_printoptions(**opts)
