from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

import pytest

from reactor import RouterConfig, parse_config
from reactor._router import Router
from reactor._server import Server

# Four simulated models with no delay: every test runs at machine speed.
FAST_MODELS = """
[runtime]
restart_backoff_s = 0.0

[selector]
aliases = [{ name = "fast", mode = "fast" }, { name = "best", mode = "accurate" }]

[[models]]
name = "nano"
price_in = 0.10
price_out = 0.40
quality = 0.55
failover = ["mini"]
upstream = { kind = "simulated", output_tokens = 12 }

[[models]]
name = "mini"
price_in = 0.40
price_out = 1.60
quality = 0.68
tools = true
json_mode = true
upstream = { kind = "simulated", output_tokens = 16 }

[[models]]
name = "pro"
price_in = 2.50
price_out = 10.0
quality = 0.82
tools = true
json_mode = true
upstream = { kind = "simulated", output_tokens = 20 }

[[models]]
name = "ultra"
price_in = 15.0
price_out = 75.0
quality = 0.91
ttft_ms = 1500
tools = true
json_mode = true
upstream = { kind = "simulated", output_tokens = 24 }
"""

# Two models of nearly the same prior quality, one far cheaper: balanced routing picks
# the cheap one until feedback says it answers this kind of prompt badly.
TWO_MODELS = """
[cache]
enabled = false

[selector]
quality_model = "{path}"

[[models]]
name = "cheap"
price_in = 0.1
price_out = 0.4
quality = 0.70
upstream = {{ kind = "simulated", output_tokens = 8 }}

[[models]]
name = "strong"
price_in = 2.5
price_out = 10.0
quality = 0.72
upstream = {{ kind = "simulated", output_tokens = 8 }}
"""


@pytest.fixture
def config() -> RouterConfig:
    return parse_config(FAST_MODELS, source="test.toml")


T = TypeVar("T")


async def hold_open(manager: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Keep an async context open in one task across a fixture's setup and teardown.

    pytest-asyncio may run a fixture's setup and teardown in different tasks, and a
    task group (which `Router` holds open) must be exited by the task that entered it.
    """
    entered: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    release = asyncio.Event()

    async def keeper() -> None:
        try:
            async with manager as value:
                entered.set_result(value)
                await release.wait()
        except BaseException as exc:
            if not entered.done():
                entered.set_exception(exc)
            raise

    task = asyncio.create_task(keeper())
    try:
        yield await entered
    finally:
        release.set()
        await task


@pytest.fixture
async def router(config: RouterConfig) -> AsyncIterator[Router]:
    async for running in hold_open(Router(config)):
        yield running


@pytest.fixture
async def server(router: Router) -> AsyncIterator[Server]:
    async with Server(router, "127.0.0.1", 0) as running:
        yield running


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
