"""Rule lint: a rule set that loads can still be wrong. Called by `advisor rules check`.

advisor.model.semantics finds names that do not exist; this module finds rules that are valid but
cannot work as meant, one located problem each:
- conditions under one `all` that can never hold together (`x > 0.5` and `x < 0.3`), level
  thresholds resolved for every content form and, where both are percentiles, for the
  account's history;
- duplicate rules: same stage, same conditions;
- review rules that can never fire because a metric they need comes from no platform profile
  (no export column maps to it, nor to what it is derived from);
- texts using `thresholds.x` / `sources.x` for a metric the rule sets no level on (it would
  fail when rendered), and texts whose zh or en is empty;
- levels whose low threshold is not below the high one for some form.

`clarify` (advisor.input.ruleset, re-exported here) rewords the loader's "missing key 'en'" inside a
text as "title has zh but no en".
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import nodes

from advisor.core.errors import AdvisorError, Problem
from advisor.engine.compiler import compile_rules
from advisor.engine.program import Leaf, Not
from advisor.engine.reference import run_strata
from advisor.model.catalog import opposing
from advisor.core.i18n import Lang, T
from advisor.model.levels import FORM_LABELS, Levels
from advisor.model.metrics import DERIVED, FIELDS, FORMS
from advisor.core.templating import environment, format_value
from advisor.model.rules_model import (AllCondition, AnyCondition, MetricCondition, NotCondition, SignalCondition,
                          leaf_conditions, rule_texts)
from advisor.input.yamlio import load_yaml
from advisor.engine.explain import OP_WORDS
from advisor.input.profiles import load_profiles
from advisor.input.ruleset import clarify  # noqa: F401 (re-exported: it lived here)
from advisor.jobs.ruledocs import display_path

FORM_KEYS = ("default",) + FORMS
NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not_in", "not_in": "in",
          "exists": "missing", "missing": "exists"}
LOWER = (">", ">=")  # ops giving a lower bound
UPPER = ("<", "<=")


def lint(ruleset, *, profile_dirs=None) -> list[Problem]:
    """Every lint problem of a loaded rule set (shipped + user layers), located."""
    problems: list[Problem] = []
    enabled = [r for r in ruleset.rules if r.rule.enabled]
    for loaded in enabled:
        problems.extend(contradictions(loaded, ruleset.levels))
        problems.extend(text_problems(loaded, ruleset))
    problems.extend(duplicates(enabled))
    problems.extend(opposite_diagnoses(ruleset))
    problems.extend(unreachable(ruleset, profile_dirs))
    problems.extend(level_overlaps(ruleset.levels, ruleset.levels_files))
    return problems


# --- conditions that can never hold together ---------------------------------------------------

@dataclass(frozen=True)
class _Req:
    """A metric condition the rule requires (under `all`, possibly negated)."""

    path: tuple
    cond: MetricCondition
    negated: bool


def required_leaves(cond, path=("when",), negated=False) -> list[_Req]:
    """Metric conditions that must all hold for the rule to fire (`all` chains, `not` of a leaf)."""
    if isinstance(cond, MetricCondition):
        return [_Req(path, cond, negated)]
    if isinstance(cond, AllCondition) and not negated:
        return [r for i, c in enumerate(cond.all) for r in required_leaves(c, path + ("all", i))]
    if isinstance(cond, AnyCondition) and len(cond.any) == 1:
        return required_leaves(cond.any[0], path + ("any", 0), negated)
    if isinstance(cond, NotCondition) and isinstance(cond.not_, (MetricCondition, NotCondition)):
        return required_leaves(cond.not_, path + ("not",), not negated)
    return []


def _atoms(req: _Req, levels: Levels, form: str, use_percentile: bool):
    """(op, value) constraints of one required condition, for one form; None when undecidable."""
    cond = req.cond
    if cond.level is not None:
        spec = levels.metrics.get(cond.metric, {}).get(cond.level)
        if spec is None:
            return None  # reported by semantics
        if use_percentile:
            if spec.percentile is None:
                return None
            op, value = spec.op, ("P", spec.percentile)
        else:
            op, value = spec.op, spec.absolute.get(form, spec.absolute["default"])
        return [(NEGATE[op] if req.negated else op, value)]
    op = cond.op
    if op in ("contains", "matches"):
        return []  # text: not analysed
    if req.negated:
        op = NEGATE[op]
    if use_percentile and op not in ("exists", "missing"):
        return None  # a constant cannot be compared with a percentile of an unknown history
    if op in ("in", "not_in"):
        return [(op, tuple(cond.values()))]
    return [(op, cond.value)]


def _feasible(atoms) -> bool:
    """Can one value satisfy every (op, value) at once?"""
    presence = {op for op, _ in atoms if op in ("exists", "missing")}
    compares = [(op, v) for op, v in atoms if op not in ("exists", "missing")]
    if "missing" in presence and ("exists" in presence or compares):
        return False
    lo, lo_strict, hi, hi_strict = None, False, None, False
    allowed: set | None = None
    excluded: set = set()

    def raise_lo(v, strict):
        nonlocal lo, lo_strict
        if lo is None or v > lo or (v == lo and strict):
            lo, lo_strict = v, strict

    def lower_hi(v, strict):
        nonlocal hi, hi_strict
        if hi is None or v < hi or (v == hi and strict):
            hi, hi_strict = v, strict

    for op, v in compares:
        pct = isinstance(v, tuple) and len(v) == 2 and v[0] == "P"
        key = v[1] if pct else v
        if op in LOWER:
            raise_lo(key, op == ">")
        elif op in UPPER:
            lower_hi(key, op == "<")
        elif op == "==":
            allowed = {v} if allowed is None else allowed & {v}
        elif op == "in":
            allowed = set(v) if allowed is None else allowed & set(v)
        elif op == "!=":
            excluded.add(v)
        elif op == "not_in":
            excluded |= set(v)
    if lo is not None and hi is not None:
        if lo > hi or (lo == hi and (lo_strict or hi_strict)):
            return False
    if allowed is not None:
        candidates = {a for a in allowed if a not in excluded}
        for a in list(candidates):
            if isinstance(a, (int, float)) and not isinstance(a, bool):
                if (lo is not None and (a < lo or (a == lo and lo_strict))) or \
                        (hi is not None and (a > hi or (a == hi and hi_strict))):
                    candidates.discard(a)
        if not candidates:
            return False
    elif lo is not None and hi is not None and lo == hi and lo in excluded:
        return False
    return True


def _op(op: str, lang: Lang) -> str:
    return OP_WORDS[op].get(lang) if op in OP_WORDS else op


def _show_req(req: _Req, levels: Levels, form: str | None, lang: Lang, use_percentile=False) -> str:
    cond = req.cond
    kind = FIELDS[cond.metric].kind if cond.metric in FIELDS else "text"
    if cond.level is not None:
        spec = levels.metrics[cond.metric][cond.level]
        op = NEGATE[spec.op] if req.negated else spec.op
        if use_percentile:
            return f"{cond.metric} {_op(op, lang)} P{spec.percentile:g} ({cond.level})"
        value = spec.absolute.get(form or "default", spec.absolute["default"])
        return f"{cond.metric} {_op(op, lang)} {format_value(value, kind, lang)} ({cond.level})"
    op = NEGATE[cond.op] if req.negated else cond.op
    if op in ("exists", "missing"):
        return f"{cond.metric} {op}"
    value = cond.value if not isinstance(cond.value, list) else "[" + ", ".join(map(str, cond.value)) + "]"
    shown = format_value(value, kind, lang) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    return f"{cond.metric} {_op(op, lang)} {shown}"


def contradictions(loaded, levels: Levels) -> list[Problem]:
    by_metric: dict[str, list[_Req]] = {}
    for req in required_leaves(loaded.rule.when):
        by_metric.setdefault(req.cond.metric, []).append(req)
    out = []
    for metric, reqs in by_metric.items():
        if len(reqs) < 2:
            continue
        bad_forms = []
        for form in FORM_KEYS:
            atoms = [_atoms(r, levels, form, False) for r in reqs]
            if any(a is None for a in atoms):
                continue
            if not _feasible([x for a in atoms for x in a]):
                bad_forms.append(form)
        has_levels = any(r.cond.level is not None for r in reqs)
        pct_atoms = [_atoms(r, levels, "default", True) for r in reqs] if has_levels else [None]
        pct_bad = all(a is not None for a in pct_atoms) and not _feasible([x for a in pct_atoms for x in a])
        if not bad_forms and not pct_bad:
            continue
        out.append(_contradiction_problem(loaded, levels, metric, reqs, bad_forms, pct_bad))
    return out


def _contradiction_problem(loaded, levels, metric, reqs, bad_forms, pct_bad) -> Problem:
    def text(lang: Lang) -> str:
        form = bad_forms[0] if bad_forms else "default"
        parts = [_show_req(r, levels, form, lang, use_percentile=pct_bad and not bad_forms) for r in reqs]
        joined = (" 且 " if lang == "zh" else " and ").join(parts)
        forms = ("、" if lang == "zh" else ", ").join(FORM_LABELS[f].get(lang) for f in bad_forms)
        some = bool(bad_forms) and len(bad_forms) < len(FORM_KEYS)
        if some and pct_bad:
            scope = T(zh=f"(对{forms},以及按账号百分位时)", en=f" (for {forms}, and with the account's percentiles)")
        elif some:
            scope = T(zh=f"(对{forms})", en=f" (for {forms})")
        elif bad_forms and pct_bad:
            scope = T(zh="(对所有体裁,按账号百分位时也一样)", en=" (for every form, and with the account's percentiles too)")
        elif pct_bad:
            scope = T(zh="(账号历史足够、改用百分位时)", en=" (once the account's history is used for percentiles)")
        else:
            scope = T(zh="", en="")
        scope = scope.get(lang)
        if lang == "zh":
            return f"这些条件不可能同时成立{scope}:{joined};规则永远不会触发"
        return f"conditions that can never hold together{scope}: {joined}; the rule can never fire"

    return loaded.problem(T(zh=text("zh"), en=text("en")), reqs[-1].path)


# --- duplicate rules -----------------------------------------------------------------------------

def _canonical(cond):
    """A condition as comparable data: notes dropped, all/any children and in-lists sorted."""
    if isinstance(cond, AllCondition):
        return {"all": sorted((_canonical(c) for c in cond.all), key=json.dumps)}
    if isinstance(cond, AnyCondition):
        return {"any": sorted((_canonical(c) for c in cond.any), key=json.dumps)}
    if isinstance(cond, NotCondition):
        return {"not": _canonical(cond.not_)}
    if isinstance(cond, SignalCondition):
        return {"signal": cond.signal}
    value = cond.value
    if cond.op in ("in", "not_in") and isinstance(value, list):
        value = sorted(value, key=repr)
    return {"metric": cond.metric, "level": cond.level, "op": cond.op, "value": value}


def duplicates(rules) -> list[Problem]:
    seen: dict[str, object] = {}
    out = []
    for loaded in rules:
        key = json.dumps([loaded.rule.stage, _canonical(loaded.rule.when)], sort_keys=True, ensure_ascii=False,
                         default=str)
        first = seen.get(key)
        if first is None:
            seen[key] = loaded
            continue
        line, _ = first.position()
        where = f"{display_path(first.file)}:{line}" if line else display_path(first.file)
        out.append(loaded.problem(T(
            zh=f"与规则 {first.id}({where})阶段相同、条件相同:两条规则总是一起触发,请合并或改掉其中一条",
            en=f"same stage and conditions as rule {first.id} ({where}): the two always fire together; merge them or change one"),
            ("when",)))
    return out


# --- metrics no profile provides ------------------------------------------------------------------

def reachable_metrics(profiles) -> set[str]:
    """Review metrics some platform profile can fill, and the rates derived from them."""
    reach: set[str] = set()
    for profile in profiles.values():
        reach.update(profile.columns.values())
        reach.update(profile.defaults)
        if profile.id_from:
            reach.add("id")
    for name, spec in DERIVED.items():
        if spec.denominator in reach and all(n in reach for n in spec.numerator):
            reach.add(name)
    return reach


_T, _F, _U = True, False, None


def _possible(cond, reach: set[str] | None, signals: set[str]) -> set:
    """The truth values a condition can take; `reach` None means every metric can be present."""
    if isinstance(cond, MetricCondition):
        if reach is None or cond.metric in reach:
            return {_T, _F, _U}
        if cond.op == "exists":
            return {_F}
        if cond.op == "missing":
            return {_T}
        return {_U}
    if isinstance(cond, SignalCondition):
        return {_T, _F} if cond.signal in signals else {_F}
    if isinstance(cond, NotCondition):
        return {(None if v is None else not v) for v in _possible(cond.not_, reach, signals)}
    children = [_possible(c, reach, signals) for c in (cond.all if isinstance(cond, AllCondition) else cond.any)]
    out = set()
    if isinstance(cond, AllCondition):
        if all(_T in c for c in children):
            out.add(_T)
        if any(_F in c for c in children):
            out.add(_F)
        if any(_U in c for c in children) and all(c & {_T, _U} for c in children):
            out.add(_U)
    else:
        if any(_T in c for c in children):
            out.add(_T)
        if all(_F in c for c in children):
            out.add(_F)
        if any(_U in c for c in children) and all(c & {_F, _U} for c in children):
            out.add(_U)
    return out


def _can_fire(rules, reach: set[str] | None) -> dict[str, bool]:
    """Which rules can fire, with signals derived to a fixed point."""
    signals: set[str] = set()
    while True:
        fire = {r.id: _T in _possible(r.rule.when, reach, signals) for r in rules}
        more = {r.rule.then.signal for r in rules if fire[r.id] and r.rule.then.signal}
        if more <= signals:
            return fire
        signals |= more


def unreachable(ruleset, profile_dirs=None) -> list[Problem]:
    dirs = profile_dirs if profile_dirs is not None else ruleset.profile_dirs()
    try:
        profiles = load_profiles(dirs)
    except AdvisorError as exc:
        return list(exc.problems)
    rules = [r for r in ruleset.rules if r.rule.enabled and r.rule.stage == "review"]
    # A name that is no metric at all is advisor.model.semantics' to report (with a did-you-mean).
    unknown = {c.metric for r in rules for _, c in leaf_conditions(r.rule.when)
               if isinstance(c, MetricCondition) and c.metric not in FIELDS}
    reach = reachable_metrics(profiles) | unknown
    possible_now = _can_fire(rules, reach)
    possible_ever = _can_fire(rules, None)
    out = []
    for loaded in rules:
        if possible_now[loaded.id] or not possible_ever[loaded.id]:
            continue
        missing = sorted({c.metric for _, c in leaf_conditions(loaded.rule.when)
                          if isinstance(c, MetricCondition) and c.metric not in reach})
        path = next((p for p, c in leaf_conditions(loaded.rule.when)
                     if isinstance(c, MetricCondition) and c.metric in missing), ("when",))
        names = ", ".join(missing) or T(zh="它依赖的信号", en="the signals it needs").en
        out.append(loaded.problem(T(
            zh=f"这条规则永远不会触发:没有任何平台档案提供 {names}(没有导出列对应它,也没有可用来计算它的列)",
            en=f"this rule can never fire: no platform profile provides {names} (no export column maps to it or to what it is computed from)"),
            path + ("metric",) if missing else path))
    return out


# --- texts ---------------------------------------------------------------------------------------

def _level_metrics(rule, by_signal: dict, seen=frozenset()) -> set[str]:
    """Metrics with a level condition in this rule or in the rules behind the signals it matches."""
    out = set()
    for _, cond in leaf_conditions(rule.when):
        if isinstance(cond, MetricCondition) and cond.level is not None:
            out.add(cond.metric)
        elif isinstance(cond, SignalCondition):
            for other in by_signal.get(cond.signal, []):
                if other.id not in seen:
                    out |= _level_metrics(other, by_signal, seen | {rule.id})
    return out


def _lookups(tree, names=("thresholds", "sources")):
    """(name, key) for every `thresholds.key` / `thresholds['key']` in a parsed template."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name in names:
            if isinstance(node, nodes.Getattr):
                yield node.node.name, node.attr
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                yield node.node.name, node.arg.value


