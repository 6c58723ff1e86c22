"""The rule book a hook consults: the active corrections, their matcher and the guards.

Building it needs the index (sqlmodel) and the matcher (stemming every correction): far
too slow for a hook. So it is pickled under FARM_HOME, keyed by the size and mtime of
every correction, guard and config file, and rebuilt only when one of them changed.
Checking the key costs one directory listing per folder.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farm.hooks.runtime import HookFarm

BOOK = "hook-rules.pickle"
MATCHER = "hook-matcher.pickle"  # apart: unpickling it loads the stemmer, which PreToolUse never needs
BOOK_VERSION = 2
MATCH_SOURCE = Path(__file__).resolve().parents[1] / "match.py"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    rule: str
    kind: str
    task_type: str | None


@dataclass(frozen=True)
class Served:
    rule: Rule
    score: float


@dataclass
class RuleBook:
    key: str
    rules: dict[str, Rule] = field(default_factory=dict)
    guards: list = field(default_factory=list)  # farm.hooks.guards.Guard
    warnings: list[str] = field(default_factory=list)


def load_rulebook(farm: HookFarm) -> RuleBook:
    """The farm's rule book, from the cache when nothing it was built from changed."""
    key = _key(farm)
    book = _cached(farm, BOOK, key)
    if isinstance(book, RuleBook):
        return book
    return _build(farm, key)[0]


def load_matcher(farm: HookFarm, book: RuleBook):
    """The matcher over the book's corrections (None when there are none)."""
    if not book.rules:
        return None
    cached = _cached(farm, MATCHER, book.key)
    if cached is not None:
        return cached
    return _build(farm, _key(farm))[1]


def _cached(farm: HookFarm, name: str, key: str):
    from farm.hooks.runtime import repo_dir

    try:
        stored_key, value = pickle.loads((repo_dir(farm.root) / name).read_bytes())  # noqa: S301 - ours
    except Exception:  # missing, stale or unreadable: build afresh
        return None
    return value if stored_key == key else None


def _store(farm: HookFarm, name: str, key: str, value) -> None:
    from farm.fsutil import atomic_write
    from farm.paths import repo_state_dir

    try:
        atomic_write(repo_state_dir(farm.root) / name, pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL),
                     fsync=False)
    except OSError:
        pass  # a cache that cannot be written only costs time


def _key(farm: HookFarm) -> str:
    stamps: list[tuple] = [BOOK_VERSION, repr(farm.config.get("match_threshold"))]
    for folder in (farm.corrections_dir, farm.corrections_dir / "guards"):
        stamps.append(_folder_stamp(folder))
    for name in ("farm.toml", "pyproject.toml"):
        stamps.append(_file_stamp(farm.root / name))
    stamps.append(_file_stamp(MATCH_SOURCE))
    return repr(stamps)  # compared whole: exact, and no hashlib to load


def _folder_stamp(folder: Path) -> tuple:
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted(
                (e.name, s.st_size, s.st_mtime_ns)
                for e in entries
                if e.name.endswith((".md", ".yml")) and e.is_file() and (s := e.stat())
            ))
    except OSError:
        return ()


def _file_stamp(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_size, st.st_mtime_ns)


def _build(hook_farm: HookFarm, key: str) -> tuple[RuleBook, Any]:
    from farm.hooks.guards import load_guards
    from farm.matchcache import load_matcher as load_farm_matcher
    from farm.project import open_farm

    farm = open_farm(hook_farm.root)
    with farm.index() as (index, refresh):
        rows = index.corrections()
    active = [r for r in rows if r.status == "active"]
    book = RuleBook(key=key, warnings=list(refresh.warnings))
    book.rules = {r.id: Rule(r.id, r.title, " ".join(r.rule.split()), r.kind, r.task_type) for r in active}
    matcher = load_farm_matcher(farm.root, rows, farm.config.get("match_threshold")) if active else None
    if matcher is not None:
        for i in range(len(matcher.docs)):
            matcher._mass(i)  # noqa: SLF001 - fill its lazy cache once, not in every hook process
    book.guards, warnings = load_guards(farm.corrections_dir, skip={r.id for r in rows if r.status != "active"})
    book.warnings += warnings
    _store(farm, MATCHER, key, matcher)
    _store(farm, BOOK, key, book)
    return book, matcher


def relevant(book: RuleBook, matcher, text: str, *, skip: set[str], limit: int, min_score: float,
             max_tokens: int) -> list[Served]:
    """The few active corrections most relevant to `text`, best first, within a token budget
    (about four characters a token); corrections in `skip` (already in context) are left out."""
    if matcher is None or not text.strip():
        return []
    found, spent = [], 0
    for match in matcher.match(text, limit=limit + len(skip)):
        rule = book.rules.get(match.id)
        if rule is None or match.id in skip or match.score < min_score:
            continue
        cost = len(line(rule)) // 4 + 1
        if spent + cost > max_tokens:
            break
        found.append(Served(rule, round(match.score, 1)))
        spent += cost
        if len(found) >= limit:
            break
    return found


def line(rule: Rule) -> str:
    return f"- {rule.rule} [farm:{rule.id}]"
