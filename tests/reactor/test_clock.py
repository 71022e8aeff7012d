from __future__ import annotations

import time

import anyio

from reactor import FakeClock, SystemClock
from tests.reactor._support import settle_tasks


def test_fake_time_stands_still_until_advanced() -> None:
    clock = FakeClock(start=50.0, wall_offset=1_000.0)
    assert clock.now() == 50.0
    assert clock.wall() == 1_050.0
    assert clock.now() == 50.0

    clock.advance(2.5)

    assert clock.now() == 52.5
    assert clock.wall() == 1_052.5


async def test_a_sleeper_wakes_only_once_its_deadline_is_reached() -> None:
    clock = FakeClock()
    woke = anyio.Event()

    async def sleeper() -> None:
        await clock.sleep(10)
        woke.set()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sleeper)
            await settle_tasks()
            assert clock.sleepers == 1

            clock.advance(9.999)
            await settle_tasks()
            assert not woke.is_set()

            clock.advance(0.001)
            await woke.wait()

    assert clock.sleepers == 0


async def test_sleepers_wake_in_deadline_order() -> None:
    clock = FakeClock()
    order: list[float] = []

    async def sleeper(seconds: float) -> None:
        await clock.sleep(seconds)
        order.append(seconds)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            for seconds in (3.0, 1.0, 2.0):
                tg.start_soon(sleeper, seconds)
            await settle_tasks()
            assert clock.sleepers == 3

            clock.advance(1.5)
            await settle_tasks()
            assert order == [1.0]
            assert clock.sleepers == 2

            clock.advance(10)

    assert order == [1.0, 2.0, 3.0]


async def test_sleeping_zero_or_less_returns_without_advancing() -> None:
    clock = FakeClock()
    with anyio.fail_after(2):
        await clock.sleep(0)
        await clock.sleep(-1)
    assert clock.now() == 1000.0
    assert clock.sleepers == 0


async def test_sleep_is_measured_from_when_it_started() -> None:
    clock = FakeClock()
    clock.advance(100)
    woke = anyio.Event()

    async def sleeper() -> None:
        await clock.sleep(5)
        woke.set()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sleeper)
            await settle_tasks()
            clock.advance(4)
            await settle_tasks()
            assert not woke.is_set()
            clock.advance(1)
            await woke.wait()


async def test_a_cancelled_sleeper_is_no_longer_counted() -> None:
    clock = FakeClock()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(clock.sleep, 10)
            await settle_tasks()
            assert clock.sleepers == 1
            tg.cancel_scope.cancel()

    assert clock.sleepers == 0


async def test_system_clock_tells_real_time() -> None:
    clock = SystemClock()
    before = clock.now()
    assert abs(clock.wall() - time.time()) < 5
    await clock.sleep(0)
    assert clock.now() >= before
