"""Import of the corpus in tests/data/logs: exact totals per model and class, every bad input
counted with its reason, and incremental re-import. Expected figures are worked out by hand
in tests/data/logs/make_corpus.py's comments and below."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from conftest import run_farm

CORPUS = Path(__file__).parent / "data" / "logs"
A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
C1 = "019a0000-0000-7000-8000-0000000000c1"
C2 = "019a0000-0000-7000-8000-0000000000c2"

# model -> (input, output, cache write 5m, cache write 1h, cache read, reasoning)
EXPECTED = {
    # A1 10/120/600/400/5000 + A2 5/80/200/0/6000 + A3 3/45 (largest of two, no requestId) /7000
    # + A4 2/10/100 (invalid UTF-8) + A5 1/5 (lone surrogate) + A8 4/4 (NUL padding)
    "claude-sonnet-4-5-20250929": (25, 264, 800, 400, 18100, 0),
    "claude-haiku-4-5-20251001": (50, 500, 0, 0, 3000, 0),  # both subagent layouts, counted once
    "claude-opus-4-5-20251101": (100, 50, 0, 0, 0, 0),
    "mystery-model-9": (1000, 100, 0, 0, 0, 0),
    # parent: deltas 1000/800/200/50, 1500/1200/300/50, 500/400/100/20 (only-total event)
    # fork: 1000/800/200/50 after the replay; archived .zst: 400/0/40/0
    # input = input - cached, output = output - reasoning
    "gpt-5-codex": (1200, 670, 0, 0, 3200, 170),
}
# $ per million: sonnet 3/15/3.75/6/0.3, haiku 1/5/-/-/0.1, opus-4.5 5/25, gpt-5 1.25/10/cached 0.125
EXPECTED_COST = {
    "claude-sonnet-4-5-20250929": (25 * 3 + 264 * 15 + 800 * 3.75 + 400 * 6 + 18100 * 0.3) / 1e6,
    "claude-haiku-4-5-20251001": (50 * 1 + 500 * 5 + 3000 * 0.1) / 1e6,
    "claude-opus-4-5-20251101": (100 * 5 + 50 * 25) / 1e6,
    "gpt-5-codex": (1200 * 1.25 + 3200 * 0.125 + (670 + 170) * 10) / 1e6,
}
SKIPPED = {
    "NUL bytes": 1,
    "bad token count (input_tokens)": 1,
    "bad token count (output_tokens)": 1,
    "invalid JSON": 1,
    "no message id": 1,
    "not a JSON object": 1,
    "unfinished last line (read again next import)": 1,
}
FIELDS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
          "cache_read_tokens", "reasoning_tokens")


@pytest.fixture(autouse=True)
def fresh_pricer():
    from farm.sessions.pricing import reset_active_pricer

    reset_active_pricer()
    yield
    reset_active_pricer()


@pytest.fixture
def logs(tmp_path) -> Path:
    """A copy of the corpus, in the agents' default places under the test HOME."""
    root = tmp_path / "logs"
    shutil.copytree(CORPUS, root, ignore=shutil.ignore_patterns("*.py"))
    return root


def import_logs(logs: Path, *extra: str):
    result = run_farm(
        "sessions", "import", "--json",
        "--claude-dir", str(logs / "claude" / "projects"),
        "--codex-dir", str(logs / "codex" / "sessions"),
        "--codex-dir", str(logs / "codex" / "archived_sessions"),
        *extra,
    )
    assert result.code == 0, result.err
    return result.json()


def test_totals_per_model_and_class(logs):
    report = import_logs(logs)
    got = {m: tuple(r[f] for f in FIELDS) for m, r in report["models"].items()}
    assert got == EXPECTED
    for model, cost in EXPECTED_COST.items():
        assert report["models"][model]["cost_usd"] == pytest.approx(cost, abs=1e-9)
    assert report["models"]["mystery-model-9"]["cost_usd"] is None
    assert report["models"]["mystery-model-9"]["price_unknown"] is True


