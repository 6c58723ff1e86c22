"""Real-shaped logs for the 2026 formats and the traps found on real logs: Codex subagent replays
re-stamped after the fork, Codex >=0.148 user turns, cache writes and service tiers, bounded
reads of hostile files. Each fixture follows the agent's documented layout (a Codex rollout is
`sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_farm

T0 = 1_780_000_000_000  # ms since the epoch: 2026-05-28


def uuid7(ms: int, tail: int = 1) -> str:
    """A UUIDv7 whose creation time is `ms` (what Codex uses for thread and turn ids)."""
    h = f"{ms:012x}"
    return f"{h[:8]}-{h[8:12]}-7000-8000-{tail:012x}"


def iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cx(ms: int, kind: str, payload: dict) -> dict:
    return {"timestamp": iso(ms), "type": kind, "payload": payload}


def counts(total, last=None, model=None) -> dict:
    def usage(v):
        out = {"input_tokens": v[0], "cached_input_tokens": v[1], "output_tokens": v[2],
               "reasoning_output_tokens": v[3], "total_tokens": v[0] + v[2]}
        if len(v) > 4:
            out["cache_write_input_tokens"] = v[4]
        return out

    info = {"total_token_usage": usage(total), "last_token_usage": usage(last or total),
            "model_context_window": 272000}
    if model:
        info["model"] = model
    return {"type": "token_count", "info": info, "rate_limits": None}


def write_rollout(codex_home: Path, thread: str, ms: int, lines: list[dict], archived: bool = False) -> Path:
    from datetime import datetime, timezone

    when = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    folder = codex_home / ("archived_sessions" if archived else f"sessions/{when:%Y/%m/%d}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rollout-{when:%Y-%m-%dT%H-%M-%S}-{thread}.jsonl"
    path.write_text("".join(json.dumps(o, separators=(",", ":")) + "\n" for o in lines))
    return path


def import_codex(codex_home: Path) -> dict:
    result = run_farm("sessions", "import", "--json", "--codex-dir", str(codex_home / "sessions"))
    assert result.code == 0, result.err
    return result.json()


def sessions_by_id() -> dict:
    return {s["session_id"]: s for s in run_farm("sessions", "list", "--json").json()["sessions"]}


def meta(thread: str, ms: int, **extra) -> dict:
    return {"id": thread, "timestamp": iso(ms), "cwd": "/work/app", "originator": "codex_cli_rs",
            "cli_version": "0.121.0", "git": {"branch": "main"}, **extra}


def parent_thread(parent: str) -> list[dict]:
    t1, t2 = uuid7(T0 + 1_000, 0xA1), uuid7(T0 + 50_000, 0xA2)
    return [
        cx(T0, "session_meta", meta(parent, T0)),
        cx(T0 + 1_000, "event_msg", {"type": "task_started", "turn_id": t1}),
        cx(T0 + 1_001, "turn_context", {"turn_id": t1, "model": "gpt-5.1-codex", "cwd": "/work/app"}),
        cx(T0 + 1_002, "event_msg", {"type": "user_message", "message": "fix the flaky login test"}),
        cx(T0 + 9_000, "event_msg", counts((300_000, 200_000, 5_000, 1_000), (300_000, 200_000, 5_000, 1_000))),
        cx(T0 + 50_000, "event_msg", {"type": "task_started", "turn_id": t2}),
        cx(T0 + 50_001, "turn_context", {"turn_id": t2, "model": "gpt-5.1-codex", "cwd": "/work/app"}),
        cx(T0 + 50_002, "event_msg", {"type": "user_message", "message": "now spawn a reviewer"}),
        cx(T0 + 59_000, "event_msg", counts((469_000, 300_000, 8_000, 2_000), (169_000, 100_000, 3_000, 1_000))),
    ]


def restamped(lines: list[dict], ms: int) -> list[dict]:
    """The replay as a subagent rollout writes it: the parent's lines, re-stamped at `ms`."""
    return [dict(o, timestamp=iso(ms + i)) for i, o in enumerate(lines)]


def without_context_turn_ids(lines: list[dict]) -> list[dict]:
    """Rollouts that name turns only in task_started, not in turn_context."""
    return [dict(o, payload={k: v for k, v in o["payload"].items() if k != "turn_id"})
            if o["type"] == "turn_context" else o for o in lines]


