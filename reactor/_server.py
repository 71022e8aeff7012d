"""The HTTP face: OpenAI-compatible endpoints and the router's own, on aiohttp.

Requests go straight from aiohttp's low-level server (`web.Server`) to a handler looked
up by method and path in one dict: the full `web.Application` (router resolution, match
info, middleware chain) cost more per request than the endpoints' own work needs.

A streaming response is written as the flow's events arrive; a client that goes away
(aiohttp cancels the handler, or a write fails) abandons the flow, which cancels the
upstream call. A failure after the stream began is written as an OpenAI-style error
event and the stream ends without `[DONE]`: a client can always tell a broken answer
from a complete one.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import math
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from functools import partial
from http import HTTPStatus
from typing import Any

import anyio
import msgspec
import structlog
from aiohttp import HttpVersion11, web
from aiohttp.http_exceptions import HttpProcessingError
from anyio.abc import TaskGroup, TaskStatus
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reactor._config import load_config
from reactor._errors import ConfigError, RequestFailed
from reactor._events import Done, ErrorInfo, Failed, FlowEvent, Started, Token
from reactor._flow import Flow
from reactor._pipeline import config_digest
from reactor._record import Recorder
from reactor._router import (
    Router,
    completion_usage,
    decision_info,
    gather,
    router_info,
    stages_ms,
)
from reactor._wire import (
    CacheOptions,
    ChatCompletionChunk,
    ChatRequest,
    ChunkChoice,
    CompletionUsage,
    Delta,
    ErrorBody,
    ErrorResponse,
    FeedbackRequest,
    FunctionDelta,
    InvalidRequest,
    ModelList,
    RouterInfo,
    ToolCallChunk,
    decode_chat_request,
    invalid_from_validation,
    not_json,
)

log = structlog.get_logger("reactor.server")
_encode = msgspec.json.Encoder().encode
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encode(payload), status=status, headers=headers,
                        content_type="application/json")


def error_response(error: ErrorInfo, request_id: str | None = None) -> web.Response:
    headers: dict[str, str] = {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after_s)))
    if request_id is not None:
        headers["x-reactor-request-id"] = request_id
    body = ErrorResponse(error=ErrorBody(message=error.message, type=error.type,
                                         param=error.param, code=error.code))
    return json_response(body, error.status, headers)


def server_timing(stages: list[tuple[str, float]]) -> str:
    """A traced answer's time in each stage, as a `Server-Timing` header (milliseconds)."""
    return ", ".join(f"{stage};dur={ms}" for stage, ms in stages_ms(stages).items())


def _decision_headers(request_id: str, started: Started) -> dict[str, str]:
    headers = {
        "x-reactor-request-id": request_id,
        "x-reactor-model": started.model,
        "x-reactor-reason": started.reason.encode("ascii", "replace").decode(),
        "x-reactor-cache": started.cache,
    }
    if started.similarity is not None:
        headers["x-reactor-similarity"] = f"{started.similarity:.4f}"
    decision = started.decision
    if decision is not None:
        headers["x-reactor-confidence"] = f"{decision.confidence:.3f}"
        headers["x-reactor-fallbacks"] = ",".join(decision.fallbacks)
        headers["x-reactor-routing-ms"] = f"{decision.routing_s * 1000:.3f}"
        headers["x-reactor-estimated-cost-usd"] = f"{decision.estimated_cost_usd:.8f}"
        if decision.features is not None:
            headers["x-reactor-task"] = decision.features.task
            headers["x-reactor-complexity"] = f"{decision.features.complexity:.3f}"
    return headers


