"""Sequence layers (Embedding, LayerNorm, RNN/LSTM/GRU, MultiheadAttention, Transformer
layers) and their functional forms against PyTorch 2.13 in float64: a torch state dict
loads into ours (strict, same keys in the same order, same shapes) and then outputs and
every gradient (inputs and parameters) agree to rtol 1e-6."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F

RTOL, ATOL = 1e-6, 1e-9


def _leaves(out):
    """The tensors of a nested (tuple) layer output, None dropped."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _leaves(o)]
    return [] if out is None else [out]


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def load_torch_state(ours: nn.Module, theirs: torch.nn.Module) -> None:
    """Convert torch's state dict to arrays and load it (strict): the keys, their order
    and the shapes must be torch's."""
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    mine = ours.state_dict()
    assert list(mine) == list(sd), (list(mine), list(sd))
    assert {k: v.shape for k, v in mine.items()} == {k: v.shape for k, v in sd.items()}
    ours.load_state_dict(sd)


def compare(ours, theirs, inputs, kw_ours=None, kw_theirs=None, train=False, grad_inputs=True):
    """Run both modules on the same float64 inputs (arrays, or None), compare every output,
    then backpropagate the same random cotangents and compare every gradient."""
    ours.double()
    theirs.double()
    load_torch_state(ours, theirs)
    ours.train(train)
    theirs.train(train)
    fl = [isinstance(a, np.ndarray) and a.dtype.kind == "f" and grad_inputs for a in inputs]
    xa = [ag.tensor(a, requires_grad=f) if isinstance(a, np.ndarray) else a
          for a, f in zip(inputs, fl)]
    xt = [torch.tensor(a, requires_grad=f) if isinstance(a, np.ndarray) else a
          for a, f in zip(inputs, fl)]
    oa = _leaves(ours(*xa, **(kw_ours or {})))
    ot = _leaves(theirs(*xt, **(kw_theirs if kw_theirs is not None else kw_ours or {})))
    assert len(oa) == len(ot)
    r = np.random.default_rng(7)
    la = lt = 0
    for a, t in zip(oa, ot):
        assert tuple(a.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(a), _np(t), rtol=RTOL, atol=ATOL)
        g = r.standard_normal(tuple(t.shape))
        la = la + (a * ag.tensor(g)).sum()
        lt = lt + (t * torch.tensor(g)).sum()
    la.backward()
    lt.backward()
    for i, (a, t) in enumerate(zip(xa, xt)):
        if fl[i]:
            np.testing.assert_allclose(_np(a.grad), t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"input {i}")
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        tg = tp[name].grad
        if tg is None:
            assert p.grad is None or not np.any(_np(p.grad)), name
        else:
            np.testing.assert_allclose(_np(p.grad), tg.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


def _wrappers(base):
    """Small wrapper modules, built once on our Module and once on torch's."""
    class State(base):      # an LSTM called with its (h_0, c_0) tuple
        def __init__(self, m, kw=None):
            super().__init__()
            self.m = m

        def forward(self, x, h, c):
            return self.m(x, (h, c))

    class SelfAttn(base):   # query is key is value: the packed in-projection path
        def __init__(self, m, kw):
            super().__init__()
            self.m, self.kw = m, kw

        def forward(self, x):
            return self.m(x, x, x, **self.kw)

    class KVAttn(base):     # key is value
        def __init__(self, m, kw):
            super().__init__()
            self.m, self.kw = m, kw

        def forward(self, x, y):
            return self.m(x, y, y, **self.kw)

    return {"state": State, "self": SelfAttn, "kv": KVAttn}


WA, WT = _wrappers(nn.Module), _wrappers(torch.nn.Module)
R = np.random.default_rng(0)


def U(*shape):
    return R.standard_normal(shape)


# --------------------------------------------------------------------------- Embedding
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding(padding_idx):
    idx = np.array([[0, 3, 3, 9], [9, 1, 0, 2]])
    theirs = torch.nn.Embedding(10, 4, padding_idx=padding_idx)
    with torch.no_grad():  # a nonzero padding row: its value is returned, its gradient is 0
        theirs.weight.add_(0.5)
    compare(nn.Embedding(10, 4, padding_idx=padding_idx), theirs,
            [idx], kw_theirs={})
    # the functional form, on a torch index tensor too
    w = R.standard_normal((10, 4))
    out = F.embedding(torch.tensor(idx), ag.tensor(w), padding_idx=padding_idx)
    np.testing.assert_allclose(out.numpy(), torch.nn.functional.embedding(
        torch.tensor(idx), torch.tensor(w), padding_idx=padding_idx).numpy())


def test_embedding_init_and_from_pretrained():
    e = nn.Embedding(2000, 8, padding_idx=3)
    w = e.weight.detach().numpy()
    assert np.all(w[3] == 0)
    assert abs(w.mean()) < 0.03 and abs(w.std() - 1) < 0.03   # N(0, 1), like torch
    pre = np.arange(12.0).reshape(4, 3)
    e = nn.Embedding.from_pretrained(pre)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(np.array([2, 0])).detach().numpy(), pre[[2, 0]])
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="out of range"):
        e(np.array([4]))


