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


def test_codex_subagent_replay_restamped_after_the_fork_is_not_counted_again(tmp_path):
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
    ]
    write_rollout(home, child, T0 + 100_000, child_lines)
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
    assert report["skipped_lines"] == {"line longer than 1 MiB": 2}  # the NUL file and the long line


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
