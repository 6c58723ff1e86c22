"""What every hook needs, cheaply: the farm that holds a directory, its config, a log.

The repo root is found by walking up for `.git` (no git process, no gitpython): the hook
runs before every prompt and tool call, and must answer in milliseconds.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class HookFarm:
    root: Path
    config: dict[str, Any]

    @property
    def corrections_dir(self) -> Path:
        return self.root / self.config["corrections_dir"]


def find_farm(cwd: str | os.PathLike | None) -> HookFarm | None:
    """The farm whose work tree holds `cwd`, or None (not a repo, or not a farm)."""
    from farm.config import load_config

    start = Path(cwd or os.getcwd())
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            config = load_config(folder)
            if not isinstance(config.get("corrections_dir"), str):
                return None
            farm = HookFarm(folder, config)
            return farm if farm.corrections_dir.is_dir() else None
    return None


def git_dir_of(root: Path) -> Path | None:
    """The work tree's git dir (a worktree's `.git` is a file that points at it)."""
    dot_git = root / ".git"
    try:
        if dot_git.is_file():
            pointer = dot_git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
            return (root / pointer).resolve()
    except OSError:
        return None
    return dot_git


def branch_of(root: Path) -> str | None:
    """The checked-out branch, read from HEAD."""
    gdir = git_dir_of(root)
    try:
        head = (gdir / "HEAD").read_text(encoding="utf-8").strip() if gdir else ""
    except OSError:
        return None
    found = re.match(r"ref: refs/heads/(.+)", head)
    return found.group(1) if found else None


def state_dir(*parts: str) -> Path:
    from farm.paths import farm_home

    path = farm_home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:120] or "_"


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write_json(path: Path, data: Any) -> None:
    """Our own state under FARM_HOME: whole or not at all (temp file + rename), without an
    fsync and without the tempfile module (its import is a good part of a hook's time)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def repo_dir(root: Path) -> Path:
    """farm.paths.repo_state_dir(root), remembered in FARM_HOME/repo-dirs.json so a hook
    does not load hashlib (and OpenSSL) to find it again."""
    known_path = state_dir() / "repo-dirs.json"
    known = read_json(known_path, {})
    folder = known.get(str(root)) if isinstance(known, dict) else None
    if isinstance(folder, str) and os.path.isdir(folder):
        return Path(folder)
    from farm.paths import repo_state_dir

    path = repo_state_dir(root)
    write_json(known_path, {**(known if isinstance(known, dict) else {}), str(root): str(path)})
    return path


NICE = "/usr/bin/nice"


def spawn_detached(module: str, *args: str) -> None:
    """Run `python -m module args…` in a new session, its stdio on /dev/null (so the agent,
    reading the hook's output to its end, never waits for it), and return at once.

    os.posix_spawn, not subprocess: no module to import and no fork of this process."""
    import sys

    if not hasattr(os, "posix_spawn"):  # Windows
        import subprocess

        subprocess.Popen([sys.executable, "-m", module, *args], stdin=subprocess.DEVNULL,  # noqa: S603
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                         creationflags=getattr(subprocess, "DETACHED_PROCESS", 0))
        return
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    argv = [sys.executable, "-m", module, *args]
    if os.path.exists(NICE):  # at the lowest priority: its start-up must not slow the hook down
        argv = [NICE, "-n", "19", *argv]
    os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=quiet, setsid=True)


def log(line: str) -> None:
    """One line in FARM_HOME/hook.log: the only trace a hook leaves of its own failures."""
    try:
        from datetime import datetime, timezone

        from farm.paths import farm_home

        with open(farm_home() / "hook.log", "a", encoding="utf-8") as fh:
            fh.write(f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} {line}\n")
    except OSError:
        pass  # nowhere to log: the hook still answers (silently)
