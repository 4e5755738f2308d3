"""The dtype names ``autograd.float32`` & co (NumPy's scalar types, which every
function taking ``dtype=`` accepts), and PyTorch's aliases for them.

PyTorch spells dtypes ``torch.float`` (float32), ``torch.double`` (float64),
``torch.half`` (float16), ``torch.long`` (int64), ``torch.int`` (int32),
``torch.short`` (int16), ``torch.bool``, ``torch.uint8``. The same names exist here
as module attributes (``autograd.float is np.float32``), so a ported script's
``dtype=torch.long`` works. They are not in ``autograd.__all__``: ``from autograd
import *`` must not shadow Python's ``float``/``int``/``bool``.
"""
import numpy as np

__all__ = ["float32", "float64", "int64", "int32", "bool_", "float16", "int16", "int8",
           "uint8", "TORCH_ALIASES", "dtype_name"]

float32 = np.float32
float64 = np.float64
float16 = np.float16
int64 = np.int64
int32 = np.int32
int16 = np.int16
int8 = np.int8
uint8 = np.uint8
bool_ = np.bool_

# PyTorch's names (module attributes of autograd, not exported by `import *`)
float = np.float32  # noqa: A001
double = np.float64
half = np.float16
long = np.int64
int = np.int32  # noqa: A001
short = np.int16
bool = np.bool_  # noqa: A001

TORCH_ALIASES = {"float": float, "double": double, "half": half, "long": long, "int": int,
                 "short": short, "bool": bool}

_TORCH_NAMES = {"float32": "float32", "float64": "float64", "float16": "float16",
                "int64": "int64", "int32": "int32", "int16": "int16", "int8": "int8",
                "uint8": "uint8", "bool": "bool"}


def dtype_name(dtype) -> str:
    """PyTorch's spelling of a dtype: ``torch.float32``-style names without the prefix
    (``'float32'``, ``'int64'``, ``'bool'``)."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)
