"""`farm budget`: each task type's usual cost and its cap, and where each figure comes from."""

from __future__ import annotations

from dataclasses import asdict

import click

from farm.output import echo_json, money, table


@click.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"task_types": [...], "all": {...}, "caps": {...}, "source": {...}}.')
def budget(as_json: bool) -> None:
    """What a session of each task type usually costs (p50, p90), per completed loop, and its cap.

    \b
    The figures come from every imported session (`farm sessions import`); the caps from the
    farm's config: `task_budgets_usd` per task type, else `session_budget_usd`. During a
    session the hooks warn once past the task type's p90 and stop the session past its cap.
    """
    from datetime import datetime, timezone

    from farm.hooks.budget import MIN_SESSIONS, cap_for, compute_budgets
    from farm.hooks.runtime import find_farm
    from farm.sessions.store import store_path

    farm = find_farm(None)
    config = farm.config if farm else {}
    budgets = compute_budgets(config.get("prices") or {})
    rows = []
    for name, usual in budgets.usual.items():
        cap = cap_for(config, None if name == "all" else name)
        rows.append({**asdict(usual), "cap_usd": cap.usd if cap else None, "cap_source": cap.source if cap else None,
                     "enough_history": usual.sessions >= MIN_SESSIONS})
    caps = {"session_budget_usd": config.get("session_budget_usd"), "task_budgets_usd": config.get("task_budgets_usd") or {}}
    source = {
        "store": str(store_path()),
        "sessions": budgets.sessions,
        "computed_at": datetime.fromtimestamp(budgets.computed_at, tz=timezone.utc).isoformat(timespec="seconds"),
        "config": str(farm.root) if farm else None,
        "min_sessions": MIN_SESSIONS,
    }
    if as_json:
        echo_json({"task_types": [r for r in rows if r["task_type"] != "all"],
                   "all": next((r for r in rows if r["task_type"] == "all"), None), "caps": caps, "source": source})
        return
    _show(rows, caps, source)


def _show(rows: list[dict], caps: dict, source: dict) -> None:
    if not rows:
        click.echo("No imported sessions yet: run `farm sessions import`.")
    else:
        rows.sort(key=lambda r: (r["task_type"] == "all", -(r["p90_usd"] or 0)))
        click.echo(table(
            ["task type", "sessions", "p50", "p90", "loops", "loop p50", "loop p90", "per loop", "cap"],
            [[r["task_type"], r["sessions"], money(r["p50_usd"]), money(r["p90_usd"]), r["loops"],
              *(money(r[k]) if r["loops"] else "-" for k in ("loop_p50_usd", "loop_p90_usd", "cost_per_loop_usd")),
              f"{money(r['cap_usd'])} ({r['cap_source']})" if r["cap_usd"] else "-"] for r in rows],
        ))
    click.echo(f"\nFrom {source['sessions']:,} imported session(s) in {source['store']}. "
               f"A task type with fewer than {source['min_sessions']} sessions is judged by all sessions.")
    if caps["session_budget_usd"] or caps["task_budgets_usd"]:
        click.echo("Caps from the farm's config (session_budget_usd, task_budgets_usd).")
    else:
        click.echo("No cap set: add session_budget_usd (or task_budgets_usd) to farm.toml to stop a session past it.")
