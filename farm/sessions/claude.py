"""Claude Code transcripts: `<config dir>/projects/<project>/<session>.jsonl`, plus subagents.

Each assistant line carries `message.usage`. One API response may be written as several lines
(one per content block, output_tokens growing), so calls are keyed by message.id + requestId
and the largest usage wins. Only top-level `assistant` lines count: `agent_progress` mirrors
and `toolUseResult.usage` echo a subagent's calls, which its own transcript already holds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from farm.sessions.lines import LineStats, read_blocks
from farm.sessions.model import Call, FileScan
from farm.sessions.scanner import wanted_lines
from farm.sessions.tokens import BadTokens, count, epoch

AGENT = "claude"
PATTERNS = ("*.jsonl",)

_TIMESTAMP = re.compile(rb'"timestamp":"([^"]{10,40})"')
_CWD = re.compile(rb'"cwd":"((?:[^"\\]|\\.)*)"')
_BRANCH = re.compile(rb'"gitBranch":"((?:[^"\\]|\\.)*)"')
_SESSION = re.compile(rb'"sessionId":"([^"]{1,100})"')
PROMPT_CHARS = 500
BIG_LINE = 1024 * 1024
EDGE = 256 * 1024  # how far into a block to look for its first timestamp and cwd


def default_dirs() -> list[Path]:
    """Each `CLAUDE_CONFIG_DIR` entry's projects/ folder, else the two default homes."""
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    if env:
        roots = [Path(p.strip()).expanduser() for p in env.split(",") if p.strip()]
        return [root / "projects" for root in roots]
    home = Path.home()
    return [home / ".config" / "claude" / "projects", home / ".claude" / "projects"]


def discover(dirs: list[Path]) -> Iterator[Path]:
    for root in dirs:
        yield from _walk(root, ".jsonl")


def _walk(root: Path, suffix: str) -> Iterator[Path]:
    # Directory symlinks are not followed, so a symlink loop cannot trap the walk.
    for folder, _dirs, files in os.walk(root, onerror=lambda _e: None):
        for name in files:
            if name.endswith(suffix):
                yield Path(folder) / name


def session_id_for(path: Path) -> str | None:
    """The session a file belongs to, when its place says so (subagents belong to the parent)."""
    if not path.name.startswith("agent-"):
        return path.name.removesuffix(".jsonl")
    if path.parent.name == "subagents":
        return path.parent.parent.name
    return None  # a 2.0.x sibling agent file: its lines name the parent's sessionId


def is_subagent(path: Path) -> bool:
    return path.name.startswith("agent-")


def scan(path: Path, offset: int, state: dict, stats: LineStats) -> FileScan:
    """Read `path` from `offset`; `state` is what the previous read of this file left.

    Only lines that can carry usage or a user prompt are parsed (found by a byte search);
    times, cwd and branch of the rest come from a cheap look at the block's ends.
    """
    import orjson

    found = FileScan(agent=AGENT, state=dict(state))
    found.session_id = state.get("session_id") or session_id_for(path)
    human = not is_subagent(path)
    tools: set[str] = set()
    for _pos, block in read_blocks(path, offset, stats):
        _scan_edges(block, found)
        view = memoryview(block)
        for start, end, has_usage in _wanted_lines(block, human):
            _scan_line(block, view, start, end, has_usage, found, stats, human, tools, orjson)
    found.tool_calls = len(tools)
    if found.session_id:
        found.state["session_id"] = found.session_id
    return found


def _wanted_lines(block: bytes, human: bool) -> list[tuple[int, int, bool]]:
    """(start, end, has usage) of the lines of `block` that carry usage or may be user prompts.

    One pass over the block finds both needles; this is where most of the time goes.
    """
    return wanted_lines(block, human, BIG_LINE)


def _scan_line(block, view, start, end, has_usage, found, stats, human, tools, orjson) -> None:
    obj = _loads(view[start:end], orjson)  # a view, not a copy: most of these lines are long
    if obj is None:
        line = block[start:end]
        if b"\x00" in line:
            line = line.strip(b"\x00")
            obj = None if not line or b"\x00" in line else _loads(line, orjson)
            if obj is None:
                stats.skip("NUL bytes")
                return
        else:
            stats.skip("invalid JSON")
            return
    if not isinstance(obj, dict):
        stats.skip("not a JSON object")
        return
    _take_meta(obj, found)
    kind = obj.get("type")
    if kind == "assistant":
        _take_call(obj, found, stats, tools)
    elif kind == "user" and human and not obj.get("isSidechain") and not obj.get("isMeta"):
        _take_prompt(obj, found)
    elif has_usage:
        found.ignored += 1  # progress mirrors, tool results echoing a subagent's usage


