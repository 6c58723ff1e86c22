"""`farm status` / `farm list` (the tracker, one row per correction) and `farm show ID` (one history)."""

import click

from farm.output import colour, echo_csv, echo_json, fit, fits_terminal, local_time, money, output_options, page, safe, table

STATUS_HELP = """\b
unproven  no recurrence yet, but too few sessions since to tell (or not committed yet)
holding   no recurrence in enough sessions that, at the old miss rate, one was likely
improved  it recurred, but clearly less often than before it landed
leaking   it recurred, not clearly less often than before it landed
retired   closed by a person

"before" and "after" are k/n: sessions with the miss in the sessions before
it landed and since. "avoided 90%" is the estimate's interval; nothing is
claimed for unproven, leaking or retired corrections."""
STATUSES = ("leaking", "improved", "unproven", "holding", "retired")  # the order a person acts on them
KINDS = ("test", "grader", "prompt", "skill", "guard")
SORTS = {
    "status": lambda t: (STATUSES.index(t.status) if t.status in STATUSES else len(STATUSES), t.created),
    "landed": lambda t: (t.landed_at is None, t.landed_at),
    "created": lambda t: t.created,
    "cost": lambda t: -(t.origin_cost_usd or 0),
    "avoided": lambda t: -(t.est_cost_avoided_usd or 0),
    "recurred": lambda t: -t.recurrences_after,
    "title": lambda t: t.title.lower(),
    "id": lambda t: t.id,
}
LIST_JSON = 'Print {"corrections":[{"id","title","kind","status","landed_at",…}]} (every field: docs/cli.md).'


def complete_correction_id(ctx, param, incomplete: str) -> list:
    """Shell completion: the ids of the correction files in this farm."""
    import glob

    from farm import git
    from farm.config import load_config
    from farm.errors import FarmError

    try:
        root = git.find_root()
        folder = root / load_config(root)["corrections_dir"]
        return sorted(p.stem for p in folder.glob(f"{glob.escape(incomplete)}*.md"))
    except (FarmError, OSError):
        return []


def listing_options(func):
    """The filters and layout `farm status` and `farm list` share."""
    for option in reversed([
        click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only corrections with this status (repeatable)."),
        click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only corrections of this kind (repeatable)."),
        click.option("--sort", type=click.Choice(list(SORTS)),
                     help="Row order. The table's default is status (leaking first, then improved, unproven, "
                          "holding, retired); --json and --csv keep the tracker's order (oldest first) unless asked."),
        click.option("--wide", is_flag=True, help="Full ids and titles, however wide the terminal."),
        output_options(LIST_JSON),
    ]):
        func = option(func)
    return func


@click.command(help=f"""The tracker: one row per correction, or one correction's whole history.

{STATUS_HELP}

CORRECTION_ID may be any unique prefix of an id, or its six-character suffix
(the short id the table shows).
""")
@click.argument("correction_id", required=False, shell_complete=complete_correction_id)
@listing_options
def status(correction_id: str | None, statuses, kinds, sort: str | None, wide: bool, output: str | None) -> None:
    if correction_id:
        show_one(correction_id, output == "json")
        return
    show_list(statuses, kinds, sort, wide, output)


def show_list(statuses, kinds, sort: str | None, wide: bool, output: str | None) -> None:
    from farm.project import open_farm

    farm = open_farm()
    if output == "json" and not (statuses or kinds or sort):
        _listing(farm)  # the whole listing, kept under FARM_HOME while the farm is unchanged
        return
    tracked = _tracked(farm, with_text=False)
    tracked = [t for t in tracked if (not statuses or t.status in statuses) and (not kinds or t.kind in kinds)]
    if sort or not output:
        tracked.sort(key=SORTS[sort or "status"])
    if output == "json":
        echo_json({"corrections": [t.as_json() for t in tracked]})
        return
    if output == "csv":
        echo_csv([t.as_json() for t in tracked])
        return
    footer = _footer(farm)
    if not tracked:
        click.echo("No corrections match." if statuses or kinds else "No corrections yet. Record one with `farm capture`.")
        for line in footer:
            click.echo(line)
        return
    page(_table(tracked, wide) + "\n" + "\n".join([_summary(tracked), *footer]))


