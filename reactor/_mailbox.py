"""Bounded mailboxes: the only way messages reach an actor.

A mailbox is an anyio memory object stream with a fixed buffer. `send` waits when the
buffer is full (backpressure); `try_send` never waits and returns False instead, which
is how admission sheds load rather than queueing without bound.

Measured on the target machines, anyio's `await send()` / `await receive()` yield to
the event loop on every call (~150k messages/s per hop). Both directions here try the
non-waiting operation first and await only when it would block, which is ~14x cheaper
through a chain of actors; to keep that from starving other tasks, the receiver yields
explicitly every `checkpoint_every` messages.
"""

from __future__ import annotations

import time
import weakref
from typing import Generic, Protocol, TypeVar

import anyio
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from reactor._errors import MailboxClosed

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Inbox(Protocol[T_contra]):
    """The sending side of a mailbox: what a stage holds of the next stage."""

    async def send(self, message: T_contra) -> None: ...

    def try_send(self, message: T_contra) -> bool: ...


class Mailbox(Generic[T]):
    """A bounded, observable queue with one receiver (its actor)."""

    __slots__ = (
        "__weakref__",
        "_blocked",
        "_checkpoint_every",
        "_receive",
        "_send",
        "_since_checkpoint",
        "blocked_total",
        "name",
        "received_total",
        "rejected_total",
        "size",
        "wait_seconds_total",
    )

    def __init__(self, name: str, size: int, *, checkpoint_every: int = 64) -> None:
        if size < 0:
            raise ValueError("mailbox size must be >= 0")
        self.name = name
        self.size = size
        send, receive = anyio.create_memory_object_stream[T](size)
        self._send: MemoryObjectSendStream[T] = send
        self._receive: MemoryObjectReceiveStream[T] = receive
        # A mailbox dropped without being closed (a router built and never started)
        # closes its streams quietly instead of leaking a ResourceWarning.
        weakref.finalize(self, _close, send, receive)
        self._checkpoint_every = max(1, checkpoint_every)
        self._since_checkpoint = 0
        self._blocked = 0
        self.blocked_total = 0
        self.rejected_total = 0
        self.received_total = 0
        self.wait_seconds_total = 0.0

    @property
    def depth(self) -> int:
        """Messages buffered and not yet received."""
        return self._send.statistics().current_buffer_used

    @property
    def idle(self) -> bool:
        """Nothing buffered and the receiver is waiting for the next message."""
        statistics = self._send.statistics()
        return statistics.current_buffer_used == 0 and statistics.tasks_waiting_receive > 0

    @property
    def blocked_senders(self) -> int:
        """Senders waiting right now for room."""
        return self._blocked

    async def send(self, message: T) -> None:
        """Deliver `message`, waiting while the mailbox is full."""
        try:
            self._send.send_nowait(message)
            return
        except anyio.WouldBlock:
            pass
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise MailboxClosed(self.name) from None
        self._blocked += 1
        self.blocked_total += 1
        started = time.perf_counter()
        try:
            await self._send.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise MailboxClosed(self.name) from None
        finally:
            self._blocked -= 1
            self.wait_seconds_total += time.perf_counter() - started

    def try_send(self, message: T) -> bool:
        """Deliver `message` if there is room now; False when full."""
        try:
            self._send.send_nowait(message)
        except anyio.WouldBlock:
            self.rejected_total += 1
            return False
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise MailboxClosed(self.name) from None
        return True

    async def receive(self) -> T:
        """The next message; raises `anyio.EndOfStream` once closed and drained."""
        self._since_checkpoint += 1
        if self._since_checkpoint >= self._checkpoint_every:
            self._since_checkpoint = 0
            await anyio.lowlevel.checkpoint()
        try:
            message = self._receive.receive_nowait()
        except anyio.WouldBlock:
            self._since_checkpoint = 0
            message = await self._receive.receive()
        self.received_total += 1
        return message

    def receive_nowait(self) -> T:
        """The next buffered message; raises `anyio.WouldBlock` when there is none."""
        message = self._receive.receive_nowait()
        self.received_total += 1
        return message

    def close(self) -> None:
        """Stop accepting messages: senders get MailboxClosed; the receiver drains what is
        buffered, then its `receive` raises `anyio.EndOfStream`."""
        self._send.close()

    def dispose(self) -> None:
        """Release both ends at once (after the receiver has stopped)."""
        self._send.close()
        self._receive.close()


def _close(send: MemoryObjectSendStream[T], receive: MemoryObjectReceiveStream[T]) -> None:
    send.close()
    receive.close()
