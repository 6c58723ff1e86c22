import json

from conftest import git, run_farm


def grader(*flags, title="A rule"):
    result = run_farm("capture", "--title", title, "--what", f"{title} was broken.", "--rule", f"{title} must hold.",
                      "--kind", "grader", "--new", "--yes", "--json", *flags)
    assert result.code == 0, result.err
    return result.json()["id"]


def test_regex_heading_and_command_rules(farm):
    docs = farm / "docs"
    docs.mkdir()
    page = docs / "page.md"
    page.write_text("# Intro\n\nSee CHANGELOG.\nTODO: fix\n")
    must = grader("--must-match", r"CHANGELOG", "--applies-to", "docs/*.md", title="Changelog link")
    never = grader("--must-not-match", r"TODO", "--applies-to", "docs/*.md", title="No todo")
    heading = grader("--require-heading", "Usage", "--applies-to", "docs/*.md", title="Usage heading")
    cmd = grader("--check-cmd", "grep -q Intro {path}", "--applies-to", "docs/*.md", title="Intro grep")
    result = run_farm("check", "docs/page.md", "--json")
    assert result.code == 1
    hits = {(v["correction"], v["line"]) for v in result.json()["violations"]}
    assert hits == {(never, 4), (heading, 1)}
    page.write_text("# Intro\n\n## Usage\n\nSee CHANGELOG.\n")
    assert run_farm("check", "docs/page.md").code == 0
    page.write_text("## Usage\n")
    failed = {v["correction"] for v in run_farm("check", "docs/page.md", "--json").json()["violations"]}
    assert failed == {must, cmd}


def test_rules_apply_only_to_their_globs_and_default_to_tracked_files(farm):
    grader("--must-not-match", "forbidden", "--applies-to", "src/*.py", title="No forbidden")
    (farm / "src").mkdir()
    (farm / "src" / "a.py").write_text("forbidden = 1\n")
    (farm / "notes.txt").write_text("forbidden\n")
    git(farm, "add", "src/a.py", "notes.txt")
    result = run_farm("check")
    assert result.code == 1
    assert result.out.startswith("src/a.py:1: ") and "notes.txt" not in result.out


def test_missing_path_and_broken_rule_file(farm):
    assert run_farm("check", "nope.md").err.startswith("farm: nope.md: no such file")
    rules = farm / "corrections" / "graders"
    rules.mkdir(exist_ok=True)
    (rules / "bad.yml").write_text("correction: x\nmust_match: ['(']\n")
    (farm / "ok.md").write_text("x")
    result = run_farm("check", "ok.md")
    assert result.code == 0 and "bad.yml" in result.err


def test_bad_regex_is_refused_at_capture(farm):
    result = run_farm("capture", "--title", "t", "--what", "w", "--rule", "r", "--kind", "grader",
                      "--must-match", "(", "--yes")
    assert result.code == 2 and "not a valid regex" in result.err


def test_match_batch_mode_prints_one_json_object_per_line(farm):
    grader("--must-match", "x", title="Agent deletes failing tests")
    result = run_farm("match", "-", "--json", input="the agent deleted the failing tests\n\nunrelated npm crash\n")
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert len(lines) == 3 and all(set(line) == {"matches"} for line in lines)
    assert lines[0]["matches"][0]["title"] == "Agent deletes failing tests"


def test_staged_checks_the_index_and_records_one_catch_per_violation(farm, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    correction = grader("--must-not-match", "DROP TABLE", "--applies-to", "*.sql", title="No drop table")
    (farm / "m.sql").write_text("DROP TABLE users;\n")
    git(farm, "add", "m.sql")
    (farm / "m.sql").write_text("SELECT 1;\n")  # the working tree is fine; the staged content is not
    assert run_farm("check", "m.sql").code == 0
    first = run_farm("check", "--staged", "--json")
    assert first.code == 1 and len(first.json()["catches_recorded"]) == 1
    for _ in range(3):
        again = run_farm("check", "--staged", "--json")
        assert again.code == 1 and again.json()["catches_recorded"] == []
    rows = {r["id"]: r for r in run_farm("status", "--json").json()["corrections"]}
    assert rows[correction]["catches"] == 1
    by_hand = run_farm("check", "--json", str(farm / "m.sql"))
    assert by_hand.json()["catches_recorded"] == []


def test_match_sees_a_hand_edit_after_the_matcher_was_cached(farm):
    cid = grader("--must-match", "x", title="Agent deletes failing tests")
    first = run_farm("match", "zebra quokka migration", "--json").json()["matches"]
    assert all(m["title"] == "Agent deletes failing tests" for m in first)
    path = farm / "corrections" / f"{cid}.md"
    path.write_text(path.read_text().replace("title: Agent deletes failing tests", "title: Zebra quokka migration broke"))
    second = run_farm("match", "zebra quokka migration", "--json").json()["matches"]
    assert second[0]["title"] == "Zebra quokka migration broke"


def test_staged_content_keeps_its_last_newline_and_farm_records_are_not_checked(farm, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    grader("--must-match", r"end\n\Z", "--applies-to", "**", title="Ends with end and a newline")
    (farm / "notes.txt").write_text("the end\n")
    git(farm, "add", "notes.txt")
    result = run_farm("check", "--staged", "--json")
    assert result.code == 0, result.out
    assert result.json()["checked"] == ["notes.txt"]  # not corrections/*.md nor corrections/graders/*
