"""The two pattern languages of grader rules, in one place: regexes run on RE2 (linear time,
so `(a+)+$` cannot hang `farm check` or the pre-commit hook) and `applies_to` globs follow
gitignore rules (`tests/**/*.py` covers `tests/x.py`; `*.md` covers `docs/a.md`)."""

from __future__ import annotations

import functools

MAX_REGEX_MEMORY = 64 << 20


@functools.lru_cache(maxsize=1024)
def compile_regex(pattern: str):
    """`pattern` compiled by RE2, multi-line (^ and $ at each line). ValueError says why not."""
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_REGEX_MEMORY
    try:
        return re2.compile("(?m)" + _re2_spelling(pattern), options)
    except Exception as exc:  # re2.error; its text is bytes
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        reason = reason.split(": (?m)")[0]  # the pattern itself: the caller names it
        raise ValueError(f"not a valid regex for RE2, which farm check uses ({reason})") from None


def _re2_spelling(pattern: str) -> str:
    """Python's `\\Z` (end of text) is RE2's `\\z`; an escaped backslash before Z stays."""
    out, i = [], 0
    while i < len(pattern):
        pair = pattern[i : i + 2]
        if pair == "\\Z":
            out.append("\\z")
        else:
            out.append(pair if pair[:1] == "\\" else pattern[i])
        i += 2 if pair[:1] == "\\" else 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def glob_spec(globs: tuple[str, ...]):
    """The files `globs` cover, as a .gitignore with those lines would (`!` lines exclude)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(globs)


def check_glob(glob: str) -> str:
    """Why `glob` is no use as an applies_to line ("" when it is fine)."""
    stripped = glob.strip()
    if not stripped or stripped.startswith("#"):
        return "is empty (or a comment), so it covers no file"
    try:
        glob_spec((glob,))
    except Exception as exc:  # pathspec's GitWildMatchPatternError and friends
        return f"is not a gitignore-style glob ({exc})"
    return ""
