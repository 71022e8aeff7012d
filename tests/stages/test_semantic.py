"""The semantic cache's core: partitioned index, eviction, files, guards, policy."""

from __future__ import annotations

from pathlib import Path

import hnswlib
import msgspec
import numpy as np
import numpy.typing as npt
import pytest

import stages.semantic.index
import stages.semantic.partition
from stages.semantic.guards import GUARDS, veto_reason
from stages.semantic.index import IndexParams, SemanticIndex
from stages.semantic.partition import PartitionParams
from stages.semantic.policy import Hit, Miss, Thresholds, Veto, decide, weigh
from stages.semantic.reading import decode_reading, encode_reading, read

DIM = 32
Rows = npt.NDArray[np.float32]


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> Rows:
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    out: Rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def nudged(rows: Rows, rng: np.random.Generator, scale: float = 0.1) -> Rows:
    out: Rows = rows + scale * unit(rng, len(rows), rows.shape[1]) / np.sqrt(2)
    return out


def small_index(**overrides: object) -> SemanticIndex:
    partition = PartitionParams(graph_above=200, graph_below=50, catch_up=40)
    params = IndexParams(dim=DIM, max_entries=10_000, ttl_s=100.0, partition=partition)
    return SemanticIndex(msgspec.structs.replace(params, **overrides))


# --- the index ------------------------------------------------------------------------


def test_a_tenant_never_gets_another_tenants_entry() -> None:
    index = small_index()
    vector = unit(np.random.default_rng(0), 1)[0]
    index.add("tenant-a|gpt|sys:1", vector, "a-answer", now=0.0)

    assert index.lookup("tenant-b|gpt|sys:1", vector, now=1.0) == []
    assert index.lookup("tenant-a|gpt|sys:2", vector, now=1.0) == []
    [(entry_id, similarity)] = index.lookup("tenant-a|gpt|sys:1", vector, now=1.0)
    assert entry_id == "a-answer"
    assert similarity == pytest.approx(1.0, abs=1e-5)


def test_lookup_returns_the_nearest_first() -> None:
    index = small_index()
    rng = np.random.default_rng(1)
    rows = unit(rng, 50)
    for i, row in enumerate(rows):
        index.add("p", row, f"e{i}", now=0.0)

    found = index.lookup("p", nudged(rows[7:8], rng)[0], now=0.0, k=3)

    assert found[0][0] == "e7"
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


@pytest.mark.parametrize("graph_dim", [0, 8], ids=["whole", "projected"])
def test_exact_and_graph_search_agree_past_the_threshold(graph_dim: int) -> None:
    rng = np.random.default_rng(2)
    rows = unit(rng, 600)
    queries = nudged(rows[rng.integers(0, 600, 200)], rng)
    graph = small_index(partition=PartitionParams(graph_above=200, graph_below=50,
                                                  catch_up=40, graph_dim=graph_dim))
    exact = small_index(partition=PartitionParams(graph_above=1 << 40))
    for i, row in enumerate(rows):
        graph.add("p", row, f"e{i}", now=0.0)
        exact.add("p", row, f"e{i}", now=0.0)

    assert graph.stats().graph_partitions == 1
    assert exact.stats().graph_partitions == 0
    agree = 0
    for query in queries:
        graph_found = graph.lookup("p", query, now=0.0, k=3)
        exact_found = exact.lookup("p", query, now=0.0, k=3)
        agree += graph_found[0][0] == exact_found[0][0]
        # Similarities come from the whole vectors, whatever the graph holds.
        for entry_id, similarity in graph_found:
            assert similarity == pytest.approx(
                float(rows[int(entry_id[1:])] @ query / np.linalg.norm(query)), abs=1e-5)
        assert [s for _, s in graph_found] == sorted((s for _, s in graph_found),
                                                     reverse=True)
    assert agree >= 0.99 * len(queries)


def test_a_projection_has_orthonormal_columns_drawn_from_its_seed() -> None:
    basis = stages.semantic.partition.projection(32, 8, 0)
    draws = np.random.default_rng(0).standard_normal((32, 8))

    assert basis.shape == (32, 8) and basis.dtype == np.float32
    np.testing.assert_allclose(basis.T @ basis, np.eye(8), atol=1e-5)
    # Spans the same space as the seeded draws: nothing else goes into it.
    np.testing.assert_allclose(basis @ (basis.T @ draws), draws, atol=1e-4)


