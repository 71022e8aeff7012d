"""What a replay measured: collected as requests end, summed up as a table and JSON.

Latency counts from the moment a request was due (open loop: its scaled arrival time;
closed loop: when a worker picked it up) to its last byte, so a load generator that
falls behind shows up as latency and as send lag, never as a quieter trace.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec

from bench.replay_targets import Outcome


class Percentiles(msgspec.Struct, frozen=True, kw_only=True):
    """Milliseconds."""

    p50: float
    p90: float
    p99: float
    p999: float
    mean: float
    max: float


def percentiles(seconds: list[float]) -> Percentiles | None:
    if not seconds:
        return None
    ordered = sorted(seconds)

    def rank(q: float) -> float:
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000, 3)

    return Percentiles(p50=rank(0.5), p90=rank(0.9), p99=rank(0.99), p999=rank(0.999),
                       mean=round(sum(ordered) / len(ordered) * 1000, 3),
                       max=round(ordered[-1] * 1000, 3))


class Collector:
    """One pass's outcomes as they come."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent = 0
        self.skipped = 0
        self.completed = 0
        self.tokens = 0
        self.cache_hits = 0
        self.errors: Counter[str] = Counter()
        self.sheds: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.ttfts: list[float] = []
        self.lags: list[float] = []
        self.ended = 0
        self.ok_at: list[float] = []
        self.last: float | None = None
        self.started: float | None = None

    def sending(self, due: float, now: float) -> None:
        self.started = due if self.started is None else self.started
        self.sent += 1
        self.lags.append(max(0.0, now - due))

    def add(self, outcome: Outcome, due: float, now: float) -> None:
        self.ended += 1
        self.last = now
        if outcome.error is not None:
            (self.sheds if outcome.shed else self.errors)[outcome.error] += 1
            return
        self.completed += 1
        self.tokens += outcome.tokens
        self.cache_hits += outcome.cache_hit
        self.ok_at.append(now)
        self.latencies.append(now - due)
        if outcome.first_token_at is not None:
            self.ttfts.append(outcome.first_token_at - due)

    def report(self, *, streaming: bool) -> PassReport:
        start = self.started or 0.0
        elapsed = self.last - start if self.last is not None else 0.0
        seconds = Counter(int(t - start) for t in self.ok_at)
        return PassReport(
            name=self.name, sent=self.sent, completed=self.completed,
            errors=dict(self.errors.most_common()), sheds=dict(self.sheds.most_common()),
            unfinished=self.sent - self.ended, skipped=self.skipped,
            duration_s=round(elapsed, 3),
            throughput_rps=round(self.completed / elapsed, 2) if elapsed else 0.0,
            tokens_per_s=round(self.tokens / elapsed, 1) if elapsed else 0.0,
            cache_hits=self.cache_hits, latency_ms=percentiles(self.latencies),
            ttft_ms=percentiles(self.ttfts) if streaming else None,
            send_lag_ms=percentiles(self.lags),
            completed_per_s=[seconds.get(s, 0) for s in range(max(seconds, default=-1) + 1)])


