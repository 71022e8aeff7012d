"""Per-tenant limits in Redis: every instance pointing at one server shares them.

Each check and each charge is one Lua script, run atomically by Redis, so two instances
admitting the same tenant at once cannot both take the last tokens or both pass a
spent budget. A tenant's keys share a hash tag (`{tenant}`), so they sit in one slot of
a Redis Cluster. Buckets are hashes (`level`, `at`) expiring once they would be full
again; spend totals are floats per window (`usd:day:2026-12-01`, `usd:month:2026-12`)
expiring a day after their window ends. Time is the caller's wall clock: instances
must keep their clocks in step (NTP), as they must for any shared window.

A Redis that is down or slower than `redis_timeout_s` raises `LimitsUnavailable` from
`admit` (admission applies `on_backend_error`) and loses the charge in `settle`; both
are counted in `errors` and logged. A charge whose reply was lost may have counted all
the same; it is never sent twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from reactor import Quota, TenantLimits
from stages.limits import (
    LimitsUnavailable,
    Refusal,
    Spent,
    WindowCache,
    judge_budget,
    quota,
)

log = structlog.get_logger("reactor.limits")

# KEYS: requests bucket, tokens bucket, day spend, month spend.
# ARGV: now, requests per minute, tokens per minute (0: none), tokens to take,
#       USD per day, USD per month (-1: none).
# Returns {verdict, a, b}: {"ok", day, month}, {"budget", day, month},
# {"requests" | "tokens", seconds to wait, ""}. Numbers travel as strings: Redis turns
# a Lua number into an integer.
_BUCKET = """
local now = tonumber(ARGV[1])
local function level(key, per_minute)
  local held = redis.call('HMGET', key, 'level', 'at')
  local lvl, at = tonumber(held[1]), tonumber(held[2])
  if lvl == nil then return per_minute end
  if at == nil or at > now then at = now end
  return math.min(per_minute, lvl + (now - at) * per_minute / 60)
end
local function store(key, lvl, per_minute)
  redis.call('HSET', key, 'level', tostring(lvl), 'at', ARGV[1])
  redis.call('EXPIRE', key, math.ceil((per_minute - lvl) * 60 / per_minute) + 1)
end
"""

ADMIT = _BUCKET + """
local day = tonumber(redis.call('GET', KEYS[3]) or '0')
local month = tonumber(redis.call('GET', KEYS[4]) or '0')
local usd_day, usd_month = tonumber(ARGV[5]), tonumber(ARGV[6])
if (usd_month >= 0 and month >= usd_month) or (usd_day >= 0 and day >= usd_day) then
  return {'budget', tostring(day), tostring(month)}
end
local rpm, tpm, need = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local requests, tokens = 0, 0
if rpm > 0 then
  requests = level(KEYS[1], rpm)
  if requests < 1 then return {'requests', tostring((1 - requests) * 60 / rpm), ''} end
end
if tpm > 0 then
  tokens = level(KEYS[2], tpm)
  if tokens < need then return {'tokens', tostring((need - tokens) * 60 / tpm), ''} end
