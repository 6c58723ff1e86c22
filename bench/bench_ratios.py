"""Every ratio of issue 16 in one run, side by side on the same machine.

    python bench/bench_ratios.py [--runs 7] [--mb 200] [--codex-mb 50] [--keep DIR]
                                 [--corrections 10000] [--events 100000] [--only NAME …]

Generates a Claude Code corpus (--mb) and a Codex corpus (--codex-mb) shaped like real logs
(bench/bench_import.py's generators), a small farm (10 corrections) and a big one
(--corrections), then times whole processes in pairs: A and B alternate, each pair gives one
ratio A/B, and the report gives for A and B the median and min–max seconds and peak memory
(max RSS of the process tree), and the median and min–max of the paired ratios:

  cold `farm sessions import --json` (fresh FARM_HOME each run)  vs `ccusage daily --json --offline`
  re-import of unchanged logs                                   vs ccusage daily
  `farm spend --by day --json` (refreshes itself; logs unchanged) vs ccusage daily
  `farm capture` on the small farm                              vs `farm --help`
  `farm capture` on the big farm                                vs `farm --help`, and vs the small farm
  `farm status --json` on the big farm                          vs `farm --help`
  `farm match TEXT --json` on the big farm                      vs the same on the small farm

It also checks that the cold import's totals equal ccusage's per model and token class.
ccusage is `npm install -g ccusage@20.0.24` (its npm launcher runs a native binary); without
it those rows are left out. PYTHONDONTWRITEBYTECODE is unset for farm's runs: users have
compiled bytecode, and an editable install would otherwise recompile every module each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_capture import generated_farm  # noqa: E402
from bench_import import ccusage_totals, compare, farm_totals, make_claude, make_codex  # noqa: E402

CCUSAGE_VERSION = "20.0.24"
MATCH_TEXT = "the agent deleted the failing tests instead of fixing the parser"


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, bytes]:
    """(seconds, peak RSS in MiB of the process tree, stdout) of one run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)  # its rusage covers the children it waited for
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode(errors='replace')[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()


class Side:
    """One command of a pair; `cmd` may be a function giving each run's command, and `before`
    runs untimed before each run."""

    def __init__(self, label: str, cmd, env: dict, cwd: Path, before=None):
        self.label, self.cmd, self.env, self.cwd, self.before = label, cmd, env, cwd, before
        self.seconds: list[float] = []
        self.peaks: list[float] = []

    def run(self) -> bytes:
        if self.before:
            self.before()
        cmd = self.cmd() if callable(self.cmd) else self.cmd
        seconds, peak, out = timed(cmd, self.env, self.cwd)
        self.seconds.append(seconds)
        self.peaks.append(peak)
        return out


def paired(name: str, a: Side, b: Side, runs: int, goal: str) -> dict:
    a.run(), b.run()  # warm-up: page cache, bytecode
    a.seconds.clear(), b.seconds.clear(), a.peaks.clear(), b.peaks.clear()
    ratios = []
    for i in range(runs):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        first.run()
        second.run()
        ratios.append(a.seconds[-1] / b.seconds[-1])
    row = {"name": name, "goal": goal, "ratio": statistics.median(ratios), "ratio_min": min(ratios),
           "ratio_max": max(ratios)}
    for key, side in (("a", a), ("b", b)):
        row[key] = {"label": side.label, "median_s": statistics.median(side.seconds), "min_s": min(side.seconds),
                    "max_s": max(side.seconds), "peak_mib": max(side.peaks)}
    _print_row(row)
    return row


def _print_row(row: dict) -> None:
    a, b = row["a"], row["b"]
    print(f"\n{row['name']}  (goal: {row['goal']})")
    for side in (a, b):
        print(f"  {side['label']:58} median {side['median_s']:.3f} s  ({side['min_s']:.3f}–{side['max_s']:.3f})"
              f"  peak {side['peak_mib']:.0f} MiB")
    print(f"  ratio A/B: median {row['ratio']:.2f}  ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})")


def farm_env(base: dict, farm_home: Path) -> dict:
    env = dict(base, FARM_HOME=str(farm_home))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="timed pairs per row (after one warm-up pair)")
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--codex-mb", type=float, default=50)
    ap.add_argument("--keep", type=Path, help="generate the logs into DIR and keep them (reused when there)")
    ap.add_argument("--corrections", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--only", nargs="*", default=(), help="rows to run: import, capture, status, match")
    args = ap.parse_args()
    only = set(args.only) or {"import", "capture", "status", "match"}

    bindir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ['PATH']}"
    farm_bin = shutil.which("farm") or sys.exit("farm is not installed in this Python's environment")
    tmp = Path(tempfile.mkdtemp(prefix="farm-ratios-"))
    base = args.keep or tmp
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; farm {farm_bin}; {args.runs} pairs per row")
    rows = []
    try:
        if "import" in only:
            rows += import_rows(args, base, tmp, farm_bin)
        if only & {"capture", "status", "match"}:
            rows += farm_rows(args, only, farm_bin)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nsummary (ratio A/B, median and min–max of the pairs):")
    for row in rows:
        print(f"  {row['name']:58} {row['ratio']:6.2f}  ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})"
              f"   goal {row['goal']}")