def _scan_edges(block: bytes, found: FileScan) -> None:
    """First and last timestamp, cwd, branch and session id of a block, without parsing it."""
    for where in (_TIMESTAMP.search(block, 0, EDGE), _last(block, b'"timestamp":"', _TIMESTAMP)):
        if where:
            found.saw_time(epoch(where.group(1).decode("ascii", "replace")))
    if found.cwd is None and (m := _CWD.search(block, 0, EDGE)):
        found.cwd = _unescape(m.group(1))
    if (m := _last(block, b'"gitBranch":"', _BRANCH)) and m.group(1):
        found.git_branch = _unescape(m.group(1))
    if found.session_id is None and (m := _SESSION.search(block, 0, EDGE)):
        found.session_id = m.group(1).decode("utf-8", "replace")


def _last(block: bytes, needle: bytes, pattern: re.Pattern):
    i = block.rfind(needle)
    return pattern.match(block, i) if i >= 0 else None


def _loads(line: bytes, orjson):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    # Invalid UTF-8 or a lone surrogate in some text field: the usage is still real.
    text = bytes(line).decode("utf-8", "replace")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None


def _unescape(raw: bytes) -> str:
    import orjson

    try:
        return orjson.loads(b'"' + raw + b'"')
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def _take_meta(obj: dict, found: FileScan) -> None:
    found.saw_time(epoch(obj.get("timestamp")))
    cwd = obj.get("cwd")
    if found.cwd is None and isinstance(cwd, str) and cwd:
        found.cwd = cwd
    branch = obj.get("gitBranch")
    if isinstance(branch, str) and branch:
        found.git_branch = branch
    sid = obj.get("sessionId")
    if found.session_id is None and isinstance(sid, str) and sid:
        found.session_id = sid


def _take_call(obj: dict, found: FileScan, stats: LineStats, tools: set[str]) -> None:
    message = obj.get("message")
    if not isinstance(message, dict):
        stats.skip("assistant line without a message")
        return
    for block in message.get("content") or ():
        if isinstance(block, dict) and block.get("type") == "tool_use":
            tools.add(str(block.get("id")))
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return
    model = message.get("model")
    if model == "<synthetic>":
        found.ignored += 1
        return
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id:
        stats.skip("no message id")
        return
    request_id = obj.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        request_id = None
    try:
        tokens = _usage(usage)
    except BadTokens as exc:
        stats.skip(f"bad token count ({exc})")
        return
    ts = epoch(obj.get("timestamp"))
    key = f"{message_id}|{request_id or ''}"
    call = Call(
        key=key,
        message_id=message_id,
        request_id=request_id,
        ts=ts if ts is not None else (found.end or 0.0),
        model=model if isinstance(model, str) and model else "unknown",
        usage=tokens,
        context=tokens[0] + tokens[2] + tokens[3] + tokens[4],
    )
    old = found.calls.get(key)
    if old is None or sum(call.usage) > sum(old.usage):
        found.calls[key] = call
    else:
        found.ignored += 1


def _usage(usage: dict) -> tuple[int, int, int, int, int, int]:
    """(input, output, cache write 5m, cache write 1h, cache read, reasoning)."""
    fresh = count(usage, "input_tokens")
    output = count(usage, "output_tokens")
    written = count(usage, "cache_creation_input_tokens")
    read = count(usage, "cache_read_input_tokens")
    split = usage.get("cache_creation")
    w1h = 0
    w5m = written
    if isinstance(split, dict):
        w5m_split = count(split, "ephemeral_5m_input_tokens")
        w1h = count(split, "ephemeral_1h_input_tokens")
        # The split should add up to the total; any remainder is billed at the default 5m TTL.
        w5m = max(written - w1h, w5m_split)
    return (fresh, output, w5m, w1h, read, 0)


def _take_prompt(obj: dict, found: FileScan) -> None:
    message = obj.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return
        content = "\n".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str) or not content.strip():
        return
    if content.lstrip().startswith(("<command-", "<local-command", "<system-reminder")):
        return
    found.turns += 1
    if found.first_prompt is None and not found.state.get("has_prompt"):
        found.first_prompt = content.strip()[:PROMPT_CHARS]
        found.state["has_prompt"] = True
