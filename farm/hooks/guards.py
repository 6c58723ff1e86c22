"""Guards as the PreToolUse hook reads them: `corrections/guards/<id>.yml`, and matching.

A guard names tools and RE2 patterns; what is matched is the part of the call that says
what it does: a Bash command, an Edit/Write/Read file path, a WebFetch URL. RE2 because
the patterns run on every tool call: linear time, no pattern can hang the agent.
A leaf module (the hook imports it on every tool call); the artifact kind that writes
guard files is farm/artifacts/guard.py.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path

from farm.errors import InvalidInput

GUARD_DIR = "guards"
DECISIONS = ("deny", "ask")
# Which field of tool_input a pattern reads, per tool; any other tool: its whole input as JSON.
SUBJECT_FIELDS = {
    "Bash": "command",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "Write": "file_path",
    "Read": "file_path",
    "NotebookEdit": "notebook_path",
    "WebFetch": "url",
    "WebSearch": "query",
    "Glob": "pattern",
    "Grep": "pattern",
    "shell": "command",  # Codex
}


@dataclass(frozen=True)
class Guard:
    correction: str
    message: str
    decision: str
    match: tuple[tuple[str, str], ...]  # (tool name or glob, RE2 pattern)


@dataclass(frozen=True)
class Hit:
    guard: Guard
    tool: str
    pattern: str
    subject: str


def compile_pattern(pattern: str):
    import re2

    try:
        return re2.compile(pattern)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise InvalidInput(f"--guard-pattern {pattern!r}: not a valid RE2 pattern ({reason})") from None


def load_guards(corrections_dir: Path, skip: set[str] = frozenset()) -> tuple[list[Guard], list[str]]:
    """Every guard in the farm (minus corrections in `skip`), and a warning per broken file."""
    import yaml

    from farm.model import read_text

    guards, warnings = [], []
    folder = corrections_dir / GUARD_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        name = f"{GUARD_DIR}/{path.name}"
        try:
            guard = guard_from(yaml.safe_load(read_text(path, name)))
        except (yaml.YAMLError, ValueError, TypeError, InvalidInput) as exc:
            warnings.append(f"{name}: {str(exc).splitlines()[0]}")
            continue
        except Exception as exc:  # InvalidCorrection from read_text
            warnings.append(str(exc))
            continue
        if guard.correction not in skip:
            guards.append(guard)
    return guards, warnings


def guard_from(data: object) -> Guard:
    if not isinstance(data, dict) or not isinstance(data.get("correction"), str):
        raise ValueError("correction: required field is missing")
    decision = data.get("decision", "deny")
    if decision not in DECISIONS:
        raise ValueError(f"decision: {decision!r} is not deny or ask")
    match = data.get("match")
    if not isinstance(match, list) or not match:
        raise ValueError("match: expected a list of {tool, pattern}")
    pairs = []
    for item in match:
        if not isinstance(item, dict) or not isinstance(item.get("tool"), str) or not isinstance(item.get("pattern"), str):
            raise ValueError("match: each entry needs a tool and a pattern (strings)")
        compile_pattern(item["pattern"])
        pairs.append((item["tool"], item["pattern"]))
    return Guard(data["correction"], str(data.get("message") or ""), decision, tuple(pairs))


def subject(tool: str, tool_input: object) -> str:
    """The part of a tool call a pattern reads."""
    if not isinstance(tool_input, dict):
        return ""
    value = tool_input.get(SUBJECT_FIELDS.get(tool, ""))
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # Codex passes a command as argv
        return " ".join(str(v) for v in value)
    return json.dumps(tool_input, sort_keys=True, ensure_ascii=False)


_COMPILED: dict[str, object] = {}


def first_hit(guards: list[Guard], tool: str, tool_input: object) -> Hit | None:
    """The first guard whose pattern matches this call (deny before ask), or None."""
    text = None
    for guard in sorted(guards, key=lambda g: DECISIONS.index(g.decision)):
        for tool_glob, pattern in guard.match:
            if tool_glob != tool and not fnmatch.fnmatchcase(tool, tool_glob):
                continue
            if text is None:
                text = subject(tool, tool_input)
            if pattern not in _COMPILED:
                _COMPILED[pattern] = compile_pattern(pattern)
            if _COMPILED[pattern].search(text):
                return Hit(guard, tool, pattern, text)
    return None
