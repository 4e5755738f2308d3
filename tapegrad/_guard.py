"""The installation check that runs when ``tapegrad``, ``autograd`` or ``nn`` is imported.

tapegrad's packages are called ``autograd`` and ``nn``, names other distributions use
too (HIPS autograd is ``pip install autograd``). Python can import one package per name,
so two distributions that both ship ``autograd/`` either *shadow* each other (the other
one comes first on ``sys.path``) or are *mixed* into one folder (pip writes both into
``site-packages/autograd/``, the last one's ``__init__.py`` wins). Either way the failure
would be an unrelated ``ImportError`` deep inside; this module finds out which case it is
before anything else is imported and says what to do.

Standard library only: it must work when the packages it checks are broken.
"""
from __future__ import annotations

import csv
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["InstallationError", "problems", "check", "check_or_exit"]

PACKAGES = ("autograd", "nn")
MARKER = "__tapegrad__"          # a comment line every tapegrad package __init__ carries
HERE = Path(__file__).resolve().parent.parent   # the folder that holds tapegrad/


class InstallationError(ImportError):
    """tapegrad's ``autograd`` or ``nn`` package is shadowed by, or mixed with, another
    distribution's package of the same name."""


def _owners(folder: Path, pkg: str) -> List[str]:
    """'name version' of every distribution in ``folder`` (a site-packages) other than
    tapegrad whose RECORD lists files of ``pkg/``."""
    out = []
    for info in sorted(folder.glob("*.dist-info")):
        if info.name.lower().startswith("tapegrad-"):
            continue
        record = info / "RECORD"
        try:
            with open(record, newline="", encoding="utf-8") as f:
                owns = any(row and row[0].replace("\\", "/").startswith(pkg + "/")
                           for row in csv.reader(f))
        except OSError:
            continue
        if owns:
            out.append(_dist_name(info))
    return out