def test_bad_input_is_skipped_and_counted(logs):
    report = import_logs(logs)
    assert report["skipped_lines"] == SKIPPED
    assert report["unreadable_files"] == {"gzip data in a .jsonl file": 1}
    # replays of A's responses in B (resume copy, /btw under a new requestId) and the streamed
    # placeholder of A1 and the smaller A3 line are counted once
    assert report["duplicates"] == 2
    assert report["files"] == 9 and report["files_read"] == 8


def test_sessions_get_subagents_and_metadata(logs):
    import_logs(logs)
    listed = run_farm("sessions", "list", "--json").json()["sessions"]
    by_id = {s["session_id"]: s for s in listed}
    assert set(by_id) == {A, B, C1, C2, "019a0000-0000-7000-8000-0000000000c3"}
    a = by_id[A]
    assert set(a["models"]) == {"claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}
    assert a["usage_by_model"]["claude-haiku-4-5-20251001"]["output_tokens"] == 500
    assert a["turns"] == 2 and a["tool_calls"] == 2
    assert a["git_branch"] == "fix/empty-file-crash" and a["cwd"] == "/work/demo"
    assert a["start"].startswith("2025-06-01T10:00:00") and a["end"].startswith("2025-06-01T10:01:20")
    assert a["task_type"] == "bug fix"
    b = by_id[B]
    assert b["input_tokens"] == 1100 and b["cost_usd"] is None and b["price_unknown"]
    assert by_id[C1]["task_type"] == "refactor" and by_id[C1]["turns"] == 1 and by_id[C1]["tool_calls"] == 1
    assert by_id[C2]["input_tokens"] == 200 and by_id[C2]["turns"] == 1  # the replayed prompt is not its own


def test_unchanged_logs_are_skipped(logs):
    import_logs(logs)
    again = import_logs(logs)
    assert again["files_read"] == 0 and again["files_unchanged"] == 8 and again["lines"] == 0
    assert {m: tuple(r[f] for f in FIELDS) for m, r in again["models"].items()} == EXPECTED


def test_appended_file_resumes_and_finished_line_counts(logs):
    import_logs(logs)
    path = logs / "claude" / "projects" / "-work-demo" / f"{A}.jsonl"
    raw = path.read_bytes()
    cut = raw.rfind(b"\n") + 1
    # the agent finishes writing its last line, then appends another response
    finished = (
        '{"type":"assistant","sessionId":"%s","requestId":"req_A10","timestamp":"2025-06-01T10:01:30.000Z",'
        '"message":{"id":"msg_A10","model":"claude-sonnet-4-5-20250929","content":[],'
        '"usage":{"input_tokens":50,"output_tokens":50}}}\n' % A
    )
    more = finished.replace("A10", "A11").replace("10:01:30", "10:01:40")
    path.write_bytes(raw[:cut] + (finished + more).encode())
    report = import_logs(logs)
    assert report["files_read"] == 1 and report["lines"] == 2
    assert report["skipped_lines"] == {}
    sonnet = report["models"]["claude-sonnet-4-5-20250929"]
    assert (sonnet["input_tokens"], sonnet["output_tokens"]) == (25 + 100, 264 + 100)


def test_rewritten_file_is_read_again_without_double_counting(logs):
    import_logs(logs)
    path = logs / "claude" / "projects" / "-work-demo" / "agent-def.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"output_tokens":300', b'"output_tokens":301'))
    report = import_logs(logs)
    assert report["files_read"] == 1
    assert report["models"]["claude-haiku-4-5-20251001"]["output_tokens"] == 501


def test_agent_logs_are_never_modified(logs):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in logs.rglob("*") if p.is_file()}
    import_logs(logs)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in logs.rglob("*") if p.is_file()}
    assert before == after