def text_problems(loaded, ruleset) -> list[Problem]:
    rule = loaded.rule
    out = []
    for path, text in rule_texts(rule):
        for lang, other in (("zh", "en"), ("en", "zh")):
            if not text.get(lang).strip() and text.get(other).strip():
                name = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in path).lstrip(".")
                out.append(loaded.problem(T(zh=f"{name} 有{'英文' if lang == 'zh' else '中文'}({other})但 {lang} 文字是空的",
                                            en=f"{name} has {other} but its {lang} text is empty"), path + (lang,)))
    by_signal: dict[str, list] = {}
    for other in ruleset.rules:
        if other.rule.enabled and other.rule.stage == rule.stage and other.rule.then.signal:
            by_signal.setdefault(other.rule.then.signal, []).append(other.rule)
    supplied = None
    env = environment("en")
    for path, text in rule_texts(rule):
        if path[0] == "description" or "note" in path:
            continue
        for lang in ("zh", "en"):
            try:
                tree = env.parse(text.get(lang))
            except Exception:  # a syntax error: reported by semantics
                continue
            for name, key in sorted(set(_lookups(tree))):
                if supplied is None:
                    supplied = _level_metrics(rule, by_signal)
                if key not in supplied:
                    out.append(loaded.problem(T(
                        zh=f"文本里的 {{{{ {name}.{key} }}}} 无法提供:这条规则(及其依赖的信号规则)没有对 {key} 用档位(level)",
                        en=f"the text uses {{{{ {name}.{key} }}}}, which the rule cannot supply: neither it nor the rules behind its signals set a level on {key}"),
                        path + (lang,)))
    return out


