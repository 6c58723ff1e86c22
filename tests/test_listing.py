"""Listings that fit a terminal, short ids and prefixes everywhere, one --json/--csv option, a footer for loose files."""

import csv
import io
import json

from conftest import capture, git, run_farm

LONG = "Agent rewrote the whole lockfile when only one dependency needed a bump in the monorepo"


def _three(farm):
    a = capture(title=LONG, what="The lockfile diff had 4,000 lines.", rule="Regenerate only the bumped package.").json()
    b = capture("--new", title=LONG, what="Again a huge lockfile diff.", rule="Bump one package at a time.").json()
    c = capture("--kind", "grader", "--must-not-match", "TODO", kind="grader", title="Draft kept a TODO marker",
                what="The post shipped with TODO in it.", rule="No TODO in posts.").json()
    return a["id"], b["id"], c["id"]


def test_status_fits_80_columns_with_short_unique_ids(farm, monkeypatch):
    a, b, c = _three(farm)
    monkeypatch.setenv("COLUMNS", "80")
    out = run_farm("status").out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert a[-6:] in out and b[-6:] in out and a not in out  # the same slug twice: told apart by the suffix
    assert "…" in out  # the long title was cut, not wrapped
    wide = run_farm("status", "--wide").out
    assert a in wide and LONG in wide


def test_piped_output_keeps_whole_ids_and_no_colour(farm):
    a, _, _ = _three(farm)
    out = run_farm("list").out
    assert a in out and LONG in out and "\x1b[" not in out


def test_filters_and_sort(farm):
    _, _, c = _three(farm)
    graders = run_farm("list", "--kind", "grader", "--json").json()["corrections"]
    assert [r["id"] for r in graders] == [c]
    assert run_farm("list", "--status", "leaking", "--json").json() == {"corrections": []}
    assert "No corrections match." in run_farm("list", "--status", "holding").out
    titles = [r["title"] for r in run_farm("list", "--sort", "title", "--json").json()["corrections"]]
    assert titles == sorted(titles, key=str.lower)


def test_one_csv_option_across_listings(farm):
    a, _, _ = _three(farm)
    rows = list(csv.DictReader(io.StringIO(run_farm("status", "--csv").out)))
    assert len(rows) == 3 and {"id", "status", "landed_at"} <= set(rows[0]) and a in {r["id"] for r in rows}
    both = run_farm("list", "--json", "--csv")
    assert both.code == 2 and "one of --json and --csv" in both.err
    for command in (["spend", "--by", "model"], ["sessions", "list"], ["sessions", "moments"], ["inbox"]):
        result = run_farm(*command, "--csv")
        assert result.code == 0, (command, result.err)


def test_prefixes_and_suffixes_name_a_correction_everywhere(farm):
    a, b, c = _three(farm)
    assert run_farm("show", c[-6:], "--json").json()["id"] == c
    shown = run_farm("show", c[-6:]).out
    assert "rule: No TODO in posts." in shown and f"corrections/{c}.md" in shown and "corrections/graders/" in shown
    assert run_farm("status", c[:10], "--json").json()["id"] == c
    ambiguous = run_farm("show", "agent-rewrote")
    assert ambiguous.code == 2 and "ambiguous" in ambiguous.err and a in ambiguous.err and b in ambiguous.err
    unknown = run_farm("show", "zzzz-nothing")
    assert unknown.code == 2 and "no correction" in unknown.err
    retired = run_farm("retire", c[-6:], "--why", "posts moved to another repo", "--json")
    assert retired.code == 0, retired.err
    assert run_farm("show", c, "--json").json()["status"] == "retired"


