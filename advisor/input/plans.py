"""Loading plans, the input of `advisor checklist`: YAML or JSON files, located problems."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import ValidationError

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.input.values import json_int
from advisor.input.sources import decode_utf8, read_bytes
from advisor.input.yamlio import Locator, load_yaml, problems_from_validation_error
from advisor.model.plan import Plan

# --- loading plans: the input of `advisor checklist` -----------------------------------------------
# load_plans() reads YAML or JSON files (one plan, a list of plans, or `plans: [...]`), validates
# each plan with Plan, and keeps going past bad ones: every problem is located (file:line:col for
# YAML and, where the text allows, JSON; always the plan index and field).

MAX_PLAN_BYTES = 1_000_000

@dataclass
class LoadedPlan:
    plan: Plan
    file: str
    index: int | None  # position in the file's list; None for a file holding one plan
    line: int | None = None

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class PlanLoad:
    plans: list[LoadedPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _read_source(path: str) -> tuple[str, str]:
    """(text, name) of a plan file, or of standard input for '-'."""
    data, name = read_bytes(path, max_bytes=MAX_PLAN_BYTES)
    return decode_utf8(data, name, T(zh="计划文件须为 UTF-8 编码", en="a plan file must be UTF-8 encoded")), name


def _parse(text: str, name: str, is_json: bool) -> tuple[object, Locator | None]:
    """The file's data and, where possible, the positions of its keys."""
    if not is_json:
        return load_yaml(text, filename=name, max_bytes=MAX_PLAN_BYTES)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=json_int)
    except _DuplicateKey as exc:
        raise AdvisorError([Problem(T(zh=f"重复的键 '{exc.args[0]}'", en=f"duplicate key '{exc.args[0]}'"), file=name)]) from None
    except json.JSONDecodeError as exc:
        raise AdvisorError([Problem(T(zh=f"JSON 语法错误:{exc.msg}", en=f"JSON syntax error: {exc.msg}"),
                                    file=name, line=exc.lineno, col=exc.colno)]) from None
    except RecursionError:
        raise AdvisorError([Problem(T(zh="JSON 嵌套过深", en="JSON nested too deeply"), file=name)]) from None
    except ValueError as exc:  # a number Python refuses to read
        raise AdvisorError([Problem(T(zh=f"JSON 数值无法读取:{exc}", en=f"unreadable JSON number: {exc}"), file=name)]) from None
    # JSON is YAML 1.2 too: reading it again that way gives line:col for validation errors. When
    # that fails (rare JSON that YAML refuses), errors still name the plan index and field.
    try:
        _, locator = load_yaml(text, filename=name, max_bytes=MAX_PLAN_BYTES)
    except AdvisorError:
        locator = None
    return data, locator


def _plan_entries(data, locator: Locator | None, name: str) -> tuple[list[tuple[object, tuple, int | None]], list[Problem]]:
    """(entry, key path, index) for each plan in a file's data: a plan, a list, or `plans: [...]`."""
    def at(path):
        return locator.at(path) if locator is not None else (None, None)

    prefix: tuple = ()
    problems: list[Problem] = []
    if isinstance(data, dict) and "plans" in data and "id" not in data:
        for key in data:
            if key != "plans":
                line, col = at((key,))
                problems.append(Problem(T(zh=f"未知的键 '{key}'(计划放在 plans 列表里)",
                                          en=f"unknown key '{key}' (plans go in the plans list)"),
                                        file=name, line=line, col=col, field=str(key)))
        data, prefix = data["plans"], ("plans",)
        if not isinstance(data, list):
            line, col = at(prefix)
            return [], problems + [Problem(T(zh="plans 应是计划列表", en="plans must be a list of plans"),
                                           file=name, line=line, col=col, field="plans")]
    if data is None:
        return [], problems + [Problem(T(zh="文件里没有计划", en="the file holds no plans"), file=name)]
    if isinstance(data, dict):
        return [(data, prefix, None)], problems
    if isinstance(data, list):
        if not data:
            return [], problems + [Problem(T(zh="计划列表是空的", en="the list of plans is empty"), file=name)]
        return [(entry, prefix + (i,), i) for i, entry in enumerate(data)], problems
    line, col = at(())
    return [], problems + [Problem(T(zh="计划文件应是一个计划(键值映射)或计划列表",
                                     en="a plan file holds one plan (a mapping) or a list of plans"),
                                   file=name, line=line, col=col)]


def load_plans(paths_) -> PlanLoad:
    """Plans from YAML/JSON files ('-' for standard input); bad plans are listed, good ones kept."""
    result = PlanLoad()
    seen: dict[str, LoadedPlan] = {}
    for path in paths_:
        path = str(path)
        try:
            text, name = _read_source(path)
            data, locator = _parse(text, name, is_json=path.lower().endswith(".json")
                                   or (path == "-" and text.lstrip()[:1] in ("{", "[")))
        except AdvisorError as exc:
            result.problems.extend(exc.problems)
            continue
        result.files.append(name)
        entries, problems = _plan_entries(data, locator, name)
        result.problems.extend(problems)
        for entry, base, index in entries:
            line, col = locator.at(base) if locator is not None else (None, None)
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in base).lstrip(".")
            if not isinstance(entry, dict):
                result.problems.append(Problem(T(zh="每个计划应是键值映射(字段: 值)", en="each plan is a mapping (field: value)"),
                                               file=name, line=line, col=col, field=where or None))
                continue
            entry = dict(entry)
            # `id: 12` in YAML is a number; a plan id is a name, so take it as written.
            if isinstance(entry.get("id"), (int, float)) and not isinstance(entry.get("id"), bool):
                entry["id"] = str(entry["id"])
            try:
                plan = Plan.model_validate(entry)
            except ValidationError as exc:
                result.problems.extend(problems_from_validation_error(exc, locator, name, base_path=base, model=Plan))
                continue
            loaded = LoadedPlan(plan, name, index, line if locator is not None else None)
            if plan.id in seen:
                first = seen[plan.id]
                id_line, id_col = locator.at(base + ("id",)) if locator is not None else (None, None)
                result.problems.append(Problem(
                    T(zh=f"计划 id {plan.id} 重复(第一次出现在 {first.where()});两份都已检查,请改成不同的 id",
                      en=f"duplicate plan id {plan.id} (first at {first.where()}); both were checked - give them different ids"),
                    file=name, line=id_line, col=id_col, field=f"{where}.id" if where else "id"))
            else:
                seen[plan.id] = loaded
            result.plans.append(loaded)
    return result
