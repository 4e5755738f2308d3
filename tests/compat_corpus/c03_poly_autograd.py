"""The same cubic fit with autograd: requires_grad, backward, no_grad updates."""
import math

import numpy as np
import torch

dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
rng = np.random.default_rng(1)
a = torch.tensor(rng.standard_normal(), dtype=dtype, requires_grad=True)
b = torch.tensor(rng.standard_normal(), dtype=dtype, requires_grad=True)
c = torch.tensor(rng.standard_normal(), dtype=dtype, requires_grad=True)
d = torch.tensor(rng.standard_normal(), dtype=dtype, requires_grad=True)
learning_rate = 1e-6
for t in range(500):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, f"{loss.item():.5f}")
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
print(f'Result: y = {a.item():.5f} + {b.item():.5f} x + {c.item():.5f} x^2 + {d.item():.5f} x^3')
print(a.requires_grad, a.is_leaf, loss.grad_fn is not None)
