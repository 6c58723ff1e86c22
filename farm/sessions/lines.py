"""Reading a JSONL transcript from a byte offset, leniently, without ever writing to it.

Shared by the readers: they get whole lines and report what they skipped and why. Reads are
bounded: a line longer than MAX_LINE is skipped (read through to its newline, not kept), a
compressed file stops at MAX_INFLATED bytes of output, and anything that is not a regular file
(a FIFO, a device) is refused before it is opened for a blocking read.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from farm.sessions.scanner import count_lines

CHUNK = 32 * 1024 * 1024
WHOLE = 128 * 1024 * 1024  # files (or unread tails) up to this size are read in one go
MAX_LINE = 256 * 1024 * 1024  # longer lines are skipped: no agent writes one, a corrupt file can
MAX_INFLATED = 2 * 1024 * 1024 * 1024  # a compressed rollout that inflates past this is a bomb
# Real rollouts compress 5-50x; past BOMB_AFTER bytes out, a ratio above BOMB_RATIO is a bomb.
BOMB_RATIO = 1000
BOMB_AFTER = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
TOO_LONG = "line longer than {} MiB"


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


def open_regular(path: Path):
    """The file opened for binary reading; Unreadable when it is not a regular file.

    O_NONBLOCK keeps a FIFO named `*.jsonl` from blocking the open until a writer comes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise Unreadable(_reason(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Unreadable(f"not a regular file ({file_kind(mode)})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_blocks(path: Path, offset: int, stats: LineStats) -> Iterator[tuple[int, bytes]]:
    """(offset, block) where each block is whole lines, the last one without its newline.

    A final line with no newline is included when it parses as JSON (leniently, as the readers
    parse it) or can never become valid (a NUL inside it); otherwise it is left (and counted)
    for the next import to read again once it is finished. A line longer than MAX_LINE is
    skipped and counted; memory stays bounded by MAX_LINE plus one chunk.
    """
    limit = MAX_LINE // 2**20
    pos = offset  # file offset of the first byte not yet yielded or dropped
    parts: list[bytes] = []  # the start of a line whose newline has not come yet
    held = 0
    skipping = False  # inside an over-long line: drop bytes until its newline
    nuls = True  # so far the over-long line is only NULs (what a power loss leaves)
    for chunk in _open(path, offset):
        if isinstance(chunk, int):  # a hole in a sparse file: that many NULs, not read
            if not skipping and held + chunk > MAX_LINE:
                nuls = not any(part.lstrip(b"\x00") for part in parts)
                pos += held
                parts, held, skipping = [], 0, True
            if skipping:
                pos += chunk
                continue
            chunk = b"\x00" * chunk  # a short hole inside a line: read as what it holds
        if skipping:
            first = chunk.find(b"\n")
            nuls = nuls and not chunk[: first if first >= 0 else len(chunk)].lstrip(b"\x00")
            if first < 0:
                pos += len(chunk)
                continue
            stats.lines += 1
            stats.skip(_too_long(limit, nuls))
            pos += first + 1
            chunk, skipping = chunk[first + 1 :], False
        end = chunk.rfind(b"\n")
        if end < 0:
            parts.append(chunk)
            held += len(chunk)
            if held > MAX_LINE:
                nuls = not any(part.lstrip(b"\x00") for part in parts)
                pos += held
                parts, held, skipping = [], 0, True
            continue
        if parts:
            first = chunk.find(b"\n")
            if held + first > MAX_LINE:
                stats.lines += 1
                stats.skip(_too_long(limit, False))
                pos += held + first + 1
                chunk, end = chunk[first + 1 :], end - first - 1
                parts, held = [], 0
            else:
                chunk, end = b"".join(parts) + chunk, end + held
                parts, held = [], 0
        if end >= 0:
            stats.lines += count_lines(chunk, end + 1)
            yield pos, chunk[:end]
            pos += end + 1
        if len(chunk) > end + 1:
            parts, held = [chunk[end + 1 :]], len(chunk) - end - 1
    stats.end_offset = pos
    if skipping:  # an over-long last line: counted once, never re-read
        stats.lines += 1
        stats.skip(_too_long(limit, nuls))
        return
    carry = b"".join(parts)
    if carry.strip(b" \t\r\x00"):
        if _finished(carry):
            stats.lines += 1
            stats.end_offset = pos + len(carry)
            yield pos, carry
        else:
            stats.pending_tail = True
            stats.skip("unfinished last line (read again next import)")
    elif carry:
        stats.end_offset = pos + len(carry)


def _too_long(limit_mib: int, nuls: bool) -> str:
    return f"NUL bytes with no newline for more than {limit_mib} MiB" if nuls else TOO_LONG.format(limit_mib)


def read_lines(path: Path, offset: int, stats: LineStats) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each complete line from `offset` (see read_blocks)."""
    for pos, block in read_blocks(path, offset, stats):
        start = 0
        for line in block.split(b"\n"):
            yield pos + start, line
            start += len(line) + 1


def parse_lenient(raw) -> object | None:
    """A JSON value from a line, or None. Invalid UTF-8 is replaced and lone surrogates are
    accepted: the usage on such a line is real (the call was billed)."""
    import orjson

    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    text = bytes(raw).decode("utf-8", "replace")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None


def _finished(raw: bytes) -> bool:
    """Whether a last line without its newline is complete, by the readers' own lenient rules.

    A NUL inside the text can never be completed by more writes, so it counts as finished
    (the reader then skips it once, as "NUL bytes"), never as pending for good.
    """
    stripped = raw.strip(b"\x00")
    if b"\x00" in stripped:
        return True
    return parse_lenient(stripped) is not None


def _open(path: Path, offset: int) -> Iterator[bytes | int]:
    """The file's bytes from `offset` in chunks; an int n stands for n NULs of a sparse hole."""
    fh = open_regular(path)
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
            if len(chunk) == CHUNK and not chunk.lstrip(b"\x00") and (hole := _hole_after(fh)):
                yield hole


def _hole_after(fh) -> int:
    """How many bytes of a sparse file's hole start here (all NULs: skipped, not read), or 0.

    A file made by `truncate -s 3G` is one hole: reading it through would take seconds."""
    if not hasattr(os, "SEEK_DATA"):
        return 0
    here = fh.tell()
    try:
        data = os.lseek(fh.fileno(), here, os.SEEK_DATA)
    except OSError:  # ENXIO: nothing but a hole up to the end
        data = os.fstat(fh.fileno()).st_size
    fh.seek(max(data, here))
    return max(data - here, 0)


def _zstd_chunks(fh) -> Iterator[bytes]:
    import zstandard

    fh.seek(0)
    inflated = 0
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
        while chunk := reader.read(min(CHUNK, MAX_INFLATED - inflated + 1)):
            inflated += len(chunk)
            if inflated > MAX_INFLATED:
                raise Unreadable(f"zstd data inflates past {MAX_INFLATED // 2**20} MiB (not read)")
            if inflated > BOMB_AFTER and inflated > BOMB_RATIO * max(fh.tell(), 1):
                raise Unreadable(f"zstd data inflates more than {BOMB_RATIO}x (a bomb, not read)")
            yield chunk
    except zstandard.ZstdError as exc:
        raise Unreadable(f"bad zstd data ({exc})") from None


def is_zstd(path: Path) -> bool:
    return path.name.endswith(".zst")


def file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"


def _reason(exc: OSError) -> str:
    return f"unreadable ({exc.strerror or type(exc).__name__})"
