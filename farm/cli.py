"""The `farm` command: wires click groups to `farm.commands.*`, turns errors into one line."""

from __future__ import annotations

import importlib
import sys

import click

from farm import __version__

# name -> (module, attribute, one-line help). Modules load only when their command runs,
# so `farm --help` stays instant.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("farm.commands.init", "init", "Make the current git repo a farm (idempotent)."),
    "capture": ("farm.commands.capture", "capture", "Record a miss as a correction, artifact and commit."),
    "inbox": ("farm.commands.inbox", "inbox", "Correction moments no correction covers yet, costliest first."),
    "match": ("farm.commands.match", "match", "Find corrections that a miss repeats."),
    "check": ("farm.commands.check", "check", "Run grader rules on files; exit 1 on a violation."),
    "status": ("farm.commands.status", "status", "The tracker: every correction and how it holds."),
    "list": ("farm.commands.list", "list_", "The corrections, one row each, leaking first."),
    "show": ("farm.commands.show", "show", "One correction's whole history."),
    "retire": ("farm.commands.retire", "retire", "Close a correction by hand, saying why."),
    "audit": ("farm.commands.audit", "audit", "What keeps failing, and where the money goes."),
    "config": ("farm.commands.config", "config", "Every setting, its value, and where it came from."),
    "demo": ("farm.commands.demo", "demo", "Build a throw-away farm with generated history."),
    "scan": ("farm.commands.scan", "scan", "Find known failure signatures in agent transcripts."),
    "reindex": ("farm.commands.reindex", "reindex", "Rebuild the derived index from the farm's files."),
    "sessions": ("farm.commands.sessions", "sessions", "Import and list agent sessions (Claude Code, Codex)."),
    "spend": ("farm.commands.spend", "spend", "Tokens and cost by model, day, agent, task type, session."),
    "hooks": ("farm.commands.hooks", "hooks", "Wire farm into the agents and git; the hook entry point."),
    "budget": ("farm.commands.budget", "budget", "Each task type's usual cost (p50, p90, per loop) and its cap."),
    "statusline": ("farm.commands.statusline", "statusline", "One status line segment for Claude Code."),
    "doctor": ("farm.commands.doctor", "doctor", "Check farm's wiring, versions, index and hooks; say what to fix."),
    "sync": ("farm.commands.sync", "sync", "Write the farm's prompt rules and skills into this repo's agent files."),
    "seed": ("farm.commands.seed", "seed", "Carry the corrections that hold into another repo, or pull them in."),
    "site": ("farm.commands.site", "site", "Build or serve the corrections site (MkDocs)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return _with_debug(getattr(importlib.import_module(module), attr))

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=2, cutoff=0.6)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {' or '.join(repr(c) for c in close)}?")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


# Exit statuses, the contract CI relies on (README "Exit codes").
EXIT_OK, EXIT_FINDING, EXIT_ERROR, EXIT_CRASH = 0, 1, 2, 3
_DEBUG: dict[str, bool] = {"on": False}


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _DEBUG["on"] = True


def _with_debug(command: click.Command) -> click.Command:
    """`--debug` accepted after any subcommand too (`farm capture --debug`), not only before it."""
    if not any(p.name == "debug" for p in command.params):
        command.params.append(click.Option(
            ["--debug"], is_flag=True, expose_value=False, hidden=True, callback=_set_debug,
            help="Show the full traceback on errors.",
        ))
    for child in getattr(command, "commands", {}).values():
        _with_debug(child)
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="farm")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Keep the correction from an expensive agent session, and prove whether it held.

    \b
    After a session that went wrong:
      farm capture            record the miss as a test, grader rule, prompt line or skill
      farm match "TEXT"       is this miss a repeat of an earlier correction?
      farm check PATH...      run the grader rules
      farm status             which corrections hold, which leak

    \b
    Exit status: 0 ok, 1 a finding (a violation, drift), 2 a usage or farm
    error, 3 a crash (an unexpected error: please report it, with --debug).
    """
    _DEBUG["on"] = _DEBUG["on"] or debug
    ctx.obj = {"debug": debug}


def run(argv: list[str]) -> int:
    """Run farm with `argv`; return the exit status. Failures become one line on stderr."""
    _DEBUG["on"] = False
    try:
        return _run(argv)
    finally:
        _print_config_warnings()


def _print_config_warnings() -> None:
    config = sys.modules.get("farm.config")  # loaded only by commands that open a farm
    for warning in config.take_warnings() if config else []:
        from farm.output import safe

        click.echo(f"farm: warning: {safe(warning)}", err=True)


def _run(argv: list[str]) -> int:
    try:
        cli.main(args=argv, prog_name="farm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        # Usage errors are 2 in click already; any other click failure is farm's error, not a finding.
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one place that turns any failure into one line
        from farm.errors import FarmError
        from farm.output import one_line

        if _DEBUG["on"]:  # the traceback, and still the exit code CI relies on
            import traceback

            traceback.print_exc()
        if isinstance(exc, FarmError):
            click.echo(f"farm: {one_line(str(exc))}", err=True)
            return exc.exit_code
        click.echo(f"farm: unexpected error: {type(exc).__name__}: {one_line(str(exc))} (run with --debug for details)", err=True)
        return EXIT_CRASH
    return EXIT_OK


def main() -> None:
    sys.exit(run(sys.argv[1:]))
