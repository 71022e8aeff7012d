from __future__ import annotations

import anyio
import pytest

from reactor import ChatMessage, ChatRequest, Completed, Flow, Job, Mailbox, Outcomes, Usage
from tests.reactor._support import Closing, settle_tasks


def _outcome(request_id: str) -> tuple[Completed, list[str]]:
    """An outcome whose flow's reader has left; the list hears when it is settled."""
    flow = Flow(request_id)
    released: list[str] = []
    flow.on_release(lambda: released.append(request_id))
    flow.close()
    job = Job(id=request_id, flow=flow, received_at=0.0,
              request=ChatRequest(messages=[ChatMessage(role="user", content="hi")]))
    return Completed(job=job, status="ok", model="m", attempts=[], usage=Usage(),
                     cost_usd=0.0, latency_s=0.0), released


def _outcomes(closing: Closing, book_size: int) -> tuple[Outcomes, list[Mailbox[Completed]]]:
    outcomes = Outcomes()
    learners = [Mailbox[Completed](f"learner {n}", 4) for n in range(2)]
    book = Mailbox[Completed]("book", book_size)
    for mailbox in learners:
        closing(mailbox)
        outcomes.add_learner(mailbox)
    closing(book)
    outcomes.add_book(book)
    return outcomes, [*learners, book]


def test_to_all_nowait_tells_everyone_and_settles_when_nobody_is_behind(
        closing: Closing) -> None:
    outcomes, mailboxes = _outcomes(closing, 4)
    outcome, released = _outcome("r1")

    assert outcomes.to_all_nowait(outcome) is None

    assert [mailbox.receive_nowait() for mailbox in mailboxes] == [outcome] * 3
    assert released == ["r1"]
    assert outcomes.published_total == 1


async def test_to_all_nowait_hands_back_the_rest_to_await_when_a_book_is_full(
        closing: Closing) -> None:
    outcomes, mailboxes = _outcomes(closing, 1)
    book = mailboxes[-1]
    first, _ = _outcome("r1")
    assert outcomes.to_all_nowait(first) is None
    second, released = _outcome("r2")

    rest = outcomes.to_all_nowait(second)

    assert rest is not None
    # The learners were told; the book, full, not yet; nothing is settled.
    assert [mailbox.depth for mailbox in mailboxes] == [2, 2, 1]
    assert released == []
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: rest)
            await settle_tasks()
            assert released == []
            assert book.receive_nowait() is first
    assert book.receive_nowait() is second
    assert released == ["r2"]
    assert outcomes.published_total == 2


async def test_to_all_nowait_skips_a_closed_book_when_awaited(closing: Closing) -> None:
    outcomes, mailboxes = _outcomes(closing, 4)
    mailboxes[-1].close()
    outcome, released = _outcome("r1")

    rest = outcomes.to_all_nowait(outcome)

    assert rest is not None
    with anyio.fail_after(2):
        await rest
    assert released == ["r1"]
    assert mailboxes[0].receive_nowait() is outcome
    with pytest.raises(anyio.WouldBlock):
        mailboxes[0].receive_nowait()


async def test_a_learner_is_sent_only_the_outcomes_it_wants(closing: Closing) -> None:
    outcomes = Outcomes()
    picky = Mailbox[Completed]("picky", 4)
    book = Mailbox[Completed]("book", 4)
    for mailbox in (picky, book):
        closing(mailbox)
    outcomes.add_learner(picky, lambda outcome: outcome.job.id == "wanted")
    outcomes.add_book(book)
    wanted, _ = _outcome("wanted")
    unwanted, released = _outcome("unwanted")

    assert outcomes.to_all_nowait(unwanted) is None
    assert outcomes.to_all_nowait(wanted) is None

    assert picky.receive_nowait() is wanted
    with pytest.raises(anyio.WouldBlock):
        picky.receive_nowait()
    assert [book.receive_nowait(), book.receive_nowait()] == [unwanted, wanted]
    assert released == ["unwanted"]
