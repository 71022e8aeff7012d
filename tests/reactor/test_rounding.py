"""`round3` is `round(x, 3)`, however close to a half-thousandth x lies."""

from __future__ import annotations

import math
import random

import pytest

from reactor._rounding import round3


@pytest.mark.parametrize("scale", [1.0, 1000.0, 1e6])
def test_thousandths_are_rounded_as_round_does(scale: float) -> None:
    # Random values, and half-thousandths with their nearest floats either side: the
    # values where a shortcut through `x * 1000` could round the other way. Scores
    # are in 0..1; times in milliseconds run to thousands, and more.
    rng = random.Random(7)
    values = [rng.random() * scale for _ in range(20_000)] + [0.0, scale]
    for k in range(2001):
        below = above = rng.randrange(int(scale * 2000) + 1) / 2000 if k else 0.0
        values.append(above)
        for _ in range(3):
            below, above = math.nextafter(below, -1.0), math.nextafter(above, math.inf)
            values += [above] + ([below] if below >= 0 else [])
    assert [round3(x) for x in values] == [round(x, 3) for x in values]
