"""Correction moments: found while importing real-shaped Claude Code and Codex transcripts, listed,
turned into committed evidence, and offered in the inbox for capture."""

from __future__ import annotations

import json
import os
import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import capture, git, run_farm

from farm import model
from farm.moments.detect import Turn, detect

MODEL = "claude-sonnet-4-5-20250929"
SECRET = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def claude_session(cwd: Path, start: datetime, exchanges: list[tuple[str, str]], session_id: str | None = None) -> dict:
    """A Claude Code transcript `<sessionId>.jsonl` in its project folder under CLAUDE_CONFIG_DIR:
    each exchange is the agent's reply (with usage and a tool call) then the user's line.
    Returns {"session_id", "path", "uuids"} (the user lines' uuids, in order)."""
    sid = session_id or str(uuidlib.uuid4())
    folder = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / str(cwd).replace("/", "-")
    folder.mkdir(parents=True, exist_ok=True)
    lines, uuids, parent, t = [], [], None, start

    def line(kind: str, message: dict, **extra) -> str:
        nonlocal parent, t
        uid = str(uuidlib.uuid4())
        lines.append({"type": kind, "sessionId": sid, "uuid": uid, "parentUuid": parent, "timestamp": _stamp(t),
                      "cwd": str(cwd), "version": "2.1.39", "userType": "external", "message": message, **extra})
        parent = uid
        t += timedelta(seconds=30)
        return uid

    line("user", {"role": "user", "content": "Set up the project"})
    for n, (reply, user) in enumerate(exchanges):
        mid = f"msg_{sid[:8]}{n:04d}"
        line("assistant", {"id": mid, "type": "message", "role": "assistant", "model": MODEL,
                           "content": [{"type": "text", "text": reply},
                                       {"type": "tool_use", "id": f"tu{n}", "name": "Bash", "input": {"command": "make"}}],
                           "usage": {"input_tokens": 100, "output_tokens": 2000, "cache_read_input_tokens": 50000,
                                     "cache_creation_input_tokens": 1000}}, requestId=f"req_{sid[:8]}{n}")
        line("user", {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"tu{n}", "content": "ok"}]})
        uuids.append(line("user", {"role": "user", "content": user}))
    path = folder / f"{sid}.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return {"session_id": sid, "path": path, "uuids": uuids, "start": start}


def codex_session(cwd: Path, start: datetime, exchanges: list[tuple[str, str]]) -> dict:
    """A Codex rollout under CODEX_HOME/sessions/YYYY/MM/DD/ with token counts and user messages."""
    sid = str(uuidlib.uuid4())
    folder = Path(os.environ["CODEX_HOME"]) / "sessions" / f"{start:%Y/%m/%d}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rollout-{start:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
    t = start
    lines = [{"timestamp": _stamp(t), "type": "session_meta", "payload": {"id": sid, "timestamp": _stamp(t), "cwd": str(cwd),
                                                                         "originator": "codex_cli_rs", "cli_version": "0.46.0"}},
             {"timestamp": _stamp(t), "type": "turn_context", "payload": {"model": "gpt-5-codex", "cwd": str(cwd)}},
             {"timestamp": _stamp(t), "type": "event_msg", "payload": {"type": "user_message", "message": "Set up the project"}}]
    user_lines, total = [], 0
    for reply, user in exchanges:
        t += timedelta(seconds=30)
        total += 3000
        usage = {"input_tokens": 3000, "cached_input_tokens": 2000, "output_tokens": 500, "reasoning_output_tokens": 100,
                 "total_tokens": 3500}
        lines.append({"timestamp": _stamp(t), "type": "event_msg", "payload": {"type": "token_count", "info": {
            "total_token_usage": {**usage, "input_tokens": total, "total_tokens": total + 500}, "last_token_usage": usage}}})
        lines.append({"timestamp": _stamp(t), "type": "response_item", "payload": {"type": "function_call", "name": "shell",
                                                                                  "arguments": "{\"command\": [\"make\"]}"}})
        lines.append({"timestamp": _stamp(t), "type": "event_msg", "payload": {"type": "agent_message", "message": reply}})
        t += timedelta(seconds=30)
        lines.append({"timestamp": _stamp(t), "type": "event_msg", "payload": {"type": "user_message", "message": user}})
        user_lines.append(len(lines))
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return {"session_id": sid, "path": path, "turn_ids": [f"{path.name}:{n}" for n in user_lines]}


