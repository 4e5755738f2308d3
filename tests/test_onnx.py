"""ONNX export (issue 15): models through onnx.checker and onnxruntime with a dynamic
batch, and every op of the op table, generated from ``autograd.testing.OP_DB``, either
exported and checked on its samples or listed in ``NOT_EXPORTABLE`` with the reason."""
from __future__ import annotations

import io

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import autograd as ag
import autograd.onnx as agonnx
import nn
from autograd.testing import OP_DB

ort.set_default_logger_severity(3)


def _session(model_or_path):
    data = model_or_path.SerializeToString() if isinstance(model_or_path, onnx.ModelProto) else model_or_path
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


class _BNNet(nn.Module):
    """Dropout and BatchNorm, which must export in eval mode."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * 8 * 8, 3)
        self.bn1 = nn.BatchNorm1d(3)

    def forward(self, x):
        x = self.drop(ag.relu(self.bn(self.conv(x))))
        return self.bn1(self.fc(ag.flatten(x, 1)))


def _models():
    ag.manual_seed(0)
    bn = _BNNet()
    bn.train()
    with ag.no_grad():                  # non-trivial running statistics
        for _ in range(3):
            bn(ag.randn(16, 1, 8, 8) * 2 + 1)
    return {"mlp": (nn.models.mlp([64, 32, 16, 10], activation="tanh", dropout=0.2), (64,)),
            "digits_cnn": (nn.models.DigitsCNN(dropout=0.3), (1, 8, 8)),
            "resnet": (nn.models.DigitsResNet(dropout=0.3), (1, 8, 8)),
            "batchnorm_dropout": (bn, (1, 8, 8))}


@pytest.mark.parametrize("name", ["mlp", "digits_cnn", "resnet", "batchnorm_dropout"])
def test_models_export_and_run_in_onnxruntime_with_a_dynamic_batch(name, tmp_path):
    model, feat = _models()[name]
    model.train()                                   # export switches to eval itself
    x, _ = nn.data.load_digits()
    x = x.reshape(len(x), *feat).astype(np.float32) if feat != (64,) else x.reshape(len(x), 64).astype(np.float32)
    path = tmp_path / f"{name}.onnx"
    agonnx.export(model, (ag.tensor(x[:4]),), str(path), input_names=["images"],
                  output_names=["logits"], dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    assert model.training and all(m.training for m in model.modules())     # restored
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    names = {i.name for i in proto.graph.initializer}
    assert {k for k, _ in model.named_parameters()} <= names           # weights under their names
    sess = _session(str(path))
    model.eval()
    for lo, hi in ((0, 1), (10, 17), (100, 164)):                       # 1, 7, 64: not the traced 4
        got = sess.run(None, {"images": x[lo:hi]})[0]
        with ag.no_grad():
            want = model(ag.tensor(x[lo:hi])).numpy()
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_export_to_a_file_object_and_of_a_function():
    w = ag.randn(3, 4)
    buf = io.BytesIO()
    proto = agonnx.export(lambda a, b: ag.softmax(a @ w + b, dim=-1).sum(dim=0),
                          (ag.randn(5, 3), ag.randn(4)), buf, opset_version=20)
    assert proto.opset_import[0].version == 20
    a, b = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32), np.ones(4, np.float32)
    got = _session(buf.getvalue()).run(None, {"input_0": a, "input_1": b})[0]
    want = ag.softmax(ag.tensor(a) @ w + ag.tensor(b), dim=-1).sum(dim=0).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_what_cannot_be_exported_is_refused_by_name():
    x = ag.randn(4, 3)
    with pytest.raises(agonnx.ExportError, match="does not depend on the inputs"):
        agonnx.export(lambda t: ag.argmax(t, dim=1), (x,), None)
    # an index computed from an input with NumPy (here a slice) is not on the tape
    with pytest.raises(agonnx.ExportError, match="'input_1' is never read"):
        agonnx.export(lambda t, i: t[i.detach().numpy()[1:]], (x, ag.tensor([0, 2, 1])), None)

    def shape_dependent(t):
        return t * 2 if t.shape[0] < 5 else (t * 2).exp()
    with pytest.raises(agonnx.ExportError, match="different ops at another batch size"):
        agonnx.export(shape_dependent, (x,), None, dynamic_axes={"input_0": [0]})
    with pytest.raises(ValueError, match="opset_version"):
        agonnx.export(lambda t: t * 2, (x,), None, opset_version=9)
    # an op without an exporter names itself and says why
    import autograd.onnx._ops as ops
    saved = ops.EXPORTERS.pop("erf")
    try:
        with pytest.raises(agonnx.ExportError, match="op `erf` cannot be exported to ONNX"):
            agonnx.export(lambda t: ag.erf(t) + 1, (x,), None)
    finally:
        ops.EXPORTERS["erf"] = saved


def test_gradient_graphs_export_too():
    """create_graph backward records gradient primitives (cumprod_backward,
    max_pool2d_backward, col2im, index_add): a gradient can be exported as a model."""
    def input_grad(t):
        y = ag.max_pool2d(ag.cumprod(t, 3), 2) * ag.tensor(np.arange(4.0, dtype=np.float32)).reshape(1, 1, 2, 2)
        return ag.grad(y.sum(), t, create_graph=True)[0]
    x = ag.tensor(np.random.default_rng(1).uniform(0.5, 1.5, (2, 1, 4, 4)).astype(np.float32))
    buf = io.BytesIO()
    agonnx.export(input_grad, (x,), buf)
    got = _session(buf.getvalue()).run(None, {"input_0": x.numpy()})[0]
    want = input_grad(x.detach().requires_grad_()).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- the op table
def _prepare(sample):
    """float32 tensors for the sample; the float inputs that gradcheck differentiates are
    the exported graph's inputs (they require grad, so every op on them is recorded)."""
    diff = set(sample.diff_positions())
    ts = []
    for i, a in enumerate(sample.inputs):
        t = ag.tensor(np.array(a, dtype=np.float32 if a.dtype.kind == "f" else a.dtype, order="K"))
        if i in diff:
            t.requires_grad_()
        ts.append(t)
    return ts, sorted(diff)


