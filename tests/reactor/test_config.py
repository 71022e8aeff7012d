from __future__ import annotations

from pathlib import Path

import pytest

from reactor import (
    ConfigError,
    OpenAIUpstream,
    SimulatedUpstream,
    load_config,
    parse_config,
)

REPO = Path(__file__).resolve().parents[2]

ONE_MODEL = """
[[models]]
name = "sim-mini"
upstream = { kind = "simulated" }
"""

TWO_MODELS = """
[[models]]
name = "a"
upstream = { kind = "simulated" }

[[models]]
name = "b"
upstream = { kind = "simulated" }
"""


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return info.value


def test_a_minimal_file_gets_every_default() -> None:
    config = parse_config(ONE_MODEL)

    [model] = config.models
    assert model.name == "sim-mini"
    assert isinstance(model.upstream, SimulatedUpstream)
    assert model.price_in == 0.0
    assert config.server.port == 8080
    assert config.runtime.mailbox_size == 256
    assert config.runtime.max_restarts == 5
    assert config.admission.max_in_flight == 1024
    assert config.selector.aliases == []


def test_the_shipped_router_toml_is_valid() -> None:
    config = load_config(REPO / "router.toml")

    assert [m.name for m in config.models] == ["sim-nano", "sim-mini", "sim-pro", "sim-ultra"]
    assert config.model("sim-pro") is not None
    assert config.model("gpt-5") is None


def test_whole_numbers_are_accepted_for_floats() -> None:
    config = parse_config(
        '[[models]]\nname = "a"\nprice_in = 2\nttft_ms = 120\nupstream = { kind = "simulated" }\n'
    )
    assert config.models[0].price_in == 2.0
    assert config.models[0].ttft_ms == 120.0


def test_a_wrong_type_names_the_key_and_what_was_expected() -> None:
    error = error_of(
        '[[models]]\nname = "a"\nprice_in = "cheap"\nupstream = { kind = "simulated" }\n'
    )

    assert str(error) == "router.toml: models[0].price_in: expected float, got str"
    assert error.path == "models[0].price_in"
    assert error.source == "router.toml"


@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ('price_in = "0.15"', "models[0].price_in"),
        ('context_window = "8192"', "models[0].context_window"),
        ('tools = "yes"', "models[0].tools"),
        ("tools = 1", "models[0].tools"),
    ],
)
def test_values_are_not_coerced_from_other_types(setting: str, path: str) -> None:
    error = error_of(f'[[models]]\nname = "a"\n{setting}\nupstream = {{ kind = "simulated" }}\n')

    assert error.path == path
    assert "expected" in str(error)


def test_the_path_counts_models_and_goes_into_tables() -> None:
    error = error_of(
        ONE_MODEL + '[[models]]\nname = "b"\nupstream = { kind = "simulated", seed = "x" }\n'
    )
    assert error.path == "models[1].upstream.seed"
    assert "expected int, got str" in str(error)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (ONE_MODEL + "[servr]\nport = 8080\n", "servr"),
        ("[server]\nprot = 8080\n" + ONE_MODEL, "server.prot"),
        (ONE_MODEL + "colour = 'blue'\n", "models[0].colour"),
        (
            '[[models]]\nname = "a"\nupstream = { kind = "simulated", speed = 3 }\n',
            "models[0].upstream.speed",
        ),
        ('[selector]\naliases = [{ name = "x", mood = "fast" }]\n' + ONE_MODEL,
         "selector.aliases[0].mood"),
    ],
)
def test_unknown_keys_are_rejected(text: str, path: str) -> None:
    error = error_of(text)

    assert error.path == path
    assert str(error) == f"router.toml: {path}: unknown key"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('[[models]]\nupstream = { kind = "simulated" }\n', "models[0].name"),
        ('[[models]]\nname = "a"\n', "models[0].upstream"),
        ('[[models]]\nname = "a"\nupstream = { kind = "openai" }\n', "models[0].upstream.base_url"),
        ("[server]\nport = 8080\n", "models"),
    ],
)
def test_missing_required_keys_are_named(text: str, path: str) -> None:
    error = error_of(text)

    assert error.path == path
    assert str(error) == f"router.toml: {path}: missing required key"


@pytest.mark.parametrize(
    ("setting", "path", "message"),
    [
        ("quality = 1.5", "models[0].quality", "expected float <= 1.0"),
        ("price_out = -1.0", "models[0].price_out", "expected float >= 0.0"),
        ("context_window = 0", "models[0].context_window", "expected int >= 1"),
    ],
)
def test_out_of_range_values_are_rejected(setting: str, path: str, message: str) -> None:
    error = error_of(f'[[models]]\nname = "a"\n{setting}\nupstream = {{ kind = "simulated" }}\n')

    assert str(error) == f"router.toml: {path}: {message}"


def test_a_negative_semantic_graph_dim_is_rejected() -> None:
    error = error_of('[cache.semantic]\ngraph_dim = -1\n'
                     '[[models]]\nname = "a"\nupstream = { kind = "simulated" }\n')

    assert str(error) == "router.toml: cache.semantic.graph_dim: expected int >= 0"


@pytest.mark.parametrize("table", ["cache", "cache.semantic"])
def test_a_cache_ttl_past_ten_years_is_rejected(table: str) -> None:
    # Redis refuses an expiry this far out, so every store would fail at run time.
    error = error_of(f"[{table}]\nttl_s = 1e16\n" + ONE_MODEL)

    assert str(error) == f"router.toml: {table}.ttl_s: expected float <= 315360000.0"


