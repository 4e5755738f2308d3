"""Dynamic control flow: the number of hidden layers is drawn for each forward pass
(from a NumPy stream) and one layer's weights are reused, as in the classic example."""
import math

import numpy as np
import torch

rng = np.random.default_rng(8)


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1))
        self.b = torch.nn.Parameter(torch.tensor(0.5))
        self.c = torch.nn.Parameter(torch.tensor(-0.2))
        self.d = torch.nn.Parameter(torch.tensor(0.1))
        self.e = torch.nn.Parameter(torch.tensor(0.01))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, int(rng.integers(4, 6)) + 1):
            y = y + self.e * x ** exp
        return y


x = torch.linspace(-math.pi, math.pi, 500)
y = torch.sin(x)
model = DynamicNet()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(300):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.3f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print([round(p.item(), 5) for p in model.parameters()])
h = torch.tensor([0.5, -1.0], requires_grad=True)
z = h
steps = 0
while z.norm() < 10:
    z = z * 2
    steps += 1
if z.sum() > 0:
    out = z.sum()
else:
    out = (z * z).sum()
out.backward()
print(steps, h.grad.tolist())
