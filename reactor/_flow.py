"""Flows: the per-request reply stream.

A flow carries typed events from whichever stage answers (cache or provider) to the
caller: `Started`, then `Token`s, then exactly one of `Done` or `Failed`. Its buffer is
small and bounded, so a slow reader makes the producer wait, and the producer's read
loop waits on the upstream socket in turn.

A reader that goes away calls `abandon()`: the buffer closes, the producer's next emit
raises `FlowClosed`, and the producer's attached cancel scope is cancelled at once so an
upstream call blocked in a read stops too. A flow that ends without a terminal event is
reported to the reader as a failure, never as a clean end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

import anyio

from reactor._errors import FlowClosed
from reactor._events import Decided, Done, ErrorInfo, Failed, FlowEvent, Token
from reactor._mailbox import CLOSED, Channel

T = TypeVar("T")

# The events that end a flow, as a tuple: `A | B | C` in an `isinstance` builds a new
# union object on every call, and `emit` runs once per token.
TERMINAL = (Done, Failed, Decided)

# Upstream failures arrive as `Failed` events of their own: a flow closed without a
# terminal event was ended inside the router, by a shutdown or a failed stage.
_TRUNCATED = ErrorInfo(
    status=503,
    type="service_unavailable",
    code="incomplete_response",
    message="the response ended before it was complete: the router stopped, or the stage "
    "producing it failed; retry",
    retry_after_s=1.0,
)


class Reply(Generic[T]):
    """A one-shot answer from an actor to whoever asked (a stats query, feedback)."""

    __slots__ = ("_event", "_value")

    def __init__(self) -> None:
        self._event = anyio.Event()
        self._value: T | None = None

    def send(self, value: T) -> None:
        self._value = value
        self._event.set()

    async def receive(self) -> T:
        await self._event.wait()
        return self._value  # type: ignore[return-value]


class Flow:
    """One request's reply channel; one producer at a time, one reader."""

    __slots__ = (
        "_channel",
        "_holds",
        "_on_close",
        "_scope",
        "_settled",
        "abandoned",
        "closed",
        "request_id",
        "terminal",
    )

    def __init__(self, request_id: str, size: int = 16) -> None:
        self.request_id = request_id
        self._channel: Channel[FlowEvent] = Channel(size)
        self._scope: anyio.CancelScope | None = None
        self._on_close: list[Callable[[], None]] = []
        # The request is over when the reader has closed the flow and the stage that
        # ended it has published its outcome; admission permits are released then.
        self._holds = 2
        self._settled = False
        self.terminal: Done | Failed | Decided | None = None
        self.abandoned = False
        self.closed = False

    # producer side

    @property
    def finished(self) -> bool:
        """A terminal event was emitted (or the reader left): emit nothing more."""
        return self.terminal is not None or self.abandoned

    async def emit(self, event: FlowEvent) -> None:
        """Send one event, waiting while the reader is behind."""
        if self.emit_nowait(event):
            return
        try:
            await self._channel.send(event)
        except anyio.ClosedResourceError:
            raise FlowClosed(self.request_id) from None
        self._sent(event)

    def emit_nowait(self, event: FlowEvent) -> bool:
        """`emit` if the reader has room now; False, with nothing sent, if it has not (then
        `emit`). A coroutine less per event where the reader is rarely behind."""
        if self.terminal is not None:
            raise RuntimeError(f"flow {self.request_id} already ended")
        channel = self._channel
        buffer = channel.buffer
        if not channel.receivers and len(buffer) < channel.size and \
                not channel.sending_closed:
            buffer.append(event)  # `send_nowait`'s common case, inlined
            self._sent(event)
            return True
        try:
            channel.send_nowait(event)
        except anyio.WouldBlock:
            return False
        except anyio.ClosedResourceError:
            raise FlowClosed(self.request_id) from None
        self._sent(event)
        return True

    def _sent(self, event: FlowEvent) -> None:
        if isinstance(event, TERMINAL):
            self.terminal = event
            self._channel.close_sending()

    def try_emit(self, event: Token) -> bool:
        """Send a token if there is room now; False if the reader is behind."""
        try:
            self._channel.send_nowait(event)
        except anyio.WouldBlock:
            return False
        except anyio.ClosedResourceError:
            raise FlowClosed(self.request_id) from None
        return True

    def fail_nowait(self, error: ErrorInfo) -> bool:
        """End the flow with an error without waiting; False if it could not be delivered.

        Used on paths that must not block (shedding, crash clean-up). If the buffer is
        full the reader still learns of the failure: closing the buffer without a
        terminal event reads as a truncated response.
        """
        if self.finished:
            return False
        failed = Failed(error=error)
        self.terminal = failed
        channel = self._channel
        try:
            channel.send_nowait(failed)
        except (anyio.WouldBlock, anyio.ClosedResourceError):
            channel.close_sending()
            return False
        channel.close_sending()
        return True

    def attach(self, scope: anyio.CancelScope) -> None:
        """Register the producer's scope: abandoning the flow cancels it."""
        self._scope = scope
        if self.abandoned:
            scope.cancel()

    def unattach(self, scope: anyio.CancelScope) -> None:
        """`scope` has exited (one try of several): abandoning no longer cancels it."""
        if self._scope is scope:
            self._scope = None

    def detach(self) -> None:
        """The producer exits; if it emitted no terminal event the reader sees a failure."""
        self._scope = None
        self._channel.close_sending()

    def settle(self) -> None:
        """The outcome of this request has been published (later calls do nothing)."""
        if not self._settled:
            self._settled = True
            self._drop_hold()

    # both sides

    def on_release(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the reader has closed and the outcome is settled."""
        if self._holds <= 0:
            callback()
        else:
            self._on_close.append(callback)

    def _drop_hold(self) -> None:
        self._holds -= 1
        if self._holds == 0:
            callbacks, self._on_close = self._on_close, []
            for callback in callbacks:
                callback()

    # reader side

    async def receive(self) -> FlowEvent:
        """The next event. A flow closed without a terminal event yields a `Failed`."""
        channel = self._channel
        if not channel.buffer and not channel.senders and not channel.sending_closed:
            # `channel.receive` while `channel.empty`, awaited here: a frame less on
            # every wake-up.
            waiter = channel.park()
            try:
                event = await waiter
            except BaseException:
                channel.unpark(waiter)
                raise
            if event is CLOSED:
                return Failed(error=_TRUNCATED)
            return event  # type: ignore[no-any-return]
        try:
            return await channel.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return Failed(error=_TRUNCATED)

    def receive_nowait(self) -> FlowEvent | None:
        """The next event if one is already waiting, else None; never waits.

        A reader that writes in batches (one socket write for every token already here)
        drains with this after each `receive`. A closed flow reads as `receive` does.
        """
        channel = self._channel
        buffer = channel.buffer
        if buffer and not channel.senders:
            return buffer.popleft()  # `receive_nowait`'s common case, inlined
        if not buffer and not channel.senders and not channel.sending_closed:
            return None  # `channel.empty`
        try:
            return channel.receive_nowait()
        except anyio.WouldBlock:
            return None
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return Failed(error=_TRUNCATED)

    async def events(self) -> AsyncIterator[FlowEvent]:
        """Iterate events up to and including the terminal one, then close."""
        try:
            while True:
                event = await self.receive()
                yield event
                if isinstance(event, TERMINAL):
                    return
        finally:
            self.close()

    def abandon(self) -> None:
        """The reader is gone: stop the producer and release everything."""
        if self.closed:
            return
        if self.terminal is None:
            self.abandoned = True
            if self._scope is not None:
                self._scope.cancel()
        self.close()

    def close(self) -> None:
        """The reader is finished; release what the request held (admission permits)."""
        if self.closed:
            return
        if self.terminal is None and not self.abandoned:
            self.abandoned = True
            if self._scope is not None:
                self._scope.cancel()
        self.closed = True
        self._channel.close_receiving()
        self._drop_hold()
