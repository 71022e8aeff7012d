"""Exact cache: keys, who may reuse what, streams, failures, and Redis shared by two
routers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator

import anyio
import msgspec
import pytest
from prometheus_client import generate_latest

from bench.fake_upstream import FakeUpstream
from reactor import (
    ChatRequest,
    Done,
    FakeClock,
    RequestFailed,
    Router,
    RouterConfig,
    Started,
    Token,
    parse_config,
)
from stages.cache import cache_key
from tests.conftest import FAST_MODELS, hold_open
from tests.redis_support import delete_prefix, require_redis

CACHED = FAST_MODELS.replace("[runtime]", "[cache]\nmax_temperature = 1.0\n\n[runtime]")


def ask(text: str, **fields: object) -> ChatRequest:
    body = {"messages": [{"role": "user", "content": text}], **fields}
    return msgspec.json.decode(msgspec.json.encode(body), type=ChatRequest)


@pytest.fixture
async def cached() -> AsyncIterator[Router]:
    async for router in hold_open(Router(parse_config(CACHED))):
        yield router


async def stored(router: Router, count: int) -> None:
    with anyio.fail_after(5):
        await router.pipeline.cache.wait_stored(count)


def test_key_is_the_same_in_another_process() -> None:
    request = ask("same everywhere", model="nano", temperature=0.2, seed=7, max_tokens=5,
                  stop=["x"], tools=[{"type": "function",
                                      "function": {"name": "f", "parameters": {"a": 1}}}])
    here = cache_key(request, "tenant-a", "gold", "1")
    code = ("import msgspec, sys\n"
            "from reactor import ChatRequest\nfrom stages.cache import cache_key\n"
            "r = msgspec.json.decode(sys.stdin.buffer.read(), type=ChatRequest)\n"
            "print(cache_key(r, 'tenant-a', 'gold', '1'))")
    there = subprocess.run([sys.executable, "-c", code], input=msgspec.json.encode(request),
                           capture_output=True, timeout=60, check=True).stdout.decode().strip()
    assert here == there


def test_key_changes_with_everything_that_changes_the_answer() -> None:
    base = ask("q", model="nano")
    keys = {cache_key(base, "t", "default", "1")}
    for variant in (ask("q", model="mini"), ask("q2", model="nano"),
                    ask("q", model="nano", temperature=0.5), ask("q", model="nano", top_p=0.5),
                    ask("q", model="nano", max_tokens=9), ask("q", model="nano", seed=1),
                    ask("q", model="nano", stop="."),
                    ask("q", model="nano", response_format={"type": "json_object"})):
        keys.add(cache_key(variant, "t", "default", "1"))
    keys.add(cache_key(base, "other-tenant", "default", "1"))
    keys.add(cache_key(base, "t", "gold", "1"))
    keys.add(cache_key(base, "t", "default", "2"))
    assert len(keys) == 12
    # ...but not with how the answer is delivered.
    assert cache_key(ask("q", model="nano", stream=True), "t", "default", "1") == \
        cache_key(base, "t", "default", "1")


async def test_second_ask_is_a_hit_with_no_spend(cached: Router) -> None:
    first = await cached.complete(ask("cache me", model="mini"))
    await stored(cached, 1)
    second = await cached.complete(ask("cache me", model="mini"))
    assert first.router is not None and second.router is not None
    assert first.router.cache == "miss" and second.router.cache == "exact"
    assert second.text == first.text and second.router.cost_usd == 0.0
    with anyio.fail_after(5):
        await cached.quiesce()
    stats = cached.stats()
    assert stats["cost"]["total"]["saved_usd"] == pytest.approx(first.router.cost_usd)


async def test_tenants_never_share_entries(cached: Router) -> None:
    await cached.complete(ask("secret plan", model="nano"), tenant="alice")
    await stored(cached, 1)
    bob = await cached.complete(ask("secret plan", model="nano"), tenant="bob")
    alice = await cached.complete(ask("secret plan", model="nano"), tenant="alice")
    assert bob.router is not None and bob.router.cache == "miss"
    assert alice.router is not None and alice.router.cache == "exact"


async def test_a_streamed_answer_is_stored_and_replays_as_json_or_stream(
        cached: Router) -> None:
    streamed = [e async for e in cached.stream(ask("stream then cache", model="pro"))]
    await stored(cached, 1)
    text = "".join(e.text for e in streamed if isinstance(e, Token))
    as_json = await cached.complete(ask("stream then cache", model="pro"))
    assert as_json.router is not None and as_json.router.cache == "exact"
    assert as_json.text == text
    replay = [e async for e in cached.stream(ask("stream then cache", model="pro"))]
    assert isinstance(replay[0], Started) and replay[0].cache == "exact"
    tokens = [e for e in replay if isinstance(e, Token)]
    assert len(tokens) > 1 and "".join(t.text for t in tokens) == text
    assert isinstance(replay[-1], Done) and replay[-1].cost_usd == 0.0


async def test_a_tier_never_gets_an_answer_from_a_model_it_may_not_use() -> None:
    # One tenant, two keys: the gold tier may use "pro", the free tier may not.
    text = CACHED.replace('name = "pro"\n', 'name = "pro"\ntiers = ["gold"]\n')
    async with Router(parse_config(text)) as router:
        gold = await router.complete(ask("tiered", model="pro"), tenant="acme", tier="gold")
        await stored(router, 1)
        with pytest.raises(RequestFailed) as refused:
            await router.complete(ask("tiered", model="pro"), tenant="acme", tier="free")
        again = await router.complete(ask("tiered", model="pro"), tenant="acme", tier="gold")
    assert gold.router is not None and gold.router.cache == "miss"
    assert refused.value.error.code == "model_unsuitable"
    assert again.router is not None and again.router.cache == "exact"


async def test_hot_samples_are_not_cached_unless_asked(cached: Router) -> None:
    for _ in range(2):
        hot = await cached.complete(ask("creative", model="nano", temperature=1.5))
        assert hot.router is not None and hot.router.cache == "miss"
    await cached.complete(ask("creative", model="nano", temperature=1.5,
                              cache={"mode": "exact"}))
    await stored(cached, 1)
    again = await cached.complete(ask("creative", model="nano", temperature=1.5,
                                      cache={"mode": "exact"}))
    assert again.router is not None and again.router.cache == "exact"


async def test_refresh_skips_the_lookup_and_off_skips_both(cached: Router) -> None:
    await cached.complete(ask("fresh", model="nano"))
    await stored(cached, 1)
    refreshed = await cached.complete(ask("fresh", model="nano", cache={"mode": "refresh"}))
    assert refreshed.router is not None and refreshed.router.cache == "miss"
    await stored(cached, 2)
    off = await cached.complete(ask("fresh", model="nano", cache={"mode": "off"}))
    assert off.router is not None and off.router.cache == "miss"
    assert cached.pipeline.cache.stored == 2


async def test_failed_or_truncated_answers_are_never_stored() -> None:
    async with FakeUpstream(output_tokens=6, faults=["drop_mid_stream", "empty", None]) as fake:
        config = parse_config(f"""
