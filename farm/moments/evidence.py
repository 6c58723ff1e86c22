"""Moments become evidence: each moment is matched against the active corrections (its turn and
the agent's action before it, through the matcher), and a match is committed as an event.

A match in a session that started after the correction landed is a `recurrence`; in one that
started before, a prior occurrence (`miss`) that sets the miss rate. One event per correction and
session, dated by the session (its start), never by the import; its key, and so its file name,
come from the correction and the session, so a re-import or another clone writes the same file
or nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from farm.moments import Moment, stored_moments


@dataclass
class MatchedMoment:
    moment: Moment
    correction: str | None
    score: float


@dataclass
class Evidence:
    matched: list[MatchedMoment] = field(default_factory=list)
    events: list = field(default_factory=list)  # model.Event written this time
    written: object | None = None  # farm.writer.Written when something was written


def match_moments(farm, rows, moments: list[Moment]) -> list[MatchedMoment]:
    """Each moment with the correction the matcher calls it a recurrence of (or None).

    A match costs milliseconds and every import asks again for all of the repo's moments, so
    verdicts are kept under FARM_HOME, keyed by what the matcher is built from: only moments not
    seen since the corrections last changed are matched.
    """
    from farm.matchcache import active_docs, load_matcher

    docs = active_docs(rows)
    if not moments or not docs:
        return [MatchedMoment(m, None, 0.0) for m in moments]
    threshold = farm.config.get("match_threshold")
    key = _verdicts_key(docs, threshold)
    known = _load_verdicts(farm.root, key)
    todo = [m for m in moments if m.id not in known]
    if todo:
        matcher = load_matcher(farm.root, rows, threshold)
        for m in todo:
            best = matcher.match(f"{m.text}\n{m.action}", limit=1)
            hit = best[0] if best and best[0].recurrence else None
            known[m.id] = (hit.id, round(hit.score, 1)) if hit else (None, 0.0)
        _save_verdicts(farm.root, key, known)
    return [MatchedMoment(m, *known[m.id]) for m in moments]


def _verdicts_key(docs, threshold) -> str:
    from pathlib import Path

    from farm import match

    digest = hashlib.sha256(Path(match.__file__).read_bytes())
    digest.update(repr(threshold).encode())
    for d in docs:
        digest.update("\0".join([d.id, d.title, d.what, d.rule, *d.signature]).encode() + b"\1")
    return digest.hexdigest()


def _verdicts_path(root):
    from farm.paths import repo_state_dir

    return repo_state_dir(root) / "moment-matches.json"


def _load_verdicts(root, key: str) -> dict:
    import json

    try:
        data = json.loads(_verdicts_path(root).read_text())
        if data.get("key") == key:
            return {mid: tuple(v) for mid, v in data["verdicts"].items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return {}


def _save_verdicts(root, key: str, verdicts: dict) -> None:
    import json

    from farm.fsutil import atomic_write

    try:
        atomic_write(_verdicts_path(root), json.dumps({"key": key, "verdicts": verdicts}))
    except OSError:
        pass  # a cache that cannot be written only costs time


def event_key(correction_id: str, session_id: str) -> str:
    return hashlib.sha256(f"moment\0{correction_id}\0{session_id}".encode()).hexdigest()[:24]


def record_evidence(farm, *, commit: bool = True) -> Evidence:
    """Match this repo's stored moments and commit an event for each new (correction, session)."""
    from farm.tracker import landed_times
    from farm.writer import commit_written, event_file, farm_lock, write_files

    moments = stored_moments(farm.root)
    result = Evidence()
    if not moments:
        return result
    landed = landed_times(farm)
    with farm_lock(farm):
        with farm.index() as (index, _refresh):
            rows = index.corrections()
            result.matched = match_moments(farm, rows, moments)
            covered = {(e.correction, e.session_id) for e in index.events(text=False) if e.session_id}
            keys = index.event_keys("recurrence") | index.event_keys("miss")
            paths = {r.id: r.path for r in rows}
            origins = {r.id: r.origin_dict().get("session_id") for r in rows}
        result.events = _new_events(result.matched, covered, keys, origins, {c: landed.get(p) for c, p in paths.items()})
        if result.events:
            result.written = write_files(farm, [event_file(farm, e) for e in result.events])
            recurrences = sum(e.type == "recurrence" for e in result.events)
            message = (f"farm: {len(result.events)} correction moment(s) recorded as evidence "
                       f"({recurrences} recurrence(s), {len(result.events) - recurrences} prior miss(es))")
            commit_written(farm, result.written, message, commit=commit)
    return result


def _new_events(matched, covered, keys, origins, landed: dict[str, datetime | None]) -> list:
    from farm import model

    by_pair: dict[tuple[str, str], list[MatchedMoment]] = {}
    for mm in matched:
        if mm.correction:
            by_pair.setdefault((mm.correction, mm.moment.session_id), []).append(mm)
    events = []
    for (correction, session_id), found in sorted(by_pair.items()):
        key = event_key(correction, session_id)
        if key in keys or (correction, session_id) in covered or origins.get(correction) == session_id:
            continue
        first = found[0].moment
        at = (first.session_start or first.at or model.now()).replace(microsecond=0)
        landed_at = landed.get(correction)
        kind = "recurrence" if landed_at is not None and at > landed_at else "miss"
        costs = [mm.moment.cost_usd for mm in found]
        events.append(model.Event(
            type=kind, correction=correction, at=at, key=key, session_id=session_id,
            cost_usd=None if None in costs else round(sum(costs), 6),
            text=f"{first.text}\n\nagent before: {first.action}".strip(),
            data={"source": "moment", "session_id": session_id, "turn_id": first.turn_id,
                  "agent": first.agent, "moments": len(found), "score": max(mm.score for mm in found)},
        ))
    return events


def after_import(root) -> Evidence | None:
    """What `farm sessions import` and the SessionEnd hook run once the store is up to date:
    record the evidence of the farm at `root` (None when `root` is not a farm)."""
    from farm.errors import FarmError
    from farm.project import open_farm

    if root is None:
        return None
    try:
        farm = open_farm(root)
    except FarmError:
        return None
    return record_evidence(farm)
