"""Selector core: candidates, modes, pins, aliases and fallback chains."""

from __future__ import annotations

import msgspec
import pytest

from reactor import ChatRequest, RouterConfig, parse_config
from stages.analyzer import analyze
from stages.selector import Catalogue, NoRoute
from tests.conftest import FAST_MODELS


@pytest.fixture
def catalogue(config: RouterConfig) -> Catalogue:
    return Catalogue(config.models, config.selector)


def decide(catalogue: Catalogue, config: RouterConfig, text: str, tier: str = "default",
           **fields: object):  # type: ignore[no-untyped-def]
    body = {"messages": [{"role": "user", "content": text}], **fields}
    request = msgspec.json.decode(msgspec.json.encode(body), type=ChatRequest)
    return catalogue.decide(request, analyze(request, config.analyzer), tier)


def test_modes_trade_quality_for_cost(catalogue: Catalogue, config: RouterConfig) -> None:
    fast = decide(catalogue, config, "hello", mode="fast")
    accurate = decide(catalogue, config, "hello", mode="accurate")
    models = {m.name: m for m in config.models}
    assert models[accurate.model].quality > models[fast.model].quality
    assert accurate.model == "ultra"
    assert fast.model != "ultra"


def test_decision_explains_itself(catalogue: Catalogue, config: RouterConfig) -> None:
    decision = decide(catalogue, config, "prove that there are infinitely many primes")
    assert decision.reason and 0 <= decision.confidence <= 1
    assert {c.model for c in decision.alternatives} == {"nano", "mini", "pro", "ultra"}
    assert decision.alternatives[0].model == decision.model
    assert decision.model not in decision.fallbacks and len(decision.fallbacks) <= 2


def test_preferences_override_the_mode(catalogue: Catalogue, config: RouterConfig) -> None:
    cheap = decide(catalogue, config, "hello", preferences={"cost": 1.0})
    best = decide(catalogue, config, "hello", preferences={"quality": 1.0})
    assert cheap.model == "nano" and best.model == "ultra"


def test_pinned_model_fails_over_to_its_configured_list(catalogue: Catalogue,
                                                        config: RouterConfig) -> None:
    decision = decide(catalogue, config, "hi", model="nano")
    assert decision.model == "nano" and decision.reason == "pinned"
    assert decision.fallbacks == ["mini"]


def test_capabilities_filter_candidates_and_fallbacks(catalogue: Catalogue,
                                                      config: RouterConfig) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    decision = decide(catalogue, config, "call the tool", tools=tools, mode="fast")
    chain = [decision.model, *decision.fallbacks]
    assert "nano" not in chain
    with pytest.raises(NoRoute) as caught:
        decide(catalogue, config, "call it", model="nano", tools=tools)
    assert caught.value.error.status == 400 and "tool" in caught.value.error.message


def test_context_window_filters(config: RouterConfig) -> None:
    small = parse_config(FAST_MODELS.replace('name = "nano"', 'name = "nano"\ncontext_window = 64'))
    catalogue = Catalogue(small.models, small.selector)
    decision = decide(catalogue, small, "word " * 200, preferences={"cost": 1.0})
    assert decision.model != "nano" and "nano" not in decision.fallbacks


def test_tiers_restrict_models() -> None:
    tiered = parse_config(FAST_MODELS.replace('name = "ultra"', 'name = "ultra"\ntiers = ["gold"]'))
    catalogue = Catalogue(tiered.models, tiered.selector)
    free = decide(catalogue, tiered, "hello", mode="accurate")
    gold = decide(catalogue, tiered, "hello", tier="gold", mode="accurate")
    assert free.model != "ultra" and gold.model == "ultra"


def test_unknown_model_is_404(catalogue: Catalogue, config: RouterConfig) -> None:
    with pytest.raises(NoRoute) as caught:
        decide(catalogue, config, "x", model="gpt-9")
    assert caught.value.error.status == 404


def test_observed_latency_moves_the_estimate(catalogue: Catalogue) -> None:
    before = catalogue.ttft_ms["nano"]
    for _ in range(20):
        catalogue.observe("nano", ttft_s=2.0, tokens=10, duration_s=2.5)
    assert catalogue.ttft_ms["nano"] > before + 1000
