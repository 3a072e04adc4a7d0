"""The batch's tail probabilities, kept on disk between the two passes of a streaming review.

A streaming review's false-discovery cutoff (Reviewer.batch_cutoff) computes, for every video x
metric of the batch, the two tail probabilities of its posterior beyond the typical range
(advisor.stats.typical.tails_many). Judging each chunk in pass 2 needs exactly those numbers
again, for the same videos in the same order: the regularised incomplete beta behind them is
the costliest arithmetic of a review, so they are written once, a file per (form, metric)
group, and read back a chunk at a time instead of computed twice.

Each video's row holds its trials (n, its views: as a 4-byte float, a check, not a number
computed with) beside its tails, and a chunk's rows are used only when their trials are the
chunk's own: anything else (a group read out of step, a file cut short) and the chunk's tails
are computed as before, so a mistake here can cost time, never a verdict. Memory holds one
chunk's rows; the files go with the review's temporary folder. A row is 4 + 16 bytes per range:
about 180 bytes a video on disk for the shipped levels' nine metrics.
"""

from __future__ import annotations

from pathlib import Path

BUFFER = 1 << 16


def _row(ranges: int):
    import numpy as np

    # Packed: the float64 tails of a row follow its 4-byte trials unaligned (numpy reads them so).
    return np.dtype([("n", "<f4"), ("tails", "<f8", (2 * ranges,))])


class TailSpool:
    """Per group of typical thresholds (the ones `judge` judges together: one metric's, for
    one form), rows of (n, p_high and p_low per range) of its readable videos, in order."""

    def __init__(self, folder: Path):
        self.folder = folder
        # thresholds' ids -> (file, row type, the thresholds: held, so the ids stay theirs)
        self._files: dict[tuple, tuple[Path, int, list]] = {}
        self._writing = None  # (key, handle) of the group being written
        self._readers: dict[tuple, object] = {}
        self._spoiled: set[tuple] = set()  # written twice, or read out of step: never used
        self.used = 0  # chunks x groups judged with spooled tails (for tests and benchmarks)

    def write(self, thresholds, x, n, tails) -> None:
        """Rows of one group: x and n its readable counts (numpy arrays, in the batch's
        order), tails the (p_high, p_low) arrays of each of its ranges. A group's rows come
        in one run of calls (Reviewer.batch_cutoff goes form by form, metric by metric)."""
        import numpy as np

        key = tuple(map(id, thresholds))
        if self._writing is None or self._writing[0] != key:
            self._close_writer()
            if key in self._files:  # a second run of the same thresholds: out of step with judge
                self._spoiled.add(key)
                return
            path = self.folder / f"tails-{len(self._files)}"
            self._files[key] = (path, _row(len(tails)), list(thresholds))
            self._writing = (key, open(path, "wb", buffering=BUFFER))
        if key in self._spoiled:
            return
        rows = np.empty(len(n), dtype=self._files[key][1])
        rows["n"] = n
        out = rows["tails"]
        for i, side in enumerate(side for pair in tails for side in pair):
            out[:, i] = side
        self._writing[1].write(rows.data)  # (the array's own bytes: no copy of a slice of the batch)

    def _close_writer(self) -> None:
        if self._writing is not None:
            self._writing[1].close()
            self._writing = None

    def close_writing(self) -> None:
        self._close_writer()

    def read(self, thresholds, x, n):
        """The next len(n) rows of the group's tails, as judge's `_Group.judged` computes them:
        a (p_high, p_low) pair of arrays per range; None (compute them) when the group has no
        file or its rows are not these counts."""
        import numpy as np

        key = tuple(map(id, thresholds))
        known = self._files.get(key)
        if known is None or key in self._spoiled:
            return None
        path, row, _ = known
        handle = self._readers.get(key)
        if handle is None:
            handle = self._readers[key] = open(path, "rb", buffering=BUFFER)
        size = len(n) * row.itemsize
        data = handle.read(size)
        if len(data) != size:
            self._spoiled.add(key)
            return None
        rows = np.frombuffer(data, dtype=row)
        if not np.array_equal(rows["n"], np.asarray(n, dtype="<f4")):
            self._spoiled.add(key)  # out of step from here on
            return None
        self.used += 1
        tails = rows["tails"]
        return [(tails[:, i], tails[:, i + 1]) for i in range(0, tails.shape[1], 2)]

    def close(self) -> None:
        self._close_writer()
        for handle in self._readers.values():
            handle.close()
        self._readers.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
