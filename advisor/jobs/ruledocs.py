"""Rules in plain language: `advisor rules list`, `advisor rules show`, `advisor rules docs`.

A rule's `when` becomes a sentence an operator can check against their own numbers:

    fires when completion rate is high (≥ P70 of the account; without enough history ≥ 30%,
    long videos 15%, ...) and heart rate < 0.50%

The catalogue (`advisor rules docs`, kept as docs/rules.md for the shipped rules) has one
section per rule in the manner of ruff's rule pages: what it checks, why (its heuristics, in our
words), what it advises, and an example that fires and one that does not, both taken from the
rule tests and evaluated, so the examples can never drift from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from advisor.model.catalog import heuristics
from advisor.engine.explain import OP_WORDS, label, show
from advisor.core.i18n import LANGS, Lang, T
from advisor.model.levels import FORM_LABELS, Levels
from advisor.model.metrics import FORMS
from advisor.core.paths import shipped_rules
from advisor.model.rules_model import (AllCondition, AnyCondition, MetricCondition, NotCondition, SignalCondition,
                                       leaf_conditions)
from advisor.jobs.ruletest import _behind, discover, load_test_file, run_case

MAX_PATTERNS_SHOWN = 4  # regular expressions are for the rule file; a sentence names a few

# --- conditions in words ------------------------------------------------------------------------


def _level_words(levels: Levels, metric: str, level: str, lang: Lang, stage: str | None = None) -> str:
    """'≥ P70 of the account; without enough history ≥ 30%, long videos 15%' for one level."""
    spec = levels.metrics.get(metric, {}).get(level)
    if spec is None:
        return ""
    op = OP_WORDS[spec.op].get(lang)
    default = spec.absolute["default"]
    others = [(form, spec.absolute[form]) for form in FORMS if form in spec.absolute and spec.absolute[form] != default]
    absolute = f"{op} {show(metric, default, lang, stage)}"
    if others:
        sep = "," if lang == "zh" else ", "
        absolute += sep + sep.join(f"{FORM_LABELS[f].get(lang)} {show(metric, v, lang, stage)}" for f, v in others)
    mode = levels.mode(metric, level)
    if mode == "typical":
        return _typical_words(levels, metric, spec, lang, stage)
    if mode == "absolute" or spec.percentile is None:
        return absolute
    return T(zh=f"{op} 账号的 P{spec.percentile:g};历史不足 {levels.min_history} 条时 {absolute}",
             en=f"{op} P{spec.percentile:g} of the account; with fewer than {levels.min_history} videos of history {absolute}"
             ).get(lang)


def _typical_words(levels: Levels, metric: str, spec, lang: Lang, stage: str | None) -> str:
    """'credibly above the account's typical range (...); with no history, the default range
    0.50%-1.20%, long videos 0.40%-1.00%' for a typical-mode level."""
    settings = levels.typical
    defs = levels.metrics[metric]
    ups = [d for d in defs.values() if d.op in (">", ">=")]
    downs = [d for d in defs.values() if d.op in ("<", "<=")]
    side = T(zh="高于", en="above") if spec.op in (">", ">=") else T(zh="低于", en="below")
    head = T(zh=f"可信地{side.zh}本账号同体裁视频的一般范围(P{settings.band[0]:g}–P{settings.band[1]:g},"
                f"再留一段余量;按这条的播放量,把握至少 {settings.certainty:.0%})",
             en=f"credibly {side.en} the account's typical range for the form (P{settings.band[0]:g}–"
                f"P{settings.band[1]:g} of its videos, plus a margin; at least {settings.certainty:.0%} sure "
                f"given the video's views)").get(lang)
    if not ups or not downs:
        return head
    def band(form):
        low = max(d.absolute.get(form, d.absolute["default"]) for d in downs)
        high = min(d.absolute.get(form, d.absolute["default"]) for d in ups)
        return f"{show(metric, low, lang, stage)}–{show(metric, high, lang, stage)}"
    default = band("default")
    others = [(form, band(form)) for form in FORMS if band(form) != default]
    sep = "," if lang == "zh" else ", "
    ranges = default + "".join(f"{sep}{FORM_LABELS[f].get(lang)} {b}" for f, b in others)
    return head + T(zh=f";没有历史时按默认范围 {ranges}", en=f"; with no history, the default range {ranges}").get(lang)


def _level_name(levels: Levels, metric: str, level: str, lang: Lang, stage: str | None = None) -> str:
    spec = levels.metrics.get(metric, {}).get(level)
    if spec is not None and spec.description is not None:
        return spec.description.get(lang)
    name = label(metric, lang, stage)
    return T(zh=f"{name}为 {level}", en=f"{name} is {level}").get(lang)


