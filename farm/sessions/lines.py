"""Reading a JSONL transcript from a byte offset, leniently, without ever writing to it.

Shared by the readers: they get whole lines and report what they skipped and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 32 * 1024 * 1024
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


def read_lines(path: Path, offset: int, stats: LineStats) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each complete line from `offset`. A final line without a newline is
    yielded only if it is a complete JSON value; otherwise it is left for the next import."""
    data_source = _open(path, offset)
    pos = offset
    carry = b""
    for chunk in data_source:
        buf = carry + chunk if carry else chunk
        start = 0
        end = buf.rfind(b"\n")
        if end < 0:
            carry = buf
            continue
        for line in buf[: end].split(b"\n"):
            stats.lines += 1
            yield pos + start, line
            start += len(line) + 1
        pos += start
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
