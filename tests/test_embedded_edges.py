"""The embedded API misused: each mistake is a clear exception, never a hang or a crash."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

from reactor import ChatMessage, ChatRequest, InvalidRequest, RouterClosed, RouterConfig
from reactor._router import Router
from reactor._wire import Constraints, Preferences

HI: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}], "model": "nano"}


async def test_feedback_outside_the_router_block_is_refused(config: RouterConfig) -> None:
    router = Router(config)
    with anyio.fail_after(5):
        with pytest.raises(RouterClosed):
            await router.feedback("any", rating=3)
        async with router:
            request_id = (await router.complete(HI)).id.removeprefix("chatcmpl-")
            assert await router.feedback(request_id, rating=5)
        with pytest.raises(RouterClosed):
            await router.feedback(request_id, rating=1)


async def test_a_router_is_entered_once(config: RouterConfig) -> None:
    router = Router(config)
    with anyio.fail_after(5):
        async with router:
            with pytest.raises(RuntimeError, match="runs once"):
                await router.__aenter__()
            assert (await router.complete(HI)).model == "nano"
        with pytest.raises(RuntimeError, match="runs once"):
            async with router:
                pass
    assert router.pipeline.system.actors[0].restarts == 0


async def test_route_and_execute_outside_the_router_block_is_refused(
        config: RouterConfig) -> None:
    with pytest.raises(RouterClosed):
        await Router(config).route_and_execute("hi")


@pytest.mark.parametrize(("options", "param"), [
    ({"mode": "turbo"}, "mode"),
    ({"preferences": {"cost": "cheap"}}, "preferences.cost"),
    ({"preferences": {"cost": -1.0}}, "preferences.cost"),
    ({"preferences": {"speed": 1.0}}, "preferences.speed"),
    ({"constraints": {"max_cost": 0.1}}, "constraints.max_cost"),
])
async def test_route_and_execute_names_the_bad_option(
        router: Router, options: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await router.route_and_execute("hi", **options)
    assert caught.value.param == param
    assert router.pipeline.selector.restarts == 0


async def test_route_and_execute_takes_structs_too(router: Router) -> None:
    routed = await router.route_and_execute("hi", preferences=Preferences(cost=1.0),
                                            system="be brief")
    assert routed.model == "nano" and routed.answer


async def test_a_request_that_is_neither_a_struct_nor_a_dict_is_a_type_error(
        router: Router) -> None:
    with pytest.raises(TypeError, match="not str"):
        await router.complete("hello")  # type: ignore[arg-type]


async def test_a_call_from_another_event_loop_is_refused_not_left_hanging(
        router: Router) -> None:
    def elsewhere() -> BaseException | None:
        async def call() -> None:
            with anyio.fail_after(5):
                await router.complete(HI)

        try:
            asyncio.run(call())
        except BaseException as exc:
            return exc
        return None

    error = await anyio.to_thread.run_sync(elsewhere)
    assert isinstance(error, RuntimeError) and "thread" in str(error)
    assert router.in_flight == 0
    assert (await router.complete(HI)).model == "nano"


@pytest.mark.parametrize(("fields", "param"), [
    ({"temperature": float("nan")}, "temperature"),
    ({"max_tokens": float("inf")}, "max_tokens"),
    ({"messages": [{"role": "user", "content": b"hi"}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": "hi"}], "user": bytearray(b"me")}, "user"),
])
async def test_a_dict_value_json_cannot_carry_is_refused_not_changed(
        router: Router, fields: dict[str, Any], param: str) -> None:
    # Written as JSON, a NaN or an infinity would read as an unset field, and bytes as
    # their base64 text: another request than the one given.
    with pytest.raises(InvalidRequest) as caught:
        await router.complete({**HI, **fields})
    assert caught.value.param == param
    assert router.in_flight == 0


@pytest.mark.parametrize(("fields", "param"), [
    ({"mode": "turbo"}, "mode"),
    ({"temperature": "hot"}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"max_tokens": "ten"}, "max_tokens"),
    # Compared with a NaN, every model met the limit: no limit at all.
    ({"constraints": Constraints(max_cost_usd=float("nan"))}, "constraints.max_cost_usd"),
    ({"constraints": Constraints(min_quality=float("inf"))}, "constraints.min_quality"),
])
async def test_a_request_struct_of_the_wrong_shape_is_refused_before_any_stage(
        router: Router, fields: dict[str, Any], param: str) -> None:
    # A Struct built in code is not validated by msgspec; sent on, a bad field crashed
    # the stage that read it, and a few of them took the whole router down.
    request = ChatRequest(messages=[ChatMessage(role="user", content="hi")], **fields)
    for _ in range(router.config.runtime.max_restarts + 1):
        with pytest.raises(InvalidRequest) as caught:
            await router.complete(request)
        assert caught.value.param == param
    assert router.pipeline.selector.restarts == 0
    assert (await router.complete(HI)).model == "nano"


def test_entering_outside_an_asyncio_loop_is_refused_at_the_door(
        config: RouterConfig) -> None:
    # What trio, or any other event loop library, looks like to the router: no asyncio
    # loop running (trio is not a dependency, so not run here). The coroutine is driven
    # by hand, as such a library would drive it.
    entering = Router(config).__aenter__()
    with pytest.raises(RuntimeError, match="asyncio event loop"):
        entering.send(None)


@pytest.mark.parametrize("request_", [
    {"messages": [{"role": "user", "content": "hi"}], "mode": "turbo"},
    ChatRequest(messages=[ChatMessage(role="user", content="hi")],
                mode="turbo"),  # type: ignore[arg-type]
])
async def test_submit_refuses_what_would_crash_a_stage(
        router: Router, request_: ChatRequest | dict[str, Any]) -> None:
    for _ in range(router.config.runtime.max_restarts + 1):
        with pytest.raises(InvalidRequest) as caught:
            router.submit(request_)
        assert caught.value.param == "mode"
    assert router.in_flight == 0
    flow = router.submit(HI)
    with anyio.fail_after(5):
        assert [type(event).__name__ async for event in flow.events()][-1] == "Done"
