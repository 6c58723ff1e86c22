"""Incremental import of agent transcripts into the store.

Per file the store keeps size, mtime, a hash of its head and the byte offset read so far:
an unchanged file is skipped, a grown one is read from its offset (an unfinished last line
is left for next time), a rewritten one is read again from the start.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from farm.errors import InvalidInput
from farm.sessions import READERS, claude, price_table, reader_for
from farm.sessions.lines import LineStats, Unreadable, file_kind, is_zstd, open_regular
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
    warnings: Counter = field(default_factory=Counter)  # reason -> files read that farm may misread
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
    if not jobs:  # nothing new: no write transaction (it would wait for a running import)
        summary.seconds = time.perf_counter() - started
        return summary
    total = sum(max(job.size - job.offset, 0) for job in jobs)
    # A page cache that holds the whole write (7 MB for 250 MB of logs) instead of SQLite's
    # 2 MB default, which spills pages mid-transaction: measured ~10% off the store's part.
    db.execute("PRAGMA cache_size = -65536")
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
        known = _KnownCalls(db)
        for job, outcome in scanned:
            _apply(db, job, outcome, summary, known)
        known.finish()
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
            # 2026: workflows nest theirs deeper, in subagents/workflows/<id>/
            sources += [(claude.AGENT, p) for p in sorted(nested.rglob("agent-*.jsonl"))]
        for sibling in sorted(transcript.parent.glob("agent-*.jsonl")):
            if _names_session(sibling, stem):
                sources.append((claude.AGENT, sibling))
    return sources


def _names_session(path: Path, session_id: str) -> bool:
    try:
        with open_regular(path) as fh:
            head = fh.read(HEAD_BYTES)
    except (OSError, Unreadable):
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
        if not stat.S_ISREG(st.st_mode):  # a FIFO named *.jsonl would block the read for good
            summary.unreadable[f"not a regular file ({file_kind(st.st_mode)})"] += 1
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
    import hashlib

    try:
        with open_regular(path) as fh:
            return hashlib.sha1(fh.read(length)).hexdigest()
    except (OSError, Unreadable):
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


class _KnownCalls:
    """The stored calls by message id, which _merge_calls deduplicates against.

    Into an empty store (a first import, or after a rebuild) they are kept in memory, and the
    calls table's indexes are dropped and built once at the end: a bulk load. Otherwise each
    file asks SQLite for the ids it holds.
    """

    def __init__(self, db: sqlite3.Connection):
        from farm.sessions.store import drop_call_indexes

        self.db = db
        self.memory: dict | None = None
        if db.execute("SELECT 1 FROM calls LIMIT 1").fetchone() is None:
            self.memory = {}
            drop_call_indexes(db)

    def by_message(self, message_ids: list[str]) -> dict:
        """{message id: [(key, request id, usage, (agent, session))]}; the caller appends what it inserts."""
        if self.memory is None:
            return _existing_by_message(self.db, message_ids)
        return self.memory

    def updated(self, message_id: str, key: str, usage: tuple) -> None:
        """A stored call's usage was replaced (applied in order: the last update wins, as in SQL)."""
        if self.memory is None:
            return
        rows = self.memory[message_id]
        for i, row in enumerate(rows):
            if row[0] == key:
                rows[i] = (key, row[1], usage, row[3])

    def finish(self) -> None:
        if self.memory is not None:
            from farm.sessions.store import create_call_indexes

            create_call_indexes(self.db)


def _apply(db: sqlite3.Connection, job: _Job, outcome, summary: ImportSummary, known: _KnownCalls) -> None:
    found, stats, error = outcome
    key = str(job.path)
    if error:
        summary.unreadable[error] += 1
        return
    summary.files_read += 1
    summary.lines += stats.lines
    summary.skipped.update(stats.skipped)
    summary.ignored += found.ignored
    summary.warnings.update(found.warnings)
    if job.reread:
        db.execute("DELETE FROM calls WHERE file = ?", (key,))
    sid = found.session_id or job.path.name
    if found.calls:
        _merge_calls(db, job, sid, list(found.calls.values()), summary, known)
    _save_file(db, job, found, sid, stats)
    summary.sessions_touched.add((job.agent, sid))


