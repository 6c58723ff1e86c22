"""How common each English word is, for the matcher's word weights.

The frequencies come from the `wordfreq` package (its large English list, 321,000
words). Importing wordfreq and loading that list takes about half a second, too long
before every `farm match` or `farm capture`, so the list is copied once into a small
SQLite table under FARM_HOME (named after the list file, so a new wordfreq gets a new
table) and each command looks up only the words it meets. The table is opened once
per process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from farm.paths import farm_home

# Zipf frequency (log10 of the count per billion words) of a word the list does not hold.
UNKNOWN = 0.0


def zipf(words: Iterable[str]) -> dict[str, float]:
    """word -> its Zipf frequency in English (UNKNOWN when the list does not hold it)."""
    wanted = sorted(set(words))
    out = dict.fromkeys(wanted, UNKNOWN)
    db = _db()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = db.execute(f"SELECT word, zipf FROM words WHERE word IN ({','.join('?' * len(chunk))})", chunk)
        out.update(rows)
    return out


@lru_cache(maxsize=1)
def _db() -> sqlite3.Connection:
    # Named after the size and mtime of wordfreq's list: a new wordfreq gets a new table.
    # (Found without importing wordfreq or importlib.metadata, each slower than the lookups.)
    spec = find_spec("wordfreq")
    st = (Path(spec.origin).parent / "data" / "large_en.msgpack.gz").stat()
    path = farm_home() / f"english-words-{st.st_size}-{st.st_mtime_ns}.sqlite"
    if not path.exists():
        _build(path)
    # Read only, so one connection serves every thread (the site server rebuilds in one).
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _build(path) -> None:
    """Copy wordfreq's English list into a table at `path` (written aside, then renamed)."""
    import math
    import os

    from wordfreq import get_frequency_dict

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    db = sqlite3.connect(tmp)
    try:
        db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, zipf REAL NOT NULL) WITHOUT ROWID")
        db.executemany("INSERT INTO words VALUES (?, ?)",
                       ((w, round(math.log10(f) + 9, 2)) for w, f in get_frequency_dict("en", "large").items()))
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)
