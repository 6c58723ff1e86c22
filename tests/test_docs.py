import runpy
from pathlib import Path

DOCS = Path(__file__).parents[1] / "docs"


def test_cli_reference_is_generated_from_the_code_and_covers_every_command():
    generator = runpy.run_path(str(DOCS / "gen_cli.py"))
    text = generator["render"]()
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == text, "docs/cli.md is stale: run python docs/gen_cli.py"
    from farm.cli import COMMANDS

    for name in COMMANDS:
        assert f"## `farm {name}`" in text


def test_every_json_shape_is_documented():
    import click

    from farm.cli import cli

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    shapes = text[text.index("## JSON output"):]
    ctx = click.Context(cli)

    def walk(command, path):
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name])
        elif any("--json" in p.opts for p in command.params if isinstance(p, click.Option)):
            yield " ".join(path)

    missing = [name for name in walk(cli, ["farm"]) if f"`{name}" not in shapes]
    assert missing == [], f"JSON shapes not in docs/json.md: {missing}"
