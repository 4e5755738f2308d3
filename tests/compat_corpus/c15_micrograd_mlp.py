"""A micrograd-style demo: an MLP classifier on two interleaved half-moons with an SVM
max-margin loss and L2 regularisation, trained with decaying-rate SGD."""
import numpy as np
import torch

rng = np.random.default_rng(9)
n = 100
t = rng.uniform(0, np.pi, n)
outer = np.stack([np.cos(t), np.sin(t)], 1)
inner = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
Xn = np.concatenate([outer[: n // 2], inner[n // 2:]]) + rng.normal(0, 0.1, (n, 2))
yn = np.concatenate([-np.ones(n // 2), np.ones(n - n // 2)])
X = torch.tensor(Xn, dtype=torch.float64)
y = torch.tensor(yn, dtype=torch.float64)
sizes = [2, 16, 16, 1]
params = []
for i in range(3):
    W = torch.tensor(rng.uniform(-1, 1, (sizes[i], sizes[i + 1])), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(sizes[i + 1], dtype=torch.float64, requires_grad=True)
    params += [W, b]


def model(x):
    for i in range(0, len(params), 2):
        x = x @ params[i] + params[i + 1]
        if i < len(params) - 2:
            x = x.relu()
    return x.squeeze(1)


for k in range(40):
    scores = model(X)
    losses = (1 + -y * scores).relu()
    data_loss = losses.mean()
    reg_loss = 1e-4 * sum((p * p).sum() for p in params)
    total_loss = data_loss + reg_loss
    accuracy = ((y > 0) == (scores > 0)).double().mean()
    for p in params:
        p.grad = None
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 40
    for p in params:
        p.data -= learning_rate * p.grad
    if k % 10 == 0:
        print(f"step {k} loss {total_loss.item():.6f}, accuracy {accuracy.item() * 100:.1f}%")
print(f"final {total_loss.item():.6f}")
