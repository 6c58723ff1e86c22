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
    return origin_of(record_from_path(path))


def record_from_path(path: str):
    """The session (a sessions.SessionRecord) in the transcript at `path`."""
    from farm.sessions import read_session

    target = Path(path).expanduser()
    if not target.is_file():
        raise InvalidInput(f"--session {path}: no such transcript file")
    return read_session(target)


def from_session_id(session_id: str) -> Origin:
    return origin_of(record_from_id(session_id))


def record_from_id(session_id: str):
    """The imported session with this id (or unique prefix)."""
    from farm.sessions.store import find_session

    record = find_session(session_id)
    if record is None:
        raise InvalidInput(f"--session-id {session_id}: no imported session with that id (run `farm sessions import`)")
    return record


def from_hook(stdin_text: str) -> Origin:
    return origin_of(record_from_hook(stdin_text))


def record_from_hook(stdin_text: str):
    """The session a Claude Code hook names on stdin ({"session_id", "transcript_path", "cwd"})."""
    try:
        data = json.loads(stdin_text)
    except ValueError:
        raise InvalidInput("--from-hook: stdin is not the hook's JSON") from None
    if not isinstance(data, dict) or not data.get("transcript_path"):
        raise InvalidInput("--from-hook: the hook JSON has no transcript_path")
    return record_from_path(str(data["transcript_path"]))


def latest_in_repo(root: Path):
    from farm.sessions.store import latest_session

    return latest_session(root)


def from_moment(moment_id: str):
    """(Origin, the session's start, prefilled fields) for a stored correction moment. The cost is
    the moment's own (the work the person rejected and its first repair), not the session's."""
    from farm.moments import find_moment
    from farm.sessions.store import find_session

    moment = find_moment(moment_id)
    if moment is None:
        raise InvalidInput(f"--moment {moment_id}: no such correction moment (see `farm inbox`)")
    record = find_session(moment.session_id)
    found = origin_of(record) if record is not None else Origin(agent=moment.agent, session_id=moment.session_id)
    found.cost_usd = moment.cost_usd
    found.tokens = {"moment_tokens": moment.tokens} if moment.tokens else {}
    start = (record.start if record is not None else None) or moment.session_start or moment.at
    return found, start, moment_fields(moment)


def moment_fields(moment) -> dict:
    """A title and a 'what went wrong' drafted from a moment, for the person to edit."""
    first = next((line for line in moment.text.splitlines() if line.strip()), moment.text).strip()
    title = first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"
    what = f"The person said: {moment.text}"
    if moment.action:
        what += f"\n\nWhat the agent had just done: {moment.action}"
    return {"title": title or "Correction moment", "what": what}
