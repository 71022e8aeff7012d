"""Cold start and idle memory of `reactor serve`, as a user starts it.

    reactor bench startup [--runs 5] [--config router.toml] [--out FILE.json]

Each run starts `reactor serve --config CONFIG --port 0` (the console script, a fresh
process), and times from just before the spawn to: the `listening` line, the first
`/healthz` answer, and the first chat completion answered (`model: auto`, one short
prompt, `max_tokens: 1`). The last one includes the answering model's own latency,
which with router.toml's simulated models is most of it, so the same request is timed
again on the warm server (`Cache-Control: no-store`, so the model answers it
again) and reported beside it. Resident memory (VmRSS) is read after
a second of idling once the requests are done. Medians over the runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import aiohttp
import anyio

from bench.children import child
from bench.http_bench import rss_mib, save

CHAT = {"model": "auto", "max_tokens": 1,
        "messages": [{"role": "user", "content": "hello, are you there?"}]}


def reactor_command() -> list[str]:
    script = Path(sys.executable).parent / "reactor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "reactor"]


async def one_run(config: Path, idle_s: float) -> dict[str, float | None]:
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    started = time.perf_counter()
    async with child([*reactor_command(), "--log-level", "warning", "serve", "--config",
                      str(config), "--port", "0"], env=env) as server:
        listening = time.perf_counter() - started
        url = server.url
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/healthz") as response:
                response.raise_for_status()
            health = time.perf_counter() - started
            async with session.post(url + "/v1/chat/completions", json=CHAT) as response:
                response.raise_for_status()
                await response.read()
            first = time.perf_counter() - started
            again = time.perf_counter()
            async with session.post(url + "/v1/chat/completions", json=CHAT,
                                    headers={"Cache-Control": "no-store"}) as response:
                await response.read()
            warm = time.perf_counter() - again
        await anyio.sleep(idle_s)
        rss = rss_mib(server.pid)
    return {"listening_s": listening, "healthz_s": health, "first_answer_s": first,
            "warm_answer_s": warm, "idle_rss_mib": rss}


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    runs = [await one_run(args.config, args.idle) for _ in range(args.runs)]
    keys = list(runs[0])
    medians = {k: round(median(float(r[k] or 0.0) for r in runs), 3) for k in keys}
    return {
        "config": str(args.config), "runs": runs, "median": medians,
        "load": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "targets_met": {"first answer < 1 s": medians["first_answer_s"] < 1.0,
                        "idle RSS < 150 MB": medians["idle_rss_mib"] * 1.048576 < 150},
    }


def table(report: dict[str, Any]) -> str:
    rows = [f"{'run':>4} {'listening':>10} {'healthz':>8} {'1st answer':>11} "
            f"{'warm answer':>12} {'idle RSS':>9}"]
    for i, run in enumerate([*report["runs"], report["median"]]):
        name = "med" if i == len(report["runs"]) else str(i + 1)
        rows.append(f"{name:>4} {run['listening_s']:9.3f}s {run['healthz_s']:7.3f}s "
                    f"{run['first_answer_s']:10.3f}s {run['warm_answer_s']:11.3f}s "
                    f"{run['idle_rss_mib'] or 0:6.1f} MiB")
    rows.append(f"cores {report['cpus']}, load {report['load']}")
    rows += [f"{'met ' if ok else 'MISSED '} {what}"
             for what, ok in report["targets_met"].items()]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reactor bench startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--config", type=Path, default=Path("router.toml"))
    parser.add_argument("--idle", type=float, default=1.0,
                        help="seconds idle before reading RSS")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    report = anyio.run(bench, args)
    print(table(report), flush=True)
    save(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
