"""Upstream adapters: one per wire format, all behind the `Upstream` protocol.

An adapter turns a `ChatRequest` into one upstream call and reports each piece of the
answer (text, tool-call fragments) through `on_token` as it arrives. It returns a
`Reply` when the answer finished cleanly, or a `Fault` naming what went wrong
(including what an HTTP 200 can hide: an empty answer, a stream cut before its finish
reason, garbage on the wire). Adapters never raise for upstream
trouble; exceptions out of them are bugs.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

import msgspec

from reactor import ChatRequest, Token, Usage

FaultKind = Literal[
    "rate_limited",
    "server_error",
    "client_error",
    "auth",
    "connect",
    "timeout",
    "malformed",
    "truncated",
    "empty",
    "unavailable",
    "invalid_json",
    "content_filter",
    "not_found",
]

OnToken = Callable[[Token], Awaitable[None]]


class TokenSink:
    """An `on_token` that can also take a run of pieces that are all there already.

    An adapter holding several pieces at once (a zero-delay simulated answer, one read
    of the socket) may hand them to `many`, which must mean exactly what calling the
    sink once per piece, in order, would; the default does just that.
    """

    async def __call__(self, token: Token) -> None:
        raise NotImplementedError

    async def many(self, tokens: list[Token]) -> None:
        for token in tokens:
            await self(token)

    async def texts(self, texts: list[str]) -> None:
        """A run of plain-text pieces: the same as `many` of one `Token` each."""
        await self.many([Token(text=text) for text in texts])

    def listen(self) -> Callable[[], None] | None:
        """Asked by an adapter that can leave a stream's bytes unread until its last
        event: if the sink takes the answer whole, the callable the adapter then calls
        whenever bytes come (a sign of life, for stall timers), and the pieces come in
        one run at the end; None (the default) to have each piece as it is read."""
        return None

    def keep(self, tokens: list[Token]) -> None:
        """Pieces that came before a call listened to (`listen`) was cut short: counted
        and kept as the answer so far, as `many` would have, without waiting. Only a
        sink whose `listen` said yes is given them."""
        raise NotImplementedError

    def completed(self, reply: Reply) -> None:
        """The answer is whole: nothing after this (the rest of the HTTP body, read so the
        connection can be pooled) can change it, and a call cancelled from now on still
        answered with `reply`."""

    def counted(self, usage: Usage) -> None:
        """The upstream said what the call has used so far, output included (and so
        billed): a call cancelled from now on (a stall, a deadline) returns no fault to
        carry it, so whoever bills the call learns it here."""


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    finish_reason: str
    usage: Usage | None = None


class Fault(msgspec.Struct, frozen=True, kw_only=True):
    kind: FaultKind
    message: str
    status: int | None = None
    retry_after_s: float | None = None
    usage: Usage | None = None
    """What the upstream said the failed call used (and so billed), when it said so."""


class Upstream(Protocol):
    model: str

    def unavailable(self) -> str | None:
        """Why this model cannot be called (a missing key), or None."""
        ...

    async def call(self, request: ChatRequest, *, stream: bool,
                   on_token: OnToken) -> Reply | Fault:
        ...

    async def aclose(self) -> None: ...


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header's delta-seconds form. `inf` and `nan` parse as
    floats but are no wait: an endless one would keep the model's breaker open for good
    and cannot be said back to the caller as a Retry-After."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the upstream asks to wait: `retry-after-ms` (OpenAI, Azure), else
    `Retry-After` in seconds or as an HTTP-date. A date is counted from the response's own
    `Date`, so neither our clock nor the skew between the two clocks plays a part; without
    a `Date` it says nothing."""
    millis = parse_retry_after(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("Retry-After")
    seconds = parse_retry_after(value)
    if seconds is not None or not value:
        return seconds
    try:
        until = parsedate_to_datetime(value)
        now = parsedate_to_datetime(headers.get("Date", ""))
    except (TypeError, ValueError):
        return None
    if until.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (until - now).total_seconds())
