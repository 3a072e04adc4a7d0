"""`advisor rules ...`: check, test, list, show and document the rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from advisor.cli.common import guarded, print_problems, settings
from advisor.cli.options import config_option, lang_option, output_option, rules_option
from advisor.core import paths as shipped_paths
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import LANGS, T
from advisor.core.output import emit
from advisor.engine import ENGINES, durable_import_error
from advisor.input.ruleset import load_ruleset
from advisor.jobs.lint import lint
from advisor.jobs.rulesafety import engine_problems, text_problems
from advisor.jobs.ruledocs import docs_for, list_rules, show_rule
from advisor.jobs.ruletest import run_rule_tests
from advisor.render.emit import emit as emit_report
from advisor.model.catalog import heuristics
from advisor.model.stages import STAGES


@click.group("rules")
def rules_group():
    """Check, test, list and document rules. 检查、测试、列出和说明规则。"""


def _is_shipped(folder: Path) -> bool:
    return folder.resolve() == shipped_paths.shipped_rules().resolve()


@rules_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=False))
@rules_option
@config_option
@lang_option
@guarded
def check_command(paths, rules_dirs, config_path, lang):
    """Validate and lint rule folders: one `file:line:col: message` per problem.

    校验并检查规则文件夹(规则、levels.yaml、profiles/)。退出码:0 全部有效,1 有问题,2 无法运行。

    PATH is a rule folder laid over the shipped rules (with --rules and advisor.yaml's folders).

    \b
    Example:
      advisor rules check examples/my-rules
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs)
    folders = [Path(p) for p in paths]
    missing = [f for f in [*st.rule_dirs, *folders] if not f.is_dir()]
    if missing:
        raise AdvisorError([Problem(T(zh="找不到这个规则文件夹", en="no such rule folder"), file=str(f)) for f in missing])
    # Checking the shipped folder itself: it is the base already, not a second layer.
    extra = [f for f in folders if not _is_shipped(f)]
    ruleset, problems = st.collect(extra)
    problems = problems + lint(ruleset) + text_problems(ruleset)
    # durable_rules' limits: a rule set past them runs on the Python evaluator (a notice), unless
    # advisor.yaml asks for durable by name (then the run would fail: a problem).
    limits = engine_problems(ruleset) if not problems else []
    if st.engine == "durable":
        problems += limits
    else:
        for p in limits:
            click.echo(p.format(st.lang) + T(zh="(运行时改用 Python 参考引擎)",
                                             en=" (runs use the Python reference evaluator)").get(st.lang), err=True)
    problems = list(dict.fromkeys(problems))
    problems.sort(key=lambda p: (p.file or "", p.line or 0, p.col or 0))
    print_problems(problems, st.lang)
    if problems:
        click.echo(T(zh=f"发现 {len(problems)} 个问题", en=f"{len(problems)} problem(s) found").get(st.lang), err=True)
        sys.exit(1)
    n = len(ruleset.rules)
    click.echo(T(zh=f"规则全部有效({n} 条)", en=f"all rules valid ({n} rules)").get(st.lang))


def _split_test_paths(paths) -> tuple[list[Path], list[Path]]:
    """PATHs to test: a rule folder (one with a tests/ folder) is laid over the rules in use and its
    tests run; files and other folders are test files to run."""
    layers, targets = [], []
    for p in map(Path, paths):
        if p.is_dir() and (p / "tests").is_dir():
            if not _is_shipped(p):
                layers.append(p)
            targets.append(p / "tests")
        else:
            targets.append(p)
    return layers, targets


@rules_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=False))
@rules_option
@config_option
@click.option("--engine", type=click.Choice(["durable", "python", "all"]), default=None,
              help="Engine to run the cases on; `all` runs each case on every engine. 规则引擎。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format. 输出格式。")
