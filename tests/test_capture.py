import json
import subprocess
import sys

import pytest
from conftest import capture, git, run_farm

TAKEAWAY = "The extra spend should either make the current artifact better"


def seed000(*extra):
    return run_farm(
        "capture", "--title", "Draft drops the stated takeaway",
        "--what", "The rewrite turned the post's point into a generic lesson about noticing busy sessions.",
        "--rule", "A draft must keep the takeaway sentence the author stated.",
        "--kind", "grader", "--must-preserve", TAKEAWAY,
        "--applies-to", "posts/*.md", "--task-type", "docs", "--yes", "--json", *extra,
    )


def test_seed_000_worked_example_end_to_end(farm):
    (farm / "posts").mkdir()
    draft = farm / "posts" / "draft.md"
    draft.write_text(f"# Tokens\n\n{TAKEAWAY}, or leave something reusable behind.\n")
    result = seed000()
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"id", "recurrence_of", "files", "commit", "not_committed", "skipped", "note", "dry_run",
                         "test_fails_now"}
    assert data["recurrence_of"] is None
    assert data["id"].startswith("draft-drops-the-stated-takeaway-")
    committed = git(farm, "show", "--name-only", "--format=", data["commit"]).split()
    assert sorted(committed) == sorted(data["files"])

    ok = run_farm("check", "posts/draft.md")
    assert ok.code == 0, ok.out
    draft.write_text("# Tokens\n\nA generic lesson about noticing when a session is busy.\n")
    bad = run_farm("check", "posts/draft.md")
    assert bad.code == 1
    assert bad.out.startswith(f"posts/draft.md:1: {data['id']}: ")
    assert "must keep" in bad.out

    match = run_farm("match", "the draft lost its main point again", "--json")
    assert match.code == 0
    matches = match.json()["matches"]
    assert matches[0]["id"] == data["id"]
    assert set(matches[0]) == {"id", "title", "score", "recurrence"}

    status = run_farm("status")
    assert status.code == 0 and data["id"] in status.out and "grader" in status.out


def test_foreign_staged_files_stay_staged_and_out_of_the_commit(farm):
    (farm / "mine.txt").write_text("user work\n")
    git(farm, "add", "mine.txt")
    (farm / "README.md").write_text("# demo\nunstaged edit\n")
    data = capture().json()
    committed = git(farm, "show", "--name-only", "--format=", data["commit"]).split()
    assert "mine.txt" not in committed and "README.md" not in committed
    assert "A  mine.txt" in git(farm, "status", "--porcelain")
    assert " M README.md" in git(farm, "status", "--porcelain")


def test_prompt_kind_writes_the_managed_block_and_keeps_the_rest(farm):
    agents = "# Agents\r\n\r\nHand-written rule.\r\n"
    (farm / "AGENTS.md").write_bytes(agents.encode())
    git(farm, "add", "AGENTS.md")
    git(farm, "commit", "-q", "-m", "agents")
    first = capture(rule="Never push to main.").json()
    second = capture("--new", title="Tests were deleted", what="The agent deleted failing tests.", rule="Fix failing tests; never delete them.").json()
    text = (farm / "AGENTS.md").read_bytes().decode()
    assert text.startswith(agents)
    assert "Never push to main." in text and "never delete them." in text
    assert "\r\n<!-- farm:end -->\r\n" in text
    claude = (farm / "CLAUDE.md").read_text()
    assert "<!-- farm:begin -->" in claude and f"farm:{first['id']}" in claude and f"farm:{second['id']}" in claude
    assert git(farm, "status", "--porcelain") == ""


def test_prompt_file_with_uncommitted_user_edits_is_written_not_committed(farm):
    (farm / "AGENTS.md").write_text("# Agents\n")
    git(farm, "add", "AGENTS.md")
    git(farm, "commit", "-q", "-m", "agents")
    (farm / "AGENTS.md").write_text("# Agents\n\nMy draft rule, not ready.\n")
    result = capture(rule="Keep the changelog.")
    data = result.json()
    committed = git(farm, "show", "--name-only", "--format=", data["commit"]).split()
    assert "AGENTS.md" not in committed and "CLAUDE.md" in committed
    text = (farm / "AGENTS.md").read_text()
    assert "My draft rule, not ready." in text and "Keep the changelog." in text


def test_skill_kind_writes_agent_skills(farm):
    data = capture(kind="skill", rule="Run the migrations before the tests.").json()
    for base in (".claude/skills", ".agents/skills"):
        path = farm / base / data["id"] / "SKILL.md"
        text = path.read_text()
        assert text.startswith("---\nname: " + data["id"] + "\n")
        assert "description:" in text and "Run the migrations before the tests." in text


