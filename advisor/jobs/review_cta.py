"""The next-video CTA of each reviewed video: which track leads, the text, and its H13 lint.

cta_plan() picks the lead from the strongest finding whose rule names one (`then.cta_lead`).
CtaWriter writes the CTA with advisor.jobs.cta (the same templates as `advisor cta`) and runs
the script through the same H13 lint as `advisor cta check` (advisor.jobs.cta_check, the rule
set's cta rules). advisor.jobs.review does this once per video while reviewing, so the review's
result already holds each CTA block; rendering never runs the engine again.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.core.errors import AdvisorError
from advisor.core.i18n import Lang
from advisor.engine.explain import Finding
from advisor.input.ruleset import RuleSet
from advisor.jobs.cta import generate_cta
from advisor.jobs.cta_check import CtaChecker


@dataclass
class CtaPlan:
    """Which CTA track leads the next video, and why (the first ranked finding that says so)."""

    lead: str | None  # "like" | "heart" | None (nothing in the diagnosis decides)
    rule_id: str | None = None
    focus: str | None = None  # what the diagnosis asks the CTA to invite besides the lead track


# What a diagnosis asks the next CTA to add (advisor.jobs.cta.FOCUSES): short-lived heat needs
# comments and a reason to come back (H03), not more likes; affection without staying power
# needs a reason to return for what comes next (H11).
CTA_FOCUS = {"short-lived-heat": "comments_and_return", "depth-gap": "return_visit"}
# The goal handed to advisor.jobs.cta when a lead is known: it words the tracks for that intent.
GOAL_FOR_LEAD = {"like": "exposure", "heart": "relationship", None: "both"}


def cta_plan(findings: list[Finding]) -> CtaPlan:
    """The CTA lead of the strongest finding whose rule names one (`then.cta_lead`)."""
    for finding in findings:
        lead = finding.rule.then.cta_lead
        if lead:
            return CtaPlan(lead, finding.rule.id, CTA_FOCUS.get(finding.rule.id))
    return CtaPlan(None) if findings else _NO_FINDINGS  # most videos: one shared plan, never changed


_NO_FINDINGS = CtaPlan(None)


_NO_PLAN = CtaPlan(None)  # read only: a video without a plan gets the block of "nothing decides"

# The shipped profiles whose button mechanics the CTA templates word (a user's own export
# mapping, or the generic one, gets the default: 视频号).
CTA_PLATFORMS = ("wechat_channels", "douyin")


class CtaBlock(dict):
    """A block CtaWriter wrote (the JSON dict), and `key`: what it was written for (language,
    lead, focus, form, platform), which names it within a review, in any of its processes."""

    __slots__ = ("key",)


class CtaWriter:
    """CTA blocks, each written and linted once per distinct (language, lead, focus, form, platform).

    Videos with the same diagnosis and form share one block: block() returns the very same
    dict for them. A block is {"tracks", "leads", "focus", ..., "script", ..., "lint"}, or
    {"tracks": {}, "leads", "focus", "error"} when a CTA template or cta rule is broken (said
    there; the review stands).
    """

    def __init__(self, ruleset: RuleSet | None = None, engine: str | None = None):
        self.ruleset = ruleset
        self.engine = engine
        self._done: dict[tuple, dict] = {}
        self._checker: CtaChecker | None = None

    def block(self, plan: CtaPlan | None, form: str | None, lang: Lang, platform: str | None = None) -> dict:
        """platform: the profile of the export the video came from (its buttons word the CTA);
        None, or a profile the CTA templates cannot use, words it for 视频号."""
        plan = plan or _NO_PLAN
        platform = platform if platform in CTA_PLATFORMS else None
        key = (lang, plan.lead, plan.focus, form, platform)
        data = self._done.get(key)
        if data is None:  # once per distinct block: a review has a handful, whatever its size
            try:
                cta = generate_cta(goal=GOAL_FOR_LEAD[plan.lead], form=form, lang=lang, lead=plan.lead,
                                   focus=plan.focus, profile=platform)[0]
                data = cta.to_json()
                lint = self._lint(data["script"], lang)
                data["lint"] = {"clean": lint["clean"], "findings": lint["findings"]}
            except AdvisorError as exc:
                data = {"tracks": {}, "leads": plan.lead, "focus": plan.focus,
                        "error": "; ".join(p.format(lang) for p in exc.problems)}
            data = CtaBlock(data)
            data.key = key
            self._done[key] = data
        return data

    def _lint(self, text: str, lang: Lang) -> dict:
        if self._checker is None:
            self._checker = CtaChecker(self.ruleset, engine=self.engine)
        return self._checker.check(text).to_json(lang)

    def close(self) -> None:
        if self._checker is not None:
            self._checker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