def _http_error(status: int, reason: str, message: str | None = None) -> web.Response:
    """An HTTP error (404, 405, 413, aiohttp's own) in OpenAI's JSON shape; `message`
    says more than the reason phrase, when there is more to say."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return error_response(ErrorInfo(status=status, type=kind, message=message or reason,
                                    code=reason.lower().replace(" ", "_")))


def _closing(error: ErrorInfo) -> web.Response:
    """`error_response` on a connection that closes after it: what follows the request
    on it (an unread body, a broken frame) can no longer be trusted."""
    response = error_response(error)
    response.force_close()
    return response


class _Connection(web.RequestHandler):
    """aiohttp's per-connection protocol, its own error answers in OpenAI's JSON shape.

    aiohttp answers some requests before any endpoint sees them (a malformed request
    line or header, one past 8190 bytes, a Content-Encoding it cannot decode) and any
    bug in a handler, all as text/plain; an OpenAI client parses the error body as
    JSON.
    """

    def handle_error(self, request: web.BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        # Not aiohttp's own log line: its parser quotes the bytes it could not parse (an
        # API key in a malformed Authorization header), at error, with a traceback, for
        # anything any client sends. What was sent goes back to the sender only.
        if status >= 500:
            log.error("request_failed", status=status, path=request.path, exc_info=exc)
        else:
            log.info("bad_request", status=status, remote=request.remote,
                     error=type(exc).__name__ if exc is not None else None)
        if request.writer.output_size > 0:
            raise ConnectionError("the response had begun: no error answer can follow it")
        phrase = HTTPStatus(status).phrase
        # A parse error's message says what was wrong; a bug's stays in the log. What
        # follows on the connection cannot be trusted: it closes after this.
        detail = " ".join(message.split())[:500] if message and status < 500 else None
        response = _http_error(status, phrase, detail)
        response.force_close()
        return response


class _Server(web.Server):
    """aiohttp's server, each connection's keep-alive limit read from the endpoints'
    current config (a reload changes it for the connections that open after it)."""

    def __init__(self, endpoints: Endpoints, **kwargs: Any) -> None:
        super().__init__(endpoints, **kwargs)
        self.endpoints = endpoints

    def __call__(self) -> web.RequestHandler:
        # None: no access log (aiohttp's annotation says Logger, its code takes None).
        return _Connection(self, loop=asyncio.get_running_loop(),
                           keepalive_timeout=self.endpoints.keepalive_timeout_s,
                           access_log=None)  # type: ignore[arg-type]


class Endpoints:
    """The router's HTTP endpoints, dispatched by method and path."""

    def __init__(self, router: Router, recorder: Recorder | None = None) -> None:
        self.recorder = recorder
        self.use(router)
        operated: dict[str, Handler] = {
            "/metrics": self.metrics, "/api/v1/stats": self.stats,
            "/api/v1/breakers": self.breakers,
            "/api/v1/metrics/snapshot": self.metrics_snapshot}
        gets: dict[str, Handler] = {
            "/v1/models": self.list_models, "/healthz": healthz, "/readyz": self.readyz,
            **{path: partial(self.operator_only, handler)
               for path, handler in operated.items()}}
        posts: dict[str, Handler] = {
            "/v1/chat/completions": partial(chat_completions, self),
            "/api/v1/route": partial(route, self),
            "/api/v1/feedback": partial(feedback, self)}
        self.routes: dict[tuple[str, str], Handler] = {
            **{("GET", path): handler for path, handler in gets.items()},
            **{("HEAD", path): handler for path, handler in gets.items()},
            **{("POST", path): handler for path, handler in posts.items()}}
        # A 405 says which methods the path takes (RFC 9110 15.5.6: Allow is required).
        self.allowed: dict[str, str] = {}
        for method, path in self.routes:
            self.allowed[path] = f"{self.allowed[path]}, {method}" if path in self.allowed \
                else method

    def use(self, router: Router) -> None:
        """Send new requests to `router` (a reload); those begun go on with the old."""
        self.router = router
        admission = router.config.admission
        self.keys = {digest: (key.tenant, key.tier) for key in admission.keys
                     if (digest := key.digest()) is not None}
        # The operator endpoints show every tenant's spend: once callers are told apart
        # (keys required, or an operator named), only an operator may read them.
        self.guarded = admission.require_key or any(key.operator for key in admission.keys)
        self.operators = frozenset(digest for key in admission.keys
                                   if key.operator and (digest := key.digest()) is not None)
        self.max_body_bytes = router.config.server.max_body_bytes
        self.body_timeout_s = router.config.server.body_timeout_s
        self.keepalive_timeout_s = router.config.server.keepalive_timeout_s

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        response = await self._answer(request)
        if not self.router.accepting:
            # Draining: a keep-alive client reconnects, to a server that admits it.
            response.force_close()
        return response

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        expecting = request.headers.get("Expect", "").lower() == "100-continue" \
            and request.version >= HttpVersion11
        handler = self.routes.get((request.method, request.path))
        if handler is None and request.path.startswith(_MODEL) and request.method in _READ:
            handler = self.retrieve_model
        refusal: web.Response | None = None
        if handler is None:
            refusal = self._unrouted(request)
        elif request.method == "POST":
            refusal = self._unfit(request)
        if refusal is not None:
            if expecting:
                # The client holds its body back for a `100 Continue` it will not get:
                # what it sends next on this connection may be that body or a new
                # request, and no one can tell which.
                refusal.force_close()
            return refusal
        assert handler is not None
        if expecting:
            # The client holds its body back until told to send it (aiohttp's router
            # would say so; this low-level server does not): without this the handler
            # and the client each wait for the other. A refusal above needs no body.
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the response proper has not begun
        try:
            if request.method == "POST" and not request.content.is_eof():
                # The body is still coming: read it (the request keeps it for the
                # handler) under a deadline. Most bodies came with their headers.
                with anyio.move_on_after(self.body_timeout_s) as waiting:
                    await request.read()
                if waiting.cancelled_caught:
                    return _closing(ErrorInfo(
                        status=408, type="invalid_request_error", code="body_timeout",
                        message="the request body did not arrive within "
                                f"{self.body_timeout_s:g} s of its headers"))
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:  # a body that grew past max_body_bytes
            return self._too_large()
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _http_error(exc.status, exc.reason)
        except web.RequestPayloadError as exc:
            # The body could not be read: not what its Content-Encoding says, a broken
            # chunk. The connection's framing is lost with it, so it closes after this.
            cause = exc.__cause__
            detail = cause.message if isinstance(cause, HttpProcessingError) else str(exc)
            return _closing(ErrorInfo(
                status=400, type="invalid_request_error", code="unreadable_body",
                message=f"request body could not be read: {' '.join(detail.split())}"))

    def _unrouted(self, request: web.BaseRequest) -> web.Response:
        path = request.path
        allowed = self.allowed.get(path)
        if allowed is None and path.startswith(_MODEL):
            allowed = ", ".join(_READ)
        if allowed is not None:
            response = _http_error(405, "Method Not Allowed",
                                   f"{path} takes {allowed}, not {request.method}")
            response.headers["Allow"] = allowed
            return response
        message = f"no endpoint {request.method} {path[:200]}"
        if f"/v1{path}" in self.allowed or path.startswith("/models/"):
            # The commonest cause: an OpenAI client's base URL without its /v1.
            message += f" (did you mean /v1{path[:200]}? an OpenAI client's base URL ends in /v1)"
        return _http_error(404, "Not Found", message)

    def _unfit(self, request: web.BaseRequest) -> web.Response | None:
        """The answer to a body refused unread: one declared longer than the limit, or
        in a coding aiohttp would hand over undecoded (it decodes only `_CODINGS`, and
        of transfer codings only `chunked`, which it requires last)."""
        transfer = request.headers.get("Transfer-Encoding", "chunked").lower()
        if transfer != "chunked":
            # RFC 9112 says 501, which OpenAI's SDKs would retry as a server's failure.
            return error_response(ErrorInfo(
                status=400, type="invalid_request_error", code="unsupported_transfer_encoding",
                message=f"Transfer-Encoding {transfer!r} is not one this server decodes: "
                "send the body chunked, or with a Content-Length"))
        coding = request.headers.get("Content-Encoding", "identity").lower()
        if coding == "identity":
            if (request.content_length or 0) > self.max_body_bytes:
                return self._too_large()
            return None
        if coding in _CODINGS:
            return None  # the limit counts decoded bytes: judged as they are read
        response = _http_error(415, "Unsupported Media Type",
                               f"Content-Encoding {coding!r} is not one this server "
                               "decodes: send the body as it is, or gzip or deflate it")
        response.headers["Accept-Encoding"] = "gzip, deflate"
        return response

    def _too_large(self) -> web.Response:
        return _http_error(413, "Request Entity Too Large",
                           f"the request body is larger than the {self.max_body_bytes} "
                           "bytes this server takes (server.max_body_bytes)")

    def request(self, message: Any, payload: Any, protocol: Any, writer: Any,
                task: Any) -> web.BaseRequest:
        """The request factory: a body larger than `max_body_bytes` is refused (413)."""
        return web.BaseRequest(message, payload, protocol, writer, task,
                               asyncio.get_running_loop(),
                               client_max_size=self.max_body_bytes)

    async def operator_only(self, handler: Handler,
                            request: web.BaseRequest) -> web.StreamResponse:
        """`handler`'s answer, if the endpoints are open or the caller's key is an
        operator's: no key or an unknown one is a 401 (as on a chat request), a known
        key that is not an operator's a 403."""
        if self.guarded:
            digest = bearer_digest(request)
            if digest is None or digest not in self.keys:
                return _unauthorized()
            if digest not in self.operators:
                return error_response(ErrorInfo(
                    status=403, type="invalid_request_error", code="permission_denied",
                    message=f"{request.method} {request.path} takes an operator key "
                    "(operator = true in its [[admission.keys]] entry); this key is not one"))
        return await handler(request)

    async def list_models(self, request: web.BaseRequest) -> web.Response:
        return json_response(ModelList(data=self.router.models()))

    async def retrieve_model(self, request: web.BaseRequest) -> web.Response:
        """`GET /v1/models/{model}`: one card of `/v1/models` (the SDKs' `models.retrieve`)."""
        name = request.path[len(_MODEL):]
        for card in self.router.models():
            if card.id == name:
                return json_response(card)
        return error_response(ErrorInfo(
            status=404, type="invalid_request_error", code="model_not_found", param="model",
            message=f"the model {name!r} does not exist"))

    async def readyz(self, request: web.BaseRequest) -> web.Response:
        ready, detail = self.router.readiness()
        return json_response(detail, 200 if ready else 503)

    async def metrics(self, request: web.BaseRequest) -> web.Response:
        body = generate_latest(self.router.pipeline.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def stats(self, request: web.BaseRequest) -> web.Response:
        return json_response({**self.router.stats(), "limits": await self.router.limits()})

    async def breakers(self, request: web.BaseRequest) -> web.Response:
        return json_response(self.router.breaker_states())

    async def metrics_snapshot(self, request: web.BaseRequest) -> web.Response:
        """`/metrics` as a JSON file to download, named for when it was taken."""
        snapshot = self.router.metrics_snapshot()
        taken = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(snapshot["taken_at"]))
        return json_response(snapshot, headers={
            "Content-Disposition": f'attachment; filename="reactor-metrics-{taken}.json"'})


