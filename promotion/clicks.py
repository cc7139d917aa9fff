"""Counting clicks on /p/{code} without slowing the redirect.

A visitor is `HMAC(secret, day | client address | user agent)`, cut to 32 hex characters: the
same person on the same day is one visitor, the next day a new one, and the address itself is
never stored. With CLICK_REDIS_URL (default: REDIS_URL) a click is one pipelined round trip to
Redis: SADD of the visitor to the link's set for the day and SADD of the link to the day's
"dirty" set, both expiring after CLICK_REDIS_TTL_DAYS. `promotion.tasks.rollup_clicks` copies the
set sizes into ClickDaily. Without Redis (or when Redis does not answer) the click is one
INSERT ... ON CONFLICT DO NOTHING of a Click row, unique per (link, day, visitor).
"""

import logging
import re
from datetime import date

import redis
from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from marketplace.redis_clients import redis_client

logger = logging.getLogger(__name__)

CLICK_REDIS_TTL_DAYS = 3
_SALT = "shanhuo.promotion.click-visitor"

# Crawlers, link-preview fetchers and scripts: redirected, never counted.
_BOT = re.compile(
    r"bot|spider|crawl|slurp|preview|facebookexternalhit|facebot|whatsapp|telegram|"
    r"embedly|pinterest|bytespider|yisouspider|baiduspider|sogou|360spider|headless|"
    r"lighthouse|curl|wget|python-|httpx|aiohttp|go-http-client|java/|libwww|scrapy|"
    r"okhttp/[0-9.]+$|monitor|uptime|ia_archiver|skypeuripreview|bingpreview",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(_BOT.search(user_agent))


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address the trusted proxies (NUM_PROXIES) saw."""
    proxies = settings.NINJA_NUM_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def visitor_hash(address: str, user_agent: str, day: date) -> str:
    secret = settings.CLICK_DEDUP_SECRET or settings.SECRET_KEY
    value = f"{day.isoformat()}|{address}|{user_agent[:512]}"
    return salted_hmac(_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:32]


def _redis() -> redis.Redis | None:
    url = settings.CLICK_REDIS_URL
    # a redirect waits at most a quarter of a second for Redis before counting in the database
    return redis_client(url, timeout=0.25) if url else None


def _visitors_key(link_id: int, day: date) -> str:
    return f"{settings.CLICK_REDIS_PREFIX}:{day.isoformat()}:{link_id}"


def _dirty_key(day: date) -> str:
    return f"{settings.CLICK_REDIS_PREFIX}:dirty:{day.isoformat()}"


def redis_add(link_id: int, day: date, visitor: str) -> bool:
    """Record the click in Redis; False when there is no Redis or it did not answer (the
    caller then writes the Click row instead)."""
    client = _redis()
    if client is None:
        return False
    ttl = CLICK_REDIS_TTL_DAYS * 86400
    try:
        pipe = client.pipeline(transaction=False)
        pipe.sadd(_visitors_key(link_id, day), visitor)
        pipe.expire(_visitors_key(link_id, day), ttl)
        pipe.sadd(_dirty_key(day), link_id)
        pipe.expire(_dirty_key(day), ttl)
        pipe.execute()
    except redis.RedisError:
        logger.warning("Redis did not take a click; counting it in the database", exc_info=True)
        return False
    return True


def redis_counts(days: list[date]) -> dict[tuple[int, date], int]:
    """Distinct visitors per (link, day) held in Redis for these days."""
    client = _redis()
    if client is None:
        return {}
    counts: dict[tuple[int, date], int] = {}
    try:
        for day in days:
            link_ids = sorted(int(x) for x in client.smembers(_dirty_key(day)))
            if not link_ids:
                continue
            pipe = client.pipeline(transaction=False)
            for link_id in link_ids:
                pipe.scard(_visitors_key(link_id, day))
            for link_id, n in zip(link_ids, pipe.execute(), strict=True):
                counts[(link_id, day)] = int(n)
    except redis.RedisError:
        logger.warning("Redis did not answer the click roll-up", exc_info=True)
        return {}
    return counts
