"""Reactor over HTTP against the same load sent to its upstream directly, in one run.

    reactor bench http [--duration 4] [--rounds 3] [--tokens 16] [--delay-ms 0]
        [--token-ms 0] [--workers 1] [--floor] [--stream-upstream | --stream-sample 0.05]
        [--out FILE.json]

Three processes besides this one, all on 127.0.0.1: the fake OpenAI-compatible upstream
(`bench.fake_upstream`, answering `--tokens` words after `--delay-ms`, `--token-ms`
apart when it streams), a Reactor server (`reactor serve` with a generated router.toml
whose one model calls that upstream over HTTP), and for each measurement a fresh load
generator (`bench.http_load`). Each scenario runs against the upstream directly and
against Reactor with the same requests (`model: auto`, one user message), alternating
which goes first from round to round; the report gives the median over rounds:

- `json64`: non-streaming, 64 connections: requests/s.
- `stream64`: streaming, 64 connections: requests/s and content tokens/s.
- `latency1`: non-streaming, one connection: p50 / p99, and Reactor's added latency.
- `hit64`, `hit1`: the same with one prompt repeated, so Reactor answers from its exact
  cache (the load generator checks the `x-reactor-cache` header); direct gets the
  same repeated prompt.

The cache is on, as in router.toml; the miss-path scenarios send a distinct prompt with
every request, so none of them is a hit (the report counts `x-reactor-cache` values).
Everything shares the machine's cores: read the figures as what one small box does
with a load generator, a router and an upstream on it, as the load average says.

`--floor` also runs `bench.bare_proxy` twice, as two more targets of the miss-path
scenarios: a proxy on Reactor's own HTTP stack (aiohttp server, uvloop, Reactor's
upstream client) that does nothing but pass bytes on, and the same asking the upstream
to stream as Reactor does with `--stream-upstream` (`bare_stream`, non-streaming
scenarios only). Their
ratios and added latencies are what that stack leaves for routing before any routing is
done: the floor under every target above.

Reactor runs with the default `[provider]`: it asks the upstream for whole answers when
the caller does not stream (`json_upstream = true`), streaming `--stream-sample` of those
calls all the same (`stream_sample`, 0.05). `--stream-upstream` has it stream every
call (`json_upstream = false`): the first-token and stall timeouts on all of them, for
more work on both sides.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from statistics import median
from typing import Any

import anyio
import anyio.abc
import msgspec

from bench.children import child
from bench.http_load import Result


class Scenario(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    concurrency: int
    stream: bool = False
    same_prompt: bool = False

    def targets(self, floor: bool) -> list[str]:
        """Who is measured: the upstream directly, Reactor, and with `floor` the bare
        proxies (not for cache hits, which they cannot answer)."""
        names = ["direct", "router"]
        if floor and not self.same_prompt:
            names.append("bare")
            if not self.stream:
                names.append("bare_stream")
        return names


SCENARIOS = (
    Scenario(name="json64", concurrency=64),
    Scenario(name="stream64", concurrency=64, stream=True),
    Scenario(name="latency1", concurrency=1),
    Scenario(name="hit64", concurrency=64, same_prompt=True),
    Scenario(name="hit1", concurrency=1, same_prompt=True),
)


def router_toml(upstream: str, *, json_upstream: bool = True,
                stream_sample: float = 0.05) -> str:
    return f"""\
[server]
host = "127.0.0.1"
port = 0

[cache]
enabled = true
max_temperature = 1.0

[provider]
json_upstream = {str(json_upstream).lower()}
stream_sample = {stream_sample}

[[models]]
name = "fake"
context_window = 128000
upstream = {{ kind = "openai", base_url = "{upstream}" }}
"""


class Run(msgspec.Struct, kw_only=True):
    """One load generator's result, and the CPU each server spent meanwhile."""

    result: Result
    cpu_s: dict[str, float]


async def load(url: str, scenario: Scenario, args: argparse.Namespace,
               servers: dict[str, int]) -> Run:
    """Run one load generator; `servers` (name: pid) have their CPU time read from the
    end of its warm-up to its exit."""
    argv = [sys.executable, "-m", "bench.http_load", url, "--announce",
            "--concurrency", str(scenario.concurrency), "--duration", str(args.duration),
            "--warmup", str(args.warmup)]
    if scenario.stream:
        argv.append("--stream")
    if scenario.same_prompt:
        argv.append("--same-prompt")
    process = await anyio.open_process(argv, stdout=subprocess.PIPE, stderr=None)
    try:
        assert process.stdout is not None
        output = b""
        before: dict[str, float] = {}
        async for data in process.stdout:
            output += data
            if not before and b"measuring\n" in output:
                before = {name: cpu_seconds(pid) for name, pid in servers.items()}
        if await process.wait() != 0:
            raise RuntimeError(f"the load generator failed: {' '.join(argv[2:])}")
    finally:
        with anyio.CancelScope(shield=True):
            await process.aclose()
    after = {name: cpu_seconds(pid) for name, pid in servers.items()}
    result = msgspec.json.decode(output.split(b"measuring\n", 1)[-1], type=Result)
    return Run(result=result, cpu_s={name: round(after[name] - before.get(name, 0.0), 3)
                                     for name in servers})


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (`serve --workers`)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process and its children (`serve --workers`), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    kib = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
    return round(kib / 1024 + sum(rss_mib(int(child)) or 0.0 for child in children), 1)


