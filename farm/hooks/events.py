"""What farm answers to each hook event (Claude Code's JSON; Codex sends the same shape).

`answer(agent, event)` returns the JSON to print, or None for "no opinion" (allow).
Every event first finds the farm that holds the session's cwd: none, and farm says nothing.

SessionStart       rules relevant to the branch and its recent commits, as additionalContext
UserPromptSubmit   rules relevant to the prompt (not already served); the budget: a warning
                   once past the task type's p90, the prompt refused past the hard cap
PreToolUse         guards: deny (or ask) a call that matches one, a catch of its correction;
                   past the hard cap, the session stops (continue: false)
Stop               a warning once past p90 or the cap. Never `decision: block`: at Stop that
                   would make the agent go on, spending more
SessionEnd         import the session (summary with the rules served), refresh the budgets
"""

from __future__ import annotations

from pathlib import Path

from farm.hooks.runtime import HookFarm, find_farm

SOURCES_THAT_LOSE_CONTEXT = ("clear", "compact")
# A burst of tool calls reads the transcript once every this many seconds: a cap checked
# a few seconds late costs cents, a read on every call costs the agent time on each.
TOOL_READ_EVERY = 5
QUERY_CHARS = 4000  # a prompt's head says what it is about; a pasted 100 KB log would only cost time


def answer(agent: str, event: dict) -> dict | None:
    name = event.get("hook_event_name")
    if name == "SessionEnd":
        session_end(agent, event)
        return None
    handler = HANDLERS.get(name)
    if handler is None:
        return None
    farm = find_farm(_text(event.get("cwd")) or None)
    if farm is None:
        return None
    return handler(agent, farm, event)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _session(agent: str, event: dict):
    """This session's state, locked and saved on the way out."""
    from farm.hooks.live import session_state

    return session_state(agent, _text(event.get("session_id")) or "unknown")


# --- rules served ----------------------------------------------------------------------


def session_start(agent: str, farm: HookFarm, event: dict) -> dict | None:
    from farm.hooks.runtime import branch_of

    branch = branch_of(farm.root)
    query = " ".join([_branch_words(branch), *_recent_subjects(farm.root)])
    with _session(agent, event) as live:
        if _text(event.get("source")) in SOURCES_THAT_LOSE_CONTEXT:
            live.data["in_context"] = []
        text = _serve(live, farm, "SessionStart", query, heading="farm: rules from past corrections for this work"
                      + (f" (branch {branch})" if branch else ""))
    return _context("SessionStart", text) if text else None


def _branch_words(branch: str | None) -> str:
    if not branch or branch in ("main", "master", "trunk", "develop"):
        return ""
    return " ".join(branch.replace("/", " ").replace("-", " ").replace("_", " ").split())


def _recent_subjects(root: Path, count: int = 5) -> list[str]:
    """The subjects of the last commits made here, from HEAD's reflog (a file read, not a git
    process: SessionStart must be quick too). No reflog: none, the branch name serves alone."""
    from farm.hooks.runtime import git_dir_of

    gdir = git_dir_of(root)
    try:
        lines = (gdir / "logs" / "HEAD").read_text(encoding="utf-8", errors="replace").splitlines()[-50:] if gdir else []
    except OSError:
        return []
    subjects = [line.split("\t", 1)[1].split(": ", 1)[1] for line in reversed(lines)
                if "\t" in line and line.split("\t", 1)[1].startswith(("commit:", "commit (", "commit (amend):"))]
    return [s for s in subjects if not s.startswith("farm:")][:count]  # farm's own commits say nothing of the work


