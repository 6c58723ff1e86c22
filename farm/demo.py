"""A throw-away farm with twelve weeks of history: corrections that hold, one that
improved, one that leaks, two still unproven, one retired; misses, recurrences, catches
and the sessions they happened in.

Every miss sits in a real session of the demo's record (its task type, its date, its
cost), before the correction landed or after it, so the verdicts come from the same
arithmetic a real farm gets: the miss rate before landing against the rate since.
`farm demo` builds it so a new user sees the tracker working in one command; the
tests build the same farm to check the tracker, audit and site against it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from farm import git, model
from farm.artifacts import Context, Planned, plan
from farm.project import Farm, init_farm, open_farm

TASK_TYPES = ("bug fix", "refactor", "docs", "test repair", "feature", "dependency upgrade")
HISTORY_DAYS = 84

# (key, kind, task_type, title, what, rule, options, days ago captured, misses before landing, recurrences after)
STORY = [
    ("takeaway", "grader", "docs", "Draft drops the stated takeaway",
     "The rewrite turned the post's point into a generic lesson about noticing busy sessions.",
     "A draft must keep the takeaway sentence the author stated.",
     {"must_preserve": ["The extra spend should either make the current artifact better"], "applies_to": ["posts/*.md"]},
     40, 4, 0),
    ("deleted-tests", "prompt", "test repair", "Agent deletes failing tests instead of fixing them",
     "Asked to make CI green, the agent removed three failing test files.",
     "Fix the code or the test; never delete a failing test to make the suite pass.", {}, 35, 4, 0),
    ("claims-green", "skill", "feature", "Agent says the tests pass without running them",
     "The agent reported 'all tests pass' after editing, but had not run the suite; CI failed on two tests.",
     "Run the test suite and quote its summary line before saying it passes.", {}, 50, 5, 1),
    ("stale-lockfile", "skill", "dependency upgrade", "Lockfile not regenerated after a dependency bump",
     "package.json was bumped but package-lock.json was left stale; npm ci failed in CI.",
     "After changing package.json, run npm install and commit the lockfile with it.", {}, 30, 2, 2),
    ("crlf", "prompt", "bug fix", "Edits convert CRLF files to LF",
     "Editing Windows batch files rewrote their CRLF line endings as LF, breaking cmd.exe parsing.",
     "Keep each file's existing line endings when editing.", {}, 25, 1, 0),
    ("migration-order", "test", "feature", "Migration added without its down step",
     "A new migration had no down step, so the rollback in staging failed.",
     "Every migration has a working down step.", {"check_cmd": "true"}, 4, 1, 0),
    ("verbose-comments", "prompt", "refactor", "Agent adds a comment to every line",
     "A refactor added narrating comments to every line of a 200-line module.",
     "Comment only the why; never narrate what a line does.", {}, 20, 2, 0),
]


@dataclass
class DemoInfo:
    root: Path
    ids: dict[str, str]  # story key -> correction id


@dataclass(frozen=True)
class _Session:
    id: str
    start: datetime
    task_type: str
    cost_usd: float


def build_demo(root: Path, *, now: datetime | None = None, seed: int = 3) -> DemoInfo:
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    rng = random.Random(seed)
    git.init_repo(root)
    start = now - timedelta(days=HISTORY_DAYS)
    _commit(root, {"README.md": "# demo project\n", "posts/draft.md": "# Tokens\n\nA draft.\n"}, "start", start)
    init_farm(root)
    farm = open_farm(root)
    _commit(root, {}, "farm init", start + timedelta(hours=1), extra=_untracked(root))
    sessions = _sessions(farm, rng, start, now)
    ids = {}
    for key, kind, task_type, title, what, rule, options, days, before, after in STORY:
        mine = [s for s in sessions if s.task_type == task_type]
        ids[key] = _story(farm, rng, now, mine, key, kind, task_type, title, what, rule, options, days, before, after)
    _catches(farm, ids["takeaway"], now, 3)
    _retire(farm, ids["verbose-comments"], now - timedelta(days=5))
    return DemoInfo(root=root, ids=ids)


def _untracked(root: Path) -> list[str]:
    return [p for p in ("corrections/log/.gitkeep", "templates/README.md", "mkdocs.yml", "farm.toml", ".gitignore")
            if (root / p).exists()]


def _commit(root: Path, files: dict[str, str], message: str, when: datetime, extra: list[str] = ()) -> None:
    from farm.writer import Change

    change = Change(Farm(root=root, config={}))
    for rel, text in files.items():
        change.write(rel, text)
    for rel in extra:
        change.vouch(rel)
    change.commit(message, when=when)


def _sessions(farm: Farm, rng: random.Random, start: datetime, now: datetime) -> list[_Session]:
    files, out = {}, []
    day = start
    n = 0
    while day < now - timedelta(hours=2):
        for _ in range(rng.randint(2, 5)):
            n += 1
            begin = day + timedelta(hours=rng.uniform(8, 18))
            if begin >= now:
                continue
            task = rng.choice(TASK_TYPES)
            growth = 1.0 + (begin - start).days / HISTORY_DAYS  # loops get dearer over time
            session = _Session(f"demo-{n:04d}", begin, task, round(rng.uniform(0.4, 6.0) * growth, 2))
            out.append(session)
            summary = {
                "agent": rng.choice(("claude", "codex")), "session_id": session.id,
                "start": begin.isoformat(), "end": (begin + timedelta(minutes=rng.randint(5, 90))).isoformat(),
                "task_type": task, "commits": [f"{rng.getrandbits(40):010x}"] if rng.random() < 0.6 else [],
                "cost_usd": session.cost_usd,
            }
            files[f"corrections/log/sessions/{session.id}.json"] = json.dumps(summary, indent=2) + "\n"
        day += timedelta(days=1)
    _commit(farm.root, files, "farm: session summaries", now - timedelta(hours=1))
    return sorted(out, key=lambda s: s.start)


def _story(farm, rng, now, sessions, key, kind, task_type, title, what, rule, options, days, before, after) -> str:
    """One correction: `before` misses in its task type's sessions before it was captured (the
    last one the capture itself), `after` recurrences in sessions since, found in the imports."""
    captured = now - timedelta(days=days)
    earlier = [s for s in sessions if s.start < captured - timedelta(hours=1)]
    later = [s for s in sessions if s.start > captured + timedelta(hours=1)]
    prior = sorted(rng.sample(earlier[:-1], before - 1), key=lambda s: s.start) + [earlier[-1]]
    origin = prior[-1]
    correction = model.Correction(
        id=model.new_id(title), title=title, kind=kind, created=captured, what=what, rule=rule,
        task_type=task_type, tags=[key.split("-")[0]], signature=[],
        origin=model.Origin(agent="claude", session_id=origin.id, model="claude-sonnet-4-5",
                            tokens={"input_tokens": 42_000, "output_tokens": 9_000, "cache_read_tokens": 610_000},
                            cost_usd=origin.cost_usd),
    )
    files: dict[str, str] = {}
    for s in prior[:-1]:  # found later in the imported sessions: prior occurrences set the old rate
        files.update(_event(farm, "miss", correction.id, s.start + timedelta(minutes=20), cost=s.cost_usd,
                            session=s.id, data={"source": "moment", "session_id": s.id}))
    files.update(_event(farm, "miss", correction.id, captured, cost=origin.cost_usd, session=origin.id))
    peers = [correction] if kind == "prompt" else []
    if kind == "prompt":
        peers = _prompt_peers(farm) + [correction]
    planned: list[Planned] = plan(Context(farm=farm, correction=correction, options=options, peers=peers))
    files.update({p.path: p.content for p in planned})
    files[f"corrections/{correction.id}.md"] = model.dump_correction(correction)
    _commit(farm.root, files, f"farm: capture {correction.id}", captured + timedelta(minutes=5))
    recurred = {}
    for s in sorted(rng.sample(later, after), key=lambda s: s.start):
        recurred.update(_event(farm, "recurrence", correction.id, s.start + timedelta(minutes=20), cost=s.cost_usd,
                               session=s.id, data={"source": "moment", "session_id": s.id}))
    if recurred:
        _commit(farm.root, recurred, f"farm: recurrence of {correction.id}", now - timedelta(minutes=30 - after))
    return correction.id


def _prompt_peers(farm: Farm) -> list[model.Correction]:
    peers = []
    for path in sorted(farm.corrections_dir.glob("*.md")):
        c = model.load_correction(path)
        if c.kind == "prompt" and c.status == "active":
            peers.append(c)
    return peers


def _event(farm: Farm, kind: str, correction_id: str, at: datetime, cost: float | None = None,
           session: str | None = None, data: dict | None = None) -> dict[str, str]:
    data = data or {}
    # Found in an imported session: one event per correction and session, as the importer keys them.
    key = f"moment:{correction_id}:{session}" if data.get("source") == "moment" else None
    event = model.Event(type=kind, correction=correction_id, at=at, key=key, cost_usd=cost, session_id=session,
                        text=f"demo {kind}", data=data)
    return {f"corrections/{model.event_path(event)}": model.dump_event(event)}


def _catches(farm: Farm, correction_id: str, now: datetime, count: int) -> None:
    files = {}
    for n in range(count):
        files.update(_event(farm, "catch", correction_id, now - timedelta(days=3 * n + 1),
                            data={"path": "posts/draft.md", "line": 1, "message": "lost the takeaway"}))
    _commit(farm.root, files, "farm: catches", now - timedelta(minutes=20))


def _retire(farm: Farm, correction_id: str, when: datetime) -> None:
    path = farm.corrections_dir / f"{correction_id}.md"
    correction = model.load_correction(path)
    correction.status = "retired"
    files = {farm.rel(path): model.dump_correction(correction)}
    files.update(_event(farm, "retire", correction_id, when))
    _commit(farm.root, files, f"farm: retire {correction_id}", when)
