"""Grader rules and `farm check`: each rule file in corrections/graders/ checks the files it
applies to. A violation is `path:line: correction-id: message`."""

from __future__ import annotations

import hashlib
import itertools
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from farm.artifacts.grader import GRADER_DIR
from farm.errors import InvalidCorrection, UnreadableFile
from farm.model import read_text
from farm.patterns import check_glob, compile_regex, glob_spec
from farm.project import Farm

_MAX_FILE = 5_000_000
_MAX_HITS = 20


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    correction: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.correction}: {self.message}"


@dataclass
class GraderRule:
    correction: str
    message: str
    applies_to: list[str]
    must_match: list[str] = field(default_factory=list)
    must_not_match: list[str] = field(default_factory=list)
    must_preserve: list[str] = field(default_factory=list)
    preserve_threshold: int = 85
    require_heading: list[str] = field(default_factory=list)
    check_cmd: str | None = None

    def applies(self, rel: str) -> bool:
        """Whether `rel` is one of the rule's files, by gitignore rules (`!` lines exclude)."""
        return glob_spec(tuple(self.applies_to)).match_file(rel)


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # path -> hash of the content checked
    uncovered: list[str] = field(default_factory=list)  # paths no rule applies to
    warnings: list[str] = field(default_factory=list)  # files that could not be read safely


def load_rules(farm: Farm, skip: set[str] = frozenset()) -> tuple[list[GraderRule], list[str]]:
    """The grader rules of the farm (minus corrections in `skip`), and warnings for broken ones."""
    import yaml

    rules, warnings = [], []
    folder = farm.corrections_dir / GRADER_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        rel = farm.rel(path)
        try:
            data = yaml.safe_load(read_text(path, rel, max_bytes=_MAX_RULE_FILE))
            rule = _rule_from(data, rel)
        except InvalidCorrection as exc:
            warnings.append(str(exc))
            continue
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            reason = (str(getattr(exc, "problem", None) or exc).splitlines() or ["cannot be read"])[0]
            warnings.append(f"{rel}: {reason}")
            continue
        if rule.correction not in skip:
            rules.append(rule)
    return rules, warnings


_LISTS = ("applies_to", "must_match", "must_not_match", "must_preserve", "require_heading")
_MAX_RULE_FILE = 1_000_000


def _rule_from(data: object, rel: str) -> GraderRule:
    """A rule file's rule; any field of the wrong type is InvalidCorrection naming file and field."""
    if not isinstance(data, dict) or not isinstance(data.get("correction"), str) or not data["correction"].strip():
        raise InvalidCorrection(f"{rel}: correction: required field is missing (the id of a correction)")
    values: dict = {"correction": data["correction"], "message": _text(data, "message", rel, "")}
    for key in _LISTS:
        values[key] = _text_list(data, key, rel)
    values["applies_to"] = values["applies_to"] or ["**"]
    for glob in values["applies_to"]:
        if reason := check_glob(glob):
            raise InvalidCorrection(f"{rel}: applies_to: {glob!r} {reason}")
    for key in ("must_match", "must_not_match"):
        for pattern in values[key]:
            try:
                compile_regex(pattern)
            except ValueError as exc:
                raise InvalidCorrection(f"{rel}: {key}: {pattern!r} is {exc}") from None
    threshold = data.get("preserve_threshold", 85)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= 100:
        raise InvalidCorrection(f"{rel}: preserve_threshold: expected a whole number 1-100, not {threshold!r}")
    values["preserve_threshold"] = threshold
    values["check_cmd"] = _text(data, "check_cmd", rel, None)
    return GraderRule(**values)


def _text(data: dict, key: str, rel: str, default):
    value = data.get(key, default)
    if value is not default and (not isinstance(value, str) or not value.strip()):
        raise InvalidCorrection(f"{rel}: {key}: expected a non-empty string")
    return value


