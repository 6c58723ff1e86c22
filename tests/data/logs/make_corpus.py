"""Writes the test corpus in this folder (run it after changing it; the files are committed).

Every edge case has a line here; EXPECTED.md beside it gives the hand-computed totals.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import zstandard

HERE = Path(__file__).parent
A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
SONNET, HAIKU, OPUS = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101"


def line(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def base(sid, ts, kind, **extra):
    return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/work/demo",
            "sessionId": sid, "version": "2.1.3", "gitBranch": "fix/empty-file-crash", "type": kind,
            "uuid": f"u-{ts}", "timestamp": f"2025-06-01T{ts}.000Z", **extra}


def assistant(sid, ts, mid, rid, model, usage, block=None, **extra):
    obj = base(sid, ts, "assistant", **extra)
    obj["message"] = {"id": mid, "type": "message", "role": "assistant", "model": model,
                      "content": [block or {"type": "text", "text": "ok"}], "usage": usage}
    if rid:
        obj["requestId"] = rid
    return obj


def user(sid, ts, content, **extra):
    obj = base(sid, ts, "user", **extra)
    obj["message"] = {"role": "user", "content": content}
    return obj


def u(i=0, o=0, cw=0, cr=0, split=None):
    out = {"input_tokens": i, "cache_creation_input_tokens": cw, "cache_read_input_tokens": cr, "output_tokens": o}
    if split:
        out["cache_creation"] = {"ephemeral_5m_input_tokens": split[0], "ephemeral_1h_input_tokens": split[1]}
    return out


def claude() -> None:
    project = HERE / "claude" / "projects" / "-work-demo"
    project.mkdir(parents=True, exist_ok=True)
    a1 = u(10, 120, 1000, 5000, split=(600, 400))
    a2 = u(5, 80, 200, 6000)
    rows = [
        line({"type": "summary", "summary": "Empty file crash", "leafUuid": "x"}),
        line(user(A, "10:00:00", "Fix the crash when parsing empty files")),
        # one response streamed as two lines: placeholder output first, real count last
        line(assistant(A, "10:00:05", "msg_A1", "req_A1", SONNET, dict(a1, output_tokens=1))),
        line(assistant(A, "10:00:06", "msg_A1", "req_A1", SONNET, a1,
                       {"type": "tool_use", "id": "tu_1", "name": "Bash", "input": {"command": "pytest"}})),
        line(user(A, "10:00:10", [{"tool_use_id": "tu_1", "type": "tool_result", "content": "1 failed"}])),
        line(assistant(A, "10:00:20", "msg_A2", "req_A2", SONNET, a2,
                       {"type": "tool_use", "id": "tu_2", "name": "Task", "input": {"prompt": "look"}})),
        # a subagent's response mirrored into the parent: already counted in its own file
        line(dict(base(A, "10:00:30", "progress"), data={"type": "agent_progress", "agentId": "abc", "message":
             assistant(A, "10:00:30", "msg_S1", "req_S1", HAIKU, u(20, 200, 0, 3000))})),
        # a Task result echoing the subagent's usage: not a new call
        line(dict(user(A, "10:00:40", [{"tool_use_id": "tu_2", "type": "tool_result", "content": "done"}]),
                  toolUseResult={"usage": {"input_tokens": 999, "output_tokens": 999}})),
        line(assistant(A, "10:00:41", "msg_syn", "req_syn", "<synthetic>", u(0, 7))),
        # no requestId (a gateway): deduplicated on message.id, largest kept
        line(assistant(A, "10:00:50", "msg_A3", None, SONNET, u(3, 30, 0, 7000))),
        line(assistant(A, "10:00:51", "msg_A3", None, SONNET, u(3, 45, 0, 7000))),
        # invalid UTF-8 in a text field: the call was billed, it counts
        line(assistant(A, "10:01:00", "msg_A4", "req_A4", SONNET, u(2, 10, 0, 100),
                       {"type": "text", "text": "INVALID"})).replace(b"INVALID", b"bad \xff\xfe bytes"),
        # a lone surrogate escape
        line(assistant(A, "10:01:05", "msg_A5", "req_A5", SONNET, u(1, 5),
                       {"type": "text", "text": "SURR"})).replace(b"SURR", b"\\ud800 alone"),
        b'["usage", "not an object"]\n',
        b'{"type":"assistant","message":{"usage":{"input_tokens":1}\n',
        line(assistant(A, "10:01:10", "msg_A6", "req_A6", SONNET, u(-5, 10))),
        line(assistant(A, "10:01:11", "msg_A7", "req_A7", SONNET, dict(u(1, 0), output_tokens="12"))),
        line(assistant(A, "10:01:12", None, "req_noid", SONNET, u(1, 1))),
        line(assistant(A, "10:01:13", "msg_A8", "req_A8", SONNET, u(4, 4))).rstrip(b"\n") + b"\x00\x00\x00\n",
        line(assistant(A, "10:01:14", "msg_nul", "req_nul", SONNET, u(9, 9))).replace(b'"ok"', b'"o\x00k"'),
        line(user(A, "10:01:20", "thanks, now commit")),
    ]
    truncated = line(assistant(A, "10:01:30", "msg_A10", "req_A10", SONNET, u(50, 50)))[:-40]
    (project / f"{A}.jsonl").write_bytes(b"".join(rows) + truncated)

    nested = project / A / "subagents"
    nested.mkdir(parents=True, exist_ok=True)
    (nested / "agent-abc.jsonl").write_bytes(
        line(user(A, "10:00:25", "look around", isSidechain=True))
        + line(assistant(A, "10:00:30", "msg_S1", "req_S1", HAIKU, u(20, 200, 0, 3000), isSidechain=True))
    )
    (project / "agent-def.jsonl").write_bytes(
        line(assistant(A, "10:00:35", "msg_S2", "req_S2", HAIKU, u(30, 300), isSidechain=True))
    )
    (project / f"{B}.jsonl").write_bytes(
        # a resumed session starts with copies of the last one's lines…
        line(assistant(B, "10:00:20", "msg_A2", "req_A2", SONNET, a2))
        # …and a side question replays a response under a new requestId
        + line(assistant(B, "10:00:06", "msg_A1", "req_btw", SONNET, a1))
        + line(user(B, "11:00:00", "continue with the docs"))
        + line(assistant(B, "11:00:05", "msg_B1", "req_B1", OPUS, u(100, 50)))
        + line(assistant(B, "11:00:09", "msg_B2", "req_B2", "mystery-model-9", u(1000, 100)))
    )
    (project / "cccccccc-0000-4000-8000-000000000003.jsonl").write_bytes(b"")
    with gzip.open(project / "dddddddd-0000-4000-8000-000000000004.jsonl", "wb") as fh:
        fh.write(line(assistant("d", "12:00:00", "msg_D", "req_D", SONNET, u(1, 1))))


def cx(ts, kind, payload):
    return line({"timestamp": f"2025-06-01T{ts}.000Z", "type": kind, "payload": payload})


def tokens(total=None, last=None):
    def usage(v):
        return {"input_tokens": v[0], "cached_input_tokens": v[1], "output_tokens": v[2],
                "reasoning_output_tokens": v[3], "total_tokens": v[0] + v[2]}
    info = {}
    if total:
        info["total_token_usage"] = usage(total)
    if last:
        info["last_token_usage"] = usage(last)
    return {"type": "token_count", "info": info, "rate_limits": None}


C1 = "019a0000-0000-7000-8000-0000000000c1"
C2 = "019a0000-0000-7000-8000-0000000000c2"
C3 = "019a0000-0000-7000-8000-0000000000c3"


def codex() -> None:
    day = HERE / "codex" / "sessions" / "2025" / "06" / "01"
    day.mkdir(parents=True, exist_ok=True)
    meta1 = {"id": C1, "timestamp": "2025-06-01T12:00:00.000Z", "cwd": "/work/demo", "originator": "codex_cli_rs",
             "cli_version": "0.46.0", "git": {"branch": "refactor/config", "commit_hash": "abc"}}
    parent = [
        cx("12:00:00", "session_meta", meta1),
        cx("12:00:01", "turn_context", {"model": "gpt-5-codex", "cwd": "/work/demo", "effort": "medium"}),
        cx("12:00:02", "event_msg", {"type": "user_message", "message": "refactor the config loader"}),
        cx("12:00:03", "event_msg", {"type": "token_count", "info": None, "rate_limits": {}}),
        cx("12:00:10", "event_msg", tokens((1000, 800, 200, 50), (1000, 800, 200, 50))),
        cx("12:00:11", "event_msg", tokens((1000, 800, 200, 50), (1000, 800, 200, 50))),  # re-emitted
        cx("12:00:12", "response_item", {"type": "function_call", "name": "shell", "arguments": "{}"}),
        cx("12:00:20", "event_msg", tokens((2500, 2000, 500, 100), (1500, 1200, 300, 50))),
        cx("12:00:30", "event_msg", tokens((3000, 2400, 600, 120))),  # only the total
    ]
    (day / f"rollout-2025-06-01T12-00-00-{C1}.jsonl").write_bytes(b"".join(parent))
    meta2 = dict(meta1, id=C2, timestamp="2025-06-01T12:05:00.000Z", forked_from_id=C1)
    fork = [
        cx("12:05:00", "session_meta", meta2),
        # the parent's history, replayed: not this thread's spend
        *parent,
        cx("12:05:01", "turn_context", {"model": "gpt-5-codex", "cwd": "/work/demo"}),
        cx("12:05:02", "event_msg", {"type": "user_message", "message": "check the tests"}),
        cx("12:05:10", "event_msg", tokens((4000, 3200, 800, 170), (1000, 800, 200, 50))),
    ]
    (day / f"rollout-2025-06-01T12-05-00-{C2}.jsonl").write_bytes(b"".join(fork))
    small = [
        cx("13:00:00", "session_meta", dict(meta1, id=C3, timestamp="2025-06-01T13:00:00.000Z")),
        cx("13:00:01", "turn_context", {"model": "gpt-5-codex"}),
        cx("13:00:05", "event_msg", tokens((400, 0, 40, 0), (400, 0, 40, 0))),
    ]
    archived = HERE / "codex" / "archived_sessions"
    archived.mkdir(parents=True, exist_ok=True)
    (archived / f"rollout-2025-06-01T13-00-00-{C3}.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(b"".join(small)))


if __name__ == "__main__":
    claude()
    codex()
