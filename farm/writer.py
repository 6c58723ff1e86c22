"""The one door to the working tree: every file farm writes in a repo goes through a `Change`.

A change takes the repo's farm lock (and first finishes or undoes a change an interrupted
farm left behind), resolves each target once (inside the work tree, never in `.git/`,
never through a symlink that leaves the tree, regular files only), looks at what the
person has done to each path (edited, deleted, renamed, staged, ignored), journals the
old bytes and the hash of farm's new bytes, writes each file whole keeping its mode, and
commits exactly farm's files (`git.commit_paths`: HEAD and the real index move together).

What the person did wins:
- a path they deleted or renamed (uncommitted) is left alone, and that is said;
- a read-only file is left alone;
- a file with their uncommitted edits, or one their .gitignore excludes, is written but
  left out of farm's commit, and that is said.

If the commit fails (a hook says no, signing fails, the disk is full), or farm is
interrupted, farm's writes are undone, and a file is only put back while it still holds
exactly what farm wrote: an edit made after a crash is never thrown away.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from farm import git, model
from farm.artifacts import Planned
from farm.errors import FarmError, GitStateError, InvalidInput
from farm.fsutil import atomic_write, inside, require_regular
from farm.project import Farm

JOURNAL = "farm-journal.json"
LOCK_WAIT = 300  # seconds
_HELD_ENV = "FARM_LOCK_HELD"  # set for the git hooks a farm commit runs: a farm they start must not wait for it


@dataclass
class Written:
    files: list[str]  # repo paths farm wrote or removed
    commit: str | None = None
    not_committed: list[str] = field(default_factory=list)
    note: str | None = None
    skipped: list[str] = field(default_factory=list)  # paths farm left alone (the note says why)
    _change: Change | None = field(default=None, repr=False, compare=False)


# --- the lock ----------------------------------------------------------------------

_LOCKS: dict[str, object] = {}


@contextmanager
def farm_lock(farm: Farm):
    """One farm-changing command at a time in a repo; an interrupted one is finished or undone
    first (yields what recovery did, or None). Re-entrant within a process."""
    from filelock import FileLock, Timeout

    gdir = str(git.git_dir(farm.root).resolve())
    if os.environ.get(_HELD_ENV) == gdir:  # a hook of farm's own commit: the parent farm holds it
        yield None
        return
    lock = _LOCKS.setdefault(gdir, FileLock(os.path.join(gdir, "farm.lock")))
    try:
        lock.acquire(timeout=LOCK_WAIT)
    except Timeout:
        raise FarmError("another farm command has held this repo's lock for 5 minutes; try again") from None
    try:
        yield recover(farm) if lock.lock_counter == 1 else None
    finally:
        lock.release()


@contextmanager
def _hooks_see_lock(farm: Farm):
    gdir = str(git.git_dir(farm.root).resolve())
    before = os.environ.get(_HELD_ENV)
    os.environ[_HELD_ENV] = gdir
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_HELD_ENV, None)
        else:
            os.environ[_HELD_ENV] = before


# --- the change --------------------------------------------------------------------


@dataclass
class _Target:
    rel: str  # as farm named it
    path: Path  # resolved
    git_rel: str  # the resolved path relative to the work tree: what git is given
    data: bytes | None  # None: remove the file


class Change:
    """A set of writes and removals in one repo, applied and committed as one."""

    def __init__(self, farm: Farm, *, bulk: bool = False):
        self.farm = farm
        self.bulk = bulk  # many files: one sync at the end instead of an fsync per file
        self._targets: dict[str, _Target] = {}
        self._written: Written | None = None
        self._commit_paths: list[str] = []
        self._vouched: list[str] = []
        self._required: set[str] = set()
        self._made: str | None = None
        self._journal_open = False

    def write(self, rel: str, content: str | bytes, *, required: bool = False) -> None:
        """Plan `rel` to hold `content` (encoded now: a text that cannot be written fails before
        anything is). A `required` file is what the change is for: if the person's state of it
        means farm must leave it alone, the whole change is refused instead."""
        try:
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        except UnicodeEncodeError:
            raise InvalidInput(f"{rel}: the text holds characters that are not valid Unicode; nothing was written") from None
        self._add(rel, data)
        if required:
            self._required.add(next(reversed(self._targets)))

    def remove(self, rel: str) -> None:
        self._add(rel, None)

    def vouch(self, rel: str) -> None:
        """Commit `rel` as it is: a file farm itself wrote just before (by `farm init`)."""
        path = inside(self.farm.root, rel)
        self._vouched.append(path.relative_to(self.farm.root.resolve()).as_posix())

    def _add(self, rel: str, data: bytes | None) -> None:
        if self._written is not None:
            raise RuntimeError("a change cannot grow after it was applied")
        path = inside(self.farm.root, rel)
        top = self.farm.root.resolve()
        git_rel = path.relative_to(top).as_posix()
        _refuse_other_repositories(self.farm.root, top, path, rel)
        require_regular(path, rel)
        self._targets.pop(git_rel, None)  # the same file twice (a symlinked folder): the last write wins
        self._targets[git_rel] = _Target(rel, path, git_rel, data)

    # -- applying ------------------------------------------------------------------

    def apply(self) -> Written:
        """Write every planned file (journaled), leaving alone what the person deleted, renamed or locked."""
        targets = list(self._targets.values())
        paths = [t.git_rel for t in targets]
        states = git.path_states(self.farm.root, paths)
        for path in git.ignored_paths(self.farm.root, [p for p in paths if p not in states]):
            states[path] = git.PathState("!!")  # not there yet, and git would refuse to add it
        written, skipped, notes = [], [], []
        for t in targets:
            reason = _leave_alone(t, states.get(t.git_rel))
            if reason and t.git_rel in self._required:
                raise InvalidInput(f"{t.git_rel} {reason.replace('was left alone', 'cannot be changed')}; nothing was written")
            if reason:
                skipped.append(t.git_rel)
                notes.append(f"{t.git_rel} {reason}")
            elif t.data is not None or t.path.exists() or t.path.is_symlink():
                written.append(t)
        dirty = [t.git_rel for t in written if t.git_rel in states and not states[t.git_rel].ignored]
        ignored = [t.git_rel for t in written if t.git_rel in states and states[t.git_rel].ignored]
        self._commit_paths = [t.git_rel for t in written if t.git_rel not in states]
        extra = [p for p in self._vouched if p not in self._targets]
        self._commit_paths += extra
        result = Written(files=[t.git_rel for t in written] + extra, skipped=skipped, _change=self)
        result.not_committed = dirty + ignored
        if dirty:
            notes.append("left uncommitted, they hold your own uncommitted changes: " + ", ".join(dirty))
        if ignored:
            notes.append("not committed, your .gitignore excludes them: " + ", ".join(ignored))
        result.note = "; ".join(notes) or None
        self._written = result
        if written:
            self._journal(written)
            self._write_all(written)
        return result

    def _journal(self, targets: list[_Target]) -> None:
        entries = []
        for t in targets:
            old = _read_or_none(t.path)
            entries.append({"path": t.git_rel, "old": None if old is None else base64.b64encode(old).decode(),
                            "new": None if t.data is None else _digest(t.data)})
        journal = {"version": 2, "head": git.head_sha(self.farm.root), "at": time.time(), "pid": os.getpid(),
                   "files": entries, "commit": self._commit_paths}
        atomic_write(_journal_path(self.farm), json.dumps(journal))
        self._journal_open = True

    def _write_all(self, targets: list[_Target]) -> None:
        top = self.farm.root.resolve()
        try:
            for t in targets:
                if t.data is None:
                    _remove(top, t.path)
                else:
                    atomic_write(t.path, t.data, fsync=not self.bulk)
            if self.bulk:
                os.sync()
        except OSError as exc:
            self.rollback()
            raise FarmError(f"could not write {exc.filename or 'a file'}: {exc.strerror}; nothing was changed") from None
        except BaseException:
            self.rollback()
            raise

    # -- committing ----------------------------------------------------------------

    def commit(self, message: str, *, commit: bool = True, when: datetime | None = None) -> Written:
        """Commit farm's files and close the change. A failed commit undoes the writes and raises."""
        written = self._written if self._written is not None else self.apply()
        try:
            self._commit(written, message, commit, when)
        except GitStateError as exc:
            self.rollback()
            raise GitStateError(f"{exc}; farm undid its change") from None
        except BaseException:
            if self._made and git.is_ancestor(self.farm.root, self._made):
                git.unstage(self.farm.root, self._commit_paths)  # landed: the index catches up, nothing is undone
                self._close()
            else:
                self.rollback()
            raise
        self._close()
        return written

    def _commit(self, written: Written, message: str, commit: bool, when: datetime | None) -> None:
        if not commit:
            written.not_committed = list(written.files)
            written.note = _join(written.note, "not committed (--no-commit)")
            return
        blocker = git.repo_state(self.farm.root).blocker
        if blocker:
            written.not_committed = list(written.files)
            written.note = _join(written.note, f"not committed: {blocker}")
            return
        inside_git = _running_git_commit()
        if inside_git:
            written.not_committed = list(written.files)
            written.note = _join(written.note, f"not committed: {inside_git}")
            return
        if self._commit_paths:
            with _hooks_see_lock(self.farm):
                written.commit = git.commit_paths(self.farm.root, self._commit_paths, message, when, made=self._journal_commit)

    def _journal_commit(self, sha: str) -> None:
        """Note the commit in the journal before the branch moves: recovery then knows it by its id."""
        self._made = sha
        if self._journal_open:
            journal = _read_journal(self.farm) or {}
            journal["made"] = sha
            atomic_write(_journal_path(self.farm), json.dumps(journal))

    def rollback(self) -> list[str]:
        """Undo farm's writes (only where a file still holds farm's bytes); what was left, said."""
        if not self._journal_open:
            return []
        left = _undo(self.farm, _read_journal(self.farm) or {})
        self._close()
        return left

    def _close(self) -> None:
        if self._journal_open:
            _journal_path(self.farm).unlink(missing_ok=True)
            self._journal_open = False


