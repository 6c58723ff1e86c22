"""Dollar cost of usage, from the pinned `genai-prices` data (offline) or config overrides.

A model without a known price costs None ("price unknown"), never $0. Long-context tiers
(a higher rate once one request reads more than N tokens) apply per request, so each call
is put in its tier when imported and usage is priced per (model, tier, mode).

Modes (fast, US-only inference, Codex priority/flex tiers) and web searches are a layer over
the base-price lookup (`_base_cost`): a mode is priced from genai-prices' own variant for the
model when it has one, else by a documented multiplier (config `[tool.farm.price_multipliers]`,
or the built-in ones in MULTIPLIERS), else the cost is unknown. Never silently the standard rate.
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
OVERRIDE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok",
                 "web_searches_kcount")
# Priced modes a call can carry, and the genai-prices variant that prices each one.
VARIANTS = {"fast": ("speed", "fast"), "priority": ("service_tier", "priority"), "flex": ("service_tier", "flex")}
# Multipliers published by the provider, used when genai-prices has no variant. Anthropic: US-only
# inference (`inference_geo: "us"`) costs 1.1x on every token class (pricing docs, data residency).
MULTIPLIERS: dict[str, float] = {"geo-us": 1.1}
MODES = ("fast", "geo-us", "priority", "flex")


class Pricer:
    """Prices per model; `overrides` is `[tool.farm] prices`: {model or glob: {key: $/MTok}}."""

    def __init__(self, overrides: dict | None = None, multipliers: dict | None = None):
        self.overrides = _check_overrides(overrides or {})
        self.multipliers = _check_multipliers(multipliers or {})
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

    def cost(self, model: str, usage: Usage, tier: int = BASE_TIER, when: datetime | None = None,
             mode: str = "", searches: int = 0) -> float | None:
        """Dollars for `usage` (None: price unknown). `mode` is a call's "+"-joined priced modes,
        `searches` its server-side web search requests."""
        if not mode and not searches:
            return self._base_cost(model, usage, tier, when)
        tokens = self._mode_cost(model, usage, tier, when, mode) if usage.total_tokens else 0.0
        extra = self.search_cost(model, searches, when) if searches else 0.0
        return None if tokens is None or extra is None else tokens + extra

    def search_cost(self, model: str, searches: int, when: datetime | None = None) -> float | None:
        """Web searches are billed per request: $/1,000 from config or genai-prices, else unknown."""
        override = self._override(model)
        if override is not None:
            rate = override.get("web_searches_kcount")
        else:
            rate = _search_rate(model, (when or datetime.now(timezone.utc)).date())
        return None if rate is None else searches * float(rate) / 1000

    def price_basis(self, model: str) -> str | None:
        """What a gateway-served model (`kimi-k2.5:cloud` via Ollama Cloud, `openrouter/…`) is
        priced as: its provider's list price for the model genai-prices matched, which the
        gateway's own rate may not be. None for a model priced under its own name."""
        if self._override(model) is not None or not any(mark in model for mark in GATEWAY_MARKS):
            return None
        found = _provider_model(model)
        if found is None:
            return None
        provider, model_id = found
        return f"{provider} list price for {model_id} (served through a gateway, whose rate may differ)"

    def multiplier(self, model: str, mode: str) -> float | None:
        """The configured (or built-in, documented) multiplier of `mode` for `model`, or None."""
        value = self.multipliers.get(mode, MULTIPLIERS.get(mode))
        if isinstance(value, dict):
            value = next((v for pattern, v in value.items() if fnmatch.fnmatchcase(model, pattern)), None)
        return float(value) if value is not None else None

    def _mode_cost(self, model: str, usage: Usage, tier: int, when: datetime | None, mode: str) -> float | None:
        parts = [p for p in mode.split("+") if p]
        day = (when or datetime.now(timezone.utc)).date()
        override = self._override(model)
        variants = {} if override is not None else {
            VARIANTS[p][0]: VARIANTS[p][1] for p in parts if p in VARIANTS and _has_variant(model, *VARIANTS[p], day)}
        factor = 1.0
        for part in parts:
            if VARIANTS.get(part, (None,))[0] in variants:
                continue
            scale = self.multiplier(model, part)
            if scale is None:
                return None  # a mode nobody prices: unknown, not the standard rate
            factor *= scale
        if variants:
            context = tuple(sorted(variants.items()))
            rates = _variant_rates(model, tier, day, context)
            if rates == COMPLEX:
                base = float(_variant_price(model, tier, day, context).calc_price(_genai_usage(usage))["total_price"])
            else:
                base = _flat_cost(rates, usage)
        else:
            base = self._base_cost(model, usage, tier, when)
        return None if base is None else base * factor

    def _base_cost(self, model: str, usage: Usage, tier: int = BASE_TIER, when: datetime | None = None) -> float | None:
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


