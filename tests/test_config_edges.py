"""router.toml values that used to load and then broke or misbehaved at request time or
start-up: each is now refused at load, with the path of the bad key and exit code 2
from `reactor check-config` and `reactor serve` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from reactor import ConfigError, parse_config
from tests.test_cli import run

MODEL = '[[models]]\nname = "a"\nupstream = { kind = "simulated" }\n'


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return info.value


def model_named(name: str) -> str:
    return f'[[models]]\nname = "{name}"\nupstream = {{ kind = "simulated" }}\n'


@pytest.mark.parametrize("name", ["a\\u0001b", "a\\nb", "a\\u007fb", "", "two words",
                                  "a,b", "mod\\u00e8le", " a"])
def test_a_model_name_that_cannot_go_in_a_header_is_refused(name: str) -> None:
    error = error_of(model_named(name))

    assert error.path == "models[0].name"
    assert "cannot be a name" in str(error)


@pytest.mark.parametrize("name", ["gpt-4o-mini", "meta-llama/Llama-3.1-8B-Instruct",
                                  "llama3.2:latest", "gpt-4o@azure", "claude_3.5+tools"])
def test_model_names_as_providers_write_them_are_kept(name: str) -> None:
    assert parse_config(model_named(name)).models[0].name == name


def test_an_alias_name_that_cannot_go_in_a_header_is_refused() -> None:
    error = error_of('[selector]\naliases = [{ name = "fast\\r\\nx-evil: 1" }]\n' + MODEL)

    assert error.path == "selector.aliases[0].name"


def test_auto_is_neither_a_model_nor_an_alias() -> None:
    # A model named auto took every request meant for routing; an alias named auto
    # replaced routing and was listed twice by /v1/models.
    assert error_of(model_named("auto")).path == "models[0].name"
    error = error_of('[selector]\naliases = [{ name = "auto", mode = "fast" }]\n' + MODEL)
    assert error.path == "selector.aliases[0].name"
    assert "'auto' is the router's own choice" in str(error)


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_the_command_refuses_a_control_character_in_a_name(tmp_path: Path,
                                                           command: str) -> None:
    config = tmp_path / "router.toml"
    config.write_text(model_named("a\\u0001b"))
    args = [command, str(config)] if command == "check-config" else \
        [command, "--port", "0", "--config", str(config)]

    result = run(*args)

    assert result.returncode == 2
    assert f"{config}: models[0].name: 'a\\x01b' cannot be a name" in result.stderr


@pytest.mark.parametrize(
    ("setting", "path", "message"),
    [
        ("[admission]\nretry_after_s = inf", "admission.retry_after_s",
         "expected float <= 86400.0"),
        ("[admission]\nretry_after_s = 1e308", "admission.retry_after_s",
         "expected float <= 86400.0"),
        ("[analyzer]\nchars_per_token = inf", "analyzer.chars_per_token",
         "expected float <= 100.0"),
        ('[analyzer.embedder]\nkind = "hashing"\nchar_weight = inf',
         "analyzer.embedder.char_weight", "expected float <= 1000.0"),
        ('[analyzer.embedder]\nkind = "hashing"\ndim = 1099511627776',
         "analyzer.embedder.dim", "expected int <= 65536"),
        ('[analyzer.embedder]\nkind = "hashing"\nchar_ngram_max = 1000000000',
         "analyzer.embedder.char_ngram_max", "expected int <= 16"),
    ],
)
def test_numbers_that_broke_requests_or_start_up_are_refused(setting: str, path: str,
                                                             message: str) -> None:
    error = error_of(f"{setting}\n{MODEL}")

    assert str(error) == f"router.toml: {path}: {message}"


@pytest.mark.parametrize("key", ["price_in", "price_out"])
def test_an_infinite_price_is_refused(key: str) -> None:
    error = error_of(MODEL.replace('name = "a"\n', f'name = "a"\n{key} = inf\n'))

    assert str(error) == f"router.toml: models[0].{key}: expected float <= 1000000.0"
