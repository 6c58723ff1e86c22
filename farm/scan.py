"""`farm scan`: find known failure signatures in agent transcripts, after a correction landed.

Each correction may carry a signature: phrases (matched case-insensitively) and
`/regexes/`. All signatures are compiled into one RE2 pattern run over the raw
transcript bytes (linear time, however many corrections), and only the rare hits
are attributed to corrections and dated by their transcript line. A hit in a
session after the correction landed is a recurrence, recorded once per session
(the event's key), with the matching excerpt, redacted, as evidence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"([^"]{10,40})"')
_SESSION = re.compile(rb'"(?:sessionId|session_id)"\s*:\s*"([^"]{1,200})"')
_EXCERPT = 120


@dataclass(frozen=True)
class Target:
    """A correction as scan sees it."""

    id: str
    landed_at: datetime | None
    signature: tuple[str, ...]
    origin_session: str | None = None


@dataclass
class Hit:
    correction: str
    session_id: str
    transcript: str
    at: datetime | None
    excerpt: str
    after_landing: bool


@dataclass
class ScanReport:
    files: int = 0
    bytes: int = 0
    hits: list[Hit] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def recurrences(self) -> list[Hit]:
        return [h for h in self.hits if h.after_landing]


def signature_pattern(entry: str) -> str:
    """RE2 syntax for one signature entry: `/regex/` as written, else the phrase as it
    appears inside a JSON string (escaped), any case."""
    if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
        return entry[1:-1]
    import re2

    escaped = json.dumps(entry, ensure_ascii=False)[1:-1]
    return re2.escape(escaped)


def _compile(patterns: list[str]):
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 256 << 20
    return re2.compile("|".join(f"(?:{p})" for p in patterns).encode(), options)


class Scanner:
    def __init__(self, targets: Iterable[Target]):
        self.targets = [t for t in targets if t.signature]
        self.per_target = []
        for target in self.targets:
            try:
                self.per_target.append((target, _compile([signature_pattern(s) for s in target.signature])))
            except Exception:  # a bad user regex: that correction is not scanned
                continue
        patterns = [signature_pattern(s) for t, _ in self.per_target for s in t.signature]
        self.combined = _compile(patterns) if patterns else None

    def scan(self, paths: Iterable[Path]) -> ScanReport:
        report = ScanReport()
        for path in paths:
            data = _read(path, report)
            if data is None:
                continue
            report.files += 1
            report.bytes += len(data)
            if self.combined is not None:
                report.hits.extend(self._hits(path, data))
        return report

    def _hits(self, path: Path, data: bytes) -> list[Hit]:
        seen: set[tuple[str, str]] = set()
        hits = []
        for m in self.combined.finditer(data):
            start = data.rfind(b"\n", 0, m.start()) + 1
            end = data.find(b"\n", m.end())
            line = data[start:end if end >= 0 else len(data)]
            session_id = _session_of(path, line)
            at = _time_of(line)
            text = m.group(0)
            for target, pattern in self.per_target:
                key = (target.id, session_id)
                if key in seen or session_id == target.origin_session or not pattern.search(text):
                    continue
                seen.add(key)
                after = target.landed_at is not None and at is not None and at > target.landed_at
                hits.append(Hit(target.id, session_id, path.name, at, _excerpt(data, m.start(), m.end()), after))
        return hits


MAX_TRANSCRIPT_BYTES = 512 << 20  # read, and again decompressed: a zstd bomb stops here


def _read(path: Path, report: ScanReport) -> bytes | None:
    from farm.errors import UnreadableFile
    from farm.fsutil import read_bytes_bounded

    try:
        raw = read_bytes_bounded(path, MAX_TRANSCRIPT_BYTES, str(path))
        if path.name.endswith(".zst"):
            import zstandard

            raw = zstandard.ZstdDecompressor().stream_reader(raw).read(MAX_TRANSCRIPT_BYTES + 1)
            if len(raw) > MAX_TRANSCRIPT_BYTES:
                raise UnreadableFile(f"{path}: decompresses to over {MAX_TRANSCRIPT_BYTES:,} bytes")
        return raw
    except UnreadableFile as exc:  # a FIFO, a device, a loop, too big: named, never a hang
        report.unreadable.append(str(exc))
        return None
    except Exception as exc:  # unreadable or corrupt: named, never fatal
        report.unreadable.append(f"{path}: {type(exc).__name__}")
        return None


def _session_of(path: Path, line: bytes) -> str:
    m = _SESSION.search(line)
    if m:
        return m.group(1).decode("utf-8", "replace")
    from farm.sessions import reader_for

    return reader_for(path).session_id_for(path) or path.stem


def _time_of(line: bytes) -> datetime | None:
    m = _TIMESTAMP.search(line)
    if not m:
        return None
    try:
        at = datetime.fromisoformat(m.group(1).decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else None


def _excerpt(data: bytes, start: int, end: int) -> str:
    """The hit with some context, secrets redacted: from the words of the transcript line it is
    in (the message's text, a tool's command or output) when that line is JSON, else the raw
    bytes with their JSON escapes turned back into text.

    Secrets are found on a window much wider than the excerpt, with its real line ends and
    nothing inserted (a marker inside a secret would hide it from every rule); the excerpt is
    then widened to whole secrets and each is replaced, so none is ever cut into a shown part.
    """
    readable = _readable(data, start, end)
    if readable is not None:
        return _cut(*readable)
    lo, hi = max(0, start - _EXCERPT - 1024), min(len(data), end + _EXCERPT + 1024)
    return _cut(_unescape(data[lo:start]), _unescape(data[start:end]), _unescape(data[end:hi]))


# Keys of a transcript line that hold no words a person wrote or read: ids, times, metadata.
_NOT_WORDS = {"type", "id", "uuid", "parentUuid", "sessionId", "session_id", "timestamp", "cwd", "gitBranch",
              "version", "model", "role", "requestId", "signature", "tool_use_id", "call_id", "userType",
              "stop_reason", "stop_sequence", "service_tier", "usage", "isSidechain", "leafUuid", "name"}


def _readable(data: bytes, start: int, end: int) -> tuple[str, str, str] | None:
    """(before, hit, after) in the words of the JSON line holding the hit, or None."""
    import orjson

    lo = data.rfind(b"\n", 0, start) + 1
    hi = data.find(b"\n", end)
    hi = len(data) if hi < 0 else hi
    if hi - lo > 4_000_000:
        return None
    try:
        obj = orjson.loads(data[lo:hi])
    except orjson.JSONDecodeError:
        return None
    words = " · ".join(w for w in _strings(obj) if w.strip())
    hit = _unescape(data[start:end])
    at = words.lower().find(hit.lower())
    if at < 0:
        return None
    window = _EXCERPT + 1024  # redaction sees well past the cut, not the whole line
    return words[max(0, at - window):at], words[at:at + len(hit)], words[at + len(hit):at + len(hit) + window]


def _strings(value, key: str = ""):
    if key in _NOT_WORDS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def _cut(before: str, hit: str, after: str) -> str:
    """The excerpt around `hit`, secrets found on the whole window first (nothing inserted: a
    marker inside a secret would hide it from every rule), the cut widened to whole secrets."""
    from farm.redact import find_secrets

    text = before + hit + after
    cut_lo, cut_hi = max(0, len(before) - _EXCERPT), len(before) + len(hit) + _EXCERPT
    findings = find_secrets(text)
    for f in findings:  # a secret that reaches into the excerpt is shown whole (as its mark)
        if f.start < cut_hi and f.end > cut_lo:
            cut_lo, cut_hi = min(cut_lo, f.start), max(cut_hi, f.end)
    shown, at = [], cut_lo
    for f in findings:
        if f.end <= cut_lo or f.start >= cut_hi:
            continue
        shown += [text[at:f.start], f"[REDACTED:{f.kind}]"]
        at = f.end
    shown.append(text[at:cut_hi])
    return " ".join("".join(shown).split())


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return text.replace("\\n", "\n").replace('\\"', '"').replace("\\t", "\t")


def _session_costs(session_ids: set[str]) -> dict[str, float]:
    """The imported sessions' costs, so a recurrence scan finds carries the same figure as
    `farm spend` (a session not imported, or unpriced, has none)."""
    from farm.sessions.store import find_session

    out = {}
    for session_id in session_ids:
        record = find_session(session_id) if session_id else None
        if record is not None and record.session_id == session_id and record.cost_usd is not None:
            out[session_id] = round(record.cost_usd, 6)
    return out


def event_key(correction_id: str, session_id: str) -> str:
    return hashlib.sha256(f"scan\0{correction_id}\0{session_id}".encode()).hexdigest()[:24]


@dataclass
class ScanResult:
    report: ScanReport
    recorded: list[Hit]
    written: object | None  # farm.writer.Written when something was recorded


def run_scan(farm, paths: list[Path] | None = None, *, commit: bool = True) -> ScanResult:
    """Scan `paths` (default: this repo's imported sessions changed since the last scan)
    and record each new recurrence as an event, committed like a capture."""
    from farm import model
    from farm.tracker import landed_times
    from farm.writer import commit_written, event_file, farm_lock, write_files

    state_file = _state_path(farm.root)
    state = _load_state(state_file)
    explicit = paths is not None
    files = paths if explicit else _changed(repo_transcripts(farm.root), state)
    landed = landed_times(farm)
    with farm_lock(farm):
        with farm.index() as (index, _):
            targets = [
                Target(r.id, landed.get(r.path), tuple(r.signature_list()), r.origin_dict().get("session_id"))
                for r in index.corrections() if r.status == "active"
            ]
            known = index.event_keys("recurrence")
        report = Scanner(targets).scan(files)
        new = [h for h in report.recurrences if event_key(h.correction, h.session_id) not in known]
        written = None
        if new:
            costs = _session_costs({h.session_id for h in new})
            events = [
                model.Event(type="recurrence", correction=h.correction, at=h.at or model.now(),
                            key=event_key(h.correction, h.session_id), session_id=h.session_id,
                            cost_usd=costs.get(h.session_id),
                            text=h.excerpt, data={"source": "scan", "transcript": h.transcript})
                for h in new
            ]
            written = write_files(farm, [event_file(farm, e) for e in events])
            commit_written(farm, written, f"farm: scan found {len(new)} recurrence(s)", commit=commit)
    if not explicit:
        _save_state(state_file, state, files)
    return ScanResult(report, new, written)


def repo_transcripts(root: Path) -> list[Path]:
    """Transcript files (subagents included) of the imported sessions that ran in this repo."""
    from farm.sessions import store

    db = store.connect()
    try:
        where, params = store.inside_clause(root)
        rows = db.execute(
            f"SELECT f.path FROM files f JOIN sessions s ON s.agent = f.agent AND s.session_id = f.session_id "
            f"WHERE {where.replace('cwd', 's.cwd')}", params,
        ).fetchall()
    finally:
        db.close()
    return sorted({Path(p) for (p,) in rows})


def _state_path(root: Path) -> Path:
    from farm.paths import repo_state_dir

    return repo_state_dir(root) / "scan-state.json"


def _load_state(path: Path) -> dict[str, list[int]]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _changed(paths: list[Path], state: dict[str, list[int]]) -> list[Path]:
    changed = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        if state.get(str(path)) != [st.st_size, st.st_mtime_ns]:
            changed.append(path)
    return changed


def _save_state(path: Path, state: dict[str, list[int]], scanned: list[Path]) -> None:
    from farm.fsutil import atomic_write

    for p in scanned:
        try:
            st = p.stat()
        except OSError:
            continue
        state[str(p)] = [st.st_size, st.st_mtime_ns]
    atomic_write(path, json.dumps(state))
