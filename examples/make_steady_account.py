"""Write examples/steady_account_export.csv: a steady 视频号 account in the 视频号助手 format.

Thirty short cooking videos drawn from one distribution (advisor.stats.simulate.quiet_series,
seed 11), with four planted stories an operator should notice:
  #8   a recipe that caught on with likes, while comments and shares stayed low (short-lived heat);
  #14  a family story that drew four times the usual hearts and comments (a loyal core);
  #21  a long tutorial viewers left early (completion a quarter of the usual);
  #26  a video viewers watched to the end but hardly anyone gave a heart (an emotional gap).
Everything else is ordinary variation, and the review should say so.

    python examples/make_steady_account.py     # rewrites the CSV (deterministic)
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from advisor.stats.simulate import quiet_series  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "steady_account_export.csv")
HEADER = ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量", "关注量",
          "转发聊天和朋友圈", "设为铃声", "设为状态", "设为朋友圈封面", "企微链接点击次数", "企微链接点击人数",
          "添加到通讯录次数", "添加到通讯录人数"]
TITLES = ["十分钟快手早餐:鸡蛋灌饼", "一锅出的番茄牛腩", "凉拌黄瓜的三个小窍门", "周末炖一锅排骨汤", "空气炸锅版锅包肉",
          "懒人电饭煲焖饭", "妈妈的葱油拌面", "蒜蓉粉丝蒸虾,零失败", "自制酸奶,不用酸奶机", "一人食:番茄肥牛饭",
          "手工水饺的和面比例", "红烧茄子不吸油的做法", "十五块钱搞定一家三口晚饭", "给外婆做了她小时候的菜", "清蒸鲈鱼,火候是关键",
          "可乐鸡翅,孩子抢着吃", "夏天的绿豆汤怎么煮才起沙", "家常豆腐的两种做法", "厨房小白的第一道菜", "自制辣椒油",
          "一小时搞定一桌年夜饭(上)", "土豆丝切得又细又匀", "早餐店同款茶叶蛋", "糖醋里脊的酱汁比例", "冬天的第一锅羊肉汤",
          "做饭时在想什么", "剩米饭的五种吃法", "快手蛋炒饭", "自己包的粽子", "周末的早午餐"]


def views_text(views: int) -> str:
    return f"{views / 10_000:.1f}万" if views >= 10_000 else str(views)


def main() -> None:
    videos = quiet_series(30, seed=11, views_median=9000, views_sigma=0.7)
    # The planted stories (indices are 0-based): counts set from each video's own views.
    story = {7: dict(likes=0.095, comments=0.0010, shares=0.0008),
             13: dict(hearts=0.038, comments=0.016, shares=0.012),
             20: dict(completion_rate=0.07),
             25: dict(completion_rate=0.62, hearts=0.0012)}
    start = dt.datetime(2026, 9, 1, 19, 0)
    with open(OUT, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i, v in enumerate(videos):
            views = int(v["views"]) if i not in story else max(int(v["views"]), 15_000)
            for key, rate in story.get(i, {}).items():
                v[key] = rate if key == "completion_rate" else round(rate * views)
            if i in story and "likes" not in story[i]:
                v["likes"] = round(v["likes"] / v["views"] * views)
            for key in ("hearts", "comments", "shares", "follows"):
                if key not in story.get(i, {}) and i in story:
                    v[key] = round(v[key] / v["views"] * views)
            when = start + dt.timedelta(days=2 * i)
            duration = 180.0 if i == 20 else float(v["duration_s"])
            watch = round(duration * float(v["completion_rate"]) * 1.4, 2)
            writer.writerow([TITLES[i], f"export/steady{i + 1:03d}", when.strftime("%Y/%m/%d %H:%M"),
                             f"{float(v['completion_rate']) * 100:.2f}%", f"{watch:.2f}秒", views_text(views),
                             v["hearts"], v["likes"], v["comments"], v["shares"], v["follows"],
                             round(v["shares"] * 0.7), 0, 0, 0, 0, 0, 0, 0])


if __name__ == "__main__":
    main()
