"""The package's own heuristics catalogue must match the project's shared catalogue, ID for ID."""

from pathlib import Path

import pytest
import yaml

from advisor.model.catalog import heuristics

SHARED = Path(__file__).resolve().parents[2] / "shared" / "heuristics.yaml"


@pytest.mark.skipif(not SHARED.is_file(), reason="../shared/heuristics.yaml is not next to this checkout")
def test_catalogue_has_exactly_the_shared_ids_and_stages():
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
    ours = heuristics()
    assert sorted(ours) == sorted(shared)
    for hid, entry in shared.items():
        assert ours[hid].stage == entry["stage"], hid


def test_every_heuristic_has_both_languages_and_no_quote_of_the_article():
    for hid, h in heuristics().items():
        for text in (h.title, h.description):
            assert text.zh.strip() and text.en.strip(), hid
    if SHARED.is_file():
        shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
        for hid, entry in shared.items():
            # Our descriptions are our own words: no 12-character run of the article's quote.
            quote = entry["quote"]
            ours = heuristics()[hid].description.zh
            runs = {quote[i:i + 12] for i in range(len(quote) - 11)}
            assert not any(run in ours for run in runs), hid
