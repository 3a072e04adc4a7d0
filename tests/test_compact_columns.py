"""The compact structures of a streaming review's first pass give exactly what the plain ones
gave: ids seen (no false duplicate, ever), 4-byte columns, the Benjamini-Hochberg cutoff from
the candidates only."""

from __future__ import annotations

import math
import random
from array import array

import numpy as np
import pytest

from advisor.core.columns import Column, Strings
from advisor.input.importers import SeenIds
from advisor.stats.typical import bh_candidates, bh_cutoff


def test_seen_ids_find_every_id_where_it_was_first_seen():
    seen = SeenIds()
    ids = [f"id-{i}" for i in range(5000)] + ["视频ID-甲", "", "a\udcff"]  # unicode, empty, a lone surrogate
    for row, vid in enumerate(ids, start=2):
        assert seen.get(vid) is None
        seen.add(vid, "b.csv" if row % 3 else "a.csv", row)
    assert len(seen) == len(ids)
    for row, vid in enumerate(ids, start=2):
        assert seen.get(vid) == ("b.csv" if row % 3 else "a.csv", row)
    assert seen.get("id-5000") is None
    assert seen.get("id-1 ") is None


def test_seen_ids_a_hash_match_of_another_id_is_no_duplicate(monkeypatch):
    # Every id hashes alike: each lookup walks past ids with the same hash and compares the
    # ids themselves, so no row is ever taken for a duplicate of another id.
    import advisor.input.importers as importers

    monkeypatch.setattr(importers, "hash", lambda _value: 12345, raising=False)
    seen = SeenIds()
    for row, vid in enumerate(["a", "b", "c", "ab"], start=2):
        assert seen.get(vid) is None, vid
        seen.add(vid, "x.csv", row)
    assert seen.get("b") == ("x.csv", 3)
    assert seen.get("ab") == ("x.csv", 5)
    assert seen.get("abc") is None


def test_seen_ids_match_a_dict_on_random_ids():
    rng = random.Random(7)
    seen, reference = SeenIds(), {}
    for row in range(20000):
        vid = str(rng.randrange(8000))  # many repeats
        got = seen.get(vid)
        assert got == reference.get(vid)
        if got is None:
            seen.add(vid, "f.csv", row)
            reference[vid] = ("f.csv", row)


@pytest.mark.parametrize("same_hash", [False, True])
def test_seen_ids_first_is_get_then_add(monkeypatch, same_hash):
    import advisor.input.importers as importers

    if same_hash:  # every id hashes alike: first() compares the ids themselves too
        monkeypatch.setattr(importers, "hash", lambda value: 12345 if len(value) % 2 else -7, raising=False)
    rng = random.Random(11)
    one, two = SeenIds(), SeenIds()
    for row in range(3000 if same_hash else 20000):
        vid = rng.choice([str(rng.randrange(2000)), f"视频{rng.randrange(50)}", "a\udcff", ""])
        name = rng.choice(["a.csv", "b.csv"])
        got = two.get(vid)
        if got is None:
            two.add(vid, name, row)
        assert one.first(vid, name, row) == got
    assert len(one) == len(two) and one.names == two.names
    assert [one.get(str(i)) for i in range(2000)] == [two.get(str(i)) for i in range(2000)]


@pytest.mark.parametrize("values", [
    [1, 2, 3, 2 ** 31 - 1, 0],
    [1.0, 2.0, 0.5, 7.0],
    [3, -0.0, 4],
    [2 ** 31, 1],
    [1e300, 5.0],
    [0.1 * 3, 10 ** 20, 2.0],
])
def test_column_reads_back_exactly_the_doubles(values):
    column = Column()
    for v in values:
        column.append(v)
    plain = array("d", values)
    got = np.asarray(column.data, dtype=float)
    assert len(column) == len(values)
    assert got.tobytes() == np.asarray(plain, dtype=float).tobytes()  # bit for bit (-0.0 too)
    assert [math.copysign(1, v) for v in column.floats()] == [math.copysign(1, v) for v in plain]


