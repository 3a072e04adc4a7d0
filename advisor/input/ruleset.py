"""Loading rule folders into one validated RuleSet: the shipped rules, then user layers.

A rule folder holds:
    *.yaml          rule files (YAML lists of rules)
    levels.yaml     named levels per metric (merged level by level over earlier folders)
    profiles/       platform profiles (read by advisor.input.profiles)
    tests/          rule tests (read by `advisor rules test`)

Layering: folders are read in order, shipped first. A rule whose id an earlier folder already
defined replaces it; an entry with only `id` and `enabled` (and/or `priority`) patches it, so
`- {id: emotion-gap, enabled: false}` switches a shipped rule off.

Everything is validated before anything is evaluated: load_ruleset() raises AdvisorError
with every located problem, never a half-loaded rule set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
import pydantic
import yaml
from pydantic import ValidationError

from advisor.core import paths
from advisor.core.cache import PickleSlot, cache_dir, code_stamp, fingerprint
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import T
from advisor.model.levels import Levels
from advisor.model.rules_model import Rule, RulePatch, is_tag
from advisor.model.semantics import check_semantics as semantic_problems
from advisor.model.stages import STAGE_FIELDS
from advisor.input.yamlio import load_yaml, problems_from_validation_error

NON_RULE_FILES = {"levels.yaml", "levels.yml", "advisor.yaml", "advisor.yml"}
SHIPPED = "shipped"


@dataclass
class LoadedRule:
    rule: Rule
    origin: str  # "shipped", or the user folder it came from
    file: str
    index: int  # position in its file's list
    locator: object = field(repr=False, default=None)

    @property
    def id(self) -> str:
        return self.rule.id

    def position(self, subpath: tuple = ()) -> tuple[int | None, int | None]:
        """Where the value at `subpath` of this rule starts (problems are about values)."""
        if self.locator is None:
            return None, None
        return self.locator.value_at((self.index,) + tuple(subpath))

    def problem(self, message: T, subpath: tuple = ()) -> Problem:
        line, col = self.position(subpath)
        return Problem(message, file=self.file, line=line, col=col, field=".".join(map(str, subpath)) or None)


@dataclass
class RuleSet:
    rules: list[LoadedRule]  # in load order, after layering; disabled rules included
    levels: Levels
    folders: list[Path]
    levels_files: list[str] = field(default_factory=list)

    def get(self, rule_id: str) -> LoadedRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def active(self, stage: str) -> list[LoadedRule]:
        return [r for r in self.rules if r.rule.stage == stage and r.rule.enabled]

    def profile_dirs(self) -> list[Path]:
        return [folder / "profiles" for folder in self.folders if (folder / "profiles").is_dir()]

    def test_dirs(self) -> list[Path]:
        return [folder / "tests" for folder in self.folders if (folder / "tests").is_dir()]


def rule_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [p for p in files if p.name not in NON_RULE_FILES]


class _TagFreeErrors:
    """A ValidationError's errors without the condition tags pydantic adds to locations."""

    def __init__(self, exc: ValidationError):
        self._errors = []
        for err in exc.errors(include_url=False):
            err = dict(err)
            err["loc"] = tuple(part for part in err["loc"] if not is_tag(part))
            self._errors.append(err)

    def errors(self, include_url: bool = False) -> list[dict]:
        return self._errors


def _read_rule_file(path: Path, origin: str, problems: list[Problem]) -> list[LoadedRule | tuple]:
    """Rules and patches of one file; problems are appended, bad entries skipped."""
    try:
        data, locator = load_yaml(path)
    except AdvisorError as exc:
        problems.extend(exc.problems)
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        line, col = locator.at(())
        problems.append(Problem(T(zh="规则文件应是一个列表(每条规则以 - 开头)",
                                  en="a rule file is a list of rules (each starting with -)"),
                                file=str(path), line=line, col=col))
        return []
    out: list = []
    for index, entry in enumerate(data):
        if isinstance(entry, dict) and "when" not in entry and "then" not in entry and "id" in entry \
                and set(entry) <= {"id", "enabled", "priority"}:
            model = RulePatch
        else:
            model = Rule
        try:
            item = model.model_validate(entry)
        except ValidationError as exc:
            problems.extend(problems_from_validation_error(
                _TagFreeErrors(exc), locator, str(path), base_path=(index,), model=model))
            continue
        if isinstance(item, Rule):
            item._where = (str(path), index, locator)
        loaded = LoadedRule(item, origin, str(path), index, locator) if isinstance(item, Rule) \
            else ("patch", item, str(path), index, locator)
        out.append(loaded)
    return out