def test_a_growing_graph_answers_exactly_until_it_has_caught_up() -> None:
    index = small_index(partition=PartitionParams(graph_above=200, catch_up=2))
    rows = unit(np.random.default_rng(3), 500)
    for i, row in enumerate(rows[:240]):
        index.add("p", row, f"e{i}", now=0.0)

    # From the 200th add on, each add feeds the graph two rows and brings one more.
    assert index.stats().graph_partitions == 0
    assert index.lookup("p", rows[5], now=0.0)[0][0] == "e5"

    for i, row in enumerate(rows[240:], start=240):
        index.add("p", row, f"e{i}", now=0.0)

    assert index.stats().graph_partitions == 1
    assert index.stats().graph_bytes > 0
    assert index.lookup("p", rows[5], now=0.0)[0][0] == "e5"
    assert index.lookup("p", rows[450], now=0.0)[0][0] == "e450"


def test_a_graph_that_cannot_answer_leaves_the_search_to_the_rows() -> None:
    class Stuck:
        """A graph whose every search fails as hnswlib's does when it cannot reach
        enough live nodes."""

        def __init__(self) -> None:
            self.tries = 0

        def set_ef(self, ef: int) -> None:
            pass

        def knn_query(self, *args: object, **kwargs: object) -> None:
            self.tries += 1
            raise RuntimeError("Cannot return the results in a contiguous 2D array")

    index = projected_index()
    rows = unit(np.random.default_rng(13), 300)
    for i, row in enumerate(rows):
        index.add("p", row, f"e{i}", now=0.0)
    store = index._partitions["p"]
    assert store.uses_graph
    store._graph = stuck = Stuck()  # type: ignore[assignment]

    found = index.lookup("p", rows[77], now=0.0, k=2)

    assert stuck.tries == 2  # widened once, then the rows
    assert found[0][0] == "e77" and found[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(found) == 2


def test_a_graph_survives_removals_and_shrinks_back_to_exact_search() -> None:
    index = small_index()
    rng = np.random.default_rng(4)
    rows = unit(rng, 500)
    for i, row in enumerate(rows):
        index.add("p", row, f"e{i}", now=0.0)
    for i in range(0, 300):
        index.remove(f"e{i}")
    for i in range(300):  # reuse the deleted nodes' places
        index.add("p", rows[i], f"again{i}", now=0.0)

    assert index.stats().graph_partitions == 1
    assert index.lookup("p", rows[10], now=0.0)[0][0] == "again10"
    assert index.lookup("p", rows[400], now=0.0)[0][0] == "e400"

    for i in range(300):
        index.remove(f"again{i}")
    for i in range(300, 460):
        index.remove(f"e{i}")

    assert index.stats().graph_partitions == 0
    assert len(index) == 40
    assert index.lookup("p", rows[470], now=0.0)[0][0] == "e470"


def test_entries_expire_after_their_ttl() -> None:
    index = small_index()
    rows = unit(np.random.default_rng(5), 3)
    index.add("p", rows[0], "short", now=0.0, ttl_s=10.0)
    index.add("p", rows[1], "default", now=0.0)

    assert index.lookup("p", rows[0], now=9.9)[0][0] == "short"
    [(entry_id, similarity)] = index.lookup("p", rows[0], now=10.0, k=2)
    assert entry_id == "default"
    assert similarity == pytest.approx(float(rows[0] @ rows[1]), abs=1e-5)
    assert "short" not in index
    assert index.evict(now=99.0) == []
    assert index.evict(now=100.0) == ["default"]
    assert len(index) == 0
    assert index.stats().evicted_ttl == 2


def test_re_adding_an_entry_renews_it() -> None:
    index = small_index()
    row = unit(np.random.default_rng(6), 1)[0]
    index.add("p", row, "e", now=0.0, payload=b"old")
    index.add("p", row, "e", now=50.0, payload=b"new")

    assert index.evict(now=120.0) == []
    assert index.payload("e") == b"new"
    assert len(index) == 1
    assert index.evict(now=150.0) == ["e"]


def test_the_least_recently_used_entry_goes_first() -> None:
    index = small_index(max_entries=3)
    rows = unit(np.random.default_rng(7), 4)
    for name, row in zip("abc", rows, strict=False):
        index.add(name, row, name, now=0.0)
    index.touch("a")

    assert index.add("d", rows[3], "d", now=1.0) == ["b"]
    assert sorted(k for k in "abcd" if k in index) == ["a", "c", "d"]
    assert index.lookup("b", rows[1], now=1.0) == []
    assert index.stats().evicted_lru == 1


def test_removed_entries_are_gone_and_empty_partitions_dropped() -> None:
    index = small_index()
    row = unit(np.random.default_rng(8), 1)[0]
    index.add("p", row, "e", now=0.0, payload=b"answer")

    assert index.remove("e") is True
    assert index.remove("e") is False
    assert index.lookup("p", row, now=0.0) == []
    assert index.stats().partitions == 0
    assert index.stats().payload_bytes == 0


def test_vectors_of_the_wrong_size_are_refused() -> None:
    index = small_index()
    with pytest.raises(ValueError, match="32-d"):
        index.add("p", np.ones(DIM + 1), "e", now=0.0)
    with pytest.raises(ValueError, match="32-d"):
        index.lookup("p", np.ones((2, DIM)), now=0.0)


def test_a_restart_keeps_entries_payloads_ttls_and_recency(tmp_path: Path) -> None:
    index = small_index(max_entries=1000)
    rng = np.random.default_rng(9)
    big, small = unit(rng, 400), unit(rng, 5)
    for i, row in enumerate(big):
        index.add("big", row, f"b{i}", now=0.0, payload=f"answer {i}".encode())
    for i, row in enumerate(small):
        index.add("small", row, f"s{i}", now=0.0, ttl_s=1000.0)
    index.add("small", unit(rng, 1)[0], "stale", now=0.0, ttl_s=5.0)
    index.touch("b0")
    path = tmp_path / "semantic.npz"

    index.save(path, now=50.0)  # 50 s of the default 100 left; "stale" already expired
    # A new process: its monotonic clock starts somewhere else entirely.
    loaded = SemanticIndex.load(path, now=7.0)

    assert list(tmp_path.iterdir()) == [path]
    assert len(loaded) == 405 and "stale" not in loaded
    assert loaded.stats().graph_partitions == 1
    assert loaded.lookup("big", big[123], now=7.0)[0][0] == "b123"
    assert loaded.payload("b123") == b"answer 123"
    assert loaded.lookup("small", small[2], now=7.0)[0][0] == "s2"
    assert sorted(loaded.evict(now=57.0)) == sorted(f"b{i}" for i in range(400))
    assert len(loaded) == 5


def test_after_a_restart_recency_and_labels_carry_on(tmp_path: Path) -> None:
    index = small_index(max_entries=3)
    rows = unit(np.random.default_rng(10), 5)
    for name, row in zip("abc", rows, strict=False):
        index.add("p", row, name, now=0.0)
    index.touch("a")
    index.save(tmp_path / "i.npz", now=0.0)
    loaded = SemanticIndex.load(tmp_path / "i.npz", now=0.0)

    assert loaded.add("p", rows[3], "d", now=0.0) == ["b"]
    assert loaded.lookup("p", rows[3], now=0.0)[0][0] == "d"
    assert loaded.lookup("p", rows[0], now=0.0)[0][0] == "a"


def projected_index(graph_dim: int = 8, **overrides: object) -> SemanticIndex:
    partition = PartitionParams(graph_above=200, graph_below=50, catch_up=40,
                                graph_dim=graph_dim)
    return small_index(partition=partition, **overrides)


@pytest.mark.parametrize("load_dim", [8, 12, 0])
def test_a_restart_keeps_a_projected_graph_or_builds_one_for_new_params(
        tmp_path: Path, load_dim: int) -> None:
    index = projected_index(max_entries=1000)
    rng = np.random.default_rng(11)
    rows = unit(rng, 400)
    for i, row in enumerate(rows):
        index.add("p", row, f"e{i}", now=0.0)
    index.remove("e5")
    index.save(tmp_path / "i.npz", now=0.0)

    loaded = SemanticIndex.load(tmp_path / "i.npz", now=0.0,
                                params=projected_index(load_dim).params)

    assert len(loaded) == 399 and loaded.stats().graph_partitions == 1
    store = loaded._partitions["p"]
    assert store._graph is not None and store._graph.dim == (load_dim or DIM)
    # The saved graph itself (with e5's deleted node) when the projection is the same.
    assert store._vacant == (1 if load_dim == 8 else 0)
    for i in (0, 123, 399):
        [(entry_id, _)] = loaded.lookup("p", nudged(rows[i : i + 1], rng)[0],
                                                 now=0.0)
        assert entry_id == f"e{i}"
    assert all(found != "e5" for found, _ in loaded.lookup("p", rows[5], now=0.0, k=5))
    loaded.add("p", rows[5], "back", now=0.0)  # takes the deleted node's place
    assert loaded.lookup("p", rows[5], now=0.0)[0][0] == "back"


def test_a_file_of_format_1_is_read_and_its_graphs_rebuilt(tmp_path: Path) -> None:
    # Format 1 kept an exact partition's rows in "rows" and a graph partition's whole
    # vectors in its hnswlib graph alone. Written here as that build wrote it.
    rng = np.random.default_rng(12)
    big, small = unit(rng, 300), unit(rng, 3)
    graph = hnswlib.Index(space="cosine", dim=DIM)
    graph.init_index(max_elements=600, M=24, ef_construction=100, random_seed=0,
                     allow_replace_deleted=True)
    graph.add_items(big, np.arange(300))
    graph.mark_deleted(7)  # a removed entry: in the graph, not in the partition
    graph_file = tmp_path / "g.bin"
    graph.save_index(str(graph_file))
    graph_bytes = graph_file.read_bytes()
    live = [label for label in range(300) if label != 7]
    index_module = stages.semantic.index
    saved = [index_module._Saved(f"b{label}", 0, label, 60.0, f"answer {label}".encode())
             for label in live]
    saved += [index_module._Saved(f"s{i}", 1, i, 60.0, b"") for i in range(3)]
    body = index_module._Body([index_module._SavedPartition("big", 300, live,
                                                            len(graph_bytes)),
                               index_module._SavedPartition("small", 3, [0, 1, 2], 0)],
                              saved)
    header = index_module._Header(version=1, params=projected_index().params,
                                  entries=len(saved), partitions=2)
    np.savez(tmp_path / "v1.npz",
             header=np.frombuffer(msgspec.json.encode(header), dtype=np.uint8),
             body=np.frombuffer(msgspec.msgpack.encode(body), dtype=np.uint8),
             rows=small, graphs=np.frombuffer(graph_bytes, dtype=np.uint8))

    loaded = SemanticIndex.load(tmp_path / "v1.npz", now=0.0)

    assert len(loaded) == 302 and loaded.stats().graph_partitions == 1
    assert loaded._partitions["big"]._graph.dim == 8
    [(entry_id, similarity)] = loaded.lookup("big", big[42], now=0.0)
    assert (entry_id, loaded.payload(entry_id)) == ("b42", b"answer 42")
    assert similarity == pytest.approx(1.0, abs=1e-5)
    assert loaded.lookup("big", big[7], now=0.0)[0][0] != "b7"
    assert loaded.lookup("small", small[1], now=0.0)[0][0] == "s1"


def test_a_file_from_another_format_version_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_index().save(tmp_path / "i.npz", now=0.0)
    monkeypatch.setattr(stages.semantic.index, "FORMAT_VERSION", 3)

    with pytest.raises(ValueError, match="format 2, this build reads 3"):
        SemanticIndex.load(tmp_path / "i.npz", now=0.0)


# --- guards -----------------------------------------------------------------------------

HARD_NEGATIVES = [
    ("How do I convert °F to °C?", "How do I convert °C to °F?", "direction_differs"),
    ("°F→°C", "°C→°F", "direction_differs"),
    ("convert 100 fahrenheit to celsius", "convert 100 celsius to fahrenheit",
     "direction_differs"),
    ("x minus y", "y minus x", "direction_differs"),
    ("Is ibuprofen safe during pregnancy?", "Is ibuprofen not safe during pregnancy?",
     "negation_differs"),
    ("Why does my code work?", "Why doesn't my code work?", "negation_differs"),
    ("How do I sort a list in ascending order?", "How do I sort a list in descending order?",
     "opposites_differ"),
    ("How can I maximize my savings?", "How can I minimize my savings?", "opposites_differ"),
    ("Is 100 mg of caffeine a day too much?", "Is 200 mg of caffeine a day too much?",
     "numbers_differ"),
    ("What happened in 2015?", "What happened in 2016?", "numbers_differ"),
    ("Is 100 mg of caffeine a day too much?", "Is 100 g of caffeine a day too much?",
     "units_differ"),
    ("dog bites man", "man bites dog", "word_order_differs"),
    # Only the two sides of an "and" / "or" / "vs" may trade places.
    ("Is a cat faster than a dog or a horse?", "Is a dog faster than a cat or a horse?",
     "word_order_differs"),
    ("Do tall men like short women?", "Do short men like tall women?", "word_order_differs"),
    ("What are the traffic laws in Georgia?", "What are the traffic laws in Iowa?",
     "names_differ"),
    ("What is A + B?", "What is A * B?", "symbols_differ"),
    # A minus sign is part of the number it comes before; a hyphen in a name is not.
    ("What is -5 squared?", "What is 5 squared?", "symbols_differ"),
    ("Is it cold at -10 °C?", "Is it cold at 10 °C?", "symbols_differ"),
    ("Solve x = \u22123 for y", "Solve x = 3 for y", "symbols_differ"),
    ("What is 2x-1 at x = 4?", "What is 2x 1 at x = 4?", "symbols_differ"),
    ("How do I fix this circuit?", "How do I fix this circuit?", "points_elsewhere"),
    ("How is cheese made?", "Where is cheese made?", "asks_differently"),
    ("What can a nurse do?", "What should a nurse do?", "modality_differs"),
    ("What did the Romans eat?", "What do the Romans eat?", "modality_differs"),
    ("Where can I find cheap flights to Oslo?",
     "Where can I find cheap flights to Oslo online?", "wording_differs"),
    ("What is the best thing to do with a stray cat?", "What is the best thing to do with a "
     "stray kitten?", "wording_differs"),
    ("What happened in the 1970s?", "What happened in 1970?", "wording_differs"),
    ("Is it fair?", "Is its fair?", "wording_differs"),
    # How-to questions read without their asker and modal, and nothing else.
    ("How can you tell if someone is shy?", "How can you tell if you are shy?",
     "wording_differs"),
    ("How can we become friends?", "How do I become a friend?", "modality_differs"),
    ("How often should I water a cactus?", "How often do you water a cactus?",
     "modality_differs"),
    ("How did I lose weight?", "How do I lose weight?", "modality_differs"),
    ("What is the fastest way to learn chess?", "How do I learn chess?", "asks_differently"),
    ("What is the best way to learn chess and why?", "How do I learn chess?",
     "asks_differently"),
    ("How can I paint a fence if I could rent a sprayer?",
     "How do I paint a fence if I rent a sprayer?", "wording_differs"),
    ("What does DNS do?", "What is DNS?", "wording_differs"),
    ("Is the ENFJ-A type rare?", "Is the ENFJ type rare?", "wording_differs"),
    ("What are the best IT jobs?", "What are the best jobs?", "names_differ"),
    ("Is it hard moving to the US?", "Is it hard moving to the city?", "names_differ"),
    # A word's number does not hide a change of order.
    ("Am I reading books right?", "Am I reading the right book?", "word_order_differs"),
    # With one content word, an article, "which" or who asks how is most of the question.
    ("What is gravity?", "What is the gravity?", "few_words_reworded"),
    ("What is sweet?", "Which is sweet?", "few_words_reworded"),
    ("What is the best way to win?", "How do I win?", "few_words_reworded"),
]

# Guards that let each of these through: the wording they must not mind.
PARAPHRASES = [
    ("How much is 1,000 dollars in euros?", "How much is 1000 dollars in euros?"),
    ("Can I run 3.0 miles a day?", "Can I run 3 miles a day?"),
    ("Why don't cats like water?", "Why do cats not like water?"),
    ("What are two ways to learn Spanish?", "What are 2 ways to learn Spanish?"),
    ("Explain TCP vs UDP.", "explain tcp vs udp"),
    ("What\u2019s the best way to learn Rust?", "What's the best way to learn Rust?"),
    ("Which is the best laptop for students?", "What is the best laptop for students?"),
    ("What's a good laptop for students?", "What is a good laptop for students?"),
    ("Can't I pay by card?", "Can I not pay by card?"),
    ("Why some cats hate water?", "Why do some cats hate water?"),
    ("Is there any cure for hiccups?", "Is there a cure for hiccups?"),
    ("WHAT IS THE BEST PHONE?", "What is the best phone?"),
    ("What is a zero-sum game?", "What is a zero sum game?"),
    ("When did COVID-19 start?", "When did COVID 19 start?"),
    # A word's number.
    ("How do I get rid of a stray cat?", "How do I get rid of stray cats?"),
    ("What are the best hiking boots?", "Which is the best hiking boot?"),
    ("Why do berries ripen?", "Why does a berry ripen?"),
    ("How do boxes get recycled?", "How does a box get recycled?"),
    # Who asks how, and with which modal.
    ("How do I bake bread?", "How do you bake bread?"),
    ("How can I learn to knit?", "How should I learn to knit?"),
    ("How to repot an orchid?", "How do I repot an orchid?"),
    ("How can one fix a leaky tap?", "How do you fix a leaky tap?"),
    ("How do I tidy my desk?", "How do you tidy your desk?"),
    ("How could I stop snoring?", "How can someone stop snoring?"),
    ("How do I reverse a list in Python?", "What's the way to reverse a list in Python?"),
    ("What is the best way to descale a kettle?", "How do you descale a kettle?"),
    ("What are some ways to cheer up a friend?", "How can I cheer up a friend?"),
    # Either side of "and", "or", "vs" first.
    ("Who is better, Pele or Maradona?", "Who is better, Maradona or Pele?"),
    ("What is the difference between a lake and a pond?",
     "What is the difference between a pond and a lake?"),
    ("Which is faster, the Ford Focus or Honda Civic?", "Which is faster: Honda Civic or "
     "Ford Focus?"),
    ("Should I learn Rust vs Go?", "Should I learn Go vs Rust?"),
    ("What is the difference between a lake and a pond?",
     "What is the difference between ponds and lakes?"),
    # One content word: case, punctuation, "a" and a word's number only.
    ("What is a haiku?", "What are haikus?"),
    ("What is Haiku?", "what is haiku"),
]

# Real paraphrases that only the wording guards turn away: the recall they cost, so
# that nobody is served the answer to a question one word away from theirs.
REWORDED = [
    ("What is the capital of France?", "Which city is the capital of France?",
     "wording_differs"),
    ("Convert 100 °F to °C", "What is 100 °F in °C?", "asks_differently"),
    ("Is it safe to take ibuprofen with coffee?", "Can I safely take ibuprofen with coffee?",
     "modality_differs"),
]
WORDING_GUARDS = ("asks_differently", "modality_differs", "wording_differs",
                  "few_words_reworded")


@pytest.mark.parametrize(("query", "cached", "reason"), HARD_NEGATIVES)
def test_guards_veto_the_known_hard_negatives(query: str, cached: str, reason: str) -> None:
    assert veto_reason(query, cached) == reason
    assert veto_reason(cached, query) == reason


@pytest.mark.parametrize(("query", "cached"), PARAPHRASES)
def test_guards_let_true_paraphrases_through(query: str, cached: str) -> None:
    assert veto_reason(query, cached) is None
    assert veto_reason(cached, query) is None


@pytest.mark.parametrize(("query", "cached", "reason"), REWORDED)
def test_rewordings_pass_every_guard_but_the_wording_ones(
        query: str, cached: str, reason: str) -> None:
    others = tuple(g for g in GUARDS if g.__name__ not in WORDING_GUARDS)
    assert veto_reason(query, cached, others) is None
    assert veto_reason(query, cached) == reason
    assert veto_reason(cached, query) == reason


def test_wording_reads_contractions_numbers_and_auxiliaries_alike() -> None:
    assert read("I'm sure it won't rain").wording == read("I am sure it will not rain").wording
    assert read("What are two cats?").wording == read("What is 2 cats").wording
    assert read("What are two cats?").auxiliaries == (0, 1)
    assert read("Why does it rain?").auxiliaries == (1, 0)


def test_numbers_are_compared_once_normalised() -> None:
    assert read("1,000 people and 3.0 dogs").numbers == read("1000 people and 3 dogs").numbers
    assert read("one thousand").numbers != read("one hundred").numbers
    assert read("three cats").numbers == read("3 cats").numbers


# --- policy -----------------------------------------------------------------------------

THRESHOLDS = Thresholds(hashing=0.95, minilm=0.9, by_name={"http:embed-3": 0.8})


def test_below_the_threshold_is_a_miss() -> None:
    decision = decide(0.85, "What is 2 + 2?", "What is 2 + 2?", "minilm:all-MiniLM-L6-v2",
                      thresholds=THRESHOLDS)
    assert decision == Miss(similarity=0.85, threshold=0.9)


def test_above_the_threshold_a_guard_can_still_veto() -> None:
    decision = decide(0.995, "convert °F to °C", "convert °C to °F", "minilm:x",
                      thresholds=THRESHOLDS)
    assert decision == Veto(similarity=0.995, threshold=0.9, reason="direction_differs")


def test_a_close_clean_match_is_a_hit() -> None:
    cached = read("What is the capital of France?")
    decision = decide(0.97, "Which is the capital of France?", cached, "hashing:384",
                      thresholds=THRESHOLDS)
    assert decision == Hit(similarity=0.97, threshold=0.95)


def test_thresholds_follow_the_embedder() -> None:
    assert isinstance(decide(0.92, "a b", "a b", "hashing:384", thresholds=THRESHOLDS), Miss)
    assert isinstance(decide(0.92, "a b", "a b", "minilm:x", thresholds=THRESHOLDS), Hit)
    assert isinstance(decide(0.85, "a b", "a b", "http:embed-3", thresholds=THRESHOLDS), Hit)


def test_an_unmeasured_embedder_never_hits() -> None:
    assert decide(1.0, "a b", "a b", "http:other") == Miss(similarity=1.0, threshold=None)


# --- a whole lookup: readings kept with the entries -------------------------------------


def test_a_reading_survives_encoding() -> None:
    for text in ("How do I convert 100 °F to °C?", "Is it not safe from A to B?", ""):
        assert decode_reading(encode_reading(read(text))) == read(text)


def guarded_index(questions: list[str], rows: Rows) -> SemanticIndex:
    index = small_index()
    for i, (question, row) in enumerate(zip(questions, rows, strict=True)):
        index.add("p", row, f"e{i}", now=0.0, reading=encode_reading(read(question)))
    return index


def test_weigh_serves_the_nearest_entry_the_guards_let_through() -> None:
    rng = np.random.default_rng(20)
    row = unit(rng, 1)[0]
    index = guarded_index(["How do I convert °C to °F?", "How do I convert °F to °C?"],
                          np.stack([row, nudged(row[None, :], rng, 0.05)[0]]))

    weighed = weigh(index, "p", row, "How do I convert °F to °C", now=1.0,
                    embedder_name="minilm:x")

    assert weighed.entry_id == "e1" and weighed.vetoes == ["direction_differs"]
    assert weighed.similarity < 1.0


def test_weigh_misses_under_the_threshold_and_without_one() -> None:
    rng = np.random.default_rng(21)
    [near, far] = unit(rng, 2)
    index = guarded_index(["What is a cat?"], near[None, :])

    assert weigh(index, "p", far, "What is a cat?", 1.0, "minilm:x").entry_id is None
    unmeasured = weigh(index, "p", near, "What is a cat?", 1.0, "http:x")
    assert unmeasured.entry_id is None and unmeasured.vetoes == ()
    assert weigh(index, "p", near, "What is a cat?", 1.0, "minilm:x").entry_id == "e0"


def test_an_entry_without_a_reading_is_never_served_until_it_has_one(tmp_path: Path) -> None:
    row = unit(np.random.default_rng(22), 1)[0]
    index = small_index()
    index.add("p", row, "old", now=0.0, payload=b"answer")
    index.save(tmp_path / "old.npz", now=0.0)
    loaded = SemanticIndex.load(tmp_path / "old.npz", now=0.0)

    assert loaded.unread() == ["old"]
    assert weigh(loaded, "p", row, "Why?", 1.0, "minilm:x").vetoes == ["no_reading"]
    loaded.set_reading("old", encode_reading(read("Why?")))
    loaded.save(tmp_path / "new.npz", now=0.0)
    again = SemanticIndex.load(tmp_path / "new.npz", now=0.0)
    assert again.unread() == [] and again.stats().reading_bytes > 0
    assert weigh(again, "p", row, "Why?", 1.0, "minilm:x").entry_id == "old"
