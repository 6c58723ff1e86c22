"""`farm hooks install pre-commit`: run `farm check --staged` before every commit.

With pre-commit in use (a `.pre-commit-config.yaml`), farm appends a local hook to its
`repos:` list as text, so the user's comments and layout stay as they are; otherwise it
writes a plain `pre-commit` hook in the folder git runs hooks from (`core.hooksPath` when
set, as husky and lefthook do; else `.git/hooks`), and never replaces one that is not farm's.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

from farm import git
from farm.errors import InvalidInput
from farm.fsutil import atomic_write

MARK = "farm-check"
CONFIG = ".pre-commit-config.yaml"
ENTRY = """\
{i}- repo: local  # farm: grader rules on staged files
{i}  hooks:
{i}    - id: farm-check
{i}      name: farm check
{i}      entry: farm check --staged
{i}      language: system
{i}      pass_filenames: false
{i}      always_run: true
"""
GIT_HOOK = """\
#!/bin/sh
# farm-check: run farm's grader rules on the staged files (`farm hooks install pre-commit`)
exec {python} -m farm check --staged
"""
# In a core.hooksPath folder, which teams commit: no path of this machine in it.
SHARED_GIT_HOOK = """\
#!/bin/sh
# farm-check: run farm's grader rules on the staged files (`farm hooks install pre-commit`)
if ! command -v "${FARM_BIN:-farm}" >/dev/null 2>&1; then
  echo "farm-check: farm is not on PATH here; grader rules not run" >&2
  exit 0
fi
exec "${FARM_BIN:-farm}" check --staged
"""


def install(root: Path) -> tuple[Path, bool]:
    config = root / CONFIG
    if config.exists():
        return config, _add_to_config(root, config)
    return _install_git_hook(root)


def uninstall(root: Path) -> tuple[Path, bool]:
    config = root / CONFIG
    if config.exists() and MARK in _read(config):
        text = _read(config)
        pattern = re.compile(r"^([ \t]*)- repo: local  # farm: grader rules on staged files\n(?:\1 .*\n?)*", re.M)
        _write_config(root, pattern.sub("", text, count=1))
        return config, True
    hook = hook_path(root)
    if hook.exists() and MARK in hook.read_text(encoding="utf-8", errors="replace"):
        hook.unlink()
        return hook, True
    return hook, False


def _write_config(root: Path, text: str) -> None:
    """Through farm's writer (a symlinked config stays a symlink; one out of the repo is
    refused); left uncommitted, as the person's own file."""
    from farm.project import open_farm
    from farm.artifacts import Planned
    from farm.writer import commit_written, farm_lock, write_files

    farm = open_farm(root)
    with farm_lock(farm):
        commit_written(farm, write_files(farm, [Planned(CONFIG, text)]), "farm: pre-commit hook", commit=False)


def _add_to_config(root: Path, config: Path) -> bool:
    import yaml

    text = _read(config)
    if MARK in text:
        return False
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise InvalidInput(f"{config}: not valid YAML, left as it is") from None
    top_keys = re.findall(r"^([A-Za-z_][\w-]*):", text, re.M)
    if not isinstance(data, dict) or not isinstance(data.get("repos"), list) or not top_keys or top_keys[-1] != "repos":
        raise InvalidInput(
            f"{config}: add farm's hook by hand under repos: (repo: local, id: farm-check, "
            "entry: farm check --staged, language: system, pass_filenames: false)"
        )
    indent = re.search(r"^([ \t]*)- repo:", text, re.M)
    block = ENTRY.format(i=indent.group(1) if indent else "  ")
    _write_config(root, text + ("" if text.endswith("\n") else "\n") + block)
    return True


def hook_path(root: Path) -> Path:
    """Where git looks for the pre-commit hook; a symlinked hook is written through."""
    folder, _configured = git.hooks_dir(root)
    return Path(os.path.realpath(folder / "pre-commit"))


def _install_git_hook(root: Path) -> tuple[Path, bool]:
    hook = hook_path(root)
    shared = git.hooks_dir(root)[1]
    content = SHARED_GIT_HOOK if shared else GIT_HOOK.format(python=shlex.quote(sys.executable))
    if hook.exists():
        current = hook.read_text(encoding="utf-8", errors="replace")
        if current == content:
            return hook, False
        if MARK not in current:
            raise InvalidInput(
                f"{hook} exists and is not farm's; left as it is. Add `farm check --staged` to it by hand"
            )
    atomic_write(hook, content)
    os.chmod(hook, 0o755)
    return hook, True



def _read(config: Path) -> str:
    """The person's .pre-commit-config.yaml as it is, bounded: a FIFO there is refused, not waited on."""
    from farm.errors import UnreadableFile
    from farm.fsutil import read_bytes_bounded

    try:
        return read_bytes_bounded(config, 1_000_000, config.name).decode("utf-8")
    except UnreadableFile as exc:
        raise InvalidInput(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{config.name}: not UTF-8 (byte {exc.start}); left as it is") from None
