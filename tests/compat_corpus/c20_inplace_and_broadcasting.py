"""In-place operations and broadcasting, with and without gradients."""
import torch

x = torch.ones(2, 3)
y = torch.tensor([1.0, 2.0, 3.0])
x.add_(y)
x.mul_(2).sub_(1)
x.div_(torch.tensor([[2.0], [4.0]]))
print(x.tolist())
x.clamp_(max=2.0)
x.exp_()
x.tanh_()
print([[round(v, 5) for v in row] for row in x.tolist()])
w = torch.tensor([0.5, -0.5], requires_grad=True)
h = w * 2
h.sigmoid_()
g = h.pow(2)
g.sum().backward()
print([round(v, 6) for v in w.grad.tolist()])
k = w * 2
k.sigmoid_()
k.pow_(2)      # overwrites sigmoid's output, which its backward needs
try:
    k.sum().backward()
except RuntimeError as e:
    print(type(e).__name__, "modified by an inplace operation" in str(e))
with torch.no_grad():
    w.mul_(3)
    w += 1
print(w.tolist(), w.requires_grad, w.is_leaf)
col = torch.arange(3.0).reshape(3, 1)
row = torch.arange(4.0)
print((col + row).tolist(), (col * row).sum().item())
z = torch.zeros(3, 4)
z[1] = 5
z[:, 2] = torch.tensor([1.0, 2.0, 3.0])
z[z > 2] = -1
print(z.tolist())
t = torch.tensor([1.0, 2.0, 3.0])
t2 = t
t2 += 1
print(t.tolist(), t is t2)
