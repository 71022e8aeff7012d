"""In-process pipeline throughput and latency: requests through every stage, no network.

Every model is simulated with zero delay, so what is measured is Reactor itself:
admission, exact cache (missing: every prompt is new), analyzer (token estimate, task
classifier, hashing embedding), semantic cache (off, passed through), selector, breaker,
provider, and the outcome fan-out to cost, metrics and the learners. Each request is a
`Router.complete` call, non-streaming, answered with `--tokens` simulated tokens.

    reactor bench pipeline [--requests 20000] [--concurrency 64] [--rates auto]
                           [--uvloop] [--gc-freeze]

What it prints, each measured on its own:

  closed loop   `--concurrency` callers, each sending its next request as soon as the
                last is answered: the most requests/s the pipeline completes. Its
                latencies are mostly queueing (Little's law: concurrency / throughput).
  open loop     requests arriving on a fixed schedule at an offered rate, whatever
                happened to earlier ones (no caller waits for an answer before the next
                arrival); latency runs from submission to the complete answer, and how
                late each submission was against its schedule is shown beside it (a
                pipeline that hogs the loop makes submissions late; so does the epoll
                selector, which rounds a sleep up to whole milliseconds).
                `--rates auto` offers 25%, 50% and 80% of the closed-loop maximum and
                20,000/s; sheds (503 at the door) are counted, not timed.
  one at a time one caller, one request in flight: the pipeline's own latency.
  exact hit     the same request again and again, answered by the exact cache.
  streaming     `--stream-tokens` tokens per answer through the flow, tokens/s.
"""

from __future__ import annotations

import argparse
import gc
import time

import anyio
import msgspec

from reactor import (
    ChatMessage,
    ChatRequest,
    Done,
    Failed,
    Flow,
    Mailbox,
    Token,
    parse_config,
)
from reactor._router import Router, gather

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
TARGET_RATE = 20_000.0


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))]


PROMPTS: list[str] = []
"""Real prompts to send (`--prompts`), each made new by its number; empty: the short
`question number N`, whose analysis is the cheapest there is."""


def _request(n: int) -> ChatRequest:
    text = f"{PROMPTS[n % len(PROMPTS)]}\n(#{n})" if PROMPTS else f"question number {n}"
    return ChatRequest(messages=[ChatMessage(role="user", content=text)])


def read_prompts(path: str) -> list[str]:
    """Prompts from a file: JSON lines with a `prompt` field (arena-hard's questions, a
    `--record-prompts` trace's text), else one prompt a line."""
    prompts: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            if line.lstrip().startswith("{"):
                prompt = msgspec.json.decode(line).get("prompt")
                if isinstance(prompt, str) and prompt.strip():
                    prompts.append(prompt)
            else:
                prompts.append(line.rstrip("\n"))
    if not prompts:
        raise SystemExit(f"reactor bench pipeline: no prompts in {path}")
    return prompts


async def closed_loop(router: Router, total: int, concurrency: int,
                      first: int = 0) -> list[float]:
    latencies: list[float] = []
    counter = iter(range(first, first + total))

    async def worker() -> None:
        for n in counter:
            request = _request(n)
            t0 = time.perf_counter()
            await router.complete(request)
            latencies.append(time.perf_counter() - t0)

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return latencies


class OpenLoop:
    """Arrivals at `rate` per second for `seconds`, submitted on schedule."""

    def __init__(self, rate: float, seconds: float) -> None:
        self.rate = rate
        self.total = max(1, int(rate * seconds))
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.shed = 0
        self.failed = 0
        self.elapsed = 0.0

    async def run(self, router: Router, first: int, readers: int = 256) -> None:
        # Submitting never waits (`Router.submit`); readers gather the flows. A request
        # is submitted when it is due or, if the loop was busy (or the timer late: the
        # epoll selector rounds sleeps up to whole milliseconds), as soon after as the
        # submitter runs; that lag is reported on its own, so neither hides the other.
        submitted: Mailbox[tuple[float, Flow]] = Mailbox("open-loop", self.total)

        async def reader() -> None:
            while True:
                try:
                    at, flow = await submitted.receive()
                except anyio.EndOfStream:
                    return
                result = await gather(flow)
                if not isinstance(result, Failed):
                    self.latencies.append(time.perf_counter() - at)
                elif result.error.code == "overloaded":
                    self.shed += 1
                else:
                    self.failed += 1

        gap = 1.0 / self.rate
        async with anyio.create_task_group() as tg:
            for _ in range(readers):
                tg.start_soon(reader)
            start = time.perf_counter()
            sent = 0
            while sent < self.total:
                now = time.perf_counter()
                due = start + sent * gap
                while sent < self.total and due <= now:
                    self.lags.append(now - due)
                    submitted.try_send((now, router.submit(_request(first + sent))))
                    sent += 1
                    due = start + sent * gap
                # Sleep to the next arrival rather than spin: a spinning submitter
                # would take the CPU the pipeline needs.
                await anyio.sleep(max(0.0, due - time.perf_counter()))
            submitted.close()
        self.elapsed = time.perf_counter() - start
        self.latencies.sort()
        self.lags.sort()


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


