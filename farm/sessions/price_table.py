"""genai-prices' prices, resolved once and shipped as data (`prices.json`).

Importing genai-prices (pydantic, httpx, 1.6 MB of generated code) takes ≈200 ms; a fresh
FARM_HOME paid it on every first report. The shipped table holds what farm asks of it: which
model a name means (genai-prices' own match rules, in its order), the model's long-context
tier starts, and its prices by date. It is used only while the installed genai-prices is the
version it was made from; otherwise (and for prices with units it does not cover) farm asks
genai-prices itself. Regenerate after upgrading genai-prices:

    python -m farm.sessions.price_table

tests/test_price_table.py checks that the shipped file equals what this genai-prices resolves.
"""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("prices.json")
NOT_SHIPPED = object()  # the table cannot answer: ask genai-prices
COMPLEX = "complex"  # a price with units other than tokens: genai-prices computes it
NON_TOKEN_UNITS = ("_kcount", "_mchars", "_hours", "_gpixels", "_kpages")
SIMPLE_KEYS = {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok"}


# --- at run time -------------------------------------------------------------------------------


def known(model: str):
    """Whether genai-prices has a price for `model`, or NOT_SHIPPED."""
    found = _lookup(model)
    return found if found is NOT_SHIPPED else found is not None


@lru_cache(maxsize=None)
def thresholds(model: str):
    """The model's tier starts (sorted), () for a model genai-prices does not know, or NOT_SHIPPED."""
    found = _lookup(model)
    if found is NOT_SHIPPED:
        return NOT_SHIPPED
    return () if found is None else tuple(found["tiers"])


def tier_of(model: str, context_tokens: int):
    """The tier a request reading `context_tokens` falls in (-1: the base rate), or NOT_SHIPPED."""
    starts = thresholds(model)
    if starts is NOT_SHIPPED:
        return NOT_SHIPPED
    crossed = -1
    for start in starts:
        if context_tokens > start:
            crossed = start
    return crossed


@lru_cache(maxsize=4096)
def rates(model: str, tier: int, day):
    """{price key: $/MTok} on `day` at `tier`, None for an unknown model, COMPLEX, or NOT_SHIPPED.

    The same dict for the same arguments (a report asks once per model, tier and 15 minutes):
    callers must not change it."""
    found = _lookup(model)
    if found is NOT_SHIPPED or found is None:
        return found
    price = _price_on(found["prices"], day.isoformat())
    if price == COMPLEX:
        return COMPLEX
    return {key: _at_tier(value, tier) for key, value in price.items()}


@lru_cache(maxsize=None)
def _lookup(model: str):
    table = _table()
    if table is None:
        return NOT_SHIPPED
    ref = model.lower()
    found = _find(table, ref)
    if found is None:
        normalized = _compact_date_as_dashed(ref)
        if normalized != ref:
            found = _find(table, normalized, provider_only=True)
    return found


def _find(table: dict, ref: str, provider_only: bool = False):
    """genai-prices' find_provider_model(ref, None, None, None), on the shipped table."""
    providers = table["providers"]
    provider = next((p for p in providers if p["match"] is not None and _is_match(p["match"], ref)), None)
    if provider is None:
        return None
    found = _match_model(provider, ref)
    if found is None and provider["fallback"]:
        for pid in provider["fallback"]:
            other = next((p for p in providers if p["id"] == pid), None)
            if other is not None and (found := _match_model(other, ref)) is not None:
                break
    return found


def _match_model(provider: dict, ref: str):
    return next((m for m in provider["models"] if _is_match(m["match"], ref)), None)


def _is_match(clause: dict, text: str) -> bool:
    (kind, value), = clause.items()
    if kind == "starts_with":
        return text.lower().startswith(value.lower())
    if kind == "ends_with":
        return text.lower().endswith(value.lower())
    if kind == "contains":
        return value.lower() in text.lower()
    if kind == "equals":
        return text.lower() == value.lower()
    if kind == "regex":
        import re

        return bool(re.search(value, text))
    if kind == "or":
        return any(_is_match(c, text) for c in value)
    return all(_is_match(c, text) for c in value)  # "and"


def _compact_date_as_dashed(ref: str) -> str:
    """`gpt-5.2-20251211` → `gpt-5.2-2025-12-11`, as genai-prices retries a ref that did not match."""
    import re
    from datetime import date

    def dashed(m) -> str:
        year, month, day = (int(m.group(i)) for i in range(2, 5))
        try:
            date(year, month, day)
        except ValueError:
            return m.group(0)
        return f"{m.group(1)}{year:04d}-{month:02d}-{day:02d}"

    return re.sub(r"(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)", dashed, ref)


def _price_on(prices: list, day: str):
    """The last price whose constraint holds on `day` at noon UTC, as farm resolves a day's price."""
    chosen = prices[0][1]
    for when, price in reversed(prices):
        if _active(when, day):
            chosen = price
            break
    return chosen


def _active(when, day: str) -> bool:
    if when is None:
        return True
    if "start_date" in when:
        return when["start_date"] <= day
    start, end, noon = when["start_time"], when["end_time"], "12:00:00.000000"
    return (noon >= start or noon < end) if end < start else start <= noon < end


def _at_tier(value, tier: int) -> float:
    if not isinstance(value, list):
        return value
    base, steps = value
    rate = base
    for start, price in steps:
        if tier >= start:
            rate = price
    return rate


@lru_cache(maxsize=1)
def _table() -> dict | None:
    try:
        table = json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return table if _installed(table.get("genai_prices", "")) else None


def _installed(version: str) -> bool:
    """Whether this genai-prices version is the one installed, by its dist-info folder: what
    importlib.metadata would find, without its ≈10 ms import."""
    name = f"genai_prices-{version}.dist-info"
    return bool(version) and any(os.path.isdir(os.path.join(entry or ".", name)) for entry in sys.path)


# --- building the table from genai-prices --------------------------------------------------------


def build() -> dict:
    """The table, resolved from the installed genai-prices (slow: imports it)."""
    from importlib.metadata import version

    from genai_prices.data_snapshot import get_snapshot

    providers = get_snapshot().providers
    wanted = {p.id for p in providers if p.model_match is not None}
    for p in providers:
        if p.id in wanted:
            wanted.update(p.fallback_model_providers or ())
    return {
        "genai_prices": version("genai-prices"),
        "providers": [
            {
                "id": p.id,
                "match": _clause(p.model_match) if p.model_match is not None else None,
                "fallback": list(p.fallback_model_providers or ()),
                "models": [_model(m) for m in p.models],
            }
            for p in providers
            if p.id in wanted
        ],
    }


def _clause(clause) -> dict:
    from genai_prices import types

    if isinstance(clause, types.ClauseOr):
        return {"or": [_clause(c) for c in clause.or_]}
    if isinstance(clause, types.ClauseAnd):
        return {"and": [_clause(c) for c in clause.and_]}
    (field, value), = ((k, v) for k, v in vars(clause).items() if not k.startswith("_"))
    return {field: value}


def _model(info) -> dict:
    from genai_prices.types import ModelPrice

    listed = [(None, info.prices)] if isinstance(info.prices, ModelPrice) else [
        (c.constraint, c.prices) for c in info.prices]
    prices = [[_constraint(c), _price(p)] for c, p in listed]
    return {"id": info.id, "match": _clause(info.match), "tiers": list(_tier_starts(listed)), "prices": prices}


def _constraint(constraint) -> dict | None:
    from genai_prices.types import StartDateConstraint, _utc_timetz

    if constraint is None:
        return None
    if isinstance(constraint, StartDateConstraint):
        return {"start_date": constraint.start_date.isoformat()}
    start, end = (_utc_timetz(t).strftime("%H:%M:%S.%f") for t in (constraint.start_time, constraint.end_time))
    return {"start_time": start, "end_time": end}


def _tier_starts(listed) -> list[int]:
    from genai_prices.types import TieredPrices

    return sorted({t.start for _c, price in listed for v in vars(price).values()
                   if isinstance(v, TieredPrices) for t in v.tiers})


def _price(price):
    """{key: $/MTok or [base, [[start, $/MTok], …]]}, or COMPLEX (units other than tokens)."""
    from decimal import Decimal

    from genai_prices.types import TieredPrices

    out: dict = {}
    for key, value in vars(price).items():
        if value is None or key.startswith("_") or key.endswith(NON_TOKEN_UNITS):
            continue
        if key not in SIMPLE_KEYS:
            return COMPLEX
        if isinstance(value, TieredPrices):
            out[key] = [float(value.base), [[t.start, float(t.price)] for t in value.tiers]]
        elif isinstance(value, Decimal):
            out[key] = float(value)
        else:
            return COMPLEX
    return out


def main() -> None:
    TABLE.write_text(json.dumps(build(), separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TABLE} ({TABLE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
