"""`farm hooks run claude`: rules served, guards, budgets, the stop rule, never a broken session.

Each test feeds the JSON Claude Code really sends to the real entry point, as a process
(`python -m farm hooks run claude`, what the installed command runs) or in-process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import capture, git, run_farm
from hookkit import append_calls, bash, cost_of, event, run_hook, transcript

MIGRATION = dict(title="Migration dropped the users table",
                 what="Asked to rename a column, the agent wrote a migration that dropped and recreated the users table, losing its rows.",
                 rule="A migration that renames a column uses ALTER TABLE RENAME COLUMN, never drop and recreate.")
PUSH = ("--guard-tool", "Bash", "--guard-pattern", r"git\s+push\s+.*(--force|-f)\b")


@pytest.fixture
def rules_farm(farm):
    """A farm with a prompt correction and a guard, committed."""
    assert capture(**MIGRATION).code == 0
    result = capture(*PUSH, title="Agent force-pushed over main", kind="guard",
                     what="The agent ran git push --force origin main and erased a teammate's commits.",
                     rule="Never force-push a shared branch; push a new branch instead.")
    assert result.code == 0, result.err
    return farm


def _ids(farm: Path) -> dict[str, str]:
    return {p.stem.rsplit("-", 1)[0]: p.stem for p in (farm / "corrections").glob("*.md")}


def _out(proc) -> dict | None:
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def _log() -> str:
    path = Path(os.environ["FARM_HOME"]) / "hook.log"
    return path.read_text() if path.exists() else ""


def test_a_relevant_prompt_is_served_its_rule_with_the_id_and_an_unrelated_one_nothing(rules_farm):
    migration = _ids(rules_farm)["migration-dropped-the-users-table"]
    prompt = event("UserPromptSubmit", rules_farm, prompt="Rename the email column of the users table in a new migration")
    out = _out(run_hook(prompt, rules_farm))
    context = out["hookSpecificOutput"]
    assert context["hookEventName"] == "UserPromptSubmit"
    assert f"[farm:{migration}]" in context["additionalContext"] and "ALTER TABLE RENAME COLUMN" in context["additionalContext"]
    unrelated = event("UserPromptSubmit", rules_farm, session_id="other", prompt="Write a haiku about autumn leaves")
    assert _out(run_hook(unrelated, rules_farm)) is None
    # already in this session's context: not served twice
    assert _out(run_hook(prompt, rules_farm)) is None


def test_served_rules_are_recorded_and_reach_the_committed_session_summary(rules_farm, isolated_env):
    migration = _ids(rules_farm)["migration-dropped-the-users-table"]
    sid = "11111111-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", rules_farm, sid, [1000])
    prompt = event("UserPromptSubmit", rules_farm, session_id=sid, transcript=path,
                   prompt="Add a migration that renames the users column")
    assert run_farm("hooks", "run", "claude", input=json.dumps(prompt)).code == 0  # in-process, through click
    end = event("SessionEnd", rules_farm, session_id=sid, transcript=path, reason="exit")
    assert _out(run_hook(end, rules_farm)) is None
    summary = json.loads((rules_farm / "corrections" / "log" / "sessions" / f"claude-{sid}.json").read_text())
    assert summary["served"] == [migration]
    from farm.hooks.live import live_path, prune, served_ids

    old = live_path("claude", "long-gone")
    old.write_text("{}")
    os.utime(old, (0, 0))
    assert prune() == 1 and not old.exists() and served_ids("claude", sid) == [migration]
    assert "Add a migration" not in json.dumps(summary)  # still no prompt text


def test_session_start_serves_rules_for_the_branch_and_again_after_a_compact(rules_farm):
    migration = _ids(rules_farm)["migration-dropped-the-users-table"]
    git(rules_farm, "checkout", "-q", "-b", "rename-users-table-column-migration")
    start = event("SessionStart", rules_farm, source="startup")
    out = _out(run_hook(start, rules_farm))
    assert out["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert migration in out["hookSpecificOutput"]["additionalContext"]
    assert _out(run_hook(dict(start, source="resume"), rules_farm)) is None  # still in context
    assert migration in _out(run_hook(dict(start, source="compact"), rules_farm))["hookSpecificOutput"]["additionalContext"]


def test_a_guard_denies_the_call_with_the_rule_and_records_one_catch(rules_farm):
    guard = _ids(rules_farm)["agent-force-pushed-over-main"]
    call = bash(rules_farm, "git push --force origin main")
    out = _out(run_hook(call, rules_farm))["hookSpecificOutput"]
    assert out == {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                   "permissionDecisionReason": f"farm guard ({guard}): Never force-push a shared branch; push a new branch instead."}
    assert _out(run_hook(call, rules_farm)) is not None  # the same call again: denied again, one catch
    assert _out(run_hook(bash(rules_farm, "git push origin my-branch"), rules_farm)) is None
    catches = _wait_for(lambda: list((rules_farm / "corrections" / "log").rglob("*-catch-*.json")))
    _wait_for(lambda: not list(_pending(rules_farm)))
    catches = list((rules_farm / "corrections" / "log").rglob("*-catch-*.json"))
    assert len(catches) == 1
    data = json.loads(catches[0].read_text())
    assert data["correction"] == guard and data["data"]["subject"] == "git push --force origin main"
    status = {c["id"]: c for c in run_farm("status", "--json").json()["corrections"]}
    assert status[guard]["catches"] == 1


def _pending(farm: Path):
    from farm.hooks.pending import queue_dir

    return queue_dir(farm).glob("*.json")


def _wait_for(probe, seconds: float = 60):
    """Wait for a background process's work (not a timing assertion: it fails only if it never happens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the background work never happened")


