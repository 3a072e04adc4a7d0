"""JSON Schemas of every user-editable file, generated from the pydantic models.

`advisor schema rules|levels|profile|plan|metrics|config|tests` prints one. The models are the
single source of truth; this module only adds what a model cannot know by itself, so that an
editor (VS Code with the YAML extension) can offer completions and underline mistakes:
enums of metric names (per stage, for rule conditions), level names, stages and heuristic IDs,
and the rule-file rule that an entry of only id/enabled/priority is a patch of a shipped rule.

The shipped copies live in rules/schemas/ (tests/test_schemas.py fails when they are stale),
and every shipped rule, levels and profile file starts with a `# yaml-language-server:
$schema=...` line pointing at its schema.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from advisor.core.output import write_atomic
from advisor.input.config import Config
from advisor.input.profiles import CANONICAL, Profile
from advisor.input.ruleset import RuleSet
from advisor.jobs.ruletest import FACT_KINDS, case_model
from advisor.model.catalog import heuristic_ids
from advisor.model.levels import Levels
from advisor.model.metrics import DERIVED, FIELDS, FORMS, NUMERIC_KINDS
from advisor.model.rules_model import Rule, RulePatch
from advisor.model.stages import STAGES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_NAMES = ("rules", "levels", "profile", "plan", "metrics", "config", "tests")
PATCH_KEYS = ["id", "enabled", "priority"]

# Which schema each kind of shipped file uses (relative to the shipped rules folder).
MODELINE = "# yaml-language-server: $schema={path}"


def schema_for_file(path: Path, rules_root: Path) -> str | None:
    """The schema name of a file inside a rule folder, or None for files without one."""
    rel = path.relative_to(rules_root)
    if rel.suffix not in (".yaml", ".yml"):
        return None
    if len(rel.parts) == 1:
        if rel.name in ("levels.yaml", "levels.yml"):
            return "levels"
        if rel.name in ("advisor.yaml", "advisor.yml"):
            return "config"
        return "rules"
    if rel.parts[0] == "profiles" and len(rel.parts) == 2:
        return "profile"
    if rel.parts[0] == "tests" and len(rel.parts) == 2:
        return "tests"
    return None


def modeline(path: Path, rules_root: Path, name: str) -> str:
    """The first line that points the YAML extension at the schema, relative to the file."""
    depth = len(path.relative_to(rules_root).parts) - 1
    return MODELINE.format(path="../" * depth + f"schemas/{name}.schema.json")


# --- helpers ------------------------------------------------------------------------------------

def _split(model) -> tuple[dict, dict]:
    """A model's schema without its $defs, and the $defs."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    return schema, defs


def _string_enum(prop: dict, values, description: str | None = None) -> None:
    """Constrain a string property (possibly Optional) to `values`, in place."""
    values = list(values)
    if prop.get("type") == "string":
        prop["enum"] = values
    elif "anyOf" in prop:
        for alt in prop["anyOf"]:
            if alt.get("type") == "string":
                alt["enum"] = values
    if description:
        prop["description"] = description


def _level_names(levels: Levels | None) -> list[str]:
    if levels is None:
        return []
    names: list[str] = []
    for defs in levels.metrics.values():
        for name in defs:
            if name not in names:
                names.append(name)
    return names


def _stage_fields() -> dict[str, dict]:
    """Every stage of the registry and the fields its rules may test, in the registry's order."""
    return {name: spec.fields for name, spec in STAGES.items()}


def _root(title: str, description: str, body: dict, defs: dict) -> dict:
    out = {"$schema": DIALECT, "title": title, "description": description}
    out.update(body)
    if defs:
        out["$defs"] = defs
    return out


def _level_def_schema(defs: dict) -> None:
    level = defs.get("LevelDef")
    if level is not None:
        absolute = level["properties"]["absolute"]
        absolute["propertyNames"] = {"enum": ["default", *FORMS]}
        absolute["required"] = ["default"]


def _level_metric_names() -> list[str]:
    """The metric names a levels file may define levels for: any stage's (as the loader allows)."""
    return list(dict.fromkeys(name for fields in _stage_fields().values() for name in fields))


# --- one schema per kind of file ----------------------------------------------------------------

def rules_schema(levels: Levels | None = None) -> dict:
    rule, defs = _split(Rule)
    patch, more = _split(RulePatch)
    defs.update(more)
    stages = _stage_fields()
    all_metrics = []
    for fields in stages.values():
        all_metrics += [m for m in fields if m not in all_metrics]
    _string_enum(defs["MetricCondition"]["properties"]["metric"], all_metrics)
    names = _level_names(levels)
    if names:
        _string_enum(defs["MetricCondition"]["properties"]["level"], names)
    rule["properties"]["heuristics"]["items"] = {"type": "string", "enum": list(heuristic_ids())}
    # Per stage, the metric names a condition may use, at any depth of all/any/not.
    rule["allOf"] = []
    for stage, fields in stages.items():
        key = f"when_{stage}"
        defs[key] = {
            "description": f"Conditions of a {stage} rule: metric names of the {stage} stage.",
            "type": "object",
            "properties": {
                "metric": {"enum": list(fields)},
                "all": {"type": "array", "items": {"$ref": f"#/$defs/{key}"}},
                "any": {"type": "array", "items": {"$ref": f"#/$defs/{key}"}},
                "not": {"$ref": f"#/$defs/{key}"},
            },
        }
        rule["allOf"].append({"if": {"properties": {"stage": {"const": stage}}, "required": ["stage"]},
                              "then": {"properties": {"when": {"$ref": f"#/$defs/{key}"}}}})
    defs["Rule"] = rule
    defs["RulePatch"] = patch
    body = {
        "type": "array",
        "items": {
            # As the loader decides: an entry of only id / enabled / priority patches a rule.
            "if": {"type": "object", "propertyNames": {"enum": PATCH_KEYS}},
            "then": {"$ref": "#/$defs/RulePatch"},
            "else": {"$ref": "#/$defs/Rule"},
        },
    }
    return _root("advisor rule file", "A list of rules (rules/*.yaml, or a user rule folder).", body, defs)


