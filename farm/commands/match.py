import sys

import click

from farm.output import echo_json, echo_json_line, safe, table


@click.command()
@click.argument("text")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100), help="How many matches to show.")
@click.option("--threshold", type=float, help="Score (0-100) that makes a match a recurrence (default: config, else farm's own).")
@click.option("--json", "as_json", is_flag=True, help='Print {"matches":[{"id","title","score","recurrence"}]}, best first.')
def match(text: str, limit: int, threshold: float | None, as_json: bool) -> None:
    """Find the corrections that a miss described in TEXT repeats.

    `recurrence` is farm's own verdict: the same test `farm capture` uses to
    record a repeat instead of a new correction. With TEXT `-`, reads one
    query per line from stdin and prints one JSON object per line.
    """
    from farm.matchcache import farm_matcher
    from farm.project import open_farm

    if not text.strip():
        from farm.errors import InvalidInput

        raise InvalidInput("TEXT is empty: describe the miss, e.g. farm match \"the draft lost its point\"")
    farm = open_farm()
    matcher, warnings = farm_matcher(farm, threshold if threshold is not None else farm.config.get("match_threshold"))
    for warning in warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if text == "-":
        for line in sys.stdin:
            echo_json_line({"matches": _rows(matcher.match(line.strip(), limit=limit))})
        return
    rows = _rows(matcher.match(text, limit=limit))
    if as_json:
        echo_json({"matches": rows})
    elif not rows:
        click.echo("No matching corrections.")
    else:
        click.echo(table(["id", "score", "recurrence", "title"],
                         [[r["id"], f"{r['score']:.1f}", "yes" if r["recurrence"] else "no", r["title"]] for r in rows]))


def _rows(matches) -> list[dict]:
    from farm.redact import redact

    # Titles come from committed files anyone can edit: shown only redacted.
    return [{"id": m.id, "title": redact(m.title), "score": round(m.score, 2), "recurrence": m.recurrence} for m in matches]