def test_a_catch_waits_while_the_lock_is_held_and_the_hook_does_not(rules_farm):
    from filelock import FileLock

    from farm.hooks.pending import fold

    lock = FileLock(str(rules_farm / ".git" / "farm.lock"))
    with lock:
        proc = run_hook(bash(rules_farm, "git push -f origin main"), rules_farm)
        assert _out(proc)["hookSpecificOutput"]["permissionDecision"] == "deny"
        assert list(_pending(rules_farm))  # kept locally
        assert not list((rules_farm / "corrections" / "log").rglob("*-catch-*.json"))
    _wait_for(lambda: list((rules_farm / "corrections" / "log").rglob("*-catch-*.json")))
    assert fold(rules_farm) == []  # folded once, nothing left


def test_an_ask_guard_asks_and_tools_match_their_own_field(farm):
    result = capture("--guard-tool", "Edit", "--guard-tool", "WebFetch", "--guard-pattern", r"(^|/)\.env$",
                     "--guard-pattern", r"^http://", "--guard-decision", "ask", kind="guard",
                     title="Agent edited the env file", what="The agent wrote secrets into .env by hand.",
                     rule="Ask before editing .env or fetching plain http.")
    assert result.code == 0, result.err
    edit = event("PreToolUse", farm, tool_name="Edit", tool_use_id="toolu_e",
                 tool_input={"file_path": str(farm / ".env"), "old_string": "a", "new_string": "b"})
    assert _out(run_hook(edit, farm))["hookSpecificOutput"]["permissionDecision"] == "ask"
    fetch = event("PreToolUse", farm, tool_name="WebFetch", tool_use_id="toolu_f",
                  tool_input={"url": "http://example.com", "prompt": "read"})
    assert _out(run_hook(fetch, farm))["hookSpecificOutput"]["permissionDecision"] == "ask"
    other = event("PreToolUse", farm, tool_name="Edit", tool_use_id="toolu_g",
                  tool_input={"file_path": str(farm / "env.py"), "old_string": "a", "new_string": "b"})
    assert _out(run_hook(other, farm)) is None
    bash_env = bash(farm, "cat .env")  # the Edit pattern is not for Bash
    assert _out(run_hook(bash_env, farm)) is None


def test_a_retired_guard_no_longer_fires(rules_farm):
    guard = _ids(rules_farm)["agent-force-pushed-over-main"]
    call = bash(rules_farm, "git push --force origin main")
    assert _out(run_hook(call, rules_farm)) is not None
    assert run_farm("retire", guard, "--why", "branch protection does it now").code == 0
    assert _out(run_hook(call, rules_farm)) is None


