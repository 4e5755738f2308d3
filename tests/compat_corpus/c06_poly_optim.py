"""The cubic fit with torch.optim (RMSprop, then SGD with momentum)."""
import math

import numpy as np
import torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
rng = np.random.default_rng(3)
for opt_name in ["RMSprop", "SGD"]:
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.tensor(rng.uniform(-0.3, 0.3, size=tuple(param.shape)), dtype=torch.float32))
    loss_fn = torch.nn.MSELoss(reduction='sum')
    if opt_name == "RMSprop":
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
    for t in range(300):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(opt_name, t, f"{loss.item():.4f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(opt_name, [round(v, 5) for v in model[0].weight.flatten().tolist()])
