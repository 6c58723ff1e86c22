"""farm hooks install/uninstall claude, the SessionEnd hook itself, and session summaries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import run_farm

CORPUS = Path(__file__).parent / "data" / "logs"
A = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def fresh_pricer():
    from farm.sessions.pricing import reset_active_pricer

    reset_active_pricer()
    yield
    reset_active_pricer()


THEIRS = {
    "model": "opus",
    "hooks": {
        "SessionEnd": [{"hooks": [{"type": "command", "command": "notify-send bye"}]}],
        "Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "make lint"}]}],
    },
}


def test_install_merges_is_idempotent_and_uninstall_removes_only_ours(repo):
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps(THEIRS))
    assert run_farm("hooks", "install", "claude").code == 0
    first = settings.read_text()
    assert run_farm("hooks", "install", "claude").out.startswith("already installed")
    assert settings.read_text() == first
    data = json.loads(first)
    assert data["model"] == "opus" and data["hooks"]["Stop"] == THEIRS["hooks"]["Stop"]
    commands = [h["command"] for g in data["hooks"]["SessionEnd"] for h in g["hooks"]]
    assert commands[0] == "notify-send bye" and "sessions import --from-hook" in commands[1]
    assert run_farm("hooks", "uninstall", "claude").code == 0
    assert json.loads(settings.read_text()) == THEIRS
    assert run_farm("hooks", "uninstall", "claude").out.startswith("not installed")


def test_user_install_and_clean_uninstall(repo, isolated_env):
    assert run_farm("hooks", "install", "claude", "--user").code == 0
    settings = isolated_env / ".claude" / "settings.json"
    assert "--from-hook" in settings.read_text()
    assert not (repo / ".claude").exists()
    assert run_farm("hooks", "uninstall", "claude", "--user").code == 0
    assert json.loads(settings.read_text()) == {}


def test_broken_settings_are_left_alone(repo):
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{not json")
    result = run_farm("hooks", "install", "claude")
    assert result.code != 0 and "not valid JSON" in result.err and "Traceback" not in result.err
    assert settings.read_text() == "{not json"


def test_hook_imports_the_session_and_never_fails(repo, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(CORPUS / "claude", logs)
    transcript = logs / "projects" / "-work-demo" / f"{A}.jsonl"
    event = {"session_id": A, "transcript_path": str(transcript), "cwd": str(repo),
             "hook_event_name": "SessionEnd", "reason": "exit"}
    result = run_farm("sessions", "import", "--from-hook", input=json.dumps(event))
    assert result.code == 0 and result.out == ""
    listed = run_farm("sessions", "list", "--json").json()["sessions"]
    assert [s["session_id"] for s in listed] == [A]
    assert listed[0]["usage_by_model"]["claude-haiku-4-5-20251001"]["output_tokens"] == 500  # subagents too
    for bad in ("not json", "[]", json.dumps({"transcript_path": str(tmp_path / "gone.jsonl")})):
        assert run_farm("sessions", "import", "--from-hook", input=bad).code == 0


def test_summaries_written_for_this_repo_only_when_opted_in(repo, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(CORPUS / "claude", logs)
    transcript = logs / "projects" / "-work-demo" / f"{A}.jsonl"
    transcript.write_bytes(transcript.read_bytes().replace(b'"/work/demo"', json.dumps(str(repo)).encode()))
    args = ("sessions", "import", "--claude-dir", str(logs / "projects"), "--json")
    assert run_farm(*args).json()["summaries_written"] == 0
    (repo / "farm.toml").write_text("record_sessions = true\n")
    report = run_farm(*args).json()
    assert report["summaries_written"] == 1
    path = repo / "corrections" / "log" / "sessions" / f"claude-{A}.json"
    data = json.loads(path.read_text())
    assert data["session_id"] == A and data["tokens"]["cache_write_1h_tokens"] == 400
    assert data["task_type"] == "bug fix" and data["commits"] == [] and data["dir"] == "."
    text = path.read_text()
    assert "Fix the crash" not in text and str(repo) not in text  # no prompt text, no local path
    mtime = path.stat().st_mtime_ns
    assert run_farm(*args).json()["summaries_written"] == 0
    assert path.stat().st_mtime_ns == mtime
