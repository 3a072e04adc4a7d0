"""The operations notebook (运营笔记): A/B conclusions kept as reusable templates (H12).

A notebook is a Markdown file (a section per entry) or a YAML file (a list of entries), chosen
by the file's extension. Entries are only ever appended: the file's earlier bytes are kept as
they are (comments and hand edits included), the new entry is added after them, the result is
checked to still parse, and the file is replaced in one atomic rename.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field

from advisor.jobs.ab import show_confidence, winner_lift
from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.core.output import write_atomic
from advisor.input.sources import decode_utf8, read_file
from advisor.input.yamlio import load_yaml

MARKDOWN_EXTS = (".md", ".markdown")
YAML_EXTS = (".yaml", ".yml")
MAX_NOTEBOOK_BYTES = 5_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariantNote(_Strict):
    label: str
    source: str
    views: int = Field(ge=0)


class SignalNote(_Strict):
    metric: str = Field(description="The compared signal, e.g. heart_rate.")
    verdict: Literal["a", "b", "tie", "undecided"]
    a: float = Field(description="Variant A's rate.")
    b: float = Field(description="Variant B's rate.")
    diff_pp: float = Field(description="B - A in percentage points.")
    lift: Optional[float] = Field(None, description="How much higher the winner's rate is, relative (0.6 = 60%).")
    confidence: Optional[float] = None
    p_value: Optional[float] = Field(None, description="Two-sided p-value of the z-test.")
    views_needed: Optional[int] = Field(None, description="More views (A + B) needed when undecided (per-view methods).")
    videos_needed: Optional[int] = Field(None, description="Videos per variant needed when undecided (method video).")


class NotebookEntry(_Strict):
    """One A/B conclusion: the schema of a YAML notebook's list items."""

    date: dt.date
    what: str = Field(description="What was tested, e.g. 'CTA wording at the end'.")
    a: VariantNote
    b: VariantNote
    method: str
    results: list[SignalNote]
    template: str = Field(description="The reusable conclusion, in the report's language.")


def entry_from_ab(result, what: str | None, lang: Lang, date: dt.date | None = None) -> NotebookEntry:
    """A notebook entry from an advisor.jobs.ab.ABResult."""
    results = []
    for c in result.comparisons:
        r = c.result
        lift = None
        if r.winner is not None:
            lift = winner_lift(r)
        results.append(SignalNote(
            metric=c.signal.name, verdict=r.verdict, a=round(r.rate_a, 6), b=round(r.rate_b, 6),
            diff_pp=round(r.diff * 100, 4), lift=None if lift is None else round(lift, 4),
            confidence=None if r.confidence is None else round(r.confidence, 6),
            p_value=None if r.p_value is None else float(f"{r.p_value:.3g}"), views_needed=r.views_needed,
            videos_needed=c.arms.videos_needed if c.arms is not None and r.winner is None and r.verdict != "tie" else None))
    what = what or T(zh=f"{result.a.label} 对比 {result.b.label}", en=f"{result.a.label} vs {result.b.label}").get(lang)
    return NotebookEntry(
        date=date or dt.date.today(), what=what,
        a=VariantNote(label=result.a.label, source=result.a.source, views=result.a.views),
        b=VariantNote(label=result.b.label, source=result.b.source, views=result.b.views),
        method=result.method, results=results, template=template_text(result, lang))


def template_text(result, lang: Lang) -> str:
    """The reusable line: which variant to reuse for which signal, by how much, how sure; what is open."""
    sep = ";" if lang == "zh" else "; "
    won = []
    for c in result.comparisons:
        r = c.result
        if r.winner is None:
            continue
        lift = winner_lift(r)
        rel_zh = f"(相对高 {lift:.0%})" if lift is not None else ""
        rel_en = f" ({lift:.0%} higher)" if lift is not None else ""
        points = abs(r.diff) * 100
        won.append(T(zh=f"要提升{c.signal.label.zh},用 {result.label(r.winner)}:领先 {points:.2f} 个百分点{rel_zh},"
                        f"置信度 {show_confidence(r.confidence)}",
                     en=f"for {c.signal.label.en}, use {result.label(r.winner)}: ahead by {points:.2f} pp{rel_en}, "
                        f"confidence {show_confidence(r.confidence)}").get(lang))
    open_ = []
    for c in result.comparisons:
        r = c.result
        if r.winner is not None:
            continue
        if r.verdict == "tie":
            state = T(zh="两组差不多", en="no real difference")
        elif c.arms is not None:
            state = T(zh=f"每组约需 {c.arms.videos_needed} 条视频", en=f"about {c.arms.videos_needed} videos per variant needed")
        elif r.views_needed is not None:
            state = T(zh=f"约还需 {r.views_needed:,} 次播放", en=f"about {r.views_needed:,} more views needed")
        else:
            state = T(zh="无法判断", en="cannot tell")
        open_.append(T(zh=f"{c.signal.label.zh}({state.zh})", en=f"{c.signal.label.en} ({state.en})").get(lang))
    if won:
        text = T(zh="模板:", en="Template: ").get(lang) + sep.join(won)
    else:
        text = T(zh="暂无可复用的结论", en="No reusable conclusion yet").get(lang)
    if open_:
        text += T(zh="。其他信号:", en=". Other signals: ").get(lang) + sep.join(open_)
    return text + ("。" if lang == "zh" else ".")