def test_show_labels_times_with_their_zone(farm, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    import time

    time.tzset()
    try:
        data = capture().json()
        out = run_farm("show", data["id"]).out
        assert " EST" in out or " EDT" in out
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_status_footer_names_uncommitted_farm_files_and_the_command(farm):
    capture()
    (farm / "corrections" / "log" / "sessions").mkdir(parents=True, exist_ok=True)
    (farm / "corrections" / "log" / "sessions" / "claude-s1.json").write_text(json.dumps({"agent": "claude", "session_id": "s1"}))
    out = run_farm("status").out
    assert "Not committed yet: 1 farm file(s):\n  corrections/log/sessions/claude-s1.json" in out
    assert "git add corrections" in out
    git(farm, "add", "-A")
    git(farm, "commit", "-q", "-m", "sessions")
    assert "Not committed" not in run_farm("status").out


def _stored_sessions(isolated_env, ids):
    folder = isolated_env / ".claude" / "projects" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for n, sid in enumerate(ids):
        line = {"sessionId": sid, "cwd": "/work/demo", "type": "assistant", "timestamp": f"2026-11-20T10:0{n}:00Z",
                "requestId": f"r{n}", "message": {"id": f"m{n}", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                                                  "content": [], "usage": {"input_tokens": 10, "output_tokens": 5}}}
        (folder / f"{sid}.jsonl").write_text(json.dumps(line, separators=(",", ":")) + "\n")
    assert run_farm("sessions", "import").code == 0


def test_session_prefixes_short_ambiguous_and_listed_unique(farm, isolated_env):
    ids = ["019a0000-aaaa-7000-8000-000000000001", "019a0000-bbbb-7000-8000-000000000002",
           "79bffa46-0000-4000-8000-000000000003"]
    _stored_sessions(isolated_env, ids)
    assert run_farm("sessions", "show", "79bf", "--json").json()["session_id"] == ids[2]
    ambiguous = run_farm("sessions", "show", "019a0000")
    assert ambiguous.code == 2 and "ambiguous" in ambiguous.err and ids[0] in ambiguous.err
    listed = run_farm("sessions", "list").out
    assert "019a0000-a " in listed and "019a0000-b " in listed  # the shortest prefix that tells them apart
    shown = run_farm("sessions", "show", ids[2]).out
    assert "['" not in shown and "price_unknown: no" in shown


def test_session_summaries_written_say_how_to_commit_them(farm, isolated_env):
    (farm / "farm.toml").write_text("record_sessions = true\n")
    folder = isolated_env / ".claude" / "projects" / "here"
    folder.mkdir(parents=True)
    line = {"sessionId": "aa11bb22-0000-4000-8000-000000000009", "cwd": str(farm), "type": "assistant",
            "timestamp": "2026-11-20T10:00:00Z", "requestId": "r1",
            "message": {"id": "m1", "model": "claude-sonnet-4-5-20250929", "role": "assistant", "content": [],
                        "usage": {"input_tokens": 10, "output_tokens": 5}}}
    (folder / "aa11bb22-0000-4000-8000-000000000009.jsonl").write_text(json.dumps(line, separators=(",", ":")) + "\n")
    out = run_farm("sessions", "import").out
    assert "wrote 1 session summaries" in out and "git add corrections/log/sessions" in out
    assert "Not committed yet: 1 farm file(s):" in run_farm("status").out


def test_fields_the_tracker_gains_are_shown_and_still_fit(monkeypatch):
    from datetime import datetime, timezone
    from types import SimpleNamespace as NS

    from farm.commands.status import _table

    when = datetime(2026, 11, 1, tzinfo=timezone.utc)
    rows = [NS(id=f"agent-skipped-the-linter-{n:06x}", status="improved", verdict="improved: 1 in 9 after, 4 in 9 before",
               kind="prompt", landed_at=when, created=when, recurrences_after=1, before_k=4, before_n=9, after_k=1,
               after_n=9, origin_cost_usd=2.0, est_cost_avoided_usd=3.5, title=LONG) for n in range(3)]
    monkeypatch.setenv("COLUMNS", "80")
    import click

    narrow = click.unstyle(_table(rows, wide=False))  # click.echo drops the colour off a terminal
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "Agent rewrote the whole lockfile" in narrow  # the title keeps room
    wide = _table(rows, wide=True)
    assert "4/9" in wide and "1/9" in wide and "improved: 1 in 9 after" in wide and LONG in wide


def test_a_mistyped_command_gets_a_suggestion():
    result = run_farm("stat")
    assert result.code == 2 and "Did you mean 'status'?" in result.err


def test_an_empty_match_is_an_error(farm):
    result = run_farm("match", "  ")
    assert result.code == 2 and "TEXT is empty" in result.err


def test_a_secret_in_a_hand_edited_title_is_not_printed(farm):
    import re

    data = capture().json()
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    path = farm / "corrections" / f"{data['id']}.md"
    path.write_text(re.sub(r"^title: .*$", f"title: Leaked {token}", path.read_text(), count=1, flags=re.M))
    assert token not in run_farm("list").out and token not in run_farm("show", data["id"]).out


def test_history_shows_the_verdict_and_interval_when_the_tracker_has_them(capsys):
    from datetime import datetime, timezone
    from types import SimpleNamespace as NS

    from farm.commands.status import _history

    when = datetime(2026, 11, 1, tzinfo=timezone.utc)
    fields = dict(id="a-000001", title="A miss", kind="prompt", status="holding", created=when, landed_at=when,
                  misses_before=1, exposure_sessions=10, recurrences_after=0, catches=0, origin_cost_usd=2.0,
                  est_cost_avoided_usd=4.0, est_cost_avoided_low_usd=1.0, est_cost_avoided_high_usd=9.0,
                  verdict="before: 1 in 4 sessions, after: 0 in 10: a recurrence was likely by now", events=[])
    t = NS(**fields, as_json=lambda: {k: v for k, v in fields.items() if k != "events"})
    _history(t)
    out = capsys.readouterr().out
    assert "why holding: before: 1 in 4 sessions, after: 0 in 10" in out and "90% interval $1.00–$9.00" in out