[cache]
max_temperature = 1.0
[provider.retry]
max_attempts = 1
[[models]]
name = "remote"
upstream = {{ kind = "openai", base_url = "{fake.base_url}", api_key = "k" }}
""")
        async with Router(config) as router:
            broken = [e async for e in router.stream(ask("flaky", model="remote"))]
            assert not isinstance(broken[-1], Done)
            with pytest.raises(Exception):  # noqa: B017 - the empty answer is a 502
                await router.complete(ask("flaky", model="remote"))
            good = await router.complete(ask("flaky", model="remote"))
            await stored(router, 1)
            again = await router.complete(ask("flaky", model="remote"))
            # Cut short by its token limit: kept for requests with the same limit only.
            cut = await router.complete(ask("flaky", model="remote", max_tokens=2))
            await stored(router, 2)
            cut_again = await router.complete(ask("flaky", model="remote", max_tokens=2))
            longer = await router.complete(ask("flaky", model="remote", max_tokens=3))
    assert good.router is not None and again.router is not None
    assert again.router.cache == "exact" and again.text == good.text
    assert cut.choices[0].finish_reason == "length"
    assert cut_again.router is not None and cut_again.router.cache == "exact"
    assert cut_again.choices[0].finish_reason == "length" and cut_again.text == cut.text
    assert longer.router is not None and longer.router.cache == "miss"
    assert fake.requests == 5


async def test_memory_store_is_bounded() -> None:
    config = parse_config(CACHED.replace("max_temperature = 1.0",
                                         "max_temperature = 1.0\nmax_entries = 3"))
    async with Router(config) as router:
        for i in range(5):
            await router.complete(ask(f"q{i}", model="nano"))
        await stored(router, 5)
        assert router.stats()["cache"]["evictions"] == 2
        metrics = generate_latest(router.pipeline.registry).decode()
        assert "reactor_cache_evictions_total 2.0" in metrics
        assert "reactor_cache_entries 3.0" in metrics
        assert 'reactor_cache_lookups_total{result="miss"} 5.0' in metrics
        first = await router.complete(ask("q0", model="nano"))
        last = await router.complete(ask("q4", model="nano"))
    assert first.router is not None and first.router.cache == "miss"
    assert last.router is not None and last.router.cache == "exact"


async def test_redis_backend_is_shared_by_two_routers() -> None:
    prefix = require_redis()
    text = CACHED.replace("max_temperature = 1.0",
                          f'max_temperature = 1.0\nbackend = "redis"\nredis_prefix = "{prefix}"')
    config: RouterConfig = parse_config(text)
    try:
        async with Router(config) as one, Router(config) as two:
            first = await one.complete(ask("shared across instances", model="pro"))
            await stored(one, 1)
            other = await two.complete(ask("shared across instances", model="pro"))
            assert two.stats()["cache"]["errors"] == 0
    finally:
        await delete_prefix(prefix)
    assert other.router is not None and other.router.cache == "exact"
    assert other.text == first.text


async def test_redis_down_is_a_miss_not_an_error() -> None:
    text = CACHED.replace("max_temperature = 1.0", 'max_temperature = 1.0\nbackend = "redis"\n'
                          'redis_url = "redis://127.0.0.1:1/0"')
    async with Router(parse_config(text)) as router:
        answer = await router.complete(ask("no redis here", model="nano"))
        assert answer.router is not None and answer.router.cache == "miss"
        assert router.stats()["cache"]["errors"] >= 1


async def test_a_requests_own_ttl_outlives_or_undercuts_the_configured_one() -> None:
    clock = FakeClock()
    config = parse_config(CACHED.replace("max_temperature = 1.0",
                                         "max_temperature = 1.0\nttl_s = 100.0"))
    async with Router(config, clock=clock) as router:
        with anyio.fail_after(5):
            await router.complete(ask("brief", model="nano", cache={"ttl_s": 10}))
            await router.complete(ask("lasting", model="nano", cache={"ttl_s": 1000}))
            await router.complete(ask("default", model="nano"))
            await stored(router, 3)

            async def kind(text: str) -> str | None:
                answer = await router.complete(ask(text, model="nano"))
                assert answer.router is not None
                return answer.router.cache

            clock.advance(9.9)
            assert [await kind(t) for t in ("brief", "lasting", "default")] == ["exact"] * 3
            clock.advance(0.1)
            assert await kind("brief") == "miss"
            clock.advance(90.0)
            assert [await kind(t) for t in ("lasting", "default")] == ["exact", "miss"]
