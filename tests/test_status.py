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


def _session(farm, n, start, task_type="docs", commits=(), cost=None):
    import json

    folder = farm / "corrections" / "log" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"claude-s{n}.json").write_text(json.dumps(
        {"agent": "claude", "session_id": f"s{n}", "start": start, "task_type": task_type, "commits": list(commits),
         "cost_usd": cost}))


def _when(days: float) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


def _event(farm, name, kind, correction, at, session=None, cost=None):
    import json

    payload = {"type": kind, "correction": correction, "at": at, "session_id": session, "cost_usd": cost}
    (farm / "corrections" / "log" / f"{name}.json").write_text(json.dumps(payload))


def _landed_with_history(farm, before: int, after: int, origin_cost=2.0):
    """A docs correction, landed now, with `before` docs sessions before it and `after` since."""
    import json

    from conftest import git

    data = capture("--task-type", "docs").json()
    event = next(farm / f for f in data["files"] if "/log/" in f)
    payload = json.loads(event.read_text())
    payload["cost_usd"] = origin_cost
    event.write_text(json.dumps(payload))
    for n in range(before):
        _session(farm, n, _when(-3))
    for n in range(before, before + after):
        _session(farm, n, _when(1), commits=["abc"] if n % 2 else (), cost=6.0)
    _session(farm, 99, _when(1), task_type="refactor")  # another task type: not exposure
    git(farm, "add", "-A")
    git(farm, "commit", "-q", "-m", "sessions")
    return data["id"]


def _row():
    return run_farm("status", "--json").json()["corrections"][0]


def test_holding_needs_exposure_that_made_a_recurrence_likely(farm):
    from conftest import git

    cid = _landed_with_history(farm, before=4, after=6)
    row = _row()
    assert row["sessions_before"] == 4 and row["exposure_sessions"] == 6 and row["exposure_loops"] == 3
    assert (row["before_k"], row["before_n"], row["after_k"], row["after_n"]) == (1, 4, 0, 6)
    # at 1 in 4, six clean sessions happen by chance 0.75^6 = 18% of the time: not enough
    assert row["status"] == "unproven" and row["p_value"] == round(0.75 ** 6, 4)
    assert row["est_cost_avoided_usd"] is None and row["expected_repeats"] == 1.5
    for n in range(10, 14):
        _session(farm, n, _when(1))
    git(farm, "add", "-A")
    git(farm, "commit", "-q", "-m", "more sessions")
    row = _row()
    assert row["status"] == "holding" and row["after_n"] == 10 and row["p_value"] == round(0.75 ** 10, 4)
    assert "1 in 4" in row["verdict"] and "0 in 10" in row["verdict"]
    assert row["expected_repeats"] == 2.5 and row["est_cost_avoided_usd"] == 5.0  # 2.5 x the $2 miss
    assert 0 < row["est_cost_avoided_low_usd"] < 5.0 < row["est_cost_avoided_high_usd"] <= 20.0  # 10 sessions x $2
    assert row["id"] == cid


def test_a_recurrence_that_is_not_clearly_rarer_is_a_leak_and_claims_nothing(farm):
    cid = _landed_with_history(farm, before=4, after=10)
    _event(farm, "late", "recurrence", cid, _when(1.5), session="s7")  # no cost of its own: its session's
    row = _row()
    assert row["status"] == "leaking" and (row["after_k"], row["after_n"]) == (1, 10)
    assert row["est_cost_avoided_usd"] is None and row["est_cost_avoided_high_usd"] is None
    assert row["recurrence_cost_usd"] == 6.0 and row["median_miss_cost_usd"] == 4.0  # median of $2 and $6


def test_fewer_recurrences_than_the_old_rate_predicts_is_improved(farm):
    cid = _landed_with_history(farm, before=6, after=10)
    for n, session in enumerate(("s1", "s2")):  # with the origin: 3 sessions in 6 had the miss
        _event(farm, f"early-{n}", "recurrence", cid, _when(-2.9), session=session, cost=2.0)
    _event(farm, "early-again", "recurrence", cid, _when(-2.8), session="s1", cost=2.0)  # the same session again
    _event(farm, "late", "recurrence", cid, _when(1.5), session="s9", cost=2.0)
    row = _row()
    assert (row["before_k"], row["before_n"], row["after_k"], row["after_n"]) == (3, 6, 1, 10)
    assert row["misses_before"] == 4 and row["recurrences_after"] == 1
    assert row["status"] == "improved" and row["p_value"] == round(11 / 1024, 4)
    assert row["est_cost_avoided_usd"] == 8.0  # (0.5 x 10 - 1) x $2


def test_two_misses_with_one_session_on_record_give_no_rate_and_no_claim(farm):
    cid = _landed_with_history(farm, before=1, after=40)
    _event(farm, "again", "recurrence", cid, _when(-2.5), cost=80.0)
    row = _row()
    assert (row["before_k"], row["before_n"], row["after_n"]) == (2, 1, 40)
    assert row["status"] == "unproven" and row["rate_before"] is None and "no rate" in row["verdict"]
    assert row["est_cost_avoided_usd"] is None and row["expected_repeats"] is None