def append_entry(path: str | Path, entry: NotebookEntry, lang: Lang) -> Path:
    """Append `entry` to the notebook at `path` (created when missing); earlier entries are kept byte for byte."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in MARKDOWN_EXTS + YAML_EXTS:
        raise AdvisorError([Problem(T(
            zh=f"笔记文件应以 .md(Markdown)或 .yaml / .yml(YAML)结尾,而不是「{ext or '(无扩展名)'}」",
            en=f"a notebook file ends in .md (Markdown) or .yaml / .yml (YAML), not '{ext or '(no extension)'}'"),
            file=str(path))])
    old = _read(path)
    if ext in MARKDOWN_EXTS:
        new = _append_markdown(old, entry, lang)
    else:
        new = _append_yaml(path, old, entry)
    write_atomic(path, new, may_be_input=True)  # keeps a shared notebook's permissions
    return path


def _read(path: Path) -> str:
    if not path.exists():
        return ""
    if path.is_file() and path.stat().st_size > MAX_NOTEBOOK_BYTES:  # the generic message would not say what to do
        raise AdvisorError([Problem(T(zh=f"笔记文件超过 {MAX_NOTEBOOK_BYTES} 字节:请另起一个文件",
                                      en=f"the notebook is larger than {MAX_NOTEBOOK_BYTES} bytes: start a new file"),
                                    file=str(path))])
    data = read_file(path, max_bytes=MAX_NOTEBOOK_BYTES)
    return decode_utf8(data, str(path), T(zh="笔记文件须为 UTF-8 编码;未改动它",
                                          en="the notebook must be UTF-8; it was left unchanged"))


METHOD_WORDS = {"video": T(zh="以视频为单位的比较", en="per-video comparison"),
                "z": T(zh="双比例 z 检验", en="two-proportion z-test"),
                "bayes": T(zh="贝叶斯(B 优于 A 的概率)", en="Bayesian (probability B beats A)")}


def _separated(old: str) -> str:
    """The old text ending in exactly one blank line, so the new entry starts cleanly."""
    if not old.strip():
        return ""
    return old.rstrip("\n") + "\n\n"


def _append_markdown(old: str, entry: NotebookEntry, lang: Lang) -> str:
    head = "" if old.strip() else "# " + T(zh="运营笔记", en="Operations notebook").get(lang) + "\n\n"
    labels = {
        "tested": T(zh="测试内容", en="Tested"), "a": T(zh="A 组", en="A"), "b": T(zh="B 组", en="B"),
        "method": T(zh="方法", en="Method"), "views": T(zh="次播放", en="views"),
    }
    g = lambda key: labels[key].get(lang)  # noqa: E731
    lines = [
        f"## {entry.date.isoformat()} · {entry.what}",
        "",
        f"**{entry.template}**",
        "",
        f"- {g('a')}: {entry.a.label} ({entry.a.source}, {entry.a.views:,} {g('views')})",
        f"- {g('b')}: {entry.b.label} ({entry.b.source}, {entry.b.views:,} {g('views')})",
        f"- {g('method')}: {METHOD_WORDS.get(entry.method, T(zh=entry.method, en=entry.method)).get(lang)}",
    ]
    for r in entry.results:
        verdict = {"a": "A", "b": "B", "tie": T(zh="无差别", en="tie").get(lang),
                   "undecided": T(zh="未定", en="undecided").get(lang)}[r.verdict]
        conf = f", {T(zh='置信度', en='confidence').get(lang)} {show_confidence(r.confidence)}" if r.confidence is not None else ""
        more = f", {T(zh='还需播放', en='more views needed').get(lang)} {r.views_needed:,}" if r.views_needed else ""
        if r.videos_needed:
            more = f", {T(zh='每组约需视频', en='videos needed per variant').get(lang)} {r.videos_needed}"
        lines.append(f"- {r.metric}: {verdict} (A {r.a:.2%} · B {r.b:.2%}, {r.diff_pp:+.2f} pp{conf}{more})")
    return _separated(old) + head + "\n".join(lines) + "\n"


def _append_yaml(path: Path, old: str, entry: NotebookEntry) -> str:
    if old.strip():
        before, locator = load_yaml(old, filename=str(path), max_bytes=MAX_NOTEBOOK_BYTES)
        if before is not None and not isinstance(before, list):
            line, col = locator.at(())
            raise AdvisorError([Problem(T(zh="YAML 笔记应是一个列表(每条记录以 - 开头);未改动它",
                                          en="a YAML notebook is a list of entries (each starting with -); it was left unchanged"),
                                        file=str(path), line=line, col=col)])
    else:
        before = None
    item = yaml.safe_dump([entry.model_dump(mode="json")], allow_unicode=True, sort_keys=False, width=100)
    new = _separated(old) + item
    after, _ = load_yaml(new, filename=str(path), max_bytes=MAX_NOTEBOOK_BYTES * 2)
    # The appended text must read as the old list plus this entry; anything else (a flow-style
    # list, a document end marker) would corrupt the notebook, so nothing is written.
    if not isinstance(after, list) or after[:-1] != (before or []) or len(after) != len(before or []) + 1:
        raise AdvisorError([Problem(T(zh="无法在这个 YAML 笔记末尾追加(它不是以 - 开头的块状列表?);未改动它",
                                      en="cannot append to this YAML notebook (is it a block list with - items?); "
                                         "it was left unchanged"), file=str(path))])
    return new
