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
