"""Where exact-cache entries live: in this process, or in Redis for every instance.

Both sit behind `EntryStore` and both use aiocache. The memory store bounds itself
(least recently used out first, past `max_entries`); the Redis store relies on TTLs and
the server's own `maxmemory` policy. A Redis that is down or slow is a cache miss and a
counted error, never a failed request.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import urlsplit

import msgspec
import structlog
from aiocache import RedisCache, SimpleMemoryCache
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
    """Entries in this process. TTLs run on the injected clock (checked when an entry is
    read), so they hold under a fake clock too; expired entries nobody asks for again
    leave through the size bound."""

    name = "memory"

    def __init__(self, max_entries: int, clock: Clock) -> None:
        self.cache = SimpleMemoryCache(timeout=None)
        self.max_entries = max_entries
        self.clock = clock
        self.order: OrderedDict[str, tuple[int, float]] = OrderedDict()
        """Key -> (answer bytes, expiry), least recently used first."""
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
            await self._drop(key)
            return None
        entry: Entry | None = await self.cache.get(key)
        self.order.move_to_end(key)
        return entry

    async def set(self, key: str, entry: Entry, ttl_s: float) -> None:
        await self.cache.set(key, entry)
        self.bytes += len(entry.text) - self.order.get(key, (0, 0.0))[0]
        self.order[key] = (len(entry.text), self.clock.now() + ttl_s)
        self.order.move_to_end(key)
        while len(self.order) > self.max_entries:
            await self._drop(next(iter(self.order)))
            self.evictions += 1

    async def _drop(self, key: str) -> None:
        self.bytes -= self.order.pop(key)[0]
        await self.cache.delete(key)

    async def close(self) -> None:
        await self.cache.close()


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
        self.cache = RedisCache(
            serializer=_EntrySerializer(), namespace=prefix, timeout=timeout_s,
            endpoint=parts.hostname or "127.0.0.1", port=parts.port or 6379, db=db,
            password=parts.password, ssl=parts.scheme == "rediss")
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
