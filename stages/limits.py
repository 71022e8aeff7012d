"""Per-tenant limits: requests and tokens per minute, USD budgets per UTC day and month.

Admission asks before a request goes in (`LimitStore.admit`); the spend book
(`stages.spend`) settles after it ended (`LimitStore.settle`). Rates are token buckets
holding a minute's worth. A request reserves its prompt estimate plus its output limit
from the tokens bucket; the outcome corrects that to the tokens actually used, so a
bucket may go into debt and later requests wait it out. Budgets are spend totals per
calendar window: a tenant at or over a limit is refused until the window ends, and the
budget left travels on the job (`Quota`) so the selector picks no model whose estimated
cost exceeds it. Spend is charged when the answer is known, not reserved, so requests
in flight together can overshoot a budget by at most their own cost.

`MemoryLimits` keeps the state in this process; `stages.limits_redis.RedisLimits` in
Redis, where every instance shares it. Both read time from the wall clock they are
given (the injected clock's), so windows and buckets move under a fake clock too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from reactor import AdmissionConfig, ChatRequest, ErrorInfo, Quota, TenantConfig, TenantLimits

Reason = Literal["budget", "tokens", "requests"]
Window = Literal["day", "month"]

_PER_MESSAGE_TOKENS = 4
_WINDOWS_KEPT = 3
"""Spend totals a tenant keeps in memory per kind of window: the current one, and those
a clock set wrong wrote to."""


class Policy:
    """Every tenant's effective limits, resolved once: a named tenant's own keys over
    `[admission]`'s defaults; `inf` budgets mean none."""

    def __init__(self, config: AdmissionConfig) -> None:
        self.output_tokens_reserved = config.output_tokens_reserved
        default = _resolved(TenantConfig(), config)
        self.default = default
        self.tenants = {name: _resolved(own, config) for name, own in config.tenants.items()}

    def of(self, tenant: str) -> TenantLimits | None:
        """The tenant's limits, or None when it has none (the common, free case)."""
        return self.tenants.get(tenant, self.default)

    @property
    def metered(self) -> bool:
        """Does any tenant have a limit? (If not, nothing needs settling.)"""
        return self.default is not None or any(self.tenants.values())

    def named(self) -> list[str]:
        return sorted(name for name, limits in self.tenants.items() if limits is not None)

    def reserve(self, request: ChatRequest, chars_per_token: float) -> int:
        """Tokens a request reserves: a cheap prompt estimate plus its output limit."""
        chars = sum(len(message.text) for message in request.messages)
        output = request.output_limit
        return (math.ceil(chars / chars_per_token) + _PER_MESSAGE_TOKENS * len(request.messages)
                + (self.output_tokens_reserved if output is None else output))


def _resolved(own: TenantConfig, config: AdmissionConfig) -> TenantLimits | None:
    def pick(mine: Any, default: Any) -> Any:
        value = mine if mine is not None else default
        return None if isinstance(value, float) and math.isinf(value) else value

    limits = TenantLimits(
        requests_per_minute=pick(own.requests_per_minute, config.requests_per_minute),
        tokens_per_minute=pick(own.tokens_per_minute, config.tokens_per_minute),
        usd_per_day=pick(own.usd_per_day, config.usd_per_day),
        usd_per_month=pick(own.usd_per_month, config.usd_per_month))
    if limits == TenantLimits():
        return None
    return limits


def has_budget(limits: TenantLimits) -> bool:
    """Is the tenant's spend limited (per day, per month or both)?"""
    return limits.usd_per_day is not None or limits.usd_per_month is not None


class Windows(NamedTuple):
    """The UTC calendar windows a moment falls in, and when each ends."""

    day: str
    day_end: float
    month: str
    month_end: float


def windows_at(wall: float) -> Windows:
    moment = datetime.fromtimestamp(wall, UTC)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    month_end = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return Windows(start.strftime("%Y-%m-%d"), (start + timedelta(days=1)).timestamp(),
                   start.strftime("%Y-%m"), month_end.timestamp())


class WindowCache:
    """`windows_at`, recomputed only when a day ends."""

    def __init__(self) -> None:
        self._start = math.inf
        self._windows = windows_at(0.0)

    def at(self, wall: float) -> Windows:
        windows = self._windows
        if not self._start <= wall < windows.day_end:
            windows = self._windows = windows_at(wall)
            self._start = windows.day_end - 86400.0
        return windows


class Refusal(NamedTuple):
    reason: Reason
    retry_after_s: float
    window: Window = "day"
    spent_usd: float = 0.0
    limit_usd: float = 0.0
    resets_at: float = 0.0


class Spent(NamedTuple):
    day_usd: float
    month_usd: float