# `/v1/models/{model}`: the one path that carries a name, so the one found by prefix.
_MODEL = "/v1/models/"
_READ = ("GET", "HEAD")

# The content codings aiohttp decodes (br and zstd only with their packages; without
# them aiohttp refuses the request itself).
_CODINGS = frozenset(("gzip", "deflate", "br", "zstd"))


# A caller's own request id (`x-request-id`): echoed on the answer and kept in the
# ledger, beside Reactor's id; one that is not a short printable token is ignored.
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,128}")


async def chat_completions(endpoints: Endpoints, request: web.BaseRequest
                           ) -> web.StreamResponse:
    client_id = request.headers.get("x-request-id")
    if client_id is not None and not _CLIENT_ID.fullmatch(client_id):
        client_id = None
    response = await _chat_completions(endpoints, request, client_id)
    if client_id is not None and not response.prepared:
        response.headers["x-request-id"] = client_id
    return response


async def _chat_completions(endpoints: Endpoints, request: web.BaseRequest,
                            client_id: str | None) -> web.StreamResponse:
    router = endpoints.router
    # The key first, as OpenAI does: a caller without one learns nothing of the body.
    caller = identify(endpoints, request)
    if caller is None:
        return _unauthorized()
    tenant, tier = caller
    body = await request.read()
    try:
        chat = decode_chat_request(body)
    except InvalidRequest as exc:
        return _invalid(exc)
    control = request.headers.get("Cache-Control", "").lower()  # directives ignore case
    if "no-store" in control:
        chat = msgspec.structs.replace(chat, cache=CacheOptions(mode="off"))
    elif "no-cache" in control:
        ttl = chat.cache.ttl_s if chat.cache is not None else None
        chat = msgspec.structs.replace(chat, cache=CacheOptions(mode="refresh", ttl_s=ttl))
    recorder = endpoints.recorder
    if recorder is not None:
        recorder.record(chat, tenant, tier, router.clock.now())
    # `decode_chat_request` checked the body as `submit` would check it again.
    flow = router._submit(chat, tenant=tenant, tier=tier, client_id=client_id,
                          trace=request.headers.get("x-reactor-trace") == "1")
    try:
        first = await flow.receive()
        if isinstance(first, Failed):
            return error_response(first.error, flow.request_id)
        if not chat.stream:
            result = await gather(flow, first)
            if isinstance(result, Failed):
                return error_response(result.error, flow.request_id)
            completion = result.completion(int(router.clock.wall()))
            started = Started(model=result.model, reason=result.reason, cache=result.cache,  # type: ignore[arg-type]
                              similarity=result.similarity, decision=result.decision)
            headers = _decision_headers(flow.request_id, started)
            done = result.done
            if done is not None and done.stages:
                headers["Server-Timing"] = server_timing(done.stages)
            return json_response(completion, headers=headers)
        return await _stream(request, router, chat, flow, first, client_id)
    finally:
        flow.abandon()


