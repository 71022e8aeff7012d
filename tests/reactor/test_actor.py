from __future__ import annotations

from contextvars import ContextVar
from itertools import pairwise
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from reactor import Actor
from tests.reactor._support import Closing, leaves, settle_tasks


class Recorder(Actor[str]):
    """Records what it is told; `boom` crashes it."""

    name = "recorder"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log: list[str] = []

    async def started(self) -> None:
        await anyio.lowlevel.checkpoint()  # as if opening a connection
        self.log.append("started")

    async def handle(self, message: str) -> None:
        if message == "boom":
            raise ValueError("boom")
        self.log.append(message)

    async def stopping(self) -> None:
        self.log.append("stopping")


class Worker(Actor[int]):
    """Runs each job as a task of its own; a job finishes when its gate opens."""

    name = "worker"

    def __init__(self, *, early_release: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.early_release = early_release
        self.gates: dict[int, anyio.Event] = {}
        self.running: set[int] = set()
        self.finished: list[int] = []

    async def handle(self, message: int) -> None:
        self.gates[message] = anyio.Event()
        await self.spawn(self.job, message)

    async def job(self, n: int) -> None:
        self.running.add(n)
        if self.early_release:
            self.release_slot()
        await self.gates[n].wait()
        self.running.discard(n)
        self.finished.append(n)


async def test_messages_are_handled_in_order_after_started(closing: Closing) -> None:
    actor = Recorder(mailbox_size=8)
    closing(actor.mailbox)
    for message in ("a", "b", "c"):
        actor.mailbox.try_send(message)
    actor.mailbox.close()

    with anyio.fail_after(2):
        await actor.run()

    assert actor.log == ["started", "a", "b", "c", "stopping"]


async def test_closing_the_mailbox_stops_a_running_actor_cleanly(closing: Closing) -> None:
    actor = Recorder()
    closing(actor.mailbox)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            await actor.mailbox.send("hello")
            await settle_tasks()
            actor.mailbox.close()

    assert actor.log == ["started", "hello", "stopping"]


async def test_start_returns_once_the_actor_is_ready(closing: Closing) -> None:
    actor = Recorder()
    closing(actor.mailbox)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            assert actor.log == ["started"]
            await actor.mailbox.send("hello")
            actor.mailbox.close()

    assert actor.log == ["started", "hello", "stopping"]


async def test_one_message_at_a_time(closing: Closing) -> None:
    gates = {n: anyio.Event() for n in range(3)}
    log: list[str] = []

    class Slow(Actor[int]):
        async def handle(self, message: int) -> None:
            log.append(f"begin {message}")
            await gates[message].wait()
            log.append(f"end {message}")

    actor = Slow(mailbox_size=4)
    closing(actor.mailbox)
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            for n in range(3):
                await actor.mailbox.send(n)
            await settle_tasks()
            assert log == ["begin 0"]
            assert actor.current == 0

            gates[0].set()
            await settle_tasks()
            assert log == ["begin 0", "end 0", "begin 1"]

            gates[1].set()
            gates[2].set()
            actor.mailbox.close()

    assert log[-1] == "end 2"
    assert actor.current is None


@pytest.mark.parametrize(("kind", "prefix", "handled"), [
    ("handle", "", "a"),
    ("handle_nowait", "quick ", "at once: quick a"),  # the plain call fails the same way
])
async def test_an_error_in_handle_ends_the_actor(closing: Closing, kind: str, prefix: str,
                                                 handled: str) -> None:
    actor = Recorder(mailbox_size=4) if kind == "handle" else Quick(mailbox_size=4)
    closing(actor.mailbox)
    for message in (f"{prefix}a", f"{prefix}boom", "never"):
        actor.mailbox.try_send(message)

    with anyio.fail_after(2), pytest.raises(Exception) as info:
        await actor.run()

    assert [type(e) for e in leaves(info.value)] == [ValueError]
    assert actor.log == ["started", handled]
    assert actor.current == f"{prefix}boom"
    # The rest stays queued for the next run.
    assert actor.mailbox.depth == 1


async def test_spawned_tasks_run_concurrently_up_to_max_tasks(closing: Closing) -> None:
    actor = Worker(mailbox_size=1, max_tasks=2)
    closing(actor.mailbox)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            for n in range(3):
                await actor.mailbox.send(n)
            await settle_tasks()

            assert actor.running == {0, 1}
            assert actor.tasks_running == 2
            # Job 2 waits for a slot inside `handle`, so the actor stops reading...
            assert actor.current == 2
            assert 2 not in actor.running

            actor.gates[0].set()
            await settle_tasks()
            assert actor.running == {1, 2}
            assert actor.tasks_running == 2

            for gate in actor.gates.values():
                gate.set()
            actor.mailbox.close()

    assert sorted(actor.finished) == [0, 1, 2]
    assert actor.tasks_running == 0


async def test_busy_tasks_push_back_on_senders(closing: Closing) -> None:
    actor = Worker(mailbox_size=1, max_tasks=1)
    closing(actor.mailbox)
    delivered: list[int] = []

    async def sender(n: int) -> None:
        await actor.mailbox.send(n)
        delivered.append(n)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            for n in range(4):
                tg.start_soon(sender, n)
                await settle_tasks()

            # 0 runs, 1 waits for a slot in `handle`, 2 fills the mailbox, 3 waits.
            assert actor.running == {0}
            assert delivered == [0, 1, 2]
            assert actor.mailbox.blocked_senders == 1

            actor.gates[0].set()
            await settle_tasks()
            assert delivered == [0, 1, 2, 3]

            for n in range(4):
                await settle_tasks()
                actor.gates[n].set()
            actor.mailbox.close()

    assert actor.finished == [0, 1, 2, 3]


async def test_release_slot_lets_the_next_task_start(closing: Closing) -> None:
    actor = Worker(mailbox_size=4, max_tasks=1, early_release=True)
    closing(actor.mailbox)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            for n in range(3):
                await actor.mailbox.send(n)
            await settle_tasks()

            assert actor.running == {0, 1, 2}
            assert actor.tasks_running == 0

            for gate in actor.gates.values():
                gate.set()
            actor.mailbox.close()

    assert sorted(actor.finished) == [0, 1, 2]
    # Released slots are not given back a second time when their tasks end.
    assert actor.tasks_running == 0


async def test_a_task_that_released_its_slot_does_not_free_another(closing: Closing) -> None:
    actor = Worker(mailbox_size=4, max_tasks=1)
    closing(actor.mailbox)

    async def early(gate: anyio.Event) -> None:
        actor.release_slot()
        await gate.wait()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            early_gate = anyio.Event()
            await actor.spawn(early, early_gate)
            await actor.mailbox.send(0)
            await actor.mailbox.send(1)
            await settle_tasks()
            assert actor.running == {0}

            # The early task ending must not hand job 1 a slot job 0 still holds.
            early_gate.set()
            await settle_tasks()
            assert actor.running == {0}
            assert actor.tasks_running == 1

            actor.gates[0].set()
            await settle_tasks()
            assert actor.running == {1}

            actor.gates[1].set()
            actor.mailbox.close()


async def test_releasing_a_slot_twice_gives_back_only_one(closing: Closing) -> None:
    actor = Worker(mailbox_size=4, max_tasks=1)
    closing(actor.mailbox)

    async def twice(gate: anyio.Event) -> None:
        actor.release_slot()
        actor.release_slot()
        await gate.wait()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            gate = anyio.Event()
            await actor.spawn(twice, gate)
            await actor.mailbox.send(0)
            await actor.mailbox.send(1)
            await settle_tasks()
            # max_tasks=1: only one job may run at a time.
            assert actor.running == {0}

            gate.set()
            actor.gates[0].set()
            await settle_tasks()
            assert actor.running == {1}

            actor.gates[1].set()
            actor.mailbox.close()


async def test_a_task_started_by_a_job_cannot_give_back_the_jobs_slot(closing: Closing) -> None:
    actor = Worker(mailbox_size=4, max_tasks=1)
    closing(actor.mailbox)

    async def parent(gate: anyio.Event) -> None:
        async with anyio.create_task_group() as children:
            children.start_soon(child)
            await gate.wait()

    async def child() -> None:
        actor.release_slot()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            gate = anyio.Event()
            await actor.spawn(parent, gate)
            await actor.mailbox.send(0)
            await settle_tasks()
            # The slot is the parent's: job 0 still waits for it.
            assert actor.running == set()
            assert actor.tasks_running == 1

            gate.set()
            await settle_tasks()
            assert actor.running == {0}

            actor.gates[0].set()
            actor.mailbox.close()


async def test_a_crashing_task_ends_the_actor(closing: Closing) -> None:
    class Fragile(Actor[str]):
        async def handle(self, message: str) -> None:
            await self.spawn(self.job, message)

        async def job(self, message: str) -> None:
            raise KeyError(message)

    actor = Fragile(mailbox_size=2)
    closing(actor.mailbox)
    actor.mailbox.try_send("lost")

    with anyio.fail_after(2), pytest.raises(Exception) as info:
        await actor.run()

    assert [type(e) for e in leaves(info.value)] == [KeyError]


async def test_spawn_outside_a_running_actor_is_an_error(closing: Closing) -> None:
    actor = Worker()
    closing(actor.mailbox)

    async def job() -> None:
        pass

    with pytest.raises(RuntimeError, match="worker"):
        await actor.spawn(job)


def test_a_name_given_at_construction_names_the_mailbox(closing: Closing) -> None:
    actor = Recorder(name="recorder-2")
    closing(actor.mailbox)
    assert actor.name == "recorder-2"
    assert actor.mailbox.name == "recorder-2"

    default = Recorder()
    closing(default.mailbox)
    assert default.mailbox.name == "recorder"


_TAG: ContextVar[str | None] = ContextVar("test_actor_tag", default=None)


async def test_a_job_starts_without_the_context_variables_an_earlier_job_set(
        closing: Closing) -> None:
    # Jobs run one after another on the actor's tasks; what one binds for itself (a
    # request id for its logs) must not show up in the next.
    actor = Worker(mailbox_size=4, max_tasks=1)
    closing(actor.mailbox)
    seen: list[str | None] = []

    async def job(tag: str) -> None:
        seen.append(_TAG.get())
        _TAG.set(tag)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            for tag in ("first", "second", "third"):
                await actor.spawn(job, tag)
                await settle_tasks()
            actor.mailbox.close()

    assert seen == [None, None, None]


async def test_an_actor_with_a_backlog_lets_other_tasks_run_between_messages(
        closing: Closing) -> None:
    ran: list[int] = []

    class Watcher(Actor[int]):
        """Notes, at each message, how often the bystander has run so far."""

        async def handle(self, message: int) -> None:
            ran.append(turns)

    turns = 0
    actor = Watcher(mailbox_size=16, checkpoint_every=4)
    closing(actor.mailbox)
    for n in range(12):
        actor.mailbox.try_send(n)
    actor.mailbox.close()

    async def bystander() -> None:
        nonlocal turns
        while True:
            turns += 1
            await anyio.lowlevel.checkpoint()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(bystander)
            await actor.run()
            tg.cancel_scope.cancel()

    # Buffered mail is handled without a pause, but never more than 4 messages in a row.
    assert len(ran) == 12
    assert all(later - earlier <= 1 for earlier, later in pairwise(ran))
    assert len(set(ran)) >= 3


class Quick(Recorder):
    """Handles "quick ..." messages at once (`handle_nowait`), the rest in `handle`."""

    def handle_nowait(self, message: str) -> bool:
        if message == "quick boom":
            raise ValueError("quick boom")
        if message.startswith("quick"):
            self.log.append(f"at once: {message}")
            return True
        return False


async def test_handle_nowait_takes_what_needs_no_wait_and_leaves_the_rest_to_handle(
        closing: Closing) -> None:
    actor = Quick(mailbox_size=8)
    closing(actor.mailbox)
    for message in ("a", "quick b", "c", "quick d"):
        actor.mailbox.try_send(message)
    actor.mailbox.close()

    with anyio.fail_after(2):
        await actor.run()

    assert actor.log == ["started", "a", "at once: quick b", "c", "at once: quick d",
                         "stopping"]


async def test_spawn_nowait_starts_a_job_only_when_a_slot_is_free(closing: Closing) -> None:
    actor = Worker(mailbox_size=1, max_tasks=1)
    closing(actor.mailbox)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            await tg.start(actor.run)
            actor.gates[0] = anyio.Event()
            actor.gates[1] = anyio.Event()
            assert actor.spawn_nowait(actor.job, 0)
            await settle_tasks()
            assert actor.running == {0}
            # No slot: nothing started, nothing taken.
            assert not actor.spawn_nowait(actor.job, 1)
            await settle_tasks()
            assert actor.running == {0}
            assert actor.tasks_running == 1

            actor.gates[0].set()
            await settle_tasks()
            # The finished job's worker waits idle and is handed the next one.
            assert actor.spawn_nowait(actor.job, 1)
            await settle_tasks()
            assert actor.running == {1}
            actor.gates[1].set()
            actor.mailbox.close()

    assert actor.finished == [0, 1]
    assert actor.tasks_running == 0
