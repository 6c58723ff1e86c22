"""`farm list`: the corrections, one row each (the same table as `farm status`)."""

import click

from farm.commands.status import STATUS_HELP, listing_options, show_list


@click.command("list", help=f"""The corrections, one row each, leaking first: fits the terminal
(--wide for everything), filters by status and kind, --json or --csv for scripts.

{STATUS_HELP}
""")
@listing_options
def list_(statuses, kinds, sort: str | None, wide: bool, output: str | None) -> None:
    show_list(statuses, kinds, sort, wide, output)
