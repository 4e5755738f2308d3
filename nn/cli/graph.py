"""`tapegrad graph`: draw the graph of an expression (with its values and gradients) or
of a model's loss on a random batch."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .common import DATASETS, MODELS, CLIError
from .expr import evaluate_expression, expr_funcs, expression_names, parse_expression, parse_values
from .models import untrained_model
from .pictures import render


def add_arguments(g: argparse.ArgumentParser) -> None:
    """The options of `tapegrad graph`."""
    g.add_argument("expression", nargs="?", default=None,
                   help='e.g. "tanh(x * w + b)"; names, numbers, + - * / ** @ and '
                        f"the functions {', '.join(sorted(expr_funcs()))}")
    g.add_argument("--values", nargs="*", default=[], metavar="NAME=VALUE",
                   help="x=0.5 w=-2 or v=[1,2,3] (unset names get seeded random values)")
    g.add_argument("--model", choices=MODELS, default=None)
    g.add_argument("--dataset", choices=DATASETS, default=None,
                   help="the input shape for --model (default: digits for cnn/resnet)")
    g.add_argument("--out", type=Path, default=Path("graph.svg"),
                   help=".svg, .png, .pdf (needs Graphviz's dot) or .dot")
    g.add_argument("--no-backward", action="store_true", help="no backward pass (no grads)")
    g.add_argument("--collapse", action="store_true", help="one box per module (models)")
    g.add_argument("--rankdir", choices=("LR", "TB", "BT", "RL"), default=None)
    g.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    """The `graph` subcommand: print an expression's value and gradients, or build the
    model's loss, then draw it to --out."""
    import autograd as ag

    if (args.expression is None) == (args.model is None):
        raise CLIError("give either an expression or --model")
    options = dict(rankdir=args.rankdir, show_grads=not args.no_backward)
    if args.expression is not None:
        tree = parse_expression(args.expression)
        vals = parse_values(args.values)
        rng = np.random.default_rng(args.seed)
        env = {}
        for n in expression_names(tree):
            v = vals[n] if n in vals else np.round(rng.standard_normal(), 3)
            env[n] = ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
            env[n].name = n
        out = evaluate_expression(tree, env)
        if not isinstance(out, ag.Tensor):
            raise CLIError("the expression does not depend on any variable")
        print(f"{args.expression} = {np.asarray(out).round(6).tolist()}")
        for n, t in env.items():
            print(f"  {n} = {np.asarray(t).round(6).tolist()}")
        if not args.no_backward and out.requires_grad:
            (out.sum() if out.ndim else out).backward(retain_graph=True)
            for n, t in env.items():
                if t.grad is not None:
                    print(f"  d/d{n} = {np.asarray(t.grad).round(6).tolist()}")
        path = render(out, args.out, **options)
    else:
        import nn

        model, _, in_shape, _ = untrained_model(args.model, args.dataset, args.seed)
        x = ag.tensor(np.random.default_rng(args.seed).standard_normal((2,) + in_shape)
                      .astype(np.float32))
        loss = nn.CrossEntropyLoss()(model(x), ag.tensor(np.array([0, 1])))
        if not args.no_backward:
            loss.backward(retain_graph=True)
        path = render(loss, args.out, collapse=args.collapse or None, names=model, **options)
    print(f"wrote {path}")
    return 0
