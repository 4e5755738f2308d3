"""README.md cannot drift: every snippet and command in it is executed here, taken from
README.md itself, and every number and picture it shows is regenerated and compared.

* Each ```python block runs alone in a fresh interpreter (imports included), in an
  empty folder: pasted into a terminal it works as it is. Any section's snippets count,
  including the ones added later above "## Documentation".
* The ```bash commands run in order in an empty folder that stands for a checkout
  (``.venv/bin/tapegrad`` is this interpreter's ``-m tapegrad``, ``.venv/bin/python`` this
  interpreter); ``make TARGET`` lines are checked to be targets of the Makefile (running
  ``make test`` inside the suite would recurse; ``make demo`` is ``python -m nn demo``,
  which the command list runs with ``--docs``).
* The demo's pictures (``--docs docs/demo``) are compared byte for byte with the
  committed docs/demo/*, and the accuracy the README states with the demo's
  metrics.json; the numbers the README quotes are checked against their sources.
  The figures of docs/img are regenerated and compared by tests/test_viz.py.

To refresh everything after a change: ``.venv/bin/python -m nn demo --out demo_out --docs
docs/demo`` and put the printed accuracy into README.md.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGENERATE = ".venv/bin/python -m nn demo --out demo_out --docs docs/demo"


def fenced(lang: str) -> List[Tuple[int, str]]:
    """(line number, text) of every ```lang block of README.md."""
    out = []
    for m in re.finditer(r"^```" + lang + r"[ \t]*\n(.*?)^```[ \t]*$", README, re.M | re.S):
        out.append((README.count("\n", 0, m.start()) + 1, m.group(1)))
    return out


def commands() -> List[Tuple[int, List[str]]]:
    """(line number, argv) of every command line in the ```bash blocks."""
    out = []
    for start, text in fenced("bash"):
        for k, line in enumerate(text.splitlines()):
            argv = shlex.split(line, comments=True)
            if argv:
                out.append((start + 1 + k, argv))
    return out


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHOME"}
    env["PYTHONPATH"] = str(ROOT)
    env["MPLBACKEND"] = "Agg"
    return env


def _argv(argv: List[str]) -> List[str]:
    """A README command as this interpreter runs it."""
    out = []
    for a in argv:
        if a in (".venv/bin/tapegrad", "tapegrad") and not out or a == ".venv/bin/tapegrad":
            out += [sys.executable, "-m", "tapegrad"]
        elif a == ".venv/bin/python" or (a in ("python", "python3") and not out):
            out.append(sys.executable)
        elif a.startswith(".venv/bin/"):
            out.append(str(Path(sys.executable).parent / a[len(".venv/bin/"):]))
        else:
            out.append(a)
    return out


PY = fenced("python")


def test_readme_has_snippets_and_commands():
    assert len(PY) >= 2 and len(commands()) >= 6


@pytest.mark.parametrize("line,code", PY, ids=[f"README.md:{n}" for n, _ in PY])
def test_python_snippet_runs_pasted_alone(tmp_path, line, code):
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, (f"README.md line {line}: the snippet fails pasted alone",
                                 res.stdout[-2000:], res.stderr[-3000:])


def _make_targets() -> set:
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:", (ROOT / "Makefile").read_text(), re.M))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_readme_commands_run_and_regenerate_what_it_shows(tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    targets = _make_targets()
    ran = []
    for line, argv in commands():
        if argv[0] == "make":
            assert all(t in targets for t in argv[1:]), (line, argv, sorted(targets))
            continue
        cmd = _argv(argv)
        assert Path(cmd[0]).name.startswith("python") or Path(cmd[0]).exists(), \
            f"README.md line {line}: do not know how to run {argv[0]}; teach tests/test_readme.py"
        res = subprocess.run(cmd, cwd=work, env=_env(), capture_output=True, text=True,
                             timeout=900)
        assert res.returncode == 0, (f"README.md line {line}: {shlex.join(argv)}",
                                     res.stdout[-3000:], res.stderr[-3000:])
        ran.append((argv, res.stdout))
    demo = [out for argv, out in ran if "demo" in argv and "--docs" in argv]
    assert demo, f"the README must show the regeneration command {REGENERATE}"
    # the pictures the README shows are what the demo writes
    docs = work / "docs" / "demo"
    made = sorted(p.name for p in docs.iterdir())
    shown = sorted(set(re.findall(r"\(docs/demo/([\w.]+)\)", README)))
    assert made == shown == sorted(p.name for p in (ROOT / "docs" / "demo").iterdir())
    for name in made:
        assert (docs / name).read_bytes() == (ROOT / "docs" / "demo" / name).read_bytes(), \
            f"docs/demo/{name} is stale: run {REGENERATE}"
    # and the numbers are the demo's
    m = json.loads((work / "demo_out" / "train" / "metrics.json").read_text())
    stated = re.search(r"([\d.]+)% test accuracy", README)
    assert stated and stated.group(1) == f"{100 * m['test_acc']:.2f}", \
        (f"README states {stated and stated.group(1)}% test accuracy, the demo gives "
         f"{100 * m['test_acc']:.2f}%: update README.md")
    assert f"test accuracy {m['test_acc']:.4f} on the digits" in demo[0]
    assert m["dataset"] == "digits" and m["model"] == "cnn" and m["test_acc"] >= 0.97
    assert m["config"]["schedule"] == "polynomial" and m["config"]["label_smoothing"] == 0.1
    svg = (docs / "graph.svg").read_text()
    assert "inception" in svg and "res" in svg and "mean |grad|" in svg
    # every graph picture the commands drew reads inline: at most 1,000 pt wide
    svgs = sorted(work.rglob("*.svg")) + sorted(docs.glob("*.svg"))
    assert len(svgs) >= 4, svgs
    for p in svgs:
        m = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', p.read_text())
        assert m and float(m.group(1)) <= 1000, (p, m and m.group(1))
    # --resume continued the moons run in its own folder up to the total it was given
    moons = json.loads((work / "runs" / "moons" / "metrics.json").read_text())
    resumed = [a for a, _ in ran if "--resume" in a][0]
    assert moons["last_epoch"] == int(resumed[resumed.index("--epochs") + 1])
    assert (work / "runs" / "moons" / "decision_boundary.png").exists()


def test_readme_numbers_come_from_their_sources():
    import nn
    from nn.cli.train import DEFAULTS

    x, _ = nn.data.load_digits()
    assert f"({len(x):,} images" in README
    assert f"Adam for {DEFAULTS['digits']['epochs']} epochs" in README
    assert DEFAULTS["digits"]["optimizer"] == "adam" and DEFAULTS["digits"]["model"] == "cnn"
    n = re.search(r"`docs/img/big10k.svg` is a ([\d,]+)-node graph", README)
    assert n and f"{n.group(1)} recorded nodes" in (ROOT / "docs/img/big10k.dot").read_text()
    assert re.search(r"Python >= (3\.\d+)", README).group(1) in \
        (ROOT / "pyproject.toml").read_text()
