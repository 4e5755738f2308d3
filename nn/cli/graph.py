"""`tapegrad graph`: draw the graph of an expression (with its values and gradients) or
of a model's loss on a random batch."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .common import DATASETS, MODELS, CLIError
from .expr import evaluate_expression, expr_funcs, expression_names, parse_expression, parse_values
from .models import untrained_model
from .pictures import check_graph_path, render


def add_arguments(g: argparse.ArgumentParser) -> None:
    """The options of `tapegrad graph`."""
    g.add_argument("expression", nargs="?", default=None,
                   help='e.g. "tanh(x * w + b)"; names, numbers, + - * / ** @ and '
                        f"the functions {', '.join(sorted(expr_funcs()))}")
    g.add_argument("--values", nargs="*", default=[], metavar="NAME=VALUE",
                   help="x=0.5 w=-2 (or x=0.5,w=-2), a vector as v=[1,2,3]; a variable left "
                        "out gets a random value from --seed, printed as such")
    g.add_argument("--model", choices=MODELS, default=None,
                   help="draw this model's loss on a random batch instead of an expression "
                        "(default: none)")
    g.add_argument("--dataset", choices=DATASETS, default=None,
                   help="the input shape for --model (default: digits for cnn/resnet, moons "
                        "for mlp)")
    g.add_argument("--out", type=Path, default=Path("graph.svg"),
                   help=".svg, .png, .pdf (needs Graphviz's dot) or .dot (default: graph.svg)")
    g.add_argument("--no-backward", action="store_true", help="no backward pass (no grads)")
    g.add_argument("--collapse", action="store_true", help="one box per module (models)")
    g.add_argument("--rankdir", choices=("LR", "TB", "BT", "RL"), default=None,
                   help="layout direction (default: TB, top to bottom)")
    g.add_argument("--seed", type=int, default=0,
                   help="of the random values and the model's input (default: 0)")


def run(args: argparse.Namespace) -> int:
    """The `graph` subcommand: print an expression's value and gradients, or build the
    model's loss, then draw it to --out. Everything is checked (the expression, --values,
    --out) before anything is computed or written."""
    import autograd as ag
    from autograd import viz

    if (args.expression is None) == (args.model is None):
        raise CLIError("give either an expression (tapegrad graph \"tanh(x * w + b)\") or "
                       "--model")
    check_graph_path(args.out)
    options = dict(rankdir=args.rankdir, show_grads=not args.no_backward)
    if args.expression is not None:
        if args.collapse:
            raise CLIError("--collapse folds a model's modules; use it with --model")
        tree = parse_expression(args.expression)
        vals = parse_values(args.values)
        names = expression_names(tree)
        extra = sorted(set(vals) - set(names))
        if extra:
            raise CLIError(f"--values names {', '.join(extra)}, not a variable of the "
                           f"expression (its variables: {', '.join(names) or 'none'})")
        rng = np.random.default_rng(args.seed)
        env, drawn = {}, []
        for n in names:
            if n in vals:
                v = vals[n]
            else:
                v = np.round(rng.standard_normal(), 3)
                drawn.append(n)
            env[n] = ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
            env[n].name = n
        with np.errstate(all="ignore"):
            out = evaluate_expression(tree, env)
            if not isinstance(out, ag.Tensor):
                raise CLIError("the expression does not depend on any variable")
            root = out.sum() if out.ndim else out
            if not args.no_backward and out.requires_grad:
                viz.record(root)            # every node's and edge's gradient for the picture
        print(f"{args.expression} = {_show(out)}")
        for n, t in env.items():
            note = (f"   (not in --values: a random value from --seed {args.seed}; set it "
                    f"with --values {n}=...)" if n in drawn else "")
            print(f"  {n} = {_show(t)}{note}")
        for n, t in env.items():
            if t.grad is not None:
                print(f"  d/d{n} = {_show(t.grad)}")
        finite = [np.isfinite(out.detach().numpy()).all()] + [
            np.isfinite(t.grad.numpy()).all() for t in env.values() if t.grad is not None]
        if not all(finite):
            print("  note: some values or gradients are not finite (inf/nan): the expression "
                  "divides by zero or leaves a function's domain at these values")
        with np.errstate(all="ignore"):
            path = render(root, args.out, **options)
    else:
        import nn

        if args.values:
            raise CLIError("--values sets an expression's variables; --model draws the "
                           "model's loss on a random batch (use --seed to change it)")
        model, _, in_shape, _ = untrained_model(args.model, args.dataset, args.seed)
        x = ag.tensor(np.random.default_rng(args.seed).standard_normal((2,) + in_shape)
                      .astype(np.float32))
        loss = nn.CrossEntropyLoss()(model(x), ag.tensor(np.array([0, 1])))
        if not args.no_backward:
            viz.record(loss)
        with np.errstate(all="ignore"):
            path = render(loss, args.out, collapse=args.collapse or None, names=model,
                          **options)
    print(f"wrote {path}")
    return 0


def _show(t) -> list:
    return np.asarray(t.detach().numpy()).round(6).tolist()