def _serve(live, farm: HookFarm, event_name: str, query: str, heading: str) -> str:
    from farm.hooks.live import record_served
    from farm.hooks.rules import line, load_matcher, load_rulebook, relevant

    query = query[:QUERY_CHARS]
    if not query.strip():
        return ""
    book = load_rulebook(farm)
    if not book.rules:
        return ""
    config = farm.config
    served = relevant(
        book, load_matcher(farm, book), query, skip=set(live.data["in_context"]),
        limit=int(config["serve_rules"]), min_score=float(config["serve_min_score"]),
        max_tokens=int(config["serve_max_tokens"]),
    )
    if not served:
        return ""
    record_served(live, event_name, served)
    return "\n".join([heading + ":", *(line(s.rule) for s in served)])


def _context(event_name: str, text: str, **extra) -> dict:
    return {"hookSpecificOutput": {"hookEventName": event_name, "additionalContext": text}, **extra}


def user_prompt_submit(agent: str, farm: HookFarm, event: dict) -> dict | None:
    with _session(agent, event) as live:
        verdict = _budget(live, farm, event)
        if verdict and verdict[0] == "stop":
            return {"decision": "block", "reason": verdict[1]}
        text = _serve(live, farm, "UserPromptSubmit", _text(event.get("prompt")),
                      heading="farm: rules from past corrections that apply to this request")
    if verdict:  # past the usual: the agent and the person both hear it, once
        text = "\n\n".join(t for t in (text, verdict[1]) if t)
        return _context("UserPromptSubmit", text, systemMessage=verdict[1])
    return _context("UserPromptSubmit", text) if text else None


# --- guards ----------------------------------------------------------------------------