# --------------------------------------------------------------------------- LayerNorm
@pytest.mark.parametrize("args,kw,shape", [
    ((5,), {}, (3, 5)),
    (((3, 4),), {"eps": 1e-3}, (2, 3, 4)),
    ((4,), {"elementwise_affine": False}, (2, 3, 4)),
    ((4,), {"bias": False}, (6, 4)),
])
def test_layer_norm(args, kw, shape):
    theirs = torch.nn.LayerNorm(*args, **kw)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn(p.shape))
    compare(nn.LayerNorm(*args, **kw), theirs, [U(*shape)])


def test_layer_norm_functional_and_errors():
    x, w, b = U(2, 3, 4), U(4), U(4)
    out = F.layer_norm(ag.tensor(x), (4,), ag.tensor(w), ag.tensor(b), eps=1e-4)
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (4,), torch.tensor(w), torch.tensor(b),
                                         eps=1e-4)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=RTOL)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(ag.tensor(x), (3,))


# --------------------------------------------------------------------------- RNN / LSTM / GRU
RNN_CONFIGS = [
    ({}, (5, 3, 4), None),
    ({"batch_first": True}, (3, 5, 4), None),
    ({"num_layers": 2, "bidirectional": True}, (4, 2, 4), "h0"),
    ({"num_layers": 3, "bias": False, "batch_first": True}, (2, 3, 4), "h0"),
    ({"bidirectional": True}, (4, 4), "h0"),        # unbatched
]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw,shape,init", RNN_CONFIGS)
def test_recurrent(cls, kw, shape, init):
    hidden = 3
    theirs = getattr(torch.nn, cls)(4, hidden, **kw)
    ours = getattr(nn, cls)(4, hidden, **kw)
    inputs = [U(*shape)]
    if init:
        d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
        n = () if len(shape) == 2 else (shape[0] if kw.get("batch_first") else shape[1],)
        h0 = U(d, *n, hidden)
        inputs.append((ag.tensor(h0), ag.tensor(U(d, *n, hidden))) if cls == "LSTM" else h0)
    if cls == "LSTM" and init:
        # the tuple state: compare by hand-wrapping it as two tensors of each library
        h0, c0 = (t.numpy() for t in inputs[1])
        compare(WA["state"](ours), WT["state"](theirs), [inputs[0], h0, c0])
    else:
        compare(ours, theirs, inputs)


