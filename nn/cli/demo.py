"""`tapegrad demo` (what `make demo` runs): train the digits, draw an expression's
graph, gradcheck every registered op, and say where the pictures are."""
from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from .common import positive
from .gradcheck import gradcheck_ops
from .graph import run as graph_run
from .train import train


def add_arguments(d: argparse.ArgumentParser) -> None:
    """The options of `tapegrad demo`."""
    d.add_argument("--out", type=Path, default=Path("demo_out"),
                   help="output folder (default: demo_out)")
    d.add_argument("--epochs", type=positive(int, "epochs"), default=None,
                   help="training epochs (default: train's, 20 for the digits)")
    d.add_argument("--no-progress", action="store_true", help="no progress bars")
    d.add_argument("--docs", type=Path, default=None, metavar="DIR",
                   help="also copy the pictures the README shows into DIR, e.g. docs/demo "
                        "(default: none)")


def run(args: argparse.Namespace) -> int:
    """Train the digits with the default CNN, draw graphs, gradcheck, say where things are.
    Exit code: the gradcheck's."""
    from . import build_parser  # the whole parser (nn.cli imports this module first)

    parser = build_parser()

    out: Path = args.out
    t0 = time.time()
    print("=== 1/3  tapegrad train --dataset digits (default CNN) ===", flush=True)
    targs = parser.parse_args(["train", "--dataset", "digits", "--out", str(out / "train")]
                              + (["--epochs", str(args.epochs)] if args.epochs else [])
                              + (["--no-progress"] if args.no_progress else []))
    metrics = train(targs)
    print("\n=== 2/3  tapegrad graph ===", flush=True)
    gargs = parser.parse_args(["graph", "tanh(x * w + b)", "--values", "x=0.5", "w=-2",
                               "b=1", "--out", str(out / "expression.svg")])
    graph_run(gargs)
    print("\n=== 3/3  tapegrad gradcheck ===", flush=True)
    cargs = parser.parse_args(["gradcheck"])
    rc = gradcheck_ops(cargs)
    print(f"\ndemo finished in {time.time() - t0:.0f} s: test accuracy "
          f"{metrics['test_acc']:.4f} on the digits. The pictures and metrics:")
    for p in sorted(out.rglob("*")):
        if p.suffix in (".png", ".svg", ".dot", ".json", ".pdf"):
            print(f"  {p}")
    if args.docs is not None:
        args.docs.mkdir(parents=True, exist_ok=True)
        for src in (out / "train" / "curves.png", out / "train" / "confusion_matrix.png",
                    out / "train" / "graph.svg", out / "expression.svg"):
            if src.is_file():
                shutil.copyfile(src, args.docs / src.name)
                print(f"  copied to {args.docs / src.name}")
    return rc

