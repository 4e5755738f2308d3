"""tapegrad's autograd: a tape-based reverse-mode automatic differentiation engine on NumPy.

    import autograd as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4.])

See README.md, docs/ and shared/API.md for the full surface.
"""
from . import ops as _ops_module
from .backends import _install_tg as _install_tg
from .creation import (arange, empty, eye, full, full_like, linspace, ones, ones_like, zeros,
                       zeros_like)
from .engine import backward, grad, graph_nodes
from .function import Function, FunctionCtx
from .gradcheck import (GradcheckError, GradcheckReport, gradcheck, gradgradcheck,
                        numerical_grad, numerical_jacobian)
from .ops import (COMPOSITES, OPS, abs, add, amax, amin, argmax, argmin, avg_pool2d, broadcast_to,
                  cast, cat, chunk, clamp, clip, clone, concatenate, conv2d, cos, cumprod, cumsum,
                  div, divide, dot, dropout, elu, erf, exp, expand, expand_dims, flatten, flip,
                  floor_divide, fold, gather, gelu, getitem, index_add, index_select, leaky_relu,
                  linear, log, log1p, log_softmax, logsumexp, matmul, max, max_pool2d, maximum,
                  mean, min, minimum, mm, mul, multiply, neg, negative, norm, pad, permute, pow,
                  prod, reciprocal, relu, remainder, reshape, rsqrt, sigmoid, sign, silu, sin,
                  softmax, softmax_cross_entropy, softplus, split, sqrt, square, squeeze, stack,
                  std, sub, subtract, sum, sum_to, swapaxes, swish, take, tan, tanh, transpose,
                  true_divide, unbind, unfold, unsqueeze, var, view, where)
from .random import default_generator, manual_seed, rand, randint, randn, randperm, seed
from .registry import OpDef, defop
from .tape import (Node, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                   name_scope, no_grad, record_grads, set_grad_enabled)
from .tensor import Tensor, as_tensor, from_numpy, get_default_dtype, set_default_dtype, tensor
from . import functional
from . import viz

_install_tg()

import numpy as _np

float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
int32 = _np.int32
bool_ = _np.bool_

__version__ = "0.1.0"


def _attach_methods() -> None:
    """Method forms of the ops: ``t.exp()``, ``t.sum(dim=1)``, ``t.reshape(2, 3)``, ..."""
    names = ["exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
             "leaky_relu", "elu", "gelu", "silu", "softplus", "clamp", "clip", "maximum",
             "minimum", "sum", "mean", "max", "min", "var", "std", "prod", "logsumexp",
             "argmax", "argmin", "reshape", "view", "flatten", "squeeze", "unsqueeze",
             "transpose", "permute", "expand", "broadcast_to", "split", "chunk", "softmax",
             "log_softmax", "matmul", "abs", "sign", "erf", "square", "rsqrt", "reciprocal",
             "amax", "amin", "unbind", "flip", "swapaxes", "pow", "neg", "dropout", "pad",
             "take", "floor_divide", "remainder", "gather", "index_select",
             "cumsum", "cumprod", "norm"]
    for n in names:
        setattr(Tensor, n, getattr(_ops_module, n))
    Tensor.expand_as = lambda self, other: broadcast_to(self, other.shape)
    Tensor.view_as = lambda self, other: reshape(self, other.shape)
    Tensor.reshape_as = Tensor.view_as
    Tensor.type_as = lambda self, other: self.to(other.dtype)
    Tensor.where = lambda self, cond, other: where(cond, self, other)
    Tensor.masked_fill = lambda self, mask, value: where(mask, as_tensor(value, like=self), self)


_attach_methods()

__all__ = [n for n in dir() if not n.startswith("_")]
