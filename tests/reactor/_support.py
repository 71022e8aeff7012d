"""Helpers shared by the runtime tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from reactor import FakeClock

Closing = Callable[[Any], Any]
"""The type of the `closing` fixture: registers a resource to close after the test."""


def leaves(exc: BaseException) -> list[BaseException]:
    """The non-group exceptions inside `exc`, however deeply task groups wrapped them."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


def _blocked(task: asyncio.Task[Any]) -> bool:
    waiter = task._fut_waiter  # type: ignore[attr-defined]
    return waiter is not None and not waiter.done()


async def settle_tasks() -> None:
    """Let every other task run until all of them are blocked.

    The test of `anyio.wait_all_tasks_blocked()`, which naps 0.1 s between polls;
    polling after each pass of the event loop keeps the suite fast.
    """
    this = asyncio.current_task()
    while True:
        await asyncio.sleep(0)
        if all(task is this or _blocked(task) for task in asyncio.all_tasks()):
            return


async def advance_when_asleep(clock: FakeClock, seconds: float, *, sleepers: int = 1) -> None:
    """Wait until `sleepers` tasks sleep on `clock`, then move it on by `seconds`."""
    await settle_tasks()
    assert clock.sleepers == sleepers
    clock.advance(seconds)
    await settle_tasks()
