"""The ``tapegrad`` command line (the package nn/cli/): training reaches the accuracies
issue 5 promises with the defaults and a fixed seed, the expression parser never runs
code and accepts every registered op function, gradcheck covers every registered op,
and bad arguments end with exit code 2 and one line on stderr, no traceback.

The bad-argument cases run the real console entry point in a subprocess
(``python -m nn``); the rest call ``nn.cli.main`` in-process (faster).
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn import cli
from nn.cli import expr
from nn.cli.train import CHECKPOINT as CKPT     # the file name of a run's checkpoint

ROOT = Path(__file__).resolve().parent.parent


def _nn_ready() -> bool:
    try:
        import nn
        from nn import optim  # noqa: F401
        return all(hasattr(nn, n) for n in ("Linear", "Conv2d", "CrossEntropyLoss", "save"))
    except Exception:  # noqa: BLE001
        return False


needs_nn = pytest.mark.skipif(not _nn_ready(), reason="nn layers/optim not landed yet")


def run_cli(*args: str, cwd=None):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "nn", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=300)


def assert_usage_error(res, *words):
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("tapegrad: error: "), lines
    assert "Traceback" not in res.stderr + res.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])


# --------------------------------------------------------------------------- bad arguments
def test_unknown_dataset_exit_2():
    assert_usage_error(run_cli("train", "--dataset", "mnist"), "--dataset", "mnist")


def test_negative_learning_rate_exit_2():
    assert_usage_error(run_cli("train", "--lr", "-0.1"), "learning rate", "-0.1")


def test_unreadable_checkpoint_exit_2(tmp_path):
    bad = tmp_path / "garbage.tg"
    bad.write_bytes(b"this is not a checkpoint\x00\x01")
    assert_usage_error(run_cli("train", "--resume", str(bad), "--out", str(tmp_path / "o")),
                       "cannot read checkpoint", "garbage.tg")
    assert_usage_error(run_cli("train", "--resume", str(tmp_path / "missing.tg")),
                       "cannot read checkpoint", "missing.tg")


@pytest.mark.parametrize("args,word", [
    (["train", "--epochs", "0"], "epochs"),
    (["train", "--batch-size", "x"], "batch"),
    (["train", "--dropout", "1.5"], "dropout"),
    (["train", "--label-smoothing", "1"], "label smoothing"),
    (["train", "--optimizer", "lbfgs"], "lbfgs"),
    (["graph", "__import__('os').system('echo pwned')"], "not allowed"),
    (["graph", "x.__class__"], "not allowed"),
    (["graph", "tanh(x"], "cannot parse"),
    (["gradcheck", "--ops", "no_such_op"], "no_such_op"),
    (["frobnicate"], "frobnicate"),
])
def test_more_bad_arguments_exit_2(args, word, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tapegrad: error: ") and word in err[0], err


def test_no_code_execution_in_expressions(tmp_path, capsys):
    marker = tmp_path / "pwned"
    for src in [f"__import__('os').system('touch {marker}')",
                "(lambda: 1)()", "[x for x in ()]", "x if x else x", "open('f')",
                "x.data", "x[0]", "exec('1')"]:
        assert cli.main(["graph", src, "--out", str(tmp_path / "g.dot")]) == 2, src
    assert not marker.exists()


# --------------------------------------------------------------------------- graph
def test_graph_expression_values_and_gradients(tmp_path, capsys):
    out = tmp_path / "g.dot"
    assert cli.main(["graph", "tanh(x * w + b)", "--values", "x=0.5", "w=-2,b=1",
                     "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "tanh(x * w + b) = 0.0" in text
    assert "d/dx = -2.0" in text and "d/dw = 0.5" in text and "d/db = 1.0" in text
    try:
        from autograd import viz  # noqa: F401
    except ImportError:
        return
    assert out.exists() and "tanh" in out.read_text()


def test_expression_parser_evaluates_like_numpy():
    import autograd as ag
    tree = expr.parse_expression("sigmoid(a) ** 2 - log(b) / 3 + a @ c")
    assert expr.expression_names(tree) == ["a", "b", "c"]
    a, b, c = np.array([0.3, -1.0]), np.array(2.0), np.array([1.0, 2.0])
    env = {k: ag.tensor(v) for k, v in dict(a=a, b=b, c=c).items()}
    got = expr.evaluate_expression(tree, env).data.numpy()
    want = (1 / (1 + np.exp(-a))) ** 2 - np.log(b) / 3 + a @ c
    assert np.allclose(got, want)



def test_expression_functions_come_from_the_registry():
    import autograd as ag
    funcs = expr.expr_funcs()
    registered = set(ag.OPS) | set(ag.COMPOSITES)
    public = {id(getattr(ag, n)) for n in registered if n in ag.__all__}
    assert all(n in ag.__all__ and id(getattr(ag, n)) in public for n in funcs)
    # every exported elementwise op (a new one too) is accepted, and parses as a call
    elementwise = [n for n in registered if n in ag.__all__
                   and getattr(ag, n).__module__ == "autograd.ops.elementwise"]
    assert len(elementwise) > 20 and not set(elementwise) - funcs
    for n in sorted(funcs):
        expr.parse_expression(f"{n}(x)")
    assert {"tanh", "sigmoid", "matmul", "sum", "softmax", "swish"} <= funcs
    # unexported primitives, list arguments and tuple results are not expressions
    assert not funcs & {"fill", "setitem", "copy_from", "cat", "stack", "split", "unbind"}


def test_a_newly_registered_op_is_accepted_in_expressions(monkeypatch, tmp_path, capsys):
    import autograd as ag
    from autograd.registry import defop

    def tg_cube(x):
        return op(x)

    monkeypatch.setattr(ag, "tg_cube", tg_cube, raising=False)
    monkeypatch.setattr(ag, "__all__", ag.__all__ + ["tg_cube"])
    assert "tg_cube" not in expr.expr_funcs()      # exported, but not a registered op
    op = defop("tg_cube", lambda x: x ** 3, vjps=(lambda F, g, out, x: 3 * g * x * x,))
    try:
        assert "tg_cube" in expr.expr_funcs()
        assert cli.main(["graph", "tg_cube(x)", "--values", "x=2",
                         "--out", str(tmp_path / "g.dot")]) == 0
    finally:
        del ag.OPS["tg_cube"]
    out = capsys.readouterr().out
    assert "tg_cube(x) = 8.0" in out and "d/dx = 12.0" in out


@needs_nn
def test_graph_model_writes_dot(tmp_path, capsys):
    out = tmp_path / "mlp.dot"
    assert cli.main(["graph", "--model", "mlp", "--out", str(out)]) == 0
    assert out.read_text().startswith("digraph") and f"wrote {out}" in capsys.readouterr().out

# --------------------------------------------------------------------------- gradcheck
def test_gradcheck_every_op(capsys):
    import autograd as ag
    assert cli.main(["gradcheck", "--first-sample"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    for op in ("matmul", "conv2d", "tanh", "softmax"):
        assert f"| {op} " in out
    diff = [n for n, d in ag.OPS.items() if d.differentiable]
    missing = [n for n in diff if f"| {n} " not in out]
    assert not missing, missing


def gradcheck_rows(out: str) -> dict:
    """{op: its table row's cells} from a `tapegrad gradcheck` table."""
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 6 and cells[0] != "op":
            rows[cells[0]] = cells
    return rows


def test_gradcheck_covers_every_registered_op_and_says_which_are_not_differentiable(capsys):
    import autograd as ag
    assert cli.main(["gradcheck", "--first-sample", "--no-gradgrad"]) == 0
    out = capsys.readouterr().out
    rows = gradcheck_rows(out)
    names = list(ag.OPS) + list(ag.COMPOSITES)
    assert set(rows) == set(names)
    diff = [n for n in ag.OPS if ag.OPS[n].differentiable] + list(ag.COMPOSITES)
    assert [n for n in names if rows[n][4] == "pass"] == diff
    not_diff = [n for n in ag.OPS if not ag.OPS[n].differentiable]
    assert not_diff and all(rows[n][4] == "not differentiable" for n in not_diff)
    assert f"gradcheck of {len(diff)} ops on {len(diff)} samples" in out
    assert f"{len(diff)}/{len(diff)} ops passed" in out
    assert f"not differentiable: {', '.join(not_diff)}" in out


def test_gradcheck_some_ops_every_sample(capsys):
    from autograd.testing import OP_DB
    assert cli.main(["gradcheck", "--ops", "tanh", "matmul", "relu", "argmax"]) == 0
    out = capsys.readouterr().out
    assert "3/3 ops passed" in out and "not differentiable: argmax" in out
    rows = gradcheck_rows(out)
    assert set(rows) == {"tanh", "matmul", "relu", "argmax"}
    n = sum(1 for s in OP_DB["tanh"].samples if s.grad and not s.edge)
    assert n > 1 and rows["tanh"][1] == str(n)
    assert rows["tanh"][5] == "pass" and rows["relu"][5] == "-"   # relu is not smooth


def test_gradcheck_fails_on_a_wrong_gradient_or_a_missing_sample(monkeypatch, capsys):
    import autograd as ag
    from autograd.testing import OP_DB
    # exp(x) with x detached in one factor: the recorded gradient misses x * exp(x)
    wrong = dataclasses.replace(OP_DB["exp"], fn=lambda x: ag.exp(x) * x.detach())
    monkeypatch.setitem(OP_DB, "exp", wrong)
    monkeypatch.setitem(OP_DB, "sin", dataclasses.replace(OP_DB["sin"], samples=[]))
    assert cli.main(["gradcheck", "--ops", "exp", "sin", "cos", "--first-sample"]) == 1
    out = capsys.readouterr().out
    rows = gradcheck_rows(out)
    assert rows["exp"][4] == "FAIL" and rows["sin"][4] == "FAIL" and rows["cos"][4] == "pass"
    assert "sin: no gradcheck sample" in out and "1/3 ops passed" in out


@needs_nn
@pytest.mark.parametrize("model", ["mlp", "cnn", "resnet"])
def test_gradcheck_model(model, capsys):
    assert cli.main(["gradcheck", "--model", model, "--max-elements", "4"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "parameters passed" in out


# --------------------------------------------------------------------------- train
# the digits with the defaults (>= 97%, the model graph, the pictures) are trained by
# tests/test_readme.py, which runs the README's `python -m nn demo` and checks them


@needs_nn
@pytest.mark.timeout(300)
def test_train_moons_mlp_reaches_97_and_resumes(tmp_path, capsys):
    out = tmp_path / "moons"
    assert cli.main(["train", "--dataset", "moons", "--model", "mlp", "--seed", "0",
                     "--out", str(out), "--no-graph"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["test_acc"] >= 0.97, m["test_acc"]
    assert (out / "decision_boundary.png").stat().st_size > 0
    assert sorted(p.name for p in out.iterdir()) == sorted([CKPT, "curves.png",
                                                            "decision_boundary.png",
                                                            "metrics.json"])
    # --resume continues in the run's own folder; --epochs is the total
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(out / CKPT), "--epochs", "62",
                     "--no-graph"]) == 0
    text = capsys.readouterr().out
    assert "epochs 61-62 of 62 (resumed from" in text
    assert "2 more epochs in" in text and "the run now has 62" in text
    m2 = json.loads((out / "metrics.json").read_text())
    assert m2["last_epoch"] == 62 and m2["trained_epochs"] == 2 and m2["epochs"] == 62
    assert [h["epoch"] for h in m2["history"]] == list(range(1, 63))
    assert m2["history"][:60] == m["history"]
    assert m2["config"]["dataset"] == "moons" and m2["config"]["epochs"] == 62
    assert m2["test_acc"] >= 0.95
    assert sorted(p.name for p in out.iterdir()) == sorted(m["files"][k].rsplit("/", 1)[1]
                                                           for k in m["files"]) + ["metrics.json"]


def test_checkpoint_holds_configuration_and_history(tmp_path):
    """No sidecar: the checkpoint is a plain tree (dicts, lists, numbers, strings, arrays)
    with the run's configuration and history, loadable with nn.load alone."""
    import nn
    out = tmp_path / "x"
    assert cli.main(["train", "--dataset", "xor", "--epochs", "2", "--lr", "0.02",
                     "--out", str(out), "--no-graph"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([CKPT, "curves.png",
                                                            "decision_boundary.png",
                                                            "metrics.json"])   # no sidecar
    ck = nn.load(str(out / CKPT))
    assert set(ck) == {"format", "model", "optimizer", "epoch", "config", "history"}
    assert ck["format"] == "tapegrad-train-checkpoint" and int(ck["epoch"]) == 2
    assert ck["config"]["dataset"] == "xor" and ck["config"]["lr"] == 0.02
    assert [h["epoch"] for h in ck["history"]] == [1, 2]

    def plain(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, list):
            return all(plain(x) for x in v)
        return isinstance(v, (int, float, str, np.ndarray)) or hasattr(v, "shape")
    assert plain({k: v for k, v in ck.items() if k not in ("model", "optimizer")})


@needs_nn
def test_resume_errors_are_one_line_and_leave_nothing(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "--dataset", "xor", "--epochs", "2", "--out", str(out),
                     "--no-graph"]) == 0
    ck = str(out / CKPT)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    fresh = tmp_path / "fresh"
    cases = [(["--model", "cnn"], ["--model cnn conflicts", "--model mlp", "drop --model"]),
             (["--dataset", "moons"], ["--dataset moons conflicts", "--dataset xor"]),
             (["--seed", "3"], ["--seed 3 conflicts", "--seed 0"]),
             ([], ["has its 2 epochs", "--epochs is the total", "N > 2"]),
             (["--epochs", "2"], ["--epochs 2 is not more than the 2 epochs", "N > 2"])]
    for extra, words in cases:
        res = run_cli("train", "--resume", ck, "--out", str(fresh), *extra)
        assert_usage_error(res, *words)
        assert not fresh.exists()
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    # a checkpoint without a run configuration (nn.save of a state dict) says so
    import nn
    bare = tmp_path / "bare.tg"
    nn.save({"model": nn.load(ck)["model"]}, str(bare))
    assert_usage_error(run_cli("train", "--resume", str(bare), "--epochs", "3", "--out",
                               str(fresh)), "has no run configuration", "train a new run")
    assert not fresh.exists()


def test_config_file_and_help_defaults(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('dataset = "xor"\nepochs = 2\nbatch-size = 16\nbetas = [0.8, 0.99]\n'
                   'lr = 0.05\n')
    out = tmp_path / "o"
    assert cli.main(["train", "--config", str(cfg), "--lr", "0.02", "--out", str(out),
                     "--no-graph"]) == 0
    c = json.loads((out / "metrics.json").read_text())["config"]
    assert (c["dataset"], c["epochs"], c["batch_size"], c["betas"], c["lr"]) == \
        ("xor", 2, 16, [0.8, 0.99], 0.02)            # the command line wins over the file
    for text, words in [('lr = -1\n', ["--config", "learning rate must be positive"]),
                        ('frob = 1\n', ["unknown option 'frob'", "batch-size"]),
                        ('model = "vgg"\n', ["model = 'vgg' is not one of", "mlp"]),
                        ('lr = [1, 2]\n', ["lr takes one value"]),
                        ('lr = \n', ["not valid TOML"])]:
        cfg.write_text(text)
        assert_usage_error(run_cli("train", "--config", str(cfg), "--out",
                                   str(tmp_path / "never")), *words)
    assert not (tmp_path / "never").exists()
    assert_usage_error(run_cli("train", "--config", str(tmp_path / "missing.toml")),
                       "cannot read --config", "missing.toml")
    helptext = run_cli("train", "--help").stdout
    for words in ("default: 0.003 (digits); 0.01 (xor", "default: 0.9 0.999",
                  "default: polynomial (digits)", "the total number of epochs",
                  "default: 20 (digits); 60 (xor, moons, circles); 120 (spirals)"):
        assert words in " ".join(helptext.split()), words


@needs_nn
@pytest.mark.parametrize("opt,sched", [("sgd", "step"), ("nesterov", "exponential"),
                                       ("adagrad", "polynomial"), ("rmsprop", "piecewise"),
                                       ("adadelta", "plateau"), ("adamw", "none"),
                                       ("momentum", "none")])
def test_train_every_optimizer_and_schedule(tmp_path, opt, sched):
    out = tmp_path / opt
    lr = {"adadelta": "1.0", "sgd": "0.1", "momentum": "0.05", "nesterov": "0.05"}.get(opt, "0.01")
    assert cli.main(["train", "--dataset", "xor", "--optimizer", opt, "--schedule", sched,
                     "--lr", lr, "--epochs", "4", "--l1", "1e-4", "--l2", "1e-4",
                     "--dropout", "0.1", "--out", str(out), "--no-graph"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert len(m["history"]) == 4 and np.isfinite(m["test_loss"])


@needs_nn
def test_resume_lays_the_schedule_over_the_new_total(tmp_path):
    """A decayed schedule ends at lr 0; --resume --epochs N (the new total) replays the
    schedule over N epochs to the checkpoint's epoch and goes on from there, so the rate
    is the one a run planned for N epochs would have (and --lr sets its base)."""
    out = tmp_path / "a"
    assert cli.main(["train", "--dataset", "xor", "--schedule", "polynomial", "--lr", "0.02",
                     "--epochs", "3", "--out", str(out), "--no-graph"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert [round(h["lr"], 6) for h in m["history"]] == [0.02, round(0.02 * 2 / 3, 6),
                                                          round(0.02 / 3, 6)]
    assert cli.main(["train", "--resume", str(out / CKPT), "--epochs", "5",
                     "--no-graph"]) == 0
    h2 = json.loads((out / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in h2] == [1, 2, 3, 4, 5]
    assert [round(h["lr"], 6) for h in h2[3:]] == [round(0.02 * 2 / 5, 6), round(0.02 / 5, 6)]
    assert cli.main(["train", "--resume", str(out / CKPT), "--epochs", "6",
                     "--lr", "0.06", "--no-graph"]) == 0
    h3 = json.loads((out / "metrics.json").read_text())["history"]
    assert round(h3[-1]["lr"], 6) == round(0.06 / 6, 6)


@needs_nn
def test_early_stopping(tmp_path):
    out = tmp_path / "es"
    assert cli.main(["train", "--dataset", "circles", "--epochs", "200", "--early-stopping",
                     "2", "--lr", "0.05", "--out", str(out), "--no-graph"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["stopped_early"] and len(m["history"]) < 200


# --------------------------------------------------------------------------- graph errors
@pytest.mark.parametrize("args,words", [
    (["graph", "x * 2", "--out", "/dev/null/x.svg"], ["/dev/null is a file", "another path"]),
    (["graph", "x * 2", "--out", "/proc/tapegrad/x.svg"], ["cannot write", "/proc/tapegrad/x.svg"]),
    (["graph", "x * 2", "--out", "g.jpeg"], ["unknown extension .jpeg", ".svg, .png, .pdf, .dot"]),
    (["graph", "x * 2", "--out", "g"], ["unknown extension (none)", ".svg"]),
    (["graph", "x * 2", "--values", "x=1,2,3"], ["'2' is not NAME=VALUE", "x=[1,2,3]",
                                                 "x=0.5 w=-2"]),
    (["graph", "x * 2", "--values", "x=abc"], ["x=abc is not a number", "x=[1,2,3]"]),
    (["graph", "x * 2", "--values", "y=1"], ["--values names y", "its variables: x"]),
    (["graph", "x * 2", "--collapse"], ["--collapse", "--model"]),
    (["graph"], ["give either an expression", "--model"]),
    ([], ["give a subcommand", "train, graph", "--help"]),
    (["graph", "--model", "mlp", "--values", "x=1"], ["--values sets an expression"]),
    (["train", "--out", "/dev/null/run"], ["/dev/null is a file"]),
])
def test_cli_errors_are_one_line_with_the_fix_and_write_nothing(tmp_path, args, words):
    before = sorted(os.listdir(tmp_path))
    assert_usage_error(run_cli(*args, cwd=tmp_path), *words)
    assert sorted(os.listdir(tmp_path)) == before          # nothing half-written


def test_graph_states_defaults_hides_numpy_warnings_and_draws_every_gradient(tmp_path):
    res = run_cli("graph", "tanh(x * w + b)", "--values", "x=0.5", "w=-2", "--out",
                  str(tmp_path / "g.svg"))
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert "b = 0.126   (not in --values: a random value from --seed 0; set it with " \
           "--values b=...)" in res.stdout
    svg = (tmp_path / "g.svg").read_text()
    # every op node and every edge out of an op carries its gradient, not only the leaves
    assert svg.count("grad ") >= 2 * 3 + 3 and "Generated by graphviz" not in svg
    res = run_cli("graph", "log(x) / y", "--values", "x=0", "y=0", "--out", str(tmp_path / "n.dot"))
    assert res.returncode == 0 and res.stderr == "", res.stderr   # no RuntimeWarning leaks
    assert "not finite" in res.stdout and "Warning" not in res.stdout
    assert sorted(os.listdir(tmp_path)) == ["g.svg", "n.dot"]     # no temporary files left


def test_help_shows_defaults():
    """Every option of every subcommand states its default in --help: an option with a
    default value shows it (added by the formatter when its help does not), and every
    option of `train` (whose defaults depend on the dataset) says what it is."""
    from nn.cli import COMMANDS
    p = cli.build_parser()
    subs = [a for a in p._actions if a.dest == "command"][0].choices
    for name, _, _ in COMMANDS:
        sub = subs[name]
        text = " ".join(sub.format_help().split())
        for act in sub._actions:
            if act.nargs == 0 or not act.option_strings:
                continue                                  # flags, positionals
            if act.default not in (None, [], False):
                d = act.default
                shown = " ".join(map(str, d)) if isinstance(d, (list, tuple)) else str(d)
                assert f"default: {shown}" in text or "default" in (act.help or ""), \
                    (name, act.dest)
            elif name == "train" and act.dest not in ("resume", "config"):
                assert "default" in (act.help or ""), (name, act.dest)
    helptext = " ".join(run_cli("graph", "--help").stdout.split())
    assert "(default: 0)" in helptext and "(default: graph.svg)" in helptext
