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
    """Operand shapes that do not fit the op (NumPy: ValueError, PyTorch: RuntimeError).

    >>> import autograd as ag
    >>> try:
    ...     ag.ones(2) + ag.ones(3)
    ... except ag.ShapeError as e:
    ...     print(isinstance(e, ValueError), isinstance(e, RuntimeError))
    True True
    """


class DtypeError(TypeError, RuntimeError):
    """Operand dtypes the op is not defined for (NumPy: TypeError, PyTorch: RuntimeError).

    >>> import autograd as ag
    >>> try:
    ...     ag.mean(ag.tensor([1, 2]))
    ... except ag.DtypeError as e:
    ...     print(isinstance(e, TypeError), isinstance(e, RuntimeError))
    True True
    """


class InvalidArgumentError(ValueError, RuntimeError):
    """An argument value the op refuses (PyTorch: RuntimeError; tapegrad before: ValueError).

    >>> import autograd as ag
    >>> try:
    ...     raise ag.InvalidArgumentError('p must be in [0, 1]')
    ... except RuntimeError as e:
    ...     print(type(e).__name__, e)
    InvalidArgumentError p must be in [0, 1]
    """


class OutOfMemoryError(MemoryError, RuntimeError):
    """An allocation larger than the memory available (PyTorch: RuntimeError).

    >>> import autograd as ag
    >>> try:
    ...     ag.zeros(2**40, 2**20)
    ... except ag.OutOfMemoryError as e:
    ...     print(isinstance(e, MemoryError))
    True
    """
