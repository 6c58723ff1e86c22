"""Dollar cost of usage, from the pinned `genai-prices` data (offline) or config overrides.

A model without a known price costs None ("price unknown"), never $0. Long-context tiers
(a higher rate once one request reads more than N tokens) apply per request, so each call
is put in its tier when imported and usage is priced per (model, tier).
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

from farm.errors import InvalidInput
from farm.sessions import price_table
from farm.sessions.model import Usage

BASE_TIER = -1
# Config override keys, USD per million tokens.
OVERRIDE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok")


class Pricer:
    """Prices per model; `overrides` is `[tool.farm] prices`: {model or glob: {key: $/MTok}}."""

    def __init__(self, overrides: dict | None = None):
        self.overrides = _check_overrides(overrides or {})
        self._cache: dict[tuple[str, int], object] = {}

    def tier(self, model: str, context_tokens: int) -> int:
        """The tier a request reading `context_tokens` falls in (BASE_TIER for the base rate)."""
        crossed = BASE_TIER
        for start in _thresholds(model):
            if context_tokens > start:
                crossed = start
        return crossed

    def known(self, model: str) -> bool:
        if self._override(model) is not None:
            return True
        shipped = price_table.known(model)
        return shipped if shipped is not price_table.NOT_SHIPPED else _model_info(model) is not None

    def cost(self, model: str, usage: Usage, tier: int = BASE_TIER, when: datetime | None = None) -> float | None:
        if not usage.total_tokens:
            return 0.0
        override = self._override(model)
        if override is not None:
            return _flat_cost(override, usage)
        day = (when or datetime.now(timezone.utc)).date()
        rates = _cached_rates(model, tier, day)
        if rates is None:
            return None
        if rates != COMPLEX:
            return _flat_cost(rates, usage)
        price = self._price(model, tier, when)
        return float(price.calc_price(_genai_usage(usage))["total_price"])

    def _override(self, model: str) -> dict | None:
        if model in self.overrides:
            return self.overrides[model]
        for pattern, prices in self.overrides.items():
            if fnmatch.fnmatchcase(model, pattern):
                return prices
        return None

    def _price(self, model: str, tier: int, when: datetime | None):
        day = (when or datetime.now(timezone.utc)).date()
        key = (model, tier, day)
        if key not in self._cache:
            self._cache[key] = _resolved_price(model, tier, day)
        return self._cache[key]


def tier_sql(model: str) -> str:
    """A SQL expression over `context` giving Pricer.tier for `model`'s calls."""
    steps = " ".join(f"WHEN context > {start} THEN {start}" for start in reversed(_thresholds(model)))
    return f"CASE {steps} ELSE {BASE_TIER} END" if steps else str(BASE_TIER)