def _tracked(farm, with_text: bool):
    from farm.tracker import track

    with farm.index() as (index, refresh):
        tracked = track(farm, index, with_text=with_text)
    for warning in refresh.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    return tracked


def _table(tracked, wide: bool) -> str:
    from farm.ids import short_correction_ids
    from farm.redact import redact
    from farm.output import fits_terminal, terminal_width

    wide = wide or not fits_terminal()
    short = {t.id: t.id for t in tracked} if wide else short_correction_ids(t.id for t in tracked)
    columns = {
        "id": lambda t: short[t.id],
        "status": lambda t: t.status,
        "verdict": lambda t: getattr(t, "verdict", None) or "-",  # the evidence work's verdict, when present
        "kind": lambda t: t.kind,
        "landed": lambda t: t.landed_at.astimezone().strftime("%Y-%m-%d") if t.landed_at else "-",
        "recur": lambda t: t.recurrences_after,
        # the evidence work's k-in-n figures, when the tracker has them: sessions with the miss / sessions
        "before": lambda t: f"{getattr(t, 'before_k', 0)}/{getattr(t, 'before_n', 0)}",
        "after": lambda t: f"{getattr(t, 'after_k', 0)}/{getattr(t, 'after_n', 0)}",
        "cost": lambda t: money(t.origin_cost_usd),
        "avoided": _avoided,
        "avoided 90%": _interval,
        "title": lambda t: redact(t.title),  # a title written by hand may hold a secret
    }
    if not any(getattr(t, "est_cost_avoided_low_usd", None) is not None for t in tracked):
        del columns["avoided 90%"]
    if not any(getattr(t, "verdict", None) for t in tracked):
        del columns["verdict"]
    if not any(hasattr(t, "before_n") for t in tracked):
        del columns["before"], columns["after"]
    # On a narrow terminal the title keeps at least MIN_TITLE characters: the verdict (the status says it in
    # a word), landed, kind, then the k-in-n make room.
    for dropped in (("verdict",), ("avoided 90%",), ("landed",), ("kind",), ("before", "after")):
        if wide or _title_room(columns, tracked) >= MIN_TITLE:
            break
        for name in dropped:
            columns.pop(name, None)
    headers = list(columns)
    rows = [[get(t) for get in columns.values()] for t in tracked]
    cells = fit(headers, rows, shrink=len(headers) - 1, wide=wide, width=None if wide else terminal_width())
    at = headers.index("status")
    return table(headers, cells, style=lambda col, padded, cell: colour(padded, cell) if col == at else padded)


MIN_TITLE = 30


def _title_room(columns: dict, tracked) -> int:
    from farm.output import terminal_width

    widths = [max(len(name), *(len(safe(get(t))) for t in tracked)) for name, get in columns.items() if name != "title"]
    return terminal_width() - sum(widths) - 2 * len(widths)


def _interval(t) -> str:
    low, high = getattr(t, "est_cost_avoided_low_usd", None), getattr(t, "est_cost_avoided_high_usd", None)
    return "-" if low is None or high is None else f"{money(low)}–{money(high)}"


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


def _summary(tracked) -> str:
    from collections import Counter
    from datetime import datetime

    counts = Counter(t.status for t in tracked)
    parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
    zone = datetime.now().astimezone().tzname()
    return f"\n{len(tracked)} correction(s): {', '.join(parts)}. Dates in {zone}.\n`farm show ID` shows one correction's history."


