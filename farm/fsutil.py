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
