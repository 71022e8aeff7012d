"""A small closed-loop HTTP/1.1 load generator, run as its own process by `bench.http_bench`.

    python -m bench.http_load URL --concurrency 64 --duration 5 [--stream]
        [--same-prompt] [--warmup 1] [--max-requests N]

`concurrency` keep-alive connections each send a chat completion, read the whole answer
and send the next; nothing else runs in the process. It speaks just enough HTTP for
aiohttp servers (Content-Length or chunked bodies) on asyncio protocols, so a request
costs it a few microseconds rather than an aiohttp client's ~100: on a 2-core machine
the load generator shares the cores with what it measures, and a cheap one leaves them
to the servers. Prompts are distinct per request and per run (`bench load <run>
c<conn> n<seq>`), so no cache can answer them, unless `--same-prompt` sends one prompt
again and again.

Prints one JSON object (after a `measuring` line with `--announce`): requests answered
200, errors, seconds, latencies (ms percentiles), content tokens (SSE content deltas
counted in the bodies) and the `x-reactor-cache` values seen.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import secrets
import sys
import time
from collections import Counter
from typing import cast
from urllib.parse import urlsplit

import msgspec


class Result(msgspec.Struct, kw_only=True):
    ok: int
    errors: int
    seconds: float
    latencies_ms: dict[str, float]
    tokens: int
    cache: dict[str, int]
    statuses: dict[str, int]


_TOKEN = b'"delta":{"content":'
_CACHE = b"\r\nx-reactor-cache: "


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends bytes and waits for the whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, bytes, bytes]] | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the server closed the connection"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.answer is None or self.answer.done():
            return
        parsed = _parse(self.buffer)
        if parsed is not None:
            status, head, body, used = parsed
            del self.buffer[:used]
            self.answer.set_result((status, head, body))

    async def request(self, raw: bytes) -> tuple[int, bytes, bytes]:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.answer


def _parse(buffer: bytearray) -> tuple[int, bytes, bytes, int] | None:
    """(status, header block, body, bytes used) once a whole response is in `buffer`."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    status = int(head[9:12])
    start = end + 4
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop >= 0 else None])
        if len(buffer) < start + length:
            return None
        return status, head, bytes(buffer[start : start + length]), start + length
    if b"\r\ntransfer-encoding: chunked" not in head:
        raise ValueError("a response with neither Content-Length nor chunked encoding")
    pieces: list[bytes] = []
    pos = start
    while True:
        line_end = buffer.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buffer[pos:line_end]).split(b";")[0], 16)
        if size == 0:
            if len(buffer) < line_end + 4:
                return None
            return status, head, b"".join(pieces), line_end + 4
        if len(buffer) < line_end + 2 + size + 2:
            return None
        pieces.append(bytes(buffer[line_end + 2 : line_end + 2 + size]))
        pos = line_end + 2 + size + 2


class _Load:
    def __init__(self, args: argparse.Namespace) -> None:
        parts = urlsplit(args.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.args = args
        self.measuring = False
        self.latencies: list[float] = []
        self.errors = 0
        self.tokens = 0
        self.cache: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.sent = 0
        self.nonce = secrets.token_hex(4)

    def raw(self, conn: int, seq: int) -> bytes:
        prompt = "bench load same prompt" if self.args.same_prompt else \
            f"bench load {self.nonce} c{conn} n{seq}: say something"
        body = msgspec.json.encode({
            "model": self.args.model, "stream": self.args.stream,
            "messages": [{"role": "user", "content": prompt}]})
        return (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body

    async def announce(self, warm_until: float) -> None:
        """Say when the measured part starts, so a caller can read CPU counters then."""
        await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
        if self.args.announce:
            sys.stdout.write("measuring\n")
            sys.stdout.flush()

    async def worker(self, conn: int, warm_until: float, stop_at: float) -> None:
        loop = asyncio.get_running_loop()
        seq = 0
        connection: _Connection | None = None
        while True:
            now = time.perf_counter()
            if now >= stop_at or (self.args.max_requests and
                                  self.sent >= self.args.max_requests):
                break
            if connection is None:
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
            raw = self.raw(conn, seq)
            seq += 1
            measured = now >= warm_until
            if measured:
                self.sent += 1
            start = time.perf_counter()
            try:
                status, head, body = await connection.request(raw)
            except ConnectionError:
                connection = None
                if measured:
                    self.errors += 1
                continue
            elapsed = time.perf_counter() - start
            if not measured:
                continue
            self.statuses[str(status)] += 1
            if status != 200:
                self.errors += 1
                continue
            self.latencies.append(elapsed)
            self.tokens += body.count(_TOKEN) if self.args.stream else 0
            at = head.find(_CACHE)
            if at >= 0:
                self.cache[head[at + len(_CACHE) : head.find(b"\r\n", at + 2)].decode()] += 1
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    async def run(self) -> Result:
        start = time.perf_counter()
        warm_until = start + self.args.warmup
        stop_at = warm_until + self.args.duration
        await asyncio.gather(self.announce(warm_until),
                             *(self.worker(n, warm_until, stop_at)
                               for n in range(self.args.concurrency)))
        seconds = time.perf_counter() - max(warm_until, start)
        return Result(ok=len(self.latencies), errors=self.errors, seconds=seconds,
                      latencies_ms=percentiles(self.latencies), tokens=self.tokens,
                      cache=dict(self.cache), statuses=dict(self.statuses))


def percentiles(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 4)

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": at(1.0),
            "mean": round(sum(ordered) / len(ordered) * 1000, 4)}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the chat completions URL")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--max-requests", type=int, default=0, help="0: no bound but time")
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--same-prompt", action="store_true")
    parser.add_argument("--model", default="auto")
    parser.add_argument("--announce", action="store_true",
                        help="print `measuring` when the warm-up is over")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency must be at least 1, --duration positive, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load = _Load(args)
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        result = uvloop.run(load.run())
    else:  # pragma: no cover
        result = asyncio.run(load.run())
    sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
