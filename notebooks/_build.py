"""Generate the teaching notebooks from this one reviewable file.

    .venv/bin/python notebooks/_build.py            # write every notebook (no outputs)
    .venv/bin/python notebooks/_build.py --execute  # also run them in place (then clear)
    .venv/bin/python notebooks/_build.py 01 04      # only some

Each notebook is a list of ("md", text) / ("code", source) cells below. The notebooks
are committed without outputs (the repository stays small and diffs stay readable);
tests/test_notebooks.py executes every one of them, assertions included.
"""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
NOTEBOOKS = {}


def notebook(fname):
    def deco(fn):
        NOTEBOOKS[fname] = fn
        return fn
    return deco


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


# --------------------------------------------------------------------------- 01
@notebook("01_gradient_descent.ipynb")
def nb01():
    return [
        md("""\
# 1. Gradient descent

We minimise $f(x) = x^2/10 + \\sin x$ by gradient descent,
$x_{k+1} = x_k - \\eta\\, f'(x_k)$, with the derivative computed by `autograd`
instead of by hand. From $x_0 = -9$ with learning rate $\\eta = 0.4$ the iterates are
$-7.915547, -7.257693, \\dots$ and reach $-1.307088$ at step 34, the global minimum.
Started on the other side, the same rule falls into a *local* minimum."""),
        SETUP,
        code("""\
def f(x):
    return x ** 2 / 10 + ag.sin(x)

def gradient_descent(x0, lr=0.4, steps=34):
    xs = [x0]
    for _ in range(steps):
        x = ag.tensor(xs[-1], dtype=ag.float64, requires_grad=True)
        (g,) = ag.grad(f(x), [x])          # f'(x) by reverse mode
        xs.append(xs[-1] - lr * g.item())
    return np.array(xs)

path = gradient_descent(-9.0)
for k in [1, 2, 3, 10, 20, 34]:
    print(f"step {k:2d}: x = {path[k]: .6f}")"""),
        md("The numbers the notebook teaches, checked:"),
        code("""\
assert abs(path[1] - -7.915547) < 1e-6
assert abs(path[2] - -7.257693) < 1e-6
assert abs(path[34] - -1.307088) < 1e-6
# the derivative autograd gives is x/5 + cos(x)
x = ag.tensor(-9.0, dtype=ag.float64, requires_grad=True)
f(x).backward()
assert abs(x.grad.item() - (-9 / 5 + np.cos(-9))) < 1e-12"""),
        md("""\
From the other side, $x_0 = 9$, gradient descent stops in the local minimum near
$x \\approx 3.84$ (where $f'(x) = x/5 + \\cos x = 0$ again), which is higher than the
global one."""),
        code("""\
other = gradient_descent(9.0, steps=60)
print(f"from x0 = 9: x = {other[-1]:.6f}, f = {f(ag.tensor(other[-1])).item():.4f}")
print(f"from x0 = -9: x = {path[-1]:.6f}, f = {f(ag.tensor(path[-1])).item():.4f}")
assert 3.5 < other[-1] < 4.2
assert abs(other[-1] / 5 + np.cos(other[-1])) < 1e-4       # a stationary point
assert f(ag.tensor(other[-1])).item() > f(ag.tensor(path[-1])).item() + 1"""),
        code("""\
xx = np.linspace(-10, 10, 400)
fx = xx ** 2 / 10 + np.sin(xx)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(xx, fx, color="0.6", label="f(x) = x²/10 + sin x")
for p, c, lab in [(path, "C0", "x0 = -9"), (other, "C3", "x0 = 9")]:
    ax.plot(p, p ** 2 / 10 + np.sin(p), "o-", ms=3, color=c, label=lab)
ax.set_xlabel("x"); ax.set_ylabel("f(x)"); ax.legend(); ax.set_title("gradient descent, lr = 0.4")
plt.show()"""),
    ]


# --------------------------------------------------------------------------- 02
@notebook("02_linear_regression.ipynb")
def nb02():
    return [
        md("""\
# 2. Linear regression by gradient descent

Fit $\\hat y = w x + b$ to noisy points by minimising the mean squared error
$L = \\frac1N \\sum_i (w x_i + b - y_i)^2$. First with the gradients derived by hand,
$\\partial L/\\partial w = \\frac2N \\sum_i (\\hat y_i - y_i) x_i$ and
$\\partial L/\\partial b = \\frac2N \\sum_i (\\hat y_i - y_i)$, then with `autograd`.
Both give the same iterates, and both converge to the least-squares solution."""),
        SETUP,
        code("""\
rng = np.random.default_rng(0)
N = 50
X = rng.uniform(-1, 1, N)
Y = 3.0 * X + 2.0 + 0.2 * rng.standard_normal(N)
lr, steps = 0.1, 500"""),
        code("""\
# by hand
w, b = 0.0, 0.0
for _ in range(steps):
    r = w * X + b - Y                     # residuals (N,)
    dw, db = 2 * np.mean(r * X), 2 * np.mean(r)
    w, b = w - lr * dw, b - lr * db
hand = (w, b)
print("by hand:  w = %.6f, b = %.6f" % hand)"""),
        code("""\
# with autograd
Xt, Yt = ag.tensor(X), ag.tensor(Y)       # float64 arrays keep their dtype
w = ag.tensor(0.0, dtype=ag.float64, requires_grad=True)
b = ag.tensor(0.0, dtype=ag.float64, requires_grad=True)
losses = []
for _ in range(steps):
    loss = ((w * Xt + b - Yt) ** 2).mean()
    loss.backward()
    with ag.no_grad():
        w.data -= lr * w.grad
        b.data -= lr * b.grad
    w.grad = None; b.grad = None
    losses.append(loss.item())
auto = (w.item(), b.item())
print("autograd: w = %.6f, b = %.6f" % auto)"""),
        code("""\
lstsq = np.polyfit(X, Y, 1)              # closed form: [w, b]
print("lstsq:    w = %.6f, b = %.6f" % tuple(lstsq))
assert np.allclose(hand, auto, atol=1e-12)          # same answer, to round-off
assert np.allclose(auto, lstsq, atol=1e-6)          # converged to least squares
assert abs(auto[0] - 3) < 0.2 and abs(auto[1] - 2) < 0.2
assert losses[-1] < losses[0] / 50"""),
        code("""\
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
a1.scatter(X, Y, s=12)
xs = np.linspace(-1, 1, 2)
a1.plot(xs, auto[0] * xs + auto[1], "C3", label=f"y = {auto[0]:.2f} x + {auto[1]:.2f}")
a1.legend(); a1.set_title("fit")
a2.semilogy(losses); a2.set_xlabel("step"); a2.set_title("training loss (MSE)")
plt.show()"""),
    ]


