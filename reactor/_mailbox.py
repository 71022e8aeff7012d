"""Bounded mailboxes: the only way messages reach an actor.

A mailbox has a fixed buffer. `send` waits when the buffer is full (backpressure);
`try_send` never waits and returns False instead, which is how admission sheds load
rather than queueing without bound.

Underneath is `Channel`, a bounded FIFO on a deque with asyncio futures for whoever
waits, shared with flows. Measured on the target machines, anyio's memory streams
yield to the event loop on every `await send()` / `await receive()` and cost ~70 µs
per message through eight actors; a channel that takes the non-waiting path whenever
it can and parks a future only when it must costs a few µs. A waiting receiver is
handed the message directly. To keep a busy receiver from starving other tasks, a
mailbox yields explicitly every `checkpoint_every` messages. Waiting is cancellable
through anyio cancel scopes, which is how everything here cancels: a sender cancelled
that way delivers nothing, and a receiver cancelled after a message was handed to it
puts the message back at the head of the buffer. (A bare `Task.cancel()` that lands
after a waiting sender's message was taken leaves it delivered while the sender sees
the cancellation; nothing in Reactor cancels that way.)
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from typing import Any, Generic, Literal, Protocol, TypeVar

import anyio
import anyio.lowlevel

from reactor._errors import MailboxClosed

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


def new_future() -> asyncio.Future[Any]:
    """`asyncio.get_running_loop().create_future()` without the loop's Python method:
    what asyncio's loops (and uvloop's) do there, made in C."""
    return asyncio.Future(loop=asyncio.get_running_loop())


class _Closed:
    """What a parked sender or receiver is woken with when the channel closes."""


_CLOSED: Any = _Closed()
CLOSED: Any = _CLOSED
"""What a future from `Channel.park` is handed when the channel closes."""


class Nothing(enum.Enum):
    """`Mailbox.poll`'s answer when it has no message to hand over without waiting."""

    NOTHING = enum.auto()


NOTHING = Nothing.NOTHING


