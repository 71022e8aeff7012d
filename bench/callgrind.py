"""Instructions per request through the in-process pipeline, counted by callgrind.

    python -m bench.callgrind [--callers 64 1] [--ledger]

Wall-clock figures on a shared 2-core VM move ±20% from run to run; an instruction
count does not (the same total twice, whatever else the machine does). Each count runs
`Router.complete` on `bench.pipeline`'s config (zero-delay simulated models, every
prompt new) N times at C callers under `valgrind --tool=callgrind`, for N = 200 and
N = 1200, and prints (I(1200) - I(200)) / 1000: start-up and warm-up cancel out.
`PYTHONHASHSEED=0` and one OpenBLAS thread keep runs alike. valgrind cannot run the
hnswlib build for this CPU (AVX-512), and the pipeline builds no index with the
semantic cache off, so a stub module stands in for it. `--ledger` writes a ledger
(`[ledger]`, no fsync) to a temporary file, to count what a ledger line costs.
Needs valgrind; about a minute per count.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_STUB = '''class Index:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("hnswlib is a stub under callgrind")
'''

_RUN = '''import gc, sys, anyio
from bench.pipeline import CONFIG, closed_loop
from reactor import parse_config
from reactor._router import Router
total, callers, ledger = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
text = CONFIG
if ledger:
    text = text.replace("[runtime]", f'[ledger]\\npath = "{ledger}"\\nfsync = false\\n[runtime]')
async def main():
    async with Router(parse_config(text.format(mailbox=256, tokens=16))) as router:
        gc.collect()
        gc.freeze()
        await closed_loop(router, total, callers)
anyio.run(main)
'''


def instructions(folder: Path, total: int, callers: int, ledger: str) -> int:
    out = folder / f"callgrind.{callers}.{total}.out"
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(folder), str(Path.cwd())])}
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    sys.executable, str(folder / "run.py"), str(total), str(callers), ledger],
                   env=env, check=True, capture_output=True)
    found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no instruction total in {out}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.callgrind", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, nargs="+", default=[64, 1])
    parser.add_argument("--ledger", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as name:
        folder = Path(name)
        (folder / "hnswlib.py").write_text(_STUB)
        (folder / "run.py").write_text(_RUN)
        ledger = str(folder / "ledger.jsonl") if args.ledger else ""
        for callers in args.callers:
            few = instructions(folder, 200, callers, ledger)
            many = instructions(folder, 1200, callers, ledger)
            print(f"{callers} callers: {(many - few) // 1000:,} instructions per request",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
