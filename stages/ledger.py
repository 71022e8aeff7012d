"""The ledger: one JSON line for every request that reached the pipeline, kept on disk.

What a request came to, as the books saw it: who asked (tenant, tier), what was asked
for (model, mode, stream) and decided (model, reason, confidence, task, complexity),
every try (model, status, error, first-token time, duration, tokens), the answer's end
(status, finish reason, error), its tokens, cost and what the cache saved, and tries
billed but thrown away; on a traced request, the time it spent in each stage. With
`texts`, the prompt's last user message and the answer's text too. `reactor ledger FILE`
sums a ledger up.

    {"v":1,"at":1764662400.123,"id":"f99b...","tenant":"default","tier":"default",
     "status":"ok","model":"sim-nano","requested":"auto","cache":"miss", ...}

Inbox: `Completed`. Emits nothing. A book: publishers wait on its mailbox, and it waits
for room in its file's buffer (`LineFile.put`), so a slow disk slows requests and loses
no line. A batch the disk refuses is lost and counted (`lost`, in /api/v1/stats and
`reactor_ledger_lines_total`); the next is tried all the same.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import msgspec
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from reactor import Actor, Clock, Completed, LedgerConfig, Part, stage_times
from reactor._lines import LineFile
from reactor._rounding import round3
from reactor._router import stages_ms

VERSION = 1


class TryEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    model: str
    status: str
    error: str | None = None
    ttft_ms: float | None = None
    duration_ms: float = 0.0
    tokens_out: int = 0
    probe: bool = False


class ShareEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One model's share of a billed answer, or a try billed and thrown away."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    estimated: bool = False


class ErrorEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    status: int
    code: str | None = None
    message: str = ""


class Entry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    v: int
    at: float
    """When the request arrived: wall-clock seconds since the epoch."""
    id: str
    client_id: str | None = None
    """The caller's own id for the request (`x-request-id`)."""
    tenant: str
    tier: str
    status: str
    model: str | None = None
    """The model that answered (that wrote last, when a stream moved on)."""
    requested: str
    mode: str | None = None
    stream: bool = False
    cache: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False
    saved_usd: float = 0.0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    task: str | None = None
    complexity: float | None = None
    reason: str | None = None
    confidence: float | None = None
    routing_ms: float | None = None
    stages_ms: dict[str, float] | None = None
    """On a traced request ([metrics] trace_sample), the time spent in each stage."""
    tries: list[TryEntry] = []
    parts: list[ShareEntry] = []
    discarded: list[ShareEntry] = []
    error: ErrorEntry | None = None
    prompt: str | None = None
    answer: str | None = None
    config: str | None = None
    """The digest of the configuration that handled it (`reactor_config_info`): which
    side of a reload a request was on."""


def _ms(seconds: float) -> float:
    return round3(seconds * 1000.0)


def _share(part: Part) -> ShareEntry:
    return ShareEntry(model=part.model, prompt_tokens=part.usage.prompt_tokens,
                      completion_tokens=part.usage.completion_tokens,
                      cost_usd=part.cost_usd, estimated=part.estimated)


