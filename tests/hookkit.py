"""Real-shaped Claude Code hook input and transcripts for the hook tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

MODEL = "claude-sonnet-4-5-20250929"  # $3 per million input tokens, $15 output


def event(name: str, repo: Path, session_id: str = "5f1c2d3e-0000-4000-8000-00000000000a",
          transcript: Path | None = None, **fields) -> dict:
    """The JSON Claude Code sends a hook: common fields plus the event's own."""
    return {
        "session_id": session_id,
        "transcript_path": str(transcript or repo / "no-transcript.jsonl"),
        "cwd": str(repo),
        "hook_event_name": name,
        **fields,
    }


def bash(repo: Path, command: str, **kw) -> dict:
    return event("PreToolUse", repo, tool_name="Bash", tool_input={"command": command, "description": "run"},
                 tool_use_id=f"toolu_{uuid.uuid4().hex[:20]}", **kw)


def transcript(config_dir: Path, repo: Path, session_id: str, calls: list[int], branch: str = "fix/crash",
               prompt: str = "Fix the crash when parsing empty files", day: int = 1) -> Path:
    """A transcript at <config>/projects/<project>/<session>.jsonl: one prompt, then one
    assistant response per entry of `calls` (its fresh input tokens), each written as two
    lines, as Claude Code streams it (same message id, output growing)."""
    path = config_dir / "projects" / ("-" + str(repo).strip("/").replace("/", "-")) / f"{session_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    base = {"cwd": str(repo), "sessionId": session_id, "version": "2.1.3", "gitBranch": branch, "isSidechain": False,
            "userType": "external"}
    lines = [dict(base, type="user", uuid=str(uuid.uuid4()), timestamp=f"2026-11-{day:02d}T10:00:00.000Z",
                  message={"role": "user", "content": prompt})]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    append_calls(path, repo, session_id, calls, branch=branch, day=day)
    return path


def append_calls(path: Path, repo: Path, session_id: str, calls: list[int], branch: str = "fix/crash",
                 day: int = 1) -> None:
    base = {"cwd": str(repo), "sessionId": session_id, "version": "2.1.3", "gitBranch": branch, "isSidechain": False,
            "userType": "external"}
    with open(path, "a", encoding="utf-8") as fh:
        for tokens in calls:
            mid, rid = f"msg_{uuid.uuid4().hex[:12]}", f"req_{uuid.uuid4().hex[:12]}"
            for output in (1, 100):
                fh.write(json.dumps(dict(
                    base, type="assistant", uuid=str(uuid.uuid4()), timestamp=f"2026-11-{day:02d}T10:00:05.000Z", requestId=rid,
                    message={"id": mid, "type": "message", "role": "assistant", "model": MODEL,
                             "content": [{"type": "text", "text": "ok"}],
                             "usage": {"input_tokens": tokens, "output_tokens": output,
                                       "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}},
                )) + "\n")


def cost_of(calls: list[int]) -> float:
    return sum(t * 3 / 1e6 + 100 * 15 / 1e6 for t in calls)


def run_hook(payload: dict | str, cwd: Path, agent: str = "claude") -> subprocess.CompletedProcess:
    """`farm hooks run AGENT` as Claude Code runs it: a process, JSON on stdin."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return subprocess.run([sys.executable, "-m", "farm", "hooks", "run", agent], input=text, cwd=cwd,
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)
