"""`farm inbox`: the correction moments no correction covers yet, ready to capture."""

from __future__ import annotations

import click

from farm.output import echo_csv, echo_json, fit, fits_terminal, money, output_options, page, safe, table


@click.command()
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many groups (0: all).")
@output_options('Print {"groups": [{"id", "text", "cue", "count", "sessions", "cost_usd", "capture", "moments"}]}.')
def inbox(limit: int, output: str | None) -> None:
    """Moments in this repo's sessions that match no correction, costliest first.

    Moments that look like the same failure are one group. Each group says how to capture
    it: `farm capture --moment ID` prefills the title, what went wrong, the session and
    its cost for you to review.
    """
    from farm.moments.inbox import inbox as load_inbox
    from farm.project import open_farm

    groups = load_inbox(open_farm())
    if limit:
        groups = groups[:limit]
    if output == "json":
        echo_json({"groups": [g.as_json() for g in groups]})
        return
    if output == "csv":
        echo_csv([g.as_json() for g in groups])
        return
    if not groups:
        click.echo("inbox empty: every correction moment found matches a correction (or none was found; "
                   "run `farm sessions import`)")
        return
    headers = ["cost", "times", "sessions", "cue", "capture with", "what the person said"]
    rows = [("price unknown" if g.cost_usd is None else money(g.cost_usd), len(g.moments), g.sessions,
             g.lead.cue or "-", g.capture_command, " ".join(g.lead.text.split())) for g in groups]
    page(table(headers, fit(headers, rows, shrink=len(headers) - 1, wide=not fits_terminal())))
