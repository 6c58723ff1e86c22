"""Kind `skill`: an Agent Skills SKILL.md in .claude/skills/<name>/ and .agents/skills/<name>/."""

from __future__ import annotations

from farm.artifacts import Context, Planned, render

_DESCRIPTION_MAX = 1024


def plan(ctx: Context) -> list[Planned]:
    c = ctx.correction
    name = c.id[:64].rstrip("-")
    description = _description(c.title, c.rule)
    content = render(
        ctx.farm, "skill.md.j2",
        name=name, description=description, id=c.id, title=c.title, rule=c.rule, what=c.what,
        when=ctx.options.get("when") or _when(c.task_type, ctx.options.get("applies_to")),
        created=c.created.date().isoformat(),
    )
    planned = []
    for skills_dir in ctx.farm.config["skill_dirs"]:
        path = f"{skills_dir.rstrip('/')}/{name}/SKILL.md"
        c.artifacts.append(path)
        planned.append(Planned(path, content))
    return planned


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
