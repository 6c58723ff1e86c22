"""Kind `prompt`: the rule as a line in farm's block of AGENTS.md and CLAUDE.md."""

from __future__ import annotations

from farm.artifacts import Context, Planned, render
from farm.block import replace_block
from farm.errors import InvalidInput
from farm.fsutil import read_repo_text


def plan(ctx: Context) -> list[Planned]:
    if not ctx.farm.config["prompt_files"]:
        raise InvalidInput("kind prompt needs an agent file, but prompt_files is empty in the farm's config "
                           "(set prompt_files = [\"AGENTS.md\", \"CLAUDE.md\"], or pick another --kind)")
    inner = render(ctx.farm, "prompt_block.md.j2", corrections=ctx.peers)
    planned = []
    for name in ctx.farm.config["prompt_files"]:
        old = read_repo_text(ctx.farm.root, name) or ""
        planned.append(Planned(name, replace_block(old, inner, name), whole_file=False))
        ctx.correction.artifacts.append(name)
    return planned
