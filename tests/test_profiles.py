"""Platform profiles: the shipped files, detection, forcing, user overrides, validation."""

from pathlib import Path

import pytest

from advisor.core.errors import AdvisorError
from advisor.input.profiles import (CANONICAL, Profile, detect_profile, generic_profile, load_profile, load_profiles,
                              map_header, norm_header, resolve_profile)

WECHAT_HEADER = ("视频描述,视频ID,发布时间,完播率,平均播放时长,播放量,推荐,喜欢,评论量,分享量,关注量,转发聊天和朋友圈,"
                 "设为铃声,设为状态,设为朋友圈封面,企微链接点击次数,企微链接点击人数,添加到通讯录次数,添加到通讯录人数").split(",")
DOUYIN_HEADER = ("作品名称,发布时间,体裁,播放量,完播率,5s完播率,作品时长,2s跳出率,平均播放时长,点赞量,评论量,分享量,"
                 "收藏量,主页访问量,粉丝增量").split(",")


@pytest.fixture(scope="module")
def shipped():
    return load_profiles()


def test_shipped_profiles_load(shipped):
    assert {"wechat_channels", "douyin", "generic"} <= set(shipped)
    for profile in shipped.values():
        assert profile.source and Path(profile.source).is_file()
        assert profile.name.zh and profile.name.en


def test_wechat_channels_maps_hearts_and_likes_the_platform_way(shipped):
    wechat = shipped["wechat_channels"]
    assert wechat.columns["推荐"] == "hearts"  # ♡
    assert wechat.columns["喜欢"] == "likes"  # 👍
    assert wechat.columns["分享量"] == "shares"
    assert wechat.columns["转发聊天和朋友圈"] == "forwards"  # forwards to chats and Moments
    assert "设为铃声" in wechat.ignore
    assert wechat.defaults == {"form": "short_video"}
    assert "推荐" in wechat.notes.zh and "hearts" in wechat.notes.en and "duration" in wechat.notes.en
    hmap = map_header(WECHAT_HEADER, wechat, generic_profile(shipped))
    assert not hmap.unknown  # every column of the real export is known
    assert set(hmap.columns) == {"id", "title", "published_at", "completion_rate", "avg_watch_s", "views",
                                 "hearts", "likes", "comments", "shares", "follows", "forwards"}
    assert set(hmap.unused) == set(WECHAT_HEADER) - set(hmap.columns.values())
    assert all(reason.zh and reason.en for reason in hmap.unused.values())


def test_profiles_carry_the_platform_mechanics(shipped):
    """What the buttons do: on 视频号 the ♡ reaches friends and the 👍 only the creator; Douyin has one ❤."""
    wechat, douyin, generic = (shipped[k].mechanics for k in ("wechat_channels", "douyin", "generic"))
    assert wechat.heart.spreads == "friends" and wechat.heart.export_name == "推荐"
    assert wechat.like.seen_by == "creator" and wechat.like.spreads == "none" and wechat.like.export_name == "喜欢"
    assert douyin.heart is None and douyin.like.icon == "❤" and set(douyin.secondary) == {"save", "follow"}
    assert generic.like.spreads == "feed" and generic.heart is not None
    assert "fan_club" in wechat.live and "reserve" in wechat.live


def test_douyin_profile(shipped):
    douyin = shipped["douyin"]
    assert "hearts" not in douyin.columns.values()
    assert "♡" in douyin.notes.en or "hearts" in douyin.notes.en
    hmap = map_header(DOUYIN_HEADER, douyin, generic_profile(shipped))
    assert not hmap.unknown
    assert hmap.columns["form"] == "体裁" and hmap.columns["duration_s"] == "作品时长"
    assert hmap.values["form"]["图文"] == "image_text" and hmap.values["form"]["视频"] == "short_video"
    assert hmap.id_from == ["published_at", "title"]
    assert set(hmap.unused) == {"5s完播率", "2s跳出率", "收藏量", "主页访问量"}


def test_detection(shipped):
    assert detect_profile(WECHAT_HEADER, shipped).id == "wechat_channels"
    assert detect_profile(DOUYIN_HEADER, shipped).id == "douyin"
    assert detect_profile(["视频ID", "播放量", "推荐", "喜欢"], shipped).id == "wechat_channels"
    assert detect_profile(["id", "views", "likes"], shipped).id == "generic"
    assert detect_profile(["视频ID", "播放量"], shipped).id == "generic"  # one detect column is not enough
    assert detect_profile([], {}).id == "generic"  # no profile at all: an empty generic


