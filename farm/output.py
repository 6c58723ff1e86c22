"""Printing helpers shared by every command: JSON, plain tables, terminal-safe text."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

# C0/C1 control characters (ANSI escapes start with ESC) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """Text fit for a terminal: control characters and ANSI escapes shown, not obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def echo_json(data: Any) -> None:
    import orjson

    click.echo(orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def echo_json_line(data: Any) -> None:
    import orjson

    click.echo(orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS).decode())
    sys.stdout.flush()


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain left-aligned text table; numbers right-aligned."""
    body = [[safe(cell if cell is not None else "-") for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    numeric = [
        all(_is_number(row[i]) for row in body) and bool(body) for i in range(len(headers))
    ]

    def fmt(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)
        ]
        return "  ".join(out).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(row) for row in body]
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+$]?[\d,]*\.?\d+%?|-", text))


def money(value: float | None) -> str:
    """Dollars for a table: cents, or four decimals for amounts under a cent (never a false $0.00)."""
    if value is None:
        return "unknown"
    if 0 < abs(value) < 0.01:
        return f"${value:.4f}"
    return f"${value:,.2f}"


def truncate(text: str, width: int) -> str:
    """`text` cut to `width` characters, with an ellipsis when something was dropped."""
    text = str(text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def ago(when, now=None) -> str:
    """'12 min ago', '3 h ago', '2 d ago' (with the local date and zone past a day)."""
    from datetime import datetime, timezone

    if when is None:
        return "-"
    now = now or datetime.now(timezone.utc)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return local_time(when)


def local_time(when, with_zone: bool = True) -> str:
    """A time as the person reads it: local, minutes, and the zone's name ('2026-12-04 21:24 EST')."""
    if when is None:
        return "-"
    local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M") + (f" {local.tzname()}" if with_zone else "")
