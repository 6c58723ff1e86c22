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


SYNC_LIMIT = 300  # correction files up to which a stale book is rebuilt in the hook itself
BUILDING = "hook-rules.building"  # a background rebuild is running (its start time)
BUILD_WAIT = 120  # seconds after which a rebuild that never finished may be started again


def load_rulebook(farm: HookFarm, *, wait: bool = False) -> RuleBook:
    """The farm's rule book, from the cache when nothing it was built from changed.

    A small farm's book is rebuilt on the spot (well under a second). A big farm's takes
    seconds, longer than a hook may take (Claude Code kills it at its timeout, and a build
    killed every time would never land): it is rebuilt by a detached process, and until it
    lands the hooks use the previous book, or none (a silent allow). `wait`: build it now
    whatever the size (farm's own commands).
    """
    key, files = _key(farm)
    stored_key, book = _stored(farm, BOOK)
    if isinstance(book, RuleBook) and stored_key == key:
        return book
    if wait or files <= SYNC_LIMIT:
        return _build(farm, key)[0]
    _rebuild_in_background(farm)
    return book if isinstance(book, RuleBook) else RuleBook(key="")


def load_matcher(farm: HookFarm, book: RuleBook):
    """The matcher over the book's corrections (None when there are none)."""
    if not book.rules:
        return None
    stored_key, matcher = _stored(farm, MATCHER)
    if matcher is not None and stored_key == book.key:
        return matcher
    key, files = _key(farm)
    return None if files > SYNC_LIMIT else _build(farm, key)[1]


def _rebuild_in_background(farm: HookFarm) -> None:
    import time

    from farm.hooks.runtime import repo_dir, spawn_detached

    marker = repo_dir(farm.root) / BUILDING
    try:
        if time.time() - marker.stat().st_mtime < BUILD_WAIT:
            return  # one is running
    except OSError:
        pass
    marker.write_text(str(time.time()))
    spawn_detached("farm.hooks.rules", str(farm.root))


def rebuild(root: Path) -> RuleBook:
    """Build the rule book now (the background rebuild, and `farm doctor`)."""
    from farm.hooks.runtime import find_farm, repo_dir

    farm = find_farm(root)
    if farm is None:
        raise ValueError(f"{root} is not a farm")
    try:
        return _build(farm, _key(farm)[0])[0]
    finally:
        (repo_dir(farm.root) / BUILDING).unlink(missing_ok=True)


def _stored(farm: HookFarm, name: str) -> tuple[str | None, Any]:
    from farm.hooks.runtime import repo_dir

    try:
        return pickle.loads((repo_dir(farm.root) / name).read_bytes())  # noqa: S301 - our own file
    except Exception:  # missing or unreadable: build afresh
        return None, None


def _store(farm: HookFarm, name: str, key: str, value) -> None:
    from farm.fsutil import atomic_write
    from farm.paths import repo_state_dir

    try:
        atomic_write(repo_state_dir(farm.root) / name, pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL),
                     fsync=False)
    except OSError:
        pass  # a cache that cannot be written only costs time


def _key(farm: HookFarm) -> tuple[str, int]:
    """What the book is built from, as a string compared whole (exact, and no hashlib to
    load), and how many correction and guard files that is."""
    folders = [_folder_stamp(farm.corrections_dir), _folder_stamp(farm.corrections_dir / "guards")]
    stamps = [BOOK_VERSION, repr(farm.config.get("match_threshold")), *folders,
              *(_file_stamp(farm.root / name) for name in ("farm.toml", "pyproject.toml")), _file_stamp(MATCH_SOURCE)]
    return repr(stamps), sum(len(f) for f in folders)


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


if __name__ == "__main__":
    import sys

    from farm.hooks.runtime import log

    # Through the package module, not __main__: the pickled book must name farm.hooks.rules.
    from farm.hooks.rules import rebuild as rebuild_book

    try:
        rebuild_book(Path(sys.argv[1]))
    except Exception as exc:  # a background process: its only voice is the log
        log(f"rebuilding the hook rule book: {type(exc).__name__}: {exc}")
