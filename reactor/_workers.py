"""`reactor serve --workers N`: N server processes sharing one port (SO_REUSEPORT).

The kernel spreads new connections over the processes listening on the port, so N
workers use N cores; each worker is a whole Reactor (its own pipeline, caches and
books: shared state belongs in Redis, as with several hosts). This process only
supervises: it starts the workers (`reactor serve --reuse-port` on the same host and
port), announces the address once every worker listens, forwards SIGTERM / SIGINT as
one SIGTERM to each (they drain as a single server does), SIGHUP and SIGUSR1 as they
are (each worker reloads its configuration, or reopens its files), and exits when they
have. A worker that exits on its own stops the rest: a half-sized server that looks
whole is worse than a visible failure. If this process dies, even by SIGKILL, the
workers are sent SIGTERM and drain: none serves the port unsupervised. Workers run in
their own session, so a terminal's Ctrl-C reaches them once, through here, not twice.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

import structlog

log = structlog.get_logger("reactor.workers")
STARTUP_S = 60.0


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound (not listening) with SO_REUSEPORT to `host:port`, port 0 choosing
    a free one: the workers bind the same port; nothing connects to this one."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def run_workers(workers: int, host: str, port: int, serve_args: list[str],
                on_listening: Callable[[str], None]) -> int:
    """Run `workers` copies of `reactor <serve_args> --host H --port P --reuse-port` until
    they exit; the exit status is 0 when every worker stopped cleanly on request."""
    try:
        reserved = reserve_port(host, port)
    except OSError as exc:
        print(f"reactor: cannot bind {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    with reserved:
        port = reserved.getsockname()[1]
        argv = [sys.executable, "-m", "reactor", *serve_args, "--host", host,
                "--port", str(port), "--reuse-port"]
        children: dict[int, subprocess.Popen[bytes]] = {}
        stopping = False
        listening = False
        held: dict[int, None] = {}

        def forward(signum: int, frame: FrameType | None) -> None:
            if not listening:
                # A worker still starting has no handler yet: the signal would kill it.
                held[signum] = None
                return
            for child in children.values():
                if child.returncode is None:
                    child.send_signal(signum)

        def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
            nonlocal stopping
            stopping = True
            for child in children.values():
                if child.returncode is None:
                    child.send_signal(signal.SIGTERM)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        for sig in (signal.SIGHUP, signal.SIGUSR1):
            previous[sig] = signal.signal(sig, forward)
        try:
            for _ in range(workers):
                child = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True,
                                         preexec_fn=_stop_with(os.getpid()))
                children[child.pid] = child
            url = ""
            for child in children.values():
                assert child.stdout is not None
                line = child.stdout.readline().decode()
                if "listening on " not in line:
                    asked = stopping
                    # Its status, not that of another worker stopped because of it.
                    failed = _exit_code(child.wait())
                    stop()
                    code = _reap(children, stopping=True)
                    return code if asked else failed or code or 1
                url = line.split("listening on ", 1)[1].split()[0]
            if not stopping:
                listening = True
                on_listening(url)
                for signum in held:
                    forward(signum, None)
            return _reap(children, stopping=lambda: stopping)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _exit_code(returncode: int) -> int:
    """A worker killed by a signal exits as a shell reports it: 128 + the signal."""
    return 128 - returncode if returncode < 0 else returncode


def _stop_with(parent: int) -> Callable[[], None] | None:
    """For a worker, between fork and exec: SIGTERM it (it drains) when this process
    dies, even by SIGKILL, which leaves no chance to stop it; a worker left behind would
    serve the port unsupervised, beside the next server started on it. Linux only
    (prctl PR_SET_PDEATHSIG); elsewhere None."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    return arm


_PR_SET_PDEATHSIG = 1


def _reap(children: dict[int, subprocess.Popen[bytes]],
          stopping: bool | Callable[[], bool]) -> int:
    """Wait for every worker; the first to exit unasked stops the others."""
    status = 0
    while any(child.returncode is None for child in children.values()):
        pid, code = os.waitpid(-1, 0)
        child = children.get(pid)
        if child is None:
            continue
        child.returncode = os.waitstatus_to_exitcode(code)
        exit_code = _exit_code(child.returncode)
        asked = stopping() if callable(stopping) else stopping
        if not asked:
            log.error("worker_exited", pid=pid, exit_code=exit_code)
            status = status or exit_code or 1
            for other in children.values():
                if other.returncode is None:
                    other.send_signal(signal.SIGTERM)
            stopping = True
        elif exit_code != 0:
            status = status or exit_code
    for child in children.values():
        if child.stdout is not None:
            child.stdout.close()
    return status
