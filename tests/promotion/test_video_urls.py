"""The one module that recognises video URLs: real-shaped URLs of each platform, hostile ones."""

import pytest

from promotion.video_urls import UnsupportedVideoUrl, allowed_host, parse_video_url, player_url

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

# (url, platform, external_id, canonical_url, is_short_link)
REAL = [
    # Douyin
    ("https://www.douyin.com/video/7301234567890123456", "douyin", "7301234567890123456",
     "https://www.douyin.com/video/7301234567890123456", False),
    ("https://www.douyin.com/video/7301234567890123456?previous_page=app_code_link&u_code=abc",
     "douyin", "7301234567890123456", "https://www.douyin.com/video/7301234567890123456", False),
    ("https://www.douyin.com/discover?modal_id=7298765432109876543", "douyin",
     "7298765432109876543", "https://www.douyin.com/video/7298765432109876543", False),
    ("https://www.douyin.com/user/MS4wLjABAAAA?modal_id=7298765432109876543&vid=1", "douyin",
     "7298765432109876543", "https://www.douyin.com/video/7298765432109876543", False),
    ("https://www.iesdouyin.com/share/video/7301234567890123456/?region=CN&mid=7301&u_code=x"
     "&did=1&iid=2&with_sec_did=1&titleType=title&share_sign=zz&share_version=170400",
     "douyin", "7301234567890123456", "https://www.douyin.com/video/7301234567890123456", False),
    ("https://v.douyin.com/iRNBho6u/", "douyin", "iRNBho6u", "https://v.douyin.com/iRNBho6u/",
     True),
    ("http://v.douyin.com/iRNBho6u", "douyin", "iRNBho6u", "https://v.douyin.com/iRNBho6u", True),
    # Kuaishou
    ("https://www.kuaishou.com/short-video/3xk9bg5hc2pqs7a?authorId=3x8&streamSource=profile"
     "&area=profilexxnull", "kuaishou", "3xk9bg5hc2pqs7a",
     "https://www.kuaishou.com/short-video/3xk9bg5hc2pqs7a", False),
    ("https://v.m.chenzhongtech.com/fw/photo/3xk9bg5hc2pqs7a?fid=1&cc=share_copylink",
     "kuaishou", "3xk9bg5hc2pqs7a", "https://www.kuaishou.com/short-video/3xk9bg5hc2pqs7a",
     False),
    ("https://v.kuaishou.com/Jm7Qx2Ab", "kuaishou", "Jm7Qx2Ab", "https://v.kuaishou.com/Jm7Qx2Ab",
     True),
    # Bilibili
    ("https://www.bilibili.com/video/BV1GJ411x7h7/?spm_id_from=333.788.recommend&vd_source=f0",
     "bilibili", "BV1GJ411x7h7", "https://www.bilibili.com/video/BV1GJ411x7h7", False),
    ("https://www.bilibili.com/video/BV1GJ411x7h7?p=3&share_source=copy_web", "bilibili",
     "BV1GJ411x7h7?p=3", "https://www.bilibili.com/video/BV1GJ411x7h7?p=3", False),
    ("https://www.bilibili.com/video/BV1GJ411x7h7?p=1", "bilibili", "BV1GJ411x7h7",
     "https://www.bilibili.com/video/BV1GJ411x7h7", False),
    ("https://m.bilibili.com/video/av170001", "bilibili", "av170001",
     "https://www.bilibili.com/video/av170001", False),
    ("https://www.bilibili.com/video/AV170001/", "bilibili", "av170001",
     "https://www.bilibili.com/video/av170001", False),
    ("https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7&page=2", "bilibili",
     "BV1GJ411x7h7?p=2", "https://www.bilibili.com/video/BV1GJ411x7h7?p=2", False),
    ("https://b23.tv/aB3dE9x?share_medium=android&share_source=qq&bbid=1&ts=1700000000",
     "bilibili", "aB3dE9x", "https://b23.tv/aB3dE9x", True),
    ("https://b23.tv/BV1GJ411x7h7", "bilibili", "BV1GJ411x7h7",
     "https://www.bilibili.com/video/BV1GJ411x7h7", False),
    # YouTube
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1&t=42s&si=abcDEF", "youtube",
     "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://youtu.be/dQw4w9WgXcQ?si=Xy12ab", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://music.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://www.youtube.com/shorts/abcDEF12345?feature=share", "youtube", "abcDEF12345",
     "https://www.youtube.com/watch?v=abcDEF12345", False),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ?start=10", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://www.youtube.com/live/Ab-_1234567?si=q", "youtube", "Ab-_1234567",
     "https://www.youtube.com/watch?v=Ab-_1234567", False),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://www.youtube.com:443/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", False),
    # TikTok
    ("https://www.tiktok.com/@scout2015/video/6718335390845095173?is_from_webapp=1"
     "&sender_device=pc&web_id=1234", "tiktok", "6718335390845095173",
     "https://www.tiktok.com/@scout2015/video/6718335390845095173", False),
    ("https://m.tiktok.com/@farm.life_01/video/7123456789012345678", "tiktok",
     "7123456789012345678", "https://www.tiktok.com/@farm.life_01/video/7123456789012345678",
     False),
    ("https://vm.tiktok.com/ZMabc123/", "tiktok", "ZMabc123", "https://vm.tiktok.com/ZMabc123/",
     True),
    ("https://vt.tiktok.com/ZSxyz789/", "tiktok", "ZSxyz789", "https://vt.tiktok.com/ZSxyz789/",
     True),
    ("https://www.tiktok.com/t/ZTRabcd12/", "tiktok", "ZTRabcd12",
     "https://www.tiktok.com/t/ZTRabcd12/", True),
]