async def _stream(request: web.BaseRequest, router: Router, chat: ChatRequest, flow: Flow,
                  first: FlowEvent, client_id: str | None) -> web.StreamResponse:
    assert isinstance(first, Started)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        **_decision_headers(flow.request_id, first),
        **({"x-request-id": client_id} if client_id is not None else {}),
    })
    await response.prepare(request)
    chunk_id = f"chatcmpl-{flow.request_id}"
    created = int(router.clock.wall())
    model, reason = first.model, first.reason

    def chunk(delta: Delta, finish: str | None = None, usage: CompletionUsage | None = None,
              info: RouterInfo | None = None) -> bytes:
        payload = ChatCompletionChunk(object="chat.completion.chunk", id=chunk_id,
                                      created=created, model=model,
                                      choices=[ChunkChoice(index=0, delta=delta,
                                                           finish_reason=finish)],
                                      usage=usage, router=info)
        return b"data: " + _encode(payload) + b"\n\n"

    include_usage = chat.stream_options is not None and chat.stream_options.include_usage

    def frame() -> tuple[bytes, bytes]:
        # A text token is most of a stream: its chunk is the same bytes around the text.
        template = chunk(Delta(content=_MARK))
        cut = template.index(_MARK_JSON)
        return template[:cut], template[cut + len(_MARK_JSON):]

    before, after = frame()
    # Every event already waiting goes out in one write (the role chunk with the first
    # tokens): a fast upstream's tokens arrive in runs, and a write costs more than a token.
    out = bytearray(chunk(Delta(role="assistant", content="")))
    ended = False
    while not ended:
        event = flow.receive_nowait()
        if event is None:
            if out:
                await response.write(bytes(out))
                out.clear()
            event = await flow.receive()
        match event:
            case Token(text=text, tool_calls=None):
                out += before
                out += _encode(text)
                out += after
            case Token(text=text, tool_calls=deltas):
                out += chunk(Delta(content=text or None, tool_calls=[
                    ToolCallChunk(index=d.index, id=d.id,
                                  type="function" if d.id else None,
                                  function=FunctionDelta(name=d.name, arguments=d.arguments))
                    for d in deltas or ()]))
            case Done(finish_reason=finish) as done:
                totals = completion_usage(done.usage)
                info = router_info(flow.request_id, model, reason, first.cache,
                                   first.similarity, first.decision, done)
                out += chunk(Delta(), finish, totals, info)
                if include_usage:
                    final = ChatCompletionChunk(object="chat.completion.chunk",
                                                id=chunk_id, created=created, model=model,
                                                choices=[], usage=totals)
                    out += b"data: " + _encode(final) + b"\n\n"
                out += b"data: [DONE]\n\n"
                ended = True
            case Failed(error=error, finish_reason=finish):
                out += chunk(Delta(), finish)
                body = ErrorResponse(error=ErrorBody(message=error.message, type=error.type,
                                                     param=error.param, code=error.code))
                out += b"data: " + _encode(body) + b"\n\n"
                ended = True
            case Started(model=model, reason=reason):
                # The stream goes on with another model (`continue_after_failure`).
                before, after = frame()
    await response.write_eof(bytes(out))
    return response