@pytest.mark.parametrize("payload", ["not json", "[]", "", json.dumps({"hook_event_name": "PreToolUse"})])
def test_garbage_input_is_a_silent_allow(rules_farm, payload):
    assert _out(run_hook(payload, rules_farm)) is None


def test_a_broken_farm_or_no_farm_is_a_silent_allow_with_a_log_line(rules_farm, tmp_path):
    call = bash(rules_farm, "git push --force origin main")
    (rules_farm / "farm.toml").write_text("record_sessions = [broken\n")
    assert _out(run_hook(call, rules_farm)) is None
    assert "not valid TOML" in _log()
    plain = tmp_path / "plain"
    plain.mkdir()
    git(plain, "init", "-q")
    assert _out(run_hook(dict(call, cwd=str(plain)), plain)) is None
    assert _out(run_hook(dict(call, cwd=str(tmp_path / "gone")), tmp_path)) is None


def test_a_broken_guard_file_is_skipped_and_the_others_still_guard(rules_farm):
    (rules_farm / "corrections" / "guards" / "broken-000000.yml").write_text("correction: x\nmatch: [unclosed\n")
    out = _out(run_hook(bash(rules_farm, "git push --force origin main"), rules_farm))
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_guard_capture_refuses_bad_patterns_and_unpaired_flags(farm):
    bad = capture("--guard-tool", "Bash", "--guard-pattern", "(unclosed", kind="guard")
    assert bad.code == 2 and "not a valid RE2 pattern" in bad.err and "Traceback" not in bad.err
    backref = capture("--guard-tool", "Bash", "--guard-pattern", r"(a)\1", kind="guard")
    assert backref.code == 2 and "RE2" in backref.err  # a Python regex RE2 refuses: it could run forever
    unpaired = capture("--guard-tool", "Bash", "--guard-tool", "Edit", "--guard-tool", "Read",
                       "--guard-pattern", "a", "--guard-pattern", "b", kind="guard")
    assert unpaired.code == 2 and "3 --guard-tool for 2 --guard-pattern" in unpaired.err
    assert capture(kind="guard").code == 2
    assert not (farm / "corrections" / "guards").exists()


# --- budgets and the stop rule -----------------------------------------------------------


