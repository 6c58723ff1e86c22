"""What is in a farm's files: corrections (`corrections/<id>.md`) and events (`corrections/log/`).

A correction file is YAML frontmatter (metadata) plus a markdown body whose
`## What went wrong` and `## Rule` sections hold the prose, so a person can edit
it by hand. Events are one small JSON file each, so two branches never conflict.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from farm.errors import InvalidCorrection

KINDS = ("test", "grader", "prompt", "skill", "guard")
FILE_STATUSES = ("active", "retired")
EVENT_TYPES = ("miss", "recurrence", "catch", "retire")
MAX_TITLE = 200
MAX_FILE_BYTES = 1_000_000
_SLUG_MAX = 50


@dataclass
class Origin:
    """The session a miss came from, when known."""

    agent: str | None = None
    session_id: str | None = None
    model: str | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    cost_usd: float | None = None

    def is_empty(self) -> bool:
        return not any([self.agent, self.session_id, self.model, self.tokens, self.cost_usd])


@dataclass
class Correction:
    id: str
    title: str
    kind: str
    created: datetime
    what: str
    rule: str
    status: str = "active"
    task_type: str | None = None
    tags: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    origin: Origin = field(default_factory=Origin)
    extra: dict[str, Any] = field(default_factory=dict)  # fields farm does not know, kept as-is
    notes: str = ""  # body text after the known sections, kept as-is


@dataclass
class Event:
    type: str
    correction: str
    at: datetime
    key: str | None = None  # dedupe key: the same key is one event
    session_id: str | None = None
    cost_usd: float | None = None
    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# --- ids -------------------------------------------------------------------


def slugify(title: str) -> str:
    """Lowercase ASCII words joined by hyphens; 'correction' when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > _SLUG_MAX:
            break
        slug = candidate
    return slug or (words[0][:_SLUG_MAX] if words else "correction")


def new_id(title: str) -> str:
    """A slug plus a random suffix: readable, and two branches never pick the same id."""
    return f"{slugify(title)}-{secrets.token_hex(3)}"


ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


# --- strict YAML -----------------------------------------------------------


@functools.cache
def _strict_loader():
    """Safe YAML (libyaml's C parser when present) that refuses aliases and duplicate keys."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):
        def construct_object(self, node, deep=False):  # type: ignore[override]
            # A node constructed twice is an alias: refused, so an alias bomb never expands.
            if node in self.constructed_objects or node in self.recursive_objects:
                raise yaml.constructor.ConstructorError(None, None, "aliases are not allowed", node.start_mark)
            return super().construct_object(node, deep)

        def construct_mapping(self, node, deep=False):  # type: ignore[override]
            keys = set()
            for key_node, _ in getattr(node, "value", []):
                key = (key_node.tag, key_node.value) if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                if key in keys:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                keys.add(key)
            return super().construct_mapping(node, deep)

    # Dates stay strings, parsed by _datetime_field: PyYAML would raise a bare ValueError on
    # Feb 30 or year 0 (no field named), and would make `created: 2025-09-01` a date, not a time.
    StrictLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return StrictLoader


@functools.cache
def _strict_handler():
    import frontmatter

    class StrictYAMLHandler(frontmatter.YAMLHandler):
        def load(self, fm: str, **kwargs: Any) -> Any:
            import yaml

            return yaml.load(fm, Loader=_strict_loader())  # noqa: S506 - strict safe loader

    return StrictYAMLHandler()


def split_frontmatter(text: str, name: str) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a markdown file with YAML frontmatter, strictly."""
    import yaml

    handler = _strict_handler()
    text = text.lstrip("\ufeff")
    if not handler.detect(text):
        raise InvalidCorrection(f"{name}: frontmatter: missing '---' block at the top")
    try:
        front, body = handler.split(text)
    except ValueError:
        raise InvalidCorrection(f"{name}: frontmatter: unclosed '---' block") from None
    try:
        meta = handler.load(front)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        reason = (str(getattr(exc, "problem", None) or exc).splitlines() or ["cannot be read"])[0]
        raise InvalidCorrection(f"{name}: frontmatter: {reason}") from None
    if not isinstance(meta, dict):
        raise InvalidCorrection(f"{name}: frontmatter: must be a mapping of fields")
    return meta, body


