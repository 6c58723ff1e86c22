"""The derived index's schema, declared with sqlmodel; imported only to create the file.

farm/index.py reads and writes these tables with sqlite3 (`TABLE_COLUMNS` there names
the same columns in the same order; tests/test_index.py checks that they agree).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Column, TypeDecorator, Unicode
from sqlmodel import Field, Session, SQLModel, create_engine


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes stored as ISO text: they sort as text and come back aware."""

    impl = Unicode
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.astimezone(timezone.utc).isoformat()

    def process_result_value(self, value, dialect):
        return None if value is None else datetime.fromisoformat(value)


def _utc(**kwargs) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class CorrectionRow(SQLModel, table=True):
    __tablename__ = "corrections"
    id: str = Field(primary_key=True)
    path: str = Field(index=True)
    title: str
    kind: str
    status: str
    created: datetime = _utc(nullable=False)
    task_type: str | None = None
    what: str
    rule: str
    tags: str = "[]"
    artifacts: str = "[]"
    signature: str = "[]"
    origin: str = "{}"
    origin_cost_usd: float | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    path: str = Field(primary_key=True)
    type: str = Field(index=True)
    correction: str = Field(index=True)
    at: datetime = _utc(nullable=False, index=True)
    key: str | None = None
    session_id: str | None = None
    cost_usd: float | None = None
    text: str | None = None


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    path: str = Field(primary_key=True)
    agent: str
    session_id: str = Field(index=True)
    start: datetime | None = _utc(index=True)
    end: datetime | None = _utc()
    task_type: str | None = None
    commits: int = 0
    cost_usd: float | None = None


class FileRow(SQLModel, table=True):
    __tablename__ = "files"
    path: str = Field(primary_key=True)
    dir: str = Field(index=True)
    mtime_ns: int
    size: int
    error: str | None = None


class DirRow(SQLModel, table=True):
    """A folder under corrections/log/ and its mtime when last listed."""

    __tablename__ = "dirs"
    path: str = Field(primary_key=True)
    mtime_ns: int


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


def create_schema(db: Path, version: str) -> None:
    """Create every table in a new index file at `db`, stamped with the schema `version`."""
    engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 30})
    try:
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            session.merge(MetaRow(key="schema", value=version))
            session.commit()
    finally:
        engine.dispose()
