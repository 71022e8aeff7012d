"""Where exact-cache entries live: in this process, or in Redis for every instance.

Both sit behind `EntryStore`; the Redis store uses aiocache. The memory store bounds itself
(least recently used out first, past `max_entries`); the Redis store relies on TTLs and
the server's own `maxmemory` policy. A Redis that is down or slow is a cache miss and a
counted error, never a failed request.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import msgspec
import structlog
from aiocache import RedisCache
from aiocache.serializers import BaseSerializer

from reactor import CacheConfig, Clock, Usage

log = structlog.get_logger("reactor.cache")


class Entry(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    model: str
    text: str
    finish_reason: str
    usage: Usage
    cost_usd: float


class EntryStore(Protocol):
    name: str
    errors: int
    evictions: int
    entries: int
    bytes: int

    async def get(self, key: str) -> Entry | None: ...

    async def set(self, key: str, entry: Entry, ttl_s: float) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """Entries in this process, in a plain dict: aiocache's memory cache would run its
    decorator stack (timeouts, hooks, plugins) on every lookup and store for what is a
    dict operation. TTLs run on the injected clock (checked when an entry is read), so
    they hold under a fake clock too; expired entries nobody asks for again leave
    through the size bound."""

    name = "memory"

    def __init__(self, max_entries: int, clock: Clock) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.order: OrderedDict[str, tuple[Entry, float]] = OrderedDict()
        """Key -> (entry, expiry), least recently used first."""
        self.errors = 0
        self.evictions = 0
        self.bytes = 0

    @property
    def entries(self) -> int:
        return len(self.order)

    async def get(self, key: str) -> Entry | None:
        held = self.order.get(key)
        if held is None:
            return None
        if self.clock.now() >= held[1]:
            self.bytes -= len(self.order.pop(key)[0].text)
            return None
        self.order.move_to_end(key)
        return held[0]

    async def set(self, key: str, entry: Entry, ttl_s: float) -> None:
        order = self.order
        held = order.pop(key, None)
        self.bytes += len(entry.text) - (len(held[0].text) if held is not None else 0)
        order[key] = (entry, self.clock.now() + ttl_s)
        while len(order) > self.max_entries:
            self.bytes -= len(order.popitem(last=False)[1][0].text)
            self.evictions += 1

    async def close(self) -> None:
        pass


class _EntrySerializer(BaseSerializer):  # type: ignore[misc]
    DEFAULT_ENCODING = None

    def dumps(self, value: Entry) -> bytes:
        return msgspec.msgpack.encode(value)

    def loads(self, value: bytes | None) -> Entry | None:
        if value is None:
            return None
        try:
            return msgspec.msgpack.decode(value, type=Entry)
        except msgspec.DecodeError:
            return None  # written by an older, incompatible version: a miss


class RedisStore:
    name = "redis"
    entries = -1  # not tracked: the server knows (INFO keyspace)
    bytes = -1

    def __init__(self, url: str, prefix: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"unsupported Redis URL scheme {parts.scheme!r}")
        db = int(parts.path.lstrip("/") or 0)
        # As `Redis.from_url` reads the URL for the limits: an ACL user, and a password
        # percent-encoded.
        login = {"username": unquote(parts.username)} if parts.username else {}
        self.cache = RedisCache(
            serializer=_EntrySerializer(), namespace=prefix, timeout=timeout_s,
            endpoint=parts.hostname or "127.0.0.1", port=parts.port or 6379, db=db,
            password=None if parts.password is None else unquote(parts.password),
            ssl=parts.scheme == "rediss", connection_pool_kwargs=login)
        self.errors = 0
        self.evictions = 0

    async def get(self, key: str) -> Entry | None:
        try:
            entry: Entry | None = await self.cache.get(key)
        except (TimeoutError, OSError, _redis_errors()) as exc:
            self._failed("get", exc)
            return None
        return entry

    async def set(self, key: str, entry: Entry, ttl_s: float) -> None:
        try:
            await self.cache.set(key, entry, ttl=max(1, round(ttl_s)))
        except (TimeoutError, OSError, _redis_errors()) as exc:
            self._failed("set", exc)

    def _failed(self, op: str, exc: BaseException) -> None:
        self.errors += 1
        log.warning("cache_backend_failed", backend="redis", op=op, error=repr(exc))

    async def close(self) -> None:
        await self.cache.close()


def _redis_errors() -> type[Exception]:
    from redis.exceptions import RedisError

    error: type[Exception] = RedisError
    return error


def build_store(config: CacheConfig, clock: Clock) -> EntryStore:
    stores: dict[str, Any] = {
        "memory": lambda: MemoryStore(config.max_entries, clock),
        "redis": lambda: RedisStore(config.redis_url, config.redis_prefix,
                                    config.redis_timeout_s),
    }
    store: EntryStore = stores[config.backend]()
    return store
