"""The facts of the experiment, goal and segment stages: which fields their rules may test.

They live here, below the jobs that build the facts (advisor.jobs.ab, .goals, .tiers), so the
stage registry (advisor.model.stages) can list every stage's fields without importing a job.
"""

from __future__ import annotations

from advisor.core.i18n import T
from advisor.model.metrics import FieldInfo

# The fields an experiment-stage rule may test: one fact per compared signal.
EXPERIMENT_FIELDS: dict[str, FieldInfo] = {
    "metric": FieldInfo("enum", T(zh="信号", en="signal")),
    "family": FieldInfo("enum", T(zh="信号类别", en="signal family")),
    "a": FieldInfo("rate", T(zh="A 组", en="variant A")),
    "b": FieldInfo("rate", T(zh="B 组", en="variant B")),
    "diff": FieldInfo("ratio", T(zh="差值(B−A)", en="difference (B−A)")),
    "lift": FieldInfo("ratio", T(zh="相对提升(B 比 A)", en="relative lift (B over A)")),
    "verdict": FieldInfo("enum", T(zh="结论", en="verdict")),
    "winner": FieldInfo("enum", T(zh="胜出组", en="winner")),
    "decided": FieldInfo("bool", T(zh="已分出胜负", en="decided")),
    "confidence": FieldInfo("rate", T(zh="置信度", en="confidence")),
    "p_value": FieldInfo("ratio", T(zh="p 值", en="p-value")),
    "prob_b_beats_a": FieldInfo("rate", T(zh="B 优于 A 的概率", en="probability B beats A")),
    "views_a": FieldInfo("count", T(zh="A 组播放量", en="views of A")),
    "views_b": FieldInfo("count", T(zh="B 组播放量", en="views of B")),
    "views_needed": FieldInfo("count", T(zh="还需播放量", en="more views needed")),
    "views_needed_a": FieldInfo("count", T(zh="A 组还需播放量", en="more views needed for A")),
    "views_needed_b": FieldInfo("count", T(zh="B 组还需播放量", en="more views needed for B")),
    "required_views": FieldInfo("count", T(zh="每组所需播放量", en="views needed per variant")),
    "split": FieldInfo("bool", T(zh="两组各有胜项", en="each variant wins something")),
    "wins_a": FieldInfo("count", T(zh="A 组胜出的信号数", en="signals A wins")),
    "wins_b": FieldInfo("count", T(zh="B 组胜出的信号数", en="signals B wins")),
    # Display texts, added when findings are rendered (rule texts may use them):
    "metric_label": FieldInfo("text", T(zh="信号名称", en="signal name")),
    "label_a": FieldInfo("text", T(zh="A 组名称", en="name of A")),
    "label_b": FieldInfo("text", T(zh="B 组名称", en="name of B")),
    "winner_label": FieldInfo("text", T(zh="胜出组名称", en="name of the winner")),
    "loser_label": FieldInfo("text", T(zh="落后组名称", en="name of the other variant")),
    "other_wins": FieldInfo("text", T(zh="另一组胜出的信号", en="signals the other variant wins")),
}

