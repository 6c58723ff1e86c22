#!/usr/bin/env python3
"""Score farm.match on the recurrence-dev set directly (no CLI).

Usage:
    python bench/eval_match.py [--data DIR] [--splits N] [--seed S] [--verbose]

Prints, at DEFAULT_THRESHOLD: calls, precision, recall, top-1 and false alarms
per probe kind; then a threshold sweep; then the spread of the same figures
over N random halves of the corrections (probes of dropped corrections become
negatives), a check that the threshold is not fitted to one particular corpus.

Metrics follow the set's evaluate.py: a probe's call is its first match with
recurrence=True; precision = correct calls / calls; recall = correct calls /
duplicate probes; top-1 = duplicates whose first match is the right one.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from farm.match import DEFAULT_THRESHOLD, Matcher, MatchDoc  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/eval/recurrence-dev"
KINDS = ("duplicate", "hard_negative", "easy_negative")


def load(data: Path) -> tuple[list[dict], list[dict]]:
    def rows(name: str) -> list[dict]:
        with open(data / name, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    return rows("corrections.jsonl"), rows("probes.jsonl")


def build(corrections: list[dict], threshold: float | None = None) -> Matcher:
    return Matcher([MatchDoc(c["key"], c["title"], c["what_went_wrong"], c["rule"])
                    for c in corrections], threshold=threshold)


def rankings(matcher: Matcher, probes: list[dict]) -> list[list[tuple[float, str]]]:
    """Every probe's (score, key) list, best first, computed once."""
    return [[(s, matcher.docs[i].id) for s, i in matcher.scores(p["text"])] for p in probes]


def call(matcher: Matcher, ranked: list[tuple[float, str]]) -> str | None:
    if not ranked:
        return None
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    return ranked[0][1] if matcher.is_recurrence(ranked[0][0], runner_up) else None


def false_kind(probe: dict, label: str | None) -> str:
    """duplicate = wrong correction called; dropped = its correction is not loaded."""
    if label:
        return "duplicate"
    return "dropped" if probe["label"] else probe["kind"]


def score(probes: list[dict], labels: list[str | None], calls: list[str | None],
          firsts: list[str | None]) -> dict:
    n_dup = sum(1 for lab in labels if lab)
    made = [(lab, c) for lab, c in zip(labels, calls) if c]
    correct = sum(1 for lab, c in made if lab == c)
    false = dict.fromkeys(KINDS, 0)
    for p, lab, c in zip(probes, labels, calls):
        if c and c != lab:
            kind = false_kind(p, lab)
            false[kind] = false.get(kind, 0) + 1
    return {
        "calls": len(made), "correct": correct,
        "precision": correct / len(made) if made else 0.0,
        "recall": correct / n_dup if n_dup else 0.0,
        "top1": sum(1 for lab, f in zip(labels, firsts) if lab and lab == f) / n_dup if n_dup else 0.0,
        "false": false,
    }


def evaluate(corrections: list[dict], probes: list[dict], thresholds: list[float]) -> dict:
    keys = {c["key"] for c in corrections}
    labels = [p["label"] if p["label"] in keys else None for p in probes]
    ranked = rankings(build(corrections), probes)
    firsts = [r[0][1] if r else None for r in ranked]
    out = {}
    for t in thresholds:
        m = build(corrections, t)
        out[t] = score(probes, labels, [call(m, r) for r in ranked], firsts)
    return out


def fmt_false(false: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in false.items())


def report_default(corrections, probes, verbose: bool) -> None:
    matcher = build(corrections)
    keys = {c["key"] for c in corrections}
    labels = [p["label"] if p["label"] in keys else None for p in probes]
    results = [matcher.match(p["text"]) for p in probes]  # the real API path
    calls = [next((m.id for m in r if m.recurrence), None) for r in results]
    firsts = [r[0].id if r else None for r in results]
    s = score(probes, labels, calls, firsts)
    print(f"DEFAULT_THRESHOLD={DEFAULT_THRESHOLD:g}: {len(corrections)} corrections, "
          f"{len(probes)} probes ({sum(1 for x in labels if x)} duplicates)")
    print(f"  calls={s['calls']} correct={s['correct']} precision={s['precision']:.3f} "
          f"recall={s['recall']:.3f} top-1={s['top1']:.3f}")
    print(f"  false alarms: {fmt_false(s['false'])}")
    if verbose:
        for p, lab, c, r in zip(probes, labels, calls, results):
            if c != lab:
                top = f"{r[0].id} {r[0].score:.1f}" if r else "-"
                second = f"{r[1].id} {r[1].score:.1f}" if len(r) > 1 else "-"
                print(f"  [{p['kind']}] want={lab} call={c} top={top} next={second} "
                      f"| {p['text'][:70]}")


def report_sweep(corrections, probes) -> None:
    thresholds = sorted({float(t) for t in range(16, 46, 2)} | {DEFAULT_THRESHOLD})
    print("\n| threshold | calls | precision | recall | top-1 | false dup/hard/easy |")
    print("|----------:|------:|----------:|-------:|------:|--------------------:|")
    for t, s in evaluate(corrections, probes, thresholds).items():
        f = s["false"]
        mark = " <- default" if t == DEFAULT_THRESHOLD else ""
        print(f"| {t:9g} | {s['calls']:5d} | {s['precision']:9.3f} | {s['recall']:6.3f} | "
              f"{s['top1']:5.3f} | {f['duplicate']:>5d}/{f['hard_negative']}/"
              f"{f['easy_negative']} |{mark}")


def report_splits(corrections, probes, n: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        half = rng.sample(corrections, len(corrections) // 2)
        rows.append(evaluate(half, probes, [DEFAULT_THRESHOLD])[DEFAULT_THRESHOLD])
    print(f"\nrandom halves ({n} x {len(corrections) // 2} corrections, seed {seed}; "
          "probes of dropped corrections count as negatives):")
    for key in ("precision", "recall", "top1"):
        vals = [r[key] for r in rows]
        print(f"  {key:9s} mean={statistics.mean(vals):.3f} sd={statistics.pstdev(vals):.3f} "
              f"min={min(vals):.3f} max={max(vals):.3f}")
    dropped = [r["false"].get("dropped", 0) for r in rows]
    print(f"  false alarms on probes of dropped corrections: mean={statistics.mean(dropped):.2f} "
          f"max={max(dropped)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--splits", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true", help="list misses at the default")
    args = ap.parse_args()
    if not (args.data / "probes.jsonl").is_file():
        print(f"error: no recurrence-dev data at {args.data}", file=sys.stderr)
        return 1
    corrections, probes = load(args.data)
    report_default(corrections, probes, args.verbose)
    report_sweep(corrections, probes)
    if args.splits > 0:
        report_splits(corrections, probes, args.splits, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
