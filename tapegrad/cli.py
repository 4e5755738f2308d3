"""The ``tapegrad`` console script: the installation check (on importing tapegrad),
then nn.cli's ``main``."""
from __future__ import annotations

from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``tapegrad ARGV``; see :func:`nn.cli.main`."""
    from nn.cli import main as cli_main
    return cli_main(argv)