def _merge_calls(db, job: _Job, sid: str, calls: list[Call], summary: ImportSummary, known: _KnownCalls) -> None:
    """Insert new responses; a response already stored (same message.id and requestId, or a
    replay with the same message.id and identical usage) is counted once, at its largest."""
    existing = known.by_message([c.message_id for c in calls if c.message_id])
    inserts, updates, replaced = [], [], []
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
            updates.append((call.ts, call.model, _tier(call.model, call.context), *call.usage, call.context,
                            call.mode, call.searches, match[0]))
            replaced.append((call.message_id, match[0], call.usage))
            # the response stays with the session that first wrote it: that session changed too
            summary.sessions_touched.add(match[3])
            summary.calls_updated += 1
            continue
        row = (call.key, job.agent, sid, str(job.path), call.message_id, call.request_id, call.ts, call.model,
               _tier(call.model, call.context), *call.usage, call.context, call.mode, call.searches)
        inserts.append(row)
        summary.calls_new += 1
        if call.message_id:
            existing.setdefault(call.message_id, []).append((call.key, call.request_id, call.usage, (job.agent, sid)))
    if inserts:
        db.executemany(f"INSERT OR REPLACE INTO calls VALUES ({', '.join('?' * 18)})", inserts)
    if updates:
        db.executemany(
            "UPDATE calls SET ts = ?, model = ?, tier = ?, input = ?, output = ?, cw5 = ?, cw1 = ?, cread = ?, "
            "reasoning = ?, context = ?, mode = ?, searches = ? WHERE key = ?",
            updates,
        )
        for message_id, key, usage in replaced:
            known.updated(message_id, key, usage)


def _tier(model: str, context: int) -> int | None:
    """The price tier of a request reading `context` tokens, from the shipped price table; None
    (filled in by store.ensure_tiers when first priced) when the table does not apply."""
    found = price_table.tier_of(model, context)
    return None if found is price_table.NOT_SHIPPED else found


def _same_request(stored: str | None, new: str | None) -> bool:
    # Lines without a requestId (gateways, proxies) can only be matched on message.id.
    return stored is None or new is None or stored == new


def _existing_by_message(db, message_ids: list[str]) -> dict:
    out: dict = {}
    unique = list(dict.fromkeys(message_ids))
    for i in range(0, len(unique), 500):
        batch = unique[i : i + 500]
        marks = ",".join("?" * len(batch))
        for key, mid, rid, agent, sid, *usage in db.execute(
            f"SELECT key, message_id, request_id, agent, session_id, input, output, cw5, cw1, cread, reasoning "
            f"FROM calls WHERE message_id IN ({marks})",
            batch,
        ):
            out.setdefault(mid, []).append((key, rid, tuple(usage), (agent, sid)))
    return out


def _save_file(db, job: _Job, found: FileScan, sid: str, stats: LineStats) -> None:
    key = str(job.path)
    offset = job.size if is_zstd(job.path) else stats.end_offset
    old = None
    if job.row_exists and not job.reread:
        old = db.execute(
            "SELECT start, end, cwd, branch, first_prompt, turns, tool_calls, compactions FROM files WHERE path = ?",
            (key,),
        ).fetchone()
    start, end, cwd, branch, prompt, turns, tools, compactions = old or (None, None, None, None, None, 0, 0, 0)
    row = (
        key, job.agent, sid, int(READERS[job.agent].is_subagent(job.path)), job.size, job.mtime_ns,
        job.head_len, job.head, offset, json.dumps(found.state),
        _min(start, found.start), _max(end, found.end), cwd or found.cwd, _redacted(found.git_branch) or branch,
        prompt or _redacted(found.first_prompt), turns + found.turns, tools + found.tool_calls,
        compactions + found.compactions, _agent_type(job.path) if job.agent == "claude" else None,
    )
    db.execute(f"INSERT OR REPLACE INTO files VALUES ({', '.join('?' * 19)})", row)


