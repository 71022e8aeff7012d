"""Real Redis for the tests that need one: skip with a reason on a machine without it,
fail in CI (REACTOR_REQUIRE_REDIS=1), where it must be there."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5):
            return True
    except OSError:
        return False


def require_redis() -> str:
    """A fresh key prefix on the local Redis, or skip (fail under CI) without one."""
    if not redis_reachable():
        message = (f"no Redis at {REDIS_HOST}:{REDIS_PORT}; start one with `redis-server "
                   "--daemonize yes --bind 127.0.0.1 --port 6379 --save ''` to run this test")
        if os.environ.get("REACTOR_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return f"reactor-test:{uuid.uuid4().hex}"


async def delete_prefix(prefix: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
