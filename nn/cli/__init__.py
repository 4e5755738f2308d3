"""The ``tapegrad`` command line (also ``python -m nn``).

    tapegrad train                                   # digits, default CNN, ~1 min
    tapegrad train --dataset moons --model mlp --epochs 60 --out runs/moons
    tapegrad train --dataset spirals --optimizer adamw --lr 3e-3 --schedule plateau
    tapegrad train --resume runs/digits/checkpoint.safetensors --epochs 4
    tapegrad graph "tanh(x * w + b)" --values x=0.5 w=-2 b=1 --out graph.svg
    tapegrad graph --model cnn --out cnn.svg
    tapegrad gradcheck                               # every registered op
    tapegrad gradcheck --model mlp                   # a model's loss end to end
    tapegrad demo --out demo_out                     # what `make demo` runs
    tapegrad export --onnx model.onnx --checkpoint runs/digits/checkpoint.safetensors

Bad arguments (unknown dataset, negative learning rate, unreadable checkpoint, ...)
end with exit code 2 and one line on stderr, ``tapegrad: error: ...``, no traceback.

Layout: one module per subcommand (``train``, ``graph``, ``gradcheck``, ``demo``, ``export``), each
with ``add_arguments(parser)`` and ``run(args) -> exit code``; shared by them:
``common`` (CLIError, argument types, tables), ``data`` and ``models`` (the built-in
datasets and models), ``pictures`` (plots and graph rendering) and ``expr`` (the safe
expression language of ``graph``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import demo, export, gradcheck, graph, train
from .common import CLIError, Parser

__all__ = ["main", "build_parser", "CLIError"]

# (name, module, help) of each subcommand, in the order `tapegrad --help` lists them
COMMANDS = (
    ("train", train, "train a model on a built-in dataset"),
    ("graph", graph, "draw a model's or an expression's graph"),
    ("gradcheck", gradcheck, "gradcheck every registered op, or a model"),
    ("demo", demo, "what `make demo` runs: train digits, draw, gradcheck"),
    ("export", export, "export a trained checkpoint to ONNX"),
)


class _Version(argparse.Action):
    """``--version``: one unwrapped line, ``tapegrad 0.1.0 (/path/to/site-packages)``."""

    def __call__(self, parser, namespace, values, option_string=None):
        import autograd

        print(f"tapegrad {autograd.__version__} ({Path(autograd.__file__).parent.parent})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The `tapegrad` argument parser; each subcommand sets ``args.func`` to its ``run``."""
    import autograd

    p = Parser(prog="tapegrad", description="Train, draw and gradient-check tapegrad models.")
    p.add_argument("--version", action=_Version, nargs=0,
                   help="print the version and where tapegrad is installed, and exit")
    sub = p.add_subparsers(dest="command", metavar="{" + ",".join(c[0] for c in COMMANDS) + "}")
    sub.required = True
    for name, module, help_text in COMMANDS:
        sp = sub.add_parser(name, help=help_text)
        module.add_arguments(sp)
        sp.set_defaults(func=module.run)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run `tapegrad ARGV` (default sys.argv[1:]); returns the exit code: 0 on success,
    1 when a check failed, 2 (one line on stderr) for a user error, 130 on Ctrl-C."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except CLIError as e:
        msg = " ".join(str(e).split())
        print(f"tapegrad: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tapegrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:             # `tapegrad ... | head`: the reader went away
        sys.stderr.close()
        return 141
    except OSError as e:                # a file the user named cannot be read or written
        where = f" {e.filename}" if e.filename else ""
        print(f"tapegrad: error: cannot write or read{where}: {e.strerror or e}; check the "
              f"path and its permissions", file=sys.stderr)
        return 2

