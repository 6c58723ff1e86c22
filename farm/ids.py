"""Ids a person can type and read: unique prefixes (and the random suffix of a correction id),
and the shortest form that still names one thing, as git does with commit hashes."""

from __future__ import annotations

import re
from collections.abc import Iterable

from farm.errors import InvalidInput, UnknownCorrection

_SUFFIX = re.compile(r"-([0-9a-f]{6})$")
SHOWN_CANDIDATES = 5


class AmbiguousId(InvalidInput):
    pass


def resolve(text: str, ids: Iterable[str], what: str = "correction", hint: str = "see `farm list`") -> str:
    """The one id `text` names: itself, a unique prefix, or (for correction ids) their random suffix.

    An unknown id raises UnknownCorrection; one that names several raises AmbiguousId with the candidates."""
    ids = list(dict.fromkeys(ids))
    if text in ids:
        return text
    found = [i for i in ids if i.startswith(text)] if text else []
    if not found and len(text) >= 4:
        found = [i for i in ids if (m := _SUFFIX.search(i)) and m.group(1).startswith(text)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnknownCorrection(f"no {what} {text!r} ({hint})")
    shown = ", ".join(sorted(found)[:SHOWN_CANDIDATES]) + (", …" if len(found) > SHOWN_CANDIDATES else "")
    raise AmbiguousId(f"{what} {text!r} is ambiguous: {len(found)} match ({shown}); give more of the id")


def short_ids(ids: Iterable[str], min_length: int = 8) -> dict[str, str]:
    """Each id's shortest unique prefix of at least `min_length` characters (git's short hashes)."""
    ordered = sorted(set(ids))
    out = {}
    for n, current in enumerate(ordered):
        shared = 0
        for neighbour in (ordered[n - 1] if n else None, ordered[n + 1] if n + 1 < len(ordered) else None):
            if neighbour is not None:
                shared = max(shared, _common_prefix(current, neighbour))
        out[current] = current[: max(min_length, shared + 1)]
    return out


def short_correction_ids(ids: Iterable[str]) -> dict[str, str]:
    """A correction's random suffix when no other correction shares it, else its shortest unique prefix."""
    ids = list(ids)
    suffixes: dict[str, list[str]] = {}
    for i in ids:
        if m := _SUFFIX.search(i):
            suffixes.setdefault(m.group(1), []).append(i)
    prefixes = short_ids(ids)
    # A suffix that is also the start of some id would resolve to that id first: not unique.
    starts = {i[:6] for i in ids}
    out = {}
    for i in ids:
        m = _SUFFIX.search(i)
        unique_suffix = m and len(suffixes[m.group(1)]) == 1 and m.group(1) not in starts
        out[i] = m.group(1) if unique_suffix else prefixes[i]
    return out


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
