"""Adam with weight decay and a StepLR schedule, optimizer.param_groups and a
state_dict round trip of the model."""
import numpy as np
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR

rng = np.random.default_rng(14)
X = torch.tensor(rng.standard_normal((64, 5)), dtype=torch.float32)
y = torch.tensor(rng.standard_normal((64, 1)), dtype=torch.float32)
model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.4, 0.4, size=tuple(p.shape)), dtype=torch.float32))
optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-3)
scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
for epoch in range(30):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if epoch % 10 == 9:
        print(epoch, f"{loss.item():.6f}", optimizer.param_groups[0]["lr"])
state = model.state_dict()
print(list(state.keys()))
model2 = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
model2.load_state_dict(state)
with torch.no_grad():
    print(f"{(model2(X) - model(X)).abs().max().item():.6f}")
