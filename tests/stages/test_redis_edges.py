"""Redis failing under the shared limits and the semantic stream: a TCP proxy the test
controls sits between Reactor and the real Redis; data faults are real Redis commands on
this test's own keys."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
import pytest
import redis.asyncio
from structlog.testing import capture_logs

from reactor import Router, TenantLimits, Usage, parse_config
from stages.cache_store import Entry as CacheEntry
from stages.cache_store import RedisStore
from stages.limits import LimitsUnavailable
from stages.limits_redis import RedisLimits
from stages.semantic_cache import Entry, Propagated
from tests.redis_support import REDIS_HOST, REDIS_PORT, delete_prefix, require_redis
from tests.stages.test_semantic_cache import ask, config_text, stored

NOW = 1_780_000_000.0  # 2026-05-28, mid-window


class Proxy:
    """Forwards 127.0.0.1:port to Redis. `cut_after_request(marker)`: the next request
    holding `marker` reaches Redis, but the connection is cut before its reply returns."""

    def __init__(self) -> None:
        self.port = 0
        self._marker: bytes | None = None
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()

    def cut_after_request(self, marker: bytes) -> None:
        self._marker = marker

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    armed: list[bool]) -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(65536):
                if armed[0]:
                    return  # the reply to the marked request never reaches the client
                if self._marker is not None and self._marker in chunk:
                    self._marker = None
                    armed[0] = True
                writer.write(chunk)
                await writer.drain()

    async def _serve(self, client_r: asyncio.StreamReader,
                     client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(REDIS_HOST, REDIS_PORT)
        self._writers |= {client_w, server_w}
        armed = [False]
        try:
            upstream = asyncio.ensure_future(self._pipe(client_r, server_w, armed))
            downstream = asyncio.ensure_future(self._pipe(server_r, client_w, armed))
            await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
            if armed[0]:
                self.cuts += 1
            upstream.cancel()
            downstream.cancel()
            await asyncio.gather(upstream, downstream, return_exceptions=True)
        finally:
            for writer in (client_w, server_w):
                self._writers.discard(writer)
                writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Proxy]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            for writer in list(self._writers):
                writer.close()
            await server.wait_closed()


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = require_redis()
    try:
        yield prefix
    finally:
        await delete_prefix(prefix)


@pytest.fixture
async def direct() -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        yield client
    finally:
        await client.aclose()


BUDGET = TenantLimits(usd_per_day=100.0, usd_per_month=1000.0)


async def test_a_charge_whose_reply_is_lost_is_counted_once(
        prefix: str, direct: redis.asyncio.Redis) -> None:
    async with Proxy().running() as proxy:
        store = RedisLimits(f"redis://127.0.0.1:{proxy.port}/0", prefix, 2.0)
        try:
            await store.settle("acme", BUDGET, 0, 0.25, NOW)  # script loaded, connected
            proxy.cut_after_request(b"usd:day")
            with anyio.fail_after(5):
                await store.settle("acme", BUDGET, 0, 1.0, NOW)
            assert proxy.cuts == 1
            spent = await store.spent(["acme"], NOW)
        finally:
            await store.close()
    assert spent["acme"].day_usd == pytest.approx(1.25)
    assert spent["acme"].month_usd == pytest.approx(1.25)


async def test_garbage_in_a_spend_key_is_an_unavailable_backend_not_a_crash(
        prefix: str, direct: redis.asyncio.Redis) -> None:
    store = RedisLimits(f"redis://{REDIS_HOST}:{REDIS_PORT}/0", prefix, 2.0)
    try:
        await store.settle("acme", BUDGET, 0, 1.0, NOW)
        day_key = store._keys("acme", "2026-05-28", "2026-05")[2]
        assert await direct.get(day_key) is not None
        await direct.set(day_key, b"not a number")
        with capture_logs() as logs, pytest.raises(LimitsUnavailable):
            await store.spent(["acme"], NOW)
        with pytest.raises(LimitsUnavailable):
            await store.admit("acme", BUDGET, 0, NOW)
    finally:
        await store.close()
    assert store.errors == 2
    assert [log["event"] for log in logs] == ["limits_backend_failed"]


async def test_foreign_records_in_the_semantic_stream_are_skipped(
        prefix: str, direct: redis.asyncio.Redis) -> None:
    text = config_text(extra=f'backend = "redis"\nredis_prefix = "{prefix}:exact"',
                       semantic=f'stream_key = "{prefix}:stream"')
    payload = msgspec.msgpack.encode(Entry(query="q", model="mini", text="t",
                                           finish_reason="stop", usage=Usage(), cost_usd=0.0))
    narrow = msgspec.msgpack.encode(Propagated(
        entry_id="narrow", partition="p", vector=b"\0" * 12, payload=payload, ttl_s=60.0))
    foreign: list[dict[Any, Any]] = [
        {"origin": "elsewhere", "entry": b"\x93junk"},
        {"something": "else"},
        {"origin": b"\xff", "entry": msgspec.msgpack.encode(Propagated(
            entry_id="odd", partition="p", vector=b"\0" * 5, payload=payload, ttl_s=60.0))},
        {"entry": msgspec.msgpack.encode(Propagated(
            entry_id="bad", partition="p", vector=b"\0" * 8, payload=b"junk", ttl_s=60.0))}]
    with capture_logs() as logs:
        async with Router(parse_config(text)) as one, Router(parse_config(text)) as two:
            first = await one.complete(ask("How many moons does Mars have?"))
            await stored(two, 1)
            # More than `max_restarts`, each read by both instances.
            for record in [*foreign, {"entry": narrow}, *foreign]:
                await direct.xadd(f"{prefix}:stream", record)
            await one.complete(ask("Name the largest planet"))
            await stored(two, 2)
            again = await two.complete(ask("how many moons does mars have"))
            assert two.pipeline.semantic.propagated == 2
            await two.complete(ask("What colour is the sky?"))
            await stored(one, 3)  # `one` has read the stream to its end too
    assert again.router is not None and again.router.cache == "semantic"
    assert again.text == first.text
    events = [entry["event"] for entry in logs]
    assert "actor_crashed" not in events
    assert events.count("semantic_record_skipped") == 2 * (2 * len(foreign) + 1)


@pytest.mark.parametrize("bad", ["tpm", "month"])
async def test_a_charge_refused_for_a_key_of_the_wrong_type_charges_nothing(
        prefix: str, direct: redis.asyncio.Redis, bad: str) -> None:
    limits = TenantLimits(tokens_per_minute=1000, usd_per_day=100.0, usd_per_month=1000.0)
    store = RedisLimits(f"redis://{REDIS_HOST}:{REDIS_PORT}/0", prefix, 2.0)
    tpm_key, day_key, month_key = store._keys("acme", "2026-05-28", "2026-05")[1:]
    try:
        await store.admit("acme", limits, 500, NOW)
        wrong = {"tpm": tpm_key, "month": month_key}[bad]
        await direct.delete(wrong)
        await direct.rpush(wrong, "not a number")
        with capture_logs() as logs:
            await store.settle("acme", limits, 300, 1.0, NOW)
        assert [log["event"] for log in logs] == ["limits_backend_failed",
                                                  "spend_not_recorded"]
        assert await direct.get(day_key) is None  # not half charged, logged as not charged
        await direct.delete(tpm_key, month_key)
        await store.settle("acme", limits, 300, 1.0, NOW)  # the key repaired, it counts
        spent = await store.spent(["acme"], NOW)
    finally:
        await store.close()
    assert spent["acme"].day_usd == pytest.approx(1.0)
    assert spent["acme"].month_usd == pytest.approx(1.0)



async def test_the_exact_cache_logs_in_as_the_urls_user_with_its_password_unquoted(
        prefix: str, direct: redis.asyncio.Redis) -> None:
    user = prefix.replace(":", "-")
    await direct.acl_setuser(user, enabled=True, passwords=["+p@ss word"],
                             keys=[f"{prefix}*"], commands=["+@all"])
    store = RedisStore(f"redis://{user}:p%40ss%20word@{REDIS_HOST}:{REDIS_PORT}/0",
                       prefix, 2.0)
    entry = CacheEntry(model="mini", text="hello", finish_reason="stop", usage=Usage(),
                       cost_usd=0.0)
    try:
        await store.set("key", entry, 60.0)
        again = await store.get("key")
        # The default user here takes any password: the user it logged in as tells.
        whoami = await store.cache.client.acl_whoami()
    finally:
        await store.close()
        await direct.acl_deluser(user)
    assert store.errors == 0
    assert again == entry
    assert whoami in (user, user.encode())
