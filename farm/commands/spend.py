"""`farm spend`: tokens and cost by model, day, agent, task type, session or correction."""

from __future__ import annotations

from pathlib import Path

import click

from farm.errors import FarmError
from farm.output import echo_csv, echo_json, money, output_options, page, table
from farm.spend import GROUPS


@click.command()
@click.option("--by", "by", type=click.Choice(GROUPS), default="model", show_default=True)
@click.option("--since", help="From: 7d, 12h, 2w, YYYY-MM-DD or an ISO time.")
@click.option("--until", help="Until (a bare date includes that day).")
@click.option("--repo", type=click.Path(path_type=Path), help="Only sessions whose cwd is inside this folder.")
@click.option("--tz", "tz_name", help="Time zone for days and dates (default: this machine's).")
@click.option("--loops", is_flag=True,
              help="Tokens and cost per completed loop (a session ending in a commit), by task type.")
@click.option("--no-refresh", is_flag=True, help="Report the store as it is, without importing new log lines first.")
@output_options('Print {"by", "time_zone", "scope", "rows":[…], "total":{…}} (docs/cli.md).')
def spend(by, since, until, repo, tz_name, loops, no_refresh, output) -> None:
    """Tokens and cost from agent sessions (what is new in the agents' default log folders is
    imported first; --no-refresh skips that).

    Token classes never overlap: input is fresh input, cache write/read are apart, and
    reasoning is not inside output. A model without a known price shows "price unknown".
    """
    from farm.spend import Filters, parse_when, spend_document

    if loops and by != "task-type" and click.get_current_context().get_parameter_source("by").name != "DEFAULT":
        from farm.errors import InvalidInput

        raise InvalidInput(f"--loops is grouped by task type; it cannot be grouped --by {by} (drop --by)")
    tz = _tz(tz_name)
    filters = Filters(since=parse_when(since, tz), until=parse_when(until, tz, end=True), repo=repo)
    corrections = _session_corrections() if by == "correction" and not loops else None
    report = spend_document(by, filters, tz, loops_only=loops, corrections=corrections, refresh=not no_refresh)
    if output == "json":
        echo_json(report)
    elif output == "csv":
        echo_csv(report["rows"])
    elif loops:
        _show_loops(report["rows"], report["total"])
    else:
        _show(by, report["rows"], report["total"], tz, ranged=bool(since or until), scope=report["scope"])


def _tz(name: str | None):
    from farm.spend import local_tz

    if not name:
        return local_tz()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from farm.errors import InvalidInput

        raise InvalidInput(f"unknown time zone {name!r} (e.g. UTC, Europe/Paris)") from None


def _session_corrections() -> dict[str, list[str]]:
    """{session id: ids of the corrections whose misses or recurrences came from it}."""
    from farm import git
    from farm.config import load_config
    from farm.index import open_index

    try:
        root = git.find_root()
    except FarmError:
        return {}
    corrections_dir = root / load_config(root)["corrections_dir"]
    out: dict[str, list[str]] = {}
    with open_index(root, corrections_dir) as (index, _report):
        for event in index.events():
            if event.session_id and event.type in ("miss", "recurrence"):
                ids = out.setdefault(event.session_id, [])
                if event.correction not in ids:
                    ids.append(event.correction)
    return out


def _cost(row: dict) -> str:
    if row["cost_usd"] is None:
        return "price unknown"
    return money(row["cost_usd"]) + (" + unknown" if row["price_unknown"] else "")


def _show(by: str, rows: list[dict], total: dict, tz, ranged: bool, scope: str) -> None:
    if not rows:
        click.echo("no usage in that range" if ranged else "no usage yet (run `farm sessions import` first)")
        return
    dicts = rows + [total]
    headers = [by, "sessions", "input", "output", "cache write", "cache read", "reasoning", "cost"]
    if by == "session":
        headers += ["re-sent", "context first→last"]
    body = []
    for d in dicts:
        line = [d["key"], d["sessions"], f"{d['input_tokens']:,}", f"{d['output_tokens']:,}",
                f"{d['cache_creation_tokens']:,}", f"{d['cache_read_tokens']:,}", f"{d['reasoning_tokens']:,}",
                _cost(d)]
        if by == "session":
            share = d.get("resent_share")
            line += ["-" if share is None else f"{share:.0%}", _growth(d)]
        body.append(line)
    notes = [f"Scope: {scope}" + ("; --repo . for this one." if scope.startswith("every") else ".")]
    if by in ("day", "session"):
        notes.append(f"Days and times in {tz}.")
    page(table(headers, body) + "\n" + " ".join(notes))


def _growth(d: dict) -> str:
    first, last = d.get("context_first"), d.get("context_last")
    if not first:
        return "-"
    return f"{_k(first)}→{_k(last)} (×{d['context_growth']})"


def _k(n: int) -> str:
    return f"{n / 1000:.0f}k" if n >= 1000 else str(n)


def _show_loops(rows: list[dict], total: dict) -> None:
    if not total["sessions"]:
        click.echo("no sessions imported yet (run `farm sessions import`)")
        return
    body = [
        (r["key"], r["sessions"], r["loops"], f"{r['input_tokens'] + r['output_tokens'] + r['cache_creation_tokens'] + r['cache_read_tokens'] + r['reasoning_tokens']:,}",
         _cost(r), "-" if r["tokens_per_loop"] is None else f"{r['tokens_per_loop']:,}",
         "-" if r["cost_per_loop_usd"] is None else money(r["cost_per_loop_usd"]))
        for r in rows + [total]
    ]
    click.echo(table(["task type", "sessions", "loops", "tokens", "cost", "tokens/loop", "cost/loop"], body))
    click.echo("a loop = a session that ended in a commit; per-loop figures include the sessions that did not")