# --- levels --------------------------------------------------------------------------------------

def _levels_position(files: list[str], metric: str, level: str, tail: tuple) -> tuple[str | None, int | None, int | None]:
    """Where the last file that defines metric/level is, for locating a levels problem."""
    for file in reversed(files):
        try:
            data, locator = load_yaml(Path(file))
        except AdvisorError:
            continue
        if not isinstance(data, dict):
            continue
        candidates = [("metrics",), ("levels",)]
        for name, acc in (data.get("accounts") or {}).items() if isinstance(data.get("accounts"), dict) else []:
            candidates.append(("accounts", name, "levels"))
        for base in candidates:
            node = data
            for part in base:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and isinstance(node.get(metric), dict) and level in node[metric]:
                line, col = locator.at(base + (metric, level) + tail)
                return file, line, col
    return (files[-1] if files else None), None, None


def level_overlaps(levels: Levels, files: list[str]) -> list[Problem]:
    out = []
    for metric, defs in levels.metrics.items():
        kind = FIELDS[metric].kind if metric in FIELDS else "count"
        for up_name, up in defs.items():
            if up.op not in LOWER:
                continue
            for low_name, low in defs.items():
                if low.op not in UPPER:
                    continue
                bad = []
                for form in FORM_KEYS:
                    hi_t = up.absolute.get(form, up.absolute["default"])
                    lo_t = low.absolute.get(form, low.absolute["default"])
                    if lo_t > hi_t or (lo_t == hi_t and low.op == "<=" and up.op == ">="):
                        bad.append((form, lo_t, hi_t))
                pct_bad = (up.percentile is not None and low.percentile is not None
                           and (low.percentile > up.percentile
                                or (low.percentile == up.percentile and low.op == "<=" and up.op == ">=")))
                if not bad and not pct_bad:
                    continue
                out.append(_overlap_problem(metric, kind, up_name, up, low_name, low, bad, pct_bad, files))
    return out


