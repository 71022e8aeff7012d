"""Outcome fan-out: every finished request, told to every stage that keeps books.

Two kinds of subscriber. *Books* (cost, metrics, ledger) sit outside the request path,
so publishing waits for room: nothing is lost, and a slow book-keeper slows new work
instead of dropping records. *Learners* (cache store, breaker, selector) sit in the
request path; a stage that publishes while holding a pipeline slot must not wait on
them, or the pipeline can wait on itself. So in-path stages publish to books only, and
the provider publishes to everyone only after giving up its concurrency slot; the
admission permit, held until the outcome is settled, bounds how many may wait.

A learner may subscribe with a filter (`storable`, for the caches): the outcomes it
would only look at and drop are not sent to it, which spares a mailbox hop per request,
and with it, when the learner is idle, a wake-up. The filter is the learner's own pure
test on the outcome and its configuration, so it says the same wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal

from reactor._errors import MailboxClosed
from reactor._events import ErrorInfo, Usage
from reactor._mailbox import Mailbox
from reactor._messages import Completed, Job

Wants = Callable[[Completed], bool]
"""Which outcomes a learner learns from; None: every one."""


class Outcomes:
    def __init__(self) -> None:
        self._books: list[Mailbox[Completed]] = []
        self._learners: list[tuple[Mailbox[Completed], Wants | None]] = []
        # Learners, then books (which take every outcome).
        self._subscribers: list[tuple[Mailbox[Completed], Wants | None]] = []
        self.published_total = 0

    def add_book(self, mailbox: Mailbox[Completed]) -> None:
        self._books.append(mailbox)
        self._subscribed()

    def add_learner(self, mailbox: Mailbox[Completed], wants: Wants | None = None) -> None:
        """`wants`: the outcomes it learns from; the others are not sent to it."""
        self._learners.append((mailbox, wants))
        self._subscribed()

    def _subscribed(self) -> None:
        self._subscribers = [*self._learners, *((book, None) for book in self._books)]

    async def to_books(self, outcome: Completed) -> None:
        """Tell the book-keepers; then the request is settled."""
        await self._books_from(outcome, 0)

    async def _books_from(self, outcome: Completed, first: int) -> None:
        try:
            for mailbox in self._books[first:]:
                if mailbox.put_nowait(outcome):
                    continue
                try:
                    await mailbox.send(outcome)
                except MailboxClosed:
                    pass  # shutting down: that book-keeper has already stopped
        finally:
            self.published_total += 1
            outcome.job.flow.settle()

    def to_books_nowait(self, outcome: Completed) -> bool:
        """Tell the book-keepers that have room now (for a caller that cannot wait);
        False if one had none and was not told. The caller settles the request."""
        told = True
        for mailbox in self._books:
            try:
                told = mailbox.put_nowait(outcome) and told
            except MailboxClosed:
                told = False
        self.published_total += 1
        return told

    async def to_all(self, outcome: Completed) -> None:
        """Tell the learners and the book-keepers; call only without a pipeline slot."""
        await self._all_from(outcome, 0)

    async def _all_from(self, outcome: Completed, first: int) -> None:
        try:
            for mailbox, wants in self._learners[first:]:
                if (wants is not None and not wants(outcome)) or mailbox.put_nowait(outcome):
                    continue
                try:
                    await mailbox.send(outcome)
                except MailboxClosed:
                    pass
        finally:
            await self.to_books(outcome)

    def to_all_nowait(self, outcome: Completed) -> Coroutine[Any, Any, None] | None:
        """`to_all` as far as it goes without waiting: None if every subscriber took the
        outcome at once (the request is then settled), else the rest of `to_all`, to
        await. Two coroutines less per request while nobody is behind."""
        for index, (mailbox, wants) in enumerate(self._subscribers):
            if (wants is None or wants(outcome)) and not mailbox.put_nowait(outcome):
                learners = len(self._learners)
                if index < learners:
                    return self._all_from(outcome, index)
                return self._books_from(outcome, index - learners)
        self.published_total += 1
        outcome.job.flow.settle()
        return None

    async def reject(self, job: Job, error: ErrorInfo, now: float) -> None:
        """End `job` before any upstream call: tell the caller, then the books."""
        job.flow.fail_nowait(error)
        await self.to_books(unanswered(job, error, now))


def unanswered(job: Job, error: ErrorInfo, now: float,
               status: Literal["rejected", "failed"] = "rejected") -> Completed:
    """The outcome of `job` ended with `error` before any model answered it: refused
    (`rejected`) or cut short inside the router (`failed`); nothing used, nothing billed."""
    return Completed(job=job, status=status, model=None, attempts=[], usage=Usage(),
                     cost_usd=0.0, latency_s=now - job.received_at, error=error)