def read_text(path: Path, name: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A farm file's text, bounded (never a FIFO, device or symlink loop), as InvalidCorrection."""
    from farm.errors import UnreadableFile
    from farm.fsutil import read_text_bounded

    try:
        return read_text_bounded(path, max_bytes, name)
    except UnreadableFile as exc:
        raise InvalidCorrection(str(exc)) from None


# --- corrections -----------------------------------------------------------

_SECTION = re.compile(r"^## +(.+?)\s*$", re.M)
_KNOWN_FIELDS = {
    "id", "title", "kind", "created", "status", "task_type", "tags",
    "artifacts", "signature", "origin",
}


def parse_correction(text: str, name: str) -> Correction:
    meta, body = split_frontmatter(text, name)
    sections, notes = _body_sections(body)
    return Correction(
        id=_field(meta, "id", name, str, pattern=ID_PATTERN),
        title=_field(meta, "title", name, str),
        kind=_field(meta, "kind", name, str, choices=KINDS),
        created=_datetime_field(meta, "created", name),
        status=_field(meta, "status", name, str, choices=FILE_STATUSES, default="active"),
        task_type=_field(meta, "task_type", name, str, default=None),
        tags=_str_list(meta, "tags", name),
        artifacts=_str_list(meta, "artifacts", name),
        signature=_str_list(meta, "signature", name),
        origin=_origin(meta.get("origin"), name),
        what=_section(sections, "what went wrong", name),
        rule=_section(sections, "rule", name),
        extra={k: v for k, v in meta.items() if k not in _KNOWN_FIELDS},
        notes=notes,
    )


def load_correction(path: Path) -> Correction:
    correction = parse_correction(read_text(path, path.name), path.name)
    if correction.id != path.stem:
        raise InvalidCorrection(f"{path.name}: id: {correction.id!r} does not match the file name")
    return correction


def dump_correction(c: Correction) -> str:
    import frontmatter

    meta: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "kind": c.kind,
        "created": c.created.isoformat().replace("+00:00", "Z"),
        "status": c.status,
        "task_type": c.task_type,
        "tags": c.tags,
        "artifacts": c.artifacts,
        "signature": c.signature,
    }
    if not c.origin.is_empty():
        meta["origin"] = {k: v for k, v in asdict(c.origin).items() if v not in (None, {})}
    meta.update(c.extra)
    body = f"## What went wrong\n\n{_escape_headings(c.what.strip())}\n\n## Rule\n\n{_escape_headings(c.rule.strip())}\n"
    if c.notes.strip():
        body += f"\n{c.notes.strip()}\n"
    post = frontmatter.Post(body, handler=_strict_handler(), **meta)
    return frontmatter.dumps(post, sort_keys=False, width=1000) + "\n"


def _body_sections(body: str) -> tuple[dict[str, str], str]:
    """Known sections by lower-cased heading, and the rest of the body verbatim."""
    parts = _SECTION.split(body)
    sections: dict[str, str] = {}
    rest = []
    for heading, content in zip(parts[1::2], parts[2::2]):
        key = heading.strip().lower()
        if key in ("what went wrong", "rule") and key not in sections:
            sections[key] = content.strip()
        else:
            rest.append(f"## {heading}\n{content}")
    return sections, "".join(rest).strip()


# A "## Rule" line inside a pasted log must not become the rule when the file is read back
# (attack M4): such lines are written with one more backslash, and read back with one less.
_HEADING_LINE = re.compile(r"^(\\*## )", re.M)
_ESCAPED_HEADING_LINE = re.compile(r"^\\(\\*## )", re.M)


def _escape_headings(text: str) -> str:
    return _HEADING_LINE.sub(r"\\\1", text)


def _unescape_headings(text: str) -> str:
    return _ESCAPED_HEADING_LINE.sub(r"\1", text)


def _section(sections: dict[str, str], key: str, name: str) -> str:
    value = _unescape_headings(sections.get(key, "").strip())
    if not value:
        field_name = key.replace(" ", "_")
        raise InvalidCorrection(f"{name}: {field_name}: missing '## {key.capitalize()}' section")
    return value


_MISSING = object()


def _field(meta, key, name, typ, *, choices=None, pattern=None, default=_MISSING):
    value = meta.get(key, default)
    if value is _MISSING or (value is None and default is _MISSING):
        raise InvalidCorrection(f"{name}: {key}: required field is missing")
    if value is None:
        return None
    if not isinstance(value, typ) or (isinstance(value, str) and not value.strip()):
        raise InvalidCorrection(f"{name}: {key}: expected a non-empty {typ.__name__}")
    if choices and value not in choices:
        raise InvalidCorrection(f"{name}: {key}: {_shown(value)} is not one of {', '.join(choices)}")
    if pattern and not pattern.match(value):
        raise InvalidCorrection(f"{name}: {key}: {_shown(value)} must be lowercase letters, digits and hyphens (at most 64)")
    return value


