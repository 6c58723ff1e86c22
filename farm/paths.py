"""Where farm keeps what is derived (never committed): FARM_HOME."""

from __future__ import annotations

import os
from pathlib import Path


def farm_home() -> Path:
    """FARM_HOME if set, else the platform's user data dir for farm."""
    env = os.environ.get("FARM_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("farm", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def repo_state_dir(repo_root: Path) -> Path:
    """A folder under FARM_HOME for one farm repo's derived state (its index)."""
    import hashlib  # here, not at the top: the hooks find FARM_HOME without loading OpenSSL

    resolved = str(repo_root.resolve())
    key = hashlib.sha256(resolved.encode()).hexdigest()[:16]
    path = farm_home() / "repos" / f"{repo_root.resolve().name}-{key}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def work_tree_root(start: Path | None = None) -> Path | None:
    """The top of the git work tree holding `start` (default: the current directory), or None.

    What `git.find_root` answers, found by looking for `.git` upwards, so that the reports run
    again and again (import, spend, the status line) do not load GitPython (≈40 ms) only to
    learn which folder they are in. When GIT_DIR or GIT_WORK_TREE redirect git, git decides.
    """
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        from farm import git
        from farm.errors import FarmError

        try:
            return git.find_root(start)
        except FarmError:
            return None
    here = Path(os.path.abspath(start or os.getcwd()))
    for folder in (here, *here.parents):
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        if folder.name == ".git" or _is_git_dir(folder):
            return folder.parent if folder.name == ".git" else None  # inside a git dir, or a bare repo
    return None


def _is_git_dir(folder: Path) -> bool:
    return all(os.path.exists(os.path.join(folder, name)) for name in ("HEAD", "objects", "refs"))
