"""In-process pipeline throughput: requests through all eight stages, no network.

Every model is simulated with zero delay, so what is measured is Reactor itself:
admission, exact cache (missing: every prompt is new), analyzer, selector, breaker,
provider, and the outcome fan-out to cost, metrics and the learners.

    reactor bench pipeline [--requests 20000] [--concurrency 64] [--stream-tokens 256]

Prints requests/s and latency percentiles (closed loop at the given concurrency), the
latency of one request alone, and streaming throughput in tokens/s through the flow.
"""

from __future__ import annotations

import argparse
import statistics
import time

import anyio

from reactor import ChatMessage, ChatRequest, Done, Token, parse_config
from reactor._router import Router

CONFIG = """
[cache]
max_temperature = 0.0
[runtime]
mailbox_size = {mailbox}
flow_size = 64
[admission]
max_in_flight = 100000
[[models]]
name = "small"
price_in = 0.1
price_out = 0.4
quality = 0.6
upstream = {{ kind = "simulated", output_tokens = {tokens} }}
[[models]]
name = "large"
price_in = 2.5
price_out = 10.0
quality = 0.85
upstream = {{ kind = "simulated", output_tokens = {tokens} }}
"""


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))]


async def closed_loop(router: Router, total: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for n in counter:
            request = ChatRequest(messages=[ChatMessage(role="user",
                                                        content=f"question number {n}")])
            t0 = time.perf_counter()
            await router.complete(request)
            latencies.append(time.perf_counter() - t0)

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return latencies


async def exact_hits(router: Router, total: int) -> list[float]:
    """The same request again and again: the first is stored, the rest are hits."""
    request = ChatRequest(messages=[ChatMessage(role="user", content="cached question")],
                          temperature=0.0)
    await router.complete(request)
    await router.pipeline.cache.wait_stored(router.pipeline.cache.stored or 1)
    latencies = []
    for _ in range(total):
        t0 = time.perf_counter()
        await router.complete(request)
        latencies.append(time.perf_counter() - t0)
    assert router.pipeline.cache.hits >= total
    return sorted(latencies)


async def streaming(router: Router, total: int, concurrency: int) -> int:
    tokens = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal tokens
        for n in counter:
            request = ChatRequest(messages=[ChatMessage(role="user", content=f"stream {n}")],
                                  stream=True, model="small")
            async for event in router.stream(request):
                if isinstance(event, Token):
                    tokens += 1
                elif isinstance(event, Done):
                    break

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return tokens


async def run(args: argparse.Namespace) -> None:
    config = parse_config(CONFIG.format(mailbox=args.mailbox, tokens=args.tokens))
    async with Router(config) as router:
        await closed_loop(router, min(2000, args.requests), args.concurrency)  # warm-up
        started = time.perf_counter()
        latencies = await closed_loop(router, args.requests, args.concurrency)
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(f"non-streaming, cache miss, concurrency {args.concurrency}: "
              f"{len(latencies) / elapsed:,.0f} requests/s")
        print(f"  latency p50 {_pct(latencies, .5) * 1e3:.3f} ms  "
              f"p90 {_pct(latencies, .9) * 1e3:.3f} ms  p99 {_pct(latencies, .99) * 1e3:.3f} ms")
        hits = await exact_hits(router, 2000)
        print(f"exact cache hit, one at a time: p50 {_pct(hits, .5) * 1e6:.0f} µs  "
              f"p99 {_pct(hits, .99) * 1e6:.0f} µs")
        single = await closed_loop(router, 2000, 1)
        single.sort()
        print(f"one at a time: p50 {statistics.median(single) * 1e6:.0f} µs  "
              f"p99 {_pct(single, .99) * 1e6:.0f} µs")
        stream_config = parse_config(CONFIG.format(mailbox=args.mailbox,
                                                   tokens=args.stream_tokens))
    async with Router(stream_config) as router:
        started = time.perf_counter()
        tokens = await streaming(router, args.stream_requests, args.concurrency)
        elapsed = time.perf_counter() - started
        print(f"streaming, {args.stream_tokens} tokens per answer: "
              f"{tokens / elapsed:,.0f} tokens/s through the flow "
              f"({args.stream_requests / elapsed:,.0f} streams/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reactor bench pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=16, help="tokens per JSON answer")
    parser.add_argument("--stream-tokens", type=int, default=256)
    parser.add_argument("--stream-requests", type=int, default=400)
    parser.add_argument("--mailbox", type=int, default=256)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args(argv)
    anyio.run(run, args, backend_options={"use_uvloop": True} if args.uvloop else {})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