def entry_of(outcome: Completed, at: float, texts: bool, config: str | None = None) -> Entry:
    """The ledger line of `outcome`, a request that arrived at wall-clock `at`, handled
    under the configuration of digest `config`."""
    job, decision, features = outcome.job, outcome.decision, outcome.features
    request = job.request
    if features is None and decision is not None:
        features = decision.features
    error = outcome.error
    return Entry(
        v=VERSION, at=round3(at), id=job.id, client_id=job.client_id, tenant=job.tenant,
        tier=job.tier,
        status=outcome.status, model=outcome.model, requested=request.model,
        mode=decision.mode if decision is not None else request.mode,
        stream=request.stream, cache=outcome.cache, finish_reason=outcome.finish_reason,
        prompt_tokens=outcome.usage.prompt_tokens,
        completion_tokens=outcome.usage.completion_tokens,
        cost_usd=outcome.cost_usd, estimated=outcome.estimated, saved_usd=outcome.saved_usd,
        latency_ms=_ms(outcome.latency_s),
        ttft_ms=_ms(outcome.ttft_s) if outcome.ttft_s is not None else None,
        task=features.task if features is not None else None,
        complexity=round3(features.complexity) if features is not None else None,
        reason=decision.reason if decision is not None else None,
        confidence=round3(decision.confidence) if decision is not None else None,
        routing_ms=_ms(decision.routing_s) if decision is not None else None,
        stages_ms=stages_ms(stage_times(job, job.received_at + outcome.latency_s))
        if job.trace else None,
        tries=[TryEntry(model=a.model, status=a.status, error=a.error,
                        ttft_ms=_ms(a.ttft_s) if a.ttft_s is not None else None,
                        duration_ms=_ms(a.duration_s), tokens_out=a.tokens_out,
                        probe=a.probe)
               for a in outcome.attempts],
        parts=[_share(part) for part in outcome.parts],
        discarded=[_share(part) for part in outcome.discarded],
        error=ErrorEntry(status=error.status, code=error.code, message=error.message)
        if error is not None else None,
        prompt=request.last_user_text if texts else None,
        answer=outcome.text if texts else None, config=config)


