"""Helpers shared by the runtime tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio

from reactor import FakeClock


def leaves(exc: BaseException) -> list[BaseException]:
    """The non-group exceptions inside `exc`, however deeply task groups wrapped them."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


async def settle_tasks() -> None:
    """Let every other task run until all of them are blocked."""
    await anyio.wait_all_tasks_blocked()


async def advance_when_asleep(clock: FakeClock, seconds: float, *, sleepers: int = 1) -> None:
    """Wait until `sleepers` tasks sleep on `clock`, then move it on by `seconds`."""
    await anyio.wait_all_tasks_blocked()
    assert clock.sleepers == sleepers
    clock.advance(seconds)
    await anyio.wait_all_tasks_blocked()


Closing = Callable[[Any], Any]
"""The type of the `closing` fixture: registers a resource to close after the test."""
