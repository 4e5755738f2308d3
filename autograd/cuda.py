"""``torch.cuda`` as a CPU-only build has it: nothing is available.

``is_available()`` is False and ``device_count()`` 0, so scripts that choose a
device with them pick the CPU; seeding functions are no-ops (there is no CUDA
generator); anything that would need a GPU raises with the reason.
"""
from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "current_device", "is_initialized", "empty_cache"]


def is_available() -> bool:
    """False: tapegrad runs on the CPU only."""
    return False


def device_count() -> int:
    """0: no CUDA devices."""
    return 0


def is_initialized() -> bool:
    """False: CUDA is never initialised."""
    return False


def manual_seed(seed: int) -> None:
    """A no-op, as on a PyTorch build without CUDA (there is no CUDA generator)."""


manual_seed_all = manual_seed


def synchronize(device=None) -> None:
    """A no-op (nothing runs asynchronously)."""


def empty_cache() -> None:
    """A no-op (no device memory is cached)."""


def current_device() -> int:
    raise RuntimeError("cuda.current_device(): tapegrad runs on the CPU only; "
                       "no CUDA device is available (cuda.is_available() is False)")
