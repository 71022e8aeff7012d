"""Per-tenant budgets and token rate limits, end to end: over HTTP, embedded, and shared
by two routers through a real Redis."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import anyio.lowlevel
import msgspec
import pytest
from structlog.testing import capture_logs

from reactor import (
    ChatRequest,
    ConfigError,
    Failed,
    FakeClock,
    Flow,
    RequestFailed,
    Router,
    parse_config,
)
from reactor._router import gather
from reactor._server import Server
from tests.conftest import FAST_MODELS, hold_open
from tests.reactor._support import settle_tasks
from tests.redis_support import delete_prefix, require_redis

# `slow` answers only when the fake clock moves on, so requests can be held in flight;
# its quality keeps "auto" away from it.
SLOW = """
[[models]]
name = "slow"
price_in = 2.50
price_out = 10.0
quality = 0.1
upstream = { kind = "simulated", output_tokens = 20, ttft_ms = 1000 }
"""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def limited(admission: str = "", tenants: str = "", cache: str = "") -> str:
    keys = ", ".join(f'{{ tenant = "{name}", sha256 = "{digest("sk-" + name)}" }}'
                     for name in ("alice", "bob", "frugal", "broke", "chatty"))
    return FAST_MODELS.replace("[runtime]", f"""[admission]
keys = [{keys}]
{admission}

{tenants}

[cache]
{cache}

