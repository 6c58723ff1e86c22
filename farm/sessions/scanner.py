"""The byte-level passes of the readers, kept exact and as few as they can be.

Measured on 200 MB of Claude Code transcripts (bench/bench_ratios.py's corpus): counting
newlines with `bytes.count` runs byte by byte (≈70 ms), a walk of `bytes.find(b"\\n")` is memchr
(≈18 ms); one regular-expression pass finding either needle is faster than two `bytes.find`
passes (≈100 ms against ≈270 ms). Both return exactly what the plain passes returned:
tests/test_scanner.py compares them on fuzzed blocks.
"""

from __future__ import annotations

import re

USAGE = b'"usage"'
USER = b'"type":"user"'
TOOL_USE_ID = b'"tool_use_id"'
# Lines that may carry usage: a usage object, or an Agent-SDK message spread one character per
# key (its "usage" split apart). Main transcripts also: user prompts, the harness's cost-state
# snapshots and compactions. One alternation is one pass, whatever the number of needles.
_EITHER = re.compile(rb'"(?:usage"|type":"user"|message":\{"0":"|type":"cost-state"|subtype":"compact_boundary")')
_USAGE = re.compile(rb'"(?:usage"|message":\{"0":")')
_CARRIES_USAGE = (117, 109)  # the u of "usage", the m of a character-map "message"


def count_lines(buf: bytes, end: int) -> int:
    """How many b"\\n" are in buf[:end]."""
    n = 0
    find = buf.find
    i = find(b"\n", 0, end)
    while i >= 0:
        n += 1
        i = find(b"\n", i + 1, end)
    return n


def wanted_lines(block: bytes, human: bool, big_line: int) -> list[tuple[int, int, bool]]:
    """(start, end, has usage) of each line of `block` holding `"usage"` or a character-map
    message, or — when `human` — `"type":"user"` (a possible prompt; left out when it is a tool
    result or `big_line` long), a cost-state snapshot or a compaction."""
    out = []
    search = (_EITHER if human else _USAGE).search
    find, rfind = block.find, block.rfind
    size = len(block)
    m = search(block)
    while m is not None:
        at = m.start()
        start = rfind(b"\n", 0, at) + 1
        end = find(b"\n", at)
        if end < 0:
            end = size
        # a "usage" may begin on the closing quote of another needle ("user", …)
        has_usage = block[at + 1] in _CARRIES_USAGE or find(USAGE, m.end() - 1, end) >= 0
        if has_usage or (end - start < big_line and find(TOOL_USE_ID, start, end) < 0):
            out.append((start, end, has_usage))
        m = search(block, end)
    return out
