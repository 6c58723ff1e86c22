"""The derived index: a SQLite file under FARM_HOME, rebuilt from the farm's files at will.

Files are the truth. Before a command reads, `open_index` refreshes the index
incrementally: only files whose size or mtime changed are parsed again, removed
files are dropped, and files that cannot be read are remembered with their error
so every command can warn about them while the rest of the farm keeps working.
On a schema change the file is deleted and rebuilt, never migrated.

The schema is declared with sqlmodel (`farm/index_schema.py`), which is imported only to
create the file: every command reads and refreshes it with sqlite3 alone, since
importing sqlmodel costs more than most commands' whole work.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite3

from farm import model
from farm.errors import InvalidCorrection
from farm.paths import repo_state_dir

SCHEMA_VERSION = "7"


# The columns of each table, in the order of farm/index_schema.py (a test checks they agree).
CORRECTION_COLUMNS = ("id", "path", "title", "kind", "status", "created", "task_type", "what", "rule",
                      "tags", "artifacts", "signature", "origin", "origin_cost_usd")
TABLE_COLUMNS = {
    "corrections": CORRECTION_COLUMNS,
    "events": ("path", "type", "correction", "at", "key", "session_id", "cost_usd", "text"),
    "sessions": ("path", "agent", "session_id", "start", "end", "task_type", "commits", "cost_usd"),
    "files": ("path", "dir", "mtime_ns", "size", "error"),
}
_TIMES = {"created", "at", "start", "end"}  # aware datetimes, stored as UTC ISO text (they sort as text)


class CorrectionRow(namedtuple("CorrectionRow", CORRECTION_COLUMNS)):
    """A correction as the index holds it."""

    def tag_list(self) -> list[str]:
        return json.loads(self.tags)

    def artifact_list(self) -> list[str]:
        return json.loads(self.artifacts)

    def signature_list(self) -> list[str]:
        return json.loads(self.signature)

    def origin_dict(self) -> dict[str, Any]:
        return json.loads(self.origin)


def _stored(column: str, value: Any) -> Any:
    if column in _TIMES and isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


CorrectionFact = namedtuple("CorrectionFact", "id path title kind status created task_type origin_cost_usd")
EventFact = namedtuple("EventFact", "path type correction at key session_id cost_usd text")
SessionFact = namedtuple("SessionFact", "path agent session_id start end task_type commits cost_usd")


class MatchFact(namedtuple("MatchFact", "id title what rule signature status")):
    """What the matcher reads of a correction (plain tuples: 10,000 of them cost little)."""

    def signature_list(self) -> list[str]:
        return json.loads(self.signature)


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class Refresh:
    parsed: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)


class Index:
    def __init__(self, root: Path, corrections_dir: Path, db: sqlite3.Connection):
        self.root = root
        self.corrections_dir = corrections_dir
        self.db = db

    def corrections(self) -> list[CorrectionRow]:
        rows = self._raw(f"SELECT {', '.join(CORRECTION_COLUMNS)} FROM corrections ORDER BY created")
        return [_correction(row) for row in rows]

    def correction(self, correction_id: str) -> CorrectionRow | None:
        rows = self._raw(f"SELECT {', '.join(CORRECTION_COLUMNS)} FROM corrections WHERE id = ?", (correction_id,))
        return _correction(rows[0]) if rows else None

    def correction_facts(self) -> list[CorrectionFact]:
        """The tracker's view of every correction (plain named tuples), oldest first."""
        rows = self._raw(f"SELECT {', '.join(CorrectionFact._fields)} FROM corrections ORDER BY created")
        return [CorrectionFact(*row[:5], _from_iso(row[5]), *row[6:]) for row in rows]

    def events(self, correction_id: str | None = None, *, text: bool = True) -> list[EventFact]:
        """Events, oldest first, as plain named tuples (the tracker reads 100,000s of them);
        without `text` their excerpts are not read (None), which is much less to fetch."""
        where = " WHERE correction = ?" if correction_id else ""
        columns = ", ".join(EventFact._fields if text else (*EventFact._fields[:-1], "NULL"))
        rows = self._raw(f"SELECT {columns} FROM events{where} ORDER BY at", (correction_id,) if correction_id else ())
        return [EventFact(p, t, c, _from_iso(at), k, sid, cost, txt) for p, t, c, at, k, sid, cost, txt in rows]

    def match_facts(self) -> list[MatchFact]:
        """Every correction's matcher fields, in the order of `corrections()`."""
        return [MatchFact(*row) for row in self._raw(f"SELECT {', '.join(MatchFact._fields)} FROM corrections ORDER BY created")]

    def phrasings(self) -> dict[str, list[str]]:
        """correction id -> the texts of its recurrences that a person recorded (`farm capture`
        writes them without a dedupe key; scan and session moments always set one), oldest first."""
        rows = self._raw("SELECT correction, text FROM events WHERE type = 'recurrence' AND key IS NULL "
                         "AND text IS NOT NULL ORDER BY at")
        out: dict[str, list[str]] = {}
        for correction, text in rows:
            out.setdefault(correction, []).append(text)
        return out

    def sessions(self) -> list[SessionFact]:
        """Committed session summaries, oldest first, as plain named tuples."""
        rows = self._raw(f"SELECT {', '.join(SessionFact._fields)} FROM sessions ORDER BY start")
        return [SessionFact(p, a, sid, _from_iso(start), _from_iso(end), tt, commits, cost)
                for p, a, sid, start, end, tt, commits, cost in rows]

    def _raw(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def event_keys(self, event_type: str) -> set[str]:
        return {k for (k,) in self._raw("SELECT key FROM events WHERE type = ? AND key IS NOT NULL", (event_type,))}

    def warnings(self) -> list[str]:
        return [e for (e,) in self._raw("SELECT error FROM files WHERE error IS NOT NULL ORDER BY path") if e]

    def refresh(self) -> Refresh:
        """Bring the index up to date with the files; parse only what changed."""
        report = Refresh()
        listed = dict(self._raw("SELECT path, mtime_ns FROM dirs"))
        scan = _Scan(self.corrections_dir, self.root, listed)
        on_disk = dict(scan.files())
        scopes = list(scan.relisted | (set(listed) - set(scan.dirs)))  # folders listed now, or gone
        known = {}
        for chunk in _chunks(scopes, 500):
            marks = ", ".join("?" * len(chunk))
            rows = self._raw(f"SELECT path, mtime_ns, size FROM files WHERE dir IN ({marks})", tuple(chunk))
            known.update((path, (mtime, size)) for path, mtime, size in rows)
        self.db.execute("DELETE FROM dirs")
        self.db.executemany("INSERT INTO dirs (path, mtime_ns) VALUES (?, ?)", scan.dirs.items())
        gone = [path for path in known if path not in on_disk]
        changed = [(path, stat) for path, stat in on_disk.items() if known.get(path) != stat]
        self._drop(gone + [path for path, _ in changed if path in known])
        self._load(changed, report)
        self.db.commit()
        report.removed = len(gone)
        report.warnings = self.warnings()
        return report

    def _drop(self, paths: list[str]) -> None:
        for chunk in _chunks(paths, 500):
            marks = ", ".join("?" * len(chunk))
            for table in TABLE_COLUMNS:
                self.db.execute(f"DELETE FROM {table} WHERE path IN ({marks})", tuple(chunk))

    def _load(self, changed: list[tuple[str, tuple[int, int]]], report: Refresh) -> None:
        corrections, events, sessions, files = [], [], [], []
        seen_ids: dict[str, str] = dict(self._raw("SELECT id, path FROM corrections"))
        for path, (mtime_ns, size) in changed:
            error = None
            try:
                if path.endswith(".md"):
                    row = _correction_row(self.root / path, path)
                    if row["id"] in seen_ids:
                        raise InvalidCorrection(f"{path}: id: {row['id']!r} is also used by {seen_ids[row['id']]}")
                    seen_ids[row["id"]] = path
                    corrections.append(row)
                elif "/log/sessions/" in path:
                    sessions.append(_session_row(self.root / path, path))
                else:
                    events.append(_event_row(self.root / path, path))
            except InvalidCorrection as exc:
                error = str(exc)
            files.append({"path": path, "dir": path.rpartition("/")[0], "mtime_ns": mtime_ns, "size": size, "error": error})
            report.parsed += 1
        for table, rows in (("corrections", corrections), ("events", events), ("sessions", sessions), ("files", files)):
            columns = TABLE_COLUMNS[table]
            sql = f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.db.executemany(sql, ([_stored(c, row[c]) for c in columns] for row in rows))


class _Scan:
    """(repo-relative path, (mtime_ns, size)) of the files to compare with the index.

    Correction files are stat'ed every time (people edit them in place). Event and session
    files are written whole, by rename, so a log folder whose own mtime has not changed
    holds the files listed last time: it is not listed again, and its files are not even
    read back from the index. That keeps a farm of 100,000s of events quick to refresh
    before every command. `relisted` names the folders whose files were listed.
    """

    def __init__(self, corrections_dir: Path, root: Path, listed: dict[str, int]):
        self.top, self.cut = str(corrections_dir), len(str(root)) + 1
        self.listed = listed
        self.dirs: dict[str, int] = {}
        self.relisted: set[str] = set()

    def files(self) -> Iterator[tuple[str, tuple[int, int]]]:
        if not os.path.isdir(self.top):
            return
        self.relisted.add(self._rel(self.top))
        with os.scandir(self.top) as entries:
            for entry in entries:
                if entry.name.endswith(".md") and not entry.name.startswith(".") and (st := _stat(entry)):
                    yield self._rel(entry.path), st
        yield from self._log(os.path.join(self.top, "log"))

    def _rel(self, path: str) -> str:
        return path[self.cut:].replace(os.sep, "/")

    def _log(self, top: str) -> Iterator[tuple[str, tuple[int, int]]]:
        root = top[:self.cut]
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                mtime = os.stat(folder).st_mtime_ns
            except OSError:
                continue
            rel = self._rel(folder)
            self.dirs[rel] = mtime
            if self.listed.get(rel) == mtime:
                stack.extend(root + child for child in self.listed if child.rpartition("/")[0] == rel)
                continue
            self.relisted.add(rel)
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.name.endswith(".json") and (st := _stat(entry)):
                        yield self._rel(entry.path), st


def _stat(entry: os.DirEntry) -> tuple[int, int] | None:
    """(mtime, size) of anything but a folder: a FIFO, a dangling link or a symlink loop is
    listed too, so that reading it gives a one-line warning instead of silence or a crash."""
    try:
        if entry.is_dir():
            return None
        st = entry.stat()
    except OSError:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return None
    return st.st_mtime_ns, st.st_size


def _correction_row(path: Path, rel: str) -> dict[str, Any]:
    c = model.parse_correction(model.read_text(path, rel), rel)
    if c.id != path.stem:
        raise InvalidCorrection(f"{rel}: id: {c.id!r} does not match the file name")
    origin = {k: v for k, v in vars(c.origin).items() if v not in (None, {})}
    return {
        "id": c.id, "path": rel, "title": c.title, "kind": c.kind, "status": c.status,
        "created": c.created, "task_type": c.task_type, "what": c.what, "rule": c.rule,
        "tags": json.dumps(c.tags), "artifacts": json.dumps(c.artifacts),
        "signature": json.dumps(c.signature), "origin": json.dumps(origin),
        "origin_cost_usd": c.origin.cost_usd,
    }


def _event_row(path: Path, rel: str) -> dict[str, Any]:
    e = model.parse_event(model.read_text(path, rel, max_bytes=200_000), rel)
    return {
        "path": rel, "type": e.type, "correction": e.correction, "at": e.at, "key": e.key,
        "session_id": e.session_id, "cost_usd": e.cost_usd, "text": e.text,
    }


def _session_row(path: Path, rel: str) -> dict[str, Any]:
    s = model.parse_session_summary(model.read_text(path, rel, max_bytes=200_000), rel)
    return {
        "path": rel, "agent": s.agent, "session_id": s.session_id, "start": s.start, "end": s.end,
        "task_type": s.task_type, "commits": len(s.commits), "cost_usd": s.cost_usd,
    }


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def index_path(root: Path) -> Path:
    return repo_state_dir(root) / "index.sqlite"


def _correction(row: tuple) -> CorrectionRow:
    return CorrectionRow(*row[:5], _from_iso(row[5]), *row[6:])


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _schema_ok(conn: sqlite3.Connection) -> bool:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.DatabaseError:  # no table, or not a database at all: rebuild it
        return False
    return row is not None and row[0] == SCHEMA_VERSION


def _prepare(db: Path) -> sqlite3.Connection:
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = _connect(db)
        if _schema_ok(conn):
            return conn
        conn.close()
    except sqlite3.DatabaseError:
        pass
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    from farm.index_schema import create_schema

    create_schema(db, SCHEMA_VERSION)
    return _connect(db)


@contextmanager
def open_index(root: Path, corrections_dir: Path, *, rebuild: bool = False) -> Iterator[tuple[Index, Refresh]]:
    """An up-to-date index of the farm at `root`, and what the refresh found."""
    from filelock import FileLock

    db = index_path(root)
    # One refresher at a time; readers after that are safe under WAL.
    with FileLock(str(db) + ".lock", timeout=120):
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        conn = _prepare(db)
        index = Index(root, corrections_dir, conn)
        try:
            report = index.refresh()
        except BaseException:
            conn.close()
            raise
    try:
        yield index, report
    finally:
        conn.close()
