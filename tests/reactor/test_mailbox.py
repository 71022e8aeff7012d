from __future__ import annotations

import asyncio

import anyio
import pytest

from reactor import Mailbox, MailboxClosed
from reactor._mailbox import NOTHING
from tests.reactor._support import Closing, settle_tasks


async def test_messages_arrive_in_the_order_they_were_sent(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 4))
    for n in range(4):
        await mailbox.send(n)

    assert mailbox.depth == 4
    assert [await mailbox.receive() for _ in range(4)] == [0, 1, 2, 3]
    assert mailbox.depth == 0
    assert mailbox.received_total == 4


async def test_try_send_accepts_while_there_is_room_and_refuses_when_full(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 2))

    assert mailbox.try_send("a") is True
    assert mailbox.try_send("b") is True
    assert mailbox.try_send("c") is False
    assert mailbox.rejected_total == 1

    assert await mailbox.receive() == "a"
    assert mailbox.try_send("d") is True
    assert [await mailbox.receive(), await mailbox.receive()] == ["b", "d"]


async def test_a_refused_try_send_never_delivers_the_message(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 1))
    mailbox.try_send("kept")
    mailbox.try_send("shed")
    mailbox.close()

    assert await mailbox.receive() == "kept"
    with pytest.raises(anyio.EndOfStream):
        await mailbox.receive()


async def test_send_to_a_full_mailbox_waits_until_a_receive_makes_room(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 1))
    await mailbox.send(1)
    delivered = anyio.Event()

    async def sender() -> None:
        await mailbox.send(2)
        delivered.set()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sender)
            await settle_tasks()
            assert not delivered.is_set()
            assert mailbox.blocked_senders == 1
            assert mailbox.depth == 1

            assert await mailbox.receive() == 1
            await delivered.wait()

    assert mailbox.blocked_senders == 0
    assert mailbox.blocked_total == 1
    assert await mailbox.receive() == 2


async def test_blocked_senders_are_served_first_come_first_served(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 1))
    await mailbox.send("first")

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            for name in ("second", "third"):
                tg.start_soon(mailbox.send, name)
                await settle_tasks()
            assert mailbox.blocked_senders == 2
            received = [await mailbox.receive() for _ in range(3)]

    assert received == ["first", "second", "third"]


async def test_a_cancelled_blocked_send_delivers_nothing(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 1))
    await mailbox.send("queued")

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(mailbox.send, "given up")
            await settle_tasks()
            assert mailbox.blocked_senders == 1
            tg.cancel_scope.cancel()

    assert mailbox.blocked_senders == 0
    mailbox.close()
    assert await mailbox.receive() == "queued"
    with pytest.raises(anyio.EndOfStream):
        await mailbox.receive()


async def test_size_zero_hands_over_only_to_a_waiting_receiver(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("rendezvous", 0))
    assert mailbox.try_send("nobody there") is False

    got: list[str] = []

    async def receiver() -> None:
        got.append(await mailbox.receive())

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(receiver)
            await settle_tasks()
            assert mailbox.try_send("handed over") is True

    assert got == ["handed over"]


async def test_close_lets_the_receiver_drain_then_end(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 4))
    await mailbox.send(1)
    await mailbox.send(2)
    mailbox.close()

    assert await mailbox.receive() == 1
    assert await mailbox.receive() == 2
    with pytest.raises(anyio.EndOfStream):
        await mailbox.receive()


async def test_sending_to_a_closed_mailbox_raises_mailbox_closed(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 4))
    mailbox.close()

    with pytest.raises(MailboxClosed):
        await mailbox.send(1)
    with pytest.raises(MailboxClosed):
        mailbox.try_send(1)


async def test_close_wakes_blocked_senders_with_mailbox_closed(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 1))
    await mailbox.send(1)
    errors: list[BaseException] = []

    async def sender() -> None:
        try:
            await mailbox.send(2)
        except MailboxClosed as exc:
            errors.append(exc)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sender)
            await settle_tasks()
            assert mailbox.blocked_senders == 1
            mailbox.close()

    assert len(errors) == 1
    assert mailbox.blocked_senders == 0


async def test_dispose_wakes_blocked_senders_with_mailbox_closed(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 1))
    await mailbox.send(1)
    errors: list[BaseException] = []

    async def sender() -> None:
        try:
            await mailbox.send(2)
        except MailboxClosed as exc:
            errors.append(exc)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sender)
            await settle_tasks()
            mailbox.dispose()

    assert len(errors) == 1
    with pytest.raises(MailboxClosed):
        mailbox.try_send(3)


async def test_receive_waits_for_a_message(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 1))
    got: list[str] = []

    async def receiver() -> None:
        got.append(await mailbox.receive())

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(receiver)
            await settle_tasks()
            assert got == []
            await mailbox.send("late")

    assert got == ["late"]


