"""``python -m tapegrad ...`` is the ``tapegrad`` command line (nn/cli/)."""
import sys

from tapegrad.cli import main

if __name__ == "__main__":
    sys.exit(main())
