"""micrograd's README expression, on 0-d tensors: build a small scalar graph, backward,
read .data and .grad."""
import torch

a = torch.tensor(-4.0, dtype=torch.double, requires_grad=True)
b = torch.tensor(2.0, dtype=torch.double, requires_grad=True)
c = a + b
d = a * b + b ** 3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e ** 2
g = f / 2.0
g = g + 10.0 / f
print(f'{g.data.item():.4f}')
g.backward()
print(f'{a.grad.item():.4f}')
print(f'{b.grad.item():.4f}')
x = torch.tensor(-3.0, requires_grad=True)
y = torch.tensor(2.0, requires_grad=True)
z = (x * y + x.tanh() * y.sigmoid()).exp() / (1 + x.abs())
z.backward()
print(f"{z.item():.6f} {x.grad.item():.6f} {y.grad.item():.6f}")