def _check_multipliers(multipliers: dict) -> dict:
    if not isinstance(multipliers, dict):
        raise InvalidInput("[tool.farm] price_multipliers must be a table of mode = number (or {model glob = number})")
    for mode, value in multipliers.items():
        if mode not in MODES:
            raise InvalidInput(f"[tool.farm] price_multipliers: unknown mode {mode!r} (use {', '.join(MODES)})")
        values = value.values() if isinstance(value, dict) else [value]
        for number in values:
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise InvalidInput(f"[tool.farm] price_multipliers.{mode} must be a non-negative number "
                                   "or a table of model glob = number")
    return multipliers


def _remembered(key: str, compute):
    """A value kept in the prices cache (FARM_HOME), so pricing modes does not load genai-prices."""
    cache = _disk_cache()
    if key not in cache:
        cache[key] = compute()
        _save_cache()
    return cache[key]


def _has_variant(model: str, key: str, value: str, day) -> bool:
    """Whether genai-prices prices `key=value` for the model on `day` (variants carry start dates;
    before one, genai-prices would silently give the standard rate)."""
    return _remembered(f"variant|{model}|{key}={value}|{day.isoformat()}",
                       lambda: _genai_has_variant(model, key, value, day))


def _genai_has_variant(model: str, key: str, value: str, day) -> bool:
    info = _model_info(model)
    if info is None:
        return False
    when = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
    return any(v.when.get(key) == value and (v.constraint is None or v.constraint.active(when))
               for v in info.price_variants or ())


def _variant_rates(model: str, tier: int, day, context: tuple) -> dict | str:
    name = ",".join(f"{k}={v}" for k, v in context)
    return _remembered(f"rates|{model}|{tier}|{day.isoformat()}|{name}",
                       lambda: _flat_rates(_variant_price(model, tier, day, context)))


@lru_cache(maxsize=None)
def _variant_price(model: str, tier: int, day, context: tuple):
    """The model's price on `day` under genai-prices' variant `context`, tiers fixed at `tier`."""
    from genai_prices.types import ModelPrice, TieredPrices

    info = _model_info(model)
    when = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
    price = info.get_prices(when, dict(context))
    fixed = {}
    for key, value in vars(price).items():
        if isinstance(value, TieredPrices):
            value = _rate_at(value, tier)
        if value is not None and not key.startswith("_"):
            fixed[key] = value
    return ModelPrice(**fixed)


def _search_rate(model: str, day) -> float | None:
    def compute():
        price = _resolved_price(model, BASE_TIER, day)
        rate = getattr(price, "web_searches_kcount", None) if price is not None else None
        return float(rate) if rate is not None else None

    return _remembered(f"search|{model}|{day.isoformat()}", compute)


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


GATEWAY_MARKS = (":", "/")  # Ollama tags (model:cloud), router prefixes (openrouter/vendor/model)


@lru_cache(maxsize=None)
def _provider_model(model: str) -> tuple[str, str] | None:
    from genai_prices.data_snapshot import get_snapshot

    try:
        provider, info = get_snapshot().find_provider_model(model, None, None, None)
    except LookupError:
        return None
    return provider.id, info.id


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
        cache[key] = None if price is None else _flat_rates(price)
        _save_cache()
    return cache[key]


def _flat_rates(price) -> dict | str:
    """A resolved price as flat $/MTok rates, or COMPLEX when _flat_cost cannot apply it."""
    # Units that are not tokens (searches, requests, pages) never apply to a transcript's usage.
    values = {k: v for k, v in vars(price).items()
              if v is not None and not k.startswith("_") and not k.endswith(NON_TOKEN_UNITS)}
    simple = set(values) <= SIMPLE_KEYS and all(isinstance(v, Decimal) for v in values.values())
    return {k: float(v) for k, v in values.items()} if simple else COMPLEX


def _rate_at(prices, tier: int) -> Decimal:
    rate = prices.base
    for step in prices.tiers:
        if tier >= step.start:
            rate = step.price
    return rate


@lru_cache(maxsize=1)
def data_version() -> str:
    # The dist-info folder beside the package names the version: a glob, where
    # importlib.metadata costs ~30 ms (the hooks price a few calls on every prompt).
    from importlib.util import find_spec

    spec = find_spec("genai_prices")
    if spec is not None and spec.origin:
        from pathlib import Path

        for dist in Path(spec.origin).parent.parent.glob("genai_prices-*.dist-info"):
            return f"genai-prices {dist.name.removesuffix('.dist-info').split('-', 1)[1]}"
    from importlib.metadata import version

    return f"genai-prices {version('genai-prices')}"


_active: tuple[tuple, Pricer] | None = None


def active_pricer() -> Pricer:
    """The pricer for this run: config overrides of the farm at the current directory, if any."""
    global _active
    root = _farm_root()
    key = (root, *(_stamp(root / name) for name in ("farm.toml", "pyproject.toml"))) if root else ()
    if _active is None or _active[0] != key:
        config = _config(root)
        _active = (key, Pricer(config.get("prices") or {}, config.get("price_multipliers") or {}))
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


def _config(root) -> dict:
    if root is None:
        return {}
    from farm.config import load_config

    return load_config(root)
