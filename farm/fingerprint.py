"""A cheap fingerprint of a farm as the index sees it, for caches that can skip the index.

What a derived result (the tracker's listing, the built matcher) depends on: HEAD, the
settings, the code that derives it, each correction file's size and mtime, and the mtime
of every log folder. Event and session files are written whole, by rename, so a new one
changes its folder's mtime (after editing one by hand, `farm reindex`, as for the index).
Checking it costs some stats, not SQLite: with 10,000 corrections, a tenth of a second
against the index's second.

A cache stores `Stamp(key, dirs)` beside its result, in one of STAMPED under the farm's
folder in FARM_HOME; `current(farm, stored, code)` says whether that result still holds,
and `forget(farm)` drops them all (`farm reindex`: an event edited in place by hand).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


# The files that hold a stamp: the status listing (farm/tracker.py), the matcher (farm/matchcache.py).
STAMPED = ("status-listing.json", "matcher-stamp.json")


def forget(farm) -> None:
    """Drop every stamped cache of this farm, so the next command reads the index."""
    from farm.paths import repo_state_dir

    for name in STAMPED:
        (repo_state_dir(farm.root) / name).unlink(missing_ok=True)


@dataclass(frozen=True)
class Stamp:
    key: str
    dirs: dict[str, int]  # log folder (relative to the repo) -> its mtime

    def as_json(self) -> dict:
        return {"key": self.key, "dirs": self.dirs}


def stamp(farm, code: tuple[str, ...]) -> Stamp:
    """The farm's fingerprint now; `code` names the farm modules the result is derived by."""
    dirs = _log_dirs(farm.corrections_dir / "log", farm.root)
    return Stamp(_key(farm, dirs, code), dirs)


def current(farm, stored: dict, code: tuple[str, ...]) -> bool:
    """Whether `stored` (a Stamp's as_json) still describes the farm."""
    try:
        dirs = stored["dirs"]
        if any(_mtime(farm.root / rel) != mtime for rel, mtime in dirs.items()):
            return False  # a folder gained or lost a file (or a folder): no need to hash
        return stored["key"] == _key(farm, dirs, code)
    except (KeyError, TypeError, AttributeError):
        return False


def _mtime(path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _log_dirs(top: Path, root: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        mtime = _mtime(folder)
        if mtime is None:
            continue
        out[os.path.relpath(folder, root)] = mtime
        with os.scandir(folder) as entries:
            stack.extend(e.path for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False))
    return out


def _key(farm, dirs: dict[str, int], code: tuple[str, ...]) -> str:
    from farm import __file__ as package
    from farm import git

    digest = hashlib.sha256(repr((git.head_sha(farm.root), sorted(farm.config.items(), key=str),
                                  sorted(dirs.items()))).encode())
    for name in code:
        st = os.stat(os.path.join(os.path.dirname(package), name))
        digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    with os.scandir(farm.corrections_dir) as entries:
        files = sorted(f"{e.name}:{_size_mtime(e)}" for e in entries
                       if e.name.endswith(".md") and not e.name.startswith(".") and e.is_file())
    digest.update("\0".join(files).encode())
    return digest.hexdigest()


def _size_mtime(entry: os.DirEntry) -> str:
    st = entry.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"