def judge_budget(limits: TenantLimits, spent: Spent, windows: Windows,
                 wall: float) -> Refusal | None:
    """A refusal when a budget is used up (the month's first: it ends later)."""
    for window, limit, used, end in (("month", limits.usd_per_month, spent.month_usd,
                                      windows.month_end),
                                     ("day", limits.usd_per_day, spent.day_usd,
                                      windows.day_end)):
        if limit is not None and used >= limit:
            return Refusal("budget", math.ceil(end - wall), window, used, limit,  # type: ignore[arg-type]
                           end)
    return None


def quota(limits: TenantLimits, spent: Spent, windows: Windows, reserved: int) -> Quota:
    """What the job carries on: the tightest budget left, and the tokens it reserved."""
    remaining: float | None = None
    window: Window = "day"
    resets_at = 0.0
    if limits.usd_per_day is not None:
        remaining, resets_at = limits.usd_per_day - spent.day_usd, windows.day_end
    if limits.usd_per_month is not None:
        left = limits.usd_per_month - spent.month_usd
        if remaining is None or left < remaining:
            remaining, window, resets_at = left, "month", windows.month_end
    return Quota(remaining_usd=None if remaining is None else max(0.0, remaining),
                 window=window, resets_at=resets_at, reserved_tokens=reserved)


def refill(level: float | None, at: float, per_minute: int, wall: float) -> float:
    """A bucket's level now: full when never used; a clock stepping back refills nothing."""
    if level is None:
        return float(per_minute)
    return min(float(per_minute), level + max(0.0, wall - at) * per_minute / 60.0)


def refusal_error(tenant: str, refusal: Refusal, limits: TenantLimits,
                  reserved: int) -> ErrorInfo:
    """The caller's 429, OpenAI-shaped."""
    match refusal.reason:
        case "budget":
            every = "daily" if refusal.window == "day" else "monthly"
            return ErrorInfo(
                status=429, type="insufficient_quota", code="budget_exceeded",
                message=f"tenant {tenant!r} has used its {every} budget: "
                f"{usd(refusal.spent_usd)} of {usd(refusal.limit_usd)} spent; it resets at "
                f"{iso(refusal.resets_at)}", retry_after_s=refusal.retry_after_s)
        case "tokens":
            per_minute = limits.tokens_per_minute
            why = f"this request reserves {reserved}: its prompt and max_tokens"
            if per_minute is not None and reserved > per_minute:
                why = (f"this request's prompt and max_tokens come to {reserved}, more "
                       "than a minute's worth: it goes in once the whole minute is unused, "
                       "and what it uses beyond that is owed")
            return ErrorInfo(
                status=429, type="rate_limit_error", code="tokens_per_minute_exceeded",
                message=f"tenant {tenant!r} is over its limit of {per_minute} tokens per "
                f"minute ({why})", retry_after_s=_whole_seconds(refusal.retry_after_s))
        case "requests":
            return ErrorInfo(
                status=429, type="rate_limit_error", code="rate_limited",
                message=f"tenant {tenant!r} is over its limit of "
                f"{limits.requests_per_minute} requests per minute",
                retry_after_s=_whole_seconds(refusal.retry_after_s))


def _whole_seconds(wait: float) -> int:
    """A bucket's wait as `Retry-After` says it, in whole seconds rounded up: a caller
    sent back even a millisecond early is refused again. (Rounded to the microsecond
    first, so float noise does not add a second.)"""
    return max(1, math.ceil(round(wait, 6)))


def usd(amount: float) -> str:
    """Dollars to the cent, or to the micro-dollar when cents would hide the amount (a
    budget of $0.0003 is not "$0.00")."""
    if round(amount, 2) == amount:
        return f"${amount:.2f}"
    return f"${amount:.6f}".rstrip("0")


def iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LimitsUnavailable(Exception):
    """The limits backend did not answer (in time)."""


class LimitStore(Protocol):
    name: str
    errors: int
    """Backend failures (Redis down or slow); always 0 in memory."""

    async def admit(self, tenant: str, limits: TenantLimits, tokens: int,
                    wall: float) -> Quota | Refusal:
        """Check the budgets, then take a request and `tokens` from the buckets."""
        ...

    async def settle(self, tenant: str, limits: TenantLimits, refund_tokens: int,
                     cost_usd: float, wall: float) -> None:
        """Charge what an answer cost; give back reserved tokens it did not use (or take
        more, when `refund_tokens` is negative)."""
        ...

    async def spent(self, tenants: list[str], wall: float) -> dict[str, Spent]:
        """Each tenant's spend in the current windows; may raise `LimitsUnavailable`."""
        ...

    def seen(self) -> list[str]:
        """Tenants this instance has metered."""
        ...

    async def close(self) -> None: ...