def test_column_stays_4_bytes_for_whole_numbers():
    column = Column()
    for v in range(1000):
        column.append(float(v))
    assert column.data.itemsize == 4


@pytest.mark.parametrize("seed", range(20))
def test_bh_cutoff_from_the_candidates_is_the_cutoff_of_all(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 3000))
    # Mostly nulls (uniform), some signals (tiny p), ties, NaN (not counted), exact q.
    p = rng.uniform(size=m)
    p[: m // 10] = rng.uniform(0, 1e-4, size=m // 10)
    p[rng.integers(0, m, size=m // 20)] = np.nan
    p[rng.integers(0, m, size=5)] = 0.1
    p[rng.integers(0, m, size=5)] = p[0]
    for q in (0.05, 0.1, 0.2):
        groups = np.array_split(p, int(rng.integers(1, 8)))
        candidates, total = [], 0
        for group in groups:
            kept, count = bh_candidates(group, q)
            candidates.append(kept)
            total += count
        assert bh_cutoff(np.concatenate(candidates), q, total=total) == bh_cutoff(p, q)


def test_bh_cutoff_total_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        bh_cutoff([0.5], 0.1, total=3)  # above q: not a candidate
    with pytest.raises(ValueError):
        bh_cutoff([0.01, 0.02], 0.1, total=1)
    assert bh_cutoff([], 0.1, total=10) is None


def test_strings_give_back_the_strings_in_order():
    import pickle

    from advisor.core.columns import Strings

    items = ["s0-001", "", "视频ID-甲", "a\udcff", "x" * 300]
    first, second = Strings(items[:2]), Strings(items[2:])
    first.extend(second)
    first.append("last")
    assert len(first) == len(items) + 1
    assert first.tolist() == [*items, "last"]
    assert pickle.loads(pickle.dumps(first)).tolist() == first.tolist()  # a worker's summary part travels


def test_strings_read_like_a_list():
    """The summary keeps its id lists as Strings to the end: readers index, slice, count and
    compare them as they did the lists."""
    from advisor.core.columns import Strings

    items = [f"id-{n}" for n in range(10)] + ["视频", ""]
    ids = Strings(items)
    assert ids == items and items == ids and ids == Strings(items) and ids != items[:-1]
    assert ids != Strings(items[:-1]) and ids != "not a list"
    assert [ids[n] for n in range(-len(items), len(items))] == items + items
    for bad in (len(items), -len(items) - 1):
        with pytest.raises(IndexError):
            ids[bad]
    for cut in (slice(None, 3), slice(3, 7), slice(-2, None), slice(5, 2), slice(None, None, 2), slice(100, None)):
        assert ids[cut] == items[cut]
    assert [s for part in ids.slices(5) for s in part] == items and [len(p) for p in ids.slices(5)] == [5, 5, 2]
    assert list(Strings().slices(5)) == [] and not Strings() and ids
    assert "视频" in ids and "id-10" not in ids
    assert "n=12" in repr(ids)


def test_clean_reaches_ids_kept_as_strings():
    """A summary's id lists stay Strings into a text or Markdown template's context: the
    cleaner still applies to every id a template reads (a control character or a tag in an id
    must not reach the terminal or the Markdown), without making them a list first."""
    from advisor.core.safe_text import clean, markdown, printable

    ids = Strings(["plain", "esc\x1b[31m", "<img src=x onerror=alert(1)>"])
    context = clean({"summary": {"quadrants": {"star": ids}}}, markdown)
    seen = context["summary"]["quadrants"]["star"]
    assert len(seen) == 3 and seen[0] == "plain"
    assert list(seen) == [markdown(s) for s in ids] and seen[1:] == [markdown(s) for s in ids[1:]]
    assert "\x1b" not in "".join(seen) and "<img" not in "".join(seen)
    assert list(clean(ids, printable)) == ["plain", "esc\\x1b[31m", "<img src=x onerror=alert(1)>"]
