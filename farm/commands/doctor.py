"""`farm doctor`: what is wired, what works, and what to fix."""

from __future__ import annotations

import click

from farm.output import echo_json, safe

MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"checks": [{"name", "status", "detail", "fix"}], "ok"}.')
def doctor(as_json: bool) -> None:
    """Check farm's wiring (Claude Code hooks, pre-commit), versions, the index, the hook log
    and the session store. Exit 1 when a check fails."""
    from dataclasses import asdict

    from farm.doctor import FAIL, run_checks

    checks = run_checks()
    failed = any(c.status == FAIL for c in checks)
    if as_json:
        echo_json({"checks": [asdict(c) for c in checks], "ok": not failed})
    else:
        for c in checks:
            click.echo(f"{MARKS[c.status]}  {c.name}: {safe(c.detail)}")
            if c.fix:
                click.echo(f"      fix: {safe(c.fix)}")
    if failed:
        raise SystemExit(1)
