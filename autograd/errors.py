"""Exception classes for bad input (see docs/errors.md for every case and its message).

Where NumPy and PyTorch raise different built-in classes for the same mistake,
tapegrad raises a class that is both, so code written against either keeps working:

* :class:`ShapeError` (``ValueError`` like NumPy, ``RuntimeError`` like PyTorch):
  shapes that do not broadcast, matmul/conv2d/linear operands that do not fit,
  reshape/expand/cat/stack to an impossible shape.
* :class:`DtypeError` (``TypeError`` like NumPy, ``RuntimeError`` like PyTorch):
  an op that is undefined for the dtypes given (``bool - bool``, ``-bool``, a
  non-bool ``where`` condition).
"""
from __future__ import annotations

__all__ = ["ShapeError", "DtypeError"]


class ShapeError(ValueError, RuntimeError):
    """Operand shapes that do not fit the op (NumPy: ValueError, PyTorch: RuntimeError)."""


class DtypeError(TypeError, RuntimeError):
    """Operand dtypes the op is not defined for (NumPy: TypeError, PyTorch: RuntimeError)."""