def levels_schema() -> dict:
    levels, defs = _split(Levels)
    levels["properties"]["metrics"]["propertyNames"] = {"enum": _level_metric_names()}
    _level_def_schema(defs)
    return _root("advisor levels", "Named levels per metric (levels.yaml).", levels, defs)


def profile_schema() -> dict:
    profile, defs = _split(Profile)
    props = profile["properties"]
    props["columns"]["additionalProperties"] = {"type": "string", "enum": list(CANONICAL)}
    props["values"]["propertyNames"] = {"enum": list(CANONICAL)}
    props["defaults"]["propertyNames"] = {"enum": [c for c in CANONICAL if c != "id"]}
    props["id_from"]["items"] = {"type": "string", "enum": [c for c in CANONICAL if c != "id"]}
    return _root("advisor platform profile", "Which export columns are which fields (profiles/*.yaml).", profile, defs)


# The models of the plan and review stages' facts (a plan file, a metrics file), from the registry.
PLAN_MODEL = STAGES["plan"].fact_model
VIDEO_MODEL = STAGES["review"].fact_model


def plan_schema() -> dict:
    plan, defs = _split(PLAN_MODEL)
    defs[PLAN_MODEL.__name__] = plan
    ref = {"$ref": f"#/$defs/{PLAN_MODEL.__name__}"}
    body = {"anyOf": [ref, {"type": "array", "items": ref}]}
    return _root("advisor video plan", "One planned video, or a list of them.", body, defs)


def _as_exported(video: dict) -> dict:
    """Numeric fields also accept text as platforms export it: "29.9%", "14.73秒", "3.1万"."""
    video = copy.deepcopy(video)
    for name, prop in video["properties"].items():
        if name in FIELDS and FIELDS[name].kind in NUMERIC_KINDS:
            alts = prop.get("anyOf", [prop])
            alts = [a for a in alts if a.get("type") != "null"]
            prop.clear()
            prop["anyOf"] = alts + [{"type": "string", "description": "as exported, e.g. 29.9%, 14.73秒, 3.1万"},
                                    {"type": "null"}]
    return video


def metrics_schema() -> dict:
    video, defs = _split(VIDEO_MODEL)
    defs[VIDEO_MODEL.__name__] = _as_exported(video)
    ref = {"$ref": f"#/$defs/{VIDEO_MODEL.__name__}"}
    body = {"anyOf": [ref, {"type": "array", "items": ref},
                      {"type": "object", "properties": {"videos": {"type": "array", "items": ref}},
                       "required": ["videos"]}]}
    return _root("advisor video metrics", "Videos in canonical field names (a JSON/YAML input of advisor review).",
                 body, defs)


def config_schema() -> dict:
    config, defs = _split(Config)
    _level_def_schema(defs)
    names = _level_metric_names()
    config["properties"]["levels"]["propertyNames"] = {"enum": names}
    if "Account" in defs:
        defs["Account"]["properties"]["levels"]["propertyNames"] = {"enum": names}
    return _root("advisor project config", "advisor.yaml: rule folders, language, profile, levels, accounts.",
                 config, defs)


def tests_schema() -> dict:
    case, defs = _split(case_model())
    for key, kind in FACT_KINDS.items():
        if kind.model is not None:
            inner, more = _split(kind.model)
            defs.update(more)
            inner = _as_exported(inner) if kind.model is VIDEO_MODEL else inner
            inner["required"] = [r for r in inner.get("required", []) if r != "id"]  # a test may leave id out
            defs[kind.model.__name__] = inner
            # Derived rates may be given directly in a test video.
            if kind.model is VIDEO_MODEL:
                inner["properties"].update({name: {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
                                                   "description": d.description.en} for name, d in DERIVED.items()})
            case["properties"][key] = {"$ref": f"#/$defs/{kind.model.__name__}", "description": kind.label.en}
            if kind.history:
                case["properties"]["history"] = {"type": "array", "items": {"$ref": f"#/$defs/{kind.model.__name__}"},
                                                 "description": case["properties"]["history"].get("description", "")}
        elif kind.schema is not None:
            case["properties"][key] = kind.schema()
    defs["RuleTestCase"] = case
    body = {"type": "array", "items": {"$ref": "#/$defs/RuleTestCase"}}
    return _root("advisor rule tests", "Rule test cases (tests/*.yaml in a rule folder).", body, defs)


def schema(name: str, ruleset: RuleSet) -> dict:
    """The JSON Schema `name` (one of SCHEMA_NAMES); level names come from the caller's `ruleset`
    (the rules in use: shipped, user folders and advisor.yaml's levels)."""
    if name == "rules":
        return rules_schema(ruleset.levels)
    builders = {"levels": levels_schema, "profile": profile_schema, "plan": plan_schema,
                "metrics": metrics_schema, "config": config_schema, "tests": tests_schema}
    if name not in builders:
        raise ValueError(f"unknown schema {name!r}; expected one of {', '.join(SCHEMA_NAMES)}")
    return builders[name]()


def schema_text(name: str, ruleset: RuleSet) -> str:
    return json.dumps(schema(name, ruleset), ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path, ruleset: RuleSet) -> list[Path]:
    """Write every schema into `folder` as <name>.schema.json (atomically); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMA_NAMES:
        path = folder / f"{name}.schema.json"
        write_atomic(path, schema_text(name, ruleset))
        written.append(path)
    return written
