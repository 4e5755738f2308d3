"""The built wheel, installed into a fresh venv (not the editable checkout): its
``tapegrad`` command, ``python -m tapegrad`` and ``import tapegrad`` work, its
``tapegrad gradcheck`` checks every registered op (the samples ship in the wheel), and
the installation check names a foreign ``autograd`` mixed into or shadowing tapegrad's.

One wheel build and one venv for the whole module. The venv is made with ``--without-pip``
and sees the shared venv's site-packages (numpy, graphviz, ...) through a ``.pth`` line
(a plain path: that folder's own ``.pth`` files, such as the editable install of the
checkout, are not run), so nothing is downloaded; the wheel is installed into it with
the shared pip (``pip --python``), ``--no-deps --no-index``. The sources are copied first
so no build/ or *.egg-info lands in the checkout. The commands run with ``PYTHONPATH``
unset and the working directory outside the repository, so the installed copy is the one
imported.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_cli import gradcheck_rows  # the same table parser as the CLI tests

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, cwd: Path, env=None, timeout: float = 300, rc: int = 0):
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert res.returncode == rc, (cmd, res.returncode, res.stdout[-3000:], res.stderr[-3000:])
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, its site-packages, its bin folder, a work folder, env)."""
    import setuptools  # noqa: F401  (a dev dependency, like wheel)
    import wheel  # noqa: F401  (a dev dependency: make test installs it; never skipped)
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist, venv, work = (tmp / d for d in ("src", "dist", "venv", "work"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for d in ("tapegrad", "autograd", "nn"):
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
    for f in ("tapegrad/__init__.py", "tapegrad/__main__.py", "tapegrad/_guard.py",
              "tapegrad/py.typed", "autograd/py.typed", "nn/py.typed",
              "autograd/testing/__init__.py", "autograd/testing/_base.py",
              "nn/cli/__init__.py", "nn/cli/gradcheck.py", "nn/__main__.py"):
        assert f in names, f
    _run([sys.executable, "-m", "venv", "--without-pip", venv], work, env)
    vpy = venv / "bin" / "python"
    (vsite,) = (venv / "lib").glob("python*/site-packages")
    # the shared venv's packages (numpy, ...) as a plain path: its .pth files are not run
    (vsite / "shared_venv.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(pip + ["--python", vpy, "install", "--no-deps", "--no-index", whl], work, env)
    return vpy, vsite, venv / "bin", work, env


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_installed_wheel_runs_and_gradchecks_every_registered_op(installed):
    vpy, vsite, vbin, work, env = installed
    probe = _run([vpy, "-c", (
        "import json, tapegrad as tg, autograd, autograd.testing, nn.cli\n"
        "x = tg.tensor([1.0, 2.0], requires_grad=True); (x * x).sum().backward()\n"
        "print(json.dumps(dict(tapegrad=tg.__file__, autograd=autograd.__file__,"
        " testing=autograd.testing.__file__, cli=nn.cli.__file__, version=tg.__version__,"
        " grad=x.grad.tolist(), optim=tg.optim.SGD.__name__, linear=tg.nn.Linear.__name__,"
        " ops=list(autograd.OPS), composites=list(autograd.COMPOSITES),"
        " differentiable=[n for n, d in autograd.OPS.items() if d.differentiable]"
        " + list(autograd.COMPOSITES))))")], work, env)
    info = json.loads(probe.stdout)
    for k in ("tapegrad", "autograd", "testing", "cli"):
        assert Path(info[k]).resolve().is_relative_to(vsite.resolve()), (k, info[k])
    assert info["grad"] == [2.0, 4.0] and info["optim"] == "SGD" and info["linear"] == "Linear"

    version = _run([vbin / "tapegrad", "--version"], work, env).stdout
    assert version.startswith(f"tapegrad {info['version']} ") and str(vsite) in version
    assert _run([vpy, "-m", "tapegrad", "--version"], work, env).stdout == version
    assert "usage: tapegrad" in _run([vpy, "-m", "tapegrad", "--help"], work, env).stdout

    # the console script of the wheel, full run of every sample of every registered op
    out = _run([vbin / "tapegrad", "gradcheck"], work, env).stdout
    rows = gradcheck_rows(out)
    registered = info["ops"] + info["composites"]
    diff = info["differentiable"]
    assert len(registered) > 70 and set(rows) == set(registered)
    assert sorted(n for n, r in rows.items() if r[4] == "pass") == sorted(diff)
    assert all(rows[n][4] == "not differentiable" for n in set(registered) - set(diff))
    assert f"gradcheck of {len(diff)} ops on " in out
    assert f"{len(diff)}/{len(diff)} ops passed" in out and "FAIL" not in out


def _fake_foreign_autograd(vsite: Path, overwrite_init: bool) -> list:
    """Install a fake 'autograd 1.7.0' the way pip would over tapegrad's: its files
    written into site-packages/autograd/ and its own dist-info. Returns what to undo."""
    pkg = vsite / "autograd"
    info = vsite / "autograd-1.7.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: autograd\nVersion: 1.7.0\n")
    files = ["autograd/tracer.py", "autograd/differential_operators.py"]
    (pkg / "tracer.py").write_text("def trace(): pass\n")
    (pkg / "differential_operators.py").write_text("def grad(f): return f\n")
    saved = None
    if overwrite_init:
        saved = (pkg / "__init__.py").read_bytes()
        (pkg / "__init__.py").write_text("from .differential_operators import grad\n")
        files.append("autograd/__init__.py")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files)
                                 + "autograd-1.7.0.dist-info/RECORD,,\n")
    return [pkg / "tracer.py", pkg / "differential_operators.py", info, saved]


