"""Where a miss came from: the agent session whose real usage and cost it carries."""

from __future__ import annotations

import json
from pathlib import Path

from farm.errors import InvalidInput
from farm.model import Origin


def origin_of(record) -> Origin:
    """An Origin from a sessions.SessionRecord: its main model, tokens by class, and cost."""
    usage = record.usage.as_dict()
    main_model = max(record.usage_by_model.items(), key=lambda kv: kv[1].total_tokens)[0] if record.usage_by_model else (record.models[0] if record.models else None)
    return Origin(
        agent=record.agent, session_id=record.session_id, model=main_model,
        tokens={k: v for k, v in usage.items() if v}, cost_usd=round(record.cost_usd, 6) if record.cost_usd is not None else None,
    )


def from_path(path: str) -> Origin:
    from farm.sessions import read_session

    target = Path(path).expanduser()
    if not target.is_file():
        raise InvalidInput(f"--session {path}: no such transcript file")
    return origin_of(read_session(target))


def from_session_id(session_id: str) -> Origin:
    from farm.sessions.store import find_session

    record = find_session(session_id)
    if record is None:
        raise InvalidInput(f"--session-id {session_id}: no imported session with that id (run `farm sessions import`)")
    return origin_of(record)


def from_hook(stdin_text: str) -> Origin:
    """The session a Claude Code hook names on stdin ({"session_id", "transcript_path", "cwd"})."""
    try:
        data = json.loads(stdin_text)
    except ValueError:
        raise InvalidInput("--from-hook: stdin is not the hook's JSON") from None
    if not isinstance(data, dict) or not data.get("transcript_path"):
        raise InvalidInput("--from-hook: the hook JSON has no transcript_path")
    return from_path(str(data["transcript_path"]))


def latest_in_repo(root: Path):
    from farm.sessions.store import latest_session

    return latest_session(root)
