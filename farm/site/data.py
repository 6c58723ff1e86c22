"""What the site shows, gathered from the farm: corrections with their tracker rows and
artifacts, spend from imported sessions (or the committed session summaries), audit findings.

Nothing here knows about pages or MkDocs; `pages.py` turns a `SiteData` into page text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from farm.project import Farm

MAX_ARTIFACT_BYTES = 64_000
LANGUAGES = {".py": "python", ".yml": "yaml", ".yaml": "yaml", ".md": "markdown", ".toml": "toml",
             ".json": "json", ".sh": "bash", ".js": "javascript", ".ts": "typescript"}


@dataclass
class Artifact:
    path: str  # relative to the repo root
    text: str | None  # None: missing or unreadable
    language: str = "text"
    excerpt: bool = False  # only the lines that belong to this correction (AGENTS.md, CLAUDE.md)


@dataclass
class CorrectionView:
    id: str
    path: str
    title: str
    kind: str
    task_type: str | None
    tags: list[str]
    what: str
    rule: str
    notes: str
    origin: dict
    tracked: object  # farm.tracker.Tracked
    artifacts: list[Artifact] = field(default_factory=list)


@dataclass
class SpendData:
    source: str  # "store": imported sessions; "summaries": committed session summaries
    by_task_type: list[dict]
    by_model: list[dict]
    by_day: list[dict]
    loops: list[dict]
    loops_total: dict
    growth: list[dict]  # sessions whose context grew the most
    total: dict


@dataclass
class SiteData:
    name: str
    corrections: list[CorrectionView]
    spend: SpendData | None = None
    audit: list[dict] | None = None
    inbox: list[dict] = field(default_factory=list)  # `farm inbox --json` groups (from this machine's store)
    repo_url: str | None = None
    warnings: list[str] = field(default_factory=list)


def collect(farm: Farm, *, repo_url: str | None = None) -> SiteData:
    from farm.tracker import track

    with farm.index() as (index, refresh):
        tracked = {t.id: t for t in track(farm, index, with_text=True)}  # pages show each event's excerpt
        rows = index.corrections()
        sessions = index.sessions()
        findings = audit_findings(farm, index, list(tracked.values()))
    corrections = [_view(farm, row, tracked[row.id]) for row in rows]
    return SiteData(
        name=farm.root.name, corrections=corrections, spend=spend_data(farm, sessions),
        audit=findings, inbox=inbox_groups(farm), repo_url=repo_url, warnings=list(refresh.warnings),
    )


def inbox_groups(farm: Farm) -> list[dict]:
    from farm.moments.inbox import inbox

    return [g.as_json() for g in inbox(farm)]


def audit_findings(farm: Farm, index, tracked: list) -> list[dict] | None:
    """The Audit page's findings, as `farm audit --json` rows ({kind, title, evidence, next_step}).

    The costly part (look-alike corrections) is cached with the matcher, so a rebuild of an
    unchanged farm does not pay for it again.
    """
    from farm.audit import audit

    return [f.as_json() for f in audit(farm, index, tracked)]


def _view(farm: Farm, row, tracked) -> CorrectionView:
    return CorrectionView(
        id=row.id, path=row.path, title=row.title, kind=row.kind, task_type=row.task_type,
        tags=row.tag_list(), what=row.what, rule=row.rule, notes=_notes(farm.root / row.path),
        origin=row.origin_dict(), tracked=tracked,
        artifacts=[_artifact(farm.root, path, row.id) for path in row.artifact_list()],
    )


def _notes(path: Path) -> str:
    """The body after the known sections (evidence, links a person added), as written."""
    from farm import model

    try:
        return model.load_correction(path).notes
    except Exception:  # the index already warned about a file it could not read
        return ""


def _artifact(root: Path, rel: str, correction_id: str) -> Artifact:
    """An artifact as the site shows it: only a file git tracks (never one .gitignore keeps out,
    like .env, nor anything in .git/), read up to a cap, with secrets redacted. A correction's
    artifact list is input: it cannot publish a file just by naming it."""
    from farm.fsutil import inside
    from farm.redact import redact

    language = LANGUAGES.get(Path(rel).suffix.lower(), "text")
    try:
        path = inside(root, rel)
        if path.relative_to(root.resolve()).as_posix() not in _tracked_files(root):
            return Artifact(rel, None, language)
        if not path.is_file():
            return Artifact(rel, None, language)
        with path.open("rb") as fh:
            raw = fh.read(MAX_ARTIFACT_BYTES)
        text = redact(raw.decode("utf-8", errors="replace"))
    except Exception:  # outside the repo, missing, a folder: show the path without content
        return Artifact(rel, None, language)
    marker = f"<!-- farm:{correction_id} -->"
    if marker in text:  # a shared file (AGENTS.md): only this correction's line
        lines = [line.replace(marker, "").rstrip() for line in text.splitlines() if marker in line]
        return Artifact(rel, "\n".join(lines), language, excerpt=True)
    return Artifact(rel, text, language)


_TRACKED: dict[tuple[str, float], frozenset[str]] = {}


def _tracked_files(root: Path) -> frozenset[str]:
    """The files git tracks, listed once per state of the index (a build asks per artifact)."""
    from farm import git

    try:
        stamp = (git.git_dir(root) / "index").stat().st_mtime
    except OSError:
        stamp = 0.0
    key = (str(root), stamp)
    if key not in _TRACKED:
        _TRACKED.clear()
        _TRACKED[key] = frozenset(git.ls_files(root))
    return _TRACKED[key]


# --- spend ------------------------------------------------------------------


def spend_data(farm: Farm, summaries: list) -> SpendData | None:
    """Spend from the imported-session store for this repo; else from the committed session
    summaries (cost only); None when there are no sessions at all."""
    return _from_store(farm) or _from_summaries(summaries)


def _from_store(farm: Farm) -> SpendData | None:
    try:
        from farm.sessions.pricing import Pricer
        from farm.sessions.store import connect
        from farm.spend import Filters, loops, spend
    except ImportError:  # sessions support not installed in this build
        return None
    try:
        db = connect()
    except Exception:
        return None
    try:
        pricer = Pricer(farm.config.get("prices") or {}, farm.config.get("price_multipliers") or {})
        filters = Filters(repo=farm.root)
        sessions, total = spend(db, "session", pricer, filters)
        if not sessions:
            return None
        loop_rows, loop_total = loops(db, pricer, filters)
        return SpendData(
            source="store",
            by_task_type=[r.as_dict() for r in spend(db, "task-type", pricer, filters)[0]],
            by_model=[r.as_dict() for r in spend(db, "model", pricer, filters)[0]],
            by_day=[r.as_dict() for r in spend(db, "day", pricer, filters)[0]],
            loops=loop_rows, loops_total=loop_total, growth=_growth([r.as_dict() for r in sessions]),
            total=total.as_dict(),
        )
    except Exception:  # a store from another farm version or mid-rebuild: show what the files say
        return None
    finally:
        db.close()


def _growth(sessions: list[dict], limit: int = 10) -> list[dict]:
    grown = [s for s in sessions if s.get("context_growth")]
    grown.sort(key=lambda s: -s["context_growth"])
    return grown[:limit]


def _from_summaries(summaries: list) -> SpendData | None:
    if not summaries:
        return None
    by_type: dict[str, dict] = {}
    by_day: dict[str, dict] = {}
    for s in summaries:
        task = s.task_type or "unclassified"
        day = s.start.date().isoformat() if s.start else "unknown"
        for key, groups in ((task, by_type), (day, by_day)):
            row = groups.setdefault(key, {"key": key, "sessions": 0, "loops": 0, "cost_usd": 0.0, "price_unknown": False})
            row["sessions"] += 1
            row["loops"] += s.commits > 0
            if s.cost_usd is None:
                row["price_unknown"] = True
            else:
                row["cost_usd"] += s.cost_usd
    loops = [_per_loop(r) for r in sorted(by_type.values(), key=lambda r: -r["cost_usd"])]
    total = {"key": "total", "sessions": len(summaries), "loops": sum(s.commits > 0 for s in summaries),
             "cost_usd": sum(s.cost_usd or 0.0 for s in summaries),
             "price_unknown": any(s.cost_usd is None for s in summaries)}
    return SpendData(
        source="summaries", by_task_type=loops, by_model=[], by_day=sorted(by_day.values(), key=lambda r: r["key"]),
        loops=loops, loops_total=_per_loop(total), growth=[], total=total,
    )


def _per_loop(row: dict) -> dict:
    out = dict(row)
    out["cost_per_loop_usd"] = round(row["cost_usd"] / row["loops"], 6) if row["loops"] else None
    return out
