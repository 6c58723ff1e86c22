import click

from farm.output import echo_json


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print what was created as JSON.")
def init(as_json: bool) -> None:
    """Make the current git repo a farm.

    Creates corrections/ (with log/ for events), templates/ (for your overrides;
    the defaults ship inside farm), mkdocs.yml for the corrections site, the
    [tool.farm] settings (in pyproject.toml, else farm.toml) and a .gitignore
    entry. Running it again changes nothing.
    """
    from farm.project import init_farm

    result = init_farm()
    if as_json:
        echo_json({"root": str(result.root), "created": result.created, "changed": result.changed})
        return
    if not (result.created or result.changed):
        click.echo(f"{result.root} is already a farm; nothing changed.")
        return
    for path in result.created:
        click.echo(f"created  {path}")
    for path in result.changed:
        click.echo(f"updated  {path}")
    click.echo("Commit these files, then record a miss with `farm capture`.")