end
if rpm > 0 then store(KEYS[1], requests - 1, rpm) end
if tpm > 0 then store(KEYS[2], tokens - need, tpm) end
return {'ok', tostring(day), tostring(month)}
"""

# KEYS: tokens bucket, day spend, month spend.
# ARGV: now, tokens per minute (0: none), tokens to give back (negative: take),
#       USD to charge, day key TTL, month key TTL.
# Every key is read before any is written: Redis does not undo the writes of a script
# that fails halfway (on a key of the wrong type), and a charge is all or nothing.
SETTLE = _BUCKET + """
local cost = tonumber(ARGV[4])
local tpm, refund = tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = nil
if tpm > 0 and refund ~= 0 then tokens = level(KEYS[1], tpm) end
if cost > 0 then
  for _, key in ipairs({KEYS[2], KEYS[3]}) do
    if tonumber(redis.call('GET', key) or '0') == nil then
      return redis.error_reply('spend at ' .. key .. ' is not a number')
    end
  end
  redis.call('INCRBYFLOAT', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  redis.call('INCRBYFLOAT', KEYS[3], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
if tokens ~= nil then
  store(KEYS[1], math.min(tpm, tokens + refund), tpm)
end
return 1
"""


class RedisLimits:
    name = "redis"

    def __init__(self, url: str, prefix: str, timeout_s: float) -> None:
        # No retries: a script resent after a lost reply would count twice.
        self.client = Redis.from_url(url, socket_timeout=timeout_s,
                                     socket_connect_timeout=timeout_s,
                                     retry=Retry(NoBackoff(), 0))
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.errors = 0
        self._admit = self.client.register_script(ADMIT)
        self._settle = self.client.register_script(SETTLE)
        self._windows = WindowCache()
        self._seen: set[str] = set()

    def _keys(self, tenant: str, day: str, month: str) -> tuple[str, str, str, str]:
        base = f"{self.prefix}:{{{tenant}}}"
        return (f"{base}:rpm", f"{base}:tpm", f"{base}:usd:day:{day}",
                f"{base}:usd:month:{month}")

    async def admit(self, tenant: str, limits: TenantLimits, tokens: int,
                    wall: float) -> Quota | Refusal:
        windows = self._windows.at(wall)
        tpm = limits.tokens_per_minute
        need = 0 if tpm is None else min(tokens, tpm)
        args = (repr(wall), limits.requests_per_minute or 0, tpm or 0, need,
                _or_none(limits.usd_per_day), _or_none(limits.usd_per_month))
        keys = self._keys(tenant, windows.day, windows.month)
        reply = await self._call("admit", self._admit, keys, args)
        self._seen.add(tenant)
        verdict = reply[0].decode()
        if verdict in ("requests", "tokens"):
            return Refusal(verdict, float(reply[1]))  # type: ignore[arg-type]
        spent = Spent(float(reply[1]), float(reply[2]))
        if verdict == "budget":
            refused = judge_budget(limits, spent, windows, wall)
            assert refused is not None
            return refused
        return quota(limits, spent, windows, need)

    async def settle(self, tenant: str, limits: TenantLimits, refund_tokens: int,
                     cost_usd: float, wall: float) -> None:
        windows = self._windows.at(wall)
        _, tpm_key, day_key, month_key = self._keys(tenant, windows.day, windows.month)
        args = (repr(wall), limits.tokens_per_minute or 0, refund_tokens, repr(cost_usd),
                int(windows.day_end - wall) + 86400, int(windows.month_end - wall) + 86400)
        try:
            await self._call("settle", self._settle, (tpm_key, day_key, month_key), args)
        except LimitsUnavailable:
            log.warning("spend_not_recorded", tenant=tenant, cost_usd=cost_usd,
                        refund_tokens=refund_tokens)

    async def spent(self, tenants: list[str], wall: float) -> dict[str, Spent]:
        windows = self._windows.at(wall)
        keys = [key for tenant in tenants
                for key in self._keys(tenant, windows.day, windows.month)[2:]]
        if not keys:
            return {}
        values = await self._bounded("spent", lambda: self.client.mget(keys))
        try:
            floats = [float(value or 0.0) for value in values]
        except ValueError as exc:  # a key someone else wrote: report it, do not crash
            self._failed("spent", exc)
            raise LimitsUnavailable(str(exc)) from None
        return {tenant: Spent(floats[2 * i], floats[2 * i + 1])
                for i, tenant in enumerate(tenants)}

    def seen(self) -> list[str]:
        return list(self._seen)

    async def _call(self, op: str, script: object, keys: tuple[str, ...],
                    args: tuple[object, ...]) -> list[bytes]:
        reply: list[bytes] = await self._bounded(
            op, lambda: script(keys=keys, args=args))  # type: ignore[operator]
        return reply

    async def _bounded(self, op: str, request: Callable[[], Awaitable[Any]]) -> Any:
        """`request()`'s reply, or `LimitsUnavailable` (counted, logged) if Redis fails."""
        try:
            # The socket timeouts bound each read; this bounds the whole call, retries
            # and reconnects included.
            with anyio.fail_after(self.timeout_s):
                return await request()
        except (TimeoutError, OSError, RedisError) as exc:
            self._failed(op, exc)
            raise LimitsUnavailable(str(exc)) from None

    def _failed(self, op: str, exc: BaseException) -> None:
        self.errors += 1
        log.warning("limits_backend_failed", backend="redis", op=op, error=repr(exc))

    async def close(self) -> None:
        await self.client.aclose()


def _or_none(value: float | None) -> str:
    return "-1" if value is None else repr(value)