def test_hostile_files(tmp_path):
    projects = tmp_path / "claude" / "projects" / "-x"
    projects.mkdir(parents=True)
    big = "y" * (5 * 1024 * 1024)
    line = ('{"type":"assistant","sessionId":"s","requestId":"r1","timestamp":"2025-06-01T10:00:00Z",'
            '"message":{"id":"m1","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"%s"}],'
            '"usage":{"input_tokens":7,"output_tokens":3}}}\n') % big
    (projects / "big.jsonl").write_text(line)
    os.symlink("loop.jsonl", projects / "loop.jsonl")
    os.symlink("nowhere.jsonl", projects / "broken.jsonl")
    (projects / "dir.jsonl").mkdir()
    (projects / "sub").mkdir()
    os.symlink("..", projects / "sub" / "up")  # a directory loop
    with gzip.open(projects / "zipped.jsonl", "wb") as fh:
        fh.write(line.encode())
    result = run_farm("sessions", "import", "--json", "--claude-dir", str(tmp_path / "claude" / "projects"))
    assert result.code == 0, result.err
    report = result.json()
    assert report["models"]["claude-sonnet-4-5-20250929"]["input_tokens"] == 7
    assert sum(report["unreadable_files"].values()) == 3  # loop, broken link, gzip
    assert "Traceback" not in result.err


def test_read_session_reads_one_transcript_with_its_subagents(logs):
    from farm.sessions import read_session

    record = read_session(logs / "claude" / "projects" / "-work-demo" / f"{A}.jsonl")
    assert record.session_id == A and record.agent == "claude"
    assert record.usage_by_model["claude-haiku-4-5-20251001"].output_tokens == 500
    assert record.usage.input_tokens == 75
    assert record.cost_usd == pytest.approx(
        EXPECTED_COST["claude-sonnet-4-5-20250929"] + EXPECTED_COST["claude-haiku-4-5-20251001"], abs=1e-9)
    codex = read_session(next((logs / "codex" / "sessions").rglob(f"*{C1}.jsonl")))
    assert codex.agent == "codex" and codex.usage.cache_read_tokens == 2400 and codex.usage.reasoning_tokens == 120


def test_find_and_latest_session(logs, repo):
    import json

    from farm.sessions.store import find_session, latest_session

    path = logs / "claude" / "projects" / "-work-demo" / f"{B}.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"/work/demo"', json.dumps(str(repo)).encode()))
    import_logs(logs)
    assert find_session(A).session_id == A
    assert find_session("bbbbbbbb-0000").session_id == B
    assert find_session("nope") is None
    assert latest_session(repo).session_id == B


def test_default_dirs_from_environment(logs, monkeypatch):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{logs / 'nothing'},{logs / 'claude'}")
    monkeypatch.setenv("CODEX_HOME", str(logs / "codex"))
    result = run_farm("sessions", "import", "--json")
    assert result.code == 0, result.err
    got = {m: tuple(r[f] for f in FIELDS) for m, r in result.json()["models"].items()}
    assert got == EXPECTED


def test_schema_change_rebuilds_the_store(logs):
    import sqlite3

    from farm.sessions.store import store_path

    import_logs(logs)
    db = sqlite3.connect(store_path())
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    report = import_logs(logs)
    assert report["files_read"] == 8  # everything read again into the new schema
    assert report["models"]["gpt-5-codex"]["input_tokens"] == 1200


def test_a_task_type_set_by_hand_cannot_hold_a_secret(logs):
    """attack round 2, B4: `sessions tag` stored and committed what capture would have redacted."""
    import_logs(logs)
    result = run_farm("sessions", "tag", "aaaaaaaa-0000-4000-8000-000000000001", "ghp_R8x2Kq9LmN4pT7vW1yZ3bC5dF6gH8jK0lM2n")
    assert result.code == 2 and "secret" in result.err and "R8x2" not in result.err


def test_a_summary_linked_to_dev_zero_is_not_read(tmp_path):
    """attack round 2, B1: the unchanged-summary check read a committed /dev/zero link whole."""
    from farm.sessions.summaries import _holds

    (tmp_path / "claude-s.json").symlink_to("/dev/zero")
    assert _holds(tmp_path / "claude-s.json", "{}\n") is False
