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

from farm.sessions.lines import LineStats, parse_lenient, read_blocks
from farm.sessions.model import Call, FileScan, Turn
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


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def session_id_for(path: Path) -> str | None:
    """The session a file belongs to, when its place says so (subagents belong to the parent).

    Claude Code names a transcript `<sessionId>.jsonl`; a file renamed to anything else is
    named by the `sessionId` its lines carry (None here), so `sessions show <id>` finds it.
    """
    if not path.name.startswith("agent-"):
        stem = path.name.removesuffix(".jsonl")
        return stem if _UUID.fullmatch(stem) else None
    if path.parent.name == "subagents":
        return path.parent.parent.name
    return None  # a 2.0.x sibling agent file: its lines name the parent's sessionId


def is_subagent(path: Path) -> bool:
    return path.name.startswith("agent-")


def scan(path: Path, offset: int, state: dict, stats: LineStats, turns: list | None = None) -> FileScan:
    """Read `path` from `offset`; `state` is what the previous read of this file left.
    With `turns` (a list), each user turn found is appended to it as a Turn.

    Only lines that can carry usage or a user prompt are parsed (found by a byte search);
    times, cwd and branch of the rest come from a cheap look at the block's ends.
    """
    found = FileScan(agent=AGENT, state=dict(state), turn_log=turns)
    found.session_id = state.get("session_id") or session_id_for(path)
    named = found.session_id is not None
    latest = None  # an unnamed file's session: the last sessionId its lines carry (a resume's own)
    human = not is_subagent(path)
    tools: set[str] = set()
    for _pos, block in read_blocks(path, offset, stats):
        _scan_edges(block, found)
        if not named and (m := _last(block, b'"sessionId":"', _SESSION)):
            latest = m.group(1).decode("utf-8", "replace")
        view = memoryview(block)
        for start, end, has_usage in _wanted_lines(block, human):
            _scan_line(block, view, start, end, has_usage, found, stats, human, tools)
    found.tool_calls = len(tools)
    if latest:
        found.session_id = latest
    if found.session_id:
        found.state["session_id"] = found.session_id
    return found


def _wanted_lines(block: bytes, human: bool) -> list[tuple[int, int, bool]]:
    """(start, end, has usage) of the lines of `block` that may carry usage (a usage object, or
    a character-map message) or, in a main transcript, be a user prompt, a cost-state snapshot
    or a compaction (farm/sessions/scanner.py).

    One pass over the block finds every needle; this is where most of the time goes.
    """
    return wanted_lines(block, human, BIG_LINE)


def _scan_line(block, view, start, end, has_usage, found, stats, human, tools) -> None:
    obj = parse_lenient(view[start:end])  # a view, not a copy: most of these lines are long
    if obj is None:
        line = block[start:end]
        if b"\x00" in line:
            line = line.strip(b"\x00")
            obj = None if not line or b"\x00" in line else parse_lenient(line)
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
    elif kind == "cost-state" and human:
        _take_cost_state(obj, found)
    elif kind == "system" and obj.get("subtype") == "compact_boundary":
        found.compactions += 1
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
    if _is_char_map(message):
        message = _from_char_map(message)
        if message is None:
            stats.skip("streamed message stored as a character map, not JSON")
            return
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
    searches = _searches(usage, stats)
    advisors = _advisor_calls(usage, obj.get("advisorModel"), stats)
    ts = epoch(obj.get("timestamp"))
    ts = ts if ts is not None else (found.end or 0.0)
    key = f"{message_id}|{request_id or ''}"
    mode = _mode(usage)
    _keep(found, Call(key=key, message_id=message_id, request_id=request_id, ts=ts,
                      model=model if isinstance(model, str) and model else "unknown", usage=tokens,
                      context=tokens[0] + tokens[2] + tokens[3] + tokens[4], mode=mode, searches=searches))
    for i, (advisor_model, advisor_tokens) in enumerate(advisors):
        # Advisor calls are billed apart and left out of the top-level usage: each is its own call.
        _keep(found, Call(key=f"{key}|advisor{i}", message_id=f"{message_id}#advisor{i}", request_id=request_id,
                          ts=ts, model=advisor_model, usage=advisor_tokens,
                          context=advisor_tokens[0] + advisor_tokens[2] + advisor_tokens[3] + advisor_tokens[4],
                          mode=mode))


def _keep(found: FileScan, call: Call) -> None:
    """Streamed repeats of a response share its key: the largest usage is the real one."""
    old = found.calls.get(call.key)
    if old is None or sum(call.usage) > sum(old.usage):
        found.calls[call.key] = call
    else:
        found.ignored += 1


