"""Linear regression from scratch in the textbook's style: synthetic data, a batch
iterator over index lists, linreg, squared_loss and sgd under no_grad; then the
concise version with nn.Linear, data-filled init and optim.SGD."""
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(10)
true_w = torch.tensor([2, -3.4])
true_b = 4.2
features = torch.tensor(rng.normal(0, 1, (500, 2)), dtype=torch.float32)
labels = torch.matmul(features, true_w) + true_b
labels += torch.tensor(rng.normal(0, 0.01, labels.shape), dtype=torch.float32)
labels = labels.reshape((-1, 1))
print(features.shape[0], features.shape[1], labels.shape[1])


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


w = torch.tensor(rng.normal(0, 0.01, size=(2, 1)), dtype=torch.float32, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, num_epochs, batch_size = 0.03, 3, 10
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = squared_loss(linreg(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
print(f'error in w: {(true_w - w.reshape(true_w.shape)).abs().max().item():.4f}')
print(f'error in b: {abs(true_b - b.item()):.4f}')
net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.fill_(0.01)
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
for epoch in range(3):
    for X, y in data_iter(10, features, labels):
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f'epoch {epoch + 1}, loss {l:f}' if False else f'epoch {epoch + 1}, loss {l.item():f}')
print(np.round(net[0].weight.data.numpy(), 3), np.round(net[0].bias.data.numpy(), 3))
