"""The addition task and `tapegrad train --dataset addition --model transformer|lstm`.

CI runs a shortened training (a few dozen steps: the loss must fall, generations are
printed, every file is written, the graph is collapsed per module). The full run,
measured in README ("Sequence models"), is

    OPENBLAS_NUM_THREADS=1 tapegrad train --dataset addition --model transformer
    OPENBLAS_NUM_THREADS=1 tapegrad train --dataset addition --model lstm
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from nn import cli
from nn.addition import (ANSWER_LEN, IGNORE, PROMPT_LEN, Addition, decode, encode,
                         exact_match, split_rows)
from nn.lm import DecoderLM, LSTMLM

ROOT = Path(__file__).resolve().parent.parent


def test_encoding_round_trips():
    rows = encode(np.array([123, 999, 0, 5]), np.array([456, 999, 0, 70]))
    assert Addition.text(rows[0]) == "123+456=9750"
    assert Addition.text(rows[1]) == "999+999=8991"
    assert [decode(r[PROMPT_LEN:]) for r in rows] == [579, 1998, 0, 75]
    x, y = split_rows(rows)
    assert x.shape == y.shape == (4, PROMPT_LEN + ANSWER_LEN - 1)
    assert np.all(y[:, :PROMPT_LEN - 1] == IGNORE)
    np.testing.assert_array_equal(y[:, PROMPT_LEN - 1:], rows[:, PROMPT_LEN:])


def test_held_out_problems_never_train():
    task = Addition(seed=3, n_val=500, n_test=500)
    held = {tuple(r) for r in np.concatenate([task.val, task.test])[:, :PROMPT_LEN]}
    assert len(held) == 1000
    train = task.problems(20000)[:, :PROMPT_LEN]
    assert not any(tuple(r) in held for r in train)
    a = train[:, 0] * 100 + train[:, 1] * 10 + train[:, 2]
    assert a.min() < 20 and a.max() > 980      # operands cover 000-999


@pytest.mark.parametrize("cls", [DecoderLM, LSTMLM])
def test_models_are_causal(cls):
    """The logits at position t depend only on tokens <= t (what generation relies on)."""
    ag.manual_seed(0)
    m = cls(12, 11) if cls is DecoderLM else cls(12, hidden=16)
    m.eval()
    a = np.array([[1, 2, 3, 10, 4, 5, 6, 11, 9, 7, 5]])
    b = a.copy()
    b[0, 6:] = [0, 0, 0, 0, 0]
    with ag.no_grad():
        la, lb = m(a).numpy(), m(b).numpy()
    np.testing.assert_allclose(la[0, :6], lb[0, :6], rtol=1e-5, atol=1e-6)
    assert not np.allclose(la[0, 6:], lb[0, 6:])
    acc, gen = exact_match(m, encode(np.array([1, 2]), np.array([3, 4])))
    assert gen.shape == (2, ANSWER_LEN) and 0 <= acc <= 1


_SHORT = """
import sys
from nn import cli
from nn.cli import train_seq
train_seq.STEPS_PER_EPOCH, train_seq.WARMUP, train_seq.N_VAL, train_seq.N_TEST = {spe}, 5, 100, 200
sys.exit(cli.main({argv!r}))
"""


@pytest.mark.parametrize("model,steps", [("transformer", 40), ("lstm", 30)])
def test_train_addition_short(model, steps, tmp_path):
    """In a subprocess with one BLAS thread: with the default two, OpenBLAS's threads
    spin against the other test workers (measured: 11.3 s of CPU instead of 3.2 s)."""
    out = tmp_path / model
    argv = ["train", "--dataset", "addition", "--model", model, "--epochs", "2",
            "--out", str(out), "--seed", "0"]
    if model == "lstm":
        argv += ["--batch-size", "64"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", _SHORT.format(spe=steps // 2, argv=argv)],
                         capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    text = res.stdout
    assert "sample generations" in text and "+" in text and "exact match" in text
    m = json.loads((out / "metrics.json").read_text())
    h = m["history"]
    assert m["steps"] == steps and len(h) == 2
    assert h[-1]["train_loss"] < 0.85 * np.log(12), h      # learning: below chance
    assert 0.0 <= m["test_exact_match"] <= 1.0
    for f in ("checkpoint.safetensors", "curves.png", "samples.txt", "graph.svg"):
        assert (out / f).stat().st_size > 0, f
    svg = (out / "graph.svg").read_text()
    names = ("tok", "pos", "0", "1", "norm", "head") if model == "transformer" else (
        "tok", "lstm", "head")
    for n in names:              # one box per module (blocks 0 and 1 of the ModuleList)
        assert f">{n}</text>" in svg, n
    assert "addition problems, collapsed by module" in svg


@pytest.mark.parametrize("argv,word", [
    (["--dataset", "digits", "--model", "lstm"], "--dataset addition"),
    (["--dataset", "addition", "--model", "cnn"], "--model transformer or lstm"),
    (["--dataset", "addition", "--schedule", "step"], "--schedule"),
    (["--dataset", "addition", "--label-smoothing", "0.1"], "--label-smoothing is not used"),
])
def test_bad_combinations_are_usage_errors(argv, word, capsys, tmp_path):
    assert cli.main(["train", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tapegrad: error: ") and word in err
