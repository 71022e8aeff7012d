"""Semantic cache: the same question asked in other words, answered from memory.

Inbox: `Select` (look up; from the analyzer, which embedded the last user turn),
`Completed` (store complete answers) and `Propagated` (an entry another instance
stored, read from the shared Redis stream). Emits: `Select` to the selector on a miss;
on a hit it replays the stored answer into the job's flow and tells the books.
Backpressure: waits on the selector's mailbox; the stream follower waits on this
mailbox.

An answer is only reused in the same context: the partition key hashes the tenant and
its tier, the model or alias, the system prompt, the earlier turns, the sampling
parameters and the images of the last user turn, so only that turn's text may differ.
Within a partition a neighbour must pass the embedder's threshold and then every guard
(`stages.semantic.guards`: numbers, negation, direction, word order, ..., and last the
wording, which must match but for articles, contractions and "do" / "is"), which veto
what embeddings cannot tell apart.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
import msgspec
import numpy as np
import structlog
from anyio.abc import TaskStatus
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from reactor import (
    Actor,
    CacheConfig,
    ChatMessage,
    ChatRequest,
    Clock,
    Completed,
    ImagePart,
    Inbox,
    Outcomes,
    Select,
    Usage,
    stamp,
)
from stages.cache import STORABLE_FINISH, cache_key, cacheable, readable, requested_ttl
from stages.replay import Stored, replay_soon
from stages.semantic import (
    IndexParams,
    PartitionParams,
    SemanticIndex,
    Thresholds,
    encode_reading,
    read,
    weigh,
)
from stages.semantic.reading import decode_reading

log = structlog.get_logger("reactor.semantic_cache")


class Entry(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    query: str
    model: str
    text: str
    finish_reason: str
    usage: Usage
    cost_usd: float


class Propagated(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """An entry stored by another instance."""

    entry_id: str
    partition: str
    vector: bytes
    payload: bytes
    ttl_s: float
    reading: bytes = b""
    """The question's encoded `Reading`; read from the payload when absent."""


_entry = msgspec.msgpack.Decoder(Entry)
_encode = msgspec.msgpack.Encoder().encode


def question_reading(payload: bytes) -> bytes:
    """The encoded `Reading` of the question a stored answer answers."""
    return encode_reading(read(_entry.decode(payload).query))


def partition_key(request: ChatRequest, tenant: str, tier: str, version: str) -> str:
    """Everything but the last user turn's text: only that may differ for a reuse (its
    images stay: the same words about another picture ask another question)."""
    messages = list(request.messages)
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            messages[i] = _without_text(messages[i])
            break
    context = msgspec.structs.replace(request, messages=messages)
    return cache_key(context, tenant, tier, f"semantic:{version}")


def _without_text(message: ChatMessage) -> ChatMessage:
    content = message.content
    images = [part for part in content if isinstance(part, ImagePart)] \
        if isinstance(content, list) else []
    return msgspec.structs.replace(message, content=images or "")


def eligible(request: ChatRequest, config: CacheConfig) -> bool:
    """Is this request's answer stored in the semantic cache (and looked for there, but
    when refreshing: the fresh answer replaces the one its rewordings are served)?"""
    semantic = config.semantic
    mode = request.cache.mode if request.cache is not None else None
    if mode in ("off", "exact") or not cacheable(request, config):
        return False
    if request.tools and not semantic.tools:
        return False
    fmt = request.response_format
    if fmt is not None and fmt.type != "text" and not semantic.json_mode:
        return False
    if mode == "semantic":
        return True
    return semantic.enabled and (not semantic.routes or request.model in semantic.routes)


