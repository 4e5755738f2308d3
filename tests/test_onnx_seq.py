"""ONNX export of the sequence models (issue 15): Embedding, RNN / GRU / LSTM,
MultiheadAttention, the transformer layers and the addition task's language models pass
onnx.checker and run in onnxruntime with a batch size other than the traced one, with
tapegrad's outputs (float32, rtol = atol = 1e-5); int64 token ids are graph inputs."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import autograd as ag
import autograd.onnx as agonnx
import nn

ort.set_default_logger_severity(4)

V, T, E, H = 12, 6, 8, 5
TRACE_B, RUN_B = 3, (5, 1, 3)          # traced at 3; run at 5, 1 and 3


def _rng(seed=0):
    return np.random.default_rng(seed)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _export_and_compare(model, make, in_axes, out_axes):
    """Export ``model`` on ``make(TRACE_B)`` with dynamic ``in_axes`` ({input: batch axis})
    and ``out_axes`` ({output: batch axis}); run it at other batch sizes and compare."""
    args = make(TRACE_B)
    names = [f"in{i}" for i in range(len(args))]
    n_out = len(_flat(model(*[ag.tensor(a) for a in args])))
    onames = [f"out{k}" for k in range(n_out)]
    axes = {names[i]: {a: "batch"} for i, a in in_axes.items()}
    axes.update({onames[k]: {a: "batch"} for k, a in out_axes.items()})
    proto = agonnx.export(model, tuple(ag.tensor(a) for a in args), None, input_names=names,
                          output_names=onames, dynamic_axes=axes)
    onnx.checker.check_model(proto, full_check=True)
    for i, a in in_axes.items():
        assert proto.graph.input[i].type.tensor_type.shape.dim[a].dim_param == "batch"
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    if hasattr(model, "eval"):
        model.eval()
    for b in RUN_B:
        args = make(b)
        got = sess.run(None, dict(zip(names, args)))
        with ag.no_grad():
            want = _flat(model(*[ag.tensor(a) for a in args]))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            w = w.numpy()
            assert g.dtype == w.dtype and g.shape == w.shape, (g.shape, w.shape)
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return proto


def _tokens(rng):
    return lambda b: (rng.integers(0, V, size=(b, T)).astype(np.int64),)


def _feats(rng, batch_first=True, *more):
    def make(b):
        x = rng.standard_normal((b, T, E) if batch_first else (T, b, E)).astype(np.float32)
        return (x,) + tuple(rng.standard_normal(s(b)).astype(np.float32) for s in more)
    return make


# --------------------------------------------------------------------------- Embedding
def test_embedding_reads_its_int64_indices_from_the_input():
    ag.manual_seed(0)
    rng = _rng()
    proto = _export_and_compare(nn.Embedding(V, E), _tokens(rng), {0: 0}, {0: 0})
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    # the traced tokens are not baked in: one Gather reads the input itself
    gathers = [n for n in proto.graph.node if n.op_type == "Gather"]
    assert len(gathers) == 1 and gathers[0].input[1] == "in0"
    assert {i.name for i in proto.graph.initializer} == {"weight"}


def test_int32_token_ids_are_cast_on_entry():
    """int32 ids (what many tokenizers give) were refused as "never read": the graph now
    takes them as int32 and casts them to int64 before the Gather, at any batch size."""
    ag.manual_seed(0)
    rng = _rng(2)
    model = nn.Sequential(nn.Embedding(V, E), nn.Linear(E, 3))
    proto = _export_and_compare(
        model, lambda b: (rng.integers(0, V, size=(b, T)).astype(np.int32),), {0: 0}, {0: 0})
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT32
    cast = proto.graph.node[0]
    assert cast.op_type == "Cast" and cast.input[0] == "in0"
    gathers = [n for n in proto.graph.node if n.op_type == "Gather"]
    assert len(gathers) == 1 and gathers[0].input[1] == cast.output[0]


def test_embedding_followed_by_layers_with_a_padding_index_and_frozen():
    ag.manual_seed(1)
    model = nn.Sequential(nn.Embedding(V, E, padding_idx=0), nn.LayerNorm(E), nn.Linear(E, 3),
                          nn.Tanh())
    proto = _export_and_compare(model, _tokens(_rng(1)), {0: 0}, {0: 0})
    # the padding row is read through weight.detach(), the same buffer: no copy of it
    assert not [i for i in proto.graph.initializer if tuple(i.dims) == (V, E) and i.name != "0.weight"]
    frozen = nn.Sequential(nn.Embedding.from_pretrained(ag.randn(V, E)), nn.Linear(E, 3))
    proto = _export_and_compare(frozen, _tokens(_rng(1)), {0: 0}, {0: 0})
    assert not frozen[0].weight.requires_grad                   # restored after the trace
    assert "0.weight" in {i.name for i in proto.graph.initializer}


def test_index_arrays_read_from_inputs_gather_index_select_and_two_arrays():
    rng = _rng(2)
    w = ag.randn(7, 4).requires_grad_()          # (a tensor that does not require grad
    # indexed by an input is a constant of the index's shape: refused below)
    ints = lambda lo, hi, s: rng.integers(lo, hi, size=s)                 # noqa: E731
    _export_and_compare(lambda x, i: ag.gather(x, 1, i) * 2,
                        lambda b: (rng.standard_normal((b, 7)).astype(np.float32),
                                   ints(0, 7, (b, 3))), {0: 0, 1: 0}, {0: 0})
    _export_and_compare(lambda x, i: ag.index_select(x, 0, i) + w[i],
                        lambda b: (rng.standard_normal((7, 4)).astype(np.float32),
                                   ints(-7, 7, (b,)) % 7), {1: 0}, {0: 0})
    # two index arrays (one a negative-index input), broadcast against each other
    # and an int with an array (PyTorch's order: the int first)
    _export_and_compare(lambda x, i, j: x[i, j] + x[1, j].sum(),
                        lambda b: (rng.standard_normal((7, 4)).astype(np.float32),
                                   ints(0, 7, (b, 1)), ints(-4, 4, (2,))), {1: 0}, {0: 0})


# --------------------------------------------------------------------------- recurrent layers
@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layers_with_two_layers(cls, batch_first, bidirectional):
    ag.manual_seed(2)
    model = cls(E, H, num_layers=2, batch_first=batch_first, bidirectional=bidirectional)
    n_states = 2 if cls is nn.LSTM else 1
    outs = {0: 0 if batch_first else 1, **{k: 1 for k in range(1, 1 + n_states)}}
    _export_and_compare(model, _feats(_rng(3), batch_first), {0: 0 if batch_first else 1}, outs)


class _WithState(nn.Module):
    """An LSTM / GRU whose initial states are graph inputs."""

    def __init__(self, cls, **kw):
        super().__init__()
        self.rnn = cls(E, H, **kw)

    def forward(self, x, h, *c):
        return self.rnn(x, (h, c[0]) if c else h)


def test_recurrent_layers_with_initial_states_projection_and_relu():
    ag.manual_seed(3)
    rng = _rng(4)
    state = lambda b: (2, b, H)                                           # noqa: E731
    _export_and_compare(_WithState(nn.GRU, num_layers=2, batch_first=True),
                        _feats(rng, True, state), {0: 0, 1: 1}, {0: 0, 1: 1})
    _export_and_compare(_WithState(nn.LSTM, bidirectional=True),
                        _feats(rng, False, state, state), {0: 1, 1: 1, 2: 1},
                        {0: 1, 1: 1, 2: 1})
    _export_and_compare(nn.LSTM(E, 6, num_layers=2, proj_size=3, batch_first=True),
                        _feats(rng), {0: 0}, {0: 0, 1: 1, 2: 1})
    _export_and_compare(nn.RNN(E, H, nonlinearity="relu", bias=False), _feats(rng, False),
                        {0: 1}, {0: 1, 1: 1})


def test_lstm_lm_on_addition_batches():
    from nn.addition import Addition
    from nn.cli.train_seq import build_seq_model

    ag.manual_seed(4)
    model = build_seq_model("lstm", hidden=16)
    task = Addition(seed=0)
    _export_and_compare(model, lambda b: (task.batch(b)[0].astype(np.int64),), {0: 0}, {0: 0})


# --------------------------------------------------------------------------- attention
class _Attn(nn.Module):
    def __init__(self, self_attn=True, need_weights=True, mask=None, **kw):
        super().__init__()
        self.a = nn.MultiheadAttention(E, 2, batch_first=True, **kw)
        self.self_attn, self.need_weights, self.mask = self_attn, need_weights, mask

    def forward(self, q, *rest):
        """Self-attention: (query, [key_padding_mask]); else (query, key_value)."""
        kv = q if self.self_attn else rest[0]
        kpm = rest[0] if self.self_attn and rest else None
        return self.a(q, kv, kv, key_padding_mask=kpm, need_weights=self.need_weights,
                      attn_mask=self.mask)


def test_multihead_attention():
    ag.manual_seed(5)
    rng = _rng(5)
    memory = lambda b: (b, 4, E)                                          # noqa: E731
    _export_and_compare(_Attn(), _feats(rng), {0: 0}, {0: 0, 1: 0})      # output and weights
    _export_and_compare(_Attn(False, False), _feats(rng, True, memory), {0: 0, 1: 0}, {0: 0})
    _export_and_compare(_Attn(False, True, add_bias_kv=True, add_zero_attn=True),
                        _feats(rng, True, memory), {0: 0, 1: 0}, {0: 0, 1: 0})

    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    pad = lambda b: np.where(rng.random((b, T)) < 0.3, -1e9, 0.0).astype(np.float32)  # noqa: E731
    _export_and_compare(_Attn(mask=causal), lambda b: (_feats(rng)(b)[0], pad(b)),
                        {0: 0, 1: 0}, {0: 0, 1: 0})         # a float key_padding_mask input


# --------------------------------------------------------------------------- transformers
class _Causal(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, *xs):
        mask = np.triu(np.ones((T, T), dtype=bool), 1)
        if len(xs) == 1:
            return self.layer(xs[0], mask, is_causal=True)
        return self.layer(xs[0], xs[1], tgt_mask=mask, tgt_is_causal=True)


def test_transformer_layers():
    ag.manual_seed(6)
    rng = _rng(6)
    memory = lambda b: (b, 4, E)                                          # noqa: E731
    memory_t = lambda b: (4, b, E)                                        # noqa: E731
    _export_and_compare(nn.TransformerEncoderLayer(E, 2, 16, 0.1, batch_first=True),
                        _feats(rng), {0: 0}, {0: 0})
    _export_and_compare(nn.TransformerEncoderLayer(E, 2, 16, 0.1, activation="gelu",
                                                   batch_first=True, norm_first=True),
                        _feats(rng), {0: 0}, {0: 0})
    _export_and_compare(nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16), 2),
                        _feats(rng, False), {0: 1}, {0: 1})
    _export_and_compare(_Causal(nn.TransformerEncoderLayer(E, 2, 16, batch_first=True)),
                        _feats(rng), {0: 0}, {0: 0})
    _export_and_compare(nn.TransformerDecoderLayer(E, 2, 16, 0.1, batch_first=True),
                        _feats(rng, True, memory), {0: 0, 1: 0}, {0: 0})
    _export_and_compare(_Causal(nn.TransformerDecoder(nn.TransformerDecoderLayer(E, 2, 16), 2)),
                        _feats(rng, False, memory_t), {0: 1, 1: 1}, {0: 1})


def test_decoder_lm_on_addition_batches(tmp_path):
    from nn.addition import Addition
    from nn.cli.train_seq import build_seq_model

    ag.manual_seed(7)
    model = build_seq_model("transformer", hidden=16)
    task = Addition(seed=1)
    with ag.no_grad():                 # the 0.1-scaled init makes the logits nearly equal
        for p in model.parameters():
            p.copy_(ag.randn(*p.shape) * 0.5)
    _export_and_compare(model, lambda b: (task.batch(b)[0].astype(np.int64),), {0: 0}, {0: 0})


# --------------------------------------------------------------------------- what is refused
def test_what_sequence_models_cannot_export_is_refused_by_name():
    ag.manual_seed(8)
    tokens = ag.tensor(np.zeros((2, T), dtype=np.int64))

    class ShiftedIds(nn.Module):        # ids computed with NumPy: a new array, not the input
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, E)

        def forward(self, x):
            return self.emb(ag.tensor(x.numpy() + 1))
    with pytest.raises(agonnx.ExportError, match="'input_0' is never read"):
        agonnx.export(ShiftedIds(), (tokens,), None)

    class PerRow(nn.Module):            # a constant with one row per batch element
        def forward(self, x):
            return x * ag.tensor(np.arange(x.shape[0], dtype=np.float32)[:, None])
    with pytest.raises(agonnx.ExportError, match="`mul` reads a constant of shape \\(2, 1\\)"):
        agonnx.export(PerRow(), (ag.randn(2, 3),), None, dynamic_axes={"input_0": [0]})
    with pytest.raises(agonnx.ExportError, match="`getitem`|`add` reads a constant"):
        w = ag.randn(7, 4)
        agonnx.export(lambda x, i: x[i] + w[i], (ag.randn(7, 4), ag.tensor([1, 2])), None,
                      dynamic_axes={"input_1": [0]})
    # DecoderLM's positions np.arange(T) follow the sequence length, not an input
    from nn.lm import DecoderLM
    with pytest.raises(agonnx.ExportError, match="`getitem` reads a constant index array"):
        agonnx.export(DecoderLM(V, 11, d_model=8, n_head=2, n_layer=1),
                      (ag.tensor(np.zeros((2, T), np.int64)),), None,
                      dynamic_axes={"input_0": {1: "time"}})
    # a dynamic sequence length unrolls the LSTM to a different number of steps
    with pytest.raises(agonnx.ExportError, match="different ops at another batch size"):
        agonnx.export(nn.LSTM(E, H, batch_first=True), (ag.randn(2, T, E),), None,
                      dynamic_axes={"input_0": {1: "time"}})
