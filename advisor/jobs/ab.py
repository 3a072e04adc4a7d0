"""A/B comparison of two variants (H12): which one wins on which signal, and how sure we are.

A variant is one or more videos: a whole file, or the rows of one export picked by their
`variant` column (实验组) or by id. Each signal (like rate, heart rate, completion, follow-up
interaction) is compared with advisor.stats; the advice on each comparison comes from the
`experiment` stage rules (rules/goals.yaml), evaluated like every other rule.

run_ab() is the library function behind `advisor ab`; ab_json() is its report (advisor.render.emit
renders it as text or Markdown through templates/ab/), and advisor.jobs.notebook writes its conclusion into an operations notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from advisor.stats import proportions as stats
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import Lang, T
from advisor.model.metrics import FieldInfo, MetricSpec, VideoMetrics, metric_view
from advisor.model.stage_fields import EXPERIMENT_FIELDS

if TYPE_CHECKING:  # the evaluator imports advisor.model.stages, which imports this module's fields
    from advisor.input.ruleset import RuleSet

STAGE = "experiment"


# A signal is a rate compared between variants, events over views: a registry metric of the
# `ab` view (advisor.model.metrics), read through .name, .label, .family and .needs (the
# VideoMetrics fields a video must have to count).
Signal = MetricSpec
SIGNALS: Mapping[str, Signal] = metric_view("ab")



# --- variants ---------------------------------------------------------------------------------------


@dataclass
class Variant:
    """One arm of the test: its videos, summed."""

    key: str  # "a" or "b"
    label: str  # what the operator called it: a variant label, an id, or a file name
    source: str  # where it came from
    videos: list[VideoMetrics]

    @property
    def views(self) -> int:
        return sum(v.views or 0 for v in self.videos)

    def counts(self, signal: Signal) -> tuple[int, int] | None:
        """(events, views) over the videos that have every field the signal needs; None if none do."""
        usable = [v for v in self.videos if all(getattr(v, f) is not None for f in signal.needs)]
        if not usable:
            return None
        views = sum(v.views for v in usable)
        if signal.formula is None:
            # An exported rate (completion): events per video, rounded; the test needs counts.
            events = sum(round(getattr(v, signal.name) * v.views) for v in usable)
        else:
            events = sum(sum(getattr(v, f) for f in signal.numerator) for v in usable)
        return events, views

    def to_json(self) -> dict:
        return {"label": self.label, "source": self.source, "videos": [v.id for v in self.videos],
                "views": self.views}


def pick_variants(a: str, b: str, *, source: str | None = None, profile=None, profile_dirs=None,
                  stdin=None) -> tuple[Variant, Variant, list[Problem], list]:
    """The two variants: two files, or (with `source`) two labels of its `variant` column or ids.

    Returns (A, B, problems of the rows not imported, importers.FileInfo per file read).
    Raises AdvisorError when a variant cannot be found or holds no video.
    """
    from advisor.input.importers import load_videos

    if source is not None:
        imported = load_videos([source], profile=profile, profile_dirs=profile_dirs, stdin=stdin)
        variants = [_select(key, label, imported.videos, source) for key, label in (("a", a), ("b", b))]
        problems, files = imported.problems, imported.files
    else:
        if a == b:
            raise AdvisorError([Problem(T(zh="A 和 B 是同一个文件:请给出两个变体的文件,或用 --from 从一个导出里按实验组选取",
                                          en="A and B are the same file: give one file per variant, or pick rows "
                                             "from one export with --from"), file=a)])
        variants, problems, files = [], [], []
        for key, path in (("a", a), ("b", b)):
            imported = load_videos([path], profile=profile, profile_dirs=profile_dirs, stdin=stdin)
            problems.extend(imported.problems)
            files.extend(imported.files)
            if not imported.videos:
                raise AdvisorError(problems + [Problem(T(zh="这个文件里没有可用的视频", en="no usable video in this file"),
                                                       file=path)])
            variants.append(Variant(key, Path(path).stem if path != "-" else "stdin", path, imported.videos))
    return variants[0], variants[1], problems, files


def _select(key: str, label: str, videos: list[VideoMetrics], source: str) -> Variant:
    by_variant = [v for v in videos if v.variant == label]
    if by_variant:
        return Variant(key, label, f"{source} (variant = {label})", by_variant)
    by_id = [v for v in videos if v.id == label]
    if by_id:
        return Variant(key, label, f"{source} (id = {label})", by_id)
    labels = sorted({v.variant for v in videos if v.variant})
    hint = did_you_mean(label, labels + [v.id for v in videos])
    known_zh = f"文件里的实验组:{', '.join(labels)}" if labels else "文件里没有实验组(variant / 实验组)列"
    known_en = f"variants in the file: {', '.join(labels)}" if labels else "the file has no variant (实验组) column"
    message = T(zh=f"找不到实验组或视频ID「{label}」;{known_zh}" + (f";{hint.zh}" if hint else ""),
                en=f"no variant or video id '{label}'; {known_en}" + (f"; {hint.en}" if hint else ""))
    raise AdvisorError([Problem(message, file=source, field="variant")])


# --- comparing ----------------------------------------------------------------------------------------


@dataclass
class Comparison:
    signal: Signal
    result: stats.RateComparison
    fact: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)  # advisor.engine.explain.Finding


@dataclass
class NotCompared:
    signal: Signal
    missing: list[str]  # "a" and/or "b": the variants without the data


@dataclass
class ABResult:
    a: Variant
    b: Variant
    method: str
    alpha: float
    power: float
    min_lift: float
    comparisons: list[Comparison]
    not_compared: list[NotCompared]
    problems: list[Problem] = field(default_factory=list)
    files: list = field(default_factory=list)
    engine: str = "python"

    def wins(self, key: str) -> list[str]:
        return [c.signal.name for c in self.comparisons if c.result.winner == key]

    @property
    def split(self) -> bool:
        """Each variant wins at least one signal: no variant is simply better."""
        return bool(self.wins("a")) and bool(self.wins("b"))

    def label(self, key: str) -> str:
        variant = self.a if key == "a" else self.b
        if variant.label.strip().upper() == key.upper():
            return key.upper()
        return f"{key.upper()} ({variant.label})"

    @property
    def status(self) -> int:
        return 1 if self.problems else 0


def compare_variants(a: Variant, b: Variant, ruleset: "RuleSet", *, method: str = "z", alpha: float = stats.ALPHA,
                     power: float = stats.POWER, min_lift: float = stats.MIN_LIFT, engine: str | None = None,
                     problems: list[Problem] | None = None, files: list | None = None) -> ABResult:
    """Compare every signal both variants have data for, and run the experiment-stage rules."""
    from advisor.engine import default_engine
    from advisor.engine.evaluate import StageRunner

    comparisons, not_compared = [], []
    for signal in SIGNALS.values():
        ca, cb = a.counts(signal), b.counts(signal)
        if ca is None or cb is None:
            not_compared.append(NotCompared(signal, [k for k, c in (("a", ca), ("b", cb)) if c is None]))
            continue
        unusable = [k for k, c in (("a", ca), ("b", cb)) if c[1] == 0 or c[0] > c[1]]
        if unusable:  # no views, or more events than views (a rate above 100%: bad data)
            not_compared.append(NotCompared(signal, unusable))
            continue
        result = stats.compare_rates(ca[0], ca[1], cb[0], cb[1], method=method, alpha=alpha, power=power,
                                     min_lift=min_lift)
        comparisons.append(Comparison(signal, result))
    out = ABResult(a, b, method, alpha, power, min_lift, comparisons, not_compared, list(problems or []),
                   list(files or []), engine or default_engine())
    with StageRunner(ruleset, STAGE, engine=engine) as runner:
        for comparison in comparisons:
            comparison.fact = comparison_fact(comparison.signal, comparison.result, wins_a=len(out.wins("a")),
                                              wins_b=len(out.wins("b")))
            _, comparison.findings, _ = runner.run(comparison.fact)
    return out


def comparison_fact(signal: Signal, r: stats.RateComparison, *, wins_a: int, wins_b: int) -> dict:
    """The fact the experiment-stage rules see for one compared signal (present values only)."""
    fact = {
        "metric": signal.name, "family": signal.family,
        "a": r.rate_a, "b": r.rate_b, "diff": r.diff, "lift": r.lift,
        "verdict": r.verdict, "winner": r.winner, "decided": r.winner is not None,
        "confidence": r.confidence, "p_value": r.p_value, "prob_b_beats_a": r.prob_b_beats_a,
        "views_a": r.n_a, "views_b": r.n_b, "views_needed": r.views_needed,
        "views_needed_a": r.more_views_a if r.winner is None else None,
        "views_needed_b": r.more_views_b if r.winner is None else None,
        "required_views": r.required_per_variant,
        "split": wins_a > 0 and wins_b > 0, "wins_a": wins_a, "wins_b": wins_b,
    }
    return {k: v for k, v in fact.items() if v is not None}


def display_fields(fact: dict, result: ABResult | None, lang: Lang) -> dict:
    """The fact plus the display texts rule texts may use, in `lang`."""
    out = dict(fact)
    signal = SIGNALS.get(fact.get("metric", ""))
    out["metric_label"] = signal.label.get(lang) if signal else fact.get("metric", "")
    label = (lambda k: result.label(k)) if result is not None else (lambda k: k.upper())
    out["label_a"], out["label_b"] = label("a"), label("b")
    winner = fact.get("winner")
    if winner in ("a", "b"):
        other = "b" if winner == "a" else "a"
        out["winner_label"], out["loser_label"] = label(winner), label(other)
        if result is not None:
            names = [SIGNALS[n].label.get(lang) for n in result.wins(other)]
            out["other_wins"] = ("、" if lang == "zh" else ", ").join(names)
    for key in ("winner_label", "loser_label", "other_wins"):
        out.setdefault(key, "")
    return out


# --- reports ----------------------------------------------------------------------------------------


def _round(value, digits: int = 6):
    return None if value is None else round(value, digits)


def comparison_json(c: Comparison, result: ABResult, lang: Lang) -> dict:
    r = c.result
    shown = display_fields(c.fact, result, lang)
    return {
        "metric": c.signal.name,
        "a": _round(r.rate_a),
        "b": _round(r.rate_b),
        "winner": r.winner,
        "confidence": _round(r.confidence, 4),
        "views_needed": r.views_needed,
        "verdict": r.verdict,
        "label": c.signal.label.get(lang),
        "family": c.signal.family,
        "diff": _round(r.diff),
        "lift": _round(r.lift, 4),
        "p_value": None if r.p_value is None else float(f"{r.p_value:.4g}"),
        "z": _round(r.z, 4),
        "prob_b_beats_a": _round(r.prob_b_beats_a, 4),
        "sample": {"a": {"views": r.n_a, "events": r.x_a}, "b": {"views": r.n_b, "events": r.x_b}},
        "views_needed_a": r.more_views_a if r.winner is None else None,
        "views_needed_b": r.more_views_b if r.winner is None else None,
        "required_views_per_variant": r.required_per_variant,
        "required_basis": r.required_basis,
        "findings": [f.to_json(shown, EXPERIMENT_FIELDS, lang) for f in c.findings],
    }


def ab_json(result: ABResult, lang: Lang) -> dict:
    return {
        "variants": {"a": result.a.to_json(), "b": result.b.to_json()},
        "method": result.method,
        "alpha": result.alpha,
        "power": result.power,
        "min_lift": result.min_lift,
        "comparisons": [comparison_json(c, result, lang) for c in result.comparisons],
        "not_compared": [{"metric": n.signal.name, "label": n.signal.label.get(lang), "missing_in": n.missing,
                          "reason": not_compared_reason(n, lang)} for n in result.not_compared],
        "wins": {"a": result.wins("a"), "b": result.wins("b")},
        "split": result.split,
        "conclusion": conclusion(result, lang),
        "engine": result.engine,
        "errors": [p.to_json(lang) for p in result.problems],
    }


def not_compared_reason(n: NotCompared, lang: Lang) -> str:
    fields = "、".join(n.signal.needs) if lang == "zh" else ", ".join(n.signal.needs)
    which = " / ".join(k.upper() for k in n.missing)
    return T(zh=f"{which} 组的数据缺少 {fields},或播放量为 0,或互动数超过播放量,无法比较",
             en=f"variant {which} lacks {fields}, has no views, or has more events than views, "
                f"so it cannot be compared").get(lang)


def _pp(diff: float, lang: Lang) -> str:
    unit = "个百分点" if lang == "zh" else " pp"
    return f"{diff * 100:+.2f}{unit}"


def _pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def show_confidence(value: float | None) -> str:
    """99.3%; never "100.0%": a test is never certain, so values that would round up read >99.9%."""
    if value is None:
        return "n/a"
    return ">99.9%" if value > 0.999 else f"{value * 100:.1f}%"


def winner_lift(r: stats.RateComparison) -> float | None:
    """How much higher the winner's rate is than the other's, relative (0.6 = 60% higher)."""
    if r.winner is None:
        return None
    hi, lo = (r.rate_b, r.rate_a) if r.winner == "b" else (r.rate_a, r.rate_b)
    return hi / lo - 1 if lo else None


def verdict_sentence(c: Comparison, result: ABResult, lang: Lang) -> str:
    """One line per signal: who won, by how much, how sure, on how many views; or what is missing."""
    r = c.result
    name = c.signal.label.get(lang)
    name = name[:1].upper() + name[1:]  # it starts the line
    rates = f"A {_pct(r.rate_a)} · B {_pct(r.rate_b)}"
    views = T(zh=f"播放 {r.n_a:,} + {r.n_b:,}", en=f"{r.n_a:,} + {r.n_b:,} views").get(lang)
    if r.winner is not None:
        lift = winner_lift(r)
        rel_zh = f",相对高 {lift:.0%}" if lift is not None else ""
        rel_en = f", {lift:.0%} higher" if lift is not None else ""
        return T(zh=f"{name}:{result.label(r.winner)} 胜出({rates},{_pp(abs(r.diff), lang)}{rel_zh},"
                    f"置信度 {show_confidence(r.confidence)},{views})",
                 en=f"{name}: {result.label(r.winner)} wins ({rates}, {_pp(abs(r.diff), lang)}{rel_en}, "
                    f"confidence {show_confidence(r.confidence)}, {views})").get(lang)
    if r.verdict == "tie":
        return T(zh=f"{name}:两组没有值得行动的差别({rates},{views};样本已足以发现 {result.min_lift:.0%} 的相对差异)",
                 en=f"{name}: no difference worth acting on ({rates}, {views}; the samples could have shown a "
                    f"{result.min_lift:.0%} relative difference)").get(lang)
    if r.views_needed is None:
        return T(zh=f"{name}:两组都没有发生这种互动,无法判断({views})",
                 en=f"{name}: neither variant has any of these events, so nothing can be told ({views})").get(lang)
    conf = show_confidence(r.confidence)
    basis = T(zh=f"(按发现 {result.min_lift:.0%} 的相对差异估算)", en=f" (to detect a {result.min_lift:.0%} relative difference)") \
        if r.required_basis == "min_lift" else T(zh="", en="")
    return T(zh=f"{name}:数据还不够,暂不判定胜负({rates},置信度 {conf},{views});"
                f"A 组约还需 {r.more_views_a:,} 次播放,B 组约还需 {r.more_views_b:,} 次{basis.zh}",
             en=f"{name}: too few views to call ({rates}, confidence {conf}, {views}); "
                f"about {r.more_views_a:,} more views for A and {r.more_views_b:,} for B{basis.en}").get(lang)


def conclusion(result: ABResult, lang: Lang) -> str:
    """The test's conclusion in one paragraph: what is settled and what is not."""
    sep = ";" if lang == "zh" else "; "
    end = "。" if lang == "zh" else "."
    lines = [verdict_sentence(c, result, lang) for c in result.comparisons]
    text = sep.join(lines) + end if lines else T(zh="没有可比较的信号。", en="No signal could be compared.").get(lang)
    if result.split:
        text += T(zh="两组各有胜项:选哪一组,取决于下一条视频要的是曝光还是关系。",
                  en=" Each variant wins a different signal: pick by what the next video is for, reach or relationship.").get(lang)
    return text


def run_ab(a: str, b: str, ruleset: "RuleSet", *, source: str | None = None, profile=None, method: str = "z",
           alpha: float = stats.ALPHA, power: float = stats.POWER, min_lift: float = stats.MIN_LIFT,
           engine: str | None = None, stdin=None) -> ABResult:
    """`advisor ab` as a function: pick the two variants, compare them, run the experiment rules."""
    va, vb, problems, files = pick_variants(a, b, source=source, profile=profile,
                                            profile_dirs=ruleset.profile_dirs(), stdin=stdin)
    return compare_variants(va, vb, ruleset, method=method, alpha=alpha, power=power, min_lift=min_lift,
                            engine=engine, problems=problems, files=files)
