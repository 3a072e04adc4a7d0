"""The heuristics catalogue (H01-H20) advisor carries, in its own words, zh and en.

The package carries the catalogue itself (heuristics.yaml beside this file): every rule names
the IDs it encodes, and `advisor rules check` rejects an ID the catalogue does not hold.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from advisor.core.i18n import T
from advisor.model.stages import Stage


class Heuristic(BaseModel):
    # defer_build: built on first use; a review whose rule set comes from the cache reads no catalogue.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    stage: Stage
    title: T
    description: T
    # Heuristics whose advice contradicts this one's (a loyal core that will come back vs viewers
    # who may not): rules citing them must not both be on one card (`advisor rules check`).
    opposes: tuple[str, ...] = ()


# The catalogue is read by every command that loads rules: libyaml's safe loader (C) when PyYAML
# has it, several times faster than the pure-Python one that gives the same data.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def heuristics() -> dict[str, Heuristic]:
    path = Path(__file__).with_name("heuristics.yaml")
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)  # noqa: S506 (a safe loader)
    return {hid: Heuristic(id=hid, **body) for hid, body in raw.items()}


def heuristic_ids() -> tuple[str, ...]:
    return tuple(heuristics())


def opposing(hid: str) -> frozenset[str]:
    """The heuristics whose advice contradicts `hid`'s, in either direction of the catalogue."""
    catalogue = heuristics()
    out = set(catalogue[hid].opposes) if hid in catalogue else set()
    out.update(other.id for other in catalogue.values() if hid in other.opposes)
    return frozenset(out)