def test_test_kind_writes_a_real_pytest_test_that_passes_and_fails(farm):
    (farm / "flag.txt").write_text("fine\n")
    data = capture("--check-cmd", "grep -q fine flag.txt", kind="test").json()
    test_file = next(f for f in data["files"] if f.startswith("tests/farm/"))
    run = lambda: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file], cwd=farm, capture_output=True, text=True)  # noqa: E731
    assert run().returncode == 0, run().stdout
    (farm / "flag.txt").write_text("bad\n")
    assert run().returncode == 1


def test_test_kind_can_link_an_existing_test_without_committing_it(farm):
    (farm / "tests").mkdir()
    (farm / "tests" / "test_mine.py").write_text("def test_x():\n    assert True\n")
    data = capture("--test-file", "tests/test_mine.py", kind="test").json()
    assert "tests/test_mine.py" not in data["files"]
    correction = (farm / f"corrections/{data['id']}.md").read_text()
    assert "- tests/test_mine.py" in correction


def test_test_kind_without_a_check_is_a_clear_error_and_writes_nothing(farm):
    result = capture(kind="test")
    assert result.code == 2 and "--check-cmd" in result.err
    assert git(farm, "status", "--porcelain") == ""


def test_a_repeat_is_recorded_as_a_recurrence_not_a_new_correction(farm):
    first = capture(
        title="Agent deletes failing tests instead of fixing them",
        what="Asked to make the suite pass, the agent deleted the failing test files.",
        rule="Fix failing tests; never delete them to make the suite pass.",
    ).json()
    again = capture(
        title="Agent deleted the failing tests to make the suite pass",
        what="Again the agent removed failing test files instead of fixing the code.",
        rule="Do not delete tests.",
    ).json()
    assert again["recurrence_of"] == first["id"] and again["id"] == first["id"]
    assert len(again["files"]) == 1 and "-recurrence-" in again["files"][0]
    forced = capture("--new", title="Agent deleted the failing tests to make the suite pass",
                     what="Again the agent removed failing test files.", rule="Do not delete tests.").json()
    assert forced["recurrence_of"] is None and forced["id"] != first["id"]
    rows = {row["id"]: row for row in run_farm("status", "--json").json()["corrections"]}
    assert rows[first["id"]]["recurrences"] == 1 and rows[first["id"]]["misses"] == 2


def test_interactive_capture_asks_and_confirms(farm):
    # title, what, cost, rule, kind, task type, tags, then the review
    answers = "Agent skipped the linter\nIt committed code that fails ruff.\n\nRun ruff before committing.\nprompt\n\n\ny\n"
    result = run_farm("capture", input=answers)
    assert result.code == 0, result.err
    assert "Captured agent-skipped-the-linter-" in result.out
    # title, what, cost, then the match question (n: a new one), rule, kind, task type, tags, review
    again = run_farm("capture", input="Agent skipped the linter again\nIt committed code that fails ruff, again.\n\nn\nRun ruff.\nprompt\n\n\ny\n")
    assert again.code == 0, again.err
    assert "recurrence of" in again.err  # the question was asked
    assert "Captured" in again.out  # the person said no: a new correction


def test_no_commit_writes_and_says_so(farm):
    result = capture("--no-commit")
    data = result.json()
    assert data["commit"] is None
    assert all((farm / f).exists() for f in data["files"])
    assert git(farm, "log", "--oneline").count("\n") == 2


def test_detached_head_writes_without_committing(farm):
    git(farm, "checkout", "-q", "--detach")
    result = run_farm("capture", "--title", "t one", "--what", "w", "--rule", "r", "--kind", "prompt", "--yes")
    assert result.code == 0
    assert "HEAD is detached" in result.out


def test_secrets_in_what_never_reach_the_commit(farm):
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    data = capture(what=f"The agent printed GITHUB_TOKEN={token} into the log.").json()
    for path in data["files"]:
        assert token not in (farm / path).read_text()
    assert token not in git(farm, "show", data["commit"])


def test_two_branches_capture_and_merge_cleanly(farm):
    git(farm, "checkout", "-q", "-b", "a")
    a = capture(kind="skill", title="Branch a miss", what="Migrations were skipped.", rule="Run migrations.").json()
    git(farm, "checkout", "-q", "main")
    git(farm, "checkout", "-q", "-b", "b")
    b = capture(kind="grader", title="Branch b miss", what="Changelog entry missing.", rule="Add a changelog entry.",
                ).json() if False else run_farm(
        "capture", "--title", "Branch b miss", "--what", "Changelog entry missing.", "--rule", "Add a changelog entry.",
        "--kind", "grader", "--must-match", "CHANGELOG", "--yes", "--json").json()
    git(farm, "checkout", "-q", "main")
    git(farm, "merge", "-q", "--no-edit", "a")
    merge = subprocess.run(["git", "merge", "--no-edit", "b"], cwd=farm, capture_output=True, text=True)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    ids = {row["id"] for row in run_farm("status", "--json").json()["corrections"]}
    assert {a["id"], b["id"]} <= ids


