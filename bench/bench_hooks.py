"""Speed of the hooks and the statusline on a big farm, against a bare `python -c 'import json'`.

Builds a farm of 1,000 corrections (10 of them guards) and 5,000 events, imports 10,000
Claude Code sessions into its FARM_HOME, computes the budgets, sets a session cap (so
every UserPromptSubmit and PreToolUse also reads the live transcript), then times each
hook event as Claude Code runs it: a new `farm hooks run claude` process with the event's
JSON on stdin. Between two runs one more response is appended to the live transcript, so
each run reads new lines, as in a real session. Prints the median of --runs, the first
(the first run of each) and the ratio to the baseline. Goal: <= 6x.
Bytecode is cached as after a real install (PYTHONDONTWRITEBYTECODE is dropped, the cache
goes to a temp PYTHONPYCACHEPREFIX).

    python bench/bench_hooks.py [--corrections 1000] [--sessions 10000] [--runs 21]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_capture import generated_farm, sentence  # noqa: E402

BRANCHES = ("fix/login-crash", "feat/export-csv", "refactor/parser", "docs/readme", "chore/upgrade-deps", "main")
MODEL = "claude-sonnet-4-5-20250929"


def write_sessions(root: Path, repo: Path, count: int, rng: random.Random) -> None:
    project = root / "projects" / ("-" + str(repo).strip("/").replace("/", "-"))
    project.mkdir(parents=True)
    for n in range(count):
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        branch = rng.choice(BRANCHES)
        lines = [_user(repo, sid, branch, sentence(rng, 10))]
        for _ in range(rng.randint(1, 6)):
            lines.append(_assistant(repo, sid, branch, rng.randint(1_000, 150_000)))
        (project / f"{sid}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def _base(repo: Path, sid: str, branch: str) -> dict:
    return {"cwd": str(repo), "sessionId": sid, "version": "2.1.3", "gitBranch": branch, "isSidechain": False,
            "userType": "external", "uuid": str(uuid.uuid4()), "timestamp": "2026-11-01T10:00:00.000Z"}


def _user(repo: Path, sid: str, branch: str, prompt: str) -> dict:
    return dict(_base(repo, sid, branch), type="user", message={"role": "user", "content": prompt})


def _assistant(repo: Path, sid: str, branch: str, tokens: int) -> dict:
    return dict(_base(repo, sid, branch), type="assistant", requestId=f"req_{uuid.uuid4().hex[:16]}",
                message={"id": f"msg_{uuid.uuid4().hex[:16]}", "type": "message", "role": "assistant", "model": MODEL,
                         "content": [{"type": "text", "text": "ok"}],
                         "usage": {"input_tokens": tokens, "output_tokens": 800, "cache_creation_input_tokens": 2000,
                                   "cache_read_input_tokens": 40_000}})


def add_guards(repo: Path, count: int) -> None:
    folder = repo / "corrections" / "guards"
    folder.mkdir(exist_ok=True)
    ids = sorted(p.stem for p in (repo / "corrections").glob("*.md"))[:count]
    for n, cid in enumerate(ids):
        (folder / f"{cid}.yml").write_text(
            f"correction: {cid}\nmessage: Never do thing {n}.\ndecision: deny\n"
            f"match:\n- tool: Bash\n  pattern: 'forbidden-command-{n}\\b'\n- tool: Edit\n  pattern: 'secret-{n}\\.txt$'\n")


def timed(cmd: list[str], cwd: Path, env: dict, stdin: str, before=None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its stdout). CPU time is the steadier figure
    on a shared machine: it does not count the time the process waited for a core."""
    if before:
        before()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True)
    took = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr}")
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return took, cpu, proc.stdout


