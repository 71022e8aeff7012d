"""The limits core: who has which limits, calendar windows, and the two stores (memory
and real Redis) behaving alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from reactor import ConfigError, Quota, TenantLimits, parse_config
from stages.limits import LimitStore, MemoryLimits, Policy, Refusal, refusal_error, windows_at
from stages.limits_redis import RedisLimits
from tests.conftest import FAST_MODELS
from tests.redis_support import REDIS_HOST, REDIS_PORT, delete_prefix, require_redis
from tests.test_budgets import ask

NOON = datetime(2026, 12, 31, 12, 0, tzinfo=UTC).timestamp()


def policy(text: str) -> Policy:
    return Policy(parse_config(FAST_MODELS + text).admission)


def test_a_tenant_takes_the_defaults_key_by_key_and_inf_exempts_it() -> None:
    limits = policy("""
[admission]
usd_per_day = 1.0
tokens_per_minute = 500

[admission.tenants.big]
usd_per_day = inf
usd_per_month = 100.0

[admission.tenants.free]
usd_per_day = inf
""")
    assert limits.of("anyone") == TenantLimits(tokens_per_minute=500, usd_per_day=1.0)
    assert limits.of("big") == TenantLimits(tokens_per_minute=500, usd_per_month=100.0)
    assert limits.of("free") == TenantLimits(tokens_per_minute=500)
    assert policy("").of("anyone") is None  # nothing configured: nothing metered


def test_inf_exempts_a_tenant_from_a_default_rate_too() -> None:
    limits = policy("""
[admission]
requests_per_minute = 60
tokens_per_minute = 500

