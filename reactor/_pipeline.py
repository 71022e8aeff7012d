"""Which stage feeds which: the one place that knows the pipeline's shape.

    submit -> admission -> cache -> analyzer -> selector -> breaker -> provider
    provider => outcomes: learners (cache, selector, breaker), books (cost, metrics)

Every edge waits when the next mailbox is full, except the first: `Router.submit`
uses `try_send`, so a full pipeline sheds at the door instead of queueing.
"""

from __future__ import annotations

import hashlib
import math
import os
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from reactor._actor import Actor
from reactor._clock import Clock
from reactor._config import RouterConfig, check_paths
from reactor._errors import ConfigError
from reactor._events import ErrorInfo
from reactor._fanout import Outcomes, unanswered
from reactor._mailbox import Mailbox
from reactor._messages import Job, Submitted
from reactor._system import RestartPolicy, System

if TYPE_CHECKING:
    from stages.limits import LimitStore


class Pipeline:
    """The built actors, their entry mailbox, and handles the server reads."""

    def __init__(self, config: RouterConfig, clock: Clock,
                 previous: Pipeline | None = None) -> None:
        """`previous`: the pipeline this one replaces (a reload); in-memory limits and
        budgets, the breakers (if their settings are unchanged), the selector's memory
        of answers awaiting feedback and learned model (if the embedder is unchanged),
        and the caches' entries (if their settings are unchanged) carry on from it,
        shared while it drains."""
        # Imported here: stages import `reactor`, so `reactor` may not import them at load.
        from stages.admission import Admission
        from stages.analyzer import Analyzer
        from stages.breaker import Breaker, BreakerCollector, Breakers
        from stages.cache import CacheCollector, ExactCache
        from stages.cost import CostTracker
        from stages.embedders import embedder_identity
        from stages.ledger import Ledger, LedgerCollector
        from stages.limits import LimitsCollector, MemoryLimits, Policy, build_limits
        from stages.metrics import Metrics
        from stages.provider import Provider
        from stages.selector import Catalogue, Selector
        from stages.semantic_cache import SemanticCache, SemanticCollector, eligible
        from stages.spend import SpendBook

        check_paths(config)
        check_saved(config)
        runtime = config.runtime
        sizes: dict[str, int] = {
            "mailbox_size": runtime.mailbox_size,
            "checkpoint_every": runtime.checkpoint_every,
        }
        self.config = config
        self.clock = clock
        self.config_digest = config_digest(config)
        self.registry = CollectorRegistry(auto_describe=True)
        self.outcomes = Outcomes()

        self.cost = CostTracker(**sizes)
        self.metrics = Metrics(self.registry, clock, **sizes)
        self.provider = Provider(config.models, config.provider, self.outcomes, clock, **sizes)
        if previous is not None:
            # A model that just hung is streamed for a while yet (`stream_after_fault_s`).
            self.provider.share(previous.provider)
        self.breakers = Breakers(config.breaker, clock)
        if previous is not None and previous.config.breaker == config.breaker:
            # A model that was failing is still failing: its breaker carries on (shared
            # while the old pipeline drains), unless the breakers' settings changed.
            names = {model.name for model in config.models}
            self.breakers.models.update({name: breaker for name, breaker
                                         in previous.breakers.models.items() if name in names})
        self.registry.register(BreakerCollector(self.breakers,
                                                [model.name for model in config.models]))
        self.breaker = Breaker(self.breakers, self.provider.mailbox, self.outcomes, clock,
                               **sizes)
        self.catalogue = Catalogue(config.models, config.selector,
                                   embedder=embedder_identity(config.analyzer.embedder))
        self.selector = Selector(self.catalogue, self.breaker.mailbox, self.outcomes, clock,
                                 save_timeout_s=config.server.drain_timeout_s, **sizes)
        if previous is not None and previous.config.analyzer.embedder == \
                config.analyzer.embedder:
            # Feedback on an answer given before a reload still teaches the selector, and
            # what it learned is kept.
            self.selector.share(previous.selector)
        embedder_kind = str(config.analyzer.embedder.__struct_config__.tag)
        self.semantic = SemanticCache(config.cache, embedder_kind, self.selector.mailbox,
                                      self.outcomes, clock, flow_size=runtime.flow_size,
                                      **sizes)
        if previous is not None:
            self.semantic.share(previous.semantic)
        self.registry.register(SemanticCollector(self.semantic))
        self.analyzer = Analyzer(config.analyzer, self.semantic.mailbox, models=config.models,
                                 provider=config.provider, clock=clock, **sizes)
        if config.analyzer.embed:
            # A prompt is embedded before its answer only for whoever reads it then.
            selector, cache_config = self.selector, config.cache
            self.selector.embed = self.analyzer.embed
            self.analyzer.wants = lambda job: selector.needs_embedding(job) or (
                not job.decide_only and eligible(job.request, cache_config))
        self.cache = ExactCache(config.cache, self.analyzer.mailbox, self.outcomes, clock,
                                flow_size=runtime.flow_size, **sizes)
        self.registry.register(CacheCollector(self.cache))
        if previous is not None:
            self.cache.share(previous.cache)
        policy = Policy(config.admission)
        limits = previous.limits if previous is not None and config.admission.backend == \
            "memory" and isinstance(previous.limits, MemoryLimits) else build_limits(
                config.admission)
        self.limits: LimitStore = limits
        self.spend = SpendBook(limits, policy, clock, **sizes)
        self.admission = Admission(config.admission, self.cache.mailbox, self.outcomes, clock,
                                   limits, policy, config.analyzer.chars_per_token, **sizes)
        self.registry.register(LimitsCollector(self.limit_rejections, lambda: limits.errors))

        # The caches learn only from answers they store: they are sent only those.
        self.outcomes.add_learner(self.cache.mailbox, self.cache.storable)  # type: ignore[arg-type]
        self.outcomes.add_learner(self.semantic.mailbox,  # type: ignore[arg-type]
                                  self.semantic.storable)
        for learner in (self.selector, self.breaker):
            self.outcomes.add_learner(learner.mailbox)  # type: ignore[arg-type]
        if config.metrics.enabled:
            self.outcomes.add_book(self.metrics.mailbox)
        self.outcomes.add_book(self.cost.mailbox)
        if policy.metered:
            self.outcomes.add_book(self.spend.mailbox)
        self.books: list[Actor[Any]] = [self.cost, self.spend, self.metrics]
        self.ledger: Ledger | None = None
        if config.ledger.path is not None:
            self.ledger = Ledger(config.ledger, clock, config_digest=self.config_digest,
                                 **sizes)
            self.outcomes.add_book(self.ledger.mailbox)
            self.registry.register(LedgerCollector(self.ledger))
            self.books.append(self.ledger)

        self.previous = previous
        self.entry: Mailbox[Submitted] = self.admission.mailbox
        # Downstream first, so nothing sends to an actor that has not started.
        self.actors: list[Actor[Any]] = [
            *self.books, self.provider, self.breaker, self.selector, self.semantic, self.analyzer,
            self.cache, self.admission,
        ]
        def book_crash(job: Job, error: ErrorInfo) -> None:
            self.outcomes.to_books_nowait(unanswered(job, error, clock.now(), "failed"))

        self.system = System(clock=clock, policy=RestartPolicy(
            max_restarts=runtime.max_restarts, window_s=runtime.restart_window_s,
            backoff_s=runtime.restart_backoff_s, backoff_max_s=runtime.restart_backoff_max_s))
        # The books finish what they hold even when the caller's scope is cancelled:
        # the router closes their mailboxes, waits for them, then stops them. A request
        # a stage on its path crashed on is booked all the same.
        books = {id(book) for book in self.books}
        for actor in self.actors:
            self.system.add(actor, shielded=id(actor) in books)
            if id(actor) not in books:
                actor.book_crash = book_crash

    def replaced_previous(self) -> None:
        """`previous` no longer gets requests: the learned state shared with it (the
        selector's model, the semantic index) is this pipeline's to save from now on, and
        a shared exact-cache store takes this pipeline's bound."""
        previous, self.previous = self.previous, None
        if previous is not None:
            self.selector.replaced(previous.selector)
            self.semantic.replaced(previous.semantic)
            self.cache.replaced(previous.cache)

    def limit_rejections(self) -> dict[tuple[str, str], int]:
        """429s for tenants' limits, by (reason, tenant): admission's and the selector's."""
        counts: dict[tuple[str, str], int] = {}
        for key, count in self.admission.rejected.items():
            counts[key] = count
        for tenant, count in self.selector.over_budget.items():
            counts["budget", tenant] = counts.get(("budget", tenant), 0) + count
        return counts


