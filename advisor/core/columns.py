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


class Strings:
    """An appendable list of strings kept as their UTF-8 bytes, one after another, and where
    each ends: about (its length + 8) bytes a string, no Python object each. What a streaming
    review's summary keeps of the ids it lists (a million ids: ~20 MB, not ~70 MB of str
    objects scattered among the second pass's garbage). `tolist()` gives them back."""

    __slots__ = ("_bytes", "_ends")

    def __init__(self, strings=()):
        self._bytes = bytearray()
        self._ends = array("q")
        for s in strings:
            self.append(s)

    def append(self, s: str) -> None:
        self._bytes += s.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._bytes))

    def extend(self, other: "Strings") -> None:
        base = len(self._bytes)
        self._bytes += other._bytes
        self._ends.extend([end + base for end in other._ends])

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self):
        data, start = self._bytes, 0
        for end in self._ends:
            yield data[start:end].decode("utf-8", "surrogatepass")
            start = end

    def tolist(self) -> list[str]:
        return list(self)
