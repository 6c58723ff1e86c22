"""`farm sync`: farm's block and skills in this repo's agent files, never a person's edit lost."""

import json
import os
from pathlib import Path

from conftest import capture, git, run_farm


def skill(title="Migrations skipped", rule="Run the migrations before the tests.", *extra):
    return capture(*extra, "--new", title=title, what=f"{title}: the agent did not.", rule=rule, kind="skill").json()


def prompt(title="Pushed to main", rule="Never push to main."):
    return capture("--new", title=title, what=f"{title}: it happened.", rule=rule).json()


def head(repo) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_sync_adopts_what_capture_wrote_then_changes_nothing(farm):
    p, s = prompt(), skill("Lint skipped", "Run ruff before committing.", "--applies-to", "src/**")
    assert run_farm("sync", "--check").code == 0
    first = run_farm("sync", "--json")
    assert first.code == 0, first.err
    data = first.json()
    assert {c["action"] for c in data["changes"]} == {"adopt"} and data["conflicts"] == []
    assert {c["path"] for c in data["changes"]} == {
        "AGENTS.md", "CLAUDE.md", f".claude/skills/{s['id']}/SKILL.md", f".agents/skills/{s['id']}/SKILL.md"}
    committed = git(farm, "show", "--name-only", "--format=", data["commit"]).split()
    assert all(path.startswith(".farm/") for path in committed) and ".farm/manifest.json" in committed
    manifest = json.loads((farm / ".farm/manifest.json").read_text())
    assert manifest["entries"]["AGENTS.md"]["block"] is True
    before = head(farm)
    again = run_farm("sync")
    assert again.code == 0 and "Nothing to do" in again.out
    assert head(farm) == before and git(farm, "status", "--porcelain") == ""
    assert p["id"] in (farm / "AGENTS.md").read_text()


def test_check_shows_a_diff_for_a_new_correction_and_passes_after_sync(farm):
    prompt()
    run_farm("sync")
    assert run_farm("sync", "--check").code == 0
    # A correction that reached the repo without touching the agent files (a merge, a hand-written file).
    (farm / "corrections" / "tests-deleted-abc123.md").write_text(
        "---\nid: tests-deleted-abc123\ntitle: Tests deleted\nkind: prompt\ncreated: 2030-01-01T00:00:00Z\n---\n\n"
        "## What went wrong\n\nThe agent deleted failing tests.\n\n## Rule\n\nFix failing tests; never delete them.\n")
    check = run_farm("sync", "--check")
    assert check.code == 1
    assert "+- Fix failing tests; never delete them. <!-- farm:tests-deleted-abc123 -->" in check.out
    assert "--- a/AGENTS.md" in check.out
    assert run_farm("sync").code == 0
    assert run_farm("sync", "--check").code == 0
    assert "never delete them" in (farm / "CLAUDE.md").read_text()


def test_a_hand_edited_skill_is_a_conflict_and_never_overwritten(farm):
    s = skill()
    run_farm("sync")
    path = farm / f".claude/skills/{s['id']}/SKILL.md"
    edited = path.read_bytes() + b"\nOur team's own note.\n"
    path.write_bytes(edited)
    check = run_farm("sync", "--check")
    assert check.code == 1 and "conflict" in check.out and "edited by hand" in check.out
    result = run_farm("sync", "--json")
    assert result.code == 0
    conflicts = result.json()["conflicts"]
    assert [c["path"] for c in conflicts] == [f".claude/skills/{s['id']}/SKILL.md"]
    assert path.read_bytes() == edited
    assert " M .claude/skills" in git(farm, "status", "--porcelain")


def test_merge_brings_farm_change_into_a_hand_edited_skill(farm):
    s = skill()
    run_farm("sync")
    path = farm / f".agents/skills/{s['id']}/SKILL.md"
    path.write_text(path.read_text() + "\nOur team's own note.\n")
    correction = farm / f"corrections/{s['id']}.md"
    correction.write_text(correction.read_text().replace("Run the migrations before the tests.", "Run every migration first."))
    plain = run_farm("sync", "--json").json()
    assert [c["path"] for c in plain["conflicts"]] == [f".agents/skills/{s['id']}/SKILL.md"]
    assert [c["path"] for c in plain["changes"]] == [f".claude/skills/{s['id']}/SKILL.md"]
    merged = run_farm("sync", "--merge", "--json").json()
    assert [(c["path"], c["action"]) for c in merged["changes"]] == [(f".agents/skills/{s['id']}/SKILL.md", "merge")]
    text = path.read_text()
    assert "Our team's own note." in text and "Run every migration first." in text
    assert "Run the migrations before the tests." not in text
    assert run_farm("sync", "--check").code == 0