def check_saved(config: RouterConfig) -> None:
    """The learned quality model and the semantic cache are loaded when the router starts:
    a file that is not one reactor saved is a `ConfigError` naming its key, here, rather
    than a crash with a traceback in the middle of start-up."""
    for path, where in ((config.selector.quality_model, "selector.quality_model"),
                        (config.cache.semantic.path, "cache.semantic.path")):
        if path is None or not os.path.isfile(path):
            continue
        try:
            stored = np.load(path, allow_pickle=False)
            if not isinstance(stored, np.lib.npyio.NpzFile):
                raise ValueError("an array, not an .npz archive")
            with stored:
                header = msgspec.json.decode(stored["header"].tobytes())
        except (OSError, EOFError, ValueError, KeyError, AttributeError,
                zipfile.BadZipFile, msgspec.DecodeError):
            raise ConfigError(f"cannot load {path!r}: not a file reactor saved",
                              path=where) from None
        if where == "selector.quality_model" and config.analyzer.embed and \
                isinstance(header, dict):
            _check_embedder(config, path, header.get("dim"), header.get("embedder"))


def _check_embedder(config: RouterConfig, path: str, dim: object, made_by: object) -> None:
    """A learned model's vectors are comparable only with the same embedder's: its size
    (where the config says it; minilm's is the package's own) and its identity (where
    the file says it) must be this configuration's."""
    from stages.embedders import embedder_identity

    embedder = config.analyzer.embedder
    kind = embedder.__struct_config__.tag
    size = getattr(embedder, "dim", None)
    if dim is not None and size is not None and dim != size:
        raise ConfigError(
            f"{path!r} was learned from {dim}-dimension embeddings; the {kind} embedder "
            f"makes {size}: retrain it (`reactor train`) or point to another file",
            path="selector.quality_model")
    identity = embedder_identity(embedder)
    if made_by and made_by != identity:
        raise ConfigError(
            f"{path!r} was learned from the embeddings of {made_by}, not of this "
            f"configuration's {identity}: retrain it (`reactor train`) or point to another "
            "file", path="selector.quality_model")


