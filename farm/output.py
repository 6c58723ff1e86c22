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


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], style=None) -> str:
    """A plain left-aligned text table; numbers right-aligned. `style(column, padded, cell)`
    may colour a cell after padding, so colour never shifts the columns."""
    body = [[safe(cell if cell is not None else "-") for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    numeric = [
        all(_is_number(row[i]) for row in body) and bool(body) for i in range(len(headers))
    ]

    def fmt(cells: Sequence[str], styled: bool = False) -> str:
        out = [
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)
        ]
        if styled and style is not None:
            out = [style(i, padded, cell) for i, (padded, cell) in enumerate(zip(out, cells))]
        return "  ".join(out).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(row, styled=True) for row in body]
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


# --- listings: one output option for all, tables that fit the terminal -------------------


def output_options(json_help: str = "Print JSON (the shape is in docs/cli.md).", csv: bool = True):
    """`--json` and `--csv` for a listing, the same on every command (after sqlite-utils' output_options).

    The command receives `output`: "json", "csv" or None (a table for a person)."""

    def decorate(func):
        def to_output(ctx, param, value):
            if value:
                if ctx.meta.get("farm_output") not in (None, param.name):
                    raise click.UsageError("choose one of --json and --csv")
                ctx.meta["farm_output"] = param.name
            return value

        options = [click.option("--json", "output_json", is_flag=True, help=json_help, callback=to_output, expose_value=False)]
        if csv:
            options.append(click.option("--csv", "output_csv", is_flag=True, callback=to_output, expose_value=False,
                                        help="Print the rows as CSV (one header line; lists and objects as JSON)."))
        for option in reversed(options):
            func = option(func)

        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            name = click.get_current_context().meta.get("farm_output")
            return func(*args, output={"output_json": "json", "output_csv": "csv"}.get(name), **kwargs)

        return wrapper

    return decorate


def echo_csv(rows: list[dict]) -> None:
    """Rows of dicts as CSV: the union of their keys as the header, nested values as JSON."""
    import csv
    import io

    import orjson

    headers: list[str] = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(row.get(k), orjson) for k in headers])
    click.echo(buffer.getvalue(), nl=False)


def _csv_cell(value, orjson) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return orjson.dumps(value, default=str).decode()
    return str(value)


def fits_terminal() -> bool:
    """Fit tables to the terminal only for a person: stdout is a terminal, or COLUMNS says how wide.
    Piped output keeps whole ids and titles, for grep."""
    import os

    return sys.stdout.isatty() or bool(os.environ.get("COLUMNS"))


def terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def fit(headers: Sequence[str], rows: list[Sequence[object]], shrink: int, width: int | None = None,
        wide: bool = False) -> list[list[str]]:
    """Cells as text, with column `shrink` (a title) cut so each line fits `width` columns."""
    body = [[safe(cell if cell is not None else "-") for cell in row] for row in rows]
    if wide or not body:
        return body
    width = width or terminal_width()
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    others = sum(w for i, w in enumerate(widths) if i != shrink) + 2 * (len(headers) - 1)
    room = max(12, width - others)
    for row in body:
        row[shrink] = truncate(row[shrink], room)
    return body


def colour(text: str, status: str) -> str:
    """A status word in its colour; click drops the colour when stdout is not a terminal, NO_COLOR always."""
    import os

    colours = {"leaking": "red", "improved": "cyan", "holding": "green", "unproven": "yellow", "retired": "bright_black"}
    if os.environ.get("NO_COLOR") or status not in colours:
        return text
    return click.style(text, fg=colours[status])


def page(text: str) -> None:
    """Long output through the pager on a terminal (like git); straight out otherwise."""
    import shutil

    lines = text.count("\n") + 1
    if sys.stdout.isatty() and lines > shutil.get_terminal_size((80, 24)).lines - 2:
        click.echo_via_pager(text)
    else:
        click.echo(text)
