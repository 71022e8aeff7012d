"""Metrics: what `/metrics` shows after outcomes are booked."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from reactor import (
    Attempt,
    ChatMessage,
    ChatRequest,
    Completed,
    FakeClock,
    Flow,
    Router,
    Usage,
    parse_config,
)
from reactor._messages import Job
from stages.metrics import Metrics


def outcome(*, status: str = "ok", model: str | None = "small", latency_s: float = 0.02,
            attempts: list[Attempt] | None = None, cache: str = "miss",
            saved_usd: float = 0.0) -> Completed:
    job = Job(id="r1", request=ChatRequest(messages=[ChatMessage(role="user", content="hi")]),
              flow=Flow("r1"), received_at=0.0)
    return Completed(job=job, status=status, model=model,  # type: ignore[arg-type]
                     attempts=attempts or [], usage=Usage(prompt_tokens=3, completion_tokens=5),
                     cost_usd=0.25, latency_s=latency_s, cache=cache,  # type: ignore[arg-type]
                     saved_usd=saved_usd)


async def exposition(*outcomes: Completed) -> list[str]:
    registry = CollectorRegistry(auto_describe=True)
    metrics = Metrics(registry, FakeClock())
    for each in outcomes:
        await metrics.handle(each)
    return generate_latest(registry).decode().splitlines()


async def test_requests_attempts_tokens_and_cost_are_counted_per_label() -> None:
    lines = await exposition(
        outcome(attempts=[Attempt(model="small", status="ok", ttft_s=0.004)]),
        outcome(attempts=[Attempt(model="small", status="ok", ttft_s=0.004)]),
        outcome(status="failed", model=None,
                attempts=[Attempt(model="large", status="failed", error="timeout")]))

    assert 'reactor_requests_total{cache="miss",model="small",status="ok"} 2.0' in lines
    assert 'reactor_requests_total{cache="miss",model="none",status="failed"} 1.0' in lines
    assert 'reactor_upstream_attempts_total{error="",model="small",status="ok"} 2.0' in lines
    assert 'reactor_upstream_attempts_total{error="timeout",model="large",status="failed"} 1.0' \
        in lines
    assert 'reactor_tokens_total{direction="prompt",model="small"} 6.0' in lines
    assert 'reactor_tokens_total{direction="completion",model="small"} 10.0' in lines
    assert 'reactor_cost_usd_total{model="small"} 0.5' in lines
    assert 'reactor_cost_usd_total{model="none"} 0.0' in lines
    assert 'reactor_requests_created{cache="miss",model="small",status="ok"} 1.700001e+09' \
        in lines


async def test_latencies_fall_in_cumulative_buckets_with_their_sum() -> None:
    lines = await exposition(outcome(latency_s=0.001), outcome(latency_s=0.02),
                             outcome(latency_s=500.0))

    assert 'reactor_request_duration_seconds_bucket{le="0.001",model="small"} 1.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="0.01",model="small"} 1.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="0.025",model="small"} 2.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="120.0",model="small"} 2.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="+Inf",model="small"} 3.0' in lines
    assert 'reactor_request_duration_seconds_count{model="small"} 3.0' in lines
    assert 'reactor_request_duration_seconds_sum{model="small"} 500.021' in lines


async def test_cache_savings_are_counted_by_cache_kind() -> None:
    lines = await exposition(outcome(cache="exact", saved_usd=0.5),
                             outcome(cache="exact", saved_usd=0.25))

    assert 'reactor_cache_saved_usd_total{cache="exact"} 0.75' in lines
    assert not any(line.startswith("reactor_tokens_total{") and not line.endswith(" 0.0")
                   for line in lines)


async def test_a_long_generation_is_told_from_one_that_ran_into_the_total_timeout() -> None:
    # Long answers take minutes ([provider] total_timeout_s is 600 by default): a
    # three-minute answer has a bucket of its own below +Inf.
    lines = await exposition(outcome(latency_s=170.0), outcome(latency_s=290.0))

    assert 'reactor_request_duration_seconds_bucket{le="120.0",model="small"} 0.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="180.0",model="small"} 1.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="300.0",model="small"} 2.0' in lines
    assert 'reactor_request_duration_seconds_bucket{le="600.0",model="small"} 2.0' in lines


async def test_the_router_s_own_counts_are_typed_as_what_they_are() -> None:
    # A count that only grows is a counter, so that `rate()` and resets read right; a
    # level that comes and goes is a gauge.
    async with Router(parse_config(
            '[[models]]\nname = "m"\nupstream = { kind = "simulated" }\n')) as router:
        text = generate_latest(router.pipeline.registry).decode()
    assert "# TYPE reactor_shed_total counter" in text.splitlines()
    assert "# TYPE reactor_in_flight gauge" in text.splitlines()
