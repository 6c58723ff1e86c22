"""The imported-session store: `FARM_HOME/sessions.sqlite` (derived; rebuilt, never migrated).

Tables: `files` (per transcript: how far it was read, and what it said about its session),
`calls` (one row per billed response, deduplicated across files), `sessions` (aggregates,
recomputed for the sessions an import touched), `buckets` (each session's calls summed per
model, price tier and 15 minutes: what the reports read, a few rows per session instead of
one per response), `commits` (git commits made in a session's repo while it ran), and
`moments` (correction moments: user turns that reject, undo or repair what the agent just did,
found by farm/moments while importing).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from farm.paths import farm_home
from farm.sessions.model import SessionRecord, Usage

SCHEMA_VERSION = 7  # 7: modes, web searches, compactions, harness checks (on 6: moments, buckets)
BUCKET = 900  # seconds; every UTC offset in use is a multiple of 15 minutes
USAGE_COLUMNS = ("input", "output", "cw5", "cw1", "cread", "reasoning")

CALL_INDEXES = (
    "CREATE INDEX calls_message ON calls(message_id)",
    "CREATE INDEX calls_session ON calls(agent, session_id)",
    "CREATE INDEX calls_file ON calls(file)",
    "CREATE INDEX calls_untiered ON calls(agent, session_id) WHERE tier IS NULL",
)

SCHEMA = """
CREATE TABLE files (
    path TEXT PRIMARY KEY, agent TEXT NOT NULL, session_id TEXT, subagent INTEGER NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, head_len INTEGER NOT NULL, head TEXT NOT NULL,
    offset INTEGER NOT NULL, state TEXT NOT NULL,
    start REAL, end REAL, cwd TEXT, branch TEXT, first_prompt TEXT,
    turns INTEGER NOT NULL, tool_calls INTEGER NOT NULL, compactions INTEGER NOT NULL, agent_type TEXT
);
CREATE INDEX files_session ON files(agent, session_id);
CREATE TABLE calls (
    key TEXT PRIMARY KEY, agent TEXT NOT NULL, session_id TEXT NOT NULL, file TEXT NOT NULL,
    message_id TEXT, request_id TEXT, ts REAL NOT NULL, model TEXT NOT NULL, tier INTEGER,
    input INTEGER NOT NULL, output INTEGER NOT NULL, cw5 INTEGER NOT NULL, cw1 INTEGER NOT NULL,
    cread INTEGER NOT NULL, reasoning INTEGER NOT NULL, context INTEGER NOT NULL,
    mode TEXT NOT NULL, searches INTEGER NOT NULL
);
{call_indexes};
CREATE TABLE sessions (
    agent TEXT NOT NULL, session_id TEXT NOT NULL, path TEXT NOT NULL,
    start REAL, end REAL, cwd TEXT, repo TEXT, branch TEXT, first_prompt TEXT,
    turns INTEGER NOT NULL, tool_calls INTEGER NOT NULL, calls INTEGER NOT NULL, models TEXT NOT NULL,
    input INTEGER NOT NULL, output INTEGER NOT NULL, cw5 INTEGER NOT NULL, cw1 INTEGER NOT NULL,
    cread INTEGER NOT NULL, reasoning INTEGER NOT NULL,
    context_first INTEGER NOT NULL, context_peak INTEGER NOT NULL, context_last INTEGER NOT NULL,
    task_type TEXT, compactions INTEGER NOT NULL, harness TEXT,
    PRIMARY KEY (agent, session_id)
);
CREATE TABLE buckets (
    agent TEXT NOT NULL, session_id TEXT NOT NULL, model TEXT NOT NULL, tier INTEGER, mode TEXT NOT NULL,
    bucket INTEGER NOT NULL, calls INTEGER NOT NULL, first_ts REAL NOT NULL, searches INTEGER NOT NULL,
    input INTEGER NOT NULL, output INTEGER NOT NULL, cw5 INTEGER NOT NULL, cw1 INTEGER NOT NULL,
    cread INTEGER NOT NULL, reasoning INTEGER NOT NULL
);
CREATE INDEX buckets_session ON buckets(agent, session_id);
CREATE TABLE commits (
    agent TEXT NOT NULL, session_id TEXT NOT NULL, sha TEXT NOT NULL, time REAL NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (agent, session_id, sha)
);
CREATE TABLE moments (
    id TEXT PRIMARY KEY, agent TEXT NOT NULL, session_id TEXT NOT NULL, turn_id TEXT NOT NULL,
    file TEXT NOT NULL, at REAL, text TEXT NOT NULL, action TEXT NOT NULL, cue TEXT, score REAL NOT NULL,
    tokens INTEGER NOT NULL, cost_usd REAL
);
CREATE INDEX moments_session ON moments(agent, session_id);
""".format(call_indexes=";\n".join(CALL_INDEXES))


def store_path() -> Path:
    return farm_home() / "sessions.sqlite"


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open the store, rebuilding it empty when its schema is from another farm version."""
    db = sqlite3.connect(path or store_path(), timeout=30, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        _rebuild(db)
    return db


def _rebuild(db: sqlite3.Connection) -> None:
    db.execute("BEGIN IMMEDIATE")
    if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        db.execute("COMMIT")  # another process rebuilt it while we waited
        return
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        db.execute(f'DROP TABLE IF EXISTS "{name}"')
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute("COMMIT")


def drop_call_indexes(db: sqlite3.Connection) -> None:
    """Before a bulk load into an empty calls table: indexes built once afterwards cost less
    than indexes kept up to date row by row."""
    for statement in CALL_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")


def create_call_indexes(db: sqlite3.Connection) -> None:
    for statement in CALL_INDEXES:
        db.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=timezone.utc) if value is not None else None


