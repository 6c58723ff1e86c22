"""The site as a new user meets it: an empty farm, one correction, tables and search text, and
builds that recover (attack M12), a serve that survives a dangling link."""

from __future__ import annotations

import json
import os
import re
import socket

from conftest import capture, git, run_farm


def build(*args: str) -> dict:
    result = run_farm("site", "build", "--json", *args)
    assert result.code == 0, result.err
    return result.json()


def page(root, name: str) -> str:
    return (root / "site" / name).read_text(encoding="utf-8")


def test_an_empty_farm_shows_how_to_start(farm):
    build()
    home = page(farm, "index.html")
    assert "Get started" in home and "farm capture" in home
    assert "All 0 corrections" not in home and "$0.00 from 0" not in home


def test_one_correction_draws_no_lone_dot(farm):
    capture("--cost", "2.50")  # a miss with a cost, today: one point on the chart
    build()
    home = page(farm, "index.html")
    assert "charts/cost.svg" not in home  # one point is no chart
    assert "Too little history for a chart yet" in home


def test_table_cells_are_spaced_for_search_and_labelled_for_phones(farm):
    capture()
    build()
    index = json.loads(page(farm, "search/search_index.json"))
    text = " ".join(doc["text"] for doc in index["docs"])
    assert "titlekind" not in text and "kindstatus" not in text
    assert "(exposure)0" not in text and "Sessions since it landed (exposure) 0" in text  # a figure's label and value apart
    assert 'data-label="avoided"' in page(farm, "corrections/index.html")


def test_charts_have_a_phone_version(farm):
    from farm.site.charts import cost_chart

    series = [("2026-11-02", 1.0, 0.0), ("2026-11-09", 2.0, 3.0)]
    small, large = cost_chart(series, small=True), cost_chart(series)
    assert 'width="400"' in small or "viewBox=\"0 0 400" in small
    assert small != large


def test_a_failed_build_does_not_leave_the_site_stale(farm):  # attack M12
    cid = capture().json()["id"]
    build()
    path = farm / "corrections" / f"{cid}.md"
    path.write_text(re.sub(r"^title: .*$", "title: NEW TITLE", path.read_text(), count=1, flags=re.M))
    good = (farm / "mkdocs.yml").read_text()
    (farm / "mkdocs.yml").write_text(good + "theme: {name: nope}\n")
    assert run_farm("site", "build").code == 2
    (farm / "mkdocs.yml").write_text(good)
    build()
    assert "NEW TITLE" in page(farm, "index.html")


def test_deleted_pages_come_back(farm):  # attack M12
    import shutil

    cid = capture().json()["id"]
    build()
    shutil.rmtree(farm / "site" / "corrections")
    report = build()
    assert report["render"] != "none"
    assert (farm / "site" / "corrections" / f"{cid}.html").exists()


def test_serve_survives_a_dangling_link_in_the_skills_folder(farm):
    from farm.project import open_farm
    from farm.site.build import watched_signature

    skills = farm / ".claude" / "skills" / "gone"
    skills.mkdir(parents=True)
    os.symlink(farm / "nowhere" / "SKILL.md", skills / "SKILL.md")
    assert watched_signature(open_farm(farm))  # no OSError


def test_a_port_in_use_is_still_said_as_such(farm):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_farm("site", "serve", "--port", str(port))
    assert result.code == 2 and f"cannot serve on 127.0.0.1:{port}" in result.err and "try --port" in result.err


def test_leaking_recurrence_cost_is_unknown_without_costs(farm):
    from farm.site.pages import _recurrence_cost
    from types import SimpleNamespace as NS

    event = NS(type="recurrence", cost_usd=None)
    view = NS(tracked=NS(events=[event], recurrence_cost_usd=0.0))
    assert _recurrence_cost(view) is None
    view.tracked.events = [NS(type="recurrence", cost_usd=2.5)]
    view.tracked.recurrence_cost_usd = 2.5
    assert _recurrence_cost(view) == 2.5
    git(farm, "status")


def test_spend_page_says_which_sessions_it_counts(farm):
    folder = farm / "corrections" / "log" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "claude-s1.json").write_text(json.dumps({"agent": "claude", "session_id": "s1", "start": "2026-11-20T10:00:00Z",
                                                        "task_type": "docs", "commits": [], "cost_usd": 1.5}))
    git(farm, "add", "-A")
    git(farm, "commit", "-q", "-m", "summaries")
    build()
    spend = page(farm, "spend.html")
    assert "the whole team" in spend and "farm spend" in spend


def test_audit_evidence_reads_as_words_and_money():
    from farm.site.pages import audit_page

    body = audit_page([{"kind": "leaking", "title": "x recurred", "next_step": "make it a test",
                        "evidence": {"recurrences_after": 2, "cost_of_recurrences_usd": 12.58}}],
                      lambda src, dest, fragment: dest).body
    assert "recurrences after" in body and "cost of recurrences</strong>: $12.58" in body
    assert "recurrences_after" not in body


def test_a_skill_shows_its_text_once_for_both_folders(farm):
    cid = capture("--kind", "skill", kind="skill").json()["id"]
    build()
    body = page(farm, f"corrections/{cid}.html")
    assert body.count("(the same text as above)") == 1
    assert ".agents/skills/" in body and ".claude/skills/" in body
