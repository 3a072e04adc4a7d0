"""A user rule folder reaches every place that evaluates or documents rules.

tests/fixtures/user-layer/ adds one review rule, one cta rule and one level name. Nothing may
fall back silently to the shipped rules alone: `advisor cta check`, the HTML report and
`advisor schema` all see the layer, and the library functions behind them take the caller's
rules as a required argument.
"""

from __future__ import annotations

import inspect
import json

import pytest

from conftest import EXAMPLES, ROOT, run_cli
from advisor.jobs import schemas
from advisor.jobs.cta_check import CtaChecker, check_text
from advisor.render.html_report import review_html

pytestmark = pytest.mark.usefixtures("clean_env")

LAYER = ROOT / "tests" / "fixtures" / "user-layer"
EXPORT = EXAMPLES / "wechat_channels_export.csv"


def test_cta_check_sees_the_user_cta_rule():
    with_layer = run_cli("cta", "check", "芝麻开门,点个赞", "--rules", LAYER, "--lang", "en", "--format", "json")
    assert with_layer.exit_code == 1
    assert [f["rule_id"] for f in json.loads(with_layer.stdout)["findings"]] == ["user-layer-open-sesame"]
    shipped_only = run_cli("cta", "check", "芝麻开门,点个赞", "--lang", "en")
    assert shipped_only.exit_code == 0


def test_html_report_shows_the_user_review_rule(tmp_path):
    out = tmp_path / "report.html"
    result = run_cli("review", EXPORT, "--rules", LAYER, "--lang", "en", "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    assert "user layer rule: many views" in out.read_text(encoding="utf-8")
    plain = tmp_path / "plain.html"
    assert run_cli("review", EXPORT, "--lang", "en", "--format", "html", "-o", plain).exit_code == 0
    assert "user layer rule" not in plain.read_text(encoding="utf-8")


def test_schema_lists_the_user_level(tmp_path):
    result = run_cli("schema", "rules", "--rules", LAYER)
    assert result.exit_code == 0
    enum = json.loads(result.stdout)["$defs"]["MetricCondition"]["properties"]["level"]["anyOf"][0]["enum"]
    assert "user_layer_huge" in enum
    assert run_cli("schema", "all", "--rules", LAYER, "--output-dir", tmp_path).exit_code == 0
    assert "user_layer_huge" in (tmp_path / "rules.schema.json").read_text(encoding="utf-8")
    assert "user_layer_huge" not in run_cli("schema", "rules").stdout


@pytest.mark.parametrize("fn, name", [(CtaChecker.__init__, "ruleset"), (check_text, "ruleset"),
                                      (review_html, "levels"), (schemas.schema, "ruleset"),
                                      (schemas.schema_text, "ruleset"), (schemas.write_schemas, "ruleset")])
def test_the_rules_in_use_are_a_required_argument(fn, name):
    """No default that would quietly mean 'the shipped rules only'."""
    assert inspect.signature(fn).parameters[name].default is inspect.Parameter.empty
