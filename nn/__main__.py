"""``python -m nn ...`` is the ``tapegrad`` command line (see nn/cli/)."""
import sys

from nn.cli import main

sys.exit(main())