def _fn(entry, sample, ts, positions, only_grad=True):
    def fn(*xs):
        full = list(ts)
        for p, x in zip(positions, xs):
            full[p] = x
        out = entry.run(sample, full)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return tuple(o for o in outs if isinstance(o, ag.Tensor) and (o.requires_grad or not only_grad))
    return fn


def _check_sample(entry, sample):
    """Export one sample and compare onnxruntime's outputs with tapegrad's; returns False
    when the sample has nothing to trace (no float input, or no differentiable output)."""
    ts, diff = _prepare(sample)
    if not diff:
        return False
    with np.errstate(all="ignore"):
        want = _fn(entry, sample, ts, diff)(*[ts[p] for p in diff])
    if not want:
        return False
    # inputs that reach the outputs only through untraced code (an index, floor_divide)
    # are constants of this sample, not graph inputs
    reach = {id(t) for n in ag.graph_nodes(list(want)) for t in n.inputs} | {id(w) for w in want}
    diff = [p for p in diff if id(ts[p]) in reach]
    buf = io.BytesIO()
    with np.errstate(all="ignore"):
        agonnx.export(_fn(entry, sample, ts, diff), tuple(ts[p] for p in diff), buf)
    got = _session(buf.getvalue()).run(None, {f"input_{i}": ts[p].detach().numpy()
                                              for i, p in enumerate(diff)})
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = w.detach().numpy()
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, equal_nan=True,
                                   err_msg=f"{entry.name}: {sample.desc}")
    return True


