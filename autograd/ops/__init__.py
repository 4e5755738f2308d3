"""All primitive ops (registered in ``OPS``) and the composites built on them.

One module per family: elementwise, reduce, shape, index, linalg, conv. Composites
(silu, var, std, stack, split, conv2d, pooling, dropout, ...) are registered in
``COMPOSITES`` so the generic gradient tests reach them too.
"""
from ..registry import OPS, apply
from .elementwise import (abs, add, cast, clamp, clip, clone, cos, div, divide, elu, erf, exp,
                          floor_divide, gelu, leaky_relu, log, log1p, maximum, minimum, mul,
                          multiply, neg, negative, ones_like, pow, reciprocal, relu, remainder,
                          rsqrt, sigmoid, sign, silu, sin, softplus, sqrt, square, sub, subtract,
                          swish, tan, tanh, true_divide, where, zeros_like)
from .reduce import (amax, amin, argmax, argmin, cumprod, cumsum, log_softmax, logsumexp, max,
                     mean, min, norm, prod, softmax, std, sum, sum_to, var)
from .shape import (broadcast_to, cat, chunk, concatenate, expand, expand_dims, flatten, flip,
                    pad, permute, reshape, split, squeeze, stack, swapaxes, transpose, unbind,
                    unsqueeze, view)
from .index import gather, getitem, index_add, index_select, take
from .linalg import dot, linear, matmul, mm
from .conv import avg_pool2d, conv2d, dropout, fold, max_pool2d, unfold
from .loss import softmax_cross_entropy

# Composite ops: public functions with no registered primitive of their own. Each
# needs samples in tests/op_db.py like a primitive; `smooth` says whether
# gradgradcheck applies.
COMPOSITES = {
    "silu": (silu, True), "var": (var, True), "std": (std, True), "stack": (stack, True),
    "split": (split, True), "avg_pool2d": (avg_pool2d, True), "dropout": (dropout, True), "expand": (expand, True),
    "squeeze": (squeeze, True), "unsqueeze": (unsqueeze, True), "flatten": (flatten, True),
    "transpose": (transpose, True), "square": (square, True), "chunk": (chunk, True),
    "unbind": (unbind, True), "flip": (flip, True), "gather": (gather, True),
    "index_select": (index_select, True), "norm": (norm, True),
}
