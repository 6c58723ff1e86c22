"""farm/sessions/scanner.py against the plain passes it replaces, on real-shaped and fuzzed blocks."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from farm.sessions.scanner import count_lines, wanted_lines

LOGS = Path(__file__).parent / "data" / "logs"
PIECES = [b'"usage"', b'"type":"user"', b'"tool_use_id"', b"\n", b'"', b"usage", b'"type":"user"usage"',
          b'"message":{"0":"', b'"type":"cost-state"', b'"subtype":"compact_boundary"', b'"message":{"0":"usage"',
          b'{"type":"assistant","message":{"usage":{"input_tokens":1}}}', b"\\", b"\x00", b"\xff", b" ", b"x" * 40]


CHARMAP = b'"message":{"0":"'
MAIN = (b'"type":"user"', b'"type":"cost-state"', b'"subtype":"compact_boundary"')


def plain_wanted_lines(block: bytes, human: bool, big_line: int) -> list[tuple[int, int, bool]]:
    """One plain pass per needle (claude._wanted_lines at cfd0329, with the 2026 needles): a line
    carries usage when it holds "usage", or when a character-map message is its first needle."""
    spans: dict[int, tuple[int, int]] = {}  # line start -> (end, where its first needle is)
    needles = (b'"usage"', CHARMAP) + (MAIN if human else ())
    for needle in needles:
        i = block.find(needle)
        while i >= 0:
            start = block.rfind(b"\n", 0, i) + 1
            end = block.find(b"\n", i)
            if end < 0:
                end = len(block)
            if start not in spans or i < spans[start][1]:
                spans[start] = (end, i)
            i = block.find(needle, end)
    spans = {start: (end, block.find(b'"usage"', start, end) >= 0 or block.startswith(CHARMAP, first))
             for start, (end, first) in spans.items()}
    return [
        (start, end, has_usage)
        for start, (end, has_usage) in sorted(spans.items())
        if has_usage or (end - start < big_line and block.find(b'"tool_use_id"', start, end) < 0)
    ]


def same(block: bytes) -> None:
    for human in (True, False):
        for big in (1024 * 1024, 30):
            assert wanted_lines(block, human, big) == plain_wanted_lines(block, human, big), (block[:200], human, big)
    for end in {0, len(block) // 2, len(block)}:
        assert count_lines(block, end) == block.count(b"\n", 0, end)


def test_the_corpus_transcripts():
    files = sorted(LOGS.rglob("*.jsonl"))
    assert files
    for path in files:
        same(path.read_bytes())


def test_generated_lines_of_every_kind():
    rng = random.Random(5)
    lines = []
    for n in range(400):
        kind = rng.choice(["assistant", "user", "progress", "summary"])
        obj = {"type": kind, "sessionId": "s", "message": {"id": f"m{n}", "content": [
            {"type": "tool_result", "tool_use_id": "t"} if rng.random() < 0.3 else {"type": "text", "text": "x" * rng.randint(0, 60)}]}}
        if rng.random() < 0.6:
            obj["message"]["usage"] = {"input_tokens": n}
        lines.append(json.dumps(obj, separators=(",", ":")).encode())
    same(b"\n".join(lines))
    same(b"\n".join(lines) + b"\n")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_fuzzed_blocks(pieces):
    same(b"".join(pieces))