_MARK = "\ue000reactor-token\ue000"
_MARK_JSON = _encode(_MARK)


def identify(endpoints: Endpoints, request: web.BaseRequest) -> tuple[str, str] | None:
    """(tenant, tier) of the caller's API key; None when a key is required and missing
    or unknown. Keys are compared by SHA-256 digest only."""
    digest = bearer_digest(request)
    if digest is not None:
        found = endpoints.keys.get(digest)
        if found is not None:
            return found
    if endpoints.router.config.admission.require_key:
        return None
    return "default", "default"


def bearer_digest(request: web.BaseRequest) -> str | None:
    """The SHA-256 digest of the caller's `Authorization: Bearer` key, if any."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token:
        return None
    # aiohttp keeps a header's bytes that are not UTF-8 as surrogates: hash them as sent.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _unauthorized() -> web.Response:
    response = error_response(ErrorInfo(
        status=401, type="invalid_request_error", code="invalid_api_key",
        message="a valid API key is required: Authorization: Bearer <key>"))
    response.headers["WWW-Authenticate"] = "Bearer"  # a 401 names its scheme (RFC 9110)
    return response


def _invalid(exc: InvalidRequest) -> web.Response:
    return error_response(ErrorInfo(status=400, type="invalid_request_error",
                                    message=str(exc), param=exc.param, code="invalid_value"))


async def route(endpoints: Endpoints, request: web.BaseRequest) -> web.Response:
    """The decision alone, for the same body as a chat completion."""
    router = endpoints.router
    caller = identify(endpoints, request)
    if caller is None:
        return _unauthorized()
    try:
        chat = decode_chat_request(await request.read())
    except InvalidRequest as exc:
        return _invalid(exc)
    try:
        decision = await router.route(chat, tenant=caller[0], tier=caller[1])
    except RequestFailed as exc:
        return error_response(exc.error)
    return json_response(decision_info(decision))


_feedback = msgspec.json.Decoder(FeedbackRequest)


async def feedback(endpoints: Endpoints, request: web.BaseRequest) -> web.Response:
    """A 1-5 rating of an answer, by its request id: the selector learns from it. Only
    the tenant that asked may rate the answer (by the same key)."""
    caller = identify(endpoints, request)
    if caller is None:
        return _unauthorized()
    raw = await request.read()
    try:
        body = _feedback.decode(raw)
    except msgspec.ValidationError as exc:
        return _invalid(invalid_from_validation(exc))
    except msgspec.DecodeError as exc:
        return _invalid(not_json(raw, exc))
    if (body.rating is None) == (body.score is None):
        return _invalid(InvalidRequest("give exactly one of rating (1-5) or score (0-1)",
                                       "rating"))
    if not await endpoints.router.feedback(body.request_id, score=body.value,
                                           tenant=caller[0]):
        return error_response(ErrorInfo(
            status=404, type="invalid_request_error", code="unknown_request", param="request_id",
            message=f"no recent answered request {body.request_id!r} of yours (only "
            "successful answers are remembered, only the most recent ones, and only for "
            "the key that asked)"))
    return json_response({"accepted": True, "request_id": body.request_id})


async def healthz(request: web.BaseRequest) -> web.Response:
    # The pid tells `serve --workers` processes apart.
    return json_response({"status": "ok", "pid": os.getpid()})


class Server:
    """A router behind a listening socket; `async with Server(router, port=0) as s`."""

    def __init__(self, router: Router, host: str = "127.0.0.1", port: int = 0,
                 *, reuse_port: bool = False, recorder: Recorder | None = None) -> None:
        self.router = router
        self.recorder = recorder
        self.host = host
        self.port = port
        self.reuse_port = reuse_port
        self._runner: web.ServerRunner | None = None
        self._endpoints: Endpoints | None = None

    def use(self, router: Router) -> None:
        """Answer new requests with `router`; requests begun finish with the old one."""
        self.router = router
        if self._endpoints is not None:
            self._endpoints.use(router)

    async def __aenter__(self) -> Server:
        endpoints = self._endpoints = Endpoints(self.router, self.recorder)
        # Closing waits this long for handlers still writing: by then the routers have
        # drained (or abandoned) every request, and what is left is a client that stopped
        # reading, which would otherwise hold the process for aiohttp's 60 s.
        runner = web.ServerRunner(_Server(endpoints, request_factory=endpoints.request,
                                          handler_cancellation=True),
                                  shutdown_timeout=_CLOSE_S)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_port=self.reuse_port or None)
        await site.start()
        self._runner = runner
        sockets = [s for server in runner.sites for s in _sockets(server)]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def close(self) -> None:
        await self.__aexit__(None, None, None)


_CLOSE_S = 1.0


def _sockets(site: Any) -> list[Any]:
    server = getattr(site, "_server", None)
    return list(getattr(server, "sockets", None) or [])


async def serve(router: Router, host: str, port: int, *, reuse_port: bool = False,
                on_listening: Callable[[str], None] | None = None,
                record: str | None = None, record_prompts: bool = False,
                config_path: str | None = None) -> None:
    """Serve until SIGTERM or SIGINT; then stop admitting, drain, and close.

    SIGUSR1 reopens the ledger's and the recording's files (after a rotation). SIGHUP
    does too, and with a `config_path` first reloads the configuration: a new router is
    built from the file and started, new requests go to it, and the old one drains and
    stops in the background. A file that does not load, or a router that does not start,
    is logged (`reload_failed`, with the bad key's path) and the running router goes on.

    During the drain SIGHUP and SIGUSR1 reopen the files, and a second SIGTERM or SIGINT
    stops waiting. Requests still in flight when the drain ends (`drain_timeout_s`, or cut
    short) are abandoned at once: a stream ends with an error event, the books still get
    every settled outcome.
    """
    async with AsyncExitStack() as stack:
        recorder = None
        if record is not None:
            recorder = await stack.enter_async_context(
                Recorder(record, prompts=record_prompts, clock=router.clock))
        await _serve(router, host, port, reuse_port, on_listening, recorder, config_path)


class _Hosted:
    """A router with a task of its own, entered and left in that task (as a task group
    must be): it serves until `retire` is set, then drains and stops; with `abandon` set
    as well, it stops at once, ending the requests still in flight with an error."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.retire = anyio.Event()
        self.ended = anyio.Event()
        self.replaced = False
        self.abandon = False

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            async with self.router:
                task_status.started()
                await self.retire.wait()
                if self.abandon:
                    # Leaving on an exception abandons what is left: its streams end
                    # with an error event, its books still get every settled outcome.
                    raise _Abandoned
            if self.replaced:
                # The first router was frozen out of the collector's reach at start-up:
                # let what is left of a retired one be collected, then freeze anew.
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                log.info("retired", in_flight=self.router.in_flight)
        except _Abandoned:
            pass
        finally:
            self.ended.set()


class _Abandoned(Exception):
    """The server stopped waiting for a router's requests in flight."""


_STOP = (signal.SIGTERM, signal.SIGINT)


async def _serve(router: Router, host: str, port: int, reuse_port: bool,
                 on_listening: Callable[[str], None] | None, recorder: Recorder | None,
                 config_path: str | None) -> None:
    try:
        await _serve_routers(router, host, port, reuse_port, on_listening, recorder,
                             config_path)
    except BaseExceptionGroup as group:
        # One failure (a port taken, a router escalating) is raised as itself, as it was
        # before routers had a task group: callers catch OSError, ConfigError, Escalated.
        while isinstance(group, BaseExceptionGroup) and len(group.exceptions) == 1:
            only = group.exceptions[0]
            if not isinstance(only, BaseExceptionGroup):
                raise only from group
            group = only
        raise


def _reopen(router: Router, recorder: Recorder | None) -> None:
    router.reopen_files()
    if recorder is not None:
        recorder.reopen()
    log.info("reopening_files")


async def _serve_routers(router: Router, host: str, port: int, reuse_port: bool,
                         on_listening: Callable[[str], None] | None,
                         recorder: Recorder | None, config_path: str | None) -> None:
    async with anyio.create_task_group() as routers:
        current = _Hosted(router)
        await routers.start(current.run)
        hosted = [current]
        # The handlers stay in place until the process is done: a signal that came with
        # no handler (a log rotation's SIGUSR1 during the drain) would kill it, cutting
        # its streams without a word and its ledger short.
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
                                        signal.SIGUSR1) as signals:
            async with Server(router, host, port, reuse_port=reuse_port,
                              recorder=recorder) as server:
                # Everything built so far (config, classifier, models) lives as long as
                # the process: out of the collector's reach, full collections stop walking
                # it (measured over HTTP: ~5% less CPU per request at 64 connections).
                gc.collect()
                gc.freeze()
                if on_listening is not None:
                    on_listening(server.url)
                log.info("listening", url=server.url, models=len(router.config.models),
                         config_digest=router.config_digest)
                async for signum in signals:
                    if signum in _STOP:
                        log.info("shutting_down", signal=signal.Signals(signum).name,
                                 in_flight=current.router.in_flight)
                        break
                    if signum == signal.SIGHUP and config_path is not None:
                        new = await _reload(routers, current.router, config_path)
                        if new is not None:
                            server.use(new.router)
                            new.router.replaced_previous()
                            current.replaced = True
                            current.retire.set()  # it drains what it began
                            current = new
                            hosted = [h for h in hosted if not h.ended.is_set()] + [new]
                    _reopen(current.router, recorder)
                async with anyio.create_task_group() as stopping:
                    cut = anyio.CancelScope()
                    stopping.start_soon(_while_draining, signals, cut, current.router,
                                        recorder)
                    with cut:
                        await current.router.drain(current.router.config.server.drain_timeout_s)
                    complete = current.router.in_flight == 0
                    log.info("drained", complete=complete)
                    # What is left when the drain ran out (or was cut short) is abandoned
                    # now, not waited for a second time as the router stops.
                    current.abandon = not complete
                    current.retire.set()
                    # Routers replaced by a reload finish their requests before the
                    # sockets close.
                    for each in hosted:
                        await each.ended.wait()
                    stopping.cancel_scope.cancel()


