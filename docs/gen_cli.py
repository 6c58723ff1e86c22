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


def _help(command: click.Command, path: list[str]) -> str:
    with click.Context(command, info_name=" ".join(path), terminal_width=100) as ctx:
        return command.get_help(ctx)


def _sections(command: click.Command, path: list[str]) -> list[str]:
    out = [f"## `{' '.join(path)}`\n\n```text\n{_help(command, path)}\n```\n"]
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(click.Context(command))):
            out += _sections(command.get_command(click.Context(command), name), [*path, name])
    return out


def render() -> str:
    parts = ["# farm command reference\n\nGenerated from the code by `python docs/gen_cli.py`; do not edit by hand.\n"]
    parts.append(f"```text\n{_help(cli, ['farm'])}\n```\n")
    for name in sorted(COMMANDS):
        parts += _sections(cli.get_command(click.Context(cli), name), ["farm", name])
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
