"""Rule tests (`advisor rules test`): example inputs and the rules that must, or must not, fire.

A test file is a YAML list of cases in a rule folder's tests/ (the format is in docs/design.md,
"Rule tests"). Each case gives one input of a *fact kind*, optionally the account's `history`,
and what to expect. There is a fact kind per stage of the registry (advisor.model.stages.STAGES),
keyed by the stage's `test_key`: `video` for review rules, `plan` for plan rules, `text` for cta
rules, and for the other stages a mapping of the stage's fields under the stage's name:

    - name: a well-watched video with few hearts shows the emotional gap
      video: {form: short_video, views: 10000, likes: 300, hearts: 20, comments: 40,
              shares: 20, completion_rate: 0.45}
      fire: [emotion-gap]
      not_fire: [depth-gap]
      contains: ["emotional"]          # in the rendered advice, in `lang` (default en)

A failure says what was expected and what happened, with each deciding condition's value,
threshold and the threshold's source, as advisor.engine.explain words them:
    emotion-gap did not fire: heart rate 1.20% is not < 0.50% (default for short videos)

Which rules a test file runs against: the shipped tests check the shipped rules as shipped
(a user's override is meant to change them); every other test file checks the rule set in use
(shipped + user folders + advisor.yaml's levels), which is what its author runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

from jinja2 import TemplateError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import Lang, T
from advisor.core.paths import shipped_rules
from advisor.core.templating import render_text
from advisor.engine.evaluate import StageRunner
from advisor.engine.explain import Miss, Outcome, explain, final_fact, outcomes, text_context
from advisor.input.profiles import CANONICAL, parse_value
from advisor.input.values import PARSERS, ValueProblem, parse_rate
from advisor.input.yamlio import load_yaml, problems_from_validation_error
from advisor.model.levels import Baseline
from advisor.model.metrics import DERIVED, FIELDS, VideoMetrics
from advisor.model.plan import Plan
from advisor.model.stages import STAGE_FIELDS, STAGES, StageSpec

TEST_SUFFIXES = (".yaml", ".yml")
MAX_CASES_PER_FILE = 5_000


class InputProblems(Exception):
    """Raised by a fact kind's builder: (key path inside the input, message) pairs, and the
    model's ValidationError when the rest of the input was checked too."""

    def __init__(self, items: list[tuple[tuple, T]], validation: ValidationError | None = None):
        super().__init__(items)
        self.items = items
        self.validation = validation


@dataclass(frozen=True)
class FactKind:
    """One kind of case input: its key in a case, the stage it feeds, and how it becomes a fact."""

    key: str  # the case key: video, plan, text, ...
    stage: str  # the rule stage it is evaluated by
    label: T
    build: Callable[[Any], dict]  # the case's value -> the fact; raises InputProblems / ValidationError
    model: Optional[type] = None  # the pydantic model of the input (for located errors and schemas)
    schema: Optional[Callable[[], dict]] = None  # JSON schema of the value, for `advisor schema tests`
    history: bool = False  # whether `history` (a list of the same kind) makes sense


FACT_KINDS: dict[str, FactKind] = {}


def register_fact_kind(kind: FactKind) -> None:
    """Add (or replace) a fact kind; a stage's module calls this to make its rules testable."""
    FACT_KINDS[kind.key] = kind
    _case_model.cache_clear()


