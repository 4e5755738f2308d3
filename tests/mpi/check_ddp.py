"""Run under ``mpiexec -n 2`` by tests/test_distributed.py: every check of the library
in one launch (collectives, DDP == single-process training, no_sync, unused
parameters, mismatched models, DistributedSampler + DataLoader). Each check prints
``ok <name>`` on rank 0; any failure raises (the excepthook then aborts the job)."""
from __future__ import annotations

import sys

import numpy as np

import autograd as ag
import nn
import nn.distributed as dist
from nn.data import DataLoader, DistributedSampler, TensorDataset
from nn.parallel import DistributedDataParallel as DDP

ag.set_default_dtype(np.float64)
dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
assert N == 2, N
DONE = []


def ok(name):
    DONE.append(name)
    if R == 0:
        print("ok", name, flush=True)


# ------------------------------------------------------------------ collectives
t = ag.tensor(np.arange(6, dtype=np.float64).reshape(2, 3) + 10 * R)
base = t.detach().numpy()
dist.all_reduce(t)
assert t.detach().numpy() is base or np.shares_memory(t.detach().numpy(), base)  # in place
np.testing.assert_array_equal(t.numpy(), 2 * np.arange(6).reshape(2, 3) + 10)
for op, want in ((dist.ReduceOp.AVG, np.arange(6) + 5.0), (dist.ReduceOp.MAX, np.arange(6) + 10.0),
                 (dist.ReduceOp.MIN, np.arange(6) + 0.0), (dist.ReduceOp.PRODUCT,
                                                            np.arange(6) * (np.arange(6) + 10.0))):
    u = ag.tensor(np.arange(6, dtype=np.float64) + 10 * R)
    dist.all_reduce(u, op=op)
    np.testing.assert_array_equal(u.numpy(), want)
ints = ag.tensor(np.array([1, 2, 3]) * (R + 1))
dist.all_reduce(ints, op=dist.ReduceOp.MAX)
np.testing.assert_array_equal(ints.numpy(), [2, 4, 6])
try:
    dist.all_reduce(ag.tensor(np.array([1, 2])), op=dist.ReduceOp.AVG)
    raise AssertionError("AVG on integers must raise")
except TypeError as e:
    assert "floating-point" in str(e)
m = ag.tensor(np.arange(12.0).reshape(3, 4) * (R + 1))
col = m[:, 1]                                  # a non-contiguous view: copy in, copy back
w = dist.all_reduce(m.detach().numpy()[:, 1], async_op=True)
w.wait()
assert w.is_completed()
np.testing.assert_array_equal(m.numpy()[:, 1], 3 * np.arange(1, 12, 4.0))
b = ag.tensor(np.full(4, float(R + 7)))
dist.broadcast(b, src=1)
np.testing.assert_array_equal(b.numpy(), np.full(4, 8.0))
outs = [ag.zeros(3) for _ in range(N)]
dist.all_gather(outs, ag.tensor(np.full(3, float(R))))
np.testing.assert_array_equal(np.stack([o.numpy() for o in outs]), [[0, 0, 0], [1, 1, 1]])
objs = [None, None]
dist.all_gather_object(objs, {"rank": R})
assert objs == [{"rank": 0}, {"rank": 1}], objs
w = dist.all_reduce(ag.tensor(np.full(3, R + 1.0)), op=dist.ReduceOp.SUM, async_op=True)
assert w.wait()
dist.barrier()
ok("collectives")


# ------------------------------------------------------------------ buffers from rank 0
ag.manual_seed(0)
bn_net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
if R == 1:
    np.asarray(bn_net[1].running_mean)[...] = 7.0
    np.asarray(bn_net[0].weight.detach())[...] = -1.0
bn = DDP(bn_net)
for _, buf in bn_net.named_buffers():
    mine, theirs = np.array(np.asarray(buf)), np.array(np.asarray(buf))
    dist.broadcast(theirs, src=0)
    np.testing.assert_array_equal(mine, theirs)
assert float(np.asarray(bn_net[1].running_mean).max()) < 7.0
assert not (bn_net[0].weight.detach().numpy() == -1.0).all()
ok("broadcast_parameters_and_buffers")


