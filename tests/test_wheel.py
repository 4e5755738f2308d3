"""An installed wheel (not the editable checkout) ships the op samples and its
``tapegrad gradcheck`` checks every registered op.

The wheel is built from a copy of the sources (so no build/ or *.egg-info lands in the
checkout), installed with ``pip install --target`` into a temporary folder and run
with ``PYTHONPATH`` set to that folder only and the working directory outside the
repository, so the installed copy wins over the editable install of the venv.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_cli import gradcheck_rows  # the same table parser as the CLI tests

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, cwd: Path, env=None, timeout: float = 300) -> subprocess.CompletedProcess:
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert res.returncode == 0, (cmd, res.returncode, res.stdout[-3000:], res.stderr[-3000:])
    return res


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_installed_wheel_gradchecks_every_registered_op(tmp_path):
    import setuptools  # noqa: F401  (a dev dependency, like wheel)
    import wheel  # noqa: F401  (a dev dependency: make test installs it; never skipped)
    src, dist, site, work = (tmp_path / d for d in ("src", "dist", "site", "work"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for d in ("autograd", "nn"):
        shutil.copytree(ROOT / d, src / d, ignore=ignore)
    for f in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / f, src / f)
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["MPLBACKEND"] = "Agg"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", dist, src], work, env)
    (whl,) = dist.glob("tapegrad-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    for f in ("autograd/testing/__init__.py", "autograd/testing/_base.py",
              "nn/cli/__init__.py", "nn/cli/gradcheck.py", "nn/__main__.py"):
        assert f in names, f
    _run(pip + ["install", "--no-deps", "--target", site, whl], work, env)

    env["PYTHONPATH"] = str(site)
    probe = _run([sys.executable, "-c", (
        "import json, autograd, autograd.testing, nn.cli\n"
        "print(json.dumps(dict(autograd=autograd.__file__, testing=autograd.testing.__file__,"
        " cli=nn.cli.__file__, ops=list(autograd.OPS), composites=list(autograd.COMPOSITES),"
        " differentiable=[n for n, d in autograd.OPS.items() if d.differentiable]"
        " + list(autograd.COMPOSITES))))")], work, env)
    info = json.loads(probe.stdout)
    for k in ("autograd", "testing", "cli"):
        assert Path(info[k]).resolve().is_relative_to(site.resolve()), (k, info[k])

    # the console script of the wheel (entry point nn.cli:main), full run of every sample
    script = site / "bin" / "tapegrad"
    cmd = [script] if script.is_file() else [sys.executable, "-m", "nn"]
    out = _run(cmd + ["gradcheck"], work, env).stdout
    rows = gradcheck_rows(out)
    registered = info["ops"] + info["composites"]
    diff = info["differentiable"]
    assert len(registered) > 70 and set(rows) == set(registered)
    assert sorted(n for n, r in rows.items() if r[4] == "pass") == sorted(diff)
    assert all(rows[n][4] == "not differentiable" for n in set(registered) - set(diff))
    assert f"gradcheck of {len(diff)} ops on " in out
    assert f"{len(diff)}/{len(diff)} ops passed" in out and "FAIL" not in out