def test_retired_skill_goes_unless_a_person_edited_it(farm):
    keep, gone, edited = skill("Keep"), skill("Gone one"), skill("Edited one")
    run_farm("sync")
    mine = farm / f".claude/skills/{edited['id']}/SKILL.md"
    mine.write_text(mine.read_text() + "mine\n")
    git(farm, "commit", "-qam", "my edit")
    for cid in (gone["id"], edited["id"]):
        assert run_farm("retire", cid, "--why", "superseded").code == 0
    data = run_farm("sync", "--json").json()
    removed = {c["path"] for c in data["changes"] if c["action"] == "remove"}
    assert removed == {f".claude/skills/{gone['id']}/SKILL.md", f".agents/skills/{gone['id']}/SKILL.md",
                       f".agents/skills/{edited['id']}/SKILL.md"}
    assert not (farm / f".claude/skills/{gone['id']}").exists()
    assert mine.read_text().endswith("mine\n")
    assert [c["path"] for c in data["conflicts"]] == [f".claude/skills/{edited['id']}/SKILL.md"]
    assert (farm / f".claude/skills/{keep['id']}/SKILL.md").exists()
    assert git(farm, "status", "--porcelain") == ""
    assert run_farm("sync", "--check").code == 0  # released: the edited file is the person's now


def test_deleted_file_comes_back_and_extra_agent_files_are_written(farm):
    prompt()
    s = skill()
    (farm / "farm.toml").write_text(
        (farm / "farm.toml").read_text() + 'extra_agent_files = ["GEMINI.md", ".cursor/rules/farm.mdc"]\n')
    git(farm, "commit", "-qam", "enable gemini and cursor")
    data = run_farm("sync", "--json").json()
    assert {c["path"] for c in data["changes"] if c["action"] == "create"} == {"GEMINI.md", ".cursor/rules/farm.mdc"}
    assert "<!-- farm:begin -->" in (farm / "GEMINI.md").read_text()
    mdc = (farm / ".cursor/rules/farm.mdc").read_text()
    assert mdc.startswith("---\n") and "alwaysApply: true" in mdc and "Never push to main." in mdc
    (farm / f".agents/skills/{s['id']}/SKILL.md").unlink()
    assert run_farm("sync", "--check").code == 1
    again = run_farm("sync", "--json").json()
    assert [(c["path"], c["action"]) for c in again["changes"]] == [(f".agents/skills/{s['id']}/SKILL.md", "create")]


def test_lines_outside_the_block_are_yours_inside_a_hand_edit_is_a_conflict(farm):
    prompt()
    run_farm("sync")
    agents = farm / "AGENTS.md"
    agents.write_bytes(b"# Mine above\r\n\r\n" + agents.read_bytes().replace(b"\n", b"\r\n") + b"\r\nMine below.\r\n")
    git(farm, "commit", "-qam", "my lines around farm's block, CRLF")
    prompt("Tests deleted", "Never delete failing tests.")
    assert run_farm("sync", "--check").code == 0  # capture kept the block up to date
    text = agents.read_bytes()
    assert text.startswith(b"# Mine above\r\n\r\n<!-- farm:begin -->\r\n") and text.endswith(b"<!-- farm:end -->\r\n\r\nMine below.\r\n")
    inside = text.replace(b"<!-- farm:end -->", b"A line of mine inside.\r\n<!-- farm:end -->")
    agents.write_bytes(inside)
    check = run_farm("sync", "--check")
    assert check.code == 1 and "AGENTS.md: edited by hand" in check.out
    result = run_farm("sync", "--json").json()
    assert [c["path"] for c in result["conflicts"]] == ["AGENTS.md"]
    assert agents.read_bytes() == inside


def test_broken_markers_are_a_conflict_not_a_crash(farm):
    prompt()
    (farm / "AGENTS.md").write_text("<!-- farm:begin -->\nno end\n")
    result = run_farm("sync")
    assert result.code == 0 and "markers are broken" in result.out
    assert (farm / "AGENTS.md").read_text() == "<!-- farm:begin -->\nno end\n"


