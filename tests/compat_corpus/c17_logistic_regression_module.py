"""Logistic regression as an nn.Module: Linear + sigmoid, BCELoss, SGD, a decision
threshold and a confusion count."""
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(11)
X_np = rng.standard_normal((200, 3)).astype(np.float32)
w_true = np.array([1.5, -2.0, 0.5], dtype=np.float32)
y_np = (X_np @ w_true + rng.normal(0, 0.5, 200) > 0).astype(np.float32)


class LogisticRegression(nn.Module):
    def __init__(self, n_inputs):
        super(LogisticRegression, self).__init__()
        self.linear = nn.Linear(n_inputs, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))


model = LogisticRegression(3)
with torch.no_grad():
    model.linear.weight.copy_(torch.zeros(1, 3))
    model.linear.bias.zero_()
criterion = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
X = torch.from_numpy(X_np)
y = torch.from_numpy(y_np).view(-1, 1)
for epoch in range(100):
    y_pred = model(X)
    loss = criterion(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 25 == 0:
        print(f'epoch: {epoch + 1}, loss = {loss.item():.5f}')
with torch.no_grad():
    y_predicted = model(X)
    y_predicted_cls = y_predicted.round()
    acc = y_predicted_cls.eq(y).sum() / float(y.shape[0])
    tp = ((y_predicted_cls == 1) & (y == 1)).sum().item()
print(f'accuracy: {acc.item():.4f}', tp)
print(model)
