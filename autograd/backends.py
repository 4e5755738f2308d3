"""``torch.backends`` as scripts probe it: no MPS, no CUDA; cuDNN flags are plain
attributes (settable, with no effect: there is no cuDNN)."""
from __future__ import annotations

import types

__all__ = ["mps", "cuda", "cudnn"]


def _false() -> bool:
    return False


mps = types.SimpleNamespace(is_available=_false, is_built=_false)
cuda = types.SimpleNamespace(is_built=_false)
cudnn = types.SimpleNamespace(deterministic=False, benchmark=False, enabled=False,
                              is_available=_false)