@pytest.mark.parametrize("named_contexts", [True, False])
def test_codex_subagent_replay_restamped_after_the_fork_is_not_counted_again(tmp_path, named_contexts):
    home = tmp_path / "codex"
    parent, child = uuid7(T0, 0xBEEF), uuid7(T0 + 100_000, 0xC41D)
    write_rollout(home, parent, T0, parent_thread(parent))
    own_turn = uuid7(T0 + 101_000, 0xC1)
    child_lines = [
        cx(T0 + 100_000, "session_meta", meta(child, T0 + 100_000, parent_thread_id=parent,
                                              source={"subagent": {"thread_spawn": {"parent_thread_id": parent}}})),
        *restamped(parent_thread(parent), T0 + 100_010),  # turn_context lines included, stamped after creation
        cx(T0 + 101_000, "event_msg", {"type": "task_started", "turn_id": own_turn}),
        cx(T0 + 101_001, "turn_context", {"turn_id": own_turn, "model": "gpt-5-codex-mini", "cwd": "/work/app"}),
        cx(T0 + 101_002, "event_msg", {"type": "user_message", "message": "review the diff"}),
        cx(T0 + 109_000, "event_msg", counts((489_000, 310_000, 8_400, 2_100), (20_000, 10_000, 400, 100))),
        cx(T0 + 110_000, "compacted", {"message": "summary of the review so far"}),
    ]
    child_lines.insert(3, cx(T0 + 100_003, "compacted", {"message": "the parent's compaction, replayed"}))
    child_path = write_rollout(home, child, T0 + 100_000,
                               child_lines if named_contexts else without_context_turn_ids(child_lines))
    from farm.sessions import read_session

    alone = read_session(child_path)  # what `capture --session` reads: the subagent's own spend
    assert alone.models == ["gpt-5-codex-mini"] and alone.usage.input_tokens == 10_000
    report = import_codex(home)
    mini = report["models"]["gpt-5-codex-mini"]
    # only the child's own growth: 20k input (10k cached), 400 output (100 reasoning)
    assert (mini["input_tokens"], mini["cache_read_tokens"], mini["output_tokens"], mini["reasoning_tokens"]) == (
        10_000, 10_000, 300, 100)
    full = report["models"]["gpt-5.1-codex"]
    assert (full["input_tokens"], full["cache_read_tokens"]) == (169_000, 300_000)  # the parent, once
    by_id = sessions_by_id()
    assert by_id[child]["models"] == ["gpt-5-codex-mini"]
    assert by_id[child]["turns"] == 1
    assert by_id[parent]["turns"] == 2
    assert run_farm("sessions", "show", child, "--json").json()["compactions"] == 1  # its own, not the replayed


def test_fork_without_turn_ids_still_ends_its_replay_at_its_creation_time(tmp_path):
    home = tmp_path / "codex"
    parent, fork = uuid7(T0, 1), uuid7(T0 + 100_000, 2)
    old = [{k: v for k, v in o.items()} for o in parent_thread(parent)]
    for o in old:
        o["payload"] = {k: v for k, v in o["payload"].items() if k != "turn_id"}
    old = [o for o in old if o["payload"].get("type") != "task_started"]
    write_rollout(home, fork, T0 + 100_000, [
        cx(T0 + 100_000, "session_meta", meta(fork, T0 + 100_000, forked_from_id=parent)),
        *old,  # original stamps, before the fork
        cx(T0 + 100_001, "turn_context", {"model": "gpt-5.1-codex"}),
        cx(T0 + 100_002, "event_msg", {"type": "user_message", "message": "continue"}),
        cx(T0 + 109_000, "event_msg", counts((470_000, 300_000, 8_100, 2_000))),
    ])
    model = import_codex(home)["models"]["gpt-5.1-codex"]
    assert (model["input_tokens"], model["output_tokens"]) == (1_000, 100)
    assert sessions_by_id()[fork]["turns"] == 1