[admission.tenants.batch]
requests_per_minute = inf
tokens_per_minute = inf
""")
    assert limits.of("anyone") == TenantLimits(requests_per_minute=60, tokens_per_minute=500)
    assert limits.of("batch") is None


@pytest.mark.parametrize("value", ["1.5", "60.0", "-inf", "nan"])
def test_a_rate_that_is_neither_whole_nor_inf_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        policy(f"[admission.tenants.batch]\nrequests_per_minute = {value}\n")
    assert str(caught.value) == ("router.toml: admission.tenants.batch.requests_per_minute: "
                                 "expected a whole number of at least 1, or inf (no limit)")


def test_windows_end_at_utc_midnight_and_on_the_first_of_the_month() -> None:
    windows = windows_at(NOON)
    assert (windows.day, windows.month) == ("2026-12-31", "2026-12")
    assert windows.day_end == windows.month_end == \
        datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    february = windows_at(datetime(2028, 2, 29, 23, 59, tzinfo=UTC).timestamp())
    assert february.month_end == datetime(2028, 3, 1, tzinfo=UTC).timestamp()


def test_a_request_reserves_its_prompt_and_its_output_limit() -> None:
    limits = policy("[admission]\ntokens_per_minute = 100\noutput_tokens_reserved = 50")
    assert limits.reserve(ask("x" * 40, max_tokens=7), 4.0) == 10 + 4 + 7
    assert limits.reserve(ask("x" * 40), 4.0) == 10 + 4 + 50


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[LimitStore]:
    if request.param == "memory":
        yield MemoryLimits()
        return
    prefix = require_redis()
    redis = RedisLimits(f"redis://{REDIS_HOST}:{REDIS_PORT}/0", prefix, 2.0)
    try:
        yield redis
    finally:
        await redis.close()
        await delete_prefix(prefix)


async def test_tokens_are_reserved_refilled_and_corrected_alike(store: LimitStore) -> None:
    limits = TenantLimits(tokens_per_minute=600)
    first = await store.admit("t", limits, 500, NOON)
    assert isinstance(first, Quota) and first.reserved_tokens == 500
    refused = await store.admit("t", limits, 500, NOON)
    assert refused == Refusal("tokens", 40.0)  # 400 missing at 10 a second
    # The first used 50 of its 500: 450 come back.
    await store.settle("t", limits, 450, 0.0, NOON)
    assert isinstance(await store.admit("t", limits, 500, NOON), Quota)
    # Used more than reserved: the bucket goes into debt and later requests wait longer.
    await store.settle("t", limits, -300, 0.0, NOON)
    refused = await store.admit("t", limits, 100, NOON + 30)
    assert isinstance(refused, Refusal) and refused.retry_after_s == pytest.approx(5.0)
    # A request bigger than a minute's worth waits for a full bucket, not forever.
    assert isinstance(await store.admit("t", limits, 10_000, NOON + 600), Quota)


async def test_budgets_are_charged_and_reset_with_their_window(store: LimitStore) -> None:
    limits = TenantLimits(usd_per_day=1.0, usd_per_month=1.5)
    quota = await store.admit("t", limits, 0, NOON)
    assert quota == Quota(remaining_usd=1.0, window="day",
                          resets_at=windows_at(NOON).day_end)
    await store.settle("t", limits, 0, 1.25, NOON)
    refused = await store.admit("t", limits, 0, NOON)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.window, refused.retry_after_s) == ("budget", "day", 43200)
    assert refused.spent_usd == pytest.approx(1.25)
    assert (await store.spent(["t"], NOON))["t"].day_usd == pytest.approx(1.25)
    # New month and new day at once (Dec 31 -> Jan 1): everything resets.
    tomorrow = NOON + 86400
    fresh = await store.admit("t", limits, 0, tomorrow)
    assert isinstance(fresh, Quota) and fresh.remaining_usd == 1.0


async def test_the_tightest_budget_is_the_one_carried_on(store: LimitStore) -> None:
    limits = TenantLimits(usd_per_day=1.0, usd_per_month=1.8)
    december = datetime(2026, 12, 30, 12, tzinfo=UTC).timestamp()
    await store.settle("t", limits, 0, 0.9, december - 86400)
    await store.settle("t", limits, 0, 0.5, december)
    quota = await store.admit("t", limits, 0, december)
    assert isinstance(quota, Quota)
    assert quota.window == "month" and quota.remaining_usd == pytest.approx(0.4)
    await store.settle("t", limits, 0, 0.5, december)
    refused = await store.admit("t", limits, 0, december)
    assert isinstance(refused, Refusal) and refused.window == "month"
    assert refused.retry_after_s == datetime(2027, 1, 1, tzinfo=UTC).timestamp() - december


def test_a_budget_refusal_names_amounts_as_small_as_the_budget() -> None:
    limits = TenantLimits(usd_per_day=0.0003)
    refused = Refusal("budget", 60, "day", 0.000412345, 0.0003, NOON + 60)
    message = refusal_error("t", refused, limits, 0).message
    assert "$0.000412 of $0.0003 spent" in message
    big = refusal_error("t", Refusal("budget", 60, "month", 25.5, 25.0, NOON + 60),
                        TenantLimits(usd_per_month=25.0), 0).message
    assert "monthly budget: $25.50 of $25.00 spent; it resets at 2026-12-31T12:01:00Z" in big


async def test_a_clock_set_back_finds_the_spend_of_the_day_it_returns_to(
        store: LimitStore) -> None:
    limits = TenantLimits(usd_per_day=1.0, usd_per_month=5.0)
    await store.settle("t", limits, 0, 1.0, NOON)  # today's budget is spent
    # A clock two days ahead (another year, even) charges its own windows...
    await store.settle("t", limits, 0, 0.25, NOON + 2 * 86400)
    # ...and set right again, today's spend is still today's.
    refused = await store.admit("t", limits, 0, NOON + 60)
    assert isinstance(refused, Refusal) and refused.window == "day"
    assert (await store.spent(["t"], NOON + 60))["t"] == (1.0, 1.0)
    assert (await store.spent(["t"], NOON + 2 * 86400))["t"] == (0.25, 0.25)
