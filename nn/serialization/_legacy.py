"""Reading checkpoints of tapegrad's first format (read-only; ``nn.save`` now writes
safetensors).

Layout (little-endian)::

    b"TAPEGRAD" | u16 version | u64 header_len | header (UTF-8 JSON) | data | sha256(32 B)

The JSON header describes the tree (typed nodes ``{"t": "dict" | "list" | "tuple" |
"int" | "float" | "v" | "array" | "tensor", ...}``); every array entry names its dtype
(from a fixed allow-list), shape, offset and byte length inside ``data``. Loading
checks the magic, the version, the header length against the file, the budget
(2x the file plus a fixed slack, the header's parse cost bounded from its bytes), the
checksum over header and data (streamed, in 1 MiB blocks), strict JSON, then every
array entry (dtype, shape, extent inside the data) and that no two extents overlap,
all before any array is allocated; arrays are read straight into their own buffers.
No pickle, no eval, no allocation sized by unchecked numbers.
"""
from __future__ import annotations

import hashlib
import math
import struct
from typing import Any, Callable, Dict, List

import numpy as np

import autograd as ag

from . import _json
from ._files import Source, budget

__all__ = ["MAGIC", "read"]

MAGIC = b"TAPEGRAD"
VERSION = 1
MAX_HEADER = 64 * 1024 * 1024
_ALLOWED = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8"}
_PRE = struct.Struct("<8sHQ")
_MAX_BYTES = 2 ** 62


def read(src: Source, bad: Callable[[str], Exception]) -> Any:
    size = src.size
    pre = src.read(0, _PRE.size)
    if len(pre) < _PRE.size:
        raise bad("the file is too short (truncated, or not a checkpoint)")
    magic, version, hlen = _PRE.unpack(pre)
    if magic != MAGIC:
        raise bad("wrong magic bytes")
    if version != VERSION:
        raise bad(f"unsupported format version {version} (this tapegrad reads {VERSION})")
    if hlen > MAX_HEADER or _PRE.size + hlen + 32 > size:
        raise bad(f"the header length {hlen} does not fit the file of {size} bytes "
                  f"(truncated or corrupted)")
    header = src.read(_PRE.size, hlen)
    data_start, data_len = _PRE.size + hlen, size - _PRE.size - hlen - 32
    if _json.cost(header) + data_len > budget(size):
        raise bad(f"the header ({hlen} bytes) would cost more than twice the file's size "
                  f"to read (too many entries for its size)")
    h = hashlib.sha256(header)
    block = bytearray(min(1 << 20, max(data_len, 1)))
    view = memoryview(block)
    pos = 0
    while pos < data_len:
        n = src.readinto(data_start + pos, view[:min(len(block), data_len - pos)])
        if n <= 0:
            raise bad("truncated")
        h.update(view[:n])
        pos += n
    del view, block
    if h.digest() != src.read(data_start + data_len, 32):
        raise bad("checksum mismatch (the file is corrupted or truncated)")
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the header is not valid JSON (not UTF-8)") from None
    del header
    meta = _json.parse(text, floats=True, bad=bad)
    del text
    if not isinstance(meta, dict) or meta.get("format") != "tapegrad-state" or "tree" not in meta:
        raise bad("the header does not describe a tapegrad state")
    extents: List[tuple] = []
    _check(meta["tree"], data_len, extents, bad, 0)
    extents.sort()
    end = 0
    for off, nb in extents:
        if nb and off < end:
            raise bad("two arrays overlap in the data (each byte belongs to one array)")
        end = max(end, off + nb)
    return _build(meta["tree"], src, data_start, bad)


def _check(node: Any, data_len: int, extents: List[tuple], bad: Callable, depth: int) -> None:
    """Validate the whole tree (and collect array extents) before anything is built."""
    if depth > 100:
        raise bad("the tree is nested too deeply")
    if not isinstance(node, dict) or "t" not in node:
        raise bad("malformed header entry")
    t = node["t"]
    if t == "v":
        v = node.get("v")
        if v is not None and not isinstance(v, (bool, str)):
            raise bad("malformed value")
    elif t in ("int", "float"):
        v = node.get("v")
        if not isinstance(v, str) or len(v) > _json.MAX_INT_DIGITS:
            raise bad(f"malformed {t}")
        try:
            int(v) if t == "int" else float(v)
        except ValueError:
            raise bad(f"malformed {t}") from None
    elif t in ("list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            raise bad("malformed list")
        for v in items:
            _check(v, data_len, extents, bad, depth + 1)
    elif t == "dict":
        items = node.get("items")
        if not isinstance(items, list):
            raise bad("malformed dict")
        for it in items:
            if not (isinstance(it, list) and len(it) == 2 and isinstance(it[0], str)):
                raise bad("malformed dict item")
            k = it[0]
            if k.startswith("i:"):
                if len(k) > 2 + _json.MAX_INT_DIGITS:
                    raise bad("malformed dict key")
                try:
                    int(k[2:])
                except ValueError:
                    raise bad("malformed dict key") from None
            elif not k.startswith("s:"):
                raise bad("malformed dict key")
            _check(it[1], data_len, extents, bad, depth + 1)
    elif t in ("array", "tensor"):
        dt, shape, off, nb = node.get("dtype"), node.get("shape"), node.get("offset"), node.get("nbytes")
        if dt not in _ALLOWED:
            raise bad(f"array dtype {str(dt)[:20]!r} is not allowed")
        if not (isinstance(shape, list) and len(shape) <= 32
                and all(type(s) is int and 0 <= s for s in shape)):
            raise bad("malformed array shape")
        if not (type(off) is int and type(nb) is int and 0 <= off and 0 <= nb
                and off + nb <= data_len):
            raise bad("an array lies outside the file")
        item = np.dtype(dt).itemsize
        if math.prod(max(s, 1) for s in shape) * item > _MAX_BYTES:
            raise bad("an array has an impossible shape")
        if math.prod(shape) * item != nb:
            raise bad("an array's size does not match its shape")
        if t == "tensor" and node.get("requires_grad", False) and np.dtype(dt).kind != "f":
            raise bad("a non-float tensor cannot require grad")
        extents.append((off, nb))
    else:
        raise bad(f"unknown entry type {str(t)[:20]!r}")


def _build(node: Dict[str, Any], src: Source, start: int, bad: Callable) -> Any:
    t = node["t"]
    if t == "v":
        return node.get("v")
    if t == "int":
        return int(node["v"])
    if t == "float":
        return float(node["v"])
    if t in ("list", "tuple"):
        out = [_build(v, src, start, bad) for v in node["items"]]
        return out if t == "list" else tuple(out)
    if t == "dict":
        return {(k[2:] if k.startswith("s:") else int(k[2:])): _build(v, src, start, bad)
                for k, v in node["items"]}
    arr = np.empty(node["shape"], dtype=np.dtype(node["dtype"]))
    if arr.nbytes and src.readinto(start + node["offset"],
                                   memoryview(arr.reshape(-1).view(np.uint8))) != arr.nbytes:
        raise bad("truncated")
    if t == "tensor":
        out = ag.from_numpy(arr)
        if node.get("requires_grad", False):
            out.requires_grad_()
        return out
    return arr
