"""nn.save / nn.load: state dicts in a format that cannot run code when loaded.

Layout (little-endian)::

    b"TAPEGRAD" | u16 version | u64 header_len | header (UTF-8 JSON) | data | sha256(32 B)

The JSON header describes the tree (dicts with str/int keys, lists, tuples, numbers,
strings, bools, None, arrays and tensors); every array entry names its dtype (from a
fixed allow-list), shape, offset and byte length inside ``data``. Loading checks the
magic, the version, that the header length fits the file (and a 64 MiB cap) before
reading it, the checksum over header and data, and every array's extent before any
array is built: no pickle, no eval, no allocation sized by unchecked numbers.
Saving writes a temporary file in the target folder, fsyncs it and renames it over
the target, so a crash mid-save leaves the previous file intact.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import struct
from typing import Any, Dict, List, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["save", "load", "CheckpointError"]

MAGIC = b"TAPEGRAD"
VERSION = 1
MAX_HEADER = 64 * 1024 * 1024
_ALLOWED = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8"}
_PRE = struct.Struct("<8sHQ")


class CheckpointError(ValueError):
    """A file that is not a valid tapegrad checkpoint (foreign, truncated or corrupted)."""


def _encode(obj: Any, blobs: List[bytes], pos: List[int]) -> Any:
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray):
        is_tensor = isinstance(obj, Tensor)
        arr = np.array(np.asarray(obj) if is_tensor else obj, order="C")  # (ascontiguousarray makes 0-d 1-d)
        dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        arr = arr.astype(dt, copy=False)
        if dt.str not in _ALLOWED:
            raise TypeError(f"nn.save: arrays of dtype {arr.dtype} cannot be saved")
        b = arr.tobytes()
        node = {"t": "tensor" if is_tensor else "array", "dtype": dt.str,
                "shape": list(arr.shape), "offset": pos[0], "nbytes": len(b)}
        if is_tensor and obj.requires_grad:
            node["requires_grad"] = True
        blobs.append(b)
        pos[0] += len(b)
        return node
    if isinstance(obj, np.generic):
        return _encode(np.asarray(obj), blobs, pos)
    if obj is None or isinstance(obj, (bool, str)):
        return {"t": "v", "v": obj}
    if isinstance(obj, int):
        return {"t": "int", "v": str(obj)}
    if isinstance(obj, float):
        return {"t": "float", "v": repr(obj)}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"nn.save: dict keys must be str or int, got {type(k).__name__}")
            items.append([("s:" + k) if isinstance(k, str) else ("i:" + str(k)),
                          _encode(v, blobs, pos)])
        return {"t": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        return {"t": "list" if isinstance(obj, list) else "tuple",
                "items": [_encode(v, blobs, pos) for v in obj]}
    raise TypeError(f"nn.save: cannot save an object of type {type(obj).__name__}; "
                    f"save state dicts (dicts of arrays, tensors, numbers and strings)")


def save(obj: Any, path: str) -> None:
    """Write ``obj`` (e.g. ``{'model': model.state_dict(), 'optim': opt.state_dict()}``)
    to ``path`` atomically."""
    blobs: List[bytes] = []
    tree = _encode(obj, blobs, [0])
    header = json.dumps({"format": "tapegrad-state", "tree": tree}, separators=(",", ":")).encode()
    h = hashlib.sha256()
    pre = _PRE.pack(MAGIC, VERSION, len(header))
    folder = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = _create_temp(folder, path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pre)
            f.write(header)
            h.update(header)
            for b in blobs:
                f.write(b)
                h.update(b)
            f.write(h.digest())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _create_temp(folder: str, path: str) -> Tuple[int, str]:
    """A new temporary file beside ``path`` with the permissions the final file should
    have: the existing file's, else 0o666 less the umask, like a plain open(path, "w")
    (tempfile.mkstemp would leave it at 0o600, unreadable to the group)."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o666                   # the kernel applies the umask
    for _ in range(100):
        tmp = os.path.join(folder, f".tmp-{os.path.basename(path)}-{secrets.token_hex(6)}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         mode)
        except FileExistsError:
            continue
        if os.path.exists(path):
            os.fchmod(fd, mode)        # the umask must not narrow an existing file's mode
        return fd, tmp
    raise FileExistsError(f"nn.save: could not create a temporary file in {folder!r}")


def _bad(path: str, why: str) -> CheckpointError:
    return CheckpointError(f"nn.load: {path!r} is not a valid tapegrad checkpoint: {why}")


def _decode(node: Any, data: memoryview, path: str, depth: int = 0) -> Any:
    if depth > 100:
        raise _bad(path, "the tree is nested too deeply")
    if not isinstance(node, dict) or "t" not in node:
        raise _bad(path, "malformed header entry")
    t = node["t"]
    if t == "v":
        v = node.get("v")
        if v is not None and not isinstance(v, (bool, str)):
            raise _bad(path, "malformed value")
        return v
    if t == "int":
        try:
            return int(node["v"])
        except (KeyError, ValueError, TypeError):
            raise _bad(path, "malformed integer") from None
    if t == "float":
        try:
            return float(node["v"])
        except (KeyError, ValueError, TypeError):
            raise _bad(path, "malformed float") from None
    if t in ("list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            raise _bad(path, "malformed list")
        out = [_decode(v, data, path, depth + 1) for v in items]
        return out if t == "list" else tuple(out)
    if t == "dict":
        items = node.get("items")
        if not isinstance(items, list):
            raise _bad(path, "malformed dict")
        out: Dict[Any, Any] = {}
        for it in items:
            if not (isinstance(it, list) and len(it) == 2 and isinstance(it[0], str)):
                raise _bad(path, "malformed dict item")
            k = it[0]
            if k.startswith("s:"):
                key: Any = k[2:]
            elif k.startswith("i:"):
                try:
                    key = int(k[2:])
                except ValueError:
                    raise _bad(path, "malformed dict key") from None
            else:
                raise _bad(path, "malformed dict key")
            out[key] = _decode(it[1], data, path, depth + 1)
        return out
    if t in ("array", "tensor"):
        dt, shape, off, nb = node.get("dtype"), node.get("shape"), node.get("offset"), node.get("nbytes")
        if dt not in _ALLOWED:
            raise _bad(path, f"array dtype {dt!r} is not allowed")
        if not (isinstance(shape, list) and all(isinstance(s, int) and 0 <= s for s in shape)
                and len(shape) <= 32):
            raise _bad(path, "malformed array shape")
        if not (isinstance(off, int) and isinstance(nb, int) and 0 <= off and 0 <= nb
                and off + nb <= len(data)):
            raise _bad(path, "an array lies outside the file")
        if math.prod(shape) * np.dtype(dt).itemsize != nb:
            raise _bad(path, "an array's size does not match its shape")
        arr = np.frombuffer(data[off:off + nb], dtype=np.dtype(dt)).reshape(shape).copy()
        if t == "tensor":
            return ag.tensor(arr, requires_grad=bool(node.get("requires_grad", False)))
        return arr
    raise _bad(path, f"unknown entry type {t!r}")


def load(path: str) -> Any:
    """Read a checkpoint written by :func:`save`. Raises CheckpointError (a ValueError)
    for anything else, quickly and without large allocations."""
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise FileNotFoundError(f"nn.load: cannot read {path!r}: {e.strerror}") from None
    with open(path, "rb") as f:
        pre = f.read(_PRE.size)
        if len(pre) < _PRE.size:
            raise _bad(path, "the file is too short (truncated, or not a checkpoint)")
        magic, version, hlen = _PRE.unpack(pre)
        if magic != MAGIC:
            hint = " (it looks like a pickle file, which tapegrad never loads)" if pre[:1] == b"\x80" else ""
            raise _bad(path, f"wrong magic bytes{hint}")
        if version != VERSION:
            raise _bad(path, f"unsupported format version {version} (this tapegrad reads {VERSION})")
        if hlen > MAX_HEADER or _PRE.size + hlen + 32 > size:
            raise _bad(path, f"the header length {hlen} does not fit the file of {size} bytes "
                             f"(truncated or corrupted)")
        header = f.read(hlen)
        rest = f.read(size - _PRE.size - hlen)
    if len(rest) < 32:
        raise _bad(path, "truncated (no checksum)")
    data, digest = rest[:-32], rest[-32:]
    h = hashlib.sha256(header)
    h.update(data)
    if h.digest() != digest:
        raise _bad(path, "checksum mismatch (the file is corrupted or truncated)")
    try:
        meta = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad(path, "the header is not valid JSON") from None
    except RecursionError:  # json's decoder recurses once per nesting level
        raise _bad(path, "the header is nested too deeply") from None
    if not isinstance(meta, dict) or meta.get("format") != "tapegrad-state" or "tree" not in meta:
        raise _bad(path, "the header does not describe a tapegrad state")
    return _decode(meta["tree"], memoryview(data), path)