def _overlap_problem(metric, kind, up_name, up, low_name, low, bad, pct_bad, files) -> Problem:
    def text(lang: Lang) -> str:
        parts = []
        for form, lo_t, hi_t in bad:
            parts.append(f"{FORM_LABELS[form].get(lang)}: {low_name} {_op(low.op, lang)} {format_value(lo_t, kind, lang)}, "
                         f"{up_name} {_op(up.op, lang)} {format_value(hi_t, kind, lang)}")
        if pct_bad:
            label = T(zh="百分位", en="percentiles").get(lang)
            parts.append(f"{label}: {low_name} {_op(low.op, lang)} P{low.percentile:g}, "
                         f"{up_name} {_op(up.op, lang)} P{up.percentile:g}")
        sep = ";" if lang == "zh" else "; "
        if lang == "zh":
            return f"{metric} 的档位 {low_name} 的阈值不低于 {up_name},同一个值可能同时属于两档({sep.join(parts)})"
        return f"levels of {metric} overlap: {low_name} is not below {up_name}, so one value can be both ({sep.join(parts)})"

    form = bad[0][0] if bad else None
    tail = ("absolute", form) if form and form in low.absolute else (("percentile",) if not bad else ())
    file, line, col = _levels_position(files, metric, low_name, tail)
    return Problem(T(zh=text("zh"), en=text("en")), file=file, line=line, col=col, field=f"metrics.{metric}.{low_name}")


