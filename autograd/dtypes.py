"""The dtype names ``autograd.float32`` & co (NumPy's scalar types, which every
function taking ``dtype=`` accepts)."""
import numpy as np

__all__ = ["float32", "float64", "int64", "int32", "bool_"]

float32 = np.float32
float64 = np.float64
int64 = np.int64
int32 = np.int32
bool_ = np.bool_
