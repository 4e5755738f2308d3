"""A tour of the tensor operations tutorials use: joining, reducing, comparing,
masking, clamping, softmax, argmax/topk-style selection, bitwise masks."""
import numpy as np
import torch

rng = np.random.default_rng(12)
a = torch.tensor(rng.standard_normal((3, 4)), dtype=torch.float32)
b = torch.tensor(rng.standard_normal((3, 4)), dtype=torch.float32)
print(np.round(torch.cat((a, b), 0).numpy(), 4).shape, torch.stack([a, b]).shape[0])
print(np.round(a.sum(dim=1).numpy(), 4), np.round(a.mean(0).numpy(), 4))
vals, idx = a.max(dim=1)
print(np.round(vals.numpy(), 4), idx.numpy(), torch.argmax(a).item(), a.argmin(dim=0).numpy())
print(np.round(torch.where(a > 0, a, torch.zeros_like(a)).numpy(), 4))
print(np.round(a.clamp(min=-0.5, max=0.5).numpy(), 4))
print(np.round(torch.softmax(a, dim=1).numpy(), 4), np.round(torch.log_softmax(a, dim=1).numpy(), 4))
print(np.round((a @ b.T).numpy(), 4), np.round(torch.mm(a, b.t()).numpy(), 4))
print(np.round(a.std().item(), 4), np.round(a.var(dim=1).numpy(), 4))
print(np.round(a.abs().sqrt().numpy(), 4), np.round(torch.exp(a).log().numpy(), 4))
print(a.masked_fill(a < 0, 0.0).gt(0).sum().item(), (a > 0).sum().item())
m = (a > 0) & (b > 0)
print(m.sum().item(), (~m).sum().item(), ((a > 0) | (b > 0)).float().mean().item())
print(a.view(-1).shape[0], a.flatten().shape[0], a.unsqueeze(0).shape, a.permute(1, 0).shape)
print(torch.tensor([6, 3]) & torch.tensor([3, 5]), torch.tensor([6, 3]) | torch.tensor([3, 5]))
print(np.round(torch.norm(a).item(), 4), np.round(a.pow(2).sum().sqrt().item(), 4))
c = torch.arange(10)
print(c[c % 2 == 0].numpy(), c.reshape(2, 5)[:, [0, 4]].numpy(), c.flip(0).numpy())
print(torch.split(c, 3)[1].numpy(), torch.chunk(c, 2)[0].numpy())
print(a.shape == torch.Size([3, 4]), a.size(), a.size(1), a.dim(), a.numel())
