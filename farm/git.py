"""The one door to git. Every git call farm makes goes through this module (gitpython)."""

from __future__ import annotations

import os
from contextlib import contextmanager
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


_REPOS: dict[str, object] = {}
# The environment git would otherwise take its repository and index from. farm finds the
# repository from the directory it runs in and names it to every git it starts, so a
# GIT_DIR, GIT_WORK_TREE or GIT_INDEX_FILE left in the environment (a git hook sets some)
# can never make farm write in one repository and commit in another.
_LOCATING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
             "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES")


def _repo(path: Path):
    """One repository handle per work tree for the whole run (each costs milliseconds)."""
    key = str(path)
    if key not in _REPOS:
        _REPOS[key] = _open(path)
    return _REPOS[key]


def _open(path: Path):
    import git

    saved = {name: os.environ.pop(name) for name in _LOCATING if name in os.environ}
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotAGitRepo(f"{path} is not inside a git repository (run `git init` first)") from None
    finally:
        os.environ.update(saved)
    if not repo.bare and repo.working_tree_dir is not None:
        gdir = Path(repo.git_dir)
        repo.git.update_environment(GIT_DIR=str(gdir), GIT_WORK_TREE=str(repo.working_tree_dir),
                                    GIT_INDEX_FILE=str(gdir / "index"))
    return repo


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


def common_dir(root: Path) -> Path:
    """The folder a linked worktree shares with its main repository (for others, the git dir)."""
    return Path(_repo(root).common_dir)


def git_dir(root: Path) -> Path:
    return Path(_repo(root).git_dir)


def hooks_dir(root: Path) -> tuple[Path, bool]:
    """The folder git runs hooks from, and whether `core.hooksPath` chose it.

    A relative core.hooksPath is relative to the top of the work tree, as git reads it;
    without one, hooks live in the common git dir (shared by every worktree).
    """
    return _hooks_folder(_repo(root))


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


@dataclass(frozen=True)
class PathState:
    """What the person has done to one path that git has not committed."""

    code: str  # git's two status letters: " M", "D ", "R ", "??", "!!", …
    renamed_to: str | None = None  # a rename's new path, when this path is its source

    @property
    def gone(self) -> bool:
        """Deleted or renamed away by the person: farm must not bring it back."""
        return "D" in self.code or self.renamed_to is not None

    @property
    def ignored(self) -> bool:
        return self.code == "!!"


def path_states(root: Path, paths: list[str]) -> dict[str, PathState]:
    """The uncommitted state of those of `paths` that have one (clean paths are absent).

    One `git status` for all of them; a rename's source is reported as such, so a person's
    staged `git mv AGENTS.md docs/` reads as "renamed", never as a file farm may recreate.
    """
    if not paths:
        return {}
    out = _repo(root).git.status("--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching", "--renames", "--", *paths)
    states: dict[str, PathState] = {}
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC" and i < len(entries):
            source = entries[i]
            i += 1
            if code[0] == "R":
                states[source] = PathState(code, renamed_to=path)
        states[path] = PathState(code)
    if any(state.code[0] == "D" for state in states.values()):
        _staged_renames(root, states)
    for path in _hidden_changes(root, [p for p in paths if p not in states]):
        states[path] = PathState(" M")
    return states


def _hidden_changes(root: Path, paths: list[str]) -> list[str]:
    """Tracked paths flagged skip-worktree or assume-unchanged: `git status` does not show
    their edits, but they are the person's, so farm treats them as changed."""
    if not paths:
        return []
    out = _repo(root).git.ls_files("-v", "-z", "--", *paths)
    return [entry[2:] for entry in out.split("\0") if len(entry) > 2 and (entry[0] == "S" or entry[0].islower())]


def _staged_renames(root: Path, states: dict[str, PathState]) -> None:
    """A staged deletion may be half of a staged rename whose new path lies outside the paths
    asked about; `git diff --cached -M` pairs them (rare, so its cost is paid only then)."""
    out = _repo(root).git.diff("--cached", "-M", "-z", "--name-status", "--diff-filter=R")
    parts = out.split("\0")
    for i in range(0, len(parts) - 2, 3):
        source, dest = parts[i + 1], parts[i + 2]
        if source in states and states[source].code[0] == "D":
            states[source] = PathState(states[source].code, renamed_to=dest)