def pre_tool_use(agent: str, farm: HookFarm, event: dict) -> dict | None:
    from farm.hooks.guards import first_hit
    from farm.hooks.rules import load_rulebook

    book = load_rulebook(farm)
    tool = _text(event.get("tool_name"))
    hit = first_hit(book.guards, tool, event.get("tool_input")) if book.guards and tool else None
    if hit is not None:
        _record_catch(farm, event, hit)
        reason = f"farm guard ({hit.guard.correction}): {hit.guard.message}"
        return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": hit.guard.decision,
                                       "permissionDecisionReason": reason}}
    if _has_cap(farm):
        with _session(agent, event) as live:
            verdict = _budget(live, farm, event, warn=False)
        if verdict and verdict[0] == "stop":
            return {"continue": False, "stopReason": verdict[1],
                    "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                           "permissionDecisionReason": verdict[1]}}
    return None


def _record_catch(farm: HookFarm, event: dict, hit) -> None:
    from farm.hooks.pending import fold_in_background, queue_catch

    session_id = _text(event.get("session_id")) or None
    # One catch per tool call; the folding process hashes this into the event's key.
    call = _text(event.get("tool_use_id")) or f"{session_id}\0{hit.subject}"
    key = f"{hit.guard.correction}\0{call}"
    # The subject is redacted when the catch is folded into the repo, off the agent's path.
    data = {"guard": hit.guard.decision, "tool": hit.tool, "pattern": hit.pattern, "subject": hit.subject[:2000]}
    queue_catch(farm.root, hit.guard.correction, key, session_id, data)
    fold_in_background(farm.root)


# --- budgets ---------------------------------------------------------------------------


def _has_cap(farm: HookFarm) -> bool:
    return bool(farm.config.get("session_budget_usd") or farm.config.get("task_budgets_usd"))


def _budget(live, farm: HookFarm, event: dict, *, warn: bool = True) -> tuple[str, str] | None:
    """("stop", reason) past the hard cap; ("warn", text) once past the usual p90; else None."""
    from farm.hooks.budget import cached_budgets, cap_for

    transcript = _text(event.get("transcript_path"))
    budgets = cached_budgets() if warn else None
    if not transcript or not (_has_cap(farm) or budgets):
        return None
    import time

    if warn or time.time() - live.data.get("read_at", 0) > TOOL_READ_EVERY or "task_type" not in live.data:
        from farm.hooks.live import read_transcript

        read_transcript(live, Path(transcript).expanduser(), farm.config.get("prices") or {})
        live.data["task_type"] = task_type_of(live, farm)
        live.data["read_at"] = time.time()
    task = live.data["task_type"]
    cost = live.cost_usd
    cap = cap_for(farm.config, task)
    if cap is not None and cost > cap.usd:
        return "stop", (f"farm: this session has cost ${cost:.2f}, past its budget of ${cap.usd:.2f} "
                        f"({cap.source} in the farm's config). Start a new session or raise the budget.")
    usual = budgets.for_type(task) if budgets else None
    if warn and usual and usual.p90_usd is not None and cost > usual.p90_usd and not live.data["warned"]:
        live.data["warned"] = True
        kind = f"a {usual.task_type} session" if usual.task_type != "all" else "a session"
        return "warn", (f"farm: this session has cost ${cost:.2f}, more than 9 in 10 of {kind} "
                        f"(p90 ${usual.p90_usd:.2f}, p50 ${usual.p50_usd:.2f}, over {usual.sessions} sessions). "
                        "Is it still making progress? Stopping, or a fresh session, may be cheaper.")
    return None


def task_type_of(live, farm: HookFarm) -> str | None:
    from farm.sessions.tasktype import classify

    if live.data.get("task_type_tag"):
        return live.data["task_type_tag"]
    rules = farm.config.get("task_types") or {}
    return classify(live.data.get("branch"), [], live.data.get("first_prompt"), rules if isinstance(rules, dict) else {})


def stop(agent: str, farm: HookFarm, event: dict) -> dict | None:
    if event.get("stop_hook_active"):
        return None
    with _session(agent, event) as live:
        verdict = _budget(live, farm, event)
        if verdict is None or (verdict[0] == "stop" and live.data.get("stop_said")):
            return None
        live.data["stop_said"] = verdict[0] == "stop"
    return {"systemMessage": verdict[1]}


# --- the end ---------------------------------------------------------------------------


def session_end(agent: str, event: dict) -> None:
    """Import the finished session and refresh the budgets. Codex allows a SessionEnd hook a
    few seconds only, so there the work goes to a detached process."""
    if agent == "codex":
        import json
        from farm.hooks.runtime import spawn_detached

        spawn_detached("farm.hooks.events", agent, json.dumps(event))
        return
    finish_session(agent, event)


def finish_session(agent: str, event: dict) -> None:
    from farm.errors import InvalidInput
    from farm.hooks.budget import compute_budgets
    from farm.hooks.runtime import log
    from farm.sessions.importer import import_into_store, session_sources

    transcript = _text(event.get("transcript_path"))
    if not transcript:
        raise InvalidInput("hook input has no transcript_path")
    path = Path(transcript).expanduser()
    if not path.is_file():
        raise InvalidInput(f"transcript not found: {path}")
    farm = find_farm(_text(event.get("cwd")) or None)
    summary, _written = import_into_store(session_sources(path), farm_root=farm.root if farm else None,
                                          lock_timeout=20)
    for reason, n in summary.unreadable.items():
        log(f"{path}: {reason} ({n})")
    compute_budgets(farm.config.get("prices") if farm else None)
    from farm.hooks.live import prune

    prune()
    if farm is not None:
        from farm.hooks.pending import fold_in_background, queue_dir

        if any(queue_dir(farm.root).glob("*.json")):
            fold_in_background(farm.root)  # it may wait for the repo's lock: not in the hook's time


HANDLERS = {
    "SessionStart": session_start,
    "UserPromptSubmit": user_prompt_submit,
    "PreToolUse": pre_tool_use,
    "Stop": stop,
}


if __name__ == "__main__":
    import json
    import sys

    from farm.hooks.runtime import log

    try:
        finish_session(sys.argv[1], json.loads(sys.argv[2]))
    except Exception as exc:  # a background process: its only voice is the log
        log(f"SessionEnd ({sys.argv[1]}): {type(exc).__name__}: {exc}")
