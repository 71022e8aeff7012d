"""What the adapters that call over the router's aiohttp session (Anthropic, Gemini) share:
the key and what its absence says, the course of one call, and the loop that reads an
event stream.

A call without its key is `unavailable` before anything is sent; a request the wire
format cannot carry is a `client_error` before anything is sent; otherwise one
`exchange`, whose 200 goes to the adapter's stream reader or its JSON reader. Whatever
that comes to, a fault carries what the upstream had counted by then (`billed`), so
a stream broken by an error event, garbage or a dropped connection still says what
it used. The adapter says only what is its own: the request body, the URL, the
headers, its status mapping and how it reads an answer.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import ClassVar, Generic, Protocol, TypeVar

import aiohttp
import msgspec

from reactor import AnthropicUpstream, ChatRequest, GeminiUpstream, Token, Usage
from stages.upstreams import Fault, OnToken, Reply, TokenSink
from stages.upstreams.wire import (
    Untranslatable,
    billed,
    exchange,
    finish_body,
    missing_key,
    no_events,
    sse_lines,
    status_fault,
    streamed,
)

ConfigT = TypeVar("ConfigT", AnthropicUpstream, GeminiUpstream)


class Assembling(Protocol):
    """A stream reader's state across one call: whether the answer is over, what the
    upstream counted so far, and what the answer comes to once read."""

    @property
    def done(self) -> bool:
        """The answer's last event was read."""
        ...

    def billed(self) -> Usage | None: ...

    def end(self) -> Reply | Fault: ...


AssemblyT = TypeVar("AssemblyT", bound=Assembling)

_encoder = msgspec.json.Encoder()


class SessionUpstream(Generic[ConfigT, AssemblyT]):
    """An `Upstream` over a shared `aiohttp.ClientSession`; a subclass speaks one wire
    format."""

    provider: ClassVar[str]
    """The provider's name, as a refused request names it."""

    def __init__(self, model: str, config: ConfigT, session: aiohttp.ClientSession,
                 *, connect_timeout_s: float = 5.0) -> None:
        self.model = model
        self.config: ConfigT = config
        self.session = session
        self._key = config.resolve_key()
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s)

    def unavailable(self) -> str | None:
        return missing_key(self.config.api_key_env) if self._key is None else None

    async def call(self, request: ChatRequest, *, stream: bool,
                   on_token: OnToken) -> Reply | Fault:
        reason = self.unavailable()
        if reason is not None:
            return Fault(kind="unavailable", message=reason)
        try:
            body = self._translate(request, stream)
        except Untranslatable as exc:
            return Fault(kind="client_error", message=f"cannot send to {self.provider}: {exc}")

        assembly = self._assembly()

        async def read(response: aiohttp.ClientResponse) -> Reply | Fault:
            if streamed(response, stream):
                return await self._read_stream(response, on_token, assembly)
            return await self._read_json(response, on_token)

        result = await exchange(self.session, self._url(stream), body=_encoder.encode(body),
                                headers=self._headers(), limits=self._timeout,
                                on_status=self._status_fault, read=read,
                                secret=self._key or "")
        # However the stream broke (an error event, garbage, a dropped connection), the
        # upstream billed what it had counted.
        return billed(result, assembly.billed())

    async def aclose(self) -> None:
        pass

    def _status_fault(self, status: int, text: str, retry_after_s: float | None) -> Fault:
        return status_fault(status, text, retry_after_s)

    def _translate(self, request: ChatRequest, stream: bool) -> object:
        """The request body, or `Untranslatable`."""
        raise NotImplementedError

    def _url(self, stream: bool) -> str:
        raise NotImplementedError

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _assembly(self) -> AssemblyT:
        raise NotImplementedError

    async def _read_stream(self, response: aiohttp.ClientResponse, on_token: OnToken,
                           assembly: AssemblyT) -> Reply | Fault:
        """Each `data:` line to `_event`, until one is a fault or the answer's last; a
        body that held none is `no_events`."""
        got_event = False
        sink = on_token if isinstance(on_token, TokenSink) else None
        # Closed here when it stops early (see `sse_line_batches`).
        async with aclosing(sse_lines(response.content)) as stream:
            async for line in stream:
                if not line.startswith(b"data:"):
                    continue
                got_event = True
                given = self._event(line[5:].strip(), assembly, sink)
                if isinstance(given, Fault):
                    return given
                if given is not None:
                    await on_token(given)
                if assembly.done:
                    break
        if not got_event:
            return no_events(response)
        return await finish_body(response.content, assembly.end(), on_token)

    def _event(self, data: bytes, assembly: AssemblyT,
               sink: TokenSink | None) -> Token | Fault | None:
        """Feed one event to `assembly`, telling `sink` what the upstream counted once it
        counts it: the token the event gives, or the fault it comes to. (Not a
        coroutine: an await per event would cost more than reading it.)"""
        raise NotImplementedError

    async def _read_json(self, response: aiohttp.ClientResponse,
                         on_token: OnToken) -> Reply | Fault:
        raise NotImplementedError
