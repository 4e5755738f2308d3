"""torch.autograd.grad, second derivatives with create_graph, hooks, retain_grad and
the functional jacobian."""
import torch

x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (x ** 3).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
print(g.tolist())
(h,) = torch.autograd.grad(g.sum(), x)
print(h.tolist())
w = torch.tensor([1.0, 2.0], requires_grad=True)
seen = []
handle = w.register_hook(lambda grad: seen.append(grad.tolist()))
z = w * 3
z.retain_grad()
out = (z ** 2).sum()
out.backward()
print(seen, z.grad.tolist(), w.grad.tolist())
handle.remove()
w.grad = None
w.register_hook(lambda grad: grad * 0.5)
(w * w).sum().backward()
print(w.grad.tolist())
u = torch.tensor(2.0, requires_grad=True)
v = u ** 4
d1 = torch.autograd.grad(v, u, create_graph=True)[0]
d2 = torch.autograd.grad(d1, u, create_graph=True)[0]
d3 = torch.autograd.grad(d2, u)[0]
print(d1.item(), d2.item(), d3.item())
J = torch.autograd.functional.jacobian(lambda t: t ** 2 + t.sum(), torch.tensor([1.0, 2.0]))
print(J.tolist())
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a.detach()
b[0] = 10.0
print(a.tolist(), b.requires_grad)
with torch.enable_grad():
    q = (a * 2).sum()
q.backward(gradient=torch.tensor(3.0))
print(a.grad.tolist())