def new_schema_rollout(thread: str, with_turns: bool = True) -> list[dict]:
    """Codex >=0.148: user turns only as response_item messages (plus injected context)."""
    turn = uuid7(T0 + 1_000, 7)
    lines = [
        cx(T0, "session_meta", meta(thread, T0, cli_version="0.151.2")),
        cx(T0 + 1, "response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "# AGENTS.md instructions for /work/app\n\nUse tabs."}]}),
        cx(T0 + 2, "response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "<environment_context>\n  <cwd>/work/app</cwd>\n</environment_context>"}]}),
        cx(T0 + 1_000, "event_msg", {"type": "task_started", "turn_id": turn}),
        cx(T0 + 1_001, "turn_context", {"turn_id": turn, "model": "gpt-5.6-sol", "cwd": "/work/app"}),
    ]
    if with_turns:
        lines.append(cx(T0 + 1_002, "response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "fix the crash when the config file is empty"}]}))
    lines += [
        cx(T0 + 1_003, "event_msg", {"type": "item_completed", "item": {"type": "agent_message", "text": "done"}}),
        cx(T0 + 5_000, "event_msg", counts((10_000, 6_000, 500, 100, 2_000), model="gpt-5.6-sol")),
    ]
    return lines


def test_codex_new_schema_turns_prompt_and_cache_writes(tmp_path):
    home = tmp_path / "codex"
    thread = uuid7(T0, 0x148)
    write_rollout(home, thread, T0, new_schema_rollout(thread))
    report = import_codex(home)
    assert report["warnings"] == {}
    model = report["models"]["gpt-5.6-sol"]
    # input 10000 = 2000 fresh + 6000 cached + 2000 cache write (GPT-5.6 explicit caching)
    assert (model["input_tokens"], model["cache_read_tokens"], model["cache_write_5m_tokens"]) == (2_000, 6_000, 2_000)
    # GPT-5.6 bills cache writes at 1.25x input: $5 fresh, $0.5 cached, $6.25 written, $30 output
    assert model["cost_usd"] == pytest.approx((2_000 * 5 + 6_000 * 0.5 + 2_000 * 6.25 + 500 * 30) / 1e6, abs=1e-9)
    session = sessions_by_id()[thread]
    assert session["turns"] == 1 and session["task_type"] == "bug fix"


def test_codex_usage_without_recognised_turns_is_a_warning(tmp_path):
    home = tmp_path / "codex"
    thread = uuid7(T0, 0x149)
    write_rollout(home, thread, T0, new_schema_rollout(thread, with_turns=False))
    result = run_farm("sessions", "import", "--codex-dir", str(home / "sessions"))
    assert result.code == 0
    assert "warning: 1 file(s): Codex rollout with usage but no user turns" in result.err
    report = import_codex(home)  # unchanged file: not warned again
    assert report["warnings"] == {}


def test_old_codex_files_count_each_turn_once_though_both_shapes_are_written(tmp_path):
    home = tmp_path / "codex"
    thread = uuid7(T0, 0x46)
    write_rollout(home, thread, T0, [
        cx(T0, "session_meta", meta(thread, T0, cli_version="0.46.0")),
        cx(T0 + 1, "response_item", {"type": "message", "role": "user",
                                     "content": [{"type": "input_text", "text": "what is 2+2?"}]}),
        cx(T0 + 2, "event_msg", {"type": "user_message", "message": "what is 2+2?", "kind": "plain"}),
        cx(T0 + 3, "turn_context", {"model": "gpt-5-codex"}),
        cx(T0 + 9, "event_msg", counts((100, 0, 10, 0))),
    ])
    import_codex(home)
    assert sessions_by_id()[thread]["turns"] == 1


# --- bounded reads ------------------------------------------------------------------------------


def good_claude_line(sid: str) -> str:
    return json.dumps({
        "type": "assistant", "sessionId": sid, "requestId": "req_1", "timestamp": "2026-05-01T10:00:00.000Z",
        "cwd": "/work/app", "message": {"id": "msg_1", "model": "claude-sonnet-4-5-20250929", "content": [],
                                        "usage": {"input_tokens": 7, "output_tokens": 3}}}, separators=(",", ":")) + "\n"


@pytest.fixture
def small_limits(monkeypatch):
    """The read limits scaled down so the hostile files stay small in a test."""
    from farm.sessions import lines

    monkeypatch.setattr(lines, "MAX_LINE", 1024 * 1024)
    monkeypatch.setattr(lines, "WHOLE", 256 * 1024)
    monkeypatch.setattr(lines, "CHUNK", 64 * 1024)
    monkeypatch.setattr(lines, "MAX_INFLATED", 4 * 1024 * 1024)


def test_hostile_files_are_skipped_with_a_reason_and_the_good_ones_imported(tmp_path, small_limits):
    import zstandard

    project = tmp_path / "claude" / "projects" / "-work-app"
    project.mkdir(parents=True)
    sid = "aaaaaaaa-1111-4000-8000-000000000001"
    (project / f"{sid}.jsonl").write_text(good_claude_line(sid))
    with open(project / "cccccccc-1111-4000-8000-000000000003.jsonl", "wb") as fh:
        fh.truncate(3 * 1024 * 1024)  # NULs, no newline: what a power loss leaves
    bomb = zstandard.ZstdCompressor(level=19).compress(b"a" * (8 * 1024 * 1024))
    (project / "dddddddd-1111-4000-8000-000000000004.jsonl").write_bytes(bomb)
    long_then_good = ("x" * (2 * 1024 * 1024) + "\n" + good_claude_line("eeeeeeee-1111-4000-8000-000000000005")
                      .replace("msg_1", "msg_5").replace("req_1", "req_5"))
    (project / "eeeeeeee-1111-4000-8000-000000000005.jsonl").write_text(long_then_good)
    os.mkfifo(project / "ffffffff-1111-4000-8000-000000000006.jsonl")
    os.symlink("loop.jsonl", project / "loop.jsonl")
    result = run_farm("sessions", "import", "--json", "--claude-dir", str(tmp_path / "claude" / "projects"))
    assert result.code == 0, result.err
    report = result.json()
    assert report["models"]["claude-sonnet-4-5-20250929"]["input_tokens"] == 14  # both good responses
    assert report["unreadable_files"] == {
        "not a regular file (a FIFO)": 1,
        "zstd data inflates past 4 MiB (not read)": 1,
        "unreadable (Too many levels of symbolic links)": 1,
    }
    assert report["skipped_lines"] == {"line longer than 1 MiB": 1, "NUL bytes with no newline for more than 1 MiB": 1}


def test_complete_last_line_with_invalid_utf8_or_nul_is_read_once(tmp_path):
    project = tmp_path / "claude" / "projects" / "-work-app"
    project.mkdir(parents=True)
    sid = "aaaaaaaa-2222-4000-8000-000000000001"
    bad_text = good_claude_line(sid).rstrip("\n").replace('"content":[]', '"content":[{"type":"text","text":"QQ"}]')
    (project / f"{sid}.jsonl").write_bytes(bad_text.encode().replace(b"QQ", b"\xff\xfe"))  # no newline at the end
    other = "bbbbbbbb-2222-4000-8000-000000000002"
    (project / f"{other}.jsonl").write_bytes(good_claude_line(other).replace("msg_1", "msg_2").encode()
                                             + b'{"type":"user","x":"\x00"}')
    args = ("sessions", "import", "--json", "--claude-dir", str(tmp_path / "claude" / "projects"))
    first = run_farm(*args).json()
    assert first["models"]["claude-sonnet-4-5-20250929"]["input_tokens"] == 14
    assert first["skipped_lines"] == {"NUL bytes": 1}
    # appended later: the deferred-forever bug re-read (and re-skipped) the old last line each time
    with open(project / f"{other}.jsonl", "ab") as fh:
        fh.write(b"\n")
    again = run_farm(*args).json()
    assert again["skipped_lines"] == {} and again["files_read"] == 1


# --- Claude Code 2026 -------------------------------------------------------------------------

OPUS48, OPUS46, SONNET = "claude-opus-4-8", "claude-opus-4-6", "claude-sonnet-4-5-20250929"


def cc(sid: str, second: int, kind: str, **extra) -> dict:
    return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/work/app",
            "sessionId": sid, "version": "2.1.240", "gitBranch": "main", "type": kind,
            "uuid": f"{sid[:8]}-{second:04d}", "timestamp": f"2026-09-01T10:{second // 60:02d}:{second % 60:02d}.000Z",
            **extra}


def cc_assistant(sid: str, second: int, mid: str, model: str, usage: dict, **extra) -> dict:
    return cc(sid, second, "assistant", requestId=f"req_{mid}", message={
        "id": mid, "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "ok"}], "usage": usage}, **extra)


def cc_user(sid: str, second: int, text: str) -> dict:
    return cc(sid, second, "user", message={"role": "user", "content": text})


def write_transcript(projects: Path, sid: str, lines: list[dict], name: str | None = None) -> Path:
    folder = projects / "-work-app"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{sid}.jsonl")
    path.write_text("".join(json.dumps(o, separators=(",", ":")) + "\n" for o in lines))
    return path


def import_claude(projects: Path) -> dict:
    result = run_farm("sessions", "import", "--json", "--claude-dir", str(projects))
    assert result.code == 0, result.err
    return result.json()


def u(i: int, o: int, **extra) -> dict:
    return {"input_tokens": i, "output_tokens": o, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
            "service_tier": "standard", **extra}


@pytest.fixture
def fresh_pricer():
    from farm.sessions.pricing import reset_active_pricer

    reset_active_pricer()
    yield
    reset_active_pricer()


def test_fast_mode_us_inference_and_web_searches_are_priced_never_at_the_standard_rate(tmp_path, fresh_pricer):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-3333-4000-8000-000000000001"
    write_transcript(projects, sid, [
        cc_user(sid, 0, "add a search box"),
        cc_assistant(sid, 1, "msg_f48", OPUS48, u(1000, 2000, speed="fast")),
        cc_assistant(sid, 2, "msg_f46", OPUS46, u(1000, 2000, speed="fast")),
        cc_assistant(sid, 3, "msg_us", SONNET, u(1000, 1000, inference_geo="us")),
        cc_assistant(sid, 4, "msg_ws", SONNET, u(100, 10, inference_geo="global",
                                                 server_tool_use={"web_search_requests": 3, "web_fetch_requests": 1})),
    ])
    models = import_claude(projects)["models"]
    # genai-prices has Opus 4.8's fast rates ($10/$50): 1000 * 10 + 2000 * 50
    assert models[OPUS48]["cost_usd"] == pytest.approx(0.11, abs=1e-9)
    # nobody prices Opus 4.6 fast: unknown, not the standard $0.055
    assert models[OPUS46]["cost_usd"] is None and models[OPUS46]["price_unknown"]
    # US-only inference 1.1x: (1000 * 3 + 1000 * 15) * 1.1; web search $10 per 1,000 requests
    assert models[SONNET]["cost_usd"] == pytest.approx((18_000 * 1.1 + 100 * 3 + 10 * 15) / 1e6 + 3 * 0.01, abs=1e-9)
    assert models[SONNET]["web_search_requests"] == 3


def test_a_configured_multiplier_prices_a_mode_genai_prices_lacks(farm, tmp_path, fresh_pricer):
    with open(farm / "pyproject.toml", "a") as fh:
        fh.write('\n[tool.farm.price_multipliers]\nfast = {"claude-opus-4-6*" = 6.0}\n')
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-4444-4000-8000-000000000001"
    write_transcript(projects, sid, [cc_assistant(sid, 1, "msg_f46", OPUS46, u(1000, 2000, speed="fast"))])
    models = import_claude(projects)["models"]
    assert models[OPUS46]["cost_usd"] == pytest.approx(6 * (1000 * 5 + 2000 * 25) / 1e6, abs=1e-9)


def test_bad_multiplier_config_is_a_one_line_error():
    from farm.errors import InvalidInput
    from farm.sessions.pricing import Pricer

    with pytest.raises(InvalidInput, match="unknown mode"):
        Pricer(multipliers={"turbo": 2})
    with pytest.raises(InvalidInput, match="non-negative"):
        Pricer(multipliers={"fast": {"claude-*": "six"}})


def test_codex_service_tier_is_frozen_per_turn_and_priced_from_its_variant(tmp_path, fresh_pricer):
    from datetime import datetime, timezone

    from farm.sessions.model import Usage
    from farm.sessions.pricing import Pricer

    home = tmp_path / "codex"
    late = 1_793_000_000_000  # 2026-10-26: genai-prices has OpenAI's priority rates from 2026-10-12
    thread = uuid7(late, 0x77)
    t1, t2 = uuid7(late + 1_000, 1), uuid7(late + 9_000, 2)
    write_rollout(home, thread, late, [
        cx(late, "session_meta", meta(thread, late)),
        cx(late + 500, "event_msg", {"type": "thread_settings_applied", "service_tier": "priority"}),
        cx(late + 1_000, "event_msg", {"type": "task_started", "turn_id": t1}),
        cx(late + 1_001, "turn_context", {"turn_id": t1, "model": "gpt-5.1-codex"}),
        cx(late + 1_002, "event_msg", {"type": "user_message", "message": "go fast"}),
        # a preference for later turns: this turn stays priority
        cx(late + 1_500, "event_msg", {"type": "thread_settings_applied", "service_tier": "default"}),
        cx(late + 2_000, "event_msg", counts((10_000, 0, 1_000, 0))),
        cx(late + 9_000, "event_msg", {"type": "task_started", "turn_id": t2}),
        cx(late + 9_001, "turn_context", {"turn_id": t2, "model": "gpt-5.1-codex"}),
        cx(late + 9_002, "event_msg", {"type": "user_message", "message": "now slowly"}),
        cx(late + 9_500, "event_msg", counts((20_000, 0, 2_000, 0), (10_000, 0, 1_000, 0))),
    ])
    model = import_codex(home)["models"]["gpt-5.1-codex"]
    # one turn at priority ($2.5/$20 per MTok), one at the standard $1.25/$10
    assert model["cost_usd"] == pytest.approx((10_000 * 2.5 + 1_000 * 20 + 10_000 * 1.25 + 1_000 * 10) / 1e6, abs=1e-9)
    before = datetime(2026, 6, 1, tzinfo=timezone.utc)  # before genai-prices has the variant: unknown
    assert Pricer().cost("gpt-5.1-codex", Usage(input_tokens=1000), when=before, mode="priority") is None
    assert Pricer(multipliers={"priority": 2}).cost("gpt-5.1-codex", Usage(input_tokens=1_000_000), when=before,
                                                    mode="priority") == pytest.approx(2.5)


def test_advisor_iterations_are_their_own_calls(tmp_path, fresh_pricer):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-5555-4000-8000-000000000001"
    usage = u(500, 100, iterations=[
        {"type": "message", "input_tokens": 500, "output_tokens": 100},
        {"type": "advisor_message", "model": OPUS48, "input_tokens": 2000, "output_tokens": 300,
         "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
        {"type": "compaction", "input_tokens": 50, "output_tokens": 5},
    ])
    line = cc_assistant(sid, 1, "msg_adv", SONNET, usage, advisorModel=OPUS48)
    placeholder = json.loads(json.dumps(line))
    placeholder["message"]["usage"]["output_tokens"] = 1  # the streamed placeholder of the same response
    write_transcript(projects, sid, [cc_user(sid, 0, "review this"), placeholder, line])
    models = import_claude(projects)["models"]
    assert (models[SONNET]["input_tokens"], models[SONNET]["output_tokens"]) == (500, 100)  # compaction inside
    assert (models[OPUS48]["input_tokens"], models[OPUS48]["output_tokens"]) == (2000, 300)
    assert models[OPUS48]["cost_usd"] == pytest.approx((2000 * 5 + 300 * 25) / 1e6, abs=1e-9)


def test_agent_sdk_character_map_message_is_counted(tmp_path):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-6666-4000-8000-000000000001"
    text = json.dumps({"id": "msg_sdk", "type": "message", "role": "assistant", "model": SONNET,
                       "content": [{"type": "text", "text": "hi"}], "usage": u(40, 4)}, separators=(",", ":"))
    line = cc(sid, 1, "assistant", requestId="req_sdk", message={str(i): c for i, c in enumerate(text)})
    broken = cc(sid, 2, "assistant", requestId="req_x", message={str(i): c for i, c in enumerate('{"id":"m')})
    write_transcript(projects, sid, [cc_user(sid, 0, "hello"), line, broken])
    report = import_claude(projects)
    assert (report["models"][SONNET]["input_tokens"], report["models"][SONNET]["output_tokens"]) == (40, 4)
    assert report["skipped_lines"] == {"streamed message stored as a character map, not JSON": 1}


def test_a_renamed_transcript_is_named_by_its_session_id(tmp_path):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-7777-4000-8000-000000000001"
    write_transcript(projects, sid, [cc_user(sid, 0, "hello"), cc_assistant(sid, 1, "msg_r", SONNET, u(5, 5))],
                     name="backup of yesterday.jsonl")
    import_claude(projects)
    shown = run_farm("sessions", "show", sid, "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["session_id"] == sid and shown.json()["input_tokens"] == 5


def test_prompt_text_and_branch_are_stored_redacted(tmp_path):
    import sqlite3

    from farm.sessions.store import store_path

    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-8888-4000-8000-000000000001"
    token = "ghp_R8x2Kq9LmN4pT7vW1yZ3bC5dF6gH8jK0lM2n"
    first = cc_user(sid, 0, f"push with GITHUB_TOKEN={token} please")
    call = cc_assistant(sid, 1, "msg_s", SONNET, u(5, 5))
    for o in (first, call):
        o["gitBranch"] = f"feat/{token}"
    write_transcript(projects, sid, [first, call])
    import_claude(projects)
    db = sqlite3.connect(store_path())
    stored = db.execute("SELECT first_prompt, branch FROM sessions").fetchall() + db.execute(
        "SELECT first_prompt, branch FROM files").fetchall()
    db.close()
    assert stored and all(token not in (p or "") + (b or "") for p, b in stored)
    assert all("[REDACTED" in p and b.startswith("feat/") for p, b in stored)
    shown = run_farm("sessions", "show", sid)
    assert token not in shown.out


def test_session_summary_redacts_the_branch(tmp_path):
    from farm.sessions.model import SessionRecord, Usage
    from farm.sessions.summaries import summary

    token = "ghp_R8x2Kq9LmN4pT7vW1yZ3bC5dF6gH8jK0lM2n"
    record = SessionRecord(agent="claude", session_id="s", models=[], start=None, end=None, cwd=str(tmp_path),
                           git_branch=f"feat/{token}", usage=Usage(), cost_usd=0.0, usage_by_model={}, turns=0,
                           tool_calls=0, first_prompt=None, task_type=None, path="p")
    out = summary(record, tmp_path)
    assert out["branch"].startswith("feat/[REDACTED") and token not in json.dumps(out)


def test_user_turns_are_reachable_with_ids_times_and_redacted_text(tmp_path):
    from farm.sessions import user_turns

    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-9999-4000-8000-000000000001"
    tool_result = cc(sid, 2, "user", message={"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]})
    path = write_transcript(projects, sid, [
        cc_user(sid, 0, "fix the parser"), cc_assistant(sid, 1, "msg_1", SONNET, u(5, 5)), tool_result,
        cc_user(sid, 3, "no, undo that: use password=Sup3rS3cretPassw0rd instead"),
    ])
    turns = user_turns(path)
    assert [t.turn_id for t in turns] == [f"{sid[:8]}-0000", f"{sid[:8]}-0003"]
    assert turns[0].session_id == sid and turns[0].text == "fix the parser"
    assert "Sup3rS3cret" not in turns[1].text and turns[1].ts is not None
    home = tmp_path / "codex"
    parent, child = uuid7(T0, 0xBEEF), uuid7(T0 + 100_000, 0xC41D)
    own = uuid7(T0 + 101_000, 0xC1)
    rollout = write_rollout(home, child, T0 + 100_000, [
        cx(T0 + 100_000, "session_meta", meta(child, T0 + 100_000, parent_thread_id=parent)),
        *restamped(parent_thread(parent), T0 + 100_010),
        cx(T0 + 101_002, "event_msg", {"type": "user_message", "message": "review the diff"}),
        cx(T0 + 101_003, "event_msg", {"type": "task_started", "turn_id": own}),
    ])
    codex_turns = user_turns(rollout)
    assert [(t.text, t.turn_id, t.session_id) for t in codex_turns] == [("review the diff", own, child)]


def test_gateway_model_says_which_list_price_it_got(tmp_path):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-aaaa-4000-8000-000000000001"
    write_transcript(projects, sid, [cc_assistant(sid, 1, "msg_k", "kimi-k2.5:cloud", u(1_000_000, 0))])
    model = import_claude(projects)["models"]["kimi-k2.5:cloud"]
    assert model["cost_usd"] == pytest.approx(0.6)
    assert model["price_basis"].startswith("moonshotai list price for kimi-k2.5")
    table = run_farm("sessions", "import", "--claude-dir", str(projects))
    assert "kimi-k2.5:cloud: priced at the moonshotai list price for kimi-k2.5" in table.out


def test_loops_cannot_be_grouped_by_another_key():
    result = run_farm("spend", "--by", "day", "--loops")
    assert result.code == 2 and "--loops is grouped by task type" in result.err
    assert run_farm("spend", "--loops", "--json").code == 0
    assert run_farm("spend", "--by", "task-type", "--loops", "--json").code == 0


HAIKU = "claude-haiku-4-5-20251001"


def cost_state(sid: str, second: int, haiku: tuple[int, int], total: float, extra_output: int = 0) -> dict:
    usage = {SONNET: {"inputTokens": 1000, "outputTokens": 100 + extra_output, "cacheReadInputTokens": 0,
                      "cacheCreationInputTokens": 0, "webSearchRequests": 0, "costUSD": 0.0045},
             HAIKU: {"inputTokens": haiku[0], "outputTokens": haiku[1], "cacheReadInputTokens": 0,
                     "cacheCreationInputTokens": 0, "webSearchRequests": 0, "costUSD": 0.0004}}
    return cc(sid, second, "cost-state", totalCostUSD=total, modelUsage=usage, startTime="2026-09-01T10:00:00.000Z",
              totalLinesAdded=3, totalLinesRemoved=1, hasUnknownModelCost=False)


def test_cost_state_is_a_check_and_adds_only_models_no_assistant_line_has(tmp_path):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-bbbb-4000-8000-000000000001"
    compact = cc(sid, 5, "system", subtype="compact_boundary", content="Conversation compacted",
                 compactMetadata={"trigger": "auto", "preTokens": 155_000})
    path = write_transcript(projects, sid, [
        cc_user(sid, 0, "rename the module"),
        cc_assistant(sid, 1, "msg_c1", SONNET, u(1000, 100)),
        cost_state(sid, 2, (300, 20), 0.0049),
        compact,
        cost_state(sid, 6, (400, 30), 0.0050, extra_output=5),  # cumulative: replaces the snapshot above
    ])
    agents = path.parent / sid / "subagents"
    agents.mkdir(parents=True)
    (agents / "agent-a1.jsonl").write_text(json.dumps(cc_assistant(sid, 3, "msg_sub", SONNET, u(10, 1),
                                                                   isSidechain=True)) + "\n")
    (agents / "agent-a1.meta.json").write_text(json.dumps({"agentType": "Explore", "toolUseId": "toolu_1"}))
    models = import_claude(projects)["models"]
    assert (models[SONNET]["input_tokens"], models[SONNET]["output_tokens"]) == (1010, 101)  # not added again
    assert (models[HAIKU]["input_tokens"], models[HAIKU]["output_tokens"]) == (400, 30)  # harness only, last
    shown = run_farm("sessions", "show", sid, "--json").json()
    assert shown["compactions"] == 1 and shown["subagents"] == {"Explore": 1}
    assert shown["harness"]["cost_usd"] == pytest.approx(0.005) and shown["harness"]["added_models"] == [HAIKU]
    # sonnet: the harness says 1000 in / 105 out, the log 1010 / 101: the surplus is shown, not added
    assert shown["harness"]["harness_minus_log"] == {SONNET: {
        "input_tokens": 0, "output_tokens": 4, "cache_creation_tokens": 0, "cache_read_tokens": 0,
        "web_search_requests": 0}}
    again = import_claude(projects)["models"]  # re-import: nothing doubles
    assert again[HAIKU]["input_tokens"] == 400
    assert f"Claude Code's own cost-state says $0.0050 over 1 run(s); added from it: {HAIKU}" in run_farm("sessions", "show", sid).out


def test_workflow_subagents_nested_deeper_belong_to_the_session(tmp_path):
    from farm.sessions import read_session

    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-cccc-4000-8000-000000000001"
    main = write_transcript(projects, sid, [cc_user(sid, 0, "run the workflow"),
                                            cc_assistant(sid, 1, "msg_m", SONNET, u(10, 1))])
    nested = main.parent / sid / "subagents" / "workflows" / "wf-1"
    nested.mkdir(parents=True)
    (nested / "agent-w1.jsonl").write_text(json.dumps(cc_assistant(sid, 2, "msg_w", HAIKU, u(20, 2),
                                                                   isSidechain=True)) + "\n")
    record = read_session(main)
    assert record.usage_by_model[HAIKU].input_tokens == 20 and record.usage.input_tokens == 30
    import_claude(projects)
    assert sessions_by_id()[sid]["input_tokens"] == 30


@pytest.mark.parametrize("item", [
    {"type": "user_message", "message": "fix the crash in the exporter"},
    {"type": "UserMessage", "content": [{"type": "input_text", "text": "fix the crash in the exporter"}]},
    {"id": "item_3", "details": {"item_type": "user_message", "text": "fix the crash in the exporter"}},
])
def test_codex_item_completed_user_messages_are_turns(tmp_path, item):
    home = tmp_path / "codex"
    thread = uuid7(T0, 0x153)
    lines = [o for o in new_schema_rollout(thread, with_turns=False)]
    lines.insert(5, cx(T0 + 1_002, "event_msg", {"type": "item_completed", "item": item}))
    write_rollout(home, thread, T0, lines)
    assert import_codex(home)["warnings"] == {}
    session = sessions_by_id()[thread]
    assert session["turns"] == 1 and session["task_type"] == "bug fix"


def test_pricing_modes_and_searches_twice_does_not_load_genai_prices_again(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "from farm.sessions.model import Usage\n"
        "from farm.sessions.pricing import Pricer\n"
        "when = datetime(2026, 11, 2, tzinfo=timezone.utc)\n"
        "p = Pricer()\n"
        "costs = [p.cost('claude-opus-4-8', Usage(1000, 2000), when=when, mode='fast+geo-us'),\n"
        "         p.cost('gpt-5.1-codex', Usage(1000, 2000), when=when, mode='priority'),\n"
        "         p.cost('claude-sonnet-4-5-20250929', Usage(10, 1), when=when, searches=2)]\n"
        "print(costs, 'genai_prices' in sys.modules)\n"
    )
    env = {**os.environ, "FARM_HOME": str(tmp_path / "fh")}
    import ast

    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    (costs1, loaded1), (costs2, loaded2) = [(ast.literal_eval(out.rsplit(" ", 1)[0]), out.split()[-1]) for out in runs]
    assert (loaded1, loaded2) == ("True", "False")  # the second run prices from the cache alone
    assert costs1 == costs2
    assert costs2[0] == pytest.approx((1000 * 10 + 2000 * 50) / 1e6 * 1.1)  # Opus 4.8 fast rates, US-only
    assert costs2[1] == pytest.approx((1000 * 2.5 + 2000 * 20) / 1e6)  # GPT-5.1 priority rates
    assert costs2[2] == pytest.approx((10 * 3 + 1 * 15) / 1e6 + 2 * 0.01)  # Sonnet 4.5 plus two searches


def test_a_bad_search_or_advisor_count_never_drops_the_response_itself(tmp_path):
    projects = tmp_path / "claude" / "projects"
    sid = "aaaaaaaa-dddd-4000-8000-000000000001"
    write_transcript(projects, sid, [
        cc_assistant(sid, 1, "msg_b1", SONNET, u(10, 1, server_tool_use={"web_search_requests": "many"})),
        cc_assistant(sid, 2, "msg_b2", SONNET, u(20, 2, iterations=[
            {"type": "advisor_message", "model": OPUS48, "input_tokens": -5, "output_tokens": 1}])),
    ])
    report = import_claude(projects)
    assert report["models"][SONNET]["input_tokens"] == 30 and OPUS48 not in report["models"]
    assert report["skipped_lines"] == {"bad token count (web_search_requests)": 1,
                                       "bad token count (advisor input_tokens)": 1}


def test_no_prompt_text_is_kept_unredacted_in_the_store_state(tmp_path):
    import sqlite3

    from farm.sessions.store import store_path

    home = tmp_path / "codex"
    secret = "ghp_R8x2Kq9LmN4pT7vW1yZ3bC5dF6gH8jK0lM2n"
    parent, child = uuid7(T0, 0xBEEF), uuid7(T0 + 100_000, 0xC41D)
    lines = parent_thread(parent)
    lines[3]["payload"]["message"] = f"use GITHUB_TOKEN={secret} to push"
    write_rollout(home, parent, T0, lines)
    # a fork cut right after a prompt whose turn is not decided yet: the prompt waits in the state
    write_rollout(home, child, T0 + 100_000, [
        cx(T0 + 100_000, "session_meta", meta(child, T0 + 100_000, parent_thread_id=parent)),
        *restamped(lines, T0 + 100_010),
        cx(T0 + 101_002, "event_msg", {"type": "user_message", "message": f"and again {secret}"}),
    ])
    import_codex(home)
    db = sqlite3.connect(store_path())
    dump = "\n".join(str(row) for table in ("files", "sessions", "calls") for row in db.execute(f"SELECT * FROM {table}"))
    db.close()
    assert secret not in dump and "[REDACTED" in dump


def test_a_sparse_hole_is_skipped_not_read(tmp_path, small_limits):
    from farm.sessions import lines

    path = tmp_path / "p" / "aaaaaaaa-eeee-4000-8000-000000000001.jsonl"
    path.parent.mkdir()
    with open(path, "wb") as fh:
        fh.write(good_claude_line("s").encode())
        fh.seek(64 * 1024 * 1024, 1)  # 64 MB of hole, then one more good line
        fh.write(b"\n" + good_claude_line("s").replace("msg_1", "msg_2").encode())
    pieces = list(lines._open(path, 0))
    read = sum(len(p) for p in pieces if isinstance(p, bytes))
    assert any(isinstance(p, int) for p in pieces) and read < 1024 * 1024  # the hole was not read
    stats = lines.LineStats()
    got = [b for _pos, block in lines.read_blocks(path, 0, stats) for b in block.split(b"\n")]
    assert len([b for b in got if b.startswith(b'{"type":"assistant"')]) == 2
    assert stats.skipped == {"NUL bytes with no newline for more than 1 MiB": 1}
    assert stats.end_offset == path.stat().st_size


def test_a_zstd_bomb_is_stopped_by_its_ratio_long_before_the_size_cap(tmp_path, monkeypatch):
    import zstandard

    from farm.sessions import lines

    monkeypatch.setattr(lines, "BOMB_AFTER", 1024 * 1024)
    monkeypatch.setattr(lines, "CHUNK", 256 * 1024)
    bomb = tmp_path / "rollout-2026-05-01T10-00-00-019a0000-0000-7000-8000-0000000000b0.jsonl.zst"
    bomb.write_bytes(zstandard.ZstdCompressor(level=19).compress(b"a" * (32 * 1024 * 1024)))
    real = tmp_path / "rollout-2026-05-01T10-00-00-019a0000-0000-7000-8000-0000000000b1.jsonl.zst"
    text = "".join(json.dumps(cx(T0 + i, "event_msg", counts((i, 0, i, 0)))) + "\n" for i in range(40_000))
    real.write_bytes(zstandard.ZstdCompressor(level=19).compress(text.encode()))
    assert len(text) > 2 * 1024 * 1024
    inflated = 0
    with pytest.raises(lines.Unreadable, match="inflates more than 1000x"):
        for chunk in lines._open(bomb, 0):
            inflated += len(chunk)
    assert inflated <= 2 * 1024 * 1024
    assert sum(len(c) for c in lines._open(real, 0)) == len(text)  # a real rollout reads whole
