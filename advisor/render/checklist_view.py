"""What the checklist's templates (templates/checklist/*.j2, templates/html/checklist.html.j2) see.

Each plan's JSON (advisor.jobs.checklist), with the items waiting for the same missing fields
grouped, and the labels in the checklist's language.
"""

from __future__ import annotations

from advisor.core.i18n import Lang, T
from advisor.engine.explain import label
from advisor.jobs.checklist import GOAL_LABELS, STATUS_LABELS, Checklist, PlanChecklist


def checklist_context(result: Checklist) -> dict:
    """What templates/checklist/checklist.{txt,md}.j2 see."""
    return {"plans": [template_plan(p, result.lang) for p in result.plans], "L": labels(result.lang)}


def labels(lang: Lang) -> dict:
    texts = {
        "heading": T(zh="发布前检查清单", en="Pre-publish checklist"),
        "plan": T(zh="计划", en="Plan"),
        "goal": T(zh="目标", en="Goal"),
        "no_goal": T(zh="未定", en="not set"),
        "how": T(zh="怎么做", en="How"),
        "try": T(zh="可以改成", en="Try instead"),
        "fill_in": T(zh="补充", en="Fill in"),
        "waits": T(zh="以下几项要用到它,现在还无法判断:", en="these checks need it and cannot be decided yet:"),
        "legend": T(zh="❗ 待办:发布前改好 · 💡 建议:值得考虑 · ✓ 已满足",
                    en="❗ to do: fix before publishing · 💡 consider: worth a thought · ✓ OK: already right"),
        "no_plans": T(zh="没有可检查的计划。", en="No plans to check."),
        "colon": T(zh=":", en=": "),
    }
    out = {k: v.get(lang) for k, v in texts.items()}
    out["status"] = {k: v.get(lang) for k, v in STATUS_LABELS.items()}
    out["goals"] = {k: v.get(lang) for k, v in GOAL_LABELS.items()}
    return out


def field_name(name: str, lang: Lang) -> str:
    """'互动目标(goal)' / 'account stage (account_stage)' / 'goal': the label and the key to type."""
    text = label(name, lang, "plan")
    if text == name:
        return name
    return f"{text}({name})" if lang == "zh" else f"{text} ({name})"


def template_plan(pc: PlanChecklist, lang: Lang) -> dict:
    """A plan's JSON plus what the templates group: items waiting for the same missing fields.

    A plan without a goal leaves several rules unable to decide; the text and Markdown show one
    "fill in goal" line listing them, instead of one line each (the JSON keeps one item per rule).
    """
    data = pc.to_json()
    data["main"] = [i for i in data["items"] if not i.get("missing")]
    groups: dict[tuple, dict] = {}
    for item in data["items"]:
        if item.get("missing"):
            key = tuple(item["missing"])
            sep = "、" if lang == "zh" else ", "
            fields = sep.join(field_name(m, lang) for m in key)
            groups.setdefault(key, {"fields": fields, "missing": list(key), "items": []})["items"].append(item)
    data["waiting"] = list(groups.values())
    return data