def _agent_type(path: Path) -> str | None:
    """A 2026 subagent transcript has `agent-<id>.meta.json` beside it: its `agentType`."""
    if not claude.is_subagent(path):
        return None
    meta = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    try:
        with open_regular(meta) as fh:
            data = json.loads(fh.read(64 * 1024))
    except (OSError, ValueError, Unreadable):
        return None
    kind = data.get("agentType") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) and kind else None


@lru_cache(maxsize=1024)  # a branch name repeats in every file of its sessions
def _redacted(text: str | None) -> str | None:
    """Prompt text and branch names are kept only with secrets redacted (`feat/ghp_…` happens)."""
    if not text:
        return text
    from farm.redact import redact

    return redact(text)


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


# --- session aggregates ------------------------------------------------------------------------


def _refresh_sessions(db: sqlite3.Connection, keys: set) -> None:
    """Recompute the aggregates of the sessions in `keys` from their files and calls.

    Only those sessions' rows are read (through a temp table of their keys), so an import
    that touched one session costs the same in a store of ten sessions or ten thousand.
    """
    from farm.sessions.store import mark_touched, refresh_buckets

    if not keys:
        return
    mark_touched(db, keys)
    files: dict = {}
    for row in db.execute(
        "SELECT f.agent, f.session_id, f.path, f.subagent, f.start, f.end, f.cwd, f.branch, f.first_prompt, "
        "f.turns, f.tool_calls, f.compactions, f.state "
        "FROM touched t CROSS JOIN files f ON f.agent = t.agent AND f.session_id = t.session_id "
        "ORDER BY f.subagent, f.start"
    ):
        files.setdefault((row[0], row[1]), []).append(row[2:])
    harness = _harness(db, files)  # may add calls: before the buckets are summed
    refresh_buckets(db)
    totals = {}
    for agent, sid, *row in db.execute(
        "SELECT c.agent, c.session_id, COUNT(*), SUM(c.input), SUM(c.output), SUM(c.cw5), SUM(c.cw1), "
        "SUM(c.cread), SUM(c.reasoning), MIN(c.ts), MAX(c.ts) "
        "FROM touched t CROSS JOIN calls c ON c.agent = t.agent AND c.session_id = t.session_id "
        "GROUP BY c.agent, c.session_id"
    ):
        totals[(agent, sid)] = row
    models: dict = {}
    for agent, sid, model in db.execute(
        "SELECT c.agent, c.session_id, c.model "
        "FROM touched t CROSS JOIN calls c ON c.agent = t.agent AND c.session_id = t.session_id "
        "GROUP BY c.agent, c.session_id, c.model ORDER BY SUM(c.output) DESC"
    ):
        models.setdefault((agent, sid), []).append(model)
    growth = _context_growth(db)
    rows = []
    for key in sorted(keys):  # the same row order whatever the hash seed
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
            sum(f[9] for f in found), json.dumps(harness[key], sort_keys=True) if key in harness else None,
        ))
    db.executemany("INSERT OR REPLACE INTO sessions VALUES (" + ", ".join("?" * 25) + ")", rows)


HARNESS_FILE = "#cost-state"  # suffix of the `file` of calls farm adds from cost-state snapshots