def test_rnn_relu_and_lstm_proj():
    compare(nn.RNN(3, 4, nonlinearity="relu", num_layers=2),
            torch.nn.RNN(3, 4, nonlinearity="relu", num_layers=2), [U(5, 2, 3)])
    compare(nn.LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True),
            torch.nn.LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True), [U(4, 2, 3)])


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_dropout_between_layers(cls):
    ours = getattr(nn, cls)(3, 4, num_layers=2, dropout=0.5)
    theirs = getattr(torch.nn, cls)(3, 4, num_layers=2, dropout=0.5)
    compare(ours, theirs, [U(5, 2, 3)], train=False)       # eval: no dropout, equal to torch
    ours.train()
    x = ag.tensor(U(5, 2, 3))
    a, b = ours(x)[0].detach().numpy(), ours(x)[0].detach().numpy()
    assert not np.allclose(a, b)                           # training: dropout is random
    one = getattr(nn, cls)(3, 4, num_layers=1, dropout=0.5).double()
    assert np.allclose(one(x)[0].detach().numpy(), one(x)[0].detach().numpy())   # no layer to drop after


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(cls):
    compare(getattr(nn, cls)(3, 4), getattr(torch.nn, cls)(3, 4), [U(2, 3)])
    compare(getattr(nn, cls)(3, 4, bias=False), getattr(torch.nn, cls)(3, 4, bias=False), [U(3)])


def test_recurrent_init_and_errors():
    m = nn.LSTM(10, 400, num_layers=2, bidirectional=True)
    for name, p in m.named_parameters():
        a = p.detach().numpy()
        k = 1 / np.sqrt(400)
        assert a.min() >= -k * (1 + 1e-6) and a.max() <= k * (1 + 1e-6), name
        assert abs(a.std() - k / np.sqrt(3)) < 0.02 * k, name     # U(-k, k)
    assert [n for n, _ in m.named_parameters()] == [
        n for n, _ in torch.nn.LSTM(10, 400, num_layers=2, bidirectional=True).named_parameters()]
    with pytest.raises(ValueError, match="input_size"):
        nn.GRU(3, 4)(ag.zeros(5, 2, 2))
    with pytest.raises(ValueError, match=r"h_0 of shape \(2, 2, 4\)"):
        nn.LSTM(3, 4, num_layers=2)(ag.zeros(5, 2, 3), (ag.zeros(1, 2, 4), ag.zeros(2, 2, 4)))


# --------------------------------------------------------------------------- attention
def _bool(shape, p=0.3, seed=0):
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False          # every query keeps one key: no NaN rows
    return m


@pytest.mark.parametrize("case", [
    "plain", "causal", "bool_mask", "float_mask", "scale", "batched_heads", "cross",
    "dead_row_bool", "dead_row_float"])
def test_sdpa(case):
    q, k, v = U(2, 3, 4, 5), U(2, 3, 6, 5), U(2, 3, 6, 2)
    kw = {}
    if case == "causal":
        k, v = U(2, 3, 4, 5), U(2, 3, 4, 2)
        kw = {"is_causal": True}
    elif case == "bool_mask":
        kw = {"attn_mask": ~_bool((4, 6))}
    elif case == "float_mask":
        kw = {"attn_mask": U(2, 1, 4, 6)}
    elif case == "scale":
        kw = {"scale": 0.3}
    elif case == "batched_heads":
        q, k, v = U(4, 5), U(6, 5), U(6, 3)
    elif case == "cross":
        kw = {"attn_mask": ~_bool((2, 3, 4, 6), seed=2)}
    elif case.startswith("dead_row"):   # a query that may attend to nothing: output 0
        m = ~_bool((4, 6), seed=1)
        m[2] = False
        kw = {"attn_mask": m if case.endswith("bool") else np.where(m, 0.0, -np.inf)}
    qa, ka, va = (ag.tensor(a, requires_grad=True) for a in (q, k, v))
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    kwt = {n: (torch.tensor(m) if isinstance(m, np.ndarray) else m) for n, m in kw.items()}
    oa = F.scaled_dot_product_attention(qa, ka, va, **kw)
    ot = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, **kwt)
    np.testing.assert_allclose(oa.numpy() if not oa.requires_grad else oa.detach().numpy(),
                               ot.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = U(*ot.shape)
    oa.backward(g)
    ot.backward(torch.tensor(g))
    for a, t in ((qa, qt), (ka, kt), (va, vt)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_sdpa_dropout_and_errors():
    q = ag.tensor(U(2, 8, 4))
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((8, 8), bool), is_causal=True)
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, ag.tensor(U(2, 8, 3)), q)


