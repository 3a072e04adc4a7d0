"""Columns of numbers for a review's first pass: 4 bytes a number while they are whole.

A first pass keeps a few numbers per video (its counts, its views) for the whole batch, so a
million videos are millions of numbers. Most are whole numbers that fit in 32 bits (views,
likes, hearts): `Column` keeps them as such, and turns itself into a column of doubles, once,
the first time a number does not fit (a fraction, a count past 2^31, -0.0). Either way each
number reads back as exactly the double it was (a whole number below 2^31 is exact in both).
"""

from __future__ import annotations

import math
from array import array

_INT_MIN, _INT_MAX = -(2 ** 31), 2 ** 31 - 1
_copysign = math.copysign


class Column:
    """An appendable column of numbers. `data`: an array('i') while every number is a whole
    number in 32 bits, else an array('d'); numpy reads either (np.asarray(col.data, float))."""

    __slots__ = ("data",)

    def __init__(self):
        self.data = array("i")

    def append(self, value) -> None:
        data = self.data
        if data.typecode == "i":
            try:
                whole = int(value)
            except (OverflowError, ValueError):  # inf, nan: kept as the double they are
                whole = None
            # -0.0 equals 0 but is another double: kept as a double.
            if whole is not None and whole == value and _INT_MIN <= whole <= _INT_MAX \
                    and (whole or _copysign(1.0, value) > 0):
                data.append(whole)
                return
            self.data = data = array("d", data)
        data.append(value)

    def __len__(self) -> int:
        return len(self.data)

    def floats(self) -> list[float]:
        """The numbers as Python floats, in order."""
        return [float(v) for v in self.data] if self.data.typecode == "i" else self.data.tolist()
