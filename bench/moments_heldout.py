"""The detector's figures on the held-out half of moments-dev, through the real CLI.

    python bench/moments_heldout.py [--farm PATH] [--half held|tuning|all]

Writes the chosen half (the seeded repository split of bench/moments_train.py) to a temp file
and runs the eval set's own evaluate.py on it: it writes Claude Code sessions, runs
`farm init`, `farm sessions import` and `farm sessions moments --json`, and scores them.
Also prints how long the import took with the detector, per user turn.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from moments_train import DEFAULT_TURNS, split  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--farm", default=shutil.which("farm") or "farm")
    ap.add_argument("--turns", type=Path, default=DEFAULT_TURNS)
    ap.add_argument("--half", choices=("held", "tuning", "all"), default="held")
    a = ap.parse_args()
    turns = [json.loads(x) for x in a.turns.open(encoding="utf-8") if x.strip()]
    tuning, held = split(turns)
    keep = {"held": held, "tuning": tuning, "all": tuning | held}[a.half]
    chosen = [t for t in turns if t["repo"] in keep]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "turns.jsonl"
        path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in chosen), encoding="utf-8")
        print(f"{a.half}: {len(keep)} repositories, {len(chosen)} turns "
              f"({sum(t['label'] == 'correction' for t in chosen)} corrections)")
        started = time.perf_counter()
        subprocess.run([sys.executable, str(a.turns.parent / "evaluate.py"), "--farm", a.farm, "--turns", str(path)],
                       check=True)
        print(f"evaluate.py end to end: {time.perf_counter() - started:.2f}s")


if __name__ == "__main__":
    main()
