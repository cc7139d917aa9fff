"""Celery tasks of the payments app. Each takes ids, is safe to run twice (every write is a
conditional UPDATE; the platforms refund once per refund number) and retries with back-off while
a platform cannot be reached. A task imports its service inside its body."""

from celery import shared_task

from marketplace.retry import retry_on
from payments.providers.base import ProviderUnavailable

# A platform that cannot be reached: 30 s, 1, 2, 4 ... minutes, then every hour (each a random
# part of it); the reconciliation task takes over after that.
PLATFORM_RETRIES = {"autoretry_for": retry_on(ProviderUnavailable), "max_retries": 12,
                    "retry_backoff": 30, "retry_backoff_max": 3600, "acks_late": True}


@shared_task(name="payments.tasks.refund_submit", **PLATFORM_RETRIES)
def refund_submit(refund_id: int) -> str:
    """Ask the platform for a refund (once the refund row is committed)."""
    from payments.services import refund_submit as submit

    return submit(refund_id=refund_id)


@shared_task(name="payments.tasks.payment_close", **PLATFORM_RETRIES)
def payment_close(payment_id: int) -> str:
    """Close an open payment at its platform (its order was cancelled)."""
    from payments.services import payment_close as close

    return close(payment_id=payment_id)