def _footer(farm) -> list[str]:
    """Farm's files that git does not track yet, and the command that commits them."""
    from farm import git
    from farm.errors import FarmError

    try:
        pending = git.untracked_paths(farm.root, farm_paths(farm))
    except FarmError:
        return []
    if not pending:
        return []
    from farm.output import terminal_width, truncate

    width = terminal_width() if fits_terminal() else 10_000
    folders = sorted({p.split("/", 1)[0] if "/" in p else p for p in pending})
    lines = [f"Not committed yet: {len(pending)} farm file(s):"]
    lines += [f"  {truncate(path, width - 2)}" for path in pending[:3]]
    if len(pending) > 3:
        lines.append(f"  … and {len(pending) - 3} more")
    lines.append(f"Commit them: git add {' '.join(folders)} && git commit -m 'farm: add farm files'")
    return lines


def farm_paths(farm) -> list[str]:
    """Where farm writes in a repo: its folders and the files `farm init` and the hooks make."""
    config = farm.config
    return [str(p) for p in (config["corrections_dir"], config["templates_dir"], config["test_dir"],
                             *config["skill_dirs"], *config["prompt_files"], ".claude/settings.json", "farm.toml",
                             "mkdocs.yml", ".pre-commit-config.yaml", ".farm")]


def show_one(correction_id: str, as_json: bool) -> None:
    from farm.ids import resolve
    from farm.project import open_farm

    farm = open_farm()
    tracked = _tracked(farm, with_text=True)
    wanted = resolve(correction_id, [t.id for t in tracked], hint="see `farm list`")
    one = next(t for t in tracked if t.id == wanted)
    if as_json:
        echo_json(one.as_json(with_events=True))
        return
    with farm.index() as (index, _):
        row = index.correction(wanted)
    _history(one, row)


# Fields the history spells out; any other the tracker gains is listed under "details".
_SHOWN = {"id", "title", "kind", "status", "created", "landed_at", "misses_before", "exposure_sessions",
          "recurrences_after", "catches", "origin_cost_usd", "est_cost_avoided_usd", "est_cost_avoided_low_usd",
          "est_cost_avoided_high_usd", "verdict"}


def _history(t, row=None) -> None:
    from farm.ids import short_correction_ids
    from farm.output import truncate
    from farm.redact import redact

    click.echo(f"{safe(t.id)}  (short: {short_correction_ids([t.id])[t.id]})")
    click.echo(f"  {safe(redact(t.title))}")
    if row is not None:  # the rule it keeps, and where it lives
        click.echo(f"  rule: {safe(truncate(redact(' '.join(row.rule.split())), 200))}")
        click.echo(f"  files: {safe(', '.join([row.path, *row.artifact_list()]))}")
    landed = f"landed {local_time(t.landed_at)}" if t.landed_at else "not landed (uncommitted)"
    click.echo(f"  kind {t.kind}, status {colour(t.status, t.status)}, created {local_time(t.created)}, {landed}")
    click.echo(f"  misses before landing {t.misses_before}, sessions since {t.exposure_sessions}, "
               f"recurrences since {t.recurrences_after}, catches {t.catches}")
    interval = f" (90% interval {_interval(t)})" if _interval(t) != "-" else ""
    click.echo(f"  cost of the first miss {money(t.origin_cost_usd)}, "
               f"estimated cost avoided {money(t.est_cost_avoided_usd)}{interval}")
    if getattr(t, "verdict", None):  # the evidence work's reason for the status, in one line
        click.echo(f"  why {t.status}: {safe(t.verdict)}")
    details = [(k, v) for k, v in t.as_json().items() if k not in _SHOWN and v not in (None, [], {}, "")]
    if details:
        click.echo("  details: " + "; ".join(f"{k.removesuffix('_usd').replace('_', ' ')} {_value(k, v)}" for k, v in details))
    if t.events:
        click.echo("")
        click.echo(table(["when", "event", "session", "cost", "detail"], [
            [local_time(e.at, with_zone=False), e.type, (e.session_id or "-")[:8], money(e.cost_usd) if e.cost_usd is not None else "-",
             truncate(redact(" ".join((e.text or "").split())), 60)]
            for e in t.events
        ]))
        click.echo(f"(times in {t.events[0].at.astimezone().tzname()})")


def _value(key: str, value) -> str:
    if key.endswith("_usd") and isinstance(value, (int, float)):
        return money(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return safe(value)