def _harness(db: sqlite3.Connection, files: dict) -> dict:
    """{session: what Claude Code's own `cost-state` snapshots counted}, and, for a model they
    name that no assistant line of the session has (auxiliary calls), one call with its tokens."""
    out = {}
    for key, found in files.items():
        db.execute("DELETE FROM calls WHERE agent = ? AND session_id = ? AND file LIKE ?", (*key, "%" + HARNESS_FILE))
        runs = [run for f in found if not f[1] for run in json.loads(f[10]).get("cost_state", {}).values()]
        if not runs:
            continue
        models: dict = {}
        for run in runs:
            for model, values in run["models"].items():
                row = models.setdefault(model, [0, 0, 0, 0, 0, 0.0, False])
                for i, v in enumerate(values[:5]):
                    row[i] += v
                if values[5] is None:
                    row[6] = True
                else:
                    row[5] += values[5]
        logged = {m: (i, o, cw, cr, n) for m, i, o, cw, cr, n in db.execute(
            "SELECT model, SUM(input), SUM(output), SUM(cw5 + cw1), SUM(cread), SUM(searches) FROM calls "
            "WHERE agent = ? AND session_id = ? GROUP BY model", key)}
        added = sorted(m for m in models if m not in logged and any(models[m][:5]))
        # For models the log has, the harness's surplus is shown, never added: a snapshot can
        # cover calls the log holds elsewhere, and the log is what each response billed.
        surplus = {m: gap for m in sorted(models) if m in logged
                   and any(gap := [max(h - l, 0) for h, l in zip(models[m][:5], logged[m])])}
        main = found[0]
        for model in added:
            i, o, cw, cr, searches = models[model][:5]
            db.execute(f"INSERT OR REPLACE INTO calls VALUES ({', '.join('?' * 18)})", (
                f"cost-state|{key[1]}|{model}", key[0], key[1], main[0] + HARNESS_FILE, None, None,
                main[2] or 0.0, model, -1, i, o, cw, 0, cr, 0, 0, "", searches))  # a sum: base tier, context 0
        totals = [r["total"] for r in runs]
        out[key] = {
            "cost_usd": None if None in totals else round(sum(totals), 6),
            "has_unknown_model_cost": any(r["unknown"] for r in runs),
            "runs": len(runs),
            "models": {m: {"input_tokens": v[0], "output_tokens": v[1], "cache_creation_tokens": v[2],
                           "cache_read_tokens": v[3], "web_search_requests": v[4],
                           "cost_usd": None if v[6] else round(v[5], 6)} for m, v in sorted(models.items())},
            "added_models": added,
            "harness_minus_log": {m: dict(zip(("input_tokens", "output_tokens", "cache_creation_tokens",
                                                "cache_read_tokens", "web_search_requests"), gap))
                                  for m, gap in surplus.items()},
        }
    return out


def _annotate(db: sqlite3.Connection, keys: set) -> None:
    """Repo, commits made during the session, and task type, for the sessions in `keys`."""
    if not keys:
        return
    from datetime import datetime, timezone

    from farm.sessions.store import mark_touched
    from farm.sessions.tasktype import classify

    roots: dict[str, Path | None] = {}
    by_root: dict[Path | None, list] = {}
    mark_touched(db, keys)
    for row in db.execute(
        "SELECT s.agent, s.session_id, s.start, s.end, s.cwd, s.branch, s.first_prompt FROM touched t "
        "CROSS JOIN sessions s ON s.agent = t.agent AND s.session_id = t.session_id ORDER BY 1, 2"
    ).fetchall():
        by_root.setdefault(_repo_root(row[4], roots), []).append(row)
    stale, found, tasks = [], [], []
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
            stale.append((agent, sid))
            found += [(agent, sid, c.sha, c.time.timestamp(), c.message) for c in mine]
            task = classify(branch, [c.message for c in mine], prompt, rules)
            tasks.append((str(root) if root else None, task, agent, sid))
    db.executemany("DELETE FROM commits WHERE agent = ? AND session_id = ?", stale)
    db.executemany("INSERT OR REPLACE INTO commits VALUES (?, ?, ?, ?, ?)", found)
    db.executemany("UPDATE sessions SET repo = ?, task_type = ? WHERE agent = ? AND session_id = ?", tasks)


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


def _context_growth(db) -> dict:
    """{session: context size (tokens read) of its main thread's first, largest and last call},
    for the sessions in the temp table `touched`."""
    sizes: dict = {}
    for agent, sid, context in db.execute(
        "SELECT c.agent, c.session_id, c.context FROM touched t CROSS "
        "JOIN calls c ON c.agent = t.agent AND c.session_id = t.session_id JOIN files f ON f.path = c.file "
        "WHERE f.subagent = 0 ORDER BY c.agent, c.session_id, c.ts"
    ):
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
    from farm.paths import farm_home
    from farm.sessions.store import connect

    with _store_lock(farm_home() / "sessions.lock", lock_timeout):
        db = connect()
        try:
            summary = import_sessions(db, sources, progress=progress)
            written = _write_farm_summaries(db, farm_root) if farm_root else 0
        finally:
            db.close()
    return summary, written


