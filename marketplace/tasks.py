from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from marketplace.models import IdempotencyKey


@shared_task(name="marketplace.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than IDEMPOTENCY_KEY_TTL_HOURS (at least 24 h)."""
    hours = max(24, settings.IDEMPOTENCY_KEY_TTL_HOURS)
    cutoff = timezone.now() - timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="marketplace.tasks.ping")
def ping(value: str) -> str:
    """Round trip used by the health of the worker and by the real-worker test."""
    return f"pong:{value}"
