"""Replay a serving trace through Reactor and report what a capacity planner needs.

    python -m bench.replay TRACE [--format reactor|azure|mooncake] [--speed 10]
        [--concurrency N] [--limit N] [--duration S] [--stream]
        [--tokens-per-s R] [--ttft-ms T] [--config router.toml] [--out DIR]
        [--url http://HOST:PORT [--direct-url http://UPSTREAM/v1] | --serve]

Load: open loop by default, each request sent at its trace arrival time divided by
`--speed` whether or not earlier ones have answered (`--speed 0`: all at once); with
`--concurrency N`, closed loop: N workers, each sending its next request when the last
one answered. `--limit` bounds the count, `--duration` the seconds spent sending; the
run then waits up to `--grace` seconds for answers and stops.

Where the requests go, and the baseline that measures router overhead (the same
requests, same schedule, same pace, in the same run, after the router pass):

- in process (default): an embedded `Router` whose models are all simulated at
  `--ttft-ms` / `--tokens-per-s`; baseline: the simulated upstream adapter called
  directly. Mailbox depths are read every 100 ms from the pipeline's actors.
- `--serve`: over HTTP on 127.0.0.1, with two child processes started here and stopped
  at the end: `bench.fake_upstream` (at the same pace) and a Reactor server
  (`bench.replay_serve`) whose models all call that fake; baseline: the fake directly,
  through the same client. Mailbox depths are scraped from `/metrics`.
- `--url`: a Reactor server already running (its own models and pace); baseline only
  if `--direct-url` names an OpenAI-compatible base URL to send the same requests to.
  Every request goes with the key in the environment variable `--api-key-env` (if
  given), so as that key's tenant and tier, whatever the trace says.

In process and with `--serve`, each request is served as the tenant and tier its trace
line names (`--serve` gives the server one key per tenant and tier, made up for the run).

Models: `--config FILE` keeps that file's models, aliases, prices and settings and
replaces every upstream (use the server's own router.toml to replay what it recorded);
by default four simulated models and the aliases of router.toml. Every answer is as
long as the trace says (`max_tokens`; `--output-tokens` when it does not say).

The whole trace (to `--limit`) is read and checked before anything is sent: a bad line
is an error naming it, exit status 2, as is a `--url` that refuses connections.

Each target first gets `--warmup` unmeasured requests. Cost, savings and the cache come
from the router's books, as the difference between before and after the measured pass
(`/api/v1/stats` over HTTP). Exit status 0 when every request sent was answered.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AsyncExitStack
from itertools import islice
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import msgspec
from prometheus_client.parser import text_string_to_metric_families

from bench.children import child
from bench.replay_config import ReplayOptions, http_config, simulated_config
from bench.replay_load import Build, Items, measured, run_pass, warm_up
from bench.replay_report import (
    Collector,
    Report,
    Sample,
    cost_from_stats,
    mailbox_summary,
    overhead,
    table,
    write,
)
from bench.replay_targets import HttpTarget, RouterTarget, SimulatedTarget, build_request
from bench.traces import (
    READERS,
    Synthesiser,
    TraceError,
    TraceRequest,
    guess_format,
    read_trace,
)
from reactor import ChatRequest, Router, SystemClock
from stages.upstreams.simulated import Simulated

SETTLE_S = 10.0


class ReplayError(Exception):
    """A replay that cannot run: its target cannot be reached."""


Passes = tuple[Collector, Collector | None, dict[str, Any] | None]
"""The router pass, the direct pass (if run) and the router's stats over the run."""


async def in_process(options: ReplayOptions, items: Items, build: Build,
                     samples: list[Sample]) -> Passes:
    config = simulated_config(options)
    async with Router(config) as router:
        actors = router.pipeline.actors

        async def read() -> dict[str, int]:
            return {actor.name: actor.mailbox.depth for actor in actors}

        target = RouterTarget(router)
        await warm_up(target, options.warmup)
        before = await _quiet(router)
        routed = await measured(target, items, build, options, read, samples)
        stats = _difference(await _quiet(router), before)
    direct = None
    if options.direct:
        upstream = SimulatedTarget(Simulated("direct", options.simulated(), SystemClock()))
        await warm_up(upstream, options.warmup)
        direct = await run_pass(upstream, items, build, options)
    return routed, direct, stats