# --------------------------------------------------------------------------- 03
@notebook("03_graph_chain_rule.ipynb")
def nb03():
    return [
        md("""\
# 3. The data-flow graph and the chain rule

A two-layer network on one input, $p = \\mathrm{softmax}(W_2\\,\\mathrm{relu}(W_1 x + b_1) + b_2)$,
with the cross-entropy loss $L = -\\log p_y$. Every operation records a node; backward
walks the nodes in reverse creation order and each one applies the chain rule: it
multiplies the gradient arriving at its output by its local derivative and passes the
result to its inputs. We draw the graph with forward values and backward gradients,
step through backward one node at a time, and check the textbook backpropagation
formulas against `autograd`."""),
        SETUP,
        code("""\
from autograd import viz
from IPython.display import SVG, display"""),
        md("""\
## The chain rule on one path

For $L = \\tanh(u)$ with $u = w x + b$: $\\frac{\\partial L}{\\partial w} =
\\frac{\\partial L}{\\partial u}\\frac{\\partial u}{\\partial w} = (1 - \\tanh^2 u)\\, x$.
Backward computes exactly this product, one local factor per node."""),
        code("""\
x0, w0, b0 = 0.5, -2.0, 1.0
w = ag.tensor(w0, dtype=ag.float64, requires_grad=True)
b = ag.tensor(b0, dtype=ag.float64, requires_grad=True)
L = ag.tanh(w * x0 + b)
L.backward()
u = w0 * x0 + b0
dL_du = 1 - np.tanh(u) ** 2          # local derivative of tanh
print(f"u = {u}, dL/du = {dL_du}, dL/dw = {w.grad.item()}, dL/db = {b.grad.item()}")
assert abs(w.grad.item() - dL_du * x0) < 1e-15     # dL/du * du/dw
assert abs(b.grad.item() - dL_du * 1.0) < 1e-15    # dL/du * du/db"""),
        md("""\
## The network, forward

Three inputs, four hidden units, three classes, target class $y = 2$. `retain_grad()`
keeps the gradients of the intermediate results $z_1, h, z_2$ so we can compare them
with the hand-derived deltas below."""),
        code("""\
rng = np.random.default_rng(0)
x = ag.tensor(np.array([0.5, -1.0, 2.0]), name="x")                       # (3,) input
W1 = ag.tensor(rng.normal(0, 0.7, (4, 3)), requires_grad=True, name="W1")  # (4, 3)
b1 = ag.tensor(np.array([0.1, -0.2, 0.0, 0.3]), requires_grad=True, name="b1")
W2 = ag.tensor(rng.normal(0, 0.7, (3, 4)), requires_grad=True, name="W2")  # (3, 4)
b2 = ag.tensor(np.zeros(3), requires_grad=True, name="b2")
y = 2                                                                       # the target class

z1 = W1 @ x + b1          # (4,) pre-activations
h = ag.relu(z1)           # (4,)
z2 = W2 @ h + b2          # (3,) logits
p = ag.softmax(z2, dim=0) # (3,) probabilities
loss = -ag.log(p[y])      # cross-entropy of the target class
for t in (z1, h, z2, p):
    t.retain_grad()
print("z1 =", z1.detach().numpy(), "\\nh  =", h.detach().numpy(), "\\nz2 =", z2.detach().numpy(), "\\np  =", p.detach().numpy())
print("loss =", loss.item())
assert abs(p.detach().numpy().sum() - 1) < 1e-12
assert abs(loss.item() + np.log(p.detach().numpy()[y])) < 1e-12
assert (z1.detach().numpy() < 0).sum() == 1        # one hidden unit is off: relu passes no gradient"""),
        md("""\
## Forward values and backward gradients on the graph

`viz.record(loss)` runs backward keeping the graph and each node's output gradient;
`viz.draw` then shows, on every node, the value computed forward and the gradient
$\\partial L/\\partial(\\text{node output})$ computed backward. Blue boxes are the
parameters (leaves), grey dashed ones constants, the red one the loss."""),
        code("""\
viz.record(loss)
drawing = viz.draw(loss, small=12, title="softmax(W2 relu(W1 x + b1) + b2), cross-entropy")
drawing"""),
        code("""\
dot = drawing.source
for name in ("W1", "b1", "W2", "b2", "x", "relu", "softmax", "log"):
    assert name in dot, name
assert f"{loss.item():.4g}" in dot                   # the forward value of the loss
assert dot.count("grad ") >= 9 + 4                    # a gradient on every op and parameter"""),
        md("""\
## The backpropagation formulas, by hand

With $e_y$ the one-hot target and $\\odot$ the elementwise product:

$$\\delta_2 = \\frac{\\partial L}{\\partial z_2} = p - e_y, \\qquad
\\frac{\\partial L}{\\partial W_2} = \\delta_2 h^T, \\qquad \\frac{\\partial L}{\\partial b_2} = \\delta_2,$$

$$\\delta_1 = \\frac{\\partial L}{\\partial z_1} = (W_2^T \\delta_2) \\odot \\mathbb{1}[z_1 > 0], \\qquad
\\frac{\\partial L}{\\partial W_1} = \\delta_1 x^T, \\qquad \\frac{\\partial L}{\\partial b_1} = \\delta_1.$$

Softmax and cross-entropy together give the famously simple $\\delta_2 = p - e_y$
(the softmax Jacobian $\\mathrm{diag}(p) - p p^T$ times $-e_y / p_y$)."""),
        code("""\
xv, pv, hv, z1v = x.detach().numpy(), p.detach().numpy(), h.detach().numpy(), z1.detach().numpy()
e_y = np.eye(3)[y]
delta2 = pv - e_y                                   # (3,)
dW2, db2 = np.outer(delta2, hv), delta2             # (3, 4), (3,)
dh = W2.detach().numpy().T @ delta2                          # (4,)
delta1 = dh * (z1v > 0)                             # (4,)
dW1, db1 = np.outer(delta1, xv), delta1             # (4, 3), (4,)
print("delta2 =", delta2, "\\ndelta1 =", delta1)

checks = {"dL/dz2": (delta2, z2.grad), "dL/dh": (dh, h.grad), "dL/dz1": (delta1, z1.grad),
          "dL/dW2": (dW2, W2.grad), "dL/db2": (db2, b2.grad),
          "dL/dW1": (dW1, W1.grad), "dL/db1": (db1, b1.grad)}
for name, (hand, auto) in checks.items():
    err = np.abs(hand - auto.numpy()).max()
    print(f"{name:7s} max |hand - autograd| = {err:.1e}")
    assert np.allclose(hand, auto.numpy(), rtol=1e-12, atol=1e-15), name
# the softmax Jacobian route gives the same delta2
J = np.diag(pv) - np.outer(pv, pv)
assert np.allclose(J @ (-e_y / pv[y]), delta2, atol=1e-15)
assert abs(delta2.sum()) < 1e-15                    # p and e_y both sum to 1
dead = int(np.flatnonzero(z1v < 0)[0])
assert np.all(W1.grad.numpy()[dead] == 0) and dh[dead] != 0   # relu blocks the dead unit"""),
        code("""\
fig, axes = plt.subplots(1, 4, figsize=(13, 3))
for ax, key in zip(axes, ["dL/dW1", "dL/db1", "dL/dW2", "dL/db2"]):
    hand, auto = checks[key]
    ax.bar(np.arange(hand.size), hand.ravel(), color="0.8", label="by hand")
    ax.plot(np.arange(hand.size), auto.numpy().ravel(), "C3o", ms=4, label="autograd")
    ax.axhline(0, color="0.5", lw=0.5); ax.set_title(key)
axes[0].legend(fontsize=8); plt.tight_layout(); plt.show()"""),
        md("""\
## Backward, frame by frame

`viz.walkthrough` writes one picture per backward step: frame 0 holds the forward
values; in frame $k$ the highlighted node has just received the gradient of its
output and sent gradients to its inputs. The order is reverse creation order: the loss
first, the first matmul last. (It also writes `walkthrough.html`, one page with a
slider.)"""),
        code("""\
import tempfile
from pathlib import Path

order = [n.op.name for n in ag.graph_nodes([loss])]     # the order backward visits nodes
print(" -> ".join(order))
out_dir = Path(tempfile.mkdtemp(prefix="walkthrough_"))
page = viz.walkthrough(loss, str(out_dir), small=12)
frames = sorted(out_dir.glob("frame_*.svg"))
print(f"{len(frames)} frames and {Path(page).name} in {out_dir}")
assert order == ["neg", "log", "getitem", "softmax", "add", "matmul", "relu", "add", "matmul"]
assert len(frames) == len(order) + 1 and Path(page).is_file()
for k, f in enumerate(frames[1:], start=1):
    assert order[k - 1] in f.read_text(), (k, order[k - 1])"""),
        code("""\
for f in frames:
    display(SVG(filename=str(f)))"""),
    ]


