import click

from farm.output import echo_json, money, safe, table

STATUS_HELP = """\b
unproven  no recurrence yet, but too few sessions since to tell (or not committed yet)
holding   no recurrence in enough sessions that, at the old miss rate, one was likely
improved  it recurred, but clearly less often than before it landed
leaking   it recurred, not clearly less often than before it landed
retired   closed by a person

"before" and "after" are k/n: sessions with the miss in the sessions before
it landed and since. "avoided 90%" is the estimate's interval; nothing is
claimed for unproven, leaking or retired corrections."""


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
    if as_json and not correction_id:
        _listing(farm)
        return
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
    if not tracked:
        click.echo("No corrections yet. Record one with `farm capture`.")
        return
    from farm.redact import redact

    rows = [
        [t.id, t.kind, t.status, t.landed_at.date().isoformat() if t.landed_at else "-", t.misses_before,
         t.exposure_sessions, t.recurrences_after, t.catches, money(t.origin_cost_usd), _avoided(t),
         f"{t.before_k}/{t.before_n}", f"{t.after_k}/{t.after_n}", _interval(t), redact(t.title)]
        for t in tracked
    ]
    headers = ["id", "kind", "status", "landed", "misses", "sessions", "recurred", "catches", "cost", "avoided",
               "before", "after", "avoided 90%", "title"]
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
    click.echo(f"  verdict: {t.verdict}; cost avoided, 90% interval: {_interval(t)}")
    if t.events:
        click.echo("")
        click.echo(table(["when", "event", "session", "cost", "detail"], [
            [e.at.strftime("%Y-%m-%d %H:%M"), e.type, e.session_id or "-", money(e.cost_usd) if e.cost_usd is not None else "-",
             _clip(redact(" ".join((e.text or "").split())), 80)]
            for e in t.events
        ]))


def _interval(t) -> str:
    if t.est_cost_avoided_low_usd is None:
        return "-"
    return f"{money(t.est_cost_avoided_low_usd)}–{money(t.est_cost_avoided_high_usd)}"


def _avoided(t) -> str:
    """Nothing is claimed for an unproven, leaking or retired correction: "-", not "unknown"."""
    return money(t.est_cost_avoided_usd) if t.status in ("holding", "improved") else "-"


def _listing(farm) -> None:
    """`--json` for every correction, from the listing cache when nothing changed (see tracker)."""
    from farm.output import json_text
    from farm.tracker import listing_cache, track

    cache = listing_cache(farm)
    if cache.text is None:
        with farm.index() as (index, refresh):
            cache.text = json_text({"corrections": [t.as_json() for t in track(farm, index)]})
        cache.warnings = refresh.warnings
        cache.store(farm, cache.text, cache.warnings)
    for warning in cache.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    click.echo(cache.text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
