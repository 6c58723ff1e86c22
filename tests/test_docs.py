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
