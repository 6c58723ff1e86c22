"""`farm hooks`: wire farm into the agents and git, and the hook entry point itself.

Claude Code: `farm hooks install claude` adds one command, `farm hooks run claude`, for
SessionStart, UserPromptSubmit, PreToolUse, Stop and SessionEnd to `.claude/settings.json`
(or the user settings with --user). The committed command names no path of this machine:
it runs the `farm` on PATH, or `$FARM_BIN`, which farm sets in the machine-local
`.claude/settings.local.json` when this farm is not the one on PATH. farm adds its entries
to what is there and removes only its own.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from farm.errors import InvalidInput

RUN_MARK = "hooks run claude"
LEGACY_MARK = "sessions import --from-hook"  # what farm wrote before `hooks run`
COMMAND = 'command -v "${FARM_BIN:-farm}" >/dev/null 2>&1 || exit 0; "${FARM_BIN:-farm}" hooks run claude'
EVENTS = {  # event -> (matcher or None, timeout in seconds)
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 10),
    "PreToolUse": ("*", 10),
    "Stop": (None, 10),
    "SessionEnd": (None, 60),
}
SETTINGS = ".claude/settings.json"
LOCAL_SETTINGS = ".claude/settings.local.json"


@click.group()
def hooks() -> None:
    """Wire farm into the agents and git."""


@hooks.command("install")
@click.argument("target", type=click.Choice(["claude", "pre-commit"]))
@click.option("--user", is_flag=True, help="claude: install for every project (the user settings in CLAUDE_CONFIG_DIR, else ~/.claude).")
@click.option("--no-commit", is_flag=True, help="claude: write .claude/settings.json but do not commit it.")
def install(target: str, user: bool, no_commit: bool) -> None:
    """Install farm's hooks for TARGET (idempotent).

    \b
    claude      `farm hooks run claude` for SessionStart, UserPromptSubmit, PreToolUse,
                Stop and SessionEnd: relevant rules served, guards, budgets, import
    pre-commit  `farm check --staged` before each commit (in .pre-commit-config.yaml
                when pre-commit is used, else the hooks folder git uses); hits are catches
    """
    if target == "claude":
        result = install_claude(user, commit=not no_commit)
        click.echo(f"{'installed' if result.changed else 'already installed'}: farm's Claude Code hooks in {result.path}")
        if result.local:
            click.echo(f"  this machine's farm ({result.local}) is not the one on PATH: FARM_BIN set in {result.local_path}")
        if result.note:
            click.echo(f"Note: {result.note}")
        return
    from farm import git, precommit

    path, changed = precommit.install(git.find_root())
    click.echo(f"{'installed' if changed else 'already installed'}: farm check --staged in {path}")


@hooks.command("uninstall")
@click.argument("target", type=click.Choice(["claude", "pre-commit"]))
@click.option("--user", is_flag=True, help="claude: remove them from the user settings.")
def uninstall(target: str, user: bool) -> None:
    """Remove farm's hooks for TARGET; every other hook stays."""
    if target == "claude":
        path, changed = uninstall_claude(user)
        click.echo(f"{'removed' if changed else 'not installed'}: farm's Claude Code hooks in {path}")
        return
    from farm import git, precommit

    path, changed = precommit.uninstall(git.find_root())
    click.echo(f"{'removed' if changed else 'not installed'}: farm check --staged in {path}")


@hooks.command("run")
@click.argument("agent", type=click.Choice(["claude", "codex"]))
def run(agent: str) -> None:
    """The hook itself: read one hook event's JSON on stdin, answer on stdout.

    Always exits 0. A farm error, a broken file or a folder that is not a farm is a
    silent allow (no output) and a line in FARM_HOME/hook.log. Codex sends the same
    events in the same shape; its SessionEnd work goes to a background process.
    """
    from farm.hooks.fast import run_hook

    run_hook(agent, sys.stdin, sys.stdout)


# --- Claude Code settings ------------------------------------------------------------------


@dataclass
class Installed:
    path: Path
    changed: bool
    local: str | None = None  # this machine's farm, set as FARM_BIN
    local_path: Path | None = None  # where FARM_BIN was set
    note: str | None = None


def user_settings_path() -> Path:
    """The user settings Claude Code reads: the first CLAUDE_CONFIG_DIR entry, else ~/.claude."""
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").split(",")[0].strip()
    return (Path(env).expanduser() if env else Path.home() / ".claude") / "settings.json"


