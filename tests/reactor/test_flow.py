from __future__ import annotations

import anyio
import pytest

from reactor import (
    Done,
    ErrorInfo,
    Failed,
    Flow,
    FlowClosed,
    FlowEvent,
    Started,
    Token,
    Usage,
)
from tests.reactor._support import Closing, settle_tasks

STARTED = Started(model="sim-mini", reason="cheapest that fits")
DONE = Done(finish_reason="stop", usage=Usage(prompt_tokens=3, completion_tokens=2))
OVERLOADED = ErrorInfo(status=503, type="overloaded_error", message="busy", code="overloaded")


def token(n: int) -> Token:
    return Token(text=f"t{n}")


def is_incomplete(event: FlowEvent) -> bool:
    return (
        isinstance(event, Failed)
        and event.error.code == "incomplete_response"
        and event.error.status == 503
    )


async def test_the_reader_gets_every_event_in_order_up_to_done(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=8))
    sent: list[FlowEvent] = [STARTED, token(1), token(2), DONE]
    for event in sent:
        await flow.emit(event)

    with anyio.fail_after(2):
        got = [event async for event in flow.events()]

    assert got == sent
    assert flow.terminal == DONE
    assert flow.closed


async def test_a_slow_reader_makes_the_producer_wait(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=2))
    emitted = 0

    async def producer() -> None:
        nonlocal emitted
        for n in range(4):
            await flow.emit(token(n))
            emitted += 1

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            await settle_tasks()
            assert emitted == 2

            assert await flow.receive() == token(0)
            await settle_tasks()
            assert emitted == 3

            got = [await flow.receive() for _ in range(3)]

    assert got == [token(1), token(2), token(3)]


