"""Guards: cheap checks that veto a semantic hit the embedding cannot tell apart.

Embeddings score "convert °F to °C" and "convert °C to °F" at 0.99 and up, and "is X
safe" close to "is X not safe": a threshold alone cannot keep such pairs apart, so
each candidate hit is also read as text. Every guard is a pure function of the two
texts' `Reading`s (built once per text by `read`) that returns True to veto, and its
name is the `veto_reason` reported in metrics. Guards only ever turn a hit into a
miss, which costs money, never correctness: when in doubt they veto.

`GUARDS` lists them in the order `veto_reason` tries them: first the specific ones
(numbers, negation, direction, ...), then the wording ones (`asks_differently`,
`modality_differs`, `wording_differs`), which let a hit stand only when the two texts
use the same words but for articles, contractions, "do" / "is", a few fillers, a
word's number ("cat" / "cats") and, in a how-to question, who asks and with which of
"can", "could", "should" ("how can I" / "how do you" / "how to" / "what is the best
way to"); in a question of one content word (`few_words_reworded`), only case,
punctuation, "a" / "an" and a word's number. Those last make the
threshold matter little and cost most paraphrases: a cache that answers rewordings
with someone else's answer to a question one word away saves nothing.
They were chosen and shaped on the development half of the QQP pairs
(`bench.eval_cache --half dev`, against a blind re-reading of those pairs), never on
its test half; what each one buys is in that benchmark's table.
"""

from __future__ import annotations

from collections.abc import Callable

from stages.semantic.reading import (
    OPPOSITE,
    Reading,
    either_side,
    how_to,
    in_order_but_number,
    modals_of_how_to,
    read,
    same_but_number,
)


def numbers_differ(a: Reading, b: Reading) -> bool:
    """Different numbers, once normalised: "100 mg" is not "200 mg", "2015" not "2016",
    but "1,000" is "1000" and "3.0" is "3"."""
    return a.numbers != b.numbers


def negation_differs(a: Reading, b: Reading) -> bool:
    """One text is negated where the other is not: "is X safe" vs "is X not safe",
    "with sugar" vs "without sugar"."""
    return a.negations != b.negations


def direction_differs(a: Reading, b: Reading) -> bool:
    """The same two things on either side of a directed word, swapped: "°F to °C" vs
    "°C to °F", "x minus y" vs "y minus x", "from A to B" vs "from B to A"."""
    return any((right, left) in b.relations for left, right in a.relations)


def word_order_differs(a: Reading, b: Reading) -> bool:
    """The same content words in a different order: "dog bites man" vs "man bites dog",
    but for the two sides of an "and", "or" or "vs" ("tea or coffee" vs "coffee or
    tea"). A word's number is read as `wording_differs` reads it, so that "am I doing
    things right" vs "am I doing the right thing" is a different order too."""
    return (len(a.content) == len(b.content)
            and not in_order_but_number(a.content, b.content)
            and same_but_number(tuple(sorted(a.content)), tuple(sorted(b.content)))
            and not any(in_order_but_number(either_side(a.words, width),
                                            either_side(b.words, width))
                        for width in (1, None)))


def opposites_differ(a: Reading, b: Reading) -> bool:
    """A word in one text and its opposite in the other, where that text lacks the
    first: "sort ascending" vs "sort descending", "minimize" vs "maximize"."""
    if not (a.polar and b.polar):
        return False
    only_b = b.polar - a.vocabulary
    return any(OPPOSITE[word] & only_b for word in a.polar - b.vocabulary)


def units_differ(a: Reading, b: Reading) -> bool:
    """Different units: "100 mg" vs "100 g", "°C" vs "°F", "$" vs "€"."""
    return a.units != b.units


def symbols_differ(a: Reading, b: Reading) -> bool:
    """Different operators or signs: "A + B" vs "A * B", "Z+ security" vs "Z security"."""
    return a.symbols != b.symbols


def names_differ(a: Reading, b: Reading) -> bool:
    """A name (a capitalised word, or an acronym) in one text that the other never
    mentions in any case: "laws in Georgia" vs "laws in Iowa", "Austria" vs "Australia"."""
    return not (a.names <= b.vocabulary and b.names <= a.vocabulary)


