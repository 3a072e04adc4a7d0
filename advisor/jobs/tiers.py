"""Audience tiers (H09, H19): active likers, core heart-givers, and everyone else.

The input is a small per-viewer table an operator may keep from their own community tools:
viewer id, likes, hearts, and optionally comments and visits (zh or en headers). Each viewer
becomes a fact of the `segment` stage; the tier rules (rules/segments.yaml) sort them, with
thresholds that are levels in rules/levels.yaml: percentiles of this viewer population once it
is large enough, absolute numbers before. Each tier then becomes a fact of its own, and the
tier rules give the actions for it.

Personal data: only the id column is ever read back out. Other columns (names, phone numbers)
are not parsed, and problems name the row and column of a bad cell without echoing its value.

load_viewers() reads the table; assign_tiers() is the library function behind `advisor tiers`;
tiers_json() is its report (rendered by advisor.render.emit through templates/tiers/).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.model.metrics import FieldInfo
from advisor.model.stage_fields import SEGMENT_FIELDS
from advisor.input.sources import read_bytes
from advisor.input.ruleset import RuleSet
from advisor.input.profiles import norm_header
from advisor.input.importers import decode, read_table
from advisor.input.values import EXPECT_COUNT, ValueProblem, parse_count, parse_id
from advisor.engine import default_engine
from advisor.engine.evaluate import StageRunner
from advisor.model.levels import Baseline
from advisor.engine.explain import FACT_KIND


STAGE = "segment"
MAX_BYTES = 50_000_000
TIERS = ("core_heart_givers", "active_likers", "others")
# The signals the viewer rules derive, and the tier each one puts a viewer in (first wins).
TIER_SIGNALS = {"core_heart_giver": "core_heart_givers", "active_liker": "active_likers"}
TIER_LABELS = {
    "core_heart_givers": T(zh="核心小红心粉丝", en="core heart-givers"),
    "active_likers": T(zh="活跃点赞者", en="active likers"),
    "others": T(zh="其他观众", en="everyone else"),
}

# Header names per field, compared after advisor.input.profiles.norm_header (width, case, spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("viewer_id", "viewer", "id", "观众ID", "观众", "用户ID", "粉丝ID", "viewer id", "user_id"),
    "likes": ("likes", "like", "点赞", "点赞数", "点赞次数"),
    "hearts": ("hearts", "heart", "小红心", "小红心数", "小红心次数", "红心"),
    "comments": ("comments", "comment", "评论", "评论数", "评论次数"),
    "visits": ("visits", "visit", "访问", "访问次数", "回访", "回访次数", "观看次数"),
}
REQUIRED = ("id", "likes", "hearts")


class Viewer(BaseModel):
    """One viewer's interactions over the period the table covers."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="The viewer's id, as the operator's tool gives it.")
    likes: int = Field(ge=0, description="👍 likes given.")
    hearts: int = Field(ge=0, description="♡ hearts given.")
    comments: Optional[int] = Field(None, ge=0, description="Comments written.")
    visits: Optional[int] = Field(None, ge=0, description="Visits or return views.")

    def to_fact(self) -> dict:
        fact = {"kind": "viewer", "id": self.id, "likes_given": self.likes, "hearts_given": self.hearts,
                "interactions": self.likes + self.hearts + (self.comments or 0)}
        if self.comments is not None:
            fact["comments_made"] = self.comments
        if self.visits is not None:
            fact["visits"] = self.visits
        if self.likes + self.hearts:
            fact["heart_share"] = self.hearts / (self.likes + self.hearts)
        return fact




# --- reading the viewers table -------------------------------------------------------------------------


@dataclass
class ViewersFile:
    path: str
    viewers: list[Viewer]
    problems: list[Problem]
    columns: dict[str, str]  # field -> the header as written
    unused_columns: list[str]  # headers not read (their cells are never parsed or shown)
    rows: int = 0


def _norm(name: str) -> str:

    return norm_header(name)


