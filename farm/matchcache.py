"""The matcher for a farm's active corrections, built once and kept under FARM_HOME.

Building a Matcher over 10,000 corrections takes seconds (stemming every word); the
corrections rarely change between two commands, so the built matcher is pickled beside
the index, keyed by a hash of everything it was built from (the corrections' text, the
threshold and the matcher's own source), and rebuilt only when that key changes.
"""

from __future__ import annotations

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


def load_matcher(root: Path, rows, threshold: float | None, phrasings: dict[str, list[str]] | None = None):
    """A Matcher over the active corrections among `rows` (index rows), with the texts of
    their confirmed recurrences (`Index.phrasings()`) as extra phrasings."""
    docs = active_docs(rows, phrasings)
    return _matcher(root, docs, _key(docs, threshold), threshold)


def _matcher(root: Path, docs: list, key: str, threshold: float | None):
    from farm.match import Matcher

    path = repo_state_dir(root) / "matcher.pickle"
    try:
        stored_key, matcher = pickle.loads(path.read_bytes())  # noqa: S301 - our own file under FARM_HOME
        if stored_key == key:
            return matcher
    except Exception:  # missing, stale or unreadable: build afresh
        pass
    matcher = Matcher(docs, threshold=threshold)
    try:
        atomic_write(path, pickle.dumps((key, matcher), protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a cache that cannot be written only costs time
    return matcher


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
