from conftest import capture, run_farm


def test_status_of_one_correction_shows_its_history(farm):
    data = capture().json()
    text = run_farm("status", data["id"])
    assert text.code == 0 and "miss" in text.out and "landed" in text.out
    one = run_farm("status", data["id"], "--json").json()
    assert one["id"] == data["id"] and [e["type"] for e in one["events"]] == ["miss"]
    assert run_farm("status", "no-such-id").code == 2


def test_uncommitted_correction_has_not_landed(farm):
    data = capture("--no-commit").json()
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["id"] == data["id"] and row["landed_at"] is None and row["status"] == "unproven"


def test_status_json_follows_the_contract(farm):
    capture()
    row = run_farm("status", "--json").json()["corrections"][0]
    for key in ("id", "title", "kind", "status", "landed_at", "misses_before", "exposure_sessions",
                "recurrences_after", "catches", "origin_cost_usd", "est_cost_avoided_usd"):
        assert key in row


def _session(farm, n, start, task_type="docs", commits=()):
    import json

    folder = farm / "corrections" / "log" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"claude-s{n}.json").write_text(json.dumps(
        {"agent": "claude", "session_id": f"s{n}", "start": start, "task_type": task_type, "commits": list(commits)}))


def test_tracker_arithmetic_from_sessions_and_events(farm):
    import json
    from datetime import datetime, timedelta, timezone

    from conftest import git

    data = capture("--task-type", "docs").json()
    event = next(farm / f for f in data["files"] if "/log/" in f)
    payload = json.loads(event.read_text())
    payload["cost_usd"] = 2.0
    event.write_text(json.dumps(payload))
    past = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    for n in range(4):
        _session(farm, n, past)
    for n in range(4, 10):
        _session(farm, n, future, commits=["abc"] if n % 2 else ())
    _session(farm, 99, future, task_type="refactor")  # another task type: not exposure
    git(farm, "add", "-A")
    git(farm, "commit", "-q", "-m", "sessions")
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["sessions_before"] == 4 and row["exposure_sessions"] == 6 and row["exposure_loops"] == 3
    assert row["misses_before"] == 1 and row["status"] == "holding"
    assert row["expected_repeats"] == 1.5 and row["est_cost_avoided_usd"] == 3.0

    log = farm / "corrections" / "log" / "late.json"
    log.write_text(json.dumps({"type": "recurrence", "correction": data["id"], "at": future, "cost_usd": 4.0}))
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["status"] == "leaking" and row["recurrences_after"] == 1
    assert row["est_cost_avoided_usd"] == 1.5  # (1.5 expected - 1 happened) x median(2, 4)


def test_cost_avoided_is_unknown_without_sessions_before_landing(farm):
    data = capture().json()
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["id"] == data["id"]
    assert row["est_cost_avoided_usd"] is None and row["expected_repeats"] is None