@pytest.mark.parametrize("title, message", [
    ("", "--title is empty"),
    ("x" * 10_000, "at most 200"),
    ("\x1b[31m\x07", "--title is empty"),
])
def test_bad_titles_are_one_line_errors(farm, title, message):
    result = capture(title=title)
    assert result.code == 2 and message in result.err
    assert result.err.count("\n") == 1
    assert git(farm, "status", "--porcelain") == ""


@pytest.mark.parametrize("title", ["../../etc/passwd", "🔥🔥🔥", "/abs/path\x00nul", "Déjà vu: ñ"])
def test_odd_titles_stay_inside_the_farm(farm, title):
    result = capture("--new", title=title)
    assert result.code == 0, result.err
    data = result.json()
    for path in data["files"]:
        assert (farm / path).resolve().is_relative_to(farm)
    assert "/" not in data["id"] and "." not in data["id"]


def test_unknown_kind_is_a_usage_error(farm):
    result = capture(kind="poem")
    assert result.code == 2 and "poem" in result.err and "Traceback" not in result.err


def test_corrupt_correction_elsewhere_is_named_and_capture_still_works(farm):
    (farm / "corrections" / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    result = capture()
    assert result.code == 0
    assert "corrections/broken.md" in result.err and "warning" in result.err
    status = run_farm("status", "--json")
    assert status.code == 0 and len(status.json()["corrections"]) == 1
    committed = git(farm, "show", "--name-only", "--format=", result.json()["commit"]).split()
    assert "corrections/broken.md" not in committed


def test_capture_outside_a_git_repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = capture()
    assert result.code == 2 and "git" in result.err


def test_unborn_branch_capture_commits_only_farm_files(tmp_path, monkeypatch):
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    monkeypatch.chdir(repo)
    run_farm("init")
    (repo / "other.txt").write_text("x")
    git(repo, "add", "other.txt")
    data = capture().json()
    committed = git(repo, "show", "--name-only", "--format=", data["commit"]).split()
    assert sorted(committed) == sorted(data["files"])
    assert "A  other.txt" in git(repo, "status", "--porcelain")


def test_event_files_are_json_and_name_their_correction(farm):
    data = capture().json()
    event = next(f for f in data["files"] if "/log/" in f)
    payload = json.loads((farm / event).read_text())
    assert payload["type"] == "miss" and payload["correction"] == data["id"]


def test_retire_closes_a_correction_and_takes_its_prompt_line_out(farm):
    keep = capture("--new", title="Keep me", what="Kept.", rule="Rule that stays.").json()["id"]
    gone = capture("--new", title="Retire me", what="Gone.", rule="Rule that goes.").json()["id"]
    result = run_farm("retire", gone, "--why", "superseded by a test", "--json")
    assert result.code == 0, result.err
    agents = (farm / "AGENTS.md").read_text()
    assert "Rule that stays." in agents and "Rule that goes." not in agents
    rows = {r["id"]: r["status"] for r in run_farm("status", "--json").json()["corrections"]}
    assert rows[gone] == "retired" and rows[keep] != "retired"
    assert git(farm, "status", "--porcelain") == ""
    assert run_farm("retire", gone, "--why", "again").code == 2
    assert "no correction" in run_farm("retire", "nope", "--why", "x").err


def test_gitignored_artifact_is_written_and_the_rest_still_committed(farm):
    (farm / ".gitignore").write_text((farm / ".gitignore").read_text() + "CLAUDE.md\n")
    git(farm, "commit", "-qam", "ignore CLAUDE.md")
    result = run_farm("capture", "--title", "Ignored file", "--what", "w", "--rule", "Rule for agents.",
                      "--kind", "prompt", "--yes")
    assert result.code == 0 and ".gitignore excludes them: CLAUDE.md" in result.out
    assert "Rule for agents." in (farm / "CLAUDE.md").read_text()
    assert "AGENTS.md" in git(farm, "show", "--name-only", "--format=", "HEAD")


def test_retire_keeps_a_persons_comments_and_wording_in_the_file(farm):
    """attack round 2 (LOW): retire rewrote the whole file and dropped hand-written YAML comments."""
    cid = capture("--new").json()["id"]
    path = farm / "corrections" / f"{cid}.md"
    text = path.read_text().replace("tags: []", "tags: [] # team tags").replace("---\n", "---\n# reviewed by bob\n", 1)
    path.write_text(text)
    git(farm, "commit", "-qam", "hand edit")
    assert run_farm("retire", cid, "--why", "done").code == 0
    after = path.read_text()
    assert "# reviewed by bob" in after and "tags: [] # team tags" in after and "status: retired" in after
    assert after.replace("status: retired", "status: active") == text
