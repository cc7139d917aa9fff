"""Platform reads: the health of the database and the broker."""

import functools

import redis
from django.conf import settings
from django.db import connection


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception:
        return "down"


@functools.lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL for the process, not a connection per check."""
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def broker_status() -> str:
    if not settings.REDIS_URL:
        return "eager"
    try:
        _redis_client(settings.REDIS_URL).ping()
        return "ok"
    except redis.RedisError:
        return "down"