# --------------------------------------------------------------------------- 04
@notebook("04_finite_differences.ipynb")
def nb04():
    return [
        md("""\
# 4. Finite differences vs autograd

The central difference $\\frac{f(x + h e_i) - f(x - h e_i)}{2h}$ approximates
$\\partial f/\\partial x_i$ with a truncation error $O(h^2)$, but subtracting two
nearly equal floating-point numbers adds a round-off error $O(\\varepsilon/h)$. The
best $h$ balances the two: about $\\varepsilon^{1/3} \\approx 10^{-5}$ in float64.
Reverse mode has neither error: it is exact up to round-off."""),
        SETUP,
        code("""\
def get_gradient(f, x, h=1e-5):
    \"\"\"Central-difference gradient of a scalar function f at a NumPy point x.\"\"\"
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x); e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g

def f_np(p):
    x, y = p
    return np.sin(x) * np.exp(y) + x ** 2 * y

def f_ag(p):
    x, y = p[0], p[1]
    return ag.sin(x) * ag.exp(y) + x ** 2 * y

p0 = np.array([0.7, -0.3])
p = ag.tensor(p0, requires_grad=True)
f_ag(p).backward()
exact = np.array([np.cos(0.7) * np.exp(-0.3) + 2 * 0.7 * -0.3, np.sin(0.7) * np.exp(-0.3) + 0.49])
print("autograd:          ", p.grad.numpy())
print("central difference:", get_gradient(f_np, p0))
print("by hand:           ", exact)
assert np.allclose(p.grad.numpy(), exact, atol=1e-14)
assert np.allclose(get_gradient(f_np, p0), exact, atol=1e-9)"""),
        md("""\
## Step-size sweep

The error of the central difference against the exact derivative, as $h$ shrinks:
first it falls like $h^2$ (truncation), then it rises like $\\varepsilon/h$ (round-off)."""),
        code("""\
hs = np.logspace(-1, -13, 49)
err = np.array([np.abs(get_gradient(f_np, p0, h) - exact).max() for h in hs])
best = hs[np.argmin(err)]
print(f"best step h = {best:.1e}, error {err.min():.1e}")
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(hs, err, "o-", ms=3, label="central difference error")
ax.loglog(hs, hs ** 2, "--", color="0.5", label="h² (truncation)")
ax.loglog(hs, 1e-16 / hs, ":", color="0.5", label="ε/h (round-off)")
ax.axvline(best, color="C3", lw=0.8)
ax.set_xlabel("h"); ax.set_ylabel("max abs error"); ax.set_ylim(1e-13, 1); ax.legend()
plt.show()"""),
        code("""\
assert 1e-7 <= best <= 1e-3                     # the sweet spot, near eps**(1/3)
assert err.min() < 1e-9
assert err[0] > 1e3 * err.min()                  # h = 0.1: truncation dominates
assert err[-1] > 1e3 * err.min()                 # h = 1e-13: round-off dominates
# truncation regime: error shrinks ~100x per 10x smaller h
i1, i2 = np.searchsorted(-hs, [-1e-1, -1e-2])
assert 50 < err[i1] / err[i2] < 200"""),
        md("""\
## gradcheck on your own function

`ag.gradcheck` does this comparison for every input element in float64 and reports
the worst element. A correct function passes; a custom `Function` with a wrong
backward is caught and the report says where."""),
        code("""\
def user_fn(a, b):
    return (ag.tanh(a @ b) * a.sum()).sum()

a = ag.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
b = ag.tensor(np.random.default_rng(2).standard_normal((4, 2)), requires_grad=True)
assert ag.gradcheck(user_fn, (a, b))

class BadSquare(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return x * g                 # wrong: should be 2 * x * g

x = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
report = ag.gradcheck(lambda t: BadSquare.apply(t).sum(), (x,), raise_exception=False)
print(report.describe())
assert not report.ok
assert abs(report.numerical - 2 * report.analytical) < 1e-6   # off by exactly the factor 2"""),
    ]