class _Tenant:
    __slots__ = ("days", "months", "requests", "requests_at", "tokens", "tokens_at")

    def __init__(self) -> None:
        self.requests: float | None = None
        self.requests_at = 0.0
        self.tokens: float | None = None
        self.tokens_at = 0.0
        # Spend per window, as Redis keeps it: a clock set back to a window it has left
        # finds that window's spend again, not a fresh budget.
        self.days: dict[str, float] = {}
        self.months: dict[str, float] = {}

    def spent(self, windows: Windows) -> Spent:
        return Spent(self.days.get(windows.day, 0.0), self.months.get(windows.month, 0.0))

    def charge(self, windows: Windows, cost_usd: float) -> None:
        for totals, window in ((self.days, windows.day), (self.months, windows.month)):
            totals[window] = totals.get(window, 0.0) + cost_usd
            if len(totals) > _WINDOWS_KEPT:
                del totals[min(totals)]  # the oldest: ISO dates sort as time does


class MemoryLimits:
    """Limits kept in this process (one tenant entry per tenant seen)."""

    name = "memory"

    def __init__(self) -> None:
        self.errors = 0
        self._tenants: dict[str, _Tenant] = {}
        self._windows = WindowCache()

    async def admit(self, tenant: str, limits: TenantLimits, tokens: int,
                    wall: float) -> Quota | Refusal:
        state = self._state(tenant)
        windows = self._windows.at(wall)
        spent = state.spent(windows)
        refused = judge_budget(limits, spent, windows, wall)
        if refused is not None:
            return refused
        rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
        requests = tokens_left = 0.0
        if rpm is not None:
            requests = refill(state.requests, state.requests_at, rpm, wall)
            if requests < 1.0:
                return Refusal("requests", (1.0 - requests) * 60.0 / rpm)
        need = 0
        if tpm is not None:
            need = min(tokens, tpm)  # a request larger than a minute waits for a full bucket
            tokens_left = refill(state.tokens, state.tokens_at, tpm, wall)
            if tokens_left < need:
                return Refusal("tokens", (need - tokens_left) * 60.0 / tpm)
        if rpm is not None:
            state.requests, state.requests_at = requests - 1.0, wall
        if tpm is not None:
            state.tokens, state.tokens_at = tokens_left - need, wall
        return quota(limits, spent, windows, need)

    async def settle(self, tenant: str, limits: TenantLimits, refund_tokens: int,
                     cost_usd: float, wall: float) -> None:
        state = self._state(tenant)
        if cost_usd > 0:
            state.charge(self._windows.at(wall), cost_usd)
        tpm = limits.tokens_per_minute
        if tpm is not None and refund_tokens:
            level = refill(state.tokens, state.tokens_at, tpm, wall)
            state.tokens, state.tokens_at = min(float(tpm), level + refund_tokens), wall

    def _state(self, tenant: str) -> _Tenant:
        state = self._tenants.get(tenant)
        if state is None:
            state = self._tenants[tenant] = _Tenant()
        return state

    async def spent(self, tenants: list[str], wall: float) -> dict[str, Spent]:
        windows = self._windows.at(wall)
        return {tenant: state.spent(windows) if (state := self._tenants.get(tenant))
                else Spent(0.0, 0.0) for tenant in tenants}

    def seen(self) -> list[str]:
        return list(self._tenants)

    async def close(self) -> None:
        pass


class LimitsCollector(Collector):
    """Requests refused for a tenant's limits, and backend failures, read at scrape."""

    def __init__(self, rejections: Callable[[], dict[tuple[str, str], int]],
                 errors: Callable[[], int]) -> None:
        self.rejections = rejections
        self.errors = errors

    def collect(self) -> Iterator[Any]:
        refused = CounterMetricFamily(
            "reactor_limit_rejections", "Requests refused (429) for a tenant's limits: "
            "reason budget (spent, or no model fits what is left), tokens or requests.",
            labels=["reason", "tenant"])
        for (reason, tenant), count in sorted(self.rejections().items()):
            refused.add_metric([reason, tenant], count)
        yield refused
        errors = CounterMetricFamily("reactor_limits_backend_errors",
                                     "Limit checks or charges the backend failed.")
        errors.add_metric([], self.errors())
        yield errors


def build_limits(config: AdmissionConfig) -> LimitStore:
    if config.backend == "redis":
        from stages.limits_redis import RedisLimits

        return RedisLimits(config.redis_url, config.redis_prefix, config.redis_timeout_s)
    return MemoryLimits()