def summarise(scenario: Scenario, runs: dict[str, list[Run]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, target_runs in runs.items():
        results = [run.result for run in target_runs]
        rps = median(r.ok / r.seconds for r in results)
        entry: dict[str, Any] = {
            "requests_per_s": round(rps, 1),
            "p50_ms": median(r.latencies_ms.get("p50", 0.0) for r in results),
            "p99_ms": median(r.latencies_ms.get("p99", 0.0) for r in results),
            "errors": sum(r.errors for r in results),
            "cache": _merged(r.cache for r in results),
            # CPU per answered request: steadier than requests/s on a shared machine.
            "cpu_us_per_request": {
                name: round(median(run.cpu_s[name] / max(1, run.result.ok) * 1e6
                                   for run in target_runs))
                for name in target_runs[0].cpu_s},
        }
        if scenario.stream:
            entry["tokens_per_s"] = round(median(r.tokens / r.seconds for r in results))
        out[target] = entry
    direct = out["direct"]
    for target in runs:
        if target == "direct":
            continue
        row = out[target]
        # Each proxy's share of direct's throughput and the latency it adds; Reactor's
        # also at the top level, where the targets are judged.
        row["ratio"] = round(row["requests_per_s"] / direct["requests_per_s"], 3) \
            if direct["requests_per_s"] else None
        row["added_p50_ms"] = round(row["p50_ms"] - direct["p50_ms"], 4)
        row["added_p99_ms"] = round(row["p99_ms"] - direct["p99_ms"], 4)
    for key in ("ratio", "added_p50_ms", "added_p99_ms"):
        out[key] = out["router"][key]
    return out


def _merged(counts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total


TARGETS = {"json64": (0.5, None, None), "stream64": (0.4, None, None),
           "latency1": (None, 0.3, 1.0)}


def verdicts(summary: dict[str, dict[str, Any]]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for name, (ratio, p50, p99) in TARGETS.items():
        row = summary.get(name)
        if row is None:
            continue
        if ratio is not None:
            out[f"{name} ratio >= {ratio}"] = (row["ratio"] or 0) >= ratio
        if p50 is not None:
            out[f"{name} added p50 <= {p50} ms"] = row["added_p50_ms"] <= p50
        if p99 is not None:
            out[f"{name} added p99 <= {p99} ms"] = row["added_p99_ms"] <= p99
    return out


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    scenarios = [s for s in SCENARIOS if args.only is None or s.name in args.only]
    load_before = os.getloadavg()
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        upstream = await stack.enter_async_context(child(
            [sys.executable, "-m", "bench.fake_upstream", "--port", "0",
             "--tokens", str(args.tokens), "--ttft-ms", str(args.delay_ms),
             "--token-ms", str(args.token_ms)],
            folder / "upstream.log"))
        config = folder / "router.toml"
        config.write_text(router_toml(upstream.url, json_upstream=not args.stream_upstream,
                                      stream_sample=args.stream_sample))
        serve = [sys.executable, "-m", "reactor", "--log-level", "warning", "serve",
                 "--config", str(config), "--port", "0"]
        if args.workers > 1:
            serve += ["--workers", str(args.workers)]
        router = await stack.enter_async_context(child(serve, folder / "reactor.log"))
        print(f"upstream {upstream.url} (pid {upstream.pid}), reactor {router.url} "
              f"(pid {router.pid})", file=sys.stderr, flush=True)
        urls = {"direct": f"{upstream.url}/chat/completions",
                "router": f"{router.url}/v1/chat/completions"}
        servers = {"router": router.pid, "upstream": upstream.pid}
        if args.floor:
            for name, extra in (("bare", []), ("bare_stream", ["--stream-upstream"])):
                proxy = await stack.enter_async_context(child(
                    [sys.executable, "-m", "bench.bare_proxy", upstream.url, *extra],
                    folder / f"{name}.log"))
                urls[name] = f"{proxy.url}/v1/chat/completions"
                servers[name] = proxy.pid
        runs: dict[str, dict[str, list[Run]]] = {
            s.name: {t: [] for t in s.targets(args.floor)} for s in scenarios}
        for round_ in range(args.rounds):
            for scenario in scenarios:
                # A different one goes first each round: what runs first on a warming
                # machine is not always the same one.
                targets = scenario.targets(args.floor)
                shift = round_ % len(targets)
                for target in targets[shift:] + targets[:shift]:
                    run = await load(urls[target], scenario, args, servers)
                    runs[scenario.name][target].append(run)
                    result = run.result
                    print(f"round {round_ + 1} {scenario.name:9} {target:6} "
                          f"{result.ok / result.seconds:9.1f} req/s  "
                          f"p50 {result.latencies_ms.get('p50', 0):.3f} ms  "
                          f"errors {result.errors}  cpu {run.cpu_s}",
                          file=sys.stderr, flush=True)
        router_rss = rss_mib(router.pid)
    summary = {s.name: summarise(s, runs[s.name]) for s in scenarios}
    return {
        "machine": {"cpus": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "setup": {
            "tokens": args.tokens, "delay_ms": args.delay_ms, "token_ms": args.token_ms,
            "duration_s": args.duration,
            "warmup_s": args.warmup, "rounds": args.rounds, "workers": args.workers,
            "floor": args.floor, "json_upstream": not args.stream_upstream,
            "stream_sample": args.stream_sample,
            "load_generator": "bench.http_load (asyncio protocols, uvloop, own process)",
            "cache": "on (router.toml's max_temperature 1.0); miss scenarios send a "
                     "distinct prompt per request, hit scenarios one prompt repeated",
        },
        "router_rss_mib_after": router_rss,
        "summary": summary,
        "targets_met": verdicts(summary),
        "runs": {name: {t: msgspec.to_builtins(rs) for t, rs in by.items()}
                 for name, by in runs.items()},
    }


def table(report: dict[str, Any]) -> str:
    rows = [f"{'scenario':9} {'direct/s':>10} {'router/s':>10} {'ratio':>6} "
            f"{'direct p50':>10} {'router p50':>10} {'added p50':>9} {'added p99':>9} "
            f"{'router µs':>9} {'upstr. µs d/r':>13}  {'tokens/s d/r':13} router cache"]
    for name, row in report["summary"].items():
        d, r = row["direct"], row["router"]
        tokens = f"{d['tokens_per_s']}/{r['tokens_per_s']}" if "tokens_per_s" in d else ""
        cpu = r["cpu_us_per_request"]
        upstream = f"{d['cpu_us_per_request']['upstream']}/{cpu['upstream']}"
        rows.append(f"{name:9} {d['requests_per_s']:10.1f} {r['requests_per_s']:10.1f} "
                    f"{row['ratio'] or 0:6.3f} {d['p50_ms']:10.3f} {r['p50_ms']:10.3f} "
                    f"{row['added_p50_ms']:9.3f} {row['added_p99_ms']:9.3f} "
                    f"{cpu['router']:9} {upstream:>13}  {tokens:13} {r['cache']}")
        for name in ("bare", "bare_stream"):
            if name in row:
                floor = row[name]
                rows.append(f"  {name:12} {floor['requests_per_s']:10.1f} req/s  ratio "
                            f"{floor['ratio'] or 0:.3f}  added p50 {floor['added_p50_ms']:.3f}"
                            f"  p99 {floor['added_p99_ms']:.3f} ms  proxy µs "
                            f"{floor['cpu_us_per_request'][name]}  upstream µs "
                            f"{floor['cpu_us_per_request']['upstream']}")
    rows.append("µs: CPU time (user + system) a server spent per answered request, median "
                "over rounds; upstream's when called directly / through the router")
    if report["setup"].get("floor"):
        rows.append("bare, bare_stream: a proxy on Reactor's HTTP stack that only passes "
                    "bytes on (bench.bare_proxy), the floor under each target")
    machine = report["machine"]
    rows.append(f"cores {machine['cpus']}, load {machine['load_before']} -> "
                f"{machine['load_after']}; router RSS {report['router_rss_mib_after']} MiB")
    rows += [f"{'met ' if ok else 'MISSED '} {what}"
             for what, ok in report["targets_met"].items()]
    return "\n".join(rows)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reactor bench http", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=4.0,
                        help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="unmeasured seconds before each run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=16, help="words in every answer")
    parser.add_argument("--token-ms", type=float, default=0.0,
                        help="the upstream's pause between streamed words (a JSON answer "
                             "waits for all of them before it is sent)")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="the upstream's delay before it answers")
    parser.add_argument("--workers", type=int, default=1, help="reactor serve --workers")
    parser.add_argument("--only", nargs="+", choices=[s.name for s in SCENARIOS],
                        default=None)
    parser.add_argument("--floor", action="store_true",
                        help="also measure bench.bare_proxy, the HTTP stack with no routing")
    parser.add_argument("--stream-upstream", action="store_true",
                        help="Reactor streams every call from the upstream, even when the "
                             "caller does not stream ([provider] json_upstream = false)")
    parser.add_argument("--stream-sample", type=float, default=0.05,
                        help="the share of non-streaming callers' calls still streamed "
                             "from the upstream ([provider] stream_sample)")
    parser.add_argument("--out", type=Path, default=None, help="write the report as JSON")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.rounds < 1 or args.tokens < 1 or args.workers < 1:
        parser.error("--duration, --rounds, --tokens and --workers must be positive")
    if not 0.0 <= args.stream_sample <= 1.0:
        parser.error("--stream-sample must be between 0 and 1")
    return args


def save(report: dict[str, Any], out: Path | None) -> None:
    """With `out`, the report written there as indented JSON."""
    if out is not None:
        out.write_bytes(msgspec.json.format(msgspec.json.encode(report)))
        print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    report = anyio.run(bench, args)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(table(report), flush=True)
    save(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
