"""What the adapter tests share: a recording `on_token` and sink, a port nobody answers on,
a bounded call, an upstream that holds the end of its body back, and one that answers
with bytes written to the letter and ends each connection as told."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Literal, Self

import anyio
import msgspec

from reactor import ChatRequest, Token, ToolCallDelta, Usage
from stages.upstreams import Fault, Reply, TokenSink, Upstream


class Texts:
    """An `on_token` that keeps every piece it is given (empty ones too, with
    `keep_empty`, so that an adapter handing on empty tokens shows)."""

    keep_empty = False

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.calls: list[ToolCallDelta] = []
        self.arrived = anyio.Event()

    async def __call__(self, token: Token) -> None:
        if token.text or self.keep_empty:
            self.pieces.append(token.text)
        self.calls.extend(token.tool_calls or [])
        self.arrived.set()

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def arguments(self, index: int = 0) -> str:
        """One tool call's arguments, its streamed pieces joined."""
        return "".join(d.arguments for d in self.calls if d.index == index)


class Sink(TokenSink):
    """A `TokenSink` that keeps the text and notes what it is told: that the answer is
    whole (`completed`), what the upstream counted so far (`counted`)."""

    def __init__(self) -> None:
        self.text = ""
        self.reply: Reply | None = None
        self.usage: Usage | None = None
        self.whole = anyio.Event()
        self.counting = anyio.Event()

    async def __call__(self, token: Token) -> None:
        self.text += token.text

    def completed(self, reply: Reply) -> None:
        self.reply = reply
        self.whole.set()

    def counted(self, usage: Usage) -> None:
        self.usage = usage
        self.counting.set()


@contextmanager
def refused_base_url() -> Iterator[str]:
    """A port that is bound but not listening, so nothing can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


async def call(upstream: Upstream, request: ChatRequest, texts: Texts) -> Reply | Fault:
    with anyio.fail_after(5):
        return await upstream.call(request, stream=request.stream, on_token=texts)


End = Literal["keep", "close", "reset", "hold"]


def response(status: int, body: bytes, *, content_type: str = "application/json",
             headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    """A whole response with a Content-Length (`length`, when it should lie)."""
    head = f"HTTP/1.1 {status} Status\r\nContent-Type: {content_type}\r\n" \
        f"Content-Length: {len(body) if length is None else length}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    return head.encode() + b"\r\n" + body


def event_stream(body: bytes, *, whole: bool = True,
                 content_type: str = "text/event-stream") -> bytes:
    """A chunked 200 carrying `body` as one chunk, with the closing chunk if `whole`."""
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode() + \
        (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + \
        (b"0\r\n\r\n" if whole else b"")


def sse(*events: object, done: bool = False) -> bytes:
    """`events` as a server-sent event stream, ended by `[DONE]` if `done`."""
    raw = b"".join(b"data: " + msgspec.json.encode(e) + b"\n\n" for e in events)
    return raw + (b"data: [DONE]\n\n" if done else b"")


class RawUpstream:
    """A raw HTTP/1.1 server on 127.0.0.1 port 0, for answers aiohttp.web would not send
    (a body held back, a connection reset); a subclass answers in `_serve`. It counts the
    connections it accepted and the requests it read."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                self.requests += 1
                if not await self._serve(reader, writer):
                    break
        if not writer.is_closing():
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer the request just read; False when the connection is done with."""
        raise NotImplementedError


class HeldTail(RawUpstream):
    """Answers every POST with `body` as one chunk of a chunked 200, then holds the body's
    closing chunk back: until `release` is set, or at most `delay_s`; with `drop` it
    aborts the connection there instead. A test can tell from `connections` whether the
    client pooled its one."""

    def __init__(self, body: bytes, *, delay_s: float = 10.0, drop: bool = False) -> None:
        super().__init__()
        self.body = body
        self.delay_s = delay_s
        self.drop = drop
        self.release = asyncio.Event()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(event_stream(self.body, whole=False))
        await writer.drain()
        if self.drop:
            writer.transport.abort()
            return False
        with anyio.move_on_after(self.delay_s):
            await self.release.wait()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


class Scripted(RawUpstream):
    """Answers each request with the next of `answers` (the last one again once they run
    out), written as given, then ends the connection as each says: `keep` it for the next
    request, `close` it (FIN), `reset` it (RST), or `hold` it silent until the client hangs
    up. `held` is set once it holds one, and `hung_up` once a held connection was closed
    by the client."""

    def __init__(self, *answers: tuple[bytes, End]) -> None:
        super().__init__()
        self.answers = deque(answers)
        self.held = asyncio.Event()
        self.hung_up = asyncio.Event()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        raw, end = self.answers[0] if len(self.answers) == 1 else self.answers.popleft()
        writer.write(raw)
        await writer.drain()
        match end:
            case "keep":
                return True
            case "close":
                writer.close()
            case "reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            case "hold":
                self.held.set()
                await reader.read()  # the client's hang-up
                self.hung_up.set()
        return False


# Each wire format's whole answer "hi", up to its last event.
FINAL_EVENT = {
    "openai": sse({"choices": [{"delta": {"content": "hi"}, "finish_reason": None}]},
                   {"choices": [{"delta": {}, "finish_reason": "stop"}]}, done=True),
    "anthropic": sse(
        {"type": "message_start", "message": {"usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": "hi"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"}),
    "gemini": sse({"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]},
                                    "finishReason": "STOP"}],
                    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1}}),
}
