"""Run the compatibility corpus: each script under PyTorch and, with only its torch
imports changed, under tapegrad; compare what they print.

The port is the one-line substitution a user makes, applied to import lines only:
``import torch`` -> ``import autograd as torch``; ``import torch.X as Y`` ->
``import autograd.X as Y``; ``from torch import ...`` / ``from torch.X import ...`` ->
``from autograd ...``. Nothing else in the script changes.

Both runs happen in this process (torch's import is paid once), each script in a
fresh namespace with stdout captured. Printed numbers are compared (rtol 1e-3, atol
1e-4: float32 training loops accumulate rounding differently in the two libraries),
as are the words True/False and exception class names.

    python tests/compat_corpus/runner.py        # the report
"""
from __future__ import annotations

import contextlib
import io
import re
import sys
import traceback
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted(HERE.glob("c[0-9][0-9]_*.py"))
RTOL, ATOL = 1e-3, 1e-4

_IMPORTS = [
    (re.compile(r"^(\s*)import torch\s*$"), r"\1import autograd as torch"),
    (re.compile(r"^(\s*)import torch\.([\w.]+) as (\w+)\s*$"), r"\1import autograd.\2 as \3"),
    (re.compile(r"^(\s*)import torch\.([\w.]+)\s*$"), r"\1import autograd.\2"),
    (re.compile(r"^(\s*)from torch import "), r"\1from autograd import "),
    (re.compile(r"^(\s*)from torch\.([\w.]+) import "), r"\1from autograd.\2 import "),
]
_NUM = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])|\bnan\b|\binf\b")
_WORD = re.compile(r"\b(?:True|False|[A-Z][A-Za-z]*Error)\b")


def port(src: str) -> str:
    """The script with its torch import lines changed to tapegrad's, nothing else."""
    out = []
    for line in src.splitlines():
        for pat, rep in _IMPORTS:
            if pat.match(line):
                line = pat.sub(rep, line)
                break
        out.append(line)
    return "\n".join(out) + "\n"


def run(src: str, name: str) -> Tuple[str, Optional[str]]:
    """Execute ``src`` in a fresh namespace: (stdout, traceback text or None)."""
    buf = io.StringIO()
    err = None
    ns = {"__name__": "__main__", "__file__": name}
    with contextlib.redirect_stdout(buf):
        try:
            exec(compile(src, name, "exec"), ns)
        except Exception:  # noqa: BLE001 (the report shows it)
            err = traceback.format_exc(limit=-3)
    return buf.getvalue(), err


def _tokens(text: str) -> Tuple[List[float], List[str]]:
    nums = [float(m.group(0)) for m in _NUM.finditer(text)]
    return nums, _WORD.findall(text)


def compare(want: str, got: str) -> Optional[str]:
    """None when the outputs agree, else the first difference."""
    wn, ww = _tokens(want)
    gn, gw = _tokens(got)
    if ww != gw:
        return f"words differ: torch {ww[:12]} vs tapegrad {gw[:12]}"
    if len(wn) != len(gn):
        return f"{len(wn)} numbers printed by torch, {len(gn)} by tapegrad"
    for k, (a, b) in enumerate(zip(wn, gn)):
        if not (a == b or abs(a - b) <= ATOL + RTOL * abs(a)):
            return f"number {k}: torch {a} vs tapegrad {b}"
    if not wn and not ww:
        return "nothing to compare (the script printed no numbers)"
    return None


def run_all(scripts=SCRIPTS) -> Dict[str, Optional[str]]:
    """{script name: None if it ran unchanged and matched, else the reason}."""
    import torch  # noqa: F401  (imported once, before any script)

    results: Dict[str, Optional[str]] = {}
    for path in scripts:
        src = path.read_text()
        want, err = run(src, path.name)
        if err:
            results[path.stem] = f"fails under torch itself: {err.strip().splitlines()[-1]}"
            continue
        got, err = run(port(src), path.name)
        if err:
            results[path.stem] = "tapegrad raised: " + err.strip().splitlines()[-1]
            continue
        results[path.stem] = compare(want, got)
    return results


def report(results: Dict[str, Optional[str]]) -> str:
    ok = [k for k, v in results.items() if v is None]
    lines = [f"{len(ok)} of {len(results)} corpus scripts run unchanged and match torch "
             f"({100 * len(ok) / max(1, len(results)):.0f}%)"]
    lines += [f"  FAIL {k}: {v}" for k, v in results.items() if v is not None]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    print(report(run_all()))
