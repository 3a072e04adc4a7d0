"""Property tests under hostile input (hypothesis), and a slice of benchmarks/fuzz.py.

The full run (`python benchmarks/fuzz.py`, 10,000 cases) is the benchmark; here a few hundred
cases and modest hypothesis example counts keep the suite fast. Every property is the same:
no exception but AdvisorError escapes, every problem names its file (and line or row where
there is one), nothing takes longer than a few seconds, no raw control character is printed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.core.errors import AdvisorError
from advisor.core.templating import RenderError, render_text

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("advisor_fuzz", ROOT / "benchmarks" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

cells = st.one_of(st.sampled_from(fuzz.NUMBERS + fuzz.TEXTS), st.text(max_size=30),
                  st.integers(min_value=-10**30, max_value=10**30).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))


@pytest.fixture(scope="module")
def shipped():
    from advisor.input.ruleset import load_ruleset

    return load_ruleset()


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    return fuzz.Fuzzer(tmp_path_factory.mktemp("fuzz"))


def _located(exc: AdvisorError) -> bool:
    return bool(exc.problems) and all(p.file is not None for p in exc.problems)


@SETTINGS
@given(header=st.lists(st.sampled_from(fuzz.COLUMNS), min_size=1, max_size=6, unique=True),
       rows=st.lists(st.lists(cells, min_size=0, max_size=7), max_size=4))
def test_importers_never_crash(tmp_path_factory, shipped, header, rows):
    from advisor.jobs.review import review_paths
    from advisor.render.emit import render

    path = tmp_path_factory.mktemp("imp") / "export.csv"
    import csv
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    start = time.monotonic()
    try:
        result = review_paths([str(path)], shipped, engine="python", langs=("en",))
    except AdvisorError as exc:
        assert _located(exc), exc
        return
    assert all(p.file is not None for p in result.problems)
    if result.videos:
        assert not CONTROL.search(render(result, "text", "en").replace("\n", "").replace("\t", ""))
    assert time.monotonic() - start < 10


@SETTINGS
@given(source=st.lists(st.sampled_from(fuzz.JINJA + fuzz.TEXTS), min_size=1, max_size=3).map("".join),
       views=st.sampled_from([5, None, "x", 10**15, -1.5]))
def test_templates_are_bounded(source, views):
    start = time.monotonic()
    try:
        out = render_text(source, {"views": views, "thresholds": {}, "sources": {}, "strength": None}, "en")
        assert isinstance(out, str) and len(out) <= 100_000
    except RenderError as exc:
        assert exc.message.en
    assert time.monotonic() - start < 5


@SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_rule_files_are_checked_or_run(fuzzer, seed):
    import random

    assert fuzzer.case("rules", random.Random(seed)) in ("ok", "rejected")


@SETTINGS
@given(plan=st.dictionaries(st.sampled_from(fuzz.PLAN_FIELDS), cells, max_size=6))
def test_plans_never_crash(tmp_path_factory, shipped, plan):
    from advisor.jobs.checklist import checklist
    from advisor.render.emit import render

    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps([plan], ensure_ascii=False), encoding="utf-8")
    try:
        result = checklist([str(path)], shipped, lang="en", engine="python")
    except AdvisorError as exc:
        assert _located(exc), exc
        return
    out = render(result, "text", "en")
    assert not CONTROL.search(out.replace("\n", "").replace("\t", ""))


@SETTINGS
@given(text=st.one_of(st.text(max_size=200), st.lists(st.sampled_from(fuzz.TEXTS), max_size=5).map("".join)))
def test_cta_text_never_crashes(shipped, text):
    from advisor.jobs.cta_check import check_text
    from advisor.render.emit import render

    start = time.monotonic()
    try:
        out = render(check_text(text, shipped, engine="python"), "text", "en")
    except AdvisorError:
        return
    assert not CONTROL.search(out.replace("\n", "").replace("\t", ""))
    assert time.monotonic() - start < 5


def test_fuzz_slice():
    """A slice of the benchmark's 10,000 cases: every bad count is 0."""
    counts = fuzz.fuzz(cases=400, seed=15)
    bad = {s: {k: c[k] for k in fuzz.BAD if c[k]} for s, c in counts.items()}
    assert fuzz.bad_total(counts) == 0, bad