def series(cmd, cwd, env, stdin, runs, before=None) -> tuple[float, float, float, str]:
    """(first run's wall, median wall, median CPU, output)."""
    cold, _cpu, out = timed(cmd, cwd, env, stdin, before)
    runs_done = [timed(cmd, cwd, env, stdin, before) for _ in range(runs)]
    return cold, statistics.median(r[0] for r in runs_done), statistics.median(r[1] for r in runs_done), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    rng = random.Random(5)
    tmp, repo, env, farm_bin, git = generated_farm("farm-hooks-bench-", args.corrections, args.events)
    # As installed: bytecode cached (pip compiles it), here in a folder of the bench's own.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    add_guards(repo, 10)
    git("add", "-A")
    git("commit", "-q", "-m", "guards")
    logs = tmp / "claude"
    t0 = time.perf_counter()
    write_sessions(logs, repo, args.sessions, rng)
    imported = subprocess.run([farm_bin, "sessions", "import", "--claude-dir", str(logs / "projects"), "--json"],
                              cwd=repo, env=env, capture_output=True, text=True, check=True)
    print(f"imported {json.loads(imported.stdout).get('sessions', args.sessions):,} sessions in "
          f"{time.perf_counter() - t0:.1f} s")
    subprocess.run([farm_bin, "budget", "--json"], cwd=repo, env=env, check=True, capture_output=True)
    (repo / "farm.toml").write_text((repo / "farm.toml").read_text() + "session_budget_usd = 10000.0\n")

    sid = str(uuid.uuid4())
    live = logs / "projects" / "live" / f"{sid}.jsonl"
    live.parent.mkdir(parents=True)
    live.write_text("".join(json.dumps(x) + "\n" for x in
                            [_user(repo, sid, "fix/login-crash", "Fix the login crash")] +
                            [_assistant(repo, sid, "fix/login-crash", 50_000) for _ in range(200)]))

    def grow() -> None:
        with open(live, "a") as fh:
            fh.write(json.dumps(_assistant(repo, sid, "fix/login-crash", 50_000)) + "\n")

    def folds_done() -> None:
        """A guard hit starts a detached process that writes the catch: let the last one
        finish, so each run times the hook, not the hook competing with 20 earlier folds."""
        deadline = time.monotonic() + 60
        pending = list((tmp / "home" / "repos").glob("*/pending-catches"))
        while time.monotonic() < deadline and any(any(p.iterdir()) for p in pending):
            time.sleep(0.05)
        time.sleep(0.3)  # the fold process exits after emptying the queue

    python = open(farm_bin).readline().removeprefix("#!").strip() or sys.executable
    # A farm this big has its rule book rebuilt in the background after a change; build it
    # first (as the first hooks after a capture would) and time that apart.
    t0 = time.perf_counter()
    subprocess.run([python, "-m", "farm.hooks.rules", str(repo)], cwd=repo, env=env, check=True)
    print(f"rule book + matcher built (background rebuild after a change): {time.perf_counter() - t0:.1f} s")
    baseline = [timed([python, "-c", "import json"], repo, env, "") for _ in range(args.runs)]
    base, base_cpu = statistics.median(r[0] for r in baseline), statistics.median(r[1] for r in baseline)
    common = {"session_id": sid, "transcript_path": str(live), "cwd": str(repo)}
    prompt = sentence(random.Random(99), 14)
    cases = [
        ("SessionStart", {"hook_event_name": "SessionStart", "source": "startup"}, None),
        ("UserPromptSubmit", {"hook_event_name": "UserPromptSubmit", "prompt": prompt}, grow),
        ("PreToolUse (no guard hit)", {"hook_event_name": "PreToolUse", "tool_name": "Bash",
                                       "tool_input": {"command": "pytest -q tests/"}, "tool_use_id": "toolu_1"}, grow),
        ("PreToolUse (guard hit)", {"hook_event_name": "PreToolUse", "tool_name": "Bash",
                                    "tool_input": {"command": "forbidden-command-3 --now"}, "tool_use_id": "toolu_2"},
         folds_done),
        ("Stop", {"hook_event_name": "Stop", "stop_hook_active": False}, grow),
    ]
    print(f"\nbaseline python -c 'import json': {base * 1000:6.1f} ms wall, {base_cpu * 1000:5.1f} ms CPU "
          f"(medians of {args.runs}); goal <= 6x\n")
    print(f"{'path':28} {'first ms':>8} {'median ms':>10} {'ratio':>6} {'CPU ms':>7} {'CPU ratio':>9}")

    def row(name: str, result) -> None:
        first, median, cpu, _out = result
        print(f"{name:28} {first * 1000:8.1f} {median * 1000:10.1f} {median / base:5.1f}x {cpu * 1000:7.1f} "
              f"{cpu / base_cpu:8.1f}x")

    for name, fields, before in cases:
        row(name, series([farm_bin, "hooks", "run", "claude"], repo, env, json.dumps({**common, **fields}),
                         args.runs, before))
    status = {**common, "model": {"id": MODEL, "display_name": "Sonnet 4.5"},
              "workspace": {"current_dir": str(repo), "project_dir": str(repo)},
              "cost": {"total_cost_usd": 1.25}}
    result = series([farm_bin, "statusline"], repo, env, json.dumps(status), args.runs, grow)
    row("statusline", result)
    print(f"  statusline printed: {result[3].strip()}")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f}")
    print(f"\n({os.cpu_count()} cores; farm in {tmp})")


if __name__ == "__main__":
    main()
