"""Breaker core: per-model state driven by attempts, on a fake clock."""

from __future__ import annotations

import pytest

from reactor import Attempt, BreakerConfig, FakeClock
from stages.breaker import BUCKETS_PER_WINDOW, Breakers


def make(**config: float) -> tuple[Breakers, FakeClock]:
    clock = FakeClock()
    return Breakers(BreakerConfig(**config), clock), clock  # type: ignore[arg-type]


def fail(model: str = "m", **extra: object) -> Attempt:
    return Attempt(model=model, status="failed", error="server_error", **extra)  # type: ignore[arg-type]


def ok(model: str = "m", **extra: object) -> Attempt:
    return Attempt(model=model, status="ok", **extra)  # type: ignore[arg-type]


def test_consecutive_failures_open_and_block() -> None:
    breakers, _ = make(failure_threshold=3)
    for _ in range(2):
        breakers.record(fail())
    assert breakers.state("m") == "closed" and breakers.admit("m") == "pass"
    breakers.record(fail())
    assert breakers.state("m") == "open"
    assert breakers.admit("m") == "blocked"


def test_a_success_resets_the_count() -> None:
    breakers, _ = make(failure_threshold=3)
    for attempt in (fail(), fail(), ok(), fail(), fail()):
        breakers.record(attempt)
    assert breakers.state("m") == "closed"


def test_cooldown_then_exactly_one_probe() -> None:
    breakers, clock = make(failure_threshold=1, cooldown_s=30)
    breakers.record(fail())
    clock.advance(29.9)
    assert breakers.admit("m") == "blocked"
    clock.advance(0.2)
    assert breakers.state("m") == "half_open"
    assert breakers.admit("m") == "probe"
    assert breakers.admit("m") == "blocked"  # one probe at a time


def test_probe_success_closes_and_failure_reopens() -> None:
    breakers, clock = make(failure_threshold=1, cooldown_s=10)
    breakers.record(fail())
    clock.advance(10)
    assert breakers.admit("m") == "probe"
    breakers.record(ok(probe=True))
    assert breakers.state("m") == "closed" and breakers.admit("m") == "pass"

    breakers.record(fail())
    clock.advance(10)
    assert breakers.admit("m") == "probe"
    breakers.record(fail(probe=True))
    assert breakers.state("m") == "open"
    assert breakers.get("m").opened_total == 3


def test_an_upstream_refusing_the_request_counts_neither_way() -> None:
    breakers, clock = make(failure_threshold=2, cooldown_s=10)
    refused = Attempt(model="m", status="failed", error="client_error")
    for _ in range(5):
        breakers.record(refused)
    assert breakers.state("m") == "closed"

    breakers.record(fail())
    breakers.record(refused)  # does not reset the count either
    breakers.record(fail())
    assert breakers.state("m") == "open"

    clock.advance(10)
    assert breakers.admit("m") == "probe"
    breakers.record(Attempt(model="m", status="failed", error="client_error", probe=True))
    assert breakers.state("m") == "half_open"
    assert breakers.admit("m") == "probe"  # the slot is free for a probe that tells


def test_unused_probe_slot_is_given_back() -> None:
    breakers, clock = make(failure_threshold=1, cooldown_s=10)
    breakers.record(fail())
    clock.advance(10)
    assert breakers.admit("m") == "probe"
    breakers.record(Attempt(model="m", status="skipped", probe=True))
    assert breakers.admit("m") == "probe"


def test_lost_probe_frees_its_slot_after_the_probe_timeout() -> None:
    breakers, clock = make(failure_threshold=1, cooldown_s=10, probe_timeout_s=60)
    breakers.record(fail())
    clock.advance(10)
    assert breakers.admit("m") == "probe"
    clock.advance(59)
    assert breakers.admit("m") == "blocked"
    clock.advance(2)
    assert breakers.admit("m") == "probe"


def test_rate_limit_with_retry_after_opens_for_that_long() -> None:
    breakers, clock = make(failure_threshold=100, cooldown_s=30)
    breakers.record(Attempt(model="m", status="failed", error="rate_limited", retry_after_s=7))
    assert breakers.state("m") == "open"
    clock.advance(6.9)
    assert breakers.admit("m") == "blocked"
    clock.advance(0.2)
    assert breakers.admit("m") == "probe"


def test_a_huge_retry_after_keeps_the_model_shut_only_up_to_the_cap() -> None:
    breakers, clock = make(failure_threshold=100, max_retry_after_s=120)
    breakers.record(Attempt(model="m", status="failed", error="rate_limited",
                            retry_after_s=1e9))
    clock.advance(119.9)
    assert breakers.admit("m") == "blocked"
    clock.advance(0.2)
    assert breakers.admit("m") == "probe"


def test_the_retry_after_cap_is_minutes_by_default() -> None:
    breakers, clock = make(failure_threshold=100)
    breakers.record(Attempt(model="m", status="failed", error="rate_limited",
                            retry_after_s=1e9))
    assert breakers.state("m") == "open"
    clock.advance(BreakerConfig().max_retry_after_s)
    assert breakers.admit("m") == "probe"


