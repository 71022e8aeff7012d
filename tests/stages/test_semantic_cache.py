"""Semantic cache in the pipeline: reuse in the same context only, guards, restart,
and entries propagated between instances through a Redis stream."""

from __future__ import annotations

from pathlib import Path

import anyio
import msgspec
import pytest

from bench.fake_upstream import FakeUpstream
from reactor import ChatRequest, FakeClock, RequestFailed, Router, parse_config
from reactor._config import SemanticCacheConfig
from stages.semantic import PartitionParams, SemanticIndex
from tests.conftest import FAST_MODELS
from tests.redis_support import delete_prefix, require_redis


def config_text(extra: str = "", semantic: str = "") -> str:
    return FAST_MODELS.replace("[runtime]", f"""[cache]
max_temperature = 1.0
{extra}

[cache.semantic]
enabled = true
{semantic}

[runtime]""")


def ask(text: str, *, system: str | None = None, **fields: object) -> ChatRequest:
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    body = {"messages": messages, "model": "mini", **fields}
    return msgspec.json.decode(msgspec.json.encode(body), type=ChatRequest)


async def stored(router: Router, count: int) -> None:
    with anyio.fail_after(5):
        await router.pipeline.semantic.wait_stored(count)


async def test_a_rephrased_question_is_answered_from_the_cache() -> None:
    async with Router(parse_config(config_text())) as router:
        first = await router.complete(ask("What is the capital of France?"))
        await stored(router, 1)
        again = await router.complete(ask("what is the capital of france"))
    assert again.router is not None and again.router.cache == "semantic"
    assert again.router.similarity is not None and again.router.similarity > 0.97
    assert again.text == first.text and again.router.cost_usd == 0.0


async def test_only_the_same_context_and_tenant_reuse() -> None:
    async with Router(parse_config(config_text())) as router:
        await router.complete(ask("Tell me a fact about owls", system="You are terse."))
        await stored(router, 1)
        other_system = await router.complete(ask("tell me a fact about owls",
                                                 system="You are verbose."))
        other_tenant = await router.complete(ask("tell me a fact about owls",
                                                 system="You are terse."), tenant="someone")
        other_params = await router.complete(ask("tell me a fact about owls",
                                                 system="You are terse.", max_tokens=3))
        same = await router.complete(ask("tell me a fact about owls", system="You are terse."))
    for answer in (other_system, other_tenant, other_params):
        assert answer.router is not None and answer.router.cache == "miss"
    assert same.router is not None and same.router.cache == "semantic"


async def test_guards_veto_near_neighbours_that_mean_something_else() -> None:
    # A threshold low enough that the embedding alone would call these the same.
    text = config_text(semantic="threshold = 0.5")
    async with Router(parse_config(text)) as router:
        await router.complete(ask("convert 100 °F to °C"))
        await router.complete(ask("What is the capital of France?"))
        await stored(router, 2)
        reversed_ = await router.complete(ask("convert 100 °C to °F"))
        elsewhere = await router.complete(ask("What is the capital of Spain?"))
        vetoes = dict(router.pipeline.semantic.vetoes)
    assert reversed_.router is not None and reversed_.router.cache == "miss"
    assert elsewhere.router is not None and elsewhere.router.cache == "miss"
    assert sum(vetoes.values()) == 2


async def test_a_requests_own_ttl_outlives_or_undercuts_the_configured_one() -> None:
    clock = FakeClock()
    async with Router(parse_config(config_text(semantic="ttl_s = 100.0")),
                      clock=clock) as router:
        with anyio.fail_after(5):
            await router.complete(ask("Name a brief fact", cache={"ttl_s": 10}))
            await router.complete(ask("Name a lasting fact", cache={"ttl_s": 1000}))
            await router.complete(ask("Name a default fact"))
            await stored(router, 3)

            async def kind(text: str) -> str | None:
                # Each rewording is new to the exact cache: only the semantic one answers.
                answer = await router.complete(ask(text))
                assert answer.router is not None
                return answer.router.cache

            clock.advance(9.9)
            assert [await kind(f"name a {t} fact") for t in ("brief", "lasting", "default")
                    ] == ["semantic"] * 3
            clock.advance(0.1)
            assert await kind("NAME A BRIEF FACT") == "miss"
            clock.advance(90.0)
            assert [await kind(f"NAME A {t} FACT") for t in ("LASTING", "DEFAULT")
                    ] == ["semantic", "miss"]