[runtime]""") + SLOW


def ask(text: str, **fields: object) -> ChatRequest:
    body = {"messages": [{"role": "user", "content": text}], **fields}
    return msgspec.json.decode(msgspec.json.encode(body), type=ChatRequest)


async def post(server: Server, path: str, key: str, **body: object
               ) -> tuple[int, dict[str, str], Any]:
    payload = {"messages": [{"role": "user", "content": "what is a budget?"}], **body}
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + path, json=payload,
                         headers={"Authorization": f"Bearer sk-{key}"}) as response:
        return response.status, dict(response.headers), await response.json()


async def get(server: Server, path: str) -> str:
    async with aiohttp.ClientSession() as session, \
            session.get(server.url + path) as response:
        return await response.text()


async def sleeping(clock: FakeClock, count: int) -> None:
    """Until `count` requests wait in the slow model (past admission, Redis included)."""
    with anyio.fail_after(5):
        while clock.sleepers < count:
            await anyio.lowlevel.checkpoint()
    await settle_tasks()
    assert clock.sleepers == count


async def held(router: Router, clock: FakeClock, flows: list[Flow]) -> list[Any]:
    """Let `flows` reach the slow model, then move the clock so they all answer."""
    await sleeping(clock, len(flows))
    clock.advance(1.0)
    with anyio.fail_after(5):
        results = [await gather(flow) for flow in flows]
        await router.quiesce()
    return results


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # wall clock: 2023-11-14 22:30 UTC, 5400 s before the day ends


@pytest.fixture
async def budgeted(clock: FakeClock) -> AsyncIterator[Server]:
    config = parse_config(limited(
        admission="usd_per_day = 0.0003",
        tenants="[admission.tenants.bob]\nusd_per_day = inf\n\n"
                "[admission.tenants.frugal]\nusd_per_day = 0.001\n\n"
                "[admission.tenants.broke]\nusd_per_day = 0.00001\n\n"
                "[admission.tenants.chatty]\ntokens_per_minute = 1000\nusd_per_day = inf"))
    async for router in hold_open(Router(config, clock=clock)):
        async with Server(router) as server:
            yield server


async def test_a_spent_budget_is_refused_until_the_day_ends(budgeted: Server,
                                                           clock: FakeClock) -> None:
    router = budgeted.router
    # Both fit the budget when admitted; together they spend more than all of it.
    spending = [router.submit(ask(f"spend {i}", model="slow", max_tokens=20), tenant="alice")
                for i in range(2)]
    answers = await held(router, clock, spending)
    assert not any(isinstance(answer, Failed) for answer in answers)

    status, headers, body = await post(budgeted, "/v1/chat/completions", "alice")
    assert status == 429
    assert body["error"]["type"] == "insufficient_quota"
    assert body["error"]["code"] == "budget_exceeded"
    assert "daily budget" in body["error"]["message"]
    assert headers["Retry-After"] == "5399"  # midnight UTC (held() moved the clock 1 s)

    stats = msgspec.json.decode(await get(budgeted, "/api/v1/stats"))
    alice = stats["limits"]["tenants"]["alice"]["day"]
    assert alice["remaining_usd"] == 0 and alice["spent_usd"] > alice["limit_usd"] == 0.0003
    assert alice["resets_at"] == "2023-11-15T00:00:00Z"
    assert stats["limits"]["rejected"]["budget"]["alice"] == 1
    assert 'reactor_limit_rejections_total{reason="budget",tenant="alice"} 1.0' \
        in await get(budgeted, "/metrics")
    # Another tenant's books are its own.
    assert (await post(budgeted, "/v1/chat/completions", "bob"))[0] == 200

    clock.advance(5400)
    status, _, _ = await post(budgeted, "/v1/chat/completions", "alice", model="nano")
    assert status == 200


async def test_a_model_too_expensive_for_the_budget_left_is_skipped(budgeted: Server) -> None:
    _, _, rich = await post(budgeted, "/api/v1/route", "bob", model="best")
    assert rich["model"] == "ultra"

    status, _, decision = await post(budgeted, "/api/v1/route", "frugal", model="best")
    assert status == 200
    assert decision["model"] not in ("ultra", "pro")
    assert "over the budget left" in decision["reason"] and "ultra" in decision["reason"]
    assert not {"ultra", "pro"} & set(decision["fallbacks"])

    status, headers, body = await post(budgeted, "/v1/chat/completions", "frugal",
                                       model="best")
    assert status == 200
    assert headers["x-reactor-model"] == decision["model"] == body["model"]


async def test_no_model_within_the_budget_left_is_a_429_naming_the_budget(
        budgeted: Server) -> None:
    for path in ("/api/v1/route", "/v1/chat/completions"):
        status, headers, body = await post(budgeted, path, "broke")
        assert status == 429
        assert body["error"]["code"] == "budget_exceeded"
        assert "budget left" in body["error"]["message"]
        assert headers["Retry-After"] == "5400"
    # A pinned model over the budget left is refused the same way.
    status, _, body = await post(budgeted, "/v1/chat/completions", "frugal", model="ultra")
    assert status == 429 and body["error"]["code"] == "budget_exceeded"


async def test_tokens_per_minute_reserve_then_correct_to_actual_use(
        budgeted: Server, clock: FakeClock) -> None:
    router = budgeted.router
    first = router.submit(ask("long answer please", model="slow", max_tokens=600),
                          tenant="chatty")
    await sleeping(clock, 1)
    # 600 of 1000 tokens are reserved while the first is in flight.
    status, headers, body = await post(budgeted, "/v1/chat/completions", "chatty",
                                       max_tokens=600)
    assert status == 429
    assert body["error"]["code"] == "tokens_per_minute_exceeded"
    assert int(headers["Retry-After"]) >= 1
    assert "1000 tokens per minute" in body["error"]["message"]

    (answer,) = await held(router, clock, [first])
    assert not isinstance(answer, Failed)
    # The first used ~25 tokens, not 600: the rest went back, so this one fits.
    status, _, _ = await post(budgeted, "/v1/chat/completions", "chatty", max_tokens=600)
    assert status == 200
    stats = msgspec.json.decode(await get(budgeted, "/api/v1/stats"))
    assert stats["limits"]["rejected"]["tokens"]["chatty"] == 1
    assert 'reactor_limit_rejections_total{reason="tokens",tenant="chatty"} 1.0' \
        in await get(budgeted, "/metrics")


async def test_an_embedded_router_reads_the_limits_its_stats_endpoint_shows(
        budgeted: Server) -> None:
    router = budgeted.router
    with anyio.fail_after(5):
        await router.complete(ask("spend a little", model="nano"), tenant="frugal")
        with pytest.raises(RequestFailed):
            await router.complete(ask("spend too much", model="nano"), tenant="broke")
        await router.quiesce()
        limits = await router.limits()
    frugal = limits["tenants"]["frugal"]["day"]
    assert frugal["limit_usd"] == 0.001 and 0 < frugal["spent_usd"] < 0.001
    assert frugal["remaining_usd"] == round(0.001 - frugal["spent_usd"], 8)
    assert frugal["resets_at"] == "2023-11-15T00:00:00Z"
    assert limits["rejected"] == {"budget": {"broke": 1}}
    assert limits["backend"] == "memory" and limits["admitted_unmetered"] == 0
    stats = msgspec.json.decode(await get(budgeted, "/api/v1/stats"))
    assert stats["limits"] == limits
    assert stats.keys() - {"limits"} == router.stats().keys()


async def test_a_cache_hit_costs_the_budget_nothing(clock: FakeClock) -> None:
    config = parse_config(limited(admission="usd_per_day = 1.0",
                                  cache="max_temperature = 1.0"))
    async with Router(config, clock=clock) as router:
        with anyio.fail_after(5):
            await router.complete(ask("cache me", model="pro"), tenant="alice")
            await router.pipeline.cache.wait_stored(1)
            await router.quiesce()
            before = (await router.limits())["tenants"]
            again = await router.complete(ask("cache me", model="pro"), tenant="alice")
            await router.quiesce()
            after = (await router.limits())["tenants"]
    assert again.router is not None and again.router.cache == "exact"
    assert before == after
    assert before["alice"]["day"]["spent_usd"] > 0


async def test_tenants_without_limits_are_not_metered(clock: FakeClock) -> None:
    config = parse_config(limited(tenants="[admission.tenants.alice]\nusd_per_day = 0.0"))
    async with Router(config, clock=clock) as router:
        with anyio.fail_after(5):
            await router.complete(ask("free", model="nano"), tenant="bob")
            with pytest.raises(RequestFailed) as refused:
                await router.complete(ask("not free", model="nano"), tenant="alice")
            limits = await router.limits()
    assert refused.value.error.code == "budget_exceeded"
    assert list(limits["tenants"]) == ["alice"]


def test_config_errors_name_the_bad_key() -> None:
    cases = {
        '[admission.tenants.alice]\nusd_per_day = "5"': "admission.tenants.alice.usd_per_day",
        '[admission.tenants.alice]\ntokens_per_mniute = 5': "admission.tenants.alice."
                                                            "tokens_per_mniute: unknown key",
        "[admission]\nusd_per_month = -1.0": "admission.usd_per_month",
        "[admission]\ntokens_per_minute = 0": "admission.tokens_per_minute",
        '[admission]\nbackend = "etcd"': "admission.backend",
        '[admission]\non_backend_error = "maybe"': "admission.on_backend_error",
        '[admission]\nbackend = "redis"\nredis_url = "http://x"': "admission.redis_url",
    }
    for text, path in cases.items():
        with pytest.raises(ConfigError) as caught:
            parse_config(FAST_MODELS + "\n" + text + "\n")
        assert path in str(caught.value), (text, str(caught.value))


async def test_two_routers_share_one_budget_and_token_bucket_through_redis(
        clock: FakeClock) -> None:
    prefix = require_redis()
    config = parse_config(limited(
        admission=f'backend = "redis"\nredis_prefix = "{prefix}"\ntokens_per_minute = 1000',
        tenants="[admission.tenants.alice]\nusd_per_day = 0.0003"))
    try:
        async with Router(config, clock=clock) as one, Router(config, clock=clock) as two:
            reserving = one.submit(ask("reserve on one", model="slow", max_tokens=600),
                                   tenant="chatty")
            await sleeping(clock, 1)
            # The bucket is shared: the other instance sees the 600 tokens reserved.
            with pytest.raises(RequestFailed) as tokens:
                await two.complete(ask("on two", model="nano", max_tokens=600),
                                   tenant="chatty")
            spending = one.submit(ask("spend on one", model="slow", max_tokens=20),
                                  tenant="alice")
            answers = await held(one, clock, [reserving, spending])
            assert not any(isinstance(answer, Failed) for answer in answers)
            # ...and so is the budget: one spent ~$0.00022 of $0.0003, which leaves two
            # too little for `pro`; the tokens one did not use are back for two.
            with pytest.raises(RequestFailed) as budget:
                await two.complete(ask("on two", model="pro", max_tokens=20), tenant="alice")
            await two.complete(ask("on two", model="nano", max_tokens=600), tenant="chatty")
            spent = (await two.limits())["tenants"]
            assert one.pipeline.spend.store.errors == two.pipeline.spend.store.errors == 0
    finally:
        await delete_prefix(prefix)
    assert tokens.value.error.code == "tokens_per_minute_exceeded"
    assert budget.value.error.code == "budget_exceeded"
    day = spent["alice"]["day"]
    assert 0.0002 < day["spent_usd"] < 0.0003


@pytest.mark.parametrize("policy", ["open", "closed"])
async def test_a_redis_that_is_down_follows_the_configured_policy(policy: str,
                                                                 clock: FakeClock) -> None:
    config = parse_config(limited(
        admission=f'backend = "redis"\nredis_url = "redis://127.0.0.1:1/0"\n'
                  f'on_backend_error = "{policy}"',
        tenants="[admission.tenants.alice]\nusd_per_day = 0.0003"))
    async with Router(config, clock=clock) as router:
        with capture_logs() as logs, anyio.fail_after(5):
            try:
                await router.complete(ask("redis is down", model="nano"), tenant="alice")
                failure = None
            except RequestFailed as exc:
                failure = exc.error
            answered = await router.complete(ask("free tenant", model="nano"))
    assert answered.choices  # a tenant without limits never asks Redis
    assert router.pipeline.spend.store.errors >= 1
    assert any(log["event"] == "limits_backend_failed" for log in logs)
    if policy == "open":
        assert failure is None
        assert router.pipeline.admission.unmetered == 1
        assert any(log["event"] == "admitted_unmetered" for log in logs)
    else:
        assert failure is not None
        assert (failure.status, failure.code) == (503, "limits_unavailable")


async def test_a_routing_decision_alone_reserves_no_tokens(budgeted: Server) -> None:
    for _ in range(3):
        status, _, _ = await post(budgeted, "/api/v1/route", "chatty", max_tokens=600)
        assert status == 200
    assert (await post(budgeted, "/v1/chat/completions", "chatty", max_tokens=600))[0] == 200


async def test_retry_after_is_when_the_request_would_be_admitted(clock: FakeClock) -> None:
    # 50 a minute refill one request every 1.2 s: "1" would send the caller back too soon.
    config = parse_config(limited(tenants="[admission.tenants.alice]\n"
                                          "requests_per_minute = 50"))
    async with Router(config, clock=clock) as router, Server(router) as server:
        for _ in range(50):
            assert (await post(server, "/v1/chat/completions", "alice", model="nano"))[0] \
                == 200
        status, headers, body = await post(server, "/v1/chat/completions", "alice")
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        assert "'alice'" in body["error"]["message"]
        wait = int(headers["Retry-After"])
        clock.advance(wait)
        assert (await post(server, "/v1/chat/completions", "alice", model="nano"))[0] == 200
    assert wait == 2


async def test_a_request_larger_than_a_minute_of_tokens_waits_then_leaves_a_debt(
        budgeted: Server, clock: FakeClock) -> None:
    router = budgeted.router
    huge = "x" * 8000  # ~2000 prompt tokens, twice the tenant's minute
    with anyio.fail_after(5):
        await router.complete(ask("use some", model="nano"), tenant="chatty")
        with pytest.raises(RequestFailed) as early:
            await router.complete(ask(huge, model="nano"), tenant="chatty")
        clock.advance(early.value.error.retry_after_s or 0.0)
        # With a full bucket it goes in, and what it used beyond the minute is owed.
        await router.complete(ask(huge, model="nano"), tenant="chatty")
        await router.quiesce()
        with pytest.raises(RequestFailed) as owed:
            await router.complete(ask("small", model="nano", max_tokens=10), tenant="chatty")
    assert early.value.error.code == owed.value.error.code == "tokens_per_minute_exceeded"
    assert "more than a minute's worth: it goes in once the whole minute is unused" \
        in early.value.error.message
    assert "this request reserves 16" in owed.value.error.message
    assert owed.value.error.retry_after_s is not None and owed.value.error.retry_after_s > 60
    # A routing decision uses no tokens: the debt does not refuse it.
    status, _, decision = await post(budgeted, "/api/v1/route", "chatty")
    assert status == 200 and decision["model"]
