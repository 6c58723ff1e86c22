"""Codex CLI rollouts: `$CODEX_HOME/{sessions,archived_sessions}/**/rollout-*.jsonl[.zst]`.

Lines are `{timestamp, type, payload}`. Usage comes from `event_msg` / `token_count` events
whose `total_token_usage` is cumulative for the thread: farm counts the growth of that total
between events, so re-emitted events (same total) add nothing and nothing is summed twice.
`cached_input_tokens` is inside `input_tokens` and `reasoning_output_tokens` inside
`output_tokens`; they are split out so the classes add up to the bill (docs/sessions.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from farm.sessions.lines import LineStats, parse_lenient, read_lines
from farm.sessions.model import Call, FileScan, Turn
from farm.sessions.tokens import BadTokens, count, epoch

AGENT = "codex"
_ROLLOUT_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I)
PROMPT_CHARS = 500
TOOL_ITEMS = {"function_call", "custom_tool_call", "local_shell_call", "web_search_call"}


def default_dirs() -> list[Path]:
    home = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex").expanduser()
    return [home / "sessions", home / "archived_sessions"]


def discover(dirs: list[Path]) -> Iterator[Path]:
    for root in dirs:
        for folder, _dirs, files in os.walk(root, onerror=lambda _e: None):
            for name in files:
                if name.startswith("rollout-") and name.endswith((".jsonl", ".jsonl.zst")):
                    yield Path(folder) / name


def session_id_for(path: Path) -> str | None:
    m = _ROLLOUT_ID.search(path.name)
    return m.group(1) if m else None


def is_subagent(path: Path) -> bool:
    return False


def scan(path: Path, offset: int, state: dict, stats: LineStats, turns: list | None = None) -> FileScan:
    """Read `path` from `offset`; `state` is what the previous read left. With `turns` (a list),
    each user turn found is appended to it as a Turn."""
    found = FileScan(agent=AGENT, state=dict(state), turn_log=[] if turns is not None else None)
    st = found.state
    found.session_id = st.get("session_id") or session_id_for(path) or path.name
    for pos, line in read_lines(path, offset, stats):
        obj = _parse(line, stats)
        if obj is None:
            continue
        payload = obj.get("payload")
        if not isinstance(payload, dict):
            continue
        ts = epoch(obj.get("timestamp"))
        found.saw_time(ts)
        _take_line(obj.get("type"), payload, found, stats, pos, ts)
    _settle_turns(found)
    if turns is not None:
        turns.extend(found.turn_log)
    return found


def _parse(line: bytes, stats: LineStats) -> dict | None:
    if not line.strip():
        return None
    if b"\x00" in line:
        line = line.strip(b"\x00")
        if not line or b"\x00" in line:
            stats.skip("NUL bytes")
            return None
    obj = parse_lenient(line)
    if obj is None:
        stats.skip("invalid JSON")
        return None
    if not isinstance(obj, dict):
        stats.skip("not a JSON object")
        return None
    return obj


def _take_line(kind, payload: dict, found: FileScan, stats: LineStats, pos: int, ts: float | None) -> None:
    st = found.state
    ptype = payload.get("type")
    if kind == "session_meta":
        _take_meta(payload, found, ts)
    elif kind == "turn_context":
        _take_context(payload, found, ts)
    elif kind == "compacted":
        found.compactions += 0 if _replaying(st) else 1
    elif kind == "response_item":
        if ptype in TOOL_ITEMS:
            found.tool_calls += 1
        elif ptype == "message" and payload.get("role") == "user":
            _take_user_text(found, "item", _input_text(payload.get("content")), ts)
    elif kind == "event_msg":
        if ptype == "token_count":
            _take_tokens(payload, found, stats, pos, ts)
        elif ptype == "user_message":
            _take_user_text(found, "event", payload.get("message"), ts)
        elif ptype == "item_completed":
            _take_completed_item(payload.get("item"), found, ts)
        elif ptype == "task_started":
            _start_turn(found, payload.get("turn_id"), ts)
        elif ptype == "thread_settings_applied":
            tier = payload.get("service_tier")
            if isinstance(tier, str):
                st["next_tier"] = tier  # a preference for the turns to come, frozen when one starts


def _take_meta(payload: dict, found: FileScan, ts: float | None) -> None:
    st = found.state
    if st.get("session_id"):
        return  # a fork re-embeds its parent's session_meta after its own: not ours
    sid = payload.get("id")
    if isinstance(sid, str) and sid:
        found.session_id = st["session_id"] = sid
        st["thread_ms"] = uuid7_ms(sid)
    cwd = payload.get("cwd")
    if isinstance(cwd, str) and cwd:
        found.cwd = cwd
    git = payload.get("git")
    if isinstance(git, dict) and isinstance(git.get("branch"), str):
        found.git_branch = git["branch"]
    if _is_fork(payload):
        st["forked"] = True
        st["created"] = epoch(payload.get("timestamp")) or ts


def _is_fork(payload: dict) -> bool:
    if payload.get("forked_from_id") or payload.get("parent_thread_id"):
        return True
    if payload.get("thread_source") == "subagent":
        return True
    source = payload.get("source")
    return isinstance(source, dict) and "subagent" in source


def uuid7_ms(value: object) -> int | None:
    """The creation time (ms since the epoch) inside a UUIDv7, or None for any other id."""
    if not isinstance(value, str):
        return None
    m = _ROLLOUT_ID.fullmatch(value.strip())
    if not m or value.strip()[14] != "7":
        return None
    return int(value.strip().replace("-", "")[:12], 16)


def _replaying(st: dict) -> bool:
    """True while a fork's file replays its parent's history (docs/sessions.md: forks)."""
    return bool(st.get("forked")) and not st.get("own")


def _take_context(payload: dict, found: FileScan, ts: float | None) -> None:
    st = found.state
    model = payload.get("model")
    if isinstance(model, str) and model:
        st["model"] = model
    cwd = payload.get("cwd")
    if found.cwd is None and isinstance(cwd, str) and cwd:
        found.cwd = cwd
    _start_turn(found, payload.get("turn_id"), ts)
    tier = payload.get("service_tier")
    if isinstance(tier, str):
        st["tier"] = st["next_tier"] = tier  # the turn's own settings


def _start_turn(found: FileScan, turn_id: object, ts: float | None) -> None:
    """A turn begins: freeze its service tier, and decide whether a fork's replay is over.

    Replayed lines can be re-stamped after the fork was created, so when both ids are UUIDv7
    the turn's id decides: a turn created before this thread belongs to the parent's replay.
    Without turn ids, the first turn stamped at or after the fork's creation is its own.
    """
    st = found.state
    if isinstance(turn_id, str):
        if turn_id == st.get("turn_id"):
            return  # the same turn's second marker (task_started, then turn_context)
        st["turn_id"] = turn_id
        st["named_turns"] = True
    elif st.get("named_turns"):
        return  # this log names its turns: a marker without a name decides nothing
    st["tier"] = st.get("next_tier")
    if not _replaying(st):
        return
    turn_ms, thread_ms = uuid7_ms(turn_id), st.get("thread_ms")
    if turn_ms is not None and thread_ms is not None:
        own = turn_ms >= thread_ms
    else:
        created = st.get("created")
        own = created is None or (ts or 0) >= created
    if own:
        st["own"] = True  # the fork's first turn of its own: what follows is new work
        for source, text, when in st.pop("pending", []):
            _count_user_text(found, source, text, when)
    else:
        st.pop("pending", None)


def _input_text(content: object) -> str | None:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") in ("input_text", "text")]
    return "\n".join(t for t in texts if isinstance(t, str)) or None


def _take_completed_item(item: object, found: FileScan, ts: float | None) -> None:
    """≥0.148 wraps events in `item_completed`; a user message item is a turn. The item's kind
    is read from `type`, `item_type` or `details.item_type`, in any of Codex's spellings."""
    if not isinstance(item, dict):
        return
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    kind = item.get("type") or item.get("item_type") or details.get("item_type") or ""
    if str(kind).lower().replace("_", "") != "usermessage":
        return
    for where in (item, details):
        text = where.get("message") if isinstance(where.get("message"), str) else where.get("text")
        text = text if isinstance(text, str) else _input_text(where.get("content"))
        if text:
            _take_user_text(found, "event", text, ts)
            return


