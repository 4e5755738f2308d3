"""Exception classes for bad input (see docs/errors.md for every case and its message).

Where NumPy and PyTorch raise different built-in classes for the same mistake,
tapegrad raises a class that is both, so code written against either keeps working:

* :class:`ShapeError` (``ValueError`` like NumPy, ``RuntimeError`` like PyTorch):
  shapes that do not broadcast, matmul/conv2d/linear operands that do not fit,
  reshape/expand/cat/stack to an impossible shape, a loss target of another shape.
* :class:`DtypeError` (``TypeError`` like NumPy, ``RuntimeError`` like PyTorch):
  an op that is undefined for the dtypes given (``bool - bool``, ``-bool``, a
  non-bool ``where`` condition, ``softplus`` of an integer tensor).
* :class:`InvalidArgumentError` (``ValueError``, ``RuntimeError``): a value PyTorch
  refuses with ``RuntimeError`` that tapegrad used to refuse with ``ValueError``
  (a negative size, a zero step, ``chunks <= 0``, probabilities outside [0, 1],
  ``item()`` of several elements, the max of an empty tensor). Old ``except
  ValueError`` code keeps working; PyTorch code's ``except RuntimeError`` works.
* :class:`OutOfMemoryError` (``MemoryError``, ``RuntimeError``): an allocation beyond
  the machine's memory, with the op, the shape and the number of bytes (PyTorch
  raises ``RuntimeError`` for a CPU allocation failure, Python ``MemoryError``).
"""
from __future__ import annotations

__all__ = ["ShapeError", "DtypeError", "InvalidArgumentError", "OutOfMemoryError"]


class ShapeError(ValueError, RuntimeError):
    """Operand shapes that do not fit the op (NumPy: ValueError, PyTorch: RuntimeError)."""


class DtypeError(TypeError, RuntimeError):
    """Operand dtypes the op is not defined for (NumPy: TypeError, PyTorch: RuntimeError)."""


class InvalidArgumentError(ValueError, RuntimeError):
    """An argument value the op refuses (PyTorch: RuntimeError; tapegrad before: ValueError)."""


class OutOfMemoryError(MemoryError, RuntimeError):
    """An allocation larger than the memory available (PyTorch: RuntimeError)."""