async def test_off_for_tools_and_unless_enabled_or_asked() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    off = FAST_MODELS.replace("[runtime]", "[cache]\nmax_temperature = 1.0\n\n[runtime]")
    async with Router(parse_config(config_text())) as router:
        await router.complete(ask("Look up the weather", tools=tools))
        tool_again = await router.complete(ask("look up the weather", tools=tools))
    async with Router(parse_config(off)) as router:
        await router.complete(ask("Name a prime number"))
        plain = await router.complete(ask("name a prime number"))
        await router.complete(ask("Name a colour", cache={"mode": "semantic"}))
        await stored(router, 1)
        asked = await router.complete(ask("name a colour", cache={"mode": "semantic"}))
    assert tool_again.router is not None and tool_again.router.cache == "miss"
    assert plain.router is not None and plain.router.cache == "miss"
    assert asked.router is not None and asked.router.cache == "semantic"


async def test_a_restart_keeps_the_semantic_cache(tmp_path: Path) -> None:
    text = config_text(semantic=f'path = "{tmp_path / "semantic.npz"}"')
    async with Router(parse_config(text)) as router:
        first = await router.complete(ask("Why do cats purr?"))
        await stored(router, 1)
    assert (tmp_path / "semantic.npz").exists()
    async with Router(parse_config(text)) as restarted:
        again = await restarted.complete(ask("why do cats purr"))
    assert again.router is not None and again.router.cache == "semantic"
    assert again.text == first.text


async def test_a_file_saved_before_readings_were_kept_still_answers(tmp_path: Path) -> None:
    path = tmp_path / "semantic.npz"
    text = config_text(semantic=f'path = "{path}"')
    async with Router(parse_config(text)) as router:
        first = await router.complete(ask("Why do owls hoot?"))
        await stored(router, 1)
    old = SemanticIndex.load(path, now=0.0)
    for entry_id in [*old._entries]:
        old.set_reading(entry_id, b"")  # as files written before readings were kept
    old.save(path, now=0.0)

    async with Router(parse_config(text)) as restarted:
        again = await restarted.complete(ask("why do owls hoot"))
    assert again.router is not None and again.router.cache == "semantic"
    assert again.text == first.text


async def test_the_graph_settings_come_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "semantic.npz"
    text = config_text(semantic=f'path = "{path}"\ngraph_dim = 8\nrerank = 4')
    async with Router(parse_config(text)) as router:
        await router.complete(ask("Why do owls hoot?"))
        await stored(router, 1)

    saved = SemanticIndex.saved_params(path).partition
    assert (saved.graph_dim, saved.rerank) == (8, 4)


def test_the_configs_graph_defaults_are_the_index_defaults() -> None:
    config, index = SemanticCacheConfig(), PartitionParams()
    assert (config.graph_dim, config.rerank) == (index.graph_dim, index.rerank)


async def test_entries_propagate_to_another_instance_through_redis() -> None:
    prefix = require_redis()
    text = config_text(extra=f'backend = "redis"\nredis_prefix = "{prefix}:exact"',
                       semantic=f'stream_key = "{prefix}:stream"')
    try:
        async with Router(parse_config(text)) as one, Router(parse_config(text)) as two:
            first = await one.complete(ask("How many moons does Mars have?"))
            await stored(two, 1)  # read from the stream, not stored by `two` itself
            assert two.pipeline.semantic.propagated == 1
            again = await two.complete(ask("how many moons does mars have"))
    finally:
        await delete_prefix(prefix)
    assert again.router is not None and again.router.cache == "semantic"
    assert again.text == first.text


