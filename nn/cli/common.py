"""What every subcommand shares: the user-error type, the argument types, the names of
the built-in datasets and models, and small formatting helpers."""
from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

DATASETS = ("digits", "xor", "moons", "circles", "spirals", "addition")
MODELS = ("mlp", "cnn", "resnet", "transformer", "lstm")


class CLIError(Exception):
    """A user error: printed as one line, exit code 2."""


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that states every default: an option whose help does not mention its
    default gets "(default: X)" appended (like argparse.ArgumentDefaultsHelpFormatter,
    but not for flags, None or a default the text already gives)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        d = action.default
        if ("default" in text.lower() or d is None or d is False or d == []
                or d is argparse.SUPPRESS or action.nargs == 0):
            return text
        shown = " ".join(map(str, d)) if isinstance(d, (list, tuple)) else str(d)
        return f"{text} (default: {shown})".strip()


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are :class:`CLIError` (one line, exit code 2) and
    whose help states the defaults (:class:`DefaultsFormatter`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # argparse would print the usage too
        if message.startswith("the following arguments are required: {"):
            names = message.split("{", 1)[1].split("}", 1)[0].replace(",", ", ")
            message = f"give a subcommand: one of {names} ({self.prog} --help lists them)"
        raise CLIError(message)


def positive(kind: Callable, name: str, allow_zero: bool = False) -> Callable[[str], Any]:
    """An argparse type: ``kind(s)``, finite and > 0 (>= 0 with ``allow_zero``)."""
    def parse(s: str):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {s!r}") from None
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            need = "non-negative" if allow_zero else "positive"
            raise argparse.ArgumentTypeError(f"{name} must be {need}, got {s}")
        return v
    parse.__name__ = name
    return parse


def unit(name: str) -> Callable[[str], float]:
    """An argparse type: a float in [0, 1)."""
    def parse(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {s!r}") from None
        if not 0 <= v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be in [0, 1), got {s}")
        return v
    parse.__name__ = name
    return parse


def table(rows: Sequence[Sequence[str]]) -> str:
    """A boxed text table; the first row is the header, the first column left-aligned."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = ["+" + line + "+"]
    for j, r in enumerate(rows):
        out.append("| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                     for i, (c, w) in enumerate(zip(r, widths))) + " |")
        if j == 0:
            out.append("+" + line + "+")
    out.append("+" + line + "+")
    return "\n".join(out)


def check_writable(path: Path, what: str) -> None:
    """Fail (CLIError) when ``path`` could not be created: an ancestor is a file, or the
    nearest existing folder is not writable. Creates nothing."""
    probe = path.parent if path.suffix else path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise CLIError(f"cannot write {what} {path}: {probe} is a file, not a folder; "
                       f"choose another path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CLIError(f"cannot write {what} {path}: the folder {probe} is not writable; "
                       f"choose another path")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``:
    never a half-written file (the parent folders are created)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise CLIError(f"cannot write {path}: {e.strerror}; choose another path") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise CLIError(f"cannot write {path}: {e.strerror}; choose another path") from None
        raise


def first_line(e: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none."""
    s = str(e)
    return s.splitlines()[0] if s else type(e).__name__
