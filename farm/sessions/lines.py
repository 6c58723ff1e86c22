"""Reading a JSONL transcript from a byte offset, leniently, without ever writing to it.

Shared by the readers: they get whole lines and report what they skipped and why.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from farm.sessions.scanner import count_lines

CHUNK = 32 * 1024 * 1024
WHOLE = 128 * 1024 * 1024  # files (or unread tails) up to this size are read in one go
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Unreadable(Exception):
    """The whole file cannot be read; the message is the reason for the summary."""


@dataclass
class LineStats:
    lines: int = 0
    skipped: Counter = field(default_factory=Counter)
    end_offset: int = 0  # just past the last complete line read
    pending_tail: bool = False  # an unfinished last line was left to be read next time

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1


def read_blocks(path: Path, offset: int, stats: LineStats) -> Iterator[tuple[int, bytes]]:
    """(offset, block) where each block is whole lines, the last one without its newline.

    A final line with no newline is included only if it is a complete JSON value; otherwise
    it is left (and counted) for the next import to read again once it is finished.
    """
    pos = offset
    carry = b""
    for chunk in _open(path, offset):
        buf = carry + chunk if carry else chunk
        end = buf.rfind(b"\n")
        if end < 0:
            carry = buf
            continue
        stats.lines += count_lines(buf, end + 1)
        yield pos, buf[:end]
        pos += end + 1
        carry = buf[end + 1 :]
    stats.end_offset = pos
    if carry.strip(b" \t\r\x00"):
        if _complete_json(carry):
            stats.lines += 1
            stats.end_offset = pos + len(carry)
            yield pos, carry
        else:
            stats.pending_tail = True
            stats.skip("unfinished last line (read again next import)")
    elif carry:
        stats.end_offset = pos + len(carry)


def read_lines(path: Path, offset: int, stats: LineStats) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each complete line from `offset` (see read_blocks)."""
    for pos, block in read_blocks(path, offset, stats):
        start = 0
        for line in block.split(b"\n"):
            yield pos + start, line
            start += len(line) + 1


def _complete_json(raw: bytes) -> bool:
    import orjson

    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return True


def _open(path: Path, offset: int) -> Iterator[bytes]:
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise Unreadable(_reason(exc)) from None
    with fh:
        try:
            head = fh.read(4)
        except OSError as exc:
            raise Unreadable(_reason(exc)) from None
        if head.startswith(GZIP_MAGIC):
            raise Unreadable("gzip data in a .jsonl file")
        if head == ZSTD_MAGIC:
            yield from _zstd_chunks(fh)
            return
        fh.seek(offset)
        size = os.fstat(fh.fileno()).st_size - offset
        if size <= WHOLE:  # one exact read: no oversized buffers, no joining
            try:
                yield fh.read(size + 1)
            except OSError as exc:
                raise Unreadable(_reason(exc)) from None
            return
        while True:
            try:
                chunk = fh.read(CHUNK)
            except OSError as exc:
                raise Unreadable(_reason(exc)) from None
            if not chunk:
                return
            yield chunk


def _zstd_chunks(fh) -> Iterator[bytes]:
    import zstandard

    fh.seek(0)
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
        while chunk := reader.read(CHUNK):
            yield chunk
    except zstandard.ZstdError as exc:
        raise Unreadable(f"bad zstd data ({exc})") from None


def is_zstd(path: Path) -> bool:
    return path.name.endswith(".zst")


def _reason(exc: OSError) -> str:
    return f"unreadable ({exc.strerror or type(exc).__name__})"