FIXED = "I fixed it: the build passes now."
STILL = "it still fails with the same error: TypeError: cannot read properties of undefined"
MIGRATIONS = ("you removed the db/migrations folder again! put the migrations back, the deploy failed "
              "because the migrations are gone")


def moments() -> list[dict]:
    result = run_farm("sessions", "moments", "--json")
    assert result.code == 0, result.err
    return result.json()["moments"]


def test_detector_tells_a_rejection_from_a_new_task():
    assert detect(Turn("no, that's wrong. revert it, you removed the tests", FIXED, position=3)).is_moment
    assert detect(Turn(STILL, FIXED, position=2)).is_moment
    assert not detect(Turn("Add a login page with a form", "Done. Anything else?", position=1)).is_moment
    assert not detect(Turn("great, thanks", FIXED, position=2)).is_moment
    assert not detect(Turn("no, that's wrong", "", position=0)).is_moment  # a session's first turn corrects nothing


def test_import_finds_claude_moments_with_their_turn_cost_and_redacted_text(repo):
    start = datetime.now(timezone.utc) - timedelta(days=2)
    s = claude_session(repo, start, [(FIXED, f"{STILL}\nmy key is {SECRET}"), ("Done.", "Add a footer to the page")])
    assert run_farm("sessions", "import").code == 0
    found = moments()
    assert [(m["session_id"], m["turn_id"]) for m in found] == [(s["session_id"], s["uuids"][0])]
    m = found[0]
    assert m["cue"] == "still-broken" and 0.5 < m["score"] <= 1
    assert m["at"].startswith(_stamp(start)[:10]) and m["cost_usd"] > 0 and m["correction"] is None
    assert SECRET not in json.dumps(found) and "still fails" in m["text"]
    assert "[Bash: make]" in m["action"] and FIXED in m["action"]


def test_codex_moments_are_named_by_rollout_file_and_line(repo):
    s = codex_session(repo, datetime.now(timezone.utc) - timedelta(days=1), [(FIXED, STILL), ("Done.", "now add a README")])
    assert run_farm("sessions", "import").code == 0
    assert [(m["session_id"], m["turn_id"]) for m in moments()] == [(s["session_id"], s["turn_ids"][0])]
    line = s["path"].read_text().splitlines()[int(s["turn_ids"][0].rsplit(":", 1)[1]) - 1]
    assert json.loads(line)["payload"]["message"] == STILL


def test_a_grown_transcript_is_read_again_and_keeps_one_row_per_moment(repo):
    s = claude_session(repo, datetime.now(timezone.utc) - timedelta(days=1), [(FIXED, STILL)])
    assert run_farm("sessions", "import").code == 0
    first = moments()
    assert run_farm("sessions", "import").code == 0
    assert moments() == first
    with s["path"].open("a") as fh:  # the session goes on: the agent tries again, the person pushes back
        fh.write(json.dumps({"type": "assistant", "sessionId": s["session_id"], "uuid": "a-later", "parentUuid": None,
                             "timestamp": _stamp(datetime.now(timezone.utc)), "cwd": str(repo),
                             "message": {"id": "msg_later", "role": "assistant", "model": MODEL,
                                         "content": [{"type": "text", "text": "I rewrote the loader."}],
                                         "usage": {"input_tokens": 10, "output_tokens": 10}}}) + "\n")
        fh.write(json.dumps({"type": "user", "sessionId": s["session_id"], "uuid": "u-later", "parentUuid": None,
                             "timestamp": _stamp(datetime.now(timezone.utc)), "cwd": str(repo),
                             "message": {"role": "user", "content": "no, that's wrong, revert that change"}}) + "\n")
    assert run_farm("sessions", "import").code == 0
    assert [m["turn_id"] for m in moments()] == [s["uuids"][0], "u-later"]


def session_start(session_id: str) -> str:
    """The session's start as the store has it (its first timed line), in an event's format."""
    shown = run_farm("sessions", "show", session_id, "--json").json()
    return datetime.fromisoformat(shown["start"]).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _events(root: Path) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((root / "corrections" / "log").rglob("*.json")):
        if "sessions" not in path.parts:
            out.append((path.relative_to(root).as_posix(), json.loads(path.read_text())))
    return out