def _check_overrides(overrides: dict) -> dict:
    if not isinstance(overrides, dict):
        raise InvalidInput("[tool.farm] prices must be a table of model = {input_mtok = …, …}")
    for model, prices in overrides.items():
        if not isinstance(prices, dict) or not prices:
            raise InvalidInput(f"[tool.farm] prices.{model} must be a table like {{input_mtok = 3.0}}")
        for key, value in prices.items():
            if key not in OVERRIDE_KEYS:
                raise InvalidInput(f"[tool.farm] prices.{model}: unknown key {key!r} (use {', '.join(OVERRIDE_KEYS)})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InvalidInput(f"[tool.farm] prices.{model}.{key} must be a non-negative number")
    return overrides


def _flat_cost(prices: dict, usage: Usage) -> float:
    input_rate = prices.get("input_mtok", 0.0)
    write_rate = prices.get("cache_write_mtok", input_rate)
    per_token = (
        usage.input_tokens * input_rate
        + (usage.output_tokens + usage.reasoning_tokens) * prices.get("output_mtok", 0.0)
        + usage.cache_read_tokens * prices.get("cache_read_mtok", input_rate)
        + usage.cache_write_5m_tokens * write_rate
        + usage.cache_write_1h_tokens * prices.get("cache_write_1h_mtok", write_rate)
    )
    return per_token / 1_000_000


def _genai_usage(usage: Usage):
    from genai_prices import Usage as GenaiUsage

    # genai-prices counts cache reads and writes inside input_tokens, reasoning inside output.
    fields = {
        "input_tokens": usage.context_tokens,
        "output_tokens": usage.output_tokens + usage.reasoning_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_creation_tokens,
        "cache_write_1h_tokens": usage.cache_write_1h_tokens,
    }
    if usage.reasoning_tokens:
        fields["output_reasoning_tokens"] = usage.reasoning_tokens
    return GenaiUsage(**fields)


@lru_cache(maxsize=None)
def _model_info(model: str):
    from genai_prices.data_snapshot import get_snapshot

    try:
        _provider, info = get_snapshot().find_provider_model(model, None, None, None)
    except LookupError:
        return None
    return info


def _thresholds(model: str) -> tuple[int, ...]:
    shipped = price_table.thresholds(model)
    if shipped is not price_table.NOT_SHIPPED:
        return shipped
    cache = _disk_cache()
    key = f"tiers|{model}"
    if key not in cache:
        cache[key] = list(_genai_thresholds(model))
        _save_cache()
    return tuple(cache[key])


@lru_cache(maxsize=None)
def _genai_thresholds(model: str) -> tuple[int, ...]:
    info = _model_info(model)
    if info is None:
        return ()
    from genai_prices.types import ModelPrice, TieredPrices

    prices = [info.prices] if isinstance(info.prices, ModelPrice) else [c.prices for c in info.prices]
    starts = {
        tier.start
        for price in prices
        for value in vars(price).values()
        if isinstance(value, TieredPrices)
        for tier in value.tiers
    }
    return tuple(sorted(starts))


def _resolved_price(model: str, tier: int, day):
    """The model's price on `day` with every tiered rate fixed at `tier`."""
    info = _model_info(model)
    if info is None:
        return None
    from genai_prices.types import ModelPrice, TieredPrices

    when = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
    price = info.get_prices(when)
    fixed: dict[str, Decimal] = {}
    for key, value in vars(price).items():
        if isinstance(value, TieredPrices):
            value = _rate_at(value, tier)
        if value is not None and not key.startswith("_"):
            fixed[key] = value
    return ModelPrice(**fixed)


# Prices resolved from genai-prices are kept in FARM_HOME (per genai-prices version), so a
# run that prices known models does not load genai-prices (its import alone takes ~0.25 s).
COMPLEX = "complex"  # a price with units _flat_cost does not cover: ask genai-prices each time
SIMPLE_KEYS = {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok"}
NON_TOKEN_UNITS = ("_kcount", "_mchars", "_hours", "_gpixels", "_kpages")
_cache: dict | None = None


def _cache_path():
    from farm.paths import farm_home

    return farm_home() / "prices-cache.json"


def _disk_cache() -> dict:
    global _cache
    if _cache is None:
        import json

        version = data_version()
        try:
            loaded = json.loads(_cache_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        _cache = loaded if isinstance(loaded, dict) and loaded.get("version") == version else {"version": version}
    return _cache


_dirty = False


def _save_cache() -> None:
    """Write the cache once, when the process ends (one write however many prices were new)."""
    global _dirty
    if not _dirty:
        import atexit

        atexit.register(_write_cache)
    _dirty = True


def _write_cache() -> None:
    import json

    from farm.fsutil import atomic_write

    try:
        atomic_write(_cache_path(), json.dumps(_disk_cache(), sort_keys=True))
    except OSError:
        pass  # a cache that cannot be written only costs time


def _cached_rates(model: str, tier: int, day) -> dict | str | None:
    shipped = price_table.rates(model, tier, day)
    if shipped is not price_table.NOT_SHIPPED:
        return shipped
    cache = _disk_cache()
    key = f"rates|{model}|{tier}|{day.isoformat()}"
    if key not in cache:
        price = _resolved_price(model, tier, day)
        if price is None:
            cache[key] = None
        else:
            # Units that are not tokens (searches, requests, pages) never apply to a transcript's usage.
            values = {k: v for k, v in vars(price).items()
                      if v is not None and not k.startswith("_") and not k.endswith(NON_TOKEN_UNITS)}
            simple = set(values) <= SIMPLE_KEYS and all(isinstance(v, Decimal) for v in values.values())
            cache[key] = {k: float(v) for k, v in values.items()} if simple else COMPLEX
        _save_cache()
    return cache[key]


def _rate_at(prices, tier: int) -> Decimal:
    rate = prices.base
    for step in prices.tiers:
        if tier >= step.start:
            rate = step.price
    return rate


@lru_cache(maxsize=1)
def data_version() -> str:
    from importlib.metadata import version

    return f"genai-prices {version('genai-prices')}"


_active: tuple[tuple, Pricer] | None = None


def active_pricer() -> Pricer:
    """The pricer for this run: config overrides of the farm at the current directory, if any."""
    global _active
    root = _farm_root()
    key = (root, *(_stamp(root / name) for name in ("farm.toml", "pyproject.toml"))) if root else ()
    if _active is None or _active[0] != key:
        _active = (key, Pricer(_config_overrides(root)))
    return _active[1]


def reset_active_pricer() -> None:
    global _active
    _active = None


def _farm_root():
    from farm.paths import work_tree_root

    return work_tree_root()


def _stamp(path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size)


def _config_overrides(root) -> dict:
    if root is None:
        return {}
    from farm.config import load_config

    return load_config(root).get("prices") or {}