def untracked_paths(root: Path, paths: list[str]) -> list[str]:
    """Files under `paths` that git does not track and .gitignore does not exclude, sorted."""
    if not paths:
        return []
    out = _repo(root).git.status("--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    return sorted(entry[3:] for entry in out.split("\0") if entry.startswith("?? "))


def tracked(root: Path, path: str) -> bool:
    repo = _repo(root)
    return bool(repo.git.ls_files("--", path))


INDEX_LOCK_WAIT = 30.0  # seconds: an editor's background `git status` holds the lock for milliseconds


@contextmanager
def _index_lock(gdir: Path, wait: float | None = None):
    """Hold git's own lock on the real index (`index.lock`, created exclusively, as git does),
    waiting while another git holds it. Yields the lock file's path."""
    import time

    lock = gdir / "index.lock"
    wait = INDEX_LOCK_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            os.write(fd, f"farm {os.getpid()}\n".encode())  # so recovery can tell farm's lock from a git's
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise GitStateError(f"another git process holds {lock} (for over {wait:.0f} s); "
                                    "if none is running, remove that file and run farm again") from None
            time.sleep(0.02)
    os.close(fd)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def commit_paths(root: Path, paths: list[str], message: str, when: datetime | None = None,
                 made=lambda sha: None) -> str | None:
    """Commit exactly `paths` (relative to root) on the current branch; whatever else is
    staged stays staged. Returns the new commit, or None when the paths were unchanged.

    Like `git commit --only`: the commit is built in a private index (HEAD's tree plus
    these paths), the repo's pre-commit and commit-msg hooks run on it, it is signed when
    `commit.gpgsign` says so, and then, holding git's lock on the real index, the branch is
    moved by compare-and-swap and the real index takes these paths in one rename. HEAD and
    the index move together or not at all: any failure before the branch moved leaves both
    as they were and raises GitStateError; nothing can fail after it. `when` back-dates the
    commit (the demo farm's history). `made(sha)` is told the new commit before the branch
    moves, so a journal can recognise it later.
    """
    import tempfile

    import git

    state = repo_state(root)
    if state.blocker:
        raise GitStateError(f"not committing: {state.blocker}")
    repo = _repo(root)
    gdir = Path(repo.git_dir)
    head = _head(repo)
    # farm's commits are dated now (or `when`): never by dates a git hook left in the environment
    dated = {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()} if when else {
        "GIT_AUTHOR_DATE": "", "GIT_COMMITTER_DATE": ""}
    moved = False
    try:
        with tempfile.TemporaryDirectory(dir=gdir, prefix="farm-commit-") as tmp, _index_lock(gdir) as lock:
            private = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if head:
                repo.git.read_tree(head, env=private)
            repo.git.add("--all", "--", *paths, env=private)
            _run_hook(repo, "pre-commit", env=private)
            tree = repo.git.write_tree(env=private)
            if head and tree == repo.git.rev_parse(f"{head}^{{tree}}"):
                return None
            message = _commit_message(repo, Path(tmp), message, private)
            parents = ["-p", head] if head else []
            sign = ["-S"] if _config_bool(repo, "commit.gpgsign") else []
            sha = repo.git.commit_tree(tree, *parents, *sign, "-m", message, env=dated)
            next_index = _next_index(repo, gdir, Path(tmp), paths, private, len(tree))
            subject = message.splitlines()[0] if message.strip() else "farm"
            made(sha)
            repo.git.update_ref("-m", f"commit: {subject}", "HEAD", sha, head or "0" * len(tree))
            moved = True  # from here on the commit has landed: nothing may report a failure
            try:
                os.replace(next_index, lock)  # git's own protocol: the lock file's content becomes the index
                os.replace(lock, gdir / "index")
                moved = False
            except OSError:
                pass
        if moved:  # the index could not be swapped in: let git bring these paths up to HEAD instead
            repo.git.execute(["git", "reset", "-q", sha, "--", *paths], with_exceptions=False)
    except git.GitCommandError as exc:
        reason = (exc.stderr or str(exc)).strip().splitlines()
        detail = reason[-1].strip() if reason else "unknown reason"
        raise GitStateError(f"git could not commit ({detail.removeprefix('stderr: ').strip()})") from None
    return sha


def _next_index(repo, gdir: Path, tmp: Path, paths: list[str], private: dict, width: int) -> Path:
    """The real index as it must be after the commit: as it is now, with `paths` as committed."""
    import shutil

    real, copy = gdir / "index", tmp / "next-index"
    if real.exists():
        shutil.copyfile(real, copy)
    entries = repo.git.ls_files("-s", "-z", "--", *paths, env=private)
    committed = {line.split("\t", 1)[1]: line for line in entries.split("\0") if "\t" in line}
    zero = "0" * width  # as long as the repo's object ids (SHA-1 or SHA-256)
    lines = [committed.get(p) or f"0 {zero}\t{p}" for p in paths]  # mode 0: the path is gone
    lines += [line for p, line in committed.items() if p not in paths]
    info = tmp / "index-info"
    info.write_bytes(("\0".join(dict.fromkeys(lines)) + "\0").encode("utf-8", "surrogateescape"))
    with info.open("rb") as stream:
        repo.git.update_index("-z", "--index-info", istream=stream, env={"GIT_INDEX_FILE": str(copy)})
    return copy


def _config_value(repo, section: str, option: str) -> str | None:
    """A setting as git reads it (system, global, repo and worktree files), without a git process."""
    try:
        value = repo.config_reader().get_value(section, option, default=None)
    except Exception:  # an unreadable config: let git itself decide later
        return None
    return None if value is None else str(value)


def _config_bool(repo, key: str) -> bool:
    section, option = key.split(".", 1)
    return (_config_value(repo, section, option) or "").strip().lower() in ("true", "yes", "on", "1")


def _hook(repo, name: str) -> Path | None:
    """The repo's `name` hook when there is one that git would run (core.hooksPath honoured)."""
    path = _hooks_folder(repo)[0] / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _hooks_folder(repo) -> tuple[Path, bool]:
    configured = _config_value(repo, "core", "hooksPath")
    if configured:
        folder = Path(os.path.expanduser(configured))
        return (folder if folder.is_absolute() else Path(repo.working_tree_dir) / folder), True
    return Path(repo.common_dir).resolve() / "hooks", False


def _run_hook(repo, name: str, *args: str, env: dict) -> None:
    """Run a commit hook the way `git commit` does; a hook that says no stops the commit."""
    import subprocess

    hook = _hook(repo, name)
    if hook is None:
        return
    full = {**os.environ, **repo.git._environment, **env}
    try:
        done = subprocess.run([str(hook), *args], cwd=repo.working_tree_dir, env=full,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
    except OSError as exc:
        raise GitStateError(f"could not run the {name} hook ({exc.strerror})") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        detail = f": {said[-1].strip()}" if said else ""
        raise GitStateError(f"the repo's {name} hook refused farm's commit{detail}")


def _commit_message(repo, tmp: Path, message: str, env: dict) -> str:
    if _hook(repo, "commit-msg") is None:
        return message
    path = tmp / "COMMIT_EDITMSG"
    path.write_text(message + "\n", encoding="utf-8")
    _run_hook(repo, "commit-msg", str(path), env=env)
    return path.read_text(encoding="utf-8", errors="replace").strip() or message


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
    out = repo.git.diff("--cached", "--name-only", "-z", "--diff-filter=ACMR", env=_hook_index())
    return [p for p in out.split("\0") if p]


def staged_bytes(root: Path, path: str) -> bytes:
    """The content of `path` as staged in the index."""
    return _repo(root).git.cat_file("blob", f":{path}", stdout_as_string=False, strip_newline_in_stdout=False,
                                    env=_hook_index())


def _hook_index() -> dict:
    """Inside a git hook, the index git handed it (`git commit -a` stages into a temporary one)."""
    given = os.environ.get("GIT_INDEX_FILE")
    return {"GIT_INDEX_FILE": given} if given else {}


# --- sync and seed ----------------------------------------------------------


def remote_url(root: Path, name: str = "origin") -> str | None:
    repo = _repo(root)
    try:
        return repo.remote(name).url
    except ValueError:
        return None


def shown_url(text: str) -> str:
    """`text` with any URL's user:password dropped and secrets redacted: fit for a message or a file."""
    import re

    from farm.redact import redact

    return redact(re.sub(r"(\b[a-zA-Z][\w+.-]*://)[^/@\s]*@", r"\1", text))


def clone(url: str, dest: Path) -> Path:
    """Clone `url` into `dest` (which must not exist yet); the clone's work tree."""
    import git

    if url.startswith("-"):
        raise GitStateError(f"could not clone {shown_url(url)!r}: not a URL")
    if url.startswith("ext::") or "::" in url.split("://")[0]:
        raise GitStateError(f"could not clone {shown_url(url)!r}: farm clones only plain URLs and paths")
    try:  # never wait for a password prompt: fail and say so
        git.Repo.clone_from(url, str(dest), multi_options=["--quiet", "--no-recurse-submodules"],
                            env={"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""})
    except git.GitCommandError as exc:
        lines = [line.strip().removeprefix("stderr:").strip(" '") for line in (exc.stderr or "").splitlines()]
        detail = next((line for line in reversed(lines) if line), "git clone failed")
        raise GitStateError(f"could not clone {shown_url(url)} ({shown_url(detail)})") from None
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
    return _head(_repo(root))


def _head(repo) -> str | None:
    """HEAD's commit, or None on an unborn branch (asked of git: GitPython misreads SHA-256 repos)."""
    status, out, _ = repo.git.execute(["git", "rev-parse", "-q", "--verify", "HEAD^{commit}"],
                                      with_extended_output=True, with_exceptions=False)
    return out.strip() if status == 0 and out.strip() else None


def is_ancestor(root: Path, sha: str, of: str = "HEAD") -> bool:
    """Whether commit `sha` is in the history of `of` (a commit farm made that has since been built on)."""
    status, _, _ = _repo(root).git.execute(["git", "merge-base", "--is-ancestor", sha, of],
                                           with_extended_output=True, with_exceptions=False)
    return status == 0


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


def clear_stale_index_lock(root: Path, older_than: float, owner_pid: int | None = None) -> bool:
    """After a farm was killed mid-commit: remove what it left in git's folder. Its private
    index folders go; `index.lock` goes when farm wrote it (it holds farm's pid), after
    `older_than` (the journal's time), and that farm is dead. A git's lock is kept."""
    import shutil

    gdir = git_dir(root)
    for leftover in gdir.glob("farm-commit-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    lock = gdir / "index.lock"
    try:
        mtime = lock.stat().st_mtime
    except FileNotFoundError:
        return False
    if mtime < older_than - 1:
        return False  # older than farm's change: someone else's
    if owner_pid is not None and _lock_owner(lock) == owner_pid and not _alive(owner_pid):
        lock.unlink(missing_ok=True)  # farm's own lock, and that farm is gone
        return True
    return False  # a git's lock (farm's gits never take it): never taken from it


def _lock_owner(lock: Path) -> int | None:
    """The farm process that holds `lock` (farm writes its pid in the lock it takes; git's hold an index)."""
    try:
        head = lock.read_bytes()[:32]
    except OSError:
        return None
    if head.startswith(b"farm "):
        try:
            return int(head[5:].split()[0])
        except (ValueError, IndexError):
            return None
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ignored_paths(root: Path, paths: list[str]) -> set[str]:
    """Those of `paths` that .gitignore keeps out of git (tracked files never are)."""
    if not paths:
        return set()
    repo = _repo(root)
    status, out, _ = repo.git.execute(  # -z needs --stdin; farm's paths hold no newline
        ["git", "-c", "core.quotepath=off", "check-ignore", "--", *paths],
        with_extended_output=True, with_exceptions=False)
    return set(out.splitlines()) & set(paths) if status == 0 else set()
