"""What fitting the terminal costs: `farm list` as a table (80 columns, short ids, cut titles)
against `farm list --json` and `--csv` on the same farm, and `farm show` by short id.

    python bench/bench_listing.py [--corrections 2000] [--events 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_capture import generated_farm, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corrections", type=int, default=2000)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp, repo, env, farm_bin, _ = generated_farm("farm-bench-listing-", args.corrections, args.events)
    try:
        env = {**env, "COLUMNS": "80"}
        timed([farm_bin, "reindex"], repo, env)  # a warm index for every figure below
        figures = {
            "list (table, 80 columns)": timed([farm_bin, "list"], repo, env, args.runs),
            "list --wide": timed([farm_bin, "list", "--wide"], repo, env, args.runs),
            "list --json": timed([farm_bin, "list", "--json"], repo, env, args.runs),
            "list --csv": timed([farm_bin, "list", "--csv"], repo, env, args.runs),
        }
        first = sorted((repo / "corrections").glob("*.md"))[0].stem
        figures["show <6-character suffix>"] = timed([farm_bin, "show", first[-6:]], repo, env, args.runs)
        base = figures["list --json"]
        for name, seconds in figures.items():
            print(f"{name:28} {seconds:6.2f} s  ({seconds / base:.2f}× list --json)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
