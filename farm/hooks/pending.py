"""Guard catches found by a hook, kept under FARM_HOME until they can go into the repo.

A hook must never wait for the repo's lock (a `farm capture` may hold it), so a hit is
queued as a small file here and a background process (`python -m farm.hooks.pending
ROOT`) folds the queue into event files through the writer, once the lock is free.
The event files are written, not committed: a commit made during the agent's session
would count as the session's own work (a completed loop).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from farm.hooks.runtime import read_json, safe_name, write_json


def queue_dir(root: Path) -> Path:
    from farm.hooks.runtime import repo_dir

    path = repo_dir(root) / "pending-catches"
    path.mkdir(parents=True, exist_ok=True)
    return path


def queue_catch(root: Path, correction: str, key: str, session_id: str | None, data: dict) -> Path:
    path = queue_dir(root) / f"{time.time():.6f}-{safe_name(correction)}-{os.urandom(3).hex()}.json"
    write_json(path, {"correction": correction, "key": key, "session_id": session_id, "at": time.time(), "data": data})
    return path


def fold_in_background(root: Path) -> None:
    """Fold the queue in a detached process: the hook returns at once."""
    from farm.hooks.runtime import spawn_detached

    spawn_detached("farm.hooks.pending", str(root))


def fold(root: Path) -> list[str]:
    """Write every queued catch as an event file (one per key), under the repo's lock."""
    import hashlib
    from datetime import datetime, timezone

    from farm.model import Event
    from farm.project import open_farm
    from farm.redact import redact
    from farm.writer import commit_written, event_file, farm_lock, write_files

    queued = sorted(queue_dir(root).glob("*.json"))
    if not queued:
        return []
    farm = open_farm(root)
    with farm_lock(farm):
        with farm.index() as (index, _refresh):
            known = index.event_keys("catch")
        planned = []
        for path in queued:
            item = read_json(path, None)
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                continue
            key = hashlib.sha256(item["key"].encode()).hexdigest()[:24]
            if key in known:
                continue
            known.add(key)
            data = dict(item.get("data") or {})
            if isinstance(data.get("subject"), str):
                data["subject"] = redact(data["subject"])[:300]  # no secret from a command reaches the repo
            at = datetime.fromtimestamp(float(item["at"]), tz=timezone.utc).replace(microsecond=0)
            planned.append(event_file(farm, Event(type="catch", correction=item["correction"], at=at, key=key,
                                                  session_id=item.get("session_id"), data=data)))
        if planned:
            commit_written(farm, write_files(farm, planned), "farm: guard catches", commit=False)
        for path in queued:
            path.unlink(missing_ok=True)
    return [p.path for p in planned]


if __name__ == "__main__":
    from farm.hooks.runtime import log

    try:
        fold(Path(sys.argv[1]))
    except Exception as exc:  # a background process: its only voice is the log
        log(f"folding guard catches: {type(exc).__name__}: {exc}")