def _undo(vsite: Path, undo: list) -> None:
    *paths, saved = undo
    for p in paths:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    if saved is not None:
        (vsite / "autograd" / "__init__.py").write_bytes(saved)


def _one_line_error(res, *words):
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1, (res.returncode, res.stderr)
    assert lines[0].startswith("tapegrad: error: ") and "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_installation_check_names_a_foreign_autograd(installed, tmp_path):
    vpy, vsite, vbin, work, env = installed
    folder = str(vsite / "autograd")
    # mixed in, with its __init__.py over tapegrad's (pip install autograd after tapegrad)
    undo = _fake_foreign_autograd(vsite, overwrite_init=True)
    try:
        for cmd in ([vbin / "tapegrad", "--version"], [vpy, "-m", "tapegrad", "gradcheck"],
                    [vpy, "-m", "nn", "--version"]):
            _one_line_error(_run(cmd, work, env, rc=2), folder, "autograd 1.7.0",
                            "__init__.py", "pip uninstall -y autograd",
                            "pip install --force-reinstall --no-deps tapegrad")
        res = _run([vpy, "-c", "import tapegrad"], work, env, rc=1)
        assert "tapegrad.InstallationError" in res.stderr or "InstallationError" in res.stderr
        assert "mixes tapegrad's `autograd` with autograd 1.7.0" in res.stderr
        res = _run([vpy, "-c", "import nn"], work, env, rc=1)
        assert "mixes tapegrad's `autograd` with autograd 1.7.0" in res.stderr
    finally:
        _undo(vsite, undo)
    # mixed in, tapegrad's files intact (tapegrad installed after): works, and warns
    undo = _fake_foreign_autograd(vsite, overwrite_init=False)
    try:
        res = _run([vpy, "-c", "import tapegrad as tg; print(tg.tensor(2.0) * 3)"], work, env)
        assert "tensor(6.)" in res.stdout
        assert "RuntimeWarning" in res.stderr and "autograd 1.7.0" in res.stderr
        assert "tracer.py" in res.stderr and "pip uninstall -y autograd" in res.stderr
    finally:
        _undo(vsite, undo)
    # shadowed: another autograd first on sys.path
    shadow = tmp_path / "shadow" / "autograd"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    env2 = dict(env, PYTHONPATH=str(shadow.parent))
    _one_line_error(_run([vbin / "tapegrad", "--version"], work, env2, rc=2),
                    f"`import autograd` finds {shadow}", "shadows tapegrad's", "PYTHONPATH")
    # and all is well again
    assert _run([vbin / "tapegrad", "--version"], work, env).stdout.startswith("tapegrad ")
