"""What `rules check` proves before any run: every rule text renders, every rule fits the engine.

- Texts: each rule text with a `{` is checked statically (constant repetitions, powers, ranges and
  widths past the sandbox's limits; a macro that calls itself) and then rendered, in both
  languages, against sample facts of its stage: every field present with a plausible value of
  its kind, and every field absent except those the rule's own conditions test (what a rule that
  fires on a video with missing data sees). A text that fails there would fail a run.
- Engine: each stage's active rules are compiled and put through durable_rules' limit model
  (advisor.engine.durable_limits). A rule set too large for durable runs on the Python reference
  evaluator with a one-line notice (advisor.engine.evaluate), so this is a notice, not a problem,
  unless advisor.yaml asks for `engine: durable` by name.
"""

from __future__ import annotations

from jinja2 import nodes

from advisor.core.errors import Problem
from advisor.core.i18n import T
from advisor.core.templating import TEXT_LIMITS, RenderError, environment, render_text
from advisor.engine import durable_limit_error
from advisor.engine.compiler import compile_rules
from advisor.input.ruleset import LoadedRule, RuleSet
from advisor.model.rules_model import MetricCondition, leaf_conditions, rule_texts
from advisor.model.stages import STAGES

SAMPLE_BY_KIND = {"count": 1234, "rate": 0.0456, "seconds": 12.5, "ratio": 1.5, "bool": True,
                  "enum": "sample", "text": "sample text", "date": "2025-01-06"}


def sample_value(kind: str):
    return SAMPLE_BY_KIND.get(kind, "sample")


def sample_contexts(loaded: LoadedRule) -> list[dict]:
    """The contexts a rule's texts are rendered against: every field present; only the fields
    its conditions test present (the rest None)."""
    rule = loaded.rule
    fields = STAGES[rule.stage].fields
    tested = {c.metric for _, c in leaf_conditions(rule.when) if isinstance(c, MetricCondition)}
    levelled = {c.metric for _, c in leaf_conditions(rule.when) if isinstance(c, MetricCondition) and c.level}
    full = {name: sample_value(info.kind) for name, info in fields.items()}
    sparse = {name: (value if name in tested else None) for name, value in full.items()}
    out = []
    for values in (full, sparse):
        ctx = dict(values)
        ctx["thresholds"] = {m: sample_value(fields[m].kind) if m in fields else 1.0 for m in levelled}
        ctx["sources"] = {m: "sample source" for m in levelled}
        ctx["strength"] = "strong"
        out.append(ctx)
    return out


def static_problems(source: str) -> list[T]:
    """What the bounded sandbox would refuse whatever the data: constants past its limits, and
    macros that call themselves."""
    try:
        tree = environment("en").parse(source)
    except Exception:
        return []  # a syntax error: reported by the semantic checks
    limits = TEXT_LIMITS
    out: list[T] = []

    def const(node):
        return node.value if isinstance(node, nodes.Const) else None

    for node in tree.find_all((nodes.Mul, nodes.Pow)):
        left, right = const(node.left), const(node.right)
        if left is None or right is None:
            continue
        if isinstance(node, nodes.Mul):
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > limits.size:
                    out.append(T(zh=f"重复后超过 {limits.size} 个字符", en=f"a repetition longer than {limits.size} characters"))
        elif isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0 \
                and left.bit_length() * right > limits.int_bits:
            out.append(T(zh=f"乘方结果超过 {limits.int_bits} 位", en=f"a power larger than {limits.int_bits} bits"))
    for node in tree.find_all(nodes.Call):
        if isinstance(node.node, nodes.Name) and node.node.name == "range":
            for arg in node.args:
                value = const(arg)
                if isinstance(value, int) and abs(value) > 100_000:
                    out.append(T(zh="range 超过 100000 项", en="a range of more than 100000 items"))
    for node in tree.find_all(nodes.Filter):
        if node.name in ("center", "indent", "wordwrap", "truncate", "batch", "slice"):
            for arg in node.args:
                value = const(arg)
                if isinstance(value, int) and abs(value) > limits.width:
                    out.append(T(zh=f"宽度 {value} 超过 {limits.width}", en=f"a width of {value} (more than {limits.width})"))
    for macro in tree.find_all(nodes.Macro):
        for call in macro.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == macro.name:
                out.append(T(zh=f"宏 {macro.name} 调用了自己", en=f"the macro {macro.name} calls itself"))
                break
    return list(dict.fromkeys(out))


def text_problems(ruleset: RuleSet) -> list[Problem]:
    """Every rule text that the bounded sandbox would refuse or fail on, located at the text."""
    out: list[Problem] = []
    for loaded in ruleset.rules:
        contexts = None
        for path, text in rule_texts(loaded.rule, notes=False):
            for lang in ("zh", "en"):
                source = text.get(lang)
                if "{" not in source:
                    continue
                where = path + (lang,)
                found = static_problems(source)
                if not found:
                    contexts = contexts or sample_contexts(loaded)
                    for ctx in contexts:
                        try:
                            render_text(source, ctx, lang)
                        except RenderError as exc:
                            found.append(exc.message)
                            break
                for message in found:
                    out.append(loaded.problem(T(zh=f"规则 {loaded.id} 的文字无法显示:{message.zh}",
                                                en=f"the text of rule {loaded.id} cannot be rendered: {message.en}"),
                                              where))
    return out


def engine_problems(ruleset: RuleSet) -> list[Problem]:
    """Rules past durable_rules' limits, located at their `when` (one per rule)."""
    out: list[Problem] = []
    by_id = {r.id: r for r in ruleset.rules}
    for stage in STAGES:
        active = ruleset.active(stage)
        if not active:
            continue
        try:
            compiled = compile_rules([r.rule for r in active], ruleset.levels, None, None)
        except Exception:  # reported by the semantic checks (levels, signals)
            continue
        exc = durable_limit_error(compiled.program)
        if exc is None:
            continue
        for rule_id in exc.rule_ids:
            loaded = by_id.get(rule_id)
            for p in exc.problems:
                out.append(loaded.problem(p.message, ("when",)) if loaded is not None else p)
    return list(dict.fromkeys(out))