def test_header_normalisation():
    assert norm_header("\ufeff 视频ID ") == norm_header("视频ID")
    assert norm_header("时长（秒）") == norm_header("时长(秒)")
    assert norm_header("Views") == norm_header("views") == norm_header("ＶＩＥＷＳ")


def test_generic_aliases_and_canonical_names(shipped):
    generic = generic_profile(shipped)
    header = ["ID", "标题", "发布时间", "视频时长(秒)", "播放量", "点赞", "小红心", "评论", "转发", "涨粉",
              "完播率", "平均播放时长", "留存率", "复看率", "Hearts", "like_rate", "mystery"]
    hmap = map_header(header, generic, generic)
    assert hmap.columns == {"id": "ID", "title": "标题", "published_at": "发布时间", "duration_s": "视频时长(秒)",
                            "views": "播放量", "likes": "点赞", "hearts": "小红心", "comments": "评论",
                            "shares": "转发", "follows": "涨粉", "completion_rate": "完播率",
                            "avg_watch_s": "平均播放时长", "retention_rate": "留存率", "rewatch_rate": "复看率"}
    assert "Hearts" in hmap.unused  # a second column for hearts: the first one wins
    assert "like_rate" in hmap.unused  # a derived rate: recomputed, not read
    assert hmap.unknown == ["mystery"]
    # 推荐/喜欢 mean ♡/👍 only on WeChat Channels, so generic does not map them
    assert not map_header(["推荐", "喜欢"], generic, generic).columns
    canonical = map_header(list(CANONICAL), generic, generic)
    assert set(canonical.columns) == set(CANONICAL)


def test_profile_columns_win_over_generic(shipped):
    hmap = map_header(["时长", "作品时长", "作品名称"], shipped["douyin"], generic_profile(shipped))
    assert hmap.columns["duration_s"] == "作品时长"  # the profile's own column, though it is further right
    assert "时长" in hmap.unused


def test_resolve_profile(shipped, tmp_path):
    assert resolve_profile("douyin", shipped).id == "douyin"
    assert resolve_profile("WeChat-Channels", shipped).id == "wechat_channels"
    path = tmp_path / "mine.yaml"
    path.write_text("id: mine\nname: {zh: 我的, en: mine}\ncolumns: {编号: id, 看过: views}\n", encoding="utf-8")
    assert resolve_profile(str(path), shipped).columns == {"编号": "id", "看过": "views"}
    with pytest.raises(AdvisorError) as info:
        resolve_profile("douyn", shipped)
    assert "did you mean douyin?" in info.value.problems[0].message.en


def test_user_folders_override_by_id(tmp_path):
    user = tmp_path / "profiles"
    user.mkdir()
    (user / "wc.yaml").write_text(
        "id: wechat_channels\nname: {zh: 我的视频号, en: my channels}\ndetect: [视频ID, 推荐]\n"
        "columns: {视频ID: id, 推荐: hearts, 喜欢: likes}\n", encoding="utf-8")
    shipped_dir = Path(load_profiles()["douyin"].source).parent
    profiles = load_profiles([shipped_dir, user, tmp_path / "does-not-exist"])
    assert profiles["wechat_channels"].name.en == "my channels"
    assert profiles["wechat_channels"].source == str(user / "wc.yaml")
    assert "douyin" in profiles


def test_invalid_profile_is_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: mine\n"
        "name: {zh: 我的, en: mine}\n"
        "colums: {}\n"
        "columns:\n"
        "  播放量: veiws\n"
        "values:\n"
        "  form: {视频: vlog}\n"
        "defaults:\n"
        "  completion_rate: 135\n", encoding="utf-8")
    with pytest.raises(AdvisorError) as info:
        load_profile(path)
    problems = {p.line: p for p in info.value.problems}
    assert problems[3].message.en == "unknown key 'colums' (did you mean columns?)"
    assert (problems[5].col, problems[5].message.en) == (3, "'veiws' is not a field (did you mean views?)")
    assert "'vlog' is not an allowed value" in problems[6].message.en
    assert "% sign" in problems[8].message.en
    assert all(p.file == str(path) for p in info.value.problems)


def test_bad_profile_in_a_folder_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("id: Bad Id\nname: {zh: x, en: x}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(AdvisorError) as info:
        load_profiles([tmp_path])
    files = sorted(Path(p.file).name for p in info.value.problems)
    assert files == ["a.yaml", "b.yaml"]


def test_schema_comes_from_the_model():
    schema = Profile.model_json_schema()
    assert {"id", "name", "detect", "columns", "ignore", "values", "defaults", "id_from", "notes"} <= set(
        schema["properties"])
