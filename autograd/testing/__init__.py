"""Samples for every registered op: the one table the generic tests iterate over.

``OP_DB[name]`` is an :class:`OpEntry` for each primitive in ``autograd.OPS`` and each
composite in ``autograd.COMPOSITES``: the callable, whether it is differentiable and
smooth (from the registry), a default PyTorch reference and a list of
:class:`Sample`\\ s. A sample states only inputs and attributes:

* ``inputs``: NumPy arrays, in call order. Float arrays become tensors that require
  grad (float64), except positions listed in ``nondiff``; bool/int arrays (``where``'s
  condition) are passed as constant tensors.
* ``attrs``: the non-tensor arguments. Primitives are called as
  ``OPS[name](*tensors, **attrs)`` with their *internal* attributes, built here with
  the same normalisers the public wrappers use (``norm_axis``, ``normalize_index``,
  ``pair``); composites are called as ``fn(*tensors, **attrs)`` with public keywords.
  (conv2d and max_pool2d are primitives reached through their public function, so
  their samples use public keywords.)
* ``call``: optional ``call(fn, *tensors, **attrs)`` replacing the plain call; the
  "public forms" section uses it to reach each op through the functions and methods
  users write (``x.max(1)``, ``x[0, :, [1, 1]]``, ``y *= y``, ``clamp(x, t_lo, t_hi)``).
* ``ref``: optional PyTorch reference ``ref(torch, *torch_tensors)``; when None the
  entry's default ``ref(torch, *torch_tensors, **attrs)`` is used. ``torch`` is passed
  in, so this module imports without it.

Inputs stay inside each op's domain (log/sqrt positive, pow base positive, divisors
away from 0) and off its kinks (``dodge``; ``distinct`` for max/min so there are no
ties). Samples that deliberately sit on a kink or a tie to pin a subgradient
convention against PyTorch carry ``grad=False`` (finite differences are meaningless
there) and are compared with PyTorch only.

Besides the per-op builders, later sections add extreme arguments (saturation),
empty batches, mixed float/int dtypes and the public forms.

Shapes are small (a few to ~50 elements): gradcheck costs one backward per output
element and two forwards per input element.

The samples live in the package (as PyTorch keeps OpInfo in ``torch.testing``), so the
suite, the ``tapegrad gradcheck`` command and an installed wheel check the same table.
Importing this package builds it; ``autograd`` itself never imports it.
"""
from __future__ import annotations

from typing import Dict

from ..registry import COMPOSITES, OPS
from . import elementwise, reduce, shape, nn, composites, rounding, torchmath  # noqa: F401  (per-op builders)
from . import nnlayers  # noqa: F401  (issue 13: conv1d, conv_transpose2d, resampling, norms, losses)
from . import forms  # noqa: F401  (after the builders: it extends their lists)
from ._base import DB, REFS, OpEntry, Sample, distinct, dodge, make_inputs

__all__ = ["Sample", "OpEntry", "OP_DB", "UNREGISTERED", "dodge", "distinct", "all_cases",
           "make_inputs"]


def _build() -> Dict[str, OpEntry]:
    db: Dict[str, OpEntry] = {}
    for name, op in OPS.items():
        db[name] = OpEntry(name, op, "primitive", op.differentiable, op.smooth,
                           REFS.get(name), DB.get(name, []))
    for name, (fn, smooth) in COMPOSITES.items():
        db[name] = OpEntry(name, fn, "composite", True, smooth, REFS.get(name),
                           DB.get(name, []))
    return db


OP_DB: Dict[str, OpEntry] = _build()

# sample lists for names nobody registered (a typo, or an op that was removed)
UNREGISTERED = sorted(set(DB) - set(OP_DB))


def all_cases():
    """(name, index, entry, sample) for every sample of every op."""
    for name, entry in OP_DB.items():
        for i, s in enumerate(entry.samples):
            yield name, i, entry, s
