from __future__ import annotations

from typing import Any

import anyio
import pytest
from anyio.abc import TaskStatus
from structlog.testing import capture_logs

from reactor import Actor, Escalated, FakeClock, MailboxClosed, RestartPolicy, System
from tests.reactor._support import Closing, advance_when_asleep, leaves, settle_tasks


class Flaky(Actor[str]):
    """Crashes on any message starting with "boom"; records everything else."""

    name = "flaky"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.starts = 0
        self.handled: list[str] = []
        self.crashes: list[tuple[str | None, BaseException]] = []

    async def started(self) -> None:
        self.starts += 1

    async def handle(self, message: str) -> None:
        if message.startswith("boom"):
            raise ValueError(message)
        self.handled.append(message)

    def crashed(self, message: str | None, exc: BaseException) -> None:
        self.crashes.append((message, exc))

    @property
    def crashed_on(self) -> list[str | None]:
        return [message for message, _ in self.crashes]


class Running:
    """`System.run` in a task of its own; what it raised is kept for the test to check."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.error: Exception | None = None
        self.ended = anyio.Event()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await self.system.run(task_status=task_status)
        except Exception as exc:
            self.error = exc
        finally:
            self.ended.set()


def make_system(
    clock: FakeClock, closing: Closing, *actors: Actor[str], **policy: Any
) -> System:
    system = System(clock=clock, policy=RestartPolicy(**policy))
    for actor in actors:
        closing(actor.mailbox)
        system.add(actor)
    return system


async def test_a_crashed_actor_restarts_and_keeps_its_mailbox(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky(mailbox_size=8)
    system = make_system(clock, closing, actor, max_restarts=3, backoff_s=1.0)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            for message in ("a", "boom", "b", "c"):
                await actor.mailbox.send(message)
            await settle_tasks()

            assert actor.handled == ["a"]
            assert actor.crashed_on == ["boom"]
            assert actor.starts == 1

            await advance_when_asleep(clock, 1.0)

            assert actor.starts == 2
            assert actor.restarts == 1
            assert actor.handled == ["a", "b", "c"]

            await actor.mailbox.send("d")
            await settle_tasks()
            assert actor.handled == ["a", "b", "c", "d"]
            system.stop()


async def test_crashed_is_told_which_message_failed(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor, backoff_s=1.0)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            await actor.mailbox.send("boom-42")
            await settle_tasks()
            system.stop()

    [(message, exc)] = actor.crashes
    assert message == "boom-42"
    assert [str(e) for e in leaves(exc)] == ["boom-42"]
    assert actor.current is None


async def test_crashed_gets_the_exception_the_handler_raised(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor, backoff_s=1.0)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            await actor.mailbox.send("boom")
            await settle_tasks()
            system.stop()

    [(_, exc)] = actor.crashes
    assert isinstance(exc, ValueError)


async def test_backoff_waits_on_the_clock_doubling_up_to_the_cap(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(
        clock, closing, actor, max_restarts=10, backoff_s=1.0, backoff_max_s=5.0
    )

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            for crash, backoff in enumerate([1.0, 2.0, 4.0, 5.0, 5.0], start=1):
                await actor.mailbox.send("boom")
                await settle_tasks()

                await advance_when_asleep(clock, backoff - 0.5)
                assert actor.starts == crash, f"restarted early after crash {crash}"

                await advance_when_asleep(clock, 0.5)
                assert actor.starts == crash + 1, f"not restarted after crash {crash}"

            assert actor.restarts == 5
            system.stop()


async def test_too_many_crashes_in_the_window_escalate(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky(mailbox_size=8)
    system = make_system(clock, closing, actor, max_restarts=2, window_s=60.0, backoff_s=1.0)
    running = Running(system)
    for message in ("boom-1", "boom-2", "boom-3", "after"):
        actor.mailbox.try_send(message)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(running.run)
            await advance_when_asleep(clock, 1.0)
            await advance_when_asleep(clock, 2.0)
            await running.ended.wait()

    assert isinstance(running.error, Escalated)
    assert running.error.actor == "flaky"
    assert running.error.restarts == 3
    assert "boom-3" in str(running.error)
    assert actor.restarts == 2
    # Every caller is told, including the one whose crash escalated.
    assert actor.crashed_on == ["boom-1", "boom-2", "boom-3"]
    assert actor.handled == []
    assert clock.sleepers == 0


async def test_escalation_is_raised_by_run_itself(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor, max_restarts=0)
    actor.mailbox.try_send("boom")

    with anyio.fail_after(2), pytest.raises(Escalated) as info:
        await system.run()

    assert info.value.actor == "flaky"
    assert info.value.restarts == 1
    assert actor.restarts == 0


async def test_crashes_older_than_the_window_are_forgiven(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor, max_restarts=1, window_s=10.0, backoff_s=1.0)
    running = Running(system)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(running.run)
            await actor.mailbox.send("boom-1")
            await advance_when_asleep(clock, 1.0)
            assert actor.starts == 2

            clock.advance(20.0)
            await actor.mailbox.send("boom-2")
            # Only one crash inside the window: no escalation, and the first backoff again.
            await advance_when_asleep(clock, 1.0)
            assert actor.starts == 3
            assert running.error is None

            await actor.mailbox.send("boom-3")
            await running.ended.wait()

    assert isinstance(running.error, Escalated)
    assert running.error.restarts == 2


async def test_a_restart_that_fails_to_start_counts_as_a_crash(closing: Closing) -> None:
    class BadRestart(Flaky):
        async def started(self) -> None:
            await super().started()
            if self.starts > 1:
                raise OSError("cannot reconnect")

    clock = FakeClock()
    actor = BadRestart()
    system = make_system(clock, closing, actor, max_restarts=1, backoff_s=1.0)
    running = Running(system)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(running.run)
            await actor.mailbox.send("boom")
            await advance_when_asleep(clock, 1.0)
            await running.ended.wait()

    assert isinstance(running.error, Escalated)
    assert actor.crashed_on == ["boom", None]
    assert [type(e) for e in leaves(actor.crashes[1][1])] == [OSError]


async def test_escalation_stops_every_other_actor(closing: Closing) -> None:
    busy_since = anyio.Event()
    cancelled = anyio.Event()

    class Busy(Actor[str]):
        name = "busy"

        async def handle(self, message: str) -> None:
            busy_since.set()
            try:
                await anyio.Event().wait()
            finally:
                cancelled.set()

    clock = FakeClock()
    busy, flaky = Busy(), Flaky()
    system = make_system(clock, closing, busy, flaky, max_restarts=0)
    running = Running(system)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(running.run)
            await busy.mailbox.send("work")
            await busy_since.wait()
            await flaky.mailbox.send("boom")
            await running.ended.wait()

    assert isinstance(running.error, Escalated)
    assert cancelled.is_set()


async def test_a_startup_error_reaches_the_caller_without_restarts(closing: Closing) -> None:
    class Broken(Flaky):
        name = "broken"

        async def started(self) -> None:
            await super().started()
            raise KeyError("missing credentials")

    clock = FakeClock()
    healthy, broken = Flaky(), Broken()
    system = make_system(clock, closing, healthy, broken)

    with anyio.fail_after(2), pytest.raises(Exception) as info:
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)

    assert [type(e) for e in leaves(info.value)] == [KeyError]
    assert broken.starts == 1
    assert broken.crashes == []
    assert healthy.starts == 1
    assert clock.sleepers == 0


async def test_stop_ends_run(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            await actor.mailbox.send("a")
            await settle_tasks()
            system.stop()

    assert actor.handled == ["a"]
    # Nothing can be queued for an actor that will never run again.
    with pytest.raises(MailboxClosed):
        actor.mailbox.try_send("late")


async def test_stop_interrupts_a_backoff(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor, backoff_s=30.0)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            await actor.mailbox.send("boom")
            await settle_tasks()
            assert actor.restarts == 0
            system.stop()

    assert actor.restarts == 0
    assert actor.starts == 1


async def test_run_ends_once_every_mailbox_is_closed_and_drained(closing: Closing) -> None:
    clock = FakeClock()
    first, second = Flaky(name="first"), Flaky(name="second")
    system = make_system(clock, closing, first, second)
    first.mailbox.try_send("one")
    second.mailbox.try_send("two")
    first.mailbox.close()
    second.mailbox.close()

    with anyio.fail_after(2):
        await system.run()

    assert first.handled == ["one"]
    assert second.handled == ["two"]


async def test_crashes_and_restarts_are_logged_as_events(closing: Closing) -> None:
    clock = FakeClock()
    actor = Flaky()
    system = make_system(clock, closing, actor, max_restarts=1, backoff_s=1.0)
    running = Running(system)

    with capture_logs() as logs, anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(running.run)
            await actor.mailbox.send("boom")
            await advance_when_asleep(clock, 1.0)
            await actor.mailbox.send("boom")
            await running.ended.wait()

    events = [(log["event"], log["actor"]) for log in logs]
    assert events == [
        ("actor_crashed", "flaky"),
        ("actor_restarted", "flaky"),
        ("actor_crashed", "flaky"),
        ("actor_escalated", "flaky"),
    ]
    assert logs[0]["log_level"] == "error"
    assert logs[-1]["log_level"] == "critical"


class Gated(Actor[str]):
    """Handles each message only once `gate` is set; records what it handled."""

    name = "gated"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = anyio.Event()
        self.handled: list[str] = []

    async def handle(self, message: str) -> None:
        await self.gate.wait()
        self.handled.append(message)


async def test_a_shielded_actor_outlives_its_callers_cancellation_until_closed(
        closing: Closing) -> None:
    clock = FakeClock()
    book, other = Gated(name="book"), Gated(name="other")
    system = System(clock=clock)
    system.add(book, shielded=True)
    system.add(other)
    closing(book.mailbox)
    closing(other.mailbox)
    for actor in (book, other):
        for message in ("a", "b"):
            actor.mailbox.try_send(message)

    with anyio.fail_after(2):
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                await tg.start(system.run)
                await settle_tasks()
                scope.cancel()  # the unshielded actor ends here, the shielded one not
                with anyio.CancelScope(shield=True):
                    await settle_tasks()
                    book.mailbox.close()
                    book.gate.set()
                    other.gate.set()

    assert book.handled == ["a", "b"]
    assert other.handled == []


async def test_stop_ends_a_shielded_actor_too(closing: Closing) -> None:
    clock = FakeClock()
    book = Gated(name="book")
    system = System(clock=clock)
    system.add(book, shielded=True)
    closing(book.mailbox)
    book.mailbox.try_send("never handled")

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(system.run)
            await settle_tasks()
            system.stop()

    assert book.handled == []


async def test_escalation_ends_a_shielded_actor_too(closing: Closing) -> None:
    clock = FakeClock()
    book, flaky = Gated(name="book"), Flaky()
    system = System(clock=clock, policy=RestartPolicy(max_restarts=0))
    system.add(book, shielded=True)
    system.add(flaky)
    closing(book.mailbox)
    closing(flaky.mailbox)
    book.mailbox.try_send("never handled")
    running = Running(system)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(running.run)
            await flaky.mailbox.send("boom")
            await running.ended.wait()

    assert isinstance(running.error, Escalated)
    assert book.handled == []
