"""The safe expression language of `tapegrad graph "tanh(x * w + b)"`: names, numbers,
+ - * / ** @, unary -/+ and calls of autograd's public op functions. It is parsed with
``ast`` and walked by hand; nothing is ever passed to eval."""
from __future__ import annotations

import ast
import inspect
from typing import Any, Dict, FrozenSet, List, Sequence

import numpy as np

from .common import CLIError


def expr_funcs() -> FrozenSet[str]:
    """The function names an expression may call, derived from the op registry.

    A name qualifies when it is exported by ``autograd`` (in ``autograd.__all__``) and
    bound to the public function of a registered op (a primitive in ``autograd.OPS`` or
    a composite in ``autograd.COMPOSITES``; exported aliases such as ``swish`` for
    ``silu`` count too) that an expression can call, i.e. with tensors and numbers as
    positional arguments returning one tensor: it has at least one required positional
    parameter, no required keyword-only one, no required parameter annotated as a
    ``Sequence`` (an expression cannot write a list: cat, stack, pad), and its return
    annotation is not a ``Tuple`` (split, chunk, unbind). Unexported primitives (fill,
    setitem, ...) never qualify. Arguments that make no sense for an op (``cast(x, 1)``)
    fail when evaluated, with a one-line error.

    The one place to switch to a public-name table in ``autograd.registry``."""
    import autograd as ag

    def callable_in_expressions(fn: Any) -> bool:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return False
        required = [p for p in sig.parameters.values() if p.default is p.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return (any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in required)
                and not any(p.kind == p.KEYWORD_ONLY or "Sequence" in str(p.annotation)
                            for p in required)
                and "Tuple" not in str(sig.return_annotation))

    public = {n: getattr(ag, n) for n in ag.__all__}
    ops = {id(public[n]) for n in list(ag.OPS) + list(ag.COMPOSITES)
           if n in public and callable_in_expressions(public[n])}
    return frozenset(n for n, fn in public.items() if id(fn) in ops)


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b, ast.MatMult: lambda a, b: a @ b}
_UNOPS = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


def parse_expression(src: str) -> ast.Expression:
    """Parse with ``ast`` and allow only names, numbers, arithmetic and calls of
    :func:`expr_funcs`; nothing is ever passed to eval."""
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        raise CLIError(f"cannot parse expression {src!r}: {e.msg}") from None
    funcs = expr_funcs()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            if isinstance(node, ast.operator) and type(node) not in _BINOPS:
                raise CLIError(f"operator {type(node).__name__} is not allowed in expressions")
            if isinstance(node, ast.unaryop) and type(node) not in _UNOPS:
                raise CLIError(f"operator {type(node).__name__} is not allowed in expressions")
            continue
        if isinstance(node, ast.BinOp) or isinstance(node, ast.UnaryOp):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            continue
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise CLIError(f"name {node.id!r} is not allowed in expressions")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in funcs:
                what = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise CLIError(f"function {what!r} is not allowed; use one of "
                               f"{', '.join(sorted(funcs))}")
            if node.keywords:
                raise CLIError("keyword arguments are not allowed in expressions")
            continue
        raise CLIError(f"{type(node).__name__} is not allowed in expressions "
                       f"(only names, numbers, + - * / ** @ and function calls)")
    return tree


def expression_names(tree: ast.Expression) -> List[str]:
    """The variable names of an expression (not the called functions), in reading order."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = []
    for n in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name)),
                    key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(n, ast.Name) and id(n) not in called and n.id not in names:
            names.append(n.id)
    return names


def evaluate_expression(tree: ast.Expression, env: Dict[str, Any]) -> Any:
    """Evaluate a tree from :func:`parse_expression` with the variables in ``env``."""
    import autograd as ag

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNOPS[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Call):
            fn = getattr(ag, node.func.id)
            return fn(*[ev(a) for a in node.args])
        raise CLIError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    try:
        return ev(tree)
    except CLIError:
        raise
    except Exception as e:  # noqa: BLE001 - shape errors etc. from the user's expression
        raise CLIError(f"cannot evaluate expression: {str(e).splitlines()[0]}") from None


def parse_values(items: Sequence[str]) -> Dict[str, np.ndarray]:
    """``--values`` items (``x=0.5``, ``w=-2,b=1``, ``v=[1,2,3]``) as float64 arrays."""
    vals = {}
    for item in items:
        for part in _split_values(item):
            if "=" not in part:
                raise CLIError(f"--values: {part!r} is not NAME=VALUE; write a vector as "
                               f"x=[1,2,3] and several values as x=0.5 w=-2 (or x=0.5,w=-2)")
            k, v = part.split("=", 1)
            k = k.strip()
            if not k.isidentifier():
                raise CLIError(f"--values: {k!r} is not a name")
            try:
                val = ast.literal_eval(v.strip())
                arr = np.asarray(val, dtype=np.float64)
            except (ValueError, SyntaxError, TypeError):
                raise CLIError(f"--values: {k}={v} is not a number or a list of numbers; "
                               f"write x=0.5 or a vector as x=[1,2,3]") from None
            vals[k] = arr
    return vals


def _split_values(item: str) -> List[str]:
    """'x=0.5,w=[1,2],b=1' -> ['x=0.5', 'w=[1,2]', 'b=1'] (commas inside [] kept)."""
    out, depth, cur = [], 0, ""
    for ch in item:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [s for s in (o.strip() for o in out) if s]
