import json

from conftest import git, run_farm


def claude_transcript(folder, session_id="5f0c1d2e-0000-4000-8000-00000000abcd"):
    path = folder / f"{session_id}.jsonl"  # Claude Code names a transcript after its session
    base = {"sessionId": session_id, "cwd": "/work/demo", "gitBranch": "main", "version": "2.1.3"}
    lines = [
        {**base, "type": "user", "timestamp": "2026-11-20T10:00:00Z", "message": {"role": "user", "content": "fix the bug"}},
        {**base, "type": "assistant", "timestamp": "2026-11-20T10:00:05Z", "requestId": "req_1",
         "message": {"id": "msg_1", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                     "content": [{"type": "text", "text": "Done."}],
                     "usage": {"input_tokens": 1000, "output_tokens": 500, "cache_creation_input_tokens": 2000,
                               "cache_read_input_tokens": 30000}}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path, session_id


def test_capture_with_a_session_carries_its_usage_and_cost(farm, tmp_path):
    path, session_id = claude_transcript(tmp_path)
    result = run_farm("capture", "--title", "Bug fix broke the parser", "--what", "The parser stopped accepting tabs.",
                      "--rule", "Run the parser tests.", "--kind", "prompt", "--session", str(path), "--yes", "--json")
    assert result.code == 0, result.err
    data = result.json()
    text = (farm / f"corrections/{data['id']}.md").read_text()
    assert f"session_id: {session_id}" in text and "agent: claude" in text
    assert "cache_read_tokens: 30000" in text and "input_tokens: 1000" in text
    row = run_farm("status", "--json").json()["corrections"][0]
    assert row["origin_cost_usd"] is not None and row["origin_cost_usd"] > 0
    event = json.loads(next((farm / f).read_text() for f in data["files"] if "/log/" in f))
    assert event["session_id"] == session_id and event["cost_usd"] == row["origin_cost_usd"]


def test_capture_from_a_claude_code_hook(farm, tmp_path):
    path, session_id = claude_transcript(tmp_path)
    hook = json.dumps({"session_id": session_id, "transcript_path": str(path), "cwd": str(farm), "hook_event_name": "SessionEnd"})
    result = run_farm("capture", "--from-hook", "--title", "Hook miss", "--what", "Went wrong.", "--rule", "Do it right.",
                      "--kind", "prompt", "--json", input=hook)
    assert result.code == 0, result.err
    assert session_id in (farm / f"corrections/{result.json()['id']}.md").read_text()
    bad = run_farm("capture", "--from-hook", "--title", "t", "--what", "w", "--rule", "r", "--kind", "prompt", input="not json")
    assert bad.code == 2 and "hook" in bad.err


def test_missing_session_is_a_clear_error_and_writes_nothing(farm):
    result = run_farm("capture", "--title", "t", "--what", "w", "--rule", "r", "--kind", "prompt", "--yes",
                      "--session-id", "does-not-exist")
    assert result.code == 2 and "farm sessions import" in result.err
    assert git(farm, "status", "--porcelain") == ""
