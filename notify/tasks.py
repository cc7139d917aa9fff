"""Notify's Celery tasks: each takes an id, is enqueued through the outbox and may run twice.
Retries follow marketplace.retry."""

from celery import shared_task
from django.conf import settings

from marketplace.retry import retry_on
from notify.providers.base import ProviderUnavailable


@shared_task(name="notify.tasks.plan_deliveries")
def plan_deliveries(notification_id: int) -> int:
    """Choose the channels of a new notification and enqueue its deliveries (once)."""
    from notify.services import deliveries_plan

    return len(deliveries_plan(notification_id=notification_id))


@shared_task(name="notify.tasks.deliver", autoretry_for=retry_on(ProviderUnavailable),
             max_retries=settings.NOTIFY_MAX_RETRIES, retry_backoff=settings.NOTIFY_RETRY_BASE,
             retry_backoff_max=300, retry_jitter=True,
             give_up="notify.services.delivery_give_up")
def deliver(delivery_id: int) -> str:
    """Send one delivery, once however often this runs. A provider that is down is tried again
    with back-off and jitter (NOTIFY_RETRY_BASE seconds doubling, at most five minutes apart),
    NOTIFY_MAX_RETRIES times; then the delivery is `failed` with the reason (give_up)."""
    from notify.services import delivery_send

    return delivery_send(delivery_id=delivery_id)


@shared_task(name="notify.tasks.release_waiting", max_retries=0, ignore_result=True)
def release_waiting() -> int:
    """Send what waited out its quiet hours (beat, every minute)."""
    from notify.services import deliveries_release

    return deliveries_release()
