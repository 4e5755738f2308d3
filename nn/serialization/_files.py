"""Opening checkpoints safely and writing them atomically (shared by both formats).

Reading: a path is ``stat``-ed before it is opened and refused unless it is a regular
file (a FIFO, a device, a directory or a symlink to one of them never reaches
``open``); it is then opened with ``O_NONBLOCK`` (so a file swapped for a FIFO between
the two calls cannot block either) and ``fstat``-ed again. Data is read with
``readinto`` straight into each array's own buffer, so a load costs about the arrays
it returns. File objects work too: seekable ones are read in place like paths,
others (pipes) are read once into memory.

Writing: :func:`atomic_write` writes a temporary file beside the target, fsyncs it
and renames it over the target, so a crash mid-save leaves the previous file intact.
The temporary's name carries the writer's process id; a later save to the same path
removes temporaries whose writer is dead (a killed save), and never those of a save
still running in another process or thread.
"""
from __future__ import annotations

import io
import os
import secrets
import stat
import threading
from typing import IO, Any, Callable, Optional, Set, Tuple, Union

__all__ = ["CheckpointError", "Source", "open_source", "atomic_write", "budget", "SLACK"]

PathLike = Union[str, "os.PathLike[str]"]

# A load may allocate at most 2x the file size plus this (Python's fixed costs, the
# per-object overhead of small files); every estimate is checked against it before
# anything is allocated from the file's claims.
SLACK = 16 * 1024 * 1024


class CheckpointError(ValueError):
    """A file that is not a valid tapegrad checkpoint (foreign, truncated, corrupted,
    hostile, or not a regular file).

    >>> import nn
    >>> issubclass(nn.CheckpointError, Exception)
    True
    """


def budget(size: int) -> int:
    """The most memory a load of a ``size``-byte file may cost."""
    return 2 * size + SLACK


class Source:
    """Random access to the bytes of one checkpoint: ``size``, ``read(offset, n)`` and
    ``readinto(offset, buffer)``; ``name`` for messages."""

    def __init__(self, name: str, size: int, f: Optional[IO[bytes]] = None,
                 data: Optional[memoryview] = None, base: int = 0, own: bool = False) -> None:
        self.name, self.size, self._f, self._data, self._base, self._own = name, size, f, data, base, own

    def read(self, offset: int, n: int) -> bytearray:
        """Up to ``n`` bytes from ``offset`` (fewer at the end of the file), in one buffer
        (no intermediate copy: a header is held once)."""
        n = max(0, min(n, self.size - offset))
        out = bytearray(n)
        if self._data is not None:
            out[:] = self._data[offset:offset + n]
            return out
        self._f.seek(self._base + offset)
        got = self._readinto_all(memoryview(out))
        del out[got:]
        return out

    def readinto(self, offset: int, buf: memoryview) -> int:
        """Fill ``buf`` from ``offset``; returns the bytes read (less at end of file)."""
        if self._data is not None:
            n = max(0, min(len(buf), self.size - offset))
            buf[:n] = self._data[offset:offset + n]
            return n
        self._f.seek(self._base + offset)
        return self._readinto_all(buf)

    def _readinto_all(self, buf: memoryview) -> int:
        got = 0
        while got < len(buf):
            n = self._f.readinto(buf[got:])
            if not n:
                break
            got += n
        return got

    def close(self) -> None:
        if self._own and self._f is not None:
            self._f.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def open_source(where: Any, who: str = "nn.load") -> Source:
    """A :class:`Source` for a path or a binary file object (see the module docstring).
    Raises FileNotFoundError / PermissionError as ``open`` does, and CheckpointError for
    anything that is not a regular file."""
    if isinstance(where, (str, bytes, os.PathLike)):
        path = os.fsdecode(where)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"{who}: cannot read {path!r}: no such file") from None
        if not stat.S_ISREG(st.st_mode):
            raise CheckpointError(f"{who}: {path!r} is {_kind(st.st_mode)}, not a checkpoint "
                                  f"file; pass the path of a .safetensors file")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
            | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            st2 = os.fstat(fd)
            if not stat.S_ISREG(st2.st_mode):
                raise CheckpointError(f"{who}: {path!r} is {_kind(st2.st_mode)}, not a "
                                      f"checkpoint file")
            f = os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise
        return Source(path, st2.st_size, f=f, own=True)
    name = repr(getattr(where, "name", None) or type(where).__name__)
    if not hasattr(where, "read"):
        raise TypeError(f"{who}: expected a path or a binary file object, got "
                        f"{type(where).__name__}")
    if isinstance(where, io.TextIOBase):
        raise TypeError(f"{who}: the file object {name} is in text mode; open it with 'rb'")
    if isinstance(where, io.BytesIO):
        view = where.getbuffer()
        start = where.tell()
        return Source(name, len(view) - start, data=view[start:])
    try:
        mode = os.fstat(where.fileno()).st_mode
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        mode = None
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISDIR(mode)):
        raise CheckpointError(f"{who}: the file object {name} is {_kind(mode)}, not a "
                              f"checkpoint file")
    seekable = False
    try:
        seekable = bool(where.seekable())
    except (AttributeError, OSError, ValueError):
        pass
    if seekable:
        start = where.tell()
        end = where.seek(0, io.SEEK_END)
        where.seek(start)
        return Source(name, end - start, f=where, base=start)
    chunks = []                       # a pipe: its length is only known at its end
    while True:
        b = where.read(1 << 20)
        if not b:
            break
        if isinstance(b, str):
            raise TypeError(f"{who}: the file object {name} is in text mode; open it with 'rb'")
        chunks.append(b)
    data = b"".join(chunks)
    del chunks
    return Source(name, len(data), data=memoryview(data))