@pytest.mark.parametrize(("url", "platform", "external_id", "canonical", "short"), REAL)
def test_real_platform_urls_are_recognised_with_trackers_stripped(
    url, platform, external_id, canonical, short
):
    parsed = parse_video_url(url)
    assert (parsed.platform, parsed.external_id, parsed.canonical_url, parsed.is_short_link) == (
        platform, external_id, canonical, short,
    )
    for tracker in ("u_code", "spm_id_from", "si=", "share_", "_t=", "utm_", "sender_device"):
        assert tracker not in parsed.canonical_url
        assert tracker not in parsed.source_url
    assert parsed.source_url.startswith("https://")


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s&si=zz&utm_source=x&ab_channel=Farm",
         "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s"),
        # a Kuaishou app share: who shared it (originShareId, userId) and from which app
        ("https://www.kuaishou.com/short-video/3xk9bg5hc2pqs7a?fid=1&shareMethod=TOKEN&docId=9"
         "&kpn=KUAISHOU&photoId=3xk9bg5hc2pqs7a&userId=3x8&shareMode=APP&originShareId=17"
         "&appType=21&shareUrlOpened=0",
         "https://www.kuaishou.com/short-video/3xk9bg5hc2pqs7a"),
        # a TikTok share: a device token (_d) and the sharer's id
        ("https://www.tiktok.com/@scout2015/video/6718335390845095173?_d=secCgYIASAHKAESPgo8"
         "&checksum=x&language=en&preview_pb=0&share_item_id=67&user_id=6718&_r=1",
         "https://www.tiktok.com/@scout2015/video/6718335390845095173"),
        ("https://www.douyin.com/user/MS4wLjABAAAA?modal_id=7298765432109876543&vid=1"
         "&enter_method=share",
         "https://www.douyin.com/user/MS4wLjABAAAA?modal_id=7298765432109876543"),
        ("https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7&page=2&from_spmid=x",
         "https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7&page=2"),
    ],
)
def test_source_url_keeps_only_what_names_the_video(url, source):
    assert parse_video_url(url).source_url == source


HOSTILE = [
    "javascript:alert(1)//https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "file:///etc/passwd",
    "//www.youtube.com/watch?v=dQw4w9WgXcQ",
    "www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
    "https://user:pw@www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://evil.example/@www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    "https://douyin.com-video.cn/video/7301234567890123456",
    "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
    "https://evilbilibili.com/video/BV1GJ411x7h7",
    "https://b23.tv.evil.example/abc123",
    "https://www.youtube.com./watch?v=dQw4w9WgXcQ",
    "https://www.yοutube.com/watch?v=dQw4w9WgXcQ",  # Greek omicron
    "https://www.xn--yutube-wqf.com/watch?v=dQw4w9WgXcQ",
    "https://xn--www-youtube.com/watch?v=dQw4w9WgXcQ",
    "https://127.0.0.1/watch?v=dQw4w9WgXcQ",
    "http://[::1]/watch?v=dQw4w9WgXcQ",
    "http://[::ffff:127.0.0.1]/video/BV1GJ411x7h7",
    "http://2130706433/watch?v=dQw4w9WgXcQ",
    "http://0x7f.1/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
    "http://www.youtube.com:443/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com\\@evil.example/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n.evil",
    "https://www.youtube.com/watch",  # missing id
    "https://www.youtube.com/watch?v=short",
    "https://www.youtube.com/channel/UC1234567890",
    "https://youtu.be/",
    "https://www.douyin.com/video/notanumber",
    "https://www.douyin.com/note/7301234567890123456",
    "https://www.douyin.com/",
    "https://v.douyin.com/",
    "https://v.douyin.com/a/b/c",
    "https://www.kuaishou.com/profile/3x8",
    "https://www.bilibili.com/video/BV1",
    "https://www.bilibili.com/video/BV1GJ411x7h7?p=abc",
    "https://space.bilibili.com/123456",
    "https://www.tiktok.com/@scout2015",
    "https://www.tiktok.com/scout2015/video/6718335390845095173",
    "https://vimeo.com/76979871",
    "https://" + "a" * 600 + ".youtube.com/watch?v=dQw4w9WgXcQ",
    "",
    "   ",
    "not a url",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_and_unknown_urls_are_refused(url):
    with pytest.raises(UnsupportedVideoUrl):
        parse_video_url(url)


def test_non_strings_are_refused():
    with pytest.raises(UnsupportedVideoUrl):
        parse_video_url(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("platform", "host", "allowed"),
    [
        ("douyin", "www.douyin.com", True),
        ("douyin", "www.iesdouyin.com", True),
        ("douyin", "www.douyin.com.evil.example", False),
        ("bilibili", "www.bilibili.com", True),
        ("bilibili", "evil.example", False),
        ("bilibili", "127.0.0.1", False),
        ("tiktok", "www.tiktok.com", True),
        ("tiktok", "www.douyin.com", False),
    ],
)
def test_short_link_hops_are_held_to_the_platform_hosts(platform, host, allowed):
    assert allowed_host(platform, host) is allowed


def test_player_is_built_from_the_id_only():
    assert player_url("youtube", "dQw4w9WgXcQ") == (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    assert player_url("bilibili", "BV1GJ411x7h7?p=3") == (
        "https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7&page=3"
    )
    assert player_url("youtube", '"><script>') is None