MHA_CASES = [
    ("self", {}, {}),
    ("self", {"batch_first": True}, {"need_weights": True, "average_attn_weights": False}),
    ("self", {"batch_first": True}, {"attn_mask": "causal_bool"}),
    ("self", {}, {"attn_mask": "float", "key_padding_mask": "bool"}),
    ("self", {"bias": False}, {"key_padding_mask": "float", "need_weights": False}),
    ("cross", {"batch_first": True}, {"attn_mask": "3d_bool"}),
    ("kv", {}, {}),
    ("kdim", {"kdim": 3, "vdim": 2, "batch_first": True}, {"key_padding_mask": "bool"}),
    ("self", {"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": "bool",
                                                            "attn_mask": "causal_bool"}),
    ("unbatched", {}, {"attn_mask": "causal_bool"}),
    ("self", {}, {"key_padding_mask": "dead", "need_weights": False}),   # a fully padded row
]


@pytest.mark.parametrize("kind,ctor,call", MHA_CASES)
def test_multihead_attention(kind, ctor, call):
    e, h, n, l, s = 6, 2, 3, 4, 5
    bf = ctor.get("batch_first", False)
    lay = (lambda t: (n, t, e)) if bf else (lambda t: (t, n, e))
    if kind == "self" or kind == "unbatched":
        s = l
    q = U(l, e) if kind == "unbatched" else U(*lay(l))
    if kind == "kdim":
        k = U(*((n, s, 3) if bf else (s, n, 3)))
        v = U(*((n, s, 2) if bf else (s, n, 2)))
    else:
        k, v = U(*lay(s)), U(*lay(s))
    kw = dict(call)
    masks = {"causal_bool": np.triu(np.ones((l, s), bool), 1), "float": U(l, s),
             "3d_bool": _bool((n * h, l, s), seed=3), "bool": _bool((n, s), seed=4),
             "float_kpm": U(n, s), "dead": np.array([[True] * l] + [[False] * l] * (n - 1))}
    for name in ("attn_mask", "key_padding_mask"):
        if name in kw:
            kw[name] = masks["float_kpm"] if (name == "key_padding_mask" and kw[name] == "float") \
                else masks[kw[name]]
    kwt = {n_: (torch.tensor(m) if isinstance(m, np.ndarray) else m) for n_, m in kw.items()}
    ours = nn.MultiheadAttention(e, h, **ctor)
    theirs = torch.nn.MultiheadAttention(e, h, **ctor)
    if ctor.get("bias", True):
        with torch.no_grad():   # nonzero biases, so their gradients are tested on real values
            theirs.in_proj_bias.add_(torch.randn(3 * e))
            theirs.out_proj.bias.add_(torch.randn(e))
    if kind in ("self", "unbatched"):
        compare(WA["self"](ours, kw), WT["self"](theirs, kwt), [q])
    elif kind == "kv":
        compare(WA["kv"](ours, kw), WT["kv"](theirs, kwt), [q, k])
    else:
        compare(ours, theirs, [q, k, v], kw_ours=kw, kw_theirs=kwt)


def test_multihead_attention_init_and_errors():
    m = nn.MultiheadAttention(64, 4)
    w = m.in_proj_weight.detach().numpy()
    a = np.sqrt(6 / (64 + 3 * 64))           # xavier_uniform on (3E, E)
    assert w.min() >= -a and w.max() <= a and w.std() > 0.9 * a / np.sqrt(3)
    assert not np.any(m.in_proj_bias.detach().numpy())
    assert not np.any(m.out_proj.bias.detach().numpy())
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    x = ag.zeros(3, 2, 64)
    with pytest.raises(ValueError, match="attn_mask must be"):
        m(x, x, x, attn_mask=np.zeros((2, 2), bool))
    with pytest.raises(ValueError, match="key_padding_mask must be"):
        m(x, x, x, key_padding_mask=np.zeros((3, 3), bool))


