"""Checkpoints in safetensors (issue 15) and every hostile-file case of issue 17.

Round trips (the digits CNN with its Adam state, bit for bit), weights both ways with
PyTorch through ``safetensors.torch``, the first format still loading, and a corpus of
malicious or broken files: each refused with CheckpointError, within a memory bound
measured with tracemalloc (NumPy's buffers included), while pickle and eval are
booby-trapped so that any attempt to run code fails the test.
"""
from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import tracemalloc
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import autograd as ag
import nn
from nn import optim
from nn.models import DigitsCNN

GOLDEN = Path(__file__).parent / "golden"


# --------------------------------------------------------------------------- helpers
class TorchInception(torch.nn.Module):
    def __init__(self, cin, c1, c5, c3, cp):
        super().__init__()
        C = torch.nn.Conv2d
        self.b1, self.b5_reduce, self.b5 = C(cin, c1, 1), C(cin, c5, 1), C(c5, c5, 5, padding=2)
        self.b3_reduce, self.b3a, self.b3b = C(cin, c3, 1), C(c3, c3, 3, padding=1), C(c3, c3, 3, padding=1)
        self.pool, self.bp = torch.nn.MaxPool2d(3, stride=1, padding=1), C(cin, cp, 1)

    def forward(self, x):
        r = torch.relu
        return torch.cat([r(self.b1(x)), r(self.b5(r(self.b5_reduce(x)))),
                          r(self.b3b(r(self.b3a(r(self.b3_reduce(x)))))), r(self.bp(self.pool(x)))], 1)


class TorchResidual(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1), torch.nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class TorchDigitsCNN(torch.nn.Module):
    """nn.models.DigitsCNN written in PyTorch, with the same parameter names."""

    def __init__(self):
        super().__init__()
        self.conv, self.pool1 = torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.MaxPool2d(2)
        self.inception, self.res = TorchInception(16, 8, 8, 8, 8), TorchResidual(32)
        self.pool2, self.head = torch.nn.MaxPool2d(2), torch.nn.Linear(128, 10)

    def forward(self, x):
        x = self.res(self.inception(self.pool1(torch.relu(self.conv(x)))))
        return self.head(torch.flatten(self.pool2(x), 1))


def _digits_batch(n=32):
    x, y = nn.data.load_digits()
    return x[:n].astype(np.float32), y[:n]


def _train(model, opt, x, y, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(ag.tensor(x)), ag.tensor(y))
        loss.backward()
        opt.step()


def _arrays(sd):
    return {k: np.asarray(v.detach().numpy() if isinstance(v, ag.Tensor) else v) for k, v in sd.items()}


# --------------------------------------------------------------------------- round trips
def test_digits_cnn_and_adam_round_trip_bit_exactly(tmp_path):
    x, y = _digits_batch()
    ag.manual_seed(0)
    a = DigitsCNN()
    oa = optim.Adam(a.parameters(), lr=1e-3)
    _train(a, oa, x, y, 6)
    ag.manual_seed(0)
    b = DigitsCNN()
    ob = optim.Adam(b.parameters(), lr=1e-3)
    _train(b, ob, x, y, 3)
    p = tmp_path / "ckpt.safetensors"
    nn.save({"model": b.state_dict(), "optim": ob.state_dict(), "epoch": 3}, p)
    ck = nn.load(p)
    assert ck["epoch"] == 3 and type(ck["epoch"]) is int
    # the file is a real safetensors file whose tensors are the tree's arrays by dotted path
    flat = safetensors.numpy.load_file(str(p))
    assert "model.conv.weight" in flat and "optim.state.0.exp_avg" in flat
    for k, v in _arrays(b.state_dict()).items():
        np.testing.assert_array_equal(ck["model"][k], v)
        assert ck["model"][k].dtype == v.dtype
        np.testing.assert_array_equal(flat["model." + k], v)
    assert ck["optim"]["param_groups"] == ob.state_dict()["param_groups"]
    ag.manual_seed(5)
    c = DigitsCNN()
    oc = optim.Adam(c.parameters(), lr=1e-3)
    c.load_state_dict(ck["model"])
    oc.load_state_dict(ck["optim"])
    _train(c, oc, x, y, 3)                       # resumed: identical to the 6-step run
    for (k, va), vc in zip(_arrays(a.state_dict()).items(), _arrays(c.state_dict()).values()):
        np.testing.assert_array_equal(va, vc, err_msg=k)


