"""`advisor cta`: generate a dual-track CTA; `advisor cta check`: the H13 lint of a CTA text."""

from __future__ import annotations

import sys

import click

from advisor.jobs.cta import DEFAULT_PROFILE, FOCUSES, GOALS, TONES, write_ctas
from advisor.input.profiles import shipped_profile_dirs
from advisor.jobs.cta_check import check_text, read_text_file, validate_text
from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.model.metrics import FORMS
from advisor.render.emit import emit
from advisor.cli.common import guarded, settings
from advisor.cli.options import run_options


def _format_option(fn):
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                        help="Output format. 输出格式。")(fn)


@click.group("cta", invoke_without_command=True)
@click.option("--goal", type=click.Choice(list(GOALS)), default="both", show_default=True,
              help="What the video is for; decides which track leads. 互动目标,决定先说哪一轨。")
@click.option("--form", type=click.Choice(list(FORMS)), default=None,
              help="Content form: wording and timeline. 体裁。")
@click.option("--tone", type=click.Choice(list(TONES)), default="warm", show_default=True,
              help="Tone of voice. 语气。")
@click.option("--topic", default=None, help="What the video is about, e.g. 家常菜. 主题。")
@click.option("--series", default=None, help="The series it belongs to. 所属系列。")
@click.option("--variants", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many versions to A/B test (H12); each changes one thing from A. A/B 测试版本数。")
@click.option("--lead", type=click.Choice(["like", "heart"]), default=None,
              help="Say this track first, whatever the goal. 指定先说的一轨。")
@click.option("--focus", type=click.Choice(list(FOCUSES)), default=None,
              help="Add a line, e.g. comments_and_return after short-lived heat. 补充号召。")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False), default=None,
              help="A folder of edited CTA templates laid over templates/cta/. 自定义模板文件夹。")
@click.option("--profile", default=None,
              help="Platform whose buttons the CTA words: wechat_channels, douyin, generic or a profile YAML file; "
                   "default: the config's profile, else wechat_channels. 平台(按钮的真实作用)。")
@click.option("--duration", "duration_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Planned length in seconds: the CTA's spoken length must fit max(4 s, 10%). 计划时长(秒)。")
@_format_option
@run_options
@click.pass_context
@guarded
def cta_group(ctx, goal, form, tone, topic, series, variants, lead, focus, templates_dir, profile, duration_s, fmt,
              lang, rules_dirs, config_path, engine, output):
    """Write a dual-track call to action (H07): a like line and a heart line.

    生成双轨号召,按平台按钮的真实作用措辞:视频号的小红心会推荐给观众的朋友,点赞只有作者看得到;
    抖音只有一个赞,第二轨换成收藏或关注。--duration 让号召塞得进视频,图文写配文,直播换成直播间的请求。

    \b
    Examples / 示例:
      advisor cta --goal both --topic 家常菜 --lang zh
      advisor cta --goal exposure --duration 15 --profile douyin
      advisor cta --goal relationship --series "Sourdough diary" --lang en --variants 3
      advisor cta check "点赞过万才更新"        (the H13 lint / 检查操纵式诱导)
    """
    if ctx.invoked_subcommand is not None:
        return
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine, profile=profile)
    ruleset = st.ruleset()
    result = write_ctas(ruleset, engine=st.engine, goal=goal, form=form, tone=tone, topic=topic, series=series,
                        lang=st.lang, variants=variants, lead=lead, focus=focus, templates_dir=templates_dir,
                        levels=ruleset.levels, profile=st.profile or DEFAULT_PROFILE, duration_s=duration_s,
                        profile_dirs=[*shipped_profile_dirs(), *ruleset.profile_dirs()])
    emit(result, fmt, st.lang, output=output)
    for c, check in result.flagged:
        for f in check.findings:
            click.echo(T(zh="注意:版本 {v} 被 advisor cta check 标记({r},H13):「{m}」;请改写主题、系列名或模板",
                         en='warning: variant {v} is flagged by advisor cta check ({r}, H13): "{m}"; reword the topic, '
                            'series or template').format(st.lang, v=c.variant, r=f.rule_id, m=f.matched), err=True)
    sys.exit(1 if result.flagged else 0)


@cta_group.command("check")
@click.argument("text", required=False)
@click.option("--file", "file_", type=str, default=None,
              help="Read the CTA from a UTF-8 text file (- for standard input). 从文件读取号召文案。")
@_format_option
@run_options
@guarded
def check_command(text, file_, fmt, lang, rules_dirs, config_path, engine, output):
    """Lint a CTA for manipulative inducement (H13): a like/share/follow request with a threat,
    superstition, shaming, a reward, an absolute demand, bandwagon pressure or content gating in the
    same sentence; also stacked demands.

    检查号召里的操纵式诱导:同一句里的互动请求加上威胁、迷信、内疚或身份绑架、利诱、绝对化要求、
    从众压力或内容门槛;以及叠加要求。
    退出码 / exit status: 0 clean 没有问题, 1 found 发现问题, 2 bad input 输入有误.

    \b
    Examples / 示例:
      advisor cta check "点赞过万才更新下集"
      advisor cta check --file script.txt --lang en --format json
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine)
    if text is not None and file_ is not None:
        raise AdvisorError([Problem(T(zh="给出文字或 --file,二者选一", en="give the TEXT or --file, not both"), field="text")])
    if text is None and file_ is None:
        raise AdvisorError([Problem(T(zh="缺少要检查的文字:advisor cta check \"文案\" 或 --file 文件",
                                      en='nothing to check: advisor cta check "TEXT" or --file FILE'), field="text")])
    source = None
    if file_ is not None:
        text, source = read_text_file(file_)
    else:
        text = validate_text(text)
    result = check_text(text, st.ruleset(), engine=st.engine, source=source)
    emit(result, fmt, st.lang, output=output)
    sys.exit(0 if result.clean else 1)