def _history(isolated_env, repo: Path, sessions: list[list[int]], loops: tuple[int, ...] = ()) -> None:
    """Imported sessions of task type bug fix (branch fix/…), session n on day n + 1, each
    with these calls (fresh input tokens; under 200k each, so no long-context tier applies);
    the sessions in `loops` made a commit."""
    logs = isolated_env / "history"
    for n, calls in enumerate(sessions):
        transcript(logs, repo, f"00000000-0000-4000-8000-{n:012d}", calls, branch=f"fix/bug-{n}", day=n + 1)
        if n in loops:
            when = f"2026-11-{n + 1:02d}T10:01:00Z"  # after its last response, within the grace
            (repo / f"work-{n}.txt").write_text("done\n")
            git(repo, "add", f"work-{n}.txt")
            subprocess.run(["git", "commit", "-q", "-m", f"fix bug {n}"], cwd=repo, check=True,
                           env={**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
    assert run_farm("sessions", "import", "--claude-dir", str(logs / "projects")).code == 0


def test_budget_reports_p50_p90_per_task_type_and_the_cap(farm, isolated_env):
    _history(isolated_env, farm, [[100_000] * k for k in range(1, 11)], loops=(2, 6))
    (farm / "farm.toml").write_text('record_sessions = false\nsession_budget_usd = 5.0\n[task_budgets_usd]\n"bug fix" = 2.5\n')
    report = run_farm("budget", "--json").json()
    bug = next(r for r in report["task_types"] if r["task_type"] == "bug fix")
    costs = sorted(cost_of([100_000] * k) for k in range(1, 11))
    assert bug["sessions"] == 10 and bug["p50_usd"] == pytest.approx((costs[4] + costs[5]) / 2)
    assert costs[8] <= bug["p90_usd"] <= costs[9]
    assert bug["loops"] == 2 and bug["loop_p50_usd"] == pytest.approx((costs[2] + costs[6]) / 2)
    assert bug["cost_per_loop_usd"] == pytest.approx(sum(costs) / 2)  # all spend over the loops (seed 003)
    assert bug["cap_usd"] == 2.5 and bug["cap_source"] == 'task_budgets_usd."bug fix"'
    assert report["all"]["cap_usd"] == 5.0 and report["source"]["sessions"] == 10
    text = run_farm("budget")
    assert text.code == 0 and "bug fix" in text.out and "$2.50" in text.out


def test_past_the_cap_the_next_prompt_is_refused_with_cost_and_budget(farm, isolated_env):
    (farm / "farm.toml").write_text("session_budget_usd = 1.0\n")
    sid = "22222222-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", farm, sid, [100_000])  # $0.30
    prompt = event("UserPromptSubmit", farm, session_id=sid, transcript=path, prompt="go on")
    assert _out(run_hook(prompt, farm)) is None
    append_calls(path, farm, sid, [150_000, 150_000])  # $1.20 in all
    out = _out(run_hook(prompt, farm))
    assert out["decision"] == "block"
    assert "$1.20" in out["reason"] and "$1.00" in out["reason"] and "session_budget_usd" in out["reason"]
    stop = _out(run_hook(bash(farm, "ls", session_id=sid, transcript=path), farm))
    assert stop["continue"] is False and "$1.20" in stop["stopReason"]
    assert stop["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_past_p90_the_session_is_warned_once(farm, isolated_env):
    _history(isolated_env, farm, [[100_000]] * 9 + [[100_000, 100_000]])  # p90 about $0.33
    assert run_farm("budget", "--json").code == 0
    sid = "33333333-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", farm, sid, [100_000], branch="fix/login")
    prompt = event("UserPromptSubmit", farm, session_id=sid, transcript=path, prompt="next step")
    assert _out(run_hook(prompt, farm)) is None
    append_calls(path, farm, sid, [150_000, 150_000], branch="fix/login")
    warned = _out(run_hook(prompt, farm))
    assert "more than 9 in 10 of a bug fix session" in warned["systemMessage"]
    assert warned["hookSpecificOutput"]["additionalContext"].endswith(warned["systemMessage"])
    assert _out(run_hook(prompt, farm)) is None  # once
    stop = event("Stop", farm, session_id=sid, transcript=path, stop_hook_active=False)
    assert _out(run_hook(stop, farm)) is None  # already warned; and Stop never blocks


def test_stop_warns_but_never_blocks(farm, isolated_env):
    (farm / "farm.toml").write_text("session_budget_usd = 0.5\n")
    sid = "44444444-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", farm, sid, [150_000, 150_000])  # $0.90
    stop = event("Stop", farm, session_id=sid, transcript=path, stop_hook_active=False)
    out = _out(run_hook(stop, farm))
    assert "decision" not in out and "$0.90" in out["systemMessage"]
    assert _out(run_hook(stop, farm)) is None  # said once
    assert _out(run_hook(dict(stop, stop_hook_active=True), farm)) is None


def test_the_transcript_is_read_incrementally_and_a_response_counts_once(farm, isolated_env):
    from farm.hooks.live import read_transcript, session_state

    sid = "55555555-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", farm, sid, [100_000, 200_000])
    with session_state("claude", sid) as live:
        read_transcript(live, path, {})
        assert live.cost_usd == pytest.approx(cost_of([100_000, 200_000]))
        first = dict(live.data["offsets"])
    assert first[str(path)] == path.stat().st_size
    append_calls(path, farm, sid, [50_000])
    with session_state("claude", sid) as live:
        read_transcript(live, path, {})
        read_transcript(live, path, {})  # nothing new: nothing added
        assert live.cost_usd == pytest.approx(cost_of([100_000, 200_000, 50_000]))
        assert len(live.data["calls"]) == 3
    # a line half written when the hook ran is read whole the next time
    with open(path, "a") as fh:
        fh.write('{"type":"assistant","message":{"id":"m')
    with session_state("claude", sid) as live:
        read_transcript(live, path, {})
        before = live.data["offsets"][str(path)]
    assert before < path.stat().st_size
    subagent = path.with_suffix("") / "subagents" / "agent-a1.jsonl"
    subagent.parent.mkdir(parents=True)
    path.write_bytes(path.read_bytes()[:before])
    append_calls(subagent, farm, sid, [10_000])
    with session_state("claude", sid) as live:
        read_transcript(live, path, {})
        assert live.cost_usd == pytest.approx(cost_of([100_000, 200_000, 50_000, 10_000]))