def _layer(rules: list[LoadedRule], entries: list, origin: str, problems: list[Problem]) -> list[LoadedRule]:
    """Lay one folder's entries over the rules so far."""
    by_id = {r.id: i for i, r in enumerate(rules)}
    seen_here: dict[str, LoadedRule] = {}
    for entry in entries:
        if isinstance(entry, tuple):  # a patch
            _, patch, file, index, locator = entry
            target = by_id.get(patch.id)
            if target is None:
                hint = did_you_mean(patch.id, by_id)
                line, col = locator.value_at((index, "id"))
                msg = T(zh=f"没有 id 为 {patch.id} 的规则可以修改", en=f"no rule with id {patch.id} to change")
                if hint:
                    msg = T(zh=f"{msg.zh};{hint.zh}", en=f"{msg.en}; {hint.en}")
                problems.append(Problem(msg, file=file, line=line, col=col, field="id"))
                continue
            old = rules[target]
            updates = {k: v for k, v in patch.model_dump(exclude={"id"}).items() if v is not None}
            rules[target] = LoadedRule(old.rule.model_copy(update=updates), origin, file, index, locator)
            continue
        if entry.id in seen_here:
            first = seen_here[entry.id]
            line, _ = first.position()
            problems.append(entry.problem(
                T(zh=f"规则 id {entry.id} 重复(第一次出现在 {first.file}:{line})",
                  en=f"duplicate rule id {entry.id} (first defined at {first.file}:{line})"), ("id",)))
            continue
        seen_here[entry.id] = entry
        if entry.id in by_id:
            rules[by_id[entry.id]] = entry
        else:
            by_id[entry.id] = len(rules)
            rules.append(entry)
    return rules


def _read_levels(path: Path, problems: list[Problem]) -> tuple[Levels | None, bool]:
    try:
        data, locator = load_yaml(path)
    except AdvisorError as exc:
        problems.extend(exc.problems)
        return None, False
    try:
        levels = Levels.model_validate(data or {})
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, locator, str(path), model=Levels))
        return None, False
    for metric, defs in levels.metrics.items():
        known = {name for fields in STAGE_FIELDS.values() for name in fields}  # any stage's metric
        if metric not in known:
            line, col = locator.at(("metrics", metric))
            hint = did_you_mean(metric, sorted(known))
            problems.append(Problem(
                T(zh=f"未知指标 {metric}" + (f";{hint.zh}" if hint else ""),
                  en=f"unknown metric {metric}" + (f"; {hint.en}" if hint else "")),
                file=str(path), line=line, col=col, field=f"metrics.{metric}"))
    explicit_min = isinstance(data, dict) and "min_history" in data
    return levels, explicit_min


def load_ruleset(user_folders=(), *, include_shipped: bool = True, check_semantics: bool = True) -> RuleSet:
    """The shipped rules with the user folders laid over them, validated; AdvisorError otherwise."""
    ruleset, problems = collect_ruleset(user_folders, include_shipped=include_shipped,
                                        check_semantics=check_semantics)
    if problems:
        raise AdvisorError(problems)
    return ruleset


def collect_ruleset(user_folders=(), *, include_shipped: bool = True,
                    check_semantics: bool = True) -> tuple[RuleSet, list[Problem]]:
    """Like load_ruleset, but returns the problems instead of raising (for `rules check`)."""
    problems: list[Problem] = []
    folders: list[tuple[Path, str]] = []
    if include_shipped:
        folders.append((paths.shipped_rules(), SHIPPED))
    for folder in user_folders:
        folder = Path(folder)
        if not folder.is_dir():
            problems.append(Problem(T(zh="找不到规则文件夹", en="no such rule folder"), file=str(folder)))
            continue
        folders.append((folder, str(folder)))
    slot = key = None
    if not problems:
        slot, key = _cached_slot(folders, check_semantics)
        cached = slot.load(key) if slot is not None else None
        if isinstance(cached, RuleSet):
            return cached, []
    rules: list[LoadedRule] = []
    levels = Levels()
    levels_files = []
    for folder, origin in folders:
        for name in ("levels.yaml", "levels.yml"):
            if (folder / name).is_file():
                more, explicit_min = _read_levels(folder / name, problems)
                if more is not None:
                    levels = more if not levels_files else levels.merged(more, override_min_history=explicit_min)
                    levels_files.append(str(folder / name))
        entries = []
        for path in rule_files(folder):
            entries.extend(_read_rule_file(path, origin, problems))
        rules = _layer(rules, entries, origin, problems)
    ruleset = RuleSet(rules, levels, [f for f, _ in folders], levels_files)
    if check_semantics:
        problems.extend(semantic_problems(ruleset))
    if slot is not None and not problems:
        slot.save(key, ruleset)  # a rule set with problems is never cached: they are reported afresh
    return ruleset, problems