# --- opposite diagnoses on one card ----------------------------------------------------------------
# Two rules whose heuristics oppose (the catalogue's `opposes`: "they will come back" vs "they
# may not") must never both be on a card. They are fine when their conditions exclude each
# other, or when a rule that fires with them takes one off the card (`excludes`). Whether they
# can share a card is decided by model checking: every combination of the inputs their
# conditions read (each level high / low / neither / missing, each constant's boundary, each
# text feature) is evaluated with the reference semantics, exclusions applied.

MAX_CASES = 50_000  # combinations checked per pair; larger inputs are sampled at their boundaries only


def opposite_diagnoses(ruleset) -> list[Problem]:
    problems: list[Problem] = []
    by_stage: dict[str, list] = {}
    for loaded in ruleset.rules:
        if loaded.rule.enabled:
            by_stage.setdefault(loaded.rule.stage, []).append(loaded)
    for stage, loaded_rules in by_stage.items():
        titled = [lr for lr in loaded_rules if lr.rule.then.title is not None]
        pairs = []
        for i, a in enumerate(titled):
            opp_a = set().union(*(opposing(h) for h in a.rule.heuristics))
            for b in titled[i + 1:]:
                if opp_a & set(b.rule.heuristics) and b.rule.id not in a.rule.excludes \
                        and a.rule.id not in b.rule.excludes:
                    pairs.append((a, b))
        if not pairs:
            continue
        compiled = compile_rules([lr.rule for lr in loaded_rules], ruleset.levels, None, None,
                                 name=f"lint-{stage}")
        for a, b in pairs:
            example = _co_firing(compiled, a.rule.id, b.rule.id)
            if example is not None:
                problems.append(a.problem(T(
                    zh=f"规则 {a.rule.id}({'/'.join(a.rule.heuristics)})和 {b.rule.id}({'/'.join(b.rule.heuristics)})"
                       f"的诊断相互矛盾,却可能出现在同一条视频上(例如:{example.zh});"
                       f"给其中一条加 `excludes`,或加一条合并两者的规则并排除它们",
                    en=f"rules {a.rule.id} ({'/'.join(a.rule.heuristics)}) and {b.rule.id} "
                       f"({'/'.join(b.rule.heuristics)}) give opposite diagnoses and can fire on one video "
                       f"(e.g. {example.en}); add `excludes` to one of them, or a combined rule that excludes both"),
                    ("id",)))
    return problems


