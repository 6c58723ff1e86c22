"""Grader rules and `farm check`: each rule file in corrections/graders/ checks the files it
applies to. A violation is `path:line: correction-id: message`."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from farm.artifacts.grader import GRADER_DIR
from farm.model import read_text
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
        return any(glob in ("**", "*") or fnmatch.fnmatchcase(rel, glob) for glob in self.applies_to)


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # path -> hash of the content checked


def load_rules(farm: Farm, skip: set[str] = frozenset()) -> tuple[list[GraderRule], list[str]]:
    """The grader rules of the farm (minus corrections in `skip`), and warnings for broken ones."""
    import yaml

    rules, warnings = [], []
    folder = farm.corrections_dir / GRADER_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        rel = farm.rel(path)
        try:
            data = yaml.safe_load(read_text(path, rel))
            rule = _rule_from(data, rel)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            warnings.append(f"{rel}: {str(exc).splitlines()[0]}")
            continue
        except Exception as exc:  # InvalidCorrection from read_text
            warnings.append(str(exc))
            continue
        if rule.correction not in skip:
            rules.append(rule)
    return rules, warnings


def _rule_from(data: object, rel: str) -> GraderRule:
    if not isinstance(data, dict) or not isinstance(data.get("correction"), str):
        raise ValueError("correction: required field is missing")
    known = GraderRule.__dataclass_fields__
    values = {k: v for k, v in data.items() if k in known}
    for key in ("applies_to", "must_match", "must_not_match", "must_preserve", "require_heading"):
        value = values.get(key, [])
        values[key] = [value] if isinstance(value, str) else list(value or [])
    values.setdefault("message", "")
    values["applies_to"] = values["applies_to"] or ["**"]
    for pattern in values["must_match"] + values["must_not_match"]:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad regex {pattern!r}: {exc}") from None
    return GraderRule(**values)


def check_paths(
    farm: Farm, rules: list[GraderRule], paths: list[str],
    read: Callable[[str], bytes] | None = None,
) -> CheckReport:
    """Run every rule that applies to each path (relative to the repo root).

    `read` gives a path's content; the default reads the working tree (`--staged`
    passes one that reads the index).
    """
    report = CheckReport()
    read = read or (lambda rel: (farm.root / rel).read_bytes())
    for rel in paths:
        applicable = [rule for rule in rules if rule.applies(rel)]
        if not applicable:
            continue
        text = _decode(read, rel)
        if text is None:
            continue
        report.checked.append(rel)
        report.digests[rel] = hashlib.sha256(text.encode()).hexdigest()
        doc = Doc(text)
        doc.score_statements(applicable)
        for rule in applicable:
            report.violations.extend(check_text(farm.root, rule, rel, doc))
    return report


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
    from farm.writer import Change, farm_lock

    events = []
    for v in report.violations:
        key = hashlib.sha256(f"{v.correction}\0{v.path}\0{v.message}\0{report.digests[v.path]}".encode()).hexdigest()[:24]
        if key in known_keys:
            continue
        known_keys.add(key)
        events.append(model.Event(type="catch", correction=v.correction, at=model.now(), key=key,
                                  data={"path": v.path, "line": v.line, "message": v.message}))
    if not events:
        return []
    with farm_lock(farm):
        change = Change(farm)
        rels = [f"{farm.config['corrections_dir']}/{model.event_path(e)}" for e in events]
        for rel, event in zip(rels, events):
            change.write(rel, model.dump_event(event))
        change.commit("farm: catches", commit=False)
    return rels


def _decode(read: Callable[[str], bytes], rel: str) -> str | None:
    try:
        raw = read(rel)[:_MAX_FILE]
    except Exception:  # unreadable (gone, permissions, not in the index): nothing to check
        return None
    if b"\0" in raw[:8192]:
        return None  # binary
    return raw.decode("utf-8", errors="replace")


def check_text(root: Path, rule: GraderRule, rel: str, doc: Doc) -> list[Violation]:
    text = doc.text
    found: list[Violation] = []
    hit = lambda line, msg: found.append(Violation(rel, line, rule.correction, msg))  # noqa: E731
    for pattern in rule.must_match:
        if not re.search(pattern, text, re.M):
            hit(1, _say(rule, f"must match /{pattern}/"))
    for pattern in rule.must_not_match:
        for m in list(re.finditer(pattern, text, re.M))[:_MAX_HITS]:
            hit(_line_of(text, m.start()), _say(rule, f"must not match /{pattern}/ (found {m.group()[:60]!r})"))
    for statement in rule.must_preserve:
        if doc.preserved[statement] < rule.preserve_threshold:
            hit(1, _say(rule, f"lost a statement it must keep: {_clip(statement)!r} (similarity under {rule.preserve_threshold})"))
    missing = [h for h in rule.require_heading if " ".join(h.lstrip("# ").split()).casefold() not in doc.headings]
    for heading in missing:
        hit(1, _say(rule, f"has no heading {heading!r}"))
    if rule.check_cmd:
        failure = _run_check(root, rule.check_cmd, rel)
        if failure:
            hit(1, _say(rule, failure))
    return found


def _run_check(root: Path, command: str, rel: str) -> str | None:
    quoted = shlex.quote(rel)
    line = command.replace("{path}", quoted) if "{path}" in command else f"{command} {quoted}"
    try:
        proc = subprocess.run(line, shell=True, cwd=root, capture_output=True, text=True, timeout=300)  # noqa: S602 - the repo's own committed rule
    except subprocess.TimeoutExpired:
        return f"check command timed out: {command}"
    if proc.returncode == 0:
        return None
    tail = (proc.stdout + proc.stderr).strip().splitlines()
    return f"check command exited {proc.returncode}" + (f": {tail[-1][:200]}" if tail else "")


def _say(rule: GraderRule, detail: str) -> str:
    return f"{rule.message} ({detail})" if rule.message else detail


def _clip(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
