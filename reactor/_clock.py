"""Injectable time: every stage asks a Clock, never the time module.

`SystemClock` is the real one. `FakeClock` only moves when a test advances it, so
breakers, rate limits, TTLs and backoff are tested without sleeping.
"""

from __future__ import annotations

import heapq
import itertools
import time
from typing import Protocol

import anyio


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds, for durations and deadlines."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch, for timestamps people read."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    # The time functions themselves, not methods around them: stages ask the clock
    # several times per request, and a Python frame costs more than the reading.
    now = staticmethod(time.monotonic)
    wall = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class FakeClock:
    """A clock that stands still until `advance` is called.

    Sleepers are woken in deadline order when the clock passes their deadline.
    """

    def __init__(self, start: float = 1000.0, wall_offset: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_offset
        self._sleepers: list[tuple[float, int, anyio.Event]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now + self._wall_offset

    @property
    def sleepers(self) -> int:
        return sum(1 for _, _, ev in self._sleepers if not ev.is_set())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        event = anyio.Event()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), event))
        try:
            await event.wait()
        finally:
            event.set()  # a cancelled sleeper no longer counts as sleeping

    def advance(self, seconds: float) -> None:
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, event = heapq.heappop(self._sleepers)
            event.set()
