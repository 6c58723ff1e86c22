"""The fast paths of the reports run again and again: the click-free entry, spend's own refresh,
the store lock, the work-tree lookup without GitPython, and incremental session refresh."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, run_farm
from farm.entry import fast_command

SONNET = "claude-sonnet-4-5-20250929"


def claude_line(sid: str, ts: str, mid: str, tokens: int, cwd: str = "/work/p") -> str:
    return json.dumps({
        "type": "assistant", "sessionId": sid, "cwd": cwd, "gitBranch": "main", "timestamp": ts,
        "requestId": f"req_{mid}",
        "message": {"id": mid, "model": SONNET, "content": [],
                    "usage": {"input_tokens": tokens, "output_tokens": 10, "cache_read_input_tokens": 100}},
    }) + "\n"


def transcript(sid: str) -> Path:
    """Where Claude Code keeps session `sid` under the test's CLAUDE_CONFIG_DIR."""
    folder = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / "-work-p"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{sid}.jsonl"


def append(sid: str, *lines: str) -> None:
    with open(transcript(sid), "a", encoding="utf-8") as fh:
        fh.writelines(lines)


def farm_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """farm as users run it: `python -m farm`, which goes through farm.entry."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run([sys.executable, "-m", "farm", *args], cwd=cwd, env=env, capture_output=True, text=True)


def without_seconds(text: str) -> dict:
    data = json.loads(text)
    data.pop("seconds", None)
    return data


@pytest.mark.parametrize("argv, fast", [
    (["sessions", "import", "--json"], True),
    (["sessions", "import"], False),
    (["sessions", "import", "--json", "--claude-dir", "x"], False),
    (["spend", "--json"], True),
    (["spend", "--by", "day", "--json"], True),
    (["spend", "--by=day", "--no-refresh", "--json"], True),
    (["spend", "--by", "day"], False),
    (["spend", "--by", "correction", "--json"], False),
    (["spend", "--by", "nonsense", "--json"], False),
    (["spend", "--by", "day", "--by", "model", "--json"], False),
    (["spend", "--since", "7d", "--json"], False),
    (["spend", "--json", "--debug"], False),
    (["--help"], False),
    (["status", "--json"], False),
])
def test_only_the_forms_it_handles_skip_click(argv, fast):
    assert (fast_command(argv) is not None) == fast


def test_fast_entry_prints_what_the_click_cli_prints(tmp_path):
    append("s1", claude_line("s1", "2025-06-01T10:00:00Z", "m1", 1000),
           claude_line("s1", "2025-06-02T10:00:00Z", "m2", 2000))
    append("s2", claude_line("s2", "2025-06-02T11:00:00Z", "m3", 3000))
    fast = farm_process("sessions", "import", "--json", cwd=tmp_path)
    assert fast.returncode == 0, fast.stderr
    assert without_seconds(fast.stdout)["responses_new"] == 3
    append("s2", claude_line("s2", "2025-06-03T11:00:00Z", "m4", 4000))
    slow = run_farm("sessions", "import", "--json")
    assert slow.code == 0
    again = farm_process("sessions", "import", "--json", cwd=tmp_path)
    assert without_seconds(again.stdout) == {**without_seconds(slow.out), "files_read": 0, "files_unchanged": 2,
                                             "lines": 0, "responses_new": 0, "sessions": 0}
    for by in ("day", "model", "session"):
        fast = farm_process("spend", "--by", by, "--json", cwd=tmp_path)
        slow = run_farm("spend", "--by", by, "--json")
        assert fast.returncode == slow.code == 0
        assert json.loads(fast.stdout) == json.loads(slow.out)
        assert fast.stdout == slow.out  # the same bytes, not just the same data


def test_fast_entry_errors_are_one_line(tmp_path):
    home = Path(os.environ["FARM_HOME"])
    (home / "sessions.sqlite").mkdir(parents=True)  # a store that cannot be opened
    done = farm_process("spend", "--json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("farm: ") and done.stderr.count("\n") == 1


def test_spend_refreshes_the_store_unless_told_not_to(repo):
    append("s1", claude_line("s1", "2025-06-01T10:00:00Z", "m1", 1000))
    first = run_farm("spend", "--by", "day", "--json").json()
    assert first["total"]["input_tokens"] == 1000
    append("s1", claude_line("s1", "2025-06-01T10:05:00Z", "m2", 500))
    stale = run_farm("spend", "--by", "day", "--no-refresh", "--json").json()
    assert stale["total"]["input_tokens"] == 1000
    fresh = run_farm("spend", "--by", "day", "--json").json()
    assert fresh["total"]["input_tokens"] == 1500
    assert [r["key"] for r in fresh["rows"]] == ["2025-06-01"]


def test_store_lock_is_the_lock_filelock_takes(tmp_path, monkeypatch):
    from filelock import FileLock

    from farm.errors import InvalidInput
    from farm.paths import farm_home
    from farm.sessions.importer import import_into_store

    with FileLock(str(farm_home() / "sessions.lock")):
        with pytest.raises(InvalidInput, match="another `farm sessions import` is running"):
            import_into_store([], lock_timeout=0.2)
    summary, written = import_into_store([], lock_timeout=0.2)
    assert (summary.files, written) == (0, 0)


def test_work_tree_root_agrees_with_git(tmp_path, repo):
    from farm import git as farm_git
    from farm.errors import NotAGitRepo
    from farm.paths import work_tree_root

    (repo / "a" / "b").mkdir(parents=True)
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree))
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    for place in (repo, repo / "a" / "b", worktree, repo / ".git", repo / ".git" / "refs", bare, outside):
        try:
            expected = farm_git.find_root(place).resolve()
        except NotAGitRepo:
            expected = None
        found = work_tree_root(place)
        assert (found.resolve() if found else None) == expected, place


def test_incremental_refresh_reads_only_the_touched_sessions():
    """The work of recomputing one session's aggregates does not grow with the store."""
    from farm.sessions import importer
    from farm.sessions.store import SCHEMA

    def refresh_steps(other_sessions: int) -> int:
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(SCHEMA)
        for n in range(other_sessions + 1):
            sid = f"s{n}"
            db.execute("INSERT INTO files VALUES (?, 'claude', ?, 0, 1, 1, 1, 'h', 1, '{}', 1.0, 2.0, '/p', "
                       "'main', 'hi', 1, 0, 0, NULL)", (f"/logs/{sid}.jsonl", sid))
            db.executemany("INSERT INTO calls VALUES (?, 'claude', ?, ?, ?, ?, ?, ?, NULL, 1, 2, 0, 0, 3, 0, 4, '', 0)",
                           [(f"{sid}-{i}", sid, f"/logs/{sid}.jsonl", f"m{sid}-{i}", "r", 1.0 + i, SONNET)
                            for i in range(20)])
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        db.set_progress_handler(count, 10)
        importer._refresh_sessions(db, {("claude", "s0")})
        db.set_progress_handler(None, 0)
        row = db.execute("SELECT calls, input, context_peak FROM sessions WHERE session_id = 's0'").fetchone()
        assert row == (20, 20, 4)
        return steps

    small, big = refresh_steps(5), refresh_steps(2000)
    assert big < small * 1.5, (small, big)