# --- statusline ----------------------------------------------------------------------------


def _statusline(repo: Path, *args: str, **fields):
    data = {"session_id": "66666666-2222-4333-8444-555555555555", "transcript_path": str(repo / "none.jsonl"),
            "cwd": str(repo), "model": {"id": "claude-sonnet-4-5-20250929", "display_name": "Sonnet 4.5"},
            "workspace": {"current_dir": str(repo), "project_dir": str(repo)},
            "cost": {"total_cost_usd": 0.42, "total_duration_ms": 1000}, **fields}
    return run_farm("statusline", *args, input=json.dumps(data))


def test_statusline_shows_cost_usual_budget_left_and_rules(rules_farm, isolated_env):
    _history(isolated_env, rules_farm, [[100_000]] * 6)
    assert run_farm("budget", "--json").code == 0
    (rules_farm / "farm.toml").write_text("session_budget_usd = 2.0\n")
    sid = "66666666-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", rules_farm, sid, [200_000], branch="fix/x")
    result = _statusline(rules_farm, transcript_path=str(path))
    assert result.code == 0
    assert result.out == "farm $0.42 · bug fix usual $0.30 · $1.58 left · 2 rules, 1 guards\n"
    assert "\x1b[" in _statusline(rules_farm, "--color", transcript_path=str(path)).out
    no_cost = _statusline(rules_farm, transcript_path=str(path), cost={})
    assert no_cost.out.startswith(f"farm ${cost_of([200_000]):.2f} · bug fix usual $0.30 · ")  # from the transcript


def test_statusline_outside_a_farm_prints_an_empty_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = {"session_id": "s", "cwd": str(tmp_path), "workspace": {"current_dir": str(tmp_path)}}
    proc = run_hook(data, tmp_path)  # not a hook event: silent
    assert proc.stdout == ""
    assert run_farm("statusline", input=json.dumps(data)).out == "\n"
    assert run_farm("statusline", input="garbage").out == "\n"


# --- Codex ---------------------------------------------------------------------------------


def test_codex_gets_the_same_guard(rules_farm):
    call = event("PreToolUse", rules_farm, tool_name="Bash", tool_use_id="call_1",
                 tool_input={"command": "git push --force origin main"})
    out = _out(run_hook(call, rules_farm, agent="codex"))
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"


# --- a guard is a real artifact: seeded and on the site ------------------------------------


def test_a_guard_is_seeded_with_its_rule_file_and_guards_the_target(rules_farm, tmp_path):
    guard = _ids(rules_farm)["agent-force-pushed-over-main"]
    target = tmp_path / "target"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    (target / "README.md").write_text("# target\n")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "target")
    result = run_farm("seed", str(target))
    assert result.code == 0, result.err
    assert (target / "corrections" / "guards" / f"{guard}.yml").read_text() == \
        (rules_farm / "corrections" / "guards" / f"{guard}.yml").read_text()
    out = _out(run_hook(bash(target, "git push --force origin main"), target))
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_a_guard_shows_on_the_site_with_its_rule_file(rules_farm):
    guard = _ids(rules_farm)["agent-force-pushed-over-main"]
    result = run_farm("site", "build", "--json")
    assert result.code == 0, result.err
    page = (rules_farm / "site" / "corrections" / f"{guard}.html").read_text(encoding="utf-8")
    assert f"corrections/guards/{guard}.yml" in page and "git\\s+push" in page
    kinds = (rules_farm / "site" / "kinds.html").read_text(encoding="utf-8")
    assert "the PreToolUse hook enforces" in kinds


