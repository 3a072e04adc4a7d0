"""Hostile-input fuzzing: generated exports, rule files, templates, plans and CTA texts, in-process.

    python benchmarks/fuzz.py                 # 10,000 cases (the default), seed 0
    python benchmarks/fuzz.py --cases 20000 --seed 7

Each case goes through the library path a command takes (import + review + render, rule loading +
`rules check`'s checks + a review with the rules, rendering in the bounded sandbox, the checklist,
`cta check`) and is classified:

- traceback   an exception other than AdvisorError escaped (the CLI would print a traceback)
- hang        the case took longer than BOUND seconds (or was stopped by the alarm)
- unlocated   an AdvisorError problem without a file (or, for a rule file, without a line)
- escape      a text report or message with a raw control character (ESC, BEL, ...)
- missed      `rules check` accepted a rule set that then failed a run
- differs     an export streamed (as the CLI reviews it) gave another report than reviewed in memory

Every count but `ok` and `rejected` must be 0; the exit status is 1 otherwise. tests/test_fuzz.py
runs a slice of it in the normal suite (fuzz(cases=..., seed=...)).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from advisor.core.errors import AdvisorError
from advisor.core.templating import RenderError, render_template, render_text
from advisor.input.ruleset import collect_ruleset, load_ruleset
from advisor.jobs.checklist import checklist
from advisor.jobs.cta_check import check_text
from advisor.jobs.review import review_paths
from advisor.jobs.review_stream import stream_review
from advisor.render.stream import JsonSink, TemplateSink
from advisor.jobs.rulesafety import engine_problems, text_problems
from advisor.render.emit import render

BOUND = 5.0  # seconds: no case on these small inputs may take longer
SURFACES = ("importers", "rules", "templates", "plans", "cta")
WEIGHTS = (25, 20, 35, 10, 10)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# ---- pools of hostile pieces -------------------------------------------------------------------

NUMBERS = ["0", "1", "100", "12,345", "1.2万", "3亿", "-5", "1e400", "1E+19", "9" * 400, "9" * 5000, "NaN", "inf",
           "-inf", "1.5", "12,5", "100%", "4.41%", "135", "0.5", "", " ", "--", "无", "1:00", "99:99",
           "9" * 400 + ":00", "1:02:03", "14.73秒", "1m5s", "-5秒", "0x10", "١٢٣", "１２３", "1_000", "2026-06-25"]
TEXTS = ["hello", "", "\x1b]0;PWNED\x07", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a" * 300,
         "抽奖送手机", "求三连", "点赞过万才更新", "{{ 7*7 }}", "{% raw %}", "\u202e", "\x00", "line\nbreak", "😀" * 20,
         "'quoted'", '"', ",", ";", "\t", "不是真粉", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"]
COLUMNS = ["id", "title", "views", "likes", "hearts", "comments", "shares", "follows", "avg_watch_s", "duration_s",
           "completion_rate", "publish_date", "form", "视频标题", "播放量", "点赞", "推荐", "完播率", "平均播放时长",
           "发表时间", "junk\x1b[31m", ""]
PATTERNS = [r"^(\w+\s?)+$", "(a+)+$", r"(a)\1", "(?=x)", "(?<!不)就停更", "[", "a{1001}", r"\bx\b", "抽奖", ".*",
            "(x+x+)+y", r"\p{Han}+", "(?i)ABC", "a" * 600, "(" * 300 + ")" * 300]
JINJA = ["{{ views }}", "{{ views|num }}", "{{ views|pct }}", "{{ views.x }}", "{{ views / 0 }}", "{{ 1 // 0 }}",
         "{{ ''.__class__ }}", "{{ range(10**7) }}", "{{ 'a' * 10**10 }}", "{{ 'a' * 1000 }}", "{{ 2 ** 100000 }}",
         "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
         "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
         "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
         "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(30) }}",
         "{{ 'x'|center(10**10) }}", "{{ '%099999999d' % 1 }}", "{{ '{:>999999999}'.format(1) }}",
         "{{ 'x'.ljust(10**9) }}", "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
         "{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) or '' }}{% endfor %}", "{{ lipsum(10**6) }}",
         "{{ 'ab'|replace('', 'x' * 50000) }}", "{{ (10**400)|float }}", "{{ nope }}", "{% if %}", "{{", "}}",
         "{% include 'x' %}", "{{ thresholds.views }}", "{{ sources }}", "{{ strength }}", "{{ lang }}", "plain text",
         "{{ views * views * views }}", "{{ [1] * 10**8 }}", "{{ 'x' ~ 'y' * 99999 }}", "{% for x in 'abc' %}{{ loop.length }}{% endfor %}",
         "{{ views|round(10**9) }}", "{{ '%*d' % (10**9, 1) }}", "{{ dict(a=1)|tojson }}", "{% set x = cycler(1,2) %}{{ x.next() }}",
         "{{ self }}", "{{ range(5)|list|batch(10**9, 0)|list }}", "{{ 'a'|indent(10**9) }}", "{{ '\x1b[31m' }}"]
METRICS = ["views", "likes", "hearts", "title", "like_rate", "completion_rate", "nope", "form", "avg_watch_s"]
OPS = ["<", "<=", ">", ">=", "==", "!=", "in", "not_in", "exists", "missing", "contains", "matches", "~", None]
STAGES = ["review", "plan", "cta", "experiment", "goal", "segment", "nope"]
PLAN_FIELDS = ["title", "topic", "goal", "cta_text", "cta_position", "duration_s", "hook_at_s", "account_stage",
               "participation_path", "shareable_moment_at_s", "nope"]


def _value(rnd: random.Random):
    kind = rnd.random()
    if kind < 0.4:
        return rnd.choice(NUMBERS)
    if kind < 0.8:
        return rnd.choice(TEXTS)
    return rnd.choice([10**400 if False else 10**20, -1, 1.5, True, None, [], {}, float("nan") if False else 0.1])


def _mutate(rnd: random.Random, text: str) -> str:
    """A few random edits: truncation, a deleted or duplicated span, an inserted hostile piece."""
    for _ in range(rnd.randrange(3)):
        if not text:
            break
        i = rnd.randrange(len(text))
        op = rnd.random()
        if op < 0.3:
            text = text[:i]
        elif op < 0.6:
            j = min(len(text), i + rnd.randrange(1, 20))
            text = text[:i] + text[j:]
        elif op < 0.8:
            text = text[:i] + rnd.choice(TEXTS + NUMBERS + ["\n", ",", '"', "{", "}", "[", "]", ":", "- "]) + text[i:]
        else:
            text = text[:i] + text[i:i + 30] * 3 + text[i:]
    return text


# ---- generators ----------------------------------------------------------------------------------


def gen_good_export(rnd: random.Random) -> str:
    """A plausible export with a hostile cell or two."""
    cols = ["id", "title", "views", "likes", "hearts", "comments", "shares", "avg_watch_s", "duration_s"]
    rows = []
    for i in range(rnd.randrange(1, 5)):
        row = [f"v{i}", rnd.choice(TEXTS) or "t", str(rnd.randrange(100, 10**6)), str(rnd.randrange(0, 100)),
               str(rnd.randrange(0, 50)), str(rnd.randrange(0, 20)), str(rnd.randrange(0, 20)), "12.5", "30"]
        if rnd.random() < 0.5:
            row[rnd.randrange(2, len(row))] = rnd.choice(NUMBERS)
        rows.append(row)
    def cell(s):
        return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s
    return "\n".join(",".join(cell(c) for c in r) for r in [cols] + rows) + "\n"


def gen_export(rnd: random.Random) -> tuple[str, bytes]:
    if rnd.random() < 0.5:
        return "csv", gen_good_export(rnd).encode("utf-8")
    cols = rnd.sample(COLUMNS, rnd.randrange(1, 8))
    if rnd.random() < 0.7 and "id" not in cols:
        cols.insert(0, "id")
    rows = [{c: _value(rnd) for c in cols} for _ in range(rnd.randrange(0, 4))]
    fmt = rnd.choice(["csv", "csv", "json", "yaml"])
    if fmt == "csv":
        def cell(v):
            s = "" if v is None else str(v)
            return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s
        text = "\n".join([",".join(cols)] + [",".join(cell(r[c]) for c in cols) for r in rows]) + "\n"
    elif fmt == "json":
        text = json.dumps(rows if rnd.random() < 0.8 else {"videos": rows}, ensure_ascii=rnd.random() < 0.5, default=str)
        if rnd.random() < 0.2:
            text = text.replace('"100"', "9" * 5000)
    else:
        text = "".join("- " + json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    if rnd.random() < 0.3:
        text = _mutate(rnd, text)
    encoding = rnd.choice(["utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-16"])
    return fmt, text.encode(encoding, "replace")


def _condition(rnd: random.Random, depth: int = 0):
    r = rnd.random()
    if depth < 3 and r < 0.25:
        key = rnd.choice(["all", "any"])
        return {key: [_condition(rnd, depth + 1) for _ in range(rnd.randrange(1, 4))]}
    if depth < 3 and r < 0.3:
        return {"not": _condition(rnd, depth + 1)}
    op = rnd.choice(OPS)
    cond = {"metric": rnd.choice(METRICS)}
    if op is not None:
        cond["op"] = op
    if op in ("in", "not_in"):
        cond["value"] = [rnd.choice(NUMBERS + TEXTS) for _ in range(rnd.choice([1, 3, 1100]))]
    elif op == "matches":
        cond["value"] = rnd.choice(PATTERNS)
    elif op == "contains":
        cond["value"] = rnd.choice(TEXTS) or "x"
    elif op not in ("exists", "missing"):
        cond["value"] = rnd.choice([100, 0.5, "x", None, [1]])
    if rnd.random() < 0.05:
        cond["level"] = rnd.choice(["low", "high", "nope"])
    return cond


def _text(rnd: random.Random) -> dict:
    pick = lambda: "".join(rnd.choice(JINJA + TEXTS) for _ in range(rnd.randrange(1, 3)))  # noqa: E731
    return {"zh": pick(), "en": pick()}


GOOD_PATTERNS = [r"^(\w+\s?)+$", "(a+)+$", "(x+x+)+y", "抽奖|红包", r"\bfans?\b", "(^|[^不])(?P<hit>停更)", "a{2,5}"]
GOOD_TEXTS = ["{{ views|num }}", "{{ title }}", "plain", "{{ likes|num }} / {{ views|num }}", "{% if views %}x{% endif %}",
              "{{ text }}", "{{ cta_text }}", "{{ topic }}"]
GOOD = {"review": [("views", [">", "<", ">=", "exists", "missing"]), ("title", ["contains", "matches"]),
                   ("likes", [">=", "=="])],
        "plan": [("cta_text", ["contains", "matches", "exists"]), ("topic", ["exists", "missing"])],
        "cta": [("text", ["contains", "matches"])]}


def gen_good_rules(rnd: random.Random) -> str:
    """Rules `rules check` should mostly accept, with hostile patterns RE2 runs and texts the sandbox bounds."""
    rules = []
    for i in range(rnd.randrange(1, 3)):
        stage = rnd.choice(list(GOOD))
        metric, ops = rnd.choice(GOOD[stage])
        op = rnd.choice(ops)
        cond = {"metric": metric, "op": op}
        if op == "matches":
            cond["value"] = rnd.choice(GOOD_PATTERNS)
        elif op == "contains":
            cond["value"] = rnd.choice(["点赞", "a", "<script>", "\x1b"])
        elif op not in ("exists", "missing"):
            cond["value"] = rnd.choice([0, 10, 1000])
        fields = [t for t in GOOD_TEXTS if ("views" not in t and "likes" not in t and "title" not in t) or stage == "review"]
        fields = [t for t in fields if ("text }}" not in t or stage == "cta") and ("cta_text" not in t and "topic" not in t
                                                                                  or stage == "plan")]
        pick = lambda: rnd.choice(fields + (JINJA if rnd.random() < 0.3 else []))  # noqa: E731
        rules.append({"id": f"good-{i}", "heuristics": ["H05"], "stage": stage, "when": cond,
                      "then": {"title": {"zh": pick(), "en": pick()}}})
    return "".join("- " + json.dumps(r, ensure_ascii=False) + "\n" for r in rules)


def gen_rules(rnd: random.Random) -> str:
    if rnd.random() < 0.6:
        return gen_good_rules(rnd)
    rules = []
    for i in range(rnd.randrange(1, 3)):
        rule = {"id": rnd.choice([f"fuzz-{i}", "Bad Id", f"fuzz-{i}"]), "heuristics": [rnd.choice(["H05", "H99", "H13"])],
                "stage": rnd.choice(STAGES[:1] * 4 + STAGES), "when": _condition(rnd),
                "then": {"title": _text(rnd)}}
        if rnd.random() < 0.4:
            rule["then"]["explain"] = _text(rnd)
        if rnd.random() < 0.3:
            rule["then"]["actions"] = [_text(rnd)]
        if rnd.random() < 0.1:
            del rule[rnd.choice(list(rule))]
        rules.append(rule)
    text = "".join("- " + json.dumps(r, ensure_ascii=False) + "\n" for r in rules)
    return _mutate(rnd, text) if rnd.random() < 0.15 else text


def gen_template(rnd: random.Random) -> str:
    return "".join(rnd.choice(JINJA + TEXTS[:6]) for _ in range(rnd.randrange(1, 4)))


def gen_plan(rnd: random.Random) -> tuple[str, str]:
    plans = [{f: _value(rnd) for f in rnd.sample(PLAN_FIELDS, rnd.randrange(1, 6))} for _ in range(rnd.randrange(0, 3))]
    for p in plans:
        if rnd.random() < 0.7:
            p["title"] = rnd.choice(TEXTS) or "t"
    if rnd.random() < 0.5:
        text = json.dumps(plans if rnd.random() < 0.7 else (plans[0] if plans else {}), ensure_ascii=False, default=str)
        ext = "json"
    else:
        text = "".join("- " + json.dumps(p, ensure_ascii=False, default=str) + "\n" for p in plans) or "[]\n"
        ext = "yaml"
    return ext, _mutate(rnd, text) if rnd.random() < 0.2 else text


def gen_cta(rnd: random.Random) -> str:
    return _mutate(rnd, "".join(rnd.choice(TEXTS) for _ in range(rnd.randrange(1, 5))))


# ---- running one case ------------------------------------------------------------------------------


class _Alarm(BaseException):
    pass


def _located(exc: AdvisorError, need_line: bool = False) -> bool:
    return all(p.file is not None and (not need_line or p.line is not None or p.row is not None)
               for p in exc.problems) and bool(exc.problems)


def _clean_text(text: str) -> bool:
    return not CONTROL.search(text.replace("\n", "").replace("\t", ""))


class Fuzzer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.shipped = load_ruleset()
        self.sample_csv = folder / "sample.csv"
        self.sample_csv.write_text("id,title,views,likes,hearts,avg_watch_s,duration_s\n"
                                   "a,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!,1000,30,5,12,30\n", encoding="utf-8")
        self.n = 0

    def _path(self, suffix: str) -> Path:
        self.n += 1
        return self.folder / f"case{self.n}.{suffix}"

    def importers(self, rnd):
        fmt, data = gen_export(rnd)
        path = self._path({"csv": "csv", "json": "json", "yaml": "yaml"}[fmt])
        path.write_bytes(data)
        try:
            result = review_paths([str(path)], self.shipped, engine="python", langs=("en",))
        except AdvisorError as exc:
            return "rejected" if _located(exc) else "unlocated"
        if any(p.file is None for p in result.problems):
            return "unlocated"
        if result.videos:
            for fmt in ("text", "markdown"):
                out = render(result, fmt, "en")
                if not _clean_text(out):
                    return "escape"
                if fmt == "markdown" and re.search(r"<(script|img)", out, re.I):
                    return "escape"
        if not all(_clean_text(p.format("en")) for p in result.problems):
            return "escape"
        # The CLI streams text, Markdown and JSON: the same export through stream_review, in
        # chunks of 3, must give what review_paths rendered (and fail the same way).
        for fmt in ("text", "json"):
            out = io.StringIO()
            sink = TemplateSink(out, "en", fmt) if fmt == "text" else JsonSink(out, "en")
            try:
                streamed = stream_review([str(path)], self.shipped, sink, engine="python", lang="en", chunk=3)
            except AdvisorError as exc:
                return "rejected" if _located(exc) else "unlocated"
            if streamed.count and out.getvalue() != render(result, fmt, "en"):
                return "differs"
        return "ok" if not result.problems else "rejected"

    def rules(self, rnd):
        folder = self.folder / f"rules{self.n}"
        self.n += 1
        folder.mkdir()
        (folder / "fuzz.yaml").write_text(gen_rules(rnd), encoding="utf-8")
        if rnd.random() < 0.3:  # the shipped levels, so `level:` conditions can resolve
            (folder / "levels.yaml").write_bytes((Path(__file__).resolve().parents[1] / "rules" / "levels.yaml").read_bytes())
        ruleset, problems = collect_ruleset([folder], include_shipped=False)
        if not problems:
            problems = text_problems(ruleset) + engine_problems(ruleset)
        if problems:
            if any(p.file is None or p.line is None for p in problems if "fuzz.yaml" in (p.file or "fuzz.yaml")):
                return "unlocated"
            return "rejected"
        for stage_run in (self._review_with, self._checklist_with, self._cta_with):
            try:
                stage_run(ruleset)
            except AdvisorError as exc:
                # `rules check` passed, so only engine-limit fallbacks are allowed, and those never raise.
                return "missed" if _located(exc) else "unlocated"
        return "ok"

    def _review_with(self, ruleset):
        result = review_paths([str(self.sample_csv)], ruleset, engine="python", langs=("en",))
        render(result, "text", "en")

    def _checklist_with(self, ruleset):
        if not any(r.rule.stage == "plan" for r in ruleset.rules):
            return
        path = self._path("json")
        path.write_text(json.dumps([{"title": "t", "goal": "both", "cta_text": "点赞", "duration_s": 30}]), encoding="utf-8")
        render(checklist([str(path)], ruleset, lang="en", engine="python"), "text", "en")

    def _cta_with(self, ruleset):
        if any(r.rule.stage == "cta" for r in ruleset.rules):
            check_text("求三连 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", ruleset, engine="python").to_json("en")

    def templates(self, rnd):
        source = gen_template(rnd)
        ctx = {"views": rnd.choice([5, None, "x", 10**15]), "thresholds": {}, "sources": {}, "strength": None}
        if rnd.random() < 0.5:
            try:
                out = render_text(source, ctx, "en")
            except RenderError as exc:
                return "rejected" if exc.message.en else "unlocated"
            return "ok" if isinstance(out, str) else "traceback"
        folder = self.folder / f"tpl{self.n}"
        self.n += 1
        folder.mkdir()
        (folder / "t.j2").write_text(source, encoding="utf-8")
        try:
            render_template(folder, "t.j2", ctx, "en")
        except AdvisorError as exc:
            return "rejected" if _located(exc) else "unlocated"
        return "ok"

    def plans(self, rnd):
        ext, text = gen_plan(rnd)
        path = self._path(ext)
        path.write_text(text, encoding="utf-8", errors="replace")
        try:
            result = checklist([str(path)], self.shipped, lang="en", engine="python")
            for fmt in ("text", "markdown"):
                if not _clean_text(render(result, fmt, "en")):
                    return "escape"
        except AdvisorError as exc:
            return "rejected" if _located(exc) else "unlocated"
        return "ok"

    def cta(self, rnd):
        text = gen_cta(rnd)
        try:
            result = check_text(text, self.shipped, engine="python")
            out = render(result, "text", "en")
        except AdvisorError as exc:
            return "rejected" if all(p.file is not None or p.field is not None for p in exc.problems) else "unlocated"
        return "ok" if _clean_text(out) else "escape"

    def case(self, surface: str, rnd: random.Random) -> str:
        start = time.monotonic()
        use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        if use_alarm:
            def ring(signum, frame):
                raise _Alarm()
            previous = signal.signal(signal.SIGALRM, ring)
            signal.setitimer(signal.ITIMER_REAL, BOUND * 4)
        try:
            outcome = getattr(self, surface)(rnd)
        except _Alarm:
            return "hang"
        except AdvisorError:
            outcome = "unlocated"  # every AdvisorError is classified by the surface itself
        except Exception as exc:  # noqa: BLE001 - the point: anything else is a traceback
            self.last_traceback = f"{surface}: {type(exc).__name__}: {exc}"[:300]
            outcome = "traceback"
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        if time.monotonic() - start > BOUND:
            return "hang"
        return outcome


def fuzz(cases: int = 10_000, seed: int = 0, surfaces=SURFACES, verbose: bool = False) -> dict[str, Counter]:
    """{surface: Counter(outcome -> cases)} for `cases` generated cases."""
    rnd = random.Random(seed)
    counts: dict[str, Counter] = {s: Counter() for s in surfaces}
    weights = [w for s, w in zip(SURFACES, WEIGHTS) if s in surfaces]
    with tempfile.TemporaryDirectory(prefix="advisor-fuzz-") as tmp:
        fuzzer = Fuzzer(Path(tmp))
        for i in range(cases):
            surface = rnd.choices(list(surfaces), weights)[0]
            case_rnd = random.Random(rnd.getrandbits(64))
            outcome = fuzzer.case(surface, case_rnd)
            counts[surface][outcome] += 1
            if verbose and outcome not in ("ok", "rejected"):
                print(f"case {i} ({surface}): {outcome} {getattr(fuzzer, 'last_traceback', '')}", file=sys.stderr)
    return counts


BAD = ("traceback", "hang", "unlocated", "escape", "missed", "differs")


def bad_total(counts: dict[str, Counter]) -> int:
    return sum(c[k] for c in counts.values() for k in BAD)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    start = time.monotonic()
    counts = fuzz(args.cases, args.seed, verbose=args.verbose)
    columns = ("ok", "rejected") + BAD
    print(f"{'surface':<10}" + "".join(f"{c:>11}" for c in ("cases",) + columns))
    for surface, c in counts.items():
        print(f"{surface:<10}{sum(c.values()):>11}" + "".join(f"{c[k]:>11}" for k in columns))
    total = Counter()
    for c in counts.values():
        total.update(c)
    print(f"{'total':<10}{sum(total.values()):>11}" + "".join(f"{total[k]:>11}" for k in columns))
    print(f"{time.monotonic() - start:.0f}s; seed {args.seed}")
    return 1 if bad_total(counts) else 0


if __name__ == "__main__":
    sys.exit(main())