def _video_fact(value) -> dict:
    """A video as written in a test: canonical fields (values as exported are fine: "45%", "1.2万"),
    and optionally derived rates given directly when their counts are not."""
    if not isinstance(value, dict):
        raise InputProblems([((), T(zh="video 应为键值映射(字段: 值)", en="video must be a mapping (field: value)"))])
    data = dict(value)
    data["id"] = str(data.get("id", "test"))
    given = {k: data.pop(k) for k in list(data) if k in DERIVED}
    problems: list[tuple[tuple, T]] = []
    for name in list(data):
        if name in CANONICAL and name != "id" and data[name] is not None:
            try:
                data[name] = parse_value(name, data[name])
            except ValueProblem as exc:
                problems.append(((name,), exc.message))
                del data[name]  # reported; the rest is still checked below
    rates = {}
    for name, raw in given.items():
        try:
            if FIELDS[name].kind == "rate":
                parsed = parse_rate(raw)
            elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw) and raw >= 0:
                parsed = float(raw)
            else:
                raise ValueProblem(T(zh="应为非负数字", en="expected a number ≥ 0"), raw)
        except ValueProblem as exc:
            problems.append(((name,), exc.message))
            continue
        if parsed is not None:
            rates[name] = parsed
    try:
        video = VideoMetrics.model_validate(data)
    except ValidationError as exc:
        raise InputProblems(problems, exc) from None
    if problems:
        raise InputProblems(problems)
    fact = video.to_fact()
    for name, rate in rates.items():
        if name in fact:
            spec = DERIVED[name]
            inputs = " + ".join(spec.numerator) + f" / {spec.denominator}"
            raise InputProblems([((name,), T(
                zh=f"{name} 由 {inputs} 算出,而这些数都已给出:两者只写一种",
                en=f"{name} is computed from {inputs}, which are all given: give one or the other"))])
        fact[name] = rate
    return fact


def _plan_fact(value) -> dict:
    if not isinstance(value, dict):
        raise InputProblems([((), T(zh="plan 应为键值映射(字段: 值)", en="plan must be a mapping (field: value)"))])
    data = dict(value)
    data["id"] = str(data.get("id", "test"))
    return Plan.model_validate(data).to_fact()


def _text_fact(value) -> dict:
    if not isinstance(value, str) or not value.strip():
        raise InputProblems([((), T(zh="text 应为一段非空文字(号召文案)", en="text must be a non-empty call-to-action text"))])
    return {"text": value}


class _CaseBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="What the case shows, in a sentence.")
    history: Optional[list[Any]] = Field(
        None, description="The account's earlier videos, for percentile levels (same fields as `video`).")
    fire: list[str] = Field(default_factory=list, description="Rule ids that must fire.")
    not_fire: list[str] = Field(default_factory=list, description="Rule ids that must not fire.")
    contains: list[str] = Field(default_factory=list, description="Texts the rendered advice must contain.")
    not_contains: list[str] = Field(default_factory=list, description="Texts the rendered advice must not contain.")
    lang: Lang = Field("en", description="The language `contains` / `not_contains` are checked in.")


@lru_cache(maxsize=1)
def _case_model() -> type[BaseModel]:
    """The case model: the fixed keys plus one optional key per registered fact kind."""
    extra = {key: (Optional[Any], Field(None, description=kind.label.en)) for key, kind in FACT_KINDS.items()}
    return create_model("RuleTestCase", __base__=_CaseBase, **extra)


def _generic_fact(stage: str):
    """A fact for a stage without a registered kind: its field names, values as written."""
    def build(value) -> dict:
        fields = STAGE_FIELDS[stage]
        if not isinstance(value, dict):
            raise InputProblems([((), T(zh=f"{stage} 应为键值映射(字段: 值)", en=f"{stage} must be a mapping (field: value)"))])
        fact, problems = {}, []
        for name, raw in value.items():
            if name not in fields:
                hint = did_you_mean(str(name), fields)
                problems.append(((name,), T(zh=f"{stage} 阶段没有字段 {name}" + (f";{hint.zh}" if hint else ""),
                                            en=f"{stage} has no field {name}" + (f"; {hint.en}" if hint else ""))))
                continue
            if raw is None:
                continue
            parser = PARSERS.get(fields[name].kind)
            try:
                parsed = parser(raw) if parser is not None and not isinstance(raw, bool) else raw
            except ValueProblem as exc:
                problems.append(((name,), exc.message))
                continue
            if isinstance(parsed, (dict, list)):
                problems.append(((name,), T(zh="应为单个值", en="expected a single value")))
                continue
            if parsed is not None:
                fact[name] = parsed.isoformat() if hasattr(parsed, "isoformat") else parsed
        if problems:
            raise InputProblems(problems)
        return fact

    return build


