"""The shipped price table (farm/sessions/prices.json) against genai-prices itself."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from farm.sessions import price_table, pricing

DAYS = (date(2023, 6, 1), date(2025, 10, 1), date(2026, 12, 4))


def genai_rates(model: str, tier: int, day):
    """What pricing._cached_rates resolved from genai-prices before the table existed."""
    price = pricing._resolved_price(model, tier, day)
    if price is None:
        return None
    values = {k: v for k, v in vars(price).items()
              if v is not None and not k.startswith("_") and not k.endswith(pricing.NON_TOKEN_UNITS)}
    simple = set(values) <= pricing.SIMPLE_KEYS and all(isinstance(v, Decimal) for v in values.values())
    return {k: float(v) for k, v in values.items()} if simple else pricing.COMPLEX


def model_refs() -> list[str]:
    """Every model id genai-prices knows, dated and cased as logs write them, plus near misses."""
    from genai_prices.data_snapshot import get_snapshot

    refs = set()
    for provider in get_snapshot().providers:
        for info in provider.models:
            refs |= {info.id, info.id.upper(), f"{info.id}-20250929", f"{info.id}-2025-09-29", f"x-{info.id}"}
    refs |= {"claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001",
             "gpt-5-codex", "gpt-5.1-codex", "gpt-5.2-20251211", "house-model", "unknown", "<synthetic>", ""}
    return sorted(refs)


def test_shipped_table_is_what_this_genai_prices_resolves():
    shipped = json.loads(price_table.TABLE.read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(price_table.build())), (
        "farm/sessions/prices.json is stale: run `python -m farm.sessions.price_table`")


def test_table_is_used_with_the_installed_genai_prices():
    assert price_table._table() is not None
    assert price_table.rates("claude-sonnet-4-5-20250929", -1, date(2025, 10, 1)) is not price_table.NOT_SHIPPED


def test_table_answers_as_genai_prices_for_every_model_tier_and_date():
    from genai_prices.data_snapshot import get_snapshot

    starts = {c.constraint.start_date for p in get_snapshot().providers for m in p.models
              if isinstance(m.prices, list) for c in m.prices if hasattr(c.constraint, "start_date")}
    days = sorted({*DAYS, *starts, *(d - timedelta(days=1) for d in starts)})
    checked = 0
    for ref in model_refs():
        tiers = pricing._genai_thresholds(ref)
        assert price_table.thresholds(ref) == tiers, ref
        assert price_table.known(ref) == (pricing._model_info(ref) is not None), ref
        for tier in (pricing.BASE_TIER, *tiers):
            for day in days if tiers or ref.startswith(("claude", "gpt")) else DAYS:
                assert price_table.rates(ref, tier, day) == genai_rates(ref, tier, day), (ref, tier, day)
                checked += 1
    assert checked > 5000


def test_another_genai_prices_version_is_asked_directly(tmp_path, monkeypatch):
    table = json.loads(price_table.TABLE.read_text(encoding="utf-8"))
    table["genai_prices"] = "0.0.0-not-installed"
    other = tmp_path / "prices.json"
    other.write_text(json.dumps(table))
    monkeypatch.setattr(price_table, "TABLE", other)
    for cached in (price_table._table, price_table._lookup, price_table.rates, price_table.thresholds):
        cached.cache_clear()
    try:
        assert price_table.rates("claude-sonnet-4-5-20250929", -1, date(2025, 10, 1)) is price_table.NOT_SHIPPED
        assert pricing._cached_rates("claude-sonnet-4-5-20250929", -1, date(2025, 10, 1))["input_mtok"] == 3.0
    finally:
        for cached in (price_table._table, price_table._lookup, price_table.rates, price_table.thresholds):
            cached.cache_clear()


def test_pricing_a_fresh_store_does_not_import_genai_prices(tmp_path):
    code = (
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "from farm.sessions.model import Usage\n"
        "from farm.sessions.pricing import Pricer\n"
        "p = Pricer()\n"
        "when = datetime(2025, 10, 1, tzinfo=timezone.utc)\n"
        "cost = p.cost('claude-sonnet-4-5-20250929', Usage(input_tokens=10**6), p.tier('claude-sonnet-4-5', 10), when)\n"
        "print(cost, p.known('house-model'), p.cost('house-model', Usage(input_tokens=5)), "
        "'genai_prices' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["3.0", "False", "None", "False"]


@pytest.mark.parametrize("ref, expected", [
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("CLAUDE-SONNET-4-5", "claude-sonnet-4-5"),
])
def test_names_resolve_to_the_model_genai_prices_picks(ref, expected):
    assert price_table._lookup(ref)["id"] == pricing._model_info(ref).id == expected


def test_tier_of_a_request_is_the_pricers():
    p = pricing.Pricer()
    for model in ("claude-sonnet-4-5-20250929", "gpt-5-codex", "house-model"):
        for context in (0, 199_999, 200_000, 200_001, 10**6):
            assert price_table.tier_of(model, context) == p.tier(model, context), (model, context)
    assert price_table.tier_of("claude-sonnet-4-5-20250929", 200_001) == 200_000
