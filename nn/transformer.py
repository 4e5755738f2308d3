"""Transformer layers with PyTorch's arguments, submodule names and defaults:
``TransformerEncoderLayer``, ``TransformerEncoder``, ``TransformerDecoderLayer``,
``TransformerDecoder``.

Post-norm (``norm_first=False``, the default): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
Pre-norm (``norm_first=True``): x = x + SA(norm1(x)); x = x + FF(norm2(x)).
FF(x) = linear2(dropout(activation(linear1(x)))); SA is self-attention followed by dropout.
"""
from __future__ import annotations

import copy
import math
from typing import Callable, Optional, Union

import numpy as np

import autograd as ag
from autograd import Tensor

from . import functional as F
from . import _args as A
from .attention import MultiheadAttention, heads_args
from .layers import Dropout, Linear
from .module import Module, ModuleList
from .seqlayers import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
           "TransformerDecoder", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, dtype=None) -> Tensor:
    """The float causal mask of PyTorch's ``Transformer.generate_square_subsequent_mask``:
    0 on and below the diagonal, -inf above (position i attends to j <= i)."""
    dt = dtype or ag.get_default_dtype()
    return ag.tensor(np.triu(np.full((sz, sz), -np.inf), k=1).astype(dt))


def _activation(act: Union[str, Callable], layer: str) -> Callable:
    if callable(act):
        return act
    if act == "relu":
        return F.relu
    if act == "gelu":
        return F.gelu
    if isinstance(act, str):
        raise ag.InvalidArgumentError(f"{layer}: activation should be relu/gelu, not {act!r}")
    raise TypeError(f"{layer}: activation must be 'relu', 'gelu' or a callable, got "
                    f"{type(act).__name__} {act!r}"[:200])


# the submodules whose own argument errors a transformer layer re-labels with its name
_PARTS = ("MultiheadAttention", "Linear", "LayerNorm", "Dropout")


def _layer_args(layer: str, d_model, nhead, dim_feedforward, dropout, activation,
                layer_norm_eps, dtype, n_attn: int, device=None):
    """A transformer layer's arguments checked in PyTorch's order (its attention first,
    then the feed-forward sizes, the dropout and the activation), and its parameters'
    memory checked before anything is allocated."""
    d_model, nhead = heads_args(d_model, nhead, layer, int_heads=False)
    A.device(device, layer)             # (PyTorch: its attention's torch.empty(device=))
    ff = A.size(dim_feedforward, "dim_feedforward", layer)
    A.probability(dropout, "dropout", layer)
    act = _activation(activation, layer)
    nhead = A.size(nhead, "nhead", layer)
    A.real(layer_norm_eps, "layer_norm_eps", layer)
    dt = A.dtype_arg(dtype, layer, ag.get_default_dtype())
    A.check_bytes(n_attn * (4 * d_model * d_model + 4 * d_model) + 2 * d_model * ff + ff
                  + d_model * (3 + 2 * n_attn), dt, layer)
    return d_model, nhead, ff, act, dt


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and a
    LayerNorm (after the residual by default, before the block with ``norm_first``).

    >>> import autograd as ag, nn
    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> layer(ag.ones(3, 5, 8)).shape
    (3, 5, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Union[str, Callable] = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        name = "TransformerEncoderLayer"
        d_model, nhead, dim_feedforward, act, dtype = _layer_args(
            name, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, dtype,
            1, device)
        with A.named(name, *_PARTS):
            self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                batch_first=batch_first, dtype=dtype)
            self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
            self.dropout = Dropout(dropout)
            self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
            self.norm_first = norm_first
            self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.dropout1 = Dropout(dropout)
            self.dropout2 = Dropout(dropout)
        self.activation = act
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None,
                is_causal: bool = False) -> Tensor:
        x = ag.as_tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Self-attention on the target, attention to the encoder's ``memory``, and a
    feed-forward block; each with a residual connection and a LayerNorm.

    >>> import autograd as ag, nn
    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> layer(ag.ones(3, 5, 8), ag.ones(3, 7, 8)).shape
    (3, 5, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Union[str, Callable] = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        name = "TransformerDecoderLayer"
        d_model, nhead, dim_feedforward, act, dtype = _layer_args(
            name, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, dtype,
            2, device)
        with A.named(name, *_PARTS):
            self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                batch_first=batch_first, dtype=dtype)
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                     batch_first=batch_first, dtype=dtype)
            self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
            self.dropout = Dropout(dropout)
            self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
            self.norm_first = norm_first
            self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.dropout1 = Dropout(dropout)
            self.dropout2 = Dropout(dropout)
            self.dropout3 = Dropout(dropout)
        self.activation = act
        self.batch_first = batch_first

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x = ag.as_tensor(tgt)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _clones(layer: Module, n, owner: str, what: str) -> ModuleList:
    """``n`` deep copies of ``layer`` (none for n <= 0, as PyTorch). The copies' memory
    is checked first: a huge ``num_layers`` is refused at once, not copied for hours."""
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: {what} must be a Module (e.g. nn.{owner}Layer(d_model, "
                        f"nhead)), got {type(layer).__name__} {layer!r}"[:200])
    n = A.int_arg(n, "num_layers", owner)
    if n <= 0:
        return ModuleList([])
    per = [(math.prod(p.shape), p.dtype) for p in layer.parameters()]
    # (each copy costs its parameters and at least a kilobyte of Python objects)
    A.check_bytes((sum(k * np.dtype(d).itemsize for k, d in per) + 1024) * n, np.uint8, owner,
                  f"{n} copies of the {type(layer).__name__}")
    return ModuleList([copy.deepcopy(layer) for _ in range(n)])


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ...)
    applied in turn, then the optional final ``norm``.

    >>> import autograd as ag, nn
    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> nn.TransformerEncoder(layer, num_layers=2)(ag.ones(3, 5, 8)).shape
    (3, 5, 8)
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Optional[Module] = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder", "encoder_layer")
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None,
                is_causal: Optional[bool] = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal) and mask is not None)
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn, then ``norm``.

    >>> import autograd as ag, nn
    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> dec = nn.TransformerDecoder(layer, num_layers=2)
    >>> dec(ag.ones(3, 5, 8), ag.ones(3, 7, 8)).shape
    (3, 5, 8)
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Optional[Module] = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder", "decoder_layer")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: Optional[bool] = None,
                memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal) and tgt_mask is not None,
                      memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x
