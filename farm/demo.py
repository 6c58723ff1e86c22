"""A throw-away farm with six weeks of history: corrections that hold, one that leaks,
one that is still unproven, one retired; misses, recurrences, catches and sessions.

`farm demo` builds it so a new user sees the tracker working in one command; the
tests build the same farm to check the tracker, audit and site against it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from farm import git, model
from farm.artifacts import Context, Planned, plan
from farm.project import Farm, init_farm, open_farm

TASK_TYPES = ("bug fix", "refactor", "docs", "test repair", "feature", "dependency upgrade")

# (key, kind, task_type, title, what, rule, options, days ago captured, misses before landing, recurrences after)
STORY = [
    ("takeaway", "grader", "docs", "Draft drops the stated takeaway",
     "The rewrite turned the post's point into a generic lesson about noticing busy sessions.",
     "A draft must keep the takeaway sentence the author stated.",
     {"must_preserve": ["The extra spend should either make the current artifact better"], "applies_to": ["posts/*.md"]},
     40, 2, 0),
    ("deleted-tests", "prompt", "test repair", "Agent deletes failing tests instead of fixing them",
     "Asked to make CI green, the agent removed three failing test files.",
     "Fix the code or the test; never delete a failing test to make the suite pass.", {}, 35, 1, 0),
    ("stale-lockfile", "skill", "dependency upgrade", "Lockfile not regenerated after a dependency bump",
     "package.json was bumped but package-lock.json was left stale; npm ci failed in CI.",
     "After changing package.json, run npm install and commit the lockfile with it.", {}, 30, 1, 2),
    ("crlf", "prompt", "bug fix", "Edits convert CRLF files to LF",
     "Editing Windows batch files rewrote their CRLF line endings as LF, breaking cmd.exe parsing.",
     "Keep each file's existing line endings when editing.", {}, 25, 1, 0),
    ("migration-order", "test", "feature", "Migration added without its down step",
     "A new migration had no down step, so the rollback in staging failed.",
     "Every migration has a working down step.", {"check_cmd": "true"}, 4, 1, 0),
    ("verbose-comments", "prompt", "refactor", "Agent adds a comment to every line",
     "A refactor added narrating comments to every line of a 200-line module.",
     "Comment only the why; never narrate what a line does.", {}, 20, 1, 0),
]


@dataclass
class DemoInfo:
    root: Path
    ids: dict[str, str]  # story key -> correction id


def build_demo(root: Path, *, now: datetime | None = None, seed: int = 3) -> DemoInfo:
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    rng = random.Random(seed)
    git.init_repo(root)
    start = now - timedelta(days=42)
    _commit(root, {"README.md": "# demo project\n", "posts/draft.md": "# Tokens\n\nA draft.\n"}, "start", start)
    init_farm(root)
    farm = open_farm(root)
    _commit(root, {}, "farm init", start + timedelta(hours=1), extra=_untracked(root))
    _sessions(farm, rng, start, now)
    ids = {}
    for key, kind, task_type, title, what, rule, options, days, before, after in STORY:
        ids[key] = _story(farm, rng, now, key, kind, task_type, title, what, rule, options, days, before, after)
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


def _sessions(farm: Farm, rng: random.Random, start: datetime, now: datetime) -> None:
    files = {}
    day = start
    n = 0
    while day < now - timedelta(hours=2):
        for _ in range(rng.randint(1, 4)):
            n += 1
            begin = day + timedelta(hours=rng.uniform(8, 18))
            if begin >= now:
                continue
            task = rng.choice(TASK_TYPES)
            growth = 1.0 + (begin - start).days / 42  # loops get dearer over time
            summary = {
                "agent": rng.choice(("claude", "codex")), "session_id": f"demo-{n:04d}",
                "start": begin.isoformat(), "end": (begin + timedelta(minutes=rng.randint(5, 90))).isoformat(),
                "task_type": task, "commits": [f"{rng.getrandbits(40):010x}"] if rng.random() < 0.6 else [],
                "cost_usd": round(rng.uniform(0.4, 6.0) * growth, 2),
            }
            import json

            files[f"corrections/log/sessions/demo-{n:04d}.json"] = json.dumps(summary, indent=2) + "\n"
        day += timedelta(days=1)
    _commit(farm.root, files, "farm: session summaries", now - timedelta(hours=1))


def _story(farm, rng, now, key, kind, task_type, title, what, rule, options, days, before, after) -> str:
    captured = now - timedelta(days=days)
    correction = model.Correction(
        id=model.new_id(title), title=title, kind=kind, created=captured, what=what, rule=rule,
        task_type=task_type, tags=[key.split("-")[0]], signature=[],
        origin=model.Origin(agent="claude", session_id=f"origin-{key}", model="claude-sonnet-4-5",
                            tokens={"input_tokens": 42_000, "output_tokens": 9_000, "cache_read_tokens": 610_000},
                            cost_usd=round(rng.uniform(2, 9), 2)),
    )
    files: dict[str, str] = {}
    for n in range(before):
        at = captured - timedelta(days=2 * (before - 1 - n))
        files.update(_event(farm, "miss" if n == 0 else "recurrence", correction.id, at, cost=round(rng.uniform(1, 8), 2)))
    peers = [correction] if kind == "prompt" else []
    if kind == "prompt":
        peers = _prompt_peers(farm) + [correction]
    planned: list[Planned] = plan(Context(farm=farm, correction=correction, options=options, peers=peers))
    files.update({p.path: p.content for p in planned})
    files[f"corrections/{correction.id}.md"] = model.dump_correction(correction)
    _commit(farm.root, files, f"farm: capture {correction.id}", captured + timedelta(minutes=5))
    later = {}
    for n in range(after):
        at = captured + timedelta(days=6 + 7 * n)
        later.update(_event(farm, "recurrence", correction.id, at, cost=round(rng.uniform(2, 9), 2), session=f"demo-late-{key}-{n}"))
    if later:
        _commit(farm.root, later, f"farm: recurrence of {correction.id}", now - timedelta(minutes=30 - after))
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
    event = model.Event(type=kind, correction=correction_id, at=at, cost_usd=cost, session_id=session,
                        text=f"demo {kind}", data=data or {})
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
