import os
import subprocess

import pytest
from conftest import capture, git, run_farm


def conflict(farm):
    git(farm, "checkout", "-q", "-b", "other")
    (farm / "README.md").write_text("other\n")
    git(farm, "commit", "-qam", "other")
    git(farm, "checkout", "-q", "main")
    (farm / "README.md").write_text("main\n")
    git(farm, "commit", "-qam", "main")


def test_merge_in_progress_writes_without_committing(farm):
    conflict(farm)
    subprocess.run(["git", "merge", "other"], cwd=farm, capture_output=True)
    result = capture()
    assert result.code == 0 and result.json()["commit"] is None
    assert (farm / ".git" / "MERGE_HEAD").exists()
    text = run_farm("capture", "--title", "second", "--what", "w", "--rule", "r", "--kind", "prompt", "--new", "--yes")
    assert "a merge is in progress" in text.out


def test_rebase_in_progress_writes_without_committing(farm):
    conflict(farm)
    git(farm, "checkout", "-q", "other")
    subprocess.run(["git", "rebase", "main"], cwd=farm, capture_output=True)
    assert (farm / ".git" / "rebase-merge").exists() or (farm / ".git" / "rebase-apply").exists()
    text = run_farm("capture", "--title", "t", "--what", "w", "--rule", "r", "--kind", "prompt", "--yes")
    assert text.code == 0 and "a rebase is in progress" in text.out


def test_unwritable_folder_is_one_line_and_nothing_is_left(farm, monkeypatch):
    real_replace = os.replace

    def refuse(src, dst, *args, **kwargs):
        if "/corrections/" in str(dst) and str(dst).endswith(".md"):
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)
    result = capture()
    assert result.code != 0 and "could not write" in result.err and "nothing was changed" in result.err
    assert result.err.count("\n") == 1
    assert git(farm, "status", "--porcelain", "--untracked-files=all") == ""


def test_repo_inside_a_repo_uses_the_inner_one(farm, monkeypatch):
    inner = farm / "vendor" / "inner"
    inner.mkdir(parents=True)
    git(inner, "init", "-q", "-b", "main")
    git(inner, "commit", "-q", "--allow-empty", "-m", "inner")
    monkeypatch.chdir(inner)
    assert run_farm("init").code == 0
    data = capture().json()
    assert data["commit"] and (inner / "corrections" / f"{data['id']}.md").exists()
    assert not list((farm / "corrections").glob("*.md"))


def test_worktree_capture_commits_on_its_branch(farm, tmp_path, monkeypatch):
    tree = tmp_path / "wt"
    git(farm, "worktree", "add", "-q", "-b", "feature", str(tree))
    monkeypatch.chdir(tree)
    data = capture().json()
    assert data["commit"]
    assert git(tree, "log", "-1", "--format=%s").startswith("farm: capture")
    assert git(farm, "log", "-1", "--format=%s").strip() == "farm init"


@pytest.mark.parametrize("kind", ["prompt", "skill"])
def test_dirty_tree_with_unrelated_changes_is_left_alone(farm, kind):
    (farm / "README.md").write_text("edited, not staged\n")
    (farm / "new.txt").write_text("untracked\n")
    data = capture(kind=kind).json()
    changed = git(farm, "show", "--name-only", "--format=", data["commit"]).split()
    assert "README.md" not in changed and "new.txt" not in changed
    status = git(farm, "status", "--porcelain")
    assert " M README.md" in status and "?? new.txt" in status