def import_rows(args, base: Path, tmp: Path, farm_bin: str) -> list[dict]:
    claude_root, codex_root = base / "claude", base / "codex"
    if not claude_root.exists():
        t = time.perf_counter()
        cb = make_claude(claude_root, args.mb)
        xb = make_codex(codex_root, args.codex_mb)
        print(f"generated {cb / 2**20:.0f} MB Claude Code + {xb / 2**20:.0f} MB Codex in "
              f"{time.perf_counter() - t:.0f} s")
    home = tmp / "home"  # not a git repo: no session summaries are written
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), TZ="UTC", CLAUDE_CONFIG_DIR=str(claude_root), CODEX_HOME=str(codex_root))
    ccusage = shutil.which("ccusage")
    rows = []
    cold_home = tmp / "farm-cold"
    cold = Side("A: farm sessions import --json (cold)", [farm_bin, "sessions", "import", "--json"],
                farm_env(env, cold_home), home, before=lambda: shutil.rmtree(cold_home, ignore_errors=True))
    warm_home = tmp / "farm-warm"
    warm_env = farm_env(env, warm_home)
    subprocess.run([farm_bin, "sessions", "import", "--json"], env=warm_env, cwd=home, check=True, capture_output=True)
    warm = Side("A: farm sessions import --json (logs unchanged)", [farm_bin, "sessions", "import", "--json"],
                warm_env, home)
    spend = Side("A: farm spend --by day --json (refreshes; logs unchanged)",
                 [farm_bin, "spend", "--by", "day", "--json"], warm_env, home)
    if ccusage is None:
        print("\nccusage is not installed (npm install -g ccusage@20.0.24): farm's own times only")
        for side in (cold, warm, spend):
            side.run()
            print(f"  {side.label:58} {side.seconds[-1]:.3f} s  peak {side.peaks[-1]:.0f} MiB")
        return rows
    version = subprocess.run([ccusage, "--version"], capture_output=True, text=True).stdout.strip()
    if CCUSAGE_VERSION not in version:
        print(f"note: ccusage {version!r}, not {CCUSAGE_VERSION}")

    def cc() -> Side:
        return Side(f"B: ccusage daily --json --offline ({version})", [ccusage, "daily", "--json", "--offline"], env, home)

    rows.append(paired("cold import vs ccusage daily", cold, cc(), args.runs, "≤ 0.50 (2× faster), lower peak memory"))
    rows.append(paired("unchanged re-import vs ccusage daily", warm, cc(), args.runs, "≤ 0.15"))
    rows.append(paired("spend --by day vs ccusage daily", spend, cc(), args.runs, "≤ 0.20 (5× faster)"))
    exact(farm_bin, env, home, tmp / "farm-exact", ccusage)
    return rows


