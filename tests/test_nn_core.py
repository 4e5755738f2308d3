"""nn modules, checkpoints, data, early stopping, the public-API rule, and training."""
import ast
import hashlib
import json
import os
import pathlib
import pickle
import struct
import tracemalloc

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn import optim

NN_DIR = pathlib.Path(nn.__file__).parent


# --------------------------------------------------------------------------- modules
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        x = self.bn(self.fc1(x))
        for b in self.blocks:
            x = ag.relu(b(x))
        return self.head(x)


def test_registration_and_traversal():
    m = Net()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "blocks.0.weight",
                     "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "head.1.weight",
                     "head.1.bias"]
    assert m.fc1.weight.name == "fc1.weight"
    assert [n for n, _ in m.named_buffers()] == ["bn.running_mean", "bn.running_var",
                                                  "bn.num_batches_tracked"]
    assert len(list(m.children())) == 4 and len(list(m.modules())) == 9
    m.eval()
    assert not m.bn.training and not m.head[0].training
    m.train()
    assert m.blocks[1].training
    assert "fc1" in repr(m) and "Linear(in_features=4" in repr(m)


def test_sequential_and_modulelist_indexing_like_torch():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert s[-1] is s[2] and len(s) == 3 and list(s) == [s[0], s[1], s[2]]
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and tail[1] is s[2]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]   # names kept, as in torch
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        s[3]
    ml = nn.ModuleList([nn.Linear(2, 2)]).extend([nn.ReLU(), nn.Linear(2, 1)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 4
    assert isinstance(ml[:2], nn.ModuleList) and list(ml[1:].state_dict()) == ["1.weight", "1.bias"]


def test_module_calls_open_name_scopes():
    m = Net()
    y = m(ag.randn(5, 4))
    scopes = {node.scope for node in ag.graph_nodes([y])}
    assert ("Net", "fc1") in scopes and ("Net", "head", "1") in scopes


def test_zero_grad_and_state_dict_roundtrip():
    m = Net()
    m(ag.randn(3, 4)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    sd = m.state_dict()
    m2 = Net()
    m2.load_state_dict(sd)
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_load_state_dict_errors():
    m = Net()
    sd = m.state_dict()
    bad = dict(sd)
    bad["fc1.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\(3, 3\).*\(8, 4\)"):
        m.load_state_dict(bad)
    missing = {k: v for k, v in sd.items() if k != "head.1.bias"}
    with pytest.raises(RuntimeError, match=r"missing keys \['head.1.bias'\]"):
        m.load_state_dict(missing)
    extra = dict(sd, **{"extra.w": np.zeros(2)})
    with pytest.raises(RuntimeError, match=r"unexpected keys \['extra.w'\].*strict=False"):
        m.load_state_dict(extra)
    res = m.load_state_dict(missing, strict=False)
    assert res.missing_keys == ["head.1.bias"]


# --------------------------------------------------------------------------- checkpoints
def _train_steps(model, opt, xs, ys, steps):
    for i in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(xs[i % len(xs)]), ys[i % len(ys)]).backward()
        opt.step()


def test_load_state_dict_wrong_kinds_of_state():
    m = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"expected a mapping .* got list"):
        m.load_state_dict([1, 2])
    ckpt = {"model": m.state_dict(), "optim": {}, "epoch": 3}
    with pytest.raises(RuntimeError, match=r"nested dicts \['model', 'optim'\].*state\['model'\]"):
        m.load_state_dict(ckpt)


def test_save_load_resume_is_bitwise_identical(tmp_path):
    r = np.random.default_rng(0)
    xs = [ag.tensor(r.standard_normal((8, 4))) for _ in range(4)]
    ys = [ag.tensor(r.integers(0, 2, 8)) for _ in range(4)]
    for Opt, kw in [(optim.Adam, dict(lr=0.01, amsgrad=True)), (optim.SGD, dict(lr=0.1, momentum=0.9)),
                    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
                    (optim.Adadelta, {}), (optim.Adagrad, dict(lr=0.1)), (optim.AdamW, dict(lr=0.01))]:
        ag.manual_seed(1)
        a = Net()
        oa = Opt(a.parameters(), **kw)
        ag.manual_seed(1)
        b = Net()
        ob = Opt(b.parameters(), **kw)
        _train_steps(a, oa, xs, ys, 10)
        _train_steps(b, ob, xs, ys, 5)
        path = tmp_path / "ckpt.tgd"
        nn.save({"model": b.state_dict(), "optim": ob.state_dict(), "epoch": 5}, str(path))
        ag.manual_seed(99)
        c = Net()
        oc = Opt(c.parameters(), **kw)
        ck = nn.load(str(path))
        c.load_state_dict(ck["model"])
        oc.load_state_dict(ck["optim"])
        assert ck["epoch"] == 5
        _train_steps(c, oc, xs[1:] + xs[:1], ys[1:] + ys[:1], 5)
        for (k, va), (_, vc) in zip(a.state_dict().items(), c.state_dict().items()):
            np.testing.assert_array_equal(va, vc, err_msg=f"{Opt.__name__} {k}")


def test_checkpoint_tree_roundtrip(tmp_path):
    obj = {"a": np.arange(6, dtype=np.int32).reshape(2, 3), "b": [1, 2.5, None, True, "s"],
           3: (np.float64(1.5), float("inf")), "t": ag.tensor([1.0, 2.0], requires_grad=True),
           "nested": {"x": {"y": np.zeros((0, 2))}}}
    p = tmp_path / "x.tgd"
    nn.save(obj, str(p))
    back = nn.load(str(p))
    np.testing.assert_array_equal(back["a"], obj["a"])
    assert back["a"].dtype == np.int32
    assert back["b"] == [1, 2.5, None, True, "s"] and back[3][1] == float("inf")
    assert isinstance(back["t"], ag.Tensor) and back["t"].requires_grad
    assert back["nested"]["x"]["y"].shape == (0, 2)


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def test_load_never_runs_pickle_payloads(tmp_path):
    marker = tmp_path / "PWNED"
    _Evil.marker = str(marker)
    for proto in range(2, pickle.HIGHEST_PROTOCOL + 1):
        p = tmp_path / f"evil{proto}.tgd"
        p.write_bytes(pickle.dumps({"w": _Evil()}, protocol=proto))
        with pytest.raises(nn.CheckpointError, match="not a valid tapegrad checkpoint"):
            nn.load(str(p))
    # a pickle hidden behind our magic bytes is still only JSON + raw bytes to us
    payload = pickle.dumps(_Evil())
    p = tmp_path / "magic.tgd"
    p.write_bytes(b"TAPEGRAD" + struct.pack("<HQ", 1, len(payload)) + payload + b"\0" * 32)
    with pytest.raises(nn.CheckpointError):
        nn.load(str(p))
    assert not marker.exists()


def test_malformed_files_are_rejected_quickly(tmp_path):
    good = tmp_path / "good.tgd"
    nn.save({"w": np.arange(1000.0)}, str(good))
    data = good.read_bytes()
    cases = {
        "empty": b"",
        "foreign": b"PK\x03\x04 this is a zip file" + b"\0" * 64,
        "truncated": data[: len(data) // 2],
        "truncated_checksum": data[:-5],
        "huge_header": b"TAPEGRAD" + struct.pack("<HQ", 1, 2 ** 62) + b"{}",
        "bad_version": b"TAPEGRAD" + struct.pack("<HQ", 99, 2) + b"{}" + b"\0" * 32,
        "flipped_byte": data[:40] + bytes([data[40] ^ 0xFF]) + data[41:],
    }
    for name, blob in cases.items():
        p = tmp_path / f"{name}.tgd"
        p.write_bytes(blob)
        with pytest.raises(nn.CheckpointError):
            nn.load(str(p))
    with pytest.raises(FileNotFoundError):
        nn.load(str(tmp_path / "nope.tgd"))


def _forge(header: bytes, data: bytes = b"") -> bytes:
    """A file with a valid prelude and checksum around an arbitrary header: what an
    attacker who knows the format can write."""
    return (b"TAPEGRAD" + struct.pack("<HQ", 1, len(header)) + header + data
            + hashlib.sha256(header + data).digest())


def _array_header(**entry) -> bytes:
    node = {"t": "array", "dtype": "<f8", "shape": [2], "offset": 0, "nbytes": 16}
    node.update(entry)
    return json.dumps({"format": "tapegrad-state", "tree": node}).encode()


def test_forged_files_are_rejected_without_large_allocations(tmp_path):
    """Files with a correct checksum but a hostile header: every claim is checked before
    anything is allocated from it, and deep nesting is a clean error, not RecursionError."""
    cases = {
        "deep_json": b"[" * 200_000 + b"]" * 200_000,
        "deep_tree": json.dumps({"format": "tapegrad-state", "tree": {"t": "list", "items": [
            {"t": "list", "items": []}]}}).encode().replace(b"[]", b"[" + b'{"t":"list","items":[' * 150
                                                            + b"]}" * 150 + b"]"),
        "huge_shape": _array_header(shape=[2 ** 40, 2 ** 40], nbytes=0),
        "object_dtype": _array_header(dtype="|O", shape=[1], nbytes=8),
        "outside": _array_header(offset=8, nbytes=2 ** 40),
        "negative": _array_header(offset=-8),
        "not_state": json.dumps({"format": "something-else"}).encode(),
        "not_utf8": b"\xff\xfe{}",
    }
    for name, header in cases.items():
        p = tmp_path / f"{name}.tgd"
        p.write_bytes(_forge(header, b"\0" * 16))
        tracemalloc.start()
        try:
            with pytest.raises(nn.CheckpointError):
                nn.load(str(p))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # reading the file itself costs about its size (here < 1.2 MB); nothing more
        assert peak < 3 * len(p.read_bytes()) + 2 ** 20, (name, peak)


def test_interrupted_save_keeps_previous_file(tmp_path, monkeypatch):
    p = tmp_path / "ckpt.tgd"
    nn.save({"w": np.ones(3)}, str(p))
    import nn.serialization as S

    real_replace = os.replace

    def crash(*a, **k):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(S.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": np.zeros(3)}, str(p))
    monkeypatch.setattr(S.os, "replace", real_replace)
    np.testing.assert_array_equal(nn.load(str(p))["w"], np.ones(3))
    assert [f.name for f in tmp_path.iterdir()] == ["ckpt.tgd"]  # no temp file left


def test_save_gives_the_permissions_of_a_plain_write(tmp_path):
    """A new checkpoint gets 0o666 less the umask (a temp-file-and-rename must not leave
    it at 0o600); overwriting keeps the existing file's mode."""
    umask = os.umask(0o022)
    try:
        p = tmp_path / "new.tgd"
        nn.save({"w": np.ones(2)}, str(p))
        assert p.stat().st_mode & 0o777 == 0o644
        os.chmod(p, 0o640)
        nn.save({"w": np.zeros(2)}, str(p))
        assert p.stat().st_mode & 0o777 == 0o640
        np.testing.assert_array_equal(nn.load(str(p))["w"], np.zeros(2))
    finally:
        os.umask(umask)


# --------------------------------------------------------------------------- data
def test_digits_is_the_real_dataset():
    x, y = nn.data.load_digits()
    assert x.shape == (1797, 1, 8, 8) and y.shape == (1797,)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert 0.0 <= x.min() and x.max() == 1.0


def test_dataloader_batches_shuffle_drop_last():
    x = np.arange(10.0).reshape(10, 1)
    y = np.arange(10)
    ds = nn.data.TensorDataset(x, y)
    dl = nn.data.DataLoader(ds, 4)
    assert [len(b[0]) for b in dl] == [4, 4, 2] and len(dl) == 3
    dl = nn.data.DataLoader(ds, 4, drop_last=True)
    assert [len(b[0]) for b in dl] == [4, 4] and len(dl) == 2
    a = [b[1].tolist() for b in nn.data.DataLoader(ds, 3, shuffle=True, seed=7)]
    b = [b[1].tolist() for b in nn.data.DataLoader(ds, 3, shuffle=True, seed=7)]
    assert a == b and sorted(sum(a, [])) == list(range(10)) and sum(a, []) != list(range(10))
    with pytest.raises(ValueError, match="same first dimension"):
        nn.data.TensorDataset(x, y[:5])


@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals"])
def test_generated_datasets(name):
    x, y, k = nn.data.load_dataset(name, seed=0)
    assert x.ndim == 2 and x.shape[1] == 2 and len(y) == len(x) and k == len(np.unique(y))
    x2, _, _ = nn.data.load_dataset(name, seed=0)
    np.testing.assert_array_equal(x, x2)


# --------------------------------------------------------------------------- early stopping
def test_early_stopping_restores_best():
    m = nn.Linear(2, 1)
    es = nn.EarlyStopping(patience=2, min_delta=0.01, restore_best_weights=True)
    losses = [1.0, 0.5, 0.495, 0.6, 0.7]
    stops = []
    for i, l in enumerate(losses):
        with ag.no_grad():
            m.weight.data = np.full((1, 2), float(i), dtype=np.float32)
        stops.append(es.step(l, m))
    assert stops == [False, False, False, False, True] and es.best_epoch == 1
    es.restore(m)
    assert (m.weight.data.numpy() == 1.0).all()


# --------------------------------------------------------------------------- public API only
def test_nn_imports_only_public_autograd_names():
    import autograd.testing

    public = set(ag.__all__)
    # autograd.testing (the op samples) is a public subpackage, like torch.testing
    subpackages = {"autograd.testing": set(autograd.testing.__all__)}
    problems = []
    for f in NN_DIR.rglob("*.py"):
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograd"):
                if node.module != "autograd" and node.module not in subpackages:
                    problems.append(f"{f.name}: from {node.module} import ...")
                for a in node.names:
                    if a.name not in subpackages.get(node.module, public):
                        problems.append(f"{f.name}: from autograd import {a.name}")
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("autograd") and a.name != "autograd":
                        problems.append(f"{f.name}: import {a.name}")
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "ag" and node.attr != "__all__"
                    and (node.attr.startswith("_") or node.attr not in public)):
                problems.append(f"{f.name}:{node.lineno}: ag.{node.attr}")
    assert not problems, "\n".join(problems)
