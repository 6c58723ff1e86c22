"""Task types set by hand (`farm sessions tag`): kept apart from the store, which is rebuilt."""

from __future__ import annotations

import json

from farm.fsutil import atomic_write
from farm.paths import farm_home


def _path():
    return farm_home() / "session_tags.json"


def load_tags() -> dict[str, str]:
    """{"agent:session_id": task type}."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def set_tag(agent: str, session_id: str, task_type: str | None) -> None:
    tags = load_tags()
    key = f"{agent}:{session_id}"
    if task_type:
        tags[key] = task_type
    else:
        tags.pop(key, None)
    atomic_write(_path(), json.dumps(tags, indent=2, sort_keys=True) + "\n")
