"""The system: one root task group, every actor supervised, graceful shutdown.

Only the supervisor catches `Exception`. A crashed actor is told which message it was
handling (so that request's caller gets an error instead of a hang), waits a backoff
that doubles with each crash, and restarts with the same mailbox: queued messages are
not lost. More than `max_restarts` crashes inside `window_s` escalate: the system stops
and `run` raises `Escalated`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import anyio
import structlog
from anyio.abc import TaskStatus

from reactor._actor import Actor
from reactor._clock import Clock, SystemClock
from reactor._errors import Escalated

log = structlog.get_logger("reactor.system")


class RestartPolicy:
    __slots__ = ("backoff_max_s", "backoff_s", "max_restarts", "window_s")

    def __init__(
        self,
        max_restarts: int = 5,
        window_s: float = 60.0,
        backoff_s: float = 0.05,
        backoff_max_s: float = 5.0,
    ) -> None:
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s


class System:
    """Starts, supervises and stops a set of actors."""

    def __init__(self, *, clock: Clock | None = None, policy: RestartPolicy | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or RestartPolicy()
        self.actors: list[Actor[Any]] = []
        self._scope: anyio.CancelScope | None = None
        self._shielded: set[int] = set()
        self._shields: list[anyio.CancelScope] = []

    def add(self, actor: Actor[Any], *, shielded: bool = False) -> None:
        """`shielded`: the actor is not cancelled with the scope the system runs in,
        only by `stop` (or when another actor fails): it can still finish what is in its
        mailbox after the rest was cancelled, once its mailbox is closed."""
        self.actors.append(actor)
        if shielded:
            self._shielded.add(id(actor))

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run every actor until `stop` is called or one escalates."""
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                async with anyio.create_task_group() as tg:
                    for actor in self.actors:
                        await tg.start(self._supervise, actor)
                    task_status.started()
        except BaseExceptionGroup as group:
            escalated = group.subgroup(Escalated)
            if escalated is not None and len(escalated.exceptions) == 1:
                raise escalated.exceptions[0] from group
            raise
        finally:
            self._scope = None
            for actor in self.actors:
                actor.mailbox.dispose()

    def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        self._end_shielded()

    def _end_shielded(self) -> None:
        for shield in self._shields:
            shield.cancel()

    async def _supervise(
        self, actor: Actor[Any], *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        if id(actor) not in self._shielded:
            await self._supervised(actor, task_status)
            return
        with anyio.CancelScope(shield=True) as shield:
            self._shields.append(shield)
            try:
                await self._supervised(actor, task_status)
            finally:
                self._shields.remove(shield)

    async def _supervised(self, actor: Actor[Any], task_status: TaskStatus[None]) -> None:
        try:
            await self._restarting(actor, task_status)
        except Exception:
            # A failure ends the system: the shielded actors too, or it would wait on them.
            self._end_shielded()
            raise

    async def _restarting(self, actor: Actor[Any], task_status: TaskStatus[None]) -> None:
        crashes: deque[float] = deque()
        policy = self.policy
        first = True
        while True:
            try:
                if first:
                    first = False
                    await actor.run(task_status=task_status)
                else:
                    await actor.run()
                return
            except Exception as exc:
                if not actor.started_once:
                    raise
                error: BaseException = exc
                while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
                    error = error.exceptions[0]  # the actor's task group wraps the handler's
                message = actor.current
                actor.current = None
                actor.crashed(message, error)
                now = self.clock.now()
                crashes.append(now)
                while crashes and crashes[0] < now - policy.window_s:
                    crashes.popleft()
                log.error(
                    "actor_crashed",
                    actor=actor.name,
                    error=repr(error),
                    restarts_in_window=len(crashes),
                    exc_info=error,
                )
                if len(crashes) > policy.max_restarts:
                    log.critical("actor_escalated", actor=actor.name, crashes=len(crashes))
                    raise Escalated(actor.name, len(crashes), error) from exc
                backoff = min(policy.backoff_max_s, policy.backoff_s * 2 ** (len(crashes) - 1))
                await self.clock.sleep(backoff)
                actor.restarts += 1
                log.warning("actor_restarted", actor=actor.name, restarts=actor.restarts)
