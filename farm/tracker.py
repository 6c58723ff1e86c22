"""The tracker: per correction, when it landed, the miss rate before and after, and its verdict.

Everything here comes from committed files (correction files, events, session
summaries) and git history, so every clone of the farm computes the same figures.

The instrument is the same on both sides of landed_at: every `miss` or `recurrence`
event (captured by hand, found by `farm scan`, or a correction moment found in an
imported session) is one occurrence, and one session counts once however many
events it holds (an event without a session counts as a session of its own).

- landed_at: when the correction file first entered the current branch's history.
- before: k sessions with an occurrence in n sessions that started before landed_at;
  after: k in n that started after it (the exposure), in the correction's task type
  when it has one. With fewer sessions on record before landing than sessions with a
  miss (say 2 misses and 1 session summary), the record is incomplete and there is no
  rate: the verdict stays unproven (leaking if it recurred) and nothing is claimed.
- the verdict compares the two rates, taking the rate before (k/n) as the old rate:
  - holding: nothing after, and at the old rate the exposure made a recurrence likely:
    P(no recurrence | old rate, n after) = (1 − rate)^n ≤ 0.1 (and n ≥ min_exposure);
  - improved: some after, but clearly fewer than the old rate predicts:
    P(at most k after | old rate, n after) ≤ 0.1 (binomial);
  - leaking: some after, and not clearly fewer (or no rate before to compare with);
  - unproven: nothing after, but too few sessions to tell (or not committed yet);
  - retired: closed by a person.
- cost avoided, claimed only for holding and improved: (old rate × n after − k after)
  × the median real cost of its misses (the event's cost, else its session's cost),
  with a 90% interval from the old rate's Wilson score interval (z = 1.645). The rate
  counts sessions, one per session however many misses it held, so the claim never
  exceeds one miss avoided per session since landing. "unknown" (None) when an input is missing.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from farm import git
from farm.project import Farm

# A verdict needs the evidence to be this unlikely under the old rate.
SIGNIFICANCE = 0.1
# The two-sided 90% normal quantile, for the rate's Wilson interval.
Z90 = 1.6449


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
    # The evidence behind the verdict: k sessions with an occurrence in n sessions.
    before_k: int = 0
    before_n: int = 0
    after_k: int = 0
    after_n: int = 0
    rate_before: float | None = None
    rate_before_low: float | None = None
    rate_before_high: float | None = None
    rate_after: float | None = None
    p_value: float | None = None  # P(at most after_k in after_n | the old rate)
    verdict: str = ""  # the verdict's reason in one line
    origin_cost_usd: float | None = None
    recurrence_cost_usd: float = 0.0
    median_miss_cost_usd: float | None = None
    expected_repeats: float | None = None
    est_cost_avoided_usd: float | None = None
    est_cost_avoided_low_usd: float | None = None
    est_cost_avoided_high_usd: float | None = None
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
    costs: dict[str, float]  # session id -> its recorded cost

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
        costs={s.session_id: s.cost_usd for s in sessions if s.session_id and s.cost_usd is not None},
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
    sessions_before: set = set()
    sessions_after: set = set()
    for event in events:
        after = landed_at is not None and event.at > landed_at
        if event.type in ("miss", "recurrence"):
            t.misses += 1
            t.recurrences += event.type == "recurrence"
            t.recurrences_after += event.type == "recurrence" and after
            t.misses_before += not after
            if not after:
                sessions_before.add(event.session_id or event.path)
            elif event.type == "recurrence":  # only a recurrence counts against it, as before
                sessions_after.add(event.session_id or event.path)
            cost = event.cost_usd if event.cost_usd is not None else timeline.costs.get(event.session_id)
            if cost is not None:
                miss_costs.append(cost)
                t.recurrence_cost_usd += cost if event.type == "recurrence" else 0.0
        elif event.type == "catch":
            t.catches += 1
    if landed_at is not None:
        t.sessions_before, t.exposure_sessions = timeline.count(row.task_type, landed_at)
        t.exposure_loops = timeline.count(row.task_type, landed_at, loops=True)[1]
        t.before_k, t.after_k = len(sessions_before), len(sessions_after)
        t.before_n, t.after_n = t.sessions_before, max(t.exposure_sessions, t.after_k)
    t.median_miss_cost_usd = round(statistics.median(miss_costs), 4) if miss_costs else None
    _rates(t)
    t.status, t.verdict = _verdict(row.status, t, min_exposure)
    _estimate(t)
    return t


def _rates(t: Tracked) -> None:
    if t.landed_at is None:
        return
    if t.before_n and t.before_n >= t.before_k:  # fewer sessions than misses: the record is incomplete
        t.rate_before = round(t.before_k / t.before_n, 4)
        low, high = wilson(t.before_k, t.before_n)
        t.rate_before_low, t.rate_before_high = round(low, 4), round(high, 4)
        t.p_value = round(binomial_cdf(t.after_k, t.after_n, t.before_k / t.before_n), 4)
    if t.after_n:
        t.rate_after = round(t.after_k / t.after_n, 4)


def _verdict(file_status: str, t: Tracked, min_exposure: int) -> tuple[str, str]:
    """(status, the reason in one line) — see the module docstring."""
    before = f"before: {t.before_k} in {t.before_n} sessions"
    after = f"after: {t.after_k} in {t.after_n}"
    if file_status == "retired":
        return "retired", "closed by a person"
    if t.landed_at is None:
        return "unproven", "not committed yet"
    if t.p_value is None:
        if t.before_n == 0:
            why = "no sessions on record before it landed, so no rate to compare with (`farm sessions import` reads them)"
        else:
            why = f"{before}, fewer than the misses (the record is incomplete): no rate to compare with"
        return ("leaking" if t.after_k else "unproven"), f"{after}; {why}"
    chance = f"P = {t.p_value:.3g} at the old rate"
    if t.after_k:
        if t.p_value <= SIGNIFICANCE:
            return "improved", f"{before}, {after}: clearly fewer ({chance})"
        return "leaking", f"{before}, {after}: not clearly fewer ({chance})"
    if t.p_value <= SIGNIFICANCE and t.after_n >= min_exposure:
        return "holding", f"{before}, {after}: a recurrence was likely by now ({chance} of none)"
    return "unproven", f"{before}, {after}: too few sessions to tell ({chance} of none)"


def _estimate(t: Tracked) -> None:
    if t.rate_before is None:
        return  # no miss rate to extrapolate from: unknown, not zero
    rate = t.before_k / t.before_n
    t.expected_repeats = round(rate * t.after_n, 3)
    if t.status not in ("holding", "improved") or t.median_miss_cost_usd is None:
        return  # never claimed without the evidence that it works
    cost = t.median_miss_cost_usd
    low, high = wilson(t.before_k, t.before_n)
    t.est_cost_avoided_usd = round(max(0.0, rate * t.after_n - t.after_k) * cost, 2)
    t.est_cost_avoided_low_usd = round(max(0.0, low * t.after_n - t.after_k) * cost, 2)
    t.est_cost_avoided_high_usd = round(max(0.0, high * t.after_n - t.after_k) * cost, 2)


def wilson(k: int, n: int, z: float = Z90) -> tuple[float, float]:
    """The Wilson score interval of a rate k/n (90% by default); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), summed in log space (n may be tens of thousands)."""
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_term = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        total += math.exp(log_term)
    return min(1.0, total)


# --- the listing cache ------------------------------------------------------------

# The modules the listing is derived by (see farm/fingerprint.py).
_CODE = ("tracker.py", "index.py", "model.py", "config.py", "fingerprint.py")


@dataclass
class ListingCache:
    """`farm status --json`'s output, kept under FARM_HOME while the farm's fingerprint
    (farm/fingerprint.py) stays the same, so an unchanged farm of 10,000 corrections
    answers without opening the index at all."""

    folder: object
    text: str | None = None  # the output, when still current
    warnings: list[str] = field(default_factory=list)

    def store(self, farm: Farm, text: str, warnings: list[str]) -> None:
        import json

        from farm.fingerprint import stamp
        from farm.fsutil import atomic_write

        try:
            atomic_write(self.folder / "status-listing.txt", text)
            atomic_write(self.folder / "status-listing.json",
                         json.dumps({"stamp": stamp(farm, _CODE).as_json(), "warnings": warnings}))
        except OSError:
            pass  # a cache that cannot be written only costs time


def listing_cache(farm: Farm) -> ListingCache:
    """The cached listing when it is still current (`text` set), else an empty one to `store`."""
    import json

    from farm.fingerprint import current
    from farm.paths import repo_state_dir

    folder = repo_state_dir(farm.root)
    try:
        stored = json.loads((folder / "status-listing.json").read_text())
        if current(farm, stored["stamp"], _CODE):
            return ListingCache(folder, (folder / "status-listing.txt").read_text(), stored["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return ListingCache(folder)