def refresh_store() -> ImportSummary:
    """Bring the store up to date with the agents' default log folders (what a report runs
    first, so it is never stale); writes nothing but the store."""
    return import_into_store(discover_sources(None, None))[0]


class _store_lock:
    """An exclusive lock on `path` for `timeout` seconds: flock where there is one (the same
    lock filelock takes on POSIX, without its import), filelock elsewhere."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout, self.held = path, timeout, None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:
            self.held = _filelock(self.path, self.timeout)
            return self
        fh = open(self.path, "a")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    fh.close()
                    raise _busy() from None
                time.sleep(0.05)
        self.held = fh
        return self

    def __exit__(self, *exc):
        if hasattr(self.held, "release"):
            self.held.release()
        else:
            self.held.close()  # closing the file releases the flock


def _filelock(path: Path, timeout: float):
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise _busy() from None
    return lock


def _busy() -> InvalidInput:
    return InvalidInput("another `farm sessions import` is running; try again when it ends")


def import_report(summary: ImportSummary, written: int) -> dict:
    """What `farm sessions import` reports (its --json shape): the run, and the store's totals."""
    from farm.sessions.pricing import active_pricer
    from farm.sessions.store import connect, ensure_tiers

    db = connect()
    try:
        ensure_tiers(db)
        models = _model_totals(db, active_pricer())
        total_sessions = db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    finally:
        db.close()
    return {
        "files": summary.files,
        "files_read": summary.files_read,
        "files_unchanged": summary.files_unchanged,
        "lines": summary.lines,
        "responses_new": summary.calls_new,
        "responses_updated": summary.calls_updated,
        "duplicates": summary.duplicates,
        "ignored_lines": summary.ignored,
        "skipped_lines": dict(summary.skipped),
        "unreadable_files": dict(summary.unreadable),
        "warnings": dict(summary.warnings),
        "sessions": len(summary.sessions_touched),
        "moments": summary.moments,
        "sessions_total": total_sessions,
        "summaries_written": written,
        "seconds": round(summary.seconds, 3),
        "models": models,
    }


def record_evidence(farm_root: Path | None) -> int:
    """After an import: commit the moments that match a correction of the farm at `farm_root`
    as its evidence; how many events were new (0 outside a farm)."""
    if farm_root is None:
        return 0  # outside a repo, without loading what a farm needs
    from farm.moments.evidence import after_import

    evidence = after_import(farm_root)
    return len(evidence.events) if evidence else 0


def _model_totals(db, pricer) -> dict:
    from datetime import datetime, timezone

    out: dict = {}
    # 96 buckets of 15 minutes make a UTC day
    for model, tier, mode, ts, searches, *tokens in db.execute(
        "SELECT model, tier, mode, MIN(first_ts), SUM(searches), SUM(input), SUM(output), SUM(cw5), SUM(cw1), "
        "SUM(cread), SUM(reasoning) FROM buckets GROUP BY model, tier, mode, bucket / 96"
    ):
        usage = Usage.from_tuple(tokens)
        cost = pricer.cost(model, usage, tier, datetime.fromtimestamp(ts, tz=timezone.utc), mode, searches)
        row = out.setdefault(model, {"usage": Usage(), "cost": 0.0, "unknown": False, "searches": 0})
        row["usage"] = row["usage"] + usage
        row["searches"] += searches or 0
        if cost is None:
            row["unknown"] = True
        else:
            row["cost"] += cost
    return {
        model: {**r["usage"].as_dict(), "web_search_requests": r["searches"],
                "cost_usd": None if r["unknown"] else round(r["cost"], 6), "price_unknown": r["unknown"],
                "price_basis": pricer.price_basis(model)}
        for model, r in sorted(out.items())
    }


def _write_farm_summaries(db: sqlite3.Connection, root: Path) -> int:
    from farm.config import load_config
    from farm.sessions.summaries import write_summaries

    config = load_config(root)
    if not config.get("record_sessions"):
        return 0
    return write_summaries(db, root, config)