def _refuse_other_repositories(root: Path, top: Path, path: Path, rel: str) -> None:
    """A path in git's own folder, whatever it is called (`--separate-git-dir`), or inside a
    repository nested in this one, is not this work tree's: refused before anything is written."""
    for gdir in {git.git_dir(root).resolve(), git.common_dir(root).resolve()}:
        if path == gdir or path.is_relative_to(gdir):
            raise InvalidInput(f"{rel} lies in this repository's git folder, which farm never touches")
    folder = path.parent
    while folder != top and folder.is_relative_to(top):
        if (folder / ".git").exists():
            raise InvalidInput(f"{rel} lies inside another git repository ({folder.relative_to(top).as_posix()}/); farm writes only this one")
        folder = folder.parent


def _running_git_commit() -> str | None:
    """Inside a git hook (git hands its hooks GIT_INDEX_FILE, and a commit holds the index
    lock meanwhile), farm writes and leaves committing to the person: it would wait on git."""
    if os.environ.get("GIT_INDEX_FILE") and os.environ.get(_HELD_ENV) is None:
        return "GIT_INDEX_FILE is set (farm seems to run inside a git hook)"
    return None


def _leave_alone(t: _Target, state: git.PathState | None) -> str | None:
    if t.data is None and state is not None and not state.ignored:
        return "was left alone: farm would remove it, but it holds your uncommitted changes"
    if state is not None and state.renamed_to:
        return f"was left alone: you renamed it to {state.renamed_to} (not committed yet)"
    if state is not None and state.gone:
        return "was left alone: you deleted it (not committed yet)"
    try:
        mode = os.stat(t.path).st_mode
    except OSError:
        return None
    if not mode & stat.S_IWUSR:
        return "was left alone: it is read-only"
    return None


