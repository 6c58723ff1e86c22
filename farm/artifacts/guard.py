"""Kind `guard`: a rule file under corrections/guards/ that the PreToolUse hook enforces
(`farm hooks run claude`): it denies, or asks about, a tool call that matches. Reading and
matching guards is farm/hooks/guards.py, which the hook imports without the rest of farm.
"""

from __future__ import annotations

from farm.artifacts import Context, Planned, render
from farm.errors import InvalidInput
from farm.hooks.guards import DECISIONS, GUARD_DIR, compile_pattern


def plan(ctx: Context) -> list[Planned]:
    c = ctx.correction
    data = guard_data(c.id, c.rule, ctx.options)
    path = f"{ctx.farm.config['corrections_dir']}/{GUARD_DIR}/{c.id}.yml"
    c.artifacts.append(path)
    return [Planned(path, render(ctx.farm, "guard.yml.j2", id=c.id, guard_data=data))]


def guard_data(correction_id: str, message: str, options: dict) -> dict:
    """The guard as stored, validated now so the hook can trust it.

    Tools and patterns pair up in order; one tool given for several patterns applies to all.
    """
    tools = list(options.get("guard_tool") or ())
    patterns = list(options.get("guard_pattern") or ())
    if not patterns:
        raise InvalidInput("kind guard needs at least one --guard-pattern (and --guard-tool, e.g. Bash)")
    if not tools:
        raise InvalidInput("kind guard needs --guard-tool: the tool whose calls the pattern is for (Bash, Edit, WebFetch, …, or *)")
    if len(tools) == 1:
        tools *= len(patterns)
    if len(tools) != len(patterns):
        raise InvalidInput(f"{len(tools)} --guard-tool for {len(patterns)} --guard-pattern: give one tool, or one per pattern")
    decision = options.get("guard_decision") or "deny"
    if decision not in DECISIONS:
        raise InvalidInput(f"--guard-decision must be deny or ask, not {decision!r}")
    for pattern in patterns:
        compile_pattern(pattern)
    return {
        "correction": correction_id,
        "message": " ".join(message.split()),
        "decision": decision,
        "match": [{"tool": t, "pattern": p} for t, p in zip(tools, patterns)],
    }