# --------------------------------------------------------------------------- writing
_ACTIVE: Set[str] = set()            # temporaries being written by this process
_LOCK = threading.Lock()


def _prefix(path: str) -> str:
    return f".tmp-{os.path.basename(path)}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                  # exists (another user's), or we cannot tell: keep it
    return True


def remove_leftovers(path: str) -> list:
    """Delete the temporaries of killed saves of ``path`` (named
    ``.tmp-<name>-<pid>-<random>``, their writer no longer running); returns their names."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    prefix = _prefix(path)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    me = os.getpid()
    for e in entries:
        if not e.name.startswith(prefix):
            continue
        parts = e.name[len(prefix):].split("-")
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        full = os.path.join(folder, e.name)
        with _LOCK:
            if pid == me and full in _ACTIVE:
                continue
        if pid != me and _alive(pid):
            continue
        try:
            if e.is_file(follow_symlinks=False):
                os.unlink(full)
                removed.append(e.name)
        except OSError:
            pass
    return removed


def _create_temp(folder: str, path: str) -> Tuple[int, str]:
    """A new temporary file beside ``path`` with the permissions the final file should
    have: the existing file's, else 0o666 less the umask, like a plain open(path, "w")
    (tempfile.mkstemp would leave it at 0o600, unreadable to the group)."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o666                   # the kernel applies the umask
    for _ in range(100):
        tmp = os.path.join(folder, f"{_prefix(path)}{os.getpid()}-{secrets.token_hex(6)}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                         | getattr(os, "O_CLOEXEC", 0), mode)
        except FileExistsError:
            continue
        with _LOCK:
            _ACTIVE.add(tmp)
        if os.path.exists(path):
            os.fchmod(fd, mode)        # the umask must not narrow an existing file's mode
        return fd, tmp
    raise FileExistsError(f"nn.save: could not create a temporary file in {folder!r}")


def atomic_write(where: Any, write: Callable[[IO[bytes]], None], who: str = "nn.save") -> None:
    """Call ``write(f)`` on a binary file that replaces ``where`` atomically (a path), or on
    ``where`` itself (a writable binary file object, written in place)."""
    if not isinstance(where, (str, bytes, os.PathLike)):
        if not hasattr(where, "write"):
            raise TypeError(f"{who}: expected a path or a binary file object, got "
                            f"{type(where).__name__}")
        if isinstance(where, io.TextIOBase):
            raise TypeError(f"{who}: the file object is in text mode; open it with 'wb'")
        write(where)
        flush = getattr(where, "flush", None)
        if flush is not None:
            flush()
        return
    path = os.fsdecode(where)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: {path!r} is a directory; pass a file path such as "
                                f"{os.path.join(path, 'checkpoint.safetensors')!r}")
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: cannot write {path!r}: the folder {folder!r} does not "
                                f"exist")
    remove_leftovers(path)
    fd, tmp = _create_temp(folder, path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        with _LOCK:
            _ACTIVE.discard(tmp)
    try:  # make the rename durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
