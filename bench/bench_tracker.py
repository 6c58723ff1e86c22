"""Speed of the tracker on a big farm: `farm status`, `farm audit`, and `farm check`.

Issue 5's sizes: 10,000 corrections, 100,000 events and 50,000 sessions (status under
2 s, audit under 10 s); `farm check` on 1,000 files with 1,000 rules (under 5 s). Issue 15:
`farm status --json` at most 8x `farm --help` (the ratio is printed, both warm).

    python bench/bench_tracker.py [--corrections 10000] [--events 100000] [--sessions 50000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_capture import generate, sentence, timed, temp_farm  # noqa: E402


def sessions(root: Path, count: int, rng: random.Random) -> None:
    folder = root / "corrections" / "log" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(count):
        begin = start + timedelta(minutes=9 * n)
        (folder / f"claude-{n:06d}.json").write_text(json.dumps({
            "agent": "claude", "session_id": f"s{n:06d}", "start": begin.isoformat(),
            "task_type": rng.choice(("bug fix", "refactor", "docs")), "cost_usd": round(rng.uniform(0.1, 9), 2),
            "commits": ["abc"] if rng.random() < 0.5 else [],
        }))


def graders_and_files(root: Path, rules: int, files: int, rng: random.Random, scoped: bool) -> None:
    """`rules` grader rules and `files` markdown files. Worst case (scoped=False): every rule
    applies to every file and every must-preserve statement is missing. Scoped: each rule
    covers a tenth of the files (by glob), which keep their statements but for 1 in 20."""
    graders = root / "corrections" / "graders"
    graders.mkdir(parents=True, exist_ok=True)
    statements: dict[int, list[str]] = {}
    for n in range(rules):
        glob = f"src/doc*{n % 10}.md" if scoped else "src/*.md"
        rule = {"correction": f"rule-{n:04d}", "message": "bench rule", "applies_to": [glob]}
        pick = n % 3
        if pick == 0:
            rule["must_not_match"] = [f"forbidden{n}\\b"]
        elif pick == 1:
            rule["must_match"] = ["#"]
        else:
            rule["must_preserve"] = [sentence(rng, 8)]
            statements.setdefault(n % 10, []).extend(rule["must_preserve"])
        (graders / f"rule-{n:04d}.yml").write_text(json.dumps(rule))
    src = root / "src"
    src.mkdir(exist_ok=True)
    for n in range(files):
        body = [sentence(rng, 14) for _ in range(40)]
        if scoped and n % 20:
            body += statements.get(n % 10, [])
        (src / f"doc{n:04d}.md").write_text("# Doc\n\n" + "\n".join(body) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=1_000)
    parser.add_argument("--files", type=int, default=1_000)
    parser.add_argument("--scoped", action="store_true", help="rules scoped to a tenth of the files each (else: all)")
    args = parser.parse_args()
    tmp, repo, env, farm_bin, git = temp_farm("farm-perf-tracker-")
    rng = random.Random(5)
    t0 = time.perf_counter()
    generate(repo, args.corrections, args.events)
    sessions(repo, args.sessions, rng)
    graders_and_files(repo, args.rules, args.files, rng, scoped=args.scoped)
    git("add", "-A")
    git("commit", "-q", "-m", "generated farm")
    print(f"generated {args.corrections:,} corrections, {args.events:,} events, {args.sessions:,} sessions, "
          f"{args.rules:,} rules, {args.files:,} files in {time.perf_counter() - t0:.0f} s")
    print(f"first command (cold index): {timed([farm_bin, 'reindex'], repo, env):6.2f} s")
    status = timed([farm_bin, 'status', '--json'], repo, env, 3)
    help_time = timed([farm_bin, '--help'], repo, env, 5)
    print(f"farm status --json:         {status:6.2f} s")
    print(f"farm --help:                {help_time:6.2f} s")
    print(f"status / help:              {status / help_time:6.1f}x (target: at most 8x)")
    print(f"farm audit --json:          {timed([farm_bin, 'audit', '--json'], repo, env):6.2f} s")
    print(f"farm check ({args.files} files x {args.rules} rules): {timed([farm_bin, 'check', '--no-record'], repo, env):6.2f} s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
