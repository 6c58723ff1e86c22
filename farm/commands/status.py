import click

from farm.output import echo_json, money, safe, table


@click.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"corrections":[{"id","title","kind","status",…}]}.')
def status(as_json: bool) -> None:
    """The tracker: one row per correction with its status and history.

    \b
    unproven  landed, but too few sessions since to judge (or not committed yet)
    holding   enough sessions since it landed, and the miss has not come back
    leaking   the miss came back after the correction landed
    retired   closed by a person
    """
    from farm.project import open_farm
    from farm.tracker import track

    farm = open_farm()
    with farm.index() as (index, refresh):
        tracked = track(farm, index)
    for warning in refresh.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if as_json:
        echo_json({"corrections": [t.as_json() for t in tracked]})
        return
    if not tracked:
        click.echo("No corrections yet. Record one with `farm capture`.")
        return
    rows = [
        [t.id, t.kind, t.status, t.created.date().isoformat(), t.misses, t.recurrences,
         t.catches, money(t.origin_cost_usd) if t.origin_cost_usd is not None else "-", t.title]
        for t in tracked
    ]
    click.echo(table(["id", "kind", "status", "created", "misses", "recurrences", "catches", "cost", "title"], rows))