def _text_list(data: dict, key: str, rel: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidCorrection(f"{rel}: {key}: expected a list of non-empty strings")
    return value


def check_paths(
    farm: Farm, rules: list[GraderRule], paths: list[str],
    read: Callable[[str], bytes] | None = None,
) -> CheckReport:
    """Run every rule that applies to each path (relative to the repo root).

    `read` gives a path's content; the default reads the working tree (`--staged`
    passes one that reads the index).
    """
    report = CheckReport()
    read = read or (lambda rel: read_work_tree(farm.root, rel))
    timeout = float(farm.config.get("check_cmd_timeout") or 300)
    for rel in paths:
        applicable = [rule for rule in rules if rule.applies(rel)]
        if not applicable:
            report.uncovered.append(rel)
            continue
        text = _decode(read, rel, report)
        if text is None:
            continue
        report.checked.append(rel)
        report.digests[rel] = hashlib.sha256(text.encode()).hexdigest()
        doc = Doc(text)
        doc.score_statements(applicable)
        for rule in applicable:
            report.violations.extend(check_text(farm.root, rule, rel, doc, timeout=timeout))
    return report


def read_work_tree(root: Path, rel: str) -> bytes:
    """The first _MAX_FILE bytes of a work-tree file. A tracked symlink is followed only to a
    regular file inside the repo, never out of it or into .git/ (it could show /etc/passwd)."""
    from farm.fsutil import read_bytes_bounded

    path = root / rel
    if os.path.islink(path):
        target = path.resolve()
        top = root.resolve()
        if not target.is_relative_to(top) or target.relative_to(top).parts[:1] == (".git",):
            raise UnreadableFile(f"{rel}: a symlink that leads out of the repository; not checked")
    return read_bytes_bounded(path, _MAX_FILE, rel, truncate=True)


class Doc:
    """A file's text, with what the checks derive from it computed once for all rules."""

    def __init__(self, text: str):
        self.text = text
        self.preserved: dict[str, float] = {}

    def score_statements(self, rules: list[GraderRule]) -> None:
        """How well this text keeps each must-preserve statement of `rules`, 0-100, ignoring
        case, spacing and punctuation; a score under the most lenient threshold is 0."""
        from rapidfuzz import fuzz
        from rapidfuzz.utils import default_process

        statements = {s for rule in rules for s in rule.must_preserve}
        if not statements:
            return
        pending: list[tuple[str, str]] = []
        for statement in statements:
            needle = default_process(statement)
            if not needle or needle in self.processed:
                self.preserved[statement] = 100.0
            else:
                pending.append((statement, needle))
        cutoff = min(rule.preserve_threshold for rule in rules if rule.must_preserve)
        for statement, needle in pending:
            self.preserved[statement] = fuzz.partial_ratio(needle, self.processed, score_cutoff=cutoff)

    @cached_property
    def processed(self) -> str:
        from rapidfuzz.utils import default_process

        return default_process(self.text)

    @cached_property
    def headings(self) -> set[str]:
        from markdown_it import MarkdownIt

        tokens = MarkdownIt("commonmark").parse(self.text)
        return {
            " ".join(tokens[i + 1].content.split()).casefold()
            for i, tok in enumerate(tokens) if tok.type == "heading_open" and i + 1 < len(tokens)
        }


def record_catches(farm: Farm, report: CheckReport, known_keys: set[str]) -> list[str]:
    """Write a catch event per violation (not committed: they go with the person's fix); the same
    violation of the same content is one catch."""
    from farm import model
    from farm.redact import redact
    from farm.writer import Change, farm_lock

    events = []
    for v in report.violations:
        message = redact(v.message)  # a rule that blocks a secret must not store it
        key = hashlib.sha256(f"{v.correction}\0{v.path}\0{message}\0{report.digests[v.path]}".encode()).hexdigest()[:24]
        if key in known_keys:
            continue
        known_keys.add(key)
        events.append(model.Event(type="catch", correction=v.correction, at=model.now(), key=key,
                                  data={"path": v.path, "line": v.line, "message": message}))
    if not events:
        return []
    with farm_lock(farm):
        change = Change(farm)
        rels = [f"{farm.config['corrections_dir']}/{model.event_path(e)}" for e in events]
        for rel, event in zip(rels, events):
            change.write(rel, model.dump_event(event))
        change.commit("farm: catches", commit=False)
    return rels


def _decode(read: Callable[[str], bytes], rel: str, report: CheckReport) -> str | None:
    try:
        raw = read(rel)[:_MAX_FILE]
    except UnreadableFile as exc:  # a FIFO, a device, a link out of the repo: say so
        if "no such file" not in str(exc):
            report.warnings.append(str(exc))
        return None
    except Exception:  # gone, permissions, not in the index: nothing to check
        return None
    if b"\0" in raw[:8192]:
        return None  # binary
    return raw.decode("utf-8", errors="replace")


def check_text(root: Path, rule: GraderRule, rel: str, doc: Doc, *, timeout: float = 300) -> list[Violation]:
    from farm.redact import redact

    text = doc.text
    found: list[Violation] = []
    # A hand-written rule's message is shown and stored: redacted like everything else.
    hit = lambda line, msg: found.append(Violation(rel, line, rule.correction, redact(msg)))  # noqa: E731
    for pattern in rule.must_match:
        if not compile_regex(pattern).search(text):
            hit(1, _say(rule, f"must match /{pattern}/"))
    for pattern in rule.must_not_match:
        for m in itertools.islice(compile_regex(pattern).finditer(text), _MAX_HITS):
            shown = _shown_match(text, m.start(), m.end())
            hit(_line_of(text, m.start()), _say(rule, f"must not match /{pattern}/ (found {shown!r})"))
    for statement in rule.must_preserve:
        if doc.preserved[statement] < rule.preserve_threshold:
            hit(1, _say(rule, f"lost a statement it must keep: {_clip(statement)!r} (similarity under {rule.preserve_threshold})"))
    missing = [h for h in rule.require_heading if " ".join(h.lstrip("# ").split()).casefold() not in doc.headings]
    for heading in missing:
        hit(1, _say(rule, f"has no heading {heading!r}"))
    if rule.check_cmd:
        failure = _run_check(root, rule.check_cmd, rel, timeout)
        if failure:
            hit(1, _say(rule, failure))
    return found


def _shown_match(text: str, start: int, end: int) -> str:
    """What a must-not-match hit shows: the match, with any secret it is part of redacted
    (the secret is judged on its whole line, so a rule matching half a key still hides it)."""
    from farm.redact import find_secrets

    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    shown, pos = [], start
    for f in find_secrets(line):
        f_start, f_end = f.start + line_start, f.end + line_start
        if f_end <= pos or f_start >= end:
            continue
        shown += [text[pos:max(pos, f_start)], f"[REDACTED:{f.kind}]"]
        pos = max(pos, f_end)
    shown.append(text[pos:end] if pos < end else "")
    out = "".join(shown)
    return out if len(out) <= 60 else out[:59] + "…"


def _run_check(root: Path, command: str, rel: str, timeout: float = 300) -> str | None:
    quoted = shlex.quote(rel)
    line = command.replace("{path}", quoted) if "{path}" in command else f"{command} {quoted}"
    try:
        proc = subprocess.run(line, shell=True, cwd=root, capture_output=True, text=True, timeout=timeout)  # noqa: S602 - the repo's own committed rule, trusted like a Makefile
    except subprocess.TimeoutExpired:
        return f"check command timed out: {command}"
    if proc.returncode == 0:
        return None
    tail = (proc.stdout + proc.stderr).strip().splitlines()
    from farm.redact import redact

    return f"check command exited {proc.returncode}" + (f": {redact(tail[-1])[:200]}" if tail else "")


def _say(rule: GraderRule, detail: str) -> str:
    return f"{rule.message} ({detail})" if rule.message else detail


def _clip(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
