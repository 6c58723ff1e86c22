import pytest
from conftest import run_farm

from farm.demo import build_demo


@pytest.fixture
def demo(tmp_path, monkeypatch):
    info = build_demo(tmp_path / "demo")
    monkeypatch.chdir(info.root)
    return info


def test_demo_farm_shows_every_verdict_with_its_evidence(demo):
    rows = {r["id"]: r for r in run_farm("status", "--json").json()["corrections"]}
    status = {key: rows[cid]["status"] for key, cid in demo.ids.items()}
    assert status == {"takeaway": "holding", "deleted-tests": "holding", "claims-green": "improved",
                      "stale-lockfile": "leaking", "crlf": "unproven", "migration-order": "unproven",
                      "verbose-comments": "retired"}
    takeaway = rows[demo.ids["takeaway"]]
    assert takeaway["catches"] == 3 and takeaway["misses_before"] == 4 and takeaway["before_k"] == 4
    assert takeaway["before_n"] >= 20 and takeaway["p_value"] <= 0.1  # a rate from a real record
    for row in rows.values():
        claimed = row["est_cost_avoided_usd"]
        if row["status"] in ("holding", "improved"):
            assert row["est_cost_avoided_low_usd"] <= claimed <= row["est_cost_avoided_high_usd"]
            # never more than one miss avoided per session since, at the dearest miss of the demo
            assert claimed <= row["after_n"] * row["median_miss_cost_usd"]
        else:
            assert claimed is None
    total = sum(r["est_cost_avoided_usd"] or 0 for r in rows.values())
    missed = sum(r["misses_before"] for r in rows.values())
    assert 0 < total < 100 and missed >= 15  # a claim the record supports, not $154.88 from 2 misses
    leaking = rows[demo.ids["stale-lockfile"]]
    assert leaking["recurrences_after"] == 2 and leaking["recurrence_cost_usd"] > 0
    assert rows[demo.ids["claims-green"]]["after_k"] == 1


def test_demo_misses_are_dated_by_and_costed_from_their_sessions(demo):
    import json

    sessions = {}
    for path in (demo.root / "corrections" / "log" / "sessions").glob("*.json"):
        data = json.loads(path.read_text())
        sessions[data["session_id"]] = data
    events = [json.loads(p.read_text()) for p in (demo.root / "corrections" / "log").glob("20*/*.json")]
    misses = [e for e in events if e["type"] in ("miss", "recurrence")]
    assert misses and all(e["session_id"] in sessions for e in misses)
    assert all(e["cost_usd"] == sessions[e["session_id"]]["cost_usd"] for e in misses)
    assert all(e["at"][:10] == sessions[e["session_id"]]["start"][:10] for e in misses if e.get("data", {}).get("source"))
    assert any(e.get("data", {}).get("source") == "moment" for e in misses)


def test_audit_names_the_leak_first_with_evidence_and_a_next_step(demo):
    result = run_farm("audit", "--json")
    assert result.code == 0, result.err
    findings = result.json()["findings"]
    assert findings[0]["kind"] == "leaking"
    assert findings[0]["evidence"]["correction"] == demo.ids["stale-lockfile"]
    assert findings[0]["evidence"]["recurrences_after"] == 2
    assert "test or grader" in findings[0]["next_step"]
    kinds = {f["kind"] for f in findings}
    assert "rising-loop-cost" in kinds  # the demo's loops get dearer week by week
    assert all(f["next_step"] and f["evidence"] for f in findings)
    text = run_farm("audit")
    assert text.code == 0 and "leaking" in text.out


def test_audit_text_fits_80_columns_and_shows_the_evidence(tmp_path, monkeypatch):
    from farm.demo import build_demo

    build_demo(tmp_path / "demo")
    monkeypatch.chdir(tmp_path / "demo")
    monkeypatch.setenv("COLUMNS", "80")
    text = run_farm("audit").out
    assert max(len(line) for line in text.splitlines()) <= 80
    flat = " ".join(text.split())
    assert "evidence: " in flat and "cost of recurrences $" in flat and "next: " in flat


def test_audit_finds_look_alike_corrections(farm):
    for title in ("Agent deletes failing tests instead of fixing them", "Agent deleted the failing tests to make CI pass"):
        run_farm("capture", "--title", title, "--what", "The agent removed failing test files instead of fixing the code.",
                 "--rule", "Never delete failing tests.", "--kind", "prompt", "--new", "--yes")
    findings = run_farm("audit", "--json").json()["findings"]
    assert [f["kind"] for f in findings] == ["look-alike"]
    assert len(findings[0]["evidence"]["corrections"]) == 2


def test_demo_command_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("mine")
    result = run_farm("demo", str(tmp_path / "x"))
    assert result.code == 2 and "not empty" in result.err
    ok = run_farm("demo", str(tmp_path / "new"))
    assert ok.code == 0 and "farm status" in ok.out