def describe_condition(cond, levels: Levels, lang: Lang, *, top: bool = True, stage: str | None = None) -> str:
    """A condition tree as one sentence, in `lang`; `stage` (the rule's) names its fields."""
    if isinstance(cond, (AllCondition, AnyCondition)):
        children = cond.all if isinstance(cond, AllCondition) else cond.any
        word = (T(zh=" 且 ", en=" and ") if isinstance(cond, AllCondition) else T(zh=" 或 ", en=" or ")).get(lang)
        parts = [describe_condition(c, levels, lang, top=False, stage=stage) for c in children]
        text = word.join(parts)
        return text if top or len(children) == 1 else f"({text})"
    if isinstance(cond, NotCondition):
        inner = describe_condition(cond.not_, levels, lang, top=True, stage=stage)
        return T(zh=f"并非「{inner}」", en=f"not ({inner})").get(lang)
    if isinstance(cond, SignalCondition):
        return T(zh=f"信号「{cond.signal}」成立", en=f"signal '{cond.signal}' holds").get(lang)
    return _describe_metric(cond, levels, lang, stage)


def _describe_metric(cond: MetricCondition, levels: Levels, lang: Lang, stage: str | None) -> str:
    name = label(cond.metric, lang, stage)
    if cond.level is not None:
        words = _level_words(levels, cond.metric, cond.level, lang, stage)
        head = _level_name(levels, cond.metric, cond.level, lang, stage)
        return f"{head}({words})" if lang == "zh" else f"{head} ({words})"
    op = cond.op
    if op == "exists":
        return T(zh=f"数据里有{name}", en=f"{name} is in the data").get(lang)
    if op == "missing":
        return T(zh=f"数据里没有{name}", en=f"{name} is not in the data").get(lang)
    if op in ("contains", "matches"):
        values = cond.values()
        more = 0
        if op == "matches" and len(values) > MAX_PATTERNS_SHOWN:
            values, more = values[:MAX_PATTERNS_SHOWN], len(values) - MAX_PATTERNS_SHOWN
        if lang == "zh":
            listed = "或".join(f"「{v}」" for v in values)
            tail = f"等(另有 {more} 个模式,见规则文件)" if more else ""
            verb = "包含" if op == "contains" else "匹配正则"
            return f"{name}{verb}{listed}{tail}" + _sentence_tail(cond, lang)
        listed = " or ".join(f'"{v}"' for v in values)
        tail = f" (and {more} more patterns, see the rule file)" if more else ""
        verb = "contains" if op == "contains" else "matches the pattern"
        return f"{name} {verb} {listed}{tail}" + _sentence_tail(cond, lang)
    value = show(cond.metric, cond.value, lang, stage)  # a list reads "a, b"
    return f"{name} {OP_WORDS[op].get(lang)} {value}"


def _sentence_tail(cond: MetricCondition, lang: Lang) -> str:
    """', in the same sentence as one of N patterns (unless ...)' for a same-sentence condition."""
    if not cond.same_sentence:
        return ""
    n, m = len(cond.same_sentence), len(cond.unless or [])
    if lang == "zh":
        out = f",且同一句里另有 {n} 个模式之一(见规则文件)"
        return out + (f",该句不含 {m} 个排除模式" if m else "")
    out = f", in the same sentence as one of {n} other patterns (see the rule file)"
    return out + (f", in a sentence with none of {m} exclusion patterns" if m else "")


def fires_when(rule, levels: Levels, lang: Lang) -> str:
    text = describe_condition(rule.when, levels, lang, stage=rule.stage)
    return T(zh=f"触发条件:{text}。", en=f"Fires when {text}.").get(lang)


def condition_tree(cond, levels: Levels, lang: Lang, indent: int = 0, stage: str | None = None) -> list[str]:
    """The condition as an indented outline, one condition a line."""
    pad = "  " * indent
    if isinstance(cond, (AllCondition, AnyCondition)):
        is_all = isinstance(cond, AllCondition)
        head = (T(zh="以下全部成立:", en="all of:") if is_all else T(zh="以下任一成立:", en="any of:")).get(lang)
        lines = [pad + "- " + head]
        for child in (cond.all if is_all else cond.any):
            lines.extend(condition_tree(child, levels, lang, indent + 1, stage))
        return lines
    if isinstance(cond, NotCondition):
        head = pad + "- " + T(zh="以下不成立:", en="not:").get(lang)
        return [head] + condition_tree(cond.not_, levels, lang, indent + 1, stage)
    line = pad + "- " + describe_condition(cond, levels, lang, stage=stage)
    if cond.note is not None:
        line += T(zh=f"(说明:{cond.note.get(lang)})", en=f" (note: {cond.note.get(lang)})").get(lang)
    return [line]