# --- the loaded rule set, cached -----------------------------------------------------------------
# Reading the rule files (YAML), validating them (pydantic) and checking their semantics take
# most of a small review's start. A rule set that loaded without a problem is kept pickled in
# the user cache (advisor.core.cache), keyed by the bytes of every file it was read from (the
# list of files included, so an added or removed file counts) and the folders' order, and stamped
# with advisor's own files and the versions of the libraries its objects come from. Any change
# to any of them reads the files again.


def _cached_slot(folders: list[tuple[Path, str]], check_semantics: bool) -> tuple[PickleSlot | None, str | None]:
    if cache_dir() is None:
        return None, None
    parts: list[str | bytes] = [f"semantics={check_semantics}"]
    try:
        for folder, origin in folders:
            parts += [str(folder.resolve()), origin]
            names = [folder / n for n in ("levels.yaml", "levels.yml") if (folder / n).is_file()]
            for path in names + rule_files(folder):
                parts += [path.name, path.read_bytes()]
    except OSError:
        return None, None  # a file that cannot be read: loading reports it
    stamp = _stamp()
    # One file per combination of folders (the stamp), replaced when the files' contents change.
    name_key = fingerprint(stamp, *(str(folder.resolve()) for folder, _ in folders), str(check_semantics))
    return PickleSlot("ruleset", name_key), fingerprint(*parts)


@lru_cache(maxsize=1)
def _stamp() -> str:
    return code_stamp(f"pydantic={pydantic.VERSION}", f"jinja2={jinja2.__version__}", f"yaml={yaml.__version__}")


# --- "title has zh but no en" ------------------------------------------------------------------
# Here, not in advisor.jobs.lint: every command clarifies its loading problems, and importing
# the linter (with the rule docs and rule tests it uses) only for this cost every start.

_MISSING_LANG = re.compile(r"^missing required key '(zh|en)'$")


def clarify(problems: list[Problem]) -> list[Problem]:
    """Reword a text's missing language: 'then.title has zh but no en', not 'missing key en'."""
    missing: dict[tuple, set[str]] = {}
    for p in problems:
        m = _MISSING_LANG.match(p.message.en)
        if m and p.field and p.field.endswith("." + m.group(1)):
            missing.setdefault((p.file, p.field.rsplit(".", 1)[0]), set()).add(m.group(1))
    if not missing:
        return problems
    out = []
    for p in problems:
        m = _MISSING_LANG.match(p.message.en)
        if not (m and p.field and p.field.endswith("." + m.group(1))):
            out.append(p)
            continue
        where = p.field.rsplit(".", 1)[0]
        name = re.sub(r"^\[\d+\]\.?", "", where) or where
        lacking = missing[(p.file, where)]
        if lacking == {"zh", "en"}:
            if m.group(1) == "en":
                continue  # one line for both
            msg = T(zh=f"{name} 需要中文(zh)和英文(en)两段文字", en=f"{name} needs a zh and an en text")
        elif m.group(1) == "en":
            msg = T(zh=f"{name} 有中文(zh)但没有英文(en):每段文字都要写两种语言",
                    en=f"{name} has zh but no en: every text needs both languages")
        else:
            msg = T(zh=f"{name} 有英文(en)但没有中文(zh):每段文字都要写两种语言",
                    en=f"{name} has en but no zh: every text needs both languages")
        out.append(Problem(msg, file=p.file, line=p.line, col=p.col, field=p.field))
    return out
