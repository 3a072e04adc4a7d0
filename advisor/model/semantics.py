"""Checks a rule set beyond its YAML shape: names, levels, types, signals, texts.

Each problem is located at the offending key of the rule file, with a did-you-mean where a
name is close to a known one. Lint checks that only warn about a working rule set live in
advisor.jobs.lint.
"""

from __future__ import annotations

import typing
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import TemplateSyntaxError, meta

from advisor.model.catalog import heuristics
from advisor.model.strata import StratifyError, stratify
from advisor.core.errors import Problem, did_you_mean
from advisor.core.i18n import T
from advisor.model.metrics import NUMERIC_KINDS
from advisor.core import templating
from advisor.core.cache import JsonCache, fingerprint
from advisor.core.templating import environment, syntax_problem
from advisor.model.rules_model import NUMERIC_OPS, TEXT_OPS, MetricCondition, SignalCondition, leaf_conditions, rule_texts
from advisor.model.stages import STAGE_FIELDS, STAGES

# Names a rule's texts may use besides the stage's fields.
# strength: "strong" | "moderate" | None, how large the typical-range gaps behind a finding are.
TEXT_GLOBALS = {"thresholds", "sources", "lang", "strength"}


def _enum_values(stage: str, name: str) -> tuple | None:
    spec = STAGES.get(stage)
    model = spec.fact_model if spec is not None else None
    if model is None or name not in model.model_fields:
        return None
    annotation = model.model_fields[name].annotation
    for arg in typing.get_args(annotation) or (annotation,):
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
    return None


def _with_hint(msg: T, hint: T | None) -> T:
    if hint is None:
        return msg
    return T(zh=f"{msg.zh};{hint.zh}", en=f"{msg.en}; {hint.en}")


def check_semantics(ruleset) -> list[Problem]:
    problems: list[Problem] = []
    catalogue = heuristics()
    for loaded in ruleset.rules:
        rule = loaded.rule
        fields = STAGE_FIELDS[rule.stage]
        for i, hid in enumerate(rule.heuristics):
            if hid not in catalogue:
                problems.append(loaded.problem(_with_hint(
                    T(zh=f"未知的启发式编号 {hid}(应为 H01-H20)", en=f"unknown heuristic ID {hid} (expected H01-H20)"),
                    did_you_mean(hid, catalogue)), ("heuristics", i)))
        for path, cond in leaf_conditions(rule.when):
            if isinstance(cond, MetricCondition):
                problems.extend(_check_metric_condition(loaded, path, cond, fields, ruleset.levels))
        problems.extend(_check_texts(loaded, fields))
    problems.extend(_check_excludes(ruleset))
    problems.extend(_check_signals(ruleset))
    _TEXT_CACHE.save()
    return problems


def _check_excludes(ruleset) -> list[Problem]:
    """`excludes` names rules of the same stage, other than the rule itself."""
    stage_of = {loaded.rule.id: loaded.rule.stage for loaded in ruleset.rules}
    problems = []
    for loaded in ruleset.rules:
        rule = loaded.rule
        for i, other in enumerate(rule.excludes):
            if other == rule.id:
                problems.append(loaded.problem(T(zh="规则不能排除它自己", en="a rule cannot exclude itself"),
                                               ("excludes", i)))
            elif other not in stage_of:
                problems.append(loaded.problem(_with_hint(
                    T(zh=f"excludes 里的规则 {other} 不存在", en=f"excludes names rule {other}, which does not exist"),
                    did_you_mean(other, stage_of)), ("excludes", i)))
            elif stage_of[other] != rule.stage:
                problems.append(loaded.problem(T(
                    zh=f"excludes 里的规则 {other} 属于 {stage_of[other]} 阶段,而这条规则属于 {rule.stage}",
                    en=f"excludes names rule {other} of the {stage_of[other]} stage; this rule is a {rule.stage} rule"),
                    ("excludes", i)))
    return problems


