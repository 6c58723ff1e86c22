"""One running session as the hooks see it: its cost so far, its task type, what was served.

The transcript is read from where the last hook stopped (a byte offset kept under
FARM_HOME per session), never the whole file twice. A response written as several lines
is one call (message id + request id, the largest usage wins), as on import. Subagent
transcripts (`<session>/subagents/*.jsonl`) are read the same way: their calls are billed
to the session too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from farm.hooks.runtime import read_json, safe_name, state_dir, write_json

STATE_VERSION = 1
KEEP_DAYS = 30  # a session's state outlives it this long (a re-import still finds what was served)


@dataclass
class Live:
    path: Path
    data: dict

    @property
    def cost_usd(self) -> float:
        return sum(c for _tokens, c in self.data["calls"].values() if c is not None)

    @property
    def price_unknown(self) -> bool:
        return any(c is None for _tokens, c in self.data["calls"].values())

    def save(self) -> None:
        write_json(self.path, self.data)


def live_path(agent: str, session_id: str, name: str = "") -> Path:
    return state_dir("live") / f"{agent}-{safe_name(session_id)}{'.' + name if name else ''}.json"


def open_live(agent: str, session_id: str, name: str = "") -> Live:
    path = live_path(agent, session_id, name)
    data = read_json(path, {})
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        data = {"version": STATE_VERSION, "agent": agent, "session_id": session_id, "started": time.time(),
                "offsets": {}, "reader": {}, "calls": {}, "branch": None, "first_prompt": None,
                "served": [], "in_context": [], "warned": False}
    return Live(path, data)


@contextmanager
def session_state(agent: str, session_id: str, name: str = "") -> Iterator[Live]:
    """The session's state, under a lock (two hooks of one session may run at once), saved
    when the block ends without an error. `name` keeps a reader's own copy (the statusline)."""
    path = live_path(agent, session_id, name)
    with open(path.with_suffix(".lock"), "a") as lock:
        _lock(lock)
        live = open_live(agent, session_id, name)
        yield live
        live.save()


def _lock(fh) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: the atomic write still keeps the file whole
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def served_ids(agent: str, session_id: str) -> list[str]:
    """Corrections served to this session by the hooks, in the order first served."""
    data = read_json(live_path(agent, session_id), {})
    served = data.get("served") if isinstance(data, dict) else None
    return list(dict.fromkeys(s["id"] for s in served or [] if isinstance(s, dict) and "id" in s))


def read_transcript(live: Live, transcript: Path, prices: dict) -> None:
    """Fold the transcript's new lines (and its subagents') into the session's calls and cost."""
    from farm.sessions import claude, codex

    reader = codex if live.data["agent"] == "codex" else claude
    files = [transcript]
    subagents = transcript.with_suffix("") / "subagents"
    if reader is claude and subagents.is_dir():
        files += sorted(subagents.glob("*.jsonl"))
    for path in files:
        _read_new(live, reader, path, prices, main=path == transcript)


def _read_new(live: Live, reader, path: Path, prices: dict, *, main: bool) -> None:
    key = str(path)
    offsets, readers = live.data["offsets"], live.data["reader"]
    try:
        size = path.stat().st_size
    except OSError:
        return
    offset = offsets.get(key, 0)
    if size < offset:  # rewritten, not appended: read it again from the start
        offset, readers[key] = 0, {}
    if size == offset:
        return
    from farm.sessions.lines import LineStats

    stats = LineStats()
    found = reader.scan(path, offset, readers.get(key, {}), stats)
    offsets[key], readers[key] = stats.end_offset, found.state
    if main:
        live.data["branch"] = found.git_branch or live.data["branch"]
        live.data["first_prompt"] = live.data["first_prompt"] or found.first_prompt
    _add_calls(live, found.calls.values(), prices)


def _add_calls(live: Live, calls, prices: dict) -> None:
    from datetime import datetime, timezone

    from farm.sessions.model import Usage
    from farm.sessions.pricing import Pricer

    pricer = Pricer(prices)
    known = live.data["calls"]
    for call in calls:
        tokens = sum(call.usage)
        if call.key in known and known[call.key][0] >= tokens:
            continue  # the same response seen again, with no more tokens than before
        usage = Usage.from_tuple(call.usage)
        when = datetime.fromtimestamp(call.ts, tz=timezone.utc) if call.ts else None
        cost = pricer.cost(call.model, usage, pricer.tier(call.model, call.context), when)
        known[call.key] = [tokens, cost]


def record_served(live: Live, event: str, served: list) -> None:
    now = time.time()
    for item in served:
        live.data["served"].append({"id": item.rule.id, "at": round(now, 3), "event": event, "score": item.score})
        live.data["in_context"].append(item.rule.id)


def prune(days: int = KEEP_DAYS) -> int:
    """Remove the state of sessions untouched for `days`; returns how many files went."""
    cutoff = time.time() - days * 86400
    gone = 0
    for path in state_dir("live").iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                gone += 1
        except OSError:
            continue
    return gone
