"""What a session of each task type usually costs, and the cap past which it is stopped.

The figures come from the imported history (the session store): per task type, the p50
and p90 cost of a session, and of a completed loop (a session that ended in a commit),
plus spend per loop (all spend of the type over its loops, seed 003). Caps come from the
config: `task_budgets_usd` per task type, else `session_budget_usd`.

The figures are kept in FARM_HOME/budgets.json: a hook reads that file and never touches
the store; `farm budget` and the SessionEnd hook (after its import) recompute it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from farm.hooks.runtime import read_json, state_dir, write_json

CACHE = "budgets.json"
MIN_SESSIONS = 5  # fewer sessions of a type than this: its figures fall back to all sessions
UNCLASSIFIED = "unclassified"


@dataclass
class Usual:
    task_type: str
    sessions: int = 0
    p50_usd: float | None = None
    p90_usd: float | None = None
    loops: int = 0
    loop_p50_usd: float | None = None
    loop_p90_usd: float | None = None
    cost_per_loop_usd: float | None = None
    unpriced_sessions: int = 0


@dataclass
class Budgets:
    usual: dict[str, Usual] = field(default_factory=dict)  # task type (and "all") -> figures
    sessions: int = 0
    computed_at: float = 0.0

    def for_type(self, task_type: str | None) -> Usual | None:
        """The usual cost of `task_type`, or of all sessions when the type has too few."""
        found = self.usual.get(task_type or UNCLASSIFIED)
        if found is not None and found.sessions >= MIN_SESSIONS:
            return found
        overall = self.usual.get("all")
        return overall if overall is not None and overall.sessions else None


@dataclass(frozen=True)
class Cap:
    usd: float
    source: str  # the config key it comes from


def cap_for(config: dict, task_type: str | None) -> Cap | None:
    per_type = config.get("task_budgets_usd") or {}
    if isinstance(per_type, dict) and task_type in per_type and _number(per_type[task_type]):
        return Cap(float(per_type[task_type]), f'task_budgets_usd."{task_type}"')
    if _number(config.get("session_budget_usd")):
        return Cap(float(config["session_budget_usd"]), "session_budget_usd")
    return None


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def compute_budgets(prices: dict | None = None) -> Budgets:
    """The usual costs from every imported session, and the cache the hooks read, refreshed."""
    from farm import spend
    from farm.sessions import store
    from farm.sessions.pricing import Pricer

    db = store.connect()
    try:
        rows, _total = spend.spend(db, "session", Pricer(prices or {}))
        types = spend.task_types(db)
        committed = store.committed_sessions(db)
        loop_rows, loop_overall = spend.loops(db, Pricer(prices or {}))
    finally:
        db.close()
    costs: dict[str, list[float]] = {}
    loop_costs: dict[str, list[float]] = {}
    unpriced: dict[str, int] = {}
    for row in rows:
        agent, sid = row.key.split(":", 1)
        task = types.get((agent, sid)) or UNCLASSIFIED
        for key in (task, "all"):
            if row.price_unknown:
                unpriced[key] = unpriced.get(key, 0) + 1
                continue
            costs.setdefault(key, []).append(row.cost_usd)
            if (agent, sid) in committed:
                loop_costs.setdefault(key, []).append(row.cost_usd)
    per_loop = {r["key"]: r["cost_per_loop_usd"] for r in loop_rows}
    per_loop["all"] = loop_overall.get("cost_per_loop_usd")
    budgets = Budgets(sessions=len(rows), computed_at=time.time())
    for key in sorted(set(costs) | set(unpriced)):
        usual = Usual(key, sessions=len(costs.get(key, [])), unpriced_sessions=unpriced.get(key, 0))
        usual.p50_usd, usual.p90_usd = _p50_p90(costs.get(key, []))
        usual.loops = len(loop_costs.get(key, []))
        usual.loop_p50_usd, usual.loop_p90_usd = _p50_p90(loop_costs.get(key, []))
        usual.cost_per_loop_usd = per_loop.get(key)
        budgets.usual[key] = usual
    _save(budgets)
    return budgets


def _p50_p90(values: list[float]) -> tuple[float | None, float | None]:
    import statistics

    if not values:
        return None, None
    if len(values) == 1:
        return round(values[0], 6), round(values[0], 6)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return round(statistics.median(values), 6), round(p90, 6)


def _save(budgets: Budgets) -> None:
    try:
        write_json(state_dir() / CACHE, asdict(budgets))
    except OSError:
        pass


def cached_budgets() -> Budgets | None:
    """The figures the last `farm budget` or SessionEnd computed, or None."""
    data = read_json(state_dir() / CACHE, None)
    if not isinstance(data, dict) or not isinstance(data.get("usual"), dict):
        return None
    try:
        usual = {k: Usual(**v) for k, v in data["usual"].items()}
        return Budgets(usual=usual, sessions=int(data.get("sessions", 0)), computed_at=float(data.get("computed_at", 0)))
    except (TypeError, ValueError):
        return None
