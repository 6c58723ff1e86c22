"""The derived index: a SQLite file under FARM_HOME, rebuilt from the farm's files at will.

Files are the truth. Before a command reads, `open_index` refreshes the index
incrementally: only files whose size or mtime changed are parsed again, removed
files are dropped, and files that cannot be read are remembered with their error
so every command can warn about them while the rest of the farm keeps working.
On a schema change the file is deleted and rebuilt, never migrated.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlmodel import Field, Session, SQLModel, create_engine, delete, select

from farm import model
from farm.errors import InvalidCorrection
from farm.paths import repo_state_dir

SCHEMA_VERSION = "4"


class CorrectionRow(SQLModel, table=True):
    __tablename__ = "corrections"
    id: str = Field(primary_key=True)
    path: str = Field(index=True)
    title: str
    kind: str
    status: str
    created: datetime
    task_type: str | None = None
    what: str
    rule: str
    tags: str = "[]"
    artifacts: str = "[]"
    signature: str = "[]"
    origin: str = "{}"
    origin_cost_usd: float | None = None

    def tag_list(self) -> list[str]:
        return json.loads(self.tags)

    def artifact_list(self) -> list[str]:
        return json.loads(self.artifacts)

    def signature_list(self) -> list[str]:
        return json.loads(self.signature)

    def origin_dict(self) -> dict[str, Any]:
        return json.loads(self.origin)


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    path: str = Field(primary_key=True)
    type: str = Field(index=True)
    correction: str = Field(index=True)
    at: datetime
    key: str | None = None
    session_id: str | None = None
    cost_usd: float | None = None
    text: str | None = None


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    path: str = Field(primary_key=True)
    agent: str
    session_id: str = Field(index=True)
    start: datetime | None = Field(default=None, index=True)
    end: datetime | None = None
    task_type: str | None = None
    commits: int = 0
    cost_usd: float | None = None


class FileRow(SQLModel, table=True):
    __tablename__ = "files"
    path: str = Field(primary_key=True)
    mtime_ns: int
    size: int
    error: str | None = None


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


@dataclass
class Refresh:
    parsed: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)


class Index:
    def __init__(self, root: Path, corrections_dir: Path, session: Session):
        self.root = root
        self.corrections_dir = corrections_dir
        self.session = session

    def corrections(self) -> list[CorrectionRow]:
        return list(self.session.exec(select(CorrectionRow).order_by(CorrectionRow.created)))

    def correction(self, correction_id: str) -> CorrectionRow | None:
        return self.session.get(CorrectionRow, correction_id)

    def events(self, correction_id: str | None = None) -> list[EventRow]:
        query = select(EventRow).order_by(EventRow.at)
        if correction_id:
            query = query.where(EventRow.correction == correction_id)
        return list(self.session.exec(query))

    def sessions(self) -> list[SessionRow]:
        return list(self.session.exec(select(SessionRow).order_by(SessionRow.start)))

    def event_keys(self, event_type: str) -> set[str]:
        query = select(EventRow.key).where(EventRow.type == event_type, EventRow.key.is_not(None))  # type: ignore[union-attr]
        return set(self.session.exec(query))

    def warnings(self) -> list[str]:
        rows = self.session.exec(select(FileRow).where(FileRow.error.is_not(None)))  # type: ignore[union-attr]
        return [row.error for row in rows if row.error]

    def refresh(self) -> Refresh:
        """Bring the index up to date with the files; parse only what changed."""
        report = Refresh()
        on_disk = dict(_scan(self.corrections_dir, self.root))
        known = {row.path: row for row in self.session.exec(select(FileRow))}
        gone = [path for path in known if path not in on_disk]
        changed = [
            (path, stat) for path, stat in on_disk.items()
            if path not in known or (known[path].mtime_ns, known[path].size) != stat
        ]
        self._drop(gone + [path for path, _ in changed if path in known])
        self._load(changed, report)
        self.session.commit()
        report.removed = len(gone)
        report.warnings = self.warnings()
        return report

    def _drop(self, paths: list[str]) -> None:
        for chunk in _chunks(paths, 500):
            for table in (CorrectionRow, EventRow, SessionRow, FileRow):
                self.session.exec(delete(table).where(table.path.in_(chunk)))  # type: ignore[attr-defined]

    def _load(self, changed: list[tuple[str, tuple[int, int]]], report: Refresh) -> None:
        corrections, events, sessions, files = [], [], [], []
        seen_ids: dict[str, str] = {row.id: row.path for row in self.corrections()}
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
            files.append({"path": path, "mtime_ns": mtime_ns, "size": size, "error": error})
            report.parsed += 1
        tables = ((CorrectionRow, corrections), (EventRow, events), (SessionRow, sessions), (FileRow, files))
        for table, rows in tables:
            for chunk in _chunks(rows, 5000):
                self.session.execute(insert(table).prefix_with("OR REPLACE"), chunk)


def _scan(corrections_dir: Path, root: Path) -> Iterator[tuple[str, tuple[int, int]]]:
    """(repo-relative path, (mtime_ns, size)) of every correction and event file."""
    if not corrections_dir.is_dir():
        return
    for entry in os.scandir(corrections_dir):
        if entry.is_file() and entry.name.endswith(".md") and not entry.name.startswith("."):
            yield _stat(entry, root)
    log = corrections_dir / "log"
    if log.is_dir():
        for dirpath, dirnames, filenames in os.walk(log):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.endswith(".json") and not name.startswith("."):
                    yield _stat(Path(dirpath) / name, root)


def _stat(entry: os.DirEntry | Path, root: Path) -> tuple[str, tuple[int, int]]:
    st = entry.stat()
    rel = Path(entry.path if isinstance(entry, os.DirEntry) else entry).relative_to(root)
    return rel.as_posix(), (st.st_mtime_ns, st.st_size)


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


def _engine(db: Path):
    engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 30})

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # noqa: ANN001
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _schema_ok(engine) -> bool:
    try:
        with Session(engine) as session:
            row = session.get(MetaRow, "schema")
            return row is not None and row.value == SCHEMA_VERSION
    except Exception:  # any error reading the old file means: rebuild it
        return False


def _prepare(db: Path):
    engine = _engine(db)
    if db.exists() and not _schema_ok(engine):
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        engine = _engine(db)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.merge(MetaRow(key="schema", value=SCHEMA_VERSION))
        session.commit()
    return engine


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
        engine = _prepare(db)
        session = Session(engine)
        index = Index(root, corrections_dir, session)
        report = index.refresh()
    try:
        yield index, report
    finally:
        session.close()
        engine.dispose()
