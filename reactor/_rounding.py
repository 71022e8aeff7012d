"""`round(x, 3)` without its cost, for the figures the books and the analyzer keep."""

from __future__ import annotations

import math


def round3(x: float) -> float:
    """`round(x, 3)` for x >= 0, without its decimal conversion (~0.5 µs a call): the
    thousandths from `x * 1000` are right unless that product lies within its rounding
    error of a half, and an integer over 1000 is the float nearest the decimal, as
    `round` gives; a near-half is left to `round`."""
    scaled = x * 1000.0
    whole = math.floor(scaled)
    rest = scaled - whole
    if abs(rest - 0.5) < 1e-6:
        return round(x, 3)
    return (whole + (rest > 0.5)) / 1000
