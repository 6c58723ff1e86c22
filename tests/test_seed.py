"""`farm seed`: corrections carried into another repo without losing a byte of anyone's work there."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import capture, git, run_farm

AGENTS = (
    b"# Team rules\r\n\r\nUse tabs, always.\r\n\r\n<!-- farm:begin -->\r\n<!-- farm:end -->\r\n\r\n"
    b"## After farm's block\r\n\r\nAsk before deleting anything.\r\n"
)
OTHER_TOOLS = {
    ".cursor/rules/team.mdc": b"---\nalwaysApply: true\n---\nTeam cursor rule.\n",
    ".windsurfrules": b"windsurf: keep it\r\n",
    ".github/copilot-instructions.md": b"Copilot: prefer small PRs.\n",
    ".ruler-not-really/notes.md": b"not a ruler folder\n",
}


def make_target(tmp_path: Path, files: dict[str, bytes] | None = None, name="target") -> Path:
    target = tmp_path / name
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    for rel, data in (files or {"README.md": b"# target\n"}).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "the target's own work")
    return target


def source_corrections(farm: Path) -> dict[str, str]:
    (farm / "flag.txt").write_text("fine\n")
    ids = {
        "prompt": capture("--new", title="Pushed to main", what="It pushed to main.", rule="Never push to main.").json()["id"],
        "skill": capture("--new", title="Migrations skipped", what="No migrations.", rule="Run the migrations first.",
                         kind="skill").json()["id"],
        "grader": run_farm("capture", "--title", "Changelog missing", "--what", "No entry.", "--rule", "Add a changelog entry.",
                           "--kind", "grader", "--must-match", "CHANGELOG", "--applies-to", "posts/*.md", "--new", "--yes",
                           "--json").json()["id"],
        "test": capture("--new", "--check-cmd", "grep -q fine flag.txt", title="Flag broke", what="flag.txt lost its value.",
                        rule="Keep flag.txt fine.", kind="test").json()["id"],
    }
    git(farm, "add", "flag.txt")
    git(farm, "commit", "-qm", "flag")
    return ids


def lines_in_order(data: bytes, lines: list[bytes]) -> bool:
    at = 0
    for line in lines:
        found = data.find(line, at)
        if found < 0:
            return False
        at = found + len(line)
    return True


def test_seed_sync_edit_seed_keeps_every_byte_of_the_target(farm, tmp_path, monkeypatch):
    ids = source_corrections(farm)
    mine = f".claude/skills/{ids['skill']}/SKILL.md"
    own_skill = b"---\nname: my-skill\ndescription: ours\n---\nOur own skill, same name as farm's.\n"
    target = make_target(tmp_path, {"AGENTS.md": AGENTS, mine: own_skill, "src/app.py": b"print(1)\n", **OTHER_TOOLS})
    (target / "src/app.py").write_bytes(b"print(2)\n")
    git(target, "add", "src/app.py")  # staged by the person: must stay staged, out of farm's commits
    (target / "notes.txt").write_bytes(b"draft\n")
    git(target, "add", "notes.txt")

    first = run_farm("seed", str(target), "--json")
    assert first.code == 0, first.err
    data = first.json()
    assert set(data["corrections"]) == set(ids.values())
    renamed = f"{ids['skill']}-farm"
    assert any("is not farm's" in note and renamed in note for note in data["notes"])
    assert (target / f".claude/skills/{renamed}/SKILL.md").read_text().startswith(f"---\nname: {renamed}\n")
    committed = set(git(target, "show", "--name-only", "--format=", data["commit"]).split())
    assert "src/app.py" not in committed and "notes.txt" not in committed and mine not in committed
    status = git(target, "status", "--porcelain")
    assert "M  src/app.py" in status and "A  notes.txt" in status

    # a sync in the target, right after the seed, has nothing to do
    monkeypatch.chdir(target)
    sync = run_farm("sync", "--json")
    assert sync.code == 0, sync.err
    assert sync.json()["changes"] == [] and sync.json()["conflicts"] == []
    monkeypatch.chdir(farm)

    # the person edits: a line below the block, a line inside it, farm's skill
    agents = (target / "AGENTS.md").read_bytes()
    agents = agents.replace(b"<!-- farm:end -->\r\n", b"Our line inside farm's block.\r\n<!-- farm:end -->\r\n")
    agents += b"One more line of ours.\r\n"
    (target / "AGENTS.md").write_bytes(agents)
    skill_path = target / f".agents/skills/{renamed}/SKILL.md"
    edited_skill = skill_path.read_bytes() + b"\nOur note on farm's skill.\n"
    skill_path.write_bytes(edited_skill)
    capture("--new", title="Tests deleted", what="It deleted tests.", rule="Fix failing tests; never delete them.")

    second = run_farm("seed", str(target), "--json")
    assert second.code == 0, second.err
    conflicts = {c["path"] for c in second.json()["conflicts"]}
    assert conflicts == {"AGENTS.md", f".agents/skills/{renamed}/SKILL.md"}
    assert (target / "AGENTS.md").read_bytes() == agents
    assert skill_path.read_bytes() == edited_skill
    assert "never delete them" in (target / "CLAUDE.md").read_text()

    user_lines = [line + b"\r\n" for line in AGENTS.split(b"\r\n")[:-1] if b"farm:" not in line]
    user_lines += [b"Our line inside farm's block.\r\n", b"One more line of ours.\r\n"]
    final = (target / "AGENTS.md").read_bytes()
    assert lines_in_order(final, user_lines[:6]) and all(line in final for line in user_lines)
    assert b"\n" not in final.replace(b"\r\n", b"")  # CRLF throughout
    assert (target / mine).read_bytes() == own_skill
    for rel, content in OTHER_TOOLS.items():
        assert (target / rel).read_bytes() == content, rel
    status = git(target, "status", "--porcelain")
    assert "M  src/app.py" in status and "A  notes.txt" in status
    assert (target / "src/app.py").read_bytes() == b"print(2)\n"
    farm_commits = [line.split()[0] for line in git(target, "log", "--format=%H %s").splitlines() if " farm: " in line]
    assert len(farm_commits) == 2
    for sha in farm_commits:
        assert not {"src/app.py", "notes.txt"} & set(git(target, "show", "--name-only", "--format=", sha).split())


def test_seed_into_a_ruler_repo_writes_the_ruler_source(farm, tmp_path):
    ids = source_corrections(farm)
    ruler = {".ruler/AGENTS.md": b"# Ours\n\nRuler source of ours.\n", ".ruler/ruler.toml": b'default_agents = ["claude"]\n',
             "AGENTS.md": b"<!-- Generated by Ruler -->\n# Ours\n"}
    target = make_target(tmp_path, ruler)
    result = run_farm("seed", str(target), "--json")
    assert result.code == 0, result.err
    paths = {c["path"] for c in result.json()["changes"]}
    assert ".ruler/farm.md" in paths and f".ruler/skills/{ids['skill']}/SKILL.md" in paths
    assert not {"AGENTS.md", "CLAUDE.md"} & paths and not (target / "CLAUDE.md").exists()
    rules = (target / ".ruler/farm.md").read_text()
    assert "Never push to main." in rules and "farm:begin" not in rules
    for rel, content in ruler.items():
        assert (target / rel).read_bytes() == content
    assert run_farm("seed", str(target), "--check").code == 0


def test_seed_into_a_rulesync_repo_uses_rulesync_frontmatter(farm, tmp_path):
    source_corrections(farm)
    target = make_target(tmp_path, {".rulesync/rules/overview.md": b"---\nroot: true\ntargets: ['*']\n---\n# Ours\n"})
    assert run_farm("seed", str(target)).code == 0
    text = (target / ".rulesync/rules/farm.md").read_text()
    assert text.startswith('---\nroot: false\ntargets: ["*"]\ndescription: ') and "Never push to main." in text


def test_seed_is_idempotent_and_check_reports_drift(farm, tmp_path):
    source_corrections(farm)
    target = make_target(tmp_path)
    assert run_farm("seed", str(target)).code == 0
    head = git(target, "rev-parse", "HEAD")
    again = run_farm("seed", str(target))
    assert again.code == 0 and "Nothing to do" in again.out
    assert git(target, "rev-parse", "HEAD") == head and git(target, "status", "--porcelain") == ""
    assert run_farm("seed", str(target), "--check").code == 0
    git(farm, "commit", "--allow-empty", "-qm", "an unrelated commit in the source")
    assert run_farm("seed", str(target), "--check").code == 0  # seeded_from names each correction's own commit
    capture("--new", title="Tests deleted", what="It deleted tests.", rule="Fix failing tests; never delete them.")
    check = run_farm("seed", str(target), "--check")
    assert check.code == 1 and "+- Fix failing tests; never delete them." in check.out


def test_seeded_corrections_keep_ids_and_name_their_source(farm, tmp_path, monkeypatch):
    ids = source_corrections(farm)
    own = farm / f"corrections/{ids['prompt']}.md"
    own.write_text(own.read_text().replace("kind: prompt\n", "kind: prompt\nowner: team-a\n") + "\n## Evidence\n\nSee PR 12.\n")
    git(farm, "commit", "-qam", "a field farm does not know, and notes")
    target = make_target(tmp_path)
    data = run_farm("seed", str(target), "--json").json()
    source_head = git(farm, "rev-parse", "HEAD").strip()
    seeded = (target / f"corrections/{ids['prompt']}.md").read_text()
    assert "owner: team-a\n" in seeded and seeded.endswith("## Evidence\n\nSee PR 12.\n")
    text = (target / f"corrections/{ids['prompt']}.md").read_text()
    assert f"id: {ids['prompt']}\n" in text and "seeded_from:\n  repo: " in text
    assert data["source"]["commit"] == source_head
    monkeypatch.chdir(target)
    status = run_farm("status", "--json")
    assert status.code == 0, status.err
    assert set(ids.values()) <= {row["id"] for row in status.json()["corrections"]}


def test_selection_by_status_kind_and_tag(farm, tmp_path):
    ids = source_corrections(farm)
    tagged = capture("--new", "--tag", "python", title="Wrong venv", what="Used the system python.", rule="Use the venv.").json()["id"]
    assert run_farm("retire", ids["grader"], "--why", "superseded").code == 0
    target = make_target(tmp_path)
    default = run_farm("seed", str(target), "--dry-run", "--json").json()["corrections"]
    assert ids["grader"] not in default and set(default) == {ids["prompt"], ids["skill"], ids["test"], tagged}
    kinds = run_farm("seed", str(target), "--dry-run", "--json", "--kind", "prompt,skill").json()["corrections"]
    assert set(kinds) == {ids["prompt"], ids["skill"], tagged}
    assert run_farm("seed", str(target), "--dry-run", "--json", "--tag", "python").json()["corrections"] == [tagged]
    assert run_farm("seed", str(target), "--dry-run", "--json", "--only", "leaking").json()["corrections"] == []
    retired = run_farm("seed", str(target), "--only", "retired")
    assert retired.code == 2 and "never seeded" in retired.err and retired.err.count("\n") == 1
    assert not (target / "corrections").exists()  # dry runs wrote nothing, not even farm init


def test_grader_and_test_files_come_along_in_the_target_layout(farm, tmp_path):
    ids = source_corrections(farm)
    target = make_target(tmp_path, {
        "farm.toml": b'test_dir = "checks"\nseed_paths = { "posts" = "content/posts" }\n', "flag.txt": b"fine\n"})
    assert run_farm("seed", str(target)).code == 0
    test_file = target / f"checks/test_{ids['test'].replace('-', '_')}.py"
    assert "parents[1]" in test_file.read_text()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                         cwd=target, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    grader = (target / f"corrections/graders/{ids['grader']}.yml").read_text()
    assert "- content/posts/*.md" in grader and "- posts/*.md" not in grader
    correction = (target / f"corrections/{ids['test']}.md").read_text()
    assert f"- checks/test_{ids['test'].replace('-', '_')}.py" in correction


def test_dry_run_writes_nothing_and_no_commit_commits_nothing(farm, tmp_path):
    source_corrections(farm)
    target = make_target(tmp_path)
    head = git(target, "rev-parse", "HEAD")
    dry = run_farm("seed", str(target), "--dry-run")
    assert dry.code == 0 and "would run farm init" in dry.out and "would create" in dry.out
    assert git(target, "status", "--porcelain") == "" and not (target / ".farm").exists()
    assert run_farm("seed", str(target), "--check").code == 1  # not seeded yet
    result = run_farm("seed", str(target), "--no-commit")
    assert result.code == 0 and "not committed" in result.out
    assert git(target, "rev-parse", "HEAD") == head and (target / ".farm/manifest.json").exists()


def test_seed_from_a_path_and_from_a_git_url(farm, tmp_path, monkeypatch):
    ids = source_corrections(farm)
    target = make_target(tmp_path)
    monkeypatch.chdir(target)
    result = run_farm("seed", "--from", str(farm), "--kind", "prompt", "--json")
    assert result.code == 0, result.err
    assert result.json()["corrections"] == [ids["prompt"]]
    other = make_target(tmp_path, name="other")
    monkeypatch.chdir(other)
    url = run_farm("seed", "--from", farm.as_uri(), "--json")
    assert url.code == 0, url.err
    assert url.json()["source"]["repo"] == farm.as_uri()
    assert (other / f"corrections/{ids['skill']}.md").exists()
    bad = run_farm("seed", "--from", "https://127.0.0.1:9/nope.git")
    assert bad.code == 2 and "could not clone" in bad.err and bad.err.count("\n") == 1


def test_retired_or_edited_in_the_target_stays_as_the_target_has_it(farm, tmp_path, monkeypatch):
    ids = source_corrections(farm)
    target = make_target(tmp_path)
    run_farm("seed", str(target))
    monkeypatch.chdir(target)
    assert run_farm("retire", ids["prompt"], "--why", "not for this repo").code == 0
    skill_file = target / f"corrections/{ids['skill']}.md"
    skill_file.write_text(skill_file.read_text().replace("Run the migrations first.", "Run `make migrate` first."))
    git(target, "commit", "-qam", "our wording")
    monkeypatch.chdir(farm)
    data = run_farm("seed", str(target), "--json").json()
    assert any("retired in the target" in note for note in data["notes"])
    assert [c["path"] for c in data["conflicts"]] == [f"corrections/{ids['skill']}.md"]
    assert "status: retired" in (target / f"corrections/{ids['prompt']}.md").read_text()
    assert "Run `make migrate` first." in (target / f".claude/skills/{ids['skill']}/SKILL.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["nowhere-at-all"], "no such folder"),
    ([], "give TARGET"),
    (["x", "--from", "y"], "not both"),
    (["."], "this farm itself"),
    (["sub"], "inside the git repository"),
])
def test_bad_targets_are_one_line_errors(farm, tmp_path, args, message):
    (farm / "sub").mkdir()
    result = run_farm("seed", *args)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1, result.err


def test_target_that_is_not_a_git_repo(farm, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_farm("seed", str(plain))
    assert result.code == 2 and "git init" in result.err


def test_seed_help_teaches():
    text = run_farm("seed", "--help").out
    for words in ("--from", "--only", "holding", "seeded_from", "--check", "--merge", "seed_paths", "staged"):
        assert words in text


def test_improved_corrections_are_carried_by_default():
    from farm.seed import DEFAULT_STATUSES, STATUSES

    assert "improved" in DEFAULT_STATUSES and "improved" in STATUSES and "leaking" not in DEFAULT_STATUSES
