import click

from farm.output import echo_json, money, safe, table

STATUS_HELP = """\b
unproven  landed, but too few sessions since to judge (or not committed yet)
holding   enough sessions since it landed, and the miss has not come back
leaking   the miss came back after the correction landed
retired   closed by a person"""


@click.command(help=f"""The tracker: one row per correction, or one correction's whole history.

{STATUS_HELP}
""")
@click.argument("correction_id", required=False)
@click.option("--json", "as_json", is_flag=True, help='Print {"corrections":[{"id","title","kind","status",…}]}.')
def status(correction_id: str | None, as_json: bool) -> None:
    from farm.errors import UnknownCorrection
    from farm.project import open_farm
    from farm.tracker import track

    farm = open_farm()
    with farm.index() as (index, refresh):
        tracked = track(farm, index, with_text=bool(correction_id))
    for warning in refresh.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if correction_id:
        one = next((t for t in tracked if t.id == correction_id), None)
        if one is None:
            raise UnknownCorrection(f"no correction {correction_id!r} (see `farm status`)")
        if as_json:
            echo_json(one.as_json(with_events=True))
        else:
            _history(one)
        return
    if as_json:
        echo_json({"corrections": [t.as_json() for t in tracked]})
        return
    if not tracked:
        click.echo("No corrections yet. Record one with `farm capture`.")
        return
    from farm.redact import redact

    rows = [
        [t.id, t.kind, t.status, t.landed_at.date().isoformat() if t.landed_at else "-", t.misses_before,
         t.exposure_sessions, t.recurrences_after, t.catches, money(t.origin_cost_usd), money(t.est_cost_avoided_usd),
         redact(t.title)]
        for t in tracked
    ]
    headers = ["id", "kind", "status", "landed", "misses", "sessions", "recurred", "catches", "cost", "avoided", "title"]
    click.echo(table(headers, rows))


def _history(t) -> None:
    from farm.redact import redact

    click.echo(f"{safe(t.id)}  {safe(redact(t.title))}")
    click.echo(f"  kind {t.kind}, status {t.status}, created {t.created:%Y-%m-%d %H:%M}, "
               f"landed {t.landed_at:%Y-%m-%d %H:%M}" if t.landed_at else
               f"  kind {t.kind}, status {t.status}, created {t.created:%Y-%m-%d %H:%M}, not landed (uncommitted)")
    click.echo(f"  misses before landing {t.misses_before}, sessions since {t.exposure_sessions}, "
               f"recurrences since {t.recurrences_after}, catches {t.catches}")
    click.echo(f"  cost of the first miss {money(t.origin_cost_usd)}, estimated cost avoided {money(t.est_cost_avoided_usd)}")
    if t.events:
        click.echo("")
        click.echo(table(["when", "event", "session", "cost", "detail"], [
            [e.at.strftime("%Y-%m-%d %H:%M"), e.type, e.session_id or "-", money(e.cost_usd) if e.cost_usd is not None else "-",
             _clip(redact(" ".join((e.text or "").split())), 80)]
            for e in t.events
        ]))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
