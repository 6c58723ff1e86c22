"""Kind `test`: a pytest test that runs a check command, or a link to a test the user wrote."""

from __future__ import annotations

from pathlib import PurePosixPath

from farm.artifacts import Context, Planned, render
from farm.errors import InvalidInput
from farm.fsutil import inside


def plan(ctx: Context) -> list[Planned]:
    test_file = ctx.options.get("test_file")
    if test_file:
        target = inside(ctx.farm.root, test_file)
        if not target.is_file():
            raise InvalidInput(f"--test-file {test_file}: no such file")
        ctx.correction.artifacts.append(ctx.farm.rel(target))
        return []  # the user's own file: linked, never written or committed by farm
    command = ctx.options.get("check_cmd")
    if not command:
        raise InvalidInput("kind test needs --check-cmd CMD (a command that passes once fixed) or --test-file PATH")
    test_dir = PurePosixPath(ctx.farm.config["test_dir"])
    func = ctx.correction.id.replace("-", "_")
    path = (test_dir / f"test_{func}.py").as_posix()
    content = render(
        ctx.farm, "test.py.j2",
        id=ctx.correction.id, title=ctx.correction.title, rule=ctx.correction.rule,
        check_cmd=command, expect_exit=int(ctx.options.get("expect_exit") or 0),
        expect_output=ctx.options.get("expect_output"), func=func, depth=len(test_dir.parts),
    )
    ctx.correction.artifacts.append(path)
    return [Planned(path, content)]
