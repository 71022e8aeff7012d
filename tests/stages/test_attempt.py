"""An attempt's timeouts (`Watchdog`), on a loop whose time the test moves; what an answer wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import anyio

from reactor._events import Token, ToolCallDelta
from stages.attempt import Alarm, Watchdog, written


class _Timer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self._when = when
        self.callback = callback
        self.cancelled = False

    def when(self) -> float:
        return self._when

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """`time` and `call_at`, as the watchdog uses them; time moves only in `run_until`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[_Timer] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(when, callback)
        self.timers.append(timer)
        return timer

    def run_until(self, until: float) -> None:
        while True:
            due = [t for t in self.timers if not t.cancelled and t.when() <= until]
            if not due:
                break
            timer = min(due, key=_Timer.when)
            self.timers.remove(timer)
            self.now = max(self.now, timer.when())
            timer.callback()
        self.now = until


def watchdog(loop: FakeLoop, *, ttft_s: float, stall_s: float, attempt_s: float = 300.0,
             request_s: float = 600.0) -> tuple[Watchdog, anyio.CancelScope]:
    scope = anyio.CancelScope()
    alarm = Alarm(cast(asyncio.AbstractEventLoop, cast(Any, loop)))
    dog = Watchdog(alarm, scope, loop.now, ttft_s, stall_s, loop.now + attempt_s,
                   loop.now + request_s)
    return dog, scope


def cancelled_at(loop: FakeLoop, scope: anyio.CancelScope, until: float) -> float | None:
    """Run the loop up to `until`; the time the attempt was cancelled, if it was."""
    while loop.now < until:
        step = min(until, loop.now + 0.25)
        loop.run_until(step)
        if scope.cancel_called:
            return loop.now
    return None


async def test_silence_after_the_first_token_is_a_stall_even_long_before_the_ttft_timeout() -> None:
    loop = FakeLoop()
    dog, scope = watchdog(loop, ttft_s=60.0, stall_s=2.0)
    loop.run_until(1.0)
    dog.first_token()

    assert cancelled_at(loop, scope, 100.0) == 3.0


async def test_a_stall_after_waiting_on_a_slow_reader_is_still_caught() -> None:
    loop = FakeLoop()
    dog, scope = watchdog(loop, ttft_s=1.0, stall_s=2.0)
    loop.run_until(0.5)
    dog.first_token()
    dog.pause()  # the reader is behind: the timers at 1 s and 2.5 s come and go

    assert cancelled_at(loop, scope, 50.0) is None
    dog.resume()  # the reader took the token; then the upstream says nothing

    assert cancelled_at(loop, scope, 100.0) == 52.0


async def test_time_spent_waiting_on_the_reader_does_not_count_against_the_attempt() -> None:
    loop = FakeLoop()
    dog, scope = watchdog(loop, ttft_s=5.0, stall_s=5.0, attempt_s=10.0)
    loop.run_until(1.0)
    dog.first_token()
    dog.pause()
    loop.run_until(21.0)
    dog.resume()  # 20 s waiting on the reader; the upstream has used 1 s of its 10
    for now in (24.0, 27.0, 29.5):
        loop.run_until(now)
        assert not scope.cancel_called
        dog.last = now  # a token

    assert cancelled_at(loop, scope, 100.0) == 30.0


async def test_the_reader_wait_is_bounded_by_the_request_deadline() -> None:
    loop = FakeLoop()
    dog, scope = watchdog(loop, ttft_s=1.0, stall_s=2.0, request_s=40.0)
    dog.first_token()
    dog.pause()

    assert cancelled_at(loop, scope, 100.0) == 40.0


def test_written_counts_text_and_tool_call_names_and_arguments_but_not_ids() -> None:
    tokens = [
        Token(text="Hello"),
        Token(text="", tool_calls=[ToolCallDelta(index=0, id="call_1", name="lookup",
                                                 arguments='{"q":')]),
        Token(text=" you", tool_calls=[ToolCallDelta(index=0, arguments='"x"}')]),
    ]
    assert written(tokens) == len("Hello") + len("lookup") + len('{"q":') + len(" you") \
        + len('"x"}')
    assert written([]) == 0


async def test_attempts_sharing_an_alarm_are_each_cancelled_at_their_own_deadline() -> None:
    loop = FakeLoop()
    alarm = Alarm(cast(asyncio.AbstractEventLoop, cast(Any, loop)))
    scopes = {name: anyio.CancelScope() for name in ("slow", "quick", "done")}
    cancelled: dict[str, float] = {}
    dogs = {"slow": Watchdog(alarm, scopes["slow"], 0.0, 10.0, 10.0, 300.0, 600.0)}
    loop.run_until(1.0)
    dogs["quick"] = Watchdog(alarm, scopes["quick"], 1.0, 2.0, 2.0, 300.0, 600.0)
    dogs["done"] = Watchdog(alarm, scopes["done"], 1.0, 1.0, 1.0, 300.0, 600.0)
    dogs["done"].stop()  # answered before its deadline

    while loop.now < 100.0:
        loop.run_until(loop.now + 0.25)
        for name, scope in scopes.items():
            if scope.cancel_called and name not in cancelled:
                cancelled[name] = loop.now

    assert cancelled == {"quick": 3.0, "slow": 10.0}
    assert not alarm.watched
    assert [t for t in loop.timers if not t.cancelled] == []  # nothing left to wait for


async def test_the_alarm_forgets_the_attempts_that_ended() -> None:
    loop = FakeLoop()
    alarm = Alarm(cast(asyncio.AbstractEventLoop, cast(Any, loop)))
    live = Watchdog(alarm, anyio.CancelScope(), 0.0, 60.0, 60.0, 300.0, 600.0)
    for _ in range(1000):  # answered long before their deadlines
        Watchdog(alarm, anyio.CancelScope(), 0.0, 60.0, 60.0, 300.0, 600.0).stop()

    assert alarm.watched == {live}
    assert len(alarm.queue) <= 2 * len(alarm.watched) + 64


async def test_hanging_attempts_are_cancelled_one_by_one_at_their_deadlines() -> None:
    loop = FakeLoop()
    alarm = Alarm(cast(asyncio.AbstractEventLoop, cast(Any, loop)))
    scopes: list[anyio.CancelScope] = []
    cancelled: dict[int, float] = {}
    for now in range(131):  # one attempt a second for 100 s, none answering
        loop.run_until(float(now))
        cancelled.update({n: loop.now for n, scope in enumerate(scopes)
                          if scope.cancel_called and n not in cancelled})
        if now < 100:
            scopes.append(anyio.CancelScope())
            Watchdog(alarm, scopes[-1], loop.now, 30.0, 30.0, 300.0, 600.0)

    assert cancelled == {n: n + 30.0 for n in range(100)}
    assert not alarm.watched
