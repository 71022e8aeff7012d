"""Spend book: charges each answer to its tenant's budget and corrects its token reservation.

Inbox: `Completed`. Emits nothing; `snapshot()` is read by the stats endpoint.
Backpressure: publishers wait on this mailbox (books are never dropped).

Only jobs admission metered (`job.quota` set) are settled: the tokens reserved at
admission are corrected to those the answer used (none for a cache hit or a request
that never reached a model), and its actual cost is charged (a cache hit costs
nothing). Both count what the upstreams billed: a broken or abandoned answer's share
and the tries thrown away after producing output (`Completed.discarded`). The book owns
the limit store and closes it when it stops.
"""

from __future__ import annotations

from typing import Any

import anyio
from anyio.abc import TaskStatus

from reactor import Actor, Clock, Completed
from stages.limits import (
    LimitStore,
    LimitsUnavailable,
    Policy,
    Spent,
    has_budget,
    iso,
    windows_at,
)


class SpendBook(Actor[Completed]):
    name = "spend"

    def __init__(self, store: LimitStore, policy: Policy, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.policy = policy
        self.clock = clock
        self.settled = 0

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                await self.store.close()

    async def handle(self, message: Completed) -> None:
        job = message.job
        quota = job.quota
        if quota is None:
            return
        limits = self.policy.of(job.tenant)
        if limits is None:
            return
        miss = message.cache == "miss"
        used = message.usage.total_tokens if miss else 0
        cost = message.cost_usd if miss else 0.0
        for part in message.discarded:  # billed tries whose words were thrown away
            used += part.usage.total_tokens
            cost += part.cost_usd
        refund = quota.reserved_tokens - used if limits.tokens_per_minute is not None else 0
        cost = cost if has_budget(limits) else 0.0
        if refund or cost > 0:
            await self.store.settle(job.tenant, limits, refund, cost, self.clock.wall())
        self.settled += 1

    def handle_nowait(self, message: Completed) -> bool:
        # A job admission did not meter has nothing to settle.
        job = message.job
        return job.quota is None or self.policy.of(job.tenant) is None

    async def snapshot(self) -> dict[str, object]:
        """Spend and budget left per tenant with a budget, in the current windows."""
        wall = self.clock.wall()
        tenants = sorted({*self.policy.named(), *self.store.seen()})
        budgeted = {tenant: limits for tenant in tenants
                    if (limits := self.policy.of(tenant)) is not None and has_budget(limits)}
        windows = windows_at(wall)
        try:
            spent = await self.store.spent(list(budgeted), wall)
        except LimitsUnavailable:
            return {"backend": self.store.name, "error": "the limits backend is unavailable",
                    "backend_errors": self.store.errors}
        out: dict[str, object] = {}
        for tenant, limits in budgeted.items():
            used = spent.get(tenant, Spent(0.0, 0.0))
            row: dict[str, object] = {}
            for window, limit, total, end in (
                    ("day", limits.usd_per_day, used.day_usd, windows.day_end),
                    ("month", limits.usd_per_month, used.month_usd, windows.month_end)):
                if limit is not None:
                    row[window] = {"limit_usd": limit, "spent_usd": round(total, 8),
                                   "remaining_usd": round(max(0.0, limit - total), 8),
                                   "resets_at": iso(end)}
            out[tenant] = row
        return {"backend": self.store.name, "backend_errors": self.store.errors,
                "tenants": out}
