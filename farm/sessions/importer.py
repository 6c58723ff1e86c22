"""Incremental import of agent transcripts into the store.

Per file the store keeps size, mtime, a hash of its head and the byte offset read so far:
an unchanged file is skipped, a grown one is read from its offset (an unfinished last line
is left for next time), a rewritten one is read again from the start.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from farm.errors import InvalidInput
from farm.sessions import READERS, claude, reader_for
from farm.sessions.lines import LineStats, Unreadable, is_zstd
from farm.sessions.model import Call, FileScan, SessionRecord, Usage

HEAD_BYTES = 4096
PARALLEL_BYTES = 24 * 1024 * 1024  # below this, starting worker processes costs more than it saves
COMMIT_GRACE = 300  # seconds after a session's last line in which its commit still counts

Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    files: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    lines: int = 0
    calls_new: int = 0
    calls_updated: int = 0
    duplicates: int = 0  # streamed repeats and replays of a response already counted
    ignored: int = 0  # lines read and not counted on purpose (mirrors, synthetic, re-emits)
    skipped: Counter = field(default_factory=Counter)  # reason -> lines
    unreadable: Counter = field(default_factory=Counter)  # reason -> files
    sessions_touched: set = field(default_factory=set)
    moments: int = 0  # correction moments found in the sessions touched
    seconds: float = 0.0


@dataclass
class _Job:
    agent: str
    path: Path
    size: int
    mtime_ns: int
    head_len: int
    head: str
    offset: int
    state: dict
    reread: bool
    row_exists: bool


def import_sessions(
    db: sqlite3.Connection,
    sources: Iterable[tuple[str, Path]],
    progress: Progress | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Import every (agent, transcript path) in `sources`; returns what happened."""
    started = time.perf_counter()
    summary = ImportSummary()
    jobs = _plan(db, sources, summary)
    total = sum(max(job.size - job.offset, 0) for job in jobs)
    db.execute("BEGIN IMMEDIATE")
    try:
        done = 0
        scanned = []
        for job, outcome in zip(jobs, _scan_all(jobs, total, workers)):
            scanned.append((job, outcome))
            done += max(job.size - job.offset, 0)
            if progress:
                progress(done, total)
        # The earliest transcript first: a response copied into a later session (a resume, a
        # side question) stays with the session that first wrote it.
        scanned.sort(key=lambda pair: (_first_time(pair[1]), pair[0].mtime_ns))
        for job, outcome in scanned:
            _apply(db, job, outcome, summary)
        _refresh_sessions(db, summary.sessions_touched)
        _annotate(db, summary.sessions_touched)
        summary.moments = _detect_moments(db, summary.sessions_touched)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def discover_sources(claude_dirs: list[Path] | None, codex_dirs: list[Path] | None) -> list[tuple[str, Path]]:
    """Every transcript under the given dirs (the agents' default dirs when None)."""
    sources: list[tuple[str, Path]] = []
    for agent, dirs in (("claude", claude_dirs), ("codex", codex_dirs)):
        reader = READERS[agent]
        for path in reader.discover(dirs if dirs is not None else reader.default_dirs()):
            sources.append((agent, path))
    return sources


def session_sources(transcript: Path) -> list[tuple[str, Path]]:
    """A transcript plus, for Claude Code, its subagents' transcripts (both layouts)."""
    reader = reader_for(transcript)
    sources = [(reader.AGENT, transcript)]
    if reader is claude and not claude.is_subagent(transcript):
        stem = transcript.name.removesuffix(".jsonl")
        nested = transcript.parent / stem / "subagents"
        if nested.is_dir():
            sources += [(claude.AGENT, p) for p in sorted(nested.glob("agent-*.jsonl"))]
        for sibling in sorted(transcript.parent.glob("agent-*.jsonl")):
            if _names_session(sibling, stem):
                sources.append((claude.AGENT, sibling))
    return sources


