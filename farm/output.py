"""Printing helpers shared by every command: JSON, plain tables, terminal-safe text."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

# C0/C1 control characters (ANSI escapes start with ESC) except tab and newline, and the
# bidirectional overrides and isolates that make a terminal show text in another order.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: object) -> str:
    """Text fit for a terminal: control characters and ANSI escapes shown, not obeyed."""
    return _CONTROL.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """An error message as farm prints it: one line, terminal-safe, secrets (URL passwords and
    tokens included) redacted."""
    from farm.redact import redact_url

    return safe(redact_url(" ".join(str(text).split())))


def json_text(data: Any) -> str:
    """What echo_json prints, as text (for a command that keeps its output)."""
    import orjson

    return orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


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
