import json
import subprocess
import sys

from conftest import git, run_farm


def test_sixteen_captures_at_once_each_commit_exactly_once(farm):
    procs = [
        subprocess.Popen([sys.executable, "-m", "farm", "capture", "--title", f"parallel miss {n}",
                          "--what", f"thing {n} went wrong in its own way", "--rule", f"rule {n}",
                          "--kind", "prompt" if n % 2 else "skill", "--new", "--yes", "--json"],
                         cwd=farm, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(16)
    ]
    results = [(p.wait(), *p.communicate()) for p in procs]
    assert all(code == 0 for code, _, _ in results), [err for _, _, err in results]
    ids = {json.loads(out)["id"] for _, out, _ in results}
    assert len(ids) == 16
    log = git(farm, "log", "--format=%s")
    assert sum(line.startswith("farm: capture ") for line in log.splitlines()) == 16
    assert git(farm, "status", "--porcelain") == ""
    assert subprocess.run(["git", "fsck", "--no-progress"], cwd=farm, capture_output=True).returncode == 0
    agents = (farm / "AGENTS.md").read_text()
    assert all(f"- rule {n} <!--" in agents for n in range(1, 16, 2))  # every prompt rule made it into the block
    listed = {row["id"] for row in run_farm("status", "--json").json()["corrections"]}
    assert listed == ids
    run_farm("reindex")
    assert {row["id"] for row in run_farm("status", "--json").json()["corrections"]} == ids


def test_sixteen_imports_at_once_into_one_farm_home_count_exactly_once(tmp_path):
    import shutil

    from test_sessions_import import CORPUS, EXPECTED, FIELDS

    logs = tmp_path / "logs"
    shutil.copytree(CORPUS, logs, ignore=shutil.ignore_patterns("*.py"))
    cmd = [sys.executable, "-m", "farm", "sessions", "import", "--json",
           "--claude-dir", str(logs / "claude" / "projects"),
           "--codex-dir", str(logs / "codex" / "sessions"), "--codex-dir", str(logs / "codex" / "archived_sessions")]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(16)]
    results = [(p.wait(), *p.communicate()) for p in procs]
    assert all(code == 0 for code, _, _ in results), [err[-500:] for _, _, err in results]
    models = run_farm("spend", "--by", "model", "--json").json()["rows"]
    got = {row["key"]: tuple(row[f] for f in FIELDS) for row in models}
    assert got == EXPECTED
