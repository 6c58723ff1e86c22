"""Task type rules and pricing tiers."""

from __future__ import annotations

import pytest

from farm.errors import InvalidInput
from farm.sessions.model import Usage
from farm.sessions.pricing import Pricer
from farm.sessions.tasktype import classify


@pytest.mark.parametrize(
    ("branch", "messages", "prompt", "expected"),
    [
        ("fix/login-crash", [], None, "bug fix"),
        ("main", ["Bump requests to 2.32"], None, "dependency upgrade"),
        ("main", [], "the CI tests are failing since yesterday, please fix", "test repair"),
        ("refactor/io", [], None, "refactor"),
        ("main", ["docs: explain the tracker"], None, "docs"),
        (None, [], "spike: can we stream the import?", "spike"),
        ("feat/export", [], None, "feature"),
        ("main", [], "hello", None),
    ],
)
def test_builtin_rules(branch, messages, prompt, expected):
    assert classify(branch, messages, prompt) == expected


def test_config_rules_win_and_bad_rules_are_one_line_errors():
    rules = {"perf": ["\\bslow\\b", "perf"]}
    assert classify("main", [], "fix: it is slow", rules) == "perf"
    with pytest.raises(InvalidInput):
        classify("main", [], "x", {"perf": ["("]})


def test_long_context_tier_is_per_request():
    pricer = Pricer()
    model = "claude-sonnet-4-5-20250929"
    assert pricer.tier(model, 150_000) == -1
    long = pricer.tier(model, 250_000)
    assert long == 200_000
    million = Usage(input_tokens=1_000_000)
    assert pricer.cost(model, million, long) == pytest.approx(2 * pricer.cost(model, million))


def test_one_hour_cache_writes_cost_more_than_five_minute_ones():
    pricer = Pricer()
    model = "claude-opus-4-5-20251101"
    five = pricer.cost(model, Usage(cache_write_5m_tokens=1_000_000))
    hour = pricer.cost(model, Usage(cache_write_1h_tokens=1_000_000))
    assert (five, hour) == (pytest.approx(6.25), pytest.approx(10.0))


def test_unknown_model_has_no_price_and_override_checks():
    assert Pricer().cost("mystery-9", Usage(input_tokens=5)) is None
    assert Pricer({"mystery-*": {"input_mtok": 2}}).cost("mystery-9", Usage(input_tokens=1_000_000)) == 2.0
    with pytest.raises(InvalidInput):
        Pricer({"m": {"inptu_mtok": 1}})


@pytest.mark.parametrize("model", ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "gpt-5-codex",
                                   "claude-haiku-4-5-20251001", "gpt-5.1-codex"])
def test_cached_flat_rates_price_like_genai_prices(model):
    from datetime import datetime, timezone

    from farm.sessions import pricing

    usage = Usage(1234, 5678, 910, 1112, 131415, 1617)
    when = datetime(2025, 10, 1, tzinfo=timezone.utc)
    for tier in (-1, pricing.Pricer().tier(model, 10**9)):
        fast = pricing.Pricer().cost(model, usage, tier, when)
        exact = float(pricing._resolved_price(model, tier, when.date()).calc_price(pricing._genai_usage(usage))
                      ["total_price"])
        assert fast == pytest.approx(exact, rel=1e-12)


def test_uuid7_creation_time_and_other_ids():
    from farm.sessions.codex import uuid7_ms

    assert uuid7_ms("019a2d7a-41c4-78b1-b7cc-a45d62a89cd5") == 0x019A2D7A41C4  # 2025-10-29T00:59:38.308Z
    assert uuid7_ms("aaaaaaaa-0000-4000-8000-000000000001") is None  # a UUIDv4 holds no time
    assert uuid7_ms("turn-3") is None and uuid7_ms(None) is None


def test_multiplier_globs_and_modes_stack():
    pricer = Pricer(multipliers={"fast": {"claude-opus-4-6*": 6.0, "*": 2.0}})
    assert pricer.multiplier("claude-opus-4-6", "fast") == 6.0
    assert pricer.multiplier("claude-opus-4-1", "fast") == 2.0
    assert pricer.multiplier("claude-opus-4-6", "geo-us") == 1.1  # built in
    assert pricer.multiplier("gpt-5", "flex") is None
    base = pricer.cost("claude-opus-4-6", Usage(input_tokens=1_000_000))
    assert pricer.cost("claude-opus-4-6", Usage(input_tokens=1_000_000), mode="fast+geo-us") == pytest.approx(
        base * 6.0 * 1.1)
    assert pricer.cost("claude-opus-4-6", Usage(), mode="fast") == 0.0


def test_a_catastrophic_task_type_regex_runs_in_linear_time():
    """attack round 2, A3: task_types from a committed farm.toml ran on Python re."""
    import subprocess
    import sys

    probe = ("from farm.sessions.tasktype import classify\n"
             "print(classify(None, [], 'a' * 5000 + '!', {'docs': '^(a+)+$', 'fix': 'ERROR'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr


def test_a_committed_summary_never_holds_a_secret_in_a_model_name():
    """attack round 2, B5: a transcript's `model` string reached the committed summary as it was."""
    from farm.sessions.summaries import _clean

    assert "xoxb-" not in _clean("xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx")
    assert _clean("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5-20250929"
