"""`farm statusline`: one segment for Claude Code's status line.

This session's cost, its task type's usual (p50), the budget left, and how many rules are
in force. Claude Code's own `cost.total_cost_usd` is used when it sends one; otherwise the
transcript is read incrementally, as the hooks do (in the statusline's own state file).
"""

from __future__ import annotations

import os
from pathlib import Path

SEP = " · "


def status_line(data: dict, color: bool = False) -> str:
    from farm.hooks.runtime import find_farm

    workspace = data.get("workspace") if isinstance(data.get("workspace"), dict) else {}
    cwd = _text(workspace.get("current_dir")) or _text(data.get("cwd")) or None
    farm = find_farm(cwd)
    if farm is None:
        return ""
    cost, task = _cost_and_task(farm, data)
    parts = [_paint(f"farm {_money(cost)}", "1", color)]
    usual = _usual(task)
    if usual is not None and usual.p50_usd is not None:
        name = usual.task_type if usual.task_type != "all" else "session"
        hot = usual.p90_usd is not None and cost is not None and cost > usual.p90_usd
        parts.append(_paint(f"{name} usual {_money(usual.p50_usd)}", "33" if hot else "2", color))
    from farm.hooks.budget import cap_for

    cap = cap_for(farm.config, task)
    if cap is not None and cost is not None:
        left = cap.usd - cost
        parts.append(_paint(f"{_money(max(left, 0))} left" if left > 0 else "over budget", "32" if left > 0 else "31", color))
    from farm.hooks.rules import load_rulebook

    book = load_rulebook(farm)
    parts.append(f"{len(book.rules)} rules" + (f", {len(book.guards)} guards" if book.guards else ""))
    return SEP.join(parts)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _cost_and_task(farm, data: dict) -> tuple[float | None, str | None]:
    from farm.hooks.events import task_type_of
    from farm.hooks.live import read_transcript, session_state

    cost_info = data.get("cost") if isinstance(data.get("cost"), dict) else {}
    given = cost_info.get("total_cost_usd")
    session_id = _text(data.get("session_id"))
    transcript = _text(data.get("transcript_path"))
    if not session_id or not transcript:
        return (float(given) if _number(given) else None), None
    with session_state("claude", session_id, name="statusline") as live:
        read_transcript(live, Path(transcript).expanduser(), farm.config.get("prices") or {})
        task = task_type_of(live, farm)
        cost = float(given) if _number(given) else (None if live.price_unknown and not live.cost_usd else live.cost_usd)
    return cost, task


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _usual(task: str | None):
    from farm.hooks.budget import cached_budgets

    budgets = cached_budgets()
    return budgets.for_type(task) if budgets else None


def _money(value: float | None) -> str:
    if value is None:
        return "$?"
    return f"${value:.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def _paint(text: str, code: str, color: bool) -> str:
    if not color or os.environ.get("NO_COLOR"):
        return text
    return f"\x1b[{code}m{text}\x1b[0m"
