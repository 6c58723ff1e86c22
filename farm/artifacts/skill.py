"""Kind `skill`: an Agent Skills SKILL.md in .claude/skills/<name>/ and .agents/skills/<name>/."""

from __future__ import annotations

from farm.artifacts import Context, Planned, render
from farm.model import Correction
from farm.project import Farm

_DESCRIPTION_MAX = 1024
NAME_MAX = 64


def plan(ctx: Context) -> list[Planned]:
    c = ctx.correction
    # Kept in the correction so `farm sync` renders the same SKILL.md again later.
    if ctx.options.get("applies_to"):
        c.extra["applies_to"] = list(ctx.options["applies_to"])
    if ctx.options.get("when"):
        c.extra["when"] = ctx.options["when"]
    name = skill_name(c.id)
    content = render_skill(ctx.farm, c, name)
    planned = []
    for skills_dir in ctx.farm.config["skill_dirs"]:
        path = f"{skills_dir.rstrip('/')}/{name}/SKILL.md"
        c.artifacts.append(path)
        planned.append(Planned(path, content))
    return planned


def skill_name(correction_id: str) -> str:
    return correction_id[:NAME_MAX].rstrip("-")


def render_skill(farm: Farm, c: Correction, name: str) -> str:
    """The SKILL.md of correction `c` as a skill called `name` (the folder's name)."""
    applies_to = c.extra.get("applies_to")
    if isinstance(applies_to, str):
        applies_to = [applies_to]
    if not isinstance(applies_to, list) or not all(isinstance(g, str) for g in applies_to):
        applies_to = None
    when = c.extra.get("when") if isinstance(c.extra.get("when"), str) else None
    return render(
        farm, "skill.md.j2",
        name=name, description=_description(c.title, c.rule), id=c.id, title=c.title, rule=c.rule, what=c.what,
        when=when or _when(c.task_type, applies_to), created=c.created.date().isoformat(),
    )


def _description(title: str, rule: str) -> str:
    text = " ".join(f"{rule} Use when: {title}.".split())
    return text if len(text) <= _DESCRIPTION_MAX else text[: _DESCRIPTION_MAX - 1] + "…"


def _when(task_type: str | None, applies_to: list[str] | None) -> str:
    parts = []
    if task_type:
        parts.append(f"Tasks of type {task_type}.")
    if applies_to:
        parts.append("Work on files matching " + ", ".join(f"`{g}`" for g in applies_to) + ".")
    return " ".join(parts) or "Any task in this repository."
