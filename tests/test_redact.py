"""farm.redact: every corpus secret vanishes, every look-alike survives, and nothing hangs."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farm import redact as redact_module
from farm.redact import Finding, find_secrets, redact

CORPUS = Path(__file__).parent / "data" / "secrets"


def _load(name: str) -> list[dict]:
    with open(CORPUS / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


SECRETS = _load("secrets.jsonl")
LOOKALIKES = _load("lookalikes.jsonl")


def _case_id(case: dict) -> str:
    return f"{case['kind']}:{case['text'][:40]!r}"


# --- the corpus ---------------------------------------------------------------

def test_corpus_is_large_enough():
    assert len(SECRETS) >= 100
    assert sum(len(case["secrets"]) for case in SECRETS) >= 100
    assert len(LOOKALIKES) >= 60


def test_corpus_matches_its_generator():
    spec = importlib.util.spec_from_file_location("generate", CORPUS / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    secrets, lookalikes = generate.build()
    assert secrets == SECRETS, "secrets.jsonl is stale: run tests/data/secrets/generate.py"
    assert lookalikes == LOOKALIKES, "lookalikes.jsonl is stale: run tests/data/secrets/generate.py"


def test_every_rule_kind_is_exercised_by_the_corpus():
    rule_kinds = {rule.kind for rule in redact_module._RULES}
    rule_kinds -= {"secret", "password"}  # settings report the kind their name promises
    assert rule_kinds <= {case["kind"] for case in SECRETS}


@pytest.mark.parametrize("case", SECRETS, ids=_case_id)
def test_corpus_secret_is_removed(case):
    out = redact(case["text"])
    for secret in case["secrets"]:
        assert secret not in out
    assert f"[REDACTED:{case['kind']}]" in out


@pytest.mark.parametrize("case", SECRETS, ids=_case_id)
def test_corpus_redaction_is_idempotent(case):
    once = redact(case["text"])
    assert redact(once) == once


@pytest.mark.parametrize("case", LOOKALIKES, ids=_case_id)
def test_lookalike_is_untouched(case):
    assert redact(case["text"]) == case["text"]


# --- behaviour ----------------------------------------------------------------

TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


def test_only_the_secret_changes():
    text = f"before\texport GITHUB_TOKEN={TOKEN}  # CI\nafter ✓"
    assert redact(text) == "before\texport GITHUB_TOKEN=[REDACTED:github-token]  # CI\nafter ✓"


def test_url_keeps_scheme_user_and_host():
    text = "postgres://app:s3cr3t-Pw@db.internal:5432/prod?sslmode=require"
    assert redact(text) == "postgres://app:[REDACTED:url-password]@db.internal:5432/prod?sslmode=require"


def test_overlapping_findings_merge_under_the_specific_kind():
    # The setting rule and the GitHub rule both claim the value: one marker, the precise kind.
    assert find_secrets(f'token = "{TOKEN}"') == [Finding("github-token", 9, 9 + len(TOKEN))]


def test_findings_are_sorted_disjoint_and_frozen():
    text = "\n".join(case["text"] for case in SECRETS)
    findings = find_secrets(text)
    assert findings == sorted(findings, key=lambda f: f.start)
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].kind = "x"


def test_concatenated_corpus_redacts_like_its_parts():
    joined = "\n".join(case["text"] for case in SECRETS)
    out = redact(joined)
    assert all(secret not in out for case in SECRETS for secret in case["secrets"])
    assert redact(out) == out


def test_empty_and_plain_text():
    assert redact("") == ""
    assert find_secrets("nothing to see here") == []


@pytest.mark.parametrize("text", [
    "Das Passwort wurde geändert. Le mot de passe est trop court. パスワードを変更しました 🔑",
    "Ünïcödé idéntifiers: naïve_café = 'crème brûlée' ∑∫√ — «quotes» ‘single’ “double”",
    "emoji 🙂🚀👩‍💻 and RTL עברית العربية and CJK 漢字かなカナ한국어",
    "token: 🙂🙂🙂🙂 password: ✓",
])
def test_non_ascii_text_is_untouched(text):
    assert redact(text) == text


def test_non_ascii_around_a_secret_keeps_offsets():
    text = f"Schlüssel 🔑 für İstanbul: GITHUB_TOKEN={TOKEN} — fertig ✓"
    assert redact(text) == "Schlüssel 🔑 für İstanbul: GITHUB_TOKEN=[REDACTED:github-token] — fertig ✓"


def test_case_folding_that_changes_length_still_finds_settings():
    # "İ".lower() is two characters, so folded rules fall back to their IGNORECASE twin.
    text = "İİİ DB_PASSWORD=Falcon1234!granite and Authorization: Bearer Zx81kQ0pLm29vBn47cXs"
    assert len(text.lower()) != len(text)
    out = redact(text)
    assert "Falcon1234!granite" not in out and "Zx81kQ0pLm29vBn47cXs" not in out
    assert out.startswith("İİİ DB_PASSWORD=[REDACTED:password]")


def test_markers_written_by_hand_are_left_alone():
    text = "password: [REDACTED:password]\nAuthorization: Bearer [REDACTED:jwt]"
    assert redact(text) == text


# --- adversarial input --------------------------------------------------------

# Inputs that make a careless pattern backtrack without end: 2 MB each must take under a second.
ADVERSARIAL = {
    "a": "a" * 2_000_000,
    "=": "=" * 2_000_000,
    "eyJ": "eyJ" * 700_000,
    "eyJ.": "eyJabcdefgh." * 170_000,
    "-----BEGIN": "-----BEGIN PRIVATE KEY-----\n" * 75_000,
    "BEGIN+body": "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 2_000_000,
    "sk-": "sk-" * 700_000,
    "ghp_": "ghp_" * 500_000,
    "://a:": "://a:" * 400_000,
    "://@": "://" + "a:" * 1_000_000,
    "hex-": ("0123456789abcdef" * 2 + "-") * 60_000,
    "base64": "Zm9vYmFy+/" * 200_000,
    "spaces": " " * 2_000_000,
    "newlines": "\n" * 2_000_000,
    "key": "key" * 700_000,
    "curl": "curl -u " * 250_000,
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_input_finishes(name):
    # A hang guard, not a speed figure (bench/redact_corpus.py has those): catastrophic
    # backtracking on these 2 MB inputs takes hours, a loaded 2-core machine a few seconds.
    assert _seconds(redact, ADVERSARIAL[name], runs=1) < 30


# Inputs that are all settings: every match goes through a judge, so the cost is per match. It
# must stay linear (a doubled input may not take much more than double the time).
FLOODS = {
    "token: ": "token: ",
    "password=": "password=abc1, ",
    "quoted": '"password": "x1", ',
    "name/value": '{"name": "API_KEY", "value": "Zx81kQ0pLm29vBn47cXs"}, ',
}


@pytest.mark.parametrize("name", FLOODS)
def test_match_floods_stay_linear(name):
    unit = FLOODS[name]
    small = _seconds(redact, unit * (500_000 // len(unit)))
    large = _seconds(redact, unit * (1_000_000 // len(unit)))
    assert large < 3 * small + 0.2


def _seconds(fn, arg, runs: int = 2) -> float:
    """Best of `runs`: another process may steal the CPU during one of them."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - start)
    return best


