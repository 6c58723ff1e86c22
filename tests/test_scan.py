import json
from datetime import datetime, timedelta, timezone

from conftest import git, run_farm

PHRASE = "ModuleNotFoundError: No module named 'yaml'"


def transcript(path, session_id, when, text):
    lines = [
        {"type": "user", "sessionId": session_id, "timestamp": when, "message": {"role": "user", "content": "run the tests"}},
        {"type": "assistant", "sessionId": session_id, "timestamp": when, "requestId": "r1",
         "message": {"id": "m1", "model": "claude-sonnet-4-5", "role": "assistant",
                     "content": [{"type": "text", "text": text}],
                     "usage": {"input_tokens": 10, "output_tokens": 5}}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_scan_records_a_recurrence_after_landing_once(farm, tmp_path):
    captured = run_farm("capture", "--title", "Tests run without the yaml dependency installed",
                        "--what", f"pytest failed with {PHRASE}", "--rule", "Install dev extras first.",
                        "--kind", "prompt", "--signature", PHRASE, "--yes", "--json").json()
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    earlier = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    secret = "sk-ant-api03-" + "x1Y2z3" * 15
    after = transcript(tmp_path / "after.jsonl", "sess-after", later,
                       f"Running pytest... E   {PHRASE}\nAlso ANTHROPIC_API_KEY={secret}")
    before = transcript(tmp_path / "before.jsonl", "sess-before", earlier, f"E {PHRASE.upper()}")
    result = run_farm("scan", str(after), str(before), "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert [r["correction"] for r in data["recurrences"]] == [captured["id"]]
    assert data["recurrences"][0]["session_id"] == "sess-after"
    assert PHRASE in data["recurrences"][0]["excerpt"] and secret not in data["recurrences"][0]["excerpt"]
    assert [h["session_id"] for h in data["before_landing"]] == ["sess-before"]
    assert data["commit"] and git(farm, "status", "--porcelain") == ""
    again = run_farm("scan", str(after), "--json").json()
    assert again["recurrences"] == [] and again["already_recorded"] == 1
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["recurrences_after"] == 1 and row["status"] == "leaking"


def test_scan_handles_unreadable_and_compressed_files(farm, tmp_path):
    import zstandard

    run_farm("capture", "--title", "Lockfile drift", "--what", "npm ci failed: lockfile out of date",
             "--rule", "Run npm install after editing package.json.", "--kind", "prompt",
             "--signature", "/lockfile (is )?out of date/", "--yes")
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    plain = transcript(tmp_path / "t.jsonl", "s-z", later, "npm ERR! lockfile is out of date")
    packed = tmp_path / "rollout-2026-11-25T10-00-00-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    broken = tmp_path / "broken.jsonl.zst"
    broken.write_bytes(b"not zstd at all")
    data = run_farm("scan", str(packed), str(broken), "--json", "--no-commit").json()
    assert len(data["recurrences"]) == 1 and data["commit"] is None
    assert any("broken.jsonl.zst" in u for u in data["unreadable"])


def test_excerpt_redacts_before_cutting_and_keeps_line_ends_for_the_redactor():
    from farm.scan import _excerpt

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    data = ("x" * 300 + " " + token + " " + "y" * 100 + "Traceback: boom" + "z" * 50
            + "\\npassword: correcthorsebattery\\n").encode()
    start = data.find(b"Traceback")
    excerpt = _excerpt(data, start, start + 15)
    assert "Traceback: boom" in excerpt
    assert "Q7r8" not in excerpt and "correcthorse" not in excerpt


def test_a_hit_that_touches_a_secret_never_shows_part_of_it():
    """attack round 2: markers around the hit used to split the secret so no rule saw it."""
    from farm.scan import _excerpt

    for line, needle in ((b'{"text":"run it: DB_PASSWORD=Hunter2Secret99 ./migrate"}', b"DB_PASSWORD"),
                         (b'{"text":"token ghp_R8x2Kq9LmN4pT7vW1yZ3bC5dF6gH8jK0lM2n pasted"}', b"ghp_")):
        start = line.index(needle)
        excerpt = _excerpt(line, start, start + len(needle))
        assert "Hunter2Secret99" not in excerpt and "R8x2Kq9L" not in excerpt and "REDACTED" in excerpt, excerpt


def test_excerpt_reads_the_words_of_a_transcript_line_not_its_json():
    import json

    from farm.scan import _excerpt

    line = {"type": "assistant", "sessionId": "4462ebfc", "message": {
        "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Cleaning up first."},
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "rm -rf build/fixtures"}}]}}
    data = (json.dumps({"type": "user", "message": {"content": "hi"}}, separators=(",", ":")) + "\n"
            + json.dumps(line, separators=(",", ":")) + "\n").encode()
    start = data.find(b"rm -rf build")
    excerpt = _excerpt(data, start, start + len("rm -rf build"))
    assert "rm -rf build/fixtures" in excerpt and "Cleaning up first." in excerpt
    assert '"type"' not in excerpt and "claude-sonnet" not in excerpt and "toolu_1" not in excerpt


def test_a_scanned_recurrence_carries_its_sessions_cost_as_spend_does(farm, tmp_path):
    captured = run_farm("capture", "--title", "Tests run without the yaml dependency installed",
                        "--what", f"pytest failed with {PHRASE}", "--rule", "Install dev extras first.",
                        "--kind", "prompt", "--signature", PHRASE, "--yes", "--json").json()
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    folder = tmp_path / "projects" / "demo"
    folder.mkdir(parents=True)
    session_id = "5ca11ed0-0000-4000-8000-000000000001"
    path = transcript(folder / f"{session_id}.jsonl", session_id, later, f"E   {PHRASE}")
    assert run_farm("sessions", "import", "--claude-dir", str(tmp_path / "projects")).code == 0
    cost = run_farm("sessions", "show", session_id, "--json").json()["cost_usd"]
    assert cost and cost > 0
    assert run_farm("scan", str(path), "--json").code == 0
    events = run_farm("show", captured["id"], "--json").json()["events"]
    assert [e["cost_usd"] for e in events if e["type"] == "recurrence"] == [round(cost, 6)]


def test_scan_text_lists_hits_before_landing_and_says_it_committed(farm, tmp_path):
    run_farm("capture", "--title", "Tests run without the yaml dependency installed",
             "--what", f"pytest failed with {PHRASE}", "--rule", "Install dev extras first.",
             "--kind", "prompt", "--signature", PHRASE, "--yes")
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    earlier = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    after = transcript(tmp_path / "after.jsonl", "sess-after", later, f"E   {PHRASE}")
    before = transcript(tmp_path / "before.jsonl", "sess-before", earlier, f"E {PHRASE}")
    out = run_farm("scan", str(after), str(before)).out
    assert "before  tests-run-without-the-yaml" in out and "session sess-before" in out
    assert "Committed " in out
