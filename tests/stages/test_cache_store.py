"""The memory store on its own: least recently used out past its bound, TTLs on the
injected clock, and the entries and bytes it counts."""

from __future__ import annotations

from reactor import FakeClock, Usage
from stages.cache_store import Entry, MemoryStore


def entry(text: str) -> Entry:
    return Entry(model="m", text=text, finish_reason="stop",
                 usage=Usage(prompt_tokens=1, completion_tokens=1), cost_usd=0.0)


async def test_the_least_recently_used_entry_leaves_first() -> None:
    store = MemoryStore(2, FakeClock())
    await store.set("a", entry("aa"), 60)
    await store.set("b", entry("bbb"), 60)
    assert await store.get("a") == entry("aa")  # now b is the least recently used
    await store.set("c", entry("c"), 60)
    assert await store.get("b") is None
    assert await store.get("a") == entry("aa")
    assert (store.entries, store.bytes, store.evictions) == (2, 3, 1)


async def test_a_replaced_entry_counts_its_new_bytes_and_moves_to_the_end() -> None:
    store = MemoryStore(2, FakeClock())
    await store.set("a", entry("aaaa"), 60)
    await store.set("b", entry("b"), 60)
    await store.set("a", entry("a"), 60)
    await store.set("c", entry("cc"), 60)
    assert await store.get("b") is None
    assert (store.entries, store.bytes, store.evictions) == (2, 3, 1)


async def test_an_entry_expires_on_the_injected_clock() -> None:
    clock = FakeClock()
    store = MemoryStore(10, clock)
    await store.set("a", entry("aa"), 10)
    clock.advance(9.5)
    assert await store.get("a") == entry("aa")
    clock.advance(0.5)
    assert await store.get("a") is None
    assert (store.entries, store.bytes, store.evictions) == (0, 0, 0)
