"""Speed of `farm seed` and `farm sync --check` (issue 7's budgets: < 10 s and < 1 s).

Generates a source farm of N corrections (default 1,000; bench_capture's generator,
plus a grader rule file or a generated test for those kinds), then times, through
the real `farm` command:

  - seeding all of them into a fresh git repo (cold index of the source),
  - seeding again (nothing to do),
  - `farm sync --check` in the seeded repo (the fast path: nothing changed since
    the seed), and the full check (the fast path's state removed; index warm),
  - `farm sync --check` in the source after `farm sync` there.

    python bench/bench_seed.py [--corrections 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_capture import generate  # noqa: E402


def add_artifacts(root: Path) -> dict[str, int]:
    """Give grader and test corrections the files they carry, as capture would have."""
    from farm import model

    kinds: dict[str, int] = {}
    for path in sorted((root / "corrections").glob("*.md")):
        c = model.load_correction(path)
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
        if c.kind == "grader":
            rule = root / "corrections" / "graders" / f"{c.id}.yml"
            rule.parent.mkdir(exist_ok=True)
            rule.write_text(f"correction: {c.id}\nmessage: {c.rule}\napplies_to:\n- docs/*.md\nmust_match:\n- CHANGELOG\n")
            c.artifacts = [f"corrections/graders/{c.id}.yml"]
        elif c.kind == "test":
            test = root / "tests" / "farm" / f"test_{c.id.replace('-', '_')}.py"
            test.parent.mkdir(parents=True, exist_ok=True)
            test.write_text("import subprocess\nfrom pathlib import Path\n\nROOT = Path(__file__).resolve().parents[2]\n\n\n"
                            f"def test_{c.id.replace('-', '_')}():\n    assert subprocess.run('true', shell=True, cwd=ROOT).returncode == 0\n")
            c.artifacts = [f"tests/farm/{test.name}"]
        else:
            continue
        path.write_text(model.dump_correction(c))
    return kinds


def timed(cmd: list[str], cwd: Path, env: dict, ok=(0,)) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr or proc.stdout}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=1_000)
    args = parser.parse_args()
    farm_bin = shutil.which("farm") or str(Path(sys.executable).with_name("farm"))
    tmp = Path(tempfile.mkdtemp(prefix="farm-perf-seed-"))
    env = dict(os.environ, FARM_HOME=str(tmp / "home"), HOME=str(tmp), GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1")
    os.environ["FARM_HOME"] = env["FARM_HOME"]
    source, target = tmp / "source", tmp / "target"

    def git(repo: Path, *a: str) -> None:
        subprocess.run(["git", *a], cwd=repo, env=env, check=True, capture_output=True)

    for repo in (source, target):
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
    (target / "README.md").write_text("# a fresh repo\n")
    git(target, "add", "README.md")
    git(target, "commit", "-q", "-m", "first")
    subprocess.run([farm_bin, "init"], cwd=source, env=env, check=True, capture_output=True)
    generate(source, args.corrections, 0)
    kinds = add_artifacts(source)
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "generated farm")
    print(f"source: {args.corrections:,} corrections ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")

    seconds, out = timed([farm_bin, "seed", str(target)], source, env)
    files = int(subprocess.run(["git", "ls-files"], cwd=target, capture_output=True, text=True).stdout.count("\n"))
    print(f"farm seed (fresh repo, cold source index): {seconds:6.2f} s   ({files:,} files committed in the target)")
    seconds, out = timed([farm_bin, "seed", str(target)], source, env)
    assert "Nothing to do" in out, out
    print(f"farm seed again (nothing to do):           {seconds:6.2f} s")
    seconds, _ = timed([farm_bin, "sync", "--check"], target, env)
    print(f"farm sync --check in the target (synced):  {seconds:6.2f} s")
    seconds, _ = timed([farm_bin, "sync", "--check"], target, env)
    print(f"  once more:                               {seconds:6.2f} s")
    from farm.paths import repo_state_dir

    (repo_state_dir(target) / "sync-state.json").unlink()
    seconds, _ = timed([farm_bin, "sync", "--check"], target, env)
    print(f"  full check (fast-path state removed):    {seconds:6.2f} s")
    timed([farm_bin, "sync"], source, env)
    seconds, _ = timed([farm_bin, "sync", "--check"], source, env)
    print(f"farm sync --check in the source (synced):  {seconds:6.2f} s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
