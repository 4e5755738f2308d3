"""The safetensors format, read and written with every claim checked.

Layout (the format of the ``safetensors`` package, readable by
``safetensors.torch.load_file`` and every tool that reads Hugging Face weights)::

    u64 little-endian N | N bytes of JSON header (space padded) | data

The header maps each tensor name to ``{"dtype": "F32", "shape": [..], "data_offsets":
[begin, end]}`` (offsets into ``data``) and may hold ``"__metadata__"``, a str -> str
map. The reader here checks, before it allocates anything from the file's claims:
the header length against the file and the budget (2x the file plus a fixed slack,
with the parse cost of the header bounded from its bytes), valid strict JSON without
duplicate keys, huge integers or floats, known dtypes, non-negative shapes whose size
matches the extent, and extents that tile the data exactly (sorted, no gap, no
overlap, nothing after), as the safetensors specification demands. Tensors are then
read with ``readinto`` into their own arrays: a load costs about the data it returns.
"""
from __future__ import annotations

import hashlib
import json
import math
import struct
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

from . import _json
from ._files import Source, budget

__all__ = ["DTYPES", "read", "write", "MAX_HEADER"]

# safetensors dtype name <-> NumPy dtype (little-endian); BF16 and the F8 types have no
# NumPy dtype and are refused with a message saying so
DTYPES: Dict[str, np.dtype] = {
    "BOOL": np.dtype("|b1"), "U8": np.dtype("|u1"), "I8": np.dtype("|i1"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
    "F16": np.dtype("<f2"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8"),
}
_NAMES = {dt.str: name for name, dt in DTYPES.items()}
_UNSUPPORTED = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
                "C128"}
DIGEST_KEY = "tapegrad.sha256"
MAX_HEADER = 100_000_000              # the safetensors package's own limit
MAX_DIMS = 32
_MAX_ELEMS = 2 ** 62


def dtype_name(arr: np.ndarray, who: str) -> str:
    dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
    name = _NAMES.get(dt.str)
    if name is None:
        raise TypeError(f"{who}: arrays of dtype {arr.dtype} cannot be saved (safetensors "
                        f"holds bool, int8-64, uint8-64, float16/32/64); convert with .astype")
    return name


def write(f: IO[bytes], tensors: List[Tuple[str, np.ndarray]], metadata: Mapping[str, str],
          who: str = "nn.save", digest: bool = False) -> None:
    """Write ``tensors`` (name, array) in order, with ``metadata``, to the binary file ``f``.
    ``digest``: also store the SHA-256 of the data as metadata ``tapegrad.sha256`` (checked
    by :func:`read`; safetensors itself has no checksum)."""
    header: Dict[str, Any] = {}
    meta = dict(metadata)
    arrays = []
    pos = 0
    for name, arr in tensors:
        code = dtype_name(arr, who)
        a = np.ascontiguousarray(arr, dtype=DTYPES[code])
        if a.ndim == 0:
            a = a.reshape(1)
        header[name] = {"dtype": code, "shape": list(np.shape(arr)),
                        "data_offsets": [pos, pos + a.nbytes]}
        pos += a.nbytes
        arrays.append(a)
    if digest:
        h = hashlib.sha256()
        for a in arrays:
            h.update(memoryview(a.reshape(-1).view(np.uint8)))
        meta[DIGEST_KEY] = h.hexdigest()
    if meta:
        header = {"__metadata__": meta, **header}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-(8 + len(text)) % 8)     # data 8-byte aligned, as safetensors writes
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for a in arrays:
        if a.nbytes:
            f.write(memoryview(a.reshape(-1).view(np.uint8)))


class Entry:
    __slots__ = ("name", "dtype", "shape", "begin", "end")

    def __init__(self, name: str, dtype: np.dtype, shape: tuple, begin: int, end: int) -> None:
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end


def _int(v: Any) -> bool:
    return type(v) is int