def _closure(compiled, rule_ids) -> list[str]:
    """The rules these rules depend on through signals, and themselves."""
    derivers: dict[str, list[str]] = {}
    for rid, info in compiled.info.items():
        if info.rule.then.signal:
            derivers.setdefault(info.rule.then.signal, []).append(rid)
    seen, todo = set(), list(rule_ids)
    while todo:
        rid = todo.pop()
        if rid in seen:
            continue
        seen.add(rid)
        for src in compiled.info[rid].conditions:
            if src.signal:
                todo.extend(derivers.get(src.signal, []))
    return [rid for rid in compiled.info if rid in seen]


def _input_space(compiled, rule_ids):
    """[(field or metric, [(assignment dict, zh, en), ...]), ...]: the states each input can take."""
    leaves: dict[str, set] = {}
    levels: dict[str, dict[str, str]] = {}  # metric -> {feature: side}
    level_metrics = {src.metric for rid in rule_ids for src in compiled.info[rid].conditions
                     if src.threshold is not None and src.threshold.kind == "typical"}
    for rid in rule_ids:
        for src in compiled.info[rid].conditions:
            if src.signal:
                continue
            th = src.threshold
            if th is not None and th.kind == "typical":
                levels.setdefault(src.metric, {})[th.feature] = th.side
                continue
            node = src.node
            for leaf in _leaves(node):
                if leaf.op in ("exists", "missing") and leaf.field in level_metrics:
                    continue  # the level's states already include "missing"
                if leaf.field.startswith("txt:"):
                    leaves.setdefault(leaf.field, set()).update({True, False})
                elif leaf.value is None or isinstance(leaf.value, bool) or isinstance(leaf.value, str):
                    leaves.setdefault(leaf.field, set()).add(leaf.value)
                else:
                    v = float(leaf.value)
                    step = max(abs(v) * 1e-6, 1e-9)
                    leaves.setdefault(leaf.field, set()).update({v - step, v, v + step})
    space = []
    for metric, features in levels.items():
        states = []
        for side in ("high", "low", None):
            assignment = {f: (s == side) for f, s in features.items()}
            word = {"high": T(zh=f"{metric} 高", en=f"{metric} high"), "low": T(zh=f"{metric} 低", en=f"{metric} low"),
                    None: None}[side]
            states.append((assignment | {metric: 0.5}, word))
        states.append(({}, None))
        space.append(states)
    for fieldname, values in leaves.items():
        states = [({fieldname: v}, T(zh=f"{fieldname}={v}", en=f"{fieldname}={v}"))
                  for v in sorted(values, key=repr) if v is not None]
        states.append(({fieldname: "(other)"} if any(isinstance(v, str) for v in values) else {},
                       None if not any(isinstance(v, str) for v in values) else
                       T(zh=f"{fieldname} 为其他值", en=f"{fieldname} something else")))
        space.append(states)
    return space