# The fields a goal-stage rule may test: a target's fact and the goal set's fact (`kind` tells
# them apart; a condition on a field the other kind lacks is simply unknown there).
GOAL_FIELDS: dict[str, FieldInfo] = {
    "kind": FieldInfo("enum", T(zh="事实类型", en="fact kind")),
    "id": FieldInfo("text", T(zh="目标ID", en="target id")),
    "metric": FieldInfo("enum", T(zh="目标指标", en="target metric")),
    "family": FieldInfo("enum", T(zh="指标类别", en="metric family")),
    "per": FieldInfo("enum", T(zh="考核单位", en="measured per")),
    "direction": FieldInfo("enum", T(zh="方向", en="direction")),
    "measurable": FieldInfo("bool", T(zh="数据可衡量", en="measurable from the data")),
    "baseline": FieldInfo("ratio", T(zh="基线", en="baseline")),
    "current": FieldInfo("ratio", T(zh="本周值", en="current value")),
    "target": FieldInfo("ratio", T(zh="目标值", en="target value")),
    "change": FieldInfo("ratio", T(zh="变化", en="change")),
    "change_rel": FieldInfo("ratio", T(zh="相对变化", en="relative change")),
    "progress": FieldInfo("ratio", T(zh="完成进度", en="progress")),
    "met": FieldInfo("bool", T(zh="已达成", en="met")),
    "direction_ok": FieldInfo("bool", T(zh="方向正确", en="moving the right way")),
    "weeks": FieldInfo("count", T(zh="有数据的周数", en="weeks with data")),
    "weeks_missed": FieldInfo("count", T(zh="连续未达成周数", en="weeks missed in a row")),
    "weeks_met": FieldInfo("count", T(zh="达成的周数", en="weeks met")),
    "videos": FieldInfo("count", T(zh="本周视频数", en="videos this week")),
    "videos_moved": FieldInfo("count", T(zh="推动目标的视频数", en="videos that moved it")),
    "videos_moved_share": FieldInfo("rate", T(zh="推动目标的视频占比", en="share of videos that moved it")),
    "videos_met": FieldInfo("count", T(zh="达到目标值的视频数", en="videos at the target")),
    "has_companion": FieldInfo("bool", T(zh="有伴随指标", en="has a companion metric")),
    "companion_ok": FieldInfo("bool", T(zh="伴随指标同步变化", en="companion moved as wanted")),
    "companion_change_rel": FieldInfo("ratio", T(zh="伴随指标相对变化", en="companion's relative change")),
    "account_stage": FieldInfo("enum", T(zh="账号阶段", en="account stage")),
    "from_defaults": FieldInfo("bool", T(zh="使用默认目标", en="default targets")),
    "targets": FieldInfo("count", T(zh="目标数", en="targets")),
    "exposure_targets": FieldInfo("count", T(zh="曝光类目标数", en="reach targets")),
    "relationship_targets": FieldInfo("count", T(zh="关系类目标数", en="relationship targets")),
    "retention_targets": FieldInfo("count", T(zh="留存类目标数", en="retention targets")),
    "measurable_targets": FieldInfo("count", T(zh="可衡量的目标数", en="measurable targets")),
    "met_targets": FieldInfo("count", T(zh="已达成的目标数", en="targets met")),
    "unmet_targets": FieldInfo("count", T(zh="未达成的目标数", en="targets not met")),
    # Display texts, added when findings are rendered (rule texts may use them):
    "metric_label": FieldInfo("text", T(zh="指标名称", en="metric name")),
    "target_label": FieldInfo("text", T(zh="目标描述", en="target description")),
    "baseline_text": FieldInfo("text", T(zh="基线(格式化)", en="baseline, formatted")),
    "current_text": FieldInfo("text", T(zh="本周值(格式化)", en="current value, formatted")),
    "target_text": FieldInfo("text", T(zh="目标值(格式化)", en="target value, formatted")),
    "change_text": FieldInfo("text", T(zh="变化(格式化)", en="change, formatted")),
    "needs_text": FieldInfo("text", T(zh="缺少的数据从哪里来", en="where the missing data would come from")),
    "companion_label": FieldInfo("text", T(zh="伴随指标名称", en="companion metric name")),
    "moved_list": FieldInfo("text", T(zh="推动目标的视频", en="videos that moved it")),
    "not_moved_list": FieldInfo("text", T(zh="没有推动目标的视频", en="videos that did not")),
    "week_label": FieldInfo("text", T(zh="本周", en="current week")),
    "stage_label": FieldInfo("text", T(zh="账号阶段名称", en="account stage name")),
}

# The fields a segment-stage rule may test: a viewer's fact and a tier's fact (`kind` tells them apart).
SEGMENT_FIELDS: dict[str, FieldInfo] = {
    "kind": FieldInfo("enum", T(zh="事实类型", en="fact kind")),
    "id": FieldInfo("text", T(zh="观众ID", en="viewer id")),
    "likes_given": FieldInfo("count", T(zh="点赞次数", en="likes given")),
    "hearts_given": FieldInfo("count", T(zh="小红心次数", en="hearts given")),
    "comments_made": FieldInfo("count", T(zh="评论次数", en="comments written")),
    "visits": FieldInfo("count", T(zh="访问次数", en="visits")),
    "interactions": FieldInfo("count", T(zh="互动总数", en="interactions")),
    "heart_share": FieldInfo("rate", T(zh="小红心占点赞加小红心的比例", en="hearts among likes and hearts")),
    "tier": FieldInfo("enum", T(zh="分层", en="tier")),
    "viewers": FieldInfo("count", T(zh="本层人数", en="viewers in the tier")),
    "share": FieldInfo("rate", T(zh="本层占比", en="share of all viewers")),
    "population": FieldInfo("count", T(zh="观众总数", en="all viewers")),
    "with_hearts": FieldInfo("count", T(zh="给过小红心的人数", en="viewers who gave a heart")),
    "hearts_share": FieldInfo("rate", T(zh="本层给出的小红心占全部的比例", en="share of all hearts given by the tier")),
    "likes_share": FieldInfo("rate", T(zh="本层给出的点赞占全部的比例", en="share of all likes given by the tier")),
    "avg_likes": FieldInfo("ratio", T(zh="人均点赞", en="likes per viewer")),
    "avg_hearts": FieldInfo("ratio", T(zh="人均小红心", en="hearts per viewer")),
    "avg_comments": FieldInfo("ratio", T(zh="人均评论", en="comments per viewer")),
    "avg_visits": FieldInfo("ratio", T(zh="人均访问", en="visits per viewer")),
    # Display text, added when findings are rendered:
    "tier_label": FieldInfo("text", T(zh="分层名称", en="tier name")),
}
