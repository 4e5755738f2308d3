"""tapegrad under a name that is yours: ``import tapegrad as tg``.

    import tapegrad as tg
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad                      # tensor([2., 4., 6.])
    model = tg.nn.Linear(3, 1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    tg.__version__

Every public name of ``autograd`` (``tg.tensor``, ``tg.no_grad``, ``tg.grad``,
``tg.gradcheck``, ``tg.viz``, ...) plus ``tg.autograd``, ``tg.nn`` and ``tg.optim``
(``nn.optim``). The packages keep their own names too (``import autograd as ag``,
``import nn``); this one cannot be shadowed by another distribution's ``autograd`` or
``nn``. Importing it first checks that ``autograd`` and ``nn`` are tapegrad's (see
``tapegrad/_guard.py``) and raises :class:`InstallationError` naming the other
distribution and the fix when they are not. The attributes load on first use.
"""
# __tapegrad__
from __future__ import annotations

import importlib
from typing import Any, List

from . import _guard
from ._guard import InstallationError

_guard.check_or_exit()

_MODULES = {"autograd": "autograd", "nn": "nn", "optim": "nn.optim"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name == "__version__" or not name.startswith("_"):
        ag = importlib.import_module("autograd")
        if name != "__version__" and name not in ag.__all__:
            raise AttributeError(f"module 'tapegrad' has no attribute {name!r} (it has "
                                 f"autograd's public names, autograd, nn and optim)")
        value = getattr(ag, name)
    else:
        raise AttributeError(f"module 'tapegrad' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    import autograd
    return sorted(set(autograd.__all__) | set(_MODULES) | {"__version__", "InstallationError"})
