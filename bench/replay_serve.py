"""The Reactor server `bench.replay --serve` starts: `python -m bench.replay_serve CONFIG`.

CONFIG is a `RouterConfig` as JSON (the replay builds it; TOML has no writer in the
standard library). Binds 127.0.0.1 on a free port, prints `reactor listening on URL`,
serves until SIGTERM, then drains like `reactor serve`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import anyio
import msgspec

from reactor import RouterConfig
from reactor._logging import configure
from reactor._router import Router
from reactor._server import serve


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.replay_serve CONFIG.json", file=sys.stderr)
        return 2
    config = msgspec.json.decode(Path(args[0]).read_bytes(), type=RouterConfig)
    configure("warning")

    def announce(url: str) -> None:
        print(f"reactor listening on {url}", flush=True)

    async def run() -> None:
        await serve(Router(config), "127.0.0.1", 0, on_listening=announce)

    uvloop = importlib.util.find_spec("uvloop") is not None
    anyio.run(run, backend_options={"use_uvloop": uvloop})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
