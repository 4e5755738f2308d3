"""Checks of class-index targets and class weights shared by nll_loss and cross_entropy,
in PyTorch's order and with its exception classes."""
from __future__ import annotations

import numpy as np

import autograd as ag
from autograd import Tensor


def _one_sample_target(name: str, logits: Tensor, y: Tensor) -> Tensor:
    """PyTorch reads a (1,) target of one (C,) sample as its 0-d target; any other 1-D
    target of a 1-D input is a ValueError."""
    if logits.ndim == 1 and y.ndim == 1 and y.dtype.kind != "f":
        if y.shape[0] != 1:
            raise ag.InvalidArgumentError(f"{name}: for a 1-D input (one sample of "
                                          f"{logits.shape[0]} classes), a 1-D target must have "
                                          f"size 1, but got target size {y.shape[0]}")
        return y.reshape(())
    return y


def _check_target_dtype(name: str, dtype) -> None:
    """Class-index targets are int64 or uint8, as PyTorch requires (a DtypeError, its
    RuntimeError, for int32 or bool: PyTorch users convert with .long())."""
    if dtype not in (np.int64, np.uint8):
        raise ag.DtypeError(f"{name}: targets must be integer class indices of dtype int64 "
                            f"(Long) or uint8 (Byte), got {dtype}; convert with .long()")


def _class_weight(name: str, weight, c: int, probabilities: bool = False):
    """``weight`` as a floating (C,) tensor, or None. PyTorch's rules: C elements exactly
    (RuntimeError otherwise) and, with class-index targets, a floating dtype (PyTorch
    wants the input's; tapegrad casts a float weight to it)."""
    if weight is None:
        return None
    w = ag.as_tensor(weight)
    if w.shape != (c,):
        raise ag.InvalidArgumentError(f"{name}: weight tensor should be defined either for all "
                                      f"{c} classes or no classes but got weight tensor of "
                                      f"shape {tuple(w.shape)}")
    if w.dtype.kind != "f" and not probabilities:
        raise ag.DtypeError(f"{name}: weight must be a floating point tensor like the input, "
                            f"got {w.dtype}; convert it with .float()")
    return w


def _check_targets(name: str, logits: Tensor, y: np.ndarray, ignore_index: int) -> None:
    if logits.ndim == 0:
        raise ag.ShapeError(f"{name}: expected an input of 1 or more dimensions ((C,) or "
                            f"(N, C, ...)), got a 0-d tensor")
    c = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
    exp = (logits.shape[0],) + tuple(logits.shape[2:]) if logits.ndim > 1 else ()
    if y.shape != exp:
        raise ag.InvalidArgumentError(f"{name}: input of shape {tuple(logits.shape)} needs class-index "
                         f"targets of shape {exp}, got {y.shape}")
    bad = (y < 0) | (y >= c)
    if np.count_nonzero(bad) and np.count_nonzero(bad & (y != ignore_index)):
        bad &= y != ignore_index
        raise IndexError(f"{name}: target {y[bad].flat[0]} is out of range for {c} classes "
                         f"(valid: 0 to {c - 1}, or ignore_index={ignore_index})")