def _mode(usage: dict) -> str:
    """Priced modes of a response: fast mode (`speed`) and US-only inference (`inference_geo`)."""
    parts = []
    if usage.get("speed") == "fast":
        parts.append("fast")
    if usage.get("inference_geo") == "us":
        parts.append("geo-us")
    return "+".join(parts)


def _searches(usage: dict, stats: LineStats) -> int:
    tools = usage.get("server_tool_use")
    try:
        return count(tools, "web_search_requests") if isinstance(tools, dict) else 0
    except BadTokens:
        stats.skip("bad token count (web_search_requests)")  # the response's tokens still count
        return 0


def _advisor_calls(usage: dict, line_model: object, stats: LineStats) -> list[tuple[str, tuple]]:
    """`usage.iterations[]` entries of type advisor_message: (model, tokens) each. The other
    entry types (message, compaction, fallback_message) are inside the top-level usage."""
    iterations = usage.get("iterations")
    if not isinstance(iterations, list):
        return []
    out = []
    for entry in iterations:
        if isinstance(entry, dict) and entry.get("type") == "advisor_message":
            try:
                tokens = _usage(entry)
            except BadTokens as exc:
                stats.skip(f"bad token count (advisor {exc})")
                continue
            model = entry.get("model") or line_model
            out.append((model if isinstance(model, str) and model else "unknown", tokens))
    return out


def _is_char_map(message: object) -> bool:
    return isinstance(message, dict) and "0" in message and isinstance(message.get("0"), str) and "1" in message


def _from_char_map(message: dict) -> dict | None:
    """An Agent-SDK line can hold a streamed response as {"0": "{", "1": "\"", …}: the JSON text
    of the message spread one character per key. Rebuilt, it carries the response's real usage."""
    chars = []
    i = 0
    while (c := message.get(str(i))) is not None:
        if not isinstance(c, str):
            return None
        chars.append(c)
        i += 1
    rebuilt = parse_lenient("".join(chars).encode("utf-8", "surrogatepass"))
    extra = {k: v for k, v in message.items() if not k.isdigit()}
    if not isinstance(rebuilt, dict):  # spread text with the response's fields set beside it
        return extra if isinstance(extra.get("usage"), dict) else None
    return {**rebuilt, **extra}


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


# cost-state modelUsage keys, in farm's order: input, output, cache write, cache read, searches
HARNESS_KEYS = ("inputTokens", "outputTokens", "cacheCreationInputTokens", "cacheReadInputTokens",
                "webSearchRequests")


def _take_cost_state(obj: dict, found: FileScan) -> None:
    """Keep the last `cost-state` snapshot per harness run (`startTime`): they are cumulative,
    so a later one replaces an earlier one and snapshots are never summed."""
    models = obj.get("modelUsage")
    if not isinstance(models, dict):
        return
    kept = {}
    for model, tokens in models.items():
        if isinstance(tokens, dict):
            try:
                values = [count(tokens, k) for k in HARNESS_KEYS]
            except BadTokens:
                continue
            cost = tokens.get("costUSD")
            kept[str(model)] = values + [float(cost) if isinstance(cost, (int, float)) else None]
    total = obj.get("totalCostUSD")
    run = str(obj.get("startTime") or "")
    found.state.setdefault("cost_state", {})[run] = {
        "total": float(total) if isinstance(total, (int, float)) else None, "models": kept,
        "unknown": bool(obj.get("hasUnknownModelCost"))}


def prompt_text(obj: dict) -> str | None:
    """The text of a user line when it is a prompt a person typed (not a tool result, a slash
    command's output or a reminder the harness injected), else None."""
    message = obj.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return None
        content = "\n".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str) or not content.strip():
        return None
    if content.lstrip().startswith(("<command-", "<local-command", "<system-reminder")):
        return None
    return content


def _take_prompt(obj: dict, found: FileScan) -> None:
    content = prompt_text(obj)
    if content is None:
        return
    found.turns += 1
    if found.first_prompt is None and not found.state.get("has_prompt"):
        found.first_prompt = content.strip()[:PROMPT_CHARS]
        found.state["has_prompt"] = True
    if found.turn_log is not None:
        from farm.redact import redact

        uuid = obj.get("uuid")
        found.turn_log.append(Turn(found.session_id, uuid if isinstance(uuid, str) else None,
                                   epoch(obj.get("timestamp")), redact(content.strip())))
