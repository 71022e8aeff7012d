"""The `reactor` command: serve, route, check-config, train, ledger, bench."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import os
import signal
import socket
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reactor import _logging
from reactor._config import RouterConfig, check_paths, load_config
from reactor._errors import ConfigError, RequestFailed
from reactor._events import Done, Failed, Started, Token
from reactor._router import Router
from reactor._wire import ChatMessage, ChatRequest

EXIT_CONFIG = 2
_BIND_ERRORS = frozenset({errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES})


def _run(coro: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on every platform we run
        return asyncio.run(coro)
    return uvloop.run(coro)


def _load(path: str) -> RouterConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"reactor: invalid configuration: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _router(config: RouterConfig, source: str) -> Router:
    """The router `serve` would run, built (not started), or `ConfigError` when no model
    could answer."""
    router = Router(config)
    unavailable = router.pipeline.provider.unavailable()
    if len(unavailable) == len(config.models):
        # A key is read once, at start: this server could never answer.
        reasons = "; ".join(f"{name}: {why}" for name, why in unavailable.items())
        raise ConfigError(f"no model can answer ({reasons})", path="models", source=source)
    return router


def _no_embedder(exc: Exception, source: str) -> ConfigError:
    return ConfigError(str(exc), path="analyzer.embedder", source=source)


async def _check_embedder(config: RouterConfig, source: str) -> None:
    """The embedder the analyzer builds as it starts (minilm's weights, an http key)."""
    import aiohttp

    from stages.embedders import EmbedderUnavailable, build_embedder

    if not config.analyzer.embed:
        return
    async with aiohttp.ClientSession() as session:
        try:
            build_embedder(config.analyzer.embedder, session=session)
        except EmbedderUnavailable as exc:
            raise _no_embedder(exc, source) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    from reactor._pipeline import config_digest

    config = _load(args.config)

    async def build() -> int:  # what `serve` refuses before it listens
        _router(config, args.config)
        await _check_embedder(config, args.config)
        return 0

    try:
        check_paths(config, args.config)
        _run(build())
    except ConfigError as exc:
        print(f"reactor: invalid configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    names = ", ".join(model.name for model in config.models)
    # The digest a server running this file reports (`/api/v1/stats`, `/metrics`).
    print(f"{args.config}: ok ({len(config.models)} models: {names}; "
          f"digest {config_digest(config)})")
    return 0


_HELD = (signal.SIGHUP, signal.SIGUSR1)


def cmd_serve(args: argparse.Namespace) -> int:
    # Start-up allocates a long-lived heap (modules, config, classifier) on which the
    # collector would run ~150 times to free next to nothing (measured ~50-70 ms of a
    # ~0.8 s cold start); `serve` collects once and freezes it all before listening.
    gc.disable()
    # A reload or a log rotation asked for while starting would kill the process (their
    # default action): held until the server listens, then delivered.
    held: dict[int, None] = {}
    previous = {sig: signal.signal(sig, lambda signum, frame: held.setdefault(signum))
                for sig in _HELD}
    try:
        return _serve(args, held)
    finally:
        gc.enable()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace, held: dict[int, None]) -> int:
    from reactor._server import serve
    from stages.embedders import EmbedderUnavailable

    config = _load(args.config)
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port

    def announce(url: str) -> None:
        gc.enable()
        print(f"reactor listening on {url}", flush=True)
        for signum in held:  # to the handlers now in place
            os.kill(os.getpid(), signum)
        held.clear()

    if args.record_prompts and args.record is None:
        print("reactor: --record-prompts takes --record FILE", file=sys.stderr)
        return EXIT_CONFIG
    if args.workers < 1:
        print("reactor: --workers must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    if args.workers > 1:
        from reactor._workers import run_workers

        if args.record is not None:
            print("reactor: --record takes one process; drop --workers", file=sys.stderr)
            return EXIT_CONFIG
        try:
            # Said here once, rather than by every worker as it fails to start.
            check_paths(config, args.config)
        except ConfigError as exc:
            print(f"reactor: invalid configuration: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        worker = ["--log-level", args.log_level, *(["--log-json"] if args.log_json else []),
                  "serve", "--config", args.config]
        return run_workers(args.workers, host, port, worker, announce)
    if args.record is not None:
        # Said now, in one line, rather than as a traceback from the writer at start-up.
        try:
            with open(args.record, "ab"):
                pass
        except OSError as exc:
            print(f"reactor: cannot record to {args.record}: {exc.strerror}",
                  file=sys.stderr)
            return EXIT_CONFIG

    async def main() -> int:
        try:
            router = _router(config, args.config)
            await serve(router, host, port, reuse_port=args.reuse_port,
                        on_listening=announce, record=args.record,
                        record_prompts=args.record_prompts, config_path=args.config)
        except ConfigError as exc:
            print(f"reactor: invalid configuration: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        except EmbedderUnavailable as exc:  # its weights or key, read as it starts
            print(f"reactor: invalid configuration: {_no_embedder(exc, args.config)}",
                  file=sys.stderr)
            return EXIT_CONFIG
        except socket.gaierror as exc:
            print(f"reactor: cannot bind {host}:{port}: {exc.strerror}", file=sys.stderr)
            return 1
        except OSError as exc:
            if exc.errno not in _BIND_ERRORS:
                raise
            # The same one line as `--workers` gives: a taken port is not a crash.
            print(f"reactor: cannot bind {host}:{port}: {os.strerror(exc.errno)}",
                  file=sys.stderr)
            return 1
        return 0

    return _run(main())


def cmd_route(args: argparse.Namespace) -> int:
    config = _load(args.config)
    request = ChatRequest(messages=[ChatMessage(role="user", content=args.prompt)],
                          model=args.model, mode=args.mode, stream=True)

    async def main() -> int:
        async with Router(config) as router:
            async for event in router.stream(request):
                match event:
                    case Started(model=model, reason=reason, cache=cache):
                        print(f"model: {model}\nreason: {reason}\ncache: {cache}\n",
                              flush=True)
                    case Token(text=text):
                        print(text, end="", flush=True)
                    case Done(finish_reason=finish, usage=usage, cost_usd=cost):
                        print(f"\n\nfinish: {finish}  tokens: {usage.prompt_tokens} in, "
                              f"{usage.completion_tokens} out  cost: ${cost:.6f}")
                    case Failed(error=error):
                        print(f"\nerror {error.status} {error.code}: {error.message}",
                              file=sys.stderr)
                        return 1
        return 0

    try:
        return _run(main())
    except ConfigError as exc:  # a file it would write or load, checked as it starts
        print(f"reactor: invalid configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except RequestFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def cmd_train(args: argparse.Namespace) -> int:
    from reactor._train import train

    config = _load(args.config)
    target = args.out or config.selector.quality_model

    async def main() -> int:
        try:
            path, count, models = await train(config, Path(args.data),
                                              Path(args.out) if args.out else None)
        except ConfigError as exc:
            print(f"reactor train: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        known = {m.name for m in config.models}
        print(f"trained on {count} prompts, {len(models)} models; saved {path}")
        unknown = [m for m in models if m not in known]
        if unknown:
            print(f"note: not in {args.config}, so never chosen: {', '.join(unknown)}")
        return 0

    try:
        return _run(main())
    except OSError as exc:  # the data it reads or the file it saves
        if exc.filename == args.data:
            print(f"reactor train: cannot read {args.data}: {exc.strerror}", file=sys.stderr)
        else:  # said of the file asked for, not of the temporary one beside it
            why = "Is a directory" if target is not None and Path(target).is_dir() \
                else exc.strerror
            print(f"reactor train: cannot save {target}: {why}", file=sys.stderr)
        return 1


def cmd_ledger(args: argparse.Namespace) -> int:
    import msgspec

    from stages.ledger import Only, render, summarize

    try:
        only = Only(since=_instant(args.since), until=_instant(args.until),
                    tenant=args.tenant, model=args.model, config=args.config_digest)
    except ValueError as exc:
        print(f"reactor ledger: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        with open(args.file, "rb") as lines:
            summary = summarize(lines, only)
    except OSError as exc:
        print(f"reactor ledger: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    if args.json:
        print(msgspec.json.encode(summary).decode())
    else:
        print(render(summary, args.file), end="")
    return 0


def _instant(text: str | None) -> float | None:
    """An ISO 8601 date or time (UTC unless it says otherwise), as epoch seconds."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _port(text: str) -> int:
    # Out of range, the socket layer would take it modulo 65536 and listen elsewhere.
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0-65535)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reactor", description=__doc__)
    parser.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-json", action="store_true", help="log JSON lines to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="run the HTTP server",
        description="Serve router.toml over HTTP. Signals: SIGTERM/SIGINT stop admitting "
                    "(503, /readyz 503), drain up to [server] drain_timeout_s and exit 0 "
                    "(a second one stops waiting; streams still running end with an error "
                    "event); SIGHUP reloads the config file without dropping a request (a "
                    "file that does not load is logged and changes nothing); SIGUSR1 "
                    "reopens the ledger and --record files after a rotation. SIGHUP and "
                    "SIGUSR1 sent while starting take effect once listening.")
    serve.add_argument("--config", default="router.toml",
                       help="read again on SIGHUP (default: router.toml)")
    serve.add_argument("--host", default=None, help="default: [server] host")
    serve.add_argument("--port", type=_port, default=None,
                       help="default: [server] port; 0 picks a free one")
    serve.add_argument("--reuse-port", action="store_true",
                       help="share the port with other reactor processes (SO_REUSEPORT)")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes serving the same port (SO_REUSEPORT), one per core")
    serve.add_argument("--record", default=None, metavar="FILE",
                       help="append every request to FILE (JSONL) for `reactor bench replay`")
    serve.add_argument("--record-prompts", action="store_true",
                       help="with --record: keep the prompt text (by default only sizes)")
    serve.set_defaults(func=cmd_serve)

    route = sub.add_parser("route", help="route one prompt and stream the answer")
    route.add_argument("prompt")
    route.add_argument("--config", default="router.toml")
    route.add_argument("--model", default="auto")
    route.add_argument("--mode", choices=["fast", "balanced", "accurate"], default=None)
    route.set_defaults(func=cmd_route)

    check = sub.add_parser("check-config", help="validate a router.toml")
    check.add_argument("config", nargs="?", default="router.toml")
    check.set_defaults(func=cmd_check_config)

    train = sub.add_parser("train", help="build the learned quality model from labelled "
                           "JSONL ({prompt, scores: {model: 0..1}})")
    train.add_argument("data")
    train.add_argument("--config", default="router.toml")
    train.add_argument("--out", default=None,
                       help="where to save (default: [selector] quality_model)")
    train.set_defaults(func=cmd_train)

    ledger = sub.add_parser("ledger", help="sum up a ledger ([ledger] path): requests, "
                            "statuses, cache, cost, latency, by model and by tenant")
    ledger.add_argument("file")
    ledger.add_argument("--json", action="store_true", help="one JSON object")
    ledger.add_argument("--since", help="only requests that arrived at or after this "
                        "ISO 8601 date or time (UTC unless it says)")
    ledger.add_argument("--until", help="only requests that arrived before this")
    ledger.add_argument("--tenant", help="only this tenant's requests")
    ledger.add_argument("--model", help="only requests this model answered (or shared)")
    ledger.add_argument("--config", dest="config_digest", metavar="DIGEST",
                        help="only requests handled under this configuration (its digest, "
                             "as /api/v1/stats shows it, or the start of it)")
    ledger.set_defaults(func=cmd_ledger)

    bench = sub.add_parser("bench", help="benchmarks (see bench/)")
    bench.add_argument("what", choices=["pipeline", "mailbox", "routing", "embedders",
                                        "eval-routing", "routing-data", "eval-cache",
                                        "cache-latency", "replay", "http", "startup"])
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)
    return parser


# `bench.http` would read as the standard library's http package at a glance.
_BENCH_MODULES = {"http": "http_bench", "startup": "http_startup"}


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib

    name = _BENCH_MODULES.get(args.what, args.what.replace("-", "_"))
    module = importlib.import_module(f"bench.{name}")
    result: int | None = module.main(args.rest)
    return result or 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _logging.configure(args.log_level, args.log_json)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


def one_blas_thread() -> bool:
    """Numpy's OpenBLAS runs a thread per core; on small machines the router's own work
    then fights it (measured 10x slower MiniLM embedding under load with 2 threads).
    Unless the user set `OPENBLAS_NUM_THREADS`, limit it to one thread, for this process
    and (through the variable) the processes it starts. The variable alone is read only
    when OpenBLAS loads, and importing `reactor` has loaded numpy by the time this runs:
    the loaded library is told directly. True if it was."""
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return False
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import ctypes

    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:  # not Linux: the variable reaches child processes only
        return False
    libraries = {line.split(maxsplit=5)[-1] for line in maps
                 if "openblas" in line.lower() and ".so" in line}
    for library in sorted(libraries):
        lib = ctypes.CDLL(library)  # already loaded: the same handle, no second copy
        # numpy's own build prefixes and suffixes its symbols; a system OpenBLAS does not.
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(1)
                return True
    return False


def entry() -> None:
    one_blas_thread()
    raise SystemExit(main())


__all__ = ["main"]
