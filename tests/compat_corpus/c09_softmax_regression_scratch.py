"""Softmax regression from scratch, textbook style: parameters with requires_grad, a
hand-written softmax and cross-entropy (indexing with range), minibatch SGD."""
import numpy as np
import torch

rng = np.random.default_rng(5)
num_inputs, num_outputs, n = 8, 3, 300
centers = rng.standard_normal((num_outputs, num_inputs)) * 2
labels = rng.integers(0, num_outputs, n)
features = torch.tensor(centers[labels] + rng.standard_normal((n, num_inputs)), dtype=torch.float32)
labels = torch.tensor(labels)
W = torch.tensor(rng.normal(0, 0.01, (num_inputs, num_outputs)), dtype=torch.float32, requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


lr, batch_size = 0.1, 30
for epoch in range(5):
    for X, y in data_iter(batch_size, features, labels):
        l = cross_entropy(net(X), y)
        l.sum().backward()
        sgd([W, b], lr, batch_size)
    with torch.no_grad():
        train_l = cross_entropy(net(features), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}, acc {accuracy(net(features), labels) / n:.4f}')
X = torch.normal(0, 1, (2, 5))
X_prob = softmax(X)
print(X_prob.shape[0], X_prob.shape[1], f"{X_prob.sum(1).sum().item():.4f}")
