"""tapegrad's autograd: a tape-based reverse-mode automatic differentiation engine on NumPy.

    import autograd as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4.])

See README.md, docs/ and shared/API.md for the full surface. The op functions come
from the registry's table (``autograd.registry.PUBLIC``), through ``autograd.ops``.
"""
# __tapegrad__ (this line marks tapegrad's package: tapegrad/_guard.py looks for it)
# first: check that `autograd` and `nn` are tapegrad's (not another distribution's)
from tapegrad import _guard as _tapegrad_guard  # noqa: F401
from . import ops
from .ops import *  # noqa: F401,F403  (every public op: registry.PUBLIC)
from ._version import __version__
from .creation import (arange, empty, eye, full, full_like, linspace, ones, ones_like, zeros,
                       zeros_like)
from .dtypes import bool_, float32, float64, int32, int64
from .engine import backward, grad, graph_nodes
from .errors import DtypeError, InvalidArgumentError, OutOfMemoryError, ShapeError
from .storage import increment_version
from .function import Function, FunctionCtx
from .gradcheck import (BlameReport, GradcheckError, GradcheckReport, blame, gradcheck,
                        gradgradcheck, numerical_grad, numerical_jacobian)
from .random import default_generator, manual_seed, rand, randint, randn, randperm, seed
from .registry import COMPOSITES, OPS, OpDef, composite, defop
from .tape import (Node, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                   name_scope, no_grad, record_grads, set_grad_enabled)
from .tensor import Tensor, as_tensor, from_numpy, get_default_dtype, set_default_dtype, tensor
from . import functional, onnx, viz
from .compiler import compile  # noqa: E402  (the function; its package is autograd.compiler)

__all__ = [
    "Tensor", "tensor", "as_tensor", "from_numpy", "get_default_dtype", "set_default_dtype",
    "arange", "empty", "eye", "full", "full_like", "linspace", "ones", "ones_like", "zeros",
    "zeros_like", "bool_", "float32", "float64", "int32", "int64",
    "backward", "grad", "graph_nodes", "increment_version", "Function", "FunctionCtx",
    "BlameReport", "GradcheckError", "GradcheckReport", "blame", "gradcheck", "gradgradcheck", "numerical_grad",
    "numerical_jacobian", "default_generator", "manual_seed", "rand", "randint", "randn",
    "randperm", "seed", "COMPOSITES", "OPS", "OpDef", "composite", "defop",
    "Node", "detect_anomaly", "enable_grad", "is_anomaly_enabled", "is_grad_enabled",
    "name_scope", "no_grad", "record_grads", "set_grad_enabled", "functional", "onnx", "viz", "ops",
    "__version__", "ShapeError", "DtypeError", "InvalidArgumentError", "OutOfMemoryError", "compile",
] + ops.__all__