# The stages whose case input is not a plain mapping of the stage's fields: their builder, the
# label of their case key (in `advisor schema tests`) and, for an input without a fact model, its schema.
_BUILDERS: dict[str, tuple[Callable[[Any], dict], T, Optional[Callable[[], dict]]]] = {
    "review": (_video_fact, T(zh="视频数据", en="a video's metrics"), None),
    "plan": (_plan_fact, T(zh="视频计划", en="a planned video"), None),
    "cta": (_text_fact, T(zh="号召文案", en="a call-to-action text"),
            lambda: {"type": "string", "minLength": 1, "description": "A call-to-action text, for cta rules."}),
}


def stage_fact_kind(spec: StageSpec) -> FactKind:
    """The fact kind of a stage of the registry: keyed by its `test_key`; a stage without a
    builder of its own takes a mapping of its fields (the generic builder)."""
    if spec.name in _BUILDERS:
        build, label, schema = _BUILDERS[spec.name]
    else:
        build, label = _generic_fact(spec.name), T(zh=f"{spec.name} 阶段的数据", en=f"{spec.name} facts")
        schema = (lambda stage=spec.name: {"type": "object", "propertyNames": {"enum": list(STAGE_FIELDS[stage])},
                                           "description": f"Fields of the {stage} stage."})
    return FactKind(spec.test_key, spec.name, label, build, model=spec.fact_model, schema=schema,
                    history=spec.history)


def case_model() -> type[BaseModel]:
    """The case model: the fixed keys plus one optional key per fact kind (one per stage of the
    registry, keyed by its `test_key`, and any registered with register_fact_kind)."""
    return _case_model()


# --- loading ------------------------------------------------------------------------------------

@dataclass
class Case:
    file: str
    index: int
    name: str
    kind: FactKind
    value: Any  # the input as written (for docs)
    fact: dict
    history: list[dict] | None
    fire: list[str]
    not_fire: list[str]
    contains: list[str]
    not_contains: list[str]
    lang: Lang
    locator: Any = field(default=None, repr=False)

    @property
    def line(self) -> int | None:
        return self.locator.at((self.index,))[0] if self.locator is not None else None

    def problem(self, message: T, subpath: tuple = ()) -> Problem:
        line, col = self.locator.at((self.index,) + subpath) if self.locator is not None else (None, None)
        return Problem(message, file=self.file, line=line, col=col, field=".".join(map(str, subpath)) or None)


def _located(items, locator, file, base) -> list[Problem]:
    out = []
    for sub, message in items:
        line, col = locator.at(base + tuple(sub))
        out.append(Problem(message, file=file, line=line, col=col, field=".".join(map(str, base[1:] + tuple(sub)))))
    return out


def _build(kind: FactKind, value, locator, file, base) -> tuple[dict | None, list[Problem]]:
    try:
        return kind.build(value), []
    except InputProblems as exc:
        problems = _located(exc.items, locator, file, base)
        if exc.validation is not None:
            problems += problems_from_validation_error(exc.validation, locator, file, base_path=base, model=kind.model)
        return None, problems
    except ValidationError as exc:
        return None, problems_from_validation_error(exc, locator, file, base_path=base, model=kind.model)


