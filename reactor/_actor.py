"""Actors: private state, one bounded mailbox, one message at a time.

An actor is a thin async shell: `handle` decides what a message means, usually by
calling a pure synchronous core, then forwards messages on. A message that needs no
wait (an outcome a book records, a job passed on to a mailbox with room) may be taken
by `handle_nowait` instead, a plain call rather than a coroutine. Work that takes long (an
upstream call, a cache replay) runs in a task the actor owns, started with `spawn`,
bounded by the actor's semaphore: when every slot is taken the actor stops
reading its mailbox, the mailbox fills, and the senders upstream wait.

Starting an anyio task costs ~25 µs, several times the work of a short job, so a task
that finishes its job waits (a while, up to `max_idle_workers` of them) to be handed
the next one instead of ending. Each job still runs in a task of the actor's task group,
one job at a time per task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, copy_context
from typing import Any, Generic, TypeVar, TypeVarTuple

import anyio
from anyio.abc import TaskGroup, TaskStatus

from reactor._events import ErrorInfo
from reactor._mailbox import NOTHING, Mailbox, new_future
from reactor._messages import Completed, Job

M = TypeVar("M")
Ts = TypeVarTuple("Ts")

Work = tuple[Callable[..., Awaitable[Any]], tuple[Any, ...]]


class _Slot:
    """The concurrency slot held by the job a worker task is running."""

    __slots__ = ("actor", "held", "task")

    def __init__(self, actor: Actor[Any]) -> None:
        self.actor = actor
        self.held = False
        # Tasks the job starts inherit the context variable, not the slot.
        self.task = asyncio.current_task()


_SLOT: ContextVar[_Slot | None] = ContextVar("reactor_actor_slot", default=None)


class Actor(Generic[M]):
    """Base class: subclasses implement `handle` and may override the hooks."""

    name: str = "actor"

    def __init__(
        self,
        *,
        name: str | None = None,
        mailbox_size: int = 256,
        max_tasks: int = 1024,
        checkpoint_every: int = 64,
        max_idle_workers: int = 64,
    ) -> None:
        if name is not None:
            self.name = name
        self.mailbox: Mailbox[M] = Mailbox(
            self.name, mailbox_size, checkpoint_every=checkpoint_every
        )
        self._max_tasks = max_tasks
        self._max_idle = max_idle_workers
        self._limiter = anyio.Semaphore(max_tasks, fast_acquire=True)
        self._tg: TaskGroup | None = None
        self._idle: list[asyncio.Future[Work | None]] = []
        self.current: M | None = None
        self.restarts = 0
        self.started_once = False
        self.ended: anyio.Event | None = None
        """Set once the actor has handled its mailbox to its close and stopped."""
        self.book_crash: Callable[[Job, ErrorInfo], None] | None = None
        """Books a request this stage's crash ended (set by the pipeline for the stages
        a request passes through): its ledger line and metrics, its reservations back."""

    # hooks

    async def started(self) -> None:
        """Runs at every (re)start, before the first message: (re)build state here."""

    async def handle(self, message: M) -> None:
        raise NotImplementedError

    def handle_nowait(self, message: M) -> bool:
        """Handle `message` at once if that needs no wait (True), else leave it to
        `handle` (False) having changed nothing. An actor whose messages mostly need no
        wait (a book, a learner) overrides this: a message handled here costs no
        coroutine."""
        return False

    def crashed(self, message: M | None, exc: BaseException) -> None:
        """The handler of `message` raised `exc`; tell whoever waits on it.

        By default a request in the pipeline ends with a 500 (never a hang); an outcome
        being booked is already settled and is left alone.
        """
        job = getattr(message, "job", None)
        if isinstance(job, Job) and not isinstance(message, Completed):
            error = ErrorInfo(
                status=500, type="server_error", code="internal_error",
                message=f"internal error in stage {self.name!r}; the stage was restarted")
            unended = not job.flow.finished
            job.flow.fail_nowait(error)
            if unended and self.book_crash is not None:
                self.book_crash(job, error)
            job.flow.settle()

    async def stopping(self) -> None:
        """Runs when the mailbox has closed and drained, before the actor exits."""

    # running

    @property
    def tasks_running(self) -> int:
        return self._max_tasks - self._limiter.value

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Serve the mailbox until it closes. Exceptions propagate to the supervisor."""
        self._limiter = anyio.Semaphore(self._max_tasks, fast_acquire=True)
        self._idle = []
        if self.ended is None:
            self.ended = anyio.Event()
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                await self.started()
                task_status.started()
                self.started_once = True
                poll, receive = self.mailbox.poll, self.mailbox.receive
                handle = self.handle
                # Looked up once: an actor without `handle_nowait` pays no call for it.
                handle_nowait = self.handle_nowait \
                    if type(self).handle_nowait is not Actor.handle_nowait else None
                while True:
                    # A buffered message is taken without a coroutine; `receive` waits
                    # for one, and takes the mailbox's checkpoints.
                    message = poll()
                    if message is NOTHING:
                        try:
                            message = await receive()
                        except anyio.EndOfStream:
                            break
                    self.current = message
                    if handle_nowait is None or not handle_nowait(message):
                        await handle(message)
                    self.current = None
                    del message  # waiting for the next one must not keep this request alive
                await self.stopping()
                self.ended.set()
            finally:
                self._tg = None
                # Idle workers end now; busy ones end when their job does.
                idle, self._idle = self._idle, []
                for waiter in idle:
                    if not waiter.done():
                        waiter.set_result(None)

    async def spawn(self, func: Callable[[*Ts], Awaitable[Any]], *args: *Ts) -> None:
        """Run `func(*args)` as a task of this actor, waiting for a free slot.

        The task holds its slot until it returns, or until it calls `release_slot`.
        """
        if self._tg is None:
            raise RuntimeError(f"actor {self.name!r} is not running")
        # Only the actor's own loop spawns, so nobody else can be queued for a slot: with
        # one free, take it at once. `acquire` would first walk the task's cancel scopes
        # (~1 µs a job); a cancelled actor still stops at its mailbox's next checkpoint.
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self._limiter.acquire()
        self._start(self._tg, (func, args))

    def spawn_nowait(self, func: Callable[[*Ts], Awaitable[Any]], *args: *Ts) -> bool:
        """`spawn` if a slot is free now; False, with nothing started, if none is (then
        `spawn`, which waits for one). A coroutine less per job when slots are free."""
        tg = self._tg
        if tg is None:
            raise RuntimeError(f"actor {self.name!r} is not running")
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            return False
        self._start(tg, (func, args))
        return True

    def _start(self, tg: TaskGroup, work: Work) -> None:
        """Hand `work`, its slot taken, to an idle worker, or to a new one."""
        idle = self._idle
        while idle:
            waiter = idle.pop()
            if not waiter.done():
                waiter.set_result(work)
                return
        tg.start_soon(self._worker, work)

    def release_slot(self) -> None:
        """Give the calling task's slot back early (it goes on, unbounded by the actor)."""
        slot = _SLOT.get()
        if slot is not None and slot.actor is self and slot.held and \
                slot.task is asyncio.current_task():
            slot.held = False
            self._limiter.release()

    async def _worker(self, work: Work) -> None:
        slot = _Slot(self)
        _SLOT.set(slot)
        # A job that set a context variable (a request id bound for its logs) leaves it
        # in this task: the next job must not inherit it, so this task ends instead.
        # Comparing contexts is a pointer check while nothing was set.
        fresh = copy_context()
        next_work: Work | None = work
        del work
        while next_work is not None:
            await self._run_job(slot, next_work)
            next_work = None  # an idle worker must not keep its last job's request alive
            if self._tg is None or len(self._idle) >= self._max_idle or \
                    copy_context() != fresh:
                return
            waiter: asyncio.Future[Work | None] = new_future()
            self._idle.append(waiter)
            try:
                next_work = await waiter
            except BaseException:
                handed = waiter.result() if waiter.done() and not waiter.cancelled() else None
                waiter.cancel()
                if handed is not None:
                    # Handed a job as the actor stopped: run it (it sees the cancellation
                    # at its first wait) so that it ends its request as a task would.
                    await self._run_job(slot, handed)
                raise

    async def _run_job(self, slot: _Slot, work: Work) -> None:
        func, args = work
        slot.held = True
        try:
            await func(*args)
        finally:
            if slot.held:
                slot.held = False
                self._limiter.release()
