"""Spend: imported usage grouped by model, day, agent, task type, session or correction.

Rows come from the session store; cost is computed here (per model and long-context tier,
priced on the day of use), so config price overrides apply to everything already imported.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path

from farm.errors import InvalidInput
from farm.sessions.model import Usage
from farm.sessions.pricing import Pricer
from farm.sessions.store import BUCKET  # seconds; every UTC offset in use is a multiple of 15 minutes

GROUPS = ("model", "day", "agent", "task-type", "session", "correction")
UNCLASSIFIED = "unclassified"


@dataclass
class SpendRow:
    key: str
    sessions: set = field(default_factory=set)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    unpriced_models: set = field(default_factory=set)
    calls: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def price_unknown(self) -> bool:
        return bool(self.unpriced_models)

    def as_dict(self) -> dict:
        out = {"key": self.key, "sessions": len(self.sessions), **self.usage.as_dict()}
        # A row whose every model is unpriced has no cost; a mixed row shows the priced part.
        out["cost_usd"] = None if self.price_unknown and not self.cost_usd else round(self.cost_usd, 6)
        out["price_unknown"] = self.price_unknown
        if self.unpriced_models:
            out["unpriced_models"] = sorted(self.unpriced_models)
        out["calls"] = self.calls
        out.update(self.extra)
        return out


@dataclass
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    repo: Path | None = None


def parse_when(text: str | None, tz: tzinfo, end: bool = False) -> datetime | None:
    """`7d`, `12h`, `2w`, `YYYY-MM-DD` or an ISO time. A bare date as `until` includes that day."""
    if not text:
        return None
    text = text.strip()
    units = {"h": 3600, "d": 86400, "w": 7 * 86400}
    if len(text) > 1 and text[-1] in units and text[:-1].isdigit():
        from datetime import timedelta

        return datetime.now(timezone.utc) - timedelta(seconds=int(text[:-1]) * units[text[-1]])
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            when = datetime(day.year, day.month, day.day, tzinfo=tz)
            if end:
                from datetime import timedelta

                when += timedelta(days=1)
            return when
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a time: {text!r} (use 7d, 12h, 2w, YYYY-MM-DD or an ISO time)") from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def spend(
    db: sqlite3.Connection,
    by: str,
    pricer: Pricer,
    filters: Filters | None = None,
    tz: tzinfo | None = None,
    corrections: dict[str, list[str]] | None = None,
) -> tuple[list[SpendRow], SpendRow]:
    """Rows (largest cost first; by day: oldest first) and the total."""
    from farm.sessions.store import ensure_tiers

    if by not in GROUPS:
        raise InvalidInput(f"--by must be one of {', '.join(GROUPS)}")
    ensure_tiers(db)
    tz = tz or local_tz()
    keys = _key_function(db, by, tz, corrections or {})
    rows: dict[str, SpendRow] = {}
    total = SpendRow(key="total")
    for agent, sid, model, tier, mode, bucket, calls, searches, *tokens in _grouped_calls(db, filters or Filters()):
        usage = Usage.from_tuple(tokens)
        when = datetime.fromtimestamp(bucket * BUCKET, tz=timezone.utc)
        cost = pricer.cost(model, usage, tier if tier is not None else -1, when, mode, searches)
        for key in keys(agent, sid, model, bucket):
            _add(rows.setdefault(key, SpendRow(key=key)), agent, sid, model, usage, cost, calls)
        _add(total, agent, sid, model, usage, cost, calls)
    ordered = list(rows.values())
    if by == "day":
        ordered.sort(key=lambda r: r.key)
    else:
        ordered.sort(key=lambda r: (-(r.cost_usd or 0), -r.usage.total_tokens, r.key))
    if by == "session":
        _add_session_details(db, ordered)
    return ordered, total


def spend_document(
    by: str,
    filters: Filters,
    tz: tzinfo,
    loops_only: bool = False,
    corrections: dict[str, list[str]] | None = None,
    refresh: bool = True,
) -> dict:
    """What `farm spend` reports (its --json shape). With `refresh`, the agents' default log
    folders are imported first, so the figures are never older than the logs."""
    from farm.sessions.pricing import active_pricer
    from farm.sessions.store import connect

    if refresh:
        from farm.sessions.importer import refresh_store

        refresh_store()
    db = connect()
    try:
        if loops_only:
            rows, total = loops(db, active_pricer(), filters)
            return {"scope": scope(filters.repo), "rows": rows, "total": total}
        found, overall = spend(db, by, active_pricer(), filters, tz, corrections)
    finally:
        db.close()
    return {"by": by, "time_zone": str(tz), "scope": scope(filters.repo), "rows": [r.as_dict() for r in found],
            "total": overall.as_dict()}


def scope(repo) -> str:
    """Which sessions a figure covers, said on every output (the site covers only its repo)."""
    from pathlib import Path

    return "every repo on this machine" if repo is None else f"sessions in {Path(repo).resolve()}"


def _add(row: SpendRow, agent, sid, model, usage: Usage, cost: float | None, calls: int) -> None:
    row.sessions.add((agent, sid))
    row.usage = row.usage + usage
    row.calls += calls
    if cost is None:
        row.unpriced_models.add(model)
    else:
        row.cost_usd += cost


def _grouped_calls(db: sqlite3.Connection, filters: Filters):
    where, params = ["1 = 1"], []
    if filters.since:
        where.append("c.ts >= ?")
        params.append(filters.since.timestamp())
    if filters.until:
        where.append("c.ts < ?")
        params.append(filters.until.timestamp())
    join = ""
    if filters.repo is not None:
        from farm.sessions.store import inside_clause

        clause, extra = inside_clause(filters.repo)
        join = "JOIN sessions s ON s.agent = c.agent AND s.session_id = c.session_id"
        where.append(clause.replace("cwd", "s.cwd"))
        params.extend(extra)
    if not (filters.since or filters.until):
        # the store keeps these sums per session (buckets): a few rows per session, not one per call
        return db.execute(
            "SELECT c.agent, c.session_id, c.model, c.tier, c.mode, c.bucket, c.calls, c.searches, c.input, c.output, "
            f"c.cw5, c.cw1, c.cread, c.reasoning FROM buckets c {join} WHERE {' AND '.join(where)}",
            params,
        )
    return db.execute(
        f"SELECT c.agent, c.session_id, c.model, c.tier, c.mode, CAST(c.ts / {BUCKET} AS INTEGER) AS bucket, "
        "COUNT(*), SUM(c.searches), SUM(c.input), SUM(c.output), SUM(c.cw5), SUM(c.cw1), SUM(c.cread), "
        f"SUM(c.reasoning) FROM calls c {join} WHERE {' AND '.join(where)} "
        "GROUP BY c.agent, c.session_id, c.model, c.tier, c.mode, bucket",
        params,
    )


def _key_function(db, by: str, tz: tzinfo, corrections: dict) -> Callable:
    if by == "model":
        return lambda agent, sid, model, bucket: (model,)
    if by == "agent":
        return lambda agent, sid, model, bucket: (agent,)
    if by == "session":
        return lambda agent, sid, model, bucket: (f"{agent}:{sid}",)
    if by == "day":
        return lambda agent, sid, model, bucket: (
            datetime.fromtimestamp(bucket * BUCKET, tz=tz).date().isoformat(),
        )
    if by == "task-type":
        types = task_types(db)
        return lambda agent, sid, model, bucket: (types.get((agent, sid)) or UNCLASSIFIED,)
    return lambda agent, sid, model, bucket: tuple(corrections.get(sid) or ["(none)"])


def task_types(db: sqlite3.Connection) -> dict[tuple[str, str], str | None]:
    """Each session's task type: the hand-set tag, else the classified one."""
    from farm.sessions.tags import load_tags

    tags = load_tags()
    return {
        (agent, sid): tags.get(f"{agent}:{sid}") or task
        for agent, sid, task in db.execute("SELECT agent, session_id, task_type FROM sessions")
    }