# --- list and show ----------------------------------------------------------------------------


def display_path(file: str) -> str:
    """A rule file as people should see it: shipped files relative to the repository (rules/...)."""
    try:
        rel = Path(file).resolve().relative_to(shipped_rules().resolve())
        return str(Path("rules") / rel)
    except ValueError:
        return file


def headline(rule, lang: Lang) -> str:
    """A rule's title for lists: the title, unless it is a template (then the description)."""
    title = rule.then.title.get(lang) if rule.then.title is not None else None
    if title is not None and "{%" not in title:
        return title
    if rule.description is not None:
        return rule.description.get(lang)
    if title is not None:
        return title
    return T(zh=f"(只产生信号 {rule.then.signal})", en=f"(signal {rule.then.signal} only)").get(lang)


def rule_rows(ruleset, *, stage: str | None = None, heuristic: str | None = None, lang: Lang = "en") -> list[dict]:
    """The rules as rows of the `rules list` table (and its JSON)."""
    rows = []
    for loaded in ruleset.rules:
        rule = loaded.rule
        if stage and rule.stage != stage:
            continue
        if heuristic and heuristic.upper() not in rule.heuristics:
            continue
        title = headline(rule, lang) if rule.then.title else \
            T(zh=f"(只产生信号 {rule.then.signal})", en=f"(signal {rule.then.signal} only)").get(lang)
        rows.append({"id": rule.id, "stage": rule.stage, "priority": rule.priority,
                     "heuristics": list(rule.heuristics), "title": title, "enabled": rule.enabled,
                     "origin": loaded.origin,
                     "file": display_path(loaded.file), "line": loaded.position()[0]})
    return rows


@dataclass
class RuleList:
    """`advisor rules list`: the rules in use, as rows (the report dict is {"rules": rows})."""

    rows: list[dict]

    def to_json(self) -> dict:
        return {"rules": self.rows}


def list_rules(ruleset, *, stage: str | None = None, heuristic: str | None = None, lang: Lang = "en") -> RuleList:
    return RuleList(rule_rows(ruleset, stage=stage, heuristic=heuristic, lang=lang))


def show_rule(loaded, ruleset, lang: Lang) -> str:
    """`advisor rules show ID`: the rule in full, in plain language."""
    rule = loaded.rule
    catalogue = heuristics()
    line = loaded.position()[0]
    where = f"{display_path(loaded.file)}:{line}" if line else display_path(loaded.file)
    origin = T(zh="内置", en="shipped").get(lang) if loaded.origin == "shipped" else loaded.origin
    yes, no = T(zh="是", en="yes").get(lang), T(zh="否(enabled: false)", en="no (enabled: false)").get(lang)
    out = [f"{rule.id}: {rule.then.title.get(lang)}" if rule.then.title else rule.id, ""]
    meta = [
        (T(zh="阶段", en="stage"), rule.stage),
        (T(zh="优先级", en="priority"), rule.priority),
        (T(zh="启用", en="enabled"), yes if rule.enabled else no),
        (T(zh="来源", en="origin"), f"{origin} ({where})"),
    ]
    if rule.then.signal:
        meta.append((T(zh="产生信号", en="sets signal"), rule.then.signal))
    for key, value in meta:
        out.append(f"{key.get(lang)}: {value}")
    out.append("")
    if rule.description is not None:
        out.append(rule.description.get(lang))
    out.append(fires_when(rule, ruleset.levels, lang))
    out.extend(condition_tree(rule.when, ruleset.levels, lang, stage=rule.stage))
    signals = _signal_sources(rule, ruleset)
    if signals:
        out.append("")
        for sig, ids in signals:
            out.append(T(zh=f"信号「{sig}」来自规则:{', '.join(ids) or '(无)'}",
                         en=f"signal '{sig}' is set by: {', '.join(ids) or '(no rule)'}").get(lang))
    out.append("")
    out.append(T(zh="为什么(启发式):", en="Why (heuristics):").get(lang))
    for hid in rule.heuristics:
        h = catalogue.get(hid)
        if h is not None:
            out.append(f"  {hid} {h.title.get(lang)}")
            out.append(f"      {h.description.get(lang)}")
    if rule.then.explain is not None or rule.then.actions or rule.then.suggestion is not None:
        out.append("")
        out.append(T(zh="建议(模板):", en="Advice (template):").get(lang))
        if rule.then.explain is not None:
            out.append("  " + rule.then.explain.get(lang))
        for action in rule.then.actions:
            out.append("  - " + action.get(lang))
        if rule.then.suggestion is not None:
            out.append("  " + T(zh="改写建议:", en="suggested rewrite: ").get(lang) + rule.then.suggestion.get(lang))
    return "\n".join(out)