def load_test_file(path: Path | str) -> tuple[list[Case], list[Problem]]:
    """The cases of one test file and the located problems of the ones that cannot run."""
    model = case_model()
    file = str(path)
    try:
        data, locator = load_yaml(Path(path))
    except AdvisorError as exc:
        return [], list(exc.problems)
    if data is None:
        return [], []
    if not isinstance(data, list):
        line, col = locator.at(())
        return [], [Problem(T(zh="规则测试文件应是一个列表(每个用例以 - 开头)",
                              en="a rule test file is a list of cases (each starting with -)"),
                            file=file, line=line, col=col)]
    if len(data) > MAX_CASES_PER_FILE:
        return [], [Problem(T(zh=f"用例超过 {MAX_CASES_PER_FILE} 个", en=f"more than {MAX_CASES_PER_FILE} cases"),
                            file=file, line=1, col=1)]
    cases, problems = [], []
    for index, entry in enumerate(data):
        try:
            raw = model.model_validate(entry)
        except ValidationError as exc:
            problems.extend(problems_from_validation_error(exc, locator, file, base_path=(index,), model=model))
            continue
        given = [key for key in FACT_KINDS if getattr(raw, key) is not None]
        line, col = locator.at((index,))
        keys = ", ".join(FACT_KINDS)
        if len(given) != 1:
            what = T(zh="没有给出", en="gives none") if not given else \
                T(zh=f"给出了 {len(given)} 个({', '.join(given)})", en=f"gives {len(given)} ({', '.join(given)})")
            problems.append(Problem(T(zh=f"每个用例要给出且只给出 {keys} 中的一个;这个用例{what.zh}",
                                      en=f"a case gives exactly one of {keys}; this one {what.en}"),
                                    file=file, line=line, col=col))
            continue
        if not (raw.fire or raw.not_fire or raw.contains or raw.not_contains):
            problems.append(Problem(T(zh="这个用例什么也不检查:请写 fire、not_fire 或 contains",
                                      en="this case checks nothing: give fire, not_fire or contains"),
                                    file=file, line=line, col=col))
            continue
        kind = FACT_KINDS[given[0]]
        value = getattr(raw, kind.key)
        fact, errs = _build(kind, value, locator, file, (index, kind.key))
        history = None
        if raw.history is not None:
            if not kind.history:
                hl, hc = locator.at((index, "history"))
                errs.append(Problem(T(zh=f"history 只用于 {', '.join(k for k, v in FACT_KINDS.items() if v.history)}",
                                      en=f"history applies to {', '.join(k for k, v in FACT_KINDS.items() if v.history)} only"),
                                    file=file, line=hl, col=hc, field="history"))
            else:
                history = []
                for h, item in enumerate(raw.history):
                    hist_fact, more = _build(kind, item, locator, file, (index, "history", h))
                    errs.extend(more)
                    if hist_fact is not None:
                        history.append(hist_fact)
        if errs:
            problems.extend(errs)
            continue
        cases.append(Case(file, index, raw.name, kind, value, fact, history, list(raw.fire), list(raw.not_fire),
                          list(raw.contains), list(raw.not_contains), raw.lang, locator))
    return cases, problems


def discover(paths) -> tuple[list[Path], list[Problem]]:
    """Test files from files and folders (a folder's *.yaml, else its tests/ folder's)."""
    files, problems = [], []
    for p in map(Path, paths):
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix in TEST_SUFFIXES and q.is_file())
            if not found and (p / "tests").is_dir():
                found = sorted(q for q in (p / "tests").iterdir() if q.suffix in TEST_SUFFIXES and q.is_file())
            files.extend(found)
        else:
            problems.append(Problem(T(zh="找不到这个文件或文件夹", en="no such file or folder"), file=str(p)))
    unique = list(dict.fromkeys(_nice(f) for f in files))
    return unique, problems