def test_codex_session_end_imports_in_the_background(rules_farm, tmp_path):
    import shutil

    source = Path(__file__).parent / "data" / "logs" / "codex" / "sessions" / "2025" / "06" / "01"
    rollout = tmp_path / "codex" / "rollout-2025-06-01T12-00-00-019a0000-0000-7000-8000-0000000000c1.jsonl"
    rollout.parent.mkdir()
    shutil.copy(source / rollout.name, rollout)
    end = event("SessionEnd", rules_farm, session_id="019a0000-0000-7000-8000-0000000000c1", transcript=rollout,
                reason="exit")
    assert _out(run_hook(end, rules_farm, agent="codex")) is None  # returns at once; the import runs detached
    listed = _wait_for(lambda: run_farm("sessions", "list", "--json").json()["sessions"])
    assert [s["agent"] for s in listed] == ["codex"]


def test_a_secret_in_a_guarded_command_never_reaches_the_repo(rules_farm):
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    call = bash(rules_farm, f"git push --force https://x:{token}@github.com/me/repo main")
    assert _out(run_hook(call, rules_farm))["hookSpecificOutput"]["permissionDecision"] == "deny"
    catches = _wait_for(lambda: list((rules_farm / "corrections" / "log").rglob("*-catch-*.json")))
    _wait_for(lambda: not list(_pending(rules_farm)))
    text = catches[0].read_text()
    assert token not in text and "git push --force" in text


def test_a_big_farm_rebuilds_its_rule_book_in_the_background_and_serves_the_old_one_meanwhile(rules_farm, monkeypatch):
    from farm.hooks import rules
    from farm.hooks.runtime import find_farm

    farm = find_farm(rules_farm)
    before = rules.load_rulebook(farm)
    assert len(before.guards) == 1
    monkeypatch.setattr(rules, "SYNC_LIMIT", 1)  # this farm now counts as big
    assert capture("--guard-tool", "Read", "--guard-pattern", r"id_rsa$", kind="guard", title="Agent read a private key",
                   what="The agent read ~/.ssh/id_rsa.", rule="Never read private keys.").code == 0
    stale = rules.load_rulebook(find_farm(rules_farm))
    assert len(stale.guards) == 1  # the previous book, at once; the new one is being built
    fresh = _wait_for(lambda: (b := rules.load_rulebook(find_farm(rules_farm))) and len(b.guards) == 2 and b)
    assert {g.correction for g in fresh.guards} >= {g.correction for g in before.guards}


def test_guard_tools_are_names_or_globs_and_other_tools_match_their_whole_input():
    from farm.hooks.guards import Guard, first_hit

    mcp = Guard("c1", "No prod database.", "deny", (("mcp__*", r"prod-db"),))
    bash_ask = Guard("c2", "Careful.", "ask", (("Bash", r"prod-db"),))
    bash_deny = Guard("c3", "Never.", "deny", (("Bash", r"prod-db"),))
    hit = first_hit([mcp], "mcp__postgres__query", {"sql": "select 1", "target": "prod-db"})
    assert hit is not None and hit.guard.correction == "c1"
    assert first_hit([mcp], "Bash", {"command": "psql prod-db"}) is None
    assert first_hit([bash_ask, bash_deny], "Bash", {"command": "psql prod-db"}).guard.decision == "deny"
    assert first_hit([bash_ask], "Bash", "not a mapping") is None


