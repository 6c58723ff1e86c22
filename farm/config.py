"""The farm's settings: `[tool.farm]` in pyproject.toml, or farm.toml, over defaults.

`SETTINGS` is the table of every key (name, type, default, help) as data, for validation here
and for anything that lists them. A value of the wrong type is one error line naming the file,
the key and the type expected; an unknown key (a typo, most often) is a warning naming it.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from farm.errors import InvalidInput

MAX_CONFIG_BYTES = 1_000_000


@dataclass(frozen=True)
class Setting:
    name: str
    type: str  # as the user reads it: "path", "list of paths", "whole number 1-100", …
    default: Any
    help: str
    # Returns the reason the value is wrong ("" when it is fine).
    check: Callable[[Any], str]


def _is_path(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip() or "\0" in value or "\\" in value:
        return False
    path = PurePosixPath(value)
    return not path.is_absolute() and ".." not in path.parts and path.parts[:1] != (".git",)


def _path(value: Any) -> str:
    return "" if _is_path(value) else "expected a relative path inside the repository (a string)"


def _paths(value: Any) -> str:
    ok = isinstance(value, list) and all(_is_path(v) for v in value)
    return "" if ok else "expected a list of relative paths, like [\"AGENTS.md\"]"


def _whole(low: int, high: int | None = None) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)
        return "" if ok else f"expected a whole number {low}-{high}" if high is not None else f"expected a whole number ≥ {low}"
    return check


def _number(low: float, high: float | None = None) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= low
              and (high is None or value <= high))
        return "" if ok else f"expected a number {low:g}-{high:g}" if high is not None else f"expected a number ≥ {low:g}"
    return check


def _seconds(value: Any) -> str:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
    return "" if ok else "expected a number of seconds above 0"


def _bool(value: Any) -> str:
    return "" if isinstance(value, bool) else "expected true or false"


def _table(value: Any) -> str:
    return "" if isinstance(value, dict) else "expected a table (key = value pairs)"


def _path_table(value: Any) -> str:
    ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return "" if ok else "expected a table of path prefixes: \"source/\" = \"here/\""


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        return "" if value in choices else f"expected one of {', '.join(choices)}"
    return check


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("corrections_dir", "path", "corrections", "Folder of the correction files and their event log.", _path),
    Setting("templates_dir", "path", "templates", "Folder of this repo's template overrides.", _path),
    Setting("test_dir", "path", "tests/farm", "Where kind test writes its generated tests.", _path),
    Setting("prompt_files", "list of paths", ["AGENTS.md", "CLAUDE.md"],
            "Agent files that get farm's block of prompt rules.", _paths),
    Setting("skill_dirs", "list of paths", [".claude/skills", ".agents/skills"], "Where kind skill writes SKILL.md.", _paths),
    Setting("extra_agent_files", "list of paths", [],
            "More agent files for sync/seed: GEMINI.md, .github/copilot-instructions.md, .cursor/rules/farm.mdc.", _paths),
    Setting("rules_generator", "auto, ruler, rulesync or none", "auto",
            "Write rules into .ruler/ or .rulesync/ sources (auto: when the folder exists).",
            _choice("auto", "ruler", "rulesync", "none")),
    Setting("seed_paths", "table of paths", {}, "Seeding into this repo: source path prefix = path prefix here.", _path_table),
    Setting("match_threshold", "number 0-100", None, "Score at which a miss counts as a recurrence (unset: the matcher's own).",
            _number(0, 100)),
    Setting("preserve_threshold", "whole number 1-100", 85, "Similarity that counts as keeping a must-preserve statement.",
            _whole(1, 100)),
    Setting("min_exposure", "whole number ≥ 0", 5, "Sessions after landing before a correction can be called holding.",
            _whole(0)),
    Setting("record_sessions", "true or false", False, "Commit a summary of each agent session (no prompt text).", _bool),
    Setting("task_types", "table", {}, "Task type = regex or list of regexes, tried before the built-in rules.", _table),
    Setting("prices", "table", {}, "Model prices that override genai-prices.", _table),
    Setting("price_multipliers", "table", {},
            "Multipliers of the standard price for modes genai-prices has no rates for: fast, geo-us, "
            "priority, flex (a number, or a table of model glob = number).", _table),
    Setting("audit_look_alike_recent", "whole number ≥ 1", 300, "How many recent corrections audit compares for look-alikes.",
            _whole(1)),
    Setting("check_cmd_timeout", "number of seconds > 0", 300, "How long a grader's check_cmd may run on one file.",
            _seconds),
    # the hooks (`farm hooks run claude`): rules served per prompt, and the budget stop rule
    Setting("serve_rules", "whole number 0-20", 3, "At most this many corrections served to the agent per prompt.",
            _whole(0, 20)),
    Setting("serve_min_score", "number 0-100", 26, "Matcher score a correction needs to be served (a recurrence: 27).",
            _number(0, 100)),
    Setting("serve_max_tokens", "whole number ≥ 1", 300, "Size of the served rules, about four characters a token.",
            _whole(1)),
    Setting("session_budget_usd", "number ≥ 0", None, "Hard cap per session: past it, the hooks stop the session.",
            _number(0)),
    Setting("task_budgets_usd", "table", {}, "Per task type: \"bug fix\" = 5.0; wins over session_budget_usd.", _table),
)}

DEFAULTS: dict[str, Any] = {name: s.default for name, s in SETTINGS.items()}

_WARNINGS: list[str] = []


def load_config(root: Path) -> dict[str, Any]:
    """Settings for the farm at `root`: farm.toml wins over pyproject.toml's [tool.farm].

    Raises InvalidInput on a value of the wrong type; unknown keys become warnings
    (`take_warnings`)."""
    config = copy.deepcopy(DEFAULTS)
    pyproject = _read_toml(root / "pyproject.toml")
    tool = pyproject.get("tool", {})
    section = tool.get("farm", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise InvalidInput("pyproject.toml: [tool.farm]: expected a table")
    config.update(_checked(section, "pyproject.toml [tool.farm]"))
    config.update(_checked(_read_toml(root / "farm.toml"), "farm.toml"))
    return config


def take_warnings() -> list[str]:
    """Warnings from the configs loaded so far (each once), and forget them."""
    out = list(dict.fromkeys(_WARNINGS))
    _WARNINGS.clear()
    return out


def _checked(values: dict[str, Any], where: str) -> dict[str, Any]:
    for key, value in values.items():
        setting = SETTINGS.get(key)
        if setting is None:
            close = _closest(key)
            hint = f" (did you mean {close}?)" if close else ""
            _WARNINGS.append(f"{where}: unknown setting {key!r}{hint}; it is ignored")
            continue
        reason = setting.check(value)
        if reason:
            raise InvalidInput(f"{where}: {key} = {_show(value)}: {reason}")
    return {k: v for k, v in values.items() if k in SETTINGS}


def _closest(key: str) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(SETTINGS), n=1, cutoff=0.6)
    return found[0] if found else None


def _show(value: Any) -> str:
    from farm.redact import redact

    text = redact(repr(value))
    return text if len(text) <= 60 else text[:59] + "…"


def _read_toml(path: Path) -> dict[str, Any]:
    from farm.errors import UnreadableFile
    from farm.fsutil import read_text_bounded

    if not path.exists() and not path.is_symlink():
        return {}
    try:
        return tomllib.loads(read_text_bounded(path, MAX_CONFIG_BYTES, path.name))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path.name}: not valid TOML ({exc})") from None
    except UnreadableFile as exc:
        raise InvalidInput(str(exc)) from None
