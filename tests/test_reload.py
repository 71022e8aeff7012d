"""`reactor serve` reloads router.toml on SIGHUP without dropping a request: a new router
takes new requests, the old one finishes what it began; a file that does not load is
logged and the running router goes on. Real processes, real sockets."""

from __future__ import annotations

import hashlib
import json
import signal
import sys
from pathlib import Path

import aiohttp
import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from reactor import FakeClock, RequestFailed, parse_config
from reactor._router import Router
from reactor._server import Server, _Hosted
from tests.conftest import TWO_MODELS
from tests.stages.test_semantic_cache import ask as semantic_ask
from tests.stages.test_semantic_cache import config_text, stored
from tests.test_cli import child, listening

MODELS = """
[runtime]
restart_backoff_s = 0.0

[[models]]
name = "nano"
price_in = 0.1
price_out = 0.4
upstream = { kind = "simulated", output_tokens = 4 }

[[models]]
name = "slow"
price_in = 0.1
price_out = 0.4
upstream = { kind = "simulated", output_tokens = 30, tokens_per_s = 30 }
"""

EXTRA = """
[[models]]
name = "extra"
price_in = 0.2
price_out = 0.8
upstream = { kind = "simulated", output_tokens = 5 }
"""


class Log:
    """The server's JSON log lines, read as they come."""

    def __init__(self, process: anyio.abc.Process) -> None:
        assert process.stderr is not None
        self.lines = BufferedByteReceiveStream(process.stderr)
        self.broken: list[bytes] = []

    async def until(self, event: str) -> dict[str, object]:
        while True:
            line = await self.lines.receive_until(b"\n", 1 << 20)
            try:
                entry = json.loads(line)
            except ValueError:
                self.broken.append(line)
                continue
            if entry.get("event") == event:
                return dict(entry)


async def models(session: aiohttp.ClientSession, url: str) -> set[str]:
    async with session.get(url + "/v1/models") as response:
        return {m["id"] for m in (await response.json())["data"]}


async def digest(session: aiohttp.ClientSession, url: str) -> str:
    """The configuration in use, as `/api/v1/stats` and `/metrics` both say."""
    async with session.get(url + "/api/v1/stats") as response:
        stats = await response.json()
    async with session.get(url + "/metrics") as response:
        text = await response.text()
    said = str(stats["config"]["digest"])
    assert f'reactor_config_info{{digest="{said}"}} 1.0' in text
    return said


async def ask(session: aiohttp.ClientSession, url: str, model: str) -> int:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    async with session.post(url + "/v1/chat/completions", json=body) as response:
        await response.read()
        return response.status