# ------------------------------------------------------------------ DDP == 1 process
class Unused(nn.Module):
    """fc2 never takes part; `extra` adds to the rows whose pixel (1, 6) is > 0.5, and is
    not called at all when no row of the (local) batch has one: data dependent, some
    steps it is unused on one rank only, or on both."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 16)
        self.fc2 = nn.Linear(16, 16)
        self.extra = nn.Linear(16, 10)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        h = ag.relu(self.fc1(x.reshape(x.shape[0], -1)))
        out = self.head(h)
        sel = x.detach().numpy()[:, 0, 1, 6] > 0.5
        if sel.any():
            self.extra_calls = getattr(self, "extra_calls", 0) + 1
            out = out + self.extra(h) * ag.tensor(sel[:, None].astype(np.float64))
        return out


def make(kind):
    ag.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.models.mlp([64, 32, 32, 10]))
    if kind == "cnn":
        return nn.models.DigitsCNN()
    return Unused()


X, Y = nn.data.load_digits(np.float64)
B, STEPS = 16, 50
lossf = nn.CrossEntropyLoss()


def batches(step):
    rng = np.random.default_rng(step)
    return rng.choice(len(X), B, replace=False)


def train(kind, ddp):
    net = make(kind)
    if ddp and R == 1:  # rank 1 starts elsewhere: the broadcast must fix it
        with ag.no_grad():
            for p in net.parameters():
                p.detach().numpy()[...] += 1.0
    model = DDP(net, bucket_cap_mb=0.01, find_unused_parameters=(kind == "unused")) if ddp else net
    opt = nn.optim.Adam(net.parameters(), lr=1e-2)
    for s in range(STEPS):
        idx = batches(s)
        if ddp:
            idx = idx[R * B // N:(R + 1) * B // N]
        opt.zero_grad()
        lossf(model(ag.tensor(X[idx])), ag.tensor(Y[idx])).backward()
        opt.step()
    return net, model


# every rank trains the three models with DDP, then checks some of them against
# single-process training with the whole batch (rank 0: mlp and unused, rank 1: cnn,
# so the two references run in parallel)
results = {}
for kind in ("mlp", "cnn", "unused"):
    net, model = train(kind, ddp=True)
    if kind != "mlp":
        assert len(model.bucket_sizes) > 1, model.bucket_sizes  # several buckets in flight
    assert model.comm_stats["backwards"] == STEPS
    results[kind] = net
for kind in (("mlp", "unused") if R == 0 else ("cnn",)):
    net = results[kind]
    ref, _ = train(kind, ddp=False)
    for (name, p), q in zip(net.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10,
                                   atol=1e-13, err_msg=f"{kind}: {name}")
    if kind == "unused":
        assert net.fc2.weight.grad is None  # unused on every rank: stays None
        counts = [None, None]
        dist_counts = net.extra_calls
        assert 0 < dist_counts < STEPS, dist_counts  # data dependent: used on some steps
flags = [None, None]
dist.all_gather_object(flags, True)
for kind in ("mlp", "cnn", "unused"):
    ok(f"equal_to_one_process[{kind}]")

# the two ranks hold the same parameters after training (checked on every rank)
flat = np.concatenate([p.detach().numpy().ravel() for p in results["cnn"].parameters()])
other = flat.copy()
dist.broadcast(other, src=0)
np.testing.assert_array_equal(flat, other)
ok("ranks_identical")


# ------------------------------------------------------------------ no_sync
def grads_after_accumulation(ddp):
    net = make("mlp")
    model = DDP(net) if ddp else net
    idx_all = [batches(100 + k) for k in range(3)]
    for k, idx in enumerate(idx_all):
        if ddp:
            idx = idx[R * B // N:(R + 1) * B // N]
        last = k == len(idx_all) - 1
        ctx = model.no_sync() if ddp and not last else _null()
        with ctx:
            lossf(model(ag.tensor(X[idx])), ag.tensor(Y[idx])).backward()
        if ddp and k == 0:  # inside no_sync the gradients stay local: they differ
            g = net[1][0].weight.grad.numpy().copy()
            g1 = g.copy()
            dist.broadcast(g1, src=1)
            assert R == 1 or not np.allclose(g, g1)
    return [p.grad.numpy().copy() for p in net.parameters()], model


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


gs, model = grads_after_accumulation(True)
assert model.comm_stats["backwards"] == 1  # one reduction for three backwards
if R == 0:
    ref, _ = grads_after_accumulation(False)
    for g, r in zip(gs, ref):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-14)
ok("no_sync")


# ------------------------------------------------------------------ unused without the flag
model = DDP(make("unused"))
idx = batches(0)[R * B // N:(R + 1) * B // N]
lossf(model(ag.tensor(X[idx])), ag.tensor(Y[idx])).backward()
try:
    model(ag.tensor(X[idx]))
    raise AssertionError("a parameter without gradient must be reported")
except RuntimeError as e:
    assert "fc2.weight" in str(e) and "find_unused_parameters=True" in str(e), e
ok("unused_parameters_error")

model = DDP(make("mlp"))
try:
    lossf(model(ag.tensor(X[idx])), ag.tensor(Y[idx])).backward(create_graph=True)
    raise AssertionError("create_graph=True through DDP must be refused")
except RuntimeError as e:
    assert "create_graph=True" in str(e) and "not supported" in str(e), e
ok("create_graph_refused")

# ------------------------------------------------------------------ mismatched models
ag.manual_seed(0)
other_net = nn.models.mlp([64, 32, 10] if R == 0 else [64, 33, 10])
try:
    DDP(other_net)
    raise AssertionError("mismatched parameters must be refused")
except RuntimeError as e:
    msg = str(e)
    assert "do not hold the same parameters" in msg and "rank 1" in msg, msg
    assert "(32, 64)" in msg and "(33, 64)" in msg, msg  # both shapes, named by rank
ok("mismatched_parameters")

# ------------------------------------------------------------------ sampler + DataLoader
ds = TensorDataset(np.arange(21.0), np.arange(21))
sampler = DistributedSampler(ds, shuffle=True, seed=3)
shares = []
for epoch in range(2):
    sampler.set_epoch(epoch)
    got = np.concatenate([yb.numpy() for _, yb in DataLoader(ds, batch_size=4, sampler=sampler)])
    assert len(got) == 11
    everyone = [None, None]
    dist.all_gather_object(everyone, got.tolist())
    allidx = sorted(everyone[0] + everyone[1])
    assert set(allidx) == set(range(21)) and len(allidx) == 22  # one index padded
    shares.append(everyone[0])
assert shares[0] != shares[1]  # set_epoch reshuffles
ok("sampler_dataloader")

dist.destroy_process_group()
assert not dist.is_initialized()
if R == 0:
    print("ALL", len(DONE), flush=True)
sys.exit(0)
