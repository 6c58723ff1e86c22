"""The one block farm owns inside a person's file: `<!-- farm:begin -->` … `<!-- farm:end -->`.

Everything outside the block stays byte-for-byte as it was, line endings included.
"""

from __future__ import annotations

import re

from farm.errors import InvalidInput

BEGIN = "<!-- farm:begin -->"
END = "<!-- farm:end -->"
# The markers match without their line ending, so replacing a block keeps the file's own.
# A BOM may open the file; "farm:end-of-list" is a person's comment, not farm's end marker.
_BEGIN = re.compile(r"(?:^|(?<=\A\ufeff))[ \t]*<!--\s*farm:begin(?![\w-])[^\n]*?-->[ \t]*(?=\r?$)", re.M)
_END = re.compile(r"(?:^|(?<=\A\ufeff))[ \t]*<!--\s*farm:end(?![\w-])[^\n]*?-->[ \t]*(?=\r?$)", re.M)


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def find_block(text: str, name: str) -> tuple[int, int] | None:
    """(start, end) offsets of the whole block, markers included; None when absent."""
    begins = list(_BEGIN.finditer(text))
    ends = list(_END.finditer(text))
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        raise InvalidInput(
            f"{name}: farm's block markers are broken (need exactly one '{BEGIN}' before one '{END}'); "
            "fix them by hand and run again"
        )
    return begins[0].start(), ends[0].end()


def replace_block(text: str, inner: str, name: str) -> str:
    """`text` with farm's block holding `inner`; the block is appended when absent."""
    nl = newline_of(text)
    body = inner.replace("\r\n", "\n").strip("\n")
    block = nl.join([BEGIN, *(body.split("\n") if body else []), END])
    span = find_block(text, name)
    if span is not None:
        return text[:span[0]] + block + text[span[1]:]
    if not text:
        return block + nl
    separator = "" if text.endswith(nl + nl) else (nl if text.endswith(nl) else nl + nl)
    return text + separator + block + nl
