"""kill -9 `farm capture` at random moments, 50 times, and check the repo after each.

    python tests/stress/crash_capture.py [--rounds 50]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from crashkit import kill_capture_at_random  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="farm-crash-"))
    os.environ.update(FARM_HOME=str(tmp / "home"), HOME=str(tmp), GIT_AUTHOR_NAME="c", GIT_AUTHOR_EMAIL="c@x",
                      GIT_COMMITTER_NAME="c", GIT_COMMITTER_EMAIL="c@x")
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([sys.executable, "-m", "farm", "init"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=repo, check=True)
    t0 = time.perf_counter()
    outcomes = kill_capture_at_random(repo, args.rounds, seed=int(time.time()))
    print(f"{args.rounds} kills in {time.perf_counter() - t0:.0f} s: {outcomes}; the repo was whole after every one")


if __name__ == "__main__":
    main()
