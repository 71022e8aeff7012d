"""Cost tracker: what every request cost, by model and by tenant, and what the cache saved.

Charged is what the upstreams billed: a broken or abandoned answer its share, and tries
thrown away after their upstream produced output (`Completed.discarded`) too;
`estimated_usd` is how much of that was estimated from text.

Inbox: `Completed`. Emits nothing; `snapshot()` is read by the stats endpoint.
Backpressure: publishers wait on this mailbox (books are never dropped).
"""

from __future__ import annotations

from typing import Any

import msgspec

from reactor import Actor, Completed, Part


class Totals(msgspec.Struct, kw_only=True):
    requests: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated_usd: float = 0.0
    """The part of `cost_usd` worked out from text: the upstream reported no usage."""
    saved_usd: float = 0.0


class Ledger:
    def __init__(self) -> None:
        self.total = Totals()
        self.by_model: dict[str, Totals] = {}
        self.by_tenant: dict[str, Totals] = {}

    def add(self, outcome: Completed) -> None:
        tenant = outcome.job.tenant
        rows = [self.total, self.by_tenant.get(tenant) or _row(self.by_tenant, tenant)]
        failed = outcome.status != "ok"
        cost = outcome.cost_usd
        estimated = cost if outcome.estimated else 0.0
        if outcome.parts:
            # A stream that continued on another model: each model is booked its share,
            # and only the shares worked out from text count as estimated.
            estimated = 0.0
            for part in outcome.parts:
                row = _row(self.by_model, part.model)
                row.requests += 1
                row.failures += failed
                self._charge(row, part)
                if part.estimated:
                    estimated += part.cost_usd
        elif outcome.model is not None:
            model = outcome.model
            rows.append(self.by_model.get(model) or _row(self.by_model, model))
        # Read once for every row (a call or an attribute costs more than the sum).
        if outcome.cache == "miss":
            usage = outcome.usage
            prompt, completion = usage.prompt_tokens, usage.completion_tokens
        else:
            prompt = completion = 0
        saved = outcome.saved_usd
        for row in rows:
            row.requests += 1
            if failed:
                row.failures += 1
            row.prompt_tokens += prompt
            row.completion_tokens += completion
            row.cost_usd += cost
            row.estimated_usd += estimated
            row.saved_usd += saved
        for part in outcome.discarded:
            # Tries billed but thrown away: spend, though not a request of their model.
            self._charge(_row(self.by_model, part.model), part)
            self._charge(rows[0], part)
            self._charge(rows[1], part)

    @staticmethod
    def _charge(row: Totals, part: Part) -> None:
        row.prompt_tokens += part.usage.prompt_tokens
        row.completion_tokens += part.usage.completion_tokens
        row.cost_usd += part.cost_usd
        if part.estimated:
            row.estimated_usd += part.cost_usd


def _row(rows: dict[str, Totals], key: str) -> Totals:
    """`rows[key]`, made on first use (`setdefault` would build a spare every time)."""
    row = rows.get(key)
    if row is None:
        row = rows[key] = Totals()
    return row


class CostTracker(Actor[Completed]):
    name = "cost"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ledger = Ledger()

    async def handle(self, message: Completed) -> None:
        self.ledger.add(message)

    def handle_nowait(self, message: Completed) -> bool:
        self.ledger.add(message)
        return True

    def snapshot(self) -> dict[str, object]:
        ledger = self.ledger
        return {
            "total": msgspec.to_builtins(ledger.total),
            "by_model": {k: msgspec.to_builtins(v) for k, v in sorted(ledger.by_model.items())},
            "by_tenant": {k: msgspec.to_builtins(v) for k, v in sorted(ledger.by_tenant.items())},
        }
