"""Fixtures for the runtime tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import pytest


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


@pytest.fixture
def closing() -> Iterator[Callable[[C], C]]:
    """Close what a test registers once it ends: unclosed anyio streams warn, and
    warnings are errors."""
    opened: list[Closable] = []

    def register(resource: C) -> C:
        opened.append(resource)
        return resource

    yield register
    for resource in reversed(opened):
        # A mailbox's `close` only stops senders; `dispose` releases both of its ends.
        getattr(resource, "dispose", resource.close)()
