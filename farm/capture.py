"""`farm capture` as a use case: a miss becomes a correction + artifact + commit,
or, when it repeats an earlier correction, a recurrence event on that one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from farm import git, model
from farm.artifacts import Context, Planned, plan
from farm.errors import GitStateError, InvalidInput
from farm.fsutil import atomic_write, inside
from farm.model import Correction, Event, Origin
from farm.project import Farm

MAX_TEXT = 20_000


@dataclass
class Miss:
    title: str
    what: str
    rule: str
    kind: str
    task_type: str | None = None
    tags: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    origin: Origin = field(default_factory=Origin)
    options: dict[str, Any] = field(default_factory=dict)  # kind-specific: check_cmd, must_preserve, …


@dataclass
class CaptureResult:
    id: str
    recurrence_of: str | None
    files: list[str]
    commit: str | None
    not_committed: list[str] = field(default_factory=list)  # written, left for the user to commit
    note: str | None = None  # why nothing (or not everything) was committed
    match_score: float | None = None
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "recurrence_of": self.recurrence_of, "files": self.files, "commit": self.commit}


def clean_miss(miss: Miss) -> Miss:
    """The miss as farm will keep it: validated, control characters gone, secrets redacted."""
    from farm.redact import redact

    title = " ".join(_strip_controls(miss.title).split())
    if not title:
        raise InvalidInput("--title is empty")
    if len(title) > model.MAX_TITLE:
        raise InvalidInput(f"--title is {len(title):,} characters long (at most {model.MAX_TITLE})")
    if miss.kind not in model.KINDS:
        raise InvalidInput(f"--kind {miss.kind!r} is not one of {', '.join(model.KINDS)}")
    what, rule = (_strip_controls(text).strip() for text in (miss.what, miss.rule))
    for flag, text in (("--what", what), ("--rule", rule)):
        if not text:
            raise InvalidInput(f"{flag} is empty")
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"{flag} is {len(text):,} characters long (at most {MAX_TEXT:,})")
    miss.title, miss.what, miss.rule = redact(title), redact(what), redact(rule)
    miss.signature = [redact(s) for s in (miss.signature or propose_signature(miss.title, miss.what))]
    return miss


def _strip_controls(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", text or "")


_ERROR_LINE = re.compile(r"(error|exception|traceback|failed|fatal|panic|not found|denied)", re.I)


def propose_signature(title: str, what: str) -> list[str]:
    """Phrases that identify this failure in a transcript: the error-looking lines of the miss."""
    lines = [line.strip() for line in what.splitlines() if _ERROR_LINE.search(line)]
    quoted = re.findall(r"[`'\"]([^`'\"\n]{8,120})[`'\"]", what)
    phrases = [p for p in dict.fromkeys(lines + quoted) if 8 <= len(p) <= 200]
    return phrases[:5]


def capture(
    farm: Farm,
    miss: Miss,
    *,
    force_new: bool = False,
    confirm: Callable[[Any], bool] = lambda match: True,
    commit: bool = True,
) -> CaptureResult:
    """Record `miss`: a recurrence of the best matching correction when farm's matcher
    calls it one (and `confirm` agrees), else a new correction with its artifact."""
    from filelock import FileLock

    miss = clean_miss(miss)
    with FileLock(str(git.git_dir(farm.root) / "farm.lock"), timeout=120):
        with farm.index() as (index, refresh):
            rows = index.corrections()
            match = None if force_new else _best_recurrence(farm, rows, miss)
            if match is not None and confirm(match):
                result = _record_recurrence(farm, miss, match)
            else:
                peers = [_row_to_correction(r) for r in rows if r.kind == miss.kind and r.status == "active"]
                result = _record_new(farm, miss, peers, rows)
        result.warnings = refresh.warnings
        if commit:
            _commit(farm, result)
        else:
            result.not_committed, result.note = result.files, "not committed (--no-commit)"
    return result


def _best_recurrence(farm: Farm, rows, miss: Miss):
    from farm.match import Matcher, MatchDoc

    active = [r for r in rows if r.status == "active"]
    if not active:
        return None
    docs = [MatchDoc(r.id, r.title, r.what, r.rule, tuple(r.signature_list())) for r in active]
    matcher = Matcher(docs, threshold=farm.config.get("match_threshold"))
    best = matcher.match(f"{miss.title}\n{miss.what}", limit=1)
    return best[0] if best and best[0].recurrence else None


def _record_recurrence(farm: Farm, miss: Miss, match) -> CaptureResult:
    event = _event("recurrence", match.id, miss)
    path = _write_event(farm, event)
    return CaptureResult(id=match.id, recurrence_of=match.id, files=[path], commit=None, match_score=match.score)


def _record_new(farm: Farm, miss: Miss, peers: list[Correction], rows) -> CaptureResult:
    taken = {r.id for r in rows}
    correction_id = model.new_id(miss.title)
    while correction_id in taken:
        correction_id = model.new_id(miss.title)
    correction = Correction(
        id=correction_id, title=miss.title, kind=miss.kind, created=model.now(),
        what=miss.what, rule=miss.rule, task_type=miss.task_type, tags=list(miss.tags),
        signature=miss.signature, origin=miss.origin,
    )
    planned = plan(Context(farm=farm, correction=correction, options=miss.options, peers=[*peers, correction]))
    corrections_rel = farm.config["corrections_dir"]
    correction_path = f"{corrections_rel}/{correction.id}.md"
    planned.append(Planned(correction_path, model.dump_correction(correction)))
    event_rel = _event_rel(farm, _event("miss", correction.id, miss))
    planned.append(event_rel)
    existing = [p.path for p in planned if inside(farm.root, p.path).exists()]
    dirty_before = git.dirty_paths(farm.root, existing)
    for item in planned:
        atomic_write(inside(farm.root, item.path), item.content)
    files = [p.path for p in planned]
    result = CaptureResult(id=correction.id, recurrence_of=None, files=files, commit=None)
    result.not_committed = [p for p in files if p in dirty_before]
    return result


def _event(kind: str, correction_id: str, miss: Miss) -> Event:
    return Event(
        type=kind, correction=correction_id, at=model.now(),
        session_id=miss.origin.session_id, cost_usd=miss.origin.cost_usd,
        text=f"{miss.title}\n\n{miss.what}",
        data={"tokens": miss.origin.tokens} if miss.origin.tokens else {},
    )


def _event_rel(farm: Farm, event: Event) -> Planned:
    path = f"{farm.config['corrections_dir']}/{model.event_path(event)}"
    return Planned(path, model.dump_event(event))


def _write_event(farm: Farm, event: Event) -> str:
    planned = _event_rel(farm, event)
    atomic_write(inside(farm.root, planned.path), planned.content)
    return planned.path


def _commit(farm: Farm, result: CaptureResult) -> None:
    """Commit exactly the files farm wrote; a file that already had someone's
    uncommitted changes is left for them to commit, and that is said."""
    state = git.repo_state(farm.root)
    if state.blocker:
        result.not_committed, result.note = result.files, f"not committed: {state.blocker}"
        return
    to_commit = [p for p in result.files if p not in result.not_committed]
    if result.not_committed:
        result.note = "left uncommitted, they hold your own uncommitted changes: " + ", ".join(result.not_committed)
    verb = "recurrence of" if result.recurrence_of else "capture"
    try:
        result.commit = git.commit_paths(farm.root, to_commit, f"farm: {verb} {result.id}")
    except GitStateError as exc:
        result.not_committed, result.note = result.files, str(exc)


def _row_to_correction(row) -> Correction:
    return Correction(
        id=row.id, title=row.title, kind=row.kind, created=row.created, what=row.what,
        rule=row.rule, status=row.status, task_type=row.task_type,
    )
