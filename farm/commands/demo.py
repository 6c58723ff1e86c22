import click


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo(directory: str | None) -> None:
    """Build a throw-away farm with twelve weeks of generated history and show its tracker.

    DIRECTORY (default: a new temp dir) must not exist yet. Then `cd` there and
    try `farm status`, `farm audit` and `farm status ID`.
    """
    import tempfile
    from pathlib import Path

    from farm.demo import build_demo
    from farm.errors import InvalidInput

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="farm-demo-")) / "demo"
    if root.exists() and any(root.iterdir()):
        raise InvalidInput(f"{root} exists and is not empty; name a new directory")
    info = build_demo(root.resolve())
    click.echo(f"Built a demo farm with {len(info.ids)} corrections at {info.root}")
    click.echo(f"Next:  cd {info.root} && farm status && farm audit")