def config_digest(config: RouterConfig) -> str:
    """Which configuration this is (of the decoded file: comments and spacing do not
    count); the same on every worker after a reload."""
    return hashlib.sha256(msgspec.json.encode(config)).hexdigest()[:16]


class RuntimeCollector(Collector):
    """Mailbox depths, blocked senders, tasks and restarts, read at scrape time."""

    def __init__(self, actors: list[Actor[Any]], extra: dict[str, Any],
                 config_digest: str = "") -> None:
        self.actors = actors
        self.extra = extra
        self.config_digest = config_digest

    def collect(self) -> Iterator[Any]:
        depth = GaugeMetricFamily("reactor_mailbox_depth", "Messages waiting.", labels=["actor"])
        blocked = GaugeMetricFamily("reactor_mailbox_blocked_senders",
                                    "Senders waiting for room.", labels=["actor"])
        tasks = GaugeMetricFamily("reactor_actor_tasks", "Tasks running.", labels=["actor"])
        restarts = CounterMetricFamily("reactor_actor_restarts", "Restarts after a crash.",
                                       labels=["actor"])
        waited = CounterMetricFamily("reactor_mailbox_wait_seconds",
                                     "Time senders spent waiting for room.", labels=["actor"])
        for actor in self.actors:
            mailbox = actor.mailbox
            depth.add_metric([actor.name], mailbox.depth)
            blocked.add_metric([actor.name], mailbox.blocked_senders)
            tasks.add_metric([actor.name], actor.tasks_running)
            restarts.add_metric([actor.name], actor.restarts)
            waited.add_metric([actor.name], mailbox.wait_seconds_total)
        yield from (depth, blocked, tasks, restarts, waited)
        for name, read in self.extra.items():
            # A count that only grows is a counter (so `rate()` reads it right).
            kind = CounterMetricFamily if name.endswith("_total") else GaugeMetricFamily
            family = kind(name, name.replace("_", " "))
            family.add_metric([], float(read()))
            yield family
        if self.config_digest:
            info = GaugeMetricFamily("reactor_config_info", "The configuration in use "
                                     "(digest of the decoded router.toml).", labels=["digest"])
            info.add_metric([self.config_digest], 1.0)
            yield info


def metrics_snapshot(registry: CollectorRegistry, wall: float) -> dict[str, Any]:
    """Every metric `registry` holds, as JSON-ready data: what `/metrics` says, for a
    program or a spreadsheet rather than Prometheus. One entry per metric family, its
    samples as the text format writes them (a histogram's `_bucket`, `_count` and `_sum`
    rows, each with its labels); a value that is not finite is null."""
    return {"taken_at": wall, "metrics": [
        {"name": family.name, "type": family.type, "help": family.documentation,
         "samples": [{"name": sample.name, "labels": sample.labels,
                      "value": sample.value if math.isfinite(sample.value) else None}
                     for sample in family.samples]}
        for family in registry.collect()]}