def _check_metric_condition(loaded, path, cond: MetricCondition, fields, levels) -> list[Problem]:
    stage = loaded.rule.stage
    name = cond.metric
    if name not in fields:
        return [loaded.problem(_with_hint(
            T(zh=f"{stage} 阶段的规则没有指标 {name}", en=f"unknown metric {name} for a {stage} rule"),
            did_you_mean(name, fields)), path + ("metric",))]
    kind = fields[name].kind
    out: list[Problem] = []
    if cond.level is not None:
        known = levels.metrics.get(name, {})
        if cond.level not in known:
            msg = T(zh=f"指标 {name} 没有名为 {cond.level} 的档位", en=f"metric {name} has no level named {cond.level}")
            if known:
                msg = T(zh=f"{msg.zh}(已有:{', '.join(known)})", en=f"{msg.en} (known: {', '.join(known)})")
            else:
                msg = T(zh=f"{msg.zh}(levels.yaml 里没有它的档位)", en=f"{msg.en} (levels.yaml defines none for it)")
            out.append(loaded.problem(_with_hint(msg, did_you_mean(cond.level, known)), path + ("level",)))
        return out
    op = cond.op
    if op in NUMERIC_OPS and kind not in NUMERIC_KINDS:
        out.append(loaded.problem(T(zh=f"{name} 不是数值,不能用 {op} 比较", en=f"{name} is not a number; {op} cannot compare it"),
                                  path + ("op",)))
    if op in TEXT_OPS and kind != "text":
        out.append(loaded.problem(T(zh=f"{name} 不是文本,不能用 {op}", en=f"{name} is not text; {op} does not apply"),
                                  path + ("op",)))
    if op in ("==", "!=", "in", "not_in"):
        allowed = _enum_values(stage, name)
        for value in cond.values():
            if allowed is not None and value not in allowed:
                out.append(loaded.problem(_with_hint(
                    T(zh=f"{name} 的取值应为 {', '.join(allowed)} 之一,而不是 {value!r}",
                      en=f"{name} is one of {', '.join(allowed)}, not {value!r}"),
                    did_you_mean(str(value), allowed)), path + ("value",)))
            elif kind in NUMERIC_KINDS and (isinstance(value, (bool, str))):
                out.append(loaded.problem(T(zh=f"{name} 是数值,{value!r} 不是数字", en=f"{name} is a number; {value!r} is not"),
                                          path + ("value",)))
            elif kind == "bool" and not isinstance(value, bool):
                out.append(loaded.problem(T(zh=f"{name} 取 true 或 false", en=f"{name} is true or false"), path + ("value",)))
            elif kind in ("text", "enum") and not isinstance(value, str):
                out.append(loaded.problem(T(zh=f"{name} 是文本,值应加引号", en=f"{name} is text; quote the value"),
                                          path + ("value",)))
    return out


def _source(file: str) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError:  # no source file (a frozen build): the versions must do
        return b""


# Parsing the ~180 templated texts of the shipped rules was a large part of every command's
# start. What a valid text uses depends only on its source, the Jinja2 parser and our sandbox's
# parse (templating.py) and this analysis, so it is kept on disk between runs, stamped with all of
# them. A text with a syntax error is never cached: it is parsed again each run and reported
# exactly as before.
_TEXT_CACHE = JsonCache("rule-texts", fingerprint(jinja2.__version__, _source(templating.__file__), _source(__file__)))


@lru_cache(maxsize=4096)
def _analyse_text(source: str) -> tuple[Problem | None, frozenset[str]]:
    """(syntax problem, variables the text uses); cached in memory, as the same texts load again
    and again, and the variables of a valid text on disk (_TEXT_CACHE)."""
    key = fingerprint(source)
    used = _TEXT_CACHE.get(key)
    if isinstance(used, list):
        return None, frozenset(used)
    try:
        tree = environment("en").parse(source)
    except (TemplateSyntaxError, RecursionError, MemoryError):
        return syntax_problem(source), frozenset()  # the located problem, as syntax_problem words it
    used = meta.find_undeclared_variables(tree)
    _TEXT_CACHE.put(key, sorted(used))
    return None, frozenset(used)


def _check_texts(loaded, fields) -> list[Problem]:
    out: list[Problem] = []
    allowed = set(fields) | TEXT_GLOBALS
    for base, text in rule_texts(loaded.rule, notes=False):
        for lang in ("zh", "en"):
            source = text.get(lang)
            if "{" not in source:  # plain text: nothing for Jinja2 to parse (most texts)
                continue
            problem, used = _analyse_text(source)
            if problem is not None:
                out.append(loaded.problem(problem.message, base + (lang,)))
                continue
            unknown = sorted(used - allowed)
            for name in unknown:
                out.append(loaded.problem(_with_hint(
                    T(zh=f"文本里的 {{{{ {name} }}}} 无法提供(不是这个阶段的指标)",
                      en=f"the text uses {{{{ {name} }}}}, which this rule cannot supply (not a field of its stage)"),
                    did_you_mean(name, allowed)), base + (lang,)))
    return out


def _check_signals(ruleset) -> list[Problem]:
    out: list[Problem] = []
    for stage in sorted({r.rule.stage for r in ruleset.rules}):
        rules = [r for r in ruleset.rules if r.rule.stage == stage]
        derived = {r.rule.then.signal for r in rules if r.rule.then.signal}
        for loaded in rules:
            for path, cond in leaf_conditions(loaded.rule.when):
                if isinstance(cond, SignalCondition) and cond.signal not in derived:
                    out.append(loaded.problem(_with_hint(
                        T(zh=f"没有 {stage} 阶段的规则产生信号 {cond.signal}",
                          en=f"no {stage} rule derives the signal {cond.signal}"),
                        did_you_mean(cond.signal, derived)), path + ("signal",)))
        try:
            stratify([r.rule for r in rules])
        except StratifyError as exc:
            first = ruleset.get(exc.rule_ids[0])
            chain = " -> ".join(exc.rule_ids)
            out.append(first.problem(T(zh=f"信号循环依赖:{chain}", en=f"signals depend on each other in a cycle: {chain}"),
                                     ("when",)))
    return out
