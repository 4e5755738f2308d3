"""Tensor basics, as the first page of a PyTorch tutorial shows them."""
import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_data.dtype == torch.int64, x_np.dtype == torch.int64)
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)
print(x_ones.numpy(), x_rand.shape, x_rand.dtype == torch.float32)
shape = (2, 3,)
print(torch.ones(shape).numpy(), torch.zeros(shape).numpy())
tensor = torch.ones(4, 4)
print(f"Shape of tensor: {tensor.shape[0]} {tensor.shape[1]}")
print(f"Device tensor is stored on: {tensor.device}")
tensor[:, 1] = 0
print(tensor.numpy())
print(f"First row: {tensor[0].numpy()}, First column: {tensor[:, 0].numpy()}, Last column: {tensor[..., -1].numpy()}")
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1.shape[1])
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3) if False else None
z1 = tensor * tensor
z2 = tensor.mul(tensor)
print(y1.numpy(), (y1 == y2).all().item(), (z1 == z2).all().item())
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item).__name__)
print(tensor.numpy())
tensor.add_(5)
print(tensor.numpy())
t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(t.numpy(), n)
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(t.numpy(), n)
x = torch.arange(12).reshape(3, 4)
print(x.view(4, 3).numpy(), x.sum(dim=0).numpy(), x.float().mean(dim=1).numpy())
print(x[1:, ::2].numpy(), x[x > 5].numpy(), x.T.contiguous().view(-1).numpy())
print(torch.zeros(2, 3, dtype=torch.long).numpy(), torch.full((2, 2), 7.5).numpy())
print(torch.eye(3).numpy(), torch.linspace(0, 1, steps=5).numpy(), torch.arange(0, 10, 3).numpy())
