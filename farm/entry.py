"""The `farm` executable.

The reports that hooks, status lines and scripts run again and again — `farm sessions import
--json` and `farm spend [--by G] [--no-refresh] --json` — and the agent's hooks themselves
(`farm hooks run claude|codex`, `farm statusline`) go straight to the code behind them,
without loading click, the command modules, GitPython, filelock or genai-prices. Any other
command, and any flag these do not handle, goes through the click CLI in farm/cli.py, which
runs the same functions: tests/test_fast_paths.py checks both print the same bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

FAST_GROUPS = ("model", "day", "agent", "task-type", "session")  # --by values that need no farm index


def main() -> None:
    command = fast_command(sys.argv[1:])
    if command is None:
        from farm.cli import main as click_main

        click_main()
        return
    sys.exit(_run(command))


def fast_command(argv: list[str]) -> Callable[[], None] | None:
    """The function that runs `argv` without click, or None when click must parse it."""
    if argv == ["sessions", "import", "--json"]:
        return _sessions_import_json
    if len(argv) == 3 and argv[:2] == ["hooks", "run"] and argv[2] in ("claude", "codex"):
        return lambda: _hook(argv[2])  # before every prompt and tool call
    if argv[:1] == ["statusline"] and set(argv[1:]) <= {"--color"}:
        return lambda: _statusline("--color" in argv)
    if argv[:1] == ["spend"]:
        return _spend_command(argv[1:])
    return None


def _spend_command(args: list[str]) -> Callable[[], None] | None:
    by, refresh, as_json = "model", True, False
    seen: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        name, _eq, value = arg.partition("=")
        if name in seen:
            return None  # repeated flags: leave the rules to click
        seen.add(name)
        if arg == "--json":
            as_json = True
        elif arg == "--no-refresh":
            refresh = False
        elif name == "--by":
            if not _eq:
                i += 1
                value = args[i] if i < len(args) else ""
            if value not in FAST_GROUPS:
                return None
            by = value
        else:
            return None
        i += 1
    if not as_json:
        return None  # the table goes through click's formatting
    return lambda: _spend_json(by, refresh)


def _sessions_import_json() -> None:
    from farm.paths import work_tree_root
    from farm.sessions.importer import discover_sources, import_into_store, import_report, record_evidence

    root = work_tree_root()
    summary, written = import_into_store(discover_sources(None, None), farm_root=root)
    report = import_report(summary, written)
    report["evidence_events"] = record_evidence(root)
    _print_json(report)


def _hook(agent: str) -> None:
    from farm.hooks.fast import run_hook

    run_hook(agent, sys.stdin, sys.stdout)  # always 0: it never fails the agent's session


def _statusline(color: bool) -> None:
    from farm.hooks.fast import run_statusline

    run_statusline(sys.stdin, sys.stdout, color=color)


def _spend_json(by: str, refresh: bool) -> None:
    from farm.spend import Filters, local_tz, spend_document

    _print_json(spend_document(by, Filters(), local_tz(), refresh=refresh))


def _print_json(data) -> None:
    import orjson

    # the bytes farm.output.echo_json prints
    sys.stdout.write(orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())
    sys.stdout.write("\n")


def _run(command: Callable[[], None]) -> int:
    """Run `command`; failures become one line on stderr, as farm/cli.py's run() does."""
    from farm.errors import FarmError

    try:
        command()
    except KeyboardInterrupt:
        return 130
    except FarmError as exc:
        print(f"farm: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # --debug is never on this path: it goes through click
        print(f"farm: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1
    return 0
