"""nn.save / nn.load: checkpoints as safetensors files, which cannot run code when loaded.

``nn.save(obj, f)`` writes the object tree ``obj`` (e.g. ``{"model": model.state_dict(),
"optim": opt.state_dict(), "epoch": 3}``) as a ``.safetensors`` file: every array and
tensor of the tree is a tensor of the file under its dotted path (``model.conv.weight``,
``optim.state.0.exp_avg``) and the rest of the tree (numbers, strings, lists, the
optimizer's hyperparameters, which container is a tuple or an OrderedDict, which
tensor requires grad) is JSON in the metadata entry ``tapegrad.tree`` (see
``_tree.py``). ``nn.load(f)`` rebuilds the same tree. Any safetensors reader
(``safetensors.torch.load_file``) sees the tensors.

``nn.save_state_dict(state_dict, f)`` / ``nn.load_state_dict_file(f)`` write and read
plain flat state dicts (name -> tensor), the files ``safetensors.torch.save_file`` and
``load_file`` exchange with PyTorch; ``nn.load`` of such a file gives the same dict.

Files of tapegrad's first format (``b"TAPEGRAD"`` magic) still load, read-only
(``_legacy.py``).

What loading promises, for paths and file objects alike: no code runs (no pickle, no
eval); memory at most about 2x the file size (plus 16 MiB), whatever the header claims
(huge or overlapping extents, headers of many tiny entries); every malformed file is a
:class:`CheckpointError` (a ValueError) saying what is wrong; FIFOs, devices,
directories and symlinks to them are refused without blocking. Saving to a path is
atomic (temporary file, fsync, rename), and a save removes the temporaries that
killed saves of the same path left behind.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import IO, Any, Dict, Mapping, Optional, Union

import numpy as np

import autograd as ag
from autograd import Tensor

from . import _json, _legacy, _safetensors, _tree
from ._files import CheckpointError, atomic_write, open_source

__all__ = ["save", "load", "save_state_dict", "load_state_dict_file", "CheckpointError"]

FileLike = Union[str, "os.PathLike[str]", IO[bytes]]
FORMAT = "tapegrad"


def _bad_for(name: str) -> Any:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(f"nn.load: {name} is not a valid tapegrad checkpoint: {why}")
    return bad


def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` to ``f`` (a path, replaced atomically, or a writable binary file
    object) as a safetensors file; ``nn.load(f)`` rebuilds it.

    ``obj`` is a tree of dicts (str or int keys), lists, tuples, None, bools, ints,
    floats, strings, NumPy arrays and scalars and Tensors. TypeError names anything else.

    >>> import autograd as ag, nn
    >>> import io
    >>> buf = io.BytesIO()
    >>> nn.save({'model': nn.Linear(2, 1).state_dict(), 'epoch': 5}, buf); _ = buf.seek(0)
    >>> nn.load(buf)['epoch']
    5
    """
    tree, arrays = _tree.encode(obj)
    meta = {"format": "pt", "tapegrad.format": FORMAT, "tapegrad.version": "2",
            _tree.TREE_KEY: tree}
    atomic_write(f, lambda out: _safetensors.write(out, arrays, meta, "nn.save", digest=True), "nn.save")


