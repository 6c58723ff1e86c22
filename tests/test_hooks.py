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
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard farm hooks"}]}],
    },
}
EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "Stop", "SessionEnd"]
PORTABLE = 'command -v "${FARM_BIN:-farm}" >/dev/null 2>&1 || exit 0; "${FARM_BIN:-farm}" hooks run claude'


def _commands(data: dict, event: str) -> list[str]:
    return [h["command"] for g in data["hooks"].get(event, []) for h in g["hooks"]]


def _on_path(monkeypatch, farm_on_path: bool) -> None:
    """PATH with or without this farm's own `farm` executable."""
    import os
    import sys

    bin_dir = str(Path(sys.executable).parent)
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p).resolve() != Path(bin_dir).resolve()]
    monkeypatch.setenv("PATH", os.pathsep.join(([bin_dir] if farm_on_path else []) + rest))


def test_install_merges_commits_only_the_shared_file_and_uninstall_removes_only_ours(farm, monkeypatch):
    from conftest import git

    _on_path(monkeypatch, True)
    settings = farm / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps(THEIRS))
    git(farm, "add", ".claude/settings.json")
    git(farm, "commit", "-q", "-m", "their settings")
    result = run_farm("hooks", "install", "claude")
    assert result.code == 0 and result.out.startswith("installed"), result.err
    first = settings.read_text()
    data = json.loads(first)
    assert data["model"] == "opus" and data["hooks"]["Stop"][0] == THEIRS["hooks"]["Stop"][0]
    for event in EVENTS:
        assert _commands(data, event)[-1] == PORTABLE  # after theirs
    assert _commands(data, "PreToolUse") == ["my-guard farm hooks", PORTABLE]
    assert _commands(data, "SessionEnd") == ["notify-send bye", PORTABLE]
    assert "/" + "venv" not in first and str(Path(__import__("sys").executable)) not in first  # no machine path
    assert not (farm / ".claude" / "settings.local.json").exists()  # farm is on PATH: nothing local
    assert git(farm, "log", "-1", "--name-only", "--format=%s").split() == [
        "farm:", "wire", "the", "Claude", "Code", "hooks", ".claude/settings.json"]
    assert run_farm("hooks", "install", "claude").out.startswith("already installed")
    assert settings.read_text() == first
    assert run_farm("hooks", "uninstall", "claude").code == 0
    assert json.loads(settings.read_text()) == THEIRS
    assert run_farm("hooks", "uninstall", "claude").out.startswith("not installed")


def test_a_farm_not_on_path_goes_in_the_local_settings_never_the_shared_file(farm, monkeypatch):
    import sys

    from conftest import git

    _on_path(monkeypatch, False)
    result = run_farm("hooks", "install", "claude")
    assert result.code == 0 and "FARM_BIN set in" in result.out
    local = json.loads((farm / ".claude" / "settings.local.json").read_text())
    assert local == {"env": {"FARM_BIN": str(Path(sys.executable).parent / "farm")}}
    shared = (farm / ".claude" / "settings.json").read_text()
    assert "FARM_BIN\"" not in shared.replace("${FARM_BIN", "") and str(Path(sys.executable).parent) not in shared
    assert "settings.local.json" not in git(farm, "ls-files")
    assert git(farm, "check-ignore", ".claude/settings.local.json").strip() == ".claude/settings.local.json"
    doctor = {c["name"]: c for c in run_farm("doctor", "--json").json()["checks"]}
    assert doctor["Claude Code hooks (project)"]["status"] == "ok"
    assert str(Path(sys.executable).parent / "farm") in doctor["Claude Code hooks (project)"]["detail"]
    assert run_farm("hooks", "uninstall", "claude").code == 0
    assert json.loads((farm / ".claude" / "settings.local.json").read_text()) == {}


