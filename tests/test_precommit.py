import subprocess

from conftest import git, run_farm

CONFIG = """# my hooks
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace  # keep
"""


def test_plain_git_hook_blocks_a_bad_commit_and_records_one_catch(farm, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    run_farm("capture", "--title", "No debug prints", "--what", "print() left in code", "--rule", "No print calls.",
             "--kind", "grader", "--must-not-match", r"\bprint\(", "--applies-to", "*.py", "--yes")
    result = run_farm("hooks", "install", "pre-commit")
    assert result.code == 0 and "installed" in result.out
    assert run_farm("hooks", "install", "pre-commit").out.startswith("already installed")
    (farm / "app.py").write_text("print('debug')\n")
    git(farm, "add", "app.py")
    blocked = subprocess.run(["git", "commit", "-m", "wip"], cwd=farm, capture_output=True, text=True)
    assert blocked.returncode != 0 and "app.py:1:" in blocked.stdout + blocked.stderr
    catches = list((farm / "corrections" / "log").rglob("*-catch-*.json"))
    assert len(catches) == 1
    subprocess.run(["git", "commit", "-m", "wip"], cwd=farm, capture_output=True)
    assert len(list((farm / "corrections" / "log").rglob("*-catch-*.json"))) == 1
    assert run_farm("hooks", "uninstall", "pre-commit").code == 0
    assert not (farm / ".git" / "hooks" / "pre-commit").exists()


def test_foreign_git_hook_is_never_replaced(farm):
    hook = farm / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    result = run_farm("hooks", "install", "pre-commit")
    assert result.code == 2 and "not farm's" in result.err
    assert hook.read_text() == "#!/bin/sh\necho mine\n"


def test_pre_commit_config_gets_a_local_hook_and_keeps_its_text(farm):
    (farm / ".pre-commit-config.yaml").write_text(CONFIG)
    assert run_farm("hooks", "install", "pre-commit").code == 0
    text = (farm / ".pre-commit-config.yaml").read_text()
    assert text.startswith(CONFIG) and "entry: farm check --staged" in text
    import yaml

    repos = yaml.safe_load(text)["repos"]
    assert repos[-1]["hooks"][0]["id"] == "farm-check" and len(repos) == 2
    assert run_farm("hooks", "install", "pre-commit").out.startswith("already installed")
    assert run_farm("hooks", "uninstall", "pre-commit").code == 0
    assert (farm / ".pre-commit-config.yaml").read_text() == CONFIG


def test_core_hooks_path_is_honoured_and_the_shared_hook_names_no_machine_path(farm, monkeypatch):
    """attack.md M7: with core.hooksPath (husky, lefthook), git never runs .git/hooks."""
    import sys

    monkeypatch.delenv("CI", raising=False)
    git(farm, "config", "core.hooksPath", ".githooks")
    run_farm("capture", "--title", "No debug prints", "--what", "print() left in code", "--rule", "No print calls.",
             "--kind", "grader", "--must-not-match", r"\bprint\(", "--applies-to", "*.py", "--yes")
    result = run_farm("hooks", "install", "pre-commit")
    hook = farm / ".githooks" / "pre-commit"
    assert result.code == 0 and str(hook) in result.out
    assert not (farm / ".git" / "hooks" / "pre-commit").exists()
    assert sys.executable not in hook.read_text()
    doctor = {c["name"]: c for c in run_farm("doctor", "--json").json()["checks"]}
    assert doctor["pre-commit"]["status"] == "ok" and "core.hooksPath" in doctor["pre-commit"]["detail"]
    (farm / "app.py").write_text("print('debug')\n")
    git(farm, "add", "app.py")
    env = dict(__import__("os").environ, FARM_BIN=str(__import__("pathlib").Path(sys.executable).parent / "farm"))
    blocked = subprocess.run(["git", "commit", "-m", "wip"], cwd=farm, capture_output=True, text=True, env=env)
    assert blocked.returncode != 0 and "app.py:1:" in blocked.stdout + blocked.stderr
    assert run_farm("hooks", "uninstall", "pre-commit").code == 0 and not hook.exists()


def test_doctor_says_when_farms_hook_sits_where_git_no_longer_looks(farm):
    assert run_farm("hooks", "install", "pre-commit").code == 0
    git(farm, "config", "core.hooksPath", ".husky")
    doctor = run_farm("doctor", "--json")
    check = {c["name"]: c for c in doctor.json()["checks"]}["pre-commit"]
    assert doctor.code == 1 and check["status"] == "fail" and ".husky" in check["detail"]
    text = run_farm("doctor")
    assert "FAIL  pre-commit" in text.out and "fix: run `farm hooks install pre-commit` again" in text.out


def test_a_symlinked_pre_commit_config_stays_a_symlink_and_one_out_of_the_repo_is_refused(farm, tmp_path):
    shared = farm / "config" / "pre-commit.yaml"
    shared.parent.mkdir()
    shared.write_text(CONFIG)
    (farm / ".pre-commit-config.yaml").symlink_to("config/pre-commit.yaml")
    assert run_farm("hooks", "install", "pre-commit").code == 0
    assert (farm / ".pre-commit-config.yaml").is_symlink() and "farm-check" in shared.read_text()
    outside = tmp_path / "outside.yaml"
    outside.write_text(CONFIG)
    (farm / ".pre-commit-config.yaml").unlink()
    (farm / ".pre-commit-config.yaml").symlink_to(outside)
    result = run_farm("hooks", "install", "pre-commit")
    assert result.code == 2 and outside.read_text() == CONFIG
