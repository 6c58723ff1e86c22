"""The tracker: per correction, when it landed, what happened before and after, and its status.

Everything here comes from committed files (correction files, events, session
summaries) and git history, so every clone of the farm computes the same figures.

- landed_at: when the correction file first entered the current branch's history.
- misses_before: the originating miss plus recurrences recorded before landed_at.
- exposure: sessions (and completed loops: sessions that ended in a commit) in this
  repo that started after landed_at, in the correction's task type when it has one.
- recurrences_after: recurrences recorded after landed_at; only these count against it.
- est_cost_avoided_usd = max(0, misses_before / sessions_before × exposure − recurrences_after)
  × the median cost of its misses; "unknown" (None) when an input is missing.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
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
    task_type: str | None = None
    misses: int = 0  # the originating miss and every recurrence, whenever recorded
    recurrences: int = 0
    misses_before: int = 0
    recurrences_after: int = 0
    catches: int = 0
    sessions_before: int = 0
    exposure_sessions: int = 0
    exposure_loops: int = 0
    origin_cost_usd: float | None = None
    recurrence_cost_usd: float = 0.0
    median_miss_cost_usd: float | None = None
    expected_repeats: float | None = None
    est_cost_avoided_usd: float | None = None
    events: list = field(default_factory=list)

    def as_json(self, with_events: bool = False) -> dict:
        from farm.redact import redact

        data = {k: _iso(v) for k, v in vars(self).items() if k != "events"}
        data["title"] = redact(self.title)  # from a file anyone can commit
        if with_events:

            # Event text comes from files anyone can commit (or from before farm redacted it).
            data["events"] = [
                {"type": e.type, "at": _iso(e.at), "session_id": e.session_id, "cost_usd": e.cost_usd,
                 "text": redact(e.text) if e.text else e.text, "path": e.path}
                for e in self.events
            ]
        return data


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


@dataclass
class _Timeline:
    """Session start times (sorted) per task type, to count sessions before/after a moment."""

    all_starts: list[datetime]
    all_loops: list[datetime]
    by_type: dict[str, list[datetime]]
    loops_by_type: dict[str, list[datetime]]

    def count(self, task_type: str | None, moment: datetime, loops: bool = False) -> tuple[int, int]:
        if task_type:
            starts = (self.loops_by_type if loops else self.by_type).get(task_type, [])
        else:
            starts = self.all_loops if loops else self.all_starts
        before = bisect_right(starts, moment)
        return before, len(starts) - before


def _timeline(sessions) -> _Timeline:
    starts = [s for s in sessions if s.start is not None]
    by_type: dict[str, list[datetime]] = {}
    loops_by_type: dict[str, list[datetime]] = {}
    for s in starts:
        by_type.setdefault(s.task_type or "", []).append(s.start)
        if s.commits:
            loops_by_type.setdefault(s.task_type or "", []).append(s.start)
    return _Timeline(
        all_starts=sorted(s.start for s in starts),
        all_loops=sorted(s.start for s in starts if s.commits),
        by_type={k: sorted(v) for k, v in by_type.items()},
        loops_by_type={k: sorted(v) for k, v in loops_by_type.items()},
    )


def track(farm: Farm, index, *, with_text: bool = False) -> list[Tracked]:
    """Every correction's tracker figures; `with_text` also reads each event's excerpt."""
    landed = landed_times(farm)
    events_by_correction: dict[str, list] = {}
    for event in index.events(text=with_text):
        events_by_correction.setdefault(event.correction, []).append(event)
    timeline = _timeline(index.sessions())
    minimum = int(farm.config["min_exposure"])
    return [
        _tracked(row, landed.get(row.path), events_by_correction.get(row.id, []), timeline, minimum)
        for row in index.correction_facts()
    ]


def landed_times(farm: Farm) -> dict[str, datetime]:
    """When each correction file entered the current branch, from git; kept under FARM_HOME
    for as long as HEAD stays where it was (a rebase or a new commit recomputes it)."""
    import json

    from farm.fsutil import atomic_write
    from farm.paths import repo_state_dir

    folder = farm.config["corrections_dir"]
    head = git.head_sha(farm.root)
    cache = repo_state_dir(farm.root) / "landed.json"
    try:
        stored = json.loads(cache.read_text())
        if stored["head"] == head and stored["folder"] == folder:
            return {path: datetime.fromisoformat(at) for path, at in stored["times"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    times = git.first_added_times(farm.root, folder)
    try:
        atomic_write(cache, json.dumps({"head": head, "folder": folder,
                                        "times": {p: at.isoformat() for p, at in times.items()}}))
    except OSError:
        pass  # a cache that cannot be written only costs time
    return times


def _tracked(row, landed_at: datetime | None, events: list, timeline: _Timeline, min_exposure: int) -> Tracked:
    t = Tracked(
        id=row.id, title=row.title, kind=row.kind, created=row.created, status="unproven",
        landed_at=landed_at, task_type=row.task_type, origin_cost_usd=row.origin_cost_usd, events=events,
    )
    miss_costs = []
    for event in events:
        after = landed_at is not None and event.at > landed_at
        if event.type in ("miss", "recurrence"):
            t.misses += 1
            t.recurrences += event.type == "recurrence"
            t.recurrences_after += event.type == "recurrence" and after
            t.misses_before += not after
            if event.cost_usd is not None:
                miss_costs.append(event.cost_usd)
                t.recurrence_cost_usd += event.cost_usd if event.type == "recurrence" else 0.0
        elif event.type == "catch":
            t.catches += 1
    if landed_at is not None:
        t.sessions_before, t.exposure_sessions = timeline.count(row.task_type, landed_at)
        t.exposure_loops = timeline.count(row.task_type, landed_at, loops=True)[1]
    t.median_miss_cost_usd = statistics.median(miss_costs) if miss_costs else None
    _estimate(t)
    t.status = _status(row.status, t, min_exposure)
    return t


def _estimate(t: Tracked) -> None:
    if t.landed_at is None or t.sessions_before == 0:
        return  # no miss rate to extrapolate from: unknown, not zero
    rate = t.misses_before / t.sessions_before
    t.expected_repeats = round(rate * t.exposure_sessions, 3)
    if t.median_miss_cost_usd is not None:
        avoided = max(0.0, t.expected_repeats - t.recurrences_after)
        t.est_cost_avoided_usd = round(avoided * t.median_miss_cost_usd, 4)


def _status(file_status: str, t: Tracked, min_exposure: int) -> str:
    if file_status == "retired":
        return "retired"
    if t.recurrences_after:
        return "leaking"
    if t.landed_at is None or t.exposure_sessions < min_exposure:
        return "unproven"
    return "holding"