@click.option("--verbose", "-v", is_flag=True, help="Also list the cases that pass. 同时列出通过的用例。")
@lang_option
@output_option
@guarded
def test_command(paths, rules_dirs, config_path, engine, fmt, verbose, lang, output):
    """Run rule tests: example inputs and the rules that must (not) fire.

    运行规则测试:示例数据,以及应当/不应当触发的规则。退出码:0 全部通过,1 有失败,2 无法运行。

    PATH is a test file, a folder of test files, or a rule folder (laid over the rules, its
    tests/ run). Default: the tests/ folder of every rule folder in use.

    \b
    Examples:
      advisor rules test
      advisor rules test examples/my-rules
    """
    layers, targets = _split_test_paths(paths)
    st = settings(lang=lang, config_path=config_path, rules_dirs=[*rules_dirs, *map(str, layers)],
                  engine=None if engine == "all" else engine)
    ruleset = st.ruleset()
    shipped = load_ruleset()
    if engine == "all":
        engines = tuple(e for e in ENGINES if e != "durable" or durable_import_error() is None)
    else:
        engines = (st.engine,)
    run = run_rule_tests(targets or None, ruleset=ruleset, shipped_ruleset=shipped, engines=engines)
    emit_report(run, fmt, st.lang, output=output, verbose=verbose)
    sys.exit(run.exit_code())


@rules_group.command("list")
@click.option("--stage", type=click.Choice(list(STAGES)), default=None, help="Only rules of this stage. 只列该阶段。")
@click.option("--heuristic", default=None, help="Only rules encoding this heuristic, e.g. H10. 只列该启发式的规则。")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="Output format. 输出格式。")
@rules_option
@config_option
@lang_option
@guarded
def list_command(stage, heuristic, fmt, rules_dirs, config_path, lang):
    """List the rules in use: id, stage, priority, heuristics, title, enabled, origin.

    列出当前使用的规则,包括来源(内置或哪个自定义文件夹)。

    \b
    Examples:
      advisor rules list --heuristic H10
      advisor rules list --stage review --rules examples/my-rules --lang zh
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs)
    if heuristic and heuristic.upper() not in heuristics():
        hint = did_you_mean(heuristic.upper(), heuristics())
        raise AdvisorError([Problem(T(zh=f"未知的启发式编号 {heuristic}(应为 H01-H20)" + (f";{hint.zh}" if hint else ""),
                                      en=f"unknown heuristic ID {heuristic} (expected H01-H20)" + (f"; {hint.en}" if hint else "")),
                                    file="--heuristic", field="--heuristic")])
    emit_report(list_rules(st.ruleset(), stage=stage, heuristic=heuristic, lang=st.lang), fmt, st.lang)


@rules_group.command("show")
@click.argument("rule_id")
@rules_option
@config_option
@lang_option
@guarded
def show_command(rule_id, rules_dirs, config_path, lang):
    """Show one rule in full, in plain language, with its heuristics.

    用平实的语言完整显示一条规则及其依据。

    \b
    Example:
      advisor rules show emotion-gap --lang zh
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs)
    ruleset = st.ruleset()
    loaded = ruleset.get(rule_id)
    if loaded is None:
        hint = did_you_mean(rule_id, [r.id for r in ruleset.rules])
        click.echo(T(zh=f"没有 id 为 {rule_id} 的规则" + (f";{hint.zh}" if hint else "") + "(用 advisor rules list 查看全部)",
                     en=f"no rule with id {rule_id}" + (f"; {hint.en}" if hint else "") + " (see advisor rules list)"
                     ).get(st.lang), err=True)
        sys.exit(2)
    click.echo(show_rule(loaded, ruleset, st.lang))


@rules_group.command("docs")
@rules_option
@config_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="One language only; default: both. 只输出一种语言;默认中英双语。")
@output_option
@guarded
def docs_command(rules_dirs, config_path, lang, output):
    """Write the Markdown catalogue of the rules, with examples from the rule tests.

    生成规则目录(Markdown):检查什么、为什么、建议、会/不会触发的例子。

    \b
    Example:
      advisor rules docs --output docs/rules.md
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs)
    text = docs_for(st.ruleset(), langs=(lang,) if lang else LANGS)
    emit(text, output)
    if output and output != "-":
        click.echo(T(zh=f"已写入 {output}", en=f"wrote {output}").get(st.lang), err=True)