def this_farm() -> str | None:
    """The `farm` executable beside this interpreter, when it is not the one PATH finds."""
    mine = Path(sys.executable).parent / "farm"
    if not mine.is_file():
        return None
    found = shutil.which("farm")
    if found and os.path.realpath(found) == os.path.realpath(mine):
        return None
    return str(mine)


def install_claude(user: bool, commit: bool = True) -> Installed:
    local = this_farm()
    if user:
        path = _real(user_settings_path())
        settings = _read_settings(path)
        changed = _add_ours(settings)
        changed |= _set_env(settings, local)
        if changed:
            _write_user_settings(path, settings)
        return Installed(path, changed, local, path if local else None)
    return _install_in_repo(local, commit)


def _install_in_repo(local: str | None, commit: bool) -> Installed:
    from farm.artifacts import Planned
    from farm.project import open_farm

    farm = open_farm()
    shared_path, local_path = _repo_file(farm.root, SETTINGS), _repo_file(farm.root, LOCAL_SETTINGS)
    settings, local_settings = _read_settings(shared_path), _read_settings(local_path)
    planned = []
    if _add_ours(settings):
        planned.append(Planned(SETTINGS, _dump(settings)))
    if _set_env(local_settings, local):
        planned.append(Planned(LOCAL_SETTINGS, _dump(local_settings)))
        if local:
            planned += _ignore_local(farm)
    if not planned:
        return Installed(shared_path, False, local, local_path if local else None)
    note = _write(farm, planned, "farm: wire the Claude Code hooks", commit)
    return Installed(shared_path, True, local, local_path if local else None, note)


def _ignore_local(farm) -> list:
    """A .gitignore line for the machine-local settings, unless git already ignores them."""
    from farm import git
    from farm.artifacts import Planned

    if LOCAL_SETTINGS in git.ignored_paths(farm.root, [LOCAL_SETTINGS]):
        return []
    from farm.sync import read_text

    text = read_text(farm.root, ".gitignore") or ""  # bounded, and never through a link out of the repo
    sep = "" if not text or text.endswith("\n") else "\n"
    return [Planned(".gitignore", f"{text}{sep}# farm: this machine's farm (FARM_BIN) for the Claude Code hooks\n/{LOCAL_SETTINGS}\n")]


def _write(farm, planned: list, message: str, commit: bool = True) -> str | None:
    """Write the settings through farm's writer: the shared file committed (when asked), the
    machine-local one (and its .gitignore line) in a change of its own, never committed."""
    from farm.writer import commit_written, farm_lock, write_files

    local_files = (LOCAL_SETTINGS, ".gitignore")
    shared = [p for p in planned if p.path not in local_files]
    local = [p for p in planned if p.path in local_files]
    note = None
    with farm_lock(farm):
        if shared:
            note = commit_written(farm, write_files(farm, shared), message, commit=commit).note
        if local:
            commit_written(farm, write_files(farm, local), message, commit=False)
    return note


def uninstall_claude(user: bool) -> tuple[Path, bool]:
    if user:
        path = _real(user_settings_path())
        if not path.exists():
            return path, False
        settings = _read_settings(path)
        changed = _remove_ours(settings) | _set_env(settings, None)
        if changed:
            _write_user_settings(path, settings)
        return path, changed
    from farm.artifacts import Planned
    from farm.project import open_farm

    farm = open_farm()
    shared_path, local_path = _repo_file(farm.root, SETTINGS), _repo_file(farm.root, LOCAL_SETTINGS)
    planned = []
    settings = _read_settings(shared_path)
    if shared_path.exists() and _remove_ours(settings):
        planned.append(Planned(SETTINGS, _dump(settings)))
    local_settings = _read_settings(local_path)
    if local_path.exists() and _set_env(local_settings, None):
        planned.append(Planned(LOCAL_SETTINGS, _dump(local_settings)))
    if not planned:
        return shared_path, False
    _write(farm, planned, "farm: unwire the Claude Code hooks")
    return shared_path, True


def _real(path: Path) -> Path:
    """A symlinked settings file stays a symlink: farm writes the file it points at."""
    return Path(os.path.realpath(path))


def _repo_file(root: Path, rel: str) -> Path:
    """`rel` in the repo, refusing a symlink that leads out of it."""
    target = _real(root / rel)
    if not target.is_relative_to(root.resolve()):
        raise InvalidInput(f"{rel} points outside the repository ({target}); left as it is")
    return target


