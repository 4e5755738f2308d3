"""Functional forms of the sequence layers (PyTorch's ``torch.nn.functional`` names):
``embedding``, ``layer_norm``, ``scaled_dot_product_attention`` and
``multi_head_attention_forward``. Re-exported by :mod:`nn.functional`.

All four are composites of autograd's public ops, so their gradients (of any order)
come from the ops' own vjps; masks are constants built with NumPy.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

import autograd as ag
from autograd import Tensor

from . import _args as A

__all__ = ["embedding", "layer_norm", "scaled_dot_product_attention",
           "multi_head_attention_forward"]

_Shape = Union[int, Sequence[int]]


def _arr(t) -> np.ndarray:
    """The values of a constant (mask, index) as an array, without touching autograd."""
    if isinstance(t, Tensor):
        return t.detach().numpy()
    return np.asarray(t)


# --------------------------------------------------------------------------- embedding
def embedding(input, weight: Tensor, padding_idx: Optional[int] = None,
              max_norm: Optional[float] = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (V, D) at the integer ``input`` indices: out[..., :] = weight[input[...]].

    The gradient of row v is the sum of the upstream gradients of every position that
    reads v (a scatter-add, getitem's vjp); with ``padding_idx`` that row gets no
    gradient, as in PyTorch (its value is still returned).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> w = ag.arange(6.0).reshape(3, 2)
    >>> F.embedding(ag.tensor([2, 0]), w).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding: weight must be a Tensor, got {type(weight).__name__}")
    if padding_idx is not None:
        # PyTorch's order: padding_idx against the rows (an assert), max_norm, then shapes
        if not A.is_real(padding_idx):
            raise TypeError(f"embedding: padding_idx must be an int, got "
                            f"{type(padding_idx).__name__} {padding_idx!r}"[:200])
        if weight.ndim == 0:
            raise IndexError("embedding: weight has no dimensions; it must be 2-D "
                             "(num_embeddings, embedding_dim)")
        if (padding_idx > 0 and not padding_idx < weight.shape[0]) or \
                (padding_idx < 0 and not padding_idx >= -weight.shape[0]):
            raise ValueError(f"embedding: padding_idx must be within num_embeddings, got "
                             f"padding_idx={padding_idx} for weight {tuple(weight.shape)}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported; "
            "renormalise the weight yourself under ag.no_grad() if you need max_norm")
    if weight.ndim != 2:
        raise ag.ShapeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                            f"got shape {tuple(weight.shape)}")
    if not isinstance(input, Tensor):          # (a ragged list is refused naming embedding)
        with A.named("embedding", "tensor"):
            input = ag.as_tensor(input)
    idx = _arr(input)
    if idx.dtype.kind not in "iu":
        raise ag.DtypeError(f"embedding: indices must be integers (int64 or int32), got "
                            f"{idx.dtype}; convert with .long()")
    n = weight.shape[0]
    if idx.size and (idx.max() >= n or idx.min() < 0):  # (negative too: PyTorch never wraps)
        bad = idx[(idx >= n) | (idx < 0)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for an embedding of "
                         f"{n} rows (valid: 0 to {n - 1}; weight {tuple(weight.shape)})")
    if padding_idx is not None:
        if not A.is_int(padding_idx):
            raise TypeError(f"embedding: padding_idx must be an int, got {padding_idx!r}")
        p = int(padding_idx + n if padding_idx < 0 else padding_idx)
        if weight.requires_grad and ag.is_grad_enabled():
            # the padding row is read through a detached copy: its value is returned, but
            # no gradient reaches it (PyTorch's padding_idx semantics)
            rows = np.zeros((n, 1), dtype=bool)
            rows[p] = True
            weight = ag.where(ag.tensor(rows), weight.detach(), weight)
    if isinstance(input, Tensor) and input.dtype != np.int64:
        return weight[input.long()]  # (a recorded cast: an exported graph reads int32 ids)
    return weight[idx]


# --------------------------------------------------------------------------- layer_norm
def layer_norm(input, normalized_shape: _Shape, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions:
    y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance
    (divided by n, as PyTorch). A composite of mean, sub, mul, rsqrt (its gradient is
    the usual dx = rstd (g' - mean(g') - xhat mean(g' xhat)) that autograd derives).

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> [round(v, 4) for v in F.layer_norm(ag.tensor([[1.0, 2.0, 3.0]]), (3,))[0].tolist()]
    [-1.2247, 0.0, 1.2247]
    """
    x = ag.as_tensor(input)
    ns = A.sizes(normalized_shape, "normalized_shape", "layer_norm")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and not isinstance(p, Tensor):
            raise TypeError(f"layer_norm: {name} must be a Tensor or None, got "
                            f"{type(p).__name__} {p!r}"[:200])
    A.real(eps, "eps", "layer_norm")
    if x.dtype.kind != "f":
        raise ag.DtypeError(f"layer_norm: not implemented for {x.dtype} input (as in "
                            f"PyTorch); convert with .float()")
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[-k:]) != ns:
        raise ag.ShapeError(f"layer_norm: given normalized_shape={list(ns)}, expected input "
                            f"with shape [*, {', '.join(map(str, ns))}], got input of shape "
                            f"{tuple(x.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != ns:
            raise ag.ShapeError(f"layer_norm: {name} has shape {tuple(p.shape)}, expected "
                                f"normalized_shape {ns}")
    if 0 in ns:  # nothing to normalise: an empty result, as in PyTorch
        return x * 1.0
    axes = tuple(range(x.ndim - k, x.ndim))
    xc = x - x.mean(axis=axes, keepdims=True)
    var = (xc * xc).mean(axis=axes, keepdims=True)
    y = xc * ag.rsqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


# --------------------------------------------------------------------------- attention
def _float_mask(mask, dtype, allow_value: bool, who: str):
    """A boolean or float mask as something to add to the scores: a float array (or the
    Tensor itself, when it is a float Tensor). ``allow_value``: what True means in a bool
    mask (True = may attend, for sdpa; True = masked out, for multi-head attention)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.dtype.kind == "f":
        return mask.astype(dtype) if mask.dtype != dtype else mask
    m = np.asarray(_arr(mask))
    if m.dtype == np.bool_:
        blocked = ~m if allow_value else m
        return np.where(blocked, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind == "f":
        return m.astype(dtype)
    raise TypeError(f"{who}: masks must be bool or float, got {m.dtype}")


def _add_mask(scores: Tensor, bias) -> Tensor:
    if bias is None:
        return scores
    return scores + (bias if isinstance(bias, Tensor) else ag.tensor(bias))


def _causal(l: int, s: int, dtype) -> np.ndarray:
    """PyTorch's is_causal mask: position i may attend to j <= i (top-left aligned)."""
    return np.where(np.tril(np.ones((l, s), dtype=bool)), 0.0, -np.inf).astype(dtype)


def _attend(q: Tensor, k: Tensor, v: Tensor, bias, dropout_p: float, scale: float,
            zero_dead: bool = False):
    """softmax(q k^T * scale + bias) (dropped out) @ v, and the attention weights.

    ``zero_dead``: a query whose every key is masked (-inf) gets weights 0 (output 0, no
    gradient) instead of NaN, as torch 2.13's scaled_dot_product_attention does."""
    scores = ag.matmul(q * scale, k.transpose(-2, -1))   # (..., L, S)
    keep = None
    if zero_dead and bias is not None:
        b = _arr(bias)
        dead = np.isneginf(b).all(axis=-1, keepdims=True)
        if dead.any():
            keep = (~dead).astype(q.dtype)
            bias = (ag.where(ag.tensor(dead), 0.0, bias) if isinstance(bias, Tensor)
                    else np.where(dead, 0.0, b))
    w = ag.softmax(_add_mask(scores, bias), dim=-1)
    if keep is not None:
        w = w * ag.tensor(keep)
    if dropout_p > 0.0:
        w = ag.dropout(w, p=dropout_p, training=True)
    return ag.matmul(w, v), w                              # (..., L, Ev)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + M) V over the last two dimensions, PyTorch's semantics.

    Q (..., L, E), K (..., S, E), V (..., S, Ev) -> (..., L, Ev); ``scale`` defaults to
    1/sqrt(E). ``attn_mask`` broadcasts to (..., L, S): a bool mask says where attention
    is *allowed* (False -> -inf), a float mask is added to the scores. ``is_causal``
    masks j > i (and cannot be combined with attn_mask). ``dropout_p`` drops attention
    weights whenever it is > 0, as torch does (pass 0.0 in eval). A query with every
    key masked gets output 0 (and no gradient), as torch 2.13 gives.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> q = ag.ones(2, 3, 5, 4)
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    (2, 3, 5, 4)
    """
    with A.named("scaled_dot_product_attention", "matmul", "softmax", "add", runtime=True):
        return _sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)


def _sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa) -> Tensor:
    q, k, v = (ag.as_tensor(t) for t in (query, key, value))
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported;"
                                  " repeat the key/value heads with repeat_interleave")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"scaled_dot_product_attention: query, key and value need at least 2 "
                         f"dimensions (..., L, E), got {tuple(q.shape)}, {tuple(k.shape)}, "
                         f"{tuple(v.shape)}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query (..., L, E) {tuple(q.shape)}, key "
                         f"(..., S, E) {tuple(k.shape)} and value (..., S, Ev) {tuple(v.shape)} "
                         f"do not fit: E of query and key, and S of key and value must agree")
    dropout_p = A.real(dropout_p, "dropout_p", "scaled_dot_product_attention")
    if scale is not None:
        scale = A.real(scale, "scale", "scaled_dot_product_attention")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1], got {dropout_p}")
    l, s = q.shape[-2], k.shape[-2]
    bias = _float_mask(attn_mask, q.dtype, True, "scaled_dot_product_attention")
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or "
                             "is_causal=True, not both (as in PyTorch)")
        bias = _causal(l, s, q.dtype)
    if bias is not None and tuple(bias.shape[-2:]) not in ((l, s), (1, s), (l, 1), (1, 1)):
        raise ValueError(f"scaled_dot_product_attention: attn_mask of shape "
                         f"{tuple(bias.shape)} does not broadcast to (..., L={l}, S={s})")
    sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return _attend(q, k, v, bias, dropout_p, sc, zero_dead=True)[0]


def _proj(x: Tensor, w: Tensor, b: Optional[Tensor], lo: int, hi: int, whole: bool):
    """x @ w[lo:hi]^T + b[lo:hi] (the whole matrix when ``whole``)."""
    if whole:
        return ag.linear(x, w, b)
    return ag.linear(x, w[lo:hi], None if b is None else b[lo:hi])


def multi_head_attention_forward(
        query, key, value, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
        bias_k: Optional[Tensor], bias_v: Optional[Tensor], add_zero_attn: bool,
        dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Optional[Tensor],
        training: bool = True, key_padding_mask=None, need_weights: bool = True,
        attn_mask=None, use_separate_proj_weight: bool = False,
        q_proj_weight: Optional[Tensor] = None, k_proj_weight: Optional[Tensor] = None,
        v_proj_weight: Optional[Tensor] = None, static_k: Optional[Tensor] = None,
        static_v: Optional[Tensor] = None, average_attn_weights: bool = True,
        is_causal: bool = False, batch_first: bool = False
) -> Tuple[Tensor, Optional[Tensor]]:
    """Multi-head attention (PyTorch's ``F.multi_head_attention_forward``).

    Inputs are (L, N, E) (or (N, L, E) with ``batch_first``; (L, E) unbatched). Per head h:
    softmax(Q_h K_h^T / sqrt(E/H) + M) V_h, heads concatenated and projected by
    ``out_proj``. Masks follow nn.MultiheadAttention: in a bool ``attn_mask`` (L, S) or
    (N*H, L, S) or ``key_padding_mask`` (N, S), True means *not allowed*; float masks
    are added. Returns (output, weights): weights (N, L, S) averaged over heads, or
    (N, H, L, S), or None without ``need_weights``. PyTorch's argument order, plus
    ``batch_first`` (tapegrad's: no transposes for batch-first input); ``static_k`` and
    ``static_v`` are not supported.

    >>> import autograd as ag
    >>> import nn.functional as F
    >>> E = 4; x = ag.ones(5, 2, E)
    >>> out, w = F.multi_head_attention_forward(x, x, x, E, 2, ag.ones(3 * E, E), None, None,
    ...                                         None, False, 0.0, ag.ones(E, E), None)
    >>> out.shape, w.shape
    ((5, 2, 4), (2, 5, 5))
    """
    with A.named("multi_head_attention_forward", "linear", "matmul", "reshape", "softmax",
                 "cat", "add", runtime=True):
        return _mha(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                    in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                    out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
                    use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                    static_k, static_v, average_attn_weights, is_causal, batch_first)


def _mha(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
         bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
         key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
         k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal,
         batch_first):
    """The body of multi_head_attention_forward (its arguments in the same order)."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not "
                                  "supported; pass the keys and values as key and value")
    q_in, k_in, v_in = (ag.as_tensor(t) for t in (query, key, value))
    batched = q_in.ndim == 3
    if q_in.ndim not in (2, 3) or k_in.ndim != q_in.ndim or v_in.ndim != q_in.ndim:
        raise ValueError(f"multi_head_attention_forward: query, key and value must all be 3-D "
                         f"(batched) or 2-D (unbatched), got {tuple(q_in.shape)}, "
                         f"{tuple(k_in.shape)}, {tuple(v_in.shape)}")
    name = "multi_head_attention_forward"
    if A.int_arg(num_heads, "num_heads", name) <= 0:
        raise ag.InvalidArgumentError(f"{name}: num_heads must be positive, got {num_heads}")
    A.int_arg(embed_dim_to_check, "embed_dim_to_check", name)
    dropout_p = A.real(dropout_p, "dropout_p", name)
    same_qkv = query is key and key is value
    same_kv = key is value
    # to (N, L, E) once; everything below is batch first
    if not batched:
        q_in, k_in, v_in = q_in.unsqueeze(0), k_in.unsqueeze(0), v_in.unsqueeze(0)
        if isinstance(key_padding_mask, Tensor):
            key_padding_mask = key_padding_mask.unsqueeze(0)
        elif key_padding_mask is not None:
            key_padding_mask = _arr(key_padding_mask)[None]
    elif not batch_first:
        q_in = q_in.transpose(0, 1)
        k_in = q_in if same_qkv else k_in.transpose(0, 1)
        v_in = k_in if same_kv else v_in.transpose(0, 1)
    n, l, e = q_in.shape
    s = k_in.shape[1]
    if e != embed_dim_to_check:
        raise ValueError(f"multi_head_attention_forward: query has embedding dimension {e}, the layer "
                         f"was built for embed_dim={embed_dim_to_check}")
    if k_in.shape[0] != n or v_in.shape[0] != n or v_in.shape[1] != s:
        raise ValueError(f"multi_head_attention_forward: key {tuple(k_in.shape)} and value "
                         f"{tuple(v_in.shape)} (batch first) must share batch and sequence "
                         f"sizes, and the batch size of query {tuple(q_in.shape)}")
    h = num_heads
    hd = e // h
    if hd * h != e:
        raise ValueError(f"multi_head_attention_forward: embed_dim {e} is not divisible by num_heads {h}")
    # ---- projections: (N, L, E) -> (N, H, L, hd)
    if not use_separate_proj_weight and same_qkv and bias_k is None:
        qkv = ag.linear(q_in, in_proj_weight, in_proj_bias)                 # (N, L, 3E)
        qkv = qkv.reshape(n, l, 3, h, hd).permute(2, 0, 3, 1, 4)           # (3, N, H, L, hd)
        q, k, v = qkv[0], qkv[1], qkv[2]
        kv_done = True
    else:
        if use_separate_proj_weight:
            b = in_proj_bias
            q = ag.linear(q_in, q_proj_weight, None if b is None else b[:e])
            k = ag.linear(k_in, k_proj_weight, None if b is None else b[e:2 * e])
            v = ag.linear(v_in, v_proj_weight, None if b is None else b[2 * e:])
        else:
            q = _proj(q_in, in_proj_weight, in_proj_bias, 0, e, False)
            if same_kv:
                kv = _proj(k_in, in_proj_weight, in_proj_bias, e, 3 * e, False)
                k, v = kv[..., :e], kv[..., e:]
            else:
                k = _proj(k_in, in_proj_weight, in_proj_bias, e, 2 * e, False)
                v = _proj(v_in, in_proj_weight, in_proj_bias, 2 * e, 3 * e, False)
        kv_done = False
    dtype = q_in.dtype
    # ---- masks, as one additive bias broadcasting to (N, H, L, S)
    am = _float_mask(attn_mask, dtype, False, "multi_head_attention_forward")
    if am is not None:
        if tuple(am.shape) == (l, s):
            pass
        elif am.ndim == 3 and tuple(am.shape) == (n * h, l, s):
            am = am.reshape(n, h, l, s)
        else:
            raise ValueError(f"multi_head_attention_forward: attn_mask must be (L, S) = ({l}, {s}) or "
                             f"(N*num_heads, L, S) = ({n * h}, {l}, {s}), got {tuple(am.shape)}")
    elif is_causal:
        raise ValueError("multi_head_attention_forward: is_causal=True is a hint that attn_mask is "
                         "the causal mask; pass attn_mask as well (as in PyTorch)")
    kpm = _float_mask(key_padding_mask, dtype, False, "multi_head_attention_forward")
    if kpm is not None:
        if tuple(kpm.shape) != (n, s):
            raise ValueError(f"multi_head_attention_forward: key_padding_mask must be (N, S) = "
                             f"({n}, {s}), got {tuple(kpm.shape)}")
        kpm = kpm.reshape(n, 1, 1, s)
    if bias_k is not None and bias_v is not None:
        # one more key/value position, appended after the projection (its mask entry is 0)
        k = ag.cat([k, ag.broadcast_to(bias_k.reshape(1, 1, e), (n, 1, e))], dim=1)
        v = ag.cat([v, ag.broadcast_to(bias_v.reshape(1, 1, e), (n, 1, e))], dim=1)
        am, kpm = _pad_last(am), _pad_last(kpm)
        s += 1
    elif bias_k is not None or bias_v is not None:
        raise ValueError("multi_head_attention_forward: bias_k and bias_v go together")
    if not kv_done:
        q = q.reshape(n, l, h, hd).transpose(1, 2)
        k = k.reshape(n, s, h, hd).transpose(1, 2)
        v = v.reshape(n, s, h, hd).transpose(1, 2)
    if add_zero_attn:
        z = ag.zeros(n, h, 1, hd, dtype=dtype)
        k, v = ag.cat([k, z], dim=2), ag.cat([v, z], dim=2)
        am, kpm = _pad_last(am), _pad_last(kpm)
        s += 1
    bias = am
    if kpm is not None:
        bias = kpm if bias is None else _sum_masks(bias, kpm)
    p = dropout_p if training else 0.0
    # without need_weights torch runs scaled_dot_product_attention: 0 for a query that
    # may attend to nothing; with need_weights its explicit softmax gives NaN there
    out, w = _attend(q, k, v, bias, p, 1.0 / math.sqrt(hd), zero_dead=not need_weights)
    out = out.transpose(1, 2).reshape(n, l, e)
    out = ag.linear(out, out_proj_weight, out_proj_bias)                  # (N, L, E)
    if not batched:
        out = out[0]
    elif not batch_first:
        out = out.transpose(0, 1)
    if not need_weights:
        return out, None
    if average_attn_weights:
        w = w.mean(dim=1)                                                 # (N, L, S)
    return out, (w[0] if not batched else w)


def _pad_last(m):
    """A mask with one more (zero: allowed) key position."""
    if m is None:
        return None
    if isinstance(m, Tensor):
        return ag.pad(m, (0, 1))             # PyTorch's F.pad form: the last dimension
    return np.pad(m, [(0, 0)] * (m.ndim - 1) + [(0, 1)])


def _sum_masks(a, b):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return ag.as_tensor(a) + ag.as_tensor(b)
    return a + b