def test_tree_types_survive(tmp_path):
    obj = OrderedDict([
        ("ints", [0, -1, 10 ** 30, True, False]), ("floats", (0.1, -0.0, float("inf"), float("nan"), 1e308)),
        ("zero_d", np.array(3.5)), ("np_scalar", np.float32(2.5)), ("np_int", np.int64(-7)),
        ("dtypes", {str(dt): np.arange(6).astype(dt).reshape(2, 3)
                    for dt in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                               np.uint32, np.int64, np.uint64, np.float16, np.float32, np.float64)}),
        ("tensor", ag.tensor([1.0, 2.0], requires_grad=True)), ("itensor", ag.tensor([1, 2])),
        ("int_keys", {0: "a", 5: None}), ("dollar", {"$tensor": "not a tag"}),
        ("empty", np.zeros((0, 3), np.float32)), ("nested", [[{"a": ()}]]), ("s", "ünï\u2603"),
        ("fortran", np.asfortranarray(np.arange(6.0).reshape(2, 3))),
        ("big_endian", np.arange(3, dtype=">f8")),
    ])
    for target in (tmp_path / "t.safetensors", io.BytesIO()):
        nn.save(obj, target)
        if isinstance(target, io.BytesIO):
            target.seek(0)
        back = nn.load(target)
        assert type(back) is OrderedDict and list(back) == list(obj)
        assert back["ints"] == [0, -1, 10 ** 30, True, False]
        assert [type(v) for v in back["ints"]] == [int, int, int, bool, bool]
        f = back["floats"]
        assert type(f) is tuple and f[:3] == (0.1, -0.0, float("inf")) and f[3] != f[3]
        assert str(f[1]) == "-0.0" and f[4] == 1e308
        assert isinstance(back["zero_d"], np.ndarray) and back["zero_d"].shape == () and back["zero_d"] == 3.5
        assert type(back["np_scalar"]) is np.float32 and back["np_scalar"] == 2.5
        assert type(back["np_int"]) is np.int64 and back["np_int"] == -7
        for k, v in obj["dtypes"].items():
            assert back["dtypes"][k].dtype == v.dtype
            np.testing.assert_array_equal(back["dtypes"][k], v)
        assert isinstance(back["tensor"], ag.Tensor) and back["tensor"].requires_grad
        assert not back["itensor"].requires_grad and back["itensor"].dtype == np.int64
        assert back["int_keys"] == {0: "a", 5: None} and back["dollar"] == {"$tensor": "not a tag"}
        assert back["empty"].shape == (0, 3) and back["nested"] == [[{"a": ()}]] and back["s"] == obj["s"]
        np.testing.assert_array_equal(back["fortran"], obj["fortran"])
        np.testing.assert_array_equal(back["big_endian"], obj["big_endian"])


def test_save_refuses_what_it_cannot_represent(tmp_path):
    for bad in ({"f": lambda: 0}, {(1, 2): 1}, {"c": np.ones(2, complex)}, {"o": object()},
                {True: 1}, {"s": {1, 2}}):
        with pytest.raises(TypeError, match="nn.save"):
            nn.save(bad, tmp_path / "x.safetensors")
    assert not list(tmp_path.iterdir())
    with pytest.raises(IsADirectoryError, match="checkpoint.safetensors"):
        nn.save({}, tmp_path)
    with pytest.raises(TypeError, match="flat state dict"):
        nn.save_state_dict({"a": {"b": np.ones(2)}}, tmp_path / "y.safetensors")


