#!/usr/bin/env python3
"""Score farm.match on the recurrence-dev set directly (no CLI).

Usage:
    python bench/eval_match.py [--data DIR] [--splits N] [--seed S] [--verbose]

First the figures that matter: LEAVE-SOURCE-OUT folds. The corrections are
split by the repository their report came from (anthropics/claude-code,
microsoft/vscode-copilot-release, and every other repository together); a
duplicate probe goes with its correction, a negative probe with its own
repository. For each fold the threshold is tuned on the other folds' probes
only (the lowest threshold whose precision there is >= TUNE_PRECISION; the
matcher holds every correction, so scores keep one scale, but no held-out
probe or label is seen), then the held-out fold's probes are
scored against every correction (a real farm holds them all) at that
threshold, and at DEFAULT_THRESHOLD. Pooled = the held-out calls of all folds
added up. These figures are the estimate for unseen reports; the whole-set
figures that follow were seen while the matcher was built.

Then, at DEFAULT_THRESHOLD on the whole set: calls, precision, recall, top-1
and false alarms per probe kind; a threshold sweep; and the spread of the same
figures over N random halves of the corrections (probes of dropped
corrections become negatives).

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
# A fold of its own for a repository with at least this many corrections; the rest pool.
FOLD_MIN = 4
TUNE_PRECISION = 0.93
TUNE_GRID = [t / 2 for t in range(30, 101)]  # 15.0 .. 50.0


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
        "calls": len(made), "correct": correct, "duplicates": n_dup,
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


def repository(source: str) -> str:
    return source.split("#", 1)[0]


def folds(corrections: list[dict], probes: list[dict]) -> dict[str, tuple[list[dict], list[dict]]]:
    """fold name -> (its corrections, its probes), split by source repository."""
    counts: dict[str, int] = {}
    for c in corrections:
        counts[repository(c["source"])] = counts.get(repository(c["source"]), 0) + 1
    named = {r for r, n in counts.items() if n >= FOLD_MIN}
    fold_of = lambda source: repository(source) if repository(source) in named else "other repositories"  # noqa: E731
    key_fold = {c["key"]: fold_of(c["source"]) for c in corrections}
    out: dict[str, tuple[list[dict], list[dict]]] = {}
    for c in corrections:
        out.setdefault(key_fold[c["key"]], ([], []))[0].append(c)
    for p in probes:
        name = key_fold[p["label"]] if p["label"] else fold_of(p["source"])
        out.setdefault(name, ([], []))[1].append(p)
    return out


def tune(corrections: list[dict], probes: list[dict]) -> float:
    """The lowest threshold reaching TUNE_PRECISION on these probes (else the most precise)."""
    table = evaluate(corrections, probes, TUNE_GRID)
    good = [t for t, s in table.items() if s["calls"] and s["precision"] >= TUNE_PRECISION]
    if good:
        return min(good)
    return max(table, key=lambda t: (table[t]["precision"], -t))


def leave_source_out(corrections: list[dict], probes: list[dict]) -> dict:
    """Per fold and pooled: the held-out figures at the tuned and at the default threshold."""
    split = folds(corrections, probes)
    rows, pooled = [], {"tuned": [], "default": []}
    for name, (held_c, held_p) in sorted(split.items(), key=lambda kv: -len(kv[1][0])):
        train_c = [c for c in corrections if c not in held_c]
        train_p = [p for p in probes if p not in held_p and (not p["label"] or p["label"] in {c["key"] for c in train_c})]
        threshold = tune(corrections, train_p)  # the held-out corrections only as text: same score scale
        table = evaluate(corrections, held_p, [threshold, DEFAULT_THRESHOLD])
        rows.append((name, len(held_c), len(held_p), threshold, table[threshold], table[DEFAULT_THRESHOLD]))
        pooled["tuned"].append(table[threshold])
        pooled["default"].append(table[DEFAULT_THRESHOLD])
    return {"folds": rows, "pooled": {k: _pool(v) for k, v in pooled.items()}}


PRIOR_GRID = (0.0, 0.2, 0.3, 0.4, 0.5, 0.7)


def nested_prior(corrections: list[dict], probes: list[dict]) -> dict:
    """Leave-source-out with PRIOR_WEIGHT tuned per fold too (with the threshold, on the
    other folds only), so neither choice has seen the held-out fold."""
    import farm.match as fm

    split = folds(corrections, probes)
    kept, picks, scores = fm.PRIOR_WEIGHT, [], []
    try:
        for name, (held_c, held_p) in split.items():
            train_c = [c for c in corrections if c not in held_c]
            train_p = [p for p in probes if p not in held_p and (not p["label"] or p["label"] in {c["key"] for c in train_c})]
            best = None
            for weight in PRIOR_GRID:
                fm.PRIOR_WEIGHT = weight
                threshold = tune(corrections, train_p)
                s = evaluate(corrections, train_p, [threshold])[threshold]
                rank = (s["precision"] >= TUNE_PRECISION, s["recall"], s["precision"])
                if best is None or rank > best[0]:
                    best = (rank, weight, threshold)
            _, weight, threshold = best
            fm.PRIOR_WEIGHT = weight
            picks.append((name, weight, threshold))
            scores.append(evaluate(corrections, held_p, [threshold])[threshold])
    finally:
        fm.PRIOR_WEIGHT = kept
    return {"picks": picks, "pooled": _pool(scores)}


def _pool(scores: list[dict]) -> dict:
    calls = sum(s["calls"] for s in scores)
    correct = sum(s["correct"] for s in scores)
    dups = sum(s["duplicates"] for s in scores)
    return {"calls": calls, "correct": correct, "precision": correct / calls if calls else 0.0,
            "recall": correct / dups if dups else 0.0,
            "top1": sum(s["top1"] * s["duplicates"] for s in scores) / dups if dups else 0.0}


def report_lso(corrections, probes) -> None:
    result = leave_source_out(corrections, probes)
    print(f"leave-source-out folds (threshold tuned on the other folds to precision >= {TUNE_PRECISION}; "
          "held-out probes scored against all corrections):")
    print("| held-out fold | corrections | probes | tuned | precision | recall | top-1 | at default: precision | recall |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, nc, np_, t, tuned, default in result["folds"]:
        print(f"| {name} | {nc} | {np_} | {t:g} | {tuned['precision']:.3f} ({tuned['correct']}/{tuned['calls']}) | "
              f"{tuned['recall']:.3f} | {tuned['top1']:.3f} | {default['precision']:.3f} ({default['correct']}/"
              f"{default['calls']}) | {default['recall']:.3f} |")
    for kind, s in result["pooled"].items():
        label = "threshold tuned per fold" if kind == "tuned" else f"at default {DEFAULT_THRESHOLD:g} (chosen on all)"
        print(f"  pooled, {label:34s}: precision={s['precision']:.3f} ({s['correct']}/{s['calls']}) "
              f"recall={s['recall']:.3f} top-1={s['top1']:.3f}")
    nested = nested_prior(corrections, probes)
    s = nested["pooled"]
    print(f"  pooled, {'prior weight + threshold per fold':34s}: precision={s['precision']:.3f} "
          f"({s['correct']}/{s['calls']}) recall={s['recall']:.3f} top-1={s['top1']:.3f}   picks: "
          + ", ".join(f"{name} {w:g}/{t:g}" for name, w, t in nested["picks"]))
    print()


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
    report_lso(corrections, probes)
    report_default(corrections, probes, args.verbose)
    report_sweep(corrections, probes)
    if args.splits > 0:
        report_splits(corrections, probes, args.splits, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
