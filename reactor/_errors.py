"""Every error Reactor raises: small, flat, one line each.

Expected outcomes (a rejected request, a failed upstream) travel as messages; these
are for broken resources, bad configuration and bugs.
"""

from __future__ import annotations

from reactor._events import ErrorInfo


class ReactorError(Exception):
    """Base class of every Reactor error."""


class ConfigError(ReactorError):
    """router.toml is missing, unreadable or invalid; `path` names the bad key."""

    def __init__(self, message: str, *, path: str = "", source: str = "") -> None:
        self.path = path
        self.source = source
        where = f"{source}: " if source else ""
        at = f"{path}: " if path else ""
        super().__init__(f"{where}{at}{message}")


class MailboxFull(ReactorError):
    """A non-waiting send found the mailbox full."""


class MailboxClosed(ReactorError):
    """The mailbox's receiver is gone; nothing more can be delivered."""


class FlowClosed(ReactorError):
    """The reader of a flow went away; the producer should stop."""


class Escalated(ReactorError):
    """An actor crashed more often than its supervisor allows."""

    def __init__(self, actor: str, restarts: int, last: BaseException | None) -> None:
        self.actor = actor
        self.restarts = restarts
        super().__init__(f"actor {actor!r} crashed {restarts} times within its window: {last!r}")


class RouterClosed(ReactorError):
    """The router is not running (not started, or shutting down)."""


class RequestFailed(ReactorError):
    """An embedded call ended with an error event; `error` holds it."""

    def __init__(self, error: ErrorInfo) -> None:
        self.error = error
        self.status = error.status
        self.type = error.type
        self.code = error.code
        self.param = error.param
        super().__init__(f"{error.status} {error.type}: {error.message}")