def _leaves(node):
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, Not):
        return _leaves(node.child)
    return [leaf for child in node.children for leaf in _leaves(child)]


def _co_firing(compiled, a: str, b: str) -> T | None:
    """An input on which rules a and b both end on the card, in words; None when none exists."""
    # The pair, every titled rule that could take one of them off the card, and what they need.
    removers = [rid for rid, info in compiled.info.items()
                if info.rule.then.title is not None and {a, b} & set(info.rule.excludes)]
    rule_ids = _closure(compiled, [a, b, *removers])
    space = _input_space(compiled, rule_ids)
    program = compiled.program
    strata = [[r for r in stratum if r.id in rule_ids] for stratum in program.strata]
    total = 1
    for states in space:
        total *= len(states)
    combos = itertools.product(*space) if total <= MAX_CASES else itertools.islice(itertools.product(*space), MAX_CASES)
    for combo in combos:
        fact: dict = {}
        for assignment, _ in combo:
            fact.update(assignment)
        fired = set(run_strata(strata, program.signals, fact))
        if a in fired and b in fired:
            excluded = {x for rid in fired for x in compiled.info[rid].rule.excludes
                        if compiled.info[rid].rule.then.title is not None}
            if a not in excluded and b not in excluded:
                words = [w for _, w in combo if w is not None]  # typical and missing go without saying
                return T(zh=",".join(w.zh for w in words), en=", ".join(w.en for w in words))
    return None