# Text Codex itself puts in user messages: project instructions and environment, not a prompt.
INJECTED = ("<environment_context", "<user_instructions", "# AGENTS.md instructions", "<INSTRUCTIONS>",
            "<user_shell_command", "<turn_aborted", "<permissions", "<collaboration_mode")


def _take_user_text(found: FileScan, source: str, text: object, ts: float | None) -> None:
    if not isinstance(text, str) or not text.strip():
        return
    if source == "item" and text.lstrip().startswith(INJECTED):
        return
    st = found.state
    if _replaying(st):
        # A prompt just before a turn starts belongs to that turn: keep it until it is decided.
        st.setdefault("pending", []).append((source, text.strip(), ts))
        return
    _count_user_text(found, source, text, ts)


def _count_user_text(found: FileScan, source: str, text: str, ts: float | None) -> None:
    """Turns come from `event_msg/user_message` when a file has them; files written by Codex
    ≥0.148 have only `response_item` user messages, which older files also carry (so those
    are counted apart and used only when a file has no events)."""
    st = found.state
    key = "event_turns" if source == "event" else "item_turns"
    st[key] = st.get(key, 0) + 1
    prompt_key = "event_prompt" if source == "event" else "item_prompt"
    if not st.get(prompt_key):
        st[prompt_key] = _redact(text.strip()[:PROMPT_CHARS])  # the state is kept in the store
    if found.turn_log is not None:
        from farm.redact import redact

        found.turn_log.append((source, Turn(found.session_id, st.get("turn_id"), ts, redact(text.strip()))))


