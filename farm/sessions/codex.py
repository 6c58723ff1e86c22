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

from farm.sessions.lines import LineStats, read_lines
from farm.sessions.model import Call, FileScan
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


def scan(path: Path, offset: int, state: dict, stats: LineStats) -> FileScan:
    import orjson

    found = FileScan(agent=AGENT, state=dict(state))
    st = found.state
    found.session_id = st.get("session_id") or session_id_for(path) or path.name
    for pos, line in read_lines(path, offset, stats):
        if not line.strip():
            continue
        if b"\x00" in line:
            line = line.strip(b"\x00")
            if not line or b"\x00" in line:
                stats.skip("NUL bytes")
                continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:
                obj = orjson.loads(line.decode("utf-8", "replace"))
            except orjson.JSONDecodeError:
                stats.skip("invalid JSON")
                continue
        if not isinstance(obj, dict):
            stats.skip("not a JSON object")
            continue
        payload = obj.get("payload")
        if not isinstance(payload, dict):
            continue
        ts = epoch(obj.get("timestamp"))
        found.saw_time(ts)
        kind = obj.get("type")
        if kind == "session_meta":
            _take_meta(payload, found, ts)
        elif kind == "turn_context":
            _take_context(payload, found, ts)
        elif kind == "response_item" and payload.get("type") in TOOL_ITEMS:
            found.tool_calls += 1
        elif kind == "event_msg":
            ptype = payload.get("type")
            if ptype == "token_count":
                _take_tokens(payload, found, stats, pos, ts)
            elif ptype == "user_message" and not _replaying(st):
                _take_prompt(payload, found)
    return found


def _take_meta(payload: dict, found: FileScan, ts: float | None) -> None:
    st = found.state
    if st.get("session_id"):
        return  # a fork re-embeds its parent's session_meta after its own: not ours
    sid = payload.get("id")
    if isinstance(sid, str) and sid:
        found.session_id = st["session_id"] = sid
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
    created = st.get("created")
    if st.get("forked") and not st.get("own") and (created is None or (ts or 0) >= created):
        st["own"] = True  # the fork's first turn of its own: what follows is new work


def _vector(usage: dict) -> tuple[int, int, int, int]:
    return (
        count(usage, "input_tokens"),
        count(usage, "cached_input_tokens"),
        count(usage, "output_tokens"),
        count(usage, "reasoning_output_tokens"),
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
    if total_vec is not None:
        previous = tuple(st.get("total") or (0, 0, 0, 0))
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
    fresh, cached, output, reasoning = delta
    cached = min(cached, fresh)
    reasoning = min(reasoning, output)
    usage = (fresh - cached, output - reasoning, 0, 0, cached, reasoning)
    context = last_vec[0] if last_vec is not None else fresh
    sid = found.session_id or "?"
    key = f"{sid}:{pos}"
    found.calls[key] = Call(
        key=key,
        message_id=None,
        request_id=None,
        ts=ts if ts is not None else (found.end or 0.0),
        model=st.get("model") or "unknown",
        usage=usage,
        context=context,
    )


def _take_prompt(payload: dict, found: FileScan) -> None:
    text = payload.get("message")
    if not isinstance(text, str) or not text.strip():
        return
    found.turns += 1
    if found.first_prompt is None and not found.state.get("has_prompt"):
        found.first_prompt = text.strip()[:PROMPT_CHARS]
        found.state["has_prompt"] = True
