"""Notify's Celery tasks: each takes an id, is enqueued through the outbox and may run twice."""

from celery import shared_task
from django.conf import settings


@shared_task(name="notify.tasks.plan_deliveries", max_retries=5)
def plan_deliveries(notification_id: int) -> int:
    """Choose the channels of a new notification and enqueue its deliveries (once)."""
    from notify.services import deliveries_plan

    return len(deliveries_plan(notification_id=notification_id))


@shared_task(name="notify.tasks.deliver", bind=True, max_retries=50)
def deliver(self, delivery_id: int) -> str:
    """Send one delivery, once however often this runs. A provider that is down is tried again
    with back-off and jitter, NOTIFY_MAX_RETRIES times, then the delivery is `failed`."""
    from notify.services import RetryLater, delivery_give_up, delivery_send, retry_countdown

    try:
        return delivery_send(delivery_id=delivery_id)
    except RetryLater as exc:
        if self.request.retries >= settings.NOTIFY_MAX_RETRIES:
            delivery_give_up(delivery_id=delivery_id, reason=str(exc))
            return "failed"
        raise self.retry(countdown=retry_countdown(self.request.retries), exc=exc,
                         max_retries=settings.NOTIFY_MAX_RETRIES + 1) from exc


@shared_task(name="notify.tasks.release_waiting", max_retries=0, ignore_result=True)
def release_waiting() -> int:
    """Send what waited out its quiet hours (beat, every minute)."""
    from notify.services import deliveries_release

    return deliveries_release()
