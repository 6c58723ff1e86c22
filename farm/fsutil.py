"""Files written whole or not at all, and paths that stay inside the repo."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from farm.errors import InvalidInput


def atomic_write(path: Path, data: str | bytes, *, fsync: bool = True) -> None:
    """Write `data` to `path` via a temp file in the same folder and a rename.

    A crash leaves either the old file or the new one, never half of either.
    `fsync=False` is for writing many files at once: the caller syncs once at the end.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing anything that would land outside `root`."""
    if "\0" in relative or Path(relative).is_absolute():
        raise InvalidInput(f"path {relative!r} must be relative to the repository")
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise InvalidInput(f"path {relative!r} points outside the repository")
    return target


# --- bounded reads ---------------------------------------------------------------
# Any file farm reads may be hostile: a FIFO (open() waits for a writer forever), a device
# (/dev/zero never ends), a folder, a symlink loop, or just huge. Each becomes one line.


def read_bytes_bounded(path: Path, limit: int, what: str, *, truncate: bool = False) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Refuses a FIFO, device, socket or folder without blocking: the file is opened with
    O_NONBLOCK and the *opened* descriptor is fstat-ed, so a swap after a check cannot fool it.
    Over `limit` is an error, or with `truncate` the first `limit` bytes. Errors are
    `UnreadableFile` whose message starts with `what` (the file's name as the user knows it).
    """
    import stat

    from farm.errors import UnreadableFile

    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(f"{what}: {_why(exc)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"{what}: not a regular file ({_file_kind(mode)})")
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise UnreadableFile(f"{what}: {_why(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        if not truncate:
            raise UnreadableFile(f"{what}: file is over {limit:,} bytes (at most {limit:,} allowed)")
        data = data[:limit]
    return data


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """`read_bytes_bounded` decoded as UTF-8 (a BOM dropped, CRLF as LF); bad UTF-8 is an error."""
    from farm.errors import UnreadableFile

    raw = read_bytes_bounded(path, limit, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{what}: not UTF-8 (byte {exc.start})") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _read_at_most(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    import stat

    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def _why(exc: OSError) -> str:
    import errno

    reasons = {errno.ELOOP: "symlink loop", errno.ENOENT: "no such file", errno.EISDIR: "not a regular file (a folder)",
               errno.ENOTDIR: "a parent is not a folder", errno.EACCES: "permission denied",
               errno.ENAMETOOLONG: "name too long", errno.ENXIO: "not a regular file (no device)"}
    return reasons.get(exc.errno, f"cannot read ({exc.strerror or exc})")