SESSION_COLUMNS = (
    "agent, session_id, path, start, end, cwd, repo, branch, first_prompt, turns, tool_calls, calls, models, "
    "input, output, cw5, cw1, cread, reasoning, context_first, context_peak, context_last, task_type, "
    "compactions, harness"
)


def session_records(db: sqlite3.Connection, where: str = "", params: tuple = ()) -> list[SessionRecord]:
    """Sessions from the store, newest first, with usage and cost per model."""
    from farm.sessions.tags import load_tags

    rows = db.execute(f"SELECT {SESSION_COLUMNS} FROM sessions {where} ORDER BY start DESC", params).fetchall()
    if not rows:
        return []
    tags = load_tags()
    ensure_tiers(db)
    by_model = _usage_by_model(db, {(r[0], r[1]) for r in rows})
    commits = _commits(db, {(r[0], r[1]) for r in rows})
    subagents = _subagent_types(db, {(r[0], r[1]) for r in rows})
    records = []
    for r in rows:
        key = (r[0], r[1])
        models = by_model.get(key, {})
        records.append(
            SessionRecord(
                agent=r[0],
                session_id=r[1],
                models=[m for m in r[12].split("\n") if m],
                start=_dt(r[3]),
                end=_dt(r[4]),
                cwd=r[5],
                git_branch=r[7],
                usage=Usage.from_tuple(r[13:19]),
                cost_usd=_session_cost(models),
                usage_by_model={m: sum((v[0] for v in tiers.values()), Usage()) for m, tiers in models.items()},
                turns=r[9],
                tool_calls=r[10],
                first_prompt=r[8],
                task_type=tags.get(f"{r[0]}:{r[1]}") or r[22],
                path=r[2],
                calls=r[11],
                context_first=r[19],
                context_peak=r[20],
                context_last=r[21],
                commits=commits.get(key, []),
                compactions=r[23],
                harness=json.loads(r[24]) if r[24] else None,
                subagents=subagents.get(key, {}),
            )
        )
    return records