_LOOKUP = {_norm(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def load_viewers(path: str | Path, *, stdin=None) -> ViewersFile:
    """Read a viewers table (CSV/TSV, UTF-8 or GB18030). Bad rows are listed, good rows kept.

    Raises AdvisorError when the file cannot be used at all (not found, no header, a required
    column missing).
    """

    data, name = read_bytes(path, max_bytes=MAX_BYTES, stdin=stdin)
    table = read_table(decode(data, name)[0], name)
    header, header_line = table.header, table.header_line
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    unused: list[str] = []
    for index, cell in enumerate(header):
        fname = _LOOKUP.get(_norm(cell))
        if fname is None:
            if cell.strip():
                unused.append(cell.strip())
            continue
        if fname in columns:
            raise AdvisorError([Problem(T(zh=f"两列都表示 {fname}:「{written[fname]}」和「{cell.strip()}」;请只保留一列",
                                          en=f"two columns mean {fname}: '{written[fname]}' and '{cell.strip()}'; keep one"),
                                        file=name, line=header_line, column=cell.strip())])
        columns[fname] = index
        written[fname] = cell.strip()
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        expected = "; ".join(f"{f}: {' / '.join(COLUMNS[f][:4])}" for f in missing)
        raise AdvisorError([Problem(T(zh=f"缺少必需的列 {', '.join(missing)}(可用列名 {expected});可选列:comments(评论)、visits(访问)",
                                      en=f"missing required column(s) {', '.join(missing)} (accepted names {expected}); "
                                         f"optional: comments, visits"), file=name, line=header_line)])
    viewers: list[Viewer] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    rows = 0
    while True:
        try:
            number, line, row = next(table.rows)
        except StopIteration:
            break
        except AdvisorError as exc:  # a malformed line ends the table; the rows above it are kept
            problems.extend(exc.problems)
            break
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        values: dict = {}
        bad = False
        for fname, index in columns.items():
            cell = row[index] if index < len(row) else ""
            try:
                value = parse_id(cell) if fname == "id" else parse_count(cell)
            except ValueProblem:
                # The expectation only, never the cell's content (it might be personal data).
                expected = T(zh="应为观众ID", en="expected a viewer id") if fname == "id" else EXPECT_COUNT
                problems.append(Problem(expected, file=name, line=line, row=number, column=written[fname], field=fname))
                bad = True
                continue
            if value is None and fname in REQUIRED:
                problems.append(Problem(T(zh="缺少数值", en="missing value"), file=name, line=line, row=number,
                                        column=written[fname], field=fname))
                bad = True
                continue
            if value is not None:
                values[fname] = value
        if bad:
            continue
        if len(values["id"]) > 200:
            problems.append(Problem(T(zh="观众ID超过 200 个字符", en="viewer id longer than 200 characters"), file=name,
                                    line=line, row=number, column=written["id"], field="id"))
            continue
        if values["id"] in seen:
            problems.append(Problem(T(zh=f"观众ID重复:已在第 {seen[values['id']]} 行出现,保留第一次,本行未计入",
                                      en=f"duplicate viewer id: already in row {seen[values['id']]}; the first is kept, "
                                         f"this row is not counted"),
                                    file=name, line=line, row=number, column=written["id"], field="id"))
            continue
        seen[values["id"]] = number
        viewers.append(Viewer(**values))
    return ViewersFile(name, viewers, problems, written, unused, rows)


# --- tiers ---------------------------------------------------------------------------------------------


@dataclass
class ThresholdLine:
    """One condition of a tier rule, resolved for this population."""

    rule_id: str
    metric: str | None
    op: str
    value: object
    kind: str  # percentile | absolute | rule | signal
    percentile: float | None = None
    n: int | None = None
    signal: str | None = None
    negated: bool = False

    def describe(self, lang: Lang) -> str:
        if self.signal is not None:
            tier = TIER_LABELS.get(TIER_SIGNALS.get(self.signal, ""), T(zh=self.signal, en=self.signal))
            return T(zh=f"不属于{tier.zh}", en=f"not among the {tier.en}").get(lang) if self.negated else tier.get(lang)
        label = SEGMENT_FIELDS[self.metric].label.get(lang) if self.metric in SEGMENT_FIELDS else self.metric
        value = f"{self.value:g}" if isinstance(self.value, (int, float)) else str(self.value)
        op = {">=": "≥", "<=": "≤"}.get(self.op, self.op)
        exact = ""
        if self.op == ">=" and isinstance(self.value, float) and not self.value.is_integer():
            # Counts are whole numbers: "≥ 4.1" means at least 5; say that, and keep the percentile value.
            exact, value = f" = {value}", f"{math.ceil(self.value)}"
        if self.kind == "percentile":
            where = T(zh=f"这 {self.n} 位观众的 P{self.percentile:g}{exact}", en=f"P{self.percentile:g} of these {self.n} viewers{exact}")
        elif self.kind == "absolute":
            where = T(zh="默认值(观众太少,未用百分位)", en="default (too few viewers for a percentile)")
        else:
            where = T(zh="规则设定的下限", en="floor set in the rule")
        return f"{label} {op} {value} ({where.get(lang)})" if lang == "en" else f"{label} {op} {value}({where.get(lang)})"


@dataclass
class Tier:
    name: str
    viewers: list[Viewer]
    fact: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)


@dataclass
class TiersResult:
    file: ViewersFile
    tiers: list[Tier]
    thresholds: dict[str, list[ThresholdLine]]  # tier -> the conditions that put a viewer in it
    engine: str = "python"

    @property
    def population(self) -> int:
        return len(self.file.viewers)

    @property
    def status(self) -> int:
        return 1 if self.file.problems else 0


def _avg(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def tier_fact(name: str, members: list[Viewer], everyone: list[Viewer]) -> dict:
    total_hearts = sum(v.hearts for v in everyone)
    total_likes = sum(v.likes for v in everyone)
    fact = {
        "kind": "tier", "tier": name, "viewers": len(members), "population": len(everyone),
        "share": len(members) / len(everyone) if everyone else None,
        "with_hearts": sum(1 for v in members if v.hearts > 0),
        "hearts_share": sum(v.hearts for v in members) / total_hearts if total_hearts else None,
        "likes_share": sum(v.likes for v in members) / total_likes if total_likes else None,
        "avg_likes": _avg([v.likes for v in members]), "avg_hearts": _avg([v.hearts for v in members]),
        "avg_comments": _avg([v.comments for v in members]), "avg_visits": _avg([v.visits for v in members]),
    }
    return {k: v for k, v in fact.items() if v is not None}


def assign_tiers(viewers_file: ViewersFile, ruleset: RuleSet, *, engine: str | None = None) -> TiersResult:
    """Sort viewers into tiers with the segment rules, then advise on each tier."""

    viewers = viewers_file.viewers
    facts = [v.to_fact() for v in viewers]
    baseline = Baseline(facts, T(zh="这批观众", en="these viewers"))
    members: dict[str, list[Viewer]] = {name: [] for name in TIERS}
    thresholds: dict[str, list[ThresholdLine]] = {}
    with StageRunner(ruleset, STAGE, baseline=baseline, engine=engine) as runner:
        signal_of = {r.id: r.rule.then.signal for r in runner.loaded if r.rule.then.signal}
        compiled = None
        for viewer, fact in zip(viewers, facts):
            compiled, fired = runner.fired(fact)
            signals = {signal_of[r] for r in fired if r in signal_of}
            tier = next((t for s, t in TIER_SIGNALS.items() if s in signals), "others")
            members[tier].append(viewer)
        if compiled is None:
            compiled, _ = runner.fired({"kind": "viewer"})
        thresholds = _thresholds(compiled, signal_of)
        tiers = []
        for name in TIERS:
            tier = Tier(name, members[name], tier_fact(name, members[name], viewers))
            _, tier.findings, _ = runner.run(tier.fact)
            tiers.append(tier)
    return TiersResult(viewers_file, tiers, thresholds, engine or default_engine())


def _thresholds(compiled, signal_of: dict[str, str]) -> dict[str, list[ThresholdLine]]:

    out: dict[str, list[ThresholdLine]] = {}
    for rule_id, signal in signal_of.items():
        tier = TIER_SIGNALS.get(signal)
        info = compiled.info.get(rule_id)
        if tier is None or info is None:
            continue
        lines = out.setdefault(tier, [])
        for src in info.conditions:
            if src.metric == FACT_KIND:  # which fact a rule applies to, not a threshold
                continue
            negated = src.under_not
            if src.signal is not None:
                lines.append(ThresholdLine(rule_id, None, "signal", True, "signal", signal=src.signal, negated=negated))
            elif src.threshold is not None:
                th = src.threshold
                lines.append(ThresholdLine(rule_id, src.metric, th.op, th.value, th.kind, th.percentile, th.n))
            else:
                lines.append(ThresholdLine(rule_id, src.metric, src.op, src.value, "rule", negated=negated))
    return out


# --- reports -------------------------------------------------------------------------------------------


def display_fields(fact: dict, lang: Lang) -> dict:
    out = dict(fact)
    for key in SEGMENT_FIELDS:
        out.setdefault(key, None)
    out["tier_label"] = TIER_LABELS[fact["tier"]].get(lang) if fact.get("tier") in TIER_LABELS else ""
    return out


def _r(value, digits: int = 4):
    return None if value is None else round(value, digits)


def tiers_json(result: TiersResult, lang: Lang, *, ids: bool = True) -> dict:
    tiers = []
    for tier in result.tiers:
        shown = display_fields(tier.fact, lang)
        entry = {
            "tier": tier.name,
            "label": TIER_LABELS[tier.name].get(lang),
            "viewers": len(tier.viewers),
            "share": _r(tier.fact.get("share")),
            "with_hearts": tier.fact.get("with_hearts", 0),
            "hearts_share": _r(tier.fact.get("hearts_share")),
            "likes_share": _r(tier.fact.get("likes_share")),
            "averages": {k: _r(tier.fact.get(f"avg_{k}"), 2) for k in ("likes", "hearts", "comments", "visits")},
            "findings": [f.to_json(shown, SEGMENT_FIELDS, lang) for f in tier.findings],
        }
        if ids:
            entry["ids"] = [v.id for v in tier.viewers]
        tiers.append(entry)
    return {
        "file": result.file.path,
        "population": result.population,
        "columns": result.file.columns,
        "unused_columns": result.file.unused_columns,
        "thresholds": {tier: [{"rule_id": t.rule_id, "metric": t.metric if t.signal is None else f"signal:{t.signal}",
                               "op": t.op if not t.negated else "not",
                               "value": round(t.value, 6) if isinstance(t.value, float) else t.value, "source": t.kind,
                               "percentile": t.percentile, "n": t.n, "text": t.describe(lang)}
                              for t in lines] for tier, lines in result.thresholds.items()},
        "tiers": tiers,
        "engine": result.engine,
        "errors": [p.to_json(lang) for p in result.file.problems],
    }


def run_tiers(path: str | Path, ruleset: RuleSet, *, engine: str | None = None, stdin=None) -> TiersResult:
    """`advisor tiers` as a function: read the viewers table and sort it into tiers."""
    viewers_file = load_viewers(path, stdin=stdin)
    if not viewers_file.viewers:
        raise AdvisorError(viewers_file.problems + [Problem(T(zh="没有可用的观众数据行", en="no usable viewer row"),
                                                            file=viewers_file.path)])
    return assign_tiers(viewers_file, ruleset, engine=engine)