def _signal_sources(rule, ruleset) -> list[tuple[str, list[str]]]:
    out = []
    for _, cond in leaf_conditions(rule.when):
        if isinstance(cond, SignalCondition):
            ids = [r.id for r in ruleset.rules if r.rule.stage == rule.stage and r.rule.then.signal == cond.signal
                   and r.rule.enabled]
            out.append((cond.signal, ids))
    return out


# --- the catalogue -------------------------------------------------------------------------------


@dataclass
class Example:
    case: object  # ruletest.Case
    sentences: dict  # lang -> why it fired / did not


def find_examples(ruleset, cases, engine: str = "python") -> dict[str, dict[str, Example]]:
    """Per rule id: an example case that fires it ('fires') and one that does not ('not'),
    taken from the rule tests and checked by running them (the reference engine, for
    reproducible docs)."""
    out: dict[str, dict[str, Example]] = {}
    for case in cases:
        wanted = [(rid, "fires") for rid in case.fire] + [(rid, "not") for rid in case.not_fire]
        wanted = [(rid, k) for rid, k in wanted if k not in out.get(rid, {})]
        if not wanted:
            continue
        result = run_case(case, ruleset, engine)
        if result.status == "error":
            continue
        derivers: dict[str, list[str]] = {}
        for loaded in ruleset.active(case.kind.stage):
            if loaded.rule.then.signal:
                derivers.setdefault(loaded.rule.then.signal, []).append(loaded.id)
        for rid, k in wanted:
            if k == "fires" and rid in result.fired:
                sentences = {lang: _because(rid, result, derivers, lang) for lang in LANGS}
                out.setdefault(rid, {})[k] = Example(case, sentences)
            elif k == "not" and rid not in result.fired and rid in result.misses:
                miss = result.misses[rid]
                behind = _behind(miss, result.misses, derivers)
                sentences = {}
                for lang in LANGS:
                    text = miss.reason(lang)
                    for other, inner in behind:
                        text += T(zh=f"({other} 没有触发:{inner.reason(lang)})",
                                  en=f" ({other} did not fire: {inner.reason(lang)})").get(lang)
                    sentences[lang] = text
                out.setdefault(rid, {})[k] = Example(case, sentences)
    return out


def _because(rule_id: str, result, derivers, lang: Lang, depth: int = 0) -> str:
    """The conditions that made a rule fire; a signal is followed by what made its rule fire."""
    parts = []
    for o in result.held.get(rule_id, []):
        text = o.sentence(lang)
        if o.source.signal is not None and o.result and depth < 4:
            inner = [f"{other}: {_because(other, result, derivers, lang, depth + 1)}"
                     for other in derivers.get(o.source.signal, []) if other in result.fired]
            if inner:
                text += f"({'; '.join(inner)})" if lang == "zh" else f" ({'; '.join(inner)})"
        parts.append(text)
    return (";" if lang == "zh" else "; ").join(parts)


def _example_yaml(case) -> str:
    data = {case.kind.key: case.value}
    if case.history:
        data["history"] = f"... {len(case.history)} videos (see the test file)"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=96).rstrip()


SECTION_HEADS = {
    "checks": T(zh="检查什么", en="What it checks"),
    "why": T(zh="为什么", en="Why"),
    "advice": T(zh="给出的建议", en="What it advises"),
    "fires": T(zh="会触发的例子", en="Example that fires"),
    "not": T(zh="不会触发的例子", en="Example that does not fire"),
}


def _head(key: str, langs) -> str:
    return " · ".join(SECTION_HEADS[key].get(lang) for lang in langs)