def _remove(top: Path, path: Path) -> None:
    """Delete `path`, and the folders it leaves empty (a skill's), up to the repo's top."""
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != top and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _join(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


# --- the functions every command uses ----------------------------------------------


def event_file(farm: Farm, event: model.Event) -> Planned:
    return Planned(f"{farm.config['corrections_dir']}/{model.event_path(event)}", model.dump_event(event))


def write_files(farm: Farm, planned: list[Planned], *, bulk: bool = False, required: tuple[str, ...] = ()) -> Written:
    """Write `planned` (under farm_lock) through one Change; `commit_written` finishes it.
    `required` names the files the change is for (see `Change.write`)."""
    change = Change(farm, bulk=bulk)
    for item in planned:
        change.write(item.path, item.content, required=item.path in required)
    return change.apply()


def commit_written(farm: Farm, written: Written, message: str, *, commit: bool = True,
                   when: datetime | None = None) -> Written:
    if written._change is None:
        return written
    return written._change.commit(message, commit=commit, when=when)


# --- the journal -------------------------------------------------------------------


def _journal_path(farm: Farm) -> Path:
    return git.git_dir(farm.root) / JOURNAL


def _read_journal(farm: Farm) -> dict | None:
    try:
        journal = json.loads(_journal_path(farm).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return journal if isinstance(journal, dict) else None


def recover(farm: Farm) -> str | None:
    """Finish or undo a change an interrupted farm left behind; says what it did, or None."""
    path = _journal_path(farm)
    if not path.exists():
        return None
    journal = _read_journal(farm)
    if journal is None:
        path.unlink(missing_ok=True)
        return None
    pid = journal.get("pid")
    git.clear_stale_index_lock(farm.root, older_than=journal.get("at", 0),
                               owner_pid=pid if isinstance(pid, int) and pid != os.getpid() else None)
    if _landed(farm, journal):
        git.unstage(farm.root, journal["commit"])  # the index takes HEAD's entries, if it had not yet
        path.unlink()
        return "an interrupted farm commit had landed; nothing to undo"
    left = _undo(farm, journal)
    path.unlink()
    if left:
        return ("undid an interrupted farm change, except files changed since then, left as they are: "
                + ", ".join(left))
    return "undid an interrupted farm change: every file is back as it was"


def _undo(farm: Farm, journal: dict) -> list[str]:
    """Put back every journaled file that still holds farm's bytes; the others, listed."""
    left = []
    for entry in journal.get("files", []):
        try:
            target = inside(farm.root, entry["path"])
        except (InvalidInput, KeyError, TypeError):
            continue
        for leftover in target.parent.glob(f".{target.name}.*.tmp"):
            leftover.unlink(missing_ok=True)  # atomic_write's temp file, killed before its rename
        now = _read_or_none(target) if target.is_file() or not target.exists() else b""
        wrote = entry.get("new")
        old = base64.b64decode(entry["old"]) if entry.get("old") is not None else None
        if now == old:
            continue
        if "new" not in entry or (now is None) != (wrote is None) or (now is not None and _digest(now) != wrote):
            left.append(entry["path"])  # changed since farm wrote it: the person's now
            continue
        if old is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, old)
    return left


def _landed(farm: Farm, journal: dict) -> bool:
    made = journal.get("made")
    if isinstance(made, str) and made:
        return git.is_ancestor(farm.root, made)  # even when the person has committed on top since
    head = git.head_sha(farm.root)
    wanted = set(journal.get("commit") or [])
    if not wanted or head is None or head == journal.get("head"):
        return False
    return wanted <= set(git.changed_in(farm.root, head))
