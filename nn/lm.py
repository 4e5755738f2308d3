"""Two small causal language models over token sequences (n, t) -> logits (n, t, vocab):
``DecoderLM``, a decoder-only transformer (nanoGPT's shape, built from
nn.TransformerEncoderLayer with a causal mask), and ``LSTMLM``, an LSTM language model.
``tapegrad train --dataset addition --model transformer|lstm`` trains them.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

import autograd as ag

from .layers import Linear
from .module import Module, ModuleList
from .rnn import LSTM
from .seqlayers import Embedding, LayerNorm
from .transformer import TransformerEncoderLayer

__all__ = ["DecoderLM", "LSTMLM"]


class DecoderLM(Module):
    """Token + learned position embeddings, ``n_layer`` pre-norm transformer blocks with
    causal self-attention (position i sees positions <= i), a final LayerNorm and a linear
    head to the vocabulary."""

    def __init__(self, vocab: int, block_size: int, d_model: int = 64, n_head: int = 4,
                 n_layer: int = 2, dim_feedforward: Optional[int] = None,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok = Embedding(vocab, d_model)
        self.pos = Embedding(block_size, d_model)
        self.blocks = ModuleList([
            TransformerEncoderLayer(d_model, n_head, dim_feedforward or 4 * d_model, dropout,
                                    activation="relu", batch_first=True, norm_first=True)
            for _ in range(n_layer)])
        self.norm = LayerNorm(d_model)
        self.head = Linear(d_model, vocab)
        with ag.no_grad():      # GPT-2's small init keeps the first losses near log(vocab)
            for e in (self.tok, self.pos):
                e.weight.copy_(e.weight * 0.1)

    def forward(self, idx) -> ag.Tensor:
        idx = np.asarray(idx.detach().numpy() if isinstance(idx, ag.Tensor) else idx)
        n, t = idx.shape                                              # (N, T)
        if t > self.block_size:
            raise ValueError(f"DecoderLM: sequence of {t} tokens is longer than block_size "
                             f"{self.block_size}")
        x = self.tok(idx) + self.pos(np.arange(t))                    # (N, T, D)
        mask = np.triu(np.ones((t, t), dtype=bool), 1)                # True: may not attend
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.norm(x))                                # (N, T, V)

    def attention_maps(self, idx) -> list:
        """Per block, the (N, H, T, T) attention weights of a forward on ``idx``."""
        idx = np.asarray(idx)
        t = idx.shape[1]
        mask = np.triu(np.ones((t, t), dtype=bool), 1)
        maps = []
        with ag.no_grad():
            x = self.tok(idx) + self.pos(np.arange(t))
            for block in self.blocks:
                h = block.norm1(x)
                _, w = block.self_attn(h, h, h, attn_mask=mask, need_weights=True,
                                       average_attn_weights=False)
                maps.append(w.detach().numpy())
                x = block(x, src_mask=mask, is_causal=True)
        return maps


class LSTMLM(Module):
    """Token embedding, a ``num_layers`` LSTM and a linear head (causal by construction)."""

    def __init__(self, vocab: int, d_embed: int = 32, hidden: int = 128,
                 num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        self.tok = Embedding(vocab, d_embed)
        self.lstm = LSTM(d_embed, hidden, num_layers=num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0)
        self.head = Linear(hidden, vocab)

    def forward(self, idx) -> ag.Tensor:
        idx = np.asarray(idx.detach().numpy() if isinstance(idx, ag.Tensor) else idx)
        out, _ = self.lstm(self.tok(idx))                             # (N, T, H)
        return self.head(out)                                         # (N, T, V)
