"""``Embedding`` and ``LayerNorm``: PyTorch's arguments, parameters and initialisation."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np

import autograd as ag

from . import _args as A
from . import functional_seq as FS
from . import init
from .module import Module, Parameter

__all__ = ["Embedding", "LayerNorm"]


class Embedding(Module):
    """A lookup table: ``Embedding(V, D)(idx)`` returns ``weight[idx]`` (shape idx.shape + (D,)).

    ``weight`` (V, D) ~ N(0, 1) like PyTorch; the ``padding_idx`` row starts at zero and
    receives no gradient.

    >>> import autograd as ag, nn
    >>> nn.Embedding(10, 3)(ag.tensor([[1, 2], [4, 9]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight=None, _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        name = "Embedding"
        if padding_idx is not None:
            # PyTorch's order: padding_idx against num_embeddings (an assert), then sizes
            if not A.is_real(padding_idx) or not A.is_real(num_embeddings):
                raise TypeError(f"{name}: padding_idx and num_embeddings must be ints, got "
                                f"{padding_idx!r} and {num_embeddings!r}"[:200])
            if (padding_idx > 0 and not padding_idx < num_embeddings) or \
                    (padding_idx < 0 and not padding_idx >= -num_embeddings):
                raise ValueError(f"{name}: padding_idx must be within num_embeddings, got "
                                 f"padding_idx={padding_idx} for {num_embeddings} embeddings")
        num_embeddings = A.size(num_embeddings, "num_embeddings", name)
        embedding_dim = A.size(embedding_dim, "embedding_dim", name)
        if padding_idx is not None:
            # (PyTorch then zeroes weight[padding_idx]: IndexError for a float or no row)
            if not A.is_int(padding_idx):
                raise IndexError(f"{name}: padding_idx must be an int index, got "
                                 f"{padding_idx!r} (only integers are valid indices)")
            padding_idx = int(padding_idx)
            if padding_idx < 0:
                padding_idx += num_embeddings
            if not 0 <= padding_idx < num_embeddings:
                raise IndexError(f"{name}: padding_idx {padding_idx} is out of bounds for "
                                 f"{num_embeddings} embeddings")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are "
                                      "not supported")  # (after PyTorch's checks above)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        A.device(device, name)
        dt = A.dtype_arg(dtype, name, ag.get_default_dtype())
        if _weight is None:
            self.weight = Parameter(A.empty((num_embeddings, embedding_dim), dt, name),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = np.asarray(_weight.detach().numpy() if isinstance(_weight, ag.Tensor) else _weight)
            if w.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {w.shape}, expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(np.array(w, dtype=dtype or w.dtype), requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with ag.no_grad():
                self.weight[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: Optional[int] = None,
                        max_norm: Optional[float] = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> "Embedding":
        """An Embedding holding a copy of ``embeddings`` (V, D); frozen unless ``freeze=False``."""
        shape = tuple(np.shape(embeddings.detach().numpy() if isinstance(embeddings, ag.Tensor)
                               else embeddings))
        if len(shape) != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {shape}")
        return cls(shape[0], shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq,
                   sparse, _weight=embeddings, _freeze=freeze)

    def forward(self, input):
        return FS.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dimensions, then scale and shift:
    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, weight = 1 and bias = 0 at start.

    >>> import autograd as ag, nn
    >>> [round(v, 4) for v in nn.LayerNorm(3)(ag.tensor([[1.0, 2.0, 3.0]]))[0].tolist()]
    [-1.2247, 0.0, 1.2247]
    """

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        ns = A.sizes(normalized_shape, "normalized_shape", "LayerNorm")
        if any(d <= 0 for d in ns):
            raise ag.InvalidArgumentError(f"LayerNorm: normalized_shape must be positive, got "
                                          f"{ns}")
        self.normalized_shape = ns
        self.eps = A.real(eps, "eps", "LayerNorm")
        self.elementwise_affine = elementwise_affine
        A.device(device, "LayerNorm")
        dt = A.dtype_arg(dtype, "LayerNorm", ag.get_default_dtype())
        A.check_bytes(2 * math.prod(ns), dt, "LayerNorm")
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return FS.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
