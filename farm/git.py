"""The one door to git. Every git call farm makes goes through this module (gitpython)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from farm.errors import GitStateError, NotAGitRepo


@dataclass(frozen=True)
class RepoState:
    """What stands in the way of a commit, if anything."""

    unborn: bool
    detached: bool
    operation: str | None  # "merge", "rebase", "cherry-pick", "revert", "bisect" or None

    @property
    def blocker(self) -> str | None:
        if self.operation:
            return f"a {self.operation} is in progress"
        if self.detached:
            return "HEAD is detached"
        return None


@dataclass(frozen=True)
class Commit:
    sha: str
    time: datetime
    author: str
    message: str


def _repo(path: Path):
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotAGitRepo(f"{path} is not inside a git repository (run `git init` first)") from None


def find_root(path: Path | None = None) -> Path:
    """The top of the work tree that holds `path` (default: the current directory)."""
    repo = _repo(Path(path or os.getcwd()))
    if repo.bare or repo.working_tree_dir is None:
        raise NotAGitRepo(f"{path or os.getcwd()} is a bare repository; farm needs a work tree")
    return Path(repo.working_tree_dir)


def init_repo(path: Path) -> Path:
    """A new git repository at `path` (made if needed) on branch main."""
    import git

    path.mkdir(parents=True, exist_ok=True)
    git.Repo.init(path, initial_branch="main")
    return path


def git_dir(root: Path) -> Path:
    return Path(_repo(root).git_dir)


def repo_state(root: Path) -> RepoState:
    repo = _repo(root)
    gdir = Path(repo.git_dir)
    operation = None
    markers = {
        "MERGE_HEAD": "merge",
        "rebase-merge": "rebase",
        "rebase-apply": "rebase",
        "CHERRY_PICK_HEAD": "cherry-pick",
        "REVERT_HEAD": "revert",
        "BISECT_LOG": "bisect",
    }
    for marker, name in markers.items():
        if (gdir / marker).exists():
            operation = name
            break
    unborn = not repo.head.is_valid()
    return RepoState(unborn=unborn, detached=repo.head.is_detached, operation=operation)


def dirty_paths(root: Path, paths: list[str]) -> set[str]:
    """Those of `paths` (relative to root) with uncommitted changes, staged or not."""
    if not paths:
        return set()
    repo = _repo(root)
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    dirty = set()
    for entry in out.split("\0"):
        if len(entry) > 3:
            dirty.add(entry[3:])
    return dirty


def tracked(root: Path, path: str) -> bool:
    repo = _repo(root)
    return bool(repo.git.ls_files("--", path))


def commit_paths(root: Path, paths: list[str], message: str, when: datetime | None = None) -> str:
    """Commit exactly `paths` (relative to root); whatever else is staged stays staged.

    `when` back-dates the commit (the demo farm's history). Raises GitStateError when a
    merge/rebase is in progress or HEAD is detached.
    """
    state = repo_state(root)
    if state.blocker:
        raise GitStateError(f"not committing: {state.blocker}")
    import git

    repo = _repo(root)
    dated = {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()} if when else {}
    try:
        repo.git.add("--", *paths)
        if state.unborn:
            # `commit --only` needs a HEAD; on an unborn branch the index holds only what
            # was staged, so commit those paths from a private index instead.
            return _commit_from_private_index(repo, paths, message)
        repo.git.commit("--no-verify", "--quiet", "-m", message, "--only", "--", *paths, env=dated)
    except git.GitCommandError as exc:
        reason = (exc.stderr or str(exc)).strip().splitlines()
        detail = reason[-1].strip() if reason else "unknown reason"
        raise GitStateError(f"git could not commit ({detail.removeprefix('stderr: ').strip()})") from None
    return repo.head.commit.hexsha


def _commit_from_private_index(repo, paths: list[str], message: str) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        repo.git.add("--", *paths, env=env)
        tree = repo.git.write_tree(env=env)
        sha = repo.git.commit_tree(tree, "-m", message)
        repo.git.update_ref("HEAD", sha)
    return sha


def log_commits(root: Path, since: datetime | None = None, until: datetime | None = None) -> list[Commit]:
    """Commits reachable from HEAD, newest first, within [since, until] when given."""
    repo = _repo(root)
    if not repo.head.is_valid():
        return []
    args = ["--format=%H%x1f%ct%x1f%an%x1f%s%x1e"]
    if since:
        args.append(f"--since={since.isoformat()}")
    if until:
        args.append(f"--until={until.isoformat()}")
    out = repo.git.log(*args)
    commits = []
    for record in out.split("\x1e"):
        record = record.strip()
        if not record:
            continue
        sha, ts, author, subject = record.split("\x1f", 3)
        when = datetime.fromtimestamp(int(ts), tz=timezone.utc)
        commits.append(Commit(sha=sha, time=when, author=author, message=subject))
    return commits


def first_added(root: Path, path: str) -> datetime | None:
    """When `path` first entered the current branch's history (None if never committed)."""
    repo = _repo(root)
    if not repo.head.is_valid():
        return None
    out = repo.git.log("--diff-filter=A", "--format=%ct", "--reverse", "--", path)
    first = out.split()[:1]
    return datetime.fromtimestamp(int(first[0]), tz=timezone.utc) if first else None


def ls_files(root: Path) -> list[str]:
    """Tracked files, relative to root."""
    out = _repo(root).git.ls_files("-z")
    return [p for p in out.split("\0") if p]


def first_added_times(root: Path, folder: str) -> dict[str, datetime]:
    """When each file under `folder` first entered HEAD's history, in one pass of git log."""
    repo = _repo(root)
    if not repo.head.is_valid():
        return {}
    out = repo.git.log("--diff-filter=A", "--format=\x1e%ct", "--name-only", "--no-renames", "--", folder)
    added: dict[str, datetime] = {}
    for record in out.split("\x1e"):
        lines = [line for line in record.splitlines() if line.strip()]
        if not lines:
            continue
        when = datetime.fromtimestamp(int(lines[0]), tz=timezone.utc)
        for path in lines[1:]:
            added[path] = when  # log runs newest first, so the last seen is the first added
    return added


def staged_files(root: Path) -> list[str]:
    """Files added, copied, modified or renamed in the index, relative to root."""
    repo = _repo(root)
    out = repo.git.diff("--cached", "--name-only", "-z", "--diff-filter=ACMR")
    return [p for p in out.split("\0") if p]


def staged_bytes(root: Path, path: str) -> bytes:
    """The content of `path` as staged in the index."""
    return _repo(root).git.cat_file("blob", f":{path}", stdout_as_string=False)
