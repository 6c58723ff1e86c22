"""The tracker: per correction, when it landed, what happened before and after, and its status.

Everything here comes from committed files (correction files, events, session
summaries) and git history, so every clone of the farm computes the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from farm import git
from farm.project import Farm


@dataclass
class Tracked:
    id: str
    title: str
    kind: str
    created: datetime
    status: str
    landed_at: datetime | None
    misses: int = 0  # the originating miss and every recurrence, whenever recorded
    recurrences: int = 0
    misses_before: int = 0
    recurrences_after: int = 0
    catches: int = 0
    exposure_sessions: int = 0
    origin_cost_usd: float | None = None
    est_cost_avoided_usd: float | None = None
    events: list = field(default_factory=list)

    def as_json(self, with_events: bool = False) -> dict:
        data = {k: _iso(v) for k, v in vars(self).items() if k != "events"}
        if with_events:
            data["events"] = [
                {"type": e.type, "at": _iso(e.at), "session_id": e.session_id, "cost_usd": e.cost_usd,
                 "text": e.text, "path": e.path}
                for e in self.events
            ]
        return data


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def track(farm: Farm, index) -> list[Tracked]:
    landed = git.first_added_times(farm.root, farm.config["corrections_dir"])
    events_by_correction: dict[str, list] = {}
    for event in index.events():
        events_by_correction.setdefault(event.correction, []).append(event)
    minimum = int(farm.config["min_exposure"])
    return [
        _tracked(row, landed.get(row.path), events_by_correction.get(row.id, []), minimum)
        for row in index.corrections()
    ]


def _tracked(row, landed_at: datetime | None, events: list, min_exposure: int) -> Tracked:
    t = Tracked(
        id=row.id, title=row.title, kind=row.kind, created=row.created, status="unproven",
        landed_at=landed_at, origin_cost_usd=row.origin_cost_usd, events=events,
    )
    for event in events:
        after = landed_at is not None and event.at > landed_at
        if event.type in ("miss", "recurrence"):
            t.misses += 1
            t.recurrences += event.type == "recurrence"
            t.recurrences_after += event.type == "recurrence" and after
            t.misses_before += not after
        elif event.type == "catch":
            t.catches += 1
    t.status = _status(row.status, t, min_exposure)
    return t


def _status(file_status: str, t: Tracked, min_exposure: int) -> str:
    if file_status == "retired":
        return "retired"
    if t.recurrences_after:
        return "leaking"
    if t.landed_at is None or t.exposure_sessions < min_exposure:
        return "unproven"
    return "holding"
