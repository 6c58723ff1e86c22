"""Writing farm's files and committing exactly them: shared by capture, retire, scan, …

Every file is written whole (temp file + rename). A file that already held someone's
uncommitted changes is written but left out of farm's commit, and that is said.

A change is a transaction: before touching the work tree, farm writes a journal
(`.git/farm-journal.json`) with each file's previous content. `commit_written` (or the
decision not to commit) closes it. If farm dies in between (kill -9, power loss), the
next farm command that takes the lock finds the journal and either sees the commit
landed or puts every file back as it was: the whole correction or none of it.
"""

from __future__ import annotations

import base64
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from farm import git, model
from farm.artifacts import Planned
from farm.errors import FarmError, GitStateError
from farm.fsutil import atomic_write, inside
from farm.project import Farm

JOURNAL = "farm-journal.json"


@dataclass
class Written:
    files: list[str]
    commit: str | None = None
    not_committed: list[str] = field(default_factory=list)
    note: str | None = None


@contextmanager
def farm_lock(farm: Farm):
    """One farm-changing command at a time in a repo; an interrupted one is undone first."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(git.git_dir(farm.root) / "farm.lock"))
    try:
        lock.acquire(timeout=300)
    except Timeout:
        raise FarmError("another farm command has held this repo's lock for 5 minutes; try again") from None
    try:
        yield recover(farm)
    finally:
        lock.release()


def event_file(farm: Farm, event: model.Event) -> Planned:
    return Planned(f"{farm.config['corrections_dir']}/{model.event_path(event)}", model.dump_event(event))


def write_files(farm: Farm, planned: list[Planned]) -> Written:
    """Write `planned` (under farm_lock), journaled so an interruption can be undone."""
    targets = [(p, inside(farm.root, p.path)) for p in planned]
    existing = [p.path for p, target in targets if target.exists()]
    dirty_before = git.dirty_paths(farm.root, existing)
    files = [p.path for p in planned]
    written = Written(files=files, not_committed=[p for p in files if p in dirty_before])
    _journal_open(farm, targets, [p for p in files if p not in dirty_before])
    try:
        for item, target in targets:
            atomic_write(target, item.content)
    except OSError as exc:
        recover(farm)
        raise FarmError(f"could not write {exc.filename or 'a file'}: {exc.strerror}; nothing was changed") from None
    return written


def commit_written(farm: Farm, written: Written, message: str, *, commit: bool = True) -> Written:
    try:
        return _commit(farm, written, message, commit)
    finally:
        _journal_path(farm).unlink(missing_ok=True)


def _commit(farm: Farm, written: Written, message: str, commit: bool) -> Written:
    if not commit:
        written.not_committed, written.note = written.files, "not committed (--no-commit)"
        return written
    state = git.repo_state(farm.root)
    if state.blocker:
        written.not_committed, written.note = written.files, f"not committed: {state.blocker}"
        return written
    ignored = git.ignored_paths(farm.root, [p for p in written.files if p not in written.not_committed])
    to_commit = [p for p in written.files if p not in written.not_committed and p not in ignored]
    notes = []
    if written.not_committed:
        notes.append("left uncommitted, they hold your own uncommitted changes: " + ", ".join(written.not_committed))
    if ignored:
        notes.append("not committed, your .gitignore excludes them: " + ", ".join(sorted(ignored)))
        written.not_committed = [*written.not_committed, *sorted(ignored)]
    written.note = "; ".join(notes) or None
    if not to_commit:
        return written
    try:
        written.commit = git.commit_paths(farm.root, to_commit, message)
    except GitStateError as exc:
        written.not_committed, written.note = written.files, str(exc)
    return written


# --- the journal -------------------------------------------------------------------


def _journal_path(farm: Farm) -> Path:
    return git.git_dir(farm.root) / JOURNAL


def _journal_open(farm: Farm, targets: list[tuple[Planned, Path]], to_commit: list[str]) -> None:
    files = []
    for item, target in targets:
        old = target.read_bytes() if target.exists() else None
        files.append({"path": item.path, "old": base64.b64encode(old).decode() if old is not None else None})
    journal = {"head": git.head_sha(farm.root), "files": files, "commit": to_commit, "at": time.time()}
    atomic_write(_journal_path(farm), json.dumps(journal))


def recover(farm: Farm) -> str | None:
    """Finish or undo a change an interrupted farm left behind; says what it did, or None."""
    path = _journal_path(farm)
    if not path.exists():
        return None
    try:
        journal = json.loads(path.read_text())
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return None
    git.clear_stale_index_lock(farm.root, older_than=journal.get("at", 0))
    if _landed(farm, journal):
        git.stage(farm.root, journal["commit"])  # the index may not have caught up with the commit
        path.unlink()
        return "an interrupted farm commit had landed; nothing to undo"
    for entry in journal["files"]:
        target = inside(farm.root, entry["path"])
        for leftover in target.parent.glob(f".{target.name}.*.tmp"):
            leftover.unlink(missing_ok=True)  # atomic_write's temp file, killed before its rename
        if entry["old"] is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, base64.b64decode(entry["old"]))
    git.unstage(farm.root, journal.get("commit", []))
    path.unlink()
    return "undid an interrupted farm change: every file is back as it was"


def _landed(farm: Farm, journal: dict) -> bool:
    head = git.head_sha(farm.root)
    wanted = set(journal.get("commit") or [])
    if not wanted or head is None or head == journal.get("head"):
        return False
    return wanted <= set(git.changed_in(farm.root, head))


def journal(farm: Farm, targets: dict[str, Path], to_commit: list[str]) -> None:
    """Journal a change to `targets` (repo path -> resolved path, to be written or deleted)
    that a caller makes itself, for speed (sync and seed write thousands of files);
    `commit_written` closes it."""
    _journal_open(farm, [(Planned(rel, ""), path) for rel, path in targets.items()], to_commit)
