"""JSON parsing of untrusted headers with bounded cost.

``json.loads`` turns a few bytes into much larger Python objects (``[]`` is 2 bytes and
a 56-byte list; a header of 250k tiny tensor entries costs 9x its size), accepts
5000-digit integers only to fail in ``int()`` with a bare ValueError, and recurses once
per nesting level. :func:`cost` bounds what parsing a header can allocate from its
bytes alone (counted before parsing), and :func:`parse` refuses what a checkpoint
header never holds: duplicate keys, integers of more than 4300 digits, NaN/Infinity,
and (for safetensors headers) non-integer numbers.
"""
from __future__ import annotations

import json
from typing import Any, Callable

__all__ = ["cost", "parse", "Bad"]

# an upper bound, in bytes, on the Python objects one JSON value becomes (with its slot
# in the parent and json's transient pair lists): measured at most 87 (unique object
# keys) with tracemalloc over lists, dicts, ints, floats, strings, nested lists and
# safetensors entries; 128 leaves a margin
PER_VALUE = 128
MAX_INT_DIGITS = 4300                 # CPython's int/str conversion limit


class Bad(Exception):
    """Raised by the parse hooks; turned into CheckpointError by the caller."""


def cost(header: bytes) -> int:
    """An upper bound, in bytes, of what ``parse(header)`` can allocate: the decoded text
    (1 byte a character for ASCII, at most 4 otherwise), the strings inside it, and
    PER_VALUE for every value (a value is started by '{', '[' or ':' or ',')."""
    values = header.count(b"{") + header.count(b"[") + header.count(b",") + header.count(b":") + 1
    width = 1 if header.isascii() else 4
    return 2 * width * len(header) + PER_VALUE * values


def _no_float(s: str) -> Any:
    raise Bad(f"a non-integer number {s[:20]!r} where only integers belong")


def _int(s: str) -> int:
    if len(s) > MAX_INT_DIGITS:
        raise Bad(f"an integer of {len(s)} digits")
    return int(s)


def _no_constant(s: str) -> Any:
    raise Bad(f"the non-standard JSON constant {s}")


def _pairs(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise Bad(f"the key {k[:60]!r} appears twice in one object")
            seen.add(k)
    return d


def parse(text: str, floats: bool, bad: Callable[[str], Exception]) -> Any:
    """``json.loads`` with the checks above; every failure becomes ``bad(why)``."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_int=_int,
                          parse_float=float if floats else _no_float,
                          parse_constant=_no_constant)
    except Bad as e:
        raise bad(str(e)) from None
    except RecursionError:            # json's decoder recurses once per nesting level
        raise bad("the JSON is nested too deeply") from None
    except (ValueError, TypeError) as e:   # JSONDecodeError is a ValueError
        raise bad(f"the header is not valid JSON ({str(e)[:80]})") from None
