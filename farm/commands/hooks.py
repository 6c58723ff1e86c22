"""`farm hooks`: wire farm into the agents. One install/uninstall function pair per target.

Claude Code: a SessionEnd hook in `.claude/settings.json` (or `~/.claude/settings.json`)
that runs `farm sessions import --from-hook`, which imports the finished transcript. farm
merges its entry into what is there and removes only its own entry.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import IO

import click

from farm.errors import FarmError, InvalidInput
from farm.fsutil import atomic_write

HOOK_MARK = "sessions import --from-hook"
HOOK_TIMEOUT = 60  # seconds Claude Code gives the hook


@click.group()
def hooks() -> None:
    """Wire farm into the agents and git."""


@hooks.command("install")
@click.argument("target", type=click.Choice(["claude", "pre-commit"]))
@click.option("--user", is_flag=True, help="claude: install for every project (~/.claude/settings.json).")
def install(target: str, user: bool) -> None:
    """Install farm's hook for TARGET (idempotent).

    
    claude      a SessionEnd hook that imports each finished session
    pre-commit  `farm check --staged` before each commit (in .pre-commit-config.yaml
                when pre-commit is used, else .git/hooks/pre-commit); hits are catches
    """
    path, changed = TARGETS[target][0](user)
    click.echo(f"{'installed' if changed else 'already installed'}: {WHAT[target]} in {path}")


@hooks.command("uninstall")
@click.argument("target", type=click.Choice(["claude", "pre-commit"]))
@click.option("--user", is_flag=True, help="claude: remove it from ~/.claude/settings.json.")
def uninstall(target: str, user: bool) -> None:
    """Remove farm's hook for TARGET; every other hook stays."""
    path, changed = TARGETS[target][1](user)
    click.echo(f"{'removed' if changed else 'not installed'}: {WHAT[target]} in {path}")


# --- Claude Code ---------------------------------------------------------------------------


def claude_settings_path(user: bool) -> Path:
    if user:
        return Path.home() / ".claude" / "settings.json"
    from farm import git

    try:
        root = git.find_root()
    except FarmError:
        root = Path.cwd()
    return root / ".claude" / "settings.json"


def hook_command() -> str:
    """The command the hook runs: this farm's own interpreter, so no PATH is needed."""
    farm = f"{shlex.quote(sys.executable)} -m farm"
    # `|| true`: even a missing farm must not show up as a failed hook in the session.
    return f"{farm} {HOOK_MARK} || true"



def install_claude(user: bool) -> tuple[Path, bool]:
    path = claude_settings_path(user)
    settings = _read_settings(path)
    groups = _session_end(settings)
    command = hook_command()
    ours = [h for g in groups for h in g.get("hooks", []) if _is_ours(h)]
    if ours:
        if all(h.get("command") == command for h in ours):
            return path, False
        for h in ours:  # farm moved (another venv): point the entry at this one
            h["command"] = command
    else:
        groups.append({"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]})
    _write_settings(path, settings)
    return path, True


def uninstall_claude(user: bool) -> tuple[Path, bool]:
    path = claude_settings_path(user)
    if not path.exists():
        return path, False
    settings = _read_settings(path)
    hooks_table = settings.get("hooks")
    if not isinstance(hooks_table, dict) or not isinstance(hooks_table.get("SessionEnd"), list):
        return path, False
    changed = False
    kept_groups = []
    for group in hooks_table["SessionEnd"]:
        entries = group.get("hooks") if isinstance(group, dict) else None
        if isinstance(entries, list) and any(_is_ours(h) for h in entries):
            changed = True
            group = dict(group, hooks=[h for h in entries if not _is_ours(h)])
            if not group["hooks"]:
                continue
        kept_groups.append(group)
    if not changed:
        return path, False
    if kept_groups:
        hooks_table["SessionEnd"] = kept_groups
    else:
        del hooks_table["SessionEnd"]
        if not hooks_table:
            del settings["hooks"]
    _write_settings(path, settings)
    return path, True


def _is_ours(hook: object) -> bool:
    return isinstance(hook, dict) and HOOK_MARK in str(hook.get("command", ""))


def _read_settings(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (ValueError, OSError) as exc:
        raise InvalidInput(f"{path}: not valid JSON, left as it is ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a JSON object, left as it is")
    return data


def _session_end(settings: dict) -> list:
    table = settings.setdefault("hooks", {})
    if not isinstance(table, dict):
        raise InvalidInput("settings.json: \"hooks\" is not an object, left as it is")
    groups = table.setdefault("SessionEnd", [])
    if not isinstance(groups, list):
        raise InvalidInput("settings.json: \"hooks.SessionEnd\" is not a list, left as it is")
    return groups


def _write_settings(path: Path, settings: dict) -> None:
    atomic_write(path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n")


def _precommit(action):
    def run(_user: bool) -> tuple[Path, bool]:
        from farm import git, precommit

        return getattr(precommit, action)(git.find_root())

    return run


TARGETS = {
    "claude": (install_claude, uninstall_claude),
    "pre-commit": (_precommit("install"), _precommit("uninstall")),
}
WHAT = {"claude": "SessionEnd hook", "pre-commit": "farm check --staged"}


# --- what the hook runs ----------------------------------------------------------------------


def run_session_end_hook(stdin: IO[str]) -> int:
    """Import the session a Claude Code hook names on stdin. Never fails the session: any
    problem is logged to FARM_HOME/hook.log and the exit status is still 0."""
    try:
        _import_from_hook(json.loads(stdin.read() or "{}"))
    except BaseException as exc:  # the agent's session must end cleanly whatever happens here
        if isinstance(exc, KeyboardInterrupt):
            return 0
        _log(f"{type(exc).__name__}: {exc}")
    return 0


def _import_from_hook(event: dict) -> None:
    from farm.sessions.importer import import_into_store, session_sources

    if not isinstance(event, dict):
        raise InvalidInput("hook input is not a JSON object")
    transcript = event.get("transcript_path")
    if not isinstance(transcript, str) or not transcript:
        raise InvalidInput("hook input has no transcript_path")
    path = Path(transcript).expanduser()
    if not path.is_file():
        raise InvalidInput(f"transcript not found: {path}")
    cwd = event.get("cwd")
    summary, _written = import_into_store(
        session_sources(path), farm_root=_repo_of(cwd), lock_timeout=20
    )
    for reason, n in summary.unreadable.items():
        _log(f"{path}: {reason} ({n})")


def _repo_of(cwd: object) -> Path | None:
    if not isinstance(cwd, str) or not cwd:
        return None
    from farm import git

    try:
        return git.find_root(Path(cwd))
    except FarmError:
        return None


def _log(line: str) -> None:
    try:
        from datetime import datetime, timezone

        from farm.paths import farm_home

        with open(farm_home() / "hook.log", "a", encoding="utf-8") as fh:
            fh.write(f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} {line}\n")
    except OSError:
        print(f"farm hook: {line}", file=sys.stderr)