def ensure_tiers(db: sqlite3.Connection) -> None:
    """Put calls imported without a price tier (the shipped price table did not apply) in their
    long-context tier, and sum their sessions' buckets again."""
    from farm.sessions.pricing import tier_sql

    sessions = db.execute("SELECT DISTINCT agent, session_id FROM calls WHERE tier IS NULL").fetchall()
    if not sessions:
        return
    own = not db.in_transaction
    if own:
        db.execute("BEGIN IMMEDIATE")
    try:
        models = [r[0] for r in db.execute("SELECT DISTINCT model FROM calls WHERE tier IS NULL")]
        for model in models:
            db.execute(f"UPDATE calls SET tier = {tier_sql(model)} WHERE model = ? AND tier IS NULL", (model,))
        mark_touched(db, set(sessions))
        refresh_buckets(db)
        if own:
            db.execute("COMMIT")
    except BaseException:
        if own:
            db.execute("ROLLBACK")
        raise


def mark_touched(db: sqlite3.Connection, keys: set) -> None:
    """The temp table `touched` holds exactly `keys` (agent, session id), for this connection."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (agent TEXT, session_id TEXT, PRIMARY KEY (agent, session_id))")
    db.execute("DELETE FROM touched")
    db.executemany("INSERT INTO touched VALUES (?, ?)", sorted(keys))


def refresh_buckets(db: sqlite3.Connection) -> None:
    """Sum the calls of the sessions in the temp table `touched` into their buckets again."""
    db.execute("DELETE FROM buckets WHERE (agent, session_id) IN (SELECT agent, session_id FROM touched)")
    db.execute(
        f"INSERT INTO buckets SELECT c.agent, c.session_id, c.model, c.tier, c.mode, "
        f"CAST(c.ts / {BUCKET} AS INTEGER) AS b, COUNT(*), MIN(c.ts), SUM(c.searches), SUM(c.input), SUM(c.output), "
        "SUM(c.cw5), SUM(c.cw1), SUM(c.cread), SUM(c.reasoning) "
        "FROM touched t CROSS JOIN calls c ON c.agent = t.agent AND c.session_id = t.session_id "
        "GROUP BY c.agent, c.session_id, c.model, c.tier, c.mode, b"
    )


def _usage_by_model(db: sqlite3.Connection, keys: set) -> dict:
    """{(agent, session): {model: {(tier, mode): (Usage, first ts, searches)}}}: what prices apart."""
    out: dict = {}
    rows = db.execute(
        "SELECT agent, session_id, model, tier, mode, MIN(first_ts), SUM(searches), SUM(input), SUM(output), "
        "SUM(cw5), SUM(cw1), SUM(cread), SUM(reasoning) FROM buckets GROUP BY agent, session_id, model, tier, mode"
    )
    for agent, sid, model, tier, mode, ts, searches, *usage in rows:
        if (agent, sid) in keys:
            out.setdefault((agent, sid), {}).setdefault(model, {})[(tier, mode)] = (
                Usage.from_tuple(usage), ts, searches)
    return out


def _session_cost(models: dict) -> float | None:
    from farm.sessions.pricing import active_pricer

    pricer = active_pricer()
    total = 0.0
    for model, tiers in models.items():
        for (tier, mode), (usage, ts, searches) in tiers.items():
            cost = pricer.cost(model, usage, tier, _dt(ts), mode, searches)
            if cost is None:
                return None
            total += cost
    return total


def _subagent_types(db: sqlite3.Connection, keys: set) -> dict:
    out: dict = {}
    for agent, sid, kind, n in db.execute(
        "SELECT agent, session_id, COALESCE(agent_type, 'unknown'), COUNT(*) FROM files WHERE subagent = 1 "
        "GROUP BY agent, session_id, agent_type"
    ):
        if (agent, sid) in keys:
            out.setdefault((agent, sid), {})[kind] = n
    return out


def _commits(db: sqlite3.Connection, keys: set) -> dict:
    out: dict = {}
    for agent, sid, sha in db.execute("SELECT agent, session_id, sha FROM commits ORDER BY time"):
        if (agent, sid) in keys:
            out.setdefault((agent, sid), []).append(sha)
    return out


def committed_sessions(db: sqlite3.Connection) -> set[tuple[str, str]]:
    """(agent, session_id) of every session that made a commit: a completed loop."""
    return {(a, s) for a, s in db.execute("SELECT DISTINCT agent, session_id FROM commits")}


def find_session(session_id: str) -> SessionRecord | None:
    """The imported session with this id (a unique prefix is enough), or None."""
    db = connect()
    try:
        found = session_records(db, "WHERE session_id = ?", (session_id,))
        if not found and len(session_id) >= 6:
            found = session_records(db, "WHERE session_id LIKE ? ESCAPE '\\'", (_like_prefix(session_id),))
            if len(found) > 1:
                return None
        return found[0] if found else None
    finally:
        db.close()


def session_ids(db: sqlite3.Connection, prefix: str) -> list[str]:
    """Every imported session id that starts with `prefix`."""
    rows = db.execute("SELECT session_id FROM sessions WHERE session_id LIKE ? ESCAPE '\\'", (_like_prefix(prefix),))
    return [r[0] for r in rows]


def latest_session(cwd: Path) -> SessionRecord | None:
    """The newest imported session whose cwd is inside the git repo that holds `cwd`."""
    from farm import git
    from farm.errors import NotAGitRepo

    try:
        root = git.find_root(cwd)
    except NotAGitRepo:
        root = Path(cwd)
    db = connect()
    try:
        where, params = inside_clause(root)
        found = session_records(db, f"WHERE {where}", params)
        found.sort(key=lambda r: r.end or r.start or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
        return found[0] if found else None
    finally:
        db.close()


def inside_clause(root: Path) -> tuple[str, tuple]:
    """SQL (for the sessions table) matching sessions whose cwd is `root` or below it."""
    text = str(root.resolve()) if root.exists() else str(root)
    text = text.rstrip("/") or "/"
    return "(cwd = ? OR cwd LIKE ? ESCAPE '\\')", (text, _like_prefix(text.rstrip("/") + "/"))


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- correction moments (farm/moments decides what they are; this is where they are kept) ---------

MOMENT_COLUMNS = "id, agent, session_id, turn_id, file, at, text, action, cue, score, tokens, cost_usd"


def transcript_files(db: sqlite3.Connection, agent: str, session_id: str) -> list[str]:
    """The main (not subagent) transcript files of a session, earliest first."""
    rows = db.execute(
        "SELECT path FROM files WHERE agent = ? AND session_id = ? AND subagent = 0 ORDER BY start",
        (agent, session_id),
    )
    return [r[0] for r in rows]


def replace_moments(db: sqlite3.Connection, agent: str, session_id: str, rows: list[tuple]) -> None:
    """The session's moments become `rows` (tuples in MOMENT_COLUMNS order)."""
    db.execute("DELETE FROM moments WHERE agent = ? AND session_id = ?", (agent, session_id))
    if rows:
        db.executemany(f"INSERT OR REPLACE INTO moments ({MOMENT_COLUMNS}) VALUES ({', '.join('?' * 12)})", rows)


def moment_rows(db: sqlite3.Connection, root: Path | None = None) -> list[tuple]:
    """Stored moments (MOMENT_COLUMNS, then the session's start), oldest first; only those of
    sessions that ran inside `root` when given."""
    where, params = "", ()
    if root is not None:
        clause, params = inside_clause(root)
        where = "WHERE " + clause.replace("cwd", "s.cwd")
    columns = ", ".join(f"m.{c.strip()}" for c in MOMENT_COLUMNS.split(","))
    return db.execute(
        f"SELECT {columns}, s.start FROM moments m LEFT JOIN sessions s "
        f"ON s.agent = m.agent AND s.session_id = m.session_id {where} ORDER BY m.at, m.id",
        params,
    ).fetchall()


def session_calls(db: sqlite3.Connection, agent: str, session_id: str) -> list[tuple]:
    """(ts, model, tier, *usage) of a session's calls, in time order (tiers filled in first)."""
    return db.execute(
        f"SELECT ts, model, tier, {', '.join(USAGE_COLUMNS)} FROM calls WHERE agent = ? AND session_id = ? ORDER BY ts",
        (agent, session_id),
    ).fetchall()
