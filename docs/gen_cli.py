"""Write docs/cli.md: every farm command's --help, generated from click.

    python docs/gen_cli.py          # rewrite docs/cli.md
    python docs/gen_cli.py --check  # exit 1 when docs/cli.md is out of date (a test runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from farm.cli import COMMANDS, cli

OUT = Path(__file__).with_name("cli.md")


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    # Children inherit the root's settings (-h as well as --help), as when farm runs.
    return click.Context(command, info_name=name, parent=parent, terminal_width=100,
                         help_option_names=None if parent else ["-h", "--help"])


def _sections(command: click.Command, ctx: click.Context, path: list[str]) -> list[str]:
    out = [f"## `{' '.join(path)}`\n\n```text\n{command.get_help(ctx)}\n```\n"]
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            child = command.get_command(ctx, name)
            out += _sections(child, _context(child, name, ctx), [*path, name])
    return out


def _settings() -> str:
    """Every setting from config.py's key table, with its default and what it does."""
    import json

    from farm.commands.config import setting_table

    rows = ["## Settings\n", "In `farm.toml` at the repo root, or under `[tool.farm]` in `pyproject.toml` "
            "(farm.toml wins). `farm config` shows each one's value here and where it came from.\n",
            "| key | type | default | what it does |", "|---|---|---|---|"]
    for key, (default, kind, help_text) in setting_table().items():
        shown = "(unset)" if default is None else json.dumps(default)
        rows.append(f"| `{key}` | {kind} | `{shown}` | {help_text} |")
    return "\n".join(rows) + "\n"


def render() -> str:
    root = _context(cli, "farm", None)
    parts = ["# farm command reference\n\nGenerated from the code by `python docs/gen_cli.py` (the JSON shapes "
             "from docs/json.md); do not edit by hand.\n"]
    parts.append(f"```text\n{cli.get_help(root)}\n```\n")
    for name in sorted(COMMANDS):
        command = cli.get_command(root, name)
        parts += _sections(command, _context(command, name, root), ["farm", name])
    parts.append(_settings())
    parts.append(OUT.with_name("json.md").read_text(encoding="utf-8"))
    return "\n".join(parts)


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            sys.exit("docs/cli.md is out of date: run python docs/gen_cli.py")
        return
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