async def test_receive_nowait_raises_would_block_when_empty(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 1))
    with pytest.raises(anyio.WouldBlock):
        mailbox.receive_nowait()

    mailbox.try_send(7)
    assert mailbox.receive_nowait() == 7
    assert mailbox.received_total == 1


async def test_draining_lets_other_tasks_run_every_checkpoint(closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 8, checkpoint_every=4))
    for n in range(8):
        mailbox.try_send(n)
    ran = anyio.Event()

    async def bystander() -> None:
        ran.set()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(bystander)
            for _ in range(3):
                await mailbox.receive()
            # Buffered messages are taken without yielding to the event loop...
            assert not ran.is_set()
            await mailbox.receive()
            # ...but never more than `checkpoint_every` in a row.
            assert ran.is_set()


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        Mailbox("inbox", -1)


async def test_a_receiver_cancelled_after_a_message_was_handed_to_it_loses_nothing(
        closing: Closing) -> None:
    # As aiohttp cancels a handler whose client left: `Task.cancel`, possibly after the
    # message was handed over but before the receiver ran again.
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 1))
    receiver = asyncio.ensure_future(mailbox.receive())
    await settle_tasks()

    assert mailbox.try_send("handed over") is True  # straight to the waiting receiver
    receiver.cancel()
    with anyio.fail_after(2), pytest.raises(asyncio.CancelledError):
        await receiver

    assert mailbox.depth == 1
    assert await mailbox.receive() == "handed over"


async def test_a_sender_cancelled_as_room_appears_either_delivers_or_raises(
        closing: Closing) -> None:
    # The receive that makes room and the cancellation land in the same pass of the
    # loop: the message must arrive exactly when the send returned normally.
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 1))
    await mailbox.send("queued")
    outcome: list[str] = []

    async def sender(scope: anyio.CancelScope) -> None:
        with scope:
            await mailbox.send("racing")
            outcome.append("sent")
        if scope.cancelled_caught:
            outcome.append("cancelled")

    scope = anyio.CancelScope()
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sender, scope)
            await settle_tasks()
            assert mailbox.receive_nowait() == "queued"  # room: the waiting send goes in
            scope.cancel()

    mailbox.close()
    rest = [await mailbox.receive() for _ in range(mailbox.depth)]
    assert rest == (["racing"] if outcome == ["sent"] else [])
    assert outcome in (["sent"], ["cancelled"])
    assert mailbox.blocked_senders == 0


async def test_a_receiver_cancelled_as_a_message_is_handed_to_it_loses_nothing(
        closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("inbox", 0))
    got: list[str] = []

    async def receiver(scope: anyio.CancelScope) -> None:
        with scope:
            got.append(await mailbox.receive())

    scope = anyio.CancelScope()
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(receiver, scope)
            await settle_tasks()
            assert mailbox.try_send("handed over") is True
            scope.cancel()

    if not got:
        assert mailbox.receive_nowait() == "handed over"
    else:
        assert got == ["handed over"] and mailbox.depth == 0


async def test_a_cancelled_receiver_leaves_no_waiter_behind(closing: Closing) -> None:
    mailbox: Mailbox[str] = closing(Mailbox("rendezvous", 0))
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(mailbox.receive)
            await settle_tasks()
            assert mailbox.idle
            tg.cancel_scope.cancel()

    assert not mailbox.idle
    # Nobody waits any more: a rendezvous mailbox refuses rather than hand it to no one.
    assert mailbox.try_send("nobody there") is False



async def test_poll_hands_over_buffered_messages_until_a_checkpoint_is_due(
        closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 8, checkpoint_every=3))
    assert mailbox.poll() is NOTHING
    for n in range(4):
        mailbox.try_send(n)

    assert [mailbox.poll(), mailbox.poll()] == [0, 1]
    # The third message in a row is due a checkpoint: only `receive` takes it.
    assert mailbox.poll() is NOTHING
    assert await mailbox.receive() == 2
    assert mailbox.poll() == 3
    assert mailbox.received_total == 4


async def test_poll_leaves_a_message_with_a_sender_waiting_behind_it_to_receive(
        closing: Closing) -> None:
    mailbox: Mailbox[int] = closing(Mailbox("inbox", 1))
    mailbox.try_send(1)
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(mailbox.send, 2)
            await settle_tasks()
            assert mailbox.blocked_senders == 1
            # `receive` takes the message and lets the waiting sender in; poll would not.
            assert mailbox.poll() is NOTHING
            assert await mailbox.receive() == 1
            await settle_tasks()
            assert mailbox.poll() == 2
