"""`farm capture` asked like `git commit`: session, miss, matches with their rules, then the rest, then a review."""

import json

import yaml

from conftest import git, run_farm

FIRST = "Agent deleted the failing migration tests\nThe agent removed tests/test_migrations.py so the suite passed.\n\n"  # no cost


def _first(farm, tags="\n"):
    answers = FIRST + "Never delete a failing test to make the suite pass.\nprompt\ntest repair\n" + tags + "y\n"
    result = run_farm("capture", input=answers)
    assert result.code == 0, result.err
    return next(p for p in (farm / "corrections").glob("*.md"))


def test_task_type_and_tags_are_asked_and_kept(farm):
    path = _first(farm, tags="migrations, ci\n")
    meta = yaml.safe_load(path.read_text().split("---")[1])
    assert meta["task_type"] == "test repair"
    assert meta["tags"] == ["migrations", "ci"]


def test_matches_come_first_with_their_rules_and_the_rule_is_never_asked_for_a_recurrence(farm):
    _first(farm)
    result = run_farm("capture", input="Agent deleted the failing migration tests again\n"
                      "Again the agent removed the failing migration tests so the suite passed.\n\n1\ny\n")
    assert result.code == 0, result.err
    assert "rule: Never delete a failing test" in result.err
    assert "The rule that prevents it" not in result.err  # nothing typed only to be dropped
    assert "Recorded a recurrence of agent-deleted-the-failing-migration-tests-" in result.out
    assert len(list((farm / "corrections").glob("*.md"))) == 1


def test_picking_new_asks_the_rule_and_makes_a_second_correction(farm):
    _first(farm)
    result = run_farm("capture", input="Agent deleted the failing migration tests again\n"
                      "Again the agent removed the failing migration tests.\n4.5\nn\nKeep the tests.\nprompt\n\n\ny\n")
    assert result.code == 0, result.err
    assert "Captured" in result.out
    assert len(list((farm / "corrections").glob("*.md"))) == 2
    costs = [r["origin_cost_usd"] for r in run_farm("status", "--json").json()["corrections"]]
    assert sorted(costs, key=lambda c: c or 0) == [None, 4.5]  # the cost a person typed is kept


def test_cost_by_flag_when_no_session_says_it(farm):
    data = run_farm("capture", "--title", "t one", "--what", "w", "--rule", "r", "--kind", "prompt", "--cost", "3.25",
                    "--yes", "--json").json()
    row = run_farm("show", data["id"], "--json").json()
    assert row["origin_cost_usd"] == 3.25 and row["events"][0]["cost_usd"] == 3.25


def test_without_a_terminal_a_question_is_an_error_naming_the_flags(farm):
    result = run_farm("capture", input="")
    assert result.code == 2
    assert "stdin is not a terminal" in result.err and "--title" in result.err
    assert "Aborted" not in result.err
    _first(farm)
    again = run_farm("capture", "--title", "Agent deleted the failing migration tests again",
                     "--what", "Again the agent removed the failing migration tests so the suite passed.",
                     "--rule", "r", "--kind", "prompt", input="")
    assert again.code == 2 and "--yes" in again.err and "--new" in again.err
    assert git(farm, "status", "--porcelain") == ""


def test_dry_run_shows_the_files_and_writes_nothing(farm):
    head = git(farm, "rev-parse", "HEAD")
    result = run_farm("capture", "--title", "Draft lost its takeaway", "--what", "The point vanished.",
                      "--rule", "Keep the takeaway.", "--kind", "prompt", "--yes", "--dry-run")
    assert result.code == 0, result.err
    assert "AGENTS.md" in result.err and "corrections/draft-lost-its-takeaway-" in result.err
    assert "+- Keep the takeaway." in result.err  # the review shows the content
    assert "Dry run: nothing written." in result.out
    assert git(farm, "status", "--porcelain") == "" and git(farm, "rev-parse", "HEAD") == head
    data = run_farm("capture", "--title", "Draft lost its takeaway", "--what", "The point vanished.", "--rule", "Keep it.",
                    "--kind", "prompt", "--yes", "--dry-run", "--json").json()
    assert data["dry_run"] is True and data["commit"] is None and any(f.endswith(".md") for f in data["files"])
    assert git(farm, "status", "--porcelain") == ""


def test_declining_the_review_writes_nothing(farm):
    answers = FIRST + "Never delete a failing test.\nprompt\n\n\nn\n"
    result = run_farm("capture", input=answers)
    assert result.code == 0, result.err
    assert "Nothing written." in result.err
    assert git(farm, "status", "--porcelain") == ""


def test_every_grader_check_can_be_chosen(farm):
    answers = ("Agent skipped the migration test with pytest.mark.skip\nIt marked the failing test skip.\n\n"
               "Never skip a failing test.\ngrader\n2\n@pytest\\.mark\\.(skip\nu@pytest\\.mark\\.(skip|xfail)\n"
               "tests/**/*.py\n\n\ny\n")
    result = run_farm("capture", input=answers.replace("\nu@", "\n@"))
    assert result.code == 0, result.err
    assert "not a valid regex" in result.err  # the broken one was refused and asked again
    rule = yaml.safe_load(next((farm / "corrections/graders").glob("*.yml")).read_text())
    assert rule["must_not_match"] == ["@pytest\\.mark\\.(skip|xfail)"] and rule["applies_to"] == ["tests/**/*.py"]