# --- properties ---------------------------------------------------------------

FRAGMENTS = [case["text"] for case in SECRETS + LOOKALIKES] + [
    "=", ":", " ", "\n", '"', "'", "@", "://", "[REDACTED:x]", "-----END PRIVATE KEY-----", "]",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=6))
def test_redact_is_idempotent(parts):
    once = redact("".join(parts))
    assert redact(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_text_outside_findings_is_byte_identical(text):
    findings = find_secrets(text)
    out = redact(text)
    pos, rebuilt = 0, []
    for f in findings:
        rebuilt += [text[pos:f.start], f"[REDACTED:{f.kind}]"]
        pos = f.end
    assert out == "".join(rebuilt) + text[pos:]


# --- held-out batches (issue 11's goal: recall >= 99%, <= 2% of look-alikes changed) ----------

@pytest.mark.parametrize("batch", ["heldout", "heldout2", "heldout3"])
def test_heldout_batch_matches_its_generator_and_meets_the_goal(batch):
    spec = importlib.util.spec_from_file_location(batch, CORPUS / f"{batch}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    secrets, lookalikes = module.build()
    load = lambda name: [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()]  # noqa: E731
    assert secrets == load(f"{batch}_secrets.jsonl") and lookalikes == load(f"{batch}_lookalikes.jsonl"), \
        f"run tests/data/secrets/{batch}.py"
    total = sum(len(c["secrets"]) for c in secrets)
    kept = sum(s in redact(c["text"]) for c in secrets for s in c["secrets"])
    changed = sum(redact(c["text"]) != c["text"] for c in lookalikes)
    assert (total - kept) / total >= 0.99
    assert changed / len(lookalikes) <= 0.02


_ALL_HINTS = sorted({h for rule in redact_module._RULES for h in rule.hints})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALL_HINTS) | st.text(max_size=8), max_size=8))
def test_the_one_pass_hint_scan_finds_exactly_the_hints_that_occur(parts):
    text = "".join(parts)
    for folded in (False, True):
        hints = redact_module._hint_sets()[folded][0]
        source = text.lower() if folded else text
        found = redact_module._present(source, folded)
        if found is not None:  # None: the plain checks decide, as before
            assert found == {h for h in hints if h in source}


def test_text_the_hint_scan_cannot_take_falls_back_to_plain_checks():
    text = f"bad \udcff {TOKEN}"
    assert redact_module._present(text, False) is None
    assert TOKEN not in redact(text)
