"""The replay's options, and the router configurations it replays through.

Every model of a replay answers at the replay's pace and says as much as each request
asks for (`max_tokens`): the simulated upstream (or the fake one over HTTP) is set to
say up to `OUTPUT_CAP` words, so the request's limit is what ends every answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec

from reactor import (
    AdmissionConfig,
    CacheConfig,
    ModelConfig,
    OpenAIUpstream,
    RouterConfig,
    SelectorConfig,
    SimulatedUpstream,
    load_config,
)
from reactor._config import Alias, ApiKey

OUTPUT_CAP: Final = 1_000_000
CONTEXT_WINDOW: Final = 1_000_000

# Shaped like router.toml's four models and aliases (a recorded trace may name either):
# (name, USD per million in, out, quality prior).
MODELS: Final = (
    ("sim-nano", 0.10, 0.40, 0.55),
    ("sim-mini", 0.40, 1.60, 0.68),
    ("sim-pro", 2.50, 10.0, 0.82),
    ("sim-ultra", 15.0, 75.0, 0.91),
)


@dataclass(frozen=True, kw_only=True)
class ReplayOptions:
    trace: Path
    format: str | None = None
    url: str | None = None
    serve: bool = False
    direct_url: str | None = None
    config: Path | None = None
    speed: float = 1.0
    concurrency: int | None = None
    limit: int | None = None
    duration: float | None = None
    grace: float = 60.0
    api_key_env: str | None = None
    stream: bool | None = None
    tokens_per_s: float = 0.0
    ttft_ms: float = 0.0
    output_tokens: int = 256
    max_in_flight: int = 10_000
    connections: int = 1024
    direct: bool = True
    warmup: int = 10
    out: Path | None = None

    @property
    def output_cap(self) -> int:
        return OUTPUT_CAP

    def simulated(self) -> SimulatedUpstream:
        return SimulatedUpstream(ttft_ms=self.ttft_ms, tokens_per_s=self.tokens_per_s,
                                 output_tokens=OUTPUT_CAP)


def _base(options: ReplayOptions) -> RouterConfig:
    if options.config is not None:
        return load_config(options.config)
    expected_rate = options.tokens_per_s or 1000.0
    return RouterConfig(
        models=[ModelConfig(name=name, price_in=price_in, price_out=price_out,
                            quality=quality, context_window=CONTEXT_WINDOW,
                            ttft_ms=options.ttft_ms, tokens_per_s=expected_rate,
                            upstream=options.simulated())
                for name, price_in, price_out, quality in MODELS],
        selector=SelectorConfig(aliases=[
            Alias(name="fast", mode="fast"), Alias(name="balanced", mode="balanced"),
            Alias(name="best", mode="accurate"),
            Alias(name="cheap", mode="fast", models=["sim-nano", "sim-mini"])]),
        admission=AdmissionConfig(max_in_flight=1024),
        # As router.toml: answers at the default temperature are cached.
        cache=CacheConfig(max_temperature=1.0))


def simulated_config(options: ReplayOptions) -> RouterConfig:
    """In process: every model simulated at the replay's pace."""
    base = _base(options)
    return msgspec.structs.replace(base, models=[
        msgspec.structs.replace(model, upstream=options.simulated()) for model in base.models])


def http_config(options: ReplayOptions, upstream_url: str,
                keys: dict[tuple[str, str], str]) -> RouterConfig:
    """`--serve`: every model calls the fake upstream at `upstream_url` (ending /v1), and
    each key of `keys` (the key by tenant and tier) is known, so that requests replayed
    over HTTP are served as the tenant and tier the trace says (limits, budgets, books)."""
    base = _base(options)
    admission = msgspec.structs.replace(base.admission, keys=[
        *base.admission.keys,
        *(ApiKey(tenant=tenant, tier=tier, sha256=hashlib.sha256(key.encode()).hexdigest())
          for (tenant, tier), key in keys.items())])
    return msgspec.structs.replace(base, admission=admission, models=[
        msgspec.structs.replace(model, upstream=OpenAIUpstream(base_url=upstream_url))
        for model in base.models])