async def test_nothing_may_be_emitted_after_the_terminal_event(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    await flow.emit(DONE)

    assert flow.finished
    with pytest.raises(RuntimeError, match="req-1"):
        await flow.emit(token(1))


async def test_a_producer_that_stops_without_done_reads_as_incomplete(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    with anyio.CancelScope() as scope:
        flow.attach(scope)
        await flow.emit(STARTED)
        await flow.emit(token(1))
        flow.detach()

    with anyio.fail_after(2):
        got = [event async for event in flow.events()]

    assert got[:2] == [STARTED, token(1)]
    assert len(got) == 3
    assert is_incomplete(got[2])


async def test_reading_past_the_end_never_reads_as_a_clean_end(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    await flow.emit(DONE)

    assert await flow.receive() == DONE
    with anyio.fail_after(2):
        assert is_incomplete(await flow.receive())


async def test_fail_nowait_ends_the_flow_with_the_error(closing: Closing) -> None:
    flow = closing(Flow("req-1"))

    assert flow.fail_nowait(OVERLOADED) is True
    assert flow.finished
    assert flow.fail_nowait(ErrorInfo(status=500, type="server_error", message="x")) is False
    assert flow.terminal == Failed(error=OVERLOADED)

    with anyio.fail_after(2):
        got = [event async for event in flow.events()]
    assert got == [Failed(error=OVERLOADED)]


async def test_fail_nowait_after_done_changes_nothing(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    await flow.emit(STARTED)
    await flow.emit(DONE)

    assert flow.fail_nowait(OVERLOADED) is False
    assert flow.terminal == DONE

    with anyio.fail_after(2):
        got = [event async for event in flow.events()]
    assert got == [STARTED, DONE]


async def test_fail_nowait_on_a_full_flow_still_ends_it_as_a_failure(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=2))
    await flow.emit(STARTED)
    await flow.emit(token(1))

    assert flow.fail_nowait(OVERLOADED) is False

    with anyio.fail_after(2):
        got = [event async for event in flow.events()]
    assert got[:2] == [STARTED, token(1)]
    assert len(got) == 3
    assert is_incomplete(got[2])


async def test_abandon_cancels_the_producer_blocked_upstream(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    upstream_reply = anyio.Event()  # never set: the upstream call hangs
    cancelled: list[bool] = []

    async def producer() -> None:
        with anyio.CancelScope() as scope:
            flow.attach(scope)
            await flow.emit(STARTED)
            await upstream_reply.wait()
        cancelled.append(scope.cancelled_caught)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            assert await flow.receive() == STARTED
            await settle_tasks()

            flow.abandon()

    assert cancelled == [True]
    assert flow.abandoned
    assert flow.finished


async def test_abandon_stops_a_producer_waiting_for_room(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=1))
    errors: list[BaseException] = []

    async def producer() -> None:
        try:
            for n in range(3):
                await flow.emit(token(n))
        except FlowClosed as exc:
            errors.append(exc)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            await settle_tasks()
            flow.abandon()

    assert len(errors) == 1


async def test_emitting_to_an_abandoned_flow_raises_flow_closed(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    flow.abandon()

    with pytest.raises(FlowClosed):
        await flow.emit(STARTED)


async def test_attaching_to_an_abandoned_flow_cancels_at_once(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    flow.abandon()

    with anyio.fail_after(2):
        with anyio.CancelScope() as scope:
            flow.attach(scope)
            await anyio.Event().wait()

    assert scope.cancelled_caught


async def test_a_reader_leaving_early_cancels_the_producer(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    cancelled: list[bool] = []

    async def producer() -> None:
        with anyio.CancelScope() as scope:
            flow.attach(scope)
            await flow.emit(STARTED)
            await anyio.Event().wait()
        cancelled.append(scope.cancelled_caught)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            assert await flow.receive() == STARTED
            flow.close()

    assert cancelled == [True]
    assert flow.abandoned


async def test_a_reader_leaving_after_done_lets_the_producer_finish(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    may_publish = anyio.Event()
    outcome: list[str] = []

    async def producer() -> None:
        with anyio.CancelScope() as scope:
            flow.attach(scope)
            await flow.emit(STARTED)
            await flow.emit(DONE)
            await may_publish.wait()  # e.g. publishing the outcome to the books
            outcome.append("published")
        outcome.append("cancelled" if scope.cancelled_caught else "finished")

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            got = [event async for event in flow.events()]
            assert flow.closed
            may_publish.set()

    assert got == [STARTED, DONE]
    assert outcome == ["published", "finished"]
    assert not flow.abandoned


@pytest.mark.parametrize("order", [("close", "settle"), ("settle", "close"),
                                   ("abandon", "settle"), ("settle", "abandon")])
def test_release_waits_for_both_the_reader_and_the_outcome(
    order: tuple[str, str], closing: Closing
) -> None:
    flow = closing(Flow("req-1"))
    released: list[str] = []
    flow.on_release(lambda: released.append("permit"))

    first, second = order
    getattr(flow, first)()
    assert released == []

    getattr(flow, second)()
    assert released == ["permit"]


def test_closing_twice_does_not_release_before_the_outcome_is_settled(
    closing: Closing,
) -> None:
    flow = closing(Flow("req-1"))
    released: list[str] = []
    flow.on_release(lambda: released.append("permit"))

    flow.close()
    flow.close()
    flow.abandon()
    assert released == []

    flow.settle()
    flow.close()
    assert released == ["permit"]


def test_every_release_callback_runs_once(closing: Closing) -> None:
    flow = closing(Flow("req-1"))
    released: list[str] = []
    flow.on_release(lambda: released.append("admission"))
    flow.on_release(lambda: released.append("router"))

    flow.settle()
    flow.close()
    assert released == ["admission", "router"]

    flow.on_release(lambda: released.append("late"))
    assert released == ["admission", "router", "late"]


async def test_receive_nowait_takes_what_is_waiting_and_never_blocks(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=8))
    assert flow.receive_nowait() is None
    await flow.emit(STARTED)
    await flow.emit(token(1))

    assert flow.receive_nowait() == STARTED
    assert flow.receive_nowait() == token(1)
    assert flow.receive_nowait() is None


async def test_receive_nowait_lets_a_waiting_producer_in(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=1))
    await flow.emit(token(0))

    async with anyio.create_task_group() as tg:
        tg.start_soon(flow.emit, token(1))
        await settle_tasks()
        assert flow.receive_nowait() == token(0)
        with anyio.fail_after(2):
            assert await flow.receive() == token(1)


async def test_receive_nowait_reads_a_flow_ended_early_as_truncated(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=4))
    flow.detach()

    event = flow.receive_nowait()

    assert event is not None and is_incomplete(event)


async def test_an_unattached_scope_is_not_cancelled_by_abandoning(closing: Closing) -> None:
    flow = closing(Flow("req-1", size=4))
    first, second = anyio.CancelScope(), anyio.CancelScope()
    flow.attach(first)
    flow.unattach(first)
    flow.attach(second)
    flow.unattach(first)  # not the attached one: no effect

    flow.abandon()

    assert not first.cancel_called
    assert second.cancel_called
