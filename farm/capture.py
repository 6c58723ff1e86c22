"""`farm capture` as a use case: a miss becomes a correction + artifact + commit,
or, when it repeats an earlier correction, a recurrence event on that one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from farm import model
from farm.artifacts import Context, Planned, plan
from farm.errors import InvalidInput
from farm.model import Correction, Event, Origin
from farm.project import Farm
from farm.writer import Written, commit_written, event_file, farm_lock, write_files

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
    id: str | None = None  # chosen ahead (a reviewed dry run keeps its id); None: a new random id
    at: datetime | None = None  # when the miss happened: its session's start, when known
    redacted: list[str] = field(default_factory=list)  # the flags a secret was removed from


@dataclass
class CaptureResult:
    id: str
    recurrence_of: str | None
    written: Written
    match_score: float | None = None
    warnings: list[str] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)  # what was (or, on a dry run, would be) written

    def as_json(self) -> dict[str, Any]:
        w = self.written
        return {"id": self.id, "recurrence_of": self.recurrence_of, "files": w.files, "commit": w.commit,
                "not_committed": w.not_committed, "skipped": w.skipped, "note": w.note}


def clean_miss(miss: Miss) -> Miss:
    """The miss as farm will keep it: validated, control characters gone, secrets redacted.

    Every text field and every kind option goes through `_clean_text`, so a new flag is
    cleaned without being named here. Nothing is written before this returns.
    """
    title = " ".join(_clean_text("--title", miss.title, miss).split())
    if not title:
        raise InvalidInput("--title is empty")
    if len(title) > model.MAX_TITLE:
        raise InvalidInput(f"--title is {len(title):,} characters long (at most {model.MAX_TITLE})")
    if miss.kind not in model.KINDS:
        raise InvalidInput(f"--kind {miss.kind!r} is not one of {', '.join(model.KINDS)}")
    miss.title = title
    for flag in ("what", "rule"):
        text = _clean_text(f"--{flag}", getattr(miss, flag), miss).strip()
        if not text:
            raise InvalidInput(f"--{flag} is empty")
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"--{flag} is {len(text):,} characters long (at most {MAX_TEXT:,})")
        setattr(miss, flag, text)
    if miss.task_type is not None:
        miss.task_type = " ".join(_clean_text("--task-type", miss.task_type, miss).split())
        if not miss.task_type:
            raise InvalidInput("--task-type is empty: give a task type such as 'bug fix', or leave the flag out")
    miss.tags = _clean_list("--tag", miss.tags, miss)
    signature = miss.signature or propose_signature(miss.title, miss.what)
    miss.signature = _clean_list("--signature", signature, miss)
    miss.options = {key: _clean_option(key, value, miss) for key, value in miss.options.items()}
    return miss


def _clean_option(key: str, value: Any, miss: Miss) -> Any:
    flag = f"--{key.replace('_', '-')}"
    if isinstance(value, str):
        text = _clean_text(flag, value, miss).strip()
        if not text:
            raise InvalidInput(f"{flag} is empty")
        return text
    if isinstance(value, (list, tuple)):
        return _clean_list(flag, value, miss)
    return value  # numbers and switches hold no text


def _clean_list(flag: str, values, miss: Miss) -> list[str]:
    cleaned = []
    for value in values:
        text = " ".join(_clean_text(flag, value, miss).split()) if flag == "--tag" else _clean_text(flag, value, miss).strip()
        if not text:
            raise InvalidInput(f"{flag} {value!r} is empty")
        cleaned.append(text)
    return cleaned


def _clean_text(flag: str, value: Any, miss: Miss) -> str:
    if len(str(value or "")) > MAX_TEXT:
        raise InvalidInput(f"{flag} is {len(str(value)):,} characters long (at most {MAX_TEXT:,})")
    cleaned = clean_text(flag, value)
    if cleaned != _strip_controls(str(value or "")):
        miss.redacted.append(flag)
    return cleaned


def clean_text(flag: str, value: Any) -> str:
    """One flag's text as farm keeps it: UTF-8 checked, terminal controls gone, secrets redacted."""
    from farm.redact import redact_url

    text = "" if value is None else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # invalid bytes arrive as lone surrogates
        raise InvalidInput(f"{flag}: not valid UTF-8 text (at character {exc.start + 1})") from None
    return redact_url(_strip_controls(text))