def test_failure_rate_over_the_window_opens() -> None:
    breakers, clock = make(failure_threshold=100, failure_rate=0.5, min_requests=10,
                           window_s=30)
    for i in range(10):
        breakers.record(fail() if i % 2 else ok())
        clock.advance(1)
    assert breakers.state("m") == "open"


def test_failure_rate_forgets_old_attempts() -> None:
    breakers, clock = make(failure_threshold=100, failure_rate=0.5, min_requests=10,
                           window_s=30)
    for _ in range(9):  # fewer than min_requests: no rate yet
        breakers.record(fail())
    clock.advance(31)
    for _ in range(9):
        breakers.record(ok())
    breakers.record(fail())
    assert breakers.state("m") == "closed"


def test_models_are_independent() -> None:
    breakers, _ = make(failure_threshold=1)
    breakers.record(fail("a"))
    assert breakers.state("a") == "open" and breakers.state("b") == "closed"


def test_failure_rate_starts_afresh_after_the_breaker_opened() -> None:
    breakers, clock = make(failure_threshold=100, failure_rate=0.5, min_requests=4,
                           window_s=30, cooldown_s=5)
    for attempt in (ok(), fail(), ok(), fail()):
        breakers.record(attempt)
    assert breakers.state("m") == "open"
    clock.advance(5)
    assert breakers.admit("m") == "probe"
    breakers.record(ok(probe=True))
    # One failure in four since it closed: the failures before it opened are gone.
    for attempt in (ok(), ok(), fail()):
        breakers.record(attempt)
    assert breakers.state("m") == "closed"


def test_failure_rate_counts_only_what_is_still_in_the_window() -> None:
    breakers, clock = make(failure_threshold=100, failure_rate=0.5, min_requests=4,
                           window_s=10)
    breakers.record(fail())
    breakers.record(fail())
    clock.advance(11)
    # Both failures have left the window: one in four, then two in five, is under half.
    for attempt in (ok(), ok(), ok(), fail(), fail()):
        breakers.record(attempt)
    assert breakers.state("m") == "closed"
    breakers.record(fail())
    assert breakers.state("m") == "open"


def test_a_busy_window_is_held_in_slices_not_one_entry_per_request() -> None:
    breakers, clock = make(failure_threshold=10**9, failure_rate=0.5, min_requests=10,
                           window_s=60)
    # 100 requests a second for two windows: one in five fails, under the rate.
    for _ in range(12_000):
        breakers.record(fail() if clock.now() * 100 % 5 < 1 else ok())
        clock.advance(0.01)
    breaker = breakers.get("m")
    assert breakers.state("m") == "closed"
    assert len(breaker.recent) <= BUCKETS_PER_WINDOW + 1
    # What it counts is the last window's requests, to within one slice of it.
    assert 6_000 <= breaker.recent_total <= 6_000 + 6_000 // BUCKETS_PER_WINDOW
    assert breaker.recent_failures == pytest.approx(breaker.recent_total / 5, rel=0.02)


# Outcomes of calls dispatched before the breaker opened come back late; only the
# probe speaks for the model once it is open.


def test_a_late_success_does_not_close_an_open_breaker() -> None:
    breakers, clock = make(failure_threshold=2, cooldown_s=30)
    breakers.record(fail())
    breakers.record(fail())
    breakers.record(ok())  # a call that began before the model broke
    assert breakers.state("m") == "open" and breakers.admit("m") == "blocked"
    clock.advance(30)
    assert breakers.admit("m") == "probe"


def test_a_late_success_does_not_close_a_half_open_breaker_while_its_probe_runs() -> None:
    breakers, clock = make(failure_threshold=1, cooldown_s=30)
    breakers.record(fail())
    clock.advance(30)
    assert breakers.admit("m") == "probe"
    breakers.record(ok())
    assert breakers.admit("m") == "blocked"  # still waiting on the probe
    breakers.record(ok(probe=True))
    assert breakers.state("m") == "closed"


def test_late_failures_do_not_put_off_the_probe() -> None:
    breakers, clock = make(failure_threshold=2, cooldown_s=30)
    breakers.record(fail())
    breakers.record(fail())
    clock.advance(20)
    for _ in range(3):  # calls in flight when it opened, failing one by one
        breakers.record(fail())
    clock.advance(10)
    assert breakers.admit("m") == "probe"


def test_a_late_rate_limit_may_keep_the_model_shut_longer_never_shorter() -> None:
    breakers, clock = make(failure_threshold=1, cooldown_s=30)
    breakers.record(fail())
    clock.advance(10)
    breakers.record(Attempt(model="m", status="failed", error="rate_limited", retry_after_s=5))
    clock.advance(6)
    assert breakers.admit("m") == "blocked"  # not let out early by a shorter wait
    clock.advance(14)
    assert breakers.admit("m") == "probe"  # 30 s after it opened, as before

    breakers.record(fail(probe=True))
    clock.advance(10)
    breakers.record(Attempt(model="m", status="failed", error="rate_limited",
                            retry_after_s=60))
    clock.advance(59.9)
    assert breakers.admit("m") == "blocked"
    clock.advance(0.2)
    assert breakers.admit("m") == "probe"
