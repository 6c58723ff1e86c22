"""The farm's settings: `[tool.farm]` in pyproject.toml, or farm.toml, over defaults."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from farm.errors import InvalidInput

DEFAULTS: dict[str, Any] = {
    "corrections_dir": "corrections",
    "templates_dir": "templates",
    "test_dir": "tests/farm",
    "prompt_files": ["AGENTS.md", "CLAUDE.md"],
    "skill_dirs": [".claude/skills", ".agents/skills"],
    # sync/seed: more agent files that get farm's rules: any of GEMINI.md,
    # .github/copilot-instructions.md (a block in each), .cursor/rules/farm.mdc (farm's own file)
    "extra_agent_files": [],
    "rules_generator": "auto",  # auto (.ruler/ or .rulesync/ when present), ruler, rulesync or none
    "seed_paths": {},  # seed into this repo: source path prefix -> path prefix here
    "match_threshold": None,  # None: the matcher's own default
    "preserve_threshold": 85,
    "min_exposure": 5,
    "record_sessions": False,
    "task_types": {},
    "prices": {},
    # hooks (`farm hooks run claude`): rules served per prompt, and the budget stop rule
    "serve_rules": 3,  # at most this many corrections served per prompt
    "serve_min_score": 26,  # matcher score (0-100) a correction needs to be served (recurrence: 27)
    "serve_max_tokens": 300,  # the served block's size, about four characters a token
    "session_budget_usd": None,  # a hard cap per session: past it, the hooks stop the session
    "task_budgets_usd": {},  # per task type: {"bug fix" = 5.0}, wins over session_budget_usd
}


def load_config(root: Path) -> dict[str, Any]:
    """Settings for the farm at `root`: farm.toml wins over pyproject.toml's [tool.farm]."""
    config = copy.deepcopy(DEFAULTS)
    config.update(_read_toml(root / "pyproject.toml").get("tool", {}).get("farm", {}))
    farm_toml = root / "farm.toml"
    if farm_toml.exists():
        config.update(_read_toml(farm_toml))
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: not valid TOML ({exc})") from None
