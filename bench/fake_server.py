"""What the fake providers (`fake_upstream`, `fake_anthropic`, `fake_gemini`) share:
start and stop on 127.0.0.1, the choice of fault per request, the faults every provider
has (`SharedFault`) where they break an answer alike, the record of what was seen, and
noticing a client that goes away.

Faults are chosen per server (`fault=`), by a queue the test fills (`faults=` or
`fake.faults`, `None` being a healthy answer), or per request with the `x-fake-fault`
header (`none` forces a healthy answer); the header wins over the queue, the queue over
the server's default. `x-fake-tokens` sets the number of words for one request.

Recorded: `requests`, `seen` (parsed bodies, headers, path and query), `disconnects` /
`disconnected` when a client leaves while a handler is still answering or hanging, and
`hanging` once a handler starts to hang, so a test knows when to cancel its call.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Literal, Self, TypeVar, cast

import anyio
import msgspec
from aiohttp import web
from multidict import CIMultiDict

SharedFault = Literal[
    "http_500",
    "http_503",
    "http_429",
    "hang_before_headers",
    "hang_after_first_token",
    "malformed_sse",
    "drop_mid_stream",
    "empty",
    "empty_body",
]
"""The faults every fake has; each fake's module says what they look like in its wire
format. `hang_before_headers`, `empty_body` (a zero-length 200) and the JSON answer's
`malformed_sse`, `drop_mid_stream` and `hang_after_first_token` are answered here."""

FAULT_HEADER: Final = "x-fake-fault"
TOKENS_HEADER: Final = "x-fake-tokens"

FaultT = TypeVar("FaultT", bound=str)

_json = msgspec.json.Encoder()


@dataclass(frozen=True)
class Seen(Generic[FaultT]):
    """One call as the fake received it."""

    body: dict[str, Any]
    headers: CIMultiDict[str]
    path: str
    query: dict[str, str]
    fault: FaultT | None


class Invalid(Exception):
    """A request the real API would refuse with a 400; the message says why."""


class FakeServer(Generic[FaultT]):
    """The shared shell; a subclass names its faults (`known`) and the model it answers
    as by default, and adds its routes and answers.

    `retry_after_s` is the retry hint on 429 (and wherever the real API gives one);
    `drop_after_tokens` is where `drop_mid_stream` cuts; `history` bounds `seen`.
    """

    known: ClassVar[tuple[str, ...]] = ()
    """Every fault of the subclass's `Fault` (its `FAULTS`)."""
    default_model: ClassVar[str] = "fake-model"

    def __init__(self, *, model: str | None = None, output_tokens: int = 16,
                 fault: FaultT | None = None, faults: Iterable[FaultT | None] = (),
                 retry_after_s: float = 1.0, drop_after_tokens: int = 2,
                 host: str = "127.0.0.1", port: int = 0, history: int = 64) -> None:
        # `known` is `FaultT`'s values, read back from the subclass's Literal.
        self._known: dict[str, FaultT] = {name: cast(FaultT, name) for name in self.known}
        self.faults: deque[FaultT | None] = deque(faults)
        for name in (fault, *self.faults):
            self._check_fault(name)
        if output_tokens < 0 or drop_after_tokens < 0:
            raise ValueError("output_tokens and drop_after_tokens must not be negative")
        self.model = self.default_model if model is None else model
        self.output_tokens = output_tokens
        self.fault = fault
        self.retry_after_s = retry_after_s
        self.drop_after_tokens = drop_after_tokens
        self.host = host
        self.port = port
        self.requests = 0
        self.seen: deque[Seen[FaultT]] = deque(maxlen=history)
        self.disconnects = 0
        self.disconnected = asyncio.Event()
        self.hanging = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._ids = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [seen.body for seen in self.seen]

    @property
    def last(self) -> Seen[FaultT]:
        if not self.seen:
            raise LookupError("the fake has not received a request yet")
        return self.seen[-1]

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the fake is already running")
        app = web.Application()
        self.routes(app)
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                               shutdown_timeout=0.5)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = int(runner.addresses[0][1])
        self._stopping.clear()
        self._runner = runner

    async def aclose(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._stopping.set()
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            await self.aclose()

    def _check_fault(self, name: str | None) -> None:
        if name is not None and name not in self._known:
            raise ValueError(f"unknown fault {name!r}; expected one of "
                             f"{', '.join(self._known)}")

    def fault_for(self, request: web.Request) -> FaultT | None:
        header = request.headers.get(FAULT_HEADER)
        if header is None:
            return self.faults.popleft() if self.faults else self.fault
        if header == "none":
            return None
        self._check_fault(header)
        return self._known[header]

    def count_for(self, request: web.Request) -> int:
        header = request.headers.get(TOKENS_HEADER)
        if header is None:
            return self.output_tokens
        try:
            count = int(header)
        except ValueError:
            count = -1
        if count < 0:
            raise Invalid(f"{TOKENS_HEADER} must be a non-negative integer")
        return count

    def record(self, request: web.Request, body: dict[str, Any], fault: FaultT | None) -> None:
        self.requests += 1
        self.seen.append(Seen(body=body, headers=request.headers.copy(), path=request.path,
                              query=dict(request.query), fault=fault))

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    async def serve(self, answer: Callable[[], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
        """Run one answer, counting a client that leaves before it is over."""
        try:
            return await answer()
        except asyncio.CancelledError:
            self.client_left()
            raise

    def client_left(self) -> None:
        if not self._stopping.is_set():
            self.disconnects += 1
            self.disconnected.set()

    async def hang(self, request: web.Request) -> None:
        """Wait until the client goes away (we get cancelled) or the server stops."""
        self.hanging.set()
        await self._stopping.wait()
        if request.transport is not None:
            request.transport.abort()

    def abort(self, request: web.Request) -> None:
        if request.transport is not None:
            request.transport.abort()

    async def before_answer(self, request: web.Request, fault: FaultT | None, *,
                            stream: bool) -> web.StreamResponse | None:
        """The answer to a fault that comes before any answer is made, or None:
        `hang_before_headers` hangs, `empty_body` is a 200 with nothing in it."""
        match fault:
            case "hang_before_headers":
                await self.hang(request)
                return web.Response(status=504)
            case "empty_body":
                return web.Response(status=200, body=b"", content_type=(
                    "text/event-stream" if stream else "application/json"))
            case _:
                return None

    async def send_whole(self, request: web.Request, raw: bytes,
                         fault: FaultT | None) -> web.StreamResponse:
        """The JSON body `raw`, as a fault breaks it: `malformed_sse` sends its first
        half as if whole, `drop_mid_stream` and `hang_after_first_token` announce it
        whole and send half (`send_partial`)."""
        match fault:
            case "malformed_sse":
                return web.Response(status=200, body=raw[: len(raw) // 2],
                                    content_type="application/json")
            case "drop_mid_stream" | "hang_after_first_token":
                return await self.send_partial(request, raw,
                                               hang=fault == "hang_after_first_token")
            case _:
                return web.Response(status=200, body=raw, content_type="application/json")

    async def send_partial(self, request: web.Request, raw: bytes, *,
                           hang: bool) -> web.StreamResponse:
        """Announce the whole JSON body, send half of it, then hang or drop."""
        response = web.StreamResponse(status=200, headers={
            "Content-Type": "application/json", "Content-Length": str(len(raw))})
        try:
            await response.prepare(request)
            await response.write(raw[: len(raw) // 2])
        except ConnectionResetError:
            self.client_left()
            return response
        if hang:
            await self.hang(request)
        else:
            self.abort(request)
        return response


async def read_object(request: web.Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError:
        raise Invalid("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None
                  ) -> web.Response:
    return web.Response(status=status, body=_json.encode(payload),
                        content_type="application/json", headers=headers)


def encode(payload: Any) -> bytes:
    return _json.encode(payload)
