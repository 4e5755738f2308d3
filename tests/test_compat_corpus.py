"""The compatibility corpus (issue 12): PyTorch-style scripts in tests/compat_corpus/,
each run under torch 2.13 and, with only its torch import lines changed, under
tapegrad; their printed numbers must agree. At least 90% must run unchanged; every
script that does not is listed in KNOWN_FAILURES with the reason (and the list must
be exactly the failing set, so it cannot go stale).

The whole corpus runs in this one process (torch is imported once). Report:
``python tests/compat_corpus/runner.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "compat_corpus"))
import runner  # noqa: E402

# script -> why it does not run unchanged (empty: every script runs and matches)
KNOWN_FAILURES: dict = {}


def test_the_corpus_runs_unchanged_and_matches_torch(record_property):
    results = runner.run_all()
    rep = runner.report(results)
    print("\n" + rep)
    record_property("corpus", rep)
    assert len(results) >= 20, f"the corpus has only {len(results)} scripts"
    failing = {k for k, v in results.items() if v is not None}
    assert failing == set(KNOWN_FAILURES), rep
    assert len(results) - len(failing) >= 0.9 * len(results), rep


def test_the_port_changes_only_torch_import_lines():
    src = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
           "from torch import nn, optim\nfrom torch.utils.data import DataLoader\n"
           "import torch.optim\nx = torch.ones(2)  # import torch\n"
           "    import torch\ny = 'from torch import nn'\n")
    assert runner.port(src).splitlines() == [
        "import autograd as torch", "import autograd.nn as nn",
        "import autograd.nn.functional as F", "from autograd import nn, optim",
        "from autograd.utils.data import DataLoader", "import autograd.optim",
        "x = torch.ones(2)  # import torch", "    import autograd as torch",
        "y = 'from torch import nn'"]


def test_the_comparison_can_fail():
    assert runner.compare("loss 0.5000 True", "loss 0.5001 True") is None
    assert "number 0" in runner.compare("loss 0.5", "loss 0.6")
    assert "numbers printed" in runner.compare("1 2", "1")
    assert "words differ" in runner.compare("RuntimeError 1", "TypeError 1")
    assert "words differ" in runner.compare("True", "False")
    assert "nothing to compare" in runner.compare("hello", "hello")
    assert runner.compare("tensor([1.5000, 2.0000], dtype=torch.float64)",
                          "tensor([1.5, 2.], dtype=float64)") is None