def save_state_dict(state_dict: Mapping[str, Any], f: FileLike,
                    metadata: Optional[Mapping[str, str]] = None) -> None:
    """Write a flat state dict (name -> Tensor or array, e.g. ``model.state_dict()``) as a
    plain safetensors file, the file ``safetensors.torch.load_file`` reads into a torch
    state dict. ``metadata`` (str -> str) goes into the header's ``__metadata__``.

    >>> import autograd as ag, nn
    >>> import io
    >>> buf = io.BytesIO()
    >>> nn.save_state_dict({'w': ag.ones(2, 3)}, buf, metadata={'format': 'pt'}); _ = buf.seek(0)
    >>> nn.load_state_dict_file(buf)['w'].shape
    (2, 3)
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"save_state_dict: expected a mapping name -> tensor, got "
                        f"{type(state_dict).__name__}")
    arrays = []
    for k, v in state_dict.items():
        if not isinstance(k, str) or k == "__metadata__":
            raise TypeError(f"save_state_dict: keys must be strings other than '__metadata__', "
                            f"got {k!r}")
        if isinstance(v, Tensor):
            v = v.detach().numpy()
        elif isinstance(v, np.generic):
            v = np.asarray(v)
        if not isinstance(v, np.ndarray):
            raise TypeError(f"save_state_dict: {k!r} is a {type(v).__name__}, not a tensor; "
                            f"a flat state dict holds only tensors (use nn.save for trees)")
        arrays.append((k, v))
    meta = {"format": "pt"}
    if metadata:
        for k, v in metadata.items():
            if not (isinstance(k, str) and isinstance(v, str)):
                raise TypeError(f"save_state_dict: metadata must map str to str, got {k!r}: {v!r}")
        meta.update(metadata)
    atomic_write(f, lambda out: _safetensors.write(out, arrays, meta, "save_state_dict"),
                 "save_state_dict")


def _read(f: FileLike, who: str) -> Any:
    """(kind, metadata, arrays) for a safetensors file, or ("legacy", tree, None)."""
    with open_source(f, who) as src:
        bad = _bad_for(repr(src.name) if isinstance(f, (str, bytes, os.PathLike)) else src.name)
        head = src.read(0, 8)
        if head == _legacy.MAGIC:
            return "legacy", _legacy.read(src, bad), None
        if head[:1] == b"\x80":
            raise bad("it looks like a pickle file, which tapegrad never loads")
        if head[:4] == b"PK\x03\x04":
            raise bad("it is a zip archive (a torch.save file?); tapegrad never unpickles: "
                      "save the weights with safetensors.torch.save_file instead")
        meta, arrays = _safetensors.read(src, bad)
        return "safetensors", meta, arrays


def _flat(arrays: Dict[str, np.ndarray]) -> "OrderedDict[str, Tensor]":
    return OrderedDict((k, ag.from_numpy(a)) for k, a in arrays.items())


def load(f: FileLike) -> Any:
    """Read a checkpoint: the tree ``nn.save`` wrote, a flat ``{name: Tensor}`` dict for
    any other safetensors file (e.g. from ``safetensors.torch.save_file``), or a file of
    tapegrad's first format. Raises CheckpointError (a ValueError) for anything else.

    >>> import autograd as ag, nn
    >>> import io
    >>> buf = io.BytesIO(); nn.save({'w': ag.ones(2), 'step': 3}, buf); _ = buf.seek(0)
    >>> ck = nn.load(buf)
    >>> ck['w'].tolist(), ck['step']
    ([1.0, 1.0], 3)
    """
    kind, meta, arrays = _read(f, "nn.load")
    if kind == "legacy":
        return meta
    tree = meta.get(_tree.TREE_KEY)
    if tree is None:
        return _flat(arrays)
    bad = _bad_for(repr(f) if isinstance(f, str) else "the file")
    return _tree.decode(_json.parse(tree, floats=True, bad=bad), arrays, bad)


def load_state_dict_file(f: FileLike) -> "OrderedDict[str, Tensor]":
    """Every tensor of a safetensors file by name, as Tensors (in file order): a state dict
    saved by ``save_state_dict`` or ``safetensors.torch.save_file``, or the dotted-path
    tensors of an ``nn.save`` checkpoint. Raises CheckpointError for a malformed file.

    >>> import autograd as ag, nn
    >>> import io
    >>> buf = io.BytesIO(); nn.save_state_dict(nn.Linear(2, 1).state_dict(), buf); _ = buf.seek(0)
    >>> {k: v.shape for k, v in nn.load_state_dict_file(buf).items()}
    {'weight': (1, 2), 'bias': (1,)}
    """
    kind, meta, arrays = _read(f, "load_state_dict_file")
    if kind == "legacy":
        raise CheckpointError("load_state_dict_file: this is a checkpoint of tapegrad's first "
                              "format, not safetensors; read it with nn.load")
    return _flat(arrays)