# --------------------------------------------------------------------------- transformer
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first,activation,masks", [
    (False, "relu", False), (True, "gelu", True), (True, "relu", True)])
def test_encoder_layer(norm_first, batch_first, activation, masks):
    d, h, n, l = 8, 2, 3, 5
    ctor = dict(dim_feedforward=12, dropout=0.1, activation=activation, batch_first=batch_first,
                norm_first=norm_first)
    x = U(n, l, d) if batch_first else U(l, n, d)
    kw = {}
    if masks:
        kw = {"src_mask": np.triu(np.ones((l, l), bool), 1),
              "src_key_padding_mask": _bool((n, l), seed=5)}
    kwt = {k: torch.tensor(v) for k, v in kw.items()}
    compare(nn.TransformerEncoderLayer(d, h, **ctor), torch.nn.TransformerEncoderLayer(d, h, **ctor),
            [x], kw_ours=kw, kw_theirs=kwt, train=False)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack(norm_first):
    d, h, l, n = 8, 2, 4, 2
    mk = lambda lib: lib.TransformerEncoder(
        lib.TransformerEncoderLayer(d, h, 16, dropout=0.0, batch_first=True, norm_first=norm_first),
        num_layers=2, norm=lib.LayerNorm(d))
    mask = nn.transformer.generate_square_subsequent_mask(l, dtype=np.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(l, dtype=torch.float64)
    np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    compare(mk(nn), mk(torch.nn), [U(n, l, d)], kw_ours={"mask": mask, "is_causal": True},
            kw_theirs={"mask": tmask, "is_causal": True}, train=True)


@pytest.mark.parametrize("norm_first,batch_first", [(False, False), (True, True)])
def test_decoder_layer(norm_first, batch_first):
    d, h, n, l, s = 8, 2, 2, 4, 3
    ctor = dict(dim_feedforward=10, dropout=0.2, batch_first=batch_first, norm_first=norm_first,
                activation="gelu")
    tgt = U(n, l, d) if batch_first else U(l, n, d)
    mem = U(n, s, d) if batch_first else U(s, n, d)
    kw = {"tgt_mask": np.triu(np.ones((l, l), bool), 1),
          "memory_key_padding_mask": _bool((n, s), seed=6)}
    kwt = {k: torch.tensor(v) for k, v in kw.items()}
    compare(nn.TransformerDecoderLayer(d, h, **ctor), torch.nn.TransformerDecoderLayer(d, h, **ctor),
            [tgt, mem], kw_ours=kw, kw_theirs=kwt, train=False)
    mk = lambda lib: lib.TransformerDecoder(lib.TransformerDecoderLayer(d, h, **ctor), 2)
    compare(mk(nn), mk(torch.nn), [tgt, mem], kw_ours=kw, kw_theirs=kwt, train=False)


def test_transformer_dropout_train_eval():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5).double()
    x = ag.tensor(U(3, 2, 8))
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    assert np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())


# --------------------------------------------------------------------------- higher order
def _t(*shape):
    return ag.tensor(U(*shape), requires_grad=True)


@pytest.mark.parametrize("name", ["layer_norm", "sdpa_causal", "embedding", "lstm", "gru", "mha"])
def test_gradcheck_and_gradgradcheck(name):
    """The composites are differentiable to second order (registry ops all the way down)."""
    if name == "layer_norm":
        f, xs = (lambda x, w, b: F.layer_norm(x, (4,), w, b)), [_t(2, 4), _t(4), _t(4)]
    elif name == "sdpa_causal":
        f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)
        xs = [_t(2, 3, 2), _t(2, 3, 2), _t(2, 3, 2)]
    elif name == "embedding":
        idx = np.array([[1, 0, 1], [2, 2, 0]])
        f, xs = (lambda w: F.embedding(idx, w) ** 2), [_t(3, 2)]   # (padding_idx: a zero
        # gradient by design, checked against torch above)
    elif name in ("lstm", "gru"):
        m = getattr(nn, name.upper())(2, 2, bidirectional=True).double()
        f, xs = (lambda x: m(x)[0]), [_t(3, 1, 2)]
    else:
        m = nn.MultiheadAttention(4, 2).double()
        mask = np.triu(np.ones((3, 3), bool), 1)
        f, xs = (lambda x: m(x, x, x, attn_mask=mask)[0]), [_t(3, 1, 4)]
    assert ag.gradcheck(f, xs)
    assert ag.gradgradcheck(f, xs)