def render_docs(ruleset, cases, langs=LANGS) -> str:
    """The Markdown catalogue of every rule of `ruleset`, with examples from `cases`."""
    langs = tuple(langs)
    catalogue = heuristics()
    examples = find_examples(ruleset, cases)
    title = " · ".join(T(zh="规则目录", en="Rules catalogue").get(lang) for lang in langs)
    out = [f"# {title}", ""]
    notice = {
        "en": "Generated by `advisor rules docs` from the rule files and their tests; do not edit by hand. "
              "Read a rule in your terminal with `advisor rules show ID`.",
        "zh": "由 `advisor rules docs` 根据规则文件及其测试生成,请勿手工修改。在终端里可用 `advisor rules show ID` 查看单条规则。",
    }
    for lang in langs:
        out.append(f"> {notice[lang]}")
        out.append(">")
    out.pop()
    out.append("")
    title_heads = {"en": "title", "zh": "标题"}
    out.append("| id | stage | priority | heuristics | " + " | ".join(title_heads[lang] for lang in langs) + " |")
    out.append("|---|---|---|---|" + "---|" * len(langs))
    for loaded in ruleset.rules:
        rule = loaded.rule
        titles = []
        for lang in langs:
            t = headline(rule, lang) if rule.then.title else \
                T(zh=f"(只产生信号 {rule.then.signal})", en=f"(signal {rule.then.signal} only)").get(lang)
            off = T(zh="(已关闭)", en=" (off)").get(lang) if not rule.enabled else ""
            titles.append(t.replace("|", "/") + off)
        out.append(f"| [{rule.id}](#{rule.id}) | {rule.stage} | {rule.priority} | {', '.join(rule.heuristics)} | "
                   + " | ".join(titles) + " |")
    out.append("")
    for loaded in ruleset.rules:
        out.extend(_rule_section(loaded, ruleset, catalogue, examples.get(loaded.id, {}), langs))
    return "\n".join(out).rstrip() + "\n"


def _rule_section(loaded, ruleset, catalogue, examples, langs) -> list[str]:
    rule = loaded.rule
    out = [f"## {rule.id}", ""]
    if rule.then.title is not None:
        out.append(" · ".join(f"**{rule.then.title.get(lang)}**" for lang in langs))
    else:
        out.append(" · ".join(T(zh=f"只产生信号 `{rule.then.signal}`,供其他规则使用",
                                  en=f"Sets the signal `{rule.then.signal}` for other rules").get(lang) for lang in langs))
    out.append("")
    line = loaded.position()[0]
    where = f"{display_path(loaded.file)}:{line}" if line and loaded.origin != "shipped" else display_path(loaded.file)
    origin = "shipped" if loaded.origin == "shipped" else loaded.origin
    facts = [f"stage `{rule.stage}`", f"priority `{rule.priority}`",
             "heuristics " + ", ".join(f"`{h}`" for h in rule.heuristics), f"{origin}: `{where}`"]
    if not rule.enabled:
        facts.append("**enabled: false**")
    if rule.then.signal and rule.then.title is not None:
        facts.append(f"sets signal `{rule.then.signal}`")
    out.append(" · ".join(facts))
    out.append("")
    out.append(f"### {_head('checks', langs)}")
    out.append("")
    for lang in langs:
        text = (rule.description.get(lang) + " ") if rule.description is not None else ""
        out.append(text + fires_when(rule, ruleset.levels, lang))
        out.append("")
    out.append(f"### {_head('why', langs)}")
    out.append("")
    for hid in rule.heuristics:
        h = catalogue.get(hid)
        if h is None:
            continue
        for lang in langs:
            out.append(f"- **{hid}** {h.title.get(lang)}: {h.description.get(lang)}")
    out.append("")
    if rule.then.title is not None:
        out.append(f"### {_head('advice', langs)}")
        out.append("")
        for lang in langs:
            for action in rule.then.actions:
                out.append(f"- {action.get(lang)}")
            if rule.then.suggestion is not None:
                out.append(f"- {rule.then.suggestion.get(lang)}")
            if rule.then.actions or rule.then.suggestion is not None:
                out.append("")
    for key in ("fires", "not"):
        out.append(f"### {_head(key, langs)}")
        out.append("")
        example = examples.get(key)
        if example is None:
            out.append(" · ".join(T(zh="规则测试里还没有这样的例子。", en="No such example in the rule tests yet.").get(lang)
                                  for lang in langs))
            out.append("")
            continue
        out.append(f"From `{display_path(example.case.file)}`: {example.case.name}")
        out.append("")
        out.append("```yaml")
        out.append(_example_yaml(example.case))
        out.append("```")
        out.append("")
        for lang in langs:
            lead = (T(zh="触发,因为:", en="Fires because: ") if key == "fires"
                    else T(zh="不触发:", en="Does not fire: ")).get(lang)
            out.append(f"{lead}{example.sentences[lang]}")
            out.append("")
    return out


def docs_for(ruleset, test_paths=None, langs=LANGS) -> str:
    """The catalogue for `ruleset`, examples from `test_paths` (default: the rule set's tests/)."""
    files, _ = discover(test_paths if test_paths else ruleset.test_dirs())
    cases = []
    for path in files:
        loaded, _problems = load_test_file(path)
        cases.extend(loaded)
    return render_docs(ruleset, cases, langs)
