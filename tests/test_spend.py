"""farm spend and per-loop figures on imported sessions, with real git repos for commits."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, run_farm


@pytest.fixture(autouse=True)
def fresh_pricer():
    from farm.sessions.pricing import reset_active_pricer

    reset_active_pricer()
    yield
    reset_active_pricer()


def claude_line(sid, ts, mid, model, i, o, cwd, branch="main", cr=0, content=None):
    if content is not None:
        return json.dumps({"type": "user", "sessionId": sid, "cwd": cwd, "gitBranch": branch, "timestamp": ts,
                           "message": {"role": "user", "content": content}}) + "\n"
    return json.dumps({
        "type": "assistant", "sessionId": sid, "cwd": cwd, "gitBranch": branch, "timestamp": ts,
        "requestId": f"req_{mid}",
        "message": {"id": mid, "model": model, "content": [],
                    "usage": {"input_tokens": i, "output_tokens": o, "cache_read_input_tokens": cr}},
    }) + "\n"


def write_session(root: Path, sid: str, lines: list[str]) -> None:
    folder = root / "projects" / "-p"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sid}.jsonl").write_text("".join(lines))


@pytest.fixture
def sessions(repo, tmp_path):
    """Two sessions in `repo` (one ends in a commit) and one elsewhere with an unpriced model."""
    logs = tmp_path / "claude"
    cwd = str(repo)
    write_session(logs, "s-loop", [
        claude_line("s-loop", "2025-06-01T10:00:00Z", None, None, 0, 0, cwd, "feat/export", content="add export"),
        claude_line("s-loop", "2025-06-01T10:00:10Z", "m1", "claude-sonnet-4-5-20250929", 1000, 100, cwd, cr=10000),
        claude_line("s-loop", "2025-06-01T10:05:00Z", "m2", "claude-sonnet-4-5-20250929", 2000, 200, cwd, cr=40000),
    ])
    write_session(logs, "s-none", [
        claude_line("s-none", "2025-06-02T09:00:00Z", None, None, 0, 0, cwd, "main", content="why is this slow"),
        claude_line("s-none", "2025-06-02T09:00:10Z", "m3", "claude-sonnet-4-5-20250929", 500, 50, cwd),
    ])
    write_session(logs, "s-else", [
        claude_line("s-else", "2025-06-02T23:30:00Z", "m4", "house-model", 70, 7, "/elsewhere"),
    ])
    (repo / "export.py").write_text("x = 1\n")
    git(repo, "add", "export.py")
    env = dict(os.environ, GIT_COMMITTER_DATE="2025-06-01T10:06:00Z", GIT_AUTHOR_DATE="2025-06-01T10:06:00Z")
    subprocess.run(["git", "commit", "-q", "-m", "Add export"], cwd=repo, check=True, env=env)
    result = run_farm("sessions", "import", "--claude-dir", str(logs / "projects"), "--json")
    assert result.code == 0, result.err
    return repo


def spend(*args):
    result = run_farm("spend", *args, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_spend_by_model_keeps_classes_and_flags_unknown_prices(sessions):
    data = spend("--by", "model")
    rows = {r["key"]: r for r in data["rows"]}
    sonnet = rows["claude-sonnet-4-5-20250929"]
    assert (sonnet["sessions"], sonnet["input_tokens"], sonnet["output_tokens"], sonnet["cache_read_tokens"]) == (
        2, 3500, 350, 50000)
    assert sonnet["cost_usd"] == pytest.approx((3500 * 3 + 350 * 15 + 50000 * 0.3) / 1e6)
    house = rows["house-model"]
    assert house["cost_usd"] is None and house["price_unknown"] and house["input_tokens"] == 70
    total = data["total"]
    assert total["sessions"] == 3 and total["input_tokens"] == 3570
    assert total["price_unknown"] and total["cost_usd"] == pytest.approx(sonnet["cost_usd"])
    for key in ("key", "sessions", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                "reasoning_tokens", "cost_usd"):
        assert key in sonnet


def test_table_says_price_unknown_never_zero(sessions):
    out = run_farm("spend", "--by", "model").out
    line = next(l for l in out.splitlines() if l.startswith("house-model"))
    assert "price unknown" in line and "$0" not in line


def test_config_price_override(sessions):
    (sessions / "farm.toml").write_text('[prices.house-model]\ninput_mtok = 1000000\noutput_mtok = 0\n')
    rows = {r["key"]: r for r in spend("--by", "model")["rows"]}
    assert rows["house-model"]["cost_usd"] == pytest.approx(70.0)
    assert not rows["house-model"]["price_unknown"]


def test_spend_by_day_uses_the_time_zone(sessions):
    utc = {r["key"]: r["sessions"] for r in spend("--by", "day", "--tz", "UTC")["rows"]}
    assert utc == {"2025-06-01": 1, "2025-06-02": 2}
    tokyo = {r["key"]: r["sessions"] for r in spend("--by", "day", "--tz", "Asia/Tokyo")["rows"]}
    assert tokyo == {"2025-06-01": 1, "2025-06-02": 1, "2025-06-03": 1}


def test_filters(sessions):
    assert spend("--since", "2025-06-02", "--tz", "UTC")["total"]["sessions"] == 2
    assert spend("--until", "2025-06-01", "--tz", "UTC")["total"]["sessions"] == 1
    assert spend("--repo", str(sessions))["total"]["sessions"] == 2
    bad = run_farm("spend", "--since", "yesterday-ish")
    assert bad.code != 0 and "not a time" in bad.err and "Traceback" not in bad.err


def test_by_session_shows_context_growth(sessions):
    rows = {r["key"]: r for r in spend("--by", "session")["rows"]}
    loop = rows["claude:s-loop"]
    assert (loop["context_first"], loop["context_last"], loop["context_growth"]) == (11000, 42000, 3.82)
    assert loop["resent_share"] == pytest.approx(50000 / (3000 + 300 + 50000), abs=1e-4)


def test_loops_and_task_types(sessions):
    listed = {s["session_id"]: s for s in run_farm("sessions", "list", "--json").json()["sessions"]}
    assert listed["s-loop"]["commits"] and listed["s-loop"]["completed_loop"]
    assert listed["s-loop"]["task_type"] == "feature"
    assert not listed["s-none"]["commits"]
    data = spend("--loops")
    assert data["total"]["loops"] == 1 and data["total"]["sessions"] == 3
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["feature"]["loops"] == 1 and rows["feature"]["cost_per_loop_usd"] == pytest.approx(
        rows["feature"]["cost_usd"])
    by_type = {r["key"] for r in spend("--by", "task-type")["rows"]}
    assert "feature" in by_type


def test_tag_overrides_task_type(sessions):
    result = run_farm("sessions", "tag", "s-none", "spike")
    assert result.code == 0, result.err
    rows = {r["key"]: r for r in spend("--by", "task-type")["rows"]}
    assert rows["spike"]["sessions"] == 1
    assert run_farm("sessions", "tag", "s-none", "auto").code == 0
    assert "spike" not in {r["key"] for r in spend("--by", "task-type")["rows"]}
    missing = run_farm("sessions", "tag", "no-such-session", "docs")
    assert missing.code != 0 and "no imported session" in missing.err


def test_empty_store_is_not_an_error(repo):
    result = run_farm("spend")
    assert result.code == 0 and "no usage" in result.out
    assert spend("--by", "agent") == {"by": "agent", "time_zone": spend("--by", "agent")["time_zone"],
                                      "scope": "every repo on this machine",
                                      "rows": [], "total": spend("--by", "agent")["total"]}