def _dist_name(info: Path) -> str:
    name = version = ""
    try:
        for line in (info / "METADATA").read_text(encoding="utf-8").splitlines()[:20]:
            if line.startswith("Name:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
    except OSError:
        pass
    if not name:
        name, _, version = info.name[:-len(".dist-info")].partition("-")
    return f"{name} {version}".strip()


def _own_record(folder: Path) -> Optional[Dict[str, int]]:
    """{path: size} of the files tapegrad's wheel installed into ``folder``, or None
    when tapegrad was not installed from a wheel there (a source checkout)."""
    for info in folder.glob("tapegrad-*.dist-info"):
        try:
            with open(info / "RECORD", newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
        except OSError:
            continue
        files = {}
        for row in rows:
            if len(row) >= 3:
                files[row[0].replace("\\", "/")] = int(row[2]) if row[2].isdigit() else -1
        if any(p.startswith(("autograd/", "nn/")) for p in files):
            return files
    return None


def _locate(pkg: str) -> Tuple[Optional[Path], Optional[str]]:
    """(folder, __init__ path) that ``import pkg`` would use, without importing it."""
    mod = sys.modules.get(pkg)
    spec = getattr(mod, "__spec__", None) if mod is not None else None
    if spec is None:
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
    if spec is None:
        return None, None
    if spec.origin and spec.origin not in ("namespace", "built-in", "frozen"):
        origin = Path(spec.origin).resolve()
        return (origin.parent if origin.name == "__init__.py" else origin), str(origin)
    locs = list(spec.submodule_search_locations or [])
    return (Path(locs[0]).resolve() if locs else None), None


def problems() -> Tuple[List[str], List[str]]:
    """(errors, warnings) about the ``autograd`` and ``nn`` packages ``import`` finds.

    Errors: a package is missing, is found somewhere other than beside ``tapegrad/``
    (shadowed), has an ``__init__.py`` that is not tapegrad's, or (installed from the
    wheel) has files whose size differs from tapegrad's RECORD (overwritten). Warnings:
    files in the folders that tapegrad did not install (another distribution mixed in;
    tapegrad still works, the other package does not)."""
    errors: List[str] = []
    notes: List[str] = []
    record = _own_record(HERE)
    for pkg in PACKAGES:
        ours = HERE / pkg
        folder, init = _locate(pkg)
        if folder is None:
            errors.append(f"tapegrad's `{pkg}` package is missing (expected {ours}); "
                          f"reinstall it: pip install --force-reinstall --no-deps tapegrad")
            continue
        if folder != ours.resolve():
            owner = _owners(folder.parent, pkg)
            who = f" (from {', '.join(owner)})" if owner else ""
            errors.append(
                f"`import {pkg}` finds {folder}{who}, not tapegrad's {ours}: another "
                f"package named {pkg} comes first on sys.path and shadows tapegrad's. Fix: "
                + (f"pip uninstall {owner[0].split()[0]} (or use it in its own venv)"
                   if owner else f"rename or remove {folder} or take its folder off "
                                 f"sys.path/PYTHONPATH"))
            continue
        foreign: List[str] = []
        replaced: List[str] = []
        if init is None or MARKER not in _head(Path(init)):
            replaced.append("__init__.py")
        if record is not None:
            for entry in sorted(os.listdir(folder)):
                if entry == "__pycache__" or entry.endswith(".pyc"):
                    continue
                rel = f"{pkg}/{entry}"
                if (folder / entry).is_dir():
                    if not any(p.startswith(rel + "/") for p in record):
                        foreign.append(entry + "/")
                elif rel not in record:
                    foreign.append(entry)
                elif record[rel] >= 0 and (folder / entry).stat().st_size != record[rel] \
                        and entry not in replaced:
                    replaced.append(entry)
        if not replaced and not foreign:
            continue
        owner = _owners(folder.parent, pkg)
        who = ", ".join(owner) if owner else "another distribution"
        fix = (f"pip uninstall -y {owner[0].split()[0]} && pip install --force-reinstall "
               f"--no-deps tapegrad (and keep {owner[0].split()[0]} in a venv of its own)"
               if owner else "pip install --force-reinstall --no-deps tapegrad in a clean venv")
        files = ", ".join((replaced + foreign)[:6]) + (", ..." if len(replaced + foreign) > 6
                                                       else "")
        if replaced:
            errors.append(f"{folder} mixes tapegrad's `{pkg}` with {who}, installed into the "
                          f"same folder (not tapegrad's: {files}); Python can import only one "
                          f"package named {pkg}. Fix: {fix}")
        else:
            notes.append(f"{folder} holds files of {who} mixed into tapegrad's `{pkg}` "
                         f"({files}); tapegrad works, the other package does not. Fix: {fix}")
    return errors, notes


def _head(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(4096)
    except OSError:
        return ""


def check() -> None:
    """Raise :class:`InstallationError` on an error of :func:`problems`; warn on the rest."""
    errors, notes = problems()
    for n in notes:
        warnings.warn(f"tapegrad: {n}", RuntimeWarning, stacklevel=3)
    if errors:
        raise InstallationError("tapegrad: " + " | ".join(errors))


def _run_as_command() -> bool:
    """True when this process is the `tapegrad` command (console script, ``python -m
    tapegrad`` or ``python -m nn``)."""
    argv = list(getattr(sys, "orig_argv", sys.argv))
    if Path(sys.argv[0] if sys.argv else "").name in ("tapegrad", "tapegrad.exe"):
        return True
    return any(a == "-m" and b in ("tapegrad", "nn") for a, b in zip(argv, argv[1:]))


_DONE = False


def check_or_exit() -> None:
    """:func:`check` once per process; for the `tapegrad` command an error is one line on
    stderr and exit code 2 instead of a traceback."""
    global _DONE
    if _DONE:
        return
    _DONE = True
    try:
        check()
    except InstallationError as e:
        if _run_as_command():
            print(f"tapegrad: error: {str(e)[len('tapegrad: '):]}", file=sys.stderr)
            raise SystemExit(2) from None
        _DONE = False
        raise