def _nice(path: Path) -> Path:
    """A path relative to the working folder when it is inside it, so reports stay short."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


# --- running ------------------------------------------------------------------------------------

@dataclass
class Failure:
    """One expectation that did not hold."""

    kind: str  # not_fired | disabled | fired | missing_text | unexpected_text
    rule_id: str | None = None
    miss: Miss | None = None
    behind: list[tuple[str, Miss]] = field(default_factory=list)  # signal rules that did not fire either
    held: list[Outcome] = field(default_factory=list)
    text: str | None = None
    lang: Lang = "en"
    advice: str = ""
    origin: str | None = None
    engine: str | None = None  # set when several engines ran

    def message(self, lang: Lang) -> str:
        prefix = f"[{self.engine}] " if self.engine else ""
        sep = ";" if lang == "zh" else "; "
        if self.kind == "not_fired":
            reason = self.miss.reason(lang) if self.miss else ""
            text = T(zh=f"{self.rule_id} 没有触发:{reason}", en=f"{self.rule_id} did not fire: {reason}").get(lang)
            for rule_id, miss in self.behind:
                text += T(zh=f"\n    ({rule_id} 也没有触发:{miss.reason(lang)})",
                          en=f"\n    ({rule_id} did not fire either: {miss.reason(lang)})").get(lang)
            return prefix + text
        if self.kind == "disabled":
            return prefix + T(zh=f"{self.rule_id} 没有触发:它已被关闭(enabled: false,{self.origin})",
                              en=f"{self.rule_id} did not fire: it is switched off (enabled: false, {self.origin})").get(lang)
        if self.kind == "fired":
            because = sep.join(o.sentence(lang) for o in self.held)
            return prefix + T(zh=f"{self.rule_id} 不应触发却触发了:{because}",
                              en=f"{self.rule_id} fired, but should not: {because}").get(lang)
        shown = " | ".join(self.advice.splitlines())
        shown = shown if len(shown) <= 300 else shown[:299] + "…"
        if self.kind == "missing_text":
            return prefix + T(zh=f"建议里没有「{self.text}」({self.lang});建议是:{shown or '(没有建议)'}",
                              en=f'the advice does not contain "{self.text}" ({self.lang}); it says: {shown or "(no advice)"}').get(lang)
        return prefix + T(zh=f"建议里不应出现「{self.text}」({self.lang})",
                          en=f'the advice should not contain "{self.text}" ({self.lang})').get(lang)

    def to_json(self, lang: Lang) -> dict:
        out = {"kind": self.kind, "message": self.message(lang)}
        if self.rule_id:
            out["rule_id"] = self.rule_id
        if self.miss is not None:
            out["conditions"] = [o.to_json(lang) for o in self.miss.blockers + self.miss.negated]
        if self.held:
            out["conditions"] = [o.to_json(lang) for o in self.held]
        if self.text is not None:
            out["text"] = self.text
        if self.engine:
            out["engine"] = self.engine
        return out


@dataclass
class CaseResult:
    case: Case
    status: str  # pass | fail | error
    fired: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    misses: dict[str, Miss] = field(default_factory=dict)  # every rule of the stage that did not fire
    held: dict[str, list[Outcome]] = field(default_factory=dict)  # fired rule -> the conditions that made it fire


@dataclass
class TestRun:
    results: list[CaseResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # files or cases that could not run
    files: list[str] = field(default_factory=list)
    engines: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.status == "pass" for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.status == "fail" for r in self.results)

    @property
    def errors(self) -> list[Problem]:
        found = self.problems + [p for r in self.results for p in r.problems]
        return sorted(found, key=lambda p: (p.file or "", p.line or 0, p.col or 0))

    def exit_code(self) -> int:
        """0 all pass, 1 failures, 2 something could not run (bad test file, unknown rule, nothing to run)."""
        if self.errors or not self.results:
            return 2
        return 1 if self.failed else 0


def _supporting(compiled, fired: list[str], fact: dict, rule_id: str) -> list[Outcome]:
    """The conditions that made a fired rule fire (true ones, and false ones under a `not`)."""
    full = final_fact(compiled, fired, fact)
    out = []
    for o in outcomes(compiled.info[rule_id], full):
        if o.result is None:
            continue
        if o.result is not o.source.under_not:
            out.append(o)
    return out


def _advice(findings, fact: dict, stage: str, ruleset, fired: list[str], lang: Lang) -> str:
    """Everything the advice says for this input, in `lang`: titles, explanations, actions, suggestions."""
    fields = STAGE_FIELDS.get(stage, {})
    parts: list[str] = []
    for f in findings:
        parts.append(f.render("title", fact, fields, lang) or "")
        parts.append(f.explanation(fact, fields, lang))
        parts.extend(f.render("actions", fact, fields, lang) or [])
        if f.rule.then.suggestion is not None:
            parts.append(f.render("suggestion", fact, fields, lang) or "")
    # Plan checklists also show the `ok` text of the items that are satisfied.
    fired_set = set(fired)
    for loaded in ruleset.active(stage):
        ok = loaded.rule.then.ok
        if ok is not None and loaded.id not in fired_set:
            ctx = text_context(fact, fields, (), lang)
            parts.append(render_text(ok.title.get(lang), ctx, lang).strip())
            if ok.explain is not None:
                parts.append(render_text(ok.explain.get(lang), ctx, lang).strip())
    return "\n".join(p for p in parts if p)


def _check_ids(case: Case, ruleset) -> list[Problem]:
    """Rule ids a case names must exist, and belong to the stage its input feeds."""
    out = []
    known = {r.id: r for r in ruleset.rules}
    for key in ("fire", "not_fire"):
        for i, rule_id in enumerate(getattr(case, key)):
            loaded = known.get(rule_id)
            if loaded is None:
                hint = did_you_mean(rule_id, known)
                out.append(case.problem(T(zh=f"没有 id 为 {rule_id} 的规则" + (f";{hint.zh}" if hint else ""),
                                          en=f"no rule with id {rule_id}" + (f"; {hint.en}" if hint else "")),
                                        (key, i)))
            elif loaded.rule.stage != case.kind.stage:
                out.append(case.problem(T(
                    zh=f"{rule_id} 是 {loaded.rule.stage} 阶段的规则,而这个用例给的是 {case.kind.key}({case.kind.stage} 阶段)",
                    en=f"{rule_id} is a {loaded.rule.stage} rule, but this case gives a {case.kind.key} ({case.kind.stage} rules)"),
                    (key, i)))
    return out


def run_case(case: Case, ruleset, engine: str | None = None) -> CaseResult:
    """Evaluate one case against `ruleset` and compare with its expectations."""
    problems = _check_ids(case, ruleset)
    if problems:
        return CaseResult(case, "error", problems=problems)
    stage = case.kind.stage
    baseline = Baseline(case.history, T(zh="用例的 history", en="the case's history")) if case.history else None
    with StageRunner(ruleset, stage, baseline=baseline, engine=engine) as runner:
        compiled, fired = runner.fired(case.fact)
        findings, misses = explain(compiled, fired, case.fact, origins=runner.origins, with_misses=True)
    by_id = {m.rule.id: m for m in misses}
    result = CaseResult(case, "pass", fired=list(fired), misses=by_id)
    for rule_id in fired:
        result.held[rule_id] = _supporting(compiled, fired, case.fact, rule_id)
    derivers: dict[str, list[str]] = {}
    for loaded in ruleset.active(stage):
        if loaded.rule.then.signal:
            derivers.setdefault(loaded.rule.then.signal, []).append(loaded.id)
    for rule_id in case.fire:
        if rule_id in fired:
            continue
        loaded = ruleset.get(rule_id)
        if not loaded.rule.enabled:
            line = loaded.position()[0]
            result.failures.append(Failure("disabled", rule_id, origin=f"{loaded.file}:{line}" if line else loaded.file))
            continue
        miss = by_id.get(rule_id)
        result.failures.append(Failure("not_fired", rule_id, miss=miss, behind=_behind(miss, by_id, derivers)))
    for rule_id in case.not_fire:
        if rule_id in fired:
            result.failures.append(Failure("fired", rule_id, held=result.held[rule_id]))
    if case.contains or case.not_contains:
        try:
            advice = _advice(findings, case.fact, stage, ruleset, fired, case.lang)
        except (TemplateError, AdvisorError) as exc:
            result.problems.append(case.problem(T(zh=f"建议文字无法渲染:{exc}", en=f"the advice cannot be rendered: {exc}")))
            result.status = "error"
            return result
        folded = advice.casefold()
        for text in case.contains:
            if text.casefold() not in folded:
                result.failures.append(Failure("missing_text", text=text, lang=case.lang, advice=advice))
        for text in case.not_contains:
            if text.casefold() in folded:
                result.failures.append(Failure("unexpected_text", text=text, lang=case.lang, advice=advice))
    if result.failures:
        result.status = "fail"
    return result


def _behind(miss: Miss | None, by_id: dict[str, Miss], derivers: dict[str, list[str]], depth: int = 0) -> list:
    """For a miss blocked by a signal: the signal's rules that did not fire, and why (recursively)."""
    if miss is None or depth > 4:
        return []
    out = []
    for o in miss.blockers:
        if o.source.signal is None or o.result is not False:
            continue
        for rule_id in derivers.get(o.source.signal, []):
            inner = by_id.get(rule_id)
            if inner is not None:
                out.append((rule_id, inner))
                out.extend(_behind(inner, by_id, derivers, depth + 1))
    return out


