"""Benchmark `farm sessions import` against ccusage on the same generated logs.

    python bench/bench_import.py [--mb 200] [--keep DIR] [--no-ccusage]

Generates a Claude Code corpus shaped like real logs (assistant lines of 2–20 KB, each
response streamed as several lines with a growing output count, tool results, subagent
transcripts in both layouts with `agent_progress` mirrors in the parent, resumed sessions
that begin with copies of the previous session's last lines, 5m and 1h cache writes) plus a
Codex corpus (cumulative token_count events, re-emits, info: null), then times a cold
import, a re-import of unchanged logs, and — when `npm install ccusage@20.0.24` works —
`ccusage daily --json --offline --breakdown` on the same files, comparing totals per model
and per token class. Peak memory is each process tree's max RSS (wait4).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

CLAUDE_MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"]
CODEX_MODELS = ["gpt-5-codex", "gpt-5.1-codex"]
CCUSAGE_VERSION = "20.0.24"
# Real transcripts are a few common words spread over thousands of rare ones (identifiers,
# paths, numbers), with quotes and newlines that JSON escapes: a 40-word vocabulary makes
# byte searches look faster than they are on real logs.
COMMON = ("the a to of and in is it that for we this on with be not test file run error fix "
          "function return value line code add check case use").split()
_SYLLABLES = ("ba", "co", "di", "fu", "ga", "ke", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "xe", "zo")
RARE = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
RARE += [f"{w}_{v}" for w, v in zip(RARE[::7], RARE[3::7])] + ["src/farm/io.py", "\"quoted\"", "line\nbreak", "café", "é"]
VOCABULARY = COMMON + RARE
_CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))


def text(rng: random.Random, size: int) -> str:
    words = rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=max(1, size // 6))
    out = " ".join(words)
    while len(out) < size:
        out += " " + " ".join(rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=max(1, (size - len(out)) // 6)))
    return out[:size]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class ClaudeWriter:
    def __init__(self, rng: random.Random, root: Path):
        self.rng = rng
        self.root = root
        self.bytes = 0

    def base(self, sid: str, cwd: str, t: datetime, kind: str) -> dict:
        return {
            "parentUuid": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "isSidechain": False,
            "userType": "external",
            "cwd": cwd,
            "sessionId": sid,
            "version": "2.1.3",
            "gitBranch": self.rng.choice(["main", "fix/parser-crash", "feat/export", "refactor/io"]),
            "type": kind,
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "timestamp": iso(t),
        }

    def response(self, sid: str, cwd: str, t: datetime, model: str, context: int) -> list[dict]:
        """One API response as 1–4 lines (one per content block); the last has the real count."""
        rng = self.rng
        mid = f"msg_{rng.getrandbits(80):020x}"
        rid = f"req_{rng.getrandbits(80):020x}"
        output = rng.randint(50, 3000)
        written = rng.randint(0, 4000)
        one_hour = written if rng.random() < 0.15 else 0
        usage = {
            "input_tokens": rng.randint(1, 30),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": context,
            "cache_creation": {"ephemeral_5m_input_tokens": written - one_hour, "ephemeral_1h_input_tokens": one_hour},
            "output_tokens": output,
            "service_tier": "standard",
        }
        blocks = rng.randint(1, 4)
        lines = []
        for i in range(blocks):
            last = i == blocks - 1
            block = (
                {"type": "tool_use", "id": f"toolu_{rng.getrandbits(64):016x}", "name": "Bash",
                 "input": {"command": text(rng, rng.randint(100, 2000))}}
                if last and rng.random() < 0.7
                else {"type": "text", "text": text(rng, rng.randint(2000, 18000))}
            )
            line = self.base(sid, cwd, t + timedelta(milliseconds=200 * i), "assistant")
            line["message"] = {
                "id": mid, "type": "message", "role": "assistant", "model": model, "content": [block],
                "stop_reason": None if not last else "tool_use", "stop_sequence": None,
                "usage": dict(usage, output_tokens=output if last else rng.randint(1, 12)),
            }
            line["requestId"] = rid
            lines.append(line)
        return lines

    def tool_result(self, sid: str, cwd: str, t: datetime) -> dict:
        line = self.base(sid, cwd, t, "user")
        content = text(self.rng, self.rng.randint(500, 20000))
        line["message"] = {"role": "user", "content": [
            {"tool_use_id": f"toolu_{self.rng.getrandbits(64):016x}", "type": "tool_result", "content": content}]}
        return line

    def prompt(self, sid: str, cwd: str, t: datetime) -> dict:
        line = self.base(sid, cwd, t, "user")
        line["message"] = {"role": "user", "content": text(self.rng, self.rng.randint(40, 400))}
        return line

    def write(self, path: Path, lines: list[dict]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        path.write_bytes(data)
        self.bytes += len(data)

    def session(self, project: Path, cwd: str, start: datetime, replay: list[dict]) -> list[dict]:
        rng = self.rng
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        model = rng.choice(CLAUDE_MODELS)
        t = start
        lines = [dict(line, sessionId=sid) for line in replay]  # a resumed session copies old lines
        context = rng.randint(10000, 20000)
        for _turn in range(rng.randint(2, 5)):
            lines.append(self.prompt(sid, cwd, t))
            for _step in range(rng.randint(4, 12)):
                t += timedelta(seconds=rng.randint(2, 40))
                lines += self.response(sid, cwd, t, model, context)
                context += rng.randint(500, 4000)
                t += timedelta(seconds=rng.randint(1, 20))
                lines.append(self.tool_result(sid, cwd, t))
        if rng.random() < 0.4:
            lines += self.subagent(project, sid, cwd, t, nested=rng.random() < 0.6)
        self.write(project / f"{sid}.jsonl", lines)
        return lines[-6:]

    def subagent(self, project: Path, sid: str, cwd: str, t: datetime, nested: bool) -> list[dict]:
        """A subagent transcript; the parent gets `agent_progress` mirrors of its responses."""
        rng = self.rng
        agent = f"{rng.getrandbits(32):08x}"
        lines, mirrors = [], []
        for _ in range(rng.randint(3, 10)):
            t += timedelta(seconds=rng.randint(2, 30))
            resp = self.response(sid, cwd, t, "claude-haiku-4-5-20251001", rng.randint(5000, 30000))
            for line in resp:
                line["isSidechain"] = True
                line["agentId"] = agent
            lines += resp
            mirror = self.base(sid, cwd, t, "progress")
            mirror["data"] = {"type": "agent_progress", "agentId": agent, "message": resp[-1]}
            mirrors.append(mirror)
        where = project / sid / "subagents" / f"agent-{agent}.jsonl" if nested else project / f"agent-{agent}.jsonl"
        self.write(where, lines)
        return mirrors


def make_claude(root: Path, target_mb: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    writer = ClaudeWriter(rng, root)
    day0 = datetime(2025, 10, 1, 8, tzinfo=timezone.utc)
    projects = [root / "projects" / f"-home-dev-proj{i}" for i in range(12)]
    replay: dict[Path, list[dict]] = {}
    n = 0
    while writer.bytes < target_mb * 1024 * 1024:
        project = rng.choice(projects)
        start = day0 + timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 12), minutes=rng.randint(0, 59))
        resumed = replay.get(project) if rng.random() < 0.2 else None
        replay[project] = writer.session(project, f"/home/dev/{project.name[10:]}", start, resumed or [])
        n += 1
    return writer.bytes


def make_codex(root: Path, target_mb: float = 50, seed: int = 11) -> int:
    """Rollouts until `target_mb`: each tool call carries its output and an encrypted reasoning
    item, as real rollouts do, so most bytes are in lines without usage."""
    rng = random.Random(seed)
    size = 0
    day0 = datetime(2025, 10, 1, 8, tzinfo=timezone.utc)
    i = -1
    while size < target_mb * 1024 * 1024:
        i += 1
        t = day0 + timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 12))
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        folder = root / "sessions" / t.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        model = rng.choice(CODEX_MODELS)
        lines = [{"timestamp": iso(t), "type": "session_meta", "payload": {
            "id": sid, "timestamp": iso(t), "cwd": f"/home/dev/proj{i % 5}", "originator": "codex_cli_rs",
            "cli_version": "0.46.0", "git": {"branch": "main"}}}]
        total = [0, 0, 0, 0]
        for _turn in range(rng.randint(2, 6)):
            t += timedelta(seconds=30)
            lines.append({"timestamp": iso(t), "type": "turn_context", "payload": {"model": model, "cwd": "/x"}})
            lines.append({"timestamp": iso(t), "type": "event_msg", "payload": {
                "type": "user_message", "message": text(rng, 200)}})
            for _step in range(rng.randint(3, 15)):
                t += timedelta(seconds=rng.randint(3, 30))
                fresh = rng.randint(8000, 60000)
                last = [fresh, int(fresh * rng.uniform(0.5, 0.95)), rng.randint(100, 3000), 0]
                last[3] = rng.randint(0, last[2])
                total = [a + b for a, b in zip(total, last)]
                lines.append({"timestamp": iso(t), "type": "response_item", "payload": {
                    "type": "reasoning", "summary": [], "encrypted_content": f"{rng.getrandbits(8000):x}"}})
                lines.append({"timestamp": iso(t), "type": "response_item", "payload": {
                    "type": "function_call", "name": "shell", "arguments": json.dumps({"command": ["ls"]})}})
                lines.append({"timestamp": iso(t), "type": "response_item", "payload": {
                    "type": "function_call_output", "call_id": f"call_{rng.getrandbits(64):x}",
                    "output": text(rng, rng.randint(500, 12000))}})
                event = {"timestamp": iso(t), "type": "event_msg", "payload": {"type": "token_count", "info": {
                    "total_token_usage": _codex_usage(total), "last_token_usage": _codex_usage(last),
                    "model_context_window": 272000}}}
                lines.append(event)
                if rng.random() < 0.5:  # re-emitted with an unchanged total
                    lines.append(dict(event, timestamp=iso(t + timedelta(milliseconds=300))))
                if rng.random() < 0.2:
                    lines.append({"timestamp": iso(t), "type": "event_msg", "payload": {"type": "token_count", "info": None}})
        path = folder / f"rollout-{t.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl"
        data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        path.write_bytes(data)
        size += len(data)
    return size


def _codex_usage(v: list[int]) -> dict:
    return {"input_tokens": v[0], "cached_input_tokens": v[1], "output_tokens": v[2],
            "reasoning_output_tokens": v[3], "total_tokens": v[0] + v[2]}


def run(cmd: list[str], env: dict, cwd: Path | None = None) -> tuple[float, int, bytes]:
    """(seconds, peak RSS in MB of the process tree's largest process, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{cmd[0]} failed ({status}): {err.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, out


def install_ccusage(where: Path) -> Path | None:
    where.mkdir(parents=True, exist_ok=True)
    (where / "package.json").write_text('{"name": "farm-perf", "version": "1.0.0", "private": true}\n')
    if not shutil.which("npm"):
        return None
    done = subprocess.run(["npm", "install", "--silent", f"ccusage@{CCUSAGE_VERSION}"], cwd=where,
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"ccusage: npm install failed, skipping ({done.stderr.strip()[:200]})")
        return None
    return where


CLASSES = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def farm_totals(summary: dict) -> dict[str, dict[str, float]]:
    out = {}
    for model, row in summary["models"].items():
        out[model] = {
            "inputTokens": row["input_tokens"],
            # ccusage counts Codex reasoning inside output; compare like with like
            "outputTokens": row["output_tokens"] + row["reasoning_tokens"],
            "cacheCreationTokens": row["cache_creation_tokens"],
            "cacheReadTokens": row["cache_read_tokens"],
            "cost": row["cost_usd"],
        }
    return out


def ccusage_totals(report: dict) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for day in report.get("daily", []):
        for m in day.get("modelBreakdowns", []):
            row = out.setdefault(m["modelName"], dict.fromkeys((*CLASSES, "cost"), 0))
            for key in CLASSES:
                row[key] += m.get(key, 0)
            row["cost"] += m.get("cost", 0)
    return out


def compare(farm: dict, cc: dict) -> bool:
    same = True
    print(f"\n{'model':32} {'class':20} {'farm':>16} {'ccusage':>16}  diff")
    for model in sorted(set(farm) | set(cc)):
        for key in (*CLASSES, "cost"):
            a = farm.get(model, {}).get(key)
            b = cc.get(model, {}).get(key)
            if key == "cost":
                ok = a is not None and b is not None and abs(a - b) < 0.01 + 1e-6 * abs(b)
                fa = "unknown" if a is None else f"{a:.2f}"
                fb = "-" if b is None else f"{b:.2f}"
            else:
                ok = a == b
                fa, fb = f"{a or 0:,}", f"{b or 0:,}"
            same &= ok if key != "cost" else True
            print(f"{model:32} {key:20} {fa:>16} {fb:>16}  {'' if ok else 'DIFFERENT'}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the Claude Code corpus")
    parser.add_argument("--codex-mb", type=float, default=50, help="size of the Codex corpus")
    parser.add_argument("--keep", type=Path, help="generate into DIR and keep it")
    parser.add_argument("--no-ccusage", action="store_true")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="farm-perf-"))
    claude_root, codex_root = base / "claude", base / "codex"
    if not claude_root.exists():
        t = time.perf_counter()
        cb = make_claude(claude_root, args.mb)
        xb = make_codex(codex_root, args.codex_mb)
        print(f"generated {cb / 2**20:.0f} MB Claude Code + {xb / 2**20:.1f} MB Codex in {time.perf_counter() - t:.0f}s")
    home = base / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = {
        **os.environ,
        "FARM_HOME": str(base / "farm-home"),
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(claude_root),
        "CODEX_HOME": str(codex_root),
    }
    shutil.rmtree(base / "farm-home", ignore_errors=True)
    farm = [sys.executable, "-m", "farm", "sessions", "import", "--json"]
    cold, cold_mb, out = run(farm, env, cwd=home)
    summary = json.loads(out)
    warm, warm_mb, _ = run(farm, env, cwd=home)
    print(f"farm cold import: {cold:.2f}s, peak {cold_mb} MB  ({summary['files']} files, {summary['lines']:,} lines, "
          f"{summary['sessions']} sessions)")
    print(f"farm re-import:   {warm:.3f}s, peak {warm_mb} MB  ({100 * warm / cold:.1f}% of cold)")
    if args.no_ccusage:
        return
    where = install_ccusage(base / "ccusage")
    if where is None:
        return
    cc_cmd = ["npx", "--no-install", "ccusage", "daily", "--json", "--offline", "--breakdown"]
    cc_time, cc_mb, cc_out = run(cc_cmd, env, cwd=where)
    print(f"ccusage daily:    {cc_time:.2f}s, peak {cc_mb} MB")
    print(f"farm is {cc_time / cold:.1f}x faster cold; peak memory farm {cold_mb} MB vs ccusage {cc_mb} MB")
    same = compare(farm_totals(summary), ccusage_totals(json.loads(cc_out)))
    print("\ntoken totals: " + ("identical per model and class" if same else "DIFFER (see docs/sessions.md)"))


if __name__ == "__main__":
    main()
