"""The matcher for a farm's active corrections, built once and kept under FARM_HOME.

Building a Matcher over 10,000 corrections takes seconds (stemming every word); the
corrections rarely change between two commands, so the built matcher is pickled beside
the index, keyed by a hash of everything it was built from (the corrections' text, the
threshold and the matcher's own source), and rebuilt only when that key changes.
"""

from __future__ import annotations

import gc
import hashlib
import json
import pickle
from pathlib import Path

from farm.fsutil import atomic_write
from farm.paths import repo_state_dir


# The newest confirmed recurrences kept as phrasings of one correction: enough to learn
# how its failure gets reported, few enough that one correction never outweighs the rest.
PHRASINGS_KEPT = 5


def active_docs(rows, phrasings: dict[str, list[str]] | None = None) -> list:
    """MatchDocs of the active corrections; `phrasings` (correction id -> texts, oldest first)
    adds the newest PHRASINGS_KEPT of each as more ways its failure is reported."""
    from farm.match import MatchDoc

    phrasings = phrasings or {}
    return [MatchDoc(r.id, r.title, r.what, r.rule, tuple(r.signature_list()),
                     tuple(phrasings.get(r.id, [])[-PHRASINGS_KEPT:]))
            for r in rows if r.status == "active"]


# The modules the matcher is derived by (see farm/fingerprint.py).
_CODE = ("match.py", "matchcache.py", "english.py", "index.py", "model.py", "config.py", "fingerprint.py")


def farm_matcher(farm, threshold: float | None):
    """(the matcher over the farm's active corrections and their phrasings, the index's
    warnings). While the farm's fingerprint is the one recorded with the cached matcher,
    the index is not even opened: with 10,000 corrections that is most of a match's time."""
    from farm.fingerprint import current, stamp

    note = repo_state_dir(farm.root) / "matcher-stamp.json"
    try:
        stored = json.loads(note.read_text())
        if stored["threshold"] == repr(threshold) and current(farm, stored["stamp"], _CODE):
            matcher = _cached(repo_state_dir(farm.root) / "matcher.pickle", stored["key"])
            if matcher is not None:
                return matcher, stored["warnings"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with farm.index() as (index, refresh):
        docs = active_docs(index.match_facts(), index.phrasings())
    key = _key(docs, threshold)
    matcher = _matcher(farm.root, docs, key, threshold)
    try:
        atomic_write(note, json.dumps({"threshold": repr(threshold), "key": key, "warnings": refresh.warnings,
                                       "stamp": stamp(farm, _CODE).as_json()}))
    except OSError:
        pass
    return matcher, refresh.warnings


def load_matcher(root: Path, rows, threshold: float | None, phrasings: dict[str, list[str]] | None = None):
    """A Matcher over the active corrections among `rows` (index rows), with the texts of
    their confirmed recurrences (`Index.phrasings()`) as extra phrasings."""
    docs = active_docs(rows, phrasings)
    return _matcher(root, docs, _key(docs, threshold), threshold)


def _matcher(root: Path, docs: list, key: str, threshold: float | None):
    from farm.match import Matcher

    path = repo_state_dir(root) / "matcher.pickle"
    matcher = _cached(path, key)
    if matcher is not None:
        return matcher
    matcher = Matcher(docs, threshold=threshold)
    try:
        atomic_write(path, pickle.dumps((key, matcher), protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a cache that cannot be written only costs time
    return matcher


def _cached(path: Path, key: str):
    """The matcher pickled at `path` if it was built under `key`, else None."""
    try:
        gc.disable()  # loading creates 100,000s of objects and no cycles: collecting only costs time
        try:
            stored_key, matcher = pickle.loads(path.read_bytes())  # noqa: S301 - our own file under FARM_HOME
        finally:
            gc.enable()
    except Exception:  # missing or unreadable: build afresh
        return None
    return matcher if stored_key == key else None


def _key(docs, threshold) -> str:
    """A hash of everything a matcher is built from: the docs, the threshold, match.py itself."""
    from farm import match

    digest = hashlib.sha256(Path(match.__file__).read_bytes())
    digest.update(repr(threshold).encode())
    for d in docs:
        digest.update("\0".join([d.id, d.title, d.what, d.rule, *d.signature, "\2", *d.phrasings]).encode())
        digest.update(b"\1")
    return digest.hexdigest()


def look_alikes(root: Path, rows, threshold: float | None, recent: int) -> list[tuple[str, str, float]]:
    """Pairs of active corrections the matcher calls repeats of each other: (newer, older, score).

    Each of the `recent` newest corrections is matched against all the others; the result is
    cached with the matcher's key, so an unchanged farm's audit costs nothing the second time.
    """
    docs = active_docs(rows)
    if len(docs) < 2:
        return []
    created = {r.id: r.created for r in rows}
    newest = sorted(docs, key=lambda d: created[d.id], reverse=True)[:recent]
    matcher_key = _key(docs, threshold)
    key = f"{matcher_key}:{recent}"
    path = repo_state_dir(root) / "look-alikes.json"
    try:
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return [tuple(pair) for pair in cached["pairs"]]
    except (OSError, ValueError, AttributeError):
        pass
    matcher = _matcher(root, docs, matcher_key, threshold)
    pairs, seen = [], set()
    for doc in newest:
        best = matcher.match_excluding(f"{doc.title}\n{doc.what}", doc.id, limit=1)
        if best and best[0].recurrence and frozenset((doc.id, best[0].id)) not in seen:
            seen.add(frozenset((doc.id, best[0].id)))
            pairs.append((doc.id, best[0].id, round(best[0].score, 1)))
    try:
        atomic_write(path, json.dumps({"key": key, "pairs": pairs}))
    except OSError:
        pass
    return pairs