def _merge(results: list[tuple[str, CaseResult]]) -> CaseResult:
    """One case run on several engines: it passes when it passes on each."""
    first = results[0][1]
    if len(results) == 1:
        return first
    merged = CaseResult(first.case, "pass", fired=first.fired, misses=first.misses, held=first.held)
    same = all([f.message("en") for f in res.failures] == [f.message("en") for f in first.failures]
               and res.fired == first.fired for _, res in results)
    for engine, res in results:
        if same and res is not first:
            continue  # the engines agree: say it once
        for failure in res.failures:
            failure.engine = None if same else engine
            merged.failures.append(failure)
        merged.problems.extend(p for p in res.problems if p not in merged.problems)
    merged.status = "error" if merged.problems else ("fail" if merged.failures else "pass")
    return merged


def is_under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def run_rule_tests(paths=None, *, ruleset, shipped_ruleset=None, engines=(None,)) -> TestRun:
    """Run rule test files: `paths` (files/folders), or else every tests/ folder of the rule set.

    Test files under the shipped rules folder run against `shipped_ruleset` (the shipped rules
    as shipped) when it is given; all others against `ruleset`. `engines`: each case runs on
    each engine (None: the default one) and passes only when it passes on all.
    """
    run = TestRun(engines=[e or "default" for e in engines])
    files, run.problems = discover(paths if paths else ruleset.test_dirs())
    shipped_dir = shipped_rules()
    for path in files:
        run.files.append(str(path))
        cases, problems = load_test_file(path)
        run.problems.extend(problems)
        target = shipped_ruleset if shipped_ruleset is not None and is_under(path, shipped_dir) else ruleset
        for case in cases:
            run.results.append(_merge([(e or "default", run_case(case, target, e)) for e in engines]))
    if not files and not run.problems:
        where = ", ".join(str(p) for p in (paths or ruleset.test_dirs())) or \
            ", ".join(str(f / "tests") for f in ruleset.folders)
        run.problems.append(Problem(T(zh=f"没有找到规则测试文件(在 {where})", en=f"no rule test files found (in {where})")))
    return run


# --- reports ------------------------------------------------------------------------------------

def run_json(run: TestRun, lang: Lang) -> dict:
    cases = []
    for r in run.results:
        entry = {"file": r.case.file, "line": r.case.line, "name": r.case.name, "status": r.status,
                 "fire": r.case.fire, "not_fire": r.case.not_fire, "fired": r.fired,
                 "failures": [f.to_json(lang) for f in r.failures]}
        if r.problems:
            entry["errors"] = [p.to_json(lang) for p in r.problems]
        cases.append(entry)
    return {
        "summary": {"passed": run.passed, "failed": run.failed, "errors": len(run.errors), "files": len(run.files),
                    "engines": run.engines, "exit_code": run.exit_code()},
        "cases": cases,
        "errors": [p.to_json(lang) for p in run.problems],
    }


for _spec in STAGES.values():
    register_fact_kind(stage_fact_kind(_spec))
