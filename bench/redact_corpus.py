"""How well and how fast farm.redact works: recall and false positives on the secrets corpus,
and throughput on ordinary text. Run: python bench/redact_corpus.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import random
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from farm.redact import redact

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "secrets"
SIZE = 4_000_000  # characters of ordinary text per throughput sample


def load(name: str) -> list[dict]:
    with open(CORPUS / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def recall(cases: list[dict]) -> list[dict]:
    """The secret cases where some secret survived redaction."""
    return [c for c in cases if any(s in redact(c["text"]) for s in c["secrets"])]


def false_positives(cases: list[dict]) -> list[dict]:
    """The look-alike cases that redaction altered."""
    return [c for c in cases if redact(c["text"]) != c["text"]]


def code_sample() -> str:
    """Python's own standard library: real code and docstrings, the same on every machine."""
    parts, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        parts.append(path.read_text(encoding="utf-8", errors="replace"))
        size += len(parts[-1])
        if size >= SIZE:
            break
    return "".join(parts)[:SIZE]


WORDS = (
    "the agent ran tests and they failed because the fixture was missing so it edited the config "
    "file then retried the build which passed after it pinned a version of the parser and wrote a "
    "note about why the cache key changed when the session token expired during the long upload "
    "of results to the dashboard where users review each correction before it is merged into main"
).split()


def prose_sample() -> str:
    """Transcript-like English with paths, numbers and punctuation, seeded."""
    rng = random.Random(7)
    out, size = [], 0
    while size < SIZE:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 24))]
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), f"src/{rng.choice(WORDS)}_{rng.randint(1, 99)}.py")
        sentence = " ".join(words).capitalize() + rng.choice(".!?:") + ("\n" if rng.random() < 0.3 else " ")
        out.append(sentence)
        size += len(sentence)
    return "".join(out)[:SIZE]


def throughput(text: str, repeat: int) -> float:
    """MB/s, best of `repeat` runs: the machine may be shared, the best run is the code's speed."""
    best = min(_timed(lambda: redact(text)) for _ in range(repeat))
    return len(text.encode("utf-8")) / 1e6 / best


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    secrets, lookalikes = load("secrets.jsonl"), load("lookalikes.jsonl")
    missed, altered = recall(secrets), false_positives(lookalikes)
    found = len(secrets) - len(missed)
    print(f"recall          {found}/{len(secrets)} cases = {found / len(secrets):.1%}")
    print(f"false positives {len(altered)}/{len(lookalikes)} look-alikes = {len(altered) / len(lookalikes):.1%}")
    for case in missed:
        print(f"  missed  [{case['kind']}] {case['text'][:100]!r}")
    for case in altered:
        print(f"  altered [{case['kind']}] {redact(case['text'])[:100]!r}")
    for batch in ("heldout", "heldout2", "heldout3"):  # held-out batches: each secret counts, not each case
        cases, looks = load(f"{batch}_secrets.jsonl"), load(f"{batch}_lookalikes.jsonl")
        total = sum(len(c["secrets"]) for c in cases)
        kept = sum(s in redact(c["text"]) for c in cases for s in c["secrets"])
        changed = len(false_positives(looks))
        print(f"{batch:9} recall {total - kept}/{total} secrets = {(total - kept) / total:.1%}, "
              f"look-alikes changed {changed}/{len(looks)} = {changed / len(looks):.1%}")
    for label, text in (("code", code_sample()), ("prose", prose_sample())):
        mbps = throughput(text, args.repeat)
        print(f"throughput      {label:5} {mbps:6.1f} MB/s = {1000 / mbps:5.1f} ms per MB")


if __name__ == "__main__":
    main()
