"""A small CNN (LeNet-like: Conv2d, MaxPool2d, Flatten, Linear) trained for a few
steps on random images; weights set from a NumPy stream."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.fc1 = nn.Linear(8 * 3 * 3, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


rng = np.random.default_rng(7)
net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, size=tuple(p.shape)), dtype=torch.float32))
images = torch.tensor(rng.standard_normal((16, 1, 14, 14)), dtype=torch.float32)
labels = torch.tensor(rng.integers(0, 3, 16))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(8):
    optimizer.zero_grad()
    outputs = net(images)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    print(epoch, f"{loss.item():.5f}")
print(outputs.shape[0], outputs.shape[1], f"{net.conv1.weight.grad.norm().item():.5f}")
_, predicted = torch.max(outputs.data, 1)
print((predicted == labels).sum().item())
print(net)