def test_bulk_load_into_an_empty_store_equals_file_by_file_imports(tmp_path):
    """The first import dedups in memory and builds the calls indexes once; importing the same
    transcripts one at a time (each against the stored calls) gives the same store."""
    import shutil

    from farm.sessions import importer
    from farm.sessions.store import SCHEMA

    logs = tmp_path / "logs"
    shutil.copytree(Path(__file__).parent / "data" / "logs", logs)
    # a response stored, then grown by a copy without requestId, then replayed under a new one
    replay = logs / "claude" / "projects" / "-replay"
    replay.mkdir(parents=True)
    for n, (rid, output) in enumerate([("req_a", 10), (None, 50), ("req_b", 50)]):
        line = json.loads(claude_line(f"r{n}", f"2025-07-0{n + 1}T10:00:00Z", "m-grown", 5))
        line["message"]["usage"]["output_tokens"] = output
        if rid is None:
            del line["requestId"]
        else:
            line["requestId"] = rid
        (replay / f"r{n}.jsonl").write_text(json.dumps(line) + "\n")
    sources = importer.discover_sources([logs / "claude"], [logs / "codex"])
    assert len(sources) > 5

    def store():
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(SCHEMA)
        return db

    def dump(db) -> dict:
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("calls", "files", "sessions")} | {
            "indexes": db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY 1").fetchall()}

    bulk = store()
    importer.import_sessions(bulk, sources, workers=1)
    one_by_one = store()
    ordered = sorted(sources, key=lambda s: s[1].stat().st_mtime_ns)
    for source in ordered:
        importer.import_sessions(one_by_one, [source], workers=1)
    got, want = dump(bulk), dump(one_by_one)
    assert got["indexes"] == want["indexes"] and len(got["indexes"]) >= 4
    assert got["calls"] == want["calls"]
    assert got["sessions"] == want["sessions"]


def _buckets_from_calls(db) -> list:
    return db.execute(
        "SELECT agent, session_id, model, tier, mode, CAST(ts / 900 AS INTEGER) AS b, COUNT(*), MIN(ts), "
        "SUM(searches), SUM(input), SUM(output), SUM(cw5), SUM(cw1), SUM(cread), SUM(reasoning) FROM calls "
        "GROUP BY agent, session_id, model, tier, mode, b ORDER BY 1, 2, 3, 4, 5, 6").fetchall()


def _buckets(db) -> list:
    return db.execute("SELECT * FROM buckets ORDER BY 1, 2, 3, 4, 5, 6").fetchall()


@pytest.mark.parametrize("shipped", [True, False])
def test_buckets_are_the_calls_summed_after_every_kind_of_import(tmp_path, monkeypatch, shipped):
    from farm.sessions import importer, price_table
    from farm.sessions.store import SCHEMA, ensure_tiers

    if not shipped:  # another genai-prices: tiers are left for ensure_tiers
        monkeypatch.setattr(price_table, "thresholds", lambda model: price_table.NOT_SHIPPED)
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    long_context = 250_000  # above Sonnet 4.5's 200k tier start
    append("b1", claude_line("b1", "2025-06-01T10:00:00Z", "m1", 1000),
           claude_line("b1", "2025-06-01T10:20:00Z", "m2", long_context))
    sources = importer.discover_sources(None, None)
    importer.import_sessions(db, sources, workers=1)
    append("b1", claude_line("b1", "2025-06-01T10:21:00Z", "m3", 10))  # grown: read from its offset
    append("b2", claude_line("b2", "2025-06-02T10:00:00Z", "m1", 5000))  # the same response, bigger
    importer.import_sessions(db, importer.discover_sources(None, None), workers=1)
    assert _buckets(db) == _buckets_from_calls(db)
    assert db.execute("SELECT SUM(input) FROM buckets WHERE session_id = 'b1'").fetchone() == (5000 + long_context + 10,)
    transcript("b1").write_text(claude_line("b1", "2025-06-03T10:00:00Z", "m9", 7))  # rewritten
    importer.import_sessions(db, importer.discover_sources(None, None), workers=1)
    # without the table calls are stored untiered, and ensure_tiers (run by the import's moment
    # detection, or by the first report) fills them in and sums the buckets again
    assert (importer._tier(SONNET, 10) is None) == (not shipped)
    ensure_tiers(db)
    assert db.execute("SELECT COUNT(*) FROM calls WHERE tier IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT DISTINCT tier FROM calls ORDER BY 1").fetchall() == [(-1,)]
    assert _buckets(db) == _buckets_from_calls(db) != []
    append("b3", claude_line("b3", "2025-06-04T10:00:00Z", "m5", long_context))
    importer.import_sessions(db, importer.discover_sources(None, None), workers=1)
    ensure_tiers(db)
    assert (200_000,) in db.execute("SELECT DISTINCT tier FROM calls").fetchall()
    assert _buckets(db) == _buckets_from_calls(db)
    assert {r[1] for r in _buckets(db)} == {"b1", "b3"}


@pytest.mark.parametrize("argv", [["sessions", "import", "--json"], ["spend", "--by", "day", "--json"]])
def test_fast_reports_load_nothing_they_do_not_use(argv, tmp_path):
    append("s1", claude_line("s1", "2025-06-01T10:00:00Z", "m1", 1000))
    code = (
        "import sys, io\n"
        "from farm.entry import fast_command\n"
        f"command = fast_command({argv!r})\n"
        "real, sys.stdout = sys.stdout, io.StringIO()\n"
        "command()\n"
        "command()\n"  # the second run finds nothing new: the warm path
        "sys.stdout = real\n"
        "heavy = ('click', 'git', 'filelock', 'genai_prices', 'importlib.metadata', 'sqlmodel', 'rich', 'tomllib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