class Ledger(Actor[Completed]):
    name = "ledger"

    def __init__(self, config: LedgerConfig, clock: Clock, *, config_digest: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config_digest = config_digest
        if config.path is None:
            raise ValueError("the ledger needs a path")
        self.config = config
        self.clock = clock
        self.file = LineFile(Path(config.path), max_buffer_bytes=config.max_buffer_bytes,
                             fsync=config.fsync, keep_trying=True)
        self._encode = msgspec.json.Encoder().encode

    def _line(self, outcome: Completed) -> bytes:
        clock = self.clock
        at = clock.wall() - (clock.now() - outcome.job.received_at)
        entry = entry_of(outcome, at, self.config.texts, self.config_digest)
        try:
            return self._encode(entry) + b"\n"
        except UnicodeEncodeError:
            # A lone surrogate (an embedding program's tenant or id made from bytes):
            # UTF-8 cannot hold it, so it is written escaped rather than lose the line.
            return self._encode(_escaped(msgspec.to_builtins(entry))) + b"\n"

    def handle_nowait(self, message: Completed) -> bool:
        return self.file.add(self._line(message))

    async def handle(self, message: Completed) -> None:
        await self.file.put(self._line(message))

    def snapshot(self) -> dict[str, object]:
        file = self.file
        return {"path": str(file.path), "written": file.written, "lost": file.lost,
                "error": str(file.failed) if file.failed is not None else None}


def _escaped(value: Any) -> Any:
    """`value` (JSON-ready data) with every lone surrogate in its strings escaped."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_escaped(key): _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


class LedgerCollector(Collector):
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def collect(self) -> Any:
        family = CounterMetricFamily("reactor_ledger_lines", "Ledger lines, by what became "
                                     "of them", labels=["result"])
        family.add_metric(["written"], self.ledger.file.written)
        family.add_metric(["lost"], self.ledger.file.lost)
        yield family


# Reading a ledger back: `reactor ledger FILE`


class Row(msgspec.Struct, kw_only=True):
    requests: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: dict[str, float] = {}
    """Percentiles of the requests' latencies (a model's rows only)."""


class Summary(msgspec.Struct, kw_only=True):
    requests: int = 0
    unreadable: int = 0
    """Lines that are not ledger entries (a line cut short by a failed write, say)."""
    unreadable_lines: list[int] = []
    """Which lines (counted from 1) those are, the first `NAMED_UNREADABLE` of them."""
    first_at: float | None = None
    last_at: float | None = None
    statuses: dict[str, int] = {}
    cache: dict[str, int] = {}
    cost_usd: float = 0.0
    estimated_usd: float = 0.0
    saved_usd: float = 0.0
    latency_ms: dict[str, float] = {}
    ttft_ms: dict[str, float] = {}
    by_model: dict[str, Row] = {}
    by_tenant: dict[str, Row] = {}
    configs: dict[str, int] = {}
    """Requests per configuration digest (more than one after a reload)."""


def _row(rows: dict[str, Row], key: str) -> Row:
    row = rows.get(key)
    if row is None:
        row = rows[key] = Row()
    return row


NAMED_UNREADABLE = 20

# Every line begins so (`Entry.v` is its first field): where a whole line was appended to
# one a crash cut short, the whole one starts here.
_START = b'{"v":'


def _percentiles(values: list[float]) -> dict[str, float]:
    """Nearest rank: the smallest value with at least that share of them at or below it."""
    if not values:
        return {}
    values = sorted(values)
    n = len(values)
    return {name: values[max(0, math.ceil(n * q) - 1)]
            for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))}


def _estimated(entry: Entry) -> float:
    """The part of what `entry` was charged that was worked out from text."""
    own = sum(part.cost_usd for part in entry.parts if part.estimated) if entry.parts \
        else entry.cost_usd if entry.estimated else 0.0
    return own + sum(part.cost_usd for part in entry.discarded if part.estimated)


class Only(msgspec.Struct, kw_only=True):
    """Which entries a summary counts: all unless narrowed."""

    since: float | None = None
    """Arrived at or after (wall-clock seconds since the epoch)."""
    until: float | None = None
    """Arrived before."""
    tenant: str | None = None
    model: str | None = None
    """Answered by this model (or wrote a share of the answer)."""
    config: str | None = None
    """Handled under the configuration of this digest (or one it begins with)."""

    def wants(self, entry: Entry) -> bool:
        if self.since is not None and entry.at < self.since:
            return False
        if self.until is not None and entry.at >= self.until:
            return False
        if self.tenant is not None and entry.tenant != self.tenant:
            return False
        if self.config is not None and not (entry.config or "").startswith(self.config):
            return False
        return self.model is None or entry.model == self.model or \
            any(part.model == self.model for part in entry.parts)


def summarize(lines: Any, only: Only | None = None) -> Summary:
    """The totals of the ledger lines `lines` (bytes), read one at a time; with `only`,
    of the entries it wants (unreadable lines are counted all the same)."""
    decode = msgspec.json.Decoder(Entry).decode
    summary = Summary()
    latencies: list[float] = []
    ttfts: list[float] = []
    by_model_latencies: dict[str, list[float]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = decode(line)
        except msgspec.DecodeError:
            summary.unreadable += 1
            if len(summary.unreadable_lines) < NAMED_UNREADABLE:
                summary.unreadable_lines.append(number)
            # A line cut short by a killed process, with the next run's first line
            # appended to it: that one is whole, and a request all the same.
            start = line.rfind(_START)
            if start <= 0:
                continue
            try:
                entry = decode(line[start:])
            except msgspec.DecodeError:
                continue
        if only is not None and not only.wants(entry):
            continue
        summary.requests += 1
        if summary.first_at is None or entry.at < summary.first_at:
            summary.first_at = entry.at
        if summary.last_at is None or entry.at > summary.last_at:
            summary.last_at = entry.at
        summary.statuses[entry.status] = summary.statuses.get(entry.status, 0) + 1
        summary.cache[entry.cache] = summary.cache.get(entry.cache, 0) + 1
        if entry.config is not None:
            summary.configs[entry.config] = summary.configs.get(entry.config, 0) + 1
        failed = entry.status != "ok"
        charged = entry.cost_usd + sum(d.cost_usd for d in entry.discarded)
        summary.cost_usd += charged
        summary.estimated_usd += _estimated(entry)
        summary.saved_usd += entry.saved_usd
        if entry.status != "rejected":
            latencies.append(entry.latency_ms)
        if entry.ttft_ms is not None:
            ttfts.append(entry.ttft_ms)
        tenant = _row(summary.by_tenant, entry.tenant)
        tenant.requests += 1
        tenant.failed += failed
        tenant.cost_usd += charged
        if entry.cache == "miss":
            tenant.prompt_tokens += entry.prompt_tokens
            tenant.completion_tokens += entry.completion_tokens
        for part in entry.discarded:  # billed to the tenant as much as their cost is
            tenant.prompt_tokens += part.prompt_tokens
            tenant.completion_tokens += part.completion_tokens
        # Each model is booked its share: of a stream that moved on, of tries thrown away.
        shares = entry.parts or ([ShareEntry(
            model=entry.model, prompt_tokens=entry.prompt_tokens if entry.cache == "miss"
            else 0, completion_tokens=entry.completion_tokens if entry.cache == "miss" else 0,
            cost_usd=entry.cost_usd)] if entry.model is not None else [])
        for share in shares:
            row = _row(summary.by_model, share.model)
            row.requests += 1
            row.failed += failed
            model_latencies = by_model_latencies.get(share.model)
            if model_latencies is None:
                model_latencies = by_model_latencies[share.model] = []
            model_latencies.append(entry.latency_ms)
        for share in (*shares, *entry.discarded):
            row = _row(summary.by_model, share.model)
            row.prompt_tokens += share.prompt_tokens
            row.completion_tokens += share.completion_tokens
            row.cost_usd += share.cost_usd
    summary.latency_ms = _percentiles(latencies)
    for model, model_latencies in by_model_latencies.items():
        summary.by_model[model].latency_ms = _percentiles(model_latencies)
    summary.ttft_ms = _percentiles(ttfts)
    return summary


def render(summary: Summary, source: str) -> str:
    """`summary` as a few lines and two tables, for a person."""
    unreadable = ""
    if summary.unreadable:
        named = ", ".join(str(number) for number in summary.unreadable_lines)
        more = ", ..." if summary.unreadable > len(summary.unreadable_lines) else ""
        unreadable = f" ({summary.unreadable:,} unreadable lines: {named}{more})"
    if not summary.requests:
        return f"{source}: no requests{unreadable}\n"

    def when(at: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at or 0.0))

    def counts(values: dict[str, int]) -> str:
        return "  ".join(f"{k} {v:,}" for k, v in sorted(values.items(), key=lambda kv: -kv[1]))

    def ms(values: dict[str, float]) -> str:
        return "  ".join(f"{k} {v:,.1f}" for k, v in values.items()) or "-"

    out = [f"{source}: {summary.requests:,} requests, {when(summary.first_at)} to "
           f"{when(summary.last_at)} UTC{unreadable}",
           f"status: {counts(summary.statuses)}",
           f"cache: {counts(summary.cache)}",
           f"cost ${summary.cost_usd:,.6f} (estimated from text ${summary.estimated_usd:,.6f})"
           f", saved by the cache ${summary.saved_usd:,.6f}",
           f"latency ms: {ms(summary.latency_ms)}    first token ms: {ms(summary.ttft_ms)}"]
    if len(summary.configs) > 1:  # a reload in the span: how many each config handled
        out.append(f"configs: {counts(summary.configs)}")
    for title, rows in (("model", summary.by_model), ("tenant", summary.by_tenant)):
        out.append("")
        out.append(f"{title:<24}{'requests':>10}{'failed':>8}{'tokens in':>12}"
                   f"{'tokens out':>12}{'cost $':>14}" + (f"{'p50 ms':>10}{'p99 ms':>10}"
                                                           if title == "model" else ""))
        for name, row in sorted(rows.items(), key=lambda kv: -kv[1].cost_usd):
            line = (f"{name[:23]:<24}{row.requests:>10,}{row.failed:>8,}"
                    f"{row.prompt_tokens:>12,}{row.completion_tokens:>12,}"
                    f"{row.cost_usd:>14,.6f}")
            if title == "model":
                p = row.latency_ms
                line += f"{p.get('p50', 0.0):>10,.1f}{p.get('p99', 0.0):>10,.1f}"
            out.append(line)
    return "\n".join(out) + "\n"
