"""What we ever ask the platforms, through `safe_fetch` only.

- `fetch_metadata`: title and thumbnail from the platform's fixed oEmbed endpoint
  (settings.OEMBED_ENDPOINTS: YouTube and TikTok). Redirects are refused. Only the title and a
  thumbnail URL on the platform's image hosts are kept; the provider's `html` is never read.
- `resolve_short_link`: follows a short link hop by hop, each hop on the platform's own hosts
  and through the same address checks, until a URL with the video id appears.
"""

import json
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

from promotion.safe_fetch import FetchFailed, FetchRefused, fetch
from promotion.video_urls import (
    ParsedVideo,
    UnsupportedVideoUrl,
    allowed_host,
    parse_video_url,
)

# Where a platform's thumbnails live; any other thumbnail URL is dropped.
THUMBNAIL_DOMAINS = {
    "youtube": ("ytimg.com", "ggpht.com"),
    "tiktok": ("tiktokcdn.com", "tiktokcdn-us.com", "tiktokcdn-eu.com", "ibyteimg.com"),
}
MAX_TITLE = 200
MAX_THUMBNAIL_URL = 500


class VideoUnavailable(Exception):
    """The platform says there is no such public video (oEmbed 4xx) or a short link leads
    nowhere we accept."""


@dataclass
class Metadata:
    title: str
    thumbnail_url: str


def has_oembed(platform: str) -> bool:
    return platform in settings.OEMBED_ENDPOINTS


def _endpoint_host(platform: str) -> str:
    return urlsplit(settings.OEMBED_ENDPOINTS[platform]).hostname or ""


def safe_thumbnail(platform: str, url: object) -> str:
    """The thumbnail URL if it is https on the platform's image hosts, else ""."""
    if not isinstance(url, str) or len(url) > MAX_THUMBNAIL_URL:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.scheme != "https" or "@" in parts.netloc or port not in (None, 443):
        return ""
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        return ""
    domains = THUMBNAIL_DOMAINS.get(platform, ())
    if not any(host == d or host.endswith("." + d) for d in domains):
        return ""
    return url


def fetch_metadata(platform: str, canonical_url: str) -> Metadata:
    """Title and thumbnail from the platform's oEmbed endpoint. Raises FetchRefused /
    FetchFailed (safe_fetch) or VideoUnavailable."""
    endpoint = settings.OEMBED_ENDPOINTS[platform].format(url=quote(canonical_url, safe=""))
    expected_host = _endpoint_host(platform)
    response = fetch(
        endpoint,
        host_allowed=lambda host: host == expected_host,
        timeout=settings.OEMBED_TIMEOUT,
        max_bytes=settings.OEMBED_MAX_BYTES,
    )
    if 300 <= response.status < 400:
        raise FetchRefused("the oEmbed endpoint redirected; redirects are not followed")
    if 400 <= response.status < 500:
        raise VideoUnavailable(f"oEmbed answered {response.status}")
    if response.status != 200:
        raise FetchFailed(f"oEmbed answered {response.status}")
    try:
        data = json.loads(response.body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, or nested too deep
        raise VideoUnavailable("oEmbed answered something that is not JSON") from exc
    if not isinstance(data, dict):
        raise VideoUnavailable("oEmbed answered something that is not an object")
    title = data.get("title")
    title = " ".join(title.split())[:MAX_TITLE] if isinstance(title, str) else ""
    return Metadata(title=title, thumbnail_url=safe_thumbnail(platform, data.get("thumbnail_url")))


def resolve_short_link(platform: str, short_url: str) -> ParsedVideo:
    """Follow `short_url` to the video it stands for. Raises FetchRefused / FetchFailed or
    VideoUnavailable."""
    url = short_url
    for _ in range(settings.SHORT_LINK_MAX_HOPS):
        response = fetch(
            url,
            host_allowed=lambda host: allowed_host(platform, host),
            timeout=settings.OEMBED_TIMEOUT,
            max_bytes=settings.OEMBED_MAX_BYTES,
            accept="text/html",
        )
        if not (300 <= response.status < 400 and response.location):
            raise VideoUnavailable(f"the short link answered {response.status}, not a redirect")
        try:
            url = urljoin(url, response.location.strip())
        except ValueError as exc:  # "https://[..." is not a URL at all
            raise VideoUnavailable("the short link redirected to a malformed URL") from exc
        try:
            parsed = parse_video_url(url)
        except UnsupportedVideoUrl:
            continue  # an intermediate hop; the next fetch checks its host and address
        if parsed.platform != platform:
            raise FetchRefused("the short link leads to another platform")
        if not parsed.is_short_link:
            return parsed
    raise VideoUnavailable(f"no video after {settings.SHORT_LINK_MAX_HOPS} hops")
