"""Per-session summaries committed with the farm (`corrections/log/sessions/`), so team-wide
figures (the tracker's exposure) come from git, not from one person's store.

A summary holds ids, times, tokens by class, cost, task type, commits and the corrections
the hooks served: never prompt text
and never an absolute path. It is rewritten only when its content changed.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from farm.redact import redact
from farm.sessions.model import SessionRecord

SUMMARY_VERSION = 1


def summary_dir(root: Path, config: dict) -> Path:
    return root / config.get("corrections_dir", "corrections") / "log" / "sessions"


def summary_path(root: Path, config: dict, record: SessionRecord) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", record.session_id)[:120]
    return summary_dir(root, config) / f"{record.agent}-{safe}.json"


def summary(record: SessionRecord, root: Path) -> dict:
    cwd = Path(record.cwd) if record.cwd else None
    try:
        where = cwd.relative_to(root).as_posix() if cwd else None
    except ValueError:
        where = None
    return {
        "version": SUMMARY_VERSION,
        "agent": record.agent,
        "session_id": record.session_id,
        "start": record.start.isoformat() if record.start else None,
        "end": record.end.isoformat() if record.end else None,
        "duration_seconds": record.duration_seconds,
        "dir": where,
        "branch": redact(record.git_branch) if record.git_branch else None,
        "models": [_clean(m) for m in record.models],
        "tokens": record.usage.as_dict(),
        "tokens_by_model": {_clean(m): u.as_dict() for m, u in sorted(record.usage_by_model.items())},
        "cost_usd": round(record.cost_usd, 6) if record.cost_usd is not None else None,
        "price_unknown": record.cost_usd is None,
        "task_type": record.task_type,
        "turns": record.turns,
        "tool_calls": record.tool_calls,
        "calls": record.calls,
        "commits": record.commits,
        "completed_loop": bool(record.commits),
        **_served(record),
    }


def _served(record: SessionRecord) -> dict:
    """The corrections the hooks served this session (ids), so the tracker can tell exposure
    that saw a rule from exposure that did not. Left out when none, so older summaries stay."""
    from farm.hooks.live import served_ids

    served = served_ids(record.agent, record.session_id)
    return {"served": served} if served else {}


def write_summaries(db: sqlite3.Connection, root: Path, config: dict) -> int:
    """Write a summary for every stored session whose cwd is inside `root`, through the write
    door (guarded paths, journaled, not committed); returns how many files were created or changed."""
    from farm.project import Farm
    from farm.sessions.store import inside_clause, session_records
    from farm.writer import Change, farm_lock

    farm = Farm(root=root, config=config)
    where, params = inside_clause(root)
    folder = summary_dir(root, config).relative_to(root).as_posix()
    with farm_lock(farm):
        change = Change(farm, bulk=True)
        count = 0
        for record in session_records(db, f"WHERE {where}", params):
            path = summary_path(root, config, record)
            text = json.dumps(summary(record, root.resolve()), indent=2, sort_keys=True) + "\n"
            if _holds(path, text):
                continue
            change.write(f"{folder}/{path.name}", text)
            count += 1
        if count:
            change.commit("farm: session summaries", commit=False)
    return count


def _holds(path: Path, text: str) -> bool:
    """Whether the summary file already holds `text` (read bounded: a committed link to
    /dev/zero or a pipe is simply not the same, and the door then refuses to write it)."""
    from farm.errors import FarmError
    from farm.fsutil import read_bytes_bounded

    try:
        return read_bytes_bounded(path, 1_000_000, path.name) == text.encode("utf-8")
    except (FarmError, OSError):
        return False


def _clean(name: str) -> str:
    """A model name as a transcript gave it: committed, so redacted like every other text."""
    from farm.redact import redact

    return redact(name) if isinstance(name, str) else name