async def test_sighup_reloads_the_config_and_the_request_in_flight_finishes(
        tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(MODELS)
    async with child("--log-json", "serve", "--config", str(config), "--port", "0") as process:
        with anyio.fail_after(60):
            url = await listening(process)
            log = Log(process)
            async with aiohttp.ClientSession() as session:
                assert "extra" not in await models(session, url)
                body = {"model": "slow", "stream": True,
                        "messages": [{"role": "user", "content": "a long answer"}]}
                async with session.post(url + "/v1/chat/completions", json=body) as stream:
                    assert stream.status == 200
                    first = await stream.content.readline()
                    assert first.startswith(b"data: ")

                    # Reloaded while that stream is still being written.
                    config.write_text(MODELS + EXTRA)
                    process.send_signal(signal.SIGHUP)
                    reloaded = await log.until("reloaded")
                    assert reloaded["models"] == 3
                    # `check-config` tells the digest a server running the file reports.
                    checked = await anyio.run_process(
                        [sys.executable, "-m", "reactor", "check-config", str(config)])
                    assert f"digest {reloaded['digest']}" in checked.stdout.decode()
                    assert await digest(session, url) == reloaded["digest"] != \
                        reloaded["was"]
                    assert "extra" in await models(session, url)
                    assert await ask(session, url, "extra") == 200

                    rest = (first + await stream.content.read()).decode()
                events = [line[len("data: "):] for line in rest.splitlines()
                          if line.startswith("data: ")]
                assert events[-1] == "[DONE]"
                text = "".join(json.loads(e)["choices"][0]["delta"].get("content", "")
                               for e in events[:-1] if json.loads(e)["choices"])
                assert len(text.split()) == 30  # whole, from the router it began on
                await log.until("retired")

                # A broken file is refused, said with the key, and nothing changes.
                config.write_text(MODELS.replace("price_in = 0.1", 'price_in = "cheap"', 1))
                process.send_signal(signal.SIGHUP)
                failed = await log.until("reload_failed")
                assert "models[0].price_in" in str(failed["error"])
                assert "extra" in await models(session, url)
                assert await digest(session, url) == reloaded["digest"]
                assert await ask(session, url, "extra") == 200

                # The same file again: nothing to change, nothing rebuilt.
                config.write_text(MODELS + EXTRA)
                process.send_signal(signal.SIGHUP)
                unchanged = await log.until("reload_unchanged")
                assert unchanged["digest"] == reloaded["digest"]

                # The listening address is kept, and said to be.
                config.write_text(MODELS + "\n[server]\nport = 1\n")
                process.send_signal(signal.SIGHUP)
                kept = await log.until("reload_keeps_listening")
                assert kept["keys"] == ["server.port"]
                await log.until("reloaded")
                assert "extra" not in await models(session, url)
                assert await ask(session, url, "nano") == 200

            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0


LIMITED = """
[admission]
requests_per_minute = 2

[[models]]
name = "nano"
price_in = 0.1
price_out = 0.4
upstream = { kind = "simulated", output_tokens = 4 }
"""


async def test_a_reloaded_router_carries_on_the_limits_it_replaces() -> None:
    clock = FakeClock(wall_offset=1_800_000_000.0)
    question = {"messages": [{"role": "user", "content": "hi"}]}
    with anyio.fail_after(10):
        async with Router(parse_config(LIMITED), clock=clock) as old:
            for _ in range(2):
                await old.complete(question, tenant="acme")
            async with Router(parse_config(LIMITED), clock=clock, previous=old) as new:
                try:
                    await new.complete(question, tenant="acme")
                except RequestFailed as exc:
                    refused = exc.error
                else:
                    raise AssertionError("the third request in a minute was admitted")
                assert refused.status == 429
                await new.complete(question, tenant="other")  # another tenant's own limit
            # Without `previous`, a router starts its own count.
            async with Router(parse_config(LIMITED), clock=clock) as fresh:
                await fresh.complete(question, tenant="acme")


BREAKING = """
[runtime]
restart_backoff_s = 0.0

[provider.retry]
max_attempts = 1

[breaker]
failure_threshold = 2
{extra}

[[models]]
name = "broken"
price_in = 0.1
price_out = 0.4
upstream = {{ kind = "simulated", error_rate = 1.0 }}

[[models]]
name = "nano"
price_in = 0.1
price_out = 0.4
upstream = {{ kind = "simulated", output_tokens = 4 }}
"""


async def test_a_reloaded_router_keeps_an_open_breaker_open_unless_its_settings_changed(
        ) -> None:
    clock = FakeClock()
    question = {"model": "broken", "messages": [{"role": "user", "content": "hi"}]}
    with anyio.fail_after(10):
        async with Router(parse_config(BREAKING.format(extra="")), clock=clock) as old:
            for _ in range(2):
                try:
                    await old.complete(question)
                except RequestFailed:
                    pass
            await old.quiesce()  # the breaker learns from outcomes after they are answered
            assert old.breaker_states()["broken"]["state"] == "open"
            same = parse_config(BREAKING.format(extra=""))
            async with Router(same, clock=clock, previous=old) as new:
                assert new.breaker_states()["broken"]["state"] == "open"
                assert new.breaker_states()["nano"]["state"] == "closed"
            changed = parse_config(BREAKING.format(extra="cooldown_s = 5.0"))
            async with Router(changed, clock=clock, previous=old) as new:
                assert new.breaker_states()["broken"]["state"] == "closed"


async def test_workers_each_reload_and_their_log_lines_stay_whole(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(MODELS)
    # Unbuffered, as containers often run Python: each write reaches the pipe at once.
    async with child("--log-json", "serve", "--config", str(config), "--port", "0",
                     "--workers", "2") as process:
        with anyio.fail_after(90):
            url = await listening(process)
            log = Log(process)
            for round_ in range(3):  # each round changes the file: extra, none, extra
                config.write_text(MODELS + (EXTRA if round_ % 2 == 0 else ""))
                process.send_signal(signal.SIGHUP)
                for _ in range(2):  # one from each worker
                    await log.until("reloaded")
            async with aiohttp.ClientSession() as session:
                assert "extra" in await models(session, url)
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
            assert process.stderr is not None
            rest = b"".join([chunk async for chunk in log.lines.receive_stream])
    # Every line the two workers wrote to the one stderr is one whole JSON object.
    assert log.broken == []
    lines = (log.lines.buffer + rest).decode().splitlines()
    events = [json.loads(line)["event"] for line in lines if line]
    assert events.count("shutting_down") == 2 and events.count("drained") == 2


async def test_feedback_on_an_answer_from_before_a_reload_still_counts() -> None:
    question = {"messages": [{"role": "user", "content": "what is a monad"}]}
    with anyio.fail_after(10):
        async with Router(parse_config(MODELS)) as old:
            answer = await old.complete(question)
            await old.quiesce()  # the selector remembers the answer once it is settled
            assert answer.router is not None
            async with Router(parse_config(MODELS), previous=old) as new:
                assert await new.feedback(answer.router.request_id, rating=5)
            async with Router(parse_config(MODELS)) as fresh:
                assert not await fresh.feedback(answer.router.request_id, rating=5)


async def test_what_the_selector_learned_is_kept_across_a_reload(tmp_path: Path) -> None:
    prompt = {"messages": [{"role": "user", "content":
                            "How do I convert a timestamp with a timezone offset to UTC?"}]}
    path = tmp_path / "quality.npz"
    config = parse_config(TWO_MODELS.format(path=path))
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            # Each router in a task of its own, as `reactor serve` hosts them.
            old = _Hosted(Router(config))
            await tg.start(old.run)
            assert (await old.router.route(prompt)).model == "cheap"
            for _ in range(4):
                answer = await old.router.complete(prompt)
                await old.router.quiesce()
                assert answer.router is not None
                # Bad answers from the cheap model: whichever got the requests,
                # the strong one is better for this prompt.
                rating = 1 if answer.router.model == "cheap" else 5
                assert await old.router.feedback(answer.router.request_id, rating=rating)
            assert (await old.router.route(prompt)).model == "strong"
            assert not path.exists()  # saved only when a router stops

            # A reload: the new router starts while the old one still runs, then the
            # old one stops first.
            new = _Hosted(Router(config, previous=old.router))
            await tg.start(new.run)
            assert (await new.router.route(prompt)).model == "strong"
            new.router.replaced_previous()
            old.retire.set()
            await old.ended.wait()
            assert not path.exists()  # the old one left the saving to the new one
            new.retire.set()

    async with Router(config) as restarted:
        assert (await restarted.route(prompt)).model == "strong"


async def test_the_semantic_cache_is_kept_across_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "semantic.npz"
    config = parse_config(config_text(semantic=f'path = "{path}"'))
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            old = _Hosted(Router(config))
            await tg.start(old.run)
            first = await old.router.complete(semantic_ask("Why do cats purr?"))
            await stored(old.router, 1)
            # Other index bounds need another index: nothing is shared (built, not run).
            smaller = parse_config(config_text(semantic=f'path = "{path}"\nmax_entries = 5'))
            assert Router(smaller, previous=old.router).pipeline.semantic.index is None
            # A new threshold is a new policy over the same entries: they carry on.
            stricter = parse_config(config_text(semantic=f'path = "{path}"\nthreshold = 0.95'))
            new = _Hosted(Router(stricter, previous=old.router))
            await tg.start(new.run)
            new.router.replaced_previous()
            old.retire.set()
            await old.ended.wait()
            assert not path.exists()  # the old one left the saving to the new one
            again = await new.router.complete(semantic_ask("why do cats purr"))
            assert again.router is not None and again.router.cache == "semantic"
            new.retire.set()
    async with Router(config) as restarted:
        later = await restarted.complete(semantic_ask("why do cats purr?"))
    assert later.router is not None and later.router.cache == "semantic"
    assert later.text == again.text == first.text


async def test_a_reload_adds_and_revokes_keys_for_the_next_request() -> None:
    def keyed(*keys: str) -> str:
        listed = ", ".join(
            f'{{ tenant = "{key}", sha256 = "{hashlib.sha256(key.encode()).hexdigest()}" }}'
            for key in keys)
        return f"[admission]\nrequire_key = true\nkeys = [{listed}]\n" + MODELS

    async def status(server: Server, key: str) -> int:
        async with aiohttp.ClientSession() as session, session.post(
                server.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                json={"model": "nano", "messages": [{"role": "user", "content": "hi"}]},
        ) as response:
            return response.status

    with anyio.fail_after(20):
        async with Router(parse_config(keyed("sk-old"))) as old, Server(old) as server:
            assert await status(server, "sk-old") == 200
            assert await status(server, "sk-new") == 401
            async with Router(parse_config(keyed("sk-new")), previous=old) as new:
                server.use(new)
                assert await status(server, "sk-new") == 200
                assert await status(server, "sk-old") == 401
                server.use(old)  # the old one must outlive the server in this test


async def test_a_reload_given_up_leaves_the_saving_to_the_old_router(tmp_path: Path) -> None:
    prompt = {"messages": [{"role": "user", "content":
                            "How do I convert a timestamp with a timezone offset to UTC?"}]}
    path = tmp_path / "quality.npz"
    config = parse_config(TWO_MODELS.format(path=path))
    with anyio.fail_after(20):
        async with Router(config) as old:
            for _ in range(4):
                answer = await old.complete(prompt)
                await old.quiesce()
                assert answer.router is not None
                # Bad answers from the cheap model: whichever got the requests,
                # the strong one is better for this prompt.
                rating = 1 if answer.router.model == "cheap" else 5
                assert await old.feedback(answer.router.request_id, rating=rating)
            # Built to replace it, but never put in its place (say, the swap failed).
            async with Router(config, previous=old):
                pass
            assert not path.exists()  # the one that was never used saved nothing
        assert path.exists()  # the old one, still in charge, saved what it learned
    async with Router(config) as restarted:
        assert (await restarted.route(prompt)).model == "strong"


async def test_the_exact_cache_is_kept_across_a_reload_unless_its_version_changed() -> None:
    def cached(extra: str) -> str:
        return f"[cache]\nmax_temperature = 1.0\n{extra}\n" + MODELS

    question = {"model": "nano", "messages": [{"role": "user", "content": "what is 2+2"}]}
    with anyio.fail_after(10):
        async with Router(parse_config(cached(""))) as old:
            first = await old.complete(question)
            await old.quiesce()  # stored once its outcome is settled
            same = parse_config(cached("max_entries = 500"))
            async with Router(same, previous=old) as new:
                again = await new.complete(question)
                assert new.pipeline.cache.store is old.pipeline.cache.store
                # The old bound holds until the new router takes the requests.
                assert getattr(new.pipeline.cache.store, "max_entries", None) == 10_000
                new.replaced_previous()
                assert getattr(new.pipeline.cache.store, "max_entries", None) == 500
            bumped = parse_config(cached('version = "2"'))
            async with Router(bumped, previous=old) as new:
                afresh = await new.complete(question)
    assert again.router is not None and again.router.cache == "exact"
    assert again.choices[0].message.content == first.choices[0].message.content
    assert afresh.router is not None and afresh.router.cache == "miss"


def test_a_reload_keeps_streaming_a_model_that_just_hung() -> None:
    # Its next hang should meet the first-token timeout, reload or not.
    old = Router(parse_config(MODELS))
    old.pipeline.provider.streamed_until["nano"] = old.clock.now() + 60.0
    new = Router(parse_config(MODELS), previous=old)
    assert "nano" in new.pipeline.provider.streamed_until
