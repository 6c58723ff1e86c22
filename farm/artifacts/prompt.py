"""Kind `prompt`: the rule as a line in farm's block of AGENTS.md and CLAUDE.md."""

from __future__ import annotations

from farm.artifacts import Context, Planned, render
from farm.block import replace_block
from farm.errors import InvalidInput, UnreadableFile
from farm.fsutil import inside, read_bytes_bounded

MAX_PROMPT_FILE = 200_000_000  # people keep long agent files; a 127 MB AGENTS.md works


def plan(ctx: Context) -> list[Planned]:
    if not ctx.farm.config["prompt_files"]:
        raise InvalidInput("kind prompt needs an agent file, but prompt_files is empty in the farm's config "
                           "(set prompt_files = [\"AGENTS.md\", \"CLAUDE.md\"], or pick another --kind)")
    inner = render(ctx.farm, "prompt_block.md.j2", corrections=ctx.peers)
    planned = []
    for name in ctx.farm.config["prompt_files"]:
        path = inside(ctx.farm.root, name)
        old = _read(path, name) if path.exists() or path.is_symlink() else ""
        planned.append(Planned(name, replace_block(old, inner, name), whole_file=False))
        ctx.correction.artifacts.append(name)
    return planned


def _read(path, name: str) -> str:
    """The person's file as it is (CRLF and BOM kept: farm rewrites only its block)."""
    try:
        return read_bytes_bounded(path, MAX_PROMPT_FILE, name).decode("utf-8")
    except UnreadableFile as exc:  # a FIFO or a folder named AGENTS.md: refused, never a hang
        raise InvalidInput(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 (byte {exc.start}); farm leaves it alone") from None
