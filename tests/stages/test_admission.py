"""Admission against a shared limits backend that is slow to answer: one tenant's checks
must not hold up another's, and the in-flight bound still holds."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from reactor import (
    Failed,
    FakeClock,
    Quota,
    RequestFailed,
    Router,
    TenantLimits,
    parse_config,
)
from reactor._router import gather
from stages.limits import MemoryLimits, Refusal, Spent
from tests.test_budgets import ask, limited


class Stalled:
    """The memory store, but the checks of one tenant wait until let go (a shared backend
    that is slow for a moment)."""

    name = "stalled"

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.inner = MemoryLimits()
        self.errors = 0
        self.waiting = 0
        self.go = anyio.Event()
        self.broken = False

    async def admit(self, tenant: str, limits: TenantLimits, tokens: int,
                    wall: float) -> Quota | Refusal:
        if tenant == self.tenant:
            self.waiting += 1
            await self.go.wait()
            if self.broken:
                raise RuntimeError("a bug in the backend's client")
        return await self.inner.admit(tenant, limits, tokens, wall)

    async def settle(self, tenant: str, limits: TenantLimits, refund_tokens: int,
                     cost_usd: float, wall: float) -> None:
        await self.inner.settle(tenant, limits, refund_tokens, cost_usd, wall)

    async def spent(self, tenants: list[str], wall: float) -> dict[str, Spent]:
        return await self.inner.spent(tenants, wall)

    def seen(self) -> list[str]:
        return self.inner.seen()

    async def close(self) -> None:
        pass


async def test_a_slow_limit_check_holds_up_no_other_tenant() -> None:
    config = parse_config(limited(
        admission="max_in_flight = 4",
        tenants="[admission.tenants.alice]\nrequests_per_minute = 2\n\n"
                "[admission.tenants.bob]\nrequests_per_minute = 100"))
    async with Router(config, clock=FakeClock()) as router:
        admission = router.pipeline.admission
        stalled = admission.store = Stalled("alice")
        waiting = [router.submit(ask(f"alice {i}", model="nano"), tenant="alice")
                   for i in range(3)]
        with anyio.fail_after(5):
            while stalled.waiting < 3:
                await anyio.lowlevel.checkpoint()
            # Requests waiting on the backend hold their place in `max_in_flight`...
            assert admission.gate.in_flight == 3
            # ...while another tenant's, metered or not, go through.
            await router.complete(ask("bob", model="nano"), tenant="bob")
            await router.complete(ask("carol", model="nano"), tenant="carol")
            stalled.go.set()
            answers = [await gather(flow) for flow in waiting]
            await router.quiesce()
    refused = [answer.error.code for answer in answers if isinstance(answer, Failed)]
    assert refused == ["rate_limited"]  # alice's limit counted all three
    assert admission.gate.in_flight == 0
    assert admission.rejected == {("requests", "alice"): 1}


async def test_a_check_that_crashes_ends_its_request_and_gives_its_permit_back() -> None:
    config = parse_config(limited(tenants="[admission.tenants.alice]\n"
                                          "requests_per_minute = 2"))
    async with Router(config, clock=FakeClock()) as router:
        admission = router.pipeline.admission
        stalled = admission.store = Stalled("alice")
        stalled.broken = True
        stalled.go.set()
        with anyio.fail_after(5):
            with pytest.raises(RequestFailed) as crashed:
                await router.complete(ask("alice", model="nano"), tenant="alice")
            await router.complete(ask("carol", model="nano"), tenant="carol")
            await router.quiesce()
    assert crashed.value.error.status == 500
    assert admission.gate.in_flight == 0
    assert admission.restarts == 1