# --------------------------------------------------------------------------- 06
@notebook("06_activations.ipynb")
def nb06():
    return [
        md("""\
# 6. Activation functions and their derivatives

Each activation's derivative is computed by `autograd` (one backward pass of
`y.sum()` gives $f'(x_i)$ elementwise) and checked against its closed form."""),
        SETUP,
        code("""\
from math import erf, pi, sqrt
x_np = np.linspace(-4, 4, 401)
sig = 1 / (1 + np.exp(-x_np))
Phi = 0.5 * (1 + np.vectorize(erf)(x_np / sqrt(2)))
phi = np.exp(-x_np ** 2 / 2) / sqrt(2 * pi)
acts = {  # name: (function, closed-form derivative)
    "sigmoid":    (ag.sigmoid, sig * (1 - sig)),
    "tanh":       (ag.tanh, 1 - np.tanh(x_np) ** 2),
    "ReLU":       (ag.relu, (x_np > 0).astype(float)),
    "leaky ReLU": (lambda t: ag.leaky_relu(t, 0.1), np.where(x_np > 0, 1.0, 0.1)),
    "ELU":        (ag.elu, np.where(x_np > 0, 1.0, np.exp(x_np))),
    "swish":      (ag.swish, sig + x_np * sig * (1 - sig)),
    "GELU":       (ag.gelu, Phi + x_np * phi),
    "softplus":   (ag.softplus, sig),
}
derivs = {}
for name, (fn, closed) in acts.items():
    x = ag.tensor(x_np, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    derivs[name] = (y.detach().numpy(), x.grad.numpy())
    err = np.abs(x.grad.numpy() - closed)[np.abs(x_np) > 1e-9].max()  # ReLU family: skip the kink at 0
    print(f"{name:10s} max |autograd - closed form| = {err:.1e}")
    assert err < 1e-10, name"""),
        code("""\
fig, axes = plt.subplots(2, 4, figsize=(13, 5.5), sharex=True)
for ax, (name, (y, dy)) in zip(axes.flat, derivs.items()):
    ax.plot(x_np, y, label="f(x)")
    ax.plot(x_np, dy, "--", label="f'(x) (autograd)")
    ax.axhline(0, color="0.8", lw=0.5); ax.set_title(name)
axes[0, 0].legend(fontsize=8)
plt.tight_layout(); plt.show()"""),
        md("""\
A few facts the plots show, checked: the sigmoid's slope is at most 1/4 (so stacked
sigmoids shrink gradients, see notebook 8), tanh's is at most 1, ReLU's is exactly 0 or
1, and swish and GELU dip below zero."""),
        code("""\
assert abs(derivs["sigmoid"][1].max() - 0.25) < 1e-12
assert abs(derivs["tanh"][1].max() - 1.0) < 1e-12
assert set(np.unique(derivs["ReLU"][1])) <= {0.0, 1.0}
assert derivs["swish"][0].min() < -0.27 and derivs["GELU"][0].min() < -0.16"""),
        md("""\
## Softmax

Softmax maps a vector to probabilities; its Jacobian is
$\\partial s_i/\\partial z_j = s_i(\\delta_{ij} - s_j)$, i.e. $\\mathrm{diag}(s) - s s^T$.
`ag.functional.jacobian` builds it from reverse-mode passes."""),
        code("""\
z = ag.tensor([1.0, 2.0, 0.5, -1.0], dtype=ag.float64)
s = ag.softmax(z, dim=0).numpy()
J = ag.functional.jacobian(lambda t: ag.softmax(t, dim=0), z)
J = np.asarray(J[0] if isinstance(J, (tuple, list)) else J)
print("softmax:", s)
print("Jacobian:\\n", J)
assert abs(s.sum() - 1) < 1e-12
assert np.allclose(J, np.diag(s) - np.outer(s, s), atol=1e-12)
assert np.allclose(J.sum(axis=0), 0, atol=1e-12)   # probabilities still sum to 1
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
a1.bar(range(4), s); a1.set_title("softmax(z)")
im = a2.imshow(J, cmap="RdBu_r", vmin=-0.3, vmax=0.3); a2.set_title("Jacobian diag(s) - s sᵀ")
plt.colorbar(im, ax=a2); plt.show()"""),
    ]


