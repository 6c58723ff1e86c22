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


def untracked_paths(root: Path, paths: list[str]) -> list[str]:
    """Files under `paths` that git does not track and .gitignore does not exclude, sorted."""
    if not paths:
        return []
    out = _repo(root).git.status("--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    return sorted(entry[3:] for entry in out.split("\0") if entry.startswith("?? "))


def tracked(root: Path, path: str) -> bool:
    repo = _repo(root)
    return bool(repo.git.ls_files("--", path))


def commit_paths(root: Path, paths: list[str], message: str, when: datetime | None = None) -> str | None:
    """Commit exactly `paths` (relative to root) on the current branch; whatever else is
    staged stays staged. Returns the new commit, or None when the paths were unchanged.

    The commit is built in a private index (HEAD's tree plus these paths) and the branch
    moved with a compare-and-swap, so the cost does not grow with the size of the repo's
    index and nothing else of the user's is touched; the real index then takes these
    paths as committed. `when` back-dates the commit (the demo farm's history). Raises
    GitStateError when a merge/rebase is in progress or HEAD is detached.
    """
    import tempfile

    import git

    state = repo_state(root)
    if state.blocker:
        raise GitStateError(f"not committing: {state.blocker}")
    repo = _repo(root)
    head = None if state.unborn else repo.head.commit.hexsha
    dated = {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()} if when else {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            private = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if head:
                repo.git.read_tree(head, env=private)
            repo.git.add("--all", "--", *paths, env=private)
            tree = repo.git.write_tree(env=private)
        if head and tree == repo.git.rev_parse(f"{head}^{{tree}}"):
            return None
        parents = ["-p", head] if head else []
        sha = repo.git.commit_tree(tree, *parents, "-m", message, env=dated)
        subject = message.splitlines()[0]
        repo.git.update_ref("-m", f"commit: {subject}", "HEAD", sha, *([head] if head else ["0" * 40]))
        stage(root, paths)
    except git.GitCommandError as exc:
        reason = (exc.stderr or str(exc)).strip().splitlines()
        detail = reason[-1].strip() if reason else "unknown reason"
        raise GitStateError(f"git could not commit ({detail.removeprefix('stderr: ').strip()})") from None
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
    return _repo(root).git.cat_file("blob", f":{path}", stdout_as_string=False, strip_newline_in_stdout=False)


# --- sync and seed ----------------------------------------------------------


def remote_url(root: Path, name: str = "origin") -> str | None:
    repo = _repo(root)
    try:
        return repo.remote(name).url
    except ValueError:
        return None


def clone(url: str, dest: Path) -> Path:
    """Clone `url` into `dest` (which must not exist yet); the clone's work tree."""
    import git

    if url.startswith("-"):
        raise GitStateError(f"could not clone {url!r}: not a URL")
    try:  # never wait for a password prompt: fail and say so
        git.Repo.clone_from(url, str(dest), multi_options=["--quiet", "--no-recurse-submodules"],
                            env={"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""})
    except git.GitCommandError as exc:
        lines = [line.strip().removeprefix("stderr:").strip(" '") for line in (exc.stderr or "").splitlines()]
        detail = next((line for line in reversed(lines) if line), "git clone failed")
        raise GitStateError(f"could not clone {url} ({detail})") from None
    return dest


def newest_commits(root: Path, paths: list[str]) -> dict[str, tuple[int, str]]:
    """For each file named by (or under) `paths`, the newest commit that touched it: (age rank, sha).

    Rank 0 is the newest commit of the whole log, so a smaller rank is more recent.
    """
    repo = _repo(root)
    if not repo.head.is_valid() or not paths:
        return {}
    out = repo.git.log("--format=\x1e%H", "--name-only", "--no-renames", "--", *paths)
    newest: dict[str, tuple[int, str]] = {}
    for rank, record in enumerate(out.split("\x1e")[1:]):
        lines = [line for line in record.splitlines() if line.strip()]
        for path in lines[1:]:
            newest.setdefault(path, (rank, lines[0]))
    return newest


def tracked_paths(root: Path, paths: list[str]) -> set[str]:
    """Those of `paths` (relative to root) that git tracks."""
    if not paths:
        return set()
    out = _repo(root).git.ls_files("-z", "--", *paths)
    return {p for p in out.split("\0") if p}


def read_blob(root: Path, blob_id: str) -> bytes | None:
    """The content of a blob in the repo's object store, or None when it is not there."""
    import git

    try:
        return _repo(root).git.cat_file("blob", blob_id, stdout_as_string=False, strip_newline_in_stdout=False)
    except git.GitCommandError:
        return None


def store_blob(root: Path, data: bytes) -> str:
    """Put `data` in the repo's object store as a blob (no filters); its id."""
    from io import BytesIO

    from gitdb.base import IStream

    stream = _repo(root).odb.store(IStream("blob", len(data), BytesIO(data)))
    return stream.hexsha.decode() if isinstance(stream.hexsha, bytes) else stream.hexsha


def merge_file(root: Path, ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """Three-way merge of texts with `git merge-file`: (result, clean)."""
    import tempfile

    repo = _repo(root)
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for label, text in (("yours", ours), ("base", base), ("farm", theirs)):
            path = Path(tmp) / label
            path.write_bytes(text.encode("utf-8"))
            names.append(str(path))
        status, out, _ = repo.git.merge_file(
            "-p", "-L", "yours", "-L", "last written by farm", "-L", "farm", *names,
            with_extended_output=True, with_exceptions=False, strip_newline_in_stdout=False,
        )
    if status < 0:
        raise GitStateError("git merge-file failed")
    return out, status == 0


def head_sha(root: Path) -> str | None:
    repo = _repo(root)
    return repo.head.commit.hexsha if repo.head.is_valid() else None


def changed_in(root: Path, sha: str) -> list[str]:
    """The paths a commit changed."""
    out = _repo(root).git.show("--name-only", "--format=", "-z", "--no-renames", sha)
    return [p for p in out.split("\0") if p.strip()]


def stage(root: Path, paths: list[str]) -> None:
    """Put `paths` in the index as they are in the work tree (removals included)."""
    if paths:
        _repo(root).git.add("--all", "--", *paths)


def unstage(root: Path, paths: list[str]) -> None:
    """Put the index entries of `paths` back as HEAD has them (or drop them on an unborn branch)."""
    if not paths:
        return
    repo = _repo(root)
    if repo.head.is_valid():
        repo.git.reset("-q", "HEAD", "--", *paths)
    else:
        repo.git.rm("--cached", "-q", "--ignore-unmatch", "--", *paths)


def clear_stale_index_lock(root: Path, older_than: float) -> bool:
    """Remove .git/index.lock when it predates `older_than` plus a grace period: a git that
    farm started and that was killed with it. A fresh lock belongs to a live git: kept."""
    import time

    lock = git_dir(root) / "index.lock"
    try:
        mtime = lock.stat().st_mtime
    except FileNotFoundError:
        return False
    deadline = time.time() + 5
    while lock.exists() and time.time() < deadline:
        time.sleep(0.1)  # a git still running finishes and removes its own lock
    if lock.exists() and mtime >= older_than - 1 and time.time() - mtime > 5:
        lock.unlink(missing_ok=True)
        return True
    return False


def ignored_paths(root: Path, paths: list[str]) -> set[str]:
    """Those of `paths` that .gitignore keeps out of git (tracked files never are)."""
    if not paths:
        return set()
    repo = _repo(root)
    status, out, _ = repo.git.execute(  # -z needs --stdin; farm's paths hold no newline
        ["git", "-c", "core.quotepath=off", "check-ignore", "--", *paths],
        with_extended_output=True, with_exceptions=False)
    return set(out.splitlines()) & set(paths) if status == 0 else set()
