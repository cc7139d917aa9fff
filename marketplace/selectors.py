import functools

import redis
from django.conf import settings
from django.db import connection

from marketplace.models import User


def user_with_roles(user_id: int) -> dict:
    user = User.objects.select_related("producer", "promoter").get(pk=user_id)
    producer = getattr(user, "producer", None)
    promoter = getattr(user, "promoter", None)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "producer_id": producer.pk if producer else None,
        "promoter_id": promoter.pk if promoter else None,
    }


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