# --------------------------------------------------------------------------- 05
@notebook("05_linear_vs_nonlinear.ipynb")
def nb05():
    return [
        md("""\
# 5. Linear vs non-linear models

XOR and two concentric circles cannot be separated by a straight line. A linear
(logistic) model fails on both; the same logistic model on *squared features*
$(x_1, x_2, x_1^2, x_2^2, x_1 x_2)$ succeeds, because the boundary is a line in the
feature space; an MLP learns such features itself."""),
        SETUP,
        code("""\
import nn
from nn import optim
from nn.data import make_circles, make_xor

def squares(X):
    return np.c_[X, X ** 2, X[:, :1] * X[:, 1:]]

def fit(model, X, y, epochs=300, lr=0.05, features=lambda X: X):
    ag.manual_seed(0)
    opt = optim.Adam(model.parameters(), lr=lr)
    xt, yt = ag.tensor(features(X)), ag.tensor(y)
    for _ in range(epochs):                      # full-batch training
        loss = nn.CrossEntropyLoss()(model(xt), yt)
        opt.zero_grad(); loss.backward(); opt.step()
    with ag.no_grad():
        acc = (model(xt).numpy().argmax(1) == y).mean()
    return model, float(acc)

data = {"XOR": make_xor(400, noise=0.2, seed=0), "circles": make_circles(400, noise=0.08, seed=0)}
results = {}
for dname, (X, y) in data.items():
    ag.manual_seed(0)
    results[dname] = {
        "linear": fit(nn.Linear(2, 2), X, y) + (lambda X: X,),
        "squared features": fit(nn.Linear(5, 2), X, y, features=squares) + (squares,),
        "MLP": fit(nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2)), X, y) + (lambda X: X,),
    }
    for m, (_, acc, _) in results[dname].items():
        print(f"{dname:8s} {m:17s} accuracy {acc:.3f}")"""),
        code("""\
for dname in data:
    assert results[dname]["linear"][1] < 0.75, dname           # a line cannot do it
    assert results[dname]["squared features"][1] >= 0.95, dname
    assert results[dname]["MLP"][1] >= 0.95, dname"""),
        code("""\
fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
gx, gy = np.meshgrid(np.linspace(-2, 2, 150), np.linspace(-2, 2, 150))
grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
for row, (dname, (X, y)) in zip(axes, data.items()):
    for ax, (m, (model, acc, feats)) in zip(row, results[dname].items()):
        with ag.no_grad():
            p = ag.softmax(model(ag.tensor(feats(grid))), dim=1).numpy()[:, 1]
        ax.contourf(gx, gy, p.reshape(gx.shape), levels=20, cmap="RdBu_r", alpha=0.6)
        ax.contour(gx, gy, p.reshape(gx.shape), levels=[0.5], colors="k")
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=6, edgecolors="k", linewidths=0.2)
        ax.set_title(f"{dname}: {m} ({acc:.2f})"); ax.set_xticks([]); ax.set_yticks([])
plt.tight_layout(); plt.show()"""),
    ]


