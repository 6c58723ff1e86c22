"""`farm hooks install pre-commit`: run `farm check --staged` before every commit.

With pre-commit in use (a `.pre-commit-config.yaml`), farm appends a local hook to its
`repos:` list as text, so the user's comments and layout stay as they are; otherwise it
writes a plain `.git/hooks/pre-commit`, and never replaces one that is not farm's.
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


def install(root: Path) -> tuple[Path, bool]:
    config = root / CONFIG
    if config.exists():
        return config, _add_to_config(config)
    return _install_git_hook(root)


def uninstall(root: Path) -> tuple[Path, bool]:
    config = root / CONFIG
    if config.exists() and MARK in _read(config):
        text = _read(config)
        pattern = re.compile(r"^([ \t]*)- repo: local  # farm: grader rules on staged files\n(?:\1 .*\n?)*", re.M)
        atomic_write(config, pattern.sub("", text, count=1))
        return config, True
    hook = git.git_dir(root) / "hooks" / "pre-commit"
    if hook.exists() and MARK in hook.read_text(encoding="utf-8", errors="replace"):
        hook.unlink()
        return hook, True
    return hook, False


def _add_to_config(config: Path) -> bool:
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
    atomic_write(config, text + ("" if text.endswith("\n") else "\n") + block)
    return True


def _install_git_hook(root: Path) -> tuple[Path, bool]:
    hook = git.git_dir(root) / "hooks" / "pre-commit"
    content = GIT_HOOK.format(python=shlex.quote(sys.executable))
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