def _shown(value: Any) -> str:
    """A bad value as a warning shows it: clipped, and redacted (warnings reach terminals and CI logs)."""
    from farm.redact import redact

    text = redact(repr(value))
    return text if len(text) <= 80 else text[:79] + "…"


def _datetime_field(meta: dict, key: str, name: str) -> datetime:
    """An ISO date-time, or a plain ISO date (people write `created: 2025-09-01`), in UTC."""
    value = meta.get(key)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            value = None
    if isinstance(value, datetime):
        try:
            return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
        except (OverflowError, ValueError):
            pass
    raise InvalidCorrection(f"{name}: {key}: expected an ISO date-time like 2026-01-31T12:00:00Z (or a date like 2026-01-31)")


def _str_list(meta: dict, key: str, name: str) -> list[str]:
    value = meta.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidCorrection(f"{name}: {key}: expected a list of strings")
    return value


def _origin(value: Any, name: str) -> Origin:
    if value is None:
        return Origin()
    if not isinstance(value, dict):
        raise InvalidCorrection(f"{name}: origin: expected a mapping")
    tokens = value.get("tokens") or {}
    if not isinstance(tokens, dict) or not all(
        isinstance(v, int) and v >= 0 for v in tokens.values()
    ):
        raise InvalidCorrection(f"{name}: origin.tokens: expected token counts (whole numbers)")
    cost = value.get("cost_usd")
    if cost is not None and (not isinstance(cost, (int, float)) or cost < 0):
        raise InvalidCorrection(f"{name}: origin.cost_usd: expected a non-negative number")
    return Origin(
        agent=_opt_str(value.get("agent")),
        session_id=_opt_str(value.get("session_id")),
        model=_opt_str(value.get("model")),
        tokens=dict(tokens),
        cost_usd=float(cost) if cost is not None else None,
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


# --- events ----------------------------------------------------------------


def event_path(event: Event) -> str:
    """Where an event lives, relative to the corrections dir: one new file each. An event with a
    key (one per correction and session, say) gets a name from it, so two clones that record the
    same event write the same file, and git sees one event."""
    stamp = event.at.strftime("%Y%m%dT%H%M%SZ")
    suffix = re.sub(r"[^A-Za-z0-9]", "", event.key or "")[:12] or secrets.token_hex(4)
    return f"log/{event.at:%Y-%m}/{stamp}-{event.type}-{event.correction[:40]}-{suffix}.json"


def dump_event(event: Event) -> str:
    data = {k: v for k, v in asdict(event).items() if v not in (None, {})}
    data["at"] = event.at.isoformat().replace("+00:00", "Z")
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _json_object(text: str, name: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidCorrection(f"{name}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InvalidCorrection(f"{name}: expected a JSON object")
    return data


def parse_event(text: str, name: str) -> Event:
    data = _json_object(text, name)
    return Event(
        type=_field(data, "type", name, str, choices=EVENT_TYPES),
        correction=_field(data, "correction", name, str),
        at=_datetime_field(data, "at", name),
        key=_field(data, "key", name, str, default=None),
        session_id=_field(data, "session_id", name, str, default=None),
        cost_usd=_cost(data, name),
        text=_field(data, "text", name, str, default=None),
        data=data.get("data") if isinstance(data.get("data"), dict) else {},
    )


def _cost(data: dict, name: str) -> float | None:
    cost = data.get("cost_usd")
    if cost is None:
        return None
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0:
        raise InvalidCorrection(f"{name}: cost_usd: expected a non-negative number")
    return float(cost)


# --- session summaries -----------------------------------------------------


@dataclass
class SessionSummary:
    """One agent session in this repo, as committed for the team (never prompt text)."""

    agent: str
    session_id: str
    start: datetime | None
    end: datetime | None = None
    task_type: str | None = None
    commits: list[str] = field(default_factory=list)
    cost_usd: float | None = None

    @property
    def completed_loop(self) -> bool:
        return bool(self.commits)


def parse_session_summary(text: str, name: str) -> SessionSummary:
    data = _json_object(text, name)
    commits = data.get("commits") or []
    if not isinstance(commits, list):
        raise InvalidCorrection(f"{name}: commits: expected a list of commit ids")
    return SessionSummary(
        agent=_field(data, "agent", name, str),
        session_id=_field(data, "session_id", name, str),
        start=_datetime_field(data, "start", name) if data.get("start") else None,
        end=_datetime_field(data, "end", name) if data.get("end") else None,
        task_type=_field(data, "task_type", name, str, default=None),
        commits=[str(c) for c in commits],
        cost_usd=_cost(data, name),
    )
