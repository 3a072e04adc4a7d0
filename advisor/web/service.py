"""What the pages do, without HTTP: import uploads into the store, review an account from the store
(cached per store revision), the checklist of a planned video. The Starlette routes
(advisor.web.app) only parse forms and render templates around these functions.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.input.config import Config, load_config
from advisor.input.importers import load_videos
from advisor.input.ruleset import RuleSet, collect_ruleset
from advisor.input.sources import STDIN
from advisor.jobs.lint import clarify
from advisor.jobs.review import Review, review
from advisor.jobs.review_report import review_json
from advisor.model.metrics import VideoMetrics
from advisor.render.charts import strongest
from advisor.render.html_report import review_context
from advisor.web.store import ImportOutcome, Store

MAX_FILES = 20
SAFE_NAME = re.compile(r"[^\w.\-() \u4e00-\u9fff]+")
RULES_FILE = "web-rules.yaml"


def display_name(name: str | None, index: int) -> str:
    """The upload's name for messages only (never a path on disk): its last part, tamed."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = SAFE_NAME.sub("_", base).strip()[:120]
    return base or f"upload-{index + 1}"


@dataclass
class ImportReport:
    files: list[dict] = field(default_factory=list)  # name, rows, videos, profile
    problems: list[Problem] = field(default_factory=list)
    outcome: ImportOutcome | None = None


def import_uploads(store: Store, account_id: int, uploads: list[tuple[str | None, bytes]], ruleset: RuleSet) -> ImportReport:
    """Read every uploaded export; store the good rows of all of them as one import (one transaction)."""
    report = ImportReport()
    kept: dict[str, VideoMetrics] = {}
    first_file: dict[str, str] = {}
    rows = 0
    for index, (raw_name, data) in enumerate(uploads):
        name = display_name(raw_name, index)
        try:
            result = load_videos([STDIN], stdin=io.BytesIO(data), profile_dirs=ruleset.profile_dirs())
        except AdvisorError as exc:
            report.problems += [_named(p, name) for p in exc.problems]
            report.files.append({"name": name, "rows": 0, "videos": 0, "profile": None, "unusable": True})
            continue
        report.problems += [_named(p, name) for p in result.problems]
        info = result.files[0]
        rows += info.rows
        report.files.append({"name": name, "rows": info.rows, "videos": info.videos, "profile": info.profile,
                             "unusable": False, "ignored": list(info.ignored_columns)})
        for video in result.videos:
            if video.id in kept:
                report.problems.append(Problem(
                    T(zh=f"视频ID {video.id} 在 {first_file[video.id]} 里已经出现,保留第一次的数字",
                      en=f"video id {video.id} already came in {first_file[video.id]}; the first one is kept"),
                    file=name, field="id"))
                continue
            kept[video.id] = video
            first_file[video.id] = name
    if kept:
        report.outcome = store.store_import(account_id, list(kept.values()), files=[f["name"] for f in report.files],
                                            rows=rows, rejected=len(report.problems))
    return report


def _named(problem: Problem, name: str) -> Problem:
    return replace(problem, file=name) if problem.file in (None, "<stdin>", STDIN) else problem


# --- rules ---------------------------------------------------------------------------------------


class Rules:
    """The rules an account is reviewed with: the shipped ones, the config's folders, the account's
    stored layer (written to a private temporary folder: the browser never names a path)."""

    def __init__(self, store: Store, config: Config):
        self.store = store
        self.config = config
        self._lock = threading.Lock()
        self._cache: dict[tuple, tuple[RuleSet, list[Problem]]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="advisor-web-rules-")

    def for_account(self, account_id: int | None, layer_text: str | None = None) -> tuple[RuleSet, list[Problem]]:
        """The ruleset and its problems; `layer_text` instead of the stored layer (a preview)."""
        if layer_text is None and account_id is not None:
            layer = self.store.rule_layer(account_id)
            layer_text = layer.yaml if layer else None
        key = (account_id, layer_text)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            dirs = list(self.config.rule_dirs())
            if layer_text:
                folder = Path(tempfile.mkdtemp(prefix="layer-", dir=self._tmp.name))  # unique after a cache clear
                (folder / RULES_FILE).write_text(layer_text, encoding="utf-8")
                dirs.append(folder)
            ruleset, problems = collect_ruleset(dirs)
            for levels, file in self.config.level_layers():
                ruleset.levels = ruleset.levels.merged(levels, override_min_history=False)
            result = (ruleset, clarify(problems))
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = result
            return result

    def close(self) -> None:
        self._tmp.cleanup()


