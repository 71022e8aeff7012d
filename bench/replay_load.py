"""Load generation for a replay: open loop on the trace's clock, or closed loop.

Open loop: each request is sent when it is due (its arrival time, from the first one,
divided by `speed`; `speed` 0 sends as fast as the loop can) without waiting for any
answer; a request due while `max_in_flight` are outstanding is skipped and counted,
which bounds the client's memory. Closed loop: `concurrency` workers, each sending its
next request when its last one answered. Both stop sending after `duration` seconds,
then wait at most `grace` seconds for answers and cancel the rest (counted unfinished).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup

from bench.replay_config import ReplayOptions
from bench.replay_report import Collector, Sample
from bench.replay_targets import Target
from bench.traces import TraceRequest
from reactor import ChatMessage, ChatRequest

SAMPLE_EVERY_S = 0.1

Items = Callable[[], Iterator[tuple[int, TraceRequest]]]
"""A fresh pass over the trace: (index, request) pairs."""
Build = Callable[[int, TraceRequest], ChatRequest]
Depths = Callable[[], Awaitable[dict[str, int] | None]]
"""Mailbox depths by actor now, or None if they could not be read."""


class _InFlight:
    def __init__(self) -> None:
        self.count = 0
        self.idle = anyio.Event()
        self.idle.set()

    def add(self) -> None:
        if self.count == 0:
            self.idle = anyio.Event()
        self.count += 1

    def done(self) -> None:
        self.count -= 1
        if self.count == 0:
            self.idle.set()


class _Pass:
    def __init__(self, target: Target, build: Build, options: ReplayOptions) -> None:
        self.target = target
        self.build = build
        self.options = options
        self.collector = Collector(target.name)
        self.in_flight = _InFlight()
        duration = float("inf") if options.duration is None else options.duration
        self.stop_at = time.perf_counter() + duration

    async def one(self, request: ChatRequest, item: TraceRequest, due: float) -> None:
        try:
            outcome = await self.target.send(request, item.tenant, item.tier)
            self.collector.add(outcome, due, time.perf_counter())
        finally:
            self.in_flight.done()

    async def open_loop(self, items: Iterator[tuple[int, TraceRequest]],
                        tg: TaskGroup) -> None:
        speed = self.options.speed
        start = time.perf_counter()
        first: float | None = None
        for index, item in items:
            first = item.arrival_s if first is None else first
            # Built before waiting: a request's own construction is not its latency.
            request = self.build(index, item)
            due = start + (item.arrival_s - first) / speed if speed else 0.0
            if speed and due >= self.stop_at:
                return
            if speed:
                await anyio.sleep(max(0.0, due - time.perf_counter()))
            else:
                await anyio.lowlevel.checkpoint()
            now = time.perf_counter()
            if now >= self.stop_at:
                return
            due = due if speed else now
            if self.in_flight.count >= self.options.max_in_flight:
                self.collector.skipped += 1
                continue
            self.collector.sending(due, now)
            self.in_flight.add()
            tg.start_soon(self.one, request, item, due)

    async def worker(self, items: Iterator[tuple[int, TraceRequest]]) -> None:
        for index, item in items:
            if time.perf_counter() >= self.stop_at:
                return
            request = self.build(index, item)
            due = time.perf_counter()
            self.collector.sending(due, due)
            self.in_flight.add()
            await self.one(request, item, due)

    async def closed_loop(self, items: Iterator[tuple[int, TraceRequest]],
                          concurrency: int) -> None:
        # Workers wait for their answers, so the grace period bounds them too.
        with anyio.move_on_after(self.stop_at - time.perf_counter() + self.options.grace):
            async with anyio.create_task_group() as workers:
                for _ in range(concurrency):
                    workers.start_soon(self.worker, items)


async def run_pass(target: Target, items: Items, build: Build,
                   options: ReplayOptions) -> Collector:
    """Send the trace to one target; every answer goes into the returned collector."""
    run = _Pass(target, build, options)
    async with anyio.create_task_group() as tg:
        if options.concurrency is None:
            await run.open_loop(items(), tg)
        else:
            await run.closed_loop(items(), options.concurrency)
        with anyio.move_on_after(options.grace):
            await run.in_flight.idle.wait()
        tg.cancel_scope.cancel()
    return run.collector


async def warm_up(target: Target, count: int) -> None:
    """A few tiny requests, one at a time and not measured, so that what runs once per
    process (lazy imports, first-call set-up) is not charged to the first requests."""
    for n in range(count):
        await target.send(ChatRequest(messages=[ChatMessage(role="user", content=f"warm-up {n}")],
                                      max_tokens=1), "default", "default")


async def sample_depths(read: Depths, samples: list[Sample]) -> None:
    start = time.perf_counter()
    while True:
        depths = await read()
        if depths is not None:
            samples.append(Sample(t=round(time.perf_counter() - start, 3), depths=depths))
        await anyio.sleep(SAMPLE_EVERY_S)


async def measured(target: Target, items: Items, build: Build, options: ReplayOptions,
                   read: Depths | None, samples: list[Sample]) -> Collector:
    """A pass with mailbox depths sampled every 100 ms while it runs."""
    async with anyio.create_task_group() as tg:
        if read is not None:
            tg.start_soon(sample_depths, read, samples)
        collector = await run_pass(target, items, build, options)
        tg.cancel_scope.cancel()
    return collector