def test_a_new_test_is_run_once_and_farm_says_it_fails_now(farm):
    data = run_farm("capture", "--title", "Agent wiped the fixtures", "--what", "rm -rf removed build/fixtures.",
                    "--rule", "Never delete fixtures.", "--kind", "test", "--check-cmd", "test -f fixtures/sample.json",
                    "--yes", "--json").json()
    assert data["test_fails_now"] is True
    text = run_farm("capture", "--title", "Readme went missing", "--what", "The agent removed the readme.",
                    "--rule", "Keep the readme.", "--kind", "test", "--check-cmd", "test -f README.md", "--yes", "--new")
    assert "passes already" in text.out


def _session_in(farm, home_claude, session_id="7d3c2b1a-1111-4222-8333-444455556666", prompt="make CI green"):
    folder = home_claude / "projects" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    base = {"sessionId": session_id, "cwd": str(farm), "gitBranch": "fix/ci-red", "version": "2.1.3"}
    lines = [
        {**base, "type": "user", "timestamp": "2026-11-20T10:00:00Z", "message": {"role": "user", "content": prompt}},
        {**base, "type": "assistant", "timestamp": "2026-11-20T10:00:05Z", "requestId": "req_1",
         "message": {"id": "msg_1", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                     "content": [{"type": "text", "text": "Done."}],
                     "usage": {"input_tokens": 1000, "output_tokens": 500}}},
    ]
    (folder / f"{session_id}.jsonl").write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    return session_id


def test_this_repos_latest_sessions_are_offered_after_importing_them(farm, isolated_env):
    session_id = _session_in(farm, isolated_env / ".claude")
    answers = "1\n" + FIRST + "Never delete a failing test.\nprompt\n\n\ny\n"
    result = run_farm("capture", input=answers)
    assert result.code == 0, result.err
    assert "1) " in result.err and "fix/ci-red" in result.err and "“make CI green”" in result.err
    text = next((farm / "corrections").glob("*.md")).read_text()
    assert f"session_id: {session_id}" in text


def test_last_attaches_the_latest_session_without_asking(farm, isolated_env):
    none = run_farm("capture", "--last", "--title", "t one", "--what", "w", "--rule", "r", "--kind", "prompt", "--yes")
    assert none.code == 2 and "--last" in none.err
    session_id = _session_in(farm, isolated_env / ".claude")
    data = run_farm("capture", "--last", "--title", "t one", "--what", "w", "--rule", "r", "--kind", "prompt",
                    "--yes", "--json").json()
    assert session_id in (farm / f"corrections/{data['id']}.md").read_text()


def test_everything_by_flags_asks_nothing_even_without_yes(farm):
    result = run_farm("capture", "--title", "Draft lost its takeaway", "--what", "The point vanished.",
                      "--rule", "Keep the takeaway.", "--kind", "prompt", input="")
    assert result.code == 0, result.err
    assert "Captured" in result.out and result.err == ""


def test_an_edited_description_survives_an_unfinished_capture(farm, tmp_path, monkeypatch):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "The agent deleted tests/test_migrations.py to pass CI.\\n" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    declined = run_farm("capture", input="Agent deleted the migration tests\n\n\nNever delete tests.\nprompt\n\n\nn\n")
    assert declined.code == 0 and "Nothing written." in declined.err
    monkeypatch.setenv("VISUAL", "true")  # the person just closes the editor this time
    again = run_farm("capture", input="Agent deleted the migration tests\n\n\nNever delete tests.\nprompt\n\n\ny\n")
    assert again.code == 0, again.err
    assert "unfinished capture" in again.err and "What went wrong: The agent deleted tests" in again.err
    text = next((farm / "corrections").glob("*.md")).read_text()
    assert "The agent deleted tests/test_migrations.py to pass CI." in text
    third = run_farm("capture", input="Another miss entirely\n\n")
    assert "unfinished capture" not in third.err  # used, so gone


def test_a_guard_is_asked_for_its_tool_and_pattern(farm):
    answers = ("Agent wiped a folder\nThe agent ran rm -rf on the build folder.\n\n"
               "Never rm -rf; move to a trash folder.\nguard\nBash\nrm\\s+-rf\n\n\ny\n")
    result = run_farm("capture", input=answers)
    assert result.code == 0, result.err
    assert "The tool it stops" in result.err and "An RE2 pattern" in result.err
    row = run_farm("list", "--json").json()["corrections"][0]
    assert row["kind"] == "guard"
    written = "".join(p.read_text() for p in (farm / "corrections").rglob("*") if p.is_file() and "guard" in p.read_text())
    assert "rm\\\\s+-rf" in written or "rm\\s+-rf" in written
