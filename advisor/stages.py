"""The stages a rule can belong to, and the fields a rule of each stage may test.

review   a posted video's metrics (advisor.metrics)
plan     a planned video (advisor.plan)
cta      one call-to-action text
"""

from __future__ import annotations

from .metrics import FIELDS
from .plan import CTA_FIELDS, PLAN_FIELDS

STAGE_FIELDS = {
    "review": FIELDS,
    "plan": PLAN_FIELDS,
    "cta": CTA_FIELDS,
}