class PassReport(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    sent: int
    completed: int
    errors: dict[str, int]
    """Failures by kind, sheds not included."""
    sheds: dict[str, int]
    """429 and 503 answers by kind."""
    unfinished: int
    """Sent, but no answer before the run's time ran out."""
    skipped: int
    """Due, but not sent: the client already had its maximum in flight."""
    duration_s: float
    throughput_rps: float
    tokens_per_s: float
    cache_hits: int
    latency_ms: Percentiles | None
    ttft_ms: Percentiles | None
    send_lag_ms: Percentiles | None
    completed_per_s: list[int]
    """Answers completed in each second of the pass."""


class CostReport(msgspec.Struct, frozen=True, kw_only=True):
    requests: int
    failures: int
    cost_usd: float
    saved_usd: float


class CacheReport(msgspec.Struct, frozen=True, kw_only=True):
    hits: int
    misses: int
    hit_rate: float


class MailboxReport(msgspec.Struct, frozen=True, kw_only=True):
    max: int
    mean: float


class Sample(msgspec.Struct, frozen=True, array_like=True):
    t: float
    depths: dict[str, int]


class Report(msgspec.Struct, frozen=True, kw_only=True):
    trace: str
    format: str
    mode: str
    loop: str
    speed: float | None
    concurrency: int | None
    stream: bool | None
    trace_requests: int
    router: PassReport
    direct: PassReport | None
    direct_note: str
    overhead_ms: dict[str, float] | None
    """Router minus direct, percentile by percentile."""
    cost: CostReport | None
    cache: CacheReport | None
    mailboxes: dict[str, MailboxReport]
    mailbox_samples: list[Sample]


def overhead(router: PassReport, direct: PassReport | None) -> dict[str, float] | None:
    if direct is None or router.latency_ms is None or direct.latency_ms is None:
        return None
    ours, theirs = msgspec.structs.asdict(router.latency_ms), \
        msgspec.structs.asdict(direct.latency_ms)
    return {key: round(ours[key] - theirs[key], 3) for key in ours}


def mailbox_summary(samples: list[Sample]) -> dict[str, MailboxReport]:
    names = sorted({name for sample in samples for name in sample.depths})
    return {name: MailboxReport(
        max=max(s.depths.get(name, 0) for s in samples),
        mean=round(sum(s.depths.get(name, 0) for s in samples) / len(samples), 3))
        for name in names}


def cost_from_stats(stats: dict[str, Any]) -> tuple[CostReport, CacheReport]:
    total = stats["cost"]["total"]
    cache = stats["cache"]
    looked = cache["hits"] + cache["misses"]
    return (CostReport(requests=total["requests"], failures=total["failures"],
                       cost_usd=round(total["cost_usd"], 6),
                       saved_usd=round(total["saved_usd"], 6)),
            CacheReport(hits=cache["hits"], misses=cache["misses"],
                        hit_rate=round(cache["hits"] / looked, 4) if looked else 0.0))


def _row(label: str, *values: object) -> str:
    return f"{label:<24}" + "".join(f"{'' if v is None else v!s:>14}" for v in values)


def table(report: Report) -> str:
    passes = [p for p in (report.router, report.direct) if p is not None]
    pace = f"closed loop, {report.concurrency} concurrent" if report.loop == "closed" \
        else f"open loop at {report.speed:g}x" if report.speed else "open loop, all at once"
    lines = [f"replay of {report.trace} ({report.format}, {report.trace_requests} "
             f"requests), {report.mode}, {pace}", _row("", *(p.name for p in passes))]

    def each(label: str, read: Any) -> None:
        lines.append(_row(label, *(read(p) for p in passes)))

    each("sent", lambda p: p.sent)
    each("completed", lambda p: p.completed)
    each("errors", lambda p: sum(p.errors.values()))
    each("sheds (429/503)", lambda p: sum(p.sheds.values()))
    each("unfinished / skipped", lambda p: f"{p.unfinished} / {p.skipped}")
    each("throughput (req/s)", lambda p: p.throughput_rps)
    each("tokens/s", lambda p: p.tokens_per_s)
    for name in ("p50", "p90", "p99", "p999"):
        each(f"latency {name} (ms)", lambda p, n=name: _pick(p.latency_ms, n))
    if report.router.ttft_ms is not None:
        for name in ("p50", "p99"):
            each(f"ttft {name} (ms)", lambda p, n=name: _pick(p.ttft_ms, n))
    each("send lag p99 (ms)", lambda p: _pick(p.send_lag_ms, "p99"))
    for p in passes:
        for kind, count in {**p.errors, **p.sheds}.items():
            lines.append(f"  {p.name}: {count} x {kind}")
    if report.overhead_ms is not None:
        o = report.overhead_ms
        lines.append(f"router overhead (ms)    p50 {o['p50']}  p90 {o['p90']}  "
                     f"p99 {o['p99']}  p99.9 {o['p999']}")
    else:
        why = report.direct_note or "no answered requests to compare"
        lines.append(f"router overhead         not measured: {why}")
    if report.cache is not None:
        c = report.cache
        lines.append(f"cache                   {c.hit_rate:.1%} hits ({c.hits} hits, "
                     f"{c.misses} misses)")
    if report.cost is not None:
        lines.append(f"cost                    ${report.cost.cost_usd:.4f} spent, "
                     f"${report.cost.saved_usd:.4f} saved by the cache")
    if report.mailboxes:
        depths = ", ".join(f"{n} {m.max}" for n, m in report.mailboxes.items())
        lines.append(f"mailbox max depth       {depths}")
    return "\n".join(lines)


def _pick(value: Percentiles | None, name: str) -> float | None:
    return None if value is None else float(getattr(value, name))


def write(report: Report, out: Path) -> list[Path]:
    """report.json, and PNG plots when matplotlib is installed; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "report.json"]
    written[0].write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
    try:
        import matplotlib
    except ImportError:
        return written
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if report.mailbox_samples:
        figure, axes = plt.subplots(figsize=(9, 4))
        times = [s.t for s in report.mailbox_samples]
        for name in report.mailboxes:
            axes.plot(times, [s.depths.get(name, 0) for s in report.mailbox_samples],
                      label=name)
        axes.set(xlabel="seconds", ylabel="messages waiting", title="mailbox depths")
        axes.legend(fontsize="small")
        figure.savefig(out / "mailboxes.png", dpi=100, bbox_inches="tight")
        plt.close(figure)
        written.append(out / "mailboxes.png")
    figure, axes = plt.subplots(figsize=(9, 4))
    for run in (report.router, report.direct):
        if run is not None:
            axes.plot(range(len(run.completed_per_s)), run.completed_per_s, label=run.name)
    axes.set(xlabel="seconds", ylabel="answers per second", title="throughput")
    axes.legend(fontsize="small")
    figure.savefig(out / "throughput.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    written.append(out / "throughput.png")
    return written
