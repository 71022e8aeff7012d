"""Provider state that outlives one router: what a reload carries on."""

from __future__ import annotations

from reactor import FakeClock, Outcomes, parse_config
from stages.provider import Provider

TOML = """
[[models]]
name = "m"
upstream = { kind = "simulated" }
"""


def provider(clock: FakeClock) -> Provider:
    config = parse_config(TOML, source="test.toml")
    return Provider(config.models, config.provider, Outcomes(), clock)


def test_a_reload_keeps_streaming_a_model_that_hung_a_moment_ago() -> None:
    clock = FakeClock()
    old = provider(clock)
    old.streamed_until["m"] = clock.now() + old.config.stream_after_fault_s
    new = provider(clock)
    new.share(old)
    assert new.streamed_until["m"] == clock.now() + 60.0
    # Shared while the old one drains: a hang it sees still counts for the new one.
    old.streamed_until["m"] = clock.now() + 90.0
    assert new.streamed_until["m"] == clock.now() + 90.0