def test_an_old_farm_entry_with_a_machine_path_is_replaced(farm, monkeypatch):
    _on_path(monkeypatch, True)
    settings = farm / ".claude" / "settings.json"
    settings.parent.mkdir()
    old = {"hooks": {"SessionEnd": [{"hooks": [
        {"type": "command", "command": "/old/venv/bin/python -m farm sessions import --from-hook || true", "timeout": 60}]}]}}
    settings.write_text(json.dumps(old))
    doctor = run_farm("doctor", "--json")
    check = next(c for c in doctor.json()["checks"] if c["name"] == "Claude Code hooks (project)")
    assert doctor.code == 1 and check["status"] == "fail" and "older farm command" in check["detail"]
    assert run_farm("hooks", "install", "claude").code == 0
    data = json.loads(settings.read_text())
    assert _commands(data, "SessionEnd") == [PORTABLE]
    check = next(c for c in run_farm("doctor", "--json").json()["checks"] if c["name"] == "Claude Code hooks (project)")
    assert check["status"] == "ok", check


def test_user_install_honours_claude_config_dir_and_keeps_a_symlink(farm, isolated_env, monkeypatch, tmp_path):
    _on_path(monkeypatch, True)
    config = tmp_path / "elsewhere"
    dotfiles = tmp_path / "dotfiles"
    config.mkdir()
    dotfiles.mkdir()
    (dotfiles / "claude.json").write_text(json.dumps({"theme": "dark"}))
    (config / "settings.json").symlink_to(dotfiles / "claude.json")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{config},{tmp_path / 'second'}")
    assert run_farm("hooks", "install", "claude", "--user").code == 0
    assert (config / "settings.json").is_symlink()
    data = json.loads((dotfiles / "claude.json").read_text())
    assert data["theme"] == "dark" and _commands(data, "UserPromptSubmit") == [PORTABLE]
    assert not (isolated_env / ".claude" / "settings.json").exists()
    assert not (farm / ".claude").exists()
    assert run_farm("hooks", "uninstall", "claude", "--user").code == 0
    assert json.loads((dotfiles / "claude.json").read_text()) == {"theme": "dark"}
    assert (config / "settings.json").is_symlink()


def test_a_settings_symlink_out_of_the_repo_is_refused(farm, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (farm / ".claude").symlink_to(outside)
    result = run_farm("hooks", "install", "claude")
    assert result.code == 2 and "outside the repository" in result.err
    assert list(outside.iterdir()) == []


def test_broken_settings_are_left_alone(farm):
    settings = farm / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{not json")
    result = run_farm("hooks", "install", "claude")
    assert result.code != 0 and "not valid JSON" in result.err and "Traceback" not in result.err
    assert settings.read_text() == "{not json"


def test_the_installed_command_runs_farm_and_a_missing_farm_is_silent(rules_farm_for_command, monkeypatch):
    """The exact command written to settings.json, run by sh as Claude Code does."""
    import subprocess
    import sys

    repo = rules_farm_for_command
    call = json.dumps({"session_id": "s", "transcript_path": "/none.jsonl", "cwd": str(repo),
                       "hook_event_name": "PreToolUse", "tool_name": "Bash",
                       "tool_input": {"command": "rm -rf /tmp/x"}, "tool_use_id": "toolu_1"})
    env = dict(__import__("os").environ, FARM_BIN=str(Path(sys.executable).parent / "farm"))
    ran = subprocess.run(["sh", "-c", PORTABLE], input=call, capture_output=True, text=True, cwd=repo, env=env)
    assert ran.returncode == 0 and json.loads(ran.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    env.update(FARM_BIN="farm", PATH="/nonexistent")
    missing = subprocess.run(["/bin/sh", "-c", PORTABLE], input=call, capture_output=True, text=True, cwd=repo, env=env)
    assert (missing.returncode, missing.stdout, missing.stderr) == (0, "", "")


@pytest.fixture
def rules_farm_for_command(farm):
    from conftest import capture

    assert capture("--guard-tool", "Bash", "--guard-pattern", r"rm\s+-rf", kind="guard", title="Agent wiped a folder",
                   what="The agent ran rm -rf on the build folder.", rule="Never rm -rf; move to a trash folder.").code == 0
    return farm


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


def test_hooks_install_over_a_pipe_where_the_settings_belong_is_one_line(farm):
    """attack round 2: a FIFO .claude/settings.json hung `farm hooks install claude`."""
    import os
    import subprocess
    import sys

    (farm / ".claude").mkdir(exist_ok=True)
    os.mkfifo(farm / ".claude" / "settings.json")
    done = subprocess.run([sys.executable, "-m", "farm", "hooks", "install", "claude"], cwd=farm,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "settings.json" in done.stderr and "Traceback" not in done.stderr