def exact(farm_bin: str, env: dict, home: Path, farm_home: Path, ccusage: str) -> None:
    """Totals per model and token class: a fresh farm import against ccusage --breakdown."""
    out = subprocess.run([farm_bin, "sessions", "import", "--json"], env=farm_env(env, farm_home), cwd=home,
                         check=True, capture_output=True).stdout
    cc = subprocess.run([ccusage, "daily", "--json", "--offline", "--breakdown"], env=env, cwd=home, check=True,
                        capture_output=True).stdout
    same = compare(farm_totals(json.loads(out)), ccusage_totals(json.loads(cc)))
    print("token totals: " + ("identical per model and class" if same else "DIFFERENT"))


def farm_rows(args, only: set, farm_bin: str) -> list[dict]:
    rows = []
    small = generated_farm("farm-ratios-small-", 10, 20)
    big = generated_farm("farm-ratios-big-", args.corrections, args.events)
    try:
        counter = iter(range(10**9))

        def capture(farm) -> Side:
            _tmp, repo, env, _bin, _git = farm
            env = farm_env(env, Path(env["FARM_HOME"]))
            # a new correction each run, so every capture writes, commits and indexes one file
            return Side("", lambda: [
                farm_bin, "capture", "--title", f"Bench miss number {next(counter)} about quokkas",
                "--what", "A unique zebra quokka failure", "--rule", "Do the quokka thing",
                "--kind", "prompt", "--new", "--yes"], env, repo)

        def help_side(farm) -> Side:
            _tmp, repo, env, _bin, _git = farm
            return Side("B: farm --help", [farm_bin, "--help"], farm_env(env, Path(env["FARM_HOME"])), repo)

        def named(side: Side, label: str) -> Side:
            side.label = label
            return side

        for farm in (small, big):  # build each farm's index once, as a user's farm has one
            _tmp, repo, env, _bin, _git = farm
            subprocess.run([farm_bin, "status", "--json"], cwd=repo, env=farm_env(env, Path(env["FARM_HOME"])),
                           capture_output=True)
        if "capture" in only:
            rows.append(paired("capture (10 corrections) vs farm --help",
                               named(capture(small), "A: farm capture … --new --yes (10 corrections)"),
                               help_side(small), args.runs, "≤ 5"))
            rows.append(paired(f"capture ({args.corrections:,} corrections) vs farm --help",
                               named(capture(big), f"A: farm capture … --new --yes ({args.corrections:,})"),
                               help_side(big), args.runs, "≤ 7.5 (1.5× the small farm's bar)"))
            rows.append(paired(f"capture at {args.corrections:,} vs at 10 corrections",
                               named(capture(big), f"A: farm capture … --new --yes ({args.corrections:,})"),
                               named(capture(small), "B: farm capture … --new --yes (10 corrections)"),
                               args.runs, "≤ 1.5 (the other reading of the same bar)"))
        if "status" in only:
            _tmp, repo, env, _bin, _git = big
            rows.append(paired(f"status --json ({args.corrections:,} corrections) vs farm --help",
                               Side(f"A: farm status --json ({args.corrections:,})", [farm_bin, "status", "--json"],
                                    farm_env(env, Path(env["FARM_HOME"])), repo),
                               help_side(big), args.runs, "≤ 8"))
        if "match" in only:
            sides = []
            for farm, n in ((big, args.corrections), (small, 10)):
                _tmp, repo, env, _bin, _git = farm
                sides.append(Side(f"{'A' if not sides else 'B'}: farm match TEXT --json ({n:,} corrections)",
                                  [farm_bin, "match", MATCH_TEXT, "--json"], farm_env(env, Path(env["FARM_HOME"])),
                                  repo))
            rows.append(paired(f"match at {args.corrections:,} vs at 10 corrections", *sides, args.runs, "≤ 2"))
    finally:
        for farm in (small, big):
            shutil.rmtree(farm[0], ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
