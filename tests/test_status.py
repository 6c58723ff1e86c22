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
