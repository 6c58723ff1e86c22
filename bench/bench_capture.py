"""Speed of the capture loop on a big farm: start-up, capture+commit, match, reindex.

Generates a farm of N corrections and M events in a temp git repo (default 10,000 and
100,000, the sizes issue 3 names) and prints the figures:

    python bench/bench_capture.py [--corrections 10000] [--events 100000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORDS = (
    "agent deleted tests migration skipped lint config branch commit push main docs draft "
    "takeaway crlf encoding comment removed api hallucinated column schema retry timeout "
    "cache token cost session prompt rule skill grader check build deploy secret env "
    "dependency upgrade refactor rename import cycle flaky network mock fixture"
).split()


# Real corrections share a few dozen common words and spread over thousands of rare ones:
# the common WORDS plus 4,096 made-up words, drawn with Zipf-like weights.
_SYLLABLES = ("ba", "co", "di", "fu", "ga", "ke", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "xe", "zo")
VOCABULARY = WORDS + [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
_CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=n)).capitalize() + "."


def generate(root: Path, corrections: int, events: int, seed: int = 1) -> None:
    from farm import model

    rng = random.Random(seed)
    cdir = root / "corrections"
    ids = []
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(corrections):
        title = sentence(rng, 6)
        c = model.Correction(
            id=f"{model.slugify(title)[:40]}-{n:06x}", title=title, kind=rng.choice(model.KINDS),
            created=start + timedelta(minutes=n), what=sentence(rng, 30), rule=sentence(rng, 12),
        )
        (cdir / f"{c.id}.md").write_text(model.dump_correction(c))
        ids.append(c.id)
    for n in range(events):
        event = model.Event(type=rng.choice(("miss", "recurrence", "catch")), correction=rng.choice(ids),
                            at=start + timedelta(seconds=37 * n), text=sentence(rng, 10))
        path = cdir / model.event_path(event)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(model.dump_event(event))


def timed(cmd: list[str], cwd: Path, env: dict, runs: int = 1) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} failed: {proc.stderr}")
    return statistics.median(times)


def temp_farm(prefix: str):
    """A new temp dir holding an initialised farm repo: (tmp, repo, env, farm_bin, git)."""
    farm_bin = shutil.which("farm") or sys.exit("farm is not on PATH")
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    repo, env = tmp / "repo", dict(os.environ, FARM_HOME=str(tmp / "home"), HOME=str(tmp))
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    subprocess.run([farm_bin, "init"], cwd=repo, env=env, check=True, capture_output=True)
    return tmp, repo, env, farm_bin, git


def generated_farm(prefix: str, corrections: int, events: int):
    """temp_farm() holding `corrections` and `events`, committed; says how long that took."""
    tmp, repo, env, farm_bin, git = temp_farm(prefix)
    t0 = time.perf_counter()
    generate(repo, corrections, events)
    git("add", "-A")
    git("commit", "-q", "-m", "generated farm")
    print(f"generated {corrections:,} corrections and {events:,} events in {time.perf_counter() - t0:.1f} s "
          f"({os.cpu_count()} cores)")
    return tmp, repo, env, farm_bin, git


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    tmp, repo, env, farm_bin, git = generated_farm("farm-perf-", args.corrections, args.events)

    print(f"farm --help:             {timed([farm_bin, '--help'], repo, env, 5) * 1000:7.0f} ms")
    print(f"farm capture --help:     {timed([farm_bin, 'capture', '--help'], repo, env, 5) * 1000:7.0f} ms")
    print(f"farm reindex (cold):     {timed([farm_bin, 'reindex'], repo, env):7.2f} s")
    print(f"farm status (warm index):{timed([farm_bin, 'status', '--json'], repo, env):7.2f} s")
    capture = [farm_bin, "capture", "--title", "Bench miss about nothing in particular", "--what",
               "A unique zebra quokka failure", "--rule", "Do the quokka thing", "--kind", "prompt", "--new", "--yes"]
    print(f"farm capture + commit:   {timed(capture, repo, env):7.2f} s")
    print(f"farm match (whole run):  {timed([farm_bin, 'match', 'agent deleted the tests again', '--json'], repo, env, 3):7.2f} s")

    os.environ["FARM_HOME"] = env["FARM_HOME"]
    from farm.match import Matcher, MatchDoc
    from farm.project import open_farm

    with open_farm(repo).index() as (index, _):
        rows = index.corrections()
    docs = [MatchDoc(r.id, r.title, r.what, r.rule) for r in rows]
    t0 = time.perf_counter()
    matcher = Matcher(docs)
    build = time.perf_counter() - t0
    rng = random.Random(7)
    queries = [sentence(rng, 12) for _ in range(50)]
    t0 = time.perf_counter()
    for q in queries:
        matcher.match(q)
    per_query = (time.perf_counter() - t0) / len(queries)
    print(f"matcher build ({len(docs):,} docs): {build * 1000:.0f} ms; one match: {per_query * 1000:.1f} ms")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
