"""Kind `prompt`: the rule as a line in farm's block of AGENTS.md and CLAUDE.md."""

from __future__ import annotations

from farm.artifacts import Context, Planned, render
from farm.block import replace_block
from farm.fsutil import inside, require_regular


def plan(ctx: Context) -> list[Planned]:
    inner = render(ctx.farm, "prompt_block.md.j2", corrections=ctx.peers)
    planned = []
    for name in ctx.farm.config["prompt_files"]:
        path = inside(ctx.farm.root, name)
        old = path.read_bytes().decode("utf-8") if require_regular(path, name) else ""
        planned.append(Planned(name, replace_block(old, inner, name), whole_file=False))
        ctx.correction.artifacts.append(name)
    return planned
