"""PyTorch scripts call nn.functional, the layers and the optimizers positionally and by
keyword: every parameter of ours that PyTorch 2.13 also has stands at PyTorch's position
and under PyTorch's name, so ``F.softmax(input=x, dim=1)`` or ``F.gelu(x, 'tanh')`` mean
the same thing here. (Extra trailing parameters of ours are allowed: PyTorch code never
passes them.)"""
from __future__ import annotations

import inspect
import re
from typing import List, Optional

import pytest
import torch

import nn
import nn.functional as F
import nn.optim as optim

# PyTorch functions whose signature is hidden behind *args (boolean dispatch, RNN's
# generic __init__): their real parameters, from PyTorch's documentation
_RNN = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
        "bidirectional"]
HIDDEN = {
    "F.max_pool2d": ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                     "return_indices"],
    "nn.RNN": _RNN[:3] + ["nonlinearity"] + _RNN[3:] + ["device", "dtype"],
    "nn.LSTM": _RNN + ["proj_size", "device", "dtype"],
    "nn.GRU": _RNN + ["device", "dtype"],
}


def _names(f) -> Optional[List[str]]:
    """The positional-or-keyword parameter names of ``f`` (self dropped), from its
    signature or, for a builtin, from its docstring's first line; None if neither."""
    try:
        ps = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        m = re.match(r"\s*\w+\(([^)]*)\)", (f.__doc__ or ""))
        if not m:
            return None
        names = []
        for part in m.group(1).split(","):
            part = part.strip()
            if part in ("*", "") or part.startswith("*"):
                break
            names.append(part.split("=")[0].split(":")[0].strip())
        return names
    names = [p.name for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names[1:] if names[:1] == ["self"] else names  # ([] for *args only)


def _pairs():
    for name in F.__all__:
        theirs = getattr(torch.nn.functional, name, None)
        if theirs is not None:
            yield f"F.{name}", getattr(F, name), theirs
    for name in dir(nn):
        ours, theirs = getattr(nn, name), getattr(torch.nn, name, None)
        if isinstance(ours, type) and isinstance(theirs, type) and issubclass(ours, nn.Module):
            yield f"nn.{name}", ours.__init__, theirs.__init__
    for name in dir(optim):
        ours, theirs = getattr(optim, name), getattr(torch.optim, name, None)
        if isinstance(ours, type) and isinstance(theirs, type):
            yield f"optim.{name}", ours.__init__, theirs.__init__


PAIRS = list(_pairs())


def test_the_comparison_covers_the_surface():
    assert len(PAIRS) > 80
    assert _names(torch.nn.functional.linear) == ["input", "weight", "bias"]


@pytest.mark.parametrize("label,ours,theirs", PAIRS, ids=[p[0] for p in PAIRS])
def test_parameters_stand_at_torchs_positions_under_torchs_names(label, ours, theirs):
    a, b = _names(ours), HIDDEN.get(label) or _names(theirs)
    assert a is not None and b is not None, label
    n = min(len(a), len(b))
    assert a[:n] == b[:n], f"{label}: ours {a}, PyTorch's {b}"


def test_every_torch_signature_is_read():
    unread = [label for label, _, theirs in PAIRS if label not in HIDDEN and _names(theirs) is None]
    assert not unread, unread


# autograd's own spellings at PyTorch's positions: NumPy's axis/keepdims, with PyTorch's
# dim/keepdim accepted as keywords (checked below); functions that are not torch's
ALIASES = {"axis": "dim", "keepdims": "keepdim"}
NOT_TORCHS = {
    "as_tensor": "as_tensor(x, like): like is autograd's; torch's dtype/device are keywords here too",
    "from_numpy": "one positional argument either way",
    "set_default_dtype": "one positional argument either way",
    "set_default_device": "one positional argument either way",
    "manual_seed": "one positional argument either way",
    "compile": "ag.compile replays a training step; torch.compile is a different API",
    "index_add": "autograd's scatter-add primitive (g, index, shape), not torch.index_add",
    "swapaxes": "one function with transpose (input, dim0, dim1); the positions agree",
    "true_divide": "one function with div (input, other); the positions agree",
}


def _ag_pairs():
    import autograd as ag
    for name in ag.__all__:
        ours, theirs = getattr(ag, name), getattr(torch, name, None)
        if theirs is None or isinstance(ours, type) or not callable(ours) or name in NOT_TORCHS:
            continue
        a, b = _names(ours), _names(theirs)
        if a is not None and b is not None:
            yield name, ours, a, b


AG_PAIRS = list(_ag_pairs())


@pytest.mark.parametrize("name,ours,a,b", AG_PAIRS, ids=[p[0] for p in AG_PAIRS])
def test_autograd_functions_take_torchs_positions(name, ours, a, b):
    n = min(len(a), len(b))
    params = inspect.signature(ours).parameters
    for v, w in zip(a[:n], b[:n]):
        assert v == w or ALIASES.get(v) == w, f"{name}: ours {a}, PyTorch's {b}"
        if v != w:  # torch's keyword spelling works too
            assert w in params, f"{name} takes {v} but not {w}="


def test_autograd_comparison_covers_the_functions():
    assert len(AG_PAIRS) > 120
