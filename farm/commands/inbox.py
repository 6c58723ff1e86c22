"""`farm inbox`: the correction moments no correction covers yet, ready to capture."""

from __future__ import annotations

import click

from farm.output import echo_json, money, safe, table


@click.command()
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many groups (0: all).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"groups": [{"id", "text", "cue", "count", "sessions", "cost_usd", "capture", "moments"}]}.')
def inbox(limit: int, as_json: bool) -> None:
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
    if as_json:
        echo_json({"groups": [g.as_json() for g in groups]})
        return
    if not groups:
        click.echo("inbox empty: every correction moment found matches a correction (or none was found; "
                   "run `farm sessions import`)")
        return
    click.echo(table(
        ["cost", "times", "sessions", "cue", "what the person said", "capture with"],
        [("price unknown" if g.cost_usd is None else money(g.cost_usd), len(g.moments), g.sessions,
          g.lead.cue or "-", safe(g.lead.text[:70]), g.capture_command) for g in groups],
    ))
