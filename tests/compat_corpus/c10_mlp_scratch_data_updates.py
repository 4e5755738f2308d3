"""An MLP from scratch with .data updates (w.data -= lr * w.grad.data), a hand-written
relu, range indexing and manual zeroing of gradients."""
import numpy as np
import torch

rng = np.random.default_rng(6)
n, d, h, k = 120, 4, 10, 3
X = torch.tensor(rng.standard_normal((n, d)), dtype=torch.float32)
y = torch.tensor(rng.integers(0, k, n))
W1 = torch.tensor(rng.normal(0, 0.3, (d, h)), dtype=torch.float32, requires_grad=True)
b1 = torch.zeros(h, requires_grad=True)
W2 = torch.tensor(rng.normal(0, 0.3, (h, k)), dtype=torch.float32, requires_grad=True)
b2 = torch.zeros(k, requires_grad=True)
params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    H = relu(X @ W1 + b1)
    return H @ W2 + b2


lr = 0.5
for step in range(60):
    logits = net(X)
    logp = logits - logits.exp().sum(dim=1, keepdim=True).log()
    loss = -logp[range(n), y].mean()
    loss.backward()
    for w in params:
        w.data -= lr * w.grad.data
        w.grad.data.zero_()
    if step % 20 == 0:
        print(step, f"{loss.item():.5f}")
print(f"{loss.item():.5f}", W1.grad.abs().sum().item(), W1.requires_grad, W1.data.requires_grad)
print(np.round(W2.data.numpy()[:2], 4))
