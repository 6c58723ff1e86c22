"""Task type of a session (bug fix, refactor, …) from its branch, commit messages and first prompt.

Rules are regular expressions per type. `[tool.farm] task_types` rules are tried before the
built-in ones; the branch name is the strongest signal, then commit messages, then the prompt.
"""

from __future__ import annotations

import re
from functools import lru_cache

from farm.errors import InvalidInput

# Order matters: the first type whose rule matches wins ("fix the failing test" is test repair).
DEFAULT_RULES: dict[str, list[str]] = {
    "dependency upgrade": [
        r"\b(bump|upgrade|update)\b.{0,40}\b(deps?|dependenc\w*|packages?|versions?|requirements|lockfile|to v?\d)",
        r"\b(renovate|dependabot)\b",
        r"^(deps|build\(deps\))\b",
    ],
    "test repair": [
        r"\b(fix|repair|unbreak|deflake)\w*\b.{0,30}\btests?\b",
        r"\btests?\b.{0,30}\b(fail\w*|broken|flaky|red)\b",
        r"^test(\(.*\))?!?:\s*fix",
    ],
    "bug fix": [r"^(fix|bugfix|hotfix)\b", r"\b(fix\w*|bugs?|crash\w*|regression|broken)\b"],
    "refactor": [r"^refactor\b", r"\b(refactor\w*|clean ?up|rename|simplif\w*|restructur\w*)\b"],
    "docs": [r"^docs?\b", r"\b(docs?|documentation|readme|changelog)\b"],
    "spike": [r"^(spike|poc|experiment)\b", r"\b(spike|prototype|proof of concept|experiment\w*|explor\w*|investigat\w*)\b"],
    "feature": [r"^feat(ure)?\b", r"\b(feat|features?|add\w*|implement\w*|support|introduc\w*)\b"],
}


def classify(
    branch: str | None,
    commit_messages: list[str],
    first_prompt: str | None,
    rules: dict | None = None,
) -> str | None:
    """The task type, or None when nothing matches."""
    compiled = _compile_all(_freeze(rules or {}))
    texts = [_branch_words(branch)] if branch else []
    texts += [m for m in commit_messages if m]
    if first_prompt:
        texts.append(first_prompt)
    for text in texts:
        for name, patterns in compiled:
            if any(p.search(text) for p in patterns):
                return name
    return None


def _branch_words(branch: str) -> str:
    # "fix/login-crash" reads as "fix login crash"; main/master say nothing.
    if branch in ("main", "master", "trunk", "develop", "HEAD"):
        return ""
    return re.sub(r"[/_\-.]+", " ", branch)


def _freeze(rules: dict) -> tuple:
    if not isinstance(rules, dict):
        raise InvalidInput("[tool.farm] task_types must be a table: type = [\"regex\", …]")
    frozen = []
    for name, patterns in rules.items():
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise InvalidInput(f"[tool.farm] task_types.{name} must be a regex or a list of regexes")
        frozen.append((str(name), tuple(patterns)))
    return tuple(frozen)


@lru_cache(maxsize=32)
def _compile_all(user_rules: tuple) -> list[tuple[str, list]]:
    """The person's rules run on RE2, like grader rules: a committed `(a+)+$` cannot hang an
    import, `farm spend` or a hook. farm's own defaults are plain `re`."""
    out = []
    for name, patterns in user_rules:
        out.append((name, [_user_regex(name, p) for p in patterns]))
    for name, patterns in DEFAULT_RULES.items():
        out.append((name, [re.compile(p, re.IGNORECASE) for p in patterns]))
    return out


def _user_regex(name: str, pattern: str):
    from farm.patterns import compile_regex

    try:
        return compile_regex("(?i)" + pattern)
    except ValueError as exc:
        raise InvalidInput(f"[tool.farm] task_types.{name}: {exc}") from None


def known_types(rules: dict | None = None) -> list[str]:
    names = [name for name, _ in _freeze(rules or {})]
    return list(dict.fromkeys(names + list(DEFAULT_RULES)))