def test_our_state_dict_loads_into_torch():
    """The other direction: our (float64) state dict, as torch tensors, loads strictly
    into torch's module and gives our outputs."""
    mk = lambda lib: lib.TransformerEncoder(
        lib.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True), num_layers=2)
    ours, theirs = mk(nn).double(), mk(torch.nn).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = U(4, 2, 8)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=RTOL, atol=ATOL)
    lstm_a, lstm_t = nn.GRU(3, 4, 2, bidirectional=True).double(), torch.nn.GRU(
        3, 4, 2, bidirectional=True).double()
    lstm_t.load_state_dict({k: torch.tensor(v) for k, v in lstm_a.state_dict().items()})
    x = U(5, 2, 3)
    np.testing.assert_allclose(lstm_a(ag.tensor(x))[0].detach().numpy(),
                               lstm_t(torch.tensor(x))[0].detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("zero_attn", [False, True])
def test_multihead_attention_float_mask_tensors_get_gradients(zero_attn):
    """Float masks given as tensors that require grad are differentiable inputs (torch too)."""
    e, h, l, n = 4, 2, 3, 2
    ours = nn.MultiheadAttention(e, h, add_zero_attn=zero_attn, add_bias_kv=zero_attn)
    theirs = torch.nn.MultiheadAttention(e, h, add_zero_attn=zero_attn, add_bias_kv=zero_attn)
    ours.double(); theirs.double()
    load_torch_state(ours, theirs)
    x, am, kpm = U(l, n, e), U(l, l), U(n, l)
    a = [ag.tensor(v, requires_grad=True) for v in (x, am, kpm)]
    t = [torch.tensor(v, requires_grad=True) for v in (x, am, kpm)]
    oa, wa = ours(a[0], a[0], a[0], attn_mask=a[1], key_padding_mask=a[2])
    ot, wt = theirs(t[0], t[0], t[0], attn_mask=t[1], key_padding_mask=t[2])
    np.testing.assert_allclose(oa.detach().numpy(), ot.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(wa.detach().numpy(), wt.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = U(*ot.shape)
    ((oa * ag.tensor(g)).sum() + wa.sum() * 0.5).backward()
    ((ot * torch.tensor(g)).sum() + wt.sum() * 0.5).backward()
    for x_a, x_t in zip(a, t):
        np.testing.assert_allclose(x_a.grad.numpy(), x_t.grad.numpy(), rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- signatures
def _params(f):
    import inspect
    return [(k, getattr(v.default, "__name__", v.default))
            for k, v in inspect.signature(f).parameters.items()]


@pytest.mark.parametrize("name", [
    "Embedding", "LayerNorm", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
    "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder"])
def test_constructor_and_forward_signatures_are_torchs(name):
    """Same argument names, order and defaults as torch.nn (the recurrent layers' torch
    constructors take *args; their order is checked by the comparisons above)."""
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)
    assert _params(ours.__init__) == _params(theirs.__init__)
    assert _params(ours.forward) == _params(theirs.forward)


def test_functional_signatures_are_torchs():
    assert _params(F.embedding) == _params(torch.nn.functional.embedding)
    assert _params(F.layer_norm) == _params(torch.nn.functional.layer_norm)
    ours = _params(F.multi_head_attention_forward)
    assert ours[:-1] == _params(torch.nn.functional.multi_head_attention_forward)
    assert ours[-1] == ("batch_first", False)
