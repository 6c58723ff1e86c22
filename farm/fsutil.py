"""Files written whole or not at all, and paths that stay inside the work tree (never in .git/)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from farm.errors import InvalidInput


def atomic_write(path: Path, data: str | bytes, *, fsync: bool = True) -> None:
    """Write `data` to `path` via a temp file in the same folder and a rename.

    A crash leaves either the old file or the new one, never half of either. The file
    keeps its mode; a new one gets the mode the umask gives (not mkstemp's 0600).
    `fsync=False` is for writing many files at once: the caller syncs once at the end.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(raw)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def is_git_part(relative: str | Path) -> bool:
    """True when a path inside the work tree is git's own (any `.git` part, in any case)."""
    return any(part.lower() == ".git" for part in Path(relative).parts)


def inside(root: Path, relative: str) -> Path:
    """`root / relative` resolved, refusing anything that lands outside the work tree or in
    git's own folder: a `.git` part, or a symlink (followed all the way) that leaves the
    tree or points into `.git/`."""
    if not isinstance(relative, str) or not relative.strip() or "\0" in relative or Path(relative).is_absolute():
        raise InvalidInput(f"path {relative!r} must be relative to the repository")
    if is_git_part(relative):
        raise InvalidInput(f"path {relative!r} is inside .git/, which farm never touches")
    top = root.resolve()
    try:
        target = (top / relative).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise InvalidInput(f"path {relative!r} is a symlink loop") from None
    if not target.is_relative_to(top):
        raise InvalidInput(f"path {relative!r} points outside the repository")
    if is_git_part(target.relative_to(top)):
        raise InvalidInput(f"path {relative!r} leads into .git/, which farm never touches")
    return target


def require_regular(path: Path, rel: str) -> bool:
    """True when `path` is a regular file, False when there is nothing there; anything else
    (a folder, a pipe, a device) is refused before farm opens it: reading a pipe would hang."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InvalidInput(f"{rel}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise InvalidInput(f"{rel} is a folder where farm expects a file")
    if not stat.S_ISREG(mode):
        raise InvalidInput(f"{rel} is not a regular file (a pipe or a device?)")
    return True


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


MAX_REPO_TEXT = 200_000_000  # people keep long agent files (a 127 MB AGENTS.md works); a pipe is refused


def read_repo_text(root: Path, rel: str, limit: int = MAX_REPO_TEXT) -> str | None:
    """The text of the repo file `rel` as it is (CRLF and BOM kept), or None when nothing is
    there. A path out of the tree or into .git/, a folder, a pipe, a device, a symlink loop or
    bytes that are not UTF-8 are one InvalidInput naming the file, never a hang."""
    from farm.errors import UnreadableFile

    path = inside(root, rel)
    if path.is_dir():
        raise InvalidInput(f"{rel}: is a folder where farm expects a file")
    if not path.exists() and not path.is_symlink():
        return None
    try:
        return read_bytes_bounded(path, limit, rel).decode("utf-8")
    except UnreadableFile as exc:
        raise InvalidInput(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{rel}: not UTF-8 (byte {exc.start}); farm leaves it alone") from None
