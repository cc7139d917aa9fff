"""GET /health: what a load balancer and an operator ask first."""

from django.http import HttpRequest
from ninja import Router, Status

from marketplace.schemas import HealthOut
from marketplace.selectors import broker_status, database_status

router = Router(tags=["platform"])


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
