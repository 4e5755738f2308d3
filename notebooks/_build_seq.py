"""Notebooks 10 (attention from scratch) and 11 (recurrent networks), registered into
``_build.NOTEBOOKS`` by ``_build.py`` (same cell format: ("md", text) / ("code", source))."""
from __future__ import annotations


def md(s):
    return ("md", s)


def code(s):
    return ("code", s)


SETUP = code("""\
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
import autograd as ag
np.set_printoptions(precision=6, suppress=True)""")


# --------------------------------------------------------------------------- 10
def nb10():
    return [
        md("""\
# 10. Attention from scratch

Attention lets every position of a sequence read from every other: position $i$ forms a
query $q_i$, every position $j$ a key $k_j$ and a value $v_j$, and the output is the
average of the values weighted by how well the query matches each key,

$$\\text{Attention}(Q, K, V) = \\operatorname{softmax}\\!\\Big(\\frac{Q K^\\top}{\\sqrt{d}} + M\\Big)\\, V .$$

The mask $M$ is $0$ where attention is allowed and $-\\infty$ where it is not; a *causal*
mask forbids $j > i$, so a language model cannot look at the tokens it must predict.
We write it with autograd's ops, check it against `nn.functional.scaled_dot_product_attention`
(values and gradients), draw an attention map, rebuild multi-head attention by hand,
and look at what a small transformer trained on addition attends to."""),
        SETUP,
        code("""\
import nn
import nn.functional as F

def attention(q, k, v, causal=False):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / np.sqrt(d)            # (..., L, S)
    if causal:
        L, S = scores.shape[-2:]
        blocked = np.triu(np.ones((L, S), dtype=bool), 1)    # j > i
        scores = scores + ag.tensor(np.where(blocked, -np.inf, 0.0))
    w = ag.softmax(scores, dim=-1)                           # each row sums to 1
    return w @ v, w

r = np.random.default_rng(0)
q, k, v = (ag.tensor(r.standard_normal((2, 5, 4)), requires_grad=True) for _ in range(3))
ours, w = attention(q, k, v, causal=True)
ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
print("max |ours - sdpa| =", float(abs(ours - ref).max().item()))
g_ours = ag.grad((ours ** 2).sum(), [q, k, v])
g_ref = ag.grad((ref ** 2).sum(), [q, k, v])
for name, a, b in zip("qkv", g_ours, g_ref):
    print(f"max |d/d{name} ours - sdpa| = {float(abs(a - b).max().item()):.1e}")"""),
        code("""\
assert float(abs(ours - ref).max().item()) < 1e-12
assert all(float(abs(a - b).max().item()) < 1e-12 for a, b in zip(g_ours, g_ref))
wn = w.detach().numpy()
assert np.allclose(wn.sum(-1), 1) and np.all(np.triu(wn[0], 1) == 0)   # rows sum to 1, causal"""),
        md("""\
## An attention map

A toy lookup: each of 8 tokens carries a one-hot "key" for its own content, and each
query asks for the content of the token 2 places back. The map (rows: queries, columns:
keys) puts its weight where query and key match; the causal mask blanks the upper
triangle."""),
        code("""\
T = 8
content = np.eye(T)                        # token j's key: "I am token j"
keys = ag.tensor(content * 6.0)
queries = ag.tensor(np.stack([content[max(i - 2, 0)] for i in range(T)]))  # i asks for i - 2
_, wmap = attention(queries, keys, ag.tensor(np.arange(T, dtype=float)[:, None]), causal=True)
wmap = wmap.detach().numpy()
fig, ax = plt.subplots(figsize=(4.2, 3.6))
im = ax.imshow(wmap, cmap="viridis")
ax.set_xlabel("key position j"); ax.set_ylabel("query position i")
ax.set_title("causal attention: i looks at i - 2"); fig.colorbar(im); plt.show()
assert all(wmap[i].argmax() == max(i - 2, 0) for i in range(T))"""),
        md("""\
## Multi-head attention by hand

`nn.MultiheadAttention(E, H)` projects the input with one $(3E, E)$ matrix
`in_proj_weight` into queries, keys and values, splits each into $H$ heads of size
$E/H$, runs attention per head, concatenates and applies `out_proj`. The same with
plain ops, reading the module's own parameters:"""),
        code("""\
E, H, L, N = 8, 2, 5, 3
mha = nn.MultiheadAttention(E, H, batch_first=True).double()
x = ag.tensor(r.standard_normal((N, L, E)))
mask = np.triu(np.ones((L, L), dtype=bool), 1)          # True = may not attend (nn's convention)
out_mod, w_mod = mha(x, x, x, attn_mask=mask, average_attn_weights=False)

W, b = mha.in_proj_weight, mha.in_proj_bias
qkv = x @ W.transpose(0, 1) + b                           # (N, L, 3E)
q, k, v = (qkv[..., i * E:(i + 1) * E].reshape(N, L, H, E // H).transpose(1, 2) for i in range(3))
heads, w_hand = attention(q, k, v, causal=True)           # (N, H, L, E/H)
out_hand = mha.out_proj(heads.transpose(1, 2).reshape(N, L, E))
print("max |module - by hand| =", float(abs(out_mod - out_hand).max().item()))
assert float(abs(out_mod - out_hand).max().item()) < 1e-12
assert np.allclose(w_mod.detach().numpy(), w_hand.detach().numpy())"""),
        md("""\
## What a trained transformer attends to

`nn.lm.DecoderLM` is a two-block decoder-only transformer (token and position
embeddings, pre-norm blocks of causal multi-head attention and an MLP). We train it
for a few hundred steps on the `addition` task (`tapegrad train --dataset addition`
trains the same model to >= 99%): rows like `123+456=9750`, the sum written least
significant digit first so each answer digit needs only two operand digits and a carry."""),
        code("""\
from nn import optim
from nn.addition import Addition, PROMPT_LEN, exact_match, show, VOCAB
from nn.lm import DecoderLM
from nn.cli.train_seq import AnswerLoss

ag.manual_seed(0)
task = Addition(seed=0, n_val=300, n_test=300)
model = DecoderLM(len(VOCAB), 11, d_model=64, n_head=4, n_layer=2)
opt = optim.Adam(model.parameters(), lr=2e-3)
lossf = AnswerLoss()
losses = []
for step in range(450):
    x, y = task.batch(64)
    loss = lossf(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    losses.append(float(loss.item()))
acc, gen = exact_match(model, task.test)
print(f"loss {np.mean(losses[:20]):.3f} -> {np.mean(losses[-20:]):.4f}; exact match on "
      f"{len(task.test)} held-out problems: {acc:.3f}")
for i in range(4):
    print("  ", show(task.test[i, :PROMPT_LEN], gen[i], task.test[i, PROMPT_LEN:]))
assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20]) and acc > 0.3"""),
        code("""\
row = task.test[:1, :-1]                                   # the 11 tokens the model reads
labels = [VOCAB[t] for t in row[0]]
maps = model.attention_maps(row)                           # per block: (1, H, T, T)
fig, axes = plt.subplots(2, 4, figsize=(13, 6.4))
for l, m in enumerate(maps):
    for h in range(4):
        ax = axes[l, h]
        ax.imshow(m[0, h], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(11)); ax.set_xticklabels(labels)
        ax.set_yticks(range(11)); ax.set_yticklabels(labels)
        ax.set_title(f"block {l}, head {h}")
fig.suptitle("attention of the trained model on " + Addition.text(task.test[0]))
fig.tight_layout(); plt.show()
# where the first answer digit is predicted (the query at '='), the heads read the
# operands: the weight on the 6 digit positions
at_eq = np.stack([m[0, :, PROMPT_LEN - 1] for m in maps])  # (blocks, H, T)
digits = [0, 1, 2, 4, 5, 6]
print("weight on operand digits per head at '=':", at_eq[..., digits].sum(-1).round(2))
assert np.allclose(at_eq.sum(-1), 1) and at_eq[..., digits].sum(-1).max() > 0.5"""),
    ]