# --- review --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None
    form: str | None = None
    advice: str | None = None

    def keep(self, video: VideoMetrics) -> bool:
        if self.form and video.form != self.form:
            return False
        if self.start and (video.published_at is None or video.published_at < self.start):
            return False
        if self.end and (video.published_at is None or video.published_at > self.end):
            return False
        return True


class Reviews:
    """Reviews of stored accounts, cached by (account, store revision, rules, filters, language)."""

    def __init__(self, store: Store, rules: Rules, size: int = 16):
        self.store = store
        self.rules = rules
        self.size = size
        self._cache: OrderedDict = OrderedDict()
        self._contexts: OrderedDict = OrderedDict()
        self._compute = threading.Lock()
        self._lock = threading.Lock()

    def get(self, account_id: int, filters: Filters, lang: Lang, *, layer_text: str | None = None) -> Review | None:
        """The review of the account's stored videos that pass the filters, judged against all of
        them (the account's history); None when no video passes."""
        ruleset, problems = self.rules.for_account(account_id, layer_text)
        if problems:
            raise AdvisorError(problems)
        key = (account_id, self.store.revision, id(ruleset), filters, lang)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        history = self.store.videos(account_id)
        chosen = [v for v in history if filters.keep(v)]
        result = None
        if chosen:
            result = review(chosen, ruleset, history=history, history_label=self.history_label(len(history)),
                            langs=(lang,))
            if filters.advice is not None:
                # the videos whose strongest advice it is, as the whole range's review judged them
                # (re-reviewing the subset would judge it differently); the summary stays the range's
                report = review_json(result, lang)
                ids = {v["id"] for v in report["videos"] if strongest(v) == filters.advice}
                kept = [vr for vr in result.videos if vr.video.id in ids]
                result = replace(result, videos=kept) if kept else None
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return result

    def context(self, account_id: int, filters: Filters, lang: Lang) -> tuple[Review | None, dict | None]:
        """The review and what the report template sees (review_context), both cached: building the
        report of 1,000 videos (JSON, charts, cards) costs more than reviewing them."""
        with self._compute:  # one review computed at a time: a second request waits and finds it cached
            return self._context(account_id, filters, lang)

    def _context(self, account_id: int, filters: Filters, lang: Lang) -> tuple[Review | None, dict | None]:
        result = self.get(account_id, filters, lang)
        if result is None:
            return None, None
        key = ("context", id(result))
        with self._lock:
            if key in self._contexts:
                return result, self._contexts[key][1]
        ctx = review_context(result, lang, levels=result.ruleset.levels)
        with self._lock:
            self._contexts[key] = (result, ctx)  # the review is kept so its id stays unique
            while len(self._contexts) > self.size:
                self._contexts.popitem(last=False)
        return result, ctx

    def warm(self, account_id: int, lang: Lang) -> threading.Thread:
        """Compute the account's unfiltered review in the background (after an import)."""
        def work():
            try:
                self.context(account_id, Filters(), lang)
            except Exception:  # noqa: BLE001 - the page will compute it again and show the error
                pass
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        return thread

    @staticmethod
    def history_label(n: int) -> str:
        return f"store ({n})"


def load_web_config(path: str | None) -> Config:
    return load_config(path)
