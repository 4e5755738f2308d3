"""Run under ``mpiexec -n 2`` by tests/test_distributed.py: DDP training in which rank 1
fails at step 10, after rank 0 saved a checkpoint at step 5.

    fail.py MODE OUT      MODE: exception | kill | hang
"""
from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import autograd as ag
import nn
import nn.distributed as dist
from nn.parallel import DistributedDataParallel as DDP

mode, out = sys.argv[1], sys.argv[2]
dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
ag.manual_seed(0)
net = nn.models.mlp([64, 32, 10])
model = DDP(net)
opt = nn.optim.SGD(net.parameters(), lr=0.1)
X, Y = nn.data.load_digits()
X = X.reshape(len(X), -1)
lossf = nn.CrossEntropyLoss()
for step in range(1, 1000):
    if R == 1 and step == 10:
        if mode == "exception":
            raise ValueError("injected failure at step 10")
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "hang":
            time.sleep(600)
    idx = np.arange(16 * step, 16 * step + 16) % len(X)
    idx = idx[R * 8:(R + 1) * 8]
    opt.zero_grad()
    lossf(model(ag.tensor(X[idx])), ag.tensor(Y[idx])).backward()
    opt.step()
    if step == 5 and R == 0:
        nn.save({"model": net.state_dict(), "step": np.array(step)}, out)
        print("saved", out, flush=True)
raise AssertionError("unreachable: rank 1 stops the job at step 10")