# --------------------------------------------------------------------------- 07
@notebook("07_optimizers.ipynb")
def nb07():
    return [
        md("""\
# 7. Optimizers on a 2-D loss surface, and learning-rate schedules

A narrow valley, $f(x, y) = x^2/10 + 2y^2$ (condition number 20), from $(-4.5, 1.5)$:
plain SGD zig-zags across the valley and crawls along it; momentum and Nesterov
build up speed along it; Adagrad, RMSprop, Adadelta and Adam rescale each coordinate.
Every trajectory below is produced by the `nn.optim` classes themselves, on a single
two-element parameter."""),
        SETUP,
        code("""\
import nn
from nn import optim
from nn.optim import lr_scheduler

def f(p):
    return p[0] ** 2 / 10 + 2 * p[1] ** 2

def trajectory(make_opt, steps=60, start=(-4.5, 1.5)):
    p = nn.Parameter(ag.tensor(np.array(start)))
    opt = make_opt([p])
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(p).backward()
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)

optimizers = {
    "SGD":      lambda ps: optim.SGD(ps, lr=0.2),
    "momentum": lambda ps: optim.SGD(ps, lr=0.2, momentum=0.8),
    "Nesterov": lambda ps: optim.SGD(ps, lr=0.2, momentum=0.8, nesterov=True),
    "Adagrad":  lambda ps: optim.Adagrad(ps, lr=1.5),
    "RMSprop":  lambda ps: optim.RMSprop(ps, lr=0.1),
    "Adadelta": lambda ps: optim.Adadelta(ps, lr=50.0),   # its first steps are ~sqrt(eps)
    "Adam":     lambda ps: optim.Adam(ps, lr=0.3),
}
paths = {name: trajectory(mk) for name, mk in optimizers.items()}
f_np = lambda q: q[..., 0] ** 2 / 10 + 2 * q[..., 1] ** 2
final = {name: float(f_np(path[-1])) for name, path in paths.items()}
for name, v in final.items():
    print(f"{name:9s} f after 60 steps = {v:.2e}")"""),
        code("""\
f0 = f_np(np.array([-4.5, 1.5]))
for name, v in final.items():
    assert v < f0 / 10, name                           # every one makes progress
assert final["momentum"] < final["SGD"] / 100          # momentum beats plain SGD here
assert final["Nesterov"] < final["SGD"] / 100
# SGD with lr 0.2 contracts y by |1 - 0.2 * 4| = 0.2 per step: the iterates are exact
sgd = paths["SGD"]
assert np.allclose(sgd[1], [-4.5 * (1 - 0.2 / 5), 1.5 * (1 - 0.8)])"""),
        code("""\
gx, gy = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-2, 2, 200))
fig, ax = plt.subplots(figsize=(11, 5))
ax.contour(gx, gy, f_np(np.stack([gx, gy], -1)), levels=np.logspace(-2, 1.5, 15), cmap="Greys")
for name, path in paths.items():
    ax.plot(path[:, 0], path[:, 1], "o-", ms=2, lw=1, label=name)
ax.plot(0, 0, "k*", ms=12); ax.legend(loc="lower right", ncol=4); ax.set_title("60 steps each")
plt.show()"""),
        md("""\
## Learning-rate schedules

Exponential decay $\\eta_t = \\eta_0 \\gamma^t$; piecewise constant (absolute values
between boundaries); polynomial decay $(\\eta_0 - \\eta_{end})(1 - t/T)^p + \\eta_{end}$
with `cycle=True`, which restarts with a longer period each time it reaches the end."""),
        code("""\
def lrs(make_sched, epochs=100, lr=0.1):
    opt = optim.SGD([nn.Parameter(ag.zeros(1))], lr=lr)
    sched = make_sched(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step(); sched.step()
    return np.array(out)

schedules = {
    "exponential (γ = 0.96)": lrs(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.96)),
    "piecewise constant": lrs(lambda o: lr_scheduler.PiecewiseConstantLR(
        o, boundaries=[30, 60], values=[0.1, 0.05, 0.01])),
    "polynomial, cycle (T = 25, p = 2)": lrs(lambda o: lr_scheduler.PolynomialLR(
        o, total_iters=25, power=2.0, cycle=True, end_lr=0.001)),
}
fig, ax = plt.subplots(figsize=(8, 3.5))
for name, v in schedules.items():
    ax.plot(v, label=name)
ax.set_xlabel("epoch"); ax.set_ylabel("learning rate"); ax.legend(); plt.show()"""),
        code("""\
ex = schedules["exponential (γ = 0.96)"]
assert np.allclose(ex, 0.1 * 0.96 ** np.arange(100))
pw = schedules["piecewise constant"]
assert pw[0] == 0.1 and pw[29] == 0.1 and pw[30] == 0.05 and pw[60] == 0.01 and pw[99] == 0.01
po = schedules["polynomial, cycle (T = 25, p = 2)"]
assert abs(po[0] - 0.1) < 1e-12 and abs(po[25] - 0.001) < 1e-12
assert po[26] > po[25]                     # the cycle restarts, with a longer period (50)
assert abs(po[26] - ((0.1 - 0.001) * (1 - 26 / 50) ** 2 + 0.001)) < 1e-12"""),
    ]


