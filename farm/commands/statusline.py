"""`farm statusline`: one segment for Claude Code's status line (statusLine in settings.json)."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--color", is_flag=True, help="ANSI colours (never when NO_COLOR is set).")
def statusline(color: bool) -> None:
    """Read Claude Code's statusline JSON on stdin; print one line: this session's cost, its
    task type's usual, the budget left, and the rules in force.

    \b
    Plain text by default, so it composes with other statusline tools, e.g.
      "statusLine": {"type": "command", "command": "farm statusline"}
    Prints an empty line outside a farm or on any problem (logged in FARM_HOME/hook.log).
    """
    from farm.hooks.fast import run_statusline

    run_statusline(sys.stdin, sys.stdout, color=color)
