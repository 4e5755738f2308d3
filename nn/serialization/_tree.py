"""The object tree of an ``nn.save`` checkpoint: arrays out, the rest as JSON.

Every array and tensor of the tree becomes a safetensors tensor named by its dotted
path (``model.conv.weight``, ``optim.state.0.exp_avg``); the tree itself is stored as
JSON in the metadata entry ``tapegrad.tree``, with the arrays replaced by references.
Plain JSON carries what it can (None, bools, ints, finite floats, strings, lists,
dicts with string keys); tagged objects carry the rest, so ``load`` rebuilds the same
types::

    {"$tensor": "model.w", "requires_grad": true}   a Tensor (its data in the file)
    {"$array": "x"}  /  {"$array": "x", "scalar": true}   an ndarray / a NumPy scalar
    {"$tuple": [...]}                                   a tuple
    {"$dict": [[key, value], ...]}                      a dict with int (or "$..") keys
    {"$odict": [[key, value], ...]}                     an OrderedDict
    {"$float": "nan" | "inf" | "-inf"}                  a non-finite float
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Set, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["encode", "decode", "TREE_KEY"]

TREE_KEY = "tapegrad.tree"
MAX_DEPTH = 100


def _key(parts: List[str], taken: Set[str]) -> str:
    base = ".".join(parts) or "tensor"
    if base == "__metadata__":
        base = "__metadata__.0"
    key, i = base, 1
    while key in taken:                     # "a.b" as one dict key and as a path
        key, i = f"{base}#{i}", i + 1
    taken.add(key)
    return key


def encode(obj: Any) -> Tuple[str, List[Tuple[str, np.ndarray]]]:
    """(tree JSON, [(name, array)]) for ``obj``; TypeError names what cannot be saved."""
    arrays: List[Tuple[str, np.ndarray]] = []
    taken: Set[str] = set()

    def enc(o: Any, parts: List[str]) -> Any:
        if isinstance(o, Tensor):
            k = _key(parts, taken)
            arrays.append((k, np.asarray(o.detach().numpy())))
            return {"$tensor": k, "requires_grad": True} if o.requires_grad else {"$tensor": k}
        if isinstance(o, np.ndarray):
            k = _key(parts, taken)
            arrays.append((k, o))
            return {"$array": k}
        if isinstance(o, np.generic):
            k = _key(parts, taken)
            arrays.append((k, np.asarray(o)))
            return {"$array": k, "scalar": True}
        if o is None or isinstance(o, (bool, str)):
            return o
        if isinstance(o, int):
            return int(o)
        if isinstance(o, float):
            if math.isfinite(o):
                return float(o)
            return {"$float": "nan" if o != o else ("inf" if o > 0 else "-inf")}
        if isinstance(o, dict):
            for k in o:
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(f"nn.save: dict keys must be str or int, got "
                                    f"{type(k).__name__} ({k!r})")
            items = [(k, enc(v, parts + [str(k)])) for k, v in o.items()]
            if isinstance(o, OrderedDict):
                return {"$odict": [[k, v] for k, v in items]}
            if all(isinstance(k, str) and not k.startswith("$") for k, _ in items):
                return {k: v for k, v in items}
            return {"$dict": [[k, v] for k, v in items]}
        if isinstance(o, (list, tuple)):
            items = [enc(v, parts + [str(i)]) for i, v in enumerate(o)]
            return items if isinstance(o, list) else {"$tuple": items}
        raise TypeError(f"nn.save: cannot save an object of type {type(o).__name__}; save "
                        f"state dicts (dicts, lists and tuples of arrays, tensors, numbers "
                        f"and strings), e.g. model.state_dict()")

    tree = enc(obj, [])
    return json.dumps(tree, separators=(",", ":"), ensure_ascii=True, allow_nan=False), arrays


def decode(tree: Any, arrays: Dict[str, np.ndarray], bad: Callable[[str], Exception]) -> Any:
    """Rebuild the object from the parsed tree JSON and the file's arrays. Each array is
    referenced at most once (no aliasing, no copies)."""
    used: Set[str] = set()

    def ref(k: Any) -> np.ndarray:
        if not isinstance(k, str) or k not in arrays:
            raise bad(f"the tree refers to a tensor {str(k)[:60]!r} the file does not hold")
        if k in used:
            raise bad(f"the tree refers to tensor {k[:60]!r} twice")
        used.add(k)
        return arrays[k]

    def items(v: Any, d: int) -> List[Tuple[Any, Any]]:
        if not isinstance(v, list):
            raise bad("a malformed dict in the tree")
        out = []
        for it in v:
            if not (isinstance(it, list) and len(it) == 2 and isinstance(it[0], (str, int))
                    and not isinstance(it[0], bool)):
                raise bad("a malformed dict item in the tree")
            out.append((it[0], dec(it[1], d + 1)))
        return out

    def dec(o: Any, d: int) -> Any:
        if d > MAX_DEPTH:
            raise bad("the tree is nested too deeply")
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if isinstance(o, list):
            return [dec(v, d + 1) for v in o]
        if not isinstance(o, dict):
            raise bad("a malformed entry in the tree")
        tags = [k for k in o if k.startswith("$")]
        if not tags:
            return {k: dec(v, d + 1) for k, v in o.items()}
        tag = tags[0]
        extra = set(o) - {tag, "requires_grad", "scalar"}
        if len(tags) != 1 or extra:
            raise bad(f"a malformed tagged entry {sorted(o)[:4]} in the tree")
        v = o[tag]
        if tag == "$tensor":
            rg = o.get("requires_grad", False)
            if not isinstance(rg, bool):
                raise bad("a malformed requires_grad in the tree")
            arr = ref(v)
            t = ag.from_numpy(arr)
            if rg:
                if arr.dtype.kind != "f":
                    raise bad(f"tensor {v[:60]!r} of {arr.dtype} cannot require grad")
                t.requires_grad_()
            return t
        if tag == "$array":
            arr = ref(v)
            if o.get("scalar", False) is True:
                if arr.ndim:
                    raise bad(f"the scalar {v[:60]!r} has shape {arr.shape}")
                return arr[()]
            return arr
        if tag == "$tuple":
            if not isinstance(v, list):
                raise bad("a malformed tuple in the tree")
            return tuple(dec(x, d + 1) for x in v)
        if tag == "$dict":
            return dict(items(v, d))
        if tag == "$odict":
            return OrderedDict(items(v, d))
        if tag == "$float":
            if v not in ("nan", "inf", "-inf"):
                raise bad("a malformed float in the tree")
            return float(v)
        raise bad(f"unknown entry type {tag[:20]!r} in the tree")

    return dec(tree, 0)