def _names_session(path: Path, session_id: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return False
    return f'"sessionId":"{session_id}"'.encode() in head


def read_one(path: Path) -> SessionRecord:
    """One session read into a throwaway in-memory store (nothing persisted)."""
    from farm.sessions.store import SCHEMA, SCHEMA_VERSION, session_records

    if not path.is_file():
        raise InvalidInput(f"{path}: no such transcript")
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    sources = session_sources(path)
    summary = import_sessions(db, sources, workers=1)
    if summary.unreadable:
        reason = next(iter(summary.unreadable))
        raise InvalidInput(f"{path}: {reason}")
    records = session_records(db)
    if not records:
        raise InvalidInput(f"{path}: no agent session found in this file")
    main = [r for r in records if r.path == str(path)]
    return main[0] if main else records[0]


# --- planning: which files to read, and from where -------------------------------------------


def _plan(db: sqlite3.Connection, sources: Iterable[tuple[str, Path]], summary: ImportSummary) -> list[_Job]:
    known = {
        row[0]: row[1:]
        for row in db.execute("SELECT path, size, mtime_ns, head_len, head, offset, state FROM files")
    }
    jobs = []
    seen: set[str] = set()
    for agent, path in sources:
        key = str(path)
        if key in seen:
            continue
        seen.add(key)
        summary.files += 1
        try:
            st = path.stat()
        except OSError as exc:
            summary.unreadable[f"unreadable ({exc.strerror or type(exc).__name__})"] += 1
            continue
        old = known.get(key)
        if old and old[0] == st.st_size and old[1] == st.st_mtime_ns:
            summary.files_unchanged += 1
            continue
        job = _job(agent, path, st, old)
        if job is None:
            summary.unreadable["unreadable (cannot read head)"] += 1
            continue
        jobs.append(job)
    jobs.sort(key=lambda j: (j.mtime_ns, str(j.path)))
    return jobs


def _first_time(outcome) -> float:
    found = outcome[0]
    return found.start if found is not None and found.start is not None else float("inf")


def _job(agent: str, path: Path, st: os.stat_result, old: tuple | None) -> _Job | None:
    head_len = min(HEAD_BYTES, st.st_size)
    if old:
        _size, _mtime, old_len, old_head, offset, state = old
        same_head = old_len <= st.st_size and _head_hash(path, old_len) == old_head
        if same_head and offset <= st.st_size and not is_zstd(path):
            head = _head_hash(path, head_len)
            if head is None:
                return None
            return _Job(agent, path, st.st_size, st.st_mtime_ns, head_len, head, offset,
                        json.loads(state), reread=False, row_exists=True)
    head = _head_hash(path, head_len)
    if head is None:
        return None
    return _Job(agent, path, st.st_size, st.st_mtime_ns, head_len, head, 0, {}, reread=bool(old), row_exists=bool(old))


def _head_hash(path: Path, length: int) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha1(fh.read(length)).hexdigest()
    except OSError:
        return None


# --- scanning, in worker processes when there is enough to read -----------------------------


def _scan_job(agent: str, path: Path, offset: int, state: dict):
    stats = LineStats()
    try:
        found = READERS[agent].scan(path, offset, state, stats)
    except Unreadable as exc:
        return None, stats, str(exc)
    return found, stats, None


def _scan_all(jobs: list[_Job], total: int, workers: int | None):
    args = [(j.agent, j.path, j.offset, j.state) for j in jobs]
    # Measured: on 2 vCPUs two scanning processes are slower than one (the cores share too
    # much); from 4 up they pay for the fork and the pickling of results.
    cpus = os.cpu_count() or 1
    workers = workers if workers is not None else (min(cpus, 4) if cpus >= 4 else 1)
    if workers <= 1 or total < PARALLEL_BYTES or len(jobs) < 2:
        return (_scan_job(*a) for a in args)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork") if os.name == "posix" else None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return _drain(pool, pool.map(_scan_job, *zip(*args), chunksize=4))


def _drain(pool, results):
    with pool:
        yield from results


# --- merging a scan into the store -----------------------------------------------------------


def _apply(db: sqlite3.Connection, job: _Job, outcome, summary: ImportSummary) -> None:
    found, stats, error = outcome
    key = str(job.path)
    if error:
        summary.unreadable[error] += 1
        return
    summary.files_read += 1
    summary.lines += stats.lines
    summary.skipped.update(stats.skipped)
    summary.ignored += found.ignored
    if job.reread:
        db.execute("DELETE FROM calls WHERE file = ?", (key,))
    sid = found.session_id or job.path.name
    if found.calls:
        _merge_calls(db, job, sid, list(found.calls.values()), summary)
    _save_file(db, job, found, sid, stats)
    summary.sessions_touched.add((job.agent, sid))


def _merge_calls(db, job: _Job, sid: str, calls: list[Call], summary: ImportSummary) -> None:
    """Insert new responses; a response already stored (same message.id and requestId, or a
    replay with the same message.id and identical usage) is counted once, at its largest."""
    existing = _existing_by_message(db, [c.message_id for c in calls if c.message_id])
    inserts, updates = [], []
    for call in calls:
        match = None
        if call.message_id:
            rows = existing.get(call.message_id, [])
            match = next((r for r in rows if _same_request(r[1], call.request_id)), None)
            if match is None and any(r[2] == call.usage for r in rows):
                summary.duplicates += 1
                continue
        if match is not None:
            if sum(call.usage) <= sum(match[2]):
                summary.duplicates += 1
                continue
            updates.append((call.ts, call.model, *call.usage, call.context, match[0]))
            summary.calls_updated += 1
            continue
        # tier (the price tier of a long-context request) is filled in when first priced
        row = (call.key, job.agent, sid, str(job.path), call.message_id, call.request_id, call.ts, call.model,
               None, *call.usage, call.context)
        inserts.append(row)
        summary.calls_new += 1
        if call.message_id:
            existing.setdefault(call.message_id, []).append((call.key, call.request_id, call.usage))
    if inserts:
        db.executemany(f"INSERT OR REPLACE INTO calls VALUES ({', '.join('?' * 16)})", inserts)
    if updates:
        db.executemany(
            "UPDATE calls SET ts = ?, model = ?, tier = NULL, input = ?, output = ?, cw5 = ?, cw1 = ?, cread = ?, "
            "reasoning = ?, context = ? WHERE key = ?",
            updates,
        )


def _same_request(stored: str | None, new: str | None) -> bool:
    # Lines without a requestId (gateways, proxies) can only be matched on message.id.
    return stored is None or new is None or stored == new


def _existing_by_message(db, message_ids: list[str]) -> dict:
    out: dict = {}
    unique = list(dict.fromkeys(message_ids))
    for i in range(0, len(unique), 500):
        batch = unique[i : i + 500]
        marks = ",".join("?" * len(batch))
        for key, mid, rid, *usage in db.execute(
            f"SELECT key, message_id, request_id, input, output, cw5, cw1, cread, reasoning "
            f"FROM calls WHERE message_id IN ({marks})",
            batch,
        ):
            out.setdefault(mid, []).append((key, rid, tuple(usage)))
    return out


def _save_file(db, job: _Job, found: FileScan, sid: str, stats: LineStats) -> None:
    key = str(job.path)
    offset = job.size if is_zstd(job.path) else stats.end_offset
    old = None
    if job.row_exists and not job.reread:
        old = db.execute(
            "SELECT start, end, cwd, branch, first_prompt, turns, tool_calls FROM files WHERE path = ?", (key,)
        ).fetchone()
    start, end, cwd, branch, prompt, turns, tools = old or (None, None, None, None, None, 0, 0)
    row = (
        key, job.agent, sid, int(READERS[job.agent].is_subagent(job.path)), job.size, job.mtime_ns,
        job.head_len, job.head, offset, json.dumps(found.state),
        _min(start, found.start), _max(end, found.end), cwd or found.cwd, found.git_branch or branch,
        prompt or found.first_prompt, turns + found.turns, tools + found.tool_calls,
    )
    db.execute(f"INSERT OR REPLACE INTO files VALUES ({', '.join('?' * 17)})", row)


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


# --- session aggregates ------------------------------------------------------------------------


def _refresh_sessions(db: sqlite3.Connection, keys: set) -> None:
    """Recompute the aggregates of the sessions in `keys` from their files and calls."""
    if not keys:
        return
    files: dict = {}
    for row in db.execute(
        "SELECT agent, session_id, path, subagent, start, end, cwd, branch, first_prompt, turns, tool_calls "
        "FROM files ORDER BY subagent, start"
    ):
        if (row[0], row[1]) in keys:
            files.setdefault((row[0], row[1]), []).append(row[2:])
    totals = {}
    for agent, sid, *row in db.execute(
        "SELECT agent, session_id, COUNT(*), SUM(input), SUM(output), SUM(cw5), SUM(cw1), SUM(cread), "
        "SUM(reasoning), MIN(ts), MAX(ts) FROM calls GROUP BY agent, session_id"
    ):
        if (agent, sid) in keys:
            totals[(agent, sid)] = row
    models: dict = {}
    for agent, sid, model in db.execute(
        "SELECT agent, session_id, model FROM calls GROUP BY agent, session_id, model ORDER BY SUM(output) DESC"
    ):
        models.setdefault((agent, sid), []).append(model)
    growth = _context_growth(db, keys)
    rows = []
    for key in keys:
        found = files.get(key)
        total = totals.get(key) or (0, 0, 0, 0, 0, 0, 0, None, None)
        if not found or (not total[0] and not any(f[7] for f in found)):
            db.execute("DELETE FROM sessions WHERE agent = ? AND session_id = ?", key)
            continue
        main = found[0]
        starts = [f[2] for f in found if f[2] is not None] + [t for t in total[7:8] if t is not None]
        ends = [f[3] for f in found if f[3] is not None] + [t for t in total[8:9] if t is not None]
        rows.append((
            *key, main[0], min(starts, default=None), max(ends, default=None),
            next((f[4] for f in found if f[4]), None), None, next((f[5] for f in found if f[5]), None),
            main[6], sum(f[7] for f in found), sum(f[8] for f in found), total[0],
            "\n".join(models.get(key, [])), *(v or 0 for v in total[1:7]), *growth.get(key, (0, 0, 0)), None,
        ))
    db.executemany("INSERT OR REPLACE INTO sessions VALUES (" + ", ".join("?" * 23) + ")", rows)


def _annotate(db: sqlite3.Connection, keys: set) -> None:
    """Repo, commits made during the session, and task type, for the sessions in `keys`."""
    from datetime import datetime, timezone

    from farm.sessions.tasktype import classify

    roots: dict[str, Path | None] = {}
    by_root: dict[Path | None, list] = {}
    for agent, sid in keys:
        row = db.execute(
            "SELECT start, end, cwd, branch, first_prompt FROM sessions WHERE agent = ? AND session_id = ?",
            (agent, sid),
        ).fetchone()
        if row:
            by_root.setdefault(_repo_root(row[2], roots), []).append((agent, sid, *row))
    for root, sessions in by_root.items():
        rules, commits = {}, []
        if root is not None:
            rules = _task_rules(root)
            starts = [s[2] for s in sessions if s[2] is not None]
            ends = [s[3] for s in sessions if s[3] is not None]
            if starts and ends:
                since = datetime.fromtimestamp(min(starts) - 60, tz=timezone.utc)
                until = datetime.fromtimestamp(max(ends) + COMMIT_GRACE, tz=timezone.utc)
                commits = _log_commits(root, since, until)
        for agent, sid, start, end, _cwd, branch, prompt in sessions:
            mine = [c for c in commits if start is not None and end is not None
                    and start <= c.time.timestamp() <= end + COMMIT_GRACE]
            db.execute("DELETE FROM commits WHERE agent = ? AND session_id = ?", (agent, sid))
            db.executemany(
                "INSERT OR REPLACE INTO commits VALUES (?, ?, ?, ?, ?)",
                [(agent, sid, c.sha, c.time.timestamp(), c.message) for c in mine],
            )
            task = classify(branch, [c.message for c in mine], prompt, rules)
            db.execute(
                "UPDATE sessions SET repo = ?, task_type = ? WHERE agent = ? AND session_id = ?",
                (str(root) if root else None, task, agent, sid),
            )


def _detect_moments(db: sqlite3.Connection, keys: set) -> int:
    from farm.moments import detect_sessions

    return detect_sessions(db, keys)


def _repo_root(cwd: str | None, cache: dict) -> Path | None:
    if not cwd:
        return None
    if cwd not in cache:
        cache[cwd] = None
        if Path(cwd).is_dir():
            from farm import git

            try:
                cache[cwd] = git.find_root(Path(cwd))
            except Exception:  # not a repo, or git itself failed: the session just has no repo
                cache[cwd] = None
    return cache[cwd]


def _task_rules(root: Path) -> dict:
    from farm.config import load_config

    try:
        return load_config(root).get("task_types") or {}
    except InvalidInput:
        return {}


def _log_commits(root: Path, since, until) -> list:
    from farm import git

    try:
        return git.log_commits(root, since, until)
    except Exception:  # a broken repo must not stop an import
        return []


def _context_growth(db, keys: set) -> dict:
    """{session: context size (tokens read) of its main thread's first, largest and last call}."""
    sizes: dict = {}
    for agent, sid, context in db.execute(
        "SELECT c.agent, c.session_id, c.context FROM calls c JOIN files f ON f.path = c.file "
        "WHERE f.subagent = 0 ORDER BY c.agent, c.session_id, c.ts"
    ):
        if (agent, sid) in keys:
            sizes.setdefault((agent, sid), []).append(context)
    return {key: (s[0], max(s), s[-1]) for key, s in sizes.items()}


def usage_by_model(db: sqlite3.Connection) -> dict[str, Usage]:
    """Every imported call's tokens, by model."""
    rows = db.execute(
        "SELECT model, SUM(input), SUM(output), SUM(cw5), SUM(cw1), SUM(cread), SUM(reasoning) "
        "FROM calls GROUP BY model ORDER BY model"
    )
    return {model: Usage.from_tuple(usage) for model, *usage in rows}


def import_into_store(
    sources: list[tuple[str, Path]],
    farm_root: Path | None = None,
    progress: Progress | None = None,
    lock_timeout: float = 300,
) -> tuple[ImportSummary, int]:
    """Import into the user's store under a lock; then, when the farm at `farm_root` records
    sessions, write its session summaries. Returns the summary and how many were written."""
    from filelock import FileLock, Timeout

    from farm.paths import farm_home
    from farm.sessions.store import connect

    try:
        with FileLock(str(farm_home() / "sessions.lock"), timeout=lock_timeout):
            db = connect()
            try:
                summary = import_sessions(db, sources, progress=progress)
                written = _write_farm_summaries(db, farm_root) if farm_root else 0
            finally:
                db.close()
    except Timeout:
        raise InvalidInput("another `farm sessions import` is running; try again when it ends") from None
    return summary, written


def _write_farm_summaries(db: sqlite3.Connection, root: Path) -> int:
    from farm.config import load_config
    from farm.sessions.summaries import write_summaries

    config = load_config(root)
    if not config.get("record_sessions"):
        return 0
    return write_summaries(db, root, config)