def is_ours(hook: object) -> bool:
    command = str(hook.get("command", "")) if isinstance(hook, dict) else ""
    return RUN_MARK in command or LEGACY_MARK in command


def _add_ours(settings: dict) -> bool:
    """Put farm's command on each event, once; an old farm entry is replaced. True if changed."""
    table = settings.setdefault("hooks", {})
    if not isinstance(table, dict):
        raise InvalidInput('settings.json: "hooks" is not an object, left as it is')
    changed = False
    for event, (matcher, timeout) in EVENTS.items():
        groups = table.setdefault(event, [])
        if not isinstance(groups, list):
            raise InvalidInput(f'settings.json: "hooks.{event}" is not a list, left as it is')
        wanted = {"type": "command", "command": COMMAND, "timeout": timeout}
        ours = [h for g in groups if isinstance(g, dict) for h in g.get("hooks") or [] if is_ours(h)]
        if ours and all(h == wanted for h in ours) and len(ours) == 1:
            continue
        changed = True
        _drop_ours(table, event)
        group = {"matcher": matcher, "hooks": [wanted]} if matcher else {"hooks": [wanted]}
        table.setdefault(event, []).append(group)
    return changed


def _remove_ours(settings: dict) -> bool:
    table = settings.get("hooks")
    if not isinstance(table, dict):
        return False
    changed = False
    for event in list(table):
        if isinstance(table[event], list):
            changed |= _drop_ours(table, event)
    if not table:
        del settings["hooks"]
    return changed


def _drop_ours(table: dict, event: str) -> bool:
    """Remove farm's entries from one event's groups; a group left empty goes, then the event."""
    kept, changed = [], False
    for group in table.get(event, []):
        entries = group.get("hooks") if isinstance(group, dict) else None
        if isinstance(entries, list) and any(is_ours(h) for h in entries):
            changed = True
            group = dict(group, hooks=[h for h in entries if not is_ours(h)])
            if not group["hooks"]:
                continue
        kept.append(group)
    if kept:
        table[event] = kept
    else:
        del table[event]
    return changed


def _set_env(settings: dict, farm_bin: str | None) -> bool:
    """Set (or, with None, remove) FARM_BIN in the settings' env. True if changed."""
    env = settings.get("env")
    if env is not None and not isinstance(env, dict):
        raise InvalidInput('settings: "env" is not an object, left as it is')
    current = (env or {}).get("FARM_BIN")
    if current == farm_bin:
        return False
    if farm_bin is None:
        del env["FARM_BIN"]
        if not env:
            del settings["env"]
    else:
        settings.setdefault("env", {})["FARM_BIN"] = farm_bin
    return True


def _read_settings(path: Path) -> dict:
    from farm.errors import UnreadableFile
    from farm.fsutil import read_bytes_bounded

    if not path.exists():
        return {}
    try:  # bounded: a pipe or /dev/zero where the settings belong is one line, never a hang
        data = json.loads(read_bytes_bounded(path, 10_000_000, str(path)).decode("utf-8") or "{}")
    except UnreadableFile as exc:
        raise InvalidInput(f"{exc}; left as it is") from None
    except (ValueError, OSError) as exc:
        raise InvalidInput(f"{path}: not valid JSON, left as it is ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a JSON object, left as it is")
    return data


def _dump(settings: dict) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def _write_user_settings(path: Path, settings: dict) -> None:
    """The user's own settings, outside any repo: written whole, keeping the file's mode."""
    from farm.fsutil import atomic_write

    mode = path.stat().st_mode & 0o777 if path.exists() else None
    atomic_write(path, _dump(settings))
    if mode is not None:
        os.chmod(path, mode)


# --- the legacy SessionEnd hook (`farm sessions import --from-hook`) -------------------------


def run_session_end_hook(stdin: IO[str]) -> int:
    """Import the session a Claude Code hook names on stdin. Never fails the session: any
    problem is logged to FARM_HOME/hook.log and the exit status is still 0."""
    from farm.hooks.runtime import log

    try:
        event = json.loads(stdin.read() or "{}")
        if not isinstance(event, dict):
            raise InvalidInput("hook input is not a JSON object")
        from farm.hooks.events import finish_session

        finish_session("claude", event)
    except BaseException as exc:  # the agent's session must end cleanly whatever happens here
        if isinstance(exc, KeyboardInterrupt):
            return 0
        log(f"{type(exc).__name__}: {exc}")
    return 0

