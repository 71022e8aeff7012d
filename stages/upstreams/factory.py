"""One adapter per configured model, chosen by the upstream's `kind`."""

from __future__ import annotations

import aiohttp

from reactor import (
    AnthropicUpstream,
    Clock,
    GeminiUpstream,
    ModelConfig,
    OpenAIUpstream,
    ProviderConfig,
    SimulatedUpstream,
)
from stages.upstreams import Upstream
from stages.upstreams.openai import OpenAICompatible
from stages.upstreams.simulated import Simulated


def needs_session(model: ModelConfig) -> bool:
    """Whether the model's adapter calls through the shared aiohttp session (the
    OpenAI-compatible one has its own lean connection pool)."""
    return isinstance(model.upstream, AnthropicUpstream | GeminiUpstream)


def build_upstream(model: ModelConfig, session: aiohttp.ClientSession | None, clock: Clock,
                   config: ProviderConfig) -> Upstream:
    upstream = model.upstream
    connect = model.connect_timeout_s or config.connect_timeout_s
    match upstream:
        case SimulatedUpstream():
            return Simulated(model.name, upstream, clock)
        case OpenAIUpstream():
            return OpenAICompatible(model.name, upstream, connect_timeout_s=connect)
        case AnthropicUpstream():
            # Imported on use: with no model of this kind, ~10 ms off every cold start.
            from stages.upstreams.anthropic import Anthropic

            assert session is not None
            return Anthropic(model.name, upstream, session, connect_timeout_s=connect)
        case GeminiUpstream():
            # Imported on use, as Anthropic above (~7 ms).
            from stages.upstreams.gemini import Gemini

            assert session is not None
            return Gemini(model.name, upstream, session, connect_timeout_s=connect)
