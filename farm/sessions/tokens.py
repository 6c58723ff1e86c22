"""Small parsing helpers shared by the readers: token counts and timestamps."""

from __future__ import annotations

from datetime import datetime


class BadTokens(ValueError):
    """A token count that is not a non-negative integer."""


def count(obj: dict, name: str) -> int:
    value = obj.get(name)
    if value is None:
        return 0
    if type(value) is int and value >= 0:
        return value
    if type(value) is float and value >= 0 and value.is_integer():
        return int(value)
    raise BadTokens(name)


def epoch(value: object) -> float | None:
    """Seconds since the epoch for an ISO-8601 timestamp (UTC when no offset is given)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()
