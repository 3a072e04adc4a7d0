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
    number in 32 bits, else an array('d'); numpy reads either (np.asarray(col.data, float)).

    `append` is the C method of a small array('d') of pending numbers (a first pass appends
    millions: no Python call each); `flush()` moves them into `data` (reading `data` does),
    and the owner calls it every BLOCK appends or so, so that no more than a block waits."""

    __slots__ = ("_data", "pending", "append")
    BLOCK = 4096

    def __init__(self):
        self._data = array("i")
        self.pending = array("d")
        self.append = self.pending.append

    def flush(self) -> None:
        pending = self.pending
        if not pending:
            return
        data = self._data
        if data.typecode == "i":
            whole = _whole_block(pending)
            if whole is not None:
                data.frombytes(whole)
            else:
                self._data = data = array("d", data)  # ints below 2^31: exact as doubles
                data.extend(pending)
        else:
            data.extend(pending)
        del pending[:]

    @property
    def data(self) -> array:
        self.flush()
        return self._data

    def __len__(self) -> int:
        return len(self._data) + len(self.pending)

    def floats(self) -> list[float]:
        """The numbers as Python floats, in order."""
        data = self.data
        return [float(v) for v in data] if data.typecode == "i" else data.tolist()

    def __reduce__(self):
        return _column_of, (self.data,)


def _column_of(data: array) -> Column:
    column = Column()
    column._data = data
    return column


def _whole_block(values: array) -> bytes | None:
    """The doubles as array('i') bytes when every one is a whole number in 32 bits (and not
    -0.0, which equals 0 but is another double); None otherwise."""
    if len(values) < 64:
        for v in values:
            if not (v.is_integer() and _INT_MIN <= v <= _INT_MAX and (v or _copysign(1.0, v) > 0)):
                return None
        return array("i", [int(v) for v in values]).tobytes()
    import numpy as np

    block = np.frombuffer(values, dtype=float)  # a view: released before the array is cleared
    with np.errstate(invalid="ignore"):
        ok = bool(np.isfinite(block).all()) and bool((block == np.trunc(block)).all()) \
            and block.min() >= _INT_MIN and block.max() <= _INT_MAX and not np.signbit(block[block == 0]).any()
    return block.astype(np.int32).tobytes() if ok else None


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
