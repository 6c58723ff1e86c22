"""What finding correction moments adds to `farm sessions import`.

    python bench/moments_speed.py [--sessions 200] [--turns 50]

Builds Claude Code sessions from the real user turns and agent replies of moments-dev (sampled
with a fixed seed, so the vocabulary is real), then imports them twice into fresh stores: once as
farm does (moments found), once with the moment step switched off. Prints both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from moments_train import DEFAULT_TURNS  # noqa: E402


def build(root: Path, n_sessions: int, n_turns: int) -> int:
    sys.path.insert(0, str(DEFAULT_TURNS.parent))
    from sessions import build as write_sessions

    pool = [json.loads(x) for x in DEFAULT_TURNS.open(encoding="utf-8") if x.strip()]
    rng = random.Random(15)
    turns = []
    for s in range(n_sessions):
        for i in range(n_turns):
            t = dict(rng.choice(pool))
            t["id"] = f"bench/repo#{s:05d}#{i}"
            turns.append(t)
    write_sessions(turns, root / "claude", str(root / "repo"))
    return len(turns)


def timed_import(root: Path, label: str, detect: bool) -> float:
    os.environ["FARM_HOME"] = str(root / f"fh-{label}")
    import farm.sessions.importer as importer
    from farm.sessions.importer import discover_sources, import_into_store

    original = importer._detect_moments
    if not detect:
        importer._detect_moments = lambda db, keys: 0
    try:
        started = time.perf_counter()
        summary, _ = import_into_store(discover_sources([root / "claude" / "projects"], []))
        took = time.perf_counter() - started
    finally:
        importer._detect_moments = original
    print(f"{label:>16}: {took:6.2f}s  ({summary.lines:,} lines, {summary.moments} moments)")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--turns", type=int, default=50)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        n = build(root, a.sessions, a.turns)
        from farm.moments.detect import Turn, detect

        detect(Turn("warm up", "so one-time imports and regex compiles are not timed", position=1))
        print(f"{a.sessions} sessions, {n:,} user turns")
        without = timed_import(root, "without moments", detect=False)
        with_ = timed_import(root, "with moments", detect=True)
        print(f"moments add {with_ - without:.2f}s: {(with_ - without) / n * 1e6:.0f} µs per user turn; "
              f"import x{with_ / without:.2f}")


if __name__ == "__main__":
    main()