def _ms(values: list[float]) -> str:
    return (f"p50 {_pct(values, .5) * 1e3:.3f} ms  p90 {_pct(values, .9) * 1e3:.3f} ms  "
            f"p99 {_pct(values, .99) * 1e3:.3f} ms  p99.9 {_pct(values, .999) * 1e3:.3f} ms")


def _rates(spec: str, best: float) -> list[float]:
    if spec != "auto":
        return [float(rate) for rate in spec.split(",") if rate.strip()]  # "": none
    return sorted({round(best * share, -2) for share in (0.25, 0.5, 0.8)} | {TARGET_RATE})


async def run(args: argparse.Namespace) -> None:
    config = parse_config(CONFIG.format(mailbox=args.mailbox, tokens=args.tokens))
    async with Router(config) as router:
        if args.gc_freeze:
            # What a server process would do once started: move everything built so far
            # (config, classifier, models) out of the collector's reach, so full
            # collections stop walking it (they otherwise pause everything for ms).
            gc.collect()
            gc.freeze()
        n = 0
        await closed_loop(router, min(2000, args.requests), args.concurrency, n)  # warm-up
        n += 2000
        started = time.perf_counter()
        latencies = await closed_loop(router, args.requests, args.concurrency, n)
        n += args.requests
        elapsed = time.perf_counter() - started
        latencies.sort()
        best = len(latencies) / elapsed
        print(f"closed loop, non-streaming, cache miss, concurrency {args.concurrency}: "
              f"{best:,.0f} requests/s")
        print(f"  latency {_ms(latencies)}")
        for rate in _rates(args.rates, best):
            load = OpenLoop(rate, args.seconds)
            await load.run(router, n)
            n += load.total
            await router.quiesce()
            answered = load.latencies
            print(f"open loop, offered {rate:,.0f}/s for {args.seconds:g} s: "
                  f"{len(answered) / load.elapsed:,.0f} answered/s, {load.shed} shed, "
                  f"{load.failed} failed")
            if answered:
                print(f"  latency from submission {_ms(answered)}")
            print(f"  submitted late by p50 {_pct(load.lags, .5) * 1e3:.3f} ms  "
                  f"p99 {_pct(load.lags, .99) * 1e3:.3f} ms")
        single = await closed_loop(router, 2000, 1, n)
        single.sort()
        print(f"one at a time: p50 {_pct(single, .5) * 1e6:.0f} µs  "
              f"p99 {_pct(single, .99) * 1e6:.0f} µs")
        hits = await exact_hits(router, 2000)
        print(f"exact cache hit, one at a time: p50 {_pct(hits, .5) * 1e6:.0f} µs  "
              f"p99 {_pct(hits, .99) * 1e6:.0f} µs")
    if not args.stream_requests:
        return
    stream_config = parse_config(CONFIG.format(mailbox=args.mailbox, tokens=args.stream_tokens))
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
    parser.add_argument("--rates", default="auto",
                        help="open-loop offered rates, requests/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each open loop")
    parser.add_argument("--tokens", type=int, default=16, help="tokens per JSON answer")
    parser.add_argument("--stream-tokens", type=int, default=256)
    parser.add_argument("--stream-requests", type=int, default=400)
    parser.add_argument("--mailbox", type=int, default=256)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once the router has started, as a server would")
    parser.add_argument("--prompts", metavar="FILE",
                        help="send these prompts (JSONL with a `prompt` field, or one per "
                             "line), e.g. ../shared/data/classification/"
                             "arena-hard-v0.1_question.jsonl, instead of `question number N`")
    args = parser.parse_args(argv)
    if args.prompts:
        PROMPTS[:] = read_prompts(args.prompts)
    anyio.run(run, args, backend_options={"use_uvloop": True} if args.uvloop else {})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
