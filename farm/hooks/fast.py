"""farm's entry point. `farm hooks run AGENT` and `farm statusline` are answered here,
without click: they run before every prompt and tool call and on every statusline
refresh, and click's import alone would be a good part of their time. Everything else
goes to farm.cli.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import IO

AGENTS = ("claude", "codex")


def main() -> None:
    argv = sys.argv[1:]
    if len(argv) == 3 and argv[:2] == ["hooks", "run"] and argv[2] in AGENTS:
        sys.exit(run_hook(argv[2], sys.stdin, sys.stdout))
    if argv and argv[0] == "statusline" and set(argv[1:]) <= {"--color"}:
        sys.exit(run_statusline(sys.stdin, sys.stdout, color="--color" in argv))
    from farm.cli import main as cli_main

    cli_main()


def run_hook(agent: str, stdin: IO[str], stdout: IO[str]) -> int:
    """Answer one hook event. Never fails the agent's session: any problem (a farm error, a
    broken file, no farm here) is a silent allow, exit 0 with no output, and a line in
    FARM_HOME/hook.log."""
    import json

    try:
        event = json.loads(stdin.read() or "{}")
        if not isinstance(event, dict):
            raise ValueError("hook input is not a JSON object")
        from farm.hooks.events import answer

        out = answer(agent, event)
    except BaseException as exc:  # the agent's session must go on whatever happens here
        if not isinstance(exc, KeyboardInterrupt):
            _log_failure(f"hooks run {agent}", exc)
        return 0
    if out:
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def run_statusline(stdin: IO[str], stdout: IO[str], color: bool = False) -> int:
    """Print one status line; on any problem, an empty line (and a line in the log)."""
    import json

    try:
        data = json.loads(stdin.read() or "{}")
        from farm.hooks.status import status_line

        text = status_line(data if isinstance(data, dict) else {}, color=color)
    except BaseException as exc:
        if not isinstance(exc, KeyboardInterrupt):
            _log_failure("statusline", exc)
        text = ""
    stdout.write(text + "\n")
    stdout.flush()
    return 0


def _log_failure(where: str, exc: BaseException) -> None:
    from farm.hooks.runtime import log

    log(f"{where}: {type(exc).__name__}: {exc}")