# --------------------------------------------------------------------------- 08
@notebook("08_vanishing_exploding.ipynb")
def nb08():
    return [
        md("""\
# 8. Vanishing and exploding gradients

Backpropagation multiplies one local Jacobian per layer. With sigmoids each factor
carries $\\sigma' \\le 1/4$, so the gradient reaching the first layers of a deep net
*vanishes*; ReLU with He initialisation keeps the scale; a residual connection
$x + F(x)$ adds an identity path that the gradient can always take. Weights that are
too large make it *explode*; gradient clipping bounds the step."""),
        SETUP,
        code("""\
import nn
from nn import init

DEPTH, WIDTH = 12, 32

class Residual(nn.Module):
    def __init__(self, width, act):
        super().__init__()
        self.fc, self.act = nn.Linear(width, width), act()
    def forward(self, x):
        return x + self.act(self.fc(x))

def deep_net(kind, depth=DEPTH, width=WIDTH, std=None):
    ag.manual_seed(0)
    layers = []
    for _ in range(depth):
        if kind == "residual":
            layers.append(Residual(width, nn.ReLU))
            init.normal_(layers[-1].fc.weight, 0.0, 0.5 / np.sqrt(width))
        else:
            lin = nn.Linear(width, width)
            if kind == "sigmoid":
                init.xavier_normal_(lin.weight)
            else:
                init.kaiming_normal_(lin.weight, nonlinearity="relu")
            if std is not None:
                init.normal_(lin.weight, 0.0, std)
            layers += [lin, nn.Sigmoid() if kind == "sigmoid" else nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, 1))

def layer_grad_norms(model):
    x = ag.tensor(np.random.default_rng(0).standard_normal((64, WIDTH)).astype(np.float32))
    model.zero_grad()
    (model(x) ** 2).mean().backward()
    ws = [p for n, p in model.named_parameters() if n.endswith("weight")][:-1]
    return np.array([float(np.linalg.norm(p.grad.numpy())) for p in ws])

norms = {k: layer_grad_norms(deep_net(k)) for k in ["sigmoid", "ReLU", "residual"]}
for k, v in norms.items():
    print(f"{k:9s} |grad W| first layer {v[0]:.2e}, last layer {v[-1]:.2e}, ratio {v[0] / v[-1]:.1e}")"""),
        code("""\
s, r, res = norms["sigmoid"], norms["ReLU"], norms["residual"]
assert s[0] / s[-1] < 1e-6                 # vanishes: 12 factors of at most 1/4
assert 1e-2 < r[0] / r[-1] < 10            # He init keeps the scale (within ~10x)
assert 1e-2 < res[0] / res[-1] < 10        # the identity path carries the gradient
fig, ax = plt.subplots(figsize=(7, 3.5))
for k, v in norms.items():
    ax.semilogy(range(1, DEPTH + 1), v, "o-", label=k)
ax.set_xlabel("layer"); ax.set_ylabel("‖∂L/∂W‖"); ax.legend(); ax.set_title("per-layer gradient norms")
plt.show()"""),
        md("""\
## The same gradients on the graph

The exporter's gradient-health colours show it at a glance: `viz.record` runs backward
keeping every node's gradient, and `viz.draw(..., collapse=True, grad_health=True)`
draws one box per layer coloured by its gradient scale, $\\log_{10}$ of
mean $|\\text{grad}|$ / mean $|\\text{parameter}|$ (light: vanishing, dark: as large as
the parameter, grey: exactly zero; the same fixed scale in every drawing). A net 6 layers
deep keeps the pictures readable; the sigmoid net fades to light towards its input."""),
        code("""\
import re
from autograd import viz

def health_drawing(kind, depth=6):
    model = deep_net(kind, depth=depth)
    x = ag.tensor(np.random.default_rng(0).standard_normal((64, WIDTH)).astype(np.float32))
    loss = (model(x) ** 2).mean()
    viz.record(loss)
    d = viz.draw(loss, names=model, collapse=True, grad_health=True, show_values=False,
                 title=f"{kind}: {depth} layers, coloured by mean |grad| / mean |parameter|")
    # mean |grad| of each layer's parameters, as printed in its box (boxes with leaves)
    means = {int(m.group(1)): float(m.group(2)) for m in
             re.finditer(r'label="(\\d+)\\\\n[^"]*?\\\\n\\d+ leaves\\\\nmean \\|grad\\| = ([-+.e0-9]+), ',
                             d.source)}
    firsts = [means[k] for k in sorted(means)]
    return d, firsts

drawings = {k: health_drawing(k) for k in ["sigmoid", "ReLU", "residual"]}
for k, (d, m) in drawings.items():
    print(f"{k:9s} mean |grad| per box, input to output:", " ".join(f"{v:.1e}" for v in m))
# the hidden layers (the last box is the 32 -> 1 head, on its own scale)
sig_m, relu_m, res_m = (drawings[k][1][:-1] for k in ["sigmoid", "ReLU", "residual"])
assert sig_m[0] < 1e-3 * sig_m[-1]           # the input end has faded
assert relu_m[0] > 1e-1 * relu_m[-1]         # He-initialised ReLU keeps its scale
assert res_m[0] > 1e-1 * res_m[-1]           # so does the residual path
drawings["sigmoid"][0]"""),
        code("""\
drawings["ReLU"][0]"""),
        code("""\
drawings["residual"][0]"""),
        md("""\
## Exploding gradients and clipping

The same ReLU net with weights drawn with std 1 instead of He's $\\sqrt{2/32}$: each
layer multiplies the signal (and the gradient) by about $\\sqrt{32/2} = 4$."""),
        code("""\
big = deep_net("ReLU", std=1.0)
b = layer_grad_norms(big)
print(f"first-layer gradient norm {b[0]:.2e} (He init: {r[0]:.2e})")
assert b[0] > 1e6 * r[0]
total = float(nn.utils.clip_grad_norm_(list(big.parameters()), max_norm=1.0))
after = np.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in big.parameters()))
print(f"total gradient norm {total:.2e} -> after clip_grad_norm_(max_norm=1): {after:.4f}")
assert total > 1e6 and abs(after - 1.0) < 1e-3"""),
    ]