@pytest.mark.parametrize("stream", [False, True])
async def test_hits_replay_in_the_callers_shape(stream: bool) -> None:
    async with Router(parse_config(config_text())) as router:
        await router.complete(ask("Describe the water cycle"))
        await stored(router, 1)
        if stream:
            events = [e async for e in router.stream(ask("describe the water cycle"))]
            started = events[0]
            assert getattr(started, "cache", None) == "semantic"
        else:
            answer = await router.complete(ask("describe the water cycle"))
            assert answer.router is not None and answer.router.cache == "semantic"


async def test_a_question_about_another_image_is_not_answered_from_the_cache() -> None:
    text = config_text().replace('name = "mini"\n', 'name = "mini"\nvision = true\n')

    def about(url: str, question: str) -> ChatRequest:
        parts = [{"type": "text", "text": question},
                 {"type": "image_url", "image_url": {"url": url}}]
        return ask("", messages=[{"role": "user", "content": parts}])

    async with Router(parse_config(text)) as router:
        await router.complete(about("https://example.com/a.png", "What breed of dog is shown?"))
        await stored(router, 1)
        other = await router.complete(about("https://example.com/b.png",
                                            "what breed of dog is shown"))
        same = await router.complete(about("https://example.com/a.png",
                                           "what breed of dog is shown"))
    assert other.router is not None and other.router.cache == "miss"
    assert same.router is not None and same.router.cache == "semantic"


async def test_a_file_from_an_embedder_of_another_size_is_left_behind(
        tmp_path: Path) -> None:
    path = tmp_path / "semantic.npz"
    text = config_text(semantic=f'path = "{path}"')
    async with Router(parse_config(text)) as router:
        await router.complete(ask("Why do cats purr?"))
        await stored(router, 1)
    smaller = text.replace("[runtime]", '[analyzer.embedder]\nkind = "hashing"\ndim = 64\n\n'
                           "[runtime]")
    async with Router(parse_config(smaller)) as restarted:
        first = await restarted.complete(ask("why do cats purr"))
        await stored(restarted, 1)
        again = await restarted.complete(ask("Why do cats purr"))
        assert restarted.pipeline.semantic.index is not None
        assert restarted.pipeline.semantic.index.params.dim == 64
    assert first.router is not None and first.router.cache == "miss"
    assert again.router is not None and again.router.cache == "semantic"


async def test_a_hit_is_never_more_similar_than_the_same_question() -> None:
    async with Router(parse_config(config_text())) as router:
        await router.complete(ask("What is the capital of Georgia"))
        await stored(router, 1)
        again = await router.complete(ask("what is the capital of georgia"))
    assert again.router is not None and again.router.similarity is not None
    assert again.router.similarity <= 1.0


async def test_a_refreshed_answer_replaces_the_one_rewordings_are_served() -> None:
    async with FakeUpstream(content="Paris, as of old.") as fake:
        text = f"""
[cache]
max_temperature = 1.0
[cache.semantic]
enabled = true
[[models]]
name = "mini"
upstream = {{ kind = "openai", base_url = "{fake.base_url}", api_key = "k" }}
"""
        async with Router(parse_config(text)) as router:
            await router.complete(ask("What is the capital of France?"))
            await stored(router, 1)
            fake.content = "Paris, freshly asked."
            fresh = await router.complete(ask("What is the capital of France?",
                                              cache={"mode": "refresh"}))
            await stored(router, 2)
            reworded = await router.complete(ask("what is the capital of france"))
    assert fresh.text == "Paris, freshly asked."
    assert reworded.router is not None and reworded.router.cache == "semantic"
    assert reworded.text == "Paris, freshly asked."


async def test_a_tier_is_never_served_a_rewording_answered_for_another() -> None:
    text = config_text().replace('name = "mini"\n', 'name = "mini"\ntiers = ["gold"]\n')
    async with Router(parse_config(text)) as router:
        await router.complete(ask("Why do owls hoot?"), tenant="acme", tier="gold")
        await stored(router, 1)
        with pytest.raises(RequestFailed) as refused:
            await router.complete(ask("why do owls hoot"), tenant="acme", tier="free")
        gold = await router.complete(ask("why do owls hoot"), tenant="acme", tier="gold")
    assert refused.value.error.code == "model_unsuitable"
    assert gold.router is not None and gold.router.cache == "semantic"
