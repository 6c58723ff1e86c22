"""`farm doctor`: is farm wired and working here? Each check says what it saw and what to fix.

Checks return data (Check); farm/commands/doctor.py prints them.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "fail"
LOG_DAYS = 7


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str | None = None


def run_checks(cwd: Path | None = None) -> list[Check]:
    from farm.hooks.runtime import find_farm

    farm = find_farm(cwd)
    checks = [_versions(), _farm_on_path()]
    if farm is None:
        checks.append(Check("farm", WARN, f"{cwd or os.getcwd()} is not inside a farm", "run `farm init` in your repo"))
    else:
        checks += [_index(farm), _rules(farm), _claude_project(farm), _pre_commit(farm)]
    checks += [_claude_user(), _hook_log(), _sessions()]
    return checks


def _versions() -> Check:
    from importlib.metadata import PackageNotFoundError, version

    from farm import __version__

    try:
        prices = version("genai-prices")
    except PackageNotFoundError:
        prices = "missing"
    python = ".".join(map(str, sys.version_info[:3]))
    detail = f"farm {__version__}, Python {python} ({sys.executable}), genai-prices {prices}"
    return Check("versions", OK, detail + f", Claude Code {_claude_version()}")


def _claude_version() -> str:
    import subprocess

    found = shutil.which("claude")
    if found is None:
        return "not on PATH"
    try:
        done = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return f"at {found} (its version did not answer)"
    return (done.stdout.strip().splitlines() or ["?"])[0]


def _farm_on_path() -> Check:
    found = shutil.which("farm")
    mine = Path(sys.executable).parent / "farm"
    if found is None:
        return Check("farm on PATH", WARN, "no `farm` on PATH: the hooks only run where FARM_BIN is set",
                     "install farm with pipx or uv tool, or run `farm hooks install claude` to set FARM_BIN")
    if mine.is_file() and os.path.realpath(found) != os.path.realpath(mine):
        return Check("farm on PATH", WARN, f"PATH finds {found}, not this farm ({mine})",
                     "run `farm hooks install claude` so FARM_BIN points at this one, or fix PATH")
    return Check("farm on PATH", OK, found)


def _index(farm) -> Check:
    from farm.project import open_farm

    with open_farm(farm.root).index() as (index, refresh):
        count = len(index.corrections())
    if refresh.warnings:
        return Check("index", WARN, f"{count} corrections; {len(refresh.warnings)} file(s) unreadable: "
                     + "; ".join(refresh.warnings[:3]), "fix or delete the files named, then `farm reindex`")
    return Check("index", OK, f"{count} corrections indexed from {farm.corrections_dir}")


def _rules(farm) -> Check:
    from farm.hooks.rules import load_rulebook

    book = load_rulebook(farm, wait=True)
    detail = f"{len(book.rules)} active rules served by relevance, {len(book.guards)} guard(s)"
    if book.warnings:
        return Check("hook rules", WARN, detail + "; " + "; ".join(book.warnings[:3]), "fix the files named")
    return Check("hook rules", OK, detail)


def _claude_project(farm) -> Check:
    from farm.commands.hooks import LOCAL_SETTINGS, SETTINGS

    return _claude_settings("Claude Code hooks (project)", farm.root / SETTINGS, farm.root / LOCAL_SETTINGS,
                            "run `farm hooks install claude` here", shared=True)


def _claude_user() -> Check:
    from farm.commands.hooks import user_settings_path

    path = user_settings_path()
    return _claude_settings("Claude Code hooks (user)", path, None, "optional: `farm hooks install claude --user`",
                            shared=False, missing_is=OK)


def _claude_settings(name: str, path: Path, local: Path | None, fix: str, *, shared: bool,
                     missing_is: str = WARN) -> Check:
    import json

    from farm.commands.hooks import COMMAND, EVENTS, is_ours

    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        return Check(name, FAIL, f"{path}: not valid JSON ({exc})", "fix the file by hand; farm leaves it alone")
    table = data.get("hooks") if isinstance(data, dict) and isinstance(data.get("hooks"), dict) else {}
    commands = {event: [h.get("command") for g in table.get(event, []) if isinstance(g, dict)
                        for h in g.get("hooks") or [] if is_ours(h)] for event in EVENTS}
    wired = [e for e, cmds in commands.items() if cmds]
    if not wired:
        return Check(name, missing_is, f"not installed in {path}", fix)
    legacy = [e for e, cmds in commands.items() if any(c != COMMAND for c in cmds)]
    missing = [e for e in EVENTS if e not in wired]
    problems = []
    if legacy:
        problems.append(f"an older farm command on {', '.join(legacy)}" + (" (a path of one machine, in a shared file)" if shared else ""))
    if missing:
        problems.append(f"not wired for {', '.join(missing)}")
    farm_bin = _farm_bin(local) if local else (data.get("env") or {}).get("FARM_BIN")
    if farm_bin and not (Path(farm_bin).is_file() and os.access(farm_bin, os.X_OK)):
        problems.append(f"FARM_BIN points at {farm_bin}, which is not an executable here")
    if local is not None and farm_bin and not _ignored(path.parent.parent, local):
        problems.append(f"{local.name} is not ignored by git: this machine's path could be committed"
                        " (add .claude/settings.local.json to .gitignore)")
    if problems:
        return Check(name, FAIL if legacy or farm_bin else WARN, f"{path}: " + "; ".join(problems),
                     "run `farm hooks install claude`" + (" --user" if not shared else ""))
    runs = farm_bin or shutil.which("farm") or "nothing (farm not on PATH: the hooks stay silent)"
    return Check(name, OK if farm_bin or shutil.which("farm") else WARN, f"{path}: all {len(EVENTS)} events; runs {runs}",
                 None if farm_bin or shutil.which("farm") else "install farm on PATH or run `farm hooks install claude`")


def _ignored(root: Path, path: Path) -> bool:
    from farm import git

    rel = path.relative_to(root).as_posix()
    return rel in git.ignored_paths(root, [rel])


def _farm_bin(local: Path) -> str | None:
    import json

    try:
        data = json.loads(local.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    env = data.get("env") if isinstance(data, dict) else None
    return env.get("FARM_BIN") if isinstance(env, dict) else None


def _pre_commit(farm) -> Check:
    from farm import git, precommit

    config = farm.root / precommit.CONFIG
    if config.exists():
        ours = precommit.MARK in config.read_text(encoding="utf-8", errors="replace")
        return Check("pre-commit", OK if ours else WARN, f"{config.name}: " + ("farm-check listed" if ours else "no farm-check hook"),
                     None if ours else "run `farm hooks install pre-commit`")
    hook = precommit.hook_path(farm.root)
    folder, configured = git.hooks_dir(farm.root)
    ours = hook.exists() and precommit.MARK in hook.read_text(encoding="utf-8", errors="replace")
    if ours:
        return Check("pre-commit", OK, f"{hook}" + (" (core.hooksPath)" if configured else ""))
    stray = Path(git.git_dir(farm.root)) / "hooks" / "pre-commit"
    if configured and stray.exists() and precommit.MARK in stray.read_text(encoding="utf-8", errors="replace"):
        return Check("pre-commit", FAIL, f"farm's hook is in {stray}, but core.hooksPath makes git run {folder}",
                     "run `farm hooks install pre-commit` again")
    return Check("pre-commit", WARN, f"no farm hook in {folder}", "run `farm hooks install pre-commit`")


def _hook_log() -> Check:
    from farm.paths import farm_home

    path = farm_home() / "hook.log"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return Check("hook log", OK, f"no failures logged ({path})")
    recent = [line for line in lines if _recent(line)]
    if not recent:
        return Check("hook log", OK, f"no failures in the last {LOG_DAYS} days ({path})")
    return Check("hook log", WARN, f"{len(recent)} failure(s) in the last {LOG_DAYS} days; last: {recent[-1][:300]}",
                 f"read {path}; the hooks allowed every call meanwhile")


def _recent(line: str) -> bool:
    from datetime import datetime

    try:
        when = datetime.fromisoformat(line.split(" ", 1)[0])
    except ValueError:
        return False
    return time.time() - when.timestamp() < LOG_DAYS * 86400


def _sessions() -> Check:
    from farm.hooks.budget import cached_budgets
    from farm.sessions.store import store_path

    budgets = cached_budgets()
    if not store_path().exists():
        return Check("sessions", WARN, "no session imported yet: budgets are unknown", "run `farm sessions import`")
    if budgets is None:
        return Check("sessions", WARN, "budgets not computed yet", "run `farm budget`")
    age = (time.time() - budgets.computed_at) / 3600
    return Check("sessions", OK, f"budgets from {budgets.sessions} session(s), computed {age:.1f} h ago")