def test_symlinked_claude_md_is_written_through(farm):
    prompt()
    (farm / "CLAUDE.md").unlink()
    os.symlink("AGENTS.md", farm / "CLAUDE.md")
    git(farm, "add", "-A")
    git(farm, "commit", "-qm", "CLAUDE.md is AGENTS.md")
    prompt("Tests deleted", "Fix failing tests; never delete them.")
    assert run_farm("sync").code == 0
    assert (farm / "CLAUDE.md").is_symlink() and "never delete them" in (farm / "AGENTS.md").read_text()
    assert git(farm, "status", "--porcelain") == ""


def test_rulesync_repo_gets_a_rules_source_and_no_block(farm):
    prompt()
    (farm / ".rulesync" / "rules").mkdir(parents=True)
    (farm / ".rulesync" / "rules" / "overview.md").write_text("---\nroot: true\n---\n# Ours\n")
    s = skill()
    data = run_farm("sync", "--json").json()
    actions = {(c["path"], c["action"]) for c in data["changes"]}
    assert (".rulesync/rules/farm.md", "create") in actions
    assert (f".rulesync/skills/{s['id']}/SKILL.md", "create") in actions
    assert ("AGENTS.md", "remove") in actions  # rulesync writes AGENTS.md now; farm's rules are in its source
    rules = (farm / ".rulesync/rules/farm.md").read_text()
    assert rules.startswith("---\nroot: false\ntargets: [\"*\"]\n") and "Never push to main." in rules
    assert "farm:begin" not in (farm / "AGENTS.md").read_text() if (farm / "AGENTS.md").exists() else True
    assert (farm / ".rulesync/rules/overview.md").read_text() == "---\nroot: true\n---\n# Ours\n"


def test_no_commit_and_dry_run(farm):
    prompt()
    (farm / "farm.toml").write_text((farm / "farm.toml").read_text() + 'extra_agent_files = ["GEMINI.md"]\n')
    git(farm, "commit", "-qam", "gemini")
    before = head(farm)
    dry = run_farm("sync", "--dry-run")
    assert dry.code == 0 and "would create  GEMINI.md" in dry.out and not (farm / "GEMINI.md").exists()
    assert run_farm("sync", "--no-commit").code == 0
    assert (farm / "GEMINI.md").exists() and head(farm) == before


def test_sync_needs_a_farm_and_teaches(repo):
    result = run_farm("sync")
    assert result.code == 2 and result.err.count("\n") == 1 and "farm init" in result.err
    help_text = run_farm("sync", "--help").out
    for words in ("--check", "--merge", ".farm/manifest.json", "ruler", "conflict"):
        assert words in help_text
    assert "sync" in run_farm("--help").out and "seed" in run_farm("--help").out


def test_an_interrupted_sync_is_undone_by_the_next_farm_command(farm, monkeypatch):
    from farm import sync as sync_module

    prompt()
    run_farm("sync")
    (farm / "farm.toml").write_text((farm / "farm.toml").read_text() + 'extra_agent_files = ["GEMINI.md"]\n')
    git(farm, "commit", "-qam", "gemini")
    manifest = (farm / ".farm/manifest.json").read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process died after writing, before committing

    with monkeypatch.context() as patch:  # only this attribute: the fixtures' cwd and env stay
        patch.setattr(sync_module, "_keep_merge_bases", killed)
        assert run_farm("sync").code == 130
    assert (farm / "GEMINI.md").exists() and Path.cwd() == farm
    result = run_farm("sync", "--json")
    assert result.code == 0 and "undid an interrupted farm change" in result.err
    assert [c["path"] for c in result.json()["changes"]] == ["GEMINI.md"]
    assert git(farm, "status", "--porcelain") == "" and (farm / ".farm/manifest.json").read_bytes() != manifest


def test_files_the_gitignore_ignores_are_written_not_committed(farm):
    (farm / ".gitignore").write_text((farm / ".gitignore").read_text() + ".agents/\n")
    git(farm, "commit", "-qam", "ignore .agents")
    s = skill()
    ignored = f".agents/skills/{s['id']}/SKILL.md"
    assert ignored not in git(farm, "show", "--name-only", "--format=", s["commit"]).split()  # capture left it out
    (farm / ignored).unlink()
    data = run_farm("sync", "--json").json()
    assert [(c["path"], c["action"]) for c in data["changes"] if c["action"] != "adopt"] == [(ignored, "create")]
    assert (farm / ignored).exists() and ignored in data["not_committed"] and ".gitignore excludes" in data["note"]
    assert ".farm/manifest.json" in git(farm, "show", "--name-only", "--format=", data["commit"]).split()