# --------------------------------------------------------------------------- 09
@notebook("09_cnn_digits.ipynb")
def nb09():
    return [
        md("""\
# 9. A CNN with Inception and residual blocks on the digits

`nn.models.DigitsCNN`: a 3x3 convolution, an Inception block (1x1, 5x5, 3x3-3x3 and
pooling branches side by side) and a residual block, on the 8x8 digits. We compare
weight initialisations, then dropout, L1/L2 and early stopping on validation curves.
Runs are short (a few epochs on the 1,797 images) to keep the notebook fast."""),
        SETUP,
        code("""\
import nn
from nn import init, optim
from nn.data import load_digits, train_test_split
from nn.models import DigitsCNN

X, y = load_digits()
Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, seed=0)
print(Xtr.shape, Xva.shape)   # (N, 1, 8, 8)

def accuracy(model, X, y):
    model.eval()
    with ag.no_grad():
        return float((model(ag.tensor(X)).numpy().argmax(1) == y).mean())

def run(model, epochs=4, lr=3e-3, l1=0.0, l2=0.0, patience=None, bs=32, seed=0):
    opt = optim.Adam(model.parameters(), lr=lr)
    lossf = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    hist = {"val_loss": [], "val_acc": []}
    stopper = nn.EarlyStopping(patience=patience, restore_best_weights=True) if patience else None
    for epoch in range(epochs):
        model.train()
        idx = rng.permutation(len(Xtr))
        for i in range(0, len(idx), bs):
            b = idx[i:i + bs]
            loss = lossf(model(ag.tensor(Xtr[b])), ag.tensor(ytr[b]))
            if l1: loss = loss + nn.l1_penalty(model.parameters(), l1)
            if l2: loss = loss + nn.l2_penalty(model.parameters(), l2)
            opt.zero_grad(); loss.backward(); opt.step()
        model.eval()
        with ag.no_grad():
            vl = float(lossf(model(ag.tensor(Xva)), ag.tensor(yva)).item())
        hist["val_loss"].append(vl); hist["val_acc"].append(accuracy(model, Xva, yva))
        if stopper is not None and stopper.step(vl, model):
            stopper.restore(model)
            break
    return hist"""),
        md("""\
## Initialisation

All-zero weights leave every unit in a layer identical (and ReLU units dead): nothing
useful is learnt. Normal(0, 1) is far too large for fan-ins of 9 to 144; Xavier
($\\mathrm{Var} = 2/(n_{in} + n_{out})$) and He ($2/n_{in}$) keep activations at scale."""),
        code("""\
def initialise(model, how):
    for name, p in model.named_parameters():
        if p.ndim < 2:
            init.zeros_(p)
        elif how == "zero":
            init.zeros_(p)
        elif how == "normal":
            init.normal_(p, 0.0, 1.0)
        elif how == "xavier":
            init.xavier_normal_(p)
        elif how == "he":
            init.kaiming_normal_(p, nonlinearity="relu")
    return model

inits = {}
for how in ["zero", "normal", "xavier", "he"]:
    ag.manual_seed(0)
    inits[how] = run(initialise(DigitsCNN(), how), epochs=3)
    print(f"{how:7s} val acc per epoch: {np.round(inits[how]['val_acc'], 3)}")"""),
        code("""\
assert inits["zero"]["val_acc"][-1] < 0.3           # stuck near chance
assert inits["he"]["val_acc"][-1] >= 0.9
assert inits["xavier"]["val_acc"][-1] >= 0.9
assert inits["he"]["val_acc"][-1] > inits["normal"]["val_acc"][-1] - 0.02
fig, ax = plt.subplots(figsize=(6, 3.5))
for how, h in inits.items():
    ax.plot(range(1, len(h["val_acc"]) + 1), h["val_acc"], "o-", label=how)
ax.set_xlabel("epoch"); ax.set_ylabel("validation accuracy"); ax.legend(); plt.show()"""),
        md("""\
## Regularisation and early stopping

Dropout before the head, an L1 or L2 penalty added to the loss, and early stopping
(patience 2, best weights restored) with a deliberately long budget."""),
        code("""\
regs = {}
for name, kw in {"plain": {}, "dropout 0.3": {"dropout": 0.3}, "L1 1e-5": {"l1": 1e-5},
                 "L2 1e-4": {"l2": 1e-4}}.items():
    ag.manual_seed(1)
    model = DigitsCNN(dropout=kw.pop("dropout", 0.0))
    regs[name] = run(model, epochs=5, **kw)
    print(f"{name:12s} final val acc {regs[name]['val_acc'][-1]:.3f}")
ag.manual_seed(1)
es_model = DigitsCNN()
es = run(es_model, epochs=40, lr=1e-2, patience=2)
print(f"early stopping ran {len(es['val_loss'])} of 40 epochs; val acc after restoring the "
      f"best weights {accuracy(es_model, Xva, yva):.3f}")"""),
        code("""\
for name, h in regs.items():
    assert h["val_acc"][-1] >= 0.9, name
assert len(es["val_loss"]) < 40
assert accuracy(es_model, Xva, yva) >= 0.95
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.5))
for name, h in list(regs.items()) + [("early stopping", es)]:
    a1.plot(range(1, len(h["val_loss"]) + 1), h["val_loss"], "o-", ms=3, label=name)
    a2.plot(range(1, len(h["val_acc"]) + 1), h["val_acc"], "o-", ms=3, label=name)
a1.set_title("validation loss"); a2.set_title("validation accuracy"); a1.legend()
a1.set_xlabel("epoch"); a2.set_xlabel("epoch"); plt.show()"""),
    ]


# --------------------------------------------------------------------------- 10, 11
# the sequence-model notebooks are written in _build_seq.py (same cell format)
sys.path.insert(0, str(HERE))
from _build_seq import NOTEBOOKS as _SEQ_NOTEBOOKS  # noqa: E402
NOTEBOOKS.update(_SEQ_NOTEBOOKS)


# --------------------------------------------------------------------------- build
def build(fname) -> Path:
    cells = []
    for kind, src in NOTEBOOKS[fname]():
        src = textwrap.dedent(src).strip("\n")
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        cell["id"] = f"{fname[:2]}-{len(cells):03d}"   # fixed ids: a rebuild changes nothing
        cells.append(cell)
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    path = HERE / fname
    nbformat.write(nb, str(path))
    return path


def execute(path: Path, timeout: int = 600) -> float:
    """Run a notebook top to bottom (outputs are not written back); returns seconds."""
    import time

    from nbclient import NotebookClient
    os.environ.setdefault("MPLBACKEND", "Agg")
    nb = nbformat.read(str(path), as_version=4)
    t0 = time.time()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE.parent)}}).execute()
    return time.time() - t0


def main(argv) -> None:
    run = "--execute" in argv
    picks = [a for a in argv if not a.startswith("--")]
    for fname in sorted(NOTEBOOKS):
        if picks and not any(fname.startswith(p) for p in picks):
            continue
        path = build(fname)
        msg = f"wrote {path.relative_to(HERE.parent)}"
        if run:
            msg += f"  (executed in {execute(path):.1f} s)"
        print(msg, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
