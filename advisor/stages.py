"""The stages a rule can belong to, and the fields a rule of each stage may test.

review   a posted video's metrics (advisor.metrics)
plan     a planned video (advisor.plan)
cta      one call-to-action text
experiment  one signal compared between two A/B variants (advisor.ab)
goal     one weekly or per-video target, or the goal set as a whole (advisor.goals)
segment  one viewer, or one audience tier (advisor.tiers)
"""

from __future__ import annotations

from .metrics import FIELDS
from .plan import CTA_FIELDS, PLAN_FIELDS
from .ab import EXPERIMENT_FIELDS
from .goals import GOAL_FIELDS
from .tiers import SEGMENT_FIELDS

STAGE_FIELDS = {
    "review": FIELDS,
    "plan": PLAN_FIELDS,
    "cta": CTA_FIELDS,
    "experiment": EXPERIMENT_FIELDS,
    "goal": GOAL_FIELDS,
    "segment": SEGMENT_FIELDS,
}
