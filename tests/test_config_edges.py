"""router.toml values that used to load and then broke or misbehaved at request time or
start-up (a crash, a traceback, a silent misroute): each is now refused when the file is
parsed or the router is built, naming the path of the bad key, so `reactor check-config`
and `reactor serve` exit 2 with one line and a SIGHUP reload keeps the running config."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import aiohttp
import anyio
import pytest

from reactor import ConfigError, parse_config
from reactor._router import Router
from tests.test_cli import REACTOR, listening, run
from tests.test_reload import Log, ask

MODEL = '[[models]]\nname = "a"\nupstream = { kind = "simulated" }\n'


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return info.value


def model_named(name: str) -> str:
    return f'[[models]]\nname = "{name}"\nupstream = {{ kind = "simulated" }}\n'


@pytest.mark.parametrize("name", ["a\\u0001b", "a\\nb", "a\\n", "a\\u007fb", "", "two words",
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


def upstream(kind: str, **settings: str) -> str:
    values = {"base_url": "http://127.0.0.1:9/v1", "api_key": "k", **settings}
    fields = ", ".join(f"{key} = {value}" if key == "headers" else f'{key} = "{value}"'
                       for key, value in values.items())
    return f'[[models]]\nname = "a"\nupstream = {{ kind = "{kind}", {fields} }}\n'


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("api.openai.com/v1", "expected an http:// or https:// URL"),
        ("ftp://127.0.0.1/v1", "expected an http:// or https:// URL"),
        ("", "expected an http:// or https:// URL"),
        ("http:///v1", "the URL names no host"),
        ("http://127.0.0.1:99999/v1", "not a URL (Port out of range 0-65535)"),
        ("http://[::1/v1", "not a URL (Invalid IPv6 URL)"),
        (" http://127.0.0.1/v1", "a space or control character in the URL"),
        ("http://127.0.0.1/v1?key=k", "a base URL takes no query or fragment"),
        ("http://127.0.0.1/v1#top", "a base URL takes no query or fragment"),
        ("http://user:pw@127.0.0.1/v1", "credentials do not go in the URL"),
        ("https://\u4f8b\u3048.jp/v1", "the URL is written in ASCII"),
    ],
)
def test_a_base_url_the_adapters_cannot_use_is_refused(kind: str, url: str,
                                                       message: str) -> None:
    # Each of these crashed start-up with a traceback (exit 1), or sent every request
    # to a URL with the endpoint's path pasted after the query.
    error = error_of(upstream(kind, base_url=url))

    assert error.path == "models[0].upstream.base_url"
    assert message in str(error)


@pytest.mark.parametrize("url", ["https://api.openai.com/v1", "http://127.0.0.1:11434/v1/",
                                 "http://[::1]:8000", "http://localhost"])
def test_base_urls_as_written_in_the_wild_are_kept(url: str) -> None:
    assert parse_config(upstream("openai", base_url=url)).models[0].upstream


def test_the_embedding_endpoints_base_url_is_checked_too() -> None:
    error = error_of('[analyzer.embedder]\nkind = "http"\nbase_url = "localhost:8080/v1"\n'
                     f'model = "e"\ndim = 8\n{MODEL}')

    assert error.path == "analyzer.embedder.base_url"


@pytest.mark.parametrize(
    ("headers", "path", "message"),
    [
        ('{ "x-team" = "a\\nb" }', "x-team", "a header value is printable ASCII on one line"),
        ('{ "x team" = "a" }', '"x team"', "not a header name"),
        ('{ "x-team:" = "a" }', '"x-team:"', "not a header name"),
        ('{ "Content-Length" = "5" }', "Content-Length", "the router sets this header"),
        ('{ host = "elsewhere" }', "host", "the router sets this header"),
    ],
)
def test_upstream_headers_that_cannot_be_sent_are_refused(headers: str, path: str,
                                                          message: str) -> None:
    error = error_of(upstream("openai", headers=headers))

    assert str(error).startswith(f"router.toml: models[0].upstream.headers.{path}: {message}")


def test_an_api_key_with_a_newline_is_refused() -> None:
    error = error_of(upstream("anthropic", api_key="sk-1\\n"))

    assert error.path == "models[0].upstream.api_key"


def test_a_key_from_the_environment_with_a_trailing_newline_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As a secret mounted from a file often is: every request failed with a traceback.
    monkeypatch.setenv("REACTOR_EDGE_KEY", "sk-1\n")
    text = ('[[models]]\nname = "a"\nupstream = { kind = "openai", '
            'base_url = "http://127.0.0.1:9/v1", api_key_env = "REACTOR_EDGE_KEY" }\n')

    error = error_of(text)

    assert str(error) == ("router.toml: models[0].upstream.api_key_env: environment variable "
                          "REACTOR_EDGE_KEY holds a character that cannot be sent in a "
                          "header (a trailing newline?)")
    # A caller's key could never match it either.
    keys = '[admission]\nkeys = [{ tenant = "t", env = "REACTOR_EDGE_KEY" }]\n'
    assert error_of(keys + MODEL).path == "admission.keys[0].env"
    monkeypatch.setenv("REACTOR_EDGE_KEY", "")
    assert parse_config(text).models[0].upstream


@pytest.mark.parametrize("table", ["admission", "cache"])
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:notaport/0", "Port could not be cast to integer"),
        ("redis://127.0.0.1:99999/0", "Port out of range"),
        ("http://127.0.0.1:6379", "redis://"),
    ],
)
def test_a_malformed_redis_url_is_refused(table: str, url: str, message: str) -> None:
    error = error_of(f'[{table}]\nbackend = "redis"\nredis_url = "{url}"\n{MODEL}')

    assert error.path == f"{table}.redis_url"
    assert message in str(error)


def test_serve_names_a_bad_base_url_instead_of_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(upstream("openai", base_url="api.openai.com/v1"))

    result = run("serve", "--port", "0", "--config", str(config))

    assert result.returncode == 2
    assert result.stderr == (f"reactor: invalid configuration: {config}: "
                             "models[0].upstream.base_url: expected an http:// or https:// "
                             "URL: 'api.openai.com/v1'\n")


def test_a_prior_for_a_task_the_classifier_never_names_is_refused() -> None:
    # A typo here was kept and never read: the model's prior stood for that task.
    error = error_of(MODEL.replace('name = "a"\n', 'name = "a"\nquality_by_task = '
                                   '{ code = 0.9, maths = 0.8 }\n'))

    assert error.path == "models[0].quality_by_task.maths"
    assert "unknown task 'maths' (tasks: code, math, " in str(error)


def test_semantic_caching_on_a_route_that_does_not_exist_is_refused() -> None:
    error = error_of('[selector]\naliases = [{ name = "fast", mode = "fast" }]\n'
                     '[cache.semantic]\nenabled = true\nroutes = ["auto", "fast", "a", "b"]\n'
                     + MODEL)

    assert str(error) == "router.toml: cache.semantic.routes[3]: unknown model or alias 'b'"


@pytest.mark.parametrize(("table", "key"), [("selector", "quality_model"),
                                            ("cache.semantic", "path"),
                                            ("ledger", "path")])
def test_a_file_in_a_directory_that_does_not_exist_is_refused_at_start(
        tmp_path: Path, table: str, key: str) -> None:
    # The learned model and the semantic cache are written at shutdown: what was
    # learned was lost then, with a traceback, after a start that said nothing.
    missing = tmp_path / "missing" / "file"
    config = parse_config(f'[{table}]\n{key} = "{missing}"\n{MODEL}')

    with pytest.raises(ConfigError) as info:
        Router(config)

    assert str(info.value) == (f"{table}.{key}: cannot open '{missing}': directory "
                               f"'{missing.parent}' does not exist")


def test_a_directory_given_for_a_file_is_refused(tmp_path: Path) -> None:
    config = parse_config(f'[selector]\nquality_model = "{tmp_path}"\n{MODEL}')

    with pytest.raises(ConfigError, match=r"^selector\.quality_model: .* is a directory"):
        Router(config)


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_the_command_refuses_a_file_it_could_not_write(tmp_path: Path, command: str) -> None:
    config = tmp_path / "router.toml"
    missing = tmp_path / "missing" / "semantic.npz"
    config.write_text(f'[cache.semantic]\npath = "{missing}"\n{MODEL}')
    args = [command, str(config)] if command == "check-config" else \
        [command, "--port", "0", "--config", str(config)]

    result = run(*args)

    assert result.returncode == 2
    assert "cache.semantic.path: cannot open" in result.stderr
    assert f"directory '{missing.parent}' does not exist" in result.stderr


def test_serve_refuses_a_config_where_no_model_has_its_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys are read once, at start: such a server answered every request with a 502.
    monkeypatch.delenv("REACTOR_EDGE_NO_KEY", raising=False)
    config = tmp_path / "router.toml"
    config.write_text('[[models]]\nname = "a"\nupstream = { kind = "openai", '
                      'base_url = "http://127.0.0.1:9/v1", api_key_env = "REACTOR_EDGE_NO_KEY" }\n')

    result = run("serve", "--port", "0", "--config", str(config))

    assert result.returncode == 2
    assert result.stderr == (f"reactor: invalid configuration: {config}: models: no model can "
                             "answer (a: environment variable REACTOR_EDGE_NO_KEY is not set)\n")


@pytest.mark.parametrize(
    ("setting", "path", "message"),
    [
        ("quality_by_task = { code = 0.5, math = 1.5 }", "models[1].quality_by_task.math",
         "expected float <= 1.0"),
        ('upstream = { kind = "openai", base_url = "http://h", headers = { ok = "1", '
         '"x-n" = 2 } }', "models[1].upstream.headers.x-n", "expected str, got int"),
    ],
)
def test_a_bad_value_in_a_table_names_its_key(setting: str, path: str, message: str) -> None:
    # msgspec says `quality_by_task[...]`: which of the keys was left to guess.
    text = MODEL + '[[models]]\nname = "b"\n' + setting + "\n"
    if "upstream" not in setting:
        text += 'upstream = { kind = "simulated" }\n'

    assert str(error_of(text)) == f"router.toml: {path}: {message}"


@pytest.mark.parametrize("content", ["not an archive\n", ""], ids=["text", "empty"])
@pytest.mark.parametrize(("table", "key"), [("selector", "quality_model"),
                                            ("cache.semantic", "path")])
def test_a_saved_file_that_is_not_one_is_refused_when_the_router_is_built(
        tmp_path: Path, table: str, key: str, content: str) -> None:
    # Loaded at start: the server died there with numpy's traceback (an empty file's
    # was an EOFError).
    saved = tmp_path / "saved.npz"
    saved.write_text(content)
    config = parse_config(f'[{table}]\n{key} = "{saved}"\n{MODEL}')

    with pytest.raises(ConfigError) as info:
        Router(config)

    assert str(info.value) == f"{table}.{key}: cannot load '{saved}': not a file reactor saved"


def test_a_learned_model_from_another_embedder_is_refused_when_the_router_is_built(
        tmp_path: Path) -> None:
    # Its vectors could never be compared with the prompts' (every decision fell back
    # to priors, every rating was refused): said at start, with what to do.
    from stages.quality import QualityModel

    saved = tmp_path / "quality.npz"
    QualityModel(dim=64).save(saved)
    other = parse_config(f'[selector]\nquality_model = "{saved}"\n{MODEL}')
    with pytest.raises(ConfigError) as info:
        Router(other)
    assert str(info.value) == (
        f"selector.quality_model: '{saved}' was learned from 64-dimension embeddings; the "
        "hashing embedder makes 384: retrain it (`reactor train`) or point to another file")

    same = parse_config(f'[selector]\nquality_model = "{saved}"\n'
                        f'[analyzer.embedder]\nkind = "hashing"\ndim = 64\n{MODEL}')
    Router(same)  # built without complaint


def test_a_learned_model_from_another_embedder_of_the_same_size_is_refused(
        tmp_path: Path) -> None:
    # MiniLM's vectors and the default hashing ones are both 384 wide: read as the
    # other's, every learned neighbour would have been noise, silently.
    from stages.quality import QualityModel

    saved = tmp_path / "quality.npz"
    QualityModel(dim=384, embedder="minilm:all-MiniLM-L6-v2:256").save(saved)
    config = parse_config(f'[selector]\nquality_model = "{saved}"\n{MODEL}')
    with pytest.raises(ConfigError) as info:
        Router(config)
    assert str(info.value) == (
        f"selector.quality_model: '{saved}' was learned from the embeddings of "
        "minilm:all-MiniLM-L6-v2:256, not of this configuration's hashing:384:2:3-5:1: "
        "retrain it (`reactor train`) or point to another file")
    # Saved by this configuration (or by a build that did not say): read.
    QualityModel(dim=384, embedder="hashing:384:2:3-5:1").save(saved)
    Router(config)
    QualityModel(dim=384).save(saved)
    Router(config)


def test_serve_names_missing_embedder_weights_instead_of_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(f'[analyzer.embedder]\nkind = "minilm"\npath = "{tmp_path}"\n{MODEL}')

    result = run("serve", "--port", "0", "--config", str(config))

    assert result.returncode == 2
    assert result.stderr.startswith(f"reactor: invalid configuration: {config}: "
                                    f"analyzer.embedder: model files missing from {tmp_path}")
    assert "Traceback" not in result.stderr


def test_serve_on_a_host_that_does_not_resolve_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(f'[server]\nhost = "no-such-host.invalid"\n{MODEL}')

    result = run("serve", "--port", "0", "--config", str(config))

    assert result.returncode == 1
    assert result.stderr.startswith("reactor: cannot bind no-such-host.invalid:0: ")
    assert result.stderr.count("\n") == 1


def test_one_key_given_to_two_tenants_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The last one listed took the key: the first tenant's requests were billed to it.
    digest = hashlib.sha256(b"sk-shared").hexdigest()
    keys = (f'[admission]\nkeys = [{{ tenant = "a", sha256 = "{digest}" }}, '
            f'{{ tenant = "b", sha256 = "{digest.upper()}" }}]\n')
    assert str(error_of(keys + MODEL)) == \
        "router.toml: admission.keys[1]: the same key as admission.keys[0]"

    monkeypatch.setenv("REACTOR_EDGE_KEY", "sk-shared")
    keys = (f'[admission]\nkeys = [{{ tenant = "a", sha256 = "{digest}" }}, '
            '{ tenant = "b", env = "REACTOR_EDGE_KEY" }]\n')
    assert error_of(keys + MODEL).path == "admission.keys[1]"


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
@pytest.mark.parametrize("name", ["", "MY KEY", "A=B"])
def test_an_environment_variable_name_no_shell_can_set_is_refused(kind: str,
                                                                   name: str) -> None:
    # An empty name counted as no key to check: requests went out without one.
    text = (f'[[models]]\nname = "a"\nupstream = {{ kind = "{kind}", '
            f'base_url = "http://127.0.0.1:9", api_key_env = "{name}" }}\n')

    assert error_of(text).path == "models[0].upstream.api_key_env"
    keys = f'[admission]\nkeys = [{{ tenant = "t", env = "{name}" }}]\n'
    assert error_of(keys + MODEL).path == "admission.keys[0].env"


async def test_sighup_refuses_the_same_files_and_the_server_goes_on(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(MODEL)
    process = await anyio.open_process(
        [*REACTOR, "--log-json", "serve", "--config", str(config), "--port", "0"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        with anyio.fail_after(60):
            url = await listening(process)
            log = Log(process)
            broken = {"models[0].name": model_named("a\\u0001b"),
                      "selector.quality_model": f'[selector]\nquality_model = '
                                                f'"{tmp_path / "no" / "q.npz"}"\n{MODEL}'}
            for path, text in broken.items():
                config.write_text(text)
                process.send_signal(signal.SIGHUP)
                failed = await log.until("reload_failed")
                assert f"{path}: " in str(failed["error"])
            async with aiohttp.ClientSession() as session:
                assert await ask(session, url, "a") == 200
    finally:
        process.terminate()
        await process.wait()
        await process.aclose()


def test_route_refuses_a_file_it_could_not_write_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(f'[selector]\nquality_model = "{tmp_path / "no" / "q.npz"}"\n{MODEL}')

    result = run("route", "hello", "--config", str(config))

    assert result.returncode == 2
    assert result.stderr.startswith("reactor: invalid configuration: selector.quality_model: ")


@pytest.mark.parametrize(("setting", "path"), [
    ("[cache.semantic]\nenabled = true", "cache.semantic.enabled"),
    ('[selector]\nquality_model = "q.npz"', "selector.quality_model"),
])
def test_what_needs_embeddings_is_refused_when_prompts_are_not_embedded(setting: str,
                                                                        path: str) -> None:
    # Both were built and never used: the semantic cache never hit, feedback never taught.
    error = error_of(f"[analyzer]\nembed = false\n{setting}\n{MODEL}")

    assert error.path == path
    assert "needs analyzer.embed = true" in str(error)


def test_an_empty_host_is_refused() -> None:
    # It listened on every interface and announced `http://:PORT`.
    assert str(error_of(f'[server]\nhost = ""\n{MODEL}')) == \
        "router.toml: server.host: expected str of length >= 1"


def test_an_embedding_endpoint_needs_a_model_name() -> None:
    error = error_of('[analyzer.embedder]\nkind = "http"\nbase_url = "http://127.0.0.1:9/v1"\n'
                     f'model = ""\ndim = 8\n{MODEL}')

    assert error.path == "analyzer.embedder.model"