def _capture_migrations(*extra: str) -> str:
    result = capture(*extra, title="Agent deletes the db/migrations folder",
                     what="The agent removed the db/migrations folder while cleaning up, and the deploy failed "
                          "because the migrations were gone.",
                     rule="Never delete db/migrations.")
    assert result.code == 0, result.err
    return result.json()["id"]


def test_first_occurrence_captured_by_hand_then_import_alone_records_each_recurrence(farm):
    """A person captures the failure from session 1; sessions 2..4, after the correction landed,
    repeat it; `farm sessions import` alone commits one recurrence per session, dated by it."""
    now = datetime.now(timezone.utc)
    first = claude_session(farm, now - timedelta(hours=3), [("Cleaned up the repo.", MIGRATIONS)])
    assert run_farm("sessions", "import").code == 0
    cid = _capture_migrations("--session-id", first["session_id"])
    (_path, miss), = _events(farm)
    assert miss["type"] == "miss" and miss["at"] == session_start(first["session_id"])  # dated by its session
    assert session_start(first["session_id"]) < model.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    later = [claude_session(farm, now + timedelta(hours=n), [("Cleaned up the repo.", MIGRATIONS)]) for n in (1, 2, 3)]
    commits = len(git(farm, "log", "--oneline").splitlines())
    result = run_farm("sessions", "import", "--json")
    assert result.code == 0, result.err
    assert result.json()["evidence_events"] == 3
    events = [e for _p, e in _events(farm) if e["type"] == "recurrence"]
    assert sorted(e["session_id"] for e in events) == sorted(s["session_id"] for s in later)
    for e in events:
        session = next(s for s in later if s["session_id"] == e["session_id"])
        assert e["correction"] == cid and e["data"]["source"] == "moment" and e["data"]["turn_id"] == session["uuids"][0]
        assert e["at"] == session_start(session["session_id"]) and e["cost_usd"] > 0
    assert len(git(farm, "log", "--oneline").splitlines()) == commits + 1
    tracked = set(git(farm, "ls-files", "corrections/log").splitlines())
    assert {p for p, e in _events(farm)} <= tracked  # every event committed, so every clone agrees
    status = run_farm("status", "--json").json()["corrections"][0]
    assert status["recurrences_after"] == 3 and status["status"] == "leaking"
    # Re-importing (and a touched transcript read again) adds nothing.
    os.utime(later[0]["path"])
    before = _events(farm)
    assert run_farm("sessions", "import", "--json").json()["evidence_events"] == 0
    assert _events(farm) == before and len(git(farm, "log", "--oneline").splitlines()) == commits + 1
    listed = {m["session_id"]: m["correction"] for m in moments()}
    assert all(listed[s["session_id"]] == cid for s in later)


def test_a_match_before_landing_is_a_prior_miss(farm):
    cid = _capture_migrations()
    landed = datetime.fromisoformat(git(farm, "log", "-1", "--format=%cI").strip())
    earlier = claude_session(farm, landed - timedelta(days=3), [("Cleaned up the repo.", MIGRATIONS)])
    assert run_farm("sessions", "import").code == 0
    (prior,) = [e for _p, e in _events(farm) if e.get("data", {}).get("source") == "moment"]
    assert prior["type"] == "miss" and prior["correction"] == cid and prior["session_id"] == earlier["session_id"]


def test_event_file_name_comes_from_its_key():
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    a = model.Event(type="recurrence", correction="c-1", at=at, key="abc123def4567890")
    assert model.event_path(a) == model.event_path(model.Event(type="recurrence", correction="c-1", at=at, key="abc123def4567890"))
    unkeyed = model.Event(type="miss", correction="c-1", at=at)
    assert model.event_path(unkeyed) != model.event_path(unkeyed)