def test_the_hook_path_loads_no_click_sqlmodel_gitpython_or_yaml(rules_farm):
    """Speed is measured in bench/bench_hooks.py; here, that the heavy libraries stay out."""
    import subprocess
    import sys

    heavy = ("click", "sqlmodel", "sqlalchemy", "git", "jinja2", "yaml", "rich", "genai_prices", "wordfreq")
    probe = (
        "import io, json, sys\n"
        "from farm.hooks.fast import run_hook\n"
        "out = io.StringIO()\n"
        "run_hook('claude', io.StringIO(sys.argv[1]), out)\n"
        f"print(json.dumps([out.getvalue(), sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})]))\n"
    )
    prompt = event("UserPromptSubmit", rules_farm, prompt="Rename a column of the users table in a migration")
    answers = []
    for payload in (prompt, bash(rules_farm, "git push --force origin main"), bash(rules_farm, "ls")):
        run_hook(payload, rules_farm)  # the first run may build the rule book
        done = subprocess.run([sys.executable, "-c", probe, json.dumps(dict(payload, session_id="fresh"))],
                              cwd=rules_farm, capture_output=True, text=True, check=True)
        answered, loaded = json.loads(done.stdout)
        assert loaded == [], loaded
        answers.append(answered)
    assert "additionalContext" in answers[0] and '"deny"' in answers[1] and answers[2] == ""


RELEVANT = {  # prompt -> the demo correction it should be served (id prefix)
    "the tests are failing, make CI green": "agent-deletes-failing-tests",
    "create a new database migration adding an index": "migration-added-without-its-down-step",
    "convert this file's line endings": "edits-convert-crlf-files-to-lf",
    "Draft a blog post about our release, keep the main point": "draft-drops-the-stated-takeaway",
}
UNRELATED = ["Write a haiku about autumn leaves", "What is the capital of France?", "Explain what this regex does",
             "Fix the typo in the footer", "Update the README with install steps", "Please refactor the login handler"]


def test_on_the_demo_farm_each_prompt_gets_its_rule_and_unrelated_prompts_get_none(tmp_path, monkeypatch):
    """The serving threshold (serve_min_score) was set by hand on these prompts: a check that it
    still separates them, not a measure of how well it does on a real farm."""
    from farm.demo import build_demo

    root = tmp_path / "demo"
    build_demo(root)
    monkeypatch.chdir(root)
    for n, (prompt, wanted) in enumerate(RELEVANT.items()):
        out = _out(run_hook(event("UserPromptSubmit", root, session_id=f"r{n}", prompt=prompt), root))
        served = re.findall(r"\[farm:([a-z0-9-]+)\]", out["hookSpecificOutput"]["additionalContext"])
        assert served[0].startswith(wanted), (prompt, served)
    for n, prompt in enumerate(UNRELATED):
        assert _out(run_hook(event("UserPromptSubmit", root, session_id=f"u{n}", prompt=prompt), root)) is None, prompt


def test_a_huge_prompt_is_matched_on_its_head_only(rules_farm):
    ask = "Rename the email column of the users table in a new migration."
    assert _out(run_hook(event("UserPromptSubmit", rules_farm, session_id="a", prompt=ask), rules_farm)) is not None
    pasted = "Here is the build output:\n" + "step 17 of 90 compiled fine\n" * 20_000 + ask  # 560 KB
    assert _out(run_hook(event("UserPromptSubmit", rules_farm, session_id="b", prompt=pasted), rules_farm)) is None


def test_a_burst_of_tool_calls_reads_the_transcript_once_and_a_prompt_always(farm, isolated_env):
    from farm.hooks.live import live_path

    (farm / "farm.toml").write_text("session_budget_usd = 1.0\n")
    sid = "77777777-2222-4333-8444-555555555555"
    path = transcript(isolated_env / ".claude", farm, sid, [100_000])
    call = bash(farm, "ls", session_id=sid, transcript=path)
    assert _out(run_hook(call, farm)) is None
    read = json.loads(live_path("claude", sid).read_text())["offsets"][str(path)]
    append_calls(path, farm, sid, [150_000, 150_000])  # now past the cap
    assert _out(run_hook(call, farm)) is None  # within the burst: not read again
    assert json.loads(live_path("claude", sid).read_text())["offsets"][str(path)] == read
    prompt = event("UserPromptSubmit", farm, session_id=sid, transcript=path, prompt="go on")
    assert _out(run_hook(prompt, farm))["decision"] == "block"
    assert _out(run_hook(call, farm))["continue"] is False  # the prompt's read counts for the tools too