def test_a_stream_sample_over_one_is_rejected() -> None:
    error = error_of("[provider]\njson_upstream = true\nstream_sample = 1.5\n" + ONE_MODEL)

    assert str(error) == "router.toml: provider.stream_sample: expected float <= 1.0"


def test_a_port_out_of_range_is_rejected() -> None:
    error = error_of("[server]\nport = 70000\n" + ONE_MODEL)
    assert error.path == "server.port"


def test_an_unknown_upstream_kind_is_rejected() -> None:
    error = error_of('[[models]]\nname = "a"\nupstream = { kind = "carrier-pigeon" }\n')

    assert error.path == "models[0].upstream.kind"
    assert "carrier-pigeon" in str(error)


def test_an_unknown_mode_is_rejected() -> None:
    error = error_of('[selector]\ndefault_mode = "slow"\n' + ONE_MODEL)

    assert error.path == "selector.default_mode"
    assert "slow" in str(error)


def test_an_openai_upstream_decodes_to_its_own_type() -> None:
    config = parse_config(
        '[[models]]\nname = "gpt"\n'
        'upstream = { kind = "openai", base_url = "http://127.0.0.1:1/v1", model = "m" }\n'
    )
    upstream = config.models[0].upstream
    assert isinstance(upstream, OpenAIUpstream)
    assert upstream.base_url == "http://127.0.0.1:1/v1"


def test_at_least_one_model_is_required() -> None:
    error = error_of("models = []\n")

    assert error.path == "models"
    assert "at least one model" in str(error)


def test_duplicate_model_names_are_rejected() -> None:
    error = error_of(TWO_MODELS + '\n[[models]]\nname = "a"\nupstream = { kind = "simulated" }\n')

    assert error.path == "models[2].name"
    assert "duplicate model name 'a'" in str(error)


def test_failover_to_an_unknown_model_is_rejected() -> None:
    error = error_of(TWO_MODELS.replace('name = "b"\n', 'name = "b"\nfailover = ["a", "c"]\n'))

    assert error.path == "models[1].failover[1]"
    assert "unknown model 'c'" in str(error)


def test_failover_may_name_a_model_defined_later() -> None:
    config = parse_config(TWO_MODELS.replace('name = "a"\n', 'name = "a"\nfailover = ["b"]\n'))
    assert config.models[0].failover == ["b"]


@pytest.mark.parametrize(
    ("aliases", "path", "message"),
    [
        ('[{ name = "b" }]', "selector.aliases[0].name", "alias 'b' clashes"),
        ('[{ name = "x" }, { name = "x" }]', "selector.aliases[1].name", "alias 'x' clashes"),
        ('[{ name = "x", models = ["a", "z"] }]', "selector.aliases[0].models[1]",
         "unknown model 'z'"),
    ],
)
def test_bad_aliases_are_rejected(aliases: str, path: str, message: str) -> None:
    error = error_of(f"[selector]\naliases = {aliases}\n" + TWO_MODELS)

    assert error.path == path
    assert message in str(error)


def test_valid_aliases_are_kept() -> None:
    config = parse_config(
        '[selector]\naliases = [{ name = "cheap", mode = "fast", models = ["a"] }]\n' + TWO_MODELS
    )
    [alias] = config.selector.aliases
    assert (alias.name, alias.mode, alias.models) == ("cheap", "fast", ["a"])


def test_invalid_toml_is_a_config_error() -> None:
    error = error_of("[[models]\nname = ")
    assert str(error).startswith("router.toml: not valid TOML")


def test_errors_name_the_source_they_came_from() -> None:
    with pytest.raises(ConfigError, match=r"^staging\.toml: models: "):
        parse_config("models = []\n", source="staging.toml")


def test_load_config_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError) as info:
        load_config(missing)

    assert info.value.source == str(missing)
    assert str(info.value) == f"{missing}: cannot read: No such file or directory"


def test_load_config_names_the_file_with_the_bad_key(tmp_path: Path) -> None:
    path = tmp_path / "router.toml"
    path.write_text(ONE_MODEL + "[cache]\nttl = 10\n", encoding="utf-8")

    with pytest.raises(ConfigError) as info:
        load_config(str(path))

    assert str(info.value) == f"{path}: cache.ttl: unknown key"


def test_an_api_key_comes_from_the_file_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def upstream(api_key: str | None = None, api_key_env: str | None = None) -> OpenAIUpstream:
        return OpenAIUpstream(
            base_url="http://127.0.0.1:1/v1", api_key=api_key, api_key_env=api_key_env
        )

    monkeypatch.setenv("REACTOR_TEST_KEY", "from-env")
    assert upstream(api_key_env="REACTOR_TEST_KEY").resolve_key() == "from-env"
    assert upstream(api_key="inline", api_key_env="REACTOR_TEST_KEY").resolve_key() == "inline"
    assert upstream().resolve_key() is None

    monkeypatch.setenv("REACTOR_TEST_KEY", "")
    assert upstream(api_key_env="REACTOR_TEST_KEY").resolve_key() is None
    monkeypatch.delenv("REACTOR_TEST_KEY")
    assert upstream(api_key_env="REACTOR_TEST_KEY").resolve_key() is None


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("ttft_ms", "inf", "expected float <= 3600000.0"),
    ("tokens_per_s", "inf", "expected float <= 1000000000.0"),
    ("tokens_per_s", "0", "expected float > 0.0"),
])
def test_a_model_s_latency_card_must_be_finite(key: str, value: str, expected: str) -> None:
    # An infinite first-token time made the model's score NaN and its rank arbitrary.
    error = error_of(ONE_MODEL + f"{key} = {value}\n")
    assert str(error) == f"router.toml: models[0].{key}: {expected}"
