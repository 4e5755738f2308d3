"""`tapegrad export --onnx` of an addition checkpoint (issue 15): a short `tapegrad train
--dataset addition --model lstm|transformer` run, the export of its checkpoint (int64
tokens, dynamic batch, the trained sequence length), and onnxruntime's logits on fresh
problems equal to tapegrad's from the same checkpoint."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import autograd as ag
import nn
from nn import cli
from nn.addition import Addition
from nn.cli import train_seq

ort.set_default_logger_severity(4)

HIDDEN = 8


def _train(kind, out, monkeypatch, capsys):
    """Three steps of batch 8 (the shortest run the CLI allows, with small held-out sets:
    80 test problems, so the export's check runs at batch 64, not the traced 2)."""
    for name, v in (("STEPS_PER_EPOCH", 3), ("WARMUP", 1), ("N_VAL", 20), ("N_TEST", 80)):
        monkeypatch.setattr(train_seq, name, v)
    assert cli.main(["train", "--dataset", "addition", "--model", kind, "--epochs", "1",
                     "--hidden", str(HIDDEN), "--batch-size", "8", "--out", str(out),
                     "--no-graph", "--seed", "3"]) == 0
    capsys.readouterr()
    return out / "checkpoint.safetensors"


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_export_of_an_addition_checkpoint_runs_in_onnxruntime(kind, tmp_path, monkeypatch,
                                                              capsys):
    ckpt = _train(kind, tmp_path / kind, monkeypatch, capsys)
    saved = nn.load(ckpt)
    # the run's configuration is inside the checkpoint, as `tapegrad train` writes it
    assert saved["format"] == "tapegrad-train-checkpoint"
    cfg = saved["config"]
    assert (cfg["dataset"], cfg["model"], cfg["hidden"], cfg["seed"]) == (
        "addition", kind, HIDDEN, 3)
    assert "out" not in cfg and len(saved["history"]) == 1

    path = tmp_path / f"{kind}.onnx"
    assert cli.main(["export", "--onnx", str(path), "--checkpoint", str(ckpt)]) == 0
    text = capsys.readouterr().out
    assert f"{kind} on addition, input int64 tokens (batch, 11)" in text
    assert "sequence length is fixed at the trained 11" in text
    assert "onnxruntime on 64 held-out addition problems: max |logits difference|" in text
    diff = float(text.rsplit("= ", 1)[1].split()[0])
    assert diff <= 1e-4

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    (inp,), (outp,) = proto.graph.input, proto.graph.output
    assert (inp.name, outp.name) == ("tokens", "logits")
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["batch", 11]
    assert [d.dim_param or d.dim_value for d in outp.type.tensor_type.shape.dim] == [
        "batch", 11, 12]
    # the trained weights are the initializers (not a fresh model's)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    np.testing.assert_array_equal(inits["head.weight"], np.asarray(saved["model"]["head.weight"]))

    # a fresh batch (another seed, batch 7) against the model rebuilt from the checkpoint
    model = train_seq.build_seq_model(kind, HIDDEN)
    model.load_state_dict(saved["model"])
    model.eval()
    x = Addition(seed=99).batch(7)[0].astype(np.int64)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"tokens": x})[0]
    with ag.no_grad():
        want = model(ag.tensor(x)).numpy()
    assert got.shape == want.shape == (7, 11, 12)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # the logits are not those of an untrained model: the weights were read
    ag.manual_seed(0)
    fresh = train_seq.build_seq_model(kind, HIDDEN).eval()
    with ag.no_grad():
        assert np.abs(fresh(ag.tensor(x)).numpy() - got).max() > 1e-3


def test_addition_checkpoint_errors_and_a_checkpoint_without_config(tmp_path, monkeypatch,
                                                                     capsys):
    ckpt = _train("lstm", tmp_path / "lstm", monkeypatch, capsys)
    onnx_path = str(tmp_path / "x.onnx")

    def fails(*argv):
        assert cli.main(["export", "--onnx", onnx_path, *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("tapegrad: error: ") and err.count("\n") == 1, err
        return err

    err = fails("--checkpoint", str(ckpt), "--model", "transformer")
    assert f"checkpoint {ckpt} does not fit --model transformer on addition" in err
    assert "does not fit --model lstm on addition" in fails("--checkpoint", str(ckpt),
                                                             "--hidden", "4")
    assert "its checkpoints are of --dataset addition (got --dataset moons)" in fails(
        "--checkpoint", str(ckpt), "--dataset", "moons")
    assert "--model transformer or lstm (got --model cnn)" in fails(
        "--checkpoint", str(ckpt), "--model", "cnn")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    assert f"cannot read checkpoint {junk}" in fails("--checkpoint", str(junk))
    assert "no such file" in fails("--checkpoint", str(tmp_path / "missing.safetensors"))

    # the model alone (an older train_seq wrote no config): kind and size from the weights
    bare = tmp_path / "bare.safetensors"
    nn.save({"model": nn.load(ckpt)["model"]}, bare)
    assert cli.main(["export", "--onnx", onnx_path, "--checkpoint", str(bare)]) == 0
    assert "lstm on addition" in capsys.readouterr().out

    # onnxruntime's logits more than 1e-4 from tapegrad's: exit code 1
    real = ort.InferenceSession

    class Off(real):
        def run(self, *a, **k):
            return [o + 2e-4 for o in super().run(*a, **k)]
    monkeypatch.setattr(ort, "InferenceSession", Off)
    assert cli.main(["export", "--onnx", onnx_path, "--checkpoint", str(ckpt)]) == 1
    out = capsys.readouterr().out
    assert "max |logits difference| = 2.0" in out and "differ from tapegrad's" in out
    monkeypatch.setattr(ort, "InferenceSession", real)

    # train_seq has no --resume; its checkpoint now carries a config, so train refuses it
    assert cli.main(["train", "--resume", str(ckpt), "--epochs", "3"]) == 2
    assert "--resume is not supported for --dataset addition" in capsys.readouterr().err
