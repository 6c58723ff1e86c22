"""Speed of `farm site build` on a big farm: cold, unchanged, and after one correction changed.

Generates a farm of N corrections and M events in a temp git repo (default 1,000 and 10,000,
the sizes issue 6 names; `bench_capture.generate` makes them) and prints wall-clock times
of the real command, with farm's own split into collect / pages / write / render:

    python bench/bench_site.py [--corrections 1000] [--events 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_capture import generated_farm  # noqa: E402


def run(farm_bin: str, repo: Path, env: dict, *args: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run([farm_bin, *args], cwd=repo, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"farm {' '.join(args)} failed: {proc.stderr}")
    return elapsed, json.loads(proc.stdout) if "--json" in args else {}


def show(name: str, elapsed: float, report: dict) -> None:
    split = ", ".join(f"{k} {v:.2f}" for k, v in report.get("seconds", {}).items())
    what = f"{report.get('written', 0)} file(s) written, render {report.get('render', '-')}"
    print(f"{name:<34}{elapsed:7.2f} s   ({what}; {split})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    tmp, repo, env, farm_bin, git = generated_farm("farm-perf-site-", args.corrections, args.events)

    show("cold (no index, no site yet)", *run(farm_bin, repo, env, "site", "build", "--json"))
    shutil.rmtree(repo / "site")
    shutil.rmtree(next((tmp / "home" / "repos").iterdir()) / "site-docs")
    show("cold site, index already built", *run(farm_bin, repo, env, "site", "build", "--json"))
    show("rebuild, nothing changed", *run(farm_bin, repo, env, "site", "build", "--json"))
    one = sorted((repo / "corrections").glob("*.md"))[len(list((repo / "corrections").glob("*.md"))) // 2]
    one.write_text(one.read_text().replace("## Rule\n\n", "## Rule\n\nChanged for the bench. "))
    show("rebuild after one correction", *run(farm_bin, repo, env, "site", "build", "--json"))
    pages = sum(1 for _ in (repo / "site").rglob("*.html"))
    size = sum(p.stat().st_size for p in (repo / "site").rglob("*") if p.is_file())
    print(f"site: {pages:,} HTML pages, {size / 1e6:.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