async def _while_draining(signals: AsyncIterator[signal.Signals], cut: anyio.CancelScope,
                          router: Router, recorder: Recorder | None) -> None:
    """Signals during the drain: SIGHUP and SIGUSR1 reopen the files (the configuration is
    not reloaded, the process is going); a second SIGTERM or SIGINT stops waiting."""
    async for signum in signals:
        if signum in _STOP:
            log.warning("drain_cut_short", signal=signal.Signals(signum).name,
                        in_flight=router.in_flight)
            cut.cancel()
        else:
            _reopen(router, recorder)


async def _reload(routers: TaskGroup, current: Router, path: str) -> _Hosted | None:
    """A started router built from `path` afresh, or None (logged) if it cannot be."""
    try:
        config = await anyio.to_thread.run_sync(load_config, path)
        if config_digest(config) == current.config_digest:
            # Nothing to change: the running router, its caches and counts, go on.
            log.info("reload_unchanged", path=path, digest=current.config_digest)
            return None
        new = _Hosted(Router(config, clock=current.clock, previous=current))
        await routers.start(new.run)
    except ConfigError as exc:
        log.error("reload_failed", path=path, error=str(exc))
        return None
    except Exception as exc:  # a router that cannot start must not stop the server
        log.error("reload_failed", path=path, error=repr(exc), exc_info=exc)
        return None
    was, now = current.config.server, config.server
    kept = [f"server.{key}" for key in ("host", "port") if getattr(was, key) != getattr(now, key)]
    if kept:
        log.warning("reload_keeps_listening", keys=kept,
                    detail="the listening address changes only with a restart")
    log.info("reloaded", path=path, models=len(config.models), digest=new.router.config_digest,
             was=current.config_digest)
    return new