def points_elsewhere(a: Reading, b: Reading) -> bool:
    """A short text pointing at something it does not contain ("this circuit", "these
    photos"): the answer depends on what is pointed at, which the text cannot show. Long
    texts are let through, since they may well hold the snippet they point at."""
    return a.points or b.points


def asks_differently(a: Reading, b: Reading) -> bool:
    """Different question words: "why is the sea salty" vs "is the sea salty", "how is
    cheese made" vs "where is cheese made" ("which" counts as "what"). Two how-to
    questions may open with "how" or "what is the best way to" (`how_to`)."""
    if a.asking == b.asking:
        return False
    return (a.asking - _METHOD != b.asking - _METHOD or how_to(a) is None
            or how_to(b) is None)


_METHOD = frozenset({"how", "what"})


def modality_differs(a: Reading, b: Reading) -> bool:
    """A different modal verb or tense: "what can a nurse do" vs "what should a nurse
    do", "what did the Romans eat" vs "what do the Romans eat". How-to questions may
    trade "can", "could" and "should" ("how can I" / "how should I" / "how do I"): they
    ask for the same method."""
    return a.modality != b.modality and not modals_of_how_to(a, b)


def wording_differs(a: Reading, b: Reading) -> bool:
    """Any word in one text that the other lacks, or holds fewer times, beyond articles,
    "please", a few fillers ("really", "any"), "do" / "is" (in any form) and a word's
    number: "cheap flights to Oslo" vs "cheap flights to Oslo online", "what can I do"
    vs "what can you do", but not "cat" vs "cats". Either text may add "do" or "is" ("why
    some cats hate water" / "why do some cats hate water"), not trade one for the other
    ("what does DNS do" / "what is DNS"). Two how-to questions are read without their
    asker and modal ("how do I" / "how can you" / "how to" / "what is the best way
    to", `how_to`).

    The strictest guard, and the one that buys most of the precision: at the default
    thresholds, what is left for the embedding to judge is mostly spelling, spacing,
    punctuation, case, number and who asks how. It costs recall (most real paraphrases
    change a word), which is the price of serving nobody another question's answer."""
    if a.wording != b.wording:
        how_a, how_b = how_to(a), how_to(b)
        if how_a is not None and how_b is not None:
            return not same_but_number(how_a, how_b)  # "do" / "is" were the asker's
        if not same_but_number(a.wording, b.wording):
            return True
    (do_a, is_a), (do_b, is_b) = a.auxiliaries, b.auxiliaries
    return (do_a - do_b) * (is_a - is_b) < 0


def few_words_reworded(a: Reading, b: Reading) -> bool:
    """A text with at most one content word, and the other worded otherwise beyond case,
    punctuation, "a" / "an" and a word's number ("what is a haiku" / "what are haikus").
    In so short a question the words the other guards let go are most of what it asks:
    an article ("what is probability" / "what is the probability"), "which" for "what"
    ("what is aromatic" / "which is aromatic"), who asks how ("how can I live" / "what
    is the best way to live")."""
    if len(a.content) > 1 and len(b.content) > 1:
        return False
    return not same_but_number(_bare(a), _bare(b))


_BARE_SLACK = frozenset({"a", "an", "s", "please"})
_AGREEING = {"are": "is", "does": "do"}  # the verb follows the noun's number


def _bare(reading: Reading) -> tuple[str, ...]:
    return tuple(sorted(_AGREEING.get(w, w) for w in reading.words if w not in _BARE_SLACK))


Guard = Callable[[Reading, Reading], bool]

GUARDS: tuple[Guard, ...] = (
    numbers_differ,
    negation_differs,
    direction_differs,
    word_order_differs,
    opposites_differ,
    units_differ,
    symbols_differ,
    names_differ,
    points_elsewhere,
    asks_differently,
    modality_differs,
    wording_differs,
    few_words_reworded,
)


def veto_reading(query: Reading, cached: Reading,
                 guards: tuple[Guard, ...] = GUARDS) -> str | None:
    """The name of the first guard that vetoes, or None when the hit may stand."""
    for guard in guards:
        if guard(query, cached):
            return guard.__name__
    return None


def veto_reason(query: str, cached: str, guards: tuple[Guard, ...] = GUARDS) -> str | None:
    """The name of the first guard that vetoes serving `cached`'s answer to `query`."""
    return veto_reading(read(query), read(cached), guards)
