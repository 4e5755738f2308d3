"""detach(), requires_grad_(), set_grad_enabled, no_grad as a decorator, is_leaf."""
import torch

x = torch.tensor([1.0, 2.0])
print(x.requires_grad, x.is_leaf)
x.requires_grad_()
y = x * 2
print(y.requires_grad, y.is_leaf, y.grad_fn is not None)
z = y.detach()
print(z.requires_grad, z.grad_fn is None)
with torch.set_grad_enabled(False):
    w = x * 3
print(w.requires_grad)
torch.set_grad_enabled(True)


@torch.no_grad()
def evaluate(t):
    return t * 4


print(evaluate(x).requires_grad, torch.is_grad_enabled())
v = (y * y).sum()
v.backward()
print(x.grad.tolist())
frozen = torch.nn.Linear(2, 1)
for p in frozen.parameters():
    p.requires_grad = False
out = frozen(x).sum()
print(out.requires_grad)
