"""The op inventory (docs/ops.md), generated from the registry's tables.

    python -m autograd.testing.inventory > docs/ops.md

One row per registered op: its kind, the public names and Tensor methods that reach
it, whether it is smooth (gradgradchecked), how many samples check it, and the formula
from its declaration. tests/test_registry.py fails when docs/ops.md is stale.
"""
from __future__ import annotations

from typing import Dict, List

from ..registry import COMPOSITES, METHODS, OPS, PUBLIC
from . import OP_DB

__all__ = ["inventory"]


def _names_of(fn, table: Dict) -> List[str]:
    return sorted(n for n, f in table.items() if f is fn)


def inventory() -> str:
    """The Markdown table of every registered op."""
    rows = ["# The ops", "",
            "Generated from the registry (`python -m autograd.testing.inventory > docs/ops.md`);",
            "do not edit by hand. *public* and *methods* list the `autograd.<name>` functions and",
            "the Tensor methods bound to the op's own public function.", "",
            "| op | kind | public | methods | smooth | samples | formula |",
            "|---|---|---|---|---|---|---|"]
    entries = [(n, "primitive", op, op.smooth, op.doc) for n, op in OPS.items()]
    entries += [(n, "composite", fn, smooth, (fn.__doc__ or "").strip().split("\n")[0])
                for n, (fn, smooth) in COMPOSITES.items()]
    for name, kind, obj, smooth, doc in sorted(entries):
        fn = PUBLIC.get(name, obj)
        if kind == "primitive" and not OPS[name].differentiable:
            smooth_s = "not differentiable"
        else:
            smooth_s = "yes" if smooth else "no"
        pub = ", ".join(f"`{n}`" for n in _names_of(fn, PUBLIC)) or "-"
        meth = ", ".join(f"`{n}`" for n in _names_of(fn, METHODS)) or "-"
        doc = doc.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{name}` | {kind} | {pub} | {meth} | {smooth_s} | "
                    f"{len(OP_DB[name].samples)} | {doc} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(inventory(), end="")
