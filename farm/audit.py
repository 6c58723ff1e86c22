"""`farm audit`: what keeps failing, and where the money goes. Each finding names its
evidence (ids, sessions, figures) and a suggested next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from farm.project import Farm

RUNAWAY_GROWTH = 8.0  # peak context / first context
RUNAWAY_MIN_TOKENS = 100_000
RISING = 1.25
WINDOW = timedelta(days=14)
LOOK_ALIKE_RECENT = 300


@dataclass
class Finding:
    kind: str
    title: str
    evidence: dict = field(default_factory=dict)
    next_step: str = ""
    weight: float = 0.0  # for ordering: dollars where known, else counts

    def as_json(self) -> dict:
        return {"kind": self.kind, "title": self.title, "evidence": self.evidence, "next_step": self.next_step}


def audit(farm: Farm, index, tracked: list, *, idle_days: int = 30, now: datetime | None = None) -> list[Finding]:
    now = now or datetime.now(timezone.utc)
    rows = index.corrections()
    return [
        *_leaking(tracked),
        *_recurring(tracked),
        *_look_alike(farm, rows),
        *_rising_loop_cost(index.sessions(), now),
        *_runaway_context(farm),
        *_never_exercised(tracked, now, idle_days),
    ]


def _leaking(tracked) -> list[Finding]:
    out = []
    for t in sorted((t for t in tracked if t.status == "leaking"), key=lambda t: -t.recurrence_cost_usd):
        step = ("the prompt/skill is not enough: strengthen it into a test or grader rule"
                if t.kind in ("prompt", "skill") else "the check does not stop it: widen its scope or sharpen the rule")
        out.append(Finding(
            "leaking", f"{t.id} recurred {t.recurrences_after}× after it landed",
            {"correction": t.id, "recurrences_after": t.recurrences_after, "landed_at": _iso(t.landed_at),
             "cost_of_recurrences_usd": round(t.recurrence_cost_usd, 2),
             "sessions": sorted({e.session_id for e in t.events if e.type == "recurrence" and e.session_id})},
            step, t.recurrence_cost_usd + 1000,
        ))
    return out


def _recurring(tracked) -> list[Finding]:
    return [
        Finding("recurring", f"{t.id} was missed {t.misses_before}× before its fix landed",
                {"correction": t.id, "misses_before": t.misses_before, "kind": t.kind},
                "keep it, and watch its exposure: a repeat offender is the first to leak", t.misses_before)
        for t in tracked if t.status != "leaking" and t.misses_before >= 3
    ]


def _look_alike(farm: Farm, rows) -> list[Finding]:
    """Corrections the matcher calls repeats of each other: the same miss captured twice.
    The newest `audit_look_alike_recent` corrections (300) are each matched against all."""
    from farm.matchcache import look_alikes

    recent = int(farm.config.get("audit_look_alike_recent", LOOK_ALIKE_RECENT))
    return [
        Finding("look-alike", f"{a} and {b} look like the same miss", {"corrections": [a, b], "score": score},
                "merge them: retire one and record its misses as recurrences of the other", score / 100)
        for a, b, score in look_alikes(farm.root, rows, farm.config.get("match_threshold"), recent)
    ]


def _rising_loop_cost(sessions, now: datetime) -> list[Finding]:
    """Task types whose cost per completed loop rose from the previous window to the last one."""
    windows: dict[str, tuple[list[float], list[float]]] = {}
    for s in sessions:
        if s.start is None or s.cost_usd is None:
            continue
        age = now - s.start
        slot = 0 if age <= WINDOW else 1 if age <= 2 * WINDOW else None
        if slot is None:
            continue
        bucket = windows.setdefault(s.task_type or "unclassified", ([0.0, 0], [0.0, 0]))
        bucket[slot][0] += s.cost_usd
        bucket[slot][1] += 1 if s.commits else 0
    out = []
    for task_type, (recent, before) in sorted(windows.items()):
        if recent[1] < 2 or before[1] < 2:
            continue
        now_cost, then_cost = recent[0] / recent[1], before[0] / before[1]
        if then_cost > 0 and now_cost >= RISING * then_cost:
            out.append(Finding(
                "rising-loop-cost", f"{task_type}: cost per completed loop rose {now_cost / then_cost:.1f}×",
                {"task_type": task_type, "last_14d_usd_per_loop": round(now_cost, 2),
                 "previous_14d_usd_per_loop": round(then_cost, 2), "loops_last_14d": recent[1]},
                "split the task type or look for the miss that keeps costing loops", now_cost - then_cost,
            ))
    return out


def _runaway_context(farm: Farm) -> list[Finding]:
    """Sessions whose context grew far past where it started (quadratic re-sending)."""
    from farm.sessions import store

    db = store.connect()
    try:
        where, params = store.inside_clause(farm.root)
        rows = db.execute(
            f"SELECT session_id, agent, context_first, context_peak, turns FROM sessions WHERE {where} "
            "AND context_peak >= ? AND context_first > 0", (*params, RUNAWAY_MIN_TOKENS),
        ).fetchall()
    finally:
        db.close()
    out = []
    for session_id, agent, first, peak, turns in rows:
        growth = peak / first
        if growth >= RUNAWAY_GROWTH:
            out.append(Finding(
                "runaway-context", f"session {session_id} grew its context {growth:.0f}× over {turns} turn{'' if turns == 1 else 's'}",
                {"session": session_id, "agent": agent, "context_first": first, "context_peak": peak, "turns": turns},
                "split long tasks into fresh sessions, or compact earlier", growth,
            ))
    return sorted(out, key=lambda f: -f.weight)[:20]


def _never_exercised(tracked, now: datetime, idle_days: int) -> list[Finding]:
    cutoff = now - timedelta(days=idle_days)
    return [
        Finding("never-exercised", f"{t.id} landed {(now - t.landed_at).days} days ago and no session has run since",
                {"correction": t.id, "landed_at": _iso(t.landed_at), "task_type": t.task_type},
                "check its task type scope, or retire it", 0.0)
        for t in tracked
        if t.status != "retired" and t.landed_at is not None and t.landed_at < cutoff and t.exposure_sessions == 0
    ]


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None
