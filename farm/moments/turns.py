"""The user turns of a transcript, each with the agent's action just before it.

A small reader of its own (the usage readers in farm/sessions skip the text farm does not
bill): Claude Code user lines that a person typed (not tool results, not meta lines), and
Codex `user_message` events. The agent's action is its text and its tool calls, rendered as
`[Tool: argument]`, the last CONTEXT characters of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from farm.sessions.lines import LineStats, Unreadable, read_blocks
from farm.sessions.tokens import epoch

CONTEXT = 800
INTERRUPT = "[Request interrupted by user"


@dataclass
class UserTurn:
    turn_id: str  # Claude Code: the line's uuid; Codex: `<rollout file name>:<line number>`
    at: float | None  # epoch seconds
    text: str
    context: str  # the agent's action just before
    interrupted: bool
    position: int  # 0 for the session's first user turn


def user_turns(agent: str, path: Path) -> list[UserTurn]:
    """Every user turn of the transcript at `path`, in order; [] when it cannot be read."""
    try:
        lines = list(_lines(path))
    except (OSError, Unreadable):
        return []
    return _codex_turns(path, lines) if agent == "codex" else _claude_turns(lines)


def _lines(path: Path) -> Iterator[dict]:
    import orjson

    for _pos, block in read_blocks(path, 0, LineStats()):
        for raw in block.split(b"\n"):
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                try:
                    obj = orjson.loads(raw.decode("utf-8", "replace"))
                except orjson.JSONDecodeError:
                    obj = None
            yield obj if isinstance(obj, dict) else {}


class _Builder:
    def __init__(self):
        self.turns: list[UserTurn] = []
        self.context: list[str] = []
        self.interrupted = False

    def agent_said(self, text: str) -> None:
        if text:
            self.context.append(text)
            if sum(len(t) for t in self.context) > 4 * CONTEXT:
                self.context = self.context[-8:]

    def user_said(self, turn_id: str, at: float | None, text: str) -> None:
        context = "\n".join(self.context)[-CONTEXT:]
        self.turns.append(UserTurn(turn_id, at, text, context, self.interrupted, len(self.turns)))
        self.context, self.interrupted = [], False


def _claude_turns(lines: list[dict]) -> list[UserTurn]:
    built = _Builder()
    for obj in lines:
        kind = obj.get("type")
        message = obj.get("message")
        if not isinstance(message, dict) or obj.get("isSidechain"):
            continue
        if kind == "assistant":
            built.agent_said(_claude_action(message.get("content")))
        elif kind == "user" and not obj.get("isMeta"):
            text = _claude_user_text(message.get("content"))
            if text is None:
                continue
            if text.startswith(INTERRUPT):
                built.interrupted = True
                built.agent_said(text)
                continue
            if text.strip() and isinstance(obj.get("uuid"), str):
                built.user_said(obj["uuid"], epoch(obj.get("timestamp")), text)
    return built.turns


def _claude_user_text(content) -> str | None:
    """What the person typed, or None for a tool result."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    parts = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_result":
            return None
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts) if parts else None


def _claude_action(content) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif block.get("type") == "tool_use":
            parts.append(_tool(block.get("name"), block.get("input")))
    return "\n".join(parts)


def _tool(name, arguments) -> str:
    """`[Tool: its first argument]`, short."""
    first = ""
    if isinstance(arguments, dict) and arguments:
        first = str(next(iter(arguments.values())))
    elif isinstance(arguments, str):
        first = arguments
    first = " ".join(first.split())[:80]
    return f"[{name or 'tool'}: {first}]" if first else f"[{name or 'tool'}]"


def _codex_turns(path: Path, lines: list[dict]) -> list[UserTurn]:
    built = _Builder()
    for number, obj in enumerate(lines, start=1):
        payload = obj.get("payload")
        if not isinstance(payload, dict):
            continue
        kind, ptype = obj.get("type"), payload.get("type")
        if kind == "event_msg" and ptype == "user_message" and isinstance(payload.get("message"), str):
            if payload["message"].strip():
                built.user_said(f"{path.name}:{number}", epoch(obj.get("timestamp")), payload["message"])
        elif kind == "event_msg" and ptype == "agent_message" and isinstance(payload.get("message"), str):
            built.agent_said(payload["message"])
        elif kind == "event_msg" and ptype == "turn_aborted":
            built.interrupted = True
        elif kind == "response_item" and ptype in ("function_call", "custom_tool_call", "local_shell_call"):
            built.agent_said(_tool(payload.get("name") or ptype, payload.get("arguments") or payload.get("input")))
    return built.turns
