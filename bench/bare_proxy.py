"""The floor under any router built like Reactor: a proxy that does nothing else.

    python -m bench.bare_proxy UPSTREAM_BASE_URL [--port 0] [--stream-upstream]

It serves `POST /v1/chat/completions` on the same stack as `reactor serve` (aiohttp's
low-level `web.Server` on uvloop, the handler found without an application router) and
sends every request on to the upstream over Reactor's own keep-alive client
(`stages.upstreams.http1.Pool`). It reads nothing and decides nothing: no body
parsing, checks, cache, analysis, selection, breaker, retries, books or logs. The
upstream's answer goes back byte for byte: a JSON body whole, an SSE stream as its
pieces arrive.

With `--stream-upstream` a non-streaming request is sent on with `"stream":true` (the
load generator's `"stream":false` replaced; no parsing) and the SSE answer is read to
its end before a JSON body is sent back: the same exchange with the upstream as
Reactor's default (it streams from the upstream for every caller, to time first tokens
and stalls). What it sends back is the stream's last piece, not an assembled answer: a
floor, not a proxy.

`reactor bench http --floor` runs it beside Reactor and the upstream, so the report
shows how much of a target the HTTP stack alone leaves for routing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import uvloop
from aiohttp import web

from stages.upstreams.http1 import Pool

_STREAM_TRUE = (b'"stream":true', b'"stream": true')


class Proxy:
    def __init__(self, upstream: str, *, stream_upstream: bool) -> None:
        self.pool = Pool(upstream, connect_timeout_s=5.0)
        self.head = self.pool.request_head(
            "/chat/completions", {"Content-Type": "application/json"})
        self.stream_upstream = stream_upstream

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return web.Response(status=404)
        body = await request.read()
        streaming = any(marker in body for marker in _STREAM_TRUE)
        if self.stream_upstream and not streaming:
            return await self._gathered(body.replace(b'"stream":false', b'"stream":true'))
        response, connection = await self.pool.post(self.head, body)
        try:
            if not streaming:
                data = b"".join([piece async for piece in response.content.iter_any()])
                return web.Response(body=data, status=response.status,
                                    content_type="application/json")
            out = web.StreamResponse(status=response.status)
            out.content_type = "text/event-stream"
            await out.prepare(request)
            async for piece in response.content.iter_any():
                await out.write(piece)
            await out.write_eof()
            return out
        finally:
            self.pool.release(connection)

    async def _gathered(self, body: bytes) -> web.Response:
        response, connection = await self.pool.post(self.head, body)
        try:
            last = b""
            async for piece in response.content.iter_any():
                last = piece
        finally:
            self.pool.release(connection)
        return web.Response(body=last, status=response.status, content_type="application/json")


async def serve(args: argparse.Namespace) -> None:
    proxy = Proxy(args.upstream, stream_upstream=args.stream_upstream)
    server = web.Server(proxy)
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(server, "127.0.0.1", args.port)
    port = listener.sockets[0].getsockname()[1]
    print(f"bare proxy listening on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("upstream", help="the upstream's base URL, ending in /v1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stream-upstream", action="store_true",
                        help="ask the upstream to stream even a non-streaming request")
    args = parser.parse_args(argv)
    try:
        uvloop.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