def _add_session_details(db: sqlite3.Connection, rows: list[SpendRow]) -> None:
    """Context growth (seed 004): how much of each session was context sent again."""
    info = {
        f"{r[0]}:{r[1]}": r[2:]
        for r in db.execute(
            "SELECT agent, session_id, start, end, cwd, task_type, turns, context_first, context_peak, "
            "context_last FROM sessions"
        )
    }
    for row in rows:
        start, end, cwd, task, turns, first, peak, last = info.get(row.key, (None,) * 8)
        total = row.usage.total_tokens
        row.extra.update(
            start=_iso(start),
            end=_iso(end),
            cwd=cwd,
            task_type=task,
            turns=turns,
            resent_share=round(row.usage.cache_read_tokens / total, 4) if total else None,
            context_first=first,
            context_peak=peak,
            context_last=last,
            context_growth=round(last / first, 2) if first else None,
        )


def loops(db: sqlite3.Connection, pricer: Pricer, filters: Filters | None = None) -> tuple[list[dict], dict]:
    """Tokens and cost per completed loop (a session that ended in a commit), by task type.

    Per-loop figures divide all spend of the group (failed sessions too) by its loops:
    what a landed change really costs (seed 003).
    """
    rows, total = spend(db, "session", pricer, filters)
    types = task_types(db)
    committed = {(a, s) for a, s in db.execute("SELECT DISTINCT agent, session_id FROM commits")}
    groups: dict[str, dict] = {}
    for row in rows:
        agent, sid = row.key.split(":", 1)
        name = types.get((agent, sid)) or UNCLASSIFIED
        for key in (name, "total"):
            g = groups.setdefault(key, {"key": key, "sessions": 0, "loops": 0, "usage": Usage(), "cost": 0.0,
                                        "unknown": False, "loop_usage": Usage(), "loop_cost": 0.0})
            g["sessions"] += 1
            g["usage"] = g["usage"] + row.usage
            g["cost"] += row.cost_usd
            g["unknown"] |= row.price_unknown
            if (agent, sid) in committed:
                g["loops"] += 1
                g["loop_usage"] = g["loop_usage"] + row.usage
                g["loop_cost"] += row.cost_usd
    out = [_loop_row(g) for k, g in sorted(groups.items()) if k != "total"]
    out.sort(key=lambda r: -(r["cost_usd"] or 0))
    overall = _loop_row(groups.get("total") or {"key": "total", "sessions": 0, "loops": 0, "usage": Usage(),
                                                 "cost": 0.0, "unknown": False, "loop_usage": Usage(),
                                                 "loop_cost": 0.0})
    return out, overall


def _loop_row(g: dict) -> dict:
    loops_done = g["loops"]
    tokens = g["usage"].total_tokens
    return {
        "key": g["key"],
        "sessions": g["sessions"],
        "loops": loops_done,
        **g["usage"].as_dict(),
        "cost_usd": round(g["cost"], 6),
        "price_unknown": g["unknown"],
        "tokens_per_loop": round(tokens / loops_done) if loops_done else None,
        "cost_per_loop_usd": round(g["cost"] / loops_done, 6) if loops_done else None,
        "loop_sessions_cost_usd": round(g["loop_cost"], 6),
    }


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if ts is not None else None


def local_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or timezone.utc
