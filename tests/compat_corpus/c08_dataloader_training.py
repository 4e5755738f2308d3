"""A training loop with TensorDataset and DataLoader (no shuffling, so both libraries
see the same batches), an MLP, SGD with momentum and an accuracy check."""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(4)
X = rng.standard_normal((256, 2)).astype(np.float32)
Y = ((X[:, 0] * X[:, 1]) > 0).astype(np.int64)
dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
loader = DataLoader(dataset, batch_size=32, shuffle=False)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(p.shape)), dtype=torch.float32))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
print(len(dataset), len(loader))
for epoch in range(15):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.shape[0]
    if epoch % 5 == 4:
        print(epoch, f"{total / len(dataset):.5f}")
with torch.no_grad():
    pred = model(torch.from_numpy(X)).argmax(dim=1)
    acc = (pred == torch.from_numpy(Y)).float().mean().item()
print(f"accuracy {acc:.4f}")
