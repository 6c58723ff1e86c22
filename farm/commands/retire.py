import click

from farm.commands.status import complete_correction_id
from farm.output import echo_json


@click.command()
@click.argument("correction_id", shell_complete=complete_correction_id)
@click.option("--why", required=True, help="Why it is closed: fixed for good, superseded, wrong rule, …")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit them.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "files", "commit"}.')
def retire(correction_id: str, why: str, no_commit: bool, as_json: bool) -> None:
    """Close a correction by hand. It stays in the farm's history; its grader rule
    stops running and its prompt line leaves AGENTS.md / CLAUDE.md.

    CORRECTION_ID may be any unique prefix of an id, or its six-character suffix."""
    from farm.ids import resolve
    from farm.project import open_farm
    from farm.retire import retire as run_retire

    farm = open_farm()
    written = run_retire(farm, correction_id, why, commit=not no_commit)
    with farm.index() as (index, _):  # the whole id of the prefix it was given, to print
        correction_id = resolve(correction_id, [r.id for r in index.corrections()])
    if as_json:
        echo_json({"id": correction_id, "files": written.files, "commit": written.commit})
        return
    click.echo(f"Retired {correction_id}." + (f" Committed {written.commit[:10]}." if written.commit else ""))
    if written.note:
        click.echo(f"Note: {written.note}")
