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


def broker_status() -> str:
    from django.conf import settings

    if not settings.REDIS_URL:
        return "eager"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
        return "ok"
    except redis.RedisError:
        return "down"
