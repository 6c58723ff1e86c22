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