# --------------------------------------------------------------------------- 11
def nb11():
    return [
        md("""\
# 11. Recurrent networks

A recurrent network applies one cell at every time step,
$h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$, carrying the state $h$
forward. Backpropagation *through time* is ordinary backpropagation on the unrolled
graph: the gradient reaching step $t$ from the loss at step $T$ is a product of
$T - t$ Jacobians $\\partial h_{s}/\\partial h_{s-1} = \\operatorname{diag}(1 - h_s^2) W_{hh}$,
so it shrinks geometrically when those factors are small: the *vanishing gradient*
through time. An LSTM's cell state $c_t = f_t c_{t-1} + i_t g_t$ gives the gradient a
path multiplied only by the forget gate $f_t$, which can stay near 1."""),
        SETUP,
        code("""\
import nn
from autograd import viz

ag.manual_seed(0)
T, D, Hd = 6, 3, 4
cell = nn.RNNCell(D, Hd).double()
xs = ag.tensor(np.random.default_rng(0).standard_normal((T, 1, D)), requires_grad=True)
h = ag.zeros(1, Hd, dtype=ag.float64)
for t in range(T):
    with ag.name_scope(f"step {t}"):       # one box per time step when collapsed
        h = cell(xs[t], h)
loss = (h ** 2).sum()
viz.record(loss)
viz.draw(loss, names=cell, collapse=0, grad_health=True, show_values=False,
         show_grads=False, show_shapes=False, title="an RNN unrolled over 6 steps (one box per step, coloured by mean |grad|)")"""),
        md("""\
Every step reuses the same `weight_hh`: in the graph it is one leaf with an edge into
each step, and its gradient is the sum of the six contributions. The same unrolled
graph op by op, for the first two steps:"""),
        code("""\
h = ag.zeros(1, Hd, dtype=ag.float64)
for t in range(2):
    h = cell(xs[t], h)
small = (h ** 2).sum()
viz.record(small)
viz.draw(small, names=cell, show_values=False, title="two steps of an RNN cell, op by op")"""),
        md("""\
## Vanishing gradients through time

Feed 40 random inputs, take the loss at the last step only, and measure
$\\lVert \\partial L / \\partial x_t \\rVert$ for every $t$: how much the loss can still
learn from input $t$. For the tanh RNN it falls by orders of magnitude with the
distance $T - t$. An LSTM with its forget-gate bias set to 3 ($f \\approx 0.95$, a
common initialisation) keeps it within a small factor."""),
        code("""\
T, D, Hd = 40, 4, 16
X = np.random.default_rng(1).standard_normal((T, 1, D))

def grad_through_time(layer):
    x = ag.tensor(X, requires_grad=True)
    out = layer(x)[0]                                   # (T, 1, H)
    (out[-1] ** 2).sum().backward()
    return np.linalg.norm(x.grad.numpy().reshape(T, -1), axis=1)

ag.manual_seed(0)
rnn = nn.RNN(D, Hd).double()
lstm = nn.LSTM(D, Hd).double()
with ag.no_grad():                                      # gates i, f, g, o: f is the 2nd block
    lstm.bias_ih_l0[Hd:2 * Hd] = 3.0
g_rnn, g_lstm = grad_through_time(rnn), grad_through_time(lstm)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.semilogy(range(T), g_rnn, "o-", ms=3, label="RNN (tanh)")
ax.semilogy(range(T), g_lstm, "o-", ms=3, label="LSTM, forget bias 3")
ax.set_xlabel("input time step t"); ax.set_ylabel("‖∂L/∂x_t‖ (loss at t = 39)")
ax.legend(); ax.set_title("how much of the gradient reaches each step"); plt.show()
print(f"RNN:  |dL/dx_0| / |dL/dx_39| = {g_rnn[0] / g_rnn[-1]:.1e}")
print(f"LSTM: |dL/dx_0| / |dL/dx_39| = {g_lstm[0] / g_lstm[-1]:.1e}")
assert g_rnn[0] / g_rnn[-1] < 1e-4
assert g_lstm[0] / g_lstm[-1] > 100 * g_rnn[0] / g_rnn[-1]"""),
        md("""\
## The same on the graph

Unrolled over 10 steps with the gradient-health colours: the RNN's boxes fade to dark
blue towards the first steps; the LSTM's stay warm."""),
        code("""\
def unrolled(cell_cls, steps=10, forget_bias=None):
    ag.manual_seed(0)
    cell = cell_cls(D, Hd).double()
    if forget_bias is not None:
        with ag.no_grad():
            cell.bias_ih[Hd:2 * Hd] = forget_bias
    x = ag.tensor(X[:steps], requires_grad=True)
    h = ag.zeros(1, Hd, dtype=ag.float64)
    c = ag.zeros(1, Hd, dtype=ag.float64)
    for t in range(steps):
        with ag.name_scope(f"step {t}"):
            if cell_cls is nn.LSTMCell:
                h, c = cell(x[t], (h, c))
            else:
                h = cell(x[t], h)
    loss = (h ** 2).sum()
    viz.record(loss)
    g = np.linalg.norm(x.grad.numpy().reshape(steps, -1), axis=1)
    return viz.draw(loss, names=cell, collapse=0, grad_health=True, show_values=False,
                    show_grads=False, show_shapes=False, title=f"{cell_cls.__name__} over {steps} steps"), g

d_rnn, gr = unrolled(nn.RNNCell)
d_lstm, gl = unrolled(nn.LSTMCell, forget_bias=3.0)
print("RNN  |dL/dx_t|:", " ".join(f"{v:.0e}" for v in gr))
print("LSTM |dL/dx_t|:", " ".join(f"{v:.0e}" for v in gl))
assert gr[0] / gr[-1] < gl[0] / gl[-1]
d_rnn"""),
        code("""\
d_lstm"""),
    ]


NOTEBOOKS = {"10_attention_from_scratch.ipynb": nb10, "11_recurrent_networks.ipynb": nb11}
