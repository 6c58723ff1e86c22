"""Kill farm capture with SIGKILL at random moments and check the repo is whole afterwards.

Used by tests/test_crash.py (a few rounds) and tests/stress/crash_capture.py (many)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def kill_capture_at_random(repo: Path, rounds: int, seed: int = 1, max_delay: float = 0.8) -> dict:
    rng = random.Random(seed)
    outcomes = {"committed": 0, "rolled_back": 0, "finished": 0}
    for n in range(rounds):
        cmd = [sys.executable, "-m", "farm", "capture", "--title", f"crash round {n}", "--what", f"round {n} broke",
               "--rule", f"rule {n}", "--kind", "prompt", "--new", "--yes", "--json"]
        proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.05, max_delay))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            outcomes["finished"] += 1
        proc.wait()
        # the next farm command that takes the lock recovers
        subprocess.run([sys.executable, "-m", "farm", "reindex"], cwd=repo, capture_output=True)
        recovered = subprocess.run([sys.executable, "-c", "from farm.project import open_farm; from farm.writer import farm_lock\n"
                                    "with farm_lock(open_farm()) as r: print(r or '')"], cwd=repo, capture_output=True, text=True)
        assert recovered.returncode == 0, recovered.stderr
        check_whole(repo, n)
        committed = f"crash round {n}" in git(repo, "log", "--format=%s%n%b", "-n", "3") or any(
            f"crash-round-{n}-" in p for p in git(repo, "ls-files", "corrections").split())
        outcomes["committed" if committed else "rolled_back"] += 1
    return outcomes


def check_whole(repo: Path, n: int) -> None:
    """No half state: nothing of farm's left uncommitted or staged, no stray locks."""
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    stray = [line for line in status.splitlines() if "corrections/" in line or "AGENTS.md" in line or "CLAUDE.md" in line]
    assert not stray, f"round {n}: half-written change left behind: {stray}"
    assert not (repo / ".git" / "index.lock").exists(), f"round {n}: stale index.lock"
    assert not (repo / ".git" / "farm-journal.json").exists(), f"round {n}: journal left"
    tmp_files = [p for p in repo.rglob(".*.tmp") if ".git" not in p.parts]
    assert not tmp_files, f"round {n}: temp files left: {tmp_files}"
    fsck = subprocess.run(["git", "fsck", "--no-progress"], cwd=repo, capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
