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
from .creation import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,
                       IntTensor, LongTensor, ShortTensor, Size, arange, empty, empty_like, eye,
                       full, full_like, linspace, normal, ones, ones_like, rand_like,
                       randint_like, randn_like, zeros, zeros_like)
from .devices import check_device, device, get_default_device, set_default_device
from .dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
# PyTorch's dtype aliases (autograd.float is float32, ...): attributes, not in __all__
from .dtypes import bool, double, float, half, int, long, short  # noqa: A004
from .engine import backward, grad, graph_nodes
from .errors import DtypeError, InvalidArgumentError, OutOfMemoryError, ShapeError
from .storage import increment_version
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import (BlameReport, GradcheckError, GradcheckReport, blame, gradcheck,
                        gradgradcheck, numerical_grad, numerical_jacobian)
from .random import default_generator, manual_seed, rand, randint, randn, randperm, seed
from .registry import COMPOSITES, OPS, OpDef, composite, defop
from .tape import (Node, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                   name_scope, no_grad, record_grads, set_grad_enabled)
from .tape import no_grad as inference_mode  # (torch.inference_mode: no recording)
from .tensor import Tensor, as_tensor, from_numpy, get_default_dtype, set_default_dtype, tensor
from . import functional, onnx, viz
from .compiler import compile  # noqa: E402  (the function; its package is autograd.compiler)
from . import autograd, backends, cuda, utils
from .autograd import Variable
from ._lazy import __getattr__, set_printoptions  # autograd.nn, .optim: on first use

__all__ = [
    "Tensor", "tensor", "as_tensor", "from_numpy", "get_default_dtype", "set_default_dtype",
    "arange", "empty", "eye", "full", "full_like", "linspace", "ones", "ones_like", "zeros",
    "zeros_like", "empty_like", "rand_like", "randn_like", "randint_like", "normal", "Size",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "ByteTensor", "CharTensor", "BoolTensor", "device", "check_device", "get_default_device",
    "set_default_device", "bool_", "float16", "float32", "float64", "int8", "int16", "int32",
    "int64", "uint8", "once_differentiable", "autograd", "backends", "cuda", "utils",
    "Variable", "set_printoptions", "inference_mode",
    "backward", "grad", "graph_nodes", "increment_version", "Function", "FunctionCtx",
    "BlameReport", "GradcheckError", "GradcheckReport", "blame", "gradcheck", "gradgradcheck", "numerical_grad",
    "numerical_jacobian", "default_generator", "manual_seed", "rand", "randint", "randn",
    "randperm", "seed", "COMPOSITES", "OPS", "OpDef", "composite", "defop",
    "Node", "detect_anomaly", "enable_grad", "is_anomaly_enabled", "is_grad_enabled",
    "name_scope", "no_grad", "record_grads", "set_grad_enabled", "functional", "onnx", "viz", "ops",
    "__version__", "ShapeError", "DtypeError", "InvalidArgumentError", "OutOfMemoryError", "compile",
] + ops.__all__
