"""The device idiom: pick "cuda" if available else "cpu", create on the device, move
tensors and the model with .to(device), check .device."""
import numpy as np
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, device.type)
x = torch.randn(4, 3, device=device).to(device)
print(x.device == device, str(x.device))
model = nn.Linear(3, 2).to(device)
with torch.no_grad():
    model.weight.copy_(torch.tensor(np.arange(6).reshape(2, 3) / 10, dtype=torch.float32))
    model.bias.fill_(0.5)
inp = torch.tensor(np.ones((4, 3)), dtype=torch.float32, device=device)
out = model(inp)
print(out.tolist(), next(model.parameters()).device)
print(out.cpu().detach().numpy().sum(), out.to("cpu", torch.float64).dtype == torch.float64)
t = torch.zeros(2, device="cpu", dtype=torch.float64)
print(t.to(torch.float32).dtype == torch.float32, t.type(torch.LongTensor).dtype == torch.int64)
