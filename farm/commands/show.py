"""`farm show ID`: one correction's whole history (the same as `farm status ID`)."""

import click

from farm.commands.status import complete_correction_id, show_one


@click.command()
@click.argument("correction_id", shell_complete=complete_correction_id)
@click.option("--json", "as_json", is_flag=True, help='Print the correction with its "events" (shape in docs/cli.md).')
def show(correction_id: str, as_json: bool) -> None:
    """One correction: its status, the figures behind it, and every event with date and cost.

    CORRECTION_ID may be any unique prefix of an id, or its six-character suffix."""
    show_one(correction_id, as_json)