def test_inbox_lists_uncovered_moments_and_capture_moment_prefills_from_one(farm):
    now = datetime.now(timezone.utc)
    s1 = claude_session(farm, now - timedelta(days=2), [(FIXED, STILL)])
    s2 = claude_session(farm, now - timedelta(days=1), [(FIXED, STILL)])
    claude_session(farm, now - timedelta(days=1), [("Formatted the file.", "no, that's wrong: you reformatted the whole "
                                                    "file, undo that and keep the diff small")])
    assert run_farm("sessions", "import").code == 0
    result = run_farm("inbox", "--json")
    assert result.code == 0, result.err
    groups = result.json()["groups"]
    assert [g["count"] for g in groups] == [2, 1]  # the two alike "still fails" moments are one group, the costlier
    assert groups[0]["cost_usd"] == round(sum(m["cost_usd"] for m in groups[0]["moments"]), 6)
    assert {m["session_id"] for m in groups[0]["moments"]} == {s1["session_id"], s2["session_id"]}
    assert groups[0]["capture"] == f"farm capture --moment {groups[0]['id']}"
    text = run_farm("inbox").out
    assert groups[0]["capture"] in text
    moment = next(m for m in groups[0]["moments"] if m["id"] == groups[0]["id"])
    made = run_farm("capture", "--moment", groups[0]["id"], "--rule", "Run the failing command before saying it is fixed.",
                    "--kind", "prompt", "--yes", "--json")
    assert made.code == 0, made.err
    correction = model.load_correction(farm / "corrections" / f"{made.json()['id']}.md")
    assert correction.title.startswith("it still fails") and STILL in correction.what and FIXED in correction.what
    assert correction.origin.session_id == moment["session_id"] and correction.origin.cost_usd == moment["cost_usd"]
    remaining = run_farm("inbox", "--json").json()["groups"]
    assert [g["count"] for g in remaining] == [1] and "reformatted" in remaining[0]["text"]


def test_capture_moment_with_an_unknown_id_is_one_clear_error(farm):
    result = run_farm("capture", "--moment", "0000ffff", "--rule", "r", "--kind", "prompt", "--yes")
    assert result.code == 2 and "no such correction moment" in result.err


def test_the_session_end_hook_import_finds_moments_and_after_import_records_evidence(farm):
    """The hook imports through the same importer (so it finds moments); `after_import` is the one
    call it makes to turn them into evidence, as `farm sessions import` does."""
    from farm.moments.evidence import after_import

    cid = _capture_migrations()
    later = claude_session(farm, datetime.now(timezone.utc) + timedelta(hours=1), [("Cleaned up the repo.", MIGRATIONS)])
    hook = json.dumps({"session_id": later["session_id"], "transcript_path": str(later["path"]), "cwd": str(farm),
                       "hook_event_name": "SessionEnd", "reason": "exit"})
    assert run_farm("sessions", "import", "--from-hook", input=hook).code == 0
    assert [m["turn_id"] for m in moments()] == later["uuids"]
    evidence = after_import(farm)
    assert [(e.type, e.correction, e.session_id) for e in evidence.events] == [("recurrence", cid, later["session_id"])]
    assert after_import(farm).events == [] and after_import(None) is None


def test_inbox_page_shows_each_group_with_its_capture_command():
    from farm.site.pages import inbox_page

    group = {"id": "abc123def456", "text": "no, <b>that</b> is wrong", "cue": "pushback", "count": 2, "sessions": 2,
             "cost_usd": 1.5, "capture": "farm capture --moment abc123def456", "moments": []}
    page = inbox_page([group])
    assert "farm capture --moment abc123def456" in page.body and "$1.50" in page.body
    assert "<b>that</b>" not in page.body and "&lt;b&gt;that&lt;/b&gt;" in page.body  # a person's words, escaped
    assert "No uncovered correction moments" in inbox_page([]).body


def test_match_verdicts_are_kept_until_the_corrections_change(farm, monkeypatch):
    import farm.matchcache as matchcache
    from farm.moments import stored_moments
    from farm.moments.evidence import match_moments
    from farm.project import open_farm

    cid = _capture_migrations()
    claude_session(farm, datetime.now(timezone.utc) + timedelta(hours=1), [("Cleaned up the repo.", MIGRATIONS)])
    assert run_farm("sessions", "import").code == 0
    here = open_farm(farm)
    with here.index() as (index, _):
        rows = index.corrections()
    monkeypatch.setattr(matchcache, "load_matcher", lambda *a, **k: (_ for _ in ()).throw(AssertionError("rebuilt")))
    assert [mm.correction for mm in match_moments(here, rows, stored_moments(farm))] == [cid]  # from the kept verdicts
    changed = [r._replace(what="something else entirely") if r.id == cid else r for r in rows]
    try:
        match_moments(here, changed, stored_moments(farm))
    except AssertionError as exc:
        assert "rebuilt" in str(exc)  # a changed correction means matching again
    else:
        raise AssertionError("a changed correction reused the old verdicts")