async def _quiet(router: Router) -> dict[str, Any]:
    """The router's stats once nothing is in flight and the books are written."""
    with anyio.move_on_after(SETTLE_S):
        await router.quiesce()
    return router.stats()


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as response:
        response.raise_for_status()
        payload: dict[str, Any] = msgspec.json.decode(await response.read())
        return payload


async def _settled_stats(session: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    """The server's stats once nothing is in flight and the books are written; None if
    it does not give them (not a Reactor server, or one answering errors)."""
    try:
        stats = await _get_json(session, url)
        with anyio.move_on_after(SETTLE_S):
            while stats["in_flight"] or any(m["depth"] for m in stats["mailboxes"].values()):
                await anyio.sleep(0.05)
                stats = await _get_json(session, url)
    except (aiohttp.ClientResponseError, msgspec.DecodeError, KeyError, TypeError,
            AttributeError):
        return None
    return stats


def _difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    total = {k: after["cost"]["total"][k] - before["cost"]["total"][k]
             for k in ("requests", "failures", "cost_usd", "saved_usd")}
    cache = {k: after["cache"][k] - before["cache"][k] for k in ("hits", "misses")}
    return {"cost": {"total": total}, "cache": cache}


async def over_http(options: ReplayOptions, items: Items, build: Build,
                    samples: list[Sample], callers: set[tuple[str, str]]) -> Passes:
    connector = aiohttp.TCPConnector(limit=options.connections)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(
            aiohttp.ClientSession(connector=connector, timeout=timeout))
        url, direct_url = options.url, options.direct_url
        keys: dict[tuple[str, str], str] = {}
        key = os.environ.get(options.api_key_env) if options.api_key_env else None
        if options.api_key_env and not key:
            raise ReplayError(f"--api-key-env: {options.api_key_env} is not set")
        if options.serve:
            keys = {caller: secrets.token_urlsafe(24)
                    for caller in callers | {("default", "default")}}
            logs = options.out
            if logs is not None:
                await anyio.Path(logs).mkdir(parents=True, exist_ok=True)
            direct_url = (await stack.enter_async_context(child(
                [sys.executable, "-m", "bench.fake_upstream", "--port", "0",
                 "--tokens", str(options.output_cap), "--ttft-ms", str(options.ttft_ms),
                 "--token-ms", str(1000 / options.tokens_per_s if options.tokens_per_s else 0)],
                logs / "upstream.log" if logs else None))).url
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            config = Path(folder) / "router.json"
            await anyio.Path(config).write_bytes(
                msgspec.json.encode(http_config(options, direct_url, keys)))
            url = (await stack.enter_async_context(child(
                [sys.executable, "-m", "bench.replay_serve", str(config)],
                logs / "reactor.log" if logs else None))).url
        assert url is not None
        target = HttpTarget(session, f"{url}/v1/chat/completions", "router", keys=keys,
                            key=key)
        await warm_up(target, options.warmup)
        stats_url = f"{url}/api/v1/stats"
        try:
            before = await _settled_stats(session, stats_url)
        except aiohttp.ClientConnectionError as exc:
            raise ReplayError(f"cannot reach {url}: {exc}") from None

        async def read() -> dict[str, int] | None:
            try:
                async with session.get(f"{url}/metrics") as response:
                    if response.status != 200:
                        return None
                    text = await response.text()
                return {sample.labels["actor"]: int(sample.value)
                        for family in text_string_to_metric_families(text)
                        if family.name == "reactor_mailbox_depth"
                        for sample in family.samples}
            except (aiohttp.ClientError, ValueError, KeyError):
                return None  # not a Reactor server's metrics: no depths to show

        routed = await measured(target, items, build, options, read, samples)
        try:
            after = await _settled_stats(session, stats_url)
        except aiohttp.ClientConnectionError:
            after = None  # the server went away: what it answered is still reported
        stats = None if before is None or after is None else _difference(after, before)
        direct = None
        if options.direct and direct_url is not None:
            upstream = HttpTarget(session, f"{direct_url.rstrip('/')}/chat/completions",
                                  "direct")
            await warm_up(upstream, options.warmup)
            direct = await run_pass(upstream, items, build, options)
    return routed, direct, stats


async def replay(options: ReplayOptions) -> Report:
    """Run the replay; the caller prints or writes the report."""
    path = options.trace
    format = options.format or guess_format(path)
    # Every line checked before the first is sent: a bad line at the end of a long trace
    # must not surface as a traceback halfway through the replay.
    count = 0
    callers: set[tuple[str, str]] = set()
    for item in islice(read_trace(path, format), options.limit):
        count += 1
        callers.add((item.tenant, item.tier))

    def items() -> Iterator[tuple[int, TraceRequest]]:
        return enumerate(islice(read_trace(path, format), options.limit))

    synth = Synthesiser()

    def build(index: int, item: TraceRequest) -> ChatRequest:
        return build_request(item, index, synth, stream=options.stream,
                             output_tokens=options.output_tokens)

    samples: list[Sample] = []
    http = options.serve or options.url is not None
    if http:
        routed, direct, stats = await over_http(options, items, build, samples, callers)
    else:
        routed, direct, stats = await in_process(options, items, build, samples)
    streaming = bool(routed.ttfts) or bool(options.stream)
    router_report = routed.report(streaming=streaming)
    direct_report = None if direct is None else direct.report(streaming=streaming)
    cost, cache = cost_from_stats(stats) if stats is not None else (None, None)
    note = "" if direct is not None else (
        "--no-direct" if not options.direct else "give --direct-url (or use --serve)")
    return Report(
        trace=path.name, format=format,
        mode="in process" if not http else "http, --serve" if options.serve else "http",
        loop="open" if options.concurrency is None else "closed",
        speed=options.speed if options.concurrency is None else None,
        concurrency=options.concurrency, stream=options.stream, trace_requests=count,
        router=router_report, direct=direct_report, direct_note=note,
        overhead_ms=overhead(router_report, direct_report), cost=cost, cache=cache,
        mailboxes=mailbox_summary(samples) if samples else {}, mailbox_samples=samples)


def parse_options(argv: list[str] | None = None) -> ReplayOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", type=Path)
    parser.add_argument("--format", choices=sorted(READERS), default=None,
                        help="default: .csv is azure; JSONL with input_length is mooncake; "
                        "other JSONL is reactor")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default=None, help="a running Reactor server")
    where.add_argument("--serve", action="store_true",
                       help="start a fake upstream and a Reactor server, replay over HTTP")
    parser.add_argument("--direct-url", default=None,
                        help="with --url: an OpenAI-compatible base URL (ending /v1) to "
                        "send the same requests to directly, as the overhead baseline")
    parser.add_argument("--api-key-env", default=None, metavar="NAME",
                        help="with --url: send the API key held in this environment "
                        "variable with every request")
    parser.add_argument("--config", type=Path, default=None,
                        help="take models and settings from this router.toml")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--grace", type=float, default=60.0,
                        help="seconds to wait for answers after the last send")
    parser.add_argument("--stream", action="store_true", default=None)
    parser.add_argument("--tokens-per-s", type=float, default=0.0)
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    parser.add_argument("--output-tokens", type=int, default=256,
                        help="answer length for requests whose trace does not say")
    parser.add_argument("--max-in-flight", type=int, default=10_000,
                        help="open loop: requests due beyond this many in flight are "
                        "skipped (and counted)")
    parser.add_argument("--connections", type=int, default=1024, help="HTTP pool size")
    parser.add_argument("--warmup", type=int, default=10,
                        help="unmeasured requests sent to each target first")
    parser.add_argument("--no-direct", dest="direct", action="store_false")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.direct_url is not None and args.url is None:
        parser.error("--direct-url goes with --url")
    if args.api_key_env is not None and args.url is None:
        parser.error("--api-key-env goes with --url")
    for name in ("concurrency", "limit", "max_in_flight", "connections", "output_tokens"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.duration is not None and args.duration <= 0:
        parser.error("--duration must be positive")
    for name in ("speed", "grace", "tokens_per_s", "ttft_ms", "warmup"):
        value = getattr(args, name)
        if value is not None and value < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    return ReplayOptions(**vars(args))


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)

    async def run() -> Report:
        return await replay(options)

    try:
        report = anyio.run(run, backend_options={"use_uvloop": _uvloop()})
    except (TraceError, ReplayError) as exc:
        print(f"bench replay: error: {exc}", file=sys.stderr)
        return 2
    print(table(report), flush=True)
    if options.out is not None:
        for written in write(report, options.out):
            print(f"wrote {written}")
    routed = report.router
    return 0 if routed.completed == routed.sent and not routed.skipped else 1


def _uvloop() -> bool:
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


if __name__ == "__main__":
    raise SystemExit(main())
