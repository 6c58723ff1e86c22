"""Writing farm's files and committing exactly them: shared by capture, retire and the rest.

Every file is written whole (temp file + rename). A file that already held someone's
uncommitted changes is written but left out of farm's commit, and that is said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from farm import git, model
from farm.artifacts import Planned
from farm.errors import GitStateError
from farm.fsutil import atomic_write, inside
from farm.project import Farm


@dataclass
class Written:
    files: list[str]
    commit: str | None = None
    not_committed: list[str] = field(default_factory=list)
    note: str | None = None


def farm_lock(farm: Farm):
    """One farm-changing command at a time in a repo (capture, retire, …)."""
    from filelock import FileLock

    return FileLock(str(git.git_dir(farm.root) / "farm.lock"), timeout=120)


def event_file(farm: Farm, event: model.Event) -> Planned:
    return Planned(f"{farm.config['corrections_dir']}/{model.event_path(event)}", model.dump_event(event))


def write_files(farm: Farm, planned: list[Planned]) -> Written:
    existing = [p.path for p in planned if inside(farm.root, p.path).exists()]
    dirty_before = git.dirty_paths(farm.root, existing)
    for item in planned:
        atomic_write(inside(farm.root, item.path), item.content)
    files = [p.path for p in planned]
    return Written(files=files, not_committed=[p for p in files if p in dirty_before])


def commit_written(farm: Farm, written: Written, message: str, *, commit: bool = True) -> Written:
    if not commit:
        written.not_committed, written.note = written.files, "not committed (--no-commit)"
        return written
    state = git.repo_state(farm.root)
    if state.blocker:
        written.not_committed, written.note = written.files, f"not committed: {state.blocker}"
        return written
    to_commit = [p for p in written.files if p not in written.not_committed]
    if written.not_committed:
        written.note = "left uncommitted, they hold your own uncommitted changes: " + ", ".join(written.not_committed)
    try:
        written.commit = git.commit_paths(farm.root, to_commit, message)
    except GitStateError as exc:
        written.not_committed, written.note = written.files, str(exc)
    return written