@pytest.mark.parametrize("name", sorted(OP_DB))
def test_every_op_is_exported_or_listed_as_not_exportable(name):
    entry = OP_DB[name]
    if name in agonnx.NOT_EXPORTABLE:
        for s in entry.samples:                          # the table tells the truth
            ts, diff = _prepare(s)
            if not diff:
                continue
            try:
                fn = _fn(entry, s, ts, diff, only_grad=False)
                with np.errstate(all="ignore"):
                    agonnx.export(fn, tuple(ts[p] for p in diff), None)
            except agonnx.ExportError as e:
                assert f"`{name}`" in str(e) or "does not depend on the inputs" in str(e)
            else:
                pytest.fail(f"{name} is listed as not exportable but exported")
        return
    checked = sum(_check_sample(entry, s) for s in entry.samples)
    assert checked, f"{name}: no sample with a float input to export; add one to autograd/testing"


def test_the_not_exportable_table_is_complete_and_documented():
    from pathlib import Path
    prims = set(ag.OPS)
    assert set(agonnx.EXPORTERS) | set(agonnx.NOT_EXPORTABLE) >= prims, \
        sorted(prims - set(agonnx.EXPORTERS) - set(agonnx.NOT_EXPORTABLE))
    assert not set(agonnx.EXPORTERS) & set(agonnx.NOT_EXPORTABLE)
    assert set(agonnx.NOT_EXPORTABLE) <= prims                           # no stale names
    doc = (Path(__file__).parents[1] / "docs" / "onnx.md").read_text()
    for name, why in agonnx.NOT_EXPORTABLE.items():
        assert f"| `{name}` | {why} |" in doc, f"docs/onnx.md: the row of {name} is stale"


# --------------------------------------------------------------------------- the CLI
def test_cli_train_writes_safetensors_and_export_writes_onnx(tmp_path, capsys):
    import safetensors.numpy
    from nn import cli

    out = tmp_path / "moons"
    assert cli.main(["train", "--dataset", "moons", "--model", "mlp", "--epochs", "2",
                     "--hidden", "8", "--out", str(out), "--no-graph"]) == 0
    ckpt = out / "checkpoint.safetensors"
    assert "model.0.weight" in safetensors.numpy.load_file(str(ckpt))      # a real safetensors file
    onnx_path = tmp_path / "moons.onnx"
    assert cli.main(["export", "--onnx", str(onnx_path), "--checkpoint", str(ckpt)]) == 0
    text = capsys.readouterr().out
    assert "mlp on moons" in text and "max |logits difference|" in text
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    got = _session(str(onnx_path)).run(None, {"input": x})[0]
    model = nn.models.mlp([2, 8, 8, 2])
    model.load_state_dict(nn.load(ckpt)["model"])
    with ag.no_grad():
        np.testing.assert_allclose(got, model(ag.tensor(x)).numpy(), rtol=1e-5, atol=1e-5)
    # a digits CNN checkpoint saved by hand (no CKPT.json): --model and --dataset say what it is
    cnn = tmp_path / "cnn.safetensors"
    nn.save({"model": nn.models.DigitsCNN().state_dict()}, cnn)
    assert cli.main(["export", "--onnx", str(tmp_path / "cnn.onnx"), "--checkpoint", str(cnn),
                     "--model", "cnn", "--dataset", "digits"]) == 0
    # wrong architecture or unreadable file: one line, exit code 2
    assert cli.main(["export", "--onnx", str(tmp_path / "x.onnx"), "--checkpoint", str(cnn),
                     "--model", "mlp", "--dataset", "digits"]) == 2
    assert "does not fit" in capsys.readouterr().err
    (tmp_path / "junk").write_bytes(b"junk" * 10)
    assert cli.main(["export", "--onnx", str(tmp_path / "x.onnx"), "--checkpoint",
                     str(tmp_path / "junk")]) == 2
    assert "cannot read checkpoint" in capsys.readouterr().err
