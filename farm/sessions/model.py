"""What farm knows about one agent session, independent of the agent that wrote it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime


@dataclass
class Usage:
    """Tokens by the classes the bill uses. The classes never overlap: they add up to the bill.

    input_tokens is fresh input only (no cache reads, no cache writes); output_tokens
    excludes reasoning_tokens. docs/sessions.md says how each agent's fields map here.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def cache_creation_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def total_tokens(self) -> int:
        return sum(self.as_tuple())

    @property
    def context_tokens(self) -> int:
        """What the model read for this call: fresh input plus cached context."""
        return self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        return (
            self.input_tokens,
            self.output_tokens,
            self.cache_write_5m_tokens,
            self.cache_write_1h_tokens,
            self.cache_read_tokens,
            self.reasoning_tokens,
        )

    @classmethod
    def from_tuple(cls, values) -> Usage:
        return cls(*(int(v or 0) for v in values))

    def as_dict(self) -> dict[str, int]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["cache_creation_tokens"] = self.cache_creation_tokens
        return out

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple())))


USAGE_FIELDS = tuple(f.name for f in fields(Usage))


@dataclass
class SessionRecord:
    agent: str
    session_id: str
    models: list[str]
    start: datetime | None
    end: datetime | None
    cwd: str | None
    git_branch: str | None
    usage: Usage
    cost_usd: float | None  # None: some model's price is unknown
    usage_by_model: dict[str, Usage]
    turns: int
    tool_calls: int
    first_prompt: str | None
    task_type: str | None
    path: str
    calls: int = 0
    context_first: int = 0  # context size of the first call, tokens
    context_peak: int = 0
    context_last: int = 0
    commits: list[str] = field(default_factory=list)
    compactions: int = 0
    harness: dict | None = None  # Claude `cost-state`: what the harness itself counted (a check)
    subagents: dict[str, int] = field(default_factory=dict)  # agentType (from meta.json) -> transcripts

    @property
    def duration_seconds(self) -> float | None:
        if self.start and self.end:
            return (self.end - self.start).total_seconds()
        return None

    @property
    def resent_share(self) -> float | None:
        """Share of all tokens that was context read again (cache reads), not new work."""
        total = self.usage.total_tokens
        return self.usage.cache_read_tokens / total if total else None


@dataclass(slots=True)
class Call:
    """One billed model response, as a reader found it (before deduplication across files)."""

    key: str  # unique per response: Claude "message.id|requestId", Codex "session:offset"
    message_id: str | None
    request_id: str | None
    ts: float  # epoch seconds, UTC
    model: str
    usage: tuple[int, int, int, int, int, int]  # Usage.as_tuple() order
    context: int  # tokens the model read for this call (fresh input + cache)
    mode: str = ""  # priced modes beyond the standard rate, "+"-joined: fast, geo-us, priority, flex
    searches: int = 0  # server-side web search requests (billed per request, not per token)


@dataclass(slots=True)
class Turn:
    """One user prompt in a session's main thread (not a tool result, command or injection)."""

    session_id: str | None
    turn_id: str | None  # Claude: the line's uuid; Codex: the turn's id when the log has one
    ts: float | None  # epoch seconds, UTC
    text: str  # redacted


@dataclass
class FileScan:
    """What one read of a transcript (from some byte offset) found."""

    agent: str
    session_id: str | None = None
    calls: dict[str, Call] = field(default_factory=dict)
    start: float | None = None
    end: float | None = None
    cwd: str | None = None
    git_branch: str | None = None
    first_prompt: str | None = None
    turns: int = 0
    tool_calls: int = 0
    ignored: int = 0  # lines read on purpose and not counted: replays, mirrors, synthetic
    warnings: list[str] = field(default_factory=list)  # said once per file: something farm may misread
    turn_log: list[Turn] | None = None  # filled only when a caller asks for the user turns
    compactions: int = 0  # context compactions (Claude `system/compact_boundary`)
    state: dict = field(default_factory=dict)  # the reader's own state, to resume at the offset

    def saw_time(self, ts: float | None) -> None:
        if ts is None:
            return
        if self.start is None or ts < self.start:
            self.start = ts
        if self.end is None or ts > self.end:
            self.end = ts
