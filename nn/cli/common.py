"""What every subcommand shares: the user-error type, the argument types, the names of
the built-in datasets and models, and small formatting helpers."""
from __future__ import annotations

import argparse
import math
from typing import Any, Callable, Sequence

DATASETS = ("digits", "xor", "moons", "circles", "spirals", "addition")
MODELS = ("mlp", "cnn", "resnet", "transformer", "lstm")


class CLIError(Exception):
    """A user error: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are :class:`CLIError` (one line, exit code 2)."""

    def error(self, message: str):  # argparse would print the usage too
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


def first_line(e: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none."""
    s = str(e)
    return s.splitlines()[0] if s else type(e).__name__
