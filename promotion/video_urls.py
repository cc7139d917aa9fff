"""Recognise short-video URLs of the platforms we support. Pure: no I/O, no Django.

`parse_video_url(url)` -> `ParsedVideo(platform, external_id, canonical_url, is_short_link,
source_url)` or raises `UnsupportedVideoUrl`.

The host must be one of the platform's own hosts, exactly or as a sub-domain of its registrable
domain, read from `urllib.parse` (never by searching the string): `youtube.com@evil.example`,
`youtube.com.evil.example`, `douyin.com-video.cn`, IP literals, other ports, other schemes and
non-ASCII look-alike hosts are all refused. The canonical URL is rebuilt from the id, so share
trackers (`_r`, `_t`, `si`, `spm_id_from`, `u_code`, `originShareId`, `_d`, ...) never survive;
the stored source URL keeps only the query parameters that name the video or a moment in it
(an allow-list: the platforms add new share parameters faster than a deny-list can follow).

Short links (v.douyin.com, v.kuaishou.com, b23.tv, vm./vt.tiktok.com) carry no id: they are
returned with `is_short_link=True`, the short code as a provisional id and the short URL as the
canonical one, to be resolved later hop by hop (`allowed_host` says which hosts a hop may reach).
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DOUYIN = "douyin"
KUAISHOU = "kuaishou"
BILIBILI = "bilibili"
YOUTUBE = "youtube"
TIKTOK = "tiktok"

MAX_URL_LENGTH = 500

# The registrable domains of each platform: a host is the platform's when it equals one of them
# or ends with "." + one of them.
PLATFORM_DOMAINS: dict[str, tuple[str, ...]] = {
    DOUYIN: ("douyin.com", "iesdouyin.com"),
    KUAISHOU: ("kuaishou.com", "chenzhongtech.com"),
    BILIBILI: ("bilibili.com", "b23.tv"),
    YOUTUBE: ("youtube.com", "youtu.be", "youtube-nocookie.com"),
    TIKTOK: ("tiktok.com",),
}

SHORT_LINK_HOSTS: dict[str, tuple[str, ...]] = {
    DOUYIN: ("v.douyin.com",),
    KUAISHOU: ("v.kuaishou.com",),
    BILIBILI: ("b23.tv",),
    TIKTOK: ("vm.tiktok.com", "vt.tiktok.com"),
}

# The query parameters a source URL keeps: those the parsers read, and where to start playing.
VIDEO_PARAMS = frozenset({"v", "modal_id", "p", "bvid", "aid", "page", "t", "start"})

_SHORT_CODE = re.compile(r"^[A-Za-z0-9_-]{4,32}$")
_DIGITS_ID = re.compile(r"^[0-9]{8,24}$")
_KUAISHOU_ID = re.compile(r"^[0-9A-Za-z]{6,32}$")
_BV_ID = re.compile(r"^BV1[0-9A-Za-z]{9}$")
_AV_ID = re.compile(r"^av([1-9][0-9]{0,15})$", re.IGNORECASE)
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_TIKTOK_USER = re.compile(r"^@[A-Za-z0-9._]{1,32}$")
_HOST_CHARS = re.compile(r"^[a-z0-9.-]+$")
_FORBIDDEN_CHARS = re.compile(r"[\s\\\x00-\x1f\x7f]")


class UnsupportedVideoUrl(ValueError):
    """Not a video URL of a supported platform (or a hostile one)."""


@dataclass(frozen=True)
class ParsedVideo:
    platform: str
    external_id: str
    canonical_url: str
    is_short_link: bool
    source_url: str


def host_of_platform(host: str, platform: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in PLATFORM_DOMAINS[platform])


def platform_of_host(host: str) -> str | None:
    for platform in PLATFORM_DOMAINS:
        if host_of_platform(host, platform):
            return platform
    return None


def allowed_host(platform: str, host: str) -> bool:
    """May a short-link hop of `platform` go to `host`? (The same rule as for posted URLs.)"""
    return _valid_hostname(host) and host_of_platform(host, platform)


def _valid_hostname(host: str) -> bool:
    if not host or len(host) > 253 or not _HOST_CHARS.match(host):
        return False  # non-ASCII look-alikes, underscores, percent-escapes...
    labels = host.split(".")
    if any(not label or label.startswith("-") or label.endswith("-") for label in labels):
        return False  # empty label (a trailing dot, "..") or a malformed one
    if any(label.startswith("xn--") for label in labels):
        return False  # punycode: none of the platforms' hosts use it
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return not labels[-1].isdigit()  # "1.2.3.4"-like forms that ip_address does not read
    return False


def _clean_query(query: str) -> list[tuple[str, str]]:
    return [(key, value) for key, value in parse_qsl(query, keep_blank_values=True)
            if key.lower() in VIDEO_PARAMS]


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def parse_video_url(url: str) -> ParsedVideo:
    if not isinstance(url, str):
        raise UnsupportedVideoUrl("not a string")
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH or _FORBIDDEN_CHARS.search(url):
        raise UnsupportedVideoUrl("empty, too long or with forbidden characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsupportedVideoUrl("malformed URL") from exc
    if parts.scheme.lower() not in {"https", "http"}:
        raise UnsupportedVideoUrl("only http and https URLs")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsupportedVideoUrl("user information in the URL")
    if port is not None and port != (443 if parts.scheme.lower() == "https" else 80):
        raise UnsupportedVideoUrl("non-default port")
    host = parts.hostname or ""
    if not _valid_hostname(host):
        raise UnsupportedVideoUrl("not a valid host name")
    platform = platform_of_host(host)
    if platform is None:
        raise UnsupportedVideoUrl("not a supported platform")
    path_segments = _segments(parts.path)
    query = dict((k.lower(), v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    source = urlunsplit(("https", host, parts.path or "/", urlencode(_clean_query(parts.query)),
                         ""))

    parser = _PARSERS[platform]
    result = parser(host, path_segments, query)
    if result is None:
        raise UnsupportedVideoUrl("no video id in the URL")
    external_id, canonical, is_short = result
    if is_short:
        # Short links are resolved from what was given, less the trackers.
        canonical = source
    return ParsedVideo(platform, external_id, canonical, is_short, source)


Result = tuple[str, str, bool] | None


def _short(host: str, platform: str, segments: list[str]) -> Result:
    if host in SHORT_LINK_HOSTS.get(platform, ()) and len(segments) == 1:
        code = segments[0]
        if _SHORT_CODE.match(code):
            return code, "", True
    return None


def _douyin(host: str, segments: list[str], query: dict) -> Result:
    if host == "v.douyin.com":
        return _short(host, DOUYIN, segments)
    video_id = None
    if len(segments) == 2 and segments[0] == "video":
        video_id = segments[1]
    elif len(segments) == 3 and segments[:2] == ["share", "video"]:
        video_id = segments[2]
    elif "modal_id" in query:
        video_id = query["modal_id"]
    if video_id and _DIGITS_ID.match(video_id):
        return video_id, f"https://www.douyin.com/video/{video_id}", False
    return None


def _kuaishou(host: str, segments: list[str], query: dict) -> Result:
    if host == "v.kuaishou.com":
        return _short(host, KUAISHOU, segments)
    video_id = None
    if len(segments) == 2 and segments[0] == "short-video":
        video_id = segments[1]
    elif len(segments) == 3 and segments[:2] == ["fw", "photo"]:
        video_id = segments[2]
    if video_id and _KUAISHOU_ID.match(video_id):
        return video_id, f"https://www.kuaishou.com/short-video/{video_id}", False
    return None


def _bilibili_id(raw: str) -> str | None:
    if _BV_ID.match(raw):
        return raw
    match = _AV_ID.match(raw)
    return f"av{match.group(1)}" if match else None


def _bilibili(host: str, segments: list[str], query: dict) -> Result:
    video_id = None
    if host == "b23.tv":
        if len(segments) == 1 and _bilibili_id(segments[0]):
            video_id = _bilibili_id(segments[0])
        else:
            return _short(host, BILIBILI, segments)
    elif len(segments) == 2 and segments[0] == "video":
        video_id = _bilibili_id(segments[1])
    elif host == "player.bilibili.com" and segments == ["player.html"]:
        if query.get("bvid"):
            video_id = _bilibili_id(query["bvid"])
        elif query.get("aid", "").isdigit():
            video_id = _bilibili_id("av" + query["aid"])
        query = {"p": query.get("page", "")}
    if not video_id:
        return None
    part = query.get("p", "")
    if part and not (part.isdigit() and 1 <= int(part) <= 9999):
        return None
    canonical = f"https://www.bilibili.com/video/{video_id}"
    if part and int(part) > 1:
        video_id = f"{video_id}?p={int(part)}"
        canonical = f"{canonical}?p={int(part)}"
    return video_id, canonical, False


def _youtube(host: str, segments: list[str], query: dict) -> Result:
    video_id = None
    if host == "youtu.be":
        if len(segments) == 1:
            video_id = segments[0]
    elif segments == ["watch"]:
        video_id = query.get("v")
    elif len(segments) == 2 and segments[0] in {"shorts", "embed", "live", "v", "e"}:
        video_id = segments[1]
    if video_id and _YOUTUBE_ID.match(video_id):
        return video_id, f"https://www.youtube.com/watch?v={video_id}", False
    return None


def _tiktok(host: str, segments: list[str], query: dict) -> Result:
    if host in SHORT_LINK_HOSTS[TIKTOK]:
        return _short(host, TIKTOK, segments)
    if len(segments) == 2 and segments[0] == "t":
        code = segments[1]
        return (code, "", True) if _SHORT_CODE.match(code) else None
    if len(segments) == 3 and segments[1] == "video" and _TIKTOK_USER.match(segments[0]):
        video_id = segments[2]
        if _DIGITS_ID.match(video_id):
            return video_id, f"https://www.tiktok.com/{segments[0]}/video/{video_id}", False
    return None


_PARSERS = {
    DOUYIN: _douyin,
    KUAISHOU: _kuaishou,
    BILIBILI: _bilibili,
    YOUTUBE: _youtube,
    TIKTOK: _tiktok,
}


def player_url(platform: str, external_id: str) -> str | None:
    """The embeddable player for a resolved video, built from its id alone (never from a
    provider's oEmbed HTML)."""
    if platform == YOUTUBE and _YOUTUBE_ID.match(external_id):
        return f"https://www.youtube-nocookie.com/embed/{external_id}"
    if platform == BILIBILI:
        video_id, _, part = external_id.partition("?p=")
        page = part or "1"
        if _BV_ID.match(video_id):
            return f"https://player.bilibili.com/player.html?bvid={video_id}&page={page}"
        match = _AV_ID.match(video_id)
        if match:
            return f"https://player.bilibili.com/player.html?aid={match.group(1)}&page={page}"
    if platform == TIKTOK and _DIGITS_ID.match(external_id):
        return f"https://www.tiktok.com/embed/v2/{external_id}"
    if platform == DOUYIN and _DIGITS_ID.match(external_id):
        return f"https://open.douyin.com/player/video?vid={external_id}"
    return None
