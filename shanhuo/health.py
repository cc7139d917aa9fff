"""GET /health: what a load balancer and an operator ask first: the database and the broker."""

from typing import Literal

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema, Status

from marketplace.redis_clients import redis_client

# The API's section for the platform itself (the OpenAPI tag clients' generated code uses).
router = Router(tags=["marketplace"])


class HealthOut(Schema):
    status: Literal["ok", "down"]
    database: Literal["ok", "down"]
    broker: Literal["ok", "eager", "down"]


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


@router.get("/health", response={200: HealthOut, 503: HealthOut})
def health(request: HttpRequest):
    """200 while the database answers; 503 (so a load balancer stops sending) when it does not.
    A broker that is down is reported but still 200: orders and the catalog work without it."""
    database = database_status()
    body = {
        "status": "ok" if database == "ok" else "down",
        "database": database,
        "broker": broker_status(),
    }
    return Status(200 if database == "ok" else 503, body)
