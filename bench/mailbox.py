"""Mailbox hop cost: what one message costs to pass through a chain of actors.

Compares three designs over the same chain of N relay tasks:
  await      anyio memory streams, always `await send()` / `await receive()`
  nowait     Reactor's `Mailbox`: try the non-waiting call first, await only if blocked
  queue      asyncio.Queue, for reference

For each it reports saturated cost (a burst of messages, µs per message end to end)
and the latency of one message alone (p50 / p99 over many single trips).

    reactor bench mailbox [--hops 8] [--messages 50000] [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from reactor import Mailbox

Send = Callable[[Any], Awaitable[None]]
Receive = Callable[[], Awaitable[Any]]


def _anyio_await(size: int) -> tuple[Send, Receive]:
    send, receive = anyio.create_memory_object_stream[Any](size)
    return send.send, receive.receive


def _nowait(size: int) -> tuple[Send, Receive]:
    box: Mailbox[Any] = Mailbox("bench", size)
    return box.send, box.receive


def _queue(size: int) -> tuple[Send, Receive]:
    queue: asyncio.Queue[Any] = asyncio.Queue(size)
    return queue.put, queue.get


DESIGNS = {"await": _anyio_await, "nowait": _nowait, "queue": _queue}


async def _chain(design: str, hops: int, size: int, burst: int, singles: int) -> tuple[float,
                                                                                      list[float]]:
    make = DESIGNS[design]
    links = [make(size) for _ in range(hops + 1)]

    async def relay(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message is None:
                await send(None)
                return
            await send(message)

    async with anyio.create_task_group() as tg:
        for i in range(hops):
            tg.start_soon(relay, links[i][1], links[i + 1][0])
        first_send, last_receive = links[0][0], links[-1][1]

        async def feed() -> None:
            for n in range(burst):
                await first_send(n)

        started = time.perf_counter()
        tg.start_soon(feed)
        for _ in range(burst):
            await last_receive()
        saturated = (time.perf_counter() - started) / burst

        latencies = []
        for n in range(singles):
            t0 = time.perf_counter()
            await first_send(n)
            await last_receive()
            latencies.append(time.perf_counter() - t0)
        await first_send(None)
        await last_receive()
    return saturated, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reactor bench mailbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hops", type=int, default=8)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args(argv)
    backend_options = {"use_uvloop": True} if args.uvloop else {}
    print(f"{args.hops} hops, mailbox size {args.size}, {args.messages} messages burst, "
          f"{args.singles} single trips, loop={'uvloop' if args.uvloop else 'asyncio'}")
    print(f"{'design':8} {'µs/msg saturated':>17} {'msgs/s':>10} {'single p50 µs':>14} "
          f"{'single p99 µs':>14}")
    for design in DESIGNS:
        saturated, singles = anyio.run(_chain, design, args.hops, args.size, args.messages,
                                       args.singles, backend_options=backend_options)
        singles.sort()
        p50 = statistics.median(singles) * 1e6
        p99 = singles[int(len(singles) * 0.99)] * 1e6
        print(f"{design:8} {saturated * 1e6:17.2f} {1 / saturated:10.0f} {p50:14.1f} "
              f"{p99:14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