def test_lines_claude_code_writes_itself_are_not_user_turns(repo, tmp_path):
    from farm.moments.turns import user_turns

    s = claude_session(repo, datetime.now(timezone.utc), [(FIXED, STILL)])
    extra = [
        {"type": "user", "isCompactSummary": True, "message": {"role": "user", "content": "no, that's wrong: summary"}},
        {"type": "user", "message": {"role": "user", "content": "<local-command-stdout>no, wrong</local-command-stdout>"}},
        {"type": "user", "isMeta": True, "message": {"role": "user", "content": "Caveat: no, that's wrong"}},
    ]
    with s["path"].open("a") as fh:
        for n, line in enumerate(extra):
            fh.write(json.dumps({**line, "uuid": f"x{n}", "sessionId": s["session_id"], "timestamp": _stamp(datetime.now(timezone.utc))}) + "\n")
    turns = user_turns("claude", s["path"])
    assert [t.turn_id for t in turns][1:] == s["uuids"] and turns[1].text == STILL


def test_a_codex_subagent_thread_has_no_user_turns(repo):
    from farm.moments.turns import user_turns

    s = codex_session(repo, datetime.now(timezone.utc), [(FIXED, STILL)])
    assert len(user_turns("codex", s["path"])) == 2
    lines = s["path"].read_text().splitlines()
    meta = json.loads(lines[0])
    meta["payload"]["source"] = {"subagent": {"thread_spawn": {"parent_thread_id": "p"}}}
    s["path"].write_text("\n".join([json.dumps(meta), *lines[1:]]) + "\n")
    assert user_turns("codex", s["path"]) == []


def test_a_miss_captured_from_a_transcript_file_is_dated_by_its_session(farm):
    start = datetime.now(timezone.utc) - timedelta(days=5)
    s = claude_session(farm, start, [("Cleaned up the repo.", MIGRATIONS)])  # never imported
    _capture_migrations("--session", str(s["path"]))
    (_path, miss), = _events(farm)
    at = datetime.fromisoformat(miss["at"].replace("Z", "+00:00"))
    assert start <= at + timedelta(seconds=1) and at <= start + timedelta(minutes=2)  # the session's, days ago
    assert miss["session_id"] == s["session_id"]


def test_capture_moment_asks_with_the_draft_as_the_default(farm):
    claude_session(farm, datetime.now(timezone.utc) - timedelta(days=1), [(FIXED, STILL)])
    assert run_farm("sessions", "import").code == 0
    (group,) = run_farm("inbox", "--json").json()["groups"]
    # Enter keeps the drafted title and what; then the rule and the kind are asked.
    answers = "\n\nRun the failing command before saying it is fixed.\nprompt\n\n\ny\n"  # then task type, tags, review
    result = run_farm("capture", "--moment", group["id"], "--json", input=answers)
    assert result.code == 0, result.err
    correction = model.load_correction(farm / "corrections" / f"{result.json()['id']}.md")
    assert correction.title == STILL[:77].rsplit(" ", 1)[0] + "…" and STILL in correction.what
    assert correction.rule == "Run the failing command before saying it is fixed."


def test_codex_0_148_user_turns_come_from_response_items(tmp_path):
    """Codex >= 0.148 writes the person's turns only as `response_item` user messages."""
    import json as _json

    from farm.moments.turns import user_turns

    lines = [
        {"type": "session_meta", "timestamp": "2026-11-01T10:00:00Z", "payload": {"id": "019a0000-0000-7000-8000-000000000abc"}},
        {"type": "response_item", "timestamp": "2026-11-01T10:00:01Z",
         "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>x</environment_context>"}]}},
        {"type": "response_item", "timestamp": "2026-11-01T10:00:02Z",
         "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix the parser"}]}},
        {"type": "event_msg", "timestamp": "2026-11-01T10:00:03Z", "payload": {"type": "agent_message", "message": "Fixed it."}},
        {"type": "response_item", "timestamp": "2026-11-01T10:00:04Z",
         "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "no, it still fails"}]}},
    ]
    path = tmp_path / "rollout-2026-11-01T10-00-00-019a0000-0000-7000-8000-000000000abc.jsonl"
    path.write_text("".join(_json.dumps(line) + "\n" for line in lines))
    turns = user_turns("codex", path)
    assert [t.text for t in turns] == ["fix the parser", "no, it still fails"]
    assert turns[1].context == "Fixed it." and turns[1].turn_id == f"{path.name}:5"
