"""``MultiheadAttention``: PyTorch's arguments, parameters (``in_proj_weight``,
``in_proj_bias``, ``out_proj``; ``q/k/v_proj_weight`` when kdim/vdim differ; ``bias_k``,
``bias_v``) and initialisation (xavier_uniform in-projection, zero biases)."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

from . import _args as A
from . import functional_seq as FS
from . import init
from .layers import Linear
from .module import Module, Parameter

__all__ = ["MultiheadAttention"]


def heads_args(embed_dim, num_heads, layer: str, int_heads: bool = True) -> Tuple[int, int]:
    """``embed_dim`` and ``num_heads`` checked in PyTorch's order: both positive
    (ValueError), embed_dim divisible by num_heads (ValueError; PyTorch asserts), ints
    (TypeError; num_heads left as given without ``int_heads``: PyTorch's transformer
    layers check their other arguments before a float num_heads fails)."""
    for what, v in (("embed_dim", embed_dim), ("num_heads", num_heads)):
        if not A.is_real(v) and getattr(v, "shape", None) != ():
            raise TypeError(f"{layer}: {what} must be an int, got {type(v).__name__} "
                            f"{v!r}"[:200])
    if not (embed_dim > 0 and num_heads > 0):
        raise ValueError(f"{layer}: embed_dim and num_heads must be greater than 0, got "
                         f"embed_dim={embed_dim} and num_heads={num_heads}")
    try:
        divisible = (embed_dim // num_heads) * num_heads == embed_dim
    except (OverflowError, TypeError, ValueError):
        divisible = True               # (the int checks below explain it)
    if not divisible:
        raise ValueError(f"{layer}: embed_dim ({embed_dim}) must be divisible by num_heads "
                         f"({num_heads})")
    # (a float num_heads, even 2.0, is refused by A.size: PyTorch builds such a layer but
    # its first forward fails in view())
    e = A.size(embed_dim, "embed_dim", layer)
    return e, (A.size(num_heads, "num_heads", layer) if int_heads else num_heads)


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's output projection (a plain Linear)."""


class MultiheadAttention(Module):
    """Multi-head attention: out = concat_h softmax(Q_h K_h^T / sqrt(d) + M) V_h  W_o^T + b_o,
    with Q, K, V = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns (output, weights or None); masks
    as in PyTorch (a True entry of a bool mask is *not* attended).

    >>> import autograd as ag, nn
    >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
    >>> x = ag.ones(3, 5, 8)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: Optional[int] = None, vdim: Optional[int] = None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        name = "MultiheadAttention"
        embed_dim, num_heads = heads_args(embed_dim, num_heads, name, int_heads=False)
        A.device(device, name)      # (PyTorch: at the first torch.empty(device=), before kdim)
        kdim = embed_dim if kdim is None else A.size(kdim, "kdim", name)
        vdim = embed_dim if vdim is None else A.size(vdim, "vdim", name)
        num_heads = A.size(num_heads, "num_heads", name)
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout = A.real(dropout, "dropout", name)
        self.kdim, self.vdim = kdim, vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        dt = A.dtype_arg(dtype, name, ag.get_default_dtype())
        e = embed_dim
        A.check_bytes(4 * e * e + 4 * e + e * (self.kdim + self.vdim), dt, name)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype=dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype=dt))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype=dt))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype=dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty((3 * e,), dtype=dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(e, e, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, e), dtype=dt))
            self.bias_v = Parameter(np.empty((1, 1, e), dtype=dt))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: xavier_uniform_ on the in-projection(s), zero in_proj_bias and
        out_proj.bias, xavier_normal_ on bias_k/bias_v (out_proj.weight keeps Linear's init)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        return FS.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal, batch_first=self.batch_first)

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"batch_first={self.batch_first}")