def _redact(text: str) -> str:
    from farm.redact import redact

    return redact(text)


def _settle_turns(found: FileScan) -> None:
    st = found.state
    if st.get("pending"):  # kept in the store until the next read decides them: redacted
        st["pending"] = [(source, _redact(text[:PROMPT_CHARS]), when) for source, text, when in st["pending"]]
    source = "event" if st.get("event_turns") else "item"
    total = st.get(f"{source}_turns", 0)
    if found.turn_log is not None:
        found.turn_log[:] = [turn for kind, turn in found.turn_log if kind == source]
    found.turns = total - st.get("turns_reported", 0)
    st["turns_reported"] = total
    prompt = st.get(f"{source}_prompt")
    if prompt and st.get("prompt_reported") != prompt:
        found.first_prompt = prompt
        st["prompt_reported"] = prompt
    if st.get("calls") and not total and not st.get("forked") and not st.get("warned"):
        st["warned"] = True
        found.warnings.append("Codex rollout with usage but no user turns farm recognises (a newer log format?)")


def _vector(usage: dict) -> tuple[int, int, int, int, int]:
    return (
        count(usage, "input_tokens"),
        count(usage, "cached_input_tokens"),
        count(usage, "output_tokens"),
        count(usage, "reasoning_output_tokens"),
        count(usage, "cache_write_input_tokens"),  # Codex ≥0.145; absent in older rollouts
    )


def _take_tokens(payload: dict, found: FileScan, stats: LineStats, pos: int, ts: float | None) -> None:
    st = found.state
    info = payload.get("info")
    if not isinstance(info, dict):
        found.ignored += 1  # rate-limit refreshes carry info: null
        return
    total = info.get("total_token_usage")
    last = info.get("last_token_usage")
    try:
        total_vec = _vector(total) if isinstance(total, dict) else None
        last_vec = _vector(last) if isinstance(last, dict) else None
    except BadTokens as exc:
        stats.skip(f"bad token count ({exc})")
        return
    if total_vec is None and last_vec is None:
        stats.skip("token_count without usage")
        return
    if _replaying(st):
        st.pop("pending", None)  # prompts followed by replayed counts were the parent's turns
    if total_vec is not None:
        previous = tuple(st.get("total") or ())
        previous = previous + (0,) * (5 - len(previous))
        st["total"] = list(total_vec)
        if _replaying(st) or total_vec == previous:
            found.ignored += 1
            return
        delta = tuple(t - p for t, p in zip(total_vec, previous))
        if min(delta) < 0:
            delta = total_vec  # the counter restarted
    else:
        if _replaying(st):
            found.ignored += 1
            return
        delta = last_vec
    if not any(delta):
        found.ignored += 1
        return
    fresh, cached, output, reasoning, written = delta
    cached = min(cached, fresh)
    written = min(written, fresh - cached)
    reasoning = min(reasoning, output)
    usage = (fresh - cached - written, output - reasoning, written, 0, cached, reasoning)
    context = last_vec[0] if last_vec is not None else fresh
    model = info.get("model") if isinstance(info.get("model"), str) and info.get("model") else st.get("model")
    sid = found.session_id or "?"
    key = f"{sid}:{pos}"
    st["calls"] = st.get("calls", 0) + 1
    found.calls[key] = Call(
        key=key,
        message_id=None,
        request_id=None,
        ts=ts if ts is not None else (found.end or 0.0),
        model=model or "unknown",
        usage=usage,
        context=context,
        mode=_tier_mode(st.get("tier")),
    )


def _tier_mode(tier: object) -> str:
    """The priced mode of a Codex service tier: priority (what Codex calls Fast) or flex."""
    if tier in ("priority", "fast"):
        return "priority"
    return "flex" if tier == "flex" else ""