# --------------------------------------------------------------------------- PyTorch
def test_tapegrad_weights_load_into_torch_and_give_the_same_logits(tmp_path):
    ag.manual_seed(3)
    m = DigitsCNN()
    x, y = _digits_batch(16)
    _train(m, optim.SGD(m.parameters(), lr=0.1), x, y, 2)       # not the init any more
    m.eval()
    p = tmp_path / "weights.safetensors"
    nn.save_state_dict(m.state_dict(), p)
    tm = TorchDigitsCNN()
    tm.load_state_dict(safetensors.torch.load_file(str(p)))      # strict: same names, shapes
    with torch.no_grad():
        want = tm(torch.from_numpy(x)).numpy()
    with ag.no_grad():
        got = m(ag.tensor(x)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # nn.save's tree checkpoint is readable by torch too, under dotted paths
    nn.save({"model": m.state_dict()}, tmp_path / "tree.safetensors")
    t = safetensors.torch.load_file(str(tmp_path / "tree.safetensors"))
    tm2 = TorchDigitsCNN()
    tm2.load_state_dict({k[len("model."):]: v for k, v in t.items()})
    with torch.no_grad():
        np.testing.assert_allclose(tm2(torch.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-5)


def test_torch_weights_load_into_tapegrad_and_give_torchs_logits(tmp_path):
    torch.manual_seed(0)
    tm = TorchDigitsCNN().eval()
    p = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(tm.state_dict(), str(p), metadata={"format": "pt"})
    x, _ = _digits_batch(16)
    with torch.no_grad():
        want = tm(torch.from_numpy(x)).numpy()
    m = DigitsCNN()
    sd = nn.load_state_dict_file(p)
    assert isinstance(sd, OrderedDict) and all(isinstance(v, ag.Tensor) for v in sd.values())
    m.load_state_dict(sd)
    m.eval()
    with ag.no_grad():
        got = m(ag.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # nn.load of a foreign file gives the same flat dict; file objects work too
    with open(p, "rb") as f:
        assert list(nn.load(f)) == list(sd)


# --------------------------------------------------------------------------- first format
def test_old_format_checkpoint_still_loads():
    """tests/golden/checkpoint_v1.tg was written by the first format's nn.save (commit
    53161a0) from the arrays rebuilt here."""
    r = np.random.default_rng(15)
    w, b, ea = (r.standard_normal((4, 3)).astype(np.float32), r.standard_normal(4).astype(np.float32),
                None)
    ea = r.standard_normal((4, 3))
    ck = nn.load(GOLDEN / "checkpoint_v1.tg")
    np.testing.assert_array_equal(ck["model"]["0.weight"], w)
    np.testing.assert_array_equal(ck["model"]["0.bias"], b)
    assert ck["model"]["bn.num_batches_tracked"].shape == () and ck["model"]["bn.num_batches_tracked"] == 7
    assert ck["optim"]["state"][0]["step"] == 3
    np.testing.assert_array_equal(ck["optim"]["state"][0]["exp_avg"], ea)
    assert ck["optim"]["param_groups"] == [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1]}]
    assert ck["t"].requires_grad and ck["mask"].dtype == np.bool_
    assert (ck["epoch"], ck["name"], ck["none"], ck["inf"]) == (5, "digits", None, float("-inf"))
    with pytest.raises(nn.CheckpointError, match="first format"):
        nn.load_state_dict_file(GOLDEN / "checkpoint_v1.tg")


# --------------------------------------------------------------------------- hostile files
class _Evil:
    marker = ""

    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def _st(header, data: bytes = b"", length=None) -> bytes:
    """A safetensors file around an arbitrary header (a dict, or raw bytes)."""
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(h) if length is None else length) + h + data


def _entry(dtype="F32", shape=(2,), offs=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offs)}


def _old(header: bytes, data: bytes = b"") -> bytes:
    import hashlib
    return (b"TAPEGRAD" + struct.pack("<HQ", 1, len(header)) + header + data
            + hashlib.sha256(header + data).digest())


def _old_array(**kw):
    node = {"t": "array", "dtype": "<f8", "shape": [2], "offset": 0, "nbytes": 16}
    node.update(kw)
    return node