def _strip_controls(text: str) -> str:
    # Bidirectional overrides and isolates too: U+202E shows a rule in another order than it reads.
    return re.sub(
        r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]",
        "", text or "",
    )


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
    recurrence_of: str | None = None,
    dry_run: bool = False,
) -> CaptureResult:
    """Record `miss`: a recurrence of the best matching correction when farm's matcher
    calls it one (and `confirm` agrees), else a new correction with its artifact.
    `recurrence_of` names the correction it repeats (a person chose it); `dry_run`
    plans the files and writes nothing."""
    miss = clean_miss(miss)

    def write(planned: list[Planned], required: tuple[str, ...] = ()) -> Written:
        if dry_run:
            return Written(files=[p.path for p in planned])
        return write_files(farm, planned, required=required)

    with farm_lock(farm) as recovered:
        with farm.index() as (index, refresh):
            rows = index.corrections()
            if recurrence_of is not None:
                if recurrence_of not in {r.id for r in rows}:
                    raise InvalidInput(f"no correction {recurrence_of!r} to record a recurrence of")
                match = _Chosen(recurrence_of)
            else:
                match = None if force_new else _best_recurrence(farm, rows, miss, index.phrasings())
            if match is not None and (recurrence_of is not None or confirm(match)):
                planned = [event_file(farm, _event("recurrence", match.id, miss))]
                result = CaptureResult(match.id, match.id, write(planned), match.score, planned=planned)
                message = f"farm: recurrence of {match.id}"
            else:
                correction_id, planned, required = _plan_new(farm, miss, rows)
                result = CaptureResult(correction_id, None, write(planned, required), planned=planned)
                message = f"farm: capture {result.id}"
        result.warnings = [*([recovered] if recovered else []), *refresh.warnings, *_redaction_notes(miss)]
        if not dry_run:
            commit_written(farm, result.written, message, commit=commit)
    return result


@dataclass
class _Chosen:
    id: str
    score: float | None = None


def _redaction_notes(miss: Miss) -> list[str]:
    flags = list(dict.fromkeys(miss.redacted))
    if not flags:
        return []
    return [f"a secret in {', '.join(flags)} was replaced by [REDACTED:…] before anything was written; "
            "pass secrets through environment variables, never in a rule"]


def _best_recurrence(farm: Farm, rows, miss: Miss, phrasings: dict[str, list[str]]):
    from farm.matchcache import load_matcher

    if not any(r.status == "active" for r in rows):
        return None
    matcher = load_matcher(farm.root, rows, farm.config.get("match_threshold"), phrasings)
    best = matcher.match(f"{miss.title}\n{miss.what}", limit=1)
    return best[0] if best and best[0].recurrence else None


def _plan_new(farm: Farm, miss: Miss, rows) -> tuple[str, list[Planned], tuple[str, ...]]:
    """The new correction's id, its files, and the one the write door must not leave out."""
    taken = {r.id for r in rows}
    correction_id = miss.id if miss.id and miss.id not in taken else model.new_id(miss.title)
    while correction_id in taken:
        correction_id = model.new_id(miss.title)
    correction = Correction(
        id=correction_id, title=miss.title, kind=miss.kind, created=model.now(),
        what=miss.what, rule=miss.rule, task_type=miss.task_type, tags=list(miss.tags),
        signature=miss.signature, origin=miss.origin,
    )
    peers = [row_to_correction(r) for r in rows if r.kind == miss.kind and r.status == "active"]
    planned = plan(Context(farm=farm, correction=correction, options=miss.options, peers=[*peers, correction]))
    own = f"{farm.config['corrections_dir']}/{correction.id}.md"
    planned.append(Planned(own, model.dump_correction(correction)))
    planned.append(event_file(farm, _event("miss", correction.id, miss)))
    return correction.id, planned, (own,)


def _event(kind: str, correction_id: str, miss: Miss) -> Event:
    # Dated by the session it happened in, so the tracker puts it before or after landing by
    # when it happened, not by when someone got round to capturing it.
    at = miss.at.astimezone(timezone.utc).replace(microsecond=0) if miss.at else model.now()
    return Event(
        type=kind, correction=correction_id, at=at,
        session_id=miss.origin.session_id, cost_usd=miss.origin.cost_usd,
        text=f"{miss.title}\n\n{miss.what}",
        data={"tokens": miss.origin.tokens} if miss.origin.tokens else {},
    )


def row_to_correction(row) -> Correction:
    """An index row as a Correction (enough for rendering artifacts from it)."""
    return Correction(
        id=row.id, title=row.title, kind=row.kind, created=row.created, what=row.what,
        rule=row.rule, status=row.status, task_type=row.task_type,
    )
