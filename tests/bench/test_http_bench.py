"""`reactor bench http` and `reactor bench startup`, in their smallest runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import http_bench, http_startup
from reactor import parse_config


def test_http_bench_measures_direct_and_router_with_the_same_requests(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "http.json"
    assert http_bench.main(["--only", "latency1", "hit1", "--rounds", "1", "--duration",
                            "0.3", "--warmup", "0.1", "--floor", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    miss, hit = report["summary"]["latency1"], report["summary"]["hit1"]
    for row in (miss, hit):
        assert row["direct"]["requests_per_s"] > 0 and row["router"]["requests_per_s"] > 0
        assert row["direct"]["errors"] == row["router"]["errors"] == 0
    # The bare proxies answer the miss path (200s only) and are left out of cache hits.
    for floor in ("bare", "bare_stream"):
        assert miss[floor]["requests_per_s"] > 0 and miss[floor]["errors"] == 0
        assert floor not in hit
    assert miss["ratio"] == miss["router"]["ratio"]
    assert set(miss["router"]["cache"]) == {"miss"}
    assert set(hit["router"]["cache"]) == {"exact"}
    assert "latency1 added p50 <= 0.3 ms" in report["targets_met"]
    assert "latency1" in capsys.readouterr().out


@pytest.mark.parametrize("whole", [False, True])
def test_the_http_bench_router_config_says_how_it_asks_the_upstream(whole: bool) -> None:
    config = parse_config(http_bench.router_toml("http://127.0.0.1:9/v1", json_upstream=whole,
                                                 stream_sample=0.25))
    assert config.provider.json_upstream is whole
    assert config.provider.stream_sample == 0.25
    # Without flags, the bench measures the default `[provider]`.
    defaults = parse_config(http_bench.router_toml("http://127.0.0.1:9/v1")).provider
    assert (defaults.json_upstream, defaults.stream_sample) == (True, 0.05)
    assert parse_config("[[models]]\nname = 'm'\nupstream = { kind = 'simulated' }"
                        ).provider == defaults
    assert [model.name for model in config.models] == ["fake"]


def test_startup_bench_times_the_first_answer_and_reads_idle_memory(
        tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "startup.json"
    assert http_startup.main(["--runs", "1", "--idle", "0", "--config",
                              str(repo_root / "router.toml"), "--out", str(out)]) == 0
    median = json.loads(out.read_text())["median"]
    assert 0 < median["listening_s"] <= median["healthz_s"] <= median["first_answer_s"]
    assert median["idle_rss_mib"] > 0