class SemanticCache(Actor[Select | Completed | Propagated]):
    name = "semantic"

    def __init__(self, config: CacheConfig, embedder_kind: str, downstream: Inbox[Select],
                 outcomes: Outcomes, clock: Clock, flow_size: int = 16, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.semantic = config.semantic
        self.embedder_kind = embedder_kind
        self.thresholds = Thresholds(by_name={embedder_kind: self.semantic.threshold}) \
            if self.semantic.threshold is not None else Thresholds()
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock
        self.flow_size = flow_size
        self.index: SemanticIndex | None = None
        self.instance = os.urandom(6).hex()
        self.hits = 0
        self.misses = 0
        self.vetoes: Counter[str] = Counter()
        self.stored = 0
        self.propagated = 0
        self.redis: Any = None
        self._stored_event: anyio.Event | None = None  # made by whoever waits
        self._handed_over = False

    def share(self, old: SemanticCache) -> None:
        """Carry on with `old`'s entries, `old` to be replaced (a reload) with the same
        embedder and index bounds (a new threshold, routes or guards apply to the same
        entries): the index is shared (not read again from the file, which is older)
        while `old` drains. `replaced` then makes saving it this one's job."""
        index = old.index
        if index is not None and old.embedder_kind == self.embedder_kind and \
                old._params(index.params.dim) == self._params(index.params.dim):
            self.index = index

    def replaced(self, old: SemanticCache) -> None:
        """`old` no longer gets requests: a shared index is saved by this one only."""
        if old.index is not None and old.index is self.index:
            old._handed_over = True

    def _params(self, dim: int) -> IndexParams:
        semantic = self.semantic
        return IndexParams(dim=dim, max_entries=semantic.max_entries, ttl_s=semantic.ttl_s,
                           partition=PartitionParams(graph_dim=semantic.graph_dim,
                                                     rerank=semantic.rerank))

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(self._follow)
                await super().run(task_status=task_status)
                tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await self._save()
                if self.redis is not None:
                    await self.redis.aclose()
                    self.redis = None

    async def started(self) -> None:
        path = self.semantic.path
        if self.index is None and path is not None and await anyio.Path(path).exists():
            now = self.clock.now()

            def load() -> SemanticIndex:
                # Under this config's bounds and TTL, not the ones it was saved with.
                dim = SemanticIndex.saved_params(path).dim
                index = SemanticIndex.load(path, now, self._params(dim))
                for entry_id in index.unread():  # saved before readings were kept
                    payload = index.payload(entry_id)
                    if payload is not None:
                        index.set_reading(entry_id, question_reading(payload))
                return index

            self.index = await anyio.to_thread.run_sync(load)
            log.info("semantic_cache_loaded", path=path, entries=len(self.index))

    async def _save(self) -> None:
        if self.index is None or self.semantic.path is None or self._handed_over:
            return
        index, path, now = self.index, self.semantic.path, self.clock.now()
        await anyio.to_thread.run_sync(lambda: index.save(path, now))
        log.info("semantic_cache_saved", path=path, entries=len(index))

    async def wait_stored(self, count: int) -> None:
        """Wait until `count` entries were added (stored here or propagated)."""
        while self.stored + self.propagated < count:
            if self._stored_event is None:
                self._stored_event = anyio.Event()
            await self._stored_event.wait()

    async def handle(self, message: Select | Completed | Propagated) -> None:
        match message:
            case Select(job=job, features=features):
                embedding = features.embedding
                if embedding is not None and self._looked_up(message):
                    stored = self._lookup(job.request, job.tenant, job.tier, embedding)
                    if stored is not None:
                        entry, similarity = stored
                        self.hits += 1
                        await replay_soon(self, job, Stored(
                            entry.model, entry.text, entry.finish_reason, entry.usage,
                            entry.cost_usd), self.outcomes, self.clock, self.flow_size,
                            "semantic", similarity)
                        return
                    self.misses += 1
                if job.trace is not None:
                    stamp(job, "semantic", self.clock.now())
                if not self.downstream.put_nowait(message):
                    await self.downstream.send(message)
            case Completed() as outcome:
                await self._store(outcome)
            case Propagated() as entry:
                vector = np.frombuffer(entry.vector, dtype=np.float32)
                if self.index is not None and len(vector) != self.index.params.dim:
                    # Another embedder (an instance on another config) shares the stream.
                    log.warning("semantic_record_skipped", entry_id=entry.entry_id,
                                error=f"{len(vector)} dimensions, not "
                                f"{self.index.params.dim}")
                    return
                self._index(len(vector)).add(
                    entry.partition, vector, entry.entry_id, self.clock.now(),
                    payload=entry.payload, ttl_s=entry.ttl_s,
                    reading=entry.reading or question_reading(entry.payload))
                self.propagated += 1
                self._notify()

    def _index(self, dim: int) -> SemanticIndex:
        """The index for this embedder's vectors of `dim`. One of another size (a file
        saved under another embedder, or the first record another instance published)
        holds nothing this embedder can find: it is left for a new one."""
        index = self.index
        if index is None or index.params.dim != dim:
            if index is not None:
                log.warning("semantic_index_replaced", entries=len(index),
                            error=f"{index.params.dim} dimensions, the embedder makes {dim}")
            index = self.index = SemanticIndex(self._params(dim))
        return index

    def _lookup(self, request: ChatRequest, tenant: str, tier: str,
                embedding: np.ndarray[Any, Any]) -> tuple[Entry, float] | None:
        index = self._index(len(embedding))
        partition = partition_key(request, tenant, tier, self.config.version)
        weighed = weigh(index, partition, embedding, request.last_user_text,
                        self.clock.now(), self.embedder_kind, thresholds=self.thresholds)
        self.vetoes.update(weighed.vetoes)
        payload = None if weighed.entry_id is None else index.payload(weighed.entry_id)
        if weighed.entry_id is None or payload is None:
            return None
        index.touch(weighed.entry_id)
        # Float32 rounding can put the same question a hair above 1.
        return _entry.decode(payload), min(weighed.similarity, 1.0)

    def handle_nowait(self, message: Select | Completed | Propagated) -> bool:
        # An outcome that is not to be stored (most are not) needs no wait, nor a job
        # that is not looked up when the selector has room for it.
        if isinstance(message, Completed):
            return not self.storable(message)
        if isinstance(message, Select):
            if self._looked_up(message):
                return False
            if message.job.trace is not None:
                stamp(message.job, "semantic", self.clock.now())
            return self.downstream.put_nowait(message)
        return False

    def _looked_up(self, message: Select) -> bool:
        """Is this job's answer looked for in the index?"""
        job = message.job
        return message.features.embedding is not None and self.index is not None and \
            not job.decide_only and readable(job.request, self.config) and \
            eligible(job.request, self.config)

    def storable(self, outcome: Completed) -> bool:
        """Is this an answer to store? (Read from the outcome and the config alone: the
        publisher asks it too, to send only those.)"""
        features = outcome.features
        if outcome.status != "ok" or outcome.cache != "miss" or outcome.model is None or \
                features is None or features.embedding is None or not outcome.text:
            return False
        if outcome.finish_reason not in STORABLE_FINISH:
            return False
        return eligible(outcome.job.request, self.config)

    async def _store(self, outcome: Completed) -> None:
        if not self.storable(outcome):
            return
        features = outcome.features
        assert features is not None and features.embedding is not None
        assert outcome.model is not None and outcome.finish_reason is not None
        job = outcome.job
        entry = Entry(query=job.request.last_user_text, model=outcome.model, text=outcome.text,
                      finish_reason=outcome.finish_reason, usage=outcome.usage,
                      cost_usd=outcome.cost_usd)
        payload = _encode(entry)
        partition = partition_key(job.request, job.tenant, job.tier, self.config.version)
        entry_id = hashlib.blake2b(f"{partition}\0{entry.query}".encode(),
                                   digest_size=16).hexdigest()
        ttl = requested_ttl(job.request, self.semantic.ttl_s)
        vector = np.asarray(features.embedding, dtype=np.float32)
        index = self._index(len(vector))
        now = self.clock.now()
        index.evict(now)  # expired entries go as new ones come, not only when met
        reading = encode_reading(read(entry.query))
        index.add(partition, vector, entry_id, now, payload=payload, reading=reading,
                  ttl_s=ttl)
        self.stored += 1
        self._notify()
        await self._publish(Propagated(entry_id=entry_id, partition=partition,
                                       vector=vector.tobytes(), payload=payload, ttl_s=ttl,
                                       reading=reading))

    def _notify(self) -> None:
        # An event costs more to make than adding the entry: only for a waiter.
        if self._stored_event is not None:
            self._stored_event.set()
            self._stored_event = None

    # sharing through Redis

    def _shared(self) -> bool:
        return self.config.backend == "redis"

    async def _client(self) -> Any:
        if self.redis is None:
            import redis.asyncio

            self.redis = redis.asyncio.Redis.from_url(
                self.config.redis_url, socket_timeout=self.config.redis_timeout_s,
                socket_connect_timeout=self.config.redis_timeout_s)
        return self.redis

    async def _publish(self, entry: Propagated) -> None:
        if not self._shared():
            return
        from redis.exceptions import RedisError

        try:
            client = await self._client()
            await client.xadd(self.semantic.stream_key,
                              {"origin": self.instance, "entry": msgspec.msgpack.encode(entry)},
                              maxlen=self.semantic.max_entries, approximate=True)
        except (OSError, RedisError) as exc:
            log.warning("semantic_publish_failed", error=repr(exc))

    async def _follow(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
                      ) -> None:
        """Read entries other instances publish, from now on, into this mailbox."""
        if not self._shared():
            task_status.started()
            return
        import redis.asyncio
        from redis.exceptions import RedisError

        client = redis.asyncio.Redis.from_url(self.config.redis_url)
        decoder = msgspec.msgpack.Decoder(Propagated)
        last = "$"
        started = False
        try:
            while True:
                try:
                    if not started:
                        info = await client.xinfo_stream(self.semantic.stream_key) \
                            if await client.exists(self.semantic.stream_key) else None
                        last = info["last-generated-id"].decode() if info else "0-0"
                        started = True
                        task_status.started()
                    batches: Any = await client.xread({self.semantic.stream_key: last},
                                                 block=1000, count=256)
                except (OSError, RedisError) as exc:
                    log.warning("semantic_follow_failed", error=repr(exc))
                    if not started:
                        started = True
                        task_status.started()
                    await self.clock.sleep(1.0)
                    continue
                for _, records in batches or ():
                    for record_id, fields in records:
                        last = record_id.decode()
                        if fields.get(b"origin") == self.instance.encode():
                            continue
                        entry = _readable(decoder, fields)
                        if entry is not None:
                            await self.mailbox.send(entry)
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                await client.aclose()


def _readable(decoder: msgspec.msgpack.Decoder[Propagated],
              fields: dict[bytes, bytes]) -> Propagated | None:
    """A stream record as an entry, or None (logged) when it is not one this version can
    hold: the stream is shared, and anything with the key may write to it."""
    try:
        entry = decoder.decode(fields[b"entry"])
        _entry.decode(entry.payload)
        if entry.reading:
            decode_reading(entry.reading)
        if not entry.vector or len(entry.vector) % 4:
            raise ValueError(f"a vector of {len(entry.vector)} bytes")
    except (KeyError, ValueError) as exc:  # msgspec.DecodeError is a ValueError
        log.warning("semantic_record_skipped", error=repr(exc))
        return None
    return entry


class SemanticCollector(Collector):
    """Semantic-cache hits, misses, vetoes by guard, entries and bytes, at scrape."""

    def __init__(self, cache: SemanticCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Any]:
        cache = self.cache
        lookups = CounterMetricFamily("reactor_semantic_lookups", "Semantic-cache lookups.",
                                      labels=["result"])
        lookups.add_metric(["hit"], cache.hits)
        lookups.add_metric(["miss"], cache.misses)
        yield lookups
        vetoes = CounterMetricFamily("reactor_semantic_vetoes",
                                     "Near neighbours a guard refused.", labels=["guard"])
        for reason, count in sorted(cache.vetoes.items()):
            vetoes.add_metric([reason], count)
        yield vetoes
        stats = cache.index.stats() if cache.index is not None else None
        for name, help_, value in (
                ("reactor_semantic_entries", "Entries held.",
                 0 if stats is None else stats.entries),
                ("reactor_semantic_bytes", "Vector, graph and answer bytes held.",
                 0 if stats is None else stats.vector_bytes + stats.graph_bytes
                 + stats.payload_bytes)):
            gauge = GaugeMetricFamily(name, help_)
            gauge.add_metric([], value)
            yield gauge
        evicted = CounterMetricFamily("reactor_semantic_evictions", "Entries evicted.",
                                      labels=["why"])
        evicted.add_metric(["ttl"], 0 if stats is None else stats.evicted_ttl)
        evicted.add_metric(["lru"], 0 if stats is None else stats.evicted_lru)
        yield evicted
