"""Thread-count control for the BLAS under NumPy and for PyTorch.

Matching thread counts is what makes the ratios comparable: PyTorch's intra-op pool
and NumPy's OpenBLAS pool both default to "all cores". The environment variables
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) only take effect
if they are set before NumPy is first imported, which ``python -m benchmarks.run``
guarantees (``run.py`` imports nothing numeric before parsing its arguments). When
NumPy was imported earlier (the in-process smoke test under pytest), the OpenBLAS pool
is resized through its C API instead, found with ``ctypes`` among the loaded shared
libraries. This module imports no NumPy at import time.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Dict, Optional

__all__ = ["set_env_threads", "configure_threads", "thread_report"]

_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# Symbol names of OpenBLAS' thread functions: plain builds, 64-bit-integer builds, and
# the prefixed builds NumPy wheels ship (scipy-openblas).
_GET_NAMES = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
              "openblas_get_num_threads64_", "openblas_get_num_threads")
_SET_NAMES = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
              "openblas_set_num_threads64_", "openblas_set_num_threads")


def set_env_threads(n: int) -> None:
    """Set the BLAS/OpenMP thread environment variables (effective before NumPy import)."""
    for var in _ENV_VARS:
        os.environ[var] = str(n)


def _openblas_libs() -> list:
    """ctypes handles of the OpenBLAS libraries mapped into this process (Linux only)."""
    paths = []
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 6 and "openblas" in parts[-1].lower() and parts[-1] not in paths:
                    paths.append(parts[-1])
    except OSError:
        return []
    libs = []
    for p in paths:
        try:
            libs.append(ctypes.CDLL(p))
        except OSError:
            pass
    return libs


def _blas_call(names: tuple, *args: int) -> Optional[int]:
    for lib in _openblas_libs():
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                if args:
                    fn.argtypes = [ctypes.c_int]
                    fn.restype = None
                    fn(*args)
                    return args[0]
                fn.restype = ctypes.c_int
                return int(fn())
    return None


def numpy_blas_threads() -> Optional[int]:
    """Threads OpenBLAS (under NumPy) will use, or None when it cannot be queried."""
    if "numpy" not in sys.modules:
        return None
    return _blas_call(_GET_NAMES)


def configure_threads(n: Optional[int]) -> None:
    """Use ``n`` threads in NumPy's BLAS and in PyTorch (``None``: leave as they are).

    Call after NumPy is imported (``set_env_threads`` should already have run before the
    import); resizes OpenBLAS directly so that a late call still takes effect.
    """
    if n is None:
        return
    set_env_threads(n)
    import numpy  # noqa: F401  (makes sure the BLAS library is loaded)
    _blas_call(_SET_NAMES, n)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(n)
    except RuntimeError:
        pass  # only settable once, before any inter-op work; intra-op is what matters


def thread_report() -> Dict[str, str]:
    """What is in effect now: env variables, OpenBLAS threads, torch intra/inter-op threads."""
    rep: Dict[str, str] = {v: os.environ.get(v, "(unset)") for v in _ENV_VARS}
    blas = numpy_blas_threads()
    rep["numpy BLAS threads"] = "unknown" if blas is None else str(blas)
    try:
        import torch
        rep["torch threads (intra-op)"] = str(torch.get_num_threads())
        rep["torch threads (inter-op)"] = str(torch.get_num_interop_threads())
    except ImportError:
        rep["torch threads (intra-op)"] = "torch missing"
    return rep