class Channel(Generic[T]):
    """A bounded FIFO between tasks of one event loop.

    `send_nowait` raises `anyio.WouldBlock` when full and `anyio.ClosedResourceError`
    once either end is closed; `receive_nowait` raises `anyio.WouldBlock` when empty
    and `anyio.EndOfStream` once the sending end is closed and the buffer drained.
    """

    __slots__ = ("buffer", "receivers", "receiving_closed", "senders", "sending_closed",
                 "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.buffer: deque[T] = deque()
        self.receivers: deque[asyncio.Future[Any]] = deque()
        self.senders: deque[tuple[T, asyncio.Future[Any]]] = deque()
        self.sending_closed = False
        self.receiving_closed = False

    @property
    def receivers_waiting(self) -> int:
        return sum(1 for waiter in self.receivers if not waiter.done())

    def send_nowait(self, item: T) -> None:
        if self.sending_closed:  # closing the receiving end closes this one too
            raise anyio.ClosedResourceError
        receivers = self.receivers
        while receivers:
            waiter = receivers.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        if len(self.buffer) < self.size:
            self.buffer.append(item)
            return
        raise anyio.WouldBlock

    async def send(self, item: T) -> None:
        try:
            self.send_nowait(item)
            return
        except anyio.WouldBlock:
            pass
        waiter = new_future()
        entry = (item, waiter)
        self.senders.append(entry)
        try:
            result = await waiter
        except BaseException:
            if not waiter.done() or waiter.cancelled():
                try:
                    self.senders.remove(entry)
                except ValueError:
                    pass
            raise
        if result is _CLOSED:
            raise anyio.ClosedResourceError

    def receive_nowait(self) -> T:
        if self.receiving_closed:
            raise anyio.ClosedResourceError
        buffer = self.buffer
        if buffer:
            item = buffer.popleft()
            self._admit_sender()
            return item
        senders = self.senders
        while senders:
            item, waiter = senders.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return item
        if self.sending_closed:
            raise anyio.EndOfStream
        raise anyio.WouldBlock

    @property
    def empty(self) -> bool:
        """`receive_nowait` would raise `anyio.WouldBlock`: nothing buffered, no sender
        waiting, neither end closed. Checked first where waiting is common, because
        raising and catching that exception costs more than the check."""
        return not self.buffer and not self.senders and not self.sending_closed

    async def receive(self) -> T:
        if not self.empty:
            try:
                return self.receive_nowait()
            except anyio.WouldBlock:
                pass  # the only senders waiting had been cancelled
        waiter = self.park()
        try:
            item = await waiter
        except BaseException:
            self.unpark(waiter)
            raise
        if item is _CLOSED:
            raise anyio.EndOfStream
        return item  # type: ignore[no-any-return]

    def park(self) -> asyncio.Future[Any]:
        """`receive` up to its wait, for a receiver that awaits in its own frame (a frame
        less on every wake-up): the future an item (or `_CLOSED`) will be handed to.
        Only when the channel is `empty`; a receiver leaving calls `unpark`."""
        waiter = new_future()
        self.receivers.append(waiter)
        return waiter

    def unpark(self, waiter: asyncio.Future[Any]) -> None:
        """The receiver waiting on `waiter` left (cancelled): an item already handed to it
        goes back to the head of the buffer for the next receive."""
        if waiter.done() and not waiter.cancelled():
            handed = waiter.result()
            if handed is not _CLOSED and not self.receiving_closed:
                self.buffer.appendleft(handed)  # not taken: the next receive gets it
        else:
            waiter.cancel()
            try:
                self.receivers.remove(waiter)
            except ValueError:
                pass

    def _admit_sender(self) -> None:
        senders = self.senders
        while senders and len(self.buffer) < self.size:
            item, waiter = senders.popleft()
            if not waiter.done():
                self.buffer.append(item)
                waiter.set_result(None)

    def close_sending(self) -> None:
        """No more items: waiting senders fail, receivers drain then see the end."""
        self.sending_closed = True
        self._wake_senders()
        if not self.buffer:
            self._wake_receivers()

    def close_receiving(self) -> None:
        """The receiver is gone: the buffer is dropped and every sender fails."""
        self.receiving_closed = True
        self.sending_closed = True
        self.buffer.clear()
        self._wake_senders()
        self._wake_receivers()

    def _wake_senders(self) -> None:
        if not self.senders:
            return  # the common case: a flow closes with nobody waiting on it
        senders, self.senders = self.senders, deque()
        for _, waiter in senders:
            if not waiter.done():
                waiter.set_result(_CLOSED)

    def _wake_receivers(self) -> None:
        if not self.receivers:
            return
        receivers, self.receivers = self.receivers, deque()
        for waiter in receivers:
            if not waiter.done():
                waiter.set_result(_CLOSED)


class Inbox(Protocol[T_contra]):
    """The sending side of a mailbox: what a stage holds of the next stage."""

    async def send(self, message: T_contra) -> None: ...

    def put_nowait(self, message: T_contra) -> bool: ...

    def try_send(self, message: T_contra) -> bool: ...


class Mailbox(Generic[T]):
    """A bounded, observable queue with one receiver (its actor)."""

    __slots__ = (
        "_blocked",
        "_channel",
        "_checkpoint_every",
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
        self._channel: Channel[T] = Channel(size)
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
        return len(self._channel.buffer)

    @property
    def idle(self) -> bool:
        """Nothing buffered and the receiver is waiting for the next message."""
        channel = self._channel
        return not channel.buffer and channel.receivers_waiting > 0

    @property
    def blocked_senders(self) -> int:
        """Senders waiting right now for room."""
        return self._blocked

    async def send(self, message: T) -> None:
        """Deliver `message`, waiting while the mailbox is full."""
        channel = self._channel
        buffer = channel.buffer
        # The common case, inlined: room in the buffer and no receiver parked on it.
        if not channel.receivers and len(buffer) < channel.size and \
                not channel.sending_closed:
            buffer.append(message)
            return
        try:
            channel.send_nowait(message)
            return
        except anyio.WouldBlock:
            pass
        except anyio.ClosedResourceError:
            raise MailboxClosed(self.name) from None
        self._blocked += 1
        self.blocked_total += 1
        started = time.perf_counter()
        try:
            await channel.send(message)
        except anyio.ClosedResourceError:
            raise MailboxClosed(self.name) from None
        finally:
            self._blocked -= 1
            self.wait_seconds_total += time.perf_counter() - started

    def put_nowait(self, message: T) -> bool:
        """Deliver `message` if that needs no wait; False, counted as nothing, when the
        mailbox is full or closed (then `send`, which waits or raises). A coroutine less
        per message on an edge that waits."""
        channel = self._channel
        buffer = channel.buffer
        # The common case, inlined as in `send`.
        if not channel.receivers and len(buffer) < channel.size and \
                not channel.sending_closed:
            buffer.append(message)
            return True
        try:
            self._channel.send_nowait(message)
        except (anyio.WouldBlock, anyio.ClosedResourceError):
            return False
        return True

    def try_send(self, message: T) -> bool:
        """Deliver `message` if there is room now; False when full."""
        channel = self._channel
        buffer = channel.buffer
        if not channel.receivers and len(buffer) < channel.size and \
                not channel.sending_closed:
            buffer.append(message)  # the common case, inlined as in `send`
            return True
        try:
            self._channel.send_nowait(message)
        except anyio.WouldBlock:
            self.rejected_total += 1
            return False
        except anyio.ClosedResourceError:
            raise MailboxClosed(self.name) from None
        return True

    async def receive(self) -> T:
        """The next message; raises `anyio.EndOfStream` once closed and drained."""
        self._since_checkpoint += 1
        if self._since_checkpoint >= self._checkpoint_every:
            self._since_checkpoint = 0
            await anyio.lowlevel.checkpoint()
        channel = self._channel
        buffer = channel.buffer
        # A closed receiving end has an empty buffer: that case takes the slow path.
        if buffer and not channel.senders:
            message = buffer.popleft()  # the common case, inlined
        elif not buffer and not channel.senders and not channel.sending_closed:  # `empty`
            self._since_checkpoint = 0
            # `channel.receive`, awaited here, and its `park`: two calls and a frame less
            # on every wake-up.
            waiter = new_future()
            channel.receivers.append(waiter)
            try:
                message = await waiter
            except BaseException:
                channel.unpark(waiter)
                raise
            if message is _CLOSED:
                raise anyio.EndOfStream
        else:
            try:
                message = channel.receive_nowait()
            except anyio.WouldBlock:
                self._since_checkpoint = 0
                message = await channel.receive()
        self.received_total += 1
        return message

    def poll(self) -> T | Literal[Nothing.NOTHING]:
        """The next message if one is buffered and no checkpoint is due, else `NOTHING`
        (then `receive` waits, or yields to the loop, as it must). What an actor's loop
        tries first: a message taken this way costs no coroutine."""
        channel = self._channel
        buffer = channel.buffer
        since = self._since_checkpoint + 1
        if buffer and since < self._checkpoint_every and not channel.senders:  # open: buffer
            self._since_checkpoint = since
            self.received_total += 1
            return buffer.popleft()
        return NOTHING

    def receive_nowait(self) -> T:
        """The next buffered message; raises `anyio.WouldBlock` when there is none."""
        message = self._channel.receive_nowait()
        self.received_total += 1
        return message

    def close(self) -> None:
        """Stop accepting messages: senders get MailboxClosed; the receiver drains what is
        buffered, then its `receive` raises `anyio.EndOfStream`."""
        self._channel.close_sending()

    def dispose(self) -> None:
        """Release both ends at once (after the receiver has stopped)."""
        self._channel.close_receiving()
