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
from stages.upstreams.anthropic import Anthropic
from stages.upstreams.gemini import Gemini
from stages.upstreams.openai import OpenAICompatible
from stages.upstreams.simulated import Simulated


def needs_session(model: ModelConfig) -> bool:
    return not isinstance(model.upstream, SimulatedUpstream)


def build_upstream(model: ModelConfig, session: aiohttp.ClientSession | None, clock: Clock,
                   config: ProviderConfig) -> Upstream:
    upstream = model.upstream
    connect = model.connect_timeout_s or config.connect_timeout_s
    match upstream:
        case SimulatedUpstream():
            return Simulated(model.name, upstream, clock)
        case OpenAIUpstream():
            assert session is not None
            return OpenAICompatible(model.name, upstream, session, connect_timeout_s=connect)
        case AnthropicUpstream():
            assert session is not None
            return Anthropic(model.name, upstream, session, connect_timeout_s=connect)
        case GeminiUpstream():
            assert session is not None
            return Gemini(model.name, upstream, session, connect_timeout_s=connect)