def test_a_miss_with_no_sessions_on_record_says_so_instead_of_one_in_zero(farm):
    capture()
    row = _row()
    assert (row["before_k"], row["before_n"]) == (1, 0) and row["status"] == "unproven"
    assert "no sessions on record before it landed" in row["verdict"] and "in 0 sessions" not in row["verdict"]


def test_a_claim_never_exceeds_one_miss_per_session(farm):
    cid = _landed_with_history(farm, before=3, after=10)
    for n in range(3):  # with the origin, four misses in three sessions
        _event(farm, f"again-{n}", "recurrence", cid, _when(-2.5), session=f"s{n % 2}", cost=2.0)
    row = _row()
    assert (row["before_k"], row["before_n"]) == (3, 3) and row["misses_before"] == 4
    assert row["status"] == "holding" and row["est_cost_avoided_high_usd"] == 10 * 2.0


def test_retired_claims_nothing(farm):
    cid = _landed_with_history(farm, before=4, after=10)
    assert run_farm("retire", cid, "--why", "obsolete").code == 0
    row = _row()
    assert row["status"] == "retired" and row["est_cost_avoided_usd"] is None


def test_status_table_and_history_show_the_evidence(farm):
    cid = _landed_with_history(farm, before=4, after=10)
    table = run_farm("status").out
    assert "1/4" in table and "0/10" in table and "holding" in table
    one = run_farm("status", cid).out
    assert "before: 1 in 4 sessions, after: 0 in 10" in one


def test_wilson_interval_and_binomial_tail():
    from math import comb

    from farm.tracker import binomial_cdf, wilson

    low, high = wilson(0, 10, z=1.96)
    assert low == 0.0 and round(high, 4) == 0.2775  # the textbook 95% interval of 0 in 10
    low, high = wilson(3, 6)
    assert low < 0.5 < high and round(low + high, 6) == 1.0  # symmetric around one half
    exact = sum(comb(40, i) * 0.1 ** i * 0.9 ** (40 - i) for i in range(3))
    assert abs(binomial_cdf(2, 40, 0.1) - exact) < 1e-12
    assert abs(binomial_cdf(0, 20_000, 0.001) - 0.999 ** 20_000) < 1e-15
    assert binomial_cdf(5, 5, 0.3) == 1.0 and binomial_cdf(0, 3, 1.0) == 0.0


def test_cost_avoided_is_unknown_without_sessions_before_landing(farm):
    data = capture().json()
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["id"] == data["id"]
    assert row["est_cost_avoided_usd"] is None and row["expected_repeats"] is None


def test_the_listing_cache_follows_every_change(farm):
    import os

    cid = _landed_with_history(farm, before=4, after=10)
    first = run_farm("status", "--json")
    assert first.out == run_farm("status", "--json").out and _row()["status"] == "holding"
    _event(farm, "late", "recurrence", cid, _when(1.5), session="s7")  # a new event file
    assert _row()["status"] == "leaking"
    path = farm / "corrections" / f"{cid}.md"
    text = path.read_text()
    stat = path.stat()
    path.write_text(text.replace("title: Draft drops the stated takeaway", "title: Draft loses its point"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: the size still differs
    assert _row()["title"] == "Draft loses its point"
    from conftest import git

    git(farm, "commit", "-qam", "retitle")  # HEAD moves: landing times are read again
    assert _row()["title"] == "Draft loses its point" and run_farm("status", "--json").code == 0


def test_a_broken_listing_cache_is_rebuilt(farm):
    from farm.paths import repo_state_dir

    _landed_with_history(farm, before=4, after=10)
    good = run_farm("status", "--json").out
    kept = repo_state_dir(farm) / "status-listing.txt"
    kept.write_text('{"corrections": []}')  # while nothing changed, the kept output is the answer
    assert run_farm("status", "--json").json() == {"corrections": []}
    (repo_state_dir(farm) / "status-listing.json").write_text("{not json")
    assert run_farm("status", "--json").out == good
    (repo_state_dir(farm) / "status-listing.txt").unlink()
    assert run_farm("status", "--json").out == good


def test_reindex_drops_the_listing_after_an_event_is_edited_in_place(farm):
    import json
    import os

    cid = _landed_with_history(farm, before=4, after=10)
    _event(farm, "late", "recurrence", cid, _when(1.5), session="s7")
    assert _row()["status"] == "leaking"
    path = farm / "corrections" / "log" / "late.json"
    stat = path.stat()
    payload = json.loads(path.read_text())
    payload["correction"] = "x" * len(cid)  # same size: nothing a stat can see
    path.write_text(json.dumps(payload))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _row()["status"] == "leaking"  # as the index: unseen until a reindex (README)
    assert run_farm("reindex").code == 0
    assert _row()["status"] == "holding"
