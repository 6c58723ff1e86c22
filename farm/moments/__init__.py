"""Correction moments: the user turns in which the person rejects, undoes or repairs what the
agent just did, found in every imported session (`detect.py` decides, `turns.py` reads).

`detect_sessions` runs inside `farm sessions import` (and so inside the SessionEnd hook's import);
`evidence.record_evidence` turns moments that match a correction into committed events, and
`inbox.inbox` lists the ones no correction covers.

A moment's cost is an approximation, documented in docs/moments.md: the tokens and dollars of
the agent's calls from the user turn before the moment to the user turn after it (or the end of
the session) — the work the person rejected plus the first attempt at repairing it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

EXCERPT = 400  # characters kept of the turn and of the agent's action, after redaction


@dataclass
class Moment:
    id: str
    agent: str
    session_id: str
    turn_id: str
    at: datetime | None
    text: str  # redacted excerpt of the user's turn
    action: str  # redacted excerpt of the agent's action before it
    cue: str | None
    score: float
    tokens: int
    cost_usd: float | None
    session_start: datetime | None = None

    def as_json(self) -> dict:
        return {
            "id": self.id, "session_id": self.session_id, "turn_id": self.turn_id, "agent": self.agent,
            "at": _iso(self.at), "text": self.text, "action": self.action, "cue": self.cue,
            "cost_usd": self.cost_usd, "tokens": self.tokens, "score": self.score,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def moment_id(agent: str, session_id: str, turn_id: str) -> str:
    return hashlib.sha1(f"{agent}\0{session_id}\0{turn_id}".encode()).hexdigest()[:12]


def detect_sessions(db: sqlite3.Connection, keys: set) -> int:
    """Find the moments of the sessions in `keys` ((agent, session id)) and store them in place of
    what was stored for those sessions; returns how many were found."""
    from farm.sessions import store
    from farm.sessions.pricing import active_pricer

    store.ensure_tiers(db)
    pricer = active_pricer()
    found = 0
    for agent, session_id in sorted(keys):
        rows = []
        files = store.transcript_files(db, agent, session_id)
        priced = _Priced(store.session_calls(db, agent, session_id), pricer) if files else None
        for path in files:
            rows += _file_moments(priced, agent, session_id, Path(path))
        store.replace_moments(db, agent, session_id, rows)
        found += len(rows)
    return found


def _file_moments(priced, agent: str, session_id: str, path: Path) -> list[tuple]:
    from farm.moments.detect import Turn, detect
    from farm.moments.turns import user_turns

    turns = user_turns(agent, path)
    rows = []
    for i, turn in enumerate(turns):
        previous = turns[i - 1].text if i else ""
        verdict = detect(Turn(turn.text, turn.context, turn.interrupted, turn.position, previous))
        if not verdict.is_moment:
            continue
        start = turns[i - 1].at if i else None
        end = turns[i + 1].at if i + 1 < len(turns) else None
        tokens, cost = priced.between(start, end)
        rows.append((
            moment_id(agent, session_id, turn.turn_id), agent, session_id, turn.turn_id, str(path), turn.at,
            _excerpt(turn.text), _excerpt(turn.context, tail=True), verdict.cue, verdict.score, tokens, cost,
        ))
    return rows


def _excerpt(text: str, tail: bool = False) -> str:
    """Redacted first (or last) EXCERPT characters; redaction runs on a wider window, so a secret
    cut at the edge still goes."""
    from farm.redact import redact

    window = text[-4 * EXCERPT:] if tail else text[: 4 * EXCERPT]
    cleaned = " ".join(redact(window).split())
    return cleaned[-EXCERPT:] if tail else cleaned[:EXCERPT]


class _Priced:
    """A session's calls, each priced once, summed over a time range."""

    def __init__(self, calls: list[tuple], pricer):
        from farm.sessions.model import Usage

        self.times = [c[0] for c in calls]
        self.items = []
        for ts, model, tier, *usage in calls:
            used = Usage.from_tuple(usage)
            self.items.append((used.total_tokens, pricer.cost(model, used, tier, datetime.fromtimestamp(ts, tz=timezone.utc))))

    def between(self, start: float | None, end: float | None) -> tuple[int, float | None]:
        """Tokens and dollars of the calls with start <= ts < end (None: unbounded); dollars None
        when a model's price is unknown."""
        from bisect import bisect_left

        lo = bisect_left(self.times, start) if start is not None else 0
        hi = bisect_left(self.times, end) if end is not None else len(self.times)
        chosen = self.items[lo:hi]
        tokens = sum(t for t, _c in chosen)
        if any(c is None for _t, c in chosen):
            return tokens, None
        return tokens, round(sum(c for _t, c in chosen), 6)


def stored_moments(root: Path | None = None) -> list[Moment]:
    """The moments in the session store (of sessions inside `root` when given), oldest first."""
    from farm.sessions import store

    db = store.connect()
    try:
        rows = store.moment_rows(db, root)
    finally:
        db.close()
    return [_moment(row) for row in rows]


def _moment(row: tuple) -> Moment:
    mid, agent, sid, turn_id, _file, at, text, action, cue, score, tokens, cost, start = row
    return Moment(mid, agent, sid, turn_id, _dt(at), text, action, cue, score, tokens, cost, _dt(start))


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=timezone.utc) if value is not None else None


def find_moment(moment_id_prefix: str) -> Moment | None:
    """The stored moment with this id (a unique prefix of at least 4 characters is enough)."""
    found = [m for m in stored_moments() if m.id == moment_id_prefix
             or (len(moment_id_prefix) >= 4 and m.id.startswith(moment_id_prefix))]
    return found[0] if len(found) == 1 else None
