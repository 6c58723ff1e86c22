"""Agent session logs: one reader module per agent format, in a plain registry.

A reader module provides AGENT, default_dirs(), discover(dirs), session_id_for(path),
is_subagent(path) and scan(path, offset, state, stats) -> FileScan.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from farm.sessions import claude, codex
from farm.sessions.model import SessionRecord, Turn, Usage

READERS: dict[str, ModuleType] = {"claude": claude, "codex": codex}

__all__ = ["READERS", "SessionRecord", "Turn", "Usage", "reader_for", "read_session", "user_turns"]


def reader_for(path: Path) -> ModuleType:
    """The reader for a transcript, from its name or, failing that, its first line."""
    if path.name.startswith("rollout-") or path.name.endswith(".zst"):
        return codex
    from farm.sessions.lines import Unreadable, open_regular

    try:
        with open_regular(path) as fh:
            head = fh.read(4096)
    except (OSError, Unreadable):
        return claude
    first = head.split(b"\n", 1)[0]
    if b'"payload"' in first and (b'"session_meta"' in first or b'"turn_context"' in first):
        return codex
    return claude


def read_session(path: Path) -> SessionRecord:
    """Read one transcript (and, for Claude Code, its subagents' transcripts) into a record.

    Nothing is written to the store; raises InvalidInput when the file holds no session.
    """
    from farm.sessions.importer import read_one

    return read_one(Path(path))


def user_turns(path: Path) -> list[Turn]:
    """The user turns of one transcript's main thread, in order: what a person typed (tool
    results, slash commands, injected instructions and a fork's replayed history left out).
    Text is redacted. Raises InvalidInput when the file cannot be read."""
    from farm.errors import InvalidInput
    from farm.sessions.lines import LineStats, Unreadable

    path = Path(path)
    reader = reader_for(path)
    turns: list[Turn] = []
    try:
        found = reader.scan(path, 0, {}, LineStats(), turns=turns)
    except Unreadable as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    for turn in turns:
        turn.session_id = found.session_id
    return turns