def read_header(src: Source, bad: Callable[[str], Exception]) -> Tuple[Dict[str, str], List[Entry], int]:
    """Parse and check the header: (metadata, entries in file order, data start)."""
    size = src.size
    if size < 8:
        raise bad(f"the file is too short ({size} bytes; truncated, or not a checkpoint)")
    n = struct.unpack("<Q", src.read(0, 8))[0]
    if n > MAX_HEADER or 8 + n > size:
        raise bad(f"the header length {n} does not fit the file of {size} bytes "
                  f"(truncated or corrupted)")
    if n < 2:
        raise bad("the header is empty")
    raw = src.read(8, n)
    if len(raw) != n:
        raise bad("the file is shorter than its header (truncated)")
    if raw[:1] != b"{":
        raise bad("the header does not start with '{' (not a safetensors file)")
    need = _json.cost(raw) + (size - 8 - n)
    if need > budget(size):
        raise bad(f"the header ({n} bytes) would cost about {need >> 20} MiB to read, more "
                  f"than twice the file's {size} bytes (too many entries for its size)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the header is not valid UTF-8") from None
    del raw
    head = _json.parse(text, floats=False, bad=bad)
    del text
    if not isinstance(head, dict):
        raise bad("the header is not a JSON object")
    meta = head.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise bad("__metadata__ must map strings to strings")
    data_len = size - 8 - n
    entries: List[Entry] = []
    for name, info in head.items():
        if not isinstance(info, dict):
            raise bad(f"the entry {name[:60]!r} is not an object")
        dt, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dt in _UNSUPPORTED:
            raise bad(f"tensor {name[:60]!r} has dtype {dt}, which NumPy (and so tapegrad) "
                      f"cannot hold; convert it to F32 before saving (tensor.float())")
        if dt not in DTYPES:
            raise bad(f"tensor {name[:60]!r} has the unknown dtype {str(dt)[:20]!r}")
        if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
                and all(_int(s) and s >= 0 for s in shape)):
            raise bad(f"tensor {name[:60]!r} has a malformed shape (a list of at most "
                      f"{MAX_DIMS} non-negative integers)")
        if not (isinstance(offs, list) and len(offs) == 2 and all(_int(o) for o in offs)
                and 0 <= offs[0] <= offs[1] <= data_len):
            raise bad(f"tensor {name[:60]!r} lies outside the file's {data_len} data bytes "
                      f"(truncated or corrupted)")
        dtype = DTYPES[dt]
        if math.prod(max(s, 1) for s in shape) * dtype.itemsize > _MAX_ELEMS:
            raise bad(f"tensor {name[:60]!r} has an impossible shape")
        if math.prod(shape) * dtype.itemsize != offs[1] - offs[0]:
            raise bad(f"tensor {name[:60]!r}: shape {shape} of {dt} needs "
                      f"{math.prod(shape) * dtype.itemsize} bytes, its extent has "
                      f"{offs[1] - offs[0]}")
        entries.append(Entry(name, dtype, tuple(shape), offs[0], offs[1]))
    entries.sort(key=lambda e: (e.begin, e.end))
    pos = 0
    for e in entries:
        if e.begin != pos:
            raise bad(f"tensor {e.name[:60]!r} " + ("overlaps another tensor" if e.begin < pos
                      else "leaves a gap before it") + " (each byte belongs to one tensor)")
        pos = e.end
    if pos != data_len:
        raise bad(f"{data_len - pos} bytes after the last tensor (corrupted, or not "
                  f"safetensors)")
    return meta, entries, 8 + n


def read_arrays(src: Source, entries: List[Entry], start: int,
                bad: Callable[[str], Exception], digest: Optional[str] = None) -> Dict[str, np.ndarray]:
    """Each entry's array, read straight into its own buffer (and the data checked
    against ``digest``, a SHA-256 hex string, when given)."""
    out: Dict[str, np.ndarray] = {}
    h = hashlib.sha256() if digest is not None else None
    for e in entries:
        arr = np.empty(e.shape, dtype=e.dtype)
        if arr.nbytes:
            view = memoryview(arr.reshape(-1).view(np.uint8))
            if src.readinto(start + e.begin, view) != arr.nbytes:
                raise bad(f"tensor {e.name[:60]!r} is cut short (the file was truncated)")
            if h is not None:
                h.update(view)
        if arr.dtype == np.bool_ and arr.size and arr.view(np.uint8).max() > 1:
            raise bad(f"tensor {e.name[:60]!r} holds bool values other than 0 and 1")
        out[e.name] = arr
    if h is not None and h.hexdigest() != digest:
        raise bad("checksum mismatch (the data was changed or corrupted after saving)")
    return out


def read(src: Source, bad: Callable[[str], Exception]) -> Tuple[Dict[str, str], Dict[str, np.ndarray]]:
    """(metadata, {name: array}) of a safetensors file, every claim checked first."""
    meta, entries, start = read_header(src, bad)
    return meta, read_arrays(src, entries, start, bad, meta.get(DIGEST_KEY))
