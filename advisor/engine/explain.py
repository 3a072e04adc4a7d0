"""Why a rule fired, or did not: each condition with the fact's value, the threshold and its source.

Both engines only say *which* rules fired. The explanation re-evaluates each source condition
of a rule with the reference semantics (advisor.engine.reference), so every finding lists the
values that made it fire, and every rule that did not fire can name the condition that failed
or the data that was missing (json-rules-engine style).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

from advisor.engine.compiler import Compiled, CompiledRuleInfo, SourceCondition
from advisor.engine.program import signal_field
from advisor.engine.reference import eval_node
from advisor.core.i18n import Lang, T
from advisor.model.levels import FORM_LABELS, JUDGEMENTS, Judgement, sig
from advisor.model.metrics import FieldInfo
from advisor.core.errors import AdvisorError, Problem
from advisor.core.templating import RenderError, format_value, render_text
from advisor.model.rules_model import PRIORITY_RANK, AllCondition, AnyCondition, NotCondition, Rule
from advisor.model.stages import STAGE_FIELDS
from advisor.core import regex

MARGIN_CAP = 10.0
# Below this weight of the account's own history (prior_videos 10: fewer than 20 videos), the
# typical range is said to lean on the defaults.
SHORT_HISTORY_WEIGHT = 2 / 3
# Goal and segment facts say which kind of fact they are (a target, a tier, ...): a condition on
# it picks the facts a rule applies to, and is no reason worth repeating in an explanation.
FACT_KIND = "kind"

# The comparison that holds when a condition under a `not` is false: shown instead of "is not".
NEGATED_OP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not_in",
              "not_in": "in", "exists": "missing", "missing": "exists"}

CHOICE_OPS = ("==", "!=", "in", "not_in")  # said as "name: value", not as a comparison

OP_WORDS = {
    "<": T(zh="<", en="<"), "<=": T(zh="≤", en="≤"), ">": T(zh=">", en=">"), ">=": T(zh="≥", en="≥"),
    "==": T(zh="=", en="="), "!=": T(zh="≠", en="≠"),
    "in": T(zh="属于", en="is one of"), "not_in": T(zh="不属于", en="is none of"),
    "contains": T(zh="包含", en="contains"), "matches": T(zh="匹配", en="matches"),
}


def field_info(metric: str | None, stage: str | None = None) -> FieldInfo | None:
    """What `metric` is called and how its values read, in `stage` (some names, like `id`, are in
    several stages); without a stage, in the first stage that has it."""
    if stage is not None:
        return STAGE_FIELDS.get(stage, {}).get(metric)
    return next((fields[metric] for fields in STAGE_FIELDS.values() if metric in fields), None)


def label(metric: str, lang: Lang, stage: str | None = None) -> str:
    info = field_info(metric, stage)
    return info.label.get(lang) if info else metric


def show(metric: str, value, lang: Lang, stage: str | None = None) -> str:
    if isinstance(value, list):
        return ", ".join(show(metric, v, lang, stage) for v in value)
    info = field_info(metric, stage)
    return format_value(value, info.kind if info else "text", lang)


_SAID_MAX = 20_000  # conditions and rules remembered at once (a long-running server compiles many rule sets)
_said_cache: dict[int, tuple[object, dict]] = {}


def _said(src, key: tuple, make, *args):
    """What `src` says the same way for every video (its name, the constant it is compared with,
    where its threshold came from, its typical range, ...): make(*args) once per condition and key.

    A batch says the same few conditions for every video, and with --explain-all for every rule
    that did not fire. Made on first use, as before, so a text that cannot be made fails where
    it always did. Keyed by identity: a SourceCondition may hold a list (an `in` condition), so
    it cannot be hashed, and identity is what stays the same for every video of a compiled rule
    set. The entry keeps the condition alive, so its id cannot go to another one while cached.
    (A rule's CompiledRuleInfo is remembered the same way: its condition tree, see _shape.)
    """
    entry = _said_cache.get(id(src))
    if entry is None or entry[0] is not src:
        if len(_said_cache) >= _SAID_MAX:
            _said_cache.clear()
        entry = (src, {})
        _said_cache[id(src)] = entry
    memo = entry[1]
    try:
        return memo[key]
    except KeyError:
        value = memo[key] = make(*args)
        return value


def _kind(src: SourceCondition, default: str) -> str:
    """How the condition's metric reads (rate, count, ...), `default` for a field the stage lacks."""
    info = _said(src, ("info",), field_info, src.metric, src.stage)
    return info.kind if info else default


def _rule_source(src: SourceCondition, lang: Lang) -> str:
    """Where a condition's constant came from: its threshold's source, or the rule itself."""
    if src.threshold is not None:
        return _said(src, ("where", lang), _threshold_source, src.threshold, lang)
    return ("规则设定" if lang == "zh" else "set in the rule")


def _band_words(src: SourceCondition, lang: Lang) -> tuple[str, str]:
    """The typical range's two ends, as values of the metric read."""
    low, high = (format_value(v, _kind(src, "rate"), lang) for v in src.threshold.band())
    return low, high


def _typical_range(threshold) -> list:
    return [sig(v) for v in threshold.band()]


def _threshold_json(src: SourceCondition) -> dict:
    """The threshold's JSON, worded once, copied for each report that shows it."""
    out = dict(_said(src, ("threshold_json",), src.threshold.to_json))
    if "band" in out:
        out["band"] = list(out["band"])
    return out


@dataclass
class Outcome:
    """One source condition evaluated against one fact."""

    source: SourceCondition
    value: object  # the fact's value; None when missing
    result: bool | None  # True, False, or None (unknown: a value was missing)
    via: str | None = None  # the signal whose deriving rule this condition belongs to
    matched: str | None = None  # text conditions: the words that matched
    derived_by: tuple[str, ...] = ()  # signal conditions: the rules that derived the signal
    negated: bool = False  # sits under a `not`: the rule needed it false (a reason when result is False)
    judgements: dict | None = None  # the fact's typical-mode judgements (advisor.model.levels.judge)

    @property
    def held(self) -> bool:
        """Whether this condition was as the rule needed it (true, or false under a `not`)."""
        return self.result is (not self.negated)

    def threshold_source(self, lang: Lang) -> str:
        src = self.source
        if src.threshold is None and src.signal is not None:
            if self.derived_by:
                rules = ", ".join(self.derived_by)
                return (f"由规则 {rules} 得出" if lang == "zh" else f"derived by rule {rules}")
            return ("没有规则得出这个信号" if lang == "zh" else "no rule derived this signal")
        return _rule_source(src, lang)

    def sentence(self, lang: Lang, absent: dict | None = None) -> str:
        """'completion rate 58.0% ≥ 31.0% (P70 of 24 short videos)' and its negative forms.

        absent: metric -> T saying why the data lacks it (e.g. the export has no such column),
        used instead of the plain "needs X, which the data does not have".
        """
        src = self.source
        if absent and src.metric in absent and self.value is None and src.op != "missing":
            name = _said(src, ("bare_name", lang), label, src.metric, lang)
            why = absent[src.metric].get(lang)
            return (f"需要{name},{why}" if lang == "zh" else f"needs {name}; {why}")
        if src.signal is not None:
            name = src.signal
            if self.result:
                return (f"信号「{name}」成立" if lang == "zh" else f"signal '{name}' holds")
            return (f"信号「{name}」不成立" if lang == "zh" else f"signal '{name}' does not hold")
        name = _said(src, ("name", lang), label, src.metric, lang, src.stage)
        if src.op in ("exists", "missing"):
            if self.value is not None:
                if src.op == "missing":  # the rule is for data without it
                    return (f"数据里有{name}(这条规则针对没有{name}的数据)" if lang == "zh" else
                            f"{name} is in the data (this rule is for data without it)")
                return (f"数据里有{name}" if lang == "zh" else f"{name} is in the data")
            if src.op == "exists":
                return (f"需要{name},但数据里没有" if lang == "zh" else f"needs {name}, which the data does not have")
            return (f"数据里没有{name}" if lang == "zh" else f"{name} is not in the data")
        if self.result is None:
            return (f"需要{name},但数据里没有" if lang == "zh" else f"needs {name}, which the data does not have")
        value = self.value
        shown = show(src.metric, value, lang, src.stage) if isinstance(value, list) else \
            format_value(value, _kind(src, "text"), lang)
        if src.op in ("contains", "matches"):
            if self.result:
                return (f"{name}出现了「{self.matched}」" if lang == "zh" else f"{name} has '{self.matched}'")
            if src.feature is not None and src.feature.same_sentence:
                return (f"{name}没有哪一句同时出现所列词语和互动请求" if lang == "zh" else
                        f"no sentence of the {name} has both a listed phrase and an engagement request")
            return (f"{name}没有出现所列词语" if lang == "zh" else f"{name} has none of the listed words")
        if src.threshold is not None and src.threshold.kind == "typical":
            return self._typical(name, shown, lang)
        target = _said(src, ("target", lang), show, src.metric, src.value, lang, src.stage)
        if src.op in CHOICE_OPS and src.threshold is None:
            return self._choice(name, shown, target, lang)
        op = OP_WORDS[src.op].get(lang)
        text = f"{name} {shown} {op} {target}" if self.result else \
            f"{name} {shown} {'不满足' if lang == 'zh' else 'is not'} {op} {target}"
        if src.threshold is None:  # a number written in the rule speaks for itself
            return text
        where = _rule_source(src, lang)
        return f"{text} ({where})" if lang == "en" else f"{text}({where})"

    def judgement(self) -> Judgement | None:
        """The per-video judgement behind a typical-mode level (None for other conditions)."""
        src = self.source
        if src.threshold is None or src.threshold.kind != "typical" or self.judgements is None:
            return None
        return self.judgements.get(src.threshold.feature)

    def _typical(self, name: str, shown: str, lang: Lang) -> str:
        """'heart rate 0.08%; this account's short videos usually sit between 0.80% and 1.30%;
        with 21,000 views the gap is not chance (99% sure)', and its quieter forms."""
        src = self.source
        th = src.threshold
        low, high = _said(src, ("band", lang), _band_words, src, lang)
        where = _said(src, ("typical_where", lang), _typical_where, th, lang)
        j = self.judgement()
        head = (f"{name} {shown},{where}一般在 {low}–{high} 之间" if lang == "zh" else
                f"{name} {shown}; {where} usually sit between {low} and {high}")
        if j is None:
            return head
        sure = _certainty_words(j.certainty)
        side = th.side
        beyond = j.gap.rate > j.gap.hi_edge if side == "high" else j.gap.rate < j.gap.lo_edge
        basis = _basis(j, lang)
        if j.at_level:
            return head + (f";{basis},差距不是偶然(把握 {sure})" if lang == "zh" else
                           f"; {basis}, the gap is not chance ({sure} sure)")
        if beyond:
            # Beyond the range as measured, but not credibly so: say why it is not acted on.
            word_zh, word_en = ("高于", "above") if side == "high" else ("低于", "below")
            return head + (f";看起来{word_zh}这个范围,但{basis}还不能确定(把握 {sure})" if lang == "zh" else
                           f"; it looks {word_en} that range, but {basis} that is not certain yet ({sure} sure)")
        if th.typical.low <= j.gap.rate <= th.typical.high:
            return head + (",这条在范围之内" if lang == "zh" else ", and this one is within it")
        # Beyond the range on the other side (a "high" level asked of a rate far below the range):
        # that is no ordinary variation, just not the side this level is about.
        if side == "high" and j.gap.rate < j.gap.lo_edge:
            return head + (",这条低于这个范围" if lang == "zh" else ", and this one is below it")
        if side == "low" and j.gap.rate > j.gap.hi_edge:
            return head + (",这条高于这个范围" if lang == "zh" else ", and this one is above it")
        return head + (",这条离范围不远,属于正常波动" if lang == "zh" else
                       ", and this one is close enough to be ordinary variation")

    def _choice(self, name: str, shown: str, target: str, lang: Lang) -> str:
        """'met: yes', 'goal: relationship (none of exposure, both)': an equality or membership
        condition says the value, then what it was compared with unless that is the value itself."""
        # Said as what actually holds: a false `== x` holds as `!= x`, a false `in` as `not_in`.
        op = self.source.op if self.result else NEGATED_OP[self.source.op]
        head = f"{name}:{shown}" if lang == "zh" else f"{name}: {shown}"
        if op == "==":
            return head
        if op == "!=":
            return (f"{head},不是 {target}" if lang == "zh" else f"{head}, not {target}")
        among_zh, among_en = ("属于", "one of") if op == "in" else ("不属于", "none of")
        return f"{head}({among_zh} {target})" if lang == "zh" else f"{head} ({among_en} {target})"

    def to_json(self, lang: Lang) -> dict:
        src = self.source
        if src.signal is not None:
            out = {"metric": f"signal:{src.signal}", "value": bool(self.value), "op": "!=" if self.negated else "==",
                   "threshold": True, "source": self.threshold_source(lang)}
        else:
            value = self.value
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            # Under a `not` the comparison that actually held is the opposite one: show that,
            # so `value op threshold` always reads as a true statement when the rule fired.
            op = NEGATED_OP.get(src.op, src.op) if self.negated else src.op
            out = {"metric": src.metric, "value": value, "op": op, "threshold": src.value,
                   "source": _rule_source(src, lang)}
            if self.negated:
                out["negated"] = True
            if src.level:
                out["level"] = src.level
            if src.threshold is not None:
                out["threshold_source"] = _threshold_json(src)
                if src.threshold.kind == "typical":
                    out["typical_range"] = list(_said(src, ("typical_range",), _typical_range, src.threshold))
                    j = self.judgement()
                    if j is not None:
                        out.update(j.to_json())
        out["result"] = self.result
        if self.via:
            out["via"] = self.via
        if self.matched:
            out["matched"] = self.matched
        if src.note is not None and self.held:
            out["note"] = src.note.get(lang)
        return out

    def margin(self) -> float | None:
        """How far past its threshold a numeric condition that held is, relative to the threshold.

        For a typical-mode level: the size of the gap (|log| of the video's value over the
        typical video's) weighted by how sure it is, so a clear, certain gap counts most.
        """
        src = self.source
        j = self.judgement()
        if j is not None:
            if not self.held or not j.at_level:
                return None
            ratio = j.ratio()
            return min(abs(math.log(ratio)) * j.certainty, MARGIN_CAP) if ratio and ratio > 0 else None
        if not self.held or src.op not in ("<", "<=", ">", ">=") or not isinstance(self.value, (int, float)) \
                or isinstance(self.value, bool):
            return None
        threshold = float(src.value)
        scale = abs(threshold) if threshold else 1.0
        return min(abs(self.value - threshold) / scale, MARGIN_CAP)


def _certainty_words(p: float) -> str:
    """A probability as people read it: never '100%' (the model is not that sure of itself)."""
    return f"{min(math.floor(p * 100), 99)}%"


def _typical_where(th, lang: Lang) -> str:
    """'本账号同类视频' / 'this account's short videos', or the defaults when there is no history."""
    form = FORM_LABELS[th.form or "default"].get(lang)
    t = th.typical
    if t.n_videos == 0:
        return (f"没有历史可比,按默认参考,{form}" if lang == "zh" else f"with no history to compare, by the defaults {form}")
    if t.n_videos == 1:  # "1 short videos" reads wrong; one video is also the shortest history
        return (f"本账号 1 条{form}(历史不多,部分参考默认值)" if lang == "zh" else
                "this account's one video of this form and the defaults")
    if t.weight < SHORT_HISTORY_WEIGHT:
        return (f"本账号 {t.n_videos} 条{form}(历史不多,部分参考默认值)" if lang == "zh" else
                f"this account's {t.n_videos} {form} (a short history, partly the defaults)")
    return (f"本账号 {t.n_videos} 条{form}" if lang == "zh" else f"this account's {t.n_videos} {form}")


def _basis(j: Judgement, lang: Lang) -> str:
    """What the certainty rests on: the views for rates per view, the counts for hearts per like."""
    if j.views is not None:
        views = format_value(j.views, "count", lang)
        return (f"这条有 {views} 播放" if lang == "zh" else f"with {views} views")
    n = format_value(j.gap.n, "count", lang)
    return (f"这条共有 {n} 个点赞和小红心" if lang == "zh" else f"with {n} likes and hearts")


def text_context(fact: dict, fields, conditions, lang: Lang) -> dict:
    """What a rule's texts may use: the fact's fields, and each level's threshold with its source."""
    levelled = [c for c in conditions if c.threshold is not None]
    ctx = {name: fact.get(name) for name in fields}
    ctx["thresholds"] = {c.metric: c.value for c in levelled}
    ctx["sources"] = {c.metric: _threshold_source(c.threshold, lang) for c in levelled}
    ctx["strength"] = strength(fact, levelled)
    return ctx


STRONG_RATIO = 2.0  # a gap of at least 2x (or 1/2) the typical video's value reads as strong


def strength(fact: dict, levelled) -> str | None:
    """How large the gaps behind a finding are, for its words: 'strong' when every typical-range
    level it rests on is at least STRONG_RATIO from the typical video (half or double), else
    'moderate'; None when it rests on no typical-range level. A title can then say "no one
    keeps talking" for a collapse and "less talk than usual" for a credible but modest gap."""
    judgements = fact.get(JUDGEMENTS) or {}
    ratios = []
    for c in levelled:
        if c.threshold.kind != "typical":
            continue
        j = judgements.get(c.threshold.feature)
        if j is None or not j.at_level:
            continue
        ratio = j.ratio()
        if ratio:
            ratios.append(ratio)
    if not ratios:
        return None
    return "strong" if all(abs(math.log(r)) >= math.log(STRONG_RATIO) for r in ratios) else "moderate"


def because(held: list[Outcome], lang: Lang) -> str:
    """'Because: a; b.' (依据:a;b。): the sentence that follows a finding's own explanation."""
    sep, end = (";", "。") if lang == "zh" else ("; ", ".")
    return ("依据:" if lang == "zh" else "Because: ") + sep.join(o.sentence(lang) for o in held) + end


@lru_cache(maxsize=4096)
def _threshold_source(threshold, lang: Lang) -> str:
    # A batch resolves the same few thresholds for every video; word each one once.
    return threshold.source(lang)


def _merged_phrases(text: str, spans) -> list[str]:
    """The phrases of `text` at `spans`, overlapping spans merged into one, in text order."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [text[a:b].strip() for a, b in merged if text[a:b].strip()]


def _matched(src: SourceCondition, fact: dict) -> str | None:

    text = fact.get(src.metric)
    if not isinstance(text, str):
        return None
    if src.feature is not None and src.feature.same_sentence:
        # The device cues and requests of the first sentence that has both, in text order.
        found = src.feature.sentence_matches(text)
        return "…".join(_merged_phrases(text, found[0])) if found else None
    for pattern in src.patterns:
        m = regex.search(pattern, text)
        if m:
            return regex.hit_text(m)
    return None


def outcomes(info: CompiledRuleInfo, fact: dict) -> list[Outcome]:
    return [_outcome(src, eval_node(src.node, fact), fact) for src in info.conditions]


def _outcome(src: SourceCondition, result: bool | None, fact: dict) -> Outcome:
    """The Outcome of one source condition whose value in `fact` is `result`."""
    if src.signal is not None:
        value = fact.get(signal_field(src.signal), False)
    else:
        value = fact.get(src.metric)
    matched = _matched(src, fact) if src.patterns and result else None
    return Outcome(src, value, result, matched=matched, judgements=fact.get(JUDGEMENTS))


@dataclass
class Finding:
    rule: Rule
    conditions: list[Outcome]  # this rule's own conditions, and those of rules behind its signals
    margin: float = 0.0
    origin: str = "shipped"
    # The conditions that made the rule fire, as it needed them (a `not`'s false leaves included,
    # the untaken branches of an `any` left out), with those behind its signals. Empty when
    # built by hand: then the true conditions stand in.
    reasons: list[Outcome] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)  # fired rules this one excluded from the card

    def held(self) -> list[Outcome]:
        return self.reasons or [o for o in self.conditions if o.result]

    @property
    def rule_id(self) -> str:
        return self.rule.id

    def explanation(self, fact: dict, fields, lang: Lang, *, ctx: dict | None = None) -> str:
        """The rule's own words, then the conditions that made it fire, with values and sources.
        ctx: the text context (text_context), when the caller already has it."""
        parts = []
        text = self.render("explain", fact, fields, lang, ctx=ctx)
        if text:
            parts.append(text)
        # A presence condition with a note ("no retention data, so completion alone decides")
        # is said by its note, not twice.
        held = [o for o in self.held() if o.source.signal is None and o.source.metric != FACT_KIND
                and not (o.source.op in ("exists", "missing") and o.source.note is not None)]
        if held:
            parts.append(because(held, lang))
        notes = [o.source.note.get(lang) for o in self.held() if o.source.note is not None]
        parts.extend(dict.fromkeys(notes))  # a note reached through two signals is said once
        return ("" if lang == "zh" else " ").join(parts)

    def to_json(self, fact: dict, fields, lang: Lang, *, tidy_values: bool = False) -> dict:
        """The one JSON shape of a finding, in every command; `fact` carries the display texts its
        rule's texts use.

        Besides the rule's words and the conditions that made it fire: the signals it relied on
        (and those it needed absent), its margin, and the CTA track it asks to lead with (null for
        rules that name none). tidy_values: condition values and thresholds to 10 significant
        digits (the review's report does this; the other reports keep their values as they were).
        """
        rule = self.rule
        reasons = self.held()
        keep = tidy if tidy_values else (lambda condition: condition)
        # One text context for the rule's three kinds of text (it is the same for each).
        then = rule.then
        templated = any("{" in t.get(lang) for t in (then.title, then.explain, *then.actions) if t is not None)
        ctx = self.text_context(fact, fields, lang) if templated else None
        return {
            "rule_id": rule.id,
            "heuristics": list(rule.heuristics),
            "priority": rule.priority,
            "title": self.render("title", fact, fields, lang, ctx=ctx),
            "explanation": self.explanation(fact, fields, lang, ctx=ctx),
            # The conditions that made the rule fire, with those behind its signals (e.g. the
            # completion rate behind `watched_through`); signals themselves are listed apart.
            "conditions": [keep(o.to_json(lang)) for o in reasons if o.source.signal is None],
            "signals": list(dict.fromkeys(o.source.signal for o in reasons if o.source.signal and not o.negated)),
            "without_signals": list(dict.fromkeys(o.source.signal for o in reasons if o.source.signal and o.negated)),
            "actions": self.render("actions", fact, fields, lang, ctx=ctx),
            "margin": round(self.margin, 4),
            "origin": self.origin,
            "cta_lead": rule.then.cta_lead,
            "replaces": list(self.replaces),
        }

    def text_context(self, fact: dict, fields, lang: Lang) -> dict:
        """What the rule's texts may use (see text_context)."""
        return text_context(fact, fields, [o.source for o in self.conditions], lang)

    def render(self, key: str, fact: dict, fields, lang: Lang, *, ctx: dict | None = None) -> str | list[str] | None:
        """One kind of the rule's texts, rendered; ctx: the text context, when the caller has it."""
        then = self.rule.then
        texts = [a.get(lang) for a in then.actions] if key == "actions" else \
            [getattr(then, key).get(lang)] if getattr(then, key) is not None else []
        if any("{" in t for t in texts):  # a template: it needs the context (plain texts do not)
            if ctx is None:
                ctx = self.text_context(fact, fields, lang)
            out = []
            for i, t in enumerate(texts):
                try:
                    out.append(render_text(t, ctx, lang))
                except RenderError as exc:
                    path = ("then", "actions", i, lang) if key == "actions" else ("then", key, lang)
                    raise text_error(self.rule, path, exc) from None
            texts = out
        texts = [t.strip() for t in texts]
        if key == "actions":
            return texts
        return texts[0] if texts else None


def render_rule_text(rule: Rule, path: tuple, source: str, ctx: dict, lang: Lang) -> str:
    """One of a rule's texts, rendered; a failure is an AdvisorError at the text in its file."""
    try:
        return render_text(source, ctx, lang)
    except RenderError as exc:
        raise text_error(rule, path, exc) from None


def text_error(rule: Rule, path: tuple, exc: RenderError) -> AdvisorError:
    """A rule text that cannot be rendered, located at the text in its rule file."""
    where = rule.locate(path)
    line = where.get("line")
    if line is not None and exc.line and exc.line > 1:
        where["line"], where["col"] = line + exc.line - 1, None  # a block text: the failing line
    message = T(zh=f"规则 {rule.id} 的文字无法显示:{exc.message.zh}",
                en=f"the text of rule {rule.id} cannot be rendered: {exc.message.en}")
    return AdvisorError([Problem(message, **where)])


def tidy(condition: dict) -> dict:
    """Floats to 10 significant digits: 0.3865, not 0.38649999999999995 (a percentile's noise)."""
    for key in ("value", "threshold"):
        value = condition.get(key)
        if isinstance(value, float):
            condition[key] = float(f"{value:.10g}")
    return condition


@dataclass
class Miss:
    """A rule that did not fire, and the conditions that stopped it."""

    rule: Rule
    blockers: list[Outcome] = field(default_factory=list)
    negated: list[Outcome] = field(default_factory=list)  # held, but sat under a `not`

    def reason(self, lang: Lang, absent: dict | None = None) -> str:
        """Why the rule did not fire; `absent` (metric -> T) says why missing data is missing."""
        sep = ";" if lang == "zh" else "; "
        parts = list(dict.fromkeys(o.sentence(lang, absent) for o in self.blockers))
        parts += [T(zh="{s},而规则要求相反", en="{s}, and the rule needs the opposite").format(lang, s=o.sentence(lang))
                  for o in self.negated]
        return sep.join(parts)

    def to_json(self, lang: Lang, absent: dict | None = None) -> dict:
        return {
            "rule_id": self.rule.id,
            "heuristics": list(self.rule.heuristics),
            "reason": self.reason(lang, absent),
            "missing": sorted({o.source.metric for o in self.blockers if o.result is None and o.source.metric}),
            "conditions": [o.to_json(lang) for o in self.blockers + self.negated],
        }


def _kleene_all(values):
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _kleene_any(values):
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _shape(info: CompiledRuleInfo):
    """A rule's condition tree over the positions of its source conditions in info.conditions:
    ("all" | "any", children), ("not", child), or a position. Made once per compiled rule."""
    position = {src.path: i for i, src in enumerate(info.conditions)}

    def walk(cond, path: tuple):
        if isinstance(cond, (AllCondition, AnyCondition)):
            key = "all" if isinstance(cond, AllCondition) else "any"
            return key, tuple(walk(child, path + (key, i)) for i, child in enumerate(getattr(cond, key)))
        if isinstance(cond, NotCondition):
            return "not", walk(cond.not_, path + ("not",))
        return position[path]
    return walk(info.rule.when, ("when",))


def _blockers(shape, results: list, negate: bool = False):
    """(value, blockers, negated): why a condition (a _shape over `results`, its leaves' values)
    is not what the rule needs; blockers and negated are positions of source conditions.

    `value` is the condition's Kleene value. Under `negate` the rule needs it false, so true
    leaves are reported as `negated` ("holds, but the rule needs the opposite").
    """
    if shape.__class__ is int:
        value = results[shape]
        if value is None:
            return value, [shape], []
        if value is (not negate):
            return value, [], []
        if negate:
            return value, [], [shape]
        return value, [shape], []
    key, inner = shape
    if key == "not":
        value, blocked, negated = _blockers(inner, results, not negate)
        return (None if value is None else not value), blocked, negated
    parts = [_blockers(child, results, negate) for child in inner]
    values = [p[0] for p in parts]
    value = _kleene_all(values) if key == "all" else _kleene_any(values)
    wanted = not negate
    if value is wanted:  # this part is as the rule needs it: nothing blocks here
        return value, [], []
    blocked, negated = [], []
    for child_value, b, n in parts:
        if child_value is not wanted:
            blocked += b
            negated += n
    return value, blocked, negated


_BLOCKERS_MAX = 4096  # leaf-value patterns remembered per rule (a rule has few: 3 ** leaves at most)


def _rule_blockers(info: CompiledRuleInfo, results: tuple) -> tuple[list[int], list[int]]:
    """(blockers, negated) of a rule whose leaves have the values `results` (see _blockers).

    They depend on the leaves' values only, and a batch's videos share a handful of patterns
    per rule: each pattern is worked out once.
    """
    memo = _said(info, ("blockers",), dict)
    found = memo.get(results)
    if found is None:
        _, blocked, negated = _blockers(_said(info, ("shape",), _shape, info), results)
        found = (blocked, negated)
        if len(memo) < _BLOCKERS_MAX:
            memo[results] = found
    return found


def _supporters(cond, by_path: dict, path: tuple, negate: bool = False) -> list[Outcome]:
    """The leaves that gave `cond` the value the rule needed (true; false under `negate`).

    The mirror of _blockers, for rules that fired: an `all` needs every child, an `any` is
    carried by its children that held; a `not` flips what is needed, and its leaves come back
    marked `negated`. Untaken branches (e.g. the unknown half of an `any`) are left out.
    """
    if isinstance(cond, (AllCondition, AnyCondition)):
        key = "all" if isinstance(cond, AllCondition) else "any"
        children = [(child, path + (key, i)) for i, child in enumerate(getattr(cond, key))]
        # all-true and any-false need every child; any-true and all-false are carried by some.
        every = (key == "all") != negate
        out: list[Outcome] = []
        for child, child_path in children:
            value = _value(child, by_path, child_path)
            if every or value is (not negate):
                out += _supporters(child, by_path, child_path, negate)
        return out
    if isinstance(cond, NotCondition):
        return _supporters(cond.not_, by_path, path + ("not",), not negate)
    outcome = by_path[path]
    return [replace(outcome, negated=True) if negate else outcome]


def _value(cond, by_path: dict, path: tuple):
    """The Kleene value of a condition from its leaves' outcomes."""
    if isinstance(cond, (AllCondition, AnyCondition)):
        key = "all" if isinstance(cond, AllCondition) else "any"
        values = [_value(c, by_path, path + (key, i)) for i, c in enumerate(getattr(cond, key))]
        return _kleene_all(values) if key == "all" else _kleene_any(values)
    if isinstance(cond, NotCondition):
        inner = _value(cond.not_, by_path, path + ("not",))
        return None if inner is None else not inner
    return by_path[path].result


def final_fact(compiled: Compiled, fired: list[str], fact: dict) -> dict:
    """The fact as the last stratum saw it: text features and every signal's final value."""
    program = compiled.program
    full = dict(program.prepare(fact))
    derived = {compiled.info[r].rule.then.signal for r in fired if compiled.info[r].rule.then.signal}
    for name in program.signals:
        full[signal_field(name)] = name in derived
    return full


def explain(compiled: Compiled, fired: list[str], fact: dict, *, origins: dict | None = None,
            with_misses: bool = False) -> tuple[list[Finding], list[Miss]]:
    """Findings for the fired rules with a title (ranked), and optionally why the others did not fire."""
    info_of = compiled.info
    if not with_misses and all(info_of[rule_id].rule.then.title is None for rule_id in fired):
        # Nothing to explain (most videos of a batch): no rule with words fired.
        return [], []
    fired_set = set(fired)
    full = final_fact(compiled, fired, fact)
    derivers: dict[str, list[str]] = {}
    for rule_id in fired:
        sig = info_of[rule_id].rule.then.signal
        if sig:
            derivers.setdefault(sig, []).append(rule_id)
    cache: dict[str, list[Outcome]] = {}

    def with_derivers(outcome: Outcome) -> Outcome:
        if outcome.source.signal:
            outcome.derived_by = tuple(derivers.get(outcome.source.signal, ()))
        return outcome

    def rule_outcomes(rule_id: str) -> list[Outcome]:
        if rule_id not in cache:
            cache[rule_id] = [with_derivers(o) for o in outcomes(info_of[rule_id], full)]
        return cache[rule_id]

    def with_chain(rule_id: str, seen: frozenset = frozenset()) -> list[Outcome]:
        result = []
        for o in rule_outcomes(rule_id):
            result.append(o)
            if o.source.signal and o.result and o.value:
                for dep in derivers.get(o.source.signal, []):
                    if dep not in seen:
                        for inner in with_chain(dep, seen | {rule_id}):
                            result.append(replace(inner, via=o.source.signal, derived_by=(), negated=False))
        return result

    def reasons(rule_id: str, seen: frozenset = frozenset(), via: str | None = None) -> list[Outcome]:
        by_path = {o.source.path: o for o in rule_outcomes(rule_id)}
        result = []
        for o in _supporters(compiled.info[rule_id].rule.when, by_path, ("when",)):
            result.append(replace(o, via=via) if via else o)
            if o.source.signal and o.held and o.value and not o.negated:
                for dep in derivers.get(o.source.signal, []):
                    if dep not in seen:
                        result += reasons(dep, seen | {rule_id}, o.source.signal)
        return result

    findings = []
    for rule_id in fired:
        info = compiled.info[rule_id]
        if info.rule.then.title is None:
            continue  # a signal-only rule: it speaks through the rules that match its signal
        conds = with_chain(rule_id)
        why = reasons(rule_id)
        margins = [m for m in (o.margin() for o in why) if m is not None]
        margin = sum(margins) / len(margins) if margins else 0.0
        origin = (origins or {}).get(rule_id, "shipped")
        findings.append(Finding(info.rule, conds, margin, origin, why))
    # Each of the two recursive closures holds itself (through its cell): a reference cycle,
    # with the Outcomes it reached, that only the cyclic collector would free. Emptying the
    # cells lets reference counting free them when explain returns.
    del with_chain, reasons
    # A fired rule that `excludes` others takes their findings off the card: opposite diagnoses
    # never stand side by side, and a combined diagnosis replaces the two it combines.
    excluded = {}
    for f in findings:
        for other in f.rule.excludes:
            excluded.setdefault(other, f.rule.id)
    for f in findings:
        f.replaces = [other for other in f.rule.excludes if other in fired_set]
    findings = [f for f in findings if f.rule.id not in excluded]
    findings.sort(key=lambda f: (PRIORITY_RANK[f.rule.priority], -f.margin, f.rule.id))
    misses = []
    if with_misses:
        for rule_id, info in info_of.items():
            if rule_id in fired_set:
                continue
            # Every leaf's value decides what blocked the rule, but only the blockers are said:
            # their Outcomes are the only ones made.
            conditions = info.conditions
            results = tuple([eval_node(src.node, full) for src in conditions])
            blocked, negated = _rule_blockers(info, results)
            misses.append(Miss(info.rule, [with_derivers(_outcome(conditions[i], results[i], full)) for i in blocked],
                               [with_derivers(_outcome(conditions[i], results[i], full)) for i in negated]))
    return findings, misses

