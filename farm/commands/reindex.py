import click

from farm.output import echo_json, safe


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
def reindex(as_json: bool) -> None:
    """Rebuild the derived index (under FARM_HOME) from the farm's files.

    Never needed for correctness (every command refreshes what changed first);
    useful after moving FARM_HOME or to clear a damaged index.
    """
    from farm.fingerprint import forget
    from farm.project import open_farm

    farm = open_farm()
    forget(farm)  # the caches that skip the index must not outlive it
    with farm.index(rebuild=True) as (index, refresh):
        corrections, events = len(index.corrections()), len(index.events(text=False))
    if as_json:
        echo_json({"corrections": corrections, "events": events, "files": refresh.parsed, "errors": refresh.warnings})
        return
    for warning in refresh.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    click.echo(f"Indexed {corrections} corrections and {events} events from {refresh.parsed} files.")
