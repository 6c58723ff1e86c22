"""Property tests (hypothesis) for issue 11's classes: every capture field is redacted, every
read is bounded and typed, grader regexes and rule files cannot crash or hang `farm check`.

Generated hostile trees run farm as a subprocess with a timeout (a FIFO could hang it); the
rest run in-process. No test times anything: a hang fails by its timeout, not by a figure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import git

CORPUS = Path(__file__).parent / "data" / "secrets"
SECRETS = [json.loads(line) for line in (CORPUS / "secrets.jsonl").read_text(encoding="utf-8").splitlines()]
# Secrets short enough to sit in a one-line flag, and their cases' text as the flag's value.
FLAG_CASES = [c for c in SECRETS if len(c["text"]) < 400 and all(len(s) >= 8 for s in c["secrets"])]
SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _capture_flags() -> dict[str, bool]:
    """Every text flag of `farm capture` (name -> repeatable), read from the command itself,
    so a flag added later is covered by the property below without being named here."""
    import click

    from farm.commands.capture import capture

    skip = {"kind", "session_path", "session_id", "as_json"}
    return {p.name: p.multiple for p in capture.params
            if isinstance(p, click.Option) and p.name not in skip and not p.is_flag
            and isinstance(p.type, click.types.StringParamType)}


@FAST
@given(flag=st.sampled_from(sorted(_capture_flags())), case=st.sampled_from(FLAG_CASES))
def test_no_capture_flag_keeps_a_secret(flag, case):
    from farm.capture import Miss, clean_miss

    text = case["text"]
    assume(flag != "title" or len(" ".join(text.split())) <= 200)
    value = [text] if _capture_flags()[flag] else text
    fields = {"title": "t", "what": "w", "rule": "r", "kind": "grader"}
    if flag in fields:
        fields[flag] = value
        miss = Miss(**fields)
    elif flag in ("task_type", "tags", "signature"):
        miss = Miss(**fields, **{flag: value})
    else:
        miss = Miss(**fields, options={flag: value})
    cleaned = clean_miss(miss)
    kept = repr((cleaned.title, cleaned.what, cleaned.rule, cleaned.task_type, cleaned.tags, cleaned.signature,
                 cleaned.options))
    for secret in case["secrets"]:
        if secret in text:
            assert secret not in kept, (flag, secret)


_LINES = st.lists(st.one_of(
    st.sampled_from(["## Rule", "## What went wrong", "\\## Rule", "\\\\## x", "##  Rule", "### Rule", "---", ""]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=30),
), min_size=1, max_size=8)


@FAST
@given(what=_LINES, rule=_LINES)
def test_what_and_rule_read_back_as_written(what, rule):
    from farm import model

    what_text, rule_text = "\n".join(what).strip(), "\n".join(rule).strip()
    if not what_text or not rule_text:
        return
    c = model.Correction(id="a-1", title="t", kind="prompt", created=datetime(2026, 1, 1, tzinfo=timezone.utc),
                         what=what_text, rule=rule_text)
    back = model.parse_correction(model.dump_correction(c), "a-1.md")
    assert (back.what, back.rule) == (what_text.strip(), rule_text.strip())


_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


@FAST
@given(values=st.dictionaries(st.sampled_from(sorted(__import__("farm.config").config.SETTINGS) + ["typo_key"]), _ANY,
                              max_size=4))
def test_a_setting_is_accepted_with_its_type_or_refused_in_one_line(values):
    from farm.config import SETTINGS, _checked, take_warnings
    from farm.errors import InvalidInput

    try:
        accepted = _checked(values, "farm.toml")
    except InvalidInput as exc:
        assert str(exc).startswith("farm.toml: ") and "\n" not in str(exc)
        return
    finally:
        take_warnings()
    for key, value in accepted.items():
        assert SETTINGS[key].check(value) == ""
        if SETTINGS[key].type == "path":
            assert isinstance(value, str) and not value.startswith("/")
        if SETTINGS[key].type == "list of paths":
            assert isinstance(value, list) and all(isinstance(v, str) for v in value)


_RULE_KEYS = ["applies_to", "must_match", "must_not_match", "must_preserve", "require_heading",
              "preserve_threshold", "message", "correction"]
_REGEXISH = st.text(st.sampled_from("a()+*?|$^.[]{}\\1-,zZ"), max_size=12)


@FAST
@given(data=st.dictionaries(st.sampled_from(_RULE_KEYS), st.one_of(_ANY, _REGEXISH, st.lists(_REGEXISH, max_size=3)),
                            max_size=6),
       text=st.text(max_size=200) | st.just("a" * 60 + "!"))
def test_a_grader_rule_file_loads_typed_or_is_refused_and_never_crashes_check(data, text):
    from farm.check import Doc, _rule_from, check_text
    from farm.errors import InvalidCorrection

    data.setdefault("correction", "c-1")
    try:
        rule = _rule_from(data, "g.yml")
    except InvalidCorrection as exc:
        assert str(exc).startswith("g.yml: ")
        return
    doc = Doc(text)
    doc.score_statements([rule])
    for violation in check_text(Path("."), rule, "x.md", doc):
        assert violation.correction == rule.correction


@FAST
@given(pattern=_REGEXISH, n=st.integers(0, 2000))
def test_any_regex_either_is_refused_or_runs_in_linear_time_on_re2(pattern, n):
    from farm.patterns import compile_regex

    try:
        compiled = compile_regex(pattern)
    except ValueError as exc:
        assert "RE2" in str(exc)
        return
    compiled.search("a" * n + "!")  # a backtracking engine would not return for (a+)+$ here


# --- hostile trees through the real CLI ------------------------------------------------------------

_PLACES = ["farm.toml", "AGENTS.md", "CLAUDE.md", "corrections/x.md", "corrections/log/2026-01/e.json",
           "corrections/graders/g.yml", "templates/prompt_block.md.j2", "templates/grader.yml.j2", "doc.md"]
_KINDS = ["fifo", "loop", "dangling", "folder", "huge", "not-utf8", "nul", "dev-zero", "bad-date", "wrong-types",
          "plain-date"]


def _plant(root: Path, place: str, kind: str) -> None:
    path = root / place
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink() if not path.is_dir() or path.is_symlink() else shutil.rmtree(path)
    content = {
        "huge": b"a" * 2_100_000,
        "not-utf8": b"---\ntitle: \xff\xfe\n---\n",
        "nul": b"\0" * 5000,
        "bad-date": b"---\nid: x\ntitle: T\nkind: prompt\ncreated: 2025-02-30\n---\n\n## What went wrong\n\nw\n\n## Rule\n\nr\n",
        "plain-date": b"---\nid: x\ntitle: T\nkind: prompt\ncreated: 2025-09-01\n---\n\n## What went wrong\n\nw\n\n## Rule\n\nr\n",
        "wrong-types": (b'{"type": 5, "at": [1], "correction": {}}' if place.endswith(".json") else
                        b"corrections_dir = 5\nprompt_files = 'CLAUDE'\n" if place.endswith(".toml") else
                        b"correction: 7\napplies_to: [1]\nmust_match: {a: 1}\npreserve_threshold: abc\ntags: 5\n"),
    }
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        os.symlink(path.name, path)
    elif kind == "dangling":
        os.symlink("nowhere-at-all", path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dev-zero":
        os.symlink("/dev/zero", path)
    else:
        path.write_bytes(content[kind])


@pytest.fixture(scope="module")
def template_farm(tmp_path_factory) -> Path:
    """One farm with a prompt and a grader correction, copied for each generated tree."""
    root = tmp_path_factory.mktemp("hostile") / "repo"
    root.mkdir()
    env = {**os.environ, "FARM_HOME": str(root.parent / "fh")}
    git(root, "init", "-q", "-b", "main")
    (root / "doc.md").write_text("hello\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "i")
    for args in (["init"],
                 ["capture", "--title", "Prompt rule", "--what", "w", "--rule", "r", "--kind", "prompt", "--yes", "--new"],
                 ["capture", "--title", "Grader rule", "--what", "w", "--rule", "r", "--kind", "grader",
                  "--must-not-match", "(a+)+$", "--applies-to", "*.md", "--yes", "--new"]):
        subprocess.run([sys.executable, "-m", "farm", *args], cwd=root, env=env, check=True, capture_output=True,
                       timeout=120)
    return root


_COMMANDS = [
    ["status"],
    ["check"],
    ["check", "doc.md"],
    ["match", "prompt rule broke"],
    ["capture", "--title", "Hostile tree", "--what", "w", "--rule", "r", "--kind", "prompt", "--yes", "--new",
     "--no-commit"],
]


@SLOW
@given(planted=st.lists(st.tuples(st.sampled_from(_PLACES), st.sampled_from(_KINDS)), min_size=1, max_size=3,
                        unique_by=lambda t: t[0]),
       command=st.sampled_from(_COMMANDS))
def test_a_hostile_tree_never_hangs_or_crashes_a_command(template_farm, tmp_path_factory, planted, command):
    work = tmp_path_factory.mktemp("tree")
    root = work / "repo"
    shutil.copytree(template_farm, root, symlinks=True)
    for place, kind in planted:
        _plant(root, place, kind)
    env = {**os.environ, "FARM_HOME": str(work / "fh")}
    proc = subprocess.run([sys.executable, "-m", "farm", *command], cwd=root, env=env, capture_output=True,
                          text=True, timeout=90)
    assert proc.returncode in (0, 1, 2), (planted, command, proc.stderr)
    assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr, (planted, command, proc.stderr)
    if proc.returncode == 2:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("farm:") and "warning:" not in line]
        assert len(errors) == 1, proc.stderr  # one line says what is wrong


@pytest.mark.parametrize("kind", _KINDS)
def test_each_kind_of_hostile_file_everywhere_at_once(template_farm, tmp_path, kind):
    """Every place farm reads holds the same hostile file (farm.toml aside, which stops every
    command by design): each command still ends with 0, 1 or 2 and one line per problem."""
    root = tmp_path / "repo"
    shutil.copytree(template_farm, root, symlinks=True)
    for place in _PLACES[1:]:
        _plant(root, place, kind)
    env = {**os.environ, "FARM_HOME": str(tmp_path / "fh")}
    # capture reads the most (settings, agent files, templates, corrections, events); check adds
    # graders and doc.md, where a hang or a huge read would show.
    for command in ([["check"]] if kind in ("fifo", "dev-zero", "loop", "huge", "wrong-types") else []) + [_COMMANDS[-1]]:
        proc = subprocess.run([sys.executable, "-m", "farm", *command], cwd=root, env=env, capture_output=True,
                              text=True, timeout=90)
        assert proc.returncode in (0, 1, 2), (command, proc.stderr)
        assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr, (command, proc.stderr)
