"""`farm hooks run AGENT` and `farm statusline`, without click: they run before every prompt
and tool call and on every statusline refresh, and click's import alone would be a good
part of their time. farm/entry.py (the executable) sends those argv here; the click
commands in farm/commands/ call the same functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import IO


def run_hook(agent: str, stdin: IO[str], stdout: IO[str]) -> int:
    """Answer one hook event. Never fails the agent's session: any problem (a farm error, a
    broken file, no farm here) is a silent allow, exit 0 with no output, and a line in
    FARM_HOME/hook.log."""
    with _no_gc():
        return _answer(agent, stdin, stdout)


def _answer(agent: str, stdin: IO[str], stdout: IO[str]) -> int:
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

    with _no_gc():
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


class _no_gc:
    """The cycle collector off while a hook runs: a short process that unpickles the rule
    book and matcher (hundreds of thousands of objects) makes no garbage worth collecting,
    and skipping the collections saves a tenth of its time. Restored for in-process callers."""

    def __enter__(self):
        import gc

        self.was_on = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        import gc

        if self.was_on:
            gc.enable()


def _log_failure(where: str, exc: BaseException) -> None:
    from farm.hooks.runtime import log

    log(f"{where}: {type(exc).__name__}: {exc}")
