"""Platform reads: the health of the database and the broker."""

import redis
from django.conf import settings
from django.db import connection

from marketplace.redis_clients import redis_client


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception:
        return "down"


def broker_status() -> str:
    if not settings.REDIS_URL:
        return "eager"
    try:
        redis_client(settings.REDIS_URL, timeout=settings.REDIS_TIMEOUT).ping()
        return "ok"
    except redis.RedisError:
        return "down"