def _good_tree_file() -> bytes:
    buf = io.BytesIO()
    nn.save({"w": np.arange(8, dtype=np.float32), "n": 3}, buf)
    return buf.getvalue()


def _with_tree(tree_json: str, data=b"\0" * 8, entries=None) -> bytes:
    head = {"__metadata__": {"format": "pt", "tapegrad.tree": tree_json}}
    head.update(entries if entries is not None else {"w": _entry()})
    return _st(head, data)


def _corpus(tmp: Path):
    """name -> bytes of a file every loader must refuse (CheckpointError)."""
    _Evil.marker = str(tmp / "PWNED")
    good = _good_tree_file()
    mb = 1 << 20
    c = {f"pickle_protocol_{p}": pickle.dumps({"w": _Evil()}, protocol=p) for p in range(2, 6)}
    tsave = io.BytesIO()
    torch.save({"w": _Evil()}, tsave)
    c["torch_save_zip_with_payload"] = tsave.getvalue()
    c["pickle_behind_length_prefix"] = _st(pickle.dumps(_Evil()))
    c["pickle_as_tree_metadata"] = _with_tree(pickle.dumps(_Evil()).decode("latin-1"))
    c["eval_tag_in_tree"] = _with_tree(json.dumps({"$eval": "__import__('os').system('touch x')"}))
    c["class_tag_in_tree"] = _with_tree(json.dumps({"$tensor": "w", "__class__": "os.system"}))
    c["empty"] = b""
    c["seven_bytes"] = b"\x08\0\0\0\0\0\0"
    c["huge_header_length"] = _st(b"{}", length=2 ** 62)
    c["header_longer_than_file"] = _st(b'{"a": 1}', length=10 ** 6)
    c["truncated_half"] = good[: len(good) // 2]
    c["truncated_data"] = good[:-3]
    c["bad_json"] = _st(b"{this is not json}")
    c["not_an_object"] = _st(b"[1, 2, 3]")
    c["not_utf8"] = _st(b"{\"\xff\xfe\": 1}")
    c["duplicate_keys"] = _st(b'{"w": %s, "w": %s}' % (json.dumps(_entry()).encode(),
                                                       json.dumps(_entry()).encode()), b"\0" * 8)
    c["5000_digit_offset"] = _st(b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, '
                                 + b"9" * 5000 + b"]}}", b"\0" * 8)
    c["5000_digit_int_in_tree"] = _with_tree('{"n": ' + "9" * 5000 + ', "w": {"$array": "w"}}')
    c["shape_0_by_1e30"] = _st(b'{"w": {"dtype": "F32", "shape": [0, 1e30], "data_offsets": [0, 0]}}')
    c["shape_0_by_10e30_int"] = _st({"w": _entry(shape=(0, 10 ** 30), offs=(0, 0))})
    c["nan_constant"] = _st(b'{"w": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 0]}}')
    c["negative_shape"] = _st({"w": _entry(shape=(-2,))}, b"\0" * 8)
    c["bool_shape"] = _st({"w": _entry(shape=(True, True))}, b"\0" * 8)
    c["too_many_dims"] = _st({"w": _entry(shape=(1,) * 40, offs=(0, 4))}, b"\0" * 4)
    c["unknown_dtype"] = _st({"w": _entry(dtype="O")}, b"\0" * 8)
    c["bf16_dtype"] = _st({"w": _entry(dtype="BF16", shape=(4,))}, b"\0" * 8)
    c["shape_extent_mismatch"] = _st({"w": _entry(shape=(3,))}, b"\0" * 8)
    c["huge_extent"] = _st({"w": _entry(shape=(2 ** 38,), offs=(0, 2 ** 40))}, b"\0" * 8)
    c["extent_outside_file"] = _st({"w": _entry(offs=(8, 16))}, b"\0" * 8)
    c["reversed_extent"] = _st({"w": _entry(offs=(8, 0))}, b"\0" * 8)
    c["gap_between_tensors"] = _st({"a": _entry(offs=(0, 8)), "b": _entry(offs=(16, 24))}, b"\0" * 24)
    c["bytes_after_last_tensor"] = _st({"w": _entry()}, b"\0" * 64)
    # 1 MiB of data, claimed 1000 times over: 1 GiB if each extent were checked alone
    c["overlapping_extents_1mb_x1000"] = _st(
        {f"t{i}": _entry(shape=(mb // 4,), offs=(0, mb)) for i in range(1000)}, b"\0" * mb)
    c["partly_overlapping"] = _st({"a": _entry(offs=(0, 8)), "b": _entry(offs=(4, 12))}, b"\0" * 12)
    # 250k tiny entries: each byte of header becomes ~10 bytes of Python objects
    c["header_of_250k_tiny_entries"] = _st(
        b"{" + b",".join(b'"t%d":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}' % i
                         for i in range(250_000)) + b"}")
    c["header_of_empty_lists"] = _st(b'{"__metadata__": {}, "x": [' + b"[]," * 2_000_000 + b"[]]}")
    c["deeply_nested_header"] = _st(b"{\"a\":" + b"[" * 100_000 + b"]" * 100_000 + b"}")
    c["deeply_nested_tree"] = _with_tree("[" * 50_000 + "]" * 50_000)
    c["tree_nested_past_limit"] = _with_tree("[" * 150 + "]" * 150)
    c["metadata_not_strings"] = _st({"__metadata__": {"tapegrad.tree": 5}})
    c["tree_refers_to_missing_tensor"] = _with_tree(json.dumps({"$tensor": "nope"}))
    c["tree_refers_twice"] = _with_tree(json.dumps([{"$array": "w"}, {"$array": "w"}]))
    c["tree_bad_json"] = _with_tree("{'w': 1}")
    c["int_tensor_requires_grad"] = _with_tree(json.dumps({"$tensor": "w", "requires_grad": True}),
                                               entries={"w": _entry(dtype="I32")})
    c["bool_tensor_holding_2"] = _st({"w": _entry(dtype="BOOL", shape=(2,), offs=(0, 2))}, b"\x01\x02")
    flipped = bytearray(good)
    flipped[-1] ^= 0x01
    c["flipped_data_byte_checksum"] = bytes(flipped)
    # the first format, forged with a valid checksum
    c["old_overlapping_extents"] = _old(json.dumps({"format": "tapegrad-state", "tree": {
        "t": "list", "items": [_old_array(shape=[mb // 8], nbytes=mb) for _ in range(1000)]}}).encode(),
        b"\0" * mb)
    c["old_5000_digit_number"] = _old(b'{"format": "tapegrad-state", "tree": {"t": "array", '
                                      b'"dtype": "<f8", "shape": [2], "offset": ' + b"1" * 5000
                                      + b', "nbytes": 16}}', b"\0" * 16)
    c["old_shape_0_by_10e30"] = _old(json.dumps({"format": "tapegrad-state", "tree": _old_array(
        shape=[0, 10 ** 30], nbytes=0)}).encode(), b"\0" * 16)
    c["old_pickle_behind_magic"] = b"TAPEGRAD" + struct.pack("<HQ", 1, 40) + pickle.dumps(_Evil()) + b"\0" * 32
    c["old_tiny_entries"] = _old(json.dumps({"format": "tapegrad-state", "tree": {
        "t": "list", "items": [{"t": "v", "v": None}] * 300_000}}).encode())
    return c


# broken only in the tree JSON, which load_state_dict_file does not read
TREE_ONLY = {"pickle_as_tree_metadata", "eval_tag_in_tree", "class_tag_in_tree",
             "5000_digit_int_in_tree", "deeply_nested_tree", "tree_nested_past_limit",
             "tree_refers_to_missing_tensor", "tree_refers_twice", "tree_bad_json",
             "int_tensor_requires_grad"}


@pytest.fixture
def corpus(tmp_path):
    return _corpus(tmp_path)


@pytest.fixture
def no_code_runs(corpus, monkeypatch):
    """Any attempt to unpickle, eval, exec or start a process fails the test."""
    def trap(*a, **k):
        raise AssertionError("a checkpoint load tried to run code")
    for mod, name in ((pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"), (builtins, "eval"),
                      (builtins, "exec"), (os, "system"), (subprocess, "Popen"), (torch, "load")):
        monkeypatch.setattr(mod, name, trap)


def _peak_of(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_hostile_files_are_refused_with_bounded_memory(tmp_path, corpus, no_code_runs):
    assert len(corpus) >= 25
    peaks = {}
    for name, blob in corpus.items():
        p = tmp_path / f"{name}.safetensors"
        p.write_bytes(blob)
        for load in (nn.load, nn.load_state_dict_file):
            if load is nn.load_state_dict_file and (name.startswith("old_") or name in TREE_ONLY):
                continue
            err = []

            def run():
                with pytest.raises(nn.CheckpointError) as e:
                    load(p)
                    err.append(f"{name}: {load.__name__} did not raise")
                err.append(str(e.value))

            try:
                peaks[name] = peak = _peak_of(run)
            except BaseException:
                raise AssertionError(err) from None
            assert err and ("not a valid tapegrad checkpoint" in err[0]), (name, err)
            # refused before anything sized by the file's claims is allocated
            assert peak <= 2 * len(blob) + (1 << 20), (name, peak, len(blob))
        with open(p, "rb") as f:                 # a file object: the same checks
            with pytest.raises(nn.CheckpointError):
                nn.load(f)
    assert not (tmp_path / "PWNED").exists()


def test_messages_say_what_is_wrong(tmp_path, corpus):
    expect = {"pickle_protocol_4": "pickle", "torch_save_zip_with_payload": "zip archive",
              "overlapping_extents_1mb_x1000": "overlaps", "header_of_250k_tiny_entries": "too many entries",
              "5000_digit_offset": "5000 digits", "shape_0_by_1e30": "non-integer number",
              "shape_0_by_10e30_int": "impossible shape", "bf16_dtype": "BF16",
              "flipped_data_byte_checksum": "checksum", "old_overlapping_extents": "overlap",
              "deeply_nested_header": "nested too deeply", "truncated_half": "truncated",
              "duplicate_keys": "appears twice", "old_shape_0_by_10e30": "impossible shape",
              "old_5000_digit_number": "digits"}
    for name, words in expect.items():
        p = tmp_path / name
        p.write_bytes(corpus[name])
        with pytest.raises(nn.CheckpointError, match=words):
            nn.load(p)


def test_a_50mb_checkpoint_loads_in_about_its_size(tmp_path):
    p = tmp_path / "big.safetensors"
    r = np.random.default_rng(0)
    nn.save({"model": {f"l{i}.weight": r.standard_normal((640, 1024)).astype(np.float32)
                       for i in range(20)}, "step": 1}, p)
    size = p.stat().st_size
    assert size > 50e6
    out = []
    peak = _peak_of(lambda: out.append(nn.load(p)))
    assert peak <= 1.25 * size, (peak, size)          # the arrays, read in place
    assert out[0]["model"]["l3.weight"].shape == (640, 1024)
    # the first format: its checksum is streamed, its arrays read in place too
    import hashlib
    blob = json.dumps({"format": "tapegrad-state", "tree": {"t": "list", "items": [
        _old_array(shape=[1 << 20], offset=i << 23, nbytes=1 << 23) for i in range(6)]}}).encode()
    old = tmp_path / "big_v1.tg"
    with open(old, "wb") as f:
        f.write(b"TAPEGRAD" + struct.pack("<HQ", 1, len(blob)) + blob)
        h = hashlib.sha256(blob)
        chunk = np.ones(1 << 20).tobytes()
        for _ in range(6):
            f.write(chunk)
            h.update(chunk)
        f.write(h.digest())
    size_old = old.stat().st_size
    out = []
    peak_old = _peak_of(lambda: out.append(nn.load(old)))
    assert peak_old <= 1.25 * size_old, (peak_old, size_old)
    assert len(out[0]) == 6 and out[0][5][-1] == 1.0


def test_non_regular_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    link = tmp_path / "zero.safetensors"
    os.symlink("/dev/zero", link)
    for target, what in ((fifo, "FIFO"), (tmp_path, "directory"), (link, "character device"),
                         (Path("/dev/null"), "character device"), (Path("/dev/zero"), "character device")):
        result = []

        def run():
            try:
                nn.load(target)
            except Exception as e:                # noqa: BLE001 - classified below
                result.append(e)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), f"nn.load({target}) blocked"
        assert isinstance(result[0], nn.CheckpointError) and what in str(result[0]), result
    with open("/dev/zero", "rb") as f:
        with pytest.raises(nn.CheckpointError, match="character device"):
            nn.load(f)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "missing.safetensors")


# --------------------------------------------------------------------------- saving
_KILLED_SAVE = r"""
import os, signal, sys
import numpy as np
import nn
real = os.fsync
def die(fd):
    os.kill(os.getpid(), signal.SIGKILL)      # a kill after the data is written, before rename
os.fsync = die
nn.save({"w": np.ones(1_000_000)}, sys.argv[1])
"""


def test_a_killed_save_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path):
    p = tmp_path / "ckpt.safetensors"
    nn.save({"w": np.zeros(3)}, p)
    r = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(p)], env=dict(os.environ),
                       capture_output=True, timeout=120)
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()
    left = [f for f in tmp_path.iterdir() if f.name != p.name]
    assert len(left) == 1 and left[0].stat().st_size > 8_000_000      # a full-size temporary
    np.testing.assert_array_equal(nn.load(p)["w"], np.zeros(3))      # the old file intact
    # a temporary of a save still running in another process is left alone
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".tmp-{p.name}-{sleeper.pid}-0123456789ab"
        live.write_bytes(b"in progress")
        nn.save({"w": np.ones(3)}, p)
        assert sorted(f.name for f in tmp_path.iterdir()) == sorted([p.name, live.name])
    finally:
        sleeper.kill()
        sleeper.wait()
    np.testing.assert_array_equal(nn.load(p)["w"], np.ones(3))
    nn.save({"w": np.ones(3)}, p)                 # its writer is dead now: removed
    assert [f.name for f in tmp_path.iterdir()] == [p.name]


def test_save_to_file_objects_and_flat_files_interoperate(tmp_path):
    buf = io.BytesIO()
    nn.save_state_dict({"a": ag.tensor([1.0, 2.0]), "b": np.arange(3)}, buf, metadata={"who": "me"})
    raw = buf.getvalue()
    t = safetensors.torch.load(raw)
    assert t["a"].tolist() == [1.0, 2.0] and t["b"].tolist() == [0, 1, 2]
    with open(tmp_path / "f.safetensors", "wb") as f:
        nn.save({"x": [1, np.float64(2.0)]}, f)
    assert nn.load(tmp_path / "f.safetensors") == {"x": [1, np.float64(2.0)]}
    with pytest.raises(TypeError, match="text mode"):
        with open(tmp_path / "g", "w") as f:
            nn.save({}, f)
    with pytest.raises(TypeError, match="text mode"):
        with open(tmp_path / "f.safetensors") as f:
            nn.load(f)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save({}, tmp_path / "no" / "such" / "folder.safetensors")
    r, w = os.pipe()                              # a pipe: read once, same checks
    os.write(w, (tmp_path / "f.safetensors").read_bytes())
    os.close(w)
    with os.fdopen(r, "rb") as f:
        assert nn.load(f) == {"x": [1, np.float64(2.0)]}


def test_many_small_tensors_still_load_within_the_budget(tmp_path):
    """The header budget refuses 250k tiny entries, not a real state dict of thousands of
    small tensors (e.g. torch's per-parameter 0-d Adam steps)."""
    sd = OrderedDict((f"layers.{i}.step", np.array(float(i), np.float32)) for i in range(5000))
    p = tmp_path / "steps.safetensors"
    nn.save_state_dict(sd, p)
    out = []
    peak = _peak_of(lambda: out.append(nn.load_state_dict_file(p)))
    assert len(out[0]) == 5000 and float(out[0]["layers.4999.step"]) == 4999.0
    assert peak <= 2 * p.stat().st_size + (16 << 20)
